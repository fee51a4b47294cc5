"""Layer T's parameters (model.md section 7): heartbeat's timers and the delay bounds.

All values are exact rationals, in seconds. `unit` is the largest time step in which
every parameter is a whole number: with closed bounds, integer time in that unit loses no
run (digitization), which is what the timed search's arithmetic relies on.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from fractions import Fraction
from math import gcd, lcm

# name in the spec's [timing] table -> (attribute, meaning)
TIMING_KEYS = {
    "keepalive": ("K", "keepalive: a heartbeat every K seconds"),
    "deadtime": ("D", "deadtime: a silent peer is declared dead after D seconds"),
    "rqstdelay": ("Q", "RQSTDELAY: how long RSCRCVD waits before taking over"),
    "req_timeout": ("R", "req_resource's sleep before its forced take"),
    "dmin": ("dmin", "the least message delay"),
    "dmax": ("dmax", "the largest message delay"),
    "smax": ("smax", "the longest run of a script (req_our_resources child, mach_down)"),
    "stonith": ("T", "the longest a STONITH reset takes (stonith variant)"),
}


def section7_rules(p: dict) -> list[tuple]:
    """Section 7's assumptions on the parameters, declared once: for parameters `p` by
    attribute, (spec key, whether the rule holds, what the key must be, the limit it is
    compared with or None). Written with arithmetic and comparisons only, so that it
    reads numbers (a spec's check) and Z3 terms (what `--explain` may assume) alike."""
    return [*((name, p[attr] >= 0, "a number of seconds >= 0", None)
              for name, (attr, _) in TIMING_KEYS.items()),
            ("dmin", p["dmin"] <= p["dmax"], "at most dmax", p["dmax"]),
            ("deadtime", p["K"] + p["dmax"] < p["D"], "more than keepalive + dmax",
             p["K"] + p["dmax"])]


@dataclass(frozen=True)
class TimingParameters:
    K: Fraction = Fraction(2)
    D: Fraction = Fraction(10)
    Q: Fraction = Fraction(10)
    R: Fraction = Fraction(10)
    dmin: Fraction = Fraction(0)
    dmax: Fraction = Fraction(1, 2)
    smax: Fraction = Fraction(1)
    T: Fraction = Fraction(10)
    # the environment's timing, from the configuration (`with_environment`; None: off):
    # faults.quiet and cluster.boot_skew, heartbeat-2000.md section 6.3's A5 and A1
    quiet: Fraction | None = None
    skew: Fraction | None = None

    def with_environment(self, cfg) -> TimingParameters:
        """These parameters with the configuration's environment timing (its options
        `quiet` and `boot_skew`, declared in model.config), which layer T reads here."""
        return replace(self, quiet=cfg.quiet, skew=cfg.boot_skew)

    def problems(self) -> list[tuple[str, str]]:
        """(spec key, what was expected) for each rule of section 7 these values break."""
        values = {attr: getattr(self, attr) for attr, _ in TIMING_KEYS.values()}
        return [(key, expected + ("" if limit is None else f" ({float(limit):g})"))
                for key, holds, expected, limit in section7_rules(values) if not holds]

    @property
    def unit(self) -> Fraction:
        values = [v for f in fields(self) if (v := getattr(self, f.name)) is not None]
        denominator = lcm(*(v.denominator for v in values))
        numerator = 0
        for v in values:
            numerator = gcd(numerator, v.numerator * (denominator // v.denominator))
        return Fraction(numerator or 1, denominator)

    def in_units(self) -> dict[str, int]:
        """Every parameter as a whole number of `unit`s (0 for an environment rule that is
        off: no clock reads it)."""
        u = self.unit
        return {f.name: int((getattr(self, f.name) or 0) / u) for f in fields(self)}

    def as_dict(self) -> dict[str, float]:
        """Section 7's parameters by their spec names, and the environment's that are on."""
        out = {name: float(getattr(self, attr)) for name, (attr, _) in TIMING_KEYS.items()}
        out.update({name: float(v) for name, v in (("quiet", self.quiet),
                                                    ("boot_skew", self.skew))
                    if v is not None})
        return out
