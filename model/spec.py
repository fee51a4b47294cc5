"""Spec files: a cluster and protocol configuration in TOML, read into a Config.

Every key is declared once, in `KEYS` (name, kind of value, default, meaning); the
reader (`checker.schema`) checks a document against it, then the rules between keys
below (`_cross_checks`) run. The defaults are model.md's (section 1 and section 7), not
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

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hacheck.checker.schema import (
    Choice, ConfigError, Flag, Key, Kind, Number, Text, Whole, read_table, read_toml, show,
)
from hacheck.model.config import (
    EMAIL_TIMERS, MAX_GROUPS, MAX_NODES, MAX_REPEATS, TRANSPORTS, VERSIONS, Config,
)
from hacheck.model.timing import TIMING_KEYS, TimingParameters

ONE_PER_NODE = "one-per-node"
DEFAULT_SPEC = "heartbeat-1.51"
MAX_BUDGET = 10
MAX_SECONDS = 3600
NODES = Whole(1, MAX_NODES)     # the node count, wherever it is given


class SpecError(ConfigError):
    """A spec file (or an override of it) that cannot be used."""


class Home(Kind):
    """`home`: "one-per-node", or a list of at most MAX_GROUPS node indices."""

    expected = (f'"{ONE_PER_NODE}" or a list of at most {MAX_GROUPS} node indices '
                f'0..{MAX_NODES - 1}')

    def check(self, value):
        if value == ONE_PER_NODE:
            return value
        if (isinstance(value, list) and len(value) <= MAX_GROUPS
                and all(type(h) is int and 0 <= h < MAX_NODES for h in value)):
            return tuple(value)
        raise ValueError(self.expected)


_DEFAULT_TIMING = TimingParameters()

KEYS = (
    Key("name", Text(), "", "shown in reports"),
    Key("description", Text(), "", "what the spec is for"),
    Key("cluster.nodes", NODES, 2, "nodes 0..N-1 (the --nodes option overrides it)"),
    Key("cluster.home", Home(), ONE_PER_NODE,
        "home[g] is the node that owns group g in haresources"),
    Key("protocol.nice_failback", Flag(), True, "nice_failback on (1.51's rules) or off"),
    Key("protocol.version", Choice(tuple(VERSIONS), note="heartbeat.c's revision"), "1.51",
        "heartbeat.c's revision: 1.51, or 1.65 with the 1.56-1.65 race fixes"),
    Key("protocol.transport", Choice(TRANSPORTS), "sequenced",
        "unsequenced: `starting` and `resource` messages may be lost or repeated"),
    Key("protocol.email_timer",
        Choice(tuple(EMAIL_TIMERS), note="the May 2000 patch's resources_timer"), "off",
        "the May 2000 patch's resources_timer, buggy (combined) or fixed (split)"),
    Key("protocol.starting_repeats", Whole(0, MAX_REPEATS), 0,
        "email_timer: how often `starting` may be repeated in the start window"),
    Key("protocol.stonith",
        Choice((False, True, "off", "race", "gated"), ("off", "gated", "off", "race", "gated"),
               text='true (reset before takeover, 1.170), "race" (1.70) or false'),
        "off", "STONITH before takeover (true, 1.170) or racing it (\"race\", 1.70)"),
    Key("protocol.heal", Flag(), False, "1.89's healed-partition restart"),
    Key("protocol.demo_broken", Flag(), False,
        "a deliberately broken model, to show the gate failing"),
    Key("faults.crashes", Whole(0, MAX_BUDGET), 0, "CRASH actions allowed in one run"),
    Key("faults.restarts", Whole(0, MAX_BUDGET), 0, "RESTART actions allowed in one run"),
    Key("faults.link_toggles", Whole(0, MAX_BUDGET), 0, "LINK actions (cut or heal)"),
    Key("faults.losses", Whole(0, MAX_BUDGET), 0,
        "LOSE or DUPLICATE actions (unsequenced transport)"),
    *(Key(f"timing.{name}",
          Number(0, MAX_SECONDS, "seconds", above=name == "keepalive", exact=True,
                 denominator=1000),
          getattr(_DEFAULT_TIMING, attr), meaning)
      for name, (attr, meaning) in TIMING_KEYS.items()),
)


@dataclass(frozen=True)
class Spec:
    """A parsed spec file: its source and the configuration it describes."""

    path: str
    name: str
    description: str
    nodes: int
    home: str | tuple[int, ...]
    nice_failback: bool
    crashes: int
    restarts: int
    link_toggles: int
    timing: TimingParameters = TimingParameters()
    version: str = "1.51"
    transport: str = "sequenced"
    losses: int = 0
    email_timer: str = "off"
    starting_repeats: int = 0
    stonith: str = "off"
    heal: bool = False
    broken: bool = False

    def config(self, nodes: int | None = None) -> Config:
        """The Config, with the node count overridden by `nodes` (the `--nodes` option)."""
        N = self.nodes if nodes is None else nodes
        try:
            NODES.check(N)
        except ValueError as e:
            raise SpecError("--nodes", None, N, str(e)) from None
        if self.home == ONE_PER_NODE:
            home = tuple(range(N))
        else:
            home = self.home
            if any(h >= N for h in home):
                raise SpecError(self.path, "cluster.home", list(home),
                                f"node indices below the node count {N}")
        return Config(N=N, home=home, nice_failback=self.nice_failback, version=self.version,
                      transport=self.transport, losses=self.losses,
                      email_timer=self.email_timer, starting_repeats=self.starting_repeats,
                      stonith=self.stonith, heal=self.heal, broken=self.broken,
                      crashes=self.crashes,
                      restarts=self.restarts, link_toggles=self.link_toggles)


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
    _cross_checks(values, data, where)
    timing = TimingParameters(**{attr: values[f"timing.{name}"]
                                 for name, (attr, _) in TIMING_KEYS.items()})
    for key, expected in timing.problems():
        raise SpecError(where, f"timing.{key}",
                        data.get("timing", {}).get(key, timing.as_dict()[key]), expected)
    return Spec(where, values["name"], values["description"], values["cluster.nodes"],
                values["cluster.home"], values["protocol.nice_failback"],
                values["faults.crashes"], values["faults.restarts"],
                values["faults.link_toggles"], timing=timing,
                version=values["protocol.version"], transport=values["protocol.transport"],
                losses=values["faults.losses"], email_timer=values["protocol.email_timer"],
                starting_repeats=values["protocol.starting_repeats"],
                stonith=values["protocol.stonith"], heal=values["protocol.heal"],
                broken=values["protocol.demo_broken"])


def _cross_checks(values: dict, data: dict, where: str) -> None:
    """The rules between keys (each value already has its kind)."""
    def given(dotted):
        table, _, key = dotted.rpartition(".")
        return data.get(table, {}).get(key)

    nodes, home = values["cluster.nodes"], values["cluster.home"]
    if home != ONE_PER_NODE and any(h >= nodes for h in home):
        raise SpecError(where, "cluster.home", list(home),
                        f'"{ONE_PER_NODE}" or a list of at most {MAX_GROUPS} node indices '
                        f"0..{nodes - 1}")
    sequenced = values["protocol.transport"] == "sequenced"
    if values["faults.losses"] and sequenced:
        raise SpecError(where, "faults.losses", values["faults.losses"],
                        '0 with the sequenced transport (1.51 retransmits lost messages); '
                        'set protocol.transport = "unsequenced"')
    if not sequenced and not values["faults.losses"]:
        raise SpecError(where, "faults.losses", values["faults.losses"],
                        "at least 1 with the unsequenced transport (with no losses it is "
                        "the sequenced one)")
    if values["protocol.email_timer"] != "off" and not values["protocol.nice_failback"]:
        raise SpecError(where, "protocol.email_timer", values["protocol.email_timer"],
                        '"off" with nice_failback = false (the timer is nice_failback\'s)')
    if values["protocol.starting_repeats"] and values["protocol.email_timer"] == "off":
        raise SpecError(where, "protocol.starting_repeats", given("protocol.starting_repeats"),
                        '0 without an email_timer (the repeats are the May 2000 patch\'s)')


__all__ = ["KEYS", "Spec", "SpecError", "load", "parse", "resolve", "shipped", "shipped_specs",
           "show"]
