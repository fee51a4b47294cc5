"""Symmetry of symbolic timed states, compiled: the least image of a state over the
configuration's automorphisms, ordered by the layer-D row, then the pair flags, then the
zone (exhaustive over the group: a handful of nodes). `model.timed_kernel` calls it on
every successor."""

from __future__ import annotations

import numpy as np

from hacheck.checker.compiled import leaf
from hacheck.model.state import (
    K_QUEUES,
)
from hacheck.model.symmetry import image_head, image_queues
from hacheck.model.timed_geometry import (
    T_N, T_W,
)


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
