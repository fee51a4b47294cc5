"""Traces: a start state and the steps that follow it, each the action taken and the
state it led to. A trace is rebuilt from the explorer's parent links by replaying actions,
so it is a real path of the model even when the search stored only orbit representatives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence


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


def replay(model, keys: Sequence, canon: Callable[[Any], Any]) -> Trace:
    """Rebuild a concrete path whose states have the identities `keys`, in order, where
    `canon(state)` is the identity the search stored (a canonical key or its fingerprint).

    From each concrete state, the first successor (in action order) whose identity is
    the next one is taken, so the result is deterministic.
    """
    initial = next((s for s in model.init_states() if canon(s) == keys[0]), None)
    if initial is None:
        raise RuntimeError("trace replay: no initial state has the recorded key")
    steps = []
    state = initial
    for key in keys[1:]:
        for action, successor in model.successors(state):
            if canon(successor) == key:
                steps.append(Step(action, successor))
                state = successor
                break
        else:
            raise RuntimeError(f"trace replay: no successor of step {len(steps)} has the recorded key")
    return Trace(initial, tuple(steps))
