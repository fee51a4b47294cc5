"""Zones: convex sets of clock valuations as difference-bound matrices (DBMs).

The UPPAAL representation (Bengtsson and Yi, "Timed Automata: Semantics, Algorithms and
Tools", 2004). Clock 0 is the reference clock, always 0; entry `z[i, j]` bounds
`x_i - x_j`. A bound is stored as one integer, `2c + 1` for `<= c` and `2c` for `< c`, so
that comparing bounds is comparing integers; `INF` is "no bound". Every function keeps
its zone closed (canonical: every entry is the tightest bound implied), so that two
zones are equal iff their matrices are, and inclusion is an element-wise comparison.
`alu_included` is the coarser inclusion of a zone in the aLU abstraction of another,
which the passed list of the timed search uses: given each clock's LU bounds (the
largest constants it is compared with from below and from above), no guard or
invariant tells the zones apart.

The engine's timed search uses these; a model says which clocks exist in a state and
which bounds its actions and obligations put on them. Constants are whole numbers (the
model scales its time unit so that they are), which is exact for closed and strict
bounds alike.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hacheck.checker.compiled import leaf

INF = np.int64(1 << 60)
LE_ZERO = np.int64(1)
NO_BOUND = -(1 << 40)     # an L or U bound: the clock is never compared from that side


@leaf
def le(c):
    return 2 * c + 1


@leaf
def lt(c):
    return 2 * c


@leaf
def _add(a, b):
    if a >= INF or b >= INF:
        return INF
    return ((a >> 1) + (b >> 1)) * 2 + (a & b & 1)


def zero(n_clocks: int) -> np.ndarray:
    """Every clock 0: the zone of a state entered at this instant."""
    return np.full((n_clocks + 1, n_clocks + 1), LE_ZERO, dtype=np.int64)


@leaf
def close(z, n=-1):
    """Floyd-Warshall: every entry becomes the tightest implied bound. False if empty.
    With n >= 0, the zone is z's top-left n x n (so that a caller with scratch matrices
    makes no array views, each an atomic reference count in compiled code)."""
    if n < 0:
        n = z.shape[0]
    for k in range(n):
        for i in range(n):
            zik = z[i, k]
            if zik >= INF:
                continue
            for j in range(n):
                s = _add(zik, z[k, j])
                if s < z[i, j]:
                    z[i, j] = s
    for i in range(n):
        if z[i, i] < LE_ZERO:
            return False
    return True


@leaf
def constrain(z, i, j, bound, n=-1):
    """z := z and (x_i - x_j `bound`), kept closed in O(n^2). False if that is empty.
    (n as in `close`.)"""
    if _add(z[j, i], bound) < LE_ZERO:
        return False
    if bound >= z[i, j]:
        return True
    z[i, j] = bound
    if n < 0:
        n = z.shape[0]
    for a in range(n):
        zai = _add(z[a, i], bound)
        if zai >= INF:
            continue
        for b in range(n):
            s = _add(zai, z[j, b])
            if s < z[a, b]:
                z[a, b] = s
    return True


@leaf
def bound_above(z, bound, scratch, n=-1):
    """z := z and (x_c <= bound[c]) for every clock c >= 1 with bound[c] < INF (index 0
    unused), kept closed in O(n^2) for all of them at once, where one `constrain` each
    would take O(n^3). False if that is empty. Every new bound ends at the reference
    clock, and a shortest path passes through it at most once, so the new tightest
    bound from a clock is d[a] = min over c of (z[a, c] + bound[c]), and an entry
    z[a, b] can only improve to d[a] + z[0, b]. `scratch`: n int64. (n as in `close`.)"""
    if n < 0:
        n = z.shape[0]
    d = scratch
    any_bound = False
    for a in range(n):
        best = z[a, 0]
        for c in range(1, n):
            if bound[c] < INF:
                s = _add(z[a, c], bound[c])
                if s < best:
                    best = s
        d[a] = best
        if best < z[a, 0]:
            any_bound = True
    if not any_bound:
        return True
    for a in range(n):
        if _add(d[a], z[0, a]) < LE_ZERO:
            return False
    for a in range(n):
        da = d[a]
        if da >= z[a, 0]:
            continue
        z[a, 0] = da
        for b in range(1, n):
            s = _add(da, z[0, b])
            if s < z[a, b]:
                z[a, b] = s
    return True


@leaf
def up(z, n=-1):
    """Let time pass: no upper bound on any clock (lower bounds and differences stay).
    (n as in `close`.)"""
    if n < 0:
        n = z.shape[0]
    for i in range(1, n):
        z[i, 0] = INF


@njit(cache=True)
def transfer(z, source):
    """The zone over new clocks: new clock a is old clock source[a] (1-based old index), or
    a clock reset to 0 now if source[a] == 0. Clocks not named are forgotten. A closed
    zone stays closed: a reset clock is a copy of the reference clock."""
    n = source.shape[0] + 1
    out = np.empty((n, n), dtype=np.int64)
    for a in range(n):
        sa = 0 if a == 0 else source[a - 1]
        for b in range(n):
            sb = 0 if b == 0 else source[b - 1]
            out[a, b] = z[sa, sb]
        out[a, a] = LE_ZERO
    return out


@leaf
def copy_zone(z, out, n):
    """out's top-left n x n := z's (by index: no array views)."""
    for a in range(n):
        for b in range(n):
            out[a, b] = z[a, b]


@leaf
def transfer_into(z, source, n, out):
    """`transfer` into out[:n+1, :n+1] (no allocation): new clock a is old clock
    source[a-1], or a clock reset to 0 now if that is 0."""
    for a in range(n + 1):
        sa = 0 if a == 0 else source[a - 1]
        for b in range(n + 1):
            sb = 0 if b == 0 else source[b - 1]
            out[a, b] = z[sa, sb]
        out[a, a] = LE_ZERO


@leaf
def extrapolate_lu(z, lower, upper, row0, changed, n=-1):
    """Extra+_LU (Behrmann, Bouyer, Larsen, Pelanek 2006): `lower[i]` is the largest
    constant clock i is compared with from below (x >= c), `upper[i]` from above
    (x <= c), both for i >= 1 (index 0 unused; NO_BOUND: never). A bound on x_i - x_j is forgotten when
    it exceeds L(x_i), or x_i is already beyond L(x_i), or x_j beyond U(x_j); a lower
    bound of x_j beyond U(x_j) becomes "> U(x_j)". Sound and complete for the
    reachability of discrete states when guards and invariants compare clocks with
    constants only, as here, and coarser than Extra_M (fewer zones). Scratch: `row0`
    of z's size, `changed` n*n int64. (n as in `close`.)

    The zone is closed again in O(n * changed entries) rather than O(n^3): every change
    loosens a bound, so a path of the new graph is no shorter than in the old one, and
    an entry left alone is still its tightest bound. Floyd-Warshall that updates only
    the loosened entries is then exact (each value it reads is a real path's weight, no
    larger than the one the full algorithm would read)."""
    if n < 0:
        n = z.shape[0]
    for j in range(n):
        row0[j] = z[0, j]
    m = 0
    for i in range(n):
        for j in range(n):
            v = z[i, j]
            if i == j or v >= INF:
                continue
            if i > 0:
                if ((v >> 1) > lower[i] or -(row0[i] >> 1) > lower[i]
                        or (j > 0 and -(row0[j] >> 1) > upper[j])):
                    z[i, j] = INF
                    changed[m] = i * n + j
                    m += 1
            elif -(v >> 1) > upper[j] and v != LE_ZERO:
                z[0, j] = lt(-upper[j]) if upper[j] >= 0 else LE_ZERO
                changed[m] = j
                m += 1
    for k in range(n):
        for e in range(m):
            i = changed[e] // n
            j = changed[e] - i * n
            s = _add(z[i, k], z[k, j])
            if s < z[i, j]:
                z[i, j] = s


@leaf
def alu_included(a, b, lower, upper, n):
    """a is included in aLU(b) (Herbreteau, Srivathsan, Walukiewicz, "Better abstractions
    for timed automata", 2012/2016): every valuation of a is LU-simulated by one of b,
    so every discrete state reachable from a is reachable from b in as many steps. For
    non-empty closed zones over the same n - 1 clocks with LU bounds `lower`, `upper`
    (index 0 unused; NO_BOUND: never compared). Coarser than inclusion, and than
    inclusion after Extra+_LU, at the same O(n^2). a is not included iff for some
    clocks x != y: a's lower bound of x is at most U(x), b bounds y - x tighter than a
    does, and tighter even after adding "< -L(y)" than a's lower bound of x: then some
    valuation of a has x within U(x) and y - x where no valuation of b can follow it."""
    for x in range(n):
        ux = 0 if x == 0 else upper[x]
        if ux < 0:
            continue
        ax = a[0, x]
        if ax < le(-ux):
            continue
        for y in range(n):
            if y == x:
                continue
            ly = 0 if y == 0 else lower[y]
            if ly < 0:
                continue
            byx = b[y, x]
            if byx < a[y, x] and _add(byx, lt(-ly)) < ax:
                return False
    return True


@leaf
def extrapolate(z, ceiling):
    """Classic maximal-constant extrapolation (Extra_M): a bound beyond what clock i is ever
    compared with (`ceiling[i]`) is forgotten. Exact for reachability when guards and
    invariants compare clocks with constants only, as here; it keeps the number of zones
    finite."""
    n = z.shape[0]
    changed = False
    for i in range(n):
        for j in range(n):
            if i == j or z[i, j] >= INF:
                continue
            if i > 0 and z[i, j] > le(ceiling[i]):
                z[i, j] = INF
                changed = True
            elif j > 0 and z[i, j] < lt(-ceiling[j]):
                z[i, j] = lt(-ceiling[j])
                changed = True
    if changed:
        close(z)


@leaf
def included(a, b):
    """a is a subset of b (both closed, same clocks)."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            if a[i, j] > b[i, j]:
                return False
    return True


def permuted(z: np.ndarray, order) -> np.ndarray:
    """The same zone with its clocks listed in `order` (old 1-based indices)."""
    index = np.concatenate(([0], np.asarray(order, dtype=np.int64)))
    return np.ascontiguousarray(z[np.ix_(index, index)])
