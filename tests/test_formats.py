"""The files hacheck writes open in the tools that read them, checked with those tools.

- ITF: itf-py loads and round-trips every trace (tests/conftest.py checks every trace any
  test writes; here a lasso and the typing of the state in detail), and hacheck's viewer
  reads both this form and the one hacheck wrote before;
- SARIF: the OASIS SARIF 2.1.0 schema (tests/schemas/sarif-schema-2.1.0.json, from
  oasis-tcs/sarif-spec) with jsonschema, GitHub code scanning's rules with Microsoft's SARIF
  multitool (`validate --rule-kind "Sarif;Gh"`), relative locations, fingerprints;
- JUnit: the Jenkins xunit plugin's junit-10.xsd (tests/schemas/junit-10.xsd, from
  jenkinsci/xunit-plugin) with xmlschema;
- pre-commit: `pre-commit try-repo` in a scratch repository with an edited spec fails;
- the command line conventions: `python -m hacheck`, help within 79 columns, TLC's
  progress line, NO_COLOR, the terminal view's wrapping.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import itf_types
from hacheck.tools.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = Path(__file__).resolve().parent / "schemas"
HACHECK = Path(sys.executable).parent / "hacheck"
TOOLS = Path(__file__).resolve().parent / ".tools"      # .ci/run installs the multitool here


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def lasso(tmp_path) -> Path:
    """An L0 lasso (two groupless nodes in 1.51 announce for ever), written as ITF."""
    from hacheck.model import Config
    from hacheck.properties import all_properties
    from hacheck.tools.itf import write_itf
    from hacheck.tools.run import itf_document, search
    cfg = Config(N=2, home=())
    result = search(cfg, all_properties(cfg), keep_going=True, max_states=200_000).result
    result.mode, result.meta = "untimed", {"spec": "groupless"}
    l0 = next(p for p in result.properties if p.name == "L0")
    assert l0.loop is not None
    path = tmp_path / "lasso.itf.json"
    write_itf(path, itf_document(cfg, l0, result))
    return path


def written_trace(tmp_path, *argv) -> dict:
    path = tmp_path / "t.itf.json"
    assert main([*argv, "-q", "--trace-out", str(path)]) in (12, 13)
    return json.loads(path.read_text())


# --- ITF -----------------------------------------------------------------------------------

def test_a_lasso_loads_in_itf_py_and_its_last_state_is_states_of_loop(tmp_path):
    document = json.loads(lasso(tmp_path).read_text())
    itf_types.check(document)       # round trip, and states[-1] == states[loop]
    assert document["states"][-1] != document["states"][document["loop"]]   # but #meta


def test_sets_maps_and_messages_have_the_types_adr_015_gives_them(tmp_path):
    document = written_trace(tmp_path, "--untimed", "--nodes", "3")
    types = itf_types.one_type_per_field(document)
    for name in ("heard", "dead", "md", "own"):
        assert types[name] == ("list", ("set", "int")), name
    kind, key, value = types["ch"]
    assert (kind, key) == ("map", ("tup", ("int", "int")))
    assert types["conn"] == ("map", ("tup", ("int", "int")), "bool")
    messages = dict(value[1][1])            # the variant's tags and their value types
    assert set(messages) <= {"STARTING", "RES", "IPREQ", "IPRESP"} and "RES" in messages
    res = dict(messages["RES"][1])
    assert res["st"][0] == "variant" and {t for t, _ in res["st"][1]} <= {"Stable", "Unstable",
                                                                           "Absent"}
    assert res["n"] == "str" and res["md"] == "int" and res["s"] == "int"
    first = document["states"][1]
    assert first["conn"]["#map"][0] == [{"#tup": [{"#bigint": "0"}, {"#bigint": "1"}]}, True]


def test_the_viewer_reads_the_typed_form_and_draws_the_messages(tmp_path, capsys):
    from hacheck.tools.trace_view import load_trace
    path = tmp_path / "t.itf.json"
    written_trace(tmp_path, "--untimed")
    view = load_trace(path)
    assert view.messages and all(m.label for m in view.messages)
    assert not any("not drawn" in p for p in view.problems)
    assert main(["view", str(path)]) == 0
    assert "own[1]: {} -> {g1}" in capsys.readouterr().out


OLD_FORM = {   # what hacheck wrote before: lists for sets, "i->j" records, untyped flags
    "#meta": {"format": "ITF", "property": "S1", "verdict": "VIOLATED"},
    "vars": ["ph", "own", "heard", "ch", "conn"],
    "states": [
        {"#meta": {"index": 0, "action": "init"}, "ph": ["up", "up"], "own": [[], []],
         "heard": [[], []], "ch": {"0->1": [], "1->0": []}, "conn": {"0-1": True}},
        {"#meta": {"index": 1, "action": "MACHDOWN(0, 1)", "action_name": "MACHDOWN",
                   "node": 0, "args": [0, 1]},
         "ph": ["up", "up"], "own": [[{"#bigint": "1"}], []], "heard": [[], []],
         "ch": {"0->1": [{"t": "RES", "s": {"#bigint": "0"}, "n": "foreign", "st": "absent",
                          "md": {"#bigint": "1"}}], "1->0": []}, "conn": {"0-1": True}},
        {"#meta": {"index": 2, "action": "DELIVER(0, 1)", "action_name": "DELIVER",
                   "node": 1, "args": [0, 1]},
         "ph": ["up", "up"], "own": [[{"#bigint": "1"}], []], "heard": [[], [0]],
         "ch": {"0->1": [], "1->0": []}, "conn": {"0-1": True}},
    ]}


def test_the_viewer_still_reads_the_files_hacheck_wrote_before(tmp_path, capsys):
    from hacheck.tools.trace_view import load_trace
    path = tmp_path / "old.itf.json"
    path.write_text(json.dumps(OLD_FORM))
    view = load_trace(path)
    assert [(m.sender, m.receiver, m.label, m.fate) for m in view.messages] == [
        (0, 1, "RES foreign mach_down", "delivered")]
    assert main(["view", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ch[0->1]: [] -> [RES(0 foreign mach_down)]" in out


# --- SARIF and JUnit from a gate that fails -------------------------------------------------

def failing_gate(tmp_path) -> Path:
    """A gate run on an edited copy of the default spec (with crashes, so that the
    counterexample takes a crash), against an expectation recorded before the edit."""
    repo = tmp_path / "repo"
    (repo / "specs").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    spec = repo / "specs" / "mine.toml"
    spec.write_text((ROOT / "specs" / "active-passive.toml").read_text())
    (repo / "gate.toml").write_text('expectations = "expected"\n[[run]]\nspec = "mine"\n'
                                    'nodes = 2\n[[run]]\nspec = "heartbeat-1.51"\nnodes = 1\n')
    assert main(["gate", "--config", str(repo / "gate.toml"), "--update"]) == 0
    spec.write_text(spec.read_text().replace("restarts = 1", "restarts = 0"))
    out = tmp_path / "report"
    assert main(["gate", "--config", str(repo / "gate.toml"), "--out", str(out)]) == 4
    return out


@pytest.fixture(scope="module")
def gate_report(tmp_path_factory):
    here = Path.cwd()
    tmp = tmp_path_factory.mktemp("gate")
    os.chdir(tmp)
    try:
        return failing_gate(tmp)
    finally:
        os.chdir(here)


def test_results_sarif_is_valid_sarif_2_1_0(gate_report):
    import jsonschema
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.validate(json.loads((gate_report / "results.sarif").read_text()), schema)


def sarif_multitool() -> list[str]:
    node = shutil.which("node")
    assert node, "node is needed for the SARIF multitool (apt-get install nodejs npm)"
    missing = ("Microsoft's SARIF multitool is missing: npm install --prefix tests/.tools "
               "@microsoft/sarif-multitool (.ci/run does)")
    assert TOOLS.is_dir(), missing
    found = subprocess.run([node, "-e", "console.log(require('@microsoft/sarif-multitool'))"],
                           cwd=TOOLS, capture_output=True, text=True)
    assert found.returncode == 0, missing
    return [found.stdout.strip()]


def test_results_sarif_meets_github_code_scannings_rules(gate_report, tmp_path):
    log = tmp_path / "validation.sarif"
    done = subprocess.run([*sarif_multitool(), "validate", "--rule-kind", "Sarif;Gh",
                           "--output", str(log), str(gate_report / "results.sarif")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    found = json.loads(log.read_text())["runs"][0]["results"]
    problems = [(r["ruleId"], r.get("level", "warning"), json.dumps(r["message"])[:160])
                for r in found]
    # informationUri: hacheck has no public page yet, and a placeholder would be worse
    assert [p for p in problems if p[0] != "SARIF2005"] == [], problems
    assert not any(p[0].startswith("GH") for p in problems)


def test_sarif_locations_are_relative_lines_of_the_spec_with_stable_fingerprints(gate_report,
                                                                                tmp_path):
    log = json.loads((gate_report / "results.sarif").read_text())
    run = log["runs"][0]
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["fullDescription"]["text"] and rule["help"]["text"]
        assert rule["name"] != rule["id"]
    assert "informationUri" not in run["tool"]["driver"]
    results = {r["properties"]["run"]: r for r in run["results"]}
    mine = results["mine-n2-untimed"]
    assert mine["level"] == "error"
    where = mine["locations"][0]["physicalLocation"]
    assert where["artifactLocation"] == {"uri": "specs/mine.toml", "uriBaseId": "%SRCROOT%"}
    spec_lines = (gate_report.parent / "repo" / "specs" / "mine.toml").read_text()
    crashed = "CRASH" in (gate_report / "traces" / "mine-n2-untimed.itf.json").read_text()
    wanted = "crashes = 1" if crashed else "nice_failback = true"
    assert spec_lines.splitlines()[where["region"]["startLine"] - 1].startswith(wanted)
    text = json.dumps(log)
    assert "/tmp/" not in json.dumps([r["message"] for r in run["results"]])
    assert "file://" not in text
    assert re.fullmatch(r"[0-9a-f]{32}", mine["partialFingerprints"]["hacheckViolation/v1"])


def test_the_fingerprint_of_a_violation_does_not_depend_on_where_the_gate_ran(tmp_path):
    out = failing_gate(tmp_path)
    first = json.loads((out / "results.sarif").read_text())["runs"][0]["results"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.chdir(elsewhere)
    second = json.loads((failing_gate(elsewhere) / "results.sarif").read_text())
    assert [r["partialFingerprints"] for r in first] == \
        [r["partialFingerprints"] for r in second["runs"][0]["results"]]


def test_a_spec_outside_the_repository_is_reported_at_its_run_in_gate_toml(gate_report):
    log = json.loads((gate_report / "results.sarif").read_text())
    # one node never takes its group: L1's counterexample, on the shipped spec
    shipped = next(r for r in log["runs"][0]["results"]
                   if r["properties"]["run"] == "heartbeat-1.51-n1-untimed")
    assert shipped["ruleId"] == "L1"
    where = shipped["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "gate.toml"
    gate_lines = (gate_report.parent / "repo" / "gate.toml").read_text().splitlines()
    assert gate_lines[where["region"]["startLine"] - 1] == 'spec = "heartbeat-1.51"'


def test_junit_xml_is_valid_for_the_jenkins_xunit_plugin(gate_report):
    import xmlschema
    schema = xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))
    schema.validate(str(gate_report / "junit.xml"))


def test_junit_has_a_suite_per_run_times_and_incomplete_properties_as_skipped(gate_report):
    import xml.etree.ElementTree as ET
    root = ET.parse(gate_report / "junit.xml").getroot()
    assert root.tag == "testsuites" and root.get("errors") == "0"
    suites = {s.get("name"): s for s in root}
    assert set(suites) == {"mine-n2-untimed", "heartbeat-1.51-n1-untimed"}
    for suite in suites.values():
        assert {"tests", "failures", "errors", "skipped", "time"} <= set(suite.attrib)
        assert all(case.get("time") is not None for case in suite)
    cases = {c.get("name"): c for c in suites["mine-n2-untimed"]}
    assert cases["counts"].find("failure") is not None          # the edit changed the counts
    skipped = cases["L0"].find("skipped")
    assert skipped is not None and skipped.get("message").startswith("INCOMPLETE: ")
    assert cases["S1"].find("skipped") is None and cases["S1"].find("failure") is None
    assert int(suites["mine-n2-untimed"].get("skipped")) == sum(
        c.find("skipped") is not None for c in suites["mine-n2-untimed"])


# --- the gate checks the working tree --------------------------------------------------------

def consumer_repository(tmp_path) -> Path:
    """A repository that uses hacheck: its own copy of the default spec, with the
    expectation hacheck records for it, and a gate.toml naming the spec by name."""
    repo = tmp_path / "consumer"
    (repo / "specs" / "expected").mkdir(parents=True)
    shutil.copy(ROOT / "specs" / "heartbeat-1.51.toml", repo / "specs")
    shutil.copy(ROOT / "specs" / "expected" / "heartbeat-1.51-n2-untimed.json",
                repo / "specs" / "expected")
    (repo / "gate.toml").write_text('expectations = "specs/expected"\n[[run]]\n'
                                    'spec = "heartbeat-1.51"\nnodes = 2\n')
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "consumer"], check=True)
    return repo


# what the gate says of the consumer's spec once edit_spec has taken its crash away
EDITED_SPEC_DRIFT = "count drift: distinct_states was 2599, is 120"


def edit_spec(repo: Path) -> None:
    spec = repo / "specs" / "heartbeat-1.51.toml"
    spec.write_text(spec.read_text().replace("crashes = 1", "crashes = 0"))
    subprocess.run(["git", "-C", str(repo), "add", "specs"], check=True)


def test_the_gate_checks_the_spec_beside_gate_toml_not_the_installed_one(tmp_path, capsys):
    repo = consumer_repository(tmp_path)
    os.chdir(repo)
    assert main(["gate"]) == 0
    edit_spec(repo)
    assert main(["gate"]) == 4
    out = capsys.readouterr().out
    assert EDITED_SPEC_DRIFT in out
    assert not (repo / "gate-report").exists()      # nothing written into the tree


def test_pre_commit_try_repo_fails_on_an_edited_spec_in_the_consumers_tree(tmp_path):
    repo = consumer_repository(tmp_path)
    edit_spec(repo)
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-cache"))
    done = subprocess.run([str(Path(sys.executable).parent / "pre-commit"), "try-repo",
                           str(ROOT), "hacheck-gate"], cwd=repo, capture_output=True,
                          text=True, timeout=1200, env=env)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "hacheck verification gate (quick tier)" in done.stdout
    assert "Failed" in done.stdout and EDITED_SPEC_DRIFT in done.stdout
    assert not (repo / "gate-report").exists()


# --- command-line conventions ----------------------------------------------------------------

def test_python_dash_m_hacheck_is_the_command(tmp_path):
    done = subprocess.run([sys.executable, "-m", "hacheck", "--nodes", "0"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("hacheck: error: --nodes")
    done = subprocess.run([sys.executable, "-m", "hacheck", "gate", "--version"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("hacheck ")


@pytest.mark.parametrize("argv", [["--help"], ["gate", "--help"], ["view", "--help"]],
                         ids=lambda a: " ".join(a))
def test_every_help_line_fits_in_79_columns_and_the_usage_names_the_subcommands(capsys,
                                                                               monkeypatch,
                                                                               argv):
    monkeypatch.setenv("COLUMNS", "200")      # whatever the terminal: the help is 79 wide
    assert main(argv) == 0
    out = capsys.readouterr().out
    too_long = [line for line in out.splitlines() if len(line) > 79]
    assert too_long == []
    if argv == ["--help"]:
        usage = out.split("\n\n")[0]
        assert "hacheck view" in usage and "hacheck gate" in usage


@pytest.mark.parametrize("argv", [["gate", "--version"], ["view", "--version"]])
def test_the_subcommands_take_version(capsys, argv):
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("hacheck ")


TLC_PROGRESS = re.compile(
    r"^Progress\((\d+)\) at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d): ([\d,]+) states generated "
    r"\(([\d,]+) s/min\), ([\d,]+) distinct states found \(([\d,]+) ds/min\), ([\d,]+) "
    r"states left on queue\.$")


def test_the_progress_line_is_tlcs(tmp_path):
    import io
    import time
    from hacheck.tools.cli import Progress
    clock = iter([100.0, 130.0])
    stream = io.StringIO()
    progress = Progress(clock=lambda: next(clock), now=lambda: time.localtime(0), stream=stream)
    progress({"generated": 6000, "distinct": 3000, "queue": 40, "depth": 7, "elapsed": 60.0})
    progress({"generated": 9000, "distinct": 4000, "queue": 5, "depth": 8, "elapsed": 90.0})
    first, second = (TLC_PROGRESS.match(line) for line in stream.getvalue().splitlines())
    assert first.group(1, 3, 4, 5, 6, 7) == ("7", "6,000", "6,000", "3,000", "3,000", "40")
    # the rates are per minute since the previous line (30 s later)
    assert second.group(1, 4, 6, 7) == ("8", "6,000", "2,000", "5")
    assert first.group(2) == time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(0))


def test_the_rates_of_a_search_run_again_are_its_own_and_never_negative():
    import io
    import time
    from hacheck.tools.cli import Progress
    clock = iter([100.0, 110.0, 130.0])
    stream = io.StringIO()
    progress = Progress(clock=lambda: next(clock), now=lambda: time.localtime(0), stream=stream)
    progress({"generated": 9000, "distinct": 3000, "queue": 40, "depth": 7, "elapsed": 60.0})
    # run again with more room: counting starts over, 10 s into the new search
    progress({"generated": 1200, "distinct": 600, "queue": 5, "depth": 3, "elapsed": 10.0})
    progress({"generated": 3200, "distinct": 1000, "queue": 5, "depth": 4, "elapsed": 30.0})
    lines = [TLC_PROGRESS.match(line) for line in stream.getvalue().splitlines()]
    assert all(lines)                       # a negative rate would not match
    assert lines[1].group(4, 6) == ("7,200", "3,600")    # over its own 10 s
    assert lines[2].group(4, 6) == ("6,000", "1,200")    # over the 20 s since


def test_a_long_run_prints_tlcs_progress_line_on_stderr(tmp_path):
    proc = subprocess.Popen([str(HACHECK), "--untimed", "--keep-going", "--no-por",
                             "--no-symmetry", "active-passive"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        while line and not line.startswith("Progress("):
            line = proc.stderr.readline()
    finally:
        proc.terminate()
        proc.communicate(timeout=120)
    assert TLC_PROGRESS.match(line.rstrip("\n")), line


class Terminal:
    def isatty(self):
        return True


@pytest.mark.parametrize("value, colour", [(None, True), ("", True), ("1", False)],
                         ids=["unset", "empty", "set"])
def test_no_color_turns_colour_off_only_when_it_is_not_empty(monkeypatch, value, colour):
    from hacheck.tools.view_text import use_colour
    monkeypatch.delenv("NO_COLOR", raising=False)
    if value is not None:
        monkeypatch.setenv("NO_COLOR", value)
    assert use_colour(Terminal()) is colour


def test_the_terminal_view_wraps_to_the_width_at_spaces_never_inside_a_message(tmp_path):
    from hacheck.tools.trace_view import load_trace
    from hacheck.tools.view_text import render
    written_trace(tmp_path, "--untimed", "--nodes", "3")
    view = load_trace(tmp_path / "t.itf.json")
    text = render(view, width=64)
    changes = text.split("message sequence chart")[0].splitlines()
    assert all(len(line) <= 64 for line in changes[2:]), max(changes, key=len)
    # every message stays whole on its line: parentheses balance on each line
    for line in changes:
        assert line.count("(") == line.count(")"), line


def test_the_terminal_view_and_the_report_write_values_in_one_notation(tmp_path, capsys,
                                                                      monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")      # no wrapping, to compare whole lines
    path = tmp_path / "t.itf.json"
    assert main(["--untimed", "-q", "--trace-out", str(path)]) == 12
    report = {line.strip() for line in capsys.readouterr().out.splitlines() if ": " in line
              and " -> " in line}
    assert main(["view", str(path)]) == 0
    view = {line.strip() for line in capsys.readouterr().out.splitlines()}
    assert {line for line in report if line.startswith(("own[", "heard[", "ch[", "rq["))} <= view
    assert any(line.startswith("own[") and "{g" in line for line in report)


def test_the_workflow_posts_the_summary_as_the_pull_request_comment_it_asks_to_write():
    import yaml
    workflow = yaml.safe_load((ROOT / "docs" / "ci" / "hacheck-gate.yml").read_text())
    assert workflow["permissions"]["pull-requests"] == "write"
    steps = workflow["jobs"]["gate"]["steps"]
    comment = [s for s in steps if "gh pr comment" in s.get("run", "")]
    assert len(comment) == 1
    assert "--body-file gate-report/summary.md" in comment[0]["run"]
    assert comment[0]["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert "pull_request" in comment[0]["if"]
