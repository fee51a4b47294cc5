"""Properties the engine checks. Only `always` (an invariant over reachable states) for now;
liveness kinds are added beside it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

ALWAYS = "always"


@dataclass(frozen=True)
class Property:
    """A named claim about the model.

    `holds(state)` is the state predicate of an `always` property, on a decoded state;
    `violated(rows)`, if given, is the same predicate over a batch of encoded rows (a
    boolean array, True where the property fails), which the explorer uses instead.
    `explain(state)`, if given, says in words why a violating state violates it.
    `reads` names the state variables the predicate depends on, so that a model can tell
    whether its partial-order reduction preserves it.
    """

    name: str
    description: str
    kind: str
    holds: Callable[[object], bool]
    explain: Callable[[object], str] | None = None
    violated: Callable[[np.ndarray], np.ndarray] | None = None
    reads: frozenset | None = None   # None: any variable


def always(name: str, description: str, holds, explain=None, violated=None,
           reads=None) -> Property:
    return Property(name, description, ALWAYS, holds, explain, violated,
                    frozenset(reads) if reads is not None else None)
