"""Zones: convex sets of clock valuations as difference-bound matrices (DBMs).

The UPPAAL representation (Bengtsson and Yi, "Timed Automata: Semantics, Algorithms and
Tools", 2004). Clock 0 is the reference clock, always 0; entry `z[i, j]` bounds
`x_i - x_j`. A bound is stored as one integer, `2c + 1` for `<= c` and `2c` for `< c`, so
that comparing bounds is comparing integers; `INF` is "no bound". Every function keeps
its zone closed (canonical: every entry is the tightest bound implied), so that two
zones are equal iff their matrices are, and inclusion is an element-wise comparison.

The engine's timed search uses these; a model says which clocks exist in a state and
which bounds its actions and obligations put on them. Constants are whole numbers (the
model scales its time unit so that they are), which is exact for closed and strict
bounds alike.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INF = np.int64(1 << 60)
LE_ZERO = np.int64(1)


@njit(cache=True)
def le(c):
    return 2 * c + 1


@njit(cache=True)
def lt(c):
    return 2 * c


@njit(cache=True)
def _add(a, b):
    if a >= INF or b >= INF:
        return INF
    return ((a >> 1) + (b >> 1)) * 2 + (a & b & 1)


def zero(n_clocks: int) -> np.ndarray:
    """Every clock 0: the zone of a state entered at this instant."""
    return np.full((n_clocks + 1, n_clocks + 1), LE_ZERO, dtype=np.int64)


@njit(cache=True)
def close(z):
    """Floyd-Warshall: every entry becomes the tightest implied bound. False if empty."""
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


@njit(cache=True)
def constrain(z, i, j, bound):
    """z := z and (x_i - x_j `bound`), kept closed in O(n^2). False if that is empty."""
    if _add(z[j, i], bound) < LE_ZERO:
        return False
    if bound >= z[i, j]:
        return True
    z[i, j] = bound
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


@njit(cache=True)
def up(z):
    """Let time pass: no upper bound on any clock (lower bounds and differences stay)."""
    for i in range(1, z.shape[0]):
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


@njit(cache=True)
def transfer_into(z, source, n, out):
    """`transfer` into out[:n+1, :n+1] (no allocation): new clock a is old clock
    source[a-1], or a clock reset to 0 now if that is 0."""
    for a in range(n + 1):
        sa = 0 if a == 0 else source[a - 1]
        for b in range(n + 1):
            sb = 0 if b == 0 else source[b - 1]
            out[a, b] = z[sa, sb]
        out[a, a] = LE_ZERO


@njit(cache=True)
def extrapolate_lu(z, lower, upper, row0):
    """Extra+_LU (Behrmann, Bouyer, Larsen, Pelanek 2006): `lower[i]` is the largest
    constant clock i is compared with from below (x >= c), `upper[i]` from above
    (x <= c), both for i >= 1 (index 0 unused). A bound on x_i - x_j is forgotten when
    it exceeds L(x_i), or x_i is already beyond L(x_i), or x_j beyond U(x_j); a lower
    bound of x_j beyond U(x_j) becomes "> U(x_j)". Sound and complete for the
    reachability of discrete states when guards and invariants compare clocks with
    constants only, as here, and coarser than Extra_M (fewer zones). `row0` is scratch
    of z's size. The zone is closed again."""
    n = z.shape[0]
    for j in range(n):
        row0[j] = z[0, j]
    changed = False
    for i in range(n):
        for j in range(n):
            v = z[i, j]
            if i == j or v >= INF:
                continue
            if i > 0:
                if ((v >> 1) > lower[i] or -(row0[i] >> 1) > lower[i]
                        or (j > 0 and -(row0[j] >> 1) > upper[j])):
                    z[i, j] = INF
                    changed = True
            elif -(v >> 1) > upper[j]:
                z[0, j] = lt(-upper[j])
                changed = True
    if changed:
        close(z)


@njit(cache=True)
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


@njit(cache=True)
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
