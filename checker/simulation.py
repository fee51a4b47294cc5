"""Random runs: counterexamples deeper than a breadth-first search can go.

`simulate` takes `runs` random runs of the model from its initial states, each step chosen
uniformly among the enabled actions (a seeded generator, so a run is the same on every
machine), until no action is enabled or `max_steps` steps. It checks every invariant on
every state of a run and every `at_quiescence` property on every quiescent state it
passes. A violation found this way is a real run of the full model (no reduction, no
symmetry); of the runs that violate a property the shortest is kept, cut at its first
violating state. What no run violates is INCOMPLETE, never HOLDS: random runs sample
the space, they do not cover it. (`terminates` properties are INCOMPLETE too: a run
that stops at `max_steps` may still end later.)

Over a symbolic (timed) model the runs walk the zone graph, and each counterexample kept
is handed to the model's `witness`, as a symbolic search's is (`checker.witness`): a
path of the zone graph to a state is a real run, so the witness gives its timestamps.

This is the random-run search of model checkers such as TLC's simulation mode or
Stateright's simulation checker; it knows nothing about the model but the engine's
interface (`checker.model`).
"""

from __future__ import annotations

import time

import numpy as np

from hacheck.checker.explorer import settled_violations, violations
from hacheck.checker.properties import ALWAYS, AT_QUIESCENCE, Property
from hacheck.checker.stopping import Budget, Stopped
from hacheck.checker.trace import Step, Trace
from hacheck.checker.witness import Witness, time_counterexample
from hacheck.checker.verdict import (
    RANDOM_RUN, CheckResult, PropertyResult, Statistics, Verdict,
)

MAX_STEPS = 1000


def simulate(model, properties: list[Property], *, runs: int, seed: int = 0,
             max_steps: int = MAX_STEPS, budget: Budget | None = None,
             progress=None, progress_interval: float = 5.0,
             witness: Witness | None = None) -> CheckResult:
    """`runs` random runs of `model`, checking `properties`; `witness`, for a symbolic
    model, times each counterexample (see the module docstring)."""
    budget = budget if budget is not None else Budget()
    budget.start_clock()
    invariants = [p for p in properties if p.kind == ALWAYS]
    settled = [p for p in properties if p.kind == AT_QUIESCENCE]
    rng = np.random.default_rng(seed)
    shortest: dict[str, tuple[int, list]] = {}    # property -> (runs index, path)
    violating = {p.name: 0 for p in properties}
    seen: set = set()
    steps_taken = longest = done = 0
    started = last_report = time.perf_counter()
    stop_reason = ""
    try:
        with budget.phase("random runs"):
            for run in range(runs):
                budget.check()
                path, found = _one_run(model, invariants, settled, rng, max_steps, seen)
                done += 1
                steps_taken += len(path) - 1
                longest = max(longest, len(path) - 1)
                for name, at in found.items():
                    violating[name] += 1
                    if name not in shortest or at < len(shortest[name][1]) - 1:
                        shortest[name] = (run, path[:at + 1])
                now = time.perf_counter()
                if progress is not None and now - last_report >= progress_interval:
                    last_report = now
                    progress({"generated": steps_taken, "distinct": len(seen), "queue": 0,
                              "depth": longest, "rate": len(seen) / (now - started),
                              "elapsed": now - started})
    except Stopped as stop:
        stop_reason = stop.reason
    elapsed = time.perf_counter() - started
    results = []
    for prop in properties:
        if prop.name in shortest:
            trace = _trace(model, shortest[prop.name][1])
            results.append(PropertyResult(
                prop.name, prop.description, prop.kind, Verdict.VIOLATED,
                violating_states=violating[prop.name], trace=trace, notes=[RANDOM_RUN],
                explanation=prop.explain(model.observe(trace.final)) if prop.explain else ""))
        else:
            results.append(PropertyResult(
                prop.name, prop.description, prop.kind, Verdict.INCOMPLETE,
                explanation=f"not violated in {done:,} random runs (random runs never show "
                            "that a property holds)"))
    stats = Statistics(
        distinct_states=len(seen), transitions=steps_taken, max_depth=longest,
        wall_seconds=elapsed, complete=False,
        stop_reason=stop_reason or f"{done:,} random runs of at most {max_steps:,} steps "
                                   f"(seed {seed}) done",
        random_runs=done)
    if witness is not None:
        for result in results:
            if result.trace is not None:
                time_counterexample(model, result, witness, budget, stats)
    return CheckResult(results, stats, symmetry=False, reduction=False,
                       mode="untimed" if witness is None else "timed")


def _one_run(model, invariants, settled, rng, max_steps: int, seen: set):
    """One random run: its path [(action or None, row), ...] and, for each property it
    violates, the index of the first state of the path that does."""
    initial = model.initial_rows()
    row = initial[rng.integers(len(initial))].copy()
    path = [(None, row)]
    found: dict[str, int] = {}
    _check_state(model, invariants, row, 0, found)
    seen.add(row.tobytes())
    for step in range(max_steps + 1):
        succ = model.successors(row[None, :], False, False)
        for name in settled_violations(model, settled, row[None, :], succ):
            found.setdefault(name, step)
        if not len(succ.index) or step == max_steps:
            break
        x = int(rng.integers(len(succ.index)))
        row = succ.buffer[succ.index[x]].copy()
        path.append((int(succ.action[x]), row))
        seen.add(row.tobytes())
        _check_state(model, invariants, row, step + 1, found)
    return path, found


def _check_state(model, invariants, row: np.ndarray, at: int, found: dict) -> None:
    for prop in invariants:
        if prop.name not in found and violations(model, prop, row[None, :])[0]:
            found[prop.name] = at


def _trace(model, path: list) -> Trace:
    return Trace(model.decode(path[0][1]),
                 tuple(Step(model.action(a), model.decode(row)) for a, row in path[1:]))
