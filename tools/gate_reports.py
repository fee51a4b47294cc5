"""The gate's reports, written from its outcomes: a Markdown summary for a pull-request
comment, JUnit XML (a suite per run, a case per property and one for the counts) and
SARIF 2.1.0 (each counterexample a result at the spec line the run depends on, relative
to the repository's root, `%SRCROOT%`). `tools.gate` runs the matrix and calls
`write_reports`."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from hacheck.tools.gate import COUNTS, GateRun

INFORMATION = "hacheck: a model checker for heartbeat's nice_failback resource acquisition"

# the spec key a counterexample depends on, by the actions it takes (the first that
# applies), for the line a SARIF result points at
ACTION_KEYS = (("CRASH", "faults.crashes"), ("RESTART", "faults.restarts"),
               ("LINK", "faults.link_toggles"), ("LOSE", "faults.losses"),
               ("DUPLICATE", "faults.losses"), ("FENCE", "protocol.stonith"),
               ("TAKEOVER", "protocol.stonith"), ("HEALRUN", "protocol.heal"),
               ("CLOSE_WINDOW", "protocol.email_timer"), ("RT_EXPIRE", "protocol.email_timer"))
FALLBACK_KEYS = ("protocol.version", "protocol.nice_failback", "cluster.nodes",
                 "cluster.home")

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
