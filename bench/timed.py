"""The timed search (layer T, compiled symbolic states) on the questions that matter, and
against the untimed search in the same run.

Each case runs in a fresh process (so that its peak memory is its own), once to load
the compiled code and once measured, with symmetry reduction and all cores. Printed per
case: symbolic states (a discrete state and a zone), the discrete states real runs
reach, depth, wall time of the measured run, symbolic states per second per core,
bytes per symbolic state (the passed list), peak resident memory, and the verdicts.

Cases: N = 2 default spec (whole space), N = 2 without faults (whole), N = 3 without
faults (whole), N = 3 default spec (first violation of S1, then the whole space), and
the untimed whole space of the N = 2 default spec with the default reductions, the
yardstick of the first target (timed at most half its time); and the two whole spaces
again with `--por` (the timed reduction of instantaneous steps, off by default).

Usage: python3 bench/timed.py [--time-limit SECONDS] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

CASES = {
    "n2-default-whole": (2, True, True, True, None),  # N, faults, whole, timed, --por
    "n2-default-whole-por": (2, True, True, True, True),
    "n2-untimed-default-whole": (2, True, True, False, None),
    "n2-nofaults-whole": (2, False, True, True, None),
    "n3-nofaults-whole": (3, False, True, True, None),
    "n3-nofaults-whole-por": (3, False, True, True, True),
    "n3-default-first": (3, True, False, True, None),
    "n3-default-whole": (3, True, True, True, None),
}


def one(name: str, time_limit: float) -> dict:
    """Run one case here; its figures."""
    from hacheck.model.spec import load, parse, resolve
    from hacheck.tools.run import check
    N, faults, whole, timed, reduce = CASES[name]
    spec = (load(resolve("heartbeat-1.51")) if faults else
            parse({"faults": {"crashes": 0, "restarts": 0}}, "no-faults.toml"))
    workers = os.cpu_count() or 1
    check(spec, nodes=N, timed=timed, keep_going=whole, max_states=2000, trace_out=False,
          workers=workers, reduce=reduce)                       # load the compiled code
    started = time.perf_counter()
    run = check(spec, nodes=N, timed=timed, keep_going=whole, time_limit=time_limit,
                trace_out=False, workers=workers, reduce=reduce)
    wall = time.perf_counter() - started
    stats = run.result.statistics
    return {"case": name, "states": stats.distinct_states,
            "discrete": stats.discrete_states if timed else None,
            "depth": stats.max_depth, "wall": wall, "search": stats.wall_seconds,
            "per_core": stats.distinct_states / max(stats.wall_seconds, 1e-9) / workers,
            "bytes": stats.bytes_per_state, "complete": stats.complete,
            "stop": stats.stop_reason,
            "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "verdicts": {p.name: p.verdict.value for p in run.result.properties}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--only", nargs="*", choices=list(CASES), default=list(CASES))
    parser.add_argument("--case", help=argparse.SUPPRESS)     # a child process
    args = parser.parse_args()
    if args.case:
        print(json.dumps(one(args.case, args.time_limit)))
        return
    print(f"{'case':<26} {'symbolic':>10} {'discrete':>9} {'depth':>5} {'wall s':>8} "
          f"{'sym/s/core':>10} {'B/state':>7} {'peak MB':>8}  verdicts")
    figures = {}
    for name in args.only:
        done = subprocess.run([sys.executable, __file__, "--case", name,
                               "--time-limit", str(args.time_limit)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{name:<26} failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        f = json.loads(done.stdout.strip().splitlines()[-1])
        figures[name] = f
        verdicts = " ".join(f"{k}={v}" for k, v in f["verdicts"].items())
        print(f"{name:<26} {f['states']:>10,} {f['discrete'] or 0:>9,} {f['depth']:>5} "
              f"{f['wall']:>8.2f} {f['per_core']:>10,.0f} {f['bytes']:>7.0f} "
              f"{f['peak'] / 1e6:>8.0f}  {verdicts}"
              + ("" if f["complete"] else f"  (incomplete: {f['stop']})"), flush=True)
    timed, untimed = figures.get("n2-default-whole"), figures.get("n2-untimed-default-whole")
    if timed and untimed:
        print(f"\nN=2 default spec, whole space: timed / untimed wall time = "
              f"{timed['wall'] / untimed['wall']:.2f} (target: at most 0.5)")
    for name in ("n2-default-whole", "n3-nofaults-whole"):
        full, reduced = figures.get(name), figures.get(name + "-por")
        if full and reduced:
            print(f"{name} with --por: symbolic states x{reduced['states'] / full['states']:.2f},"
                  f" wall time x{reduced['wall'] / full['wall']:.2f}")


if __name__ == "__main__":
    main()
