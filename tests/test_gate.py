"""`hacheck gate`: expectations, drift, reports (tools/gate.py)."""

from __future__ import annotations

import json
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
    suite = ET.parse(tmp_path / "report" / "junit.xml").getroot()
    failed = {case.get("name") for case in suite if case.find("failure") is not None}
    assert failed == {"S1", "counts"} and suite.get("failures") == "2"
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
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("no-nice-failback.toml")
    assert result["properties"]["badStep"].startswith("FORCETAKE(")


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


def test_the_pre_commit_hook_and_the_workflow_example_run_the_gate():
    hook = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "- id: hacheck-gate" in hook and "entry: hacheck gate --tier quick" in hook
    assert "pass_filenames: false" in hook
    workflow = (ROOT / "docs" / "ci" / "hacheck-gate.yml").read_text()
    for needed in ("hacheck gate", "gate-report/junit.xml", "gate-report/results.sarif",
                   "upload-artifact", "upload-sarif"):
        assert needed in workflow
