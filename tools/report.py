"""Reports of a check: text for people (stdout), JSON for machines. Both render from the
CheckResult; neither decides a verdict or an exit code."""

from __future__ import annotations

import json

from hacheck import __version__
from hacheck.checker import Verdict
from hacheck.checker.verdict import is_shortest
from hacheck.checker.properties import FAIRNESS, LIVENESS_KINDS
from hacheck.model.assumptions import assumptions, summary
from hacheck.tools.notes import caveat
from hacheck.tools.run import Run


def trace_lines(cfg, trace, times=None) -> list[dict]:
    """One record per step: number, time (timed mode), node, action (with its message)
    and what changed."""
    from hacheck.model.render import changes, describe_action
    lines = []
    before = trace.initial
    for number, step in enumerate(trace.steps, 1):
        line = {"step": number}
        if times is not None:
            line["time"] = float(times[number - 1])
            line["time_exact"] = str(times[number - 1])
        line.update({
            "node": step.action.node,
            "action": describe_action(cfg, before, step.action),
            "changes": changes(cfg, before, step.state),
        })
        lines.append(line)
        before = step.state
    return lines


def _mode_lines(result, meta, cfg) -> list[str]:
    random = result.statistics.random_runs
    if result.mode != "timed":
        if random:
            return ["mode: untimed random runs (layer D of model.md, each step chosen at "
                    "random among the enabled ones; no reduction)"]
        return ["mode: untimed (layer D of model.md: every timer may fire at any moment; "
                "a counterexample may not be possible with real timers)"]
    t = {k: v for k, v in meta.get("timing", {}).items()
         if k != "stonith" or cfg.stonith != "off"}
    return ["mode: timed random runs (layer T of model.md: walks of the zone graph, each "
            "step chosen at random among the enabled ones; no reduction; real runs only)"
            if random else "mode: timed (layer T of model.md: real runs only)",
            "timing: " + ", ".join(f"{k} {v:g} s" for k, v in t.items())]


def _configuration_line(cfg) -> str:
    return (f"cluster: {cfg.N} node{'s' if cfg.N != 1 else ''}, "
            f"home {list(cfg.home)}, heartbeat.c {cfg.version}, "
            f"nice_failback {'on' if cfg.nice_failback else 'off'}; "
            f"faults: crashes {cfg.crashes}, restarts {cfg.restarts}, "
            f"link_toggles {cfg.link_toggles}"
            + (f"; unsequenced transport, losses {cfg.losses}"
               if cfg.transport == "unsequenced" else "")
            + _variants_text(cfg))


def _assumptions_line(run) -> str:
    ignored = ("; untimed, so the quiet period and the boot skew are not applied"
               if run.result.mode != "timed" else "")
    return (f"design assumptions (heartbeat-2000.md 6.3): "
            f"{summary(assumptions(run.cfg, run.spec.timing))}{ignored}")


def _variants_text(cfg) -> str:
    parts = []
    if cfg.email_timer != "off":
        parts.append(f"email_timer {cfg.email_timer} "
                     f"(starting repeats {cfg.starting_repeats})")
    if cfg.stonith != "off":
        parts.append(f"stonith {cfg.stonith}")
    if cfg.heal:
        parts.append("heal")
    if cfg.broken:
        parts.append("DELIBERATELY BROKEN model (demo_broken: the oh & F guard is dropped)")
    return "; variants: " + ", ".join(parts) if parts else ""


def render_text(run: Run) -> str:
    result, meta = run.result, run.result.meta
    stats = result.statistics
    out = [f"hacheck {__version__}: {meta['name'] or meta['spec']} ({meta['spec']})",
           _configuration_line(run.cfg),
           _assumptions_line(run),
           *_mode_lines(result, meta, run.cfg),
           "symmetry reduction: " + (("on" + (f" (group of {meta['symmetry_group_size']})"
                                               if meta.get("symmetry_group_size") else ""))
                                     if result.symmetry else "off"),
           "partial-order reduction: " + (
               f"on ({stats.reduced_states:,} states expanded with an ample set"
               + (f", {stats.chained_steps:,} single ample steps passed in chains"
                  if stats.chained_steps else "") + ")"
               if result.reduction else "off" + _why_no_reduction(run)),
           ""]
    for prop in result.properties:
        out.append(f"{prop.name}  {prop.description}: {prop.verdict.value}")
        if prop.verdict is Verdict.VIOLATED:
            out.append(f"    {prop.explanation}")
            if stats.complete and prop.violating_states:
                out.append(f"    {prop.violating_states:,} of {stats.distinct_states:,} "
                           "distinct states violate it"
                           + (" (of the reduced graph)" if result.reduction else ""))
        elif prop.verdict is Verdict.INCOMPLETE:
            out.append(_wrap(prop.explanation or "not violated in the states explored, but "
                             f"the search stopped: {stats.stop_reason}", "    "))
        for note in prop.notes:
            out.append(_wrap(note, "    note: "))
    if any(p.kind in LIVENESS_KINDS for p in result.properties):
        out.append(_wrap(f"L0 and L1 are checked {FAIRNESS}.", "    "))
    for prop in result.properties:
        if prop.trace is None:
            continue
        shortest = is_shortest(prop.notes)
        kind = ("lasso counterexample" if prop.loop is not None
                else "shortest counterexample" if shortest else "counterexample")
        repeat = ("" if prop.loop is None
                  else f", steps {prop.loop + 1}-{len(prop.trace)} repeat for ever")
        out += ["", f"{kind} to {prop.name} ({len(prop.trace)} steps{repeat}"
                    + (", from an unreduced search"
                       if result.reduction and prop.loop is None and shortest else "")
                    + ("; time in seconds since the first step" if prop.times else "") + "):"]
        indent = " " * (14 + (10 if prop.times else 0))
        for line in trace_lines(run.cfg, prop.trace, prop.times):
            node = "-" if line["node"] is None else f"n{line['node']}"
            when = f"{_seconds(line['time_exact']):>9} " if prop.times else ""
            mark = "loop" if prop.loop is not None and line["step"] == prop.loop + 1 else ""
            out.append(f"{mark:>4}{line['step']:>4}  {when}{node:<4} {line['action']}")
            for change in line["changes"]:
                out.append(f"{indent}{change}")
        out.append(f"  violates {prop.name}: {prop.explanation}")
        if prop.condition:
            out.append(_wrap(prop.condition, "  when: "))
        if prop.name in run.trace_files:
            out.append(f"  trace written to {run.trace_files[prop.name]} (ITF)")
        out += ["", _wrap(caveat(prop, result.mode), "note: ")]
    out += ["", _statistics_line(result, stats),
            *_fingerprint_lines(stats),
            "search: " + ("complete (the whole reachable state space)" if stats.complete
                          else f"random runs, a sample of the space ({stats.stop_reason})"
                          if stats.random_runs
                          else f"stopped early ({stats.stop_reason})"),
            *_random_runs_hint(result, stats),
            f"result: {_overall(result)} (exit code {int(result.exit_code)})"]
    return "\n".join(out)


def _random_runs_hint(result, stats) -> list[str]:
    """A search cut by a limit leaves properties open; random runs reach deeper."""
    from hacheck.checker.explorer import VIOLATION_FOUND
    if (stats.complete or stats.random_runs or stats.stop_reason == VIOLATION_FOUND
            or all(p.verdict is not Verdict.INCOMPLETE for p in result.properties)):
        return []
    return [_wrap("--random-runs R (say 1000) takes random runs to the end of the "
                  "protocol instead: counterexamples deeper than a search reaches, though "
                  "no proof that a property holds", "hint: ")]


def _why_no_reduction(run) -> str:
    if run.model is not None and not run.model.supports_reduction:
        return (" (argued for heartbeat.c 1.51 on the sequenced transport without variants "
                "only, docs/reduction.md)")
    if run.result.mode == "timed":
        return " (the timed default; --por reduces the orders of instantaneous steps)"
    return ""


def _statistics_line(result, stats) -> str:
    timed = result.mode == "timed"
    if stats.random_runs:
        return (f"statistics: {stats.random_runs:,} random runs, {stats.transitions:,} steps, "
                f"{stats.distinct_states:,} distinct {'symbolic ' * timed}states met, "
                f"the longest run {stats.max_depth} steps, {stats.wall_seconds:.2f} s")
    states = ("distinct symbolic states (a discrete state and a zone of clock values)"
              if timed else "distinct states")
    line = (f"statistics: {stats.distinct_states:,} {states}, {stats.transitions:,} "
            f"transitions, maximum depth {stats.max_depth}, {stats.wall_seconds:.2f} s, "
            f"{stats.states_per_second:,.0f} states/s")
    if timed:
        which = ", up to symmetry" if result.symmetry else ""
        if result.reduction:
            which += ("; of the reduced graph, so fewer: --por leaves out states between "
                      "instantaneous steps")
        at_least = "" if stats.discrete_counted else "at least "
        reached = "" if not stats.symbolic else (
            f"; real runs reach {at_least}{stats.discrete_states:,} of the discrete model's "
            f"states (the layer-D states of the symbolic ones{which}"
            + ("" if stats.discrete_counted else "; memory ran short while counting them")
            + ")")
        return (line + f", {stats.bytes_per_state:.0f} bytes/symbolic state, "
                f"{stats.workers} worker{'s' if stats.workers != 1 else ''}" + reached
                + _edges(stats))
    return (line + f", {stats.bytes_per_state:.0f} bytes/state, "
            f"{stats.workers} worker{'s' if stats.workers != 1 else ''}" + _edges(stats))


def _edges(stats) -> str:
    return (f"; {stats.protocol_edges:,} protocol edges kept for L0 "
            f"({stats.bytes_per_edge:.0f} bytes each)" if stats.protocol_edges else "")


def _seconds(exact: str) -> str:
    """A timestamp as a person reads it: 10, 10.5, or 10.333 (the exact value is in JSON)."""
    from fractions import Fraction
    t = Fraction(exact)
    return f"{float(t):.3f}".rstrip("0").rstrip(".") if t.denominator != 1 else str(t.numerator)


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
            "reduced_states": stats.reduced_states, "chained_steps": stats.chained_steps,
            "trace_search_states": stats.trace_search_states,
            "random_runs": stats.random_runs,
            "protocol_edges": stats.protocol_edges,
            "peak_memory": stats.peak_memory, "memory_limit": stats.memory_limit,
            **({"symbolic_states": stats.distinct_states,
                "discrete_states": stats.discrete_states,
                "discrete_states_counted": stats.discrete_counted,
                "covered_states": stats.covered_states,
                "skipped_states": stats.skipped_states} if stats.symbolic else {}),
        },
        "reduction": result.reduction,
        "properties": [
            {"name": p.name, "description": p.description, "kind": p.kind,
             "verdict": p.verdict.value, "violating_states": p.violating_states,
             "explanation": p.explanation,
             "trace": trace_lines(run.cfg, p.trace, p.times) if p.trace is not None else None,
             "trace_file": run.trace_files.get(p.name),
             "condition": p.condition or None,
             "loop": p.loop,
             "caveat": caveat(p, result.mode) if p.trace is not None else None,
             "notes": list(p.notes)}
            for p in result.properties
        ],
        "assumption": FAIRNESS,
        "result": _overall(result),
        "exit_code": int(result.exit_code),
    }
    return json.dumps(document, indent=2)
