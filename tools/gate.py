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
import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

from hacheck.checker.schema import (
    Choice, ConfigError, Key, Number, Text, read_file, read_table, read_toml,
)
from hacheck.model.spec import NODES, SpecError, load

TIERS = ("quick", "full")
MODES = ("untimed", "timed")
VERDICTS = ("HOLDS", "VIOLATED", "INCOMPLETE", "ERROR")
COUNTS = "counts"   # the subject of a problem with the run's counts (or its expectation)
INTERRUPTED = "interrupted"
MAX_EXPECTATION_BYTES = 1 << 20

CONFIG_KEYS = (
    Key("expectations", Text("a directory, relative to the configuration file"),
        "specs/expected",
        "the directory of the expected results, relative to the configuration file"),
)
RUN_KEYS = (
    Key("spec", Text("a shipped spec name or a spec path"), None,
        "a shipped spec name or a spec path"),
    Key("nodes", NODES, 2, "the node count"),
    Key("mode", Choice(MODES), "untimed", "untimed (layer D) or timed (layer T)"),
    Key("tier", Choice(TIERS), "quick", "quick runs on every commit, full adds these"),
    Key("time_limit", Number(0, 1e6, "seconds", above=True), None,
        "stop the run after this many seconds"),
)


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
    interrupted: str = ""    # why the run was cut short, if it was (then not compared)


def load_config(path: str | Path) -> tuple[list[GateRun], Path]:
    where = str(path)
    data = read_toml(path, where, "gate configuration")
    entries = data.pop("run", None)
    top = read_table(data, CONFIG_KEYS, where)
    if not isinstance(entries, list) or not entries:
        raise ConfigError(where, "run", entries, "at least one [[run]] table")
    runs = []
    for n, entry in enumerate(entries):
        at = f"run[{n}]"
        if not isinstance(entry, dict):
            raise ConfigError(where, at, entry, "a table")
        values = read_table(entry, RUN_KEYS, where, prefix=f"{at}.")
        if values["spec"] is None:
            raise ConfigError(where, f"{at}.spec", None, "a shipped spec name or a spec path",
                              has_value=False)
        runs.append(GateRun(values["spec"], values["nodes"], values["mode"], values["tier"],
                            values["time_limit"]))
    return runs, Path(path).parent / top["expectations"]


def check_runs(runs: list[GateRun], config: str) -> None:
    """Every run's spec loads and takes its node count; a problem names the gate
    configuration's key as well as the spec's."""
    for n, run in enumerate(runs):
        try:
            load(run.spec).config(run.nodes)
        except SpecError as e:
            raise ConfigError(config, f"run[{n}].spec", None, f"a spec that loads: {e}",
                              has_value=False) from None


def check_expectations(runs: list[GateRun], base: Path, update: bool) -> None:
    """The expectations directory is a directory (or can be made one, with --update),
    and every stored expectation can be read (unless --update will replace it)."""
    if base.exists() and not base.is_dir():
        raise ConfigError(str(base), None, None, "is not a directory: the gate configuration's "
                          "`expectations` must name a directory", has_value=False)
    if update:
        if base.exists() and not os.access(base, os.W_OK | os.X_OK):
            raise ConfigError(str(base), None, None, "is not writable, so --update cannot "
                              "record the expectations", has_value=False)
        return
    for run in runs:
        path = base / f"{run.key}.json"
        if path.exists():
            read_expectation(path)


def read_expectation(path: Path) -> dict:
    """A stored expectation, checked: {"verdicts": {name: verdict}, "distinct_states": n,
    "max_depth": n, ...}."""
    where = str(path)
    text = read_file(path, where, "expectation file", limit=MAX_EXPECTATION_BYTES)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise ConfigError(where, None, None, f"not valid JSON ({e}); `hacheck gate --update` "
                          "records it again", has_value=False) from None
    if not isinstance(data, dict):
        raise ConfigError(where, None, data, "an object with the keys verdicts, "
                          "distinct_states and max_depth")
    verdicts = data.get("verdicts")
    if not isinstance(verdicts, dict) or not all(
            isinstance(k, str) and v in VERDICTS for k, v in verdicts.items()):
        raise ConfigError(where, "verdicts", verdicts, "an object mapping each property to "
                          + " or ".join(VERDICTS))
    for key in ("distinct_states", "max_depth"):
        if type(data.get(key)) is not int or data[key] < 0:
            raise ConfigError(where, key, data.get(key), "a whole number >= 0")
    return data


def output_directory(name: str) -> Path:
    """The reports' directory, made if needed; one we cannot use is refused up front."""
    out = Path(name)
    if out.exists() and not out.is_dir():
        raise ConfigError("--out", None, name, "a directory (this is a file)")
    try:
        (out / "traces").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError("--out", None, name, f"a directory we can write ({e.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ConfigError("--out", None, name, "a directory we can write")
    return out


def observe(run: GateRun, out: Path, budget=None) -> tuple[dict, dict]:
    """Check one run; its observed results, and the counterexample files written."""
    from hacheck.checker.stopping import Budget
    from hacheck.tools.run import check
    from hacheck.tools.trace_view import load_trace
    from hacheck.tools.view_html import render
    spec = load(run.spec)
    traces_dir = out / "traces"
    traces_dir.mkdir(parents=True, exist_ok=True)
    if budget is not None:     # one budget per run: its own time limit, the gate's signals
        budget.time_limit, budget.started = run.time_limit, None
    result = check(spec, nodes=run.nodes, timed=run.mode == "timed",
                   budget=budget if budget is not None else Budget(time_limit=run.time_limit),
                   trace_out=str(traces_dir / f"{run.key}.itf.json"))
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


def run_gate(runs: list[GateRun], base: Path, out: Path, update: bool, progress,
             budget=None) -> list:
    """Every run, compared with its expectation. A stop (a signal) ends the run under way,
    which is then reported as interrupted and not compared; the later runs are skipped."""
    outcomes = []
    for run in runs:
        if budget is not None and budget.stopping:
            progress(f"gate: {run.key} skipped ({budget.reason})")
            break
        progress(f"gate: {run.key} ({run.tier})")
        observed, traces = observe(run, out, budget)
        path = base / f"{run.key}.json"
        expected = None
        if path.exists():
            try:
                expected = read_expectation(path)
            except ConfigError as e:      # only with --update (checked up front otherwise)
                progress(f"gate: replacing an unreadable expectation: {e}")
        if budget is not None and budget.stopping:
            outcomes.append(Outcome(run, observed, expected, [], traces, budget.reason))
            progress(f"gate: {run.key} was cut short ({budget.reason}); not compared")
            break
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
    cut = [o for o in outcomes if o.interrupted]
    state = "FAILED" if failed else "INTERRUPTED" if cut else "passed"
    lines = [f"## hacheck gate: {state}", "",
             "| run | tier | S1 | L0 | L1 | states | depth | gate |", "|---|---|---|---|---|---:|---:|---|"]
    for o in outcomes:
        v = o.observed["verdicts"]
        lines.append(f"| {o.run.key} | {o.run.tier} | {v.get('S1', '')} | {v.get('L0', '')} | "
                     f"{v.get('L1', '')} | {o.observed['distinct_states']:,} | "
                     f"{o.observed['max_depth']} | "
                     f"{'**fails**' if o.problems else 'interrupted' if o.interrupted else 'ok'} |")
    for o in cut:
        lines += ["", f"{o.run.key} was cut short ({o.interrupted}): not compared, and the "
                      "runs after it were not run."]
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
        skipped = (f'<skipped message={quoteattr("interrupted: " + o.interrupted)}/>'
                   if o.interrupted else "")
        cases.append(f'  <testcase classname={quoteattr(o.run.key)} name="{COUNTS}">'
                     f'{_failure(o.problems, COUNTS)}{skipped}</testcase>')
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
