"""tools/gate.py's and gate_reports.py's decisions on their own: comparing a result with
its expectation, reading an expectation, and the loop over the runs (with `observe`
replaced, so that no search runs). Each test was written against a mutant the end-to-end gate tests let live
(MUTATION.md)."""

from __future__ import annotations

import json

import pytest

import hacheck.tools.gate as gate
import hacheck.tools.gate_reports as gate_reports
from hacheck.checker.schema import ConfigError
from hacheck.checker.stopping import Budget
from hacheck.tools.gate import COUNTS, GateRun, Problem, compare, load_config, read_expectation


def observed(S1="VIOLATED", states=10, depth=3) -> dict:
    return {"verdicts": {"S1": S1, "L0": "HOLDS"}, "distinct_states": states,
            "max_depth": depth, "complete": True}


# --- compare -------------------------------------------------------------------------------

def test_an_unchanged_result_has_no_problem():
    assert compare(observed(), observed()) == []


def test_no_expectation_is_one_problem_of_the_counts():
    (problem,) = compare(None, observed())
    assert problem.subject == COUNTS and problem.text.startswith("no stored expectation")


def test_each_changed_verdict_and_each_drifted_count_is_its_own_problem():
    problems = compare(observed(S1="HOLDS", states=11, depth=4), observed())
    assert problems == [
        Problem("S1", "new violation: S1 was HOLDS, is VIOLATED"),
        Problem(COUNTS, "count drift: distinct_states was 11, is 10"),
        Problem(COUNTS, "count drift: max_depth was 4, is 3"),
    ]
    assert compare(observed(S1="VIOLATED"), observed(S1="INCOMPLETE")) == [
        Problem("S1", "changed verdict: S1 was VIOLATED, is INCOMPLETE")]


# --- read_expectation ----------------------------------------------------------------------

def write(tmp_path, data) -> object:
    path = tmp_path / "e.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


@pytest.mark.parametrize("verdict", ["HOLDS", "VIOLATED", "INCOMPLETE", "ERROR"])
def test_every_verdict_a_check_can_give_can_be_stored(tmp_path, verdict):
    data = {"verdicts": {"S1": verdict}, "distinct_states": 0, "max_depth": 0}
    assert read_expectation(write(tmp_path, data)) == data


@pytest.mark.parametrize("data, key", [
    ({"verdicts": {"S1": "MAYBE"}, "distinct_states": 1, "max_depth": 1}, "verdicts"),
    ({"verdicts": {"S1": "HOLDS"}, "distinct_states": -1, "max_depth": 1}, "distinct_states"),
    ({"verdicts": {"S1": "HOLDS"}, "distinct_states": True, "max_depth": 1}, "distinct_states"),
    ({"verdicts": {"S1": "HOLDS"}, "distinct_states": 1, "max_depth": 1.0}, "max_depth"),
    ({"verdicts": {"S1": "HOLDS"}, "distinct_states": 1}, "max_depth"),
])
def test_a_bad_expectation_names_its_key(tmp_path, data, key):
    with pytest.raises(ConfigError) as e:
        read_expectation(write(tmp_path, data))
    assert e.value.key == key and str(e.value).startswith(f"{tmp_path / 'e.json'}: {key}: ")


def test_an_expectation_that_is_not_json_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(ConfigError) as e:
        read_expectation(write(tmp_path, '{"verdicts": '))
    assert e.value.key is None and str(e.value).startswith(f"{tmp_path / 'e.json'}: not valid JSON")
    assert str(e.value).endswith("`hacheck gate --update` records it again")


# --- run_gate, with `observe` replaced -------------------------------------------------------

class Fake:
    """Stands in for `observe`: returns `result`, and stops `budget` during the run
    `stop_at` (a key), as a signal would."""

    def __init__(self, result, budget=None, stop_at=None):
        self.result, self.budget, self.stop_at, self.seen = result, budget, stop_at, []

    def __call__(self, run, out, budget=None):
        self.seen.append(run.key)
        if run.key == self.stop_at:
            self.budget.request("interrupted by SIGTERM")
        return self.result, {}, 0.5, {}


RUNS = [GateRun("a", 2, "untimed", "quick"), GateRun("b", 2, "untimed", "quick"),
        GateRun("c", 2, "untimed", "quick")]


def test_a_stop_during_a_run_reports_it_uncompared_and_skips_the_rest(tmp_path, monkeypatch):
    budget = Budget()
    fake = Fake(observed(), budget, stop_at="b-n2-untimed")
    monkeypatch.setattr(gate, "observe", fake)
    notes = []
    outcomes = gate.run_gate(RUNS, tmp_path, tmp_path, False, notes.append, budget)
    assert fake.seen == ["a-n2-untimed", "b-n2-untimed"]           # c never ran
    assert [o.run.key for o in outcomes] == ["a-n2-untimed", "b-n2-untimed"]
    assert outcomes[0].problems and not outcomes[0].interrupted   # no expectation: compared
    assert outcomes[1].problems == [] and outcomes[1].interrupted.startswith("interrupted by")
    assert not any("skipped" in n for n in notes)


def test_a_run_stopped_before_it_starts_is_skipped_with_the_reason(tmp_path, monkeypatch):
    budget = Budget()
    budget.request("interrupted by SIGINT")
    fake = Fake(observed(), budget)
    monkeypatch.setattr(gate, "observe", fake)
    notes = []
    assert gate.run_gate(RUNS, tmp_path, tmp_path, False, notes.append, budget) == []
    assert fake.seen == []
    assert notes == ["gate: a-n2-untimed skipped (interrupted by SIGINT during the start-up)"]


def test_without_a_budget_every_run_is_compared(tmp_path, monkeypatch):
    monkeypatch.setattr(gate, "observe", Fake(observed()))
    (tmp_path / "b-n2-untimed.json").write_text(json.dumps(observed()))
    outcomes = gate.run_gate(RUNS, tmp_path, tmp_path, False, lambda _: None)
    assert [bool(o.problems) for o in outcomes] == [True, False, True]
    assert outcomes[1].expected == observed()


def test_update_records_each_result_replacing_an_unreadable_one_and_passes(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(gate, "observe", Fake(observed()))
    base = tmp_path / "expected"
    base.mkdir()
    (base / "a-n2-untimed.json").write_text("not json")
    (base / "b-n2-untimed.json").write_text(json.dumps(observed(states=9)))
    notes = []
    outcomes = gate.run_gate(RUNS, base, tmp_path, True, notes.append, Budget())
    assert all(o.problems == [] for o in outcomes)
    for run in RUNS:
        assert json.loads((base / f"{run.key}.json").read_text()) == observed()
    assert any(n.startswith("gate: replacing an unreadable expectation") for n in notes)
    assert any("count drift: distinct_states was 9, is 10" in n for n in notes)


# --- check_expectations and load_config -----------------------------------------------------

def test_a_stored_expectation_is_read_up_front_unless_update_replaces_it(tmp_path):
    (tmp_path / "a-n2-untimed.json").write_text("[]")
    with pytest.raises(ConfigError, match="a-n2-untimed.json"):
        gate.check_expectations(RUNS, tmp_path, update=False)
    gate.check_expectations(RUNS, tmp_path, update=True)
    gate.check_expectations(RUNS, tmp_path / "absent", update=False)   # nothing stored yet


def test_a_configuration_gives_every_run_its_defaults_and_the_line_of_its_spec(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_text('# gate\n[[run]]\nspec = "x"\n\n[[run]]\nnodes = 3\nspec = "y"\n'
                    'mode = "timed"\ntier = "full"\ntime_limit = 5\n')
    runs, base = load_config(path)
    assert base == tmp_path / "specs/expected"
    assert runs == [GateRun("x", 2, "untimed", "quick", None, str(path), 3),
                    GateRun("y", 3, "timed", "full", 5, str(path), 7)]


@pytest.mark.parametrize("text, key", [
    ('expectations = "e"\n', "run"),
    ('run = []\n', "run"),
    ('run = [1]\n', "run[0]"),
    ('[[run]]\nnodes = 2\n', "run[0].spec"),
    ('[[run]]\nspec = "x"\n[[run]]\nspec = "y"\ntier = "slow"\n', "run[1].tier"),
])
def test_a_configuration_without_a_usable_run_names_the_key(tmp_path, text, key):
    path = tmp_path / "gate.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert e.value.key == key


def test_update_makes_an_expectations_directory_several_levels_deep(tmp_path, monkeypatch):
    monkeypatch.setattr(gate, "observe", Fake(observed()))
    base = tmp_path / "new" / "expected"
    assert gate.run_gate(RUNS[:1], base, tmp_path, True, lambda _: None, Budget())[0].problems == []
    assert json.loads((base / "a-n2-untimed.json").read_text()) == observed()


# --- the Markdown summary, word for word --------------------------------------------------

def outcome(spec, problems=(), interrupted="", traces=None, S1="VIOLATED"):
    run = GateRun(spec=spec, nodes=2, mode="timed", tier="quick")
    return gate.Outcome(run, observed(S1=S1, states=12345, depth=7), None, list(problems),
                        traces or {}, interrupted)


def test_the_summary_of_a_passing_gate_is_one_table_row_per_run(tmp_path):
    second = outcome("b.toml", S1="HOLDS")
    second.observed["verdicts"]["L1"] = "INCOMPLETE"
    text = gate_reports.markdown([outcome("a.toml"), second], tmp_path)   # no trace: no trace line
    assert text == (
        "## hacheck gate: passed\n\n"
        "| run | tier | S1 | L0 | L1 | states | depth | gate |\n"
        "|---|---|---|---|---|---:|---:|---|\n"
        "| a-n2-timed | quick | VIOLATED | HOLDS |  | 12,345 | 7 | ok |\n"
        "| b-n2-timed | quick | HOLDS | HOLDS | INCOMPLETE | 12,345 | 7 | ok |\n")


def test_the_summary_of_a_failing_and_an_interrupted_run_says_what_and_where(tmp_path,
                                                                             monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = {"itf": str(tmp_path / "t" / "x.itf.json"), "html": str(tmp_path / "t" / "x.html"),
             "bad_step": "DELIVER"}
    failing = outcome("a.toml", [Problem("S1", "new violation: S1")], traces={"S1": files})
    cut = outcome("b.toml", interrupted="interrupted")
    text = gate_reports.markdown([failing, cut], tmp_path / "out")
    assert text == (
        "## hacheck gate: FAILED\n\n"
        "| run | tier | S1 | L0 | L1 | states | depth | gate |\n"
        "|---|---|---|---|---|---:|---:|---|\n"
        "| a-n2-timed | quick | VIOLATED | HOLDS |  | 12,345 | 7 | **fails** |\n"
        "| b-n2-timed | quick | VIOLATED | HOLDS |  | 12,345 | 7 | interrupted |\n\n"
        "b-n2-timed was cut short (interrupted): not compared, and the runs after it were "
        "not run.\n\n"
        "### a-n2-timed\n\n"
        "- new violation: S1\n"
        "- S1 counterexample: `t/x.itf.json` (page `t/x.html`), bad step: DELIVER\n\n"
        "Counterexamples (ITF and web page): `out/traces`.\n")
    assert gate_reports.markdown([cut]).startswith("## hacheck gate: INTERRUPTED\n")


# --- where a run's spec is ---------------------------------------------------------------

def test_a_spec_name_is_looked_for_under_specs_then_beside_the_configuration(tmp_path):
    config = str(tmp_path / "gate.toml")
    (tmp_path / "mine.toml").write_text("")
    assert gate.spec_path(GateRun("mine", 2, "timed", "quick", config=config)) == \
        str(tmp_path / "mine.toml")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "mine.toml").write_text("")
    assert gate.spec_path(GateRun("mine", 2, "timed", "quick", config=config)) == \
        str(tmp_path / "specs" / "mine.toml")
    # a name with a suffix, or a path, is only ever relative to the configuration
    assert gate.spec_path(GateRun("specs/mine.toml", 2, "timed", "quick", config=config)) == \
        str(tmp_path / "specs" / "mine.toml")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mine.toml").write_text("")     # not looked for: a path is as given
    assert gate.spec_path(GateRun("sub/mine", 2, "timed", "quick", config=config)) == \
        str(tmp_path / "sub" / "mine")
    # a name beside the configuration wins over the same name under specs/
    (tmp_path / "both").write_text("")
    (tmp_path / "specs" / "both.toml").write_text("")
    assert gate.spec_path(GateRun("both", 2, "timed", "quick", config=config)) == \
        str(tmp_path / "both")


# --- JUnit XML, attribute by attribute ------------------------------------------------------

def test_junit_counts_each_kind_of_case_per_run_and_in_all():
    import xml.etree.ElementTree as ET
    failing = outcome("a.toml", [Problem("S1", "new violation: a"), Problem("S1", "and b")])
    failing.observed["verdicts"] = {"S1": "VIOLATED", "L0": "ERROR", "L1": "INCOMPLETE"}
    failing.reasons, failing.seconds = {"L1": "cut"}, 4.0
    cut = outcome("b.toml", interrupted="interrupted by SIGTERM")
    cut.seconds = 2.0
    root = ET.fromstring(gate_reports.junit([failing, cut]))
    assert root.attrib == {"name": "hacheck gate", "tests": "7", "failures": "1",
                           "errors": "1", "time": "6.000"}
    first, second = root
    assert first.attrib == {"name": "a-n2-timed", "tests": "4", "failures": "1",
                            "errors": "1", "skipped": "1", "time": "4.000"}
    assert second.attrib == {"name": "b-n2-timed", "tests": "3", "failures": "0",
                             "errors": "0", "skipped": "3", "time": "2.000"}
    cases = {c.attrib["name"]: c for c in first}
    assert list(cases) == ["S1", "L0", "L1", COUNTS]
    assert all(c.attrib["time"] == "1.000" and c.attrib["classname"] == "a-n2-timed"
               for c in first)                       # 4 s shared by 4 cases
    failure = cases["S1"].find("failure")
    assert failure.attrib == {"message": "new violation: a", "type": "gate"}
    assert failure.text == "new violation: a\nand b"
    assert cases["S1"].find("system-out").text == "VIOLATED"
    assert cases["L0"].find("error").attrib == {
        "message": "the check ended with an internal error", "type": "ERROR"}
    assert cases["L1"].find("skipped").attrib == {"message": "INCOMPLETE: cut"}
    assert cases[COUNTS].find("system-out").text == "12345 distinct states, depth 7"
    assert len(cases[COUNTS]) == 1                   # nothing but the counts
    for case in second:
        assert case.attrib["time"] == "0.667"
        assert case.find("skipped").attrib == {"message": "interrupted: interrupted by SIGTERM"}


@pytest.mark.parametrize("limit, ok", [(0, False), (0.001, True), (1e6, True), (1e6 + 1, False)])
def test_a_runs_time_limit_is_a_positive_number_of_seconds_up_to_a_million(tmp_path, limit,
                                                                            ok):
    path = tmp_path / "gate.toml"
    path.write_text(f'[[run]]\nspec = "x"\ntime_limit = {limit}\n')
    if ok:
        assert load_config(path)[0][0].time_limit == limit
    else:
        with pytest.raises(ConfigError) as e:
            load_config(path)
        assert e.value.key == "run[0].time_limit"


def test_an_expectation_file_may_be_a_mebibyte_and_no_more(tmp_path):
    stored = json.dumps(observed())
    path = tmp_path / "e.json"
    path.write_text(stored + " " * ((1 << 20) - len(stored)))
    assert read_expectation(path)["distinct_states"] == 10
    path.write_text(stored + " " * ((1 << 20) - len(stored) + 1))
    with pytest.raises(ConfigError):
        read_expectation(path)
