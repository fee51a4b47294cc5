"""Properties the engine checks. Only `always` (an invariant over reachable states) for now;
liveness kinds are added beside it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

ALWAYS = "always"


@dataclass(frozen=True)
class Property:
    """A named claim about the model.

    `holds(state)` is the state predicate of an `always` property; `explain(state)`, if
    given, says in words why a violating state violates it.
    """

    name: str
    description: str
    kind: str
    holds: Callable[[object], bool]
    explain: Callable[[object], str] | None = None


def always(name: str, description: str, holds, explain=None) -> Property:
    return Property(name, description, ALWAYS, holds, explain)
