"""checker/verdict.py's contract, pinned where mutation testing found it unpinned: the
exit codes a CI system reads (as the README's table documents them), the verdict words
every output format writes, which verdict decides the exit code, and how a later phase
that was cut marks the statistics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hacheck.checker.verdict import (
    NO_TIMESTAMPS, CheckResult, ExitCode, PropertyResult, Statistics, Timing, Verdict,
    exit_code_for,
)

README = Path(__file__).resolve().parent.parent / "README.md"


def result(kind: str, verdict: Verdict) -> PropertyResult:
    return PropertyResult(name="P", description="", kind=kind, verdict=verdict)


def documented_codes() -> dict[str, int]:
    """The exit code of each row of the README's 'How a run ends' table."""
    rows = re.findall(r"^\| (.+?) \| .+? \| (\d+)(?:, or 12/13.*)? \|$",
                      README.read_text(encoding="utf-8"), re.M)
    return {what: int(code) for what, code in rows}


def test_the_exit_codes_are_the_ones_the_readme_documents():
    rows = documented_codes()
    assert rows["every property decided, all hold"] == ExitCode.OK == 0
    assert rows["S1 violated (first violation, or any time before a stop)"] \
        == ExitCode.SAFETY_VIOLATED == 12
    assert rows["L0 or L1 violated, S1 not"] == ExitCode.LIVENESS_VIOLATED == 13
    assert rows["`--time-limit`, `--max-states`, `--max-depth`, `--memory-limit`"] \
        == ExitCode.INCOMPLETE == 3
    assert rows["bad input: a spec, an option, an output path"] == ExitCode.USAGE == 2
    assert rows["a model bound (a fourth pending child) or an internal error"] \
        == ExitCode.INTERNAL_ERROR == 1


def test_every_exit_code_is_distinct():
    assert len({int(c) for c in ExitCode}) == len(ExitCode)


def test_the_verdict_words_are_what_the_outputs_write():
    assert [v.value for v in Verdict] == ["HOLDS", "VIOLATED", "INCOMPLETE", "ERROR"]
    assert [str(v.value) for v in Verdict] == [v.name for v in Verdict]


@pytest.mark.parametrize("verdicts, code", [
    ([("always", Verdict.HOLDS), ("eventually", Verdict.HOLDS)], ExitCode.OK),
    ([], ExitCode.OK),
    ([("always", Verdict.INCOMPLETE)], ExitCode.INCOMPLETE),
    ([("eventually", Verdict.VIOLATED), ("always", Verdict.INCOMPLETE)],
     ExitCode.LIVENESS_VIOLATED),
    ([("eventually", Verdict.VIOLATED), ("always", Verdict.VIOLATED)],
     ExitCode.SAFETY_VIOLATED),
    ([("always", Verdict.VIOLATED), ("eventually", Verdict.ERROR)], ExitCode.INTERNAL_ERROR),
    ([("at_quiescence", Verdict.VIOLATED)], ExitCode.LIVENESS_VIOLATED),
])
def test_the_worst_verdict_decides_the_exit_code(verdicts, code):
    results = [result(k, v) for k, v in verdicts]
    assert exit_code_for(results) == code
    assert CheckResult(results, Statistics()).exit_code == code


def test_a_new_result_and_new_statistics_start_empty():
    r = result("always", Verdict.HOLDS)
    assert (r.violating_states, r.trace, r.explanation, r.times, r.condition, r.loop,
            r.notes) == (0, None, "", None, "", None, [])
    assert result("always", Verdict.HOLDS).notes is not r.notes
    s = Statistics()
    assert (s.distinct_states, s.transitions, s.max_depth, s.wall_seconds, s.complete,
            s.stop_reason, s.bytes_per_state, s.fingerprint, s.workers) == (
        0, 0, 0, 0.0, False, "", 0.0, False, 1)
    assert (s.symbolic, s.discrete_states, s.covered_states, s.skipped_states,
            s.peak_memory, s.memory_limit) == (False, 0, 0, 0, 0, 0)
    assert (s.collision_probability, s.reduced_states, s.full_expansions,
            s.trace_search_states, s.protocol_edges,
            s.bytes_per_edge) == (0.0, 0, 0, 0, 0, 0.0)
    timing = Timing(None)
    assert (timing.problems, timing.condition) == ([], "")
    assert Timing(None).problems is not timing.problems
    c = CheckResult([], s)
    assert (c.symmetry, c.reduction, c.mode, c.meta) == (True, False, "untimed", {})


def test_a_later_phase_cut_short_says_so_after_the_first_reason_once():
    s = Statistics(complete=True)
    s.cut("time limit of 1 s reached")
    assert (s.complete, s.stop_reason) == (False, "time limit of 1 s reached")
    s.cut("interrupted by SIGINT")
    assert s.stop_reason == "time limit of 1 s reached; then interrupted by SIGINT"
    s.cut("interrupted by SIGINT")
    assert s.stop_reason == "time limit of 1 s reached; then interrupted by SIGINT"


def test_states_per_second_is_zero_before_any_time_has_passed():
    assert Statistics(distinct_states=10, wall_seconds=0.0).states_per_second == 0.0
    assert Statistics(distinct_states=10, wall_seconds=4.0).states_per_second == 2.5
    assert Statistics(distinct_states=10, wall_seconds=0.5).states_per_second == 20.0


def test_a_trace_without_timestamps_says_which_step_was_cut():
    assert NO_TIMESTAMPS.format(reason="interrupted by SIGINT") == (
        "its timestamps were not computed: that step was cut short (interrupted by SIGINT)")
