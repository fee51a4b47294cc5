"""docs/findings.md, "Under the design's assumptions": heartbeat-2000.md section 6.3 asks
whether S1 and L1 hold for two nodes when A1-A5 do. Generated from real runs (timed,
whole space, keep going) by `python -m hacheck.tools.findings --only assumptions`:

- 1.51 and 1.65 at N = 2 with every assumption on (`specs/assumptions-*.toml`);
- the ablations: each assumption dropped in turn, and which property breaks then;
- the least quiet period and the largest boot skew under which both properties hold,
  by bisection over whole-space runs (a larger quiet period, or a smaller skew, only
  removes runs, so each answer is monotone in its parameter).
"""

from __future__ import annotations

import time
from dataclasses import replace
from fractions import Fraction

from hacheck.checker import Verdict
from hacheck.model.assumptions import assumptions
from hacheck.model.spec import load
from hacheck.tools.run import check

VERSIONS = ("1.51", "1.65")
BEGIN, END = "<!-- assumptions: begin -->", "<!-- assumptions: end -->"
STEP = Fraction(1, 2)     # the bisection's resolution, in seconds
THREE_NODES_LIMIT = 300.0  # seconds: three nodes' whole space does not fit in memory


def _spec(version):
    return load(f"assumptions-{version}")


# (row label, what is changed, how): each drops one assumption of section 6.3
ABLATIONS = (
    ("A1: partitions", "faults.link_toggles = 2",
     lambda spec: (spec.with_options(link_toggles=2), None)),
    ("A1: boot skew", "cluster.boot_skew off",
     lambda spec: (spec.with_options(boot_skew=None), None)),
    ("A2", "req_timeout = 1 s (dmax + smax = 1.5 s)",
     lambda spec: (replace(spec, timing=replace(spec.timing, R=Fraction(1))), None)),
    ("A3", 'transport = "unsequenced", losses = 2 (as specs/unsequenced.toml)',
     lambda spec: (spec.with_options(transport="unsequenced", losses=2), None)),
    ("A4", "three nodes", lambda spec: (spec, 3)),
    ("A5", "faults.quiet off", lambda spec: (spec.with_options(quiet=None), None)),
    ("A1: boot skew, and A5", "cluster.boot_skew and faults.quiet off",
     lambda spec: (spec.with_options(boot_skew=None, quiet=None), None)),
)


def _verdicts(run) -> dict:
    return {p.name: p for p in run.result.properties}


def _check(spec, nodes, time_limit, workers):
    started = time.perf_counter()
    run = check(spec, nodes=nodes, timed=True, keep_going=True, time_limit=time_limit,
                trace_out=False, workers=workers)
    return run, time.perf_counter() - started


def run_assumptions(time_limit: float | None, progress, workers: int = 1) -> dict:
    """Every run the section shows: {"main": [(version, run, wall)], "ablations":
    [(version, label, change, run, wall)], "least": [(version, what, value or None)]}."""
    out = {"main": [], "ablations": [], "least": []}
    for version in VERSIONS:
        progress(f"{version}, every assumption")
        run, wall = _check(_spec(version), None, time_limit, workers)
        out["main"].append((version, run, wall))
        for label, change, how in ABLATIONS:
            progress(f"{version}, without {label}")
            spec, nodes = how(_spec(version))
            limit = time_limit if nodes is None else min(time_limit or THREE_NODES_LIMIT,
                                                         THREE_NODES_LIMIT)
            run, wall = _check(spec, nodes, limit, workers)
            out["ablations"].append((version, label, change, run, wall))
        holds = lambda run: all(p.verdict is Verdict.HOLDS for p in run.result.properties  # noqa: E731
                                if p.name in ("S1", "L1"))
        out["least"].append((version, "quiet", _least_quiet(version, holds, time_limit,
                                                            workers, progress)))
        out["least"].append((version, "boot_skew", _largest_skew(version, holds, time_limit,
                                                                 workers, progress)))
    return out


def _decided(run) -> bool:
    return all(p.verdict in (Verdict.HOLDS, Verdict.VIOLATED) for p in run.result.properties
               if p.name in ("S1", "L1"))


def _bisect(good, lo: Fraction, hi: Fraction, want_least: bool):
    """The least (or largest) multiple of STEP in [lo, hi] at which `good` is True,
    assuming monotonicity; None if none is. `good` returns None when a run is undecided."""
    edge = hi if want_least else lo
    verdict = good(edge)
    if not verdict:
        return None if verdict is False else "undecided"
    a, b = (lo, hi) if want_least else (hi, lo)     # b good; find the boundary from a
    first = good(a)
    if first is None:
        return "undecided"
    if first:
        return a
    while abs(b - a) > STEP:
        mid = (a + b) / 2
        mid = Fraction(round(mid / STEP)) * STEP
        if mid in (a, b):
            break
        verdict = good(mid)
        if verdict is None:
            return "undecided"
        if verdict:
            b = mid
        else:
            a = mid
    return b


def _holds_with(version, option, holds, time_limit, workers, progress):
    """Whether S1 and L1 hold with one option of the assumptions spec set to a value
    (None: the run was undecided)."""
    spec = _spec(version)

    def good(value):
        progress(f"{version}, {option} = {float(value):g} s")
        run, _ = _check(spec.with_options(**{option: value}), None, time_limit, workers)
        return holds(run) if _decided(run) else None
    return good


def _least_quiet(version, holds, time_limit, workers, progress):
    good = _holds_with(version, "quiet", holds, time_limit, workers, progress)
    return _bisect(good, Fraction(0), _spec(version).options["quiet"], want_least=True)


def _largest_skew(version, holds, time_limit, workers, progress):
    good = _holds_with(version, "boot_skew", holds, time_limit, workers, progress)
    return _bisect(good, Fraction(0), 2 * _spec(version).timing.D, want_least=False)


def render_assumptions(found: dict, time_limit: float | None) -> str:
    from hacheck.tools.findings import trace_lines
    limit = ("no time limit" if time_limit is None else f"at most {time_limit:g} s per run")
    limit += f" (three nodes: {THREE_NODES_LIMIT:g} s, after which L0 and L1 are INCOMPLETE)"
    out = [BEGIN, "## Under the design's assumptions", "",
           "heartbeat-2000.md section 6.3 expects S1 and L1 to hold for 1.65 at two nodes "
           "under its assumptions A1-A5, and asks the model checker to confirm or refute "
           "it. `specs/assumptions-1.51.toml` and `specs/assumptions-1.65.toml` turn every "
           "assumption on (model/README.md, \"The design's assumptions\": one crash and one "
           "restart, no partitions, boot skew 5 s, quiet period 31 s, the sequenced "
           f"transport, default timing). Timed, whole space, {limit}.", "",
           "| version | assumptions | S1 | L1 | symbolic states | time |",
           "|---|---|---|---|---:|---:|"]
    for version, run, wall in found["main"]:
        v = _verdicts(run)
        held = ", ".join(a.name for a in assumptions(run.cfg, run.spec.timing) if a.holds)
        out.append(f"| {version} | {held} | {v['S1'].verdict.value} | {v['L1'].verdict.value}"
                   f" | {run.result.statistics.distinct_states:,} | {wall:.0f} s |")
    out += [""]
    for version, run, _ in found["main"]:
        for name in ("S1", "L1"):
            prop = _verdicts(run)[name]
            if prop.verdict is Verdict.VIOLATED and prop.trace is not None:
                out += [f"{version}, {name} under every assumption ({len(prop.trace)} steps):",
                        "", "```", *trace_lines(run, prop), "```", ""]
    out += ["### Each assumption dropped in turn", "",
            "A1's delay bound (heartbeat delay plus scheduling delay below deadtime) cannot "
            "be dropped: it is keepalive + dmax < deadtime, which section 7 asks of every "
            "spec, and in layer T a live, connected node is always heard in time, so a "
            "late heartbeat is only ever a cut link: the partition row.", "",
            "| version | dropped | change | S1 | L1 | shortest violation | time |",
            "|---|---|---|---|---|---:|---:|"]
    for version, label, change, run, wall in found["ablations"]:
        v = _verdicts(run)
        broken = [v[n] for n in ("S1", "L1") if v[n].verdict is Verdict.VIOLATED
                  and v[n].trace is not None]
        shortest = min(broken, key=lambda p: len(p.trace), default=None)
        text = f"{shortest.name}, {len(shortest.trace)} steps" if shortest else "none"
        out.append(f"| {version} | {label} | {change} | {v['S1'].verdict.value} | "
                   f"{v['L1'].verdict.value} | {text} | {wall:.0f} s |")
    out += [""]
    for version, label, change, run, _ in found["ablations"]:
        v = _verdicts(run)
        broken = [v[n] for n in ("S1", "L1") if v[n].verdict is Verdict.VIOLATED
                  and v[n].trace is not None]
        if broken:
            prop = min(broken, key=lambda p: len(p.trace))
            out += [f"{version} without {label} ({change}): {prop.name}, "
                    f"{len(prop.trace)} steps", "", "```", *trace_lines(run, prop), "```", ""]
    out += ["### The least quiet period and the largest boot skew", "",
            "Bisection over whole-space runs in steps of 0.5 s (the quiet period from 0 to "
            "31 s, the boot skew from 0 to twice deadtime), every other assumption on "
            "(quiet period 31 s while the boot skew varies, boot skew 5 s while the quiet "
            "period varies). A5 asks for more than deadtime + RQSTDELAY + TIMEOUT = 30 s, "
            "A1 for a boot skew below deadtime = 10 s.", "", "| version | parameter | S1 and L1 hold when |",
            "|---|---|---|"]
    for version, what, value in found["least"]:
        if value is None:
            text = ("no value in the range searched" if what == "boot_skew" else
                    "never, not even at 31 s")
        elif value == "undecided":
            text = "undecided within the time limit"
        elif what == "quiet":
            text = (f"quiet >= {float(value):g} s" if value else
                    "at every quiet period searched, 0 included: none is needed")
        elif value == 2 * _spec(version).timing.D:
            text = f"at every boot skew searched, up to {float(value):g} s"
        else:
            text = f"boot_skew <= {float(value):g} s"
        out.append(f"| {version} | {what} | {text} |")
    out += ["", END]
    return "\n".join(out) + "\n"


def replace_section(text: str, section: str) -> str:
    """The findings text with the assumptions section replaced (or appended)."""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        return head + section.rstrip("\n") + rest.split(END, 1)[1]
    return text.rstrip("\n") + "\n\n" + section
