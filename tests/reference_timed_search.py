"""The reference timed search: breadth-first over symbolic timed states (a discrete part
and a zone), in plain Python, which the engine replaced (`checker.explore` over
`model.timed_model`); kept as the tests' reference. `reached` in the result's meta holds
the discrete states found (canonical layer-D rows, as bytes).

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
  recorded state, or is covered by it (so actions are named in the concrete node
  numbering).
- Liveness (`checker.properties`): a state with no protocol successor, whose zone lets
  time pass for ever (`model.time_can_pass`), is quiescent, and `at_quiescence`
  properties are checked there. For `terminates`, protocol edges are kept (to the
  state that covers a dropped successor): every infinite run of protocol actions maps to
  a cycle of this finite graph, so no cycle proves the property. A cycle may be spurious
  (inclusion and extrapolation over-approximate) or Zeno, so it is reported only if
  `confirm_cycle(trace, loop)` finds a real, time-divergent repetition of it; otherwise
  the property is INCOMPLETE, with the reason.
- What may cut the search short (signals, time, memory, the state budget) is the run's
  `Budget` (`checker.stopping`), polled after every expanded state and in the cycle
  search, as in the untimed explorer.
"""

from __future__ import annotations

import time

import numpy as np

from hacheck.checker.cycles import cut_short
from hacheck.checker.explorer import budget_of
from hacheck.checker.liveness import close_lasso, find_cycle, shortest_loop
from hacheck.checker.properties import ALWAYS, AT_QUIESCENCE, TERMINATES, Property
from hacheck.checker.stopping import Budget, Stopped
from hacheck.checker.trace import Step, Trace
from hacheck.checker.verdict import CheckResult, PropertyResult, Statistics, Verdict
from hacheck.checker.zones import included

VIOLATION_FOUND = "violation found"


def explore_timed(model, properties: list[Property], *, symmetry: bool = True,
                  keep_going: bool = False, max_states: int | None = None,
                  time_limit: float | None = None, progress=None,
                  progress_interval: float = 2.0, confirm_cycle=None,
                  budget: Budget | None = None) -> CheckResult:
    budget = budget_of(budget, max_states, time_limit)
    budget.start_clock()
    if max_states is None:
        max_states = budget.max_states
    started = time.perf_counter()
    invariants = [p for p in properties if p.kind == ALWAYS]
    settled = [p for p in properties if p.kind == AT_QUIESCENCE]
    cycles = [p for p in properties if p.kind == TERMINATES]
    edges = ([], []) if cycles else None     # protocol edges (source ids, target ids)
    states: list = []
    parents: list[int] = []
    depth_of: list[int] = []
    passed: dict[bytes, list[tuple]] = {}
    first_violation: dict[str, int] = {}
    violating = {p.name: 0 for p in invariants + settled}
    transitions = 0
    stop_reason = ""

    def add(ts, parent: int, depth: int) -> tuple[int, bool]:
        """(id of the state that holds ts, whether it is new)."""
        key = model.key(ts)
        zone = model.zone(ts)
        found = passed.setdefault(key, [])
        for other, other_id in found:
            if included(zone, other):
                return other_id, False
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
        return ident, True

    def settle(ident: int, busy: bool) -> None:
        ts = states[ident]
        if busy or not settled or not model.time_can_pass(ts):
            return
        view = model.view(ts)
        for p in settled:
            if not p.holds(view):
                violating[p.name] += 1
                first_violation.setdefault(p.name, ident)

    depth = 0
    last_report = started

    def expand(ident: int) -> list[int]:
        """The successors of a state, stored; the ids of the new ones."""
        nonlocal transitions
        new_ids, busy = [], False
        for action, nxt in model.successors(states[ident], symmetry):
            with budget.deferred():   # the passed list and the parent links change together
                transitions += 1
                target, new = add(nxt, ident, depth + 1)
                if new:
                    new_ids.append(target)
                if not model.is_environment(action):
                    busy = True
                    if edges is not None:
                        edges[0].append(ident)
                        edges[1].append(target)
        settle(ident, busy)
        return new_ids

    frontier = []
    try:
        with budget.phase("state search"):
            for ts in model.initial():
                add(model.canonical(ts) if symmetry else ts, -1, 0)
            frontier = list(range(len(states)))
            while frontier and (keep_going or not any(p.name in first_violation
                                                      for p in invariants)):
                following = []
                for ident in frontier:
                    following += expand(ident)
                    if max_states is not None and len(states) >= max_states:
                        raise Stopped(f"state budget of {max_states:,} reached")
                    budget.check()
                    now = time.perf_counter()
                    if progress is not None and now - last_report >= progress_interval:
                        last_report = now
                        progress({"generated": transitions, "distinct": len(states),
                                  "queue": len(following), "depth": depth + 1,
                                  "rate": len(states) / (now - started),
                                  "elapsed": now - started})
                if following:
                    depth += 1
                frontier = following
            if frontier:
                stop_reason = VIOLATION_FOUND
    except Stopped as stop:
        stop_reason = stop.reason
    except MemoryError as error:
        stop_reason = budget.out_of_memory(error, "state search")
    except KeyboardInterrupt:    # a caller that installed no signal handler of its own
        stop_reason = budget.stop("interrupted").reason

    complete = not stop_reason
    results = []
    for p in cycles:
        phase = f"cycle search for {p.name}"
        try:
            with budget.phase(phase):
                budget.check()
                results.append(_cycle_result(model, p, complete, edges, states, parents,
                                             symmetry, confirm_cycle, budget.check))
        except (Stopped, MemoryError) as stop:
            reason = (stop.reason if isinstance(stop, Stopped)
                      else budget.out_of_memory(stop, phase))
            complete = False
            stop_reason = f"{stop_reason}; then {reason}" if stop_reason else reason
            results.append(cut_short(p, reason, "the cycle search"))
    for p in invariants + settled:
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
                       stop_reason=stop_reason,
                       protocol_edges=len(edges[0]) if edges is not None else 0,
                       bytes_per_edge=8.0 if edges is not None else 0.0)
    order = [p.name for p in properties]
    results.sort(key=lambda r: order.index(r.name))
    return CheckResult(results, stats, symmetry=symmetry, reduction=False, mode="timed",
                       meta={"states": states})


def _cycle_result(model, prop, complete, edges, states, parents, symmetry, confirm_cycle,
                  poll):
    def result(verdict, **more):
        return PropertyResult(prop.name, prop.description, prop.kind, verdict, **more)
    src = np.array(edges[0], dtype=np.int32)
    dst = np.array(edges[1], dtype=np.int32)
    start = find_cycle(len(states), src, dst)
    if start is None:     # a cycle found in part of the graph would count; none does not
        return result(Verdict.HOLDS if complete else Verdict.INCOMPLETE)
    loop = shortest_loop(len(states), src, dst, start, poll)
    closed = close_lasso(lambda ids: _replay_path(model, states, ids, symmetry),
                         _path(parents, start), loop[1:] + [start],
                         lambda a, b: model.key(a) == model.key(b), poll)
    if closed is None:
        return result(Verdict.INCOMPLETE, explanation="a cycle of symbolic states does not "
                      "close on a concrete state")
    trace, loop_index = closed
    confirmed = confirm_cycle(trace, loop_index) if confirm_cycle is not None else None
    if confirmed is None:
        return result(Verdict.INCOMPLETE, explanation=(
            "the symbolic graph has a cycle of protocol actions, but no real run repeating "
            "it while time passes was found (it may be Zeno or an artefact of the zone "
            "abstraction)"))
    return result(Verdict.VIOLATED, trace=trace, loop=loop_index, times=confirmed,
                  explanation=f"a cycle of {len(trace) - loop_index} protocol steps repeats "
                              "forever, and time passes while it does")


def _path(parents: list[int], ident: int) -> list[int]:
    """The ids from an initial state to `ident`, along parent links."""
    path = []
    while ident >= 0:
        path.append(ident)
        ident = parents[ident]
    return path[::-1]


def _replay(model, states, parents, ident, symmetry) -> Trace:
    return _replay_path(model, states, _path(parents, ident), symmetry)


def _replay_path(model, states, path, symmetry) -> Trace:
    def same(a, b) -> bool:
        return model.key(a) == model.key(b) and included(model.zone(a), model.zone(b))

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
