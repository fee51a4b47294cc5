"""Layer T's vocabulary (model.md section 7), declared once: the bounds, the flags of a
pair, the kinds of clock with their obligations, and the shape of an action's window.

`model/schema.py` gives each action its window beside its name (`ACTIONS`); `model/timed.py` (the
Python statement of layer T, for Z3 and the reference search) and `model/timed_kernel.py`
(the compiled one) both read these tables and hold no bound, kind or window of their own.
Pure Python: nothing here is compiled.
"""

from __future__ import annotations

from typing import NamedTuple

# --- bounds: linear combinations of section 7's parameters, ((name, coefficient), ...) -------

ZERO = ()
DMIN, DMAX, SMAX = (("dmin", 1),), (("dmax", 1),), (("smax", 1),)
K_PLUS_DMAX = (("K", 1), ("dmax", 1))
D_MINUS_K, D_EXACT, D_PLUS_DMAX = (("D", 1), ("K", -1)), (("D", 1),), (("D", 1), ("dmax", 1))
Q_LO, Q_HI = (("Q", 1),), (("Q", 1), ("K", 1))
R_LO, R_HI = (("R", 1),), (("R", 1), ("smax", 1))
Q_EXACT, Q_MINUS_K, T_HI = Q_LO, (("Q", 1), ("K", -1)), (("T", 1),)
QUIET_LO, SKEW_HI = (("quiet", 1),), (("skew", 1),)   # the environment's (section 6.3)

# every distinct bound, numbered: the compiled search keeps each one's value in units
BOUNDS = (ZERO, DMIN, DMAX, SMAX, K_PLUS_DMAX, D_MINUS_K, D_EXACT, D_PLUS_DMAX, Q_LO, Q_HI,
          R_LO, R_HI, Q_MINUS_K, T_HI, QUIET_LO, SKEW_HI)


def bound_id(bound: tuple) -> int:
    return BOUNDS.index(bound)


def value(bound: tuple, params: dict) -> int:
    return sum(params[name] * c for name, c in bound)


# --- what started the current period of an ordered pair (i, j), as i sees it ----------------

TIGHT = 1    # audible since j's boot or restart: HEAR within [dmin, dmax]
LOOSE = 2    # audible since a heal or since i's own boot: HEAR within [dmin, K + dmax]
EXACT = 3    # inaudible since i's own boot: DEAD exactly D after it
NORMAL = 4   # inaudible since a crash or a cut: DEAD within [D - K, D + dmax]
LATE_BOOT = 5  # audible since j's boot, but i booted later: HEAR within [dmin, K + dmax]
               # of i's boot, and j may not crash before i has heard it (section 7, CRASH)
FLAG_NAMES = {TIGHT: "j's boot", LOOSE: "heal", EXACT: "own boot", NORMAL: "crash or cut",
              LATE_BOOT: "own boot, after j's"}
STARTUP = (TIGHT, LATE_BOOT)   # the current audible period began with j's boot or restart
# the obligation on pair(i, j) (HEAR's or DEAD's upper bound), by the pair's flag
PAIR_OBLIGATION = {TIGHT: DMAX, LOOSE: K_PLUS_DMAX, LATE_BOOT: K_PLUS_DMAX, EXACT: D_EXACT,
                   NORMAL: D_PLUS_DMAX}
AUDIBLE = (TIGHT, LOOSE, LATE_BOOT)   # j is audible to i (HEAR's flags; DEAD's: the others)
# the pair whose clock is also compared with 0 when i boots: at j's very instant, or later?
TIED = (TIGHT,)


# --- kinds of clock --------------------------------------------------------------------------

# how a clock of a kind is named by an action's arguments (a, b)
BY_PAIR = 0     # (kind, a, b)
BY_SLOT = 1     # (kind, a, b, p): p-th message of ch[a][b]; an action reads the head, p = 0
BY_NODE = 2     # (kind, a)
BY_CHILD = 3    # (kind, a, c): a's c-th pending child; an action runs the oldest, c = 0
BY_GROUP = 4    # (kind, g): the action's last argument is the group
BY_CLUSTER = 5  # (kind,): one clock for the whole cluster

NEVER = "never"   # an obligation no clock of the kind ever has


class ClockKind(NamedTuple):
    """A kind of clock. `obligation`: the upper bound on the clock (None: by the pair's
    flag; NEVER: none); `ceiling`: the largest constant it is compared with from above,
    or, for a clock without obligation, from below (a bound on every constant that
    matters to it, as extrapolation needs); `optional`: a window on it asks nothing while the clock is absent (the
    environment's rules, which bind only once their clock has an anchor)."""
    name: str
    address: int
    obligation: tuple | str | None
    ceiling: tuple
    optional: bool = False


def kind(name, address, obligation, ceiling=None, optional=False) -> ClockKind:
    return ClockKind(name, address, obligation, obligation if ceiling is None else ceiling,
                     optional)


# in the order clocks are listed (model.timed.clocks, the compiled universe)
CLOCK_KINDS = (
    kind("pair", BY_PAIR, None, ceiling=D_PLUS_DMAX),
    kind("msg", BY_SLOT, DMAX),
    kind("rs", BY_NODE, Q_HI),
    kind("child", BY_CHILD, SMAX),
    kind("md", BY_PAIR, SMAX),
    kind("rq", BY_GROUP, R_HI),
    kind("win", BY_NODE, Q_EXACT),
    kind("rt", BY_NODE, Q_EXACT),
    kind("stn", BY_NODE, T_HI),
    kind("tk", BY_PAIR, SMAX),
    kind("hl", BY_NODE, SMAX),
    # the environment's timing (heartbeat-2000.md section 6.3; spec options faults.quiet
    # and cluster.boot_skew): the time since the last fault or boot, which a fault must
    # let reach `quiet`; the time since the first boot, which may not pass `boot_skew`
    # while a node has not booted
    kind("quiet", BY_CLUSTER, NEVER, ceiling=QUIET_LO, optional=True),
    kind("skew", BY_CLUSTER, SKEW_HI),
)
PAIR, MSG, RS, CHILD, MD, RQ, WIN, RT, STN, TK, HL, QUIET, SKEW = range(len(CLOCK_KINDS))
KIND_NAMES = tuple(k.name for k in CLOCK_KINDS)


def clock_of(clock_kind: int, args: tuple) -> tuple:
    """The clock an action with arguments `args` reads, of the given kind."""
    address = CLOCK_KINDS[clock_kind].address
    if address == BY_PAIR:
        return (clock_kind, args[0], args[1])
    if address == BY_SLOT:
        return (clock_kind, args[0], args[1], 0)
    if address == BY_CHILD:
        return (clock_kind, args[0], 0)
    if address == BY_GROUP:
        return (clock_kind, args[-1])
    if address == BY_CLUSTER:
        return (clock_kind,)
    return (clock_kind, args[0])


# --- an action's window -----------------------------------------------------------------------

class Window(NamedTuple):
    """What an action asks of one clock: `lo <= clock`; `clock <= hi` is the clock's
    obligation (CLOCK_KINDS), which forces the action or disables the step before it.
    `lo_exact`, when given, replaces `lo` while the clock's pair is EXACT (DEAD after
    the node's own boot). `flags`: for a pair's clock, the flags under which the action
    can read it (a flag changes only with a new period, which starts the clock afresh,
    so these are all the lower bounds a pair's clock meets while it has that flag)."""
    clock: int
    lo: tuple
    why: str = ""
    lo_exact: tuple | None = None
    why_exact: str = ""
    flags: tuple = ()
