"""Breadth-first search over symbolic timed states (a discrete part and a zone).

Design:
- A timed model gives `initial()`, `successors(ts, symmetry)` -> [(action, ts)] (the zone
  already restricted by the action's window, carried, let elapse under the obligations and
  extrapolated), `canonical(ts)`, `key(ts)` (the discrete part, as bytes), `zone(ts)` (a
  closed DBM, `checker.zones`) and `view(ts)` (what the properties read).
- The passed list keeps, per discrete key, the zones found. A new zone included in one
  already found at the same or an earlier level is dropped: every run from it is a run
  from the larger zone, at least as short (so the first violation found is still at
  minimal depth, and its trace a shortest one in steps).
- Invariants are checked on the discrete part: a timed state exists only if some real run
  reaches it (the zone is non-empty), so a violating one is a real violation.
- The trace of a violation is rebuilt from parent links by replaying from the initial
  state without symmetry: at each step, the first successor whose canonical form is the
  recorded state (so actions are named in the concrete node numbering).
"""

from __future__ import annotations

import time

from hacheck.checker.properties import ALWAYS, Property
from hacheck.checker.trace import Step, Trace
from hacheck.checker.verdict import CheckResult, PropertyResult, Statistics, Verdict
from hacheck.checker.zones import included

VIOLATION_FOUND = "violation found"


def explore_timed(model, properties: list[Property], *, symmetry: bool = True,
                  keep_going: bool = False, max_states: int | None = None,
                  time_limit: float | None = None, progress=None,
                  progress_interval: float = 2.0) -> CheckResult:
    started = time.perf_counter()
    invariants = [p for p in properties if p.kind == ALWAYS]
    states: list = []
    parents: list[int] = []
    depth_of: list[int] = []
    passed: dict[bytes, list[tuple]] = {}
    first_violation: dict[str, int] = {}
    violating = {p.name: 0 for p in invariants}
    transitions = 0
    stop_reason = ""

    def add(ts, parent: int, depth: int) -> bool:
        key = model.key(ts)
        zone = model.zone(ts)
        found = passed.setdefault(key, [])
        for other, _ in found:
            if included(zone, other):
                return False
        found[:] = [(o, i) for o, i in found if not included(o, zone)]
        ident = len(states)
        found.append((zone, ident))
        states.append(ts)
        parents.append(parent)
        depth_of.append(depth)
        view = model.view(ts)
        for p in invariants:
            if not p.holds(view):
                violating[p.name] += 1
                first_violation.setdefault(p.name, ident)
        return True

    for ts in model.initial():
        add(model.canonical(ts) if symmetry else ts, -1, 0)
    frontier = list(range(len(states)))
    depth = 0
    last_report = started
    try:
        while frontier and (keep_going or not first_violation):
            following = []
            for ident in frontier:
                for _, nxt in model.successors(states[ident], symmetry):
                    transitions += 1
                    if add(nxt, ident, depth + 1):
                        following.append(len(states) - 1)
                if max_states is not None and len(states) >= max_states:
                    raise _Stop(f"state budget of {max_states:,} reached")
                now = time.perf_counter()
                if time_limit is not None and now - started > time_limit:
                    raise _Stop(f"time limit of {time_limit:g} s reached")
                if progress is not None and now - last_report >= progress_interval:
                    last_report = now
                    progress({"generated": transitions, "distinct": len(states),
                              "queue": len(following), "depth": depth + 1,
                              "rate": len(states) / (now - started)})
            if following:
                depth += 1
            frontier = following
        if first_violation and frontier:
            stop_reason = VIOLATION_FOUND
    except _Stop as stop:
        stop_reason = stop.reason
    except KeyboardInterrupt:
        stop_reason = "interrupted"

    complete = not stop_reason
    results = []
    for p in invariants:
        if p.name in first_violation:
            trace = _replay(model, states, parents, first_violation[p.name], symmetry)
            view = model.view(trace.final)
            results.append(PropertyResult(p.name, p.description, p.kind, Verdict.VIOLATED,
                                          violating[p.name], trace,
                                          p.explain(view) if p.explain else ""))
        else:
            verdict = Verdict.HOLDS if complete else Verdict.INCOMPLETE
            results.append(PropertyResult(p.name, p.description, p.kind, verdict))
    stats = Statistics(distinct_states=len(states), transitions=transitions,
                       max_depth=max(depth_of, default=0),
                       wall_seconds=time.perf_counter() - started, complete=complete,
                       stop_reason=stop_reason)
    return CheckResult(results, stats, symmetry=symmetry, reduction=False, mode="timed")


class _Stop(Exception):
    def __init__(self, reason: str):
        self.reason = reason


def _replay(model, states, parents, ident, symmetry) -> Trace:
    path = []
    while ident >= 0:
        path.append(ident)
        ident = parents[ident]
    path.reverse()

    def same(a, b) -> bool:
        return model.key(a) == model.key(b) and (model.zone(a) == model.zone(b)).all()

    current = next((ts for ts in model.initial()
                    if same(model.canonical(ts) if symmetry else ts, states[path[0]])), None)
    if current is None:
        raise RuntimeError("timed trace replay: no initial state matches")
    initial, steps = current, []
    for number, ident in enumerate(path[1:], 1):
        for action, nxt in model.successors(current, False):
            if same(model.canonical(nxt) if symmetry else nxt, states[ident]):
                steps.append(Step(action, nxt))
                current = nxt
                break
        else:
            raise RuntimeError(f"timed trace replay: no successor matches step {number}")
    return Trace(initial, tuple(steps))
