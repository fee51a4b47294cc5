"""Compare hacheck's untimed search with two compiled model checkers on layer D.

For each configuration, in one run:

- **whole space**: hacheck without symmetry or partial-order reduction (one worker, then
  two), the Murphi model (bench/peers/murphi.py) under Rumur and the Promela model
  (bench/peers/promela.py) under SPIN, none with any reduction. The three counts of
  distinct reachable states must be equal (model.md 6a). hacheck then runs again with
  symmetry and partial-order reduction (its defaults) on every worker: time to a complete
  search of the reduced space;
- **first violation**: time until each tool reports S1 violated, with the trace it
  gives (hacheck's defaults: breadth-first, shortest trace; Rumur: breadth-first;
  SPIN: depth-first, not shortest).

Usage (from the repository root):

    python3 bench/peers/compare.py                 # the three configurations of the issue
    python3 bench/peers/compare.py --config nofault --config crash1
    python3 bench/peers/compare.py --list          # every configuration

Measurements:
- wall s: the search alone: hacheck's `explore` (its own wall-clock figure, in a freshly
  spawned process, after the compiled code is loaded or compiled: that is `build s`),
  the Rumur verifier binary, SPIN's `pan` binary. Generating and compiling the peers'
  models is `build s` too;
- peak MiB: peak resident set of the search process (the verifier or pan binary, as GNU
  time reports it; for hacheck `getrusage(RUSAGE_SELF)` in the spawned process,
  interpreter, numba and LLVM included: see the `baseline` line);
- ratios are of wall time (search only) and of peak memory; the speed-up is hacheck's
  one-worker time over its two-worker time, both from this run (with `--pairs P`, P
  such pairs run one after the other, and their median).
Rumur runs with one thread (`--rumur-threads`), like pan.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import murphi  # noqa: E402
import promela  # noqa: E402

sys.path.insert(0, os.path.dirname(HERE))
from two_cores import core_round_trip_ns  # noqa: E402
from common import DEFAULT_CAP, BoundExceeded, build, describe, with_cap  # noqa: E402


@dataclass(frozen=True)
class Case:
    name: str
    N: int
    home: tuple
    nice_failback: bool = True
    crashes: int = 0
    restarts: int = 0
    link_toggles: int = 0
    hash_bits: int = 22              # SPIN -w
    cap: int | None = None           # initial FIFO room of the peer models (default --cap)
    spin_lossy: bool = False         # SPIN with hash compaction (-DHC4): too big to store exactly

    def config(self):
        from hacheck.model import Config
        return Config(N=self.N, home=self.home, nice_failback=self.nice_failback,
                      crashes=self.crashes, restarts=self.restarts, link_toggles=self.link_toggles)


CASES = [
    # small ones first
    Case("ap-nofault", 2, (0,)),
    Case("nofault", 2, (0, 1), hash_bits=20),
    Case("link1", 2, (0, 1), link_toggles=1),
    Case("partition", 2, (0, 1), link_toggles=2),
    Case("crash1", 2, (0, 1), crashes=1),
    Case("nonice-crash1", 2, (0, 1), nice_failback=False, crashes=1),
    Case("2groups-on-0-crash1", 2, (0, 0), crashes=1),
    Case("nonice-crash-restart", 2, (0, 1), nice_failback=False, crashes=1, restarts=1),
    # the three of the issue
    Case("crash-restart", 2, (0, 1), crashes=1, restarts=1, hash_bits=25),
    # 146 million states: Rumur needs 21 GB; SPIN needs about 200 bytes a state even with
    # -DCOLLAPSE, so on a 24 GB machine it runs with hash compaction, which loses states
    Case("ap-crash-restart", 2, (0,), crashes=1, restarts=1, hash_bits=28, cap=24,
         spin_lossy=True),
]
BY_NAME = {c.name: c for c in CASES}


# --- running a child and measuring it ---------------------------------------------------

def run_measured(argv: list[str], cwd: str) -> tuple[str, float, float, int]:
    """Run argv; return (stdout+stderr, wall seconds, peak RSS MiB, exit code).

    The peak RSS comes from GNU time, which forks the program from its own small
    process: a child forked from this Python process would report this process's
    resident size as its own high-water mark, even after exec."""
    out_path = os.path.join(cwd, "out.txt")
    rss_path = os.path.join(cwd, "maxrss.txt")
    with open(out_path, "w") as out:
        start = time.perf_counter()
        proc = subprocess.run([TIME, "-f", "%M", "-o", rss_path, *argv], cwd=cwd, stdout=out,
                              stderr=subprocess.STDOUT)
        wall = time.perf_counter() - start
    with open(out_path) as f:
        text = f.read()
    with open(rss_path) as f:
        rss_kib = int(f.read().split()[-1])
    return text, wall, rss_kib / 1024, proc.returncode


TIME = "/usr/bin/time"   # GNU time (Debian package `time`)


def run_rumur(cfg, work: str, cap: int, threads: int, invariant: bool = False) -> dict:
    """murphi.run_rumur, with the verifier's wall time and peak memory measured."""
    def measured(argv, cwd):
        text, wall, rss, code = run_measured(argv, cwd)
        return text, code, {"wall": wall, "rss": rss}
    return murphi.run_rumur(cfg, work, cap, threads, invariant, execute=measured)


def run_spin(cfg, work: str, cap: int, hash_bits: int, invariant: bool = False,
             lossy: bool = False) -> dict:
    src = os.path.join(work, "model.pml")
    with open(src, "w") as f:
        f.write(promela.generate(cfg, cap=cap, invariant=invariant))
    build_s = build([
        ["spin", "-a", "model.pml"],
        ["cc", "-O2", "-DNOREDUCE", "-DNOFAIR", "-DVECTORSZ=4096", "-DMEMLIM=21000",
         *(["-DHC4"] if lossy else []), "-o", "pan", "pan.c"],
    ], work)
    depth_limit = 100_000
    text, wall, rss, code = run_measured(["./pan", f"-m{depth_limit}", f"-w{hash_bits}", "-n"], work)
    if ".cnt<" in text.replace(" ", "") and "assertion violated" in text:
        raise BoundExceeded("spin: FIFO capacity exceeded")
    errors = re.search(r"errors: (\d+)", text)
    stored = re.search(r"(\d+) states, stored", text)
    depth = re.search(r"depth reached (\d+)", text)
    trans = re.search(r"(\d+) transitions", text)
    if invariant:
        at = re.search(r"assertion violated .*\(at depth (\d+)\)", text)
        if not at or not stored:
            raise RuntimeError(f"spin found no S1 violation (exit {code}):\n{text[-3000:]}")
        return {"states": int(stored.group(1)), "wall": wall, "rss": rss, "build": build_s,
                "trace": int(at.group(1))}
    if (code != 0 or not errors or errors.group(1) != "0" or not stored or not depth
            or "max search depth too small" in text or int(depth.group(1)) >= depth_limit - 1):
        raise RuntimeError(f"spin run failed or truncated (exit {code}):\n{text[-3000:]}")
    return {"states": int(stored.group(1)), "transitions": int(trans.group(1)) if trans else 0,
            "wall": wall, "rss": rss, "build": build_s, "depth": int(depth.group(1))}


# --- hacheck, in a freshly spawned process per run ------------------------------------------

@dataclass(frozen=True)
class Mode:
    label: str
    symmetry: bool
    reduce: bool
    workers: int
    verdict: bool      # stop at the first S1 violation (else: the whole space, no property)


def hacheck_worker(case: Case, mode: Mode) -> dict:
    import resource

    from hacheck.properties import safety_properties
    from hacheck.tools.run import search

    cfg = case.config()
    done = search(cfg, safety_properties(cfg) if mode.verdict else [],
                  symmetry=mode.symmetry, reduce=mode.reduce, keep_going=not mode.verdict,
                  workers=mode.workers)
    stats = done.result.statistics
    out = {"states": stats.distinct_states, "transitions": stats.transitions,
           "wall": stats.wall_seconds,
           "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "build": done.compile_seconds, "bytes_per_state": stats.bytes_per_state}
    if mode.verdict:
        trace = done.result.properties[0].trace
        out["trace"] = len(trace) if trace is not None else None
    elif not stats.complete:
        raise RuntimeError(f"hacheck stopped early: {stats.stop_reason}")
    return out


def run_hacheck(case: Case, mode: Mode) -> dict:
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes=1, maxtasksperchild=1) as pool:
        return pool.apply(hacheck_worker, (case, mode))


def baseline_worker() -> float:
    import resource

    import hacheck.model.kernel  # noqa: F401  (numba, llvmlite and the cached code)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- table --------------------------------------------------------------------------------

def fmt_int(x):
    return "-" if x is None else f"{x:,}"


def fmt_ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


WHOLE = [Mode("hacheck, no reduction, 1 worker", False, False, 1, False),
         Mode("hacheck, no reduction, 2 workers", False, False, 2, False),
         Mode("hacheck, symmetry + POR, 2 workers", True, True, 2, False)]
VERDICT = Mode("hacheck (defaults)", True, True, 2, True)
ISSUE_CASES = ["nofault", "crash-restart", "ap-crash-restart"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", action="append", metavar="NAME",
                        help="a configuration to run (repeatable; default: "
                             f"{', '.join(ISSUE_CASES)}; see --list)")
    parser.add_argument("--list", action="store_true", help="list the configurations and exit")
    parser.add_argument("--no-rumur", action="store_true")
    parser.add_argument("--no-spin", action="store_true")
    parser.add_argument("--cap", type=int, default=DEFAULT_CAP,
                        help=f"initial FIFO capacity of the peer models (default {DEFAULT_CAP})")
    parser.add_argument("--rumur-threads", type=int, default=1)
    parser.add_argument("--keep", metavar="DIR", help="keep the generated models and builds in DIR")
    parser.add_argument("--pairs", type=int, default=1, metavar="P",
                        help="one-worker and two-worker runs, alternating, P times (default 1): "
                             "the speed-up table gives each pair's and their median, which "
                             "this shared machine's noise makes worth having")
    args = parser.parse_args(argv)

    if args.list:
        for c in CASES:
            print(f"{c.name:24} {describe(c.config())}")
        return 0
    names = args.config or ISSUE_CASES
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        parser.error(f"unknown configuration(s) {unknown}; see --list")

    peers = ([] if args.no_rumur else ["rumur"]) + ([] if args.no_spin else ["spin"])
    top = args.keep or tempfile.mkdtemp(prefix="hacheck-peers-")
    os.makedirs(top, exist_ok=True)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        base = pool.apply(baseline_worker)
    print(f"rumur: {subprocess.run(['rumur', '--version'], capture_output=True, text=True).stdout.strip()}; "
          f"spin: {subprocess.run(['spin', '-V'], capture_output=True, text=True).stdout.strip()}; "
          f"rumur threads: {args.rumur_threads}; cores: {os.cpu_count()}; "
          f"baseline (a Python process with hacheck's compiled code loaded): {base:.0f} MiB",
          flush=True)
    if args.pairs < 1:
        parser.error("--pairs: expected a whole number of at least 1")
    rows = []
    pairs: dict[str, list] = {}      # config -> [(one worker s, two workers s)]
    all_equal = True
    for name in names:
        case = BY_NAME[name]
        cfg = case.config()
        print(f"== {name}: {describe(cfg)}", flush=True)
        whole, verdict = {}, {}
        before = core_round_trip_ns()
        for mode in WHOLE:
            whole[mode.label] = run_hacheck(case, mode)
            print(f"   {mode.label}: {whole[mode.label]}", flush=True)
            if mode is WHOLE[1]:
                trips = (before, core_round_trip_ns())
        pairs[name] = [(whole[WHOLE[0].label]["wall"], whole[WHOLE[1].label]["wall"], trips)]
        for _ in range(args.pairs - 1):
            before = core_round_trip_ns()
            one, two = (run_hacheck(case, mode)["wall"] for mode in WHOLE[:2])
            pairs[name].append((one, two, (before, core_round_trip_ns())))
            print(f"   another pair: one worker {one:.2f} s, two {two:.2f} s", flush=True)
        verdict["hacheck"] = run_hacheck(case, VERDICT)
        print(f"   {VERDICT.label}, first violation: {verdict['hacheck']}", flush=True)
        for tool in peers:
            for inv, into in ((False, whole), (True, verdict)):
                work = os.path.join(top, name, tool + ("-inv" if inv else ""))
                os.makedirs(work, exist_ok=True)
                cap = case.cap or args.cap
                if tool == "rumur":
                    r = with_cap(lambda cap: run_rumur(cfg, work, cap, args.rumur_threads, inv), cap)
                else:
                    r = with_cap(lambda cap: run_spin(cfg, work, cap, case.hash_bits, inv,
                                                      case.spin_lossy and not inv), cap)
                    r["lossy"] = case.spin_lossy and not inv
                into[tool] = r
                print(f"   {tool}{', first violation' if inv else ''}: {r}", flush=True)
        counts = [whole[WHOLE[0].label]["states"], whole[WHOLE[1].label]["states"]] + \
            [whole[t]["states"] for t in peers if not whole[t].get("lossy")]
        equal = len(set(counts)) == 1
        all_equal &= equal
        rows.append((name, whole, verdict, equal))

    plain1, plain2, reduced = (m.label for m in WHOLE)
    print()
    print("Distinct states of the whole space, no reduction:")
    print()
    print("| config | hacheck | rumur | spin | equal? |")
    print("|---|---:|---:|---:|---|")
    for name, whole, _, equal in rows:
        spin = whole.get("spin", {})
        lossy = " (hash compaction, lossy)" if spin.get("lossy") else ""
        print(f"| {name} | {fmt_int(whole[plain1]['states'])} | "
              f"{fmt_int(whole.get('rumur', {}).get('states'))} | "
              f"{fmt_int(spin.get('states'))}{lossy} | {'yes' if equal else 'NO'} |")
    print()
    print("Whole-space runs (search only; build = compiling the model):")
    print()
    print("| config | tool | states | wall s | states/s | peak MiB | build s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, whole, _, _ in rows:
        for label, r in whole.items():
            print(f"| {name} | {label} | {fmt_int(r['states'])} | {r['wall']:.2f} | "
                  f"{r['states'] / r['wall']:,.0f} | {r['rss']:.0f} | {r['build']:.1f} |")
    print()
    print("Ratios of wall time (below 1: hacheck is faster) and of peak memory:")
    print()
    print("| config | hacheck run | time / rumur | time / spin | memory / rumur | memory / spin |")
    print("|---|---|---:|---:|---:|---:|")
    for name, whole, _, _ in rows:
        r, s_ = whole.get("rumur", {}), whole.get("spin", {})
        for label in (plain1, plain2, reduced):
            h = whole[label]
            print(f"| {name} | {label} | {fmt_ratio(h['wall'], r.get('wall'))} | "
                  f"{fmt_ratio(h['wall'], s_.get('wall'))} | {fmt_ratio(h['rss'], r.get('rss'))} | "
                  f"{fmt_ratio(h['rss'], s_.get('rss'))} |")
    print()
    print("Speed-up from one worker to two, no reduction (issue 20 asks at least 1.8), with")
    print("the round trip of a cache line between the two CPUs before and after the pair")
    print("(bench/two_cores.py: about 100 ns when the host places them near, about 400 far):")
    print()
    print("| config | 1 worker s | 2 workers s | speed-up | core-to-core ns |")
    print("|---|---:|---:|---:|---:|")
    for name, *_ in rows:
        for one, two, trips in pairs[name]:
            shown = " / ".join("-" if t is None else f"{t:.0f}" for t in trips)
            print(f"| {name} | {one:.2f} | {two:.2f} | {fmt_ratio(one, two)} | {shown} |")
        if len(pairs[name]) > 1:
            ups = sorted(one / two for one, two, _ in pairs[name])
            print(f"| {name}, median of {len(ups)} pairs | | | {statistics.median(ups):.2f} | |")
    print()
    print("Time to the first S1 violation (trace: its number of steps):")
    print()
    print("| config | tool | states | wall s | trace | time hacheck / tool |")
    print("|---|---|---:|---:|---:|---:|")
    for name, _, verdict, _ in rows:
        h = verdict["hacheck"]
        for tool, r in verdict.items():
            print(f"| {name} | {tool} | {fmt_int(r['states'])} | {r['wall']:.3f} | "
                  f"{fmt_int(r.get('trace'))} | {fmt_ratio(h['wall'], r['wall']) if tool != 'hacheck' else ''} |")
    if not args.keep:
        shutil.rmtree(top, ignore_errors=True)
    print()
    print("all exact counts equal" if all_equal else "COUNTS DIFFER (or a count is missing)")
    return 0 if all_equal else 1


if __name__ == "__main__":
    sys.exit(main())
