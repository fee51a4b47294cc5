"""The configuration of a checked cluster (model.md section 1)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property

MAX_NODES = 8        # node sets are one byte of a state's row
MAX_GROUPS = 8       # group sets are one byte
MAX_REPEATS = 3      # email_timer: repeats of `starting` the model allows
TRANSPORTS = ("sequenced", "unsequenced")
VERSIONS = {"1.51": 151, "1.65": 165}           # heartbeat.c's revision, as the row stores it
EMAIL_TIMERS = {"off": 0, "combined": 1, "split": 2}
STONITH_MODES = {"off": 0, "race": 1, "gated": 2}


@dataclass(frozen=True)
class Config:
    """`N` nodes `0..N-1`; `home[g]` is the node that owns group g in haresources."""

    N: int = 2
    home: tuple[int, ...] = (0, 1)
    nice_failback: bool = True
    crashes: int = 0
    restarts: int = 0
    link_toggles: int = 0
    version: str = "1.51"      # heartbeat.c revision: "1.51", or "1.65" (the 1.56-1.65 fixes)
    transport: str = "sequenced"   # or "unsequenced": 1.40-style, messages lost or duplicated
    losses: int = 0            # how many LOSE or DUPLICATE actions may happen in one run
    email_timer: str = "off"   # the May 2000 patch's resources_timer: "combined" or "split"
    starting_repeats: int = 0  # email_timer: how often `starting` may be repeated in the window
    stonith: str = "off"       # "race" (1.70: shoot while taking over) or "gated" (1.170)
    heal: bool = False         # 1.89: a node that hears a peer it declared dead restarts
    broken: bool = False       # a deliberately broken model, to show the gate failing:
                               # req_our_resources ignores that the other claims FOREIGN

    def __post_init__(self):
        if not 1 <= self.N <= MAX_NODES:
            raise ValueError(f"N must be between 1 and {MAX_NODES}")
        if len(self.home) > MAX_GROUPS:
            raise ValueError(f"at most {MAX_GROUPS} resource groups")
        if any(not 0 <= h < self.N for h in self.home):
            raise ValueError("every home must be a node 0..N-1")
        if min(self.crashes, self.restarts, self.link_toggles) < 0:
            raise ValueError("fault budgets must be >= 0")
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}")
        if self.losses < 0 or (self.losses and self.transport == "sequenced"):
            raise ValueError("losses need the unsequenced transport")
        if self.version not in VERSIONS:
            raise ValueError(f"version must be one of {', '.join(VERSIONS)}")
        if self.email_timer not in EMAIL_TIMERS:
            raise ValueError(f"email_timer must be one of {', '.join(EMAIL_TIMERS)}")
        if self.email_timer != "off" and not self.nice_failback:
            raise ValueError("email_timer needs nice_failback")
        if not 0 <= self.starting_repeats <= MAX_REPEATS:
            raise ValueError(f"starting_repeats must be between 0 and {MAX_REPEATS}")
        if self.stonith not in STONITH_MODES:
            raise ValueError(f"stonith must be one of {', '.join(STONITH_MODES)}")

    @property
    def options(self) -> dict:
        """The configuration's options by name (what model.schema's owners refer to)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

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
