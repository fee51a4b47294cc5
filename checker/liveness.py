"""The reachable graph for liveness: protocol edges kept as integer arrays, and the two
questions asked of it.

- Edges are stored compactly: two int32 arrays (source id, target id), one entry per
  protocol transition (environment transitions are not needed: L0 is about cycles of
  protocol actions, and quiescence is decided when a state is expanded). 8 bytes per
  edge, no Python object per edge or per state.
- `find_cycle`: is there a cycle of protocol edges? Kahn's algorithm peels off every state
  with no incoming protocol edge until none is left; what remains lies on a cycle or
  downstream of one, so walking backwards from any remaining state must repeat a state,
  and that closes a cycle. Linear in states plus edges, compiled.
- `shortest_loop`: from a state on a cycle, the shortest cycle through it (breadth-first
  over protocol edges), so the lasso shown is as short as we can make it cheaply.
"""

from __future__ import annotations

import numpy as np
from numba import njit


class EdgeLog:
    """Append-only protocol edges (source, target), grown by doubling. `target` is an
    int32 id, or another type where targets are named otherwise (the Ray search's
    global ids)."""

    def __init__(self, target=np.int32):
        self.src = np.empty(1 << 16, dtype=np.int32)
        self.dst = np.empty(1 << 16, dtype=target)
        self.count = 0

    def extend(self, src: np.ndarray, dst: np.ndarray) -> None:
        n = self.count + len(src)
        if n > len(self.src):
            size = max(n, 2 * len(self.src))
            self.src = _grown(self.src, self.count, size)
            self.dst = _grown(self.dst, self.count, size)
        self.src[self.count:n] = src
        self.dst[self.count:n] = dst
        self.count = n

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        return self.src[:self.count], self.dst[:self.count]

    def restore(self, src: np.ndarray, dst: np.ndarray) -> None:
        """Back to the edges a checkpoint kept (`edges()`)."""
        self.src, self.dst = src.astype(np.int32), dst.astype(self.dst.dtype)
        self.count = len(src)

    def growth_bytes(self, more: int) -> int:
        """What `extend` would allocate for `more` edges now."""
        n = self.count + more
        per_edge = self.src.itemsize + self.dst.itemsize
        return per_edge * max(n, 2 * len(self.src)) if n > len(self.src) else 0


def _grown(a: np.ndarray, used: int, size: int) -> np.ndarray:
    out = np.empty(size, dtype=a.dtype)
    out[:used] = a[:used]
    return out


def csr(n: int, keys: np.ndarray, values: np.ndarray):
    """`values` grouped by key (keys 0 .. n-1, in order, stably): (start, grouped), the
    values of key k being grouped[start[k]:start[k + 1]]."""
    order = np.argsort(keys, kind="stable")
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=start[1:])
    return start, values[order]


@njit(cache=True)
def _peel(n, src, dst):
    """Kahn's algorithm over the edges; True for the states left (on or after a cycle)."""
    indegree = np.zeros(n, dtype=np.int64)
    for e in range(src.shape[0]):
        indegree[dst[e]] += 1
    out_start = np.zeros(n + 1, dtype=np.int64)
    for e in range(src.shape[0]):
        out_start[src[e] + 1] += 1
    for v in range(n):
        out_start[v + 1] += out_start[v]
    fill = out_start[:-1].copy()
    out_to = np.empty(src.shape[0], dtype=np.int32)
    for e in range(src.shape[0]):
        out_to[fill[src[e]]] = dst[e]
        fill[src[e]] += 1
    queue = np.empty(n, dtype=np.int64)
    head = tail = 0
    for v in range(n):
        if indegree[v] == 0:
            queue[tail] = v
            tail += 1
    while head < tail:
        v = queue[head]
        head += 1
        for x in range(out_start[v], out_start[v + 1]):
            w = out_to[x]
            indegree[w] -= 1
            if indegree[w] == 0:
                queue[tail] = w
                tail += 1
    left = indegree > 0
    return left


def find_cycle(n: int, src: np.ndarray, dst: np.ndarray) -> int | None:
    """Some state on a cycle of the edges (the least id left by the peeling, walked back
    to a repetition), or None if the edges form no cycle."""
    if len(src) == 0:
        return None
    in_start, in_from = csr(n, dst, src)
    left = _peel(n, src, dst)
    remaining = np.flatnonzero(left)
    if len(remaining) == 0:
        return None
    seen: dict[int, int] = {}
    v = int(remaining[0])
    walk = []
    while v not in seen:
        seen[v] = len(walk)
        walk.append(v)
        preds = in_from[in_start[v]:in_start[v + 1]]
        v = int(min(p for p in preds if left[p]))
    return walk[seen[v]]


MAX_LOOP_TURNS = 840   # the largest order of a permutation of at most 8 nodes is 15; room


def _never_stop() -> None:
    return None


def close_lasso(replay_path, prefix: list, loop: list, same, poll=_never_stop):
    """A concrete lasso from a path of stored states: `prefix` (ending on the cycle), then
    `loop` (the rest of the cycle, back to its start) repeated until the concrete state
    recurs; with symmetry, one turn may end in a renaming of its start. `replay_path(ids)`
    gives a concrete trace through those stored states, `same(a, b)` says whether two
    concrete states are the same. The trace and the index of the state its end returns
    to, or None if no number of turns closes it. `poll()` is called between turns (it
    raises to stop). A step between stored states may be several concrete steps (a chain
    of ample steps, `checker.trace.replay`), so where the prefix ends in the trace is
    found by replaying it."""
    loop_index = len(replay_path(prefix))
    for turns in range(1, MAX_LOOP_TURNS + 1):
        poll()
        trace = replay_path(prefix + loop * turns)
        states = trace.states
        if same(states[-1], states[loop_index]):
            return trace, loop_index
    return None


def shortest_loop(n: int, src: np.ndarray, dst: np.ndarray, start: int,
                  poll=_never_stop) -> list[int]:
    """The states of a shortest cycle through `start` (start first, not repeated).
    `poll()` is called once per breadth-first level (it raises to stop)."""
    out_start, out_to = csr(n, src, dst)
    parent = {start: -1}
    frontier = [start]
    while frontier:
        poll()
        following = []
        for v in frontier:
            for w in out_to[out_start[v]:out_start[v + 1]]:
                w = int(w)
                if w == start:
                    path = [v]
                    while parent[path[-1]] != -1:
                        path.append(parent[path[-1]])
                    return path[::-1]
                if w not in parent:
                    parent[w] = v
                    following.append(w)
        frontier = following
    raise ValueError(f"state {start} is on no cycle")
