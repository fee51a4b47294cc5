"""Traces: a start state and the steps that follow it, each the action taken and the
state it led to. A trace is rebuilt from the explorer's parent links by replaying actions,
so it is a real path of the model even when the search stored only orbit representatives.

The values a model shows of a state, for trace files and reports, are typed: int, str,
bool; a list is a sequence, a tuple a tuple, a frozenset a set, a dict with string keys
a record and with other keys (tuples of node numbers, say) a map, and a `Variant` one
case of a sum type (a message kind). Trace writers derive their file's types from these
(the ITF writer: `#bigint`, `#tup`, `#set`, `#map`, `tag`/`value`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np


class Variant(NamedTuple):
    """One case of a sum type: its tag and its value (a record, a value, or () for none)."""
    tag: str
    value: Any


@dataclass(frozen=True)
class Step:
    action: Any
    state: Any


@dataclass(frozen=True)
class Trace:
    initial: Any
    steps: tuple[Step, ...] = field(default_factory=tuple)

    @property
    def states(self) -> list:
        return [self.initial] + [step.state for step in self.steps]

    @property
    def final(self):
        return self.steps[-1].state if self.steps else self.initial

    def __len__(self) -> int:
        return len(self.steps)


def replay(model, path: Sequence, symmetry: bool, identity_of: Callable,
           same: Callable = None, reduce: int = 0) -> Trace:
    """Rebuild a concrete path whose states have the identities `path`, in order.

    `identity_of(words, hash)` is what the search stored for a (canonical) row: the row
    itself or its fingerprint. From each concrete state, the first successor (in action
    order) whose identity is the next one is taken, so the result is deterministic.
    `same(found, recorded)` says whether a successor's identity is the recorded one
    (equality by default; a passed list of zones: the recorded zone includes it, as an
    edge may lead to a zone that covers the successor).

    `reduce` is the reduction the search used (`checker.model`'s FULL, INVISIBLE,
    GROWING). Where the model chains ample steps (`chains_ample_steps`) and no single
    step reaches the next identity, the step the search took was a chain: it is rebuilt
    from the stored state's own ample steps and followed one step at a time.
    """
    if same is None:
        same = _equal
    from hacheck.checker.rows import row_hashes

    def identities(rows: np.ndarray) -> list:
        if symmetry:
            rows = model.canonical(rows)
        words = np.ascontiguousarray(rows).view(np.uint64)
        hashes = row_hashes(words)
        return [identity_of(words[r], hashes[r]) for r in range(len(rows))]

    def first(found: list, identity) -> int:
        return next(x for x, f in enumerate(found) if same(f, identity))

    chained = bool(reduce) and getattr(model, "chains_ample_steps", False)
    initial = model.initial_rows()
    try:
        start = initial[first(identities(initial), path[0])]
    except StopIteration:
        raise RuntimeError("trace replay: no initial state has the recorded key") from None
    row, steps = start, []
    for number, identity in enumerate(path[1:], 1):
        succ = model.successors(row[None, :], False, False)
        try:
            x = first(identities(succ.rows), identity)
            row = succ.rows[x]
            steps.append(Step(model.action(int(succ.action[x])), model.decode(row)))
            continue
        except StopIteration:
            if not chained:
                raise RuntimeError(f"trace replay: no successor at step {number} has the "
                                   "recorded key") from None
        try:
            taken = _chain_to(model, row, identity, symmetry, reduce, identities, first,
                              same)
        except StopIteration:    # a chain step the concrete state does not have
            taken = None
        if taken is None:
            raise RuntimeError(f"trace replay: no chain of ample steps at step {number} "
                               "reaches the recorded key")
        for action, row in taken:
            steps.append(Step(model.action(action), model.decode(row)))
    return Trace(model.decode(start), tuple(steps))


def _chain_to(model, row, identity, symmetry, reduce, identities, first, same):
    """The concrete steps from `row` along the chain the search followed to `identity`,
    or None. The search expanded the stored form of `row` (its canonical one), so the
    chain is rebuilt there; each of its steps is then matched, by identity, by a step
    of the concrete state (a permutation maps one onto the other)."""
    stored = model.canonical(row[None, :])[0] if symmetry else row
    ample = model.successors(stored[None, :], False, reduce, chain=False)
    for x in range(len(ample)):
        chain = [ample.rows[x]]
        while True:
            after = model.successors(chain[-1][None, :], False, reduce, chain=False)
            if not (len(after) == 1 and after.reduced[0]):
                break
            chain.append(after.rows[0])
        if not same(identities(chain[-1][None, :])[0], identity):
            continue
        taken = []
        for link in chain:
            succ = model.successors(row[None, :], False, False)
            y = first(identities(succ.rows), identities(link[None, :])[0])
            row = succ.rows[y]
            taken.append((int(succ.action[y]), row))
        return taken
    return None


def _equal(a, b) -> bool:
    return a == b
