"""The configuration of a checked cluster (model.md section 1, and the variants' options):
every option declared once, as a field of `Config` with the spec key it is read from,
its kind (what values it takes), its default and its meaning. A spec file's keys
(`model.spec`), the rules between options, the run's metadata and the trace files'
(`tools.run`) are derived from these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from fractions import Fraction
from functools import cached_property

from hacheck.checker.schema import Choice, Flag, Kind, Number, Whole

MAX_NODES = 8        # node sets are one byte of a state's row
MAX_GROUPS = 8       # group sets are one byte
MAX_REPEATS = 3      # email_timer: repeats of `starting` the model allows
MAX_BUDGET = 10      # a fault budget
ONE_PER_NODE = "one-per-node"
NODES = Whole(1, MAX_NODES)     # the node count, wherever it is given
TRANSPORTS = ("sequenced", "unsequenced")
VERSIONS = ("1.51", "1.65")     # heartbeat.c's revisions
EMAIL_TIMERS = {"off": 0, "combined": 1, "split": 2}
STONITH_MODES = {"off": 0, "race": 1, "gated": 2}
MAX_SECONDS = 3600
SECONDS = Number(0, MAX_SECONDS, "seconds", exact=True, denominator=1000)


class Home(Kind):
    """`home`: "one-per-node", or a list of at most MAX_GROUPS node indices."""

    expected = (f'"{ONE_PER_NODE}" or a list of at most {MAX_GROUPS} node indices '
                f'0..{MAX_NODES - 1}')

    def check(self, value):
        if value == ONE_PER_NODE:
            return value
        if (isinstance(value, (list, tuple)) and len(value) <= MAX_GROUPS
                and all(type(h) is int and 0 <= h < MAX_NODES for h in value)):
            return tuple(value)
        raise ValueError(self.expected)


class SecondsOrOff(Kind):
    """A duration of the environment's timing in seconds (exact), or "off" (None)."""

    expected = f'"off" or {SECONDS.expected}'

    def check(self, value):
        if value is None or value == "off":
            return None
        if isinstance(value, Fraction) and 0 <= value <= MAX_SECONDS:
            return value
        try:
            return SECONDS.check(value)
        except ValueError as e:
            raise ValueError(f'"off" or {e}') from None


def option(key: str, kind: Kind, default, meaning: str, spec_default=None, compiled=None):
    """A configuration option: read from the spec's `key` (default `spec_default` there
    when it differs from the configuration's own). `compiled`: the option is read by the
    compiled rules, from the geometry vector (model.state), as this function encodes it."""
    return field(default=default, metadata={
        "key": key, "kind": kind, "meaning": meaning,
        "spec_default": default if spec_default is None else spec_default,
        "compiled": compiled})


class OptionError(ValueError):
    """An option, or two options together, that a configuration cannot have."""

    def __init__(self, key: str, value, expected: str):
        super().__init__(f"{key}: expected {expected}")
        self.key, self.value, self.expected = key, value, expected


@dataclass(frozen=True)
class Config:
    """`N` nodes `0..N-1`; `home[g]` is the node that owns group g in haresources."""

    N: int = option("cluster.nodes", NODES, 2, "nodes 0..N-1 (the --nodes option overrides it)")
    home: tuple[int, ...] = option("cluster.home", Home(), (0, 1),
                                   "home[g] is the node that owns group g in haresources",
                                   spec_default=ONE_PER_NODE)
    nice_failback: bool = option("protocol.nice_failback", Flag(), True,
                                 "nice_failback on (1.51's rules) or off")
    version: str = option("protocol.version", Choice(VERSIONS, note="heartbeat.c's revision"),
                          "1.51", "heartbeat.c's revision: 1.51, or 1.65 with the 1.56-1.65 "
                          "race fixes")
    transport: str = option("protocol.transport", Choice(TRANSPORTS), "sequenced",
                            "unsequenced: `starting` and `resource` messages may be lost or "
                            "repeated")
    email_timer: str = option("protocol.email_timer",
                              Choice(tuple(EMAIL_TIMERS), note="the May 2000 patch's "
                                     "resources_timer"), "off",
                              "the May 2000 patch's resources_timer, buggy (combined) or "
                              "fixed (split)", compiled=EMAIL_TIMERS.__getitem__)
    starting_repeats: int = option("protocol.starting_repeats", Whole(0, MAX_REPEATS), 0,
                                   "email_timer: how often `starting` may be repeated in the "
                                   "start window", compiled=int)
    stonith: str = option("protocol.stonith",
                          Choice((False, True, "off", "race", "gated"),
                                 ("off", "gated", "off", "race", "gated"),
                                 text='true (reset before takeover, 1.170), "race" (1.70) '
                                      'or false'),
                          "off", 'STONITH before takeover (true, 1.170) or racing it '
                                 '("race", 1.70)', compiled=STONITH_MODES.__getitem__)
    heal: bool = option("protocol.heal", Flag(), False, "1.89's healed-partition restart",
                        compiled=int)
    broken: bool = option("protocol.demo_broken", Flag(), False,
                          "a deliberately broken model, to show the gate failing")
    crashes: int = option("faults.crashes", Whole(0, MAX_BUDGET), 0,
                          "CRASH actions allowed in one run")
    restarts: int = option("faults.restarts", Whole(0, MAX_BUDGET), 0,
                           "RESTART actions allowed in one run")
    link_toggles: int = option("faults.link_toggles", Whole(0, MAX_BUDGET), 0,
                               "LINK actions (cut or heal)")
    losses: int = option("faults.losses", Whole(0, MAX_BUDGET), 0,
                         "LOSE or DUPLICATE actions (unsequenced transport)")
    # the environment's timing (layer T only; heartbeat-2000.md section 6.3, A5 and A1)
    quiet: Fraction | None = option("faults.quiet", SecondsOrOff(), None,
                                    "A5: a crash, restart or link change comes at least "
                                    "this long after the previous one and after the last "
                                    "boot (seconds)", spec_default="off")
    boot_skew: Fraction | None = option("cluster.boot_skew", SecondsOrOff(), None,
                                        "A1: every node boots within this long of the first "
                                        "boot (seconds)", spec_default="off")

    def __post_init__(self):
        for key, value, expected in self.problems():
            raise OptionError(key, value, expected)

    def problems(self) -> list[tuple[str, object, str]]:
        """(spec key, value, what was expected) for each declared kind and each rule
        between options that these values break."""
        out = []
        for f in fields(self):
            value = getattr(self, f.name)
            try:
                f.metadata["kind"].check(value)
            except ValueError as e:
                out.append((f.metadata["key"], value, str(e)))
        if out:
            return out
        if any(h >= self.N for h in self.home):
            out.append(("cluster.home", list(self.home),
                        f'"{ONE_PER_NODE}" or a list of at most {MAX_GROUPS} node indices '
                        f"0..{self.N - 1} (below the node count {self.N})"))
        sequenced = self.transport == "sequenced"
        if self.losses and sequenced:
            out.append(("faults.losses", self.losses,
                        '0 with the sequenced transport (1.51 retransmits lost messages); '
                        'set protocol.transport = "unsequenced"'))
        if not sequenced and not self.losses:
            out.append(("faults.losses", self.losses,
                        "at least 1 with the unsequenced transport (with no losses it is "
                        "the sequenced one)"))
        if self.email_timer != "off" and not self.nice_failback:
            out.append(("protocol.email_timer", self.email_timer,
                        '"off" with nice_failback = false (the timer is nice_failback\'s)'))
        if self.starting_repeats and self.email_timer == "off":
            out.append(("protocol.starting_repeats", self.starting_repeats,
                        "0 without an email_timer (the repeats are the May 2000 patch's)"))
        return out

    @property
    def options(self) -> dict:
        """Every option by its name here (what model.schema's owners refer to)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def described(self) -> dict:
        """Every option by its short spec name (`nodes`, `crashes`, `demo_broken`), as the
        reports and trace files write the configuration."""
        def shown(v):
            return list(v) if isinstance(v, tuple) else float(v) if isinstance(v, Fraction) \
                else v
        return {short_name(f): shown(getattr(self, f.name)) for f in fields(self)}

    @property
    def variants(self) -> bool:
        """Any of the later variants (email_timer, stonith, heal), or the broken demo, is on."""
        return self.email_timer != "off" or self.stonith != "off" or self.heal or self.broken

    @property
    def G(self) -> int:
        return len(self.home)

    @cached_property
    def local_groups(self) -> tuple[tuple[int, ...], ...]:
        """H(i) for every node i, each in increasing group order."""
        return tuple(tuple(g for g, h in enumerate(self.home) if h == i) for i in range(self.N))

    def H(self, i: int) -> tuple[int, ...]:
        return self.local_groups[i]

    @cached_property
    def local_mask(self) -> tuple[int, ...]:
        """H(i) as a bit mask over groups."""
        return tuple(sum(1 << g for g in hs) for hs in self.local_groups)


def short_name(option) -> str:
    """An option's name in reports: its spec key without the table (`faults.crashes`:
    `crashes`)."""
    return option.metadata["key"].rpartition(".")[2]


def home_for(value, N: int) -> tuple[int, ...]:
    """The home of a spec's `cluster.home` with N nodes."""
    return tuple(range(N)) if value == ONE_PER_NODE else tuple(value)


OPTIONS = tuple(fields(Config))     # every option, with its declaration (`metadata`)
# the options the compiled rules read, in declaration order (model.state keeps them in k)
COMPILED = tuple(o.name for o in OPTIONS if o.metadata["compiled"] is not None)


def compiled_values(cfg: Config) -> list[int]:
    """The values of COMPILED for a configuration, encoded as the compiled rules read them."""
    return [o.metadata["compiled"](getattr(cfg, o.name)) for o in OPTIONS
            if o.metadata["compiled"] is not None]
