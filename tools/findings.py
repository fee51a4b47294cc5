"""Generate docs/findings.md from real runs: every shipped variant at N = 2 and 3, with
its own fault budget and without faults, checked in timed mode (keep going, so that L0
and L1 are decided where the space allows), within a time limit per run.

    python -m hacheck.tools.findings [--time-limit SECONDS] [--workers K] [--out docs/findings.md]
    python -m hacheck.tools.findings --only assumptions     # that section alone, in place

Never edit docs/findings.md by hand: run this again. Each violation is shown with its
timed trace, the --explain condition, and the scenario of heartbeat-2000.md section 6 it
matches (a heuristic on the trace's actions, named as such) with the historical change
that addresses it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from hacheck.checker import Verdict
from hacheck.model.render import describe_action
from hacheck.model.spec import load
from hacheck.tools.run import check

VARIANTS = ["heartbeat-1.51", "heartbeat-1.65", "unsequenced", "active-passive",
            "no-nice-failback", "partition", "email-timer-combined", "email-timer-split",
            "stonith-race", "stonith", "heal"]

# scenario -> (what it is, in heartbeat's terms; the change that addresses it)
SCENARIOS = {
    "P3": ("req_resource's forced take: a node takes a group `sleep 10` after asking for "
           "it, while the holder still runs it",
           "none in 2000; 2.x serialises resource scripts and waits for STONITH"),
    "P4": ("N >= 3: two survivors both run mach_down for the same dead node",
           "no heartbeat version fixed it (two-node assumption A4); later clusters use quorum"),
    "P5": ("'none wipes the bits': a node without local groups announces none, which "
           "wipes its peer's claims, so it requests and announces again",
           "1.65, the child always announces local (vyos-legacy/heartbeat e5f4d5501)"),
    "P7": ("lost start messages: no timer leaves R_STARTING, so both nodes wait for ever",
           "1.51, sequenced starting/resource messages (vyos-legacy/heartbeat 56fcd912a)"),
    "P1/P2": ("a node declares a live peer dead (partition or late start) and mach_down "
              "takes its groups while the peer runs them",
              "1.81 healed-partition recovery, 1.95 STONITH before takeover, 1.96 initdead"),
    "P9": ("the email's resources_timer: a request made while it runs is dropped, and in "
           "the combined form it stops counting when the start window closes, so "
           "mark_node_dead's request for the node's own groups, held by the dead peer, is "
           "dropped for good",
           "the email's \"one if split into two\" (May 2000) shrinks it to a death within "
           "RQSTDELAY of the last request; 1.51 (56fcd912a) disabled the block (#if 0)"),
    "P1 (STONITH race)": ("1.70's STONITH: mach_down takes the dead peer's groups before the "
                          "reset has happened, while the peer still runs them",
                          "1.170 (95903f499): the reset is a precondition of the takeover"),
    "reset before boot": ("gated STONITH resets a peer that has not booted yet (a reset that "
                          "hits nothing); the peer then boots and runs its group while the "
                          "takeover the reset released runs it too",
                          "1.65's rules (the booting node stays passive when the peer claims "
                          "all); 2.x shoots such a peer again (hb_resource.c 1.5, d5f7c720c)"),
    "stale": ("a message sent before a crash (a request or a mach_down announcement) is "
              "processed after it and misleads the survivor",
              "not fixed in 2000 (1.81 adds generation numbers to reject old messages)"),
}


def classify(prop, cfg) -> str:
    names = [s.action.name for s in prop.trace.steps]
    if prop.name == "L0":
        return "P5"
    if "LOSE" in names:
        return "P7"
    if "FENCE" in names and "BOOT" in names[names.index("FENCE"):]:
        return "reset before boot"
    if prop.name == "L1" and cfg.email_timer != "off" and "DEAD" in names:
        return "P9"
    if prop.name == "S1" and cfg.stonith == "race" and "MACHDOWN" in names:
        return "P1 (STONITH race)"
    if prop.name == "S1":
        if cfg.N >= 3 and names.count("MACHDOWN") >= 2:
            return "P4"
        if names and names[-1] == "FORCETAKE":
            return "P3"
        return "P1/P2"
    if "CRASH" in names:
        return "stale"
    return "P1/P2"


def run_matrix(time_limit: float, progress, workers: int = 1) -> list[dict]:
    rows = []
    for name in VARIANTS:
        spec = load(name)
        budgets = [("spec's faults", spec)]
        if any(spec.options[f] for f in ("crashes", "restarts", "link_toggles")):
            budgets.append(("no faults", spec.with_options(crashes=0, restarts=0, link_toggles=0)))
        for nodes in (2, 3):
            for label, variant in budgets:
                progress(f"{name}, N = {nodes}, {label}")
                started = time.perf_counter()
                run = check(variant, nodes=nodes, timed=True, keep_going=True, explain=True,
                            time_limit=time_limit, trace_out=False, workers=workers)
                rows.append({"name": name, "nodes": nodes, "faults": label, "run": run,
                             "wall": time.perf_counter() - started})
    return rows


def render(rows: list[dict], time_limit: float, workers: int = 1) -> str:
    threads = "one thread" if workers == 1 else f"{workers} threads"
    out = ["# Findings: heartbeat's variants, two and three nodes", "",
           "Generated by `python -m hacheck.tools.findings` (do not edit by hand). Timed "
           f"checks (layer T, default timing), whole space within {time_limit:g} s per run "
           f"on {threads}; "
           "INCOMPLETE means the time ran out before the property was decided.", "",
           "| variant | N | faults | S1 | L0 | L1 | symbolic states | time |",
           "|---|---:|---|---|---|---|---:|---:|"]
    for r in rows:
        verdicts = {p.name: p.verdict.value for p in r["run"].result.properties}
        stats = r["run"].result.statistics
        out.append(f"| {r['name']} | {r['nodes']} | {r['faults']} | {verdicts['S1']} | "
                   f"{verdicts['L0']} | {verdicts['L1']} | {stats.distinct_states:,} | "
                   f"{r['wall']:.0f} s |")
    out += ["", "## Does it work with two nodes?", "", _answer_two(rows), "",
            "## Does it work with more than two nodes?", "",
            _answer(rows), "", "## The violations", ""]
    for r in rows:
        run = r["run"]
        for prop in run.result.properties:
            if prop.verdict is not Verdict.VIOLATED or prop.trace is None:
                continue
            scenario = classify(prop, run.cfg)
            what, fix = SCENARIOS[scenario]
            out += [f"### {r['name']}, N = {r['nodes']}, {r['faults']}: {prop.name}", "",
                    f"- **what**: {prop.explanation}",
                    f"- **scenario** (matched from the trace's actions): {scenario}, {what}",
                    f"- **when** (`--explain`): {prop.condition or 'a lasso: see the loop'}",
                    f"- **addressed by**: {fix}", "", "```"]
            out += trace_lines(run, prop) + ["```", ""]
    return "\n".join(out) + "\n"


def trace_lines(run, prop) -> list[str]:
    """A counterexample, a line per step with its time."""
    out = []
    before = prop.trace.initial
    for n, step in enumerate(prop.trace.steps, 1):
        mark = " <- loop" if prop.loop is not None and n == prop.loop + 1 else ""
        when = f"{float(prop.times[n - 1]):8.3f} s" if prop.times else ""
        out.append(f"{n:>3} {when}  {describe_action(run.cfg, before, step.action)}{mark}")
        before = step.state
    return out


def _answer_two(rows) -> str:
    two = [r for r in rows if r["nodes"] == 2]

    def s1(r):
        return next(p.verdict for p in r["run"].result.properties if p.name == "S1")

    spec_faults = "spec's faults"

    def names(faults, verdict):
        found = sorted({r["name"] for r in two if r["faults"] == faults and s1(r) is verdict})
        return ", ".join(found) or "none"
    return ("Only under heartbeat-2000.md's assumptions, and not in every version. At two "
            "nodes, S1 holds without faults in: "
            f"{names('no faults', Verdict.HOLDS)}; it is broken without faults in: "
            f"{names('no faults', Verdict.VIOLATED)}; with the spec's own faults it is "
            f"broken in: {names(spec_faults, Verdict.VIOLATED)} and "
            "undecided within the time limit in: "
            f"{names(spec_faults, Verdict.INCOMPLETE)}. Each "
            "violation below is a real, timed run: with 1.51's rules a node that requests a "
            "group it believes unclaimed takes it by force after req_resource's 10 s (P3), a "
            "partition or a late peer makes both sides run mach_down (P1/P2), and the fixes "
            "of the following two years (1.65's rules, STONITH before takeover, "
            "healed-partition restarts) each remove one of these; the scenario tests "
            "(tests/test_variants.py, tests/test_history.py) decide the cases this table "
            "leaves open.")


def _answer(rows) -> str:
    three = [r for r in rows if r["nodes"] == 3]
    broken = sorted({r["name"] for r in three
                     if any(p.name == "S1" and p.verdict is Verdict.VIOLATED
                            for p in r["run"].result.properties)})
    return ("The founding note says \"if you have more than two nodes, this may work\". It "
            f"does not: at three nodes S1 is violated in {len(broken)} of "
            f"{len({r['name'] for r in three})} variants ({', '.join(broken)}), by real, "
            "timed runs (below), mostly heartbeat-2000.md's P4: every survivor runs "
            "mach_down for the same dead node. No historical version fixed that.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hacheck.tools.findings",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=60.0,
                        help="seconds per run (default 60)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="threads per run (default: all cores)")
    parser.add_argument("--assumptions-time-limit", type=float, default=600.0,
                        help="seconds per run of the section on the design's assumptions "
                             "(default 600; its two-node runs finish well within it)")
    parser.add_argument("--only", choices=["assumptions"],
                        help="regenerate only that section of --out, in place")
    parser.add_argument("--out", default="docs/findings.md")
    args = parser.parse_args(argv)

    def progress(text):
        print(text, file=sys.stderr, flush=True)
    from hacheck.tools.findings_assumptions import (
        render_assumptions, replace_section, run_assumptions,
    )
    section = render_assumptions(run_assumptions(args.assumptions_time_limit, progress,
                                                 args.workers), args.assumptions_time_limit)
    if args.only:
        with open(args.out, encoding="utf-8") as f:
            text = f.read()
    else:
        rows = run_matrix(args.time_limit, progress, args.workers)
        text = render(rows, args.time_limit, args.workers)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(replace_section(text, section))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
