"""Spec files: a cluster and protocol configuration in TOML, read into a Config.

Every key is declared once: the configuration's options as `Config`'s fields
(`model.config`: the key, its kind of value, default and meaning), the timing parameters
in `model.timing`; `KEYS` is derived from them. The reader (`checker.schema`) checks a
document against it, then the rules between options (`Config.problems`) and section 7's
rules on the parameters run. The defaults are model.md's (section 1 and section 7), not
those of the default spec: a spec that sets only `[cluster] nodes = 3` has no faults. A
spec that sets nothing at all (an empty or comment-only file) is refused, since it is
almost always a mistake; `[cluster]` alone takes every default.

    name = "..."               # optional, shown in reports
    description = "..."        # optional
    [cluster]
    nodes = 2                  # 1..8
    home = "one-per-node"      # or [0, 0, 1]: home[g] is the node owning group g
    [protocol]
    nice_failback = true
    version = "1.51"           # heartbeat.c revision; "1.65": the 1.56-1.65 race fixes
    transport = "sequenced"    # or "unsequenced": starting/resource may be lost, repeated
    email_timer = "off"        # "combined" | "split": the May 2000 patch's resources_timer
    starting_repeats = 0       # email_timer: `starting` repeats in the window (0..3)
    stonith = false            # true (= "gated", 1.170: reset before takeover) | "race" (1.70)
    heal = false               # true: 1.89's healed-partition give-up-and-restart
    demo_broken = false        # true: a deliberately broken model (the gate's demonstration)
    [faults]
    crashes = 0                # CRASH actions allowed in one run
    restarts = 0
    link_toggles = 0
    losses = 0                 # LOSE or DUPLICATE actions (unsequenced transport: >= 1)
    [timing]                   # layer T (model.md section 7), seconds; defaults shown
    keepalive = 2
    deadtime = 10
    rqstdelay = 10
    req_timeout = 10
    dmin = 0
    dmax = 0.5
    smax = 1
    stonith = 10               # the longest a STONITH reset takes

Every error names the file, the dotted key, the bad value and what was expected, in one
line (SpecError).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from hacheck.checker.schema import (
    ConfigError, Key, Number, Text, read_table, read_toml, show,
)
from hacheck.model.config import NODES, OPTIONS, Config, OptionError, home_for
from hacheck.model.timing import TIMING_KEYS, TimingParameters

DEFAULT_SPEC = "heartbeat-1.51"
MAX_SECONDS = 3600


class SpecError(ConfigError):
    """A spec file (or an override of it) that cannot be used."""


_DEFAULT_TIMING = TimingParameters()

KEYS = (
    Key("name", Text(), "", "shown in reports"),
    Key("description", Text(), "", "what the spec is for"),
    *(Key(o.metadata["key"], o.metadata["kind"], o.metadata["spec_default"],
          o.metadata["meaning"]) for o in OPTIONS),
    *(Key(f"timing.{name}",
          Number(0, MAX_SECONDS, "seconds", above=name == "keepalive", exact=True,
                 denominator=1000),
          getattr(_DEFAULT_TIMING, attr), meaning)
      for name, (attr, meaning) in TIMING_KEYS.items()),
)


@dataclass(frozen=True)
class Spec:
    """A parsed spec file: its source, and the configuration's options as it gives them
    (by `Config`'s field names; `home` may still be "one-per-node", resolved against the
    node count a run uses)."""

    path: str
    name: str = ""
    description: str = ""
    options: dict = field(default_factory=lambda: _options(
        {o.metadata["key"]: o.metadata["spec_default"] for o in OPTIONS}))
    timing: TimingParameters = TimingParameters()

    @property
    def nodes(self) -> int:
        return self.options["N"]

    def with_options(self, **changes) -> Spec:
        """The same spec with some options changed (by `Config`'s field names)."""
        unknown = set(changes) - set(self.options)
        if unknown:
            raise TypeError(f"no such option: {', '.join(sorted(unknown))}")
        return replace(self, options={**self.options, **changes})

    def config(self, nodes: int | None = None) -> Config:
        """The Config, with the node count overridden by `nodes` (the `--nodes` option)."""
        N = self.nodes if nodes is None else nodes
        try:
            NODES.check(N)
        except ValueError as e:
            raise SpecError("--nodes", None, N, str(e)) from None
        try:
            return Config(**{**self.options, "N": N, "home": home_for(self.options["home"], N)})
        except OptionError as e:
            raise SpecError(self.path, e.key, e.value, e.expected) from None


def _options(by_key: dict) -> dict:
    """Config's options by field name, from values by spec key (each as its kind reads it:
    a default written as the spec writes it, "off", becomes the value it stands for)."""
    return {o.name: o.metadata["kind"].check(by_key[o.metadata["key"]]) for o in OPTIONS}


def shipped(name: str) -> Path | None:
    """The spec shipped with hacheck under this name (`active-passive`, or
    `active-passive.toml`), if there is one."""
    path = Path(name)
    if path.parent != Path("."):
        return None
    found = resources.files("hacheck.specs") / f"{path.stem if path.suffix == '.toml' else name}.toml"
    return Path(str(found)) if found.is_file() else None


def resolve(name_or_path: str | None) -> Path:
    """A spec path, or the name of a spec shipped with hacheck (`active-passive`)."""
    if name_or_path is None:
        name_or_path = DEFAULT_SPEC
    path = Path(name_or_path)
    if path.exists():
        return path
    return shipped(name_or_path) or path


def shipped_specs() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("hacheck.specs").iterdir()
                  if p.name.endswith(".toml"))


def load(name_or_path: str | None = None) -> Spec:
    path = resolve(name_or_path)
    where = str(path)
    if not path.exists() and not path.is_symlink():
        raise SpecError(where, None, None, "no such spec file (shipped specs: "
                        f"{', '.join(shipped_specs())})", has_value=False)
    return parse(read_toml(path, where, "spec file", error=SpecError), where)


def parse(data: dict, where: str) -> Spec:
    """The Spec of a parsed document (SpecError if it cannot be used)."""
    if not data:
        raise SpecError(where, None, None, "the spec sets nothing (an empty or comment-only "
                        "file); a spec must set at least one key (write `[cluster]` "
                        "to take every default)", has_value=False)
    values = read_table(data, KEYS, where, error=SpecError)

    def given(dotted, otherwise):
        table, _, key = dotted.rpartition(".")
        return data.get(table, {}).get(key, otherwise)

    options = _options(values)
    try:
        Config(**{**options, "home": home_for(options["home"], options["N"])})
    except OptionError as e:
        raise SpecError(where, e.key, given(e.key, e.value), e.expected) from None
    timing = TimingParameters(**{attr: values[f"timing.{name}"]
                                 for name, (attr, _) in TIMING_KEYS.items()})
    for key, expected in timing.problems():
        raise SpecError(where, f"timing.{key}", given(f"timing.{key}", timing.as_dict()[key]),
                        expected)
    return Spec(where, values["name"], values["description"], options, timing)


__all__ = ["KEYS", "Spec", "SpecError", "load", "parse", "resolve", "shipped", "shipped_specs",
           "show"]
