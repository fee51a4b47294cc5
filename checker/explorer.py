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
) -> CheckResult:
    """Explore the reachable states of `model` and check every `always` property on each.

    With `keep_going`, the whole space is explored and violating states are counted;
    otherwise the search stops at the first violation (of any property).
    """
    invariants = [p for p in properties if p.kind == ALWAYS]
    first_violation: dict[str, int] = {}
    violating = {p.name: 0 for p in invariants}
    store = FingerprintStore() if fingerprint else ExactStore()
    visited = store.visited
    keys = store.keys
    identity = store.identity
    parents = array("q")
    started = time.perf_counter()
    counters = {"transitions": 0, "depth": 0}

    def discover(state, key: bytes, parent: int, depth: int) -> None:
        """Store a new state and check the invariants on it."""
        state_id = len(keys)
        counters["depth"] = depth
        visited.add(key)
        keys.append(key)
        parents.append(parent)
        for prop in invariants:
            if not prop.holds(state):
                violating[prop.name] += 1
                first_violation.setdefault(prop.name, state_id)
                if not keep_going:
                    raise _Stop(VIOLATION_FOUND)
        if max_states is not None and len(keys) >= max_states:
            raise _Stop(f"state budget of {max_states:,} states reached")

    def search() -> None:
        frontier: list[tuple[object, int]] = []
        for state in model.init_states():
            key = identity(model.canonical_key(state, symmetry))
            if key not in visited:
                frontier.append((state, len(keys)))
                discover(state, key, -1, 0)
        canonical_key = model.canonical_key
        last_report = started
        level = 0
        while frontier:
            level += 1
            next_frontier: list[tuple[object, int]] = []
            for position, (state, state_id) in enumerate(frontier):
                for _action, successor in model.successors(state):
                    counters["transitions"] += 1
                    key = identity(canonical_key(successor, symmetry))
                    if key not in visited:
                        next_frontier.append((successor, len(keys)))
                        discover(successor, key, state_id, level)
                now = time.perf_counter()
                if now - last_report >= progress_interval:
                    last_report = now
                    if time_limit is not None and now - started > time_limit:
                        raise _Stop(f"time limit of {time_limit:g} s reached")
                    if progress is not None:
                        progress({
                            "generated": counters["transitions"], "distinct": len(keys),
                            "queue": len(next_frontier) + len(frontier) - position - 1,
                            "depth": level,
                            "rate": len(keys) / (now - started),
                        })
            frontier = next_frontier

    stop_reason = ""
    try:
        search()
    except _Stop as stop:
        stop_reason = stop.reason
    except KeyboardInterrupt:
        stop_reason = "interrupted"
    elapsed = time.perf_counter() - started
    stats = Statistics(
        distinct_states=len(keys), transitions=counters["transitions"],
        max_depth=counters["depth"], wall_seconds=elapsed, complete=not stop_reason,
        stop_reason=stop_reason, bytes_per_state=store.bytes_per_state(parents),
        fingerprint=fingerprint,
        collision_probability=store.collision_probability(),
    )
    results = []
    for prop in invariants:
        if prop.name in first_violation:
            trace = replay(model, _path(first_violation[prop.name], keys, parents),
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
