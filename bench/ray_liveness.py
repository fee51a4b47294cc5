"""L0 on Ray: what the distributed cycle search adds to the liveness search.

For each configuration, the whole-space liveness search (symmetry on, no partial-order
reduction, as the command runs it after a reduced S1 search), three ways in one run: on
a local Ray of two shards checking L1 alone (no edges kept), on Ray checking L0 and L1
(each shard keeps the protocol edges out of the states it expands, then Kahn's peeling
runs in rounds across the shards, `checker/ray_cycles.py`), and the local search with
two workers checking both. Printed: states, protocol edges, wall seconds, verdicts, and
the ratios (L0 + L1 on Ray against L1 alone on Ray, and against the local search).

Usage: python3 bench/ray_liveness.py [--quick]
"""

from __future__ import annotations

import argparse
import time

from hacheck.properties import liveness_properties
from hacheck.tools.run import search, search_on_ray
from liveness import configurations  # bench/liveness.py, beside this script


def main() -> None:
    import ray
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small configurations only")
    configs = configurations(parser.parse_args().quick)   # bench/liveness.py's rows
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    print(f"{'run':<34} {'how':<16} {'states':>10} {'edges':>11} {'wall s':>7}  verdicts")
    for label, cfg in configs:
        search(cfg, [], max_states=10)          # compiled code loaded first
        both = liveness_properties(cfg)
        l1 = [p for p in both if p.name == "L1"]
        walls = {}
        for how, run in (
                ("Ray, L1 alone", lambda: search_on_ray(cfg, l1, reduce=False,
                                                        keep_going=True, workers=2)),
                ("Ray, L0 and L1", lambda: search_on_ray(cfg, both, reduce=False,
                                                         keep_going=True, workers=2)),
                ("local, L0 and L1", lambda: search(cfg, both, keep_going=True,
                                                    workers=2))):
            started = time.perf_counter()
            result = run().result
            walls[how] = time.perf_counter() - started
            stats = result.statistics
            verdicts = ", ".join(f"{p.name} {p.verdict.value}" for p in result.properties)
            print(f"{label:<34} {how:<16} {stats.distinct_states:>10,} "
                  f"{stats.protocol_edges:>11,} {walls[how]:>7.1f}  {verdicts}", flush=True)
        print(f"{'':<34} L0's cost on Ray: x{walls['Ray, L0 and L1'] / walls['Ray, L1 alone']:.2f}"
              f"; Ray against local: x{walls['Ray, L0 and L1'] / walls['local, L0 and L1']:.2f}")
    ray.shutdown()


if __name__ == "__main__":
    main()
