"""docs/findings.md is generated from real runs (tools/findings.py)."""

from __future__ import annotations

from hacheck.tools import findings


def test_the_findings_report_is_built_from_the_runs_it_lists(monkeypatch):
    monkeypatch.setattr(findings, "VARIANTS", ["no-nice-failback"])
    rows = findings.run_matrix(3.0, lambda text: None)
    assert [(r["name"], r["nodes"], r["faults"]) for r in rows] == [
        ("no-nice-failback", 2, "spec's faults"), ("no-nice-failback", 2, "no faults"),
        ("no-nice-failback", 3, "spec's faults"), ("no-nice-failback", 3, "no faults")]
    text = findings.render(rows, 3.0)
    assert "within 3 s per run on one thread;" in text
    assert "on 2 threads;" in findings.render(rows, 3.0, workers=2)
    two = rows[1]["run"].result       # N = 2, no faults: the legacy startup's forced take
    s1 = next(p for p in two.properties if p.name == "S1")
    assert s1.verdict.value == "VIOLATED"
    assert (f"| no-nice-failback | 2 | no faults | VIOLATED | "
            f"{next(p for p in two.properties if p.name == 'L0').verdict.value} |") in text
    assert "### no-nice-failback, N = 2, no faults: S1" in text
    assert "- **scenario** (matched from the trace's actions): " in text
    assert "## Does it work with more than two nodes?" in text
    # every step of a violation's trace is printed with its time
    section = text.split("### no-nice-failback, N = 2, no faults: S1")[1].split("###")[0]
    assert section.count(" s  ") == len(s1.trace)
