"""Random runs: counterexamples deeper than a breadth-first search can go.

`simulate` takes `runs` random runs of the model from its initial states, each step chosen
uniformly among the enabled actions (a seeded generator, so a run is the same on every
machine), until no action is enabled or `max_steps` steps. It checks every invariant on
every state of a run and every `at_quiescence` property on every quiescent state it
passes. A violation found this way is a real run of the full model (no reduction, no
symmetry); of the runs that violate a property the shortest is kept, cut at its first
violating state, and then shrunk (`checker.shrink`: fewer steps, simpler choices, the same
property violated). What no run violates is INCOMPLETE, never HOLDS: random runs sample
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

import hashlib
import time

import numpy as np

from hacheck.checker.explorer import settled_violations, violations
from hacheck.checker.properties import ALWAYS, AT_QUIESCENCE, Property
from hacheck.checker.shrink import shrink, walk
from hacheck.checker.stopping import Budget, Stopped
from hacheck.checker.trace import Step, Trace
from hacheck.checker.witness import Witness, time_counterexample
from hacheck.checker.verdict import (
    RANDOM_RUN, SHRUNK, CheckResult, PropertyResult, Statistics, Verdict,
)

MAX_STEPS = 1000
SHRUNK_RUNS = 5       # the shortest violating runs shrunk per property


def simulate(model, properties: list[Property], *, runs: int, seed: int = 0,
             max_steps: int = MAX_STEPS, budget: Budget | None = None,
             progress=None, progress_interval: float = 5.0,
             witness: Witness | None = None, shrinking: bool = True) -> CheckResult:
    """`runs` random runs of `model`, checking `properties`; each counterexample is then
    shrunk (`checker.shrink`) unless not `shrinking`, and, for a symbolic model, timed
    by `witness` (see the module docstring)."""
    budget = budget if budget is not None else Budget()
    budget.start_clock()
    checks = [(p.name, _failing(model, p)) for p in properties
              if p.kind in (ALWAYS, AT_QUIESCENCE)]
    rng = np.random.default_rng(seed)
    shortest: dict[str, list] = {}    # property -> its shortest runs: [(path, choices)]
    violating = {p.name: 0 for p in properties}
    seen: set = set()     # 64-bit digests of the states met: a timed row is kilobytes
    steps_taken = longest = done = 0
    started = last_report = time.perf_counter()
    stop_reason = ""
    try:
        with budget.phase("random runs"):
            for _ in range(runs):
                budget.check()
                path, choices, found = _one_run(model, checks, rng, max_steps, seen)
                done += 1
                steps_taken += len(path) - 1
                longest = max(longest, len(path) - 1)
                for name, at in found.items():
                    violating[name] += 1
                    kept = shortest.setdefault(name, [])
                    kept.append((path[:at + 1], choices[:at + 1]))
                    kept.sort(key=lambda run: len(run[0]))
                    del kept[SHRUNK_RUNS:]
                now = time.perf_counter()
                if progress is not None and now - last_report >= progress_interval:
                    last_report = now
                    progress({"generated": steps_taken, "distinct": len(seen), "queue": 0,
                              "depth": longest, "rate": len(seen) / (now - started),
                              "elapsed": now - started})
    except Stopped as stop:
        stop_reason = stop.reason
    results = []
    for prop in properties:
        result, cut = _verdict(model, prop, shortest.get(prop.name), violating[prop.name],
                               done, shrinking, budget)
        results.append(result)
        stop_reason = stop_reason or cut
    elapsed = time.perf_counter() - started
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


def _verdict(model, prop: Property, runs: list | None, violating: int, done: int,
             shrinking: bool, budget: Budget) -> tuple[PropertyResult, str]:
    """`prop`'s result from its shortest violating `runs` ([(path, choices)], shortest
    first; None if no run violated it), shrunk unless not `shrinking`; and why shrinking
    was cut short, if it was."""
    if runs is None:
        return PropertyResult(
            prop.name, prop.description, prop.kind, Verdict.INCOMPLETE,
            explanation=f"not violated in {done:,} random runs (random runs never show "
                        "that a property holds)"), ""
    path, choices = runs[0]
    notes, cut = [RANDOM_RUN], ""
    if shrinking:
        with budget.phase(f"shrinking the {prop.name} counterexample"):
            path, replays, cut = _shrink_shortest(model, prop, runs, budget)
        notes.append(SHRUNK.format(runs=f"the {len(runs)} shortest runs" if len(runs) > 1
                                   else "that run",
                                   found=len(choices) - 1, steps=len(path) - 1,
                                   replays=replays,
                                   cut=f" (cut short: {cut})" if cut else ""))
    trace = _trace(model, path)
    return PropertyResult(
        prop.name, prop.description, prop.kind, Verdict.VIOLATED,
        violating_states=violating, trace=trace, notes=notes,
        explanation=prop.explain(model.observe(trace.final)) if prop.explain else ""), cut


def _one_run(model, checks, rng, max_steps: int, seen: set):
    """One random run: its path [(action or None, row), ...], the choices that drew it
    (`checker.shrink`) and, for each property of `checks` ((name, `_failing`) pairs) it
    violates, the index of the first state of the path that does."""
    found: dict[str, int] = {}

    def visit(step: int, row: np.ndarray, succ) -> bool:
        seen.add(hashlib.blake2b(row.tobytes(), digest_size=8).digest())
        for name, failing in checks:
            if name not in found and failing(row, succ):
                found[name] = step
        return False

    path, choices, _ = walk(model, lambda step, n: int(rng.integers(n)), visit,
                            max_steps)
    return path, choices, found


def _shrink_shortest(model, prop: Property, runs: list, budget: Budget):
    """Shrink each of `runs` (shortest first) and keep the best: shrinking moves to a
    nearby run, and runs found far apart end at different lengths. (The best path, the
    replays spent, and why shrinking was cut short, if it was.)"""
    best, spent = None, 0
    for _, choices in runs:
        path, taken, replays, cut = shrink(model, choices, _failing(model, prop),
                                           budget=budget)
        spent += replays
        if best is None or (len(taken), taken) < (len(best[1]), best[1]):
            best = (path, taken)
        if cut:
            return best[0], spent, cut
    return best[0], spent, ""


def _failing(model, prop: Property):
    """Does a state (with its successors) violate `prop`? For `checker.shrink`."""
    if prop.kind == ALWAYS:
        return lambda row, succ: bool(violations(model, prop, row[None, :])[0])
    return lambda row, succ: bool(settled_violations(model, [prop], row[None, :], succ))


def _trace(model, path: list) -> Trace:
    return Trace(model.decode(path[0][1]),
                 tuple(Step(model.action(a), model.decode(row)) for a, row in path[1:]))
