"""Compare hacheck's untimed search with two independent model checkers on layer D.

For each configuration, the Murphi model (bench/peers/murphi.py) is checked with Rumur and
the Promela model (bench/peers/promela.py) with SPIN, both without symmetry reduction, and
hacheck's explorer runs on the same Config (`explore(HeartbeatModel(cfg), [],
symmetry=False, keep_going=True)`, in a freshly spawned Python process). The three counts
of distinct reachable states must be equal (model.md §6a).

Usage (from the repository root):

    python3 bench/peers/compare.py                      # every configuration, small first
    python3 bench/peers/compare.py --config nofault --config ap-nofault
    python3 bench/peers/compare.py --list
    python3 bench/peers/compare.py --skip-hacheck       # use the reference counts instead

Measurements:
- wall s: time.perf_counter() around the search alone: hacheck's `explore` call (in the
  worker), the Rumur verifier binary, SPIN's `pan` binary. Generating the model and
  compiling it are reported separately (`build s`);
- peak MiB: peak resident set of the search process: `ru_maxrss` of the rusage that
  `os.wait4` returns for the verifier / pan child; for hacheck, `getrusage(RUSAGE_SELF)`
  in the spawned worker after the search (it includes the interpreter and imports);
- states/s: distinct states / wall s;
- hacheck/rumur, hacheck/spin: ratios of wall time and of peak memory.
Rumur runs with one thread by default (`--rumur-threads`), like hacheck and pan.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import murphi  # noqa: E402
import promela  # noqa: E402
from common import DEFAULT_CAP, describe  # noqa: E402


@dataclass(frozen=True)
class Case:
    name: str
    N: int
    home: tuple
    nice_failback: bool = True
    crashes: int = 0
    restarts: int = 0
    link_toggles: int = 0
    reference: int | None = None     # hacheck's count, when known (for --skip-hacheck)
    hash_bits: int = 22              # SPIN -w

    def config(self):
        from hacheck.model import Config
        return Config(N=self.N, home=self.home, nice_failback=self.nice_failback,
                      crashes=self.crashes, restarts=self.restarts, link_toggles=self.link_toggles)


CASES = [
    # small ones first
    Case("ap-nofault", 2, (0,)),
    Case("nofault", 2, (0, 1), reference=165_598, hash_bits=20),
    Case("link1", 2, (0, 1), link_toggles=1),
    Case("partition", 2, (0, 1), link_toggles=2),
    Case("crash1", 2, (0, 1), crashes=1),
    Case("nonice-crash1", 2, (0, 1), nice_failback=False, crashes=1),
    Case("2groups-on-0-crash1", 2, (0, 0), crashes=1),
    Case("nonice-crash-restart", 2, (0, 1), nice_failback=False, crashes=1, restarts=1),
    # the three of the issue
    Case("crash-restart", 2, (0, 1), crashes=1, restarts=1, reference=8_630_325, hash_bits=25),
    Case("ap-crash-restart", 2, (0,), crashes=1, restarts=1, hash_bits=25),
]
BY_NAME = {c.name: c for c in CASES}


# --- running a child and measuring it ---------------------------------------------------

def run_measured(argv: list[str], cwd: str) -> tuple[str, float, float, int]:
    """Run argv; return (stdout+stderr, wall seconds, peak RSS MiB, exit code)."""
    out_path = os.path.join(cwd, "out.txt")
    with open(out_path, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path) as f:
        text = f.read()
    return text, wall, usage.ru_maxrss / 1024, proc.returncode


def build(argvs: list[list[str]], cwd: str) -> float:
    start = time.perf_counter()
    for argv in argvs:
        r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{r.stdout}\n{r.stderr}")
    return time.perf_counter() - start


class BoundExceeded(Exception):
    pass


def run_rumur(cfg, work: str, cap: int, threads: int) -> dict:
    src = os.path.join(work, "model.m")
    with open(src, "w") as f:
        f.write(murphi.generate(cfg, cap=cap))
    build_s = build([
        ["rumur", "--deadlock-detection", "off", "--symmetry-reduction", "off",
         "--threads", str(threads), "--set-capacity", str(64 << 20),
         "--colour", "off", "--output", "model.c", "model.m"],
        ["cc", "-std=c11", "-O3", "-march=native", "-o", "model", "model.c", "-lpthread"],
    ], work)
    text, wall, rss, code = run_measured(["./model"], work)
    if "capacity CAP exceeded" in text:
        raise BoundExceeded("rumur: FIFO capacity exceeded")
    m = re.search(r"(\d+) states, (\d+) rules fired", text)
    if code != 0 or "No error found" not in text or not m:
        raise RuntimeError(f"rumur run failed (exit {code}):\n{text[-3000:]}")
    return {"states": int(m.group(1)), "transitions": int(m.group(2)), "wall": wall, "rss": rss,
            "build": build_s}


def run_spin(cfg, work: str, cap: int, hash_bits: int) -> dict:
    src = os.path.join(work, "model.pml")
    with open(src, "w") as f:
        f.write(promela.generate(cfg, cap=cap))
    build_s = build([
        ["spin", "-a", "model.pml"],
        ["cc", "-O2", "-DNOREDUCE", "-DNOFAIR", "-DVECTORSZ=4096", "-DMEMLIM=16384",
         "-o", "pan", "pan.c"],
    ], work)
    depth_limit = 100_000
    text, wall, rss, code = run_measured(["./pan", f"-m{depth_limit}", f"-w{hash_bits}", "-n"], work)
    if "assertion violated" in text and ".cnt<" in text.replace(" ", ""):
        raise BoundExceeded("spin: FIFO capacity exceeded")
    errors = re.search(r"errors: (\d+)", text)
    stored = re.search(r"(\d+) states, stored", text)
    depth = re.search(r"depth reached (\d+)", text)
    trans = re.search(r"(\d+) transitions", text)
    if (code != 0 or not errors or errors.group(1) != "0" or not stored or not depth
            or "max search depth too small" in text or int(depth.group(1)) >= depth_limit - 1):
        raise RuntimeError(f"spin run failed or truncated (exit {code}):\n{text[-3000:]}")
    return {"states": int(stored.group(1)), "transitions": int(trans.group(1)) if trans else 0,
            "wall": wall, "rss": rss, "build": build_s, "depth": int(depth.group(1))}


def hacheck_worker(case: Case) -> dict:
    """Runs in a freshly spawned interpreter: one whole-space search, no properties."""
    import resource

    from hacheck.checker import explore
    from hacheck.model import HeartbeatModel

    cfg = case.config()
    model = HeartbeatModel(cfg)
    start = time.perf_counter()
    result = explore(model, [], symmetry=False, keep_going=True)
    wall = time.perf_counter() - start
    stats = result.statistics
    if not stats.complete:
        raise RuntimeError(f"hacheck stopped early: {stats.stop_reason}")
    return {"states": stats.distinct_states, "transitions": stats.transitions, "wall": wall,
            "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "build": 0.0}


def run_hacheck(case: Case) -> dict:
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes=1, maxtasksperchild=1) as pool:
        return pool.apply(hacheck_worker, (case,))


def with_cap(run, cap: int) -> dict:
    """run(cap) runs one tool; if a FIFO bound is hit, double the capacity and run again
    (the capacity changes the representation only, never the count)."""
    while True:
        try:
            r = run(cap)
            r["cap"] = cap
            return r
        except BoundExceeded as e:
            if cap >= 128:
                raise
            print(f"    {e}; retrying with capacity {cap * 2}", file=sys.stderr, flush=True)
            cap *= 2


# --- table --------------------------------------------------------------------------------

def fmt_int(x):
    return "-" if x is None else f"{x:,}"


def fmt_ratio(a, b):
    return f"{a / b:.1f}x" if a and b else "-"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", action="append", metavar="NAME",
                        help="a configuration to run (repeatable; default: all, see --list)")
    parser.add_argument("--list", action="store_true", help="list the configurations and exit")
    parser.add_argument("--skip-hacheck", action="store_true",
                        help="do not run hacheck; compare with its reference count where known")
    parser.add_argument("--no-rumur", action="store_true")
    parser.add_argument("--no-spin", action="store_true")
    parser.add_argument("--cap", type=int, default=DEFAULT_CAP,
                        help=f"initial FIFO capacity of the generated models (default {DEFAULT_CAP})")
    parser.add_argument("--rumur-threads", type=int, default=1)
    parser.add_argument("--keep", metavar="DIR", help="keep the generated models and builds in DIR")
    args = parser.parse_args(argv)

    if args.list:
        for c in CASES:
            print(f"{c.name:24} {describe(c.config())}")
        return 0
    names = args.config or [c.name for c in CASES]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        parser.error(f"unknown configuration(s) {unknown}; see --list")

    tools = ["hacheck"] + ([] if args.no_rumur else ["rumur"]) + ([] if args.no_spin else ["spin"])
    top = args.keep or tempfile.mkdtemp(prefix="hacheck-peers-")
    os.makedirs(top, exist_ok=True)
    print(f"rumur: {subprocess.run(['rumur', '--version'], capture_output=True, text=True).stdout.strip()}; "
          f"spin: {subprocess.run(['spin', '-V'], capture_output=True, text=True).stdout.strip()}; "
          f"rumur threads: {args.rumur_threads}; models in {top}", flush=True)
    rows = []
    all_equal = True
    for name in names:
        case = BY_NAME[name]
        cfg = case.config()
        print(f"== {name}: {describe(cfg)}", flush=True)
        res: dict[str, dict | None] = {}
        if args.skip_hacheck:
            res["hacheck"] = {"states": case.reference, "wall": None, "rss": None} if case.reference else None
        else:
            res["hacheck"] = run_hacheck(case)
        print(f"   hacheck: {res['hacheck']}", flush=True)
        for tool in tools[1:]:
            work = os.path.join(top, name, tool)
            os.makedirs(work, exist_ok=True)
            if tool == "rumur":
                res[tool] = with_cap(lambda cap: run_rumur(cfg, work, cap, args.rumur_threads), args.cap)
            else:
                res[tool] = with_cap(lambda cap: run_spin(cfg, work, cap, case.hash_bits), args.cap)
            print(f"   {tool}: {res[tool]}", flush=True)
        counts = [r["states"] for r in res.values() if r and r.get("states") is not None]
        equal = len(counts) == len(tools) and len(set(counts)) == 1
        all_equal &= equal
        rows.append((name, res, equal))

    print()
    print("| config | hacheck states | rumur states | spin states | equal? |")
    print("|---|---:|---:|---:|---|")
    for name, res, equal in rows:
        h, r, s = (res.get(t) for t in ("hacheck", "rumur", "spin"))
        print(f"| {name} | {fmt_int(h and h['states'])} | {fmt_int(r and r['states'])} | "
              f"{fmt_int(s and s['states'])} | {'yes' if equal else 'NO'} |")
    print()
    print("| config | tool | wall s | states/s | peak MiB | build s |")
    print("|---|---|---:|---:|---:|---:|")
    for name, res, _ in rows:
        for tool in tools:
            r = res.get(tool)
            if not r or r.get("wall") is None:
                continue
            print(f"| {name} | {tool} | {r['wall']:.2f} | {r['states'] / r['wall']:,.0f} | "
                  f"{r['rss']:.0f} | {r['build']:.1f} |")
    print()
    print("| config | time hacheck/rumur | time hacheck/spin | memory hacheck/rumur | memory hacheck/spin |")
    print("|---|---:|---:|---:|---:|")
    for name, res, _ in rows:
        h = res.get("hacheck") or {}
        r = res.get("rumur") or {}
        s = res.get("spin") or {}
        print(f"| {name} | {fmt_ratio(h.get('wall'), r.get('wall'))} | {fmt_ratio(h.get('wall'), s.get('wall'))} | "
              f"{fmt_ratio(h.get('rss'), r.get('rss'))} | {fmt_ratio(h.get('rss'), s.get('rss'))} |")
    if not args.keep:
        shutil.rmtree(top, ignore_errors=True)
    print()
    print("all counts equal" if all_equal else "COUNTS DIFFER (or a count is missing)")
    return 0 if all_equal else 1


if __name__ == "__main__":
    sys.exit(main())
