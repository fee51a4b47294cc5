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


def test_the_assumptions_section_is_built_from_its_runs(monkeypatch):
    from fractions import Fraction

    from hacheck.tools import findings_assumptions as fa
    monkeypatch.setattr(fa, "VERSIONS", ("1.51",))
    monkeypatch.setattr(fa, "ABLATIONS", [a for a in fa.ABLATIONS if a[0] == "A1: boot skew"])
    found = fa.run_assumptions(60.0, lambda text: None)
    (version, run, _), = found["main"]
    assert {p.name: p.verdict.value for p in run.result.properties} == {
        "S1": "HOLDS", "L0": "HOLDS", "L1": "HOLDS"}
    (_, label, _, dropped, _), = found["ablations"]
    s1 = next(p for p in dropped.result.properties if p.name == "S1")
    assert s1.verdict.value == "VIOLATED" and s1.times is not None
    least = dict((what, value) for _, what, value in found["least"])
    # the boundary the bisection reports: holds there, not one step beyond
    assert least["boot_skew"] < 10 <= least["boot_skew"] + fa.STEP
    assert 0 < least["quiet"] <= Fraction(31)
    text = fa.render_assumptions(found, 60.0)
    assert "| 1.51 | A1, A2, A3, A4, A5 | HOLDS | HOLDS |" in text
    assert "| 1.51 | A1: boot skew | cluster.boot_skew off | VIOLATED |" in text
    assert f"| 1.51 | boot_skew | boot_skew <= {float(least['boot_skew']):g} s |" in text
    assert text.count(" s  ") >= len(s1.trace)      # the violation's steps, with times
    # the section replaces its earlier text in place, or is appended once
    once = fa.replace_section("# Findings\n\nbefore\n", text)
    assert once.endswith(text) and "before" in once
    assert fa.replace_section(once + "after\n", text.replace("HOLDS", "held")) \
        .count(fa.BEGIN) == 1
