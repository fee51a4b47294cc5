"""Timed vs untimed: what layer T costs on the default spec (heartbeat-1.51: one group per
node, one crash, one restart, the default timing of model.md section 7).

For N = 2 and 3, both searches with symmetry reduction (the untimed one without
partial-order reduction, which the timed one lacks too, on all cores), stopping at the
first violation
of S1, then, where `--whole` is given, the N = 2 whole spaces (keep going). Printed per
row: distinct states (symbolic states for the timed search: a discrete state and a
zone), transitions, depth of the counterexample or of the space, wall time (compiled
code already loaded) and states per second.

Usage: python3 bench/timed.py [--whole] [--time-limit SECONDS]
"""

from __future__ import annotations

import argparse
import os
import time

from hacheck.model import Config
from hacheck.model.timing import TimingParameters
from hacheck.properties import safety_properties
from hacheck.tools.run import search, timed_search


def row(label, stats, trace_length, wall):
    depth = trace_length if trace_length is not None else stats.max_depth
    print(f"{label:<44} {stats.distinct_states:>12,} {stats.transitions:>13,} {depth:>6} "
          f"{wall:>9.2f} {stats.distinct_states / max(wall, 1e-9):>10,.0f}"
          + ("" if stats.complete or trace_length is not None else f"  ({stats.stop_reason})"),
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--whole", action="store_true", help="also the N = 2 whole spaces")
    parser.add_argument("--time-limit", type=float, default=600.0)
    args = parser.parse_args()
    workers = os.cpu_count() or 1
    print(f"{'run':<44} {'states':>12} {'transitions':>13} {'depth':>6} {'wall s':>9} "
          f"{'states/s':>10}")
    runs = [(n, False) for n in (2, 3)] + ([(2, True)] if args.whole else [])
    for N, whole in runs:
        cfg = Config(N=N, home=tuple(range(N)), crashes=1, restarts=1)
        what = "whole space" if whole else "first violation"
        search(cfg, [], max_states=10)                 # load the compiled code first
        started = time.perf_counter()
        done = search(cfg, safety_properties(cfg), keep_going=whole, workers=workers,
                      time_limit=args.time_limit)
        wall = time.perf_counter() - started
        trace = done.result.properties[0].trace
        row(f"N={N} untimed, {what}", done.result.statistics,
            None if whole or trace is None else len(trace), wall)
        started = time.perf_counter()
        result, _ = timed_search(cfg, TimingParameters(), keep_going=whole,
                                 time_limit=args.time_limit)
        wall = time.perf_counter() - started
        prop = result.properties[0]
        row(f"N={N} timed, {what}", result.statistics,
            None if whole or prop.trace is None else len(prop.trace), wall)


if __name__ == "__main__":
    main()
