"""Shrinking a random run to a shorter one that fails the same way.

A random run (`checker.simulation`) is the sequence of its choices: at each step, which
of the enabled successors it took, in the model's order (the first choice picks the
initial state). Replaying choices is how the run is rebuilt, and changing them is how
it is shrunk, as Hypothesis shrinks a failing example through the choices that drew it
rather than the example itself:

- a choice larger than the number of successors at its step is taken modulo it, so
  every sequence of choices replays to some run of the model;
- after the last choice, every step takes the first successor (choice 0, the simplest);
- a candidate is kept when its run violates the same property within fewer steps, or
  within as many steps with choices that are smaller in shortlex order.

The passes are those of Hypothesis's shrinker, in small: delete spans of choices (8, 4,
2, then 1 at a time), then lower each choice (to 0, to half, by one), again while either
pass improves; when neither does, each choice is tried at every larger value too (a
later branch may be the shorter road), and if that improves the passes start again. A
replay never goes beyond the best run's length, so each costs at most that many steps.
The result is a real run of the full model, and still no proof that it is a shortest
one.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from hacheck.checker.stopping import Stopped

MAX_REPLAYS = 20_000
SPANS = (8, 4, 2, 1)

# failing(row, succ) -> does this state violate the property? (succ: its successors)
Failing = Callable[[np.ndarray, object], bool]


def walk(model, pick: Callable[[int, int], int], visit, max_steps: int
         ) -> tuple[list, list[int], list[int]]:
    """A run of `model`: `pick(step, n)` chooses among the n initial states (step 0) or
    the n successors of the state before; `visit(step, row, succ)` sees each state with
    its successors and ends the run by returning True. The run also ends where nothing
    is enabled or after `max_steps` steps. Its path [(action or None, row), ...], the
    choices it took and how many there were at each."""
    initial = model.initial_rows()
    taken, widths = [pick(0, len(initial))], [len(initial)]
    row = initial[taken[0]].copy()
    path = [(None, row)]
    for step in range(max_steps + 1):
        succ = model.successors(row[None, :], False, False)
        if visit(step, row, succ) or not len(succ.index) or step == max_steps:
            break
        widths.append(len(succ.index))
        taken.append(pick(step + 1, widths[-1]))
        row = succ.buffer[succ.index[taken[-1]]].copy()
        path.append((int(succ.action[taken[-1]]), row))
    return path, taken, widths


def replay(model, choices: list[int], failing: Failing, max_steps: int):
    """The run that `choices` draw (each taken modulo the choices there are, 0 past their
    end), cut at its first failing state or after `max_steps` steps: its path, the
    choices it took, how many there were at each, and the index of its failing state,
    or None."""
    fails: list[int] = []

    def visit(step: int, row, succ) -> bool:
        if failing(row, succ):
            fails.append(step)
            return True
        return False

    path, taken, widths = walk(
        model, lambda step, n: choices[step] % n if step < len(choices) else 0, visit,
        max_steps)
    return path, taken, widths, fails[0] if fails else None


def shrink(model, choices: list[int], failing: Failing, *, budget=None,
           max_replays: int = MAX_REPLAYS) -> tuple[list, list[int], int, str]:
    """Shrink the run drawn by `choices`, which fails (`failing`), to a shorter one or to
    one with smaller choices: (its path, its choices, the replays spent, and why
    shrinking stopped early, if it did: the budget's reason). Cut short, it returns
    the best run found so far."""
    path, best, widths, at = replay(model, choices, failing, len(choices))
    if at is None:
        raise ValueError("the choices given do not draw a failing run")
    best, replays, stopped = best[:at + 1], 0, ""

    def better(candidate: list[int]) -> bool:
        nonlocal path, best, widths, replays, stopped
        try:
            if budget is not None:
                budget.check()
        except Stopped as stop:
            stopped = stop.reason
            return False
        replays += 1
        run, taken, counts, fails = replay(model, candidate, failing, len(best) - 1)
        if fails is None or (fails + 1, taken) >= (len(best), best):
            return False
        path, best, widths = run, taken, counts
        return True

    def going() -> bool:
        return replays < max_replays and not stopped

    def each_choice(alternatives) -> bool:
        """Try the alternatives(i) to each choice i in turn; did one do better?"""
        i, improved = 0, False
        while i < len(best) and going():
            if any(better(best[:i] + [v] + best[i + 1:]) for v in alternatives(i)):
                improved = True
            i += 1
        return improved

    improved = True
    while improved and going():
        improved = False
        for size in SPANS:
            i = 1                      # choice 0 is the initial state: kept
            while i < len(best) and going():
                if better(best[:i] + best[i + size:]):
                    improved = True
                else:
                    i += 1
        improved |= each_choice(lambda i: [v for v in (0, best[i] // 2, best[i] - 1)
                                           if 0 <= v < best[i]])
        if not improved:    # lowering is done: a larger choice may still be a shorter run
            improved = each_choice(lambda i: range(best[i] + 1, widths[i]))
    return path, best, replays, stopped
