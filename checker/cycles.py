"""The cycle phase of a search: a `terminates` property (L0) decided from the protocol
edges the breadth-first search recorded (`checker.liveness` finds the cycle), its lasso
replayed into a trace. `checker.explorer` runs it after the state search."""

from __future__ import annotations

from hacheck.checker.liveness import close_lasso, find_cycle, shortest_loop
from hacheck.checker.model import FULL
from hacheck.checker.stopping import Stopped
from hacheck.checker.trace import replay
from hacheck.checker.verdict import REDUCED_LASSO, PropertyResult, Verdict


def cut_short(prop, reason: str, what: str) -> PropertyResult:
    """The result of a property whose own phase was cut short."""
    return PropertyResult(prop.name, prop.description, prop.kind, Verdict.INCOMPLETE,
                          explanation=f"not decided: {what} was cut short ({reason})")


def cycle_phase(model, prop, stats, edges, parents, store, symmetry, budget, same,
                reduce=FULL):
    """The cycle search for a `terminates` property, under the budget: if it is cut
    short, the property is undecided and the run incomplete."""
    phase = f"cycle search for {prop.name}"
    try:
        with budget.phase(phase):
            budget.check()
            return _cycle_result(model, prop, stats, edges, parents, store, symmetry,
                                 budget.check, same, reduce)
    except Stopped as stop:
        reason = stop.reason
    except MemoryError as error:
        reason = budget.out_of_memory(error, phase)
    stats.cut(reason)
    return cut_short(prop, reason, "the cycle search")


def _cycle_result(model, prop, stats, edges, parents, store, symmetry, poll, same,
                  reduce=FULL):
    """A cycle among the edges recorded is real even if the search was cut short (every
    edge joins two reachable states), so only HOLDS needs a complete search. Of symbolic
    states, the lasso closes on a discrete state (decoded states compare their discrete
    parts); whether a real run repeats it is the witness's to say."""
    src, dst = edges.edges()
    start = find_cycle(len(store), src, dst)
    if start is None:
        verdict = Verdict.HOLDS if stats.complete else Verdict.INCOMPLETE
        return PropertyResult(prop.name, prop.description, prop.kind, verdict)
    loop = shortest_loop(len(store), src, dst, start, poll)
    closed = close_lasso(
        lambda ids: replay(model, [store.identity(i) for i in ids], symmetry,
                           store.identity_of, same, reduce),
        parents.path(start), loop[1:] + [start], lambda a, b: a == b, poll)
    if closed is None and same is not None:
        return PropertyResult(prop.name, prop.description, prop.kind, Verdict.INCOMPLETE,
                              explanation="a cycle of symbolic states does not close on a "
                                          "concrete state")
    if closed is None:
        raise RuntimeError("lasso: the loop does not close on a concrete state")
    trace, loop_index = closed
    return PropertyResult(prop.name, prop.description, prop.kind, Verdict.VIOLATED,
                          trace=trace, loop=loop_index,
                          notes=[REDUCED_LASSO] if reduce != FULL else [],
                          explanation=f"a cycle of {len(trace) - loop_index} protocol steps "
                                      "repeats forever")
