"""Layer T (model.md section 7), compiled: the successors of symbolic timed states.

A symbolic state is a layer-D row, a flag per ordered pair of nodes (what started the
pair's current audible or inaudible period, as the receiver sees it: `model.timed`'s
TIGHT ... LATE_BOOT) and a zone over the clocks the state has. The rules are those of
`model/timed.py` (its docstring has the table of clocks, windows and obligations), which
stays the Python statement of them that the Z3 witness uses; this module computes the
same successors over batches, compiled, on every core. Both read the windows, bounds and
obligations from their one declaration (`model.clocks`, `model.schema.ACTIONS`):

- Clocks live in a fixed *universe* per configuration (a clock per pair, per message
  slot of each channel, per node's RSCRCVD timer, child, mach_down, per group's
  req_resource, and the variants'), numbered in the order `model.timed.clocks` lists
  them. A state's *active* clocks are a subset, determined by its row and flags
  (`active_clocks`), so a zone is stored over the active clocks only.
- A successor: the discrete action (`actions.take`), the action's window (its clock
  and lower bound, `window`), how clocks carry over (`carry`: the new flags, and for
  each new clock the old one it continues or "fresh"), the split at a boot that ties
  with the peer's start-up period, the obligations of the new state (upper bounds),
  time passing unless an own message waits, the obligations again, and each clock's
  LU bounds in the new state (`clock_bounds`: the largest constant it is compared with
  from below, L, and from above, U, before it starts again; a pair's by its flag).
  The zone is not extrapolated: the passed list's aLU inclusion is coarser than any
  extrapolation with those bounds (docs/timing.md), and an exact zone needs no closure.
- Symmetry: the least image over the configuration's automorphisms, ordered by the
  row, then the flags, then the zone (exhaustive over the group: a handful of nodes).

The row of a symbolic state (what the engine stores):

    [layer-D row: W bytes][flags: N*N bytes, padded to whole words][k: 1 byte][pad]
    [zone: (k+1)^2 int16][L: k int16][U: k int16]

the first two parts are the key the passed list groups zones by (`checker.zonestore`);
L and U are the LU bounds of the clocks, in the zone's order, which the passed list
reads for its aLU inclusion (NO_BOUND16 for none);

zone entries are the DBM bounds of `checker.zones` (2c+1 for <= c, 2c for < c), with
INF16 for none; entries past (k+1)^2 are 0.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from hacheck.checker.compiled import leaf
from hacheck.checker.zones import (
    INF, NO_BOUND, bound_above, constrain, copy_zone, extrapolate_lu, le, lt, transfer_into, up,
)
from hacheck.model import clocks as C
from hacheck.model.row import (
    CHLD, CONN, CRASHES_LEFT, DEAD, FW, GS, HEAL_PENDING, HEARD, MD, PH, PRE, R_RSCRCVD,
    RESTARTS_LEFT, RQ, RS, SHOT_PENDING, TIMER_ARMED, TOGGLES_LEFT, UP, VAR, WINDOW_CLOSED,
)
from hacheck.model.rules import take
from hacheck.model.schema import ACTIONS
from hacheck.model.state import (
    K_CAPACITY, K_EMAIL_TIMER, K_G, K_HEAL, K_N, K_QUEUES, K_STONITH, K_WIDTH, STATUS, ch,
    node, selfq,
)
from hacheck.model.symmetry import image_head, image_queues

TIGHT, LOOSE, EXACT, NORMAL, LATE_BOOT = C.TIGHT, C.LOOSE, C.EXACT, C.NORMAL, C.LATE_BOOT
# model.clocks' kinds, in universe order (suffixed where a state field has the name)
PAIR, MSG, RSC, CHILDC, MDC, RQC, WIN, RTC, STN, TKC, HLC, QUIETC, SKEWC = (
    C.PAIR, C.MSG, C.RS, C.CHILD, C.MD, C.RQ, C.WIN, C.RT, C.STN, C.TK, C.HL, C.QUIET, C.SKEW)
ADDRESS = np.array([k.address for k in C.CLOCK_KINDS], dtype=np.int64)
# each kind's obligation as a bound number (-1 for PAIR: by the flag, PAIR_OBLIGATION;
# -2: none)
OBLIGATION = np.array([-1 if k.obligation is None else -2 if k.obligation is C.NEVER
                       else C.bound_id(k.obligation) for k in C.CLOCK_KINDS], dtype=np.int64)
# a window on a clock of this kind asks nothing while the clock is absent
OPTIONAL = np.array([k.optional for k in C.CLOCK_KINDS], dtype=np.bool_)
PAIR_OBLIGATION = np.array([C.bound_id(C.PAIR_OBLIGATION[f]) if f in C.PAIR_OBLIGATION else -1
                            for f in range(max(C.PAIR_OBLIGATION) + 1)], dtype=np.int64)
# each action's window (model.schema.ACTIONS): its clock kind (-1: none) and lower bounds
WINDOW_CLOCK = np.array([-1 if a.window is None else a.window.clock for a in ACTIONS],
                        dtype=np.int64)
WINDOW_LO = np.array([0 if a.window is None else C.bound_id(a.window.lo) for a in ACTIONS],
                     dtype=np.int64)
WINDOW_LO_EXACT = np.array([-1 if a.window is None or a.window.lo_exact is None
                            else C.bound_id(a.window.lo_exact) for a in ACTIONS],
                           dtype=np.int64)
MAX_CHILDREN = 3
# what each action does to the clocks' anchors (model.schema.ACTIONS): pops the head of
# a channel or the oldest child, repeats a channel's head, restarts its node, waits for
# a peer's HEAR of its node's start-up heartbeat
POPS_CHANNEL = np.array([a.pops == "ch" for a in ACTIONS], dtype=np.bool_)
POPS_CHILD = np.array([a.pops == "chld" for a in ACTIONS], dtype=np.bool_)
REPEATS_CHANNEL = np.array([a.repeats == "ch" for a in ACTIONS], dtype=np.bool_)
RESTARTS = np.array([a.restarts for a in ACTIONS], dtype=np.bool_)
STARTS_QUIET = np.array([a.starts_quiet for a in ACTIONS], dtype=np.bool_)
WAITS_FOR_HEAR = np.array([a.waits_for_hear for a in ACTIONS], dtype=np.bool_)
FLAGS = max(C.FLAG_NAMES) + 1
NO_BOUND16 = np.int16(-32768)    # NO_BOUND in a row's int16 L and U
INF16 = np.int16(32767)
BOUND_CLOCKS = 3          # a model bound (STATUS): more active clocks than the row holds
NO_CLOCK = -1

# --- the timed geometry vector kt ------------------------------------------------------
(T_N, T_G, T_CAP, T_U, T_KMAX, T_W, T_FLAGS, T_ZK, T_ZONE, T_WT,
 T_K, T_D, T_Q, T_R, T_DMIN, T_DMAX, T_SMAX, T_T, T_EMAIL, T_STONITH, T_HEAL,
 T_QUIET, T_SKEW, T_QUIET_ON, T_SKEW_ON, T_FAULTS) = range(26)
T_BASE = 26               # kt[T_BASE + kind]: the first universe index of a kind
T_BOUND = T_BASE + len(C.CLOCK_KINDS)   # kt[T_BOUND + b]: bound b of model.clocks, in units
T_PAIR_L = T_BOUND + len(C.BOUNDS)      # kt[T_PAIR_L + flag]: L of a pair's clock with that flag
T_PAIR_U = T_PAIR_L + FLAGS              # kt[T_PAIR_U + flag]: its U
T_SIZE = T_PAIR_U + FLAGS

# the parameters of section 7 in kt, by model.timing's attribute names
PARAMS = {"K": T_K, "D": T_D, "Q": T_Q, "R": T_R, "dmin": T_DMIN, "dmax": T_DMAX,
          "smax": T_SMAX, "T": T_T, "quiet": T_QUIET, "skew": T_SKEW}


def timed_geometry(k: np.ndarray, units: dict, kmax: int, environment=(False, False, 0)
                   ) -> np.ndarray:
    """The vector of the timed layout: the discrete geometry's sizes, the universe's
    bases, the parameters in units, and the row layout for at most `kmax` clocks.
    `environment`: whether the quiet period and the boot skew are on, and the fault
    budget a run starts with (faults.quiet's clock starts with the first fault)."""
    N, G, cap = int(k[K_N]), int(k[K_G]), int(k[K_CAPACITY])
    pairs = N * (N - 1)
    sizes = [pairs, pairs * cap, N, N * MAX_CHILDREN, pairs, G, N, N, N, pairs, N, 1, 1]
    kt = np.zeros(T_SIZE, dtype=np.int64)
    base = 0
    for kind, size in enumerate(sizes):
        kt[T_BASE + kind] = base
        base += size
    W = int(k[K_WIDTH])
    kt[T_N], kt[T_G], kt[T_CAP], kt[T_U], kt[T_KMAX], kt[T_W] = N, G, cap, base, kmax, W
    kt[T_FLAGS] = W
    kt[T_ZK] = W + -(-(N * N) // 8) * 8      # the key (row and flags) is whole words
    kt[T_ZONE] = kt[T_ZK] + 2                 # int16 entries, aligned
    kt[T_WT] = -(-(kt[T_ZONE] + 2 * (kmax + 1) ** 2 + 4 * kmax) // 8) * 8
    for name, x in PARAMS.items():
        kt[x] = units[name]
    for b, bound in enumerate(C.BOUNDS):
        kt[T_BOUND + b] = C.value(bound, units)
    kt[T_EMAIL], kt[T_STONITH], kt[T_HEAL] = k[K_EMAIL_TIMER], k[K_STONITH], k[K_HEAL]
    kt[T_QUIET_ON], kt[T_SKEW_ON], kt[T_FAULTS] = environment
    P = {name: int(kt[x]) for name, x in PARAMS.items()}
    for flag in range(FLAGS):
        lows = [b for a in ACTIONS if a.window is not None and flag in a.window.flags
                for b in [a.window.lo_exact if flag == C.EXACT and a.window.lo_exact
                          else a.window.lo]]
        kt[T_PAIR_L + flag] = lower_bound([C.value(b, P) for b in lows], flag in C.TIED)
        kt[T_PAIR_U + flag] = (C.value(C.PAIR_OBLIGATION[flag], P)
                               if flag in C.PAIR_OBLIGATION else NO_BOUND)
    return kt


def lower_bound(values, tied: bool = False) -> int:
    """The L of a clock whose windows' lower bounds are `values`: the largest that says
    anything (`clock >= 0` always holds), else NO_BOUND; a tie compares it with 0."""
    return max([v for v in values if v > 0] + [0 if tied else NO_BOUND])


def universe(kt: np.ndarray):
    """Per universe index: (kind, a, b, c), and the LU constants of its clock."""
    N, cap = int(kt[T_N]), int(kt[T_CAP])
    P = {name: int(kt[x]) for name, x in PARAMS.items()}
    pairs = [(i, j) for i in range(N) for j in range(N) if i != j]
    clocks = ([(PAIR, i, j, 0) for i, j in pairs]
              + [(MSG, i, j, p) for i, j in pairs for p in range(cap)]
              + [(RSC, i, 0, 0) for i in range(N)]
              + [(CHILDC, i, c, 0) for i in range(N) for c in range(MAX_CHILDREN)]
              + [(MDC, i, j, 0) for i, j in pairs]
              + [(RQC, g, 0, 0) for g in range(int(kt[T_G]))]
              + [(WIN, i, 0, 0) for i in range(N)] + [(RTC, i, 0, 0) for i in range(N)]
              + [(STN, j, 0, 0) for j in range(N)] + [(TKC, i, j, 0) for i, j in pairs]
              + [(HLC, i, 0, 0) for i in range(N)] + [(QUIETC, 0, 0, 0), (SKEWC, 0, 0, 0)])
    assert len(clocks) == kt[T_U]
    # L: the largest constant a clock is compared with from below (a window's lower
    # bound); U: from above (an obligation). A pair's clock takes both from its flag
    # (kt[T_PAIR_L], kt[T_PAIR_U]); these are the largest over the flags.
    lows = {x: [] for x in range(len(C.CLOCK_KINDS))}
    for a in ACTIONS:
        if a.window is not None:
            lows[a.window.clock] += [C.value(b, P) for b in (a.window.lo, a.window.lo_exact)
                                     if b is not None]
    highs = {x: ([C.value(b, P) for b in ([k.obligation] if k.obligation is not None
                                          else C.PAIR_OBLIGATION.values())]
                 if k.obligation is not C.NEVER else [C.value(k.ceiling, P)])
             for x, k in enumerate(C.CLOCK_KINDS)}
    lu = {x: (lower_bound(lows[x], x == PAIR), max(highs[x])) for x in lows}
    table = np.array(clocks, dtype=np.int64).reshape(len(clocks), 4)
    L = np.array([lu[c[0]][0] for c in clocks], dtype=np.int64)
    U = np.array([lu[c[0]][1] for c in clocks], dtype=np.int64)
    return table, L, U


def clock_images(kt: np.ndarray, table: np.ndarray, group: np.ndarray,
                 group_of) -> np.ndarray:
    """For each automorphism (row p of `group`: node i goes to p[i]), the image of every
    universe index: a clock is renamed with its nodes (and a group clock with its
    group, `group_of(g, p)`)."""
    index = {tuple(int(x) for x in row): u for u, row in enumerate(table)}
    out = np.zeros((len(group), len(table)), dtype=np.int64)
    for x, pi in enumerate(group):
        for u, (kind, a, b, c) in enumerate(table):
            if C.CLOCK_KINDS[kind].address == C.BY_CLUSTER:
                img = (kind, 0, 0, 0)
            elif kind in (PAIR, MDC, TKC):
                img = (kind, pi[a], pi[b], 0)
            elif kind == MSG:
                img = (kind, pi[a], pi[b], c)
            elif kind == RQC:
                img = (kind, group_of(a, pi), 0, 0)
            elif kind == CHILDC:
                img = (kind, pi[a], b, 0)
            else:
                img = (kind, pi[a], 0, 0)
            out[x, u] = index[tuple(int(v) for v in img)]
    return out


# --- where clocks are in the universe -------------------------------------------------------

@njit(cache=True, inline="always")
def pair_index(kt, i, j):
    N = kt[T_N]
    return i * (N - 1) + j - (j > i)


@njit(cache=True, inline="always")
def u_pair(kt, i, j):
    return kt[T_BASE + PAIR] + pair_index(kt, i, j)


@njit(cache=True, inline="always")
def u_msg(kt, i, j, p):
    return kt[T_BASE + MSG] + pair_index(kt, i, j) * kt[T_CAP] + p


@njit(cache=True, inline="always")
def u_node(kt, kind, i):
    return kt[T_BASE + kind] + i


@njit(cache=True, inline="always")
def u_child(kt, i, c):
    return kt[T_BASE + CHILDC] + i * MAX_CHILDREN + c


@njit(cache=True, inline="always")
def u_pairs(kt, kind, i, j):
    return kt[T_BASE + kind] + pair_index(kt, i, j)


# --- the discrete conditions section 7 reads -------------------------------------------------

@njit(cache=True, inline="always")
def audible(k, s, i, j):
    """j is audible to i: j is up and the link is up."""
    return s[node(k, j) + PH] == UP and (s[CONN + i] >> j) & 1 == 1


@njit(cache=True, inline="always")
def hear_enabled(k, s, i, j):
    n = node(k, i)
    bit = 1 << j
    return (s[n + PH] == UP and audible(k, s, i, j)
            and ((s[n + HEARD] & bit) == 0 or (s[n + DEAD] & bit) != 0
                 or (k[K_HEAL] == 1 and (s[n + GS] & bit) == 0)))


@njit(cache=True, inline="always")
def dead_enabled(k, s, i, j):
    n = node(k, i)
    return s[n + PH] == UP and (s[n + DEAD] >> j) & 1 == 0 and not audible(k, s, i, j)


@njit(cache=True, inline="always")
def pair_active(k, s, i, j, flag):
    if s[node(k, i) + PH] == UP:
        return hear_enabled(k, s, i, j) or dead_enabled(k, s, i, j)
    return (flag == TIGHT or flag == LATE_BOOT) and audible(k, s, i, j)


@njit(cache=True, inline="always")
def rt_counting(k, s, i):
    n = node(k, i)
    return (s[n + PH] == UP and (s[n + VAR] & TIMER_ARMED) != 0
            and (k[K_EMAIL_TIMER] == 2 or (s[n + VAR] & WINDOW_CLOSED) == 0))


@leaf
def time_may_pass(k, s):
    """SELF's window is [0, 0]: no time passes while any own message waits."""
    for i in range(k[K_N]):
        if s[selfq(k, i)] != 0:
            return False
    return True


@leaf
def active_clocks(k, kt, s, flags, out):
    """The universe indices of the clocks of (s, flags), in order, into out; their
    number (-1 if more than out holds)."""
    N, G = k[K_N], k[K_G]
    n = 0
    cap = out.shape[0]

    for i in range(N):
        for j in range(N):
            if i != j and flags[i * N + j] != 0:
                if n == cap:
                    return -1
                out[n] = u_pair(kt, i, j)
                n += 1
    for i in range(N):
        for j in range(N):
            if i != j and (s[CONN + i] >> j) & 1:
                q = ch(k, i, j)
                for p in range(s[q]):
                    if n == cap:
                        return -1
                    out[n] = u_msg(kt, i, j, p)
                    n += 1
    for i in range(N):
        b = node(k, i)
        if s[b + PH] == UP and s[b + RS] == R_RSCRCVD:
            if n == cap:
                return -1
            out[n] = u_node(kt, RSC, i)
            n += 1
    for i in range(N):
        for c in range(s[node(k, i) + CHLD]):
            if n == cap:
                return -1
            out[n] = u_child(kt, i, c)
            n += 1
    for i in range(N):
        md = s[node(k, i) + MD]
        for j in range(N):
            if (md >> j) & 1:
                if n == cap:
                    return -1
                out[n] = u_pairs(kt, MDC, i, j)
                n += 1
    for g in range(G):
        if (s[RQ] >> g) & 1:
            if n == cap:
                return -1
            out[n] = kt[T_BASE + RQC] + g
            n += 1
    if kt[T_EMAIL] != 0:
        for i in range(N):
            b = node(k, i)
            if s[b + PH] == UP and (s[b + VAR] & WINDOW_CLOSED) == 0:
                if n == cap:
                    return -1
                out[n] = u_node(kt, WIN, i)
                n += 1
        for i in range(N):
            if rt_counting(k, s, i):
                if n == cap:
                    return -1
                out[n] = u_node(kt, RTC, i)
                n += 1
    if kt[T_STONITH] != 0:
        for j in range(N):
            if s[node(k, j) + VAR] & SHOT_PENDING:
                if n == cap:
                    return -1
                out[n] = u_node(kt, STN, j)
                n += 1
        if kt[T_STONITH] == 2:
            for i in range(N):
                b = node(k, i)
                if s[b + PH] != UP:
                    continue
                for j in range(N):
                    if (s[b + FW] >> j) & 1 and (s[node(k, j) + VAR] & SHOT_PENDING) == 0:
                        if n == cap:
                            return -1
                        out[n] = u_pairs(kt, TKC, i, j)
                        n += 1
    if kt[T_HEAL] != 0:
        for i in range(N):
            b = node(k, i)
            if s[b + PH] == UP and (s[b + VAR] & HEAL_PENDING) != 0:
                if n == cap:
                    return -1
                out[n] = u_node(kt, HLC, i)
                n += 1
    if kt[T_QUIET_ON] != 0 and quiet_running(k, kt, s):
        if n == cap:
            return -1
        out[n] = kt[T_BASE + QUIETC]
        n += 1
    if kt[T_SKEW_ON] != 0 and skew_running(k, s):
        if n == cap:
            return -1
        out[n] = kt[T_BASE + SKEWC]
        n += 1
    return n


@njit(cache=True, inline="always")
def quiet_running(k, kt, s):
    """The quiet period has an anchor (a boot or a fault) and a fault may still come."""
    left = s[CRASHES_LEFT] + s[RESTARTS_LEFT] + s[TOGGLES_LEFT]
    started = left < kt[T_FAULTS]
    for i in range(k[K_N]):
        if s[node(k, i) + PH] != PRE:
            started = True
    return started and left > 0


@njit(cache=True, inline="always")
def skew_running(k, s):
    """A node has booted and another has not."""
    pre = False
    booted = False
    for i in range(k[K_N]):
        if s[node(k, i) + PH] == PRE:
            pre = True
        else:
            booted = True
    return pre and booted


@njit(cache=True, inline="always")
def obligation(k, kt, table, s, flags, u):
    """The upper bound an obligation puts on clock u in (s, flags), in units; -1: none."""
    kind = table[u, 0]
    if kind == PAIR:
        i, j = table[u, 1], table[u, 2]
        if s[node(k, i) + PH] != UP:
            return -1     # kept only to tell a tie at i's boot
        return kt[T_BOUND + PAIR_OBLIGATION[flags[i * k[K_N] + j]]]
    if OBLIGATION[kind] < 0:
        return -1
    return kt[T_BOUND + OBLIGATION[kind]]


@njit(cache=True, inline="always")
def clock_index(kt, kind, a, b):
    """The universe index of the clock of `kind` an action with arguments (a, b) reads
    (model.clocks.clock_of)."""
    address = ADDRESS[kind]
    if address == C.BY_PAIR:
        return u_pairs(kt, kind, a, b)
    if address == C.BY_SLOT:
        return u_msg(kt, a, b, 0)
    if address == C.BY_CHILD:
        return u_child(kt, a, 0)
    if address == C.BY_GROUP:
        return kt[T_BASE + kind] + b
    if address == C.BY_CLUSTER:
        return kt[T_BASE + kind]
    return u_node(kt, kind, a)


@leaf
def window(k, kt, s, flags, kind, a, b):
    """(universe index of the clock the action's window bounds, its lower bound in
    units), or (NO_CLOCK, 0) for an action that may happen at any time: model.schema.ACTIONS'
    declaration of the window."""
    clock = WINDOW_CLOCK[kind]
    if clock < 0:
        return NO_CLOCK, 0
    lo = WINDOW_LO[kind]
    if WINDOW_LO_EXACT[kind] >= 0 and flags[a * k[K_N] + b] == EXACT:
        lo = WINDOW_LO_EXACT[kind]
    return clock_index(kt, clock, a, b), kt[T_BOUND + lo]


@leaf
def crash_allowed(k, s, flags, j):
    """CRASH(j) waits while an up, connected peer owes HEAR(i, j) for an audible period
    that began with j's boot or restart."""
    N = k[K_N]
    for i in range(N):
        if i != j:
            f = flags[i * N + j]
            if (f == TIGHT or f == LATE_BOOT) and hear_enabled(k, s, i, j):
                return False
    return True


# --- how clocks carry over a step ----------------------------------------------------------

FRESH = -1       # origin: a clock whose anchor is this step
TIE = -2         # origin: i boots while pair(i, j) is TIGHT (the caller splits)


@leaf
def carry(k, kt, s, flags, kind, a, b, t, new_flags, origin):
    """For the step s --(kind a b)--> t: the flags of t, and for each universe index of a
    clock t may have, the universe index of the clock of s it continues, FRESH or TIE
    (then the pair's old clock is its own index). `origin` is only meaningful for the
    clocks active in t. Mirrors model.timed.carry; returns False if a pair became due
    without a new period (a misreading of section 7)."""
    N = k[K_N]
    restarted_node = a if RESTARTS[kind] else -1
    for x in range(N * N):
        new_flags[x] = 0
    for i in range(N):
        for j in range(N):
            if i == j:
                continue
            x = i * N + j
            before, after = audible(k, s, i, j), audible(k, t, i, j)
            restarted = restarted_node == i or restarted_node == j
            if restarted and restarted_node == j:
                before = False
            booted = (s[node(k, i) + PH] != UP or restarted) and t[node(k, i) + PH] == UP
            u = u_pair(kt, i, j)
            if booted:
                if not after:
                    flag, src = EXACT, FRESH
                elif flags[x] == TIGHT:
                    flag, src = TIGHT, TIE
                elif flags[x] == LATE_BOOT:
                    flag, src = LATE_BOOT, FRESH
                else:
                    flag, src = LOOSE, FRESH
            elif before != after:
                if after:
                    flag = TIGHT if (s[node(k, j) + PH] != UP or restarted) else LOOSE
                else:
                    flag = NORMAL
                src = FRESH
            else:
                flag = flags[x]
                src = u if flags[x] != 0 else FRESH
            if not pair_active(k, t, i, j, flag):
                flag = 0
            elif not booted and before == after and flags[x] == 0:
                return False
            new_flags[x] = flag
            origin[u] = src
    for i in range(N):
        for j in range(N):
            if i == j:
                continue
            healed = (s[CONN + i] >> j) & 1 == 0
            old_len = s[ch(k, i, j)]
            popped = 1 if (POPS_CHANNEL[kind] and a == i and b == j) else 0
            duplicated = REPEATS_CHANNEL[kind] and a == i and b == j and not healed
            for p in range(t[ch(k, i, j)]):
                u = u_msg(kt, i, j, p)
                if duplicated:
                    origin[u] = u_msg(kt, i, j, p - 1 if p > 0 else 0)
                elif healed or p + popped >= old_len:
                    origin[u] = FRESH
                else:
                    origin[u] = u_msg(kt, i, j, p + popped)
    for i in range(N):
        nb = node(k, i)
        u = u_node(kt, RSC, i)
        origin[u] = u if (s[nb + PH] == UP and s[nb + RS] == R_RSCRCVD) else FRESH
        for c in range(t[nb + CHLD]):
            u = u_child(kt, i, c)
            if POPS_CHILD[kind] and a == i:
                origin[u] = u_child(kt, i, c + 1)
            else:
                origin[u] = u if c < s[nb + CHLD] else FRESH
        for j in range(N):
            if j != i:
                u = u_pairs(kt, MDC, i, j)
                origin[u] = u if (s[nb + MD] >> j) & 1 else FRESH
    for g in range(k[K_G]):
        u = kt[T_BASE + RQC] + g
        origin[u] = u if (s[RQ] >> g) & 1 else FRESH
    # the variants' clocks: kept while their condition holds, fresh when it starts to (a
    # restart ends every one of its node's, but a reset asked of the fencing device)
    if kt[T_EMAIL] != 0:
        for i in range(N):
            nb = node(k, i)
            u = u_node(kt, WIN, i)
            had = s[nb + PH] == UP and (s[nb + VAR] & WINDOW_CLOSED) == 0
            origin[u] = u if had and i != restarted_node else FRESH
            u = u_node(kt, RTC, i)
            origin[u] = u if rt_counting(k, s, i) and i != restarted_node else FRESH
    if kt[T_STONITH] != 0:
        for j in range(N):
            u = u_node(kt, STN, j)
            origin[u] = u if s[node(k, j) + VAR] & SHOT_PENDING else FRESH
        if kt[T_STONITH] == 2:
            for i in range(N):
                nb = node(k, i)
                for j in range(N):
                    if j == i:
                        continue
                    u = u_pairs(kt, TKC, i, j)
                    had = (s[nb + PH] == UP and (s[nb + FW] >> j) & 1
                           and (s[node(k, j) + VAR] & SHOT_PENDING) == 0)
                    origin[u] = u if had and i != restarted_node else FRESH
    if kt[T_HEAL] != 0:
        for i in range(N):
            nb = node(k, i)
            u = u_node(kt, HLC, i)
            had = s[nb + PH] == UP and (s[nb + VAR] & HEAL_PENDING) != 0
            origin[u] = u if had and i != restarted_node else FRESH
    # the environment's: a fault or a boot starts the quiet period again; the skew runs
    # from the first boot
    if kt[T_QUIET_ON] != 0:
        u = kt[T_BASE + QUIETC]
        had = quiet_running(k, kt, s)
        origin[u] = u if had and not STARTS_QUIET[kind] else FRESH
    if kt[T_SKEW_ON] != 0:
        u = kt[T_BASE + SKEWC]
        origin[u] = u if skew_running(k, s) else FRESH
    return True


# --- reading and writing a symbolic state's row ---------------------------------------------

@leaf
def read_zone(kt, row, z):
    """The zone of a timed row into the top-left (k+1) x (k+1) of z (int64); k."""
    K = row[kt[T_ZK]]
    entries = row[kt[T_ZONE]:kt[T_ZONE] + 2 * (K + 1) * (K + 1)].view(np.int16)
    for a in range(K + 1):
        for b in range(K + 1):
            v = entries[a * (K + 1) + b]
            z[a, b] = INF if v == INF16 else v
    return K


@leaf
def write_zone(kt, rows, rows16, r, z, K):
    """The (K+1) x (K+1) zone z into the timed row rows[r]; rows16 is rows viewed as
    int16, made once by the caller (in compiled code every array view costs an atomic
    reference count). Entries past the zone are left as they are (a row rewritten in
    place keeps its number of clocks; `clear_tail` zeroes them in a new row)."""
    rows[r, kt[T_ZK]] = K
    start = kt[T_ZONE]
    for x in range(kt[T_ZK] + 1, start):
        rows[r, x] = 0
    at = start // 2
    for a in range(K + 1):
        for b in range(K + 1):
            v = z[a, b]
            rows16[r, at] = INF16 if v >= INF else v
            at += 1


ZONE_LIMIT = 8 * 1024     # units: a bound beyond +-this is extrapolated (int16 holds 2c+1)


@leaf
def beyond(z, n, limit):
    """Some finite bound of the zone's top-left n x n is beyond +-limit."""
    for a in range(n):
        for b in range(n):
            v = z[a, b]
            if v < INF and (v > 2 * limit or v < -2 * limit):
                return True
    return False


@leaf
def clear_tail(kt, rows, r, K):
    """Zero the bytes of rows[r] past its zone of K clocks and their L and U: the
    successors' buffer may be one the engine is done with, and equal states must be
    equal rows."""
    for x in range(kt[T_ZONE] + 2 * (K + 1) * (K + 1) + 4 * K, kt[T_WT]):
        rows[r, x] = 0


@leaf
def clock_bounds(kt, table, L, U, flags, active, K, lower, upper):
    """lower[c], upper[c] (c = 1..K): the LU bounds of the active clocks (universe
    indices active[0..K-1]) in a state with these pair flags."""
    N = kt[T_N]
    for c in range(K):
        u = active[c]
        if table[u, 0] == PAIR:
            f = flags[table[u, 1] * N + table[u, 2]]
            lower[c + 1] = kt[T_PAIR_L + f]
            upper[c + 1] = kt[T_PAIR_U + f]
        else:
            lower[c + 1] = L[u]
            upper[c + 1] = U[u]


@leaf
def write_lu(kt, rows16, r, K, lower, upper):
    """The LU bounds of rows[r]'s K clocks after its zone (int16, NO_BOUND16 for none)."""
    at = kt[T_ZONE] // 2 + (K + 1) * (K + 1)
    for c in range(1, K + 1):
        rows16[r, at + c - 1] = NO_BOUND16 if lower[c] < 0 else lower[c]
        rows16[r, at + K + c - 1] = NO_BOUND16 if upper[c] < 0 else upper[c]


# --- symmetry ------------------------------------------------------------------------------------

@leaf
def _compare(m, a, b, n):
    """-1, 0 or 1 as row a of the matrix m is less than, equal to or greater than row b,
    over the first n entries (indexing only: no array views)."""
    for x in range(n):
        if m[a, x] != m[b, x]:
            return -1 if m[a, x] < m[b, x] else 1
    return 0


@leaf
def _compare_zones(zs, a, b, K):
    for x in range(K + 1):
        for y in range(K + 1):
            if zs[a, x, y] != zs[b, x, y]:
                return -1 if zs[a, x, y] < zs[b, x, y] else 1
    return 0


@leaf
def _compare_with(words, m, b, n):
    """-1, 0 or 1 as the 64-bit words `words` are less than, equal to or greater than row
    b of the matrix m, over the first n entries."""
    for x in range(n):
        if words[x] != m[b, x]:
            return -1 if words[x] < m[b, x] else 1
    return 0


@leaf
def _compare_flags(row, at, m, b, n):
    """As `_compare_with`, for row[at:at+n] (bytes) against row b of m."""
    for x in range(n):
        if row[at + x] != m[b, x]:
            return -1 if row[at + x] < m[b, x] else 1
    return 0


@leaf
def _compare_zone_with(z, zs, b, K):
    """As `_compare_zones`, for z against zs[b]."""
    for x in range(K + 1):
        for y in range(K + 1):
            if z[x, y] != zs[b, x, y]:
                return -1 if z[x, y] < zs[b, x, y] else 1
    return 0


@leaf
def canonical_timed(k, kt, row, group, images, active, K, z, rows, rows_w, flag_rows, ints,
                    zs):
    """row := the least image of the symbolic state over the automorphisms (rows of
    `group`), ordered by the layer-D row (as 64-bit words), then the flags, then the
    zone; z := that image's zone. True if an image other than the state itself was
    chosen; its clock c is then the state's clock ints[4, c] (0-based). `active`/K/z:
    the state's clocks and zone. Scratch: rows (2, W) uint8 and rows_w, the same as
    64-bit words (row 0 the best image so far, row 1 the candidate), flag_rows (2, N*N)
    uint8, ints (5, >= max(K, N)) int64, zs (2, KMAX+1, KMAX+1) int64 (0 best, 1
    candidate). Until an image wins, the best is the state itself, read in place (most
    states are their own canonical form). Scratch is indexed, not sliced: in compiled
    code every array view costs an atomic reference count."""
    W, N = kt[T_W], kt[T_N]
    NN = N * N
    cand = rows[1]
    order, pi, act, pos, best_pos = ints[0], ints[1], ints[2], ints[3], ints[4]
    words, head_words = W // 8, k[K_QUEUES] // 8
    row_w = row[:W].view(np.uint64)
    won = False
    for g in range(1, group.shape[0]):
        for i in range(N):
            pi[i] = group[g, i]
            order[group[g, i]] = i
        # the head (globals, links, nodes) decides most comparisons: the queues' image
        # only when it ties or wins
        image_head(k, row, cand, order, pi)
        head = (_compare(rows_w, 0, 1, head_words) if won
                else _compare_with(row_w, rows_w, 1, head_words))
        if head < 0:
            continue
        image_queues(k, row, cand, order, pi)
        by_row = (_compare(rows_w, 0, 1, words) if won
                  else _compare_with(row_w, rows_w, 1, words))
        if by_row < 0:
            continue
        for i in range(N):
            for j in range(N):
                flag_rows[1, pi[i] * N + pi[j]] = row[W + i * N + j]
        if by_row == 0:
            by_flags = (_compare(flag_rows, 0, 1, NN) if won
                        else _compare_flags(row, W, flag_rows, 1, NN))
        else:
            by_flags = 1
        if by_flags < 0:
            continue
        # the clocks renamed, then put in universe order, with their old positions
        for c in range(K):
            act[c] = images[g, active[c]]
            pos[c] = c
        for c in range(1, K):
            v, p = act[c], pos[c]
            y = c
            while y > 0 and act[y - 1] > v:
                act[y] = act[y - 1]
                pos[y] = pos[y - 1]
                y -= 1
            act[y], pos[y] = v, p
        for a in range(K + 1):
            oa = 0 if a == 0 else pos[a - 1] + 1
            for b in range(K + 1):
                ob = 0 if b == 0 else pos[b - 1] + 1
                zs[1, a, b] = z[oa, ob]
        if by_flags == 0:
            by_zone = (-_compare_zones(zs, 0, 1, K) if won
                       else -_compare_zone_with(z, zs, 1, K))
            if by_zone >= 0:
                continue
        won = True
        for x in range(W):
            rows[0, x] = rows[1, x]
        for x in range(NN):
            flag_rows[0, x] = flag_rows[1, x]
        for a in range(K + 1):
            for b in range(K + 1):
                zs[0, a, b] = zs[1, a, b]
        for c in range(K):
            best_pos[c] = pos[c]
    if not won:
        return False
    for x in range(W):
        row[x] = rows[0, x]
    for x in range(NN):
        row[W + x] = flag_rows[0, x]
    for a in range(K + 1):
        for b in range(K + 1):
            z[a, b] = zs[0, a, b]
    return True


# --- the successors of a batch -----------------------------------------------------------------

BOUND_MISREAD = 4         # a model bound: a pair became due without a new period


@leaf
def expand_timed(k, kt, table, L, U, kinds, arg_a, arg_b, src, symmetry, group, images,
                 out, out16, first, action, base, active0, active1, pos, origin, nflags, fl,
                 src_of, ties, his, z0, z1, z2, z3, lower, upper, scratch, changed, rows,
                 rows_w, flag_rows, ints, zs):
    """The successors of the symbolic state `src` into out[first:] (out16: the same
    viewed as int16), their actions into action[first:]: (how many, a model bound hit).
    The loop over actions indexes its scratch rather than slicing it: in compiled code
    every array view costs an atomic reference count (see checker.compiled)."""
    W, N = kt[T_W], kt[T_N]
    NN = N * N
    s = src[:W]
    flags_s = src[W:W + NN]
    K0 = active_clocks(k, kt, s, flags_s, active0)
    read_zone(kt, src, z0)
    for c in range(kt[T_U]):
        pos[c] = 0
    for c in range(K0):
        pos[active0[c]] = c + 1
    n = 0
    status = 0
    for a in range(kinds.shape[0]):
        kind = kinds[a]
        if not take(k, kind, arg_a[a], arg_b[a], s, base):
            continue
        if base[STATUS] != 0:
            status = base[STATUS]
            base[STATUS] = 0
        if WAITS_FOR_HEAR[kind] and not crash_allowed(k, s, flags_s, arg_a[a]):
            continue
        # the zone the action is taken from: z0, or the part of it the window allows
        # (copied only if the window cuts it)
        zw = z0
        u_w, lo = window(k, kt, s, flags_s, kind, arg_a[a], arg_b[a])
        if u_w != NO_CLOCK:
            p = pos[u_w]
            if p == 0 and not OPTIONAL[WINDOW_CLOCK[kind]]:
                status = BOUND_MISREAD      # an enabled action without its clock
                continue
            if p != 0 and le(-lo) < z0[0, p]:
                copy_zone(z0, z1, K0 + 1)
                if not constrain(z1, 0, p, le(-lo), K0 + 1):
                    continue
                zw = z1
        if not carry(k, kt, s, flags_s, kind, arg_a[a], arg_b[a], base, nflags, origin):
            status = BOUND_MISREAD
            continue
        K1 = active_clocks(k, kt, base, nflags, active1)
        if K1 < 0 or K1 > kt[T_KMAX]:
            status = BOUND_CLOCKS
            continue
        nt = 0
        for c in range(K1):
            o = origin[active1[c]]
            if o == TIE:
                ties[nt] = c
                nt += 1
                src_of[c] = 0
            else:
                src_of[c] = 0 if o == FRESH else pos[o]
        his[0] = INF
        for c in range(K1):
            h = obligation(k, kt, table, base, nflags, active1[c])
            his[c + 1] = le(h) if h >= 0 else INF
        passes = time_may_pass(k, base)
        for combo in range(1 << nt):
            zt = zw
            if nt > 0:                     # the split at a boot: on a copy
                copy_zone(zw, z2, K0 + 1)
                zt = z2
            for x in range(NN):
                fl[x] = nflags[x]
            ok = True
            for x in range(nt):
                c = ties[x]
                old = pos[active1[c]]      # the pair's own clock, in s
                if (combo >> x) & 1 == 0:  # the peer booted at this very instant
                    ok = ok and constrain(z2, old, 0, le(0), K0 + 1)
                    src_of[c] = old
                else:                      # later: this node's boot is the anchor
                    ok = ok and constrain(z2, 0, old, lt(0), K0 + 1)
                    src_of[c] = 0
                    i, j = table[active1[c], 1], table[active1[c], 2]
                    fl[i * N + j] = LATE_BOOT
            if not ok:
                continue
            clock_bounds(kt, table, L, U, fl, active1, K1, lower, upper)
            transfer_into(zt, src_of, K1, z3)
            if not bound_above(z3, his, scratch, K1 + 1):
                continue
            if passes:
                up(z3, K1 + 1)
                bound_above(z3, his, scratch, K1 + 1)
            # no extrapolation: the passed list's aLU inclusion is as coarse as it gets
            # (and coarser than Extra+_LU), and exact zones cost no closure; only a zone
            # whose constants outgrow a row's int16 bounds is extrapolated
            if beyond(z3, K1 + 1, ZONE_LIMIT):
                extrapolate_lu(z3, lower, upper, scratch, changed, K1 + 1)
            r = first + n
            for x in range(W):
                out[r, x] = base[x]
            for x in range(NN):
                out[r, W + x] = fl[x]
            for x in range(W + NN, kt[T_ZK]):
                out[r, x] = 0
            if symmetry and canonical_timed(k, kt, out[r], group, images, active1, K1, z3,
                                            rows, rows_w, flag_rows, ints, zs):
                # the clocks renamed: their bounds, in the image's order
                for c in range(K1):
                    ints[5, c + 1] = lower[ints[4, c] + 1]
                    ints[6, c + 1] = upper[ints[4, c] + 1]
                write_lu(kt, out16, r, K1, ints[5], ints[6])
            else:
                write_lu(kt, out16, r, K1, lower, upper)
            write_zone(kt, out, out16, r, z3, K1)
            clear_tail(kt, out, r, K1)
            action[first + n] = a
            n += 1
    return n, status


@njit(cache=True)
def _scratch_run(k, kt, table, L, U, kinds, arg_a, arg_b, rows_in, lo, hi, symmetry, group,
                 images, slots, out, action, counts, status):
    W, N, KM, UU = kt[T_W], kt[T_N], kt[T_KMAX], kt[T_U]
    NN = N * N
    base = np.empty(W, dtype=np.uint8)
    active0 = np.empty(UU, dtype=np.int64)
    active1 = np.empty(KM + 1, dtype=np.int64)
    pos = np.empty(UU, dtype=np.int64)
    origin = np.empty(UU, dtype=np.int64)
    nflags = np.empty(NN, dtype=np.uint8)
    fl = np.empty(NN, dtype=np.uint8)
    src_of = np.empty(KM + 1, dtype=np.int64)
    ties = np.empty(N + 1, dtype=np.int64)
    his = np.empty(KM + 1, dtype=np.int64)
    big = max(UU, KM) + 1
    z0 = np.empty((big, big), dtype=np.int64)
    z1 = np.empty((big, big), dtype=np.int64)
    z2 = np.empty((big, big), dtype=np.int64)
    z3 = np.empty((KM + 1, KM + 1), dtype=np.int64)
    lower = np.zeros(KM + 1, dtype=np.int64)
    upper = np.zeros(KM + 1, dtype=np.int64)
    scratch = np.empty(KM + 1, dtype=np.int64)
    changed = np.empty((KM + 1) * (KM + 1), dtype=np.int64)
    rows = np.empty((2, W), dtype=np.uint8)
    rows_w = rows.view(np.uint64)
    flag_rows = np.empty((2, NN), dtype=np.uint8)
    ints = np.empty((7, max(KM, N) + 1), dtype=np.int64)
    zs = np.empty((2, KM + 1, KM + 1), dtype=np.int64)
    out16 = out.view(np.int16)
    for r in range(lo, hi):
        counts[r], status[r] = expand_timed(
            k, kt, table, L, U, kinds, arg_a, arg_b, rows_in[r], symmetry, group, images,
            out, out16, r * slots, action, base, active0, active1, pos, origin, nflags, fl,
            src_of, ties, his, z0, z1, z2, z3, lower, upper, scratch, changed, rows,
            rows_w, flag_rows, ints, zs)


@njit(cache=True, parallel=True, nogil=True)
def timed_successors(k, kt, table, L, U, kinds, arg_a, arg_b, rows_in, symmetry, group,
                     images, slots, blocks, out, action, counts, status):
    """For each row r: its successors in out[r*slots : r*slots + counts[r]]."""
    R = rows_in.shape[0]
    per = (R + blocks - 1) // blocks
    for b in prange(blocks):
        _scratch_run(k, kt, table, L, U, kinds, arg_a, arg_b, rows_in, b * per,
                     min(R, (b + 1) * per), symmetry, group, images, slots, out, action,
                     counts, status)


@njit(cache=True, nogil=True)
def timed_successors_serial(k, kt, table, L, U, kinds, arg_a, arg_b, rows_in, symmetry,
                            group, images, slots, out, action, counts, status):
    _scratch_run(k, kt, table, L, U, kinds, arg_a, arg_b, rows_in, 0, rows_in.shape[0],
                 symmetry, group, images, slots, out, action, counts, status)


@njit(cache=True)
def canonical_timed_rows(k, kt, table, L, U, rows_in, group, images):
    """Every timed row replaced by its canonical form (in place)."""
    W, N, KM, UU = kt[T_W], kt[T_N], kt[T_KMAX], kt[T_U]
    NN = N * N
    active = np.empty(UU, dtype=np.int64)
    big = max(UU, KM) + 1
    z = np.empty((big, big), dtype=np.int64)
    rows = np.empty((2, W), dtype=np.uint8)
    rows_w = rows.view(np.uint64)
    flag_rows = np.empty((2, NN), dtype=np.uint8)
    ints = np.empty((7, max(KM, N) + 1), dtype=np.int64)
    zs = np.empty((2, big, big), dtype=np.int64)
    lower = np.empty(big, dtype=np.int64)
    upper = np.empty(big, dtype=np.int64)
    rows16 = rows_in.view(np.int16)
    for r in range(rows_in.shape[0]):
        row = rows_in[r]
        K = active_clocks(k, kt, row[:W], row[W:W + NN], active)
        read_zone(kt, row, z)
        canonical_timed(k, kt, row, group, images, active, K, z, rows, rows_w, flag_rows,
                        ints, zs)
        write_zone(kt, rows_in, rows16, r, z, K)
        active_clocks(k, kt, row[:W], row[W:W + NN], active)
        clock_bounds(kt, table, L, U, row[W:W + NN], active, K, lower, upper)
        write_lu(kt, rows16, r, K, lower, upper)


@njit(cache=True)
def time_can_pass_rows(k, kt, rows_in, out):
    """out[r]: no own message waits and no obligation bounds the clocks of row r."""
    W = kt[T_W]
    for r in range(rows_in.shape[0]):
        row = rows_in[r]
        ok = time_may_pass(k, row[:W])
        K = row[kt[T_ZK]]
        entries = row[kt[T_ZONE]:kt[T_ZONE] + 2 * (K + 1) * (K + 1)].view(np.int16)
        for a in range(1, K + 1):
            if entries[a * (K + 1)] != INF16:
                ok = False
        out[r] = ok
