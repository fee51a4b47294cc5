"""The search on Ray against the local one, on this machine: what docs/scale.md's
predictions for a cluster start from.

Rows, each run four ways in one run (local search with one and two workers, Ray with
one and two shards on a local Ray of two CPUs), S1 alone, the whole space kept going:

- N=2, the default spec (one crash, one restart), symmetry only: 4,315,447 orbits;
- N=2, the default spec, symmetry and partial-order reduction: 107,950 states;
- N=3 without faults, symmetry and partial-order reduction, within --depth chained steps.

Printed per run: states, transitions, wall seconds, states a second, successors per
expanded state, and, for Ray, the bytes of rows that cross between shards per expanded
state ((P-1)/P of the successors, one row each). Then the ratios Ray / local at the
same number of cores, and two shards / one.

Usage: python3 bench/ray_scale.py [--depth 14] [--rows n2 n2-por n3]
"""

from __future__ import annotations

import argparse
import functools
import time

from hacheck.checker import explore
from hacheck.checker.distributed import explore_on_ray
from hacheck.checker.stopping import Budget
from hacheck.model import Config, HeartbeatModel
from hacheck.properties import safety_properties
from hacheck.tools.run import heartbeat_parts


def main() -> None:
    import ray
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depth", type=int, default=14,
                        help="the N=3 row's depth bound, in chained steps")
    parser.add_argument("--rows", nargs="+", choices=("n2", "n2-por", "n3"),
                        default=["n2", "n2-por", "n3"], help="which rows (default: all)")
    args = parser.parse_args()
    default = Config(N=2, home=(0, 1), crashes=1, restarts=1)
    rows = {"n2": ("N=2 default, symmetry", default, False, None),
            "n2-por": ("N=2 default, symmetry + POR", default, True, None),
            "n3": (f"N=3 no faults, sym + POR, depth {args.depth}",
                   Config(N=3, home=(0, 1, 2)), True, args.depth)}
    rows = [rows[name] for name in args.rows]
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    print(f"{'row':<36} {'how':<14} {'states':>11} {'transitions':>12} {'wall s':>7} "
          f"{'states/s':>9} {'succ/st':>7} {'B moved/st':>10}")
    for label, cfg, reduce, depth in rows:
        model = HeartbeatModel(cfg)
        explore(model, [], reduce=reduce, max_states=3000, workers=2)   # compiled first
        walls = {}
        for how, cores in (("local", 1), ("local", 2), ("ray", 1), ("ray", 2)):
            budget = Budget(max_depth=depth)
            started = time.perf_counter()
            if how == "local":
                result = explore(model, safety_properties(cfg), reduce=reduce,
                                 keep_going=True, workers=cores, budget=budget)
            else:
                result = explore_on_ray(functools.partial(heartbeat_parts, cfg, 12),
                                        safety_properties(cfg), reduce=reduce,
                                        keep_going=True, shards=cores, budget=budget)
            wall = walls[how, cores] = time.perf_counter() - started
            stats = result.statistics
            expanded = max(stats.distinct_states, 1)
            per_state = stats.transitions / expanded
            moved = per_state * model.width * (cores - 1) / cores if how == "ray" else 0
            print(f"{label:<36} {f'{how}, {cores}':<14} {stats.distinct_states:>11,} "
                  f"{stats.transitions:>12,} {wall:>7.1f} {stats.distinct_states / wall:>9,.0f} "
                  f"{per_state:>7.2f} {moved:>10.0f}", flush=True)
        print(f"{'':<36} Ray/local: x{walls['ray', 1] / walls['local', 1]:.2f} (1 core), "
              f"x{walls['ray', 2] / walls['local', 2]:.2f} (2); two/one: local "
              f"x{walls['local', 1] / walls['local', 2]:.2f}, Ray "
              f"x{walls['ray', 1] / walls['ray', 2]:.2f}")
    ray.shutdown()


if __name__ == "__main__":
    main()
