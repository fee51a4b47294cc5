"""`hacheck gate`: the pre-merge verification gate.

Runs the matrix of a gate configuration (TOML: specs x node counts x modes, each in a
tier), compares each result with the expectation stored beside the specs (the verdict of
every property, the distinct states and the depth), and fails on any new violation, any
changed verdict or any drift in the counts. `--update` rewrites the expectations and
says what changed.

A run's spec is looked for beside the configuration first (a path relative to it, or a
name `n` as `specs/n.toml` or `n.toml` there), then among the specs shipped with
hacheck: the gate checks the working tree it is run in, not the installed package.

With `--out DIR` the reports go there: a Markdown summary for a pull-request comment,
JUnit XML (a suite per run, a case per property and one for the counts), SARIF 2.1.0
(each counterexample a result at the spec line the run depends on, relative to the
repository's root, `%SRCROOT%`), and the ITF file and web page of every counterexample.
Without it the summary is printed and the counterexamples go to a temporary directory;
nothing is written into the tree.

    expectations = "specs/expected"      # relative to the configuration file
    [[run]]
    spec = "heartbeat-1.51"              # a spec name or a path (see above)
    nodes = 2
    mode = "untimed"                     # or "timed"
    tier = "quick"                       # or "full"
    time_limit = 60                      # optional, seconds
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

from hacheck.checker.schema import (
    Choice, ConfigError, Key, Number, Text, read_file, read_table, read_toml,
)
from hacheck.model.config import NODES
from hacheck.model.spec import SpecError, load, shipped

TIERS = ("quick", "full")
MODES = ("untimed", "timed")
VERDICTS = ("HOLDS", "VIOLATED", "INCOMPLETE", "ERROR")
COUNTS = "counts"   # the subject of a problem with the run's counts (or its expectation)
MAX_EXPECTATION_BYTES = 1 << 20
INFORMATION = "hacheck: a model checker for heartbeat's nice_failback resource acquisition"

CONFIG_KEYS = (
    Key("expectations", Text("a directory, relative to the configuration file"),
        "specs/expected",
        "the directory of the expected results, relative to the configuration file"),
)
RUN_KEYS = (
    Key("spec", Text("a spec name or a spec path"), None,
        "a spec name or a spec path (looked for beside the configuration first)"),
    Key("nodes", NODES, 2, "the node count"),
    Key("mode", Choice(MODES), "untimed", "untimed (layer D) or timed (layer T)"),
    Key("tier", Choice(TIERS), "quick", "quick runs on every commit, full adds these"),
    Key("time_limit", Number(0, 1e6, "seconds", above=True), None,
        "stop the run after this many seconds"),
)

# what each property means, for the SARIF rules (GitHub shows fullDescription and help):
# a name a person reads (SARIF wants it to differ from the id), a full description, help
RULE_HELP = {
    "S1": ("NoGroupHeldTwice",
           "No resource group is held by two nodes at once (model.md section 6): in every "
           "reachable state each group runs on at most one node.",
           "A run reached a state in which two nodes run the same resource group (split "
           "brain). The counterexample, an ITF trace with a web page beside it, shows the "
           "shortest such run step by step; `hacheck view TRACE` shows it in a terminal."),
    "L0": ("ProtocolAlwaysFinishes",
           "The protocol always finishes (model.md section 6): there is no endless cycle of "
           "protocol actions, assuming every enabled action eventually happens and no fault "
           "happens after the last one.",
           "The counterexample is a lasso: a run that reaches a cycle of protocol actions "
           "repeated for ever (the ITF field `loop` is where it returns to)."),
    "L1": ("EveryGroupEventuallyHeld",
           "Every resource group is eventually held (model.md section 6): once the protocol "
           "has settled with the up nodes connected, every group runs on an up node.",
           "A run settled in a state where some group runs nowhere. The counterexample shows "
           "the shortest such run."),
}

# the spec key a counterexample depends on, by the actions it takes (the first that
# applies), for the line a SARIF result points at
ACTION_KEYS = (("CRASH", "faults.crashes"), ("RESTART", "faults.restarts"),
               ("LINK", "faults.link_toggles"), ("LOSE", "faults.losses"),
               ("DUPLICATE", "faults.losses"), ("FENCE", "protocol.stonith"),
               ("TAKEOVER", "protocol.stonith"), ("HEALRUN", "protocol.heal"),
               ("CLOSE_WINDOW", "protocol.email_timer"), ("RT_EXPIRE", "protocol.email_timer"))
FALLBACK_KEYS = ("protocol.version", "protocol.nice_failback", "cluster.nodes",
                 "cluster.home")


@dataclass(frozen=True)
class GateRun:
    spec: str
    nodes: int
    mode: str
    tier: str
    time_limit: float | None = None
    config: str = "gate.toml"     # the gate configuration that lists it
    line: int = 1                 # the line of its `spec` key there

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
    seconds: float = 0.0     # wall time of the run
    reasons: dict = field(default_factory=dict)   # property -> why it is INCOMPLETE


def load_config(path: str | Path) -> tuple[list[GateRun], Path]:
    where = str(path)
    data = read_toml(path, where, "gate configuration")
    entries = data.pop("run", None)
    top = read_table(data, CONFIG_KEYS, where)
    if not isinstance(entries, list) or not entries:
        raise ConfigError(where, "run", entries, "at least one [[run]] table")
    lines = _run_lines(Path(path))
    runs = []
    for n, entry in enumerate(entries):
        at = f"run[{n}]"
        if not isinstance(entry, dict):
            raise ConfigError(where, at, entry, "a table")
        values = read_table(entry, RUN_KEYS, where, prefix=f"{at}.")
        if values["spec"] is None:
            raise ConfigError(where, f"{at}.spec", None, "a spec name or a spec path",
                              has_value=False)
        runs.append(GateRun(values["spec"], values["nodes"], values["mode"], values["tier"],
                            values["time_limit"], where,
                            lines[n] if n < len(lines) else 1))
    return runs, Path(path).parent / top["expectations"]


def _run_lines(path: Path) -> list[int]:
    """For each [[run]] table of the file, the line of its `spec` key (else its header)."""
    found = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return found
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("[[run]]"):
            found.append(number)
        elif found and re.match(r"spec\s*=", stripped):
            found[-1] = number
    return found


def spec_path(run: GateRun) -> str:
    """Where a run's spec is: beside the gate configuration first (a path relative to
    it; a name as `specs/<name>.toml` or `<name>.toml`), then among hacheck's shipped
    specs. The name itself if none is found (loading it says so)."""
    base = Path(run.config).parent
    given = Path(run.spec)
    if given.is_absolute():
        return str(given)
    candidates = [base / given]
    if given.suffix != ".toml" and len(given.parts) == 1:
        candidates += [base / "specs" / f"{run.spec}.toml", base / f"{run.spec}.toml"]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shipped(run.spec)
    return str(found) if found is not None else str(base / given)


def check_runs(runs: list[GateRun], config: str) -> None:
    """Every run's spec loads and takes its node count; a problem names the gate
    configuration's key as well as the spec's."""
    for n, run in enumerate(runs):
        try:
            load(spec_path(run)).config(run.nodes)
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


def scratch_directory() -> Path:
    """Where the counterexamples go without --out: a new temporary directory."""
    return Path(tempfile.mkdtemp(prefix="hacheck-gate-"))


def observe(run: GateRun, out: Path, budget=None) -> tuple[dict, dict, float, dict]:
    """Check one run: its observed results, the counterexample files written, its wall
    time, and why each undecided property is undecided."""
    from hacheck.checker.stopping import Budget
    from hacheck.tools.run import check
    from hacheck.tools.trace_view import load_trace
    from hacheck.tools.view_html import render
    spec = load(spec_path(run))
    traces_dir = out / "traces"
    traces_dir.mkdir(parents=True, exist_ok=True)
    if budget is not None:     # one budget per run: its own time limit, the gate's signals
        budget.time_limit, budget.started = run.time_limit, None
    started = time.perf_counter()
    result = check(spec, nodes=run.nodes, timed=run.mode == "timed",
                   budget=budget if budget is not None else Budget(time_limit=run.time_limit),
                   trace_out=str(traces_dir / f"{run.key}.itf.json"))
    seconds = time.perf_counter() - started
    stats = result.result.statistics
    observed = {"verdicts": {p.name: p.verdict.value for p in result.result.properties},
                "distinct_states": stats.distinct_states, "max_depth": stats.max_depth,
                "complete": bool(stats.complete)}
    reasons = {p.name: p.explanation or f"the search stopped: {stats.stop_reason}"
               for p in result.result.properties if p.verdict.value == "INCOMPLETE"}
    traces = dict(result.trace_files)
    for prop, itf in list(traces.items()):
        page = Path(itf).with_suffix("").with_suffix(".html")
        page.write_text(render(load_trace(itf)), encoding="utf-8")
        bad = next(p for p in result.result.properties if p.name == prop)
        traces[prop] = {"itf": itf, "html": str(page),
                        "bad_step": bad.trace.steps[-1].action.name,
                        "bad_action": str(bad.trace.steps[-1].action),
                        "actions": sorted({s.action.name for s in bad.trace.steps}),
                        "steps": len(bad.trace),
                        "description": bad.description,
                        "explanation": bad.explanation, "spec": spec.path}
    return observed, traces, seconds, reasons


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
        observed, traces, seconds, reasons = observe(run, out, budget)
        path = base / f"{run.key}.json"
        expected = None
        if path.exists():
            try:
                expected = read_expectation(path)
            except ConfigError as e:      # only with --update (checked up front otherwise)
                progress(f"gate: replacing an unreadable expectation: {e}")
        if budget is not None and budget.stopping:
            outcomes.append(Outcome(run, observed, expected, [], traces, budget.reason,
                                    seconds, reasons))
            progress(f"gate: {run.key} was cut short ({budget.reason}); not compared")
            break
        problems = compare(expected, observed)
        if update:
            base.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(observed, indent=1) + "\n", encoding="utf-8")
            if problems:
                progress(f"gate: updated {path}: " + "; ".join(p.text for p in problems))
            problems = []
        outcomes.append(Outcome(run, observed, expected, problems, traces, "", seconds,
                                reasons))
    return outcomes


def write_reports(outcomes: list, out: Path, summary: str, version: str) -> None:
    (out / "summary.md").write_text(summary, encoding="utf-8")
    (out / "junit.xml").write_text(junit(outcomes), encoding="utf-8")
    (out / "results.sarif").write_text(json.dumps(sarif(outcomes, version), indent=1) + "\n",
                                       encoding="utf-8")


def shown_path(path: str | Path) -> str:
    """A path as the reports show it: relative to the current directory where it is
    inside it, else as given."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


# --- the Markdown summary -------------------------------------------------------------------

def markdown(outcomes: list, out: Path | None = None) -> str:
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
            lines.append(f"- {prop} counterexample: `{shown_path(files['itf'])}` (page "
                         f"`{shown_path(files['html'])}`), bad step: {files['bad_step']}")
    if out is not None and any(o.traces for o in outcomes):
        lines += ["", f"Counterexamples (ITF and web page): `{shown_path(out / 'traces')}`."]
    return "\n".join(lines) + "\n"


# --- JUnit XML (the Jenkins xunit plugin's junit-10.xsd) -----------------------------------

def _case(classname: str, name: str, seconds: float, body: str) -> str:
    return (f'    <testcase classname={quoteattr(classname)} name={quoteattr(name)} '
            f'time="{seconds:.3f}">{body}</testcase>')


def junit(outcomes: list) -> str:
    """One <testsuite> per run, in a <testsuites> root: a case per property (a failure
    if its verdict changed, skipped if INCOMPLETE, an error if ERROR) and one for the
    counts. A run's wall time is shared by its cases (one search decides them all)."""
    suites = []
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    for o in outcomes:
        verdicts = o.observed["verdicts"]
        share = o.seconds / (len(verdicts) + 1)
        cases, counts = [], {"failures": 0, "errors": 0, "skipped": 0}
        for prop, verdict in list(verdicts.items()) + [(COUNTS, None)]:
            texts = [p.text for p in o.problems if p.subject == prop]
            if texts:
                body = (f'<failure message={quoteattr(texts[0])} type="gate">'
                        f'{escape(chr(10).join(texts))}</failure>')
                counts["failures"] += 1
            elif o.interrupted:
                body = f'<skipped message={quoteattr("interrupted: " + o.interrupted)}/>'
                counts["skipped"] += 1
            elif verdict == "INCOMPLETE":
                reason = o.reasons.get(prop, "")
                body = f'<skipped message={quoteattr("INCOMPLETE: " + reason)}/>'
                counts["skipped"] += 1
            elif verdict == "ERROR":
                body = '<error message="the check ended with an internal error" type="ERROR"/>'
                counts["errors"] += 1
            else:
                body = ""
            shown = verdict or (f"{o.observed['distinct_states']} distinct states, depth "
                                f"{o.observed['max_depth']}")
            cases.append(_case(o.run.key, prop, share,
                               body + f"<system-out>{escape(shown)}</system-out>"))
        suites.append(f'  <testsuite name={quoteattr(o.run.key)} tests="{len(cases)}" '
                      f'failures="{counts["failures"]}" errors="{counts["errors"]}" '
                      f'skipped="{counts["skipped"]}" time="{o.seconds:.3f}">\n'
                      + "\n".join(cases) + "\n  </testsuite>")
        totals["tests"] += len(cases)
        totals["time"] += o.seconds
        for k in ("failures", "errors", "skipped"):
            totals[k] += counts[k]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites name="hacheck gate" tests="{totals["tests"]}" '
            f'failures="{totals["failures"]}" errors="{totals["errors"]}" '
            f'time="{totals["time"]:.3f}">\n' + "\n".join(suites) + "\n</testsuites>\n")


# --- SARIF 2.1.0 (GitHub code scanning) ------------------------------------------------------

def repository_root(start: Path) -> Path:
    """The root the SARIF URIs are relative to (%SRCROOT%): the git work tree the gate
    configuration is in, else its directory."""
    try:
        done = subprocess.run(["git", "-C", str(start), "rev-parse", "--show-toplevel"],
                              capture_output=True, text=True, timeout=30)
        if done.returncode == 0 and done.stdout.strip():
            return Path(done.stdout.strip()).resolve()
    except (OSError, subprocess.SubprocessError):
        pass
    return start.resolve()


def key_line(path: Path, dotted: str) -> int | None:
    """The line of a spec key in its file (a TOML table header, then the key), if set."""
    table, _, key = dotted.rpartition(".")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.split("#", 1)[0].strip()
        header = re.fullmatch(r"\[\s*([A-Za-z0-9_.-]+)\s*\]", stripped)
        if header:
            current = header[1]
        elif current == table and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return None


def location(run: GateRun, files: dict, root: Path) -> dict:
    """Where a counterexample is reported: the spec line the run depends on (the first
    key of ACTION_KEYS whose action the trace takes, else the first of FALLBACK_KEYS the
    spec sets), if the spec is in the repository; else the run's `spec` line in the gate
    configuration."""
    spec = Path(files["spec"]).resolve()
    try:
        uri = spec.relative_to(root).as_posix()
    except ValueError:
        uri = None
    if uri is not None:
        wanted = [k for a, k in ACTION_KEYS if a in files["actions"]] + list(FALLBACK_KEYS)
        for key in wanted:
            line = key_line(spec, key)
            if line is not None:
                break
        else:
            line = 1
    else:
        config = Path(run.config).resolve()
        try:
            uri = config.relative_to(root).as_posix()
        except ValueError:
            uri = config.name
        line = run.line
    return {"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                                 "region": {"startLine": line}}}


def fingerprint(run: GateRun, prop: str, files: dict) -> str:
    """The same violation on the same run gives the same fingerprint, whatever the line
    numbers, the paths or the machine."""
    text = "\0".join([run.key, prop, files["bad_step"], str(files["steps"])])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def rule(prop: str, description: str) -> dict:
    name, full, help_text = RULE_HELP.get(prop, (f"Property{prop}", description, description))
    return {"id": prop, "name": name, "shortDescription": {"text": description},
            "fullDescription": {"text": full},
            "help": {"text": help_text, "markdown": help_text},
            "defaultConfiguration": {"level": "error"}}


def sarif(outcomes: list, version: str) -> dict:
    """SARIF 2.1.0: one result per counterexample; `error` when the gate fails on that
    run (the trace is the evidence), `note` for a violation the expectations already
    record. URIs are relative to %SRCROOT%, the repository's root."""
    rules, results = {}, []
    for o in outcomes:
        root = repository_root(Path(o.run.config).parent)
        for prop, files in o.traces.items():
            rules[prop] = rule(prop, files["description"])
            trace = shown_path(files["itf"])
            results.append({
                "ruleId": prop,
                "ruleIndex": list(rules).index(prop),
                "level": "error" if o.problems else "note",
                "message": {"text": f"{o.run.key}: {prop} violated ({files['explanation']}); "
                                    f"the bad step is {files['bad_action']} (step "
                                    f"{files['steps']}); counterexample {Path(trace).name}"},
                "locations": [location(o.run, files, root)],
                "partialFingerprints": {"hacheckViolation/v1": fingerprint(o.run, prop, files)},
                "properties": {"run": o.run.key, "badStep": files["bad_action"],
                               "action": files["bad_step"], "trace": trace,
                               "page": shown_path(files["html"])},
            })
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "hacheck", "version": version,
                                          "semanticVersion": version,
                                          "fullName": INFORMATION,
                                          "rules": list(rules.values())}},
                      "columnKind": "unicodeCodePoints",
                      "results": results}]}
