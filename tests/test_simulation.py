"""Random runs (checker/simulation.py, `hacheck --random-runs`): real counterexamples
beyond the search's depth, never a HOLDS."""

from __future__ import annotations

import json

import pytest

from hacheck.checker import Verdict
from hacheck.checker.properties import always
from hacheck.checker.simulation import simulate
from hacheck.checker.verdict import RANDOM_RUN
from hacheck.checker.verdict import Timing
from hacheck.model import Config, HeartbeatModel
from hacheck.model.timed_model import TimedHeartbeatModel
from hacheck.model.timing import TimingParameters
from hacheck.properties import all_properties
from hacheck.properties.liveness import orphaned
from hacheck.tools.cli import main
from hacheck.witness import timestamps

from fixture_models import TwoRoads, real

THREE_NODES = Config(N=3, home=(0, 1, 2))


def test_random_runs_find_three_nodes_l1_violation_as_a_real_settled_run():
    # README, "Three nodes": L1 fails without faults, deeper than the search reaches
    model = HeartbeatModel(THREE_NODES)
    result = simulate(model, all_properties(THREE_NODES), runs=1000, seed=1)
    verdicts = {p.name: p for p in result.properties}
    assert verdicts["S1"].verdict is Verdict.VIOLATED
    assert verdicts["L0"].verdict is Verdict.INCOMPLETE       # a sample shows no cycle
    l1 = verdicts["L1"]
    assert l1.verdict is Verdict.VIOLATED and l1.notes[0] == RANDOM_RUN
    assert real(model, l1.trace) and real(model, verdicts["S1"].trace)
    assert model.successors_of(l1.trace.final) == []          # settled
    assert orphaned(THREE_NODES, l1.trace.final)
    s1 = verdicts["S1"].trace.final
    assert any(sum(s1.own[i] >> g & 1 for i in range(3)) > 1
               for g in range(3))                             # a group held twice
    assert result.statistics.random_runs == 1000 and not result.statistics.complete
    assert int(result.exit_code) == 12


def test_the_same_seed_gives_the_same_runs_and_another_seed_others():
    model = HeartbeatModel(THREE_NODES)
    runs = [simulate(model, all_properties(THREE_NODES), runs=200, seed=seed)
            for seed in (5, 5, 6)]
    traces = [[p.trace for p in r.properties] for r in runs]
    assert traces[0] == traces[1]
    assert runs[0].statistics.transitions == runs[1].statistics.transitions
    assert runs[0].statistics.transitions != runs[2].statistics.transitions


def test_what_no_random_run_violates_is_incomplete_never_holds():
    cfg = Config(N=2, home=(0, 1))        # L0 and L1 hold here (docs/liveness.md)
    result = simulate(HeartbeatModel(cfg), all_properties(cfg), runs=300, seed=0)
    for prop in result.properties[1:]:
        assert prop.verdict is Verdict.INCOMPLETE and "300 random runs" in prop.explanation


def test_the_command_reports_random_runs_and_writes_their_traces(capsys, tmp_path):
    spec = tmp_path / "n3.toml"
    spec.write_text("[cluster]\nnodes = 3\n[faults]\ncrashes = 0\nrestarts = 0\n")
    code = main([str(spec), "--untimed", "--random-runs", "1000", "--seed", "1", "-q",
                 "--json", "--trace-out", str(tmp_path / "t.itf.json")])
    report = json.loads(capsys.readouterr().out)
    assert code == 12
    assert [p["verdict"] for p in report["properties"]] == ["VIOLATED", "INCOMPLETE",
                                                            "VIOLATED"]
    assert report["statistics"]["random_runs"] == 1000
    assert (tmp_path / "t.itf.json").is_file() and (tmp_path / "t-L1.itf.json").is_file()
    code = main([str(spec), "--untimed", "--random-runs", "1000", "--seed", "1", "-q",
                 "--trace-out", str(tmp_path / "t.itf.json")])
    out = capsys.readouterr().out
    assert "mode: untimed random runs" in out and "counterexample to L1 (" in out
    assert "shortest counterexample" not in out     # a random run need not be shortest


@pytest.mark.parametrize("argv, needle", [
    (["--untimed", "--random-runs", "0"], "--random-runs: expected a whole number of runs"),
    (["--random-runs", "5", "--fingerprint"], "--random-runs: expected no --fingerprint"),
    (["--untimed", "--seed", "4"], "--seed: expected --random-runs as well"),
    (["--untimed", "--random-runs", "3", "--keep-going"], "no --keep-going"),
    (["--random-runs", "3", "--por"], "no --por"),
    (["--untimed", "--random-runs", "3", "--seed", "-1"], "--seed: expected a whole number"),
])
def test_bad_random_run_options_are_one_line_errors(capsys, argv, needle):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_a_run_stops_at_max_steps_and_its_last_state_is_still_checked():
    model = HeartbeatModel(THREE_NODES)
    short = simulate(model, all_properties(THREE_NODES), runs=300, seed=1, max_steps=5)
    assert short.statistics.max_depth == 5          # S1's shortest run has 6 steps
    assert {p.name: p.verdict for p in short.properties}["S1"] is Verdict.INCOMPLETE
    # the last state of a cut run counts: S1 violated exactly at step 6 (5 of 3,000 runs)
    six = simulate(model, all_properties(THREE_NODES), runs=3000, seed=1, max_steps=6)
    s1 = six.properties[0]
    assert s1.verdict is Verdict.VIOLATED and len(s1.trace) == 6


def test_timed_random_runs_find_the_three_node_l1_violation_with_timestamps():
    # boots are not bounded by default (cluster.boot_skew): a node booting at deadtime
    # may already be dead to the first (README, "Three nodes")
    params = TimingParameters().with_environment(THREE_NODES)
    model = TimedHeartbeatModel(THREE_NODES, params)
    result = simulate(model, all_properties(THREE_NODES), runs=200, seed=1,
                      witness=timestamps.witness(THREE_NODES, params, False))
    assert result.mode == "timed"
    l1 = {p.name: p for p in result.properties}["L1"]
    assert l1.verdict is Verdict.VIOLATED and l1.notes[0] == RANDOM_RUN
    assert orphaned(THREE_NODES, l1.trace.final)              # the witness's observed states
    assert len(l1.times) == len(l1.trace)                      # one per step
    assert l1.times == sorted(l1.times) and l1.times[-1] >= params.D   # deadtime passes
    assert l1.trace.steps[-1].action.name != "BOOT"
    untimed = HeartbeatModel(THREE_NODES)                     # layer D has every timed run
    assert real(untimed, l1.trace) and untimed.successors_of(l1.trace.final) == []


def test_a_timed_random_run_the_witness_cannot_time_is_an_internal_error():
    params = TimingParameters().with_environment(THREE_NODES)
    result = simulate(TimedHeartbeatModel(THREE_NODES, params), all_properties(THREE_NODES),
                      runs=200, seed=1, witness=lambda trace, loop, poll: Timing(None))
    l1 = {p.name: p for p in result.properties}["L1"]
    assert l1.verdict is Verdict.ERROR and l1.trace is None


def test_the_command_takes_timed_random_runs_by_default(capsys, tmp_path):
    spec = tmp_path / "n3.toml"
    spec.write_text("[cluster]\nnodes = 3\n[faults]\ncrashes = 0\nrestarts = 0\n")
    code = main([str(spec), "--random-runs", "200", "--seed", "1", "-q",
                 "--trace-out", str(tmp_path / "t.itf.json")])
    out = capsys.readouterr().out
    assert code == 13 and "mode: timed random runs" in out and "timing: " in out
    assert "violates L1" in out and "This run is real: its timestamps" in out
    itf = json.loads((tmp_path / "t.itf.json").read_text())
    assert itf["#meta"]["mode"] == "timed" and itf["#meta"]["property"] == "L1"


def test_random_runs_count_the_distinct_states_they_meet():
    never_x = always("NX", "never reach X", lambda s: s[0] != "X")
    result = simulate(TwoRoads(), [never_x], runs=50, seed=0, shrinking=False)
    # start, nine places on the long road, two on the short one, and X
    assert result.statistics.distinct_states == 13


def test_a_search_cut_by_a_limit_points_to_random_runs_and_a_finished_one_does_not(capsys):
    code = main(["--nodes", "3", "--max-states", "1000", "-q"])
    out = capsys.readouterr().out
    assert code == 3 and "hint: --random-runs R" in out
    code = main(["--untimed", "-q"])        # stops at S1's violation: L0 and L1 not checked
    out = capsys.readouterr().out
    assert code == 12 and "hint:" not in out
