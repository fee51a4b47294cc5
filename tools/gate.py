"""`hacheck gate`: the pre-merge verification gate (first part).

Runs the matrix of a gate configuration (TOML: specs x node counts x modes, each in a
tier), compares each result with the expectation stored beside the specs (the verdict of
every property, the distinct states and the depth), and fails on any new violation, any
changed verdict or any drift in the counts. `--update` rewrites the expectations and
says what changed. Reports go to one directory: a Markdown summary for a pull-request
comment, JUnit XML (one test case per run x property), SARIF 2.1.0 (each violation a
result at the spec file, naming the action of the bad step), and the ITF file and web
page of every counterexample.

    expectations = "specs/expected"      # relative to the configuration file
    [[run]]
    spec = "heartbeat-1.51"              # a shipped spec name or a path
    nodes = 2
    mode = "untimed"                     # or "timed"
    tier = "quick"                       # or "full"
    time_limit = 60                      # optional, seconds
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

from hacheck.model.spec import SpecError, load

TIERS = ("quick", "full")
MODES = ("untimed", "timed")
RUN_KEYS = {"spec", "nodes", "mode", "tier", "time_limit"}
COUNTS = "counts"   # the subject of a problem with the run's counts (or its expectation)


@dataclass(frozen=True)
class GateRun:
    spec: str
    nodes: int
    mode: str
    tier: str
    time_limit: float | None = None

    @property
    def key(self) -> str:
        return f"{Path(self.spec).name.removesuffix('.toml')}-n{self.nodes}-{self.mode}"


class Problem(NamedTuple):
    subject: str     # the property whose verdict changed, or COUNTS
    text: str


@dataclass
class Outcome:
    run: GateRun
    observed: dict
    expected: dict | None
    problems: list
    traces: dict


def load_config(path: str | Path) -> tuple[list[GateRun], Path]:
    where = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(where, None, None, "no such gate configuration", has_value=False) from None
    except tomllib.TOMLDecodeError as e:
        raise SpecError(where, None, None, f"not valid TOML: {e}", has_value=False) from None
    for key in data:
        if key not in ("expectations", "run"):
            raise SpecError(where, key, data[key], "one of: expectations, run (unknown key)")
    runs = []
    entries = data.get("run", [])
    if not isinstance(entries, list) or not entries:
        raise SpecError(where, "run", entries, "at least one [[run]] table")
    for n, entry in enumerate(entries):
        at = f"run[{n}]"
        if not isinstance(entry, dict):
            raise SpecError(where, at, entry, "a table")
        for key in entry:
            if key not in RUN_KEYS:
                raise SpecError(where, f"{at}.{key}", entry[key],
                                f"one of: {', '.join(sorted(RUN_KEYS))} (unknown key)")
        spec = entry.get("spec")
        if not isinstance(spec, str):
            raise SpecError(where, f"{at}.spec", spec, "a shipped spec name or a spec path")
        nodes = entry.get("nodes", 2)
        if type(nodes) is not int or not 1 <= nodes <= 8:
            raise SpecError(where, f"{at}.nodes", nodes, "a whole number from 1 to 8")
        mode = entry.get("mode", "untimed")
        if mode not in MODES:
            raise SpecError(where, f"{at}.mode", mode, '"untimed" or "timed"')
        tier = entry.get("tier", "quick")
        if tier not in TIERS:
            raise SpecError(where, f"{at}.tier", tier, '"quick" or "full"')
        limit = entry.get("time_limit")
        if limit is not None and (type(limit) not in (int, float) or limit <= 0):
            raise SpecError(where, f"{at}.time_limit", limit, "a number of seconds > 0")
        runs.append(GateRun(spec, nodes, mode, tier, limit))
    expectations = data.get("expectations", "specs/expected")
    if not isinstance(expectations, str):
        raise SpecError(where, "expectations", expectations,
                        "a directory, relative to the configuration file")
    base = Path(path).parent / expectations
    return runs, base


def observe(run: GateRun, out: Path) -> tuple[dict, dict]:
    """Check one run; its observed results, and the counterexample files written."""
    from hacheck.tools.run import check
    from hacheck.tools.trace_view import load_trace
    from hacheck.tools.view_html import render
    spec = load(run.spec)
    traces_dir = out / "traces"
    traces_dir.mkdir(parents=True, exist_ok=True)
    result = check(spec, nodes=run.nodes, timed=run.mode == "timed",
                   time_limit=run.time_limit, trace_out=str(traces_dir / f"{run.key}.itf.json"))
    stats = result.result.statistics
    observed = {"verdicts": {p.name: p.verdict.value for p in result.result.properties},
                "distinct_states": stats.distinct_states, "max_depth": stats.max_depth,
                "complete": bool(stats.complete)}
    traces = dict(result.trace_files)
    for prop, itf in list(traces.items()):
        page = Path(itf).with_suffix("").with_suffix(".html")
        page.write_text(render(load_trace(itf)), encoding="utf-8")
        bad = next(p for p in result.result.properties if p.name == prop)
        traces[prop] = {"itf": itf, "html": str(page),
                        "bad_step": bad.trace.steps[-1].action.name,
                        "bad_action": str(bad.trace.steps[-1].action),
                        "description": bad.description,
                        "explanation": bad.explanation, "spec": spec.path}
    return observed, traces


def compare(expected: dict | None, observed: dict) -> list[Problem]:
    if expected is None:
        return [Problem(COUNTS, "no stored expectation (run `hacheck gate --update` to "
                                "record one)")]
    problems = []
    for prop, verdict in observed["verdicts"].items():
        before = expected.get("verdicts", {}).get(prop)
        if before != verdict:
            kind = ("new violation" if verdict == "VIOLATED" else "changed verdict")
            problems.append(Problem(prop, f"{kind}: {prop} was {before}, is {verdict}"))
    for key in ("distinct_states", "max_depth"):
        if expected.get(key) != observed[key]:
            problems.append(Problem(COUNTS, f"count drift: {key} was {expected.get(key)}, "
                                            f"is {observed[key]}"))
    return problems


def run_gate(runs: list[GateRun], base: Path, out: Path, update: bool, progress) -> list:
    outcomes = []
    for run in runs:
        progress(f"gate: {run.key} ({run.tier})")
        observed, traces = observe(run, out)
        path = base / f"{run.key}.json"
        expected = json.loads(path.read_text()) if path.exists() else None
        problems = compare(expected, observed)
        if update:
            base.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(observed, indent=1) + "\n", encoding="utf-8")
            if problems:
                progress(f"gate: updated {path}: " + "; ".join(p.text for p in problems))
            problems = []
        outcomes.append(Outcome(run, observed, expected, problems, traces))
    return outcomes


def markdown(outcomes: list) -> str:
    failed = [o for o in outcomes if o.problems]
    lines = [f"## hacheck gate: {'FAILED' if failed else 'passed'}", "",
             "| run | tier | S1 | L0 | L1 | states | depth | gate |", "|---|---|---|---|---|---:|---:|---|"]
    for o in outcomes:
        v = o.observed["verdicts"]
        lines.append(f"| {o.run.key} | {o.run.tier} | {v.get('S1', '')} | {v.get('L0', '')} | "
                     f"{v.get('L1', '')} | {o.observed['distinct_states']:,} | "
                     f"{o.observed['max_depth']} | {'**fails**' if o.problems else 'ok'} |")
    for o in failed:
        lines += ["", f"### {o.run.key}", ""] + [f"- {p.text}" for p in o.problems]
        for prop, files in o.traces.items():
            lines.append(f"- {prop} counterexample: `{files['itf']}` (page `{files['html']}`), "
                         f"bad step: {files['bad_step']}")
    return "\n".join(lines) + "\n"


def _failure(problems: list, subject: str) -> str:
    texts = [p.text for p in problems if p.subject == subject]
    if not texts:
        return ""
    return f'<failure message={quoteattr(texts[0])}>{escape(chr(10).join(texts))}</failure>'


def junit(outcomes: list) -> str:
    cases = []
    for o in outcomes:
        for prop, verdict in o.observed["verdicts"].items():
            cases.append(f'  <testcase classname={quoteattr(o.run.key)} name={quoteattr(prop)}>'
                         f'{_failure(o.problems, prop)}<system-out>{escape(verdict)}'
                         '</system-out></testcase>')
        cases.append(f'  <testcase classname={quoteattr(o.run.key)} name="{COUNTS}">'
                     f'{_failure(o.problems, COUNTS)}</testcase>')
    failures = sum(1 for c in cases if "<failure" in c)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuite name="hacheck gate" tests="{len(cases)}" failures="{failures}">\n'
            + "\n".join(cases) + "\n</testsuite>\n")


def sarif(outcomes: list, version: str) -> dict:
    """SARIF 2.1.0: one result per counterexample, at the spec file; `error` when the
    gate fails on that run (the trace is the evidence), `note` for a violation the
    expectations already record."""
    rules, results = {}, []
    for o in outcomes:
        for prop, files in o.traces.items():
            rules[prop] = {"id": prop, "shortDescription": {"text": files["description"]}}
            results.append({
                "ruleId": prop,
                "level": "error" if o.problems else "note",
                "message": {"text": f"{o.run.key}: {prop} violated ({files['explanation']}); "
                                    f"the bad step is {files['bad_action']}; trace "
                                    f"{files['itf']}"},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": _uri(files["spec"])},
                    "region": {"startLine": 1}}}],
                "properties": {"run": o.run.key, "badStep": files["bad_action"],
                               "action": files["bad_step"], "trace": files["itf"],
                               "page": files["html"]},
            })
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "hacheck", "version": version,
                                          "informationUri": "https://github.com/hacheck",
                                          "rules": list(rules.values())}},
                      "results": results}]}


def _uri(path: str) -> str:
    try:
        return Path(path).resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return Path(path).resolve().as_uri()
