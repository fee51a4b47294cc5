"""The witness step of a symbolic search: a counterexample found over symbolic states (a
discrete state and a zone) is a path of the abstraction; the model's witness times a
real run along it, and the verdict is what it finds.

- a real, timed run: the verdict stands, with its times;
- none, for a lasso: INCOMPLETE (the cycle may be Zeno, or an artefact of inclusion);
- none, or one the independent check objects to, for a reachability counterexample: an
  internal ERROR (a zone search is exact for reachability, so this is a bug), and the
  trace is not shown;
- the run stopped meanwhile: a reachability verdict keeps its trace without times, a
  lasso is undecided.
"""

from __future__ import annotations

from typing import Callable

from hacheck.checker.stopping import Budget, Stopped
from hacheck.checker.trace import Step, Trace
from hacheck.checker.verdict import NO_TIMESTAMPS, PropertyResult, Statistics, Timing, Verdict

# witness(trace, loop, poll) -> Timing; poll() raises to stop
Witness = Callable[..., Timing]

NO_REAL_CYCLE = ("the symbolic graph has a cycle of protocol actions, but no real run "
                 "repeating it while time passes was found (it may be Zeno or an artefact "
                 "of the zone abstraction)")
NO_REAL_RUN = ("internal error: the counterexample failed the independent timing check, "
               "so it is not shown: {problems}")


def time_counterexample(model, result: PropertyResult, witness, budget: Budget,
                  stats: Statistics) -> None:
    """Time the counterexample of `result` with `witness`, within the run's budget, and
    settle its verdict; its states become what the properties read (`model.observe`)."""
    phase = f"timestamps of the {result.name} counterexample"
    try:
        with budget.phase(phase):
            budget.check()
            found = witness(result.trace, result.loop, budget.check)
    except (Stopped, MemoryError) as stop:
        reason = (stop.reason if isinstance(stop, Stopped)
                  else budget.out_of_memory(stop, phase))
        stats.cut(reason)
        if result.loop is not None:     # a cycle is a verdict only with a real run
            _undecided(result, f"not decided: the {phase} was cut short ({reason})")
        else:
            result.notes.append(NO_TIMESTAMPS.format(reason=reason))
            result.trace = _observed(model, result.trace)
        return
    if found.times is None and result.loop is not None:
        _undecided(result, NO_REAL_CYCLE)
    elif found.times is None or found.problems:
        problems = found.problems or ["no timestamps exist for a run the search reached"]
        result.verdict = Verdict.ERROR
        result.explanation = NO_REAL_RUN.format(problems="; ".join(problems[:3]))
        result.trace, result.loop = None, None
    else:
        result.trace = _observed(model, result.trace)
        result.times = list(found.times[:len(result.trace)])
        result.condition = found.condition


def _undecided(result: PropertyResult, why: str) -> None:
    result.verdict, result.explanation = Verdict.INCOMPLETE, why
    result.trace, result.loop, result.times = None, None, None


def _observed(model, trace: Trace) -> Trace:
    return Trace(model.observe(trace.initial),
                 tuple(Step(s.action, model.observe(s.state)) for s in trace.steps))
