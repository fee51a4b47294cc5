"""Layer T's layout, compiled code's view of `model.clocks`: the clock universe of a
configuration (a clock per pair, per message slot of each channel, per node's RSCRCVD
timer, child, mach_down, per group's req_resource, and the variants'), each kind's
obligation and each action's window as arrays indexed by kind and action, and the
geometry vector kt (the universe's bases, the parameters in units, the row layout) that
`model.timed_kernel` reads. All of it derived from the one declaration in `model.clocks`
and `model.schema.ACTIONS`."""

from __future__ import annotations

import numpy as np
from numba import njit

from hacheck.checker.zones import (
    NO_BOUND,
)
from hacheck.model import clocks as C
from hacheck.model.schema import ACTIONS
from hacheck.model.state import (
    K_CAPACITY, K_EMAIL_TIMER, K_G, K_HEAL, K_N, K_STONITH, K_WIDTH,
)


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
