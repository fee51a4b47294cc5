"""L0's cycle search on Ray, without the graph in one place.

Each shard keeps the protocol edges out of the states it expands: the source by its own
id, the target by a global id, `local id * P + owner` (the owner tells the expanding
shard the ids of the successors it was sent, after it inserts them). Then Kahn's
peeling (`checker.liveness.find_cycle`, the local search's) runs in rounds: every shard
counts how many edges enter each of its states, removes those with none, and tells each
owner which of its states lost an incoming edge; the rounds end when no shard removes
anything. A state left lies on a cycle or downstream of one, and has an incoming edge
from another state left, so walking back from one, a predecessor at a time (each shard
answers for the edges it holds), repeats a state: that closes a cycle. The driver holds
one walk, never the edges.

What the driver learns is the deepest level of that cycle: the local search bounded at
that depth stores all of it and every edge between its states, so it finds a cycle too
(perhaps another one) and builds its lasso, as it does without Ray.
"""

from __future__ import annotations

import numpy as np

from hacheck.checker.liveness import EdgeLog, csr


class CycleShard:
    """The part of a shard (`checker.distributed.Shard`) that holds its edges and peels
    them. Needs `store`, `number`, `shards`, `frontier_ids` and `level_ends` (the
    store's size after each level: ids are given in level order)."""

    def _start_edges(self) -> None:
        self.edges = EdgeLog(target=np.int64)
        self.sent = None   # per owner: (source ids, protocol step?) of what it was sent

    def _note_sent(self, sent: list) -> None:
        self.sent = [(np.concatenate([s for s, _ in parts]) if parts else None,
                      np.concatenate([p for _, p in parts]) if parts else None)
                     for parts in sent]

    def record_edges(self, *ids_from_owners) -> int:
        """The owners' ids of the successors this shard sent them (in the order sent):
        its protocol edges of the level. How many it holds."""
        for owner, (ids, (sources, protocol)) in enumerate(zip(ids_from_owners, self.sent)):
            if ids is not None and sources is not None:
                self.edges.extend(sources[protocol], ids[protocol] * self.shards + owner)
        self.sent = None
        return self.edges.count

    # --- Kahn's peeling, a round at a time ---------------------------------------------

    def _by_owner(self, targets: np.ndarray) -> list:
        """The owner-local ids of `targets` (global ids), one array per owner."""
        owner, local = targets % self.shards, targets // self.shards
        return [local[owner == q] for q in range(self.shards)]

    def incoming_counts(self) -> list:
        """For each owner, its states' ids once per edge of this shard entering them (the
        count a `take_incoming` makes). First: how many edges this shard holds."""
        _, dst = self.edges.edges()
        return [self.edges.count, *self._by_owner(dst)]

    def take_incoming(self, *parts) -> int:
        """Count the edges entering each state (`incoming_counts` of every shard); the
        states with none are the first to peel. How many."""
        self.indegree = np.zeros(len(self.store), dtype=np.int64)
        for part in parts:
            self.indegree += np.bincount(part, minlength=len(self.store))
        self.out_start, self.out_by_source = csr(len(self.store), *self.edges.edges())
        self.peeling = np.flatnonzero(self.indegree == 0)
        self.by_target = None      # the edges by target, sorted when first asked for
        return len(self.peeling)

    def peel(self) -> list:
        """Remove the states found with no incoming edge left: the targets of their edges,
        one array per owner (first, how many)."""
        starts = self.out_start[self.peeling]
        lengths = self.out_start[self.peeling + 1] - starts
        # the positions starts[k] .. starts[k] + lengths[k] - 1 of every k, in one array
        picks = (np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
                 + np.arange(lengths.sum()))
        self.peeling = np.empty(0, dtype=np.int64)
        return [len(picks), *self._by_owner(self.out_by_source[picks])]

    def lose_incoming(self, *parts) -> int:
        """One incoming edge fewer for each id of `parts` (a `peel` of every shard); the
        states left with none are the next to peel. How many."""
        touched = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        np.subtract.at(self.indegree, touched, 1)
        touched = np.unique(touched)
        self.peeling = touched[self.indegree[touched] == 0]
        return len(self.peeling)

    # --- a cycle among the states left ---------------------------------------------------

    def first_left(self) -> tuple[int, int] | None:
        """(level, global id) of this shard's first state left by the peeling, if any."""
        left = np.flatnonzero(self.indegree > 0)
        if not len(left):
            return None
        local = int(left[0])
        return self._level(local), local * self.shards + self.number

    def predecessor_left(self, target: int) -> int:
        """The least global id, among this shard's states left, with an edge to `target`
        (-1: none)."""
        if self.by_target is None:
            src, dst = self.edges.edges()
            order = np.argsort(dst, kind="stable")
            self.by_target = dst[order], src[order]
        targets, src = self.by_target
        sources = src[np.searchsorted(targets, target):
                      np.searchsorted(targets, target, side="right")]
        sources = sources[self.indegree[sources] > 0]
        return int(sources.min()) * self.shards + self.number if len(sources) else -1

    def levels(self, targets: list[int]) -> list[int]:
        """The level of each of `targets` this shard owns (global ids; others: -1)."""
        return [self._level(t // self.shards) if t % self.shards == self.number else -1
                for t in targets]

    def _level(self, local: int) -> int:
        return int(np.searchsorted(np.asarray(self.level_ends), local, side="right"))


def deepest_cycle_level(ray, workers, poll) -> int | None:
    """Peel the shards' edges (module docstring); if a cycle is left, the level of its
    deepest state, else None. `poll()` is called between rounds (it raises to stop)."""
    shards = len(workers)
    counted = [w.incoming_counts.options(num_returns=shards + 1).remote() for w in workers]
    if not sum(ray.get([c[0] for c in counted])):
        return None
    peeling = sum(ray.get([w.take_incoming.remote(*(c[1 + q] for c in counted))
                           for q, w in enumerate(workers)]))
    while peeling:
        poll()
        lost = [w.peel.options(num_returns=shards + 1).remote() for w in workers]
        peeling = sum(ray.get([w.lose_incoming.remote(*(p[1 + q] for p in lost))
                               for q, w in enumerate(workers)]))
    firsts = [f for f in ray.get([w.first_left.remote() for w in workers]) if f is not None]
    if not firsts:
        return None
    state = min(firsts)[1]
    seen: dict[int, int] = {}
    walk = []
    while state not in seen:
        poll()
        seen[state] = len(walk)
        walk.append(state)
        state = min(p for p in ray.get([w.predecessor_left.remote(state) for w in workers])
                    if p >= 0)
    cycle = walk[seen[state]:]
    return max(max(levels) for levels in ray.get([w.levels.remote(cycle) for w in workers]))
