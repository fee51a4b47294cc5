"""Breadth-first exploration with a visited set of canonical encodings.

Design:
- States are identified by `model.canonical_key(state)`: with symmetry reduction, the least
  encoding over the automorphism group, so each orbit is stored once and counts are exact
  and reproducible; without it, the plain encoding.
- The visited set holds only byte strings. Each stored state has an integer id (its
  discovery rank), a parent id and its key, kept in flat arrays; the frontier holds the
  concrete states of the current BFS level only. The first member of an orbit to be
  discovered is the one expanded; all members have the same successors up to symmetry.
- Level by level, in action order, so ids, counts and the first violation found are the
  same on every run. The first violation found is at minimal depth, so its trace (parent
  links, then `trace.replay`) is a shortest counterexample.
- With `fingerprint`, the visited set keeps a 64-bit hash of each key instead of the key
  (about a third of the memory); two distinct states with one fingerprint would make the
  search miss one, so the result carries the probability bound of that happening.
- A search that stops early (violation, state budget, time limit, Ctrl-C) records why;
  properties it did not see violated are then INCOMPLETE, never HOLDS.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import sys
import time
from array import array
from typing import Callable, Sequence

from hacheck.checker.properties import ALWAYS, Property
from hacheck.checker.trace import replay
from hacheck.checker.verdict import CheckResult, PropertyResult, Statistics, Verdict


class ModelBoundError(Exception):
    """The model reached a bound it was not built for (a model error, not a verdict)."""


Progress = Callable[[dict], None]

VIOLATION_FOUND = "violation found"


class _Stop(Exception):
    def __init__(self, reason: str):
        self.reason = reason


def explore(
    model,
    properties: Sequence[Property],
    *,
    symmetry: bool = True,
    keep_going: bool = False,
    max_states: int | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
    progress_interval: float = 5.0,
    fingerprint: bool = False,
    workers: int = 1,
) -> CheckResult:
    """Explore the reachable states of `model` and check every `always` property on each.

    With `keep_going`, the whole space is explored and violating states are counted;
    otherwise the search stops at the first violation (of any property). With `workers`
    above 1, successors are computed in that many processes; ids, counts and traces are
    the same as with one.
    """
    invariants = [p for p in properties if p.kind == ALWAYS]
    first_violation: dict[str, int] = {}
    violating = {p.name: 0 for p in invariants}
    store = FingerprintStore() if fingerprint else ExactStore()
    visited = store.visited
    ids = store.keys
    identity = store.identity
    parents = array("q")
    started = time.perf_counter()
    counters = {"transitions": 0, "depth": 0}

    def discover(ident, parent: int, depth: int, broken: tuple) -> None:
        """Store a new state; `broken` lists the invariants it violates."""
        state_id = len(ids)
        counters["depth"] = depth
        visited.add(ident)
        ids.append(ident)
        parents.append(parent)
        for index in broken:
            name = invariants[index].name
            violating[name] += 1
            first_violation.setdefault(name, state_id)
            if not keep_going:
                raise _Stop(VIOLATION_FOUND)
        if max_states is not None and len(ids) >= max_states:
            raise _Stop(f"state budget of {max_states:,} states reached")

    def search(expand) -> None:
        frontier: list[tuple[bytes, int]] = []   # canonical keys of the current level
        for state in model.init_states():
            key = model.canonical_key(state, symmetry)
            ident = identity(key)
            if ident not in visited:
                frontier.append((key, len(ids)))
                discover(ident, -1, 0, _broken(invariants, state))
        last_report = started
        level = 0
        while frontier:
            level += 1
            next_frontier: list[tuple[bytes, int]] = []
            done = 0
            batches = [frontier[k:k + BATCH] for k in range(0, len(frontier), BATCH)]
            for batch, expanded in zip(batches, expand([key for key, _ in b] for b in batches)):
                for (_, state_id), successors in zip(batch, expanded):
                    counters["transitions"] += len(successors)
                    for key, broken in successors:
                        ident = identity(key)
                        if ident not in visited:
                            next_frontier.append((key, len(ids)))
                            discover(ident, state_id, level, broken)
                done += len(batch)
                now = time.perf_counter()
                if time_limit is not None and now - started > time_limit:
                    raise _Stop(f"time limit of {time_limit:g} s reached")
                if now - last_report >= progress_interval:
                    last_report = now
                    if progress is not None:
                        progress({
                            "generated": counters["transitions"], "distinct": len(ids),
                            "queue": len(next_frontier) + len(frontier) - done,
                            "depth": level, "rate": len(ids) / (now - started),
                        })
            frontier = next_frontier

    stop_reason = ""
    try:
        with _expander(model, invariants, symmetry, workers) as expand:
            search(expand)
    except _Stop as stop:
        stop_reason = stop.reason
    except KeyboardInterrupt:
        stop_reason = "interrupted"
    elapsed = time.perf_counter() - started
    stats = Statistics(
        distinct_states=len(ids), transitions=counters["transitions"],
        max_depth=counters["depth"], wall_seconds=elapsed, complete=not stop_reason,
        stop_reason=stop_reason, bytes_per_state=store.bytes_per_state(parents),
        fingerprint=fingerprint, collision_probability=store.collision_probability(),
        workers=workers,
    )
    results = []
    for prop in invariants:
        if prop.name in first_violation:
            trace = replay(model, _path(first_violation[prop.name], ids, parents),
                           lambda s: identity(model.canonical_key(s, symmetry)))
            explanation = prop.explain(trace.final) if prop.explain else ""
            verdict = Verdict.VIOLATED
        else:
            trace, explanation = None, ""
            verdict = Verdict.HOLDS if stats.complete else Verdict.INCOMPLETE
        results.append(PropertyResult(
            prop.name, prop.description, prop.kind, verdict,
            violating_states=violating[prop.name], trace=trace, explanation=explanation,
        ))
    return CheckResult(results, stats, symmetry=symmetry)


BATCH = 256   # frontier states per task handed to a worker


def _broken(invariants, state) -> tuple:
    return tuple(k for k, prop in enumerate(invariants) if not prop.holds(state))


def _expand_batch(model, invariants, symmetry, keys) -> list:
    """For each key of a batch: decode it, list its successors' canonical keys with the
    invariants each successor violates. Runs in the search process or in a worker."""
    canonical_key = model.canonical_key
    out = []
    for key in keys:
        out.append([(canonical_key(t, symmetry), _broken(invariants, t))
                    for _action, t in model.successors(model.decode(key))])
    return out


class _expander:
    """A context giving `expand(batches) -> iterator of results, in batch order`: in this
    process, or in a pool of forked workers that inherit the model (nothing of it is
    pickled). Order is kept, so the search is the same whatever the worker count."""

    def __init__(self, model, invariants, symmetry, workers):
        self.args = (model, invariants, symmetry)
        self.workers = workers
        self.pool = None

    def __enter__(self):
        if self.workers <= 1:
            return lambda batches: (_expand_batch(*self.args, keys) for keys in batches)
        context = multiprocessing.get_context("fork")
        self.pool = context.Pool(self.workers, initializer=_worker_init, initargs=self.args)
        return lambda batches: self.pool.imap(_worker_expand, batches, chunksize=1)

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
        return False


_worker_args: tuple = ()   # set once in each forked worker by _worker_init


def _worker_init(*args) -> None:
    global _worker_args
    _worker_args = args


def _worker_expand(keys) -> list:
    return _expand_batch(*_worker_args, keys)


def _path(state_id: int, keys: list[bytes], parents: array) -> list[bytes]:
    path = []
    while state_id >= 0:
        path.append(keys[state_id])
        state_id = parents[state_id]
    path.reverse()
    return path


class ExactStore:
    """Visited states as their full canonical keys: exact."""

    def __init__(self):
        self.visited: set[bytes] = set()
        self.keys: list[bytes] = []

    @staticmethod
    def identity(key: bytes) -> bytes:
        return key

    def collision_probability(self) -> float:
        return 0.0

    def bytes_per_state(self, parents: array) -> float:
        """The visited set, the key list, the parent links and the keys themselves."""
        keys = self.keys
        if not keys:
            return 0.0
        total = sys.getsizeof(self.visited) + sys.getsizeof(keys) + sys.getsizeof(parents)
        sample = keys[:: max(1, len(keys) // 1000)]
        total += len(keys) * sum(sys.getsizeof(k) for k in sample) / len(sample)
        return total / len(keys)


class FingerprintStore:
    """Visited states as 64-bit fingerprints (BLAKE2b of the canonical key).

    If two distinct reachable states share a fingerprint, the second is taken as visited
    and its successors may be missed. For n stored states and a uniform hash, the chance
    that any two share one is at most n(n-1)/2 / 2^64 (the birthday bound)."""

    def __init__(self):
        self.visited: set[int] = set()
        self.keys = array("Q")

    @staticmethod
    def identity(key: bytes) -> int:
        return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")

    def collision_probability(self) -> float:
        n = len(self.keys)
        return min(1.0, n * (n - 1) / 2 / 2.0 ** 64)

    def bytes_per_state(self, parents: array) -> float:
        n = len(self.keys)
        if not n:
            return 0.0
        ints = n * sys.getsizeof(1 << 62)   # one int object per fingerprint in the set
        return (sys.getsizeof(self.visited) + ints + sys.getsizeof(self.keys)
                + sys.getsizeof(parents)) / n
