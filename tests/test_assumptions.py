"""heartbeat-2000.md section 6.3's assumptions: the environment's timing as spec options
(faults.quiet, cluster.boot_skew), the report of which assumptions a spec satisfies, and
for each option a run it rules out that is found when it is off."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from hacheck.model.assumptions import assumptions
from hacheck.model.spec import SpecError, load, parse
from hacheck.model.timing import TimingParameters
from hacheck.tools.run import check
from hacheck.witness.replay import check_timed_run


def holding(cfg, timing=TimingParameters()) -> dict:
    return {a.name: a.holds for a in assumptions(cfg, timing)}


@pytest.mark.parametrize("version", ["1.51", "1.65"])
def test_the_assumption_specs_satisfy_every_assumption(version):
    spec = load(f"assumptions-{version}")
    cfg = spec.config()
    assert (cfg.quiet, cfg.boot_skew) == (Fraction(31), Fraction(5))
    assert holding(cfg, spec.timing) == dict.fromkeys(("A1", "A2", "A3", "A4", "A5"), True)


@pytest.mark.parametrize("change, broken", [
    ({"link_toggles": 2}, "A1"), ({"boot_skew": Fraction(10)}, "A1"),
    ({"boot_skew": None}, "A1"), ({"transport": "unsequenced", "losses": 1}, "A3"),
    ({"N": 3, "home": (0, 1, 2)}, "A4"), ({"quiet": Fraction(30)}, "A5"),
    ({"quiet": None}, "A5"),
])
def test_dropping_one_assumption_breaks_that_one_only(change, broken):
    cfg = replace(load("assumptions-1.65").config(), **change)
    found = holding(cfg)
    assert [name for name, holds in found.items() if not holds] == [broken]


def test_a2_is_a_condition_on_the_timing_and_stonith_before_takeover_stands_for_a1():
    cfg = load("assumptions-1.65").config()
    assert not holding(cfg, TimingParameters(R=Fraction(3, 2)))["A2"]
    partitioned = replace(cfg, link_toggles=2)
    assert holding(replace(partitioned, stonith="gated"))["A1"]
    assert not holding(replace(partitioned, stonith="race"))["A1"]


@pytest.mark.parametrize("text, key, expected", [
    ("[faults]\nquiet = -1", "faults.quiet", '"off" or a number of seconds'),
    ('[faults]\nquiet = "soon"', "faults.quiet", '"off" or a number of seconds'),
    ("[cluster]\nboot_skew = 0.0001", "cluster.boot_skew", "a multiple of 0.001"),
])
def test_a_bad_environment_timing_is_refused_naming_the_key(tmp_path, text, key, expected):
    import tomllib
    with pytest.raises(SpecError) as refused:
        parse(tomllib.loads(text), "s.toml")
    assert refused.value.key == key and expected in str(refused.value)


def test_the_options_default_to_off_and_take_seconds():
    import tomllib
    assert parse({"cluster": {}}, "s.toml").config().quiet is None
    spec = parse(tomllib.loads('[cluster]\nboot_skew = 2.5\n[faults]\nquiet = "off"'), "s")
    assert (spec.config().boot_skew, spec.config().quiet) == (Fraction(5, 2), None)


def test_the_run_reports_which_assumptions_hold_in_its_header_and_json(tmp_path):
    from hacheck.tools.report import render_text
    spec = load("assumptions-1.65").with_options(crashes=0, restarts=0)
    run = check(spec, timed=True, trace_out=False)
    assert [a["holds"] for a in run.result.meta["assumptions"]] == [True] * 5
    header = render_text(run).splitlines()[2]
    assert header.startswith("design assumptions (heartbeat-2000.md 6.3): A1, A2, A3, A4, A5")
    assert run.result.meta["timing"]["quiet"] == 31.0
    assert run.result.meta["timing"]["boot_skew"] == 5.0


# --- each option rules out a run that is found without it -------------------------------------

@pytest.fixture(scope="module")
def unguarded_s1():
    """1.65's shortest real S1 counterexample at two nodes with a crash and a restart,
    with the environment free (no quiet period, no boot skew): its timed trace."""
    run = check(load("heartbeat-1.65"), timed=True, trace_out=False)
    s1 = run.result.properties[0]
    assert s1.verdict.value == "VIOLATED" and s1.times is not None
    return run.cfg, s1


def timed_paths(cfg, states, actions) -> int:
    """How many symbolic paths of the timed model (the plain-Python reference, exact for
    reachability) follow these discrete steps: 0 when no timing makes them a run."""
    from reference_timed_model import TimedHeartbeat
    model = TimedHeartbeat(cfg, TimingParameters())
    frontier = model.initial()
    for action, state in zip(actions, states[1:]):
        frontier = [t for ts in frontier for a, t in model.successors(ts, False)
                    if a == action and t.state == state]
    return len(frontier)


@pytest.mark.parametrize("option, value, rule", [
    ("quiet", Fraction(31), "quiet"), ("boot_skew", Fraction(5), "boot skew"),
])
def test_each_option_rules_out_the_run_found_without_it(unguarded_s1, option, value, rule):
    cfg, s1 = unguarded_s1
    trace = s1.trace
    states = [trace.initial] + [step.state for step in trace.steps]
    actions = [step.action for step in trace.steps]
    params = TimingParameters()
    assert check_timed_run(cfg, params.with_environment(cfg), states, actions, s1.times) == []
    guarded = replace(cfg, **{option: value})
    problems = check_timed_run(guarded, params.with_environment(guarded), states, actions,
                               s1.times)
    assert problems and all(rule in p for p in problems), problems
    # and no other timing makes the same steps a run under the option
    assert timed_paths(cfg, states, actions) > 0
    assert timed_paths(guarded, states, actions) == 0
