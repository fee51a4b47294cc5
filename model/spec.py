"""Spec files: a cluster and protocol configuration in TOML, read into a Config.

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
    losses = 0                 # LOSE or DUPLICATE actions (unsequenced transport only)
    [timing]                   # layer T (model.md section 7), seconds; defaults shown
    keepalive = 2
    deadtime = 10
    rqstdelay = 10
    req_timeout = 10
    dmin = 0
    dmax = 0.5
    smax = 1
    stonith = 10               # the longest a STONITH reset takes

Unknown keys are rejected. Every error names the file, the dotted key, the bad value and
what was expected, in one line (SpecError).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fractions import Fraction

from hacheck.model.config import MAX_GROUPS, MAX_NODES, Config
from hacheck.model.state import EMAIL_TIMERS, MAX_REPEATS, TRANSPORTS, VERSIONS
from hacheck.model.timing import TIMING_KEYS, TimingParameters

ONE_PER_NODE = "one-per-node"
DEFAULT_SPEC = "heartbeat-1.51"
MAX_BUDGET = 10


class SpecError(ValueError):
    """A spec file (or an override of it) that cannot be used."""

    def __init__(self, where: str, key: str | None, value, expected: str, *, has_value=True):
        self.where, self.key, self.value, self.expected = where, key, value, expected
        text = f"{where}: {key}: " if key else f"{where}: "
        text += f"expected {expected}, got {_show(value)}" if has_value else expected
        super().__init__(text)


def _show(value) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return str(value)   # TOML dates and times


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
        if not isinstance(N, int) or not 1 <= N <= MAX_NODES:
            raise SpecError("--nodes", None, N, f"a whole number of nodes from 1 to {MAX_NODES}")
        if self.home == ONE_PER_NODE:
            home = tuple(range(N))
        else:
            home = self.home
            bad = [h for h in home if h >= N]
            if bad:
                raise SpecError(self.path, "cluster.home", list(home),
                                f"node indices below the node count {N}")
        return Config(N=N, home=home, nice_failback=self.nice_failback, version=self.version,
                      transport=self.transport, losses=self.losses,
                      email_timer=self.email_timer, starting_repeats=self.starting_repeats,
                      stonith=self.stonith, heal=self.heal, broken=self.broken,
                      crashes=self.crashes,
                      restarts=self.restarts, link_toggles=self.link_toggles)


_SCHEMA = {
    "": {"name", "description", "cluster", "protocol", "faults", "timing"},
    "cluster": {"nodes", "home"},
    "protocol": {"nice_failback", "version", "transport", "email_timer", "starting_repeats",
                 "stonith", "heal", "demo_broken"},
    "faults": {"crashes", "restarts", "link_toggles", "losses"},
    "timing": set(TIMING_KEYS),
}


def resolve(name_or_path: str | None) -> Path:
    """A spec path, or the name of a spec shipped with hacheck (`active-passive`)."""
    if name_or_path is None:
        name_or_path = DEFAULT_SPEC
    path = Path(name_or_path)
    if path.exists():
        return path
    shipped = resources.files("hacheck.specs") / f"{path.stem if path.suffix == '.toml' else name_or_path}.toml"
    if path.parent == Path(".") and shipped.is_file():
        return Path(str(shipped))
    return path


def shipped_specs() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("hacheck.specs").iterdir()
                  if p.name.endswith(".toml"))


def load(name_or_path: str | None = None) -> Spec:
    path = resolve(name_or_path)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(where, None, None, "no such spec file (shipped specs: "
                        f"{', '.join(shipped_specs())})", has_value=False) from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(where, None, None, f"cannot read the spec file ({e})", has_value=False) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(where, None, None, f"not valid TOML: {e}", has_value=False) from None
    return parse(data, where)


def parse(data: dict, where: str) -> Spec:
    _check_keys(data, "", where)
    for table in ("cluster", "protocol", "faults", "timing"):
        if table in data:
            if not isinstance(data[table], dict):
                raise SpecError(where, table, data[table], "a table")
            _check_keys(data[table], table, where)
    cluster = data.get("cluster", {})
    protocol = data.get("protocol", {})
    faults = data.get("faults", {})

    name = _string(data, "name", "", where)
    description = _string(data, "description", "", where)
    nodes = _integer(cluster, "cluster.nodes", 2, 1, MAX_NODES, where)
    home = cluster.get("home", ONE_PER_NODE)
    if isinstance(home, list):
        if len(home) > MAX_GROUPS or not all(type(h) is int and 0 <= h < nodes for h in home):
            raise SpecError(where, "cluster.home", home,
                            f'"{ONE_PER_NODE}" or a list of at most {MAX_GROUPS} node indices 0..{nodes - 1}')
        home = tuple(home)
    elif home != ONE_PER_NODE:
        raise SpecError(where, "cluster.home", home,
                        f'"{ONE_PER_NODE}" or a list of node indices 0..{nodes - 1}')
    nice = protocol.get("nice_failback", True)
    if type(nice) is not bool:
        raise SpecError(where, "protocol.nice_failback", nice, "true or false")
    version = protocol.get("version", "1.51")
    if version not in VERSIONS:
        raise SpecError(where, "protocol.version", version,
                        " or ".join(f'"{v}"' for v in VERSIONS)
                        + " (heartbeat.c's revision)")
    budgets = {k: _integer(faults, f"faults.{k}", 0, 0, MAX_BUDGET, where)
               for k in ("crashes", "restarts", "link_toggles")}
    transport = protocol.get("transport", "sequenced")
    if transport not in TRANSPORTS:
        raise SpecError(where, "protocol.transport", transport,
                        " or ".join(f'"{t}"' for t in TRANSPORTS))
    losses = _integer(faults, "faults.losses", 0, 0, MAX_BUDGET, where)
    if losses and transport == "sequenced":
        raise SpecError(where, "faults.losses", losses, '0 with the sequenced transport '
                        '(1.51 retransmits lost messages); set protocol.transport = "unsequenced"')
    variants = _variants(protocol, nice, where)
    timing = _timing(data.get("timing", {}), where)
    return Spec(where, name, description, nodes, home, nice, **budgets, timing=timing,
                version=version, transport=transport, losses=losses, **variants)


def _variants(protocol: dict, nice: bool, where: str) -> dict:
    """email_timer, starting_repeats, stonith and heal (model/README.md, "Variants")."""
    email_timer = protocol.get("email_timer", "off")
    if email_timer not in EMAIL_TIMERS:
        raise SpecError(where, "protocol.email_timer", email_timer,
                        " or ".join(f'"{v}"' for v in EMAIL_TIMERS)
                        + " (the May 2000 patch's resources_timer)")
    if email_timer != "off" and not nice:
        raise SpecError(where, "protocol.email_timer", email_timer,
                        '"off" with nice_failback = false (the timer is nice_failback\'s)')
    repeats = _integer(protocol, "protocol.starting_repeats", 0, 0, MAX_REPEATS, where)
    stonith = protocol.get("stonith", False)
    modes = {False: "off", True: "gated", "off": "off", "race": "race", "gated": "gated"}
    if type(stonith) not in (bool, str) or stonith not in modes:
        raise SpecError(where, "protocol.stonith", stonith,
                        'true (reset before takeover, 1.170), "race" (1.70) or false')
    heal = protocol.get("heal", False)
    if type(heal) is not bool:
        raise SpecError(where, "protocol.heal", heal, "true or false")
    broken = protocol.get("demo_broken", False)
    if type(broken) is not bool:
        raise SpecError(where, "protocol.demo_broken", broken, "true or false")
    return dict(email_timer=email_timer, starting_repeats=repeats, stonith=modes[stonith],
                heal=heal, broken=broken)


MAX_SECONDS = 3600


def _timing(table: dict, where: str) -> TimingParameters:
    values = {}
    for key, (attr, meaning) in TIMING_KEYS.items():
        if key not in table:
            continue
        value = table[key]
        if type(value) not in (int, float) or not 0 <= value <= MAX_SECONDS:
            raise SpecError(where, f"timing.{key}", value,
                            f"a number of seconds from 0 to {MAX_SECONDS} ({meaning})")
        exact = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
        if exact.denominator > 1000:
            raise SpecError(where, f"timing.{key}", value, "a multiple of a millisecond")
        values[attr] = exact
    params = TimingParameters(**values)
    for key, expected in params.problems():
        raise SpecError(where, f"timing.{key}", table.get(key, params.as_dict()[key]), expected)
    return params


def _check_keys(table: dict, prefix: str, where: str) -> None:
    allowed = _SCHEMA[prefix]
    for key in table:
        if key not in allowed:
            dotted = f"{prefix}.{key}" if prefix else key
            raise SpecError(where, dotted, table[key],
                            f"unknown key (value {_show(table[key])}); expected one of: "
                            f"{', '.join(sorted(allowed))}", has_value=False)


def _string(table: dict, key: str, default: str, where: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise SpecError(where, key, value, "a string")
    return value


def _integer(table: dict, dotted: str, default: int, lo: int, hi: int, where: str) -> int:
    value = table.get(dotted.rsplit(".", 1)[-1], default)
    if type(value) is not int or not lo <= value <= hi:
        raise SpecError(where, dotted, value, f"a whole number from {lo} to {hi}")
    return value
