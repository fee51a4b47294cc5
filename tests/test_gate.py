"""`hacheck gate`: expectations, drift, reports (tools/gate.py)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

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


def test_our_own_quick_tier_passes_against_the_stored_expectations(tmp_path):
    assert main(["gate", "--config", str(ROOT / "gate.toml"), "--out", str(tmp_path)]) == 0
