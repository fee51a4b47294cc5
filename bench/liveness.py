"""Liveness: what keeping the graph for L0 and L1 costs.

For each configuration, the whole-space liveness search (L0 and L1, symmetry on, no
partial-order reduction) as `hacheck --keep-going` runs it, untimed and timed. Printed
per row: states, protocol edges kept, bytes per stored state and per edge, peak resident
memory of this process so far, wall time and the verdicts.

Usage: python3 bench/liveness.py [--quick]
"""

from __future__ import annotations

import argparse
import resource
import time

from hacheck.model import Config
from hacheck.model.timing import TimingParameters
from hacheck.properties import liveness_properties
from hacheck.tools.run import search, timed_search


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def configurations(quick: bool) -> list:
    """(label, configuration) of the rows; `quick`: the small ones only (also
    bench/ray_liveness.py's rows)."""
    configs = [("N=2, no faults", Config(N=2, home=(0, 1))),
               ("N=2, one crash", Config(N=2, home=(0, 1), crashes=1))]
    if not quick:
        configs.append(("N=2, one crash, one restart", Config(N=2, home=(0, 1), crashes=1,
                                                              restarts=1)))
    return configs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small configurations only")
    configs = configurations(parser.parse_args().quick)
    print(f"{'run':<40} {'states':>11} {'edges':>12} {'B/state':>8} {'B/edge':>7} "
          f"{'peak MiB':>9} {'wall s':>8}  verdicts")
    for label, cfg in configs:
        search(cfg, [], max_states=10)          # compiled code loaded first
        started = time.perf_counter()
        result = search(cfg, liveness_properties(cfg), keep_going=True).result
        wall = time.perf_counter() - started
        s = result.statistics
        print(f"{label + ', untimed':<40} {s.distinct_states:>11,} {s.protocol_edges:>12,} "
              f"{s.bytes_per_state:>8.0f} {s.bytes_per_edge:>7.0f} {peak_mib():>9.0f} "
              f"{wall:>8.2f}  {_verdicts(result)}", flush=True)
        started = time.perf_counter()
        result, _ = timed_search(cfg, TimingParameters(), keep_going=True)
        wall = time.perf_counter() - started
        s = result.statistics
        print(f"{label + ', timed':<40} {s.distinct_states:>11,} {s.protocol_edges:>12,} "
              f"{'-':>8} {s.bytes_per_edge:>7.0f} {peak_mib():>9.0f} {wall:>8.2f}  "
              f"{_verdicts(result)}", flush=True)


def _verdicts(result) -> str:
    return " ".join(f"{p.name} {p.verdict.value}" for p in result.properties)


if __name__ == "__main__":
    main()
