"""Reports of a check: text for people (stdout), JSON for machines. Both render from the
CheckResult; neither decides a verdict or an exit code."""

from __future__ import annotations

import json

from hacheck import __version__
from hacheck.checker import Verdict
from hacheck.model.render import changes, describe_action
from hacheck.tools.run import UNTIMED_CAVEAT, Run


def trace_lines(cfg, trace) -> list[dict]:
    """One record per step: number, node, action (with its message) and what changed."""
    lines = []
    before = trace.initial
    for number, step in enumerate(trace.steps, 1):
        lines.append({
            "step": number,
            "node": step.action.node,
            "action": describe_action(cfg, before, step.action),
            "changes": changes(cfg, before, step.state),
        })
        before = step.state
    return lines


def _configuration_line(meta: dict) -> str:
    return (f"cluster: {meta['nodes']} node{'s' if meta['nodes'] != 1 else ''}, "
            f"home {meta['home']}, nice_failback {'on' if meta['nice_failback'] else 'off'}; "
            f"faults: crashes {meta['crashes']}, restarts {meta['restarts']}, "
            f"link_toggles {meta['link_toggles']}")


def render_text(run: Run) -> str:
    result, meta = run.result, run.result.meta
    stats = result.statistics
    out = [f"hacheck {__version__}: {meta['name'] or meta['spec']} ({meta['spec']})",
           _configuration_line(meta),
           "mode: untimed (layer D of model.md: every timer may fire at any moment)",
           "symmetry reduction: " + (f"on (group of {meta['symmetry_group_size']})"
                                     if result.symmetry else "off"),
           "partial-order reduction: " + (
               f"on ({stats.reduced_states:,} states expanded with an ample set)"
               if result.reduction else "off"),
           ""]
    for prop in result.properties:
        out.append(f"{prop.name}  {prop.description}: {prop.verdict.value}")
        if prop.verdict is Verdict.VIOLATED:
            out.append(f"    {prop.explanation}")
            if stats.complete:
                out.append(f"    {prop.violating_states:,} of {stats.distinct_states:,} "
                           "distinct states violate it"
                           + (" (of the reduced graph)" if result.reduction else ""))
        elif prop.verdict is Verdict.INCOMPLETE:
            out.append(f"    not violated in the states explored, but the search stopped: "
                       f"{stats.stop_reason}")
    for prop in result.properties:
        if prop.trace is None:
            continue
        out += ["", f"shortest counterexample to {prop.name} ({len(prop.trace)} steps"
                    + (", from an unreduced search" if result.reduction else "") + "):"]
        for line in trace_lines(run.cfg, prop.trace):
            node = "-" if line["node"] is None else f"n{line['node']}"
            out.append(f"  {line['step']:>4}  {node:<4} {line['action']}")
            for change in line["changes"]:
                out.append(f"              {change}")
        out.append(f"  violates {prop.name}: {prop.explanation}")
        if prop.name in run.trace_files:
            out.append(f"  trace written to {run.trace_files[prop.name]} (ITF)")
        out += ["", _wrap(UNTIMED_CAVEAT, "note: ")]
    out += ["",
            f"statistics: {stats.distinct_states:,} distinct states, {stats.transitions:,} "
            f"transitions, maximum depth {stats.max_depth}, {stats.wall_seconds:.2f} s, "
            f"{stats.states_per_second:,.0f} states/s, {stats.bytes_per_state:.0f} bytes/state, "
            f"{stats.workers} worker{'s' if stats.workers != 1 else ''}",
            *_fingerprint_lines(stats),
            "search: " + ("complete (the whole reachable state space)" if stats.complete
                          else f"stopped early ({stats.stop_reason})"),
            f"result: {_overall(result)} (exit code {int(result.exit_code)})"]
    return "\n".join(out)


def _fingerprint_lines(stats) -> list[str]:
    if not stats.fingerprint:
        return []
    return [_wrap("states were stored as 64-bit fingerprints: a fingerprint run is not a proof "
                  "without this bound. Probability that two distinct states shared a "
                  f"fingerprint, so that one was missed: at most {stats.collision_probability:.2g}.",
                  "fingerprints: ")]


def _overall(result) -> str:
    verdicts = {p.verdict for p in result.properties}
    for v in (Verdict.ERROR, Verdict.VIOLATED, Verdict.INCOMPLETE):
        if v in verdicts:
            return v.value
    return Verdict.HOLDS.value


def _wrap(text: str, prefix: str, width: int = 88) -> str:
    words, lines, line = text.split(), [], prefix
    for word in words:
        if len(line) + len(word) + 1 > width and line.strip():
            lines.append(line.rstrip())
            line = " " * len(prefix)
        line += word + " "
    lines.append(line.rstrip())
    return "\n".join(lines)


def render_json(run: Run) -> str:
    result = run.result
    stats = result.statistics
    document = {
        "hacheck": __version__,
        "spec": result.meta,
        "mode": result.mode,
        "symmetry": result.symmetry,
        "statistics": {
            "distinct_states": stats.distinct_states, "transitions": stats.transitions,
            "max_depth": stats.max_depth, "wall_seconds": round(stats.wall_seconds, 3),
            "states_per_second": round(stats.states_per_second, 1),
            "bytes_per_state": round(stats.bytes_per_state, 1),
            "complete": stats.complete, "stop_reason": stats.stop_reason,
            "fingerprint": stats.fingerprint, "workers": stats.workers,
            "collision_probability": stats.collision_probability,
            "reduced_states": stats.reduced_states,
            "trace_search_states": stats.trace_search_states,
        },
        "reduction": result.reduction,
        "properties": [
            {"name": p.name, "description": p.description, "kind": p.kind,
             "verdict": p.verdict.value, "violating_states": p.violating_states,
             "explanation": p.explanation,
             "trace": trace_lines(run.cfg, p.trace) if p.trace is not None else None,
             "trace_file": run.trace_files.get(p.name),
             "caveat": UNTIMED_CAVEAT if p.trace is not None else None}
            for p in result.properties
        ],
        "result": _overall(result),
        "exit_code": int(result.exit_code),
    }
    return json.dumps(document, indent=2)
