"""`hacheck gate`: expectations, drift, reports (tools/gate.py)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hacheck.tools.cli import main

ROOT = Path(__file__).resolve().parent.parent


def config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "gate.toml"
    path.write_text('expectations = "expected"\n[[run]]\nspec = "no-nice-failback"\n'
                    'nodes = 2\nmode = "untimed"\ntier = "quick"\n' + extra)
    return path


def gate(path: Path, *options: str) -> int:
    return main(["gate", "--config", str(path), "--out", str(path.parent / "report"), *options])


def test_without_an_expectation_the_gate_fails_and_update_records_one(tmp_path, capsys):
    path = config(tmp_path)
    assert gate(path) == 4
    assert "no stored expectation" in capsys.readouterr().out
    assert gate(path, "--update") == 0
    stored = json.loads((tmp_path / "expected" / "no-nice-failback-n2-untimed.json").read_text())
    assert stored["verdicts"]["S1"] == "VIOLATED" and stored["distinct_states"] > 0
    assert gate(path) == 0
    report = tmp_path / "report"
    assert (report / "traces" / "no-nice-failback-n2-untimed.itf.json").exists()
    assert (report / "traces" / "no-nice-failback-n2-untimed.html").exists()


def test_a_new_violation_and_count_drift_fail_the_gate_with_the_reason(tmp_path, capsys):
    path = config(tmp_path)
    gate(path, "--update")
    stored_path = tmp_path / "expected" / "no-nice-failback-n2-untimed.json"
    stored = json.loads(stored_path.read_text())
    stored["verdicts"]["S1"] = "HOLDS"
    stored["distinct_states"] += 1
    stored_path.write_text(json.dumps(stored))
    capsys.readouterr()
    assert gate(path) == 4
    out = capsys.readouterr().out
    assert "new violation: S1 was HOLDS, is VIOLATED" in out
    assert "count drift: distinct_states" in out
    assert "S1 counterexample" in out and "bad step: FORCETAKE" in out
    suites = ET.parse(tmp_path / "report" / "junit.xml").getroot()
    failed = {case.get("name") for case in suites.iter("testcase")
              if case.find("failure") is not None}
    assert failed == {"S1", "counts"} and suites.get("failures") == "2"
    assert (tmp_path / "report" / "summary.md").read_text().startswith("## hacheck gate: FAILED")


def test_a_bad_gate_configuration_is_one_line_and_exit_code_2(tmp_path, capsys):
    assert gate(config(tmp_path, "colour = 1\n")) == 2
    err = capsys.readouterr().err
    assert "run[0].colour" in err and err.count("\n") == 1
    assert main(["gate", "--config", str(tmp_path / "missing.toml")]) == 2
    numbered = tmp_path / "numbered.toml"
    numbered.write_text('expectations = 3\n[[run]]\nspec = "heartbeat-1.51"\n')
    capsys.readouterr()
    assert main(["gate", "--config", str(numbered)]) == 2
    assert "expectations: expected a directory" in capsys.readouterr().err


@pytest.mark.parametrize("tier", ["quick", "full"])
def test_our_own_gate_passes_against_the_stored_expectations(tier, tmp_path):
    assert main(["gate", "--config", str(ROOT / "gate.toml"), "--tier", tier,
                 "--out", str(tmp_path)]) == 0


def test_sarif_points_at_the_spec_and_names_the_bad_action(tmp_path):
    path = config(tmp_path)
    gate(path, "--update")
    gate(path)
    log = json.loads((tmp_path / "report" / "results.sarif").read_text())
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "hacheck"
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {"S1"}
    result = next(r for r in run["results"] if r["ruleId"] == "S1")
    assert result["level"] == "note"              # expected: not what fails the gate
    where = result["locations"][0]["physicalLocation"]
    # the shipped spec is outside the repository: the run's line in gate.toml
    assert where["artifactLocation"] == {"uri": "gate.toml", "uriBaseId": "%SRCROOT%"}
    assert where["region"]["startLine"] == 3
    assert result["properties"]["badStep"].startswith("FORCETAKE(")
    assert len(result["partialFingerprints"]["hacheckViolation/v1"]) == 32


def test_sarif_points_at_the_spec_line_when_the_spec_is_beside_the_configuration(tmp_path):
    shipped = ROOT / "specs" / "no-nice-failback.toml"
    (tmp_path / "specs").mkdir()
    shutil.copy(shipped, tmp_path / "specs" / "no-nice-failback.toml")
    path = config(tmp_path)
    gate(path, "--update")
    gate(path)
    log = json.loads((tmp_path / "report" / "results.sarif").read_text())
    result = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "S1")
    where = result["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "specs/no-nice-failback.toml"
    line = shipped.read_text().splitlines()[where["region"]["startLine"] - 1]
    assert re.match(r"\s*\w+\s*=", line), line          # a key line, not a comment


def test_a_deliberately_broken_model_fails_the_gate_with_its_counterexample(tmp_path, capsys):
    # demo_broken drops req_our_resources' `oh & F` guard: S1 breaks two steps sooner
    spec = tmp_path / "s.toml"
    spec.write_text((ROOT / "specs" / "heartbeat-1.65.toml").read_text())
    path = tmp_path / "gate.toml"
    path.write_text(f'expectations = "expected"\n[[run]]\nspec = "{spec}"\nnodes = 2\n')
    assert gate(path, "--update") == 0 and gate(path) == 0
    spec.write_text(spec.read_text().replace('version = "1.65"',
                                             'version = "1.65"\ndemo_broken = true'))
    capsys.readouterr()
    assert gate(path) == 4
    out = capsys.readouterr().out
    assert "count drift: max_depth was 10, is 8" in out
    trace = tmp_path / "report" / "traces" / "s-n2-untimed.itf.json"
    assert f"S1 counterexample: `{trace}`" in out and trace.exists()
    log = json.loads((tmp_path / "report" / "results.sarif").read_text())
    assert [r["level"] for r in log["runs"][0]["results"]] == ["error"]


def hacheck_command(command: str) -> list[str]:
    """A shell command line of the docs, with `hacheck` (or `.venv/bin/hacheck`) being the
    console script installed beside this interpreter."""
    words = shlex.split(command)
    assert Path(words[0]).name == "hacheck", command
    return [str(Path(sys.executable).parent / "hacheck"), *words[1:]]


def test_the_pre_commit_hook_runs_the_quick_gate_when_the_model_changes(tmp_path):
    import yaml
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "hacheck-gate")
    assert hook["pass_filenames"] is False
    watched = re.compile(hook["files"])
    assert all(watched.search(f) for f in ("model/actions.py", "specs/heartbeat-1.51.toml",
                                          "checker/explorer.py", "gate.toml"))
    assert not any(watched.search(f) for f in ("README.md", "tests/test_gate.py"))
    done = subprocess.run(hacheck_command(hook["entry"]) + ["--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "## hacheck gate: passed" in done.stdout


def test_the_workflow_example_runs_the_gate_and_publishes_the_files_it_writes(tmp_path):
    import yaml
    workflow = yaml.safe_load((ROOT / "docs" / "ci" / "hacheck-gate.yml").read_text())
    steps = workflow["jobs"]["gate"]["steps"]
    gate_step = next(s for s in steps if "hacheck gate" in s.get("run", ""))
    for name in ("gate.toml",):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    done = subprocess.run(hacheck_command(gate_step["run"]), cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    published = [s["with"]["path"] for s in steps if "upload-artifact" in s.get("uses", "")]
    published += [s["with"]["report_paths"] for s in steps if "junit" in s.get("uses", "")]
    published += [s["with"]["sarif_file"] for s in steps if "upload-sarif" in s.get("uses", "")]
    assert len(published) == 3
    for path in published:
        assert (tmp_path / path).exists(), path


# --- bad configurations and expectations: one line, exit code 2 ----------------------------

def one_line(capsys, code: int, *needles: str) -> None:
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith("hacheck gate: error: ")
    for needle in needles:
        assert needle in err, (needle, err)


def recorded(tmp_path, capsys) -> tuple[Path, Path]:
    path = config(tmp_path)
    assert gate(path, "--update") == 0
    capsys.readouterr()
    return path, tmp_path / "expected" / "no-nice-failback-n2-untimed.json"


@pytest.mark.parametrize("text, needles", [
    ('{"verdicts": {"S1": "VIOL', ["not valid JSON", "--update"]),
    ("[1, 2]", ["expected an object"]),
    ('{"verdicts": ["S1"], "distinct_states": 1, "max_depth": 1}', ["verdicts", 'got ["S1"]']),
    ('{"verdicts": {"S1": "HOLDS"}, "distinct_states": "many", "max_depth": 1}',
     ["distinct_states", 'got "many"']),
], ids=["truncated", "a list", "verdicts a list", "states a string"])
def test_an_expectation_that_cannot_be_read_is_one_line_naming_it(tmp_path, capsys, text,
                                                                  needles):
    path, stored = recorded(tmp_path, capsys)
    stored.write_text(text)
    one_line(capsys, gate(path), str(stored), *needles)
    assert gate(path, "--update") == 0          # --update replaces it
    assert json.loads(stored.read_text())["verdicts"]["S1"] == "VIOLATED"


def test_a_gate_configuration_that_is_not_utf8_or_a_directory_is_one_line(tmp_path, capsys):
    bad = tmp_path / "gate.toml"
    bad.write_bytes(b'expectations = "\xff"\n')
    one_line(capsys, main(["gate", "--config", str(bad)]), str(bad), "not UTF-8")
    one_line(capsys, main(["gate", "--config", str(tmp_path)]), str(tmp_path), "a directory")


def test_an_output_directory_that_is_a_file_or_cannot_be_written_is_one_line(tmp_path, capsys):
    path = config(tmp_path)
    afile = tmp_path / "report.txt"
    afile.write_text("")
    one_line(capsys, main(["gate", "--config", str(path), "--out", str(afile)]), "--out",
             "a directory")
    one_line(capsys, main(["gate", "--config", str(path), "--out", "/proc/hacheck-report"]),
             "--out", "a directory we can write")


def test_update_into_an_expectations_path_that_is_a_file_is_one_line(tmp_path, capsys):
    path = config(tmp_path)
    (tmp_path / "expected").write_text("")
    one_line(capsys, gate(path, "--update"), "expected", "is not a directory")


@pytest.mark.parametrize("entry, needles", [
    ('time_limit = nan\n', ["run[0].time_limit", "got NaN"]),
    ('time_limit = -1\n', ["run[0].time_limit", "got -1"]),
    ('nodes = 9\n', ["run[0].nodes", "got 9", "from 1 to 8"]),
    ('mode = ["timed"]\n', ["run[0].mode", '"untimed" or "timed"']),
])
def test_a_bad_run_entry_is_one_line_naming_its_key(tmp_path, capsys, entry, needles):
    path = tmp_path / "gate.toml"
    path.write_text('[[run]]\nspec = "no-nice-failback"\n' + entry)
    one_line(capsys, gate(path), "gate.toml", *needles)


def test_an_unknown_spec_is_traced_back_to_the_gate_configuration(tmp_path, capsys):
    path = tmp_path / "gate.toml"
    path.write_text('[[run]]\nspec = "no-such-spec"\n')
    one_line(capsys, main(["gate", "--config", str(path)]), f"{path}: run[0].spec",
             "no-such-spec", "no such spec file")


# --- every kind of verdict change fails the gate ---------------------------------------------

@pytest.mark.parametrize("stored_verdict, kind", [
    ("HOLDS", "new violation: S1 was HOLDS, is VIOLATED"),
    ("INCOMPLETE", "new violation: S1 was INCOMPLETE, is VIOLATED"),
    (None, "new violation: S1 was None, is VIOLATED"),
])
def test_a_property_that_became_violated_fails_the_gate(tmp_path, capsys, stored_verdict, kind):
    path, stored = recorded(tmp_path, capsys)
    data = json.loads(stored.read_text())
    if stored_verdict is None:
        del data["verdicts"]["S1"]
    else:
        data["verdicts"]["S1"] = stored_verdict
    stored.write_text(json.dumps(data))
    assert gate(path) == 4
    assert kind in capsys.readouterr().out


@pytest.mark.parametrize("stored_verdict, observed", [("VIOLATED", "HOLDS"),
                                                     ("INCOMPLETE", "HOLDS"),
                                                     ("HOLDS", "INCOMPLETE")])
def test_any_other_verdict_change_fails_the_gate_too(tmp_path, capsys, stored_verdict,
                                                     observed):
    # one node: S1 HOLDS (its whole space is 4 states). Record another verdict for it, or
    # change what is observed (a search cut at once by its time limit is INCOMPLETE)
    path = tmp_path / "gate.toml"
    path.write_text('expectations = "expected"\n[[run]]\nspec = "heartbeat-1.51"\nnodes = 1\n')
    assert gate(path, "--update") == 0
    stored = tmp_path / "expected" / "heartbeat-1.51-n1-untimed.json"
    data = json.loads(stored.read_text())
    assert data["verdicts"]["S1"] == "HOLDS"
    if observed == "HOLDS":
        data["verdicts"]["S1"] = stored_verdict
        stored.write_text(json.dumps(data))
    else:
        path.write_text(path.read_text() + "time_limit = 0.000001\n")
    capsys.readouterr()
    assert gate(path) == 4
    out = capsys.readouterr().out
    assert f"changed verdict: S1 was {stored_verdict}, is {observed}" in out
