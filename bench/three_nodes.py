"""How far the untimed search of three nodes without faults gets in a fixed time (issue 20's
goal: the whole space decided in 30 minutes and 20 GB), with each kind of S1 ample set.

Each row is one search of heartbeat 1.51 at N = 3, one group per node, no faults, with
symmetry and partial-order reduction, fingerprint mode, cut at `--seconds` or `--memory`
(default 20 GB, the goal's), in a freshly spawned process (so its peak RSS is its own):

- `invisible`: ample actions change nothing S1 reads (S1 declared not upward closed);
- `growing`: ample actions may take groups, never give one up (S1 as it is, the default).

Both rows run on the same machine in one invocation, so compare them with each other
(states reached, depth, ratio), not with figures from another day.

`--walks W` first takes W random runs of the unreduced model from the initial state until
no action is enabled (no faults: every run settles, L0) and prints their lengths: a
breadth-first search of the whole space must go about as deep as the longest of them,
which says how far the searches above are from the end. It also counts the runs that
settle with a group nobody holds: L1's counterexamples, deeper than the search reaches
(tests/test_liveness.py replays one).

`--liveness` checks L0 and L1 in the same search (the reduced graph keeps them,
docs/reduction.md "Liveness"): the goal's whole question.

Usage: python3 bench/three_nodes.py [--seconds S] [--memory GB] [--workers K]
                                    [--rows both|growing|invisible] [--walks W] [--liveness]
"""

from __future__ import annotations

import argparse
import sys

from foundation import in_fresh_process   # bench/ is this script's directory: on the path


def run_one(upward_closed: bool, seconds: float, workers: int, memory_gb: float,
            liveness: bool = False) -> dict:
    """Runs in the spawned worker: one time- and memory-limited search and its figures."""
    import dataclasses
    import resource

    from hacheck.checker.stopping import Budget, gigabytes
    from hacheck.model import Config
    from hacheck.properties import liveness_properties, safety_properties
    from hacheck.tools.run import search

    cfg = Config(N=3, home=(0, 1, 2))
    s1 = [dataclasses.replace(p, upward_closed=upward_closed) for p in safety_properties(cfg)]
    checked = s1 + (liveness_properties(cfg) if liveness else [])
    last: dict = {}
    stats = search(cfg, checked, symmetry=True, reduce=True, keep_going=True, fingerprint=True,
                   workers=workers, progress=last.update, progress_interval=1.0,
                   budget=Budget(time_limit=seconds, memory_limit=gigabytes(memory_gb))
                   ).result.statistics
    return {"states": stats.distinct_states, "depth": stats.max_depth,
            "stop": stats.stop_reason,
            "queued": last.get("queue", 0), "seconds": stats.wall_seconds,
            "complete": stats.complete, "reduced": stats.reduced_states,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def walks_to_the_end(walks: int, seed: int = 1) -> tuple[list[int], list[int]]:
    """`walks` random runs to a state without successors: the number of steps of each,
    and of each that settles with a group nobody holds (an L1 counterexample)."""
    import numpy as np

    from hacheck.checker.shrink import walk
    from hacheck.model import Config, HeartbeatModel
    from hacheck.properties.liveness import orphaned

    cfg = Config(N=3, home=(0, 1, 2))
    model = HeartbeatModel(cfg)
    rng = np.random.default_rng(seed)
    lengths, orphaning = [], []
    for _ in range(walks):
        path, _, _ = walk(model, lambda step, n: int(rng.integers(n)),
                          lambda step, row, succ: False, max_steps=10**6)
        lengths.append(len(path) - 1)
        if orphaned(cfg, model.decode(path[-1][1])):
            orphaning.append(lengths[-1])
    return lengths, orphaning


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0,
                        help="time limit of each search (default 300)")
    parser.add_argument("--workers", type=int, default=2, help="threads per search (default 2)")
    parser.add_argument("--memory", type=float, default=20.0,
                        help="memory limit of each search in GB (default 20, the goal's)")
    parser.add_argument("--rows", choices=("both", "growing", "invisible"), default="both",
                        help="which searches to run (default both)")
    parser.add_argument("--walks", type=int, default=0,
                        help="random runs to settle first, for the depth of the space")
    parser.add_argument("--liveness", action="store_true",
                        help="check L0 and L1 in the same search too (the goal's whole "
                             "question; L0 keeps 8 bytes per protocol edge)")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.workers < 1 or args.walks < 0 or args.memory <= 0:
        parser.error("--seconds and --memory must be > 0, --workers >= 1, --walks >= 0")
    if args.walks:
        import statistics
        lengths, orphaning = walks_to_the_end(args.walks)
        print(f"{args.walks} random runs to a settled state: {min(lengths)} to "
              f"{max(lengths)} steps, median {statistics.median(lengths):g}; "
              f"{len(orphaning)} settle with a group nobody holds (L1 violated)"
              + (f", the shortest in {min(orphaning)} steps" if orphaning else ""))
    print(f"three nodes, no faults, {'S1, L0, L1' if args.liveness else 'S1'}, symmetry + "
          f"POR, fingerprints, {args.workers} workers, {args.seconds:g} s and "
          f"{args.memory:g} GB per search")
    print(f"{'ample sets':<10}  {'states':>12}  {'depth':>5}  {'queued':>12}  "
          f"{'states/s':>9}  {'reduced':>7}  {'peak RSS MiB':>12}  ended by")
    rows = {}
    for label, upward_closed in (("invisible", False), ("growing", True)):
        if args.rows not in ("both", label):
            continue
        r = rows[label] = in_fresh_process(run_one, upward_closed, args.seconds, args.workers,
                                           args.memory, args.liveness)
        print(f"{label:<10}  {r['states']:>12,}  {r['depth']:>5}  {r['queued']:>12,}  "
              f"{r['states'] / r['seconds']:>9,.0f}  {r['reduced'] / r['states']:>7.0%}  "
              f"{r['rss_mib']:>12,.0f}  {r['stop'] or 'the end: complete'}", flush=True)
    if len(rows) == 2:
        a, b = rows["invisible"], rows["growing"]
        print(f"growing / invisible: states {b['states'] / a['states']:.2f}, "
              f"depth {b['depth'] - a['depth']:+d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
