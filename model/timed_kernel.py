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
  them (`model.timed_geometry`, with the geometry vector kt). A state's *active* clocks are a subset, determined by its row and flags
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
  row, then the flags, then the zone (`model.timed_symmetry`).

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
    INF, bound_above, constrain, copy_zone, extrapolate_lu, le, lt, transfer_into, up,
)
from hacheck.model import clocks as C
from hacheck.model.row import (
    CHLD, CONN, CRASHES_LEFT, DEAD, FW, GS, HEAL_PENDING, HEARD, MD, PH, PRE, R_RSCRCVD,
    RESTARTS_LEFT, RQ, RS, SHOT_PENDING, TIMER_ARMED, TOGGLES_LEFT, UP, VAR, WINDOW_CLOSED,
)
from hacheck.model.rules import take
from hacheck.model.state import (
    K_EMAIL_TIMER, K_G, K_HEAL, K_N, STATUS, ch,
    node, selfq,
)
from hacheck.model.timed_geometry import (
    ADDRESS, BOUND_CLOCKS, EXACT, HLC, INF16, LATE_BOOT, LOOSE, MDC, NORMAL, NO_BOUND16,
    NO_CLOCK, OBLIGATION, OPTIONAL, PAIR, PAIR_OBLIGATION, POPS_CHANNEL, POPS_CHILD,
    QUIETC, REPEATS_CHANNEL, RESTARTS, RQC, RSC, RTC, SKEWC, STARTS_QUIET, STN, TIGHT,
    TKC, T_BASE, T_BOUND, T_EMAIL, T_FAULTS, T_HEAL, T_KMAX, T_N, T_PAIR_L, T_PAIR_U,
    T_QUIET_ON, T_SKEW_ON, T_STONITH, T_U, T_W, T_WT, T_ZK, T_ZONE, WAITS_FOR_HEAR, WIN,
    WINDOW_CLOCK, WINDOW_LO, WINDOW_LO_EXACT, u_child, u_msg, u_node, u_pair, u_pairs,
)
from hacheck.model.timed_symmetry import canonical_timed


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
