"""Properties the engine checks.

- `always(P)`: every reachable state satisfies P (an invariant).
- `at_quiescence(P)`: every reachable *quiescent* state satisfies P. A state is quiescent
  when no protocol action is enabled (only environment actions, the faults and boots, may
  be): the system has settled. Under the fairness assumption "every enabled protocol
  action eventually happens, and no fault happens after the last one", a run that
  settles settles in such a state, so this is how "eventually P" is checked once the
  protocol has finished.
- `terminates()`: no infinite run of protocol actions (no cycle of them in the reachable
  graph): under the same assumption, the protocol always finishes.

Which actions are environment actions is the model's to say (`Model.is_environment`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

ALWAYS = "always"
AT_QUIESCENCE = "at_quiescence"
TERMINATES = "terminates"
LIVENESS_KINDS = (AT_QUIESCENCE, TERMINATES)
FAIRNESS = ("assuming every enabled protocol action eventually happens, and no fault "
            "happens after the last one in the run")


@dataclass(frozen=True)
class Property:
    """A named claim about the model.

    `holds(state)` is the state predicate of an `always` property, on a decoded state;
    `violated(rows)`, if given, is the same predicate over a batch of encoded rows (a
    boolean array, True where the property fails), which the explorer uses instead.
    `explain(state)`, if given, says in words why a violating state violates it.
    `reads` names the state variables the predicate depends on, so that a model can tell
    whether its partial-order reduction preserves it. `upward_closed` says that a state
    violating it still does after the variables it reads gain members (more bits set in
    a mask, none cleared): a reduction may then hide actions that only add to them
    (docs/reduction.md, "Growing what S1 reads").
    """

    name: str
    description: str
    kind: str
    holds: Callable[[object], bool]
    explain: Callable[[object], str] | None = None
    violated: Callable[[np.ndarray], np.ndarray] | None = None
    reads: frozenset | None = None   # None: any variable
    upward_closed: bool = False


def always(name: str, description: str, holds, explain=None, violated=None,
           reads=None, upward_closed=False) -> Property:
    return Property(name, description, ALWAYS, holds, explain, violated,
                    frozenset(reads) if reads is not None else None, upward_closed)


def at_quiescence(name: str, description: str, holds, explain=None) -> Property:
    return Property(name, description, AT_QUIESCENCE, holds, explain)


def terminates(name: str, description: str) -> Property:
    return Property(name, description, TERMINATES, lambda state: True)
