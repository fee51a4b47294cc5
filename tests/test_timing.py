"""Layer T: the timed search reports a violation iff a real run reaches it (model.md
section 7), with timestamps Z3 chose and the independent replay accepted.

Each scenario's answer can be derived by hand, and each would fail if the timing rules
were ignored."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from hacheck.checker import explore, Verdict, always
from hacheck.model import Config
from hacheck.model.spec import parse
from hacheck.model.timed_model import TimedHeartbeatModel
from hacheck.model.timing import TimingParameters
from hacheck.properties import safety_properties
from hacheck.witness import timestamps as timing
from hacheck.properties.safety import doubly_held
from hacheck.witness.replay import check_timed_run
from hacheck.tools.run import check, timed_search

TWO = Config(N=2, home=(0, 1))


def spec_with(tmp_path, timing_table: str, cluster="nodes = 2", faults=""):
    path = tmp_path / "spec.toml"
    path.write_text(f"[cluster]\n{cluster}\n{faults}\n[timing]\n{timing_table}\n")
    from hacheck.model.spec import load
    return load(str(path))


def fast(smax: str) -> TimingParameters:
    return TimingParameters(dmin=Fraction(1, 10), smax=Fraction(smax))


# --- a layer-D counterexample that no real run has ---------------------------------------------

def test_two_nodes_without_faults_break_s1_in_layer_d_but_not_with_fast_scripts(tmp_path):
    # In layer D, a forced take may fire at any moment; with messages taking at least
    # 0.1 s and scripts at most 0.1 s, mach_down has taken the late peer's group before
    # that peer's IPREQ can arrive, and the peer's own announcement makes it wait.
    spec = spec_with(tmp_path, "dmin = 0.1\nsmax = 0.1")
    untimed = check(spec, timed=False, trace_out=False)
    timed = check(spec, timed=True, trace_out=False)
    assert untimed.result.properties[0].verdict is Verdict.VIOLATED
    assert timed.result.properties[0].verdict is Verdict.HOLDS
    assert timed.result.statistics.complete


# --- a run possible only for some parameter values ----------------------------------------------

@pytest.mark.parametrize("smax, verdict", [("0.2", Verdict.VIOLATED), ("0.19", Verdict.HOLDS)])
def test_the_late_boot_race_needs_mach_down_to_outlast_two_message_delays(smax, verdict):
    # Node 0 boots alone and declares node 1 dead exactly deadtime later, as node 1 boots.
    # mach_down 1 (at most smax after) must run after node 1's request has crossed the
    # wire and come back (two delays of at least dmin = 0.1): the bound is closed, so
    # smax = 0.2 is enough and 0.19 is not.
    result, _ = timed_search(TWO, fast(smax))
    assert result.properties[0].verdict is verdict
    assert result.statistics.complete or verdict is Verdict.VIOLATED


def test_explain_prints_the_threshold_on_the_timing_parameters(tmp_path):
    result, _ = timed_search(TWO, fast("0.2"), explain=True)
    prop = result.properties[0]
    assert prop.verdict is Verdict.VIOLATED
    assert "smax >= 2 dmin" in prop.condition
    # and the CLI prints it
    from hacheck.tools.cli import main
    spec = tmp_path / "race.toml"
    spec.write_text("[cluster]\nnodes = 2\n[timing]\ndmin = 0.1\nsmax = 0.2\n")
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([str(spec), "--explain", "-q", "--trace-out", str(tmp_path / "t.itf.json")])
    assert code == 12
    when = out.getvalue().split("  when: ", 1)[1].split("\n  trace written")[0]
    assert " ".join(when.split()) == ("possible whenever smax >= 2 dmin and keepalive + "
                                      "rqstdelay >= 2 dmin and req_timeout + smax >= 3 dmin")


def test_the_condition_of_a_run_is_what_its_constraint_cycles_require():
    # three steps: t1 = 0, t2 - t1 >= dmin, t3 - t1 <= smax, t3 >= t2 + dmin
    C = timing.Constraint
    constraints = [C(1, None, "==", (), "start"), C(2, 1, ">=", (("dmin", 1),), "a"),
                   C(3, 1, "<=", (("smax", 1),), "b"), C(3, 2, ">=", (("dmin", 1),), "c")]
    text = timing.condition_text(timing.condition(constraints, 3))
    assert text == "possible whenever smax >= 2 dmin"
    assert timing.timestamps(constraints, 3, fast("0.2")) == [0, Fraction(1, 10), Fraction(1, 5)]
    assert timing.timestamps(constraints, 3, fast("0.19")) is None


# --- timestamps a test checks rule by rule ---------------------------------------------------

def test_three_nodes_both_survivors_run_mach_down_for_a_node_that_never_came_up():
    # heartbeat-2000.md P4 in its simplest real form: nodes 0 and 1 boot together, node 2
    # never does; both declare it dead exactly deadtime after their own boot and both
    # take its group.
    cfg = Config(N=3, home=(0, 1, 2), crashes=1, restarts=1)
    params = TimingParameters()
    result, _ = timed_search(cfg, params)
    prop = result.properties[0]
    assert prop.verdict is Verdict.VIOLATED
    steps = [(step.action.name, step.action.args) for step in prop.trace.steps]
    times = dict(zip(steps, prop.times))
    assert times[("BOOT", (0,))] == times[("BOOT", (1,))] == 0
    # HEAR of a peer's start-up heartbeat within [dmin, dmax] of its boot
    assert 0 <= times[("HEAR", (0, 1))] <= Fraction(1, 2)
    # DEAD of a node silent since my boot: exactly deadtime after my boot
    assert times[("DEAD", (0, 2))] == times[("BOOT", (0,))] + 10
    assert times[("DEAD", (1, 2))] == times[("BOOT", (1,))] + 10
    # mach_down runs within smax of the DEAD that started it
    for i in (0, 1):
        assert 0 <= times[("MACHDOWN", (i, 2))] - times[("DEAD", (i, 2))] <= 1
    assert prop.times == sorted(prop.times)
    final = prop.trace.final
    assert final.own[0] >> 2 & 1 and final.own[1] >> 2 & 1


def test_three_nodes_a_crashed_node_s_group_is_taken_by_both_survivors():
    # P4 proper: a node that was up crashes; both others run mach_down for it.
    cfg = Config(N=3, home=(0, 1, 2), crashes=1)
    after_crash = always("P4", "no group held twice after a crash",
                         lambda s: not (s.crashes_left == 0 and doubly_held(s)))
    params = TimingParameters()
    result = explore(TimedHeartbeatModel(cfg, params), [after_crash])
    prop = result.properties[0]
    assert prop.verdict is Verdict.VIOLATED
    names = [step.action.name for step in prop.trace.steps]
    assert "CRASH" in names and names.count("MACHDOWN") == 2
    steps = [(step.action, step.state) for step in prop.trace.steps]
    constraints = timing.run_constraints(cfg, prop.trace.initial, steps)
    times = timing.timestamps(constraints, len(steps), params)
    assert times is not None
    states = [prop.trace.initial.state] + [s.state for _, s in steps]
    assert check_timed_run(cfg, params, states, [a for a, _ in steps], times) == []
    crash = names.index("CRASH")
    for x, name in enumerate(names):
        if name == "DEAD":   # [u - K + D, u + dmax + D] after the crash (u), or D after a boot
            assert times[x] - times[crash] >= 8


def test_every_timed_counterexample_passes_the_independent_check_and_a_moved_step_fails_it():
    params = fast("0.2")
    result, _ = timed_search(TWO, params)
    prop = result.properties[0]
    actions = [step.action for step in prop.trace.steps]
    assert check_timed_run(TWO, params, prop.trace.states, actions, prop.times) == []
    late = list(prop.times)
    last = len(late) - 1            # the forced take: at least R after the IPREQ
    late[last] = late[last] - Fraction(1, 2)
    assert check_timed_run(TWO, params, prop.trace.states, actions, late)


# --- symmetry, spec, report -----------------------------------------------------------------

@pytest.mark.parametrize("smax", ["0.2", "0.19"])
def test_symmetry_changes_neither_the_timed_verdict_nor_the_trace_length(smax):
    with_sym = explore(TimedHeartbeatModel(TWO, fast(smax)), safety_properties(TWO))
    without = explore(TimedHeartbeatModel(TWO, fast(smax)), safety_properties(TWO),
                      symmetry=False)
    a, b = with_sym.properties[0], without.properties[0]
    assert a.verdict is b.verdict
    assert (a.trace is None) == (b.trace is None)
    if a.trace is not None:
        assert len(a.trace) == len(b.trace)
    if a.verdict is Verdict.HOLDS:
        assert with_sym.statistics.distinct_states < without.statistics.distinct_states


def test_timing_table_errors_name_the_key_and_the_rule():
    with pytest.raises(ValueError, match=r"s.toml: timing.deadtime: expected more than keepalive \+ dmax"):
        parse({"timing": {"deadtime": 2.5}}, "s.toml")
    with pytest.raises(ValueError, match=r"timing.dmin: expected at most dmax"):
        parse({"timing": {"dmin": 0.6}}, "s.toml")
    with pytest.raises(ValueError, match=r"timing.deadtme: unknown key"):
        parse({"timing": {"deadtme": 10}}, "s.toml")


def test_the_timed_trace_file_carries_each_step_s_timestamp(tmp_path):
    spec = spec_with(tmp_path, "dmin = 0.1\nsmax = 0.2")
    out = tmp_path / "race.itf.json"
    run = check(spec, timed=True, trace_out=str(out))
    document = json.loads(out.read_text())
    times = [s["#meta"]["time_exact"] for s in document["states"][1:]]
    assert times == [str(t) for t in run.result.properties[0].times]
    assert document["#meta"]["mode"] == "timed"
