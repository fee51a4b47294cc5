"""`hacheck gate`: the pre-merge verification gate.

Runs the matrix of a gate configuration (TOML: specs x node counts x modes, each in a
tier), compares each result with the expectation stored beside the specs (the verdict of
every property, the distinct states and the depth), and fails on any new violation, any
changed verdict or any drift in the counts. `--update` rewrites the expectations and
says what changed.

A run's spec is looked for beside the configuration first (a path relative to it, or a
name `n` as `specs/n.toml` or `n.toml` there), then among the specs shipped with
hacheck: the gate checks the working tree it is run in, not the installed package.

With `--out DIR` the reports (`tools.gate_reports`) go there: a Markdown summary for a
pull-request comment, JUnit XML (a suite per run, a case per property and one for the
counts), SARIF 2.1.0 (each counterexample a result at the spec line the run depends on,
relative to the repository's root, `%SRCROOT%`), and the ITF file and web page of every
counterexample.
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

import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

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
