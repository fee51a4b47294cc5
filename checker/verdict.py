"""Verdicts, results and exit codes: defined once, rendered by every output format.

A search cut short (by a state budget, a time limit or an interruption) never yields
HOLDS: a property that was not violated in the part explored is INCOMPLETE.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


# notes on a counterexample found with partial-order reduction
NOT_SHORTEST = ("the search for a shortest counterexample was cut short ({reason}); this "
                "one, from the reduced search, is a real run but may be longer")
REDUCED_LASSO = ("found in the graph reduced by partial-order reduction: a real cycle, but "
                 "a shorter lasso may exist (--no-por searches every interleaving)")

RANDOM_RUN = ("found by random runs (--random-runs): a real run, but a shorter one may "
              "exist")
SHRUNK = ("shrunk to {steps} steps (the shortest run found had {found}) by deleting and "
          "changing the random choices of {runs} ({replays:,} replays{cut})")


def is_shortest(notes) -> bool:
    """Is a counterexample with these notes known to be a shortest one?"""
    cut = NOT_SHORTEST[:NOT_SHORTEST.index("(")]
    return not any(note.startswith(cut) or note in (REDUCED_LASSO, RANDOM_RUN)
                   for note in notes)


class Verdict(str, enum.Enum):
    HOLDS = "HOLDS"
    VIOLATED = "VIOLATED"
    INCOMPLETE = "INCOMPLETE"
    ERROR = "ERROR"


class ExitCode(enum.IntEnum):
    OK = 0              # every property holds
    INTERNAL_ERROR = 1
    USAGE = 2           # usage or configuration error
    INCOMPLETE = 3      # the search was cut short
    SAFETY_VIOLATED = 12
    LIVENESS_VIOLATED = 13


@dataclass
class PropertyResult:
    name: str
    description: str
    kind: str
    verdict: Verdict
    violating_states: int = 0      # distinct (reduced) states violating it, as far as explored
    trace: Any = None              # checker.trace.Trace of the shortest violation, if any
    explanation: str = ""          # why the last state of the trace violates it
    times: list | None = None      # timed mode: each step's timestamp (Fractions, seconds)
    condition: str = ""            # timed mode, --explain: when this run is possible
    loop: int | None = None        # a lasso: the index of the state the trace's end returns to
    notes: list = field(default_factory=list)   # what the reader must know about the trace


@dataclass
class Statistics:
    distinct_states: int = 0
    transitions: int = 0           # successor states generated, duplicates included
    max_depth: int = 0
    wall_seconds: float = 0.0
    complete: bool = False         # the whole reachable space was explored
    stop_reason: str = ""          # why the search stopped early, if it did
    bytes_per_state: float = 0.0   # memory of the visited set and parent links, per state
    fingerprint: bool = False      # states were stored as 64-bit hashes
    collision_probability: float = 0.0  # bound on a missed state (fingerprint mode)
    workers: int = 1               # threads that computed successors
    reduced_states: int = 0        # states expanded with an ample subset (partial-order reduction)
    chained_steps: int = 0         # single ample steps passed in chains, never stored
    full_expansions: int = 0       # of those, expanded fully again by the cycle proviso
    trace_search_states: int = 0   # states of the unreduced searches for shortest traces
    random_runs: int = 0           # runs taken by a random-run search (checker.simulation)
    protocol_edges: int = 0        # liveness: protocol transitions stored for the cycle check
    bytes_per_edge: float = 0.0
    symbolic: bool = False         # states are symbolic (a discrete state and a zone)
    discrete_states: int = 0       # symbolic: the distinct discrete parts among them
    discrete_counted: bool = True  # symbolic: all of them (False: memory ran short first)
    covered_states: int = 0        # symbolic: zones later covered by a larger one
    skipped_states: int = 0        # symbolic: of those, not expanded (covered in time)
    peak_memory: int = 0           # bytes: the process's peak resident memory so far
    memory_limit: int = 0          # bytes: the limit the run stopped before (0: none)

    def cut(self, reason: str) -> None:
        """A later phase of the run was cut short for `reason`: the run is incomplete, and
        its stop reason says so after any earlier one."""
        self.complete = False
        if not self.stop_reason:
            self.stop_reason = reason
        elif reason not in self.stop_reason:
            self.stop_reason = f"{self.stop_reason}; then {reason}"

    @property
    def states_per_second(self) -> float:
        return self.distinct_states / self.wall_seconds if self.wall_seconds > 0 else 0.0


NO_TIMESTAMPS = "its timestamps were not computed: that step was cut short ({reason})"


@dataclass
class Timing:
    """What a model's witness found for a counterexample of a symbolic search: the
    timestamps of a real run along it (None: no such run was found; for a lasso, the
    times of its prefix and two turns) and what an independent check objected to them.
    `condition`: when the run is possible, if asked for."""
    times: list | None
    problems: list = field(default_factory=list)
    condition: str = ""


@dataclass
class CheckResult:
    properties: list[PropertyResult]
    statistics: Statistics
    symmetry: bool = True
    reduction: bool = False        # partial-order reduction was used
    mode: str = "untimed"
    meta: dict = field(default_factory=dict)

    @property
    def exit_code(self) -> ExitCode:
        return exit_code_for(self.properties)


def exit_code_for(results: list[PropertyResult]) -> ExitCode:
    verdicts = [(r.kind, r.verdict) for r in results]
    if any(v is Verdict.ERROR for _, v in verdicts):
        return ExitCode.INTERNAL_ERROR
    if any(k == "always" and v is Verdict.VIOLATED for k, v in verdicts):
        return ExitCode.SAFETY_VIOLATED
    if any(v is Verdict.VIOLATED for _, v in verdicts):
        return ExitCode.LIVENESS_VIOLATED
    if any(v is Verdict.INCOMPLETE for _, v in verdicts):
        return ExitCode.INCOMPLETE
    return ExitCode.OK
