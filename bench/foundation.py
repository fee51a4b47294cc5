"""Foundation benchmark: how fast and how big the untimed search of heartbeat 1.51 is.

Each row is one call of `hacheck.checker.explore(..., keep_going=True)` on one
configuration, run in a freshly spawned Python process so that its peak RSS is its own
(`resource.getrusage(RUSAGE_SELF).ru_maxrss` in the worker, after the search). The
baseline line under the table is the peak RSS of a worker that only imports hacheck; a
run's own memory is roughly its peak RSS minus that.

Rows:
- N=2, whole space (keep_going, no budget): heartbeat-1.51 without faults (crashes=0,
  restarts=0), heartbeat-1.51 (one crash, one restart) and active-passive (one crash, one
  restart); each with and without symmetry reduction.
- N=3 heartbeat-1.51 up to a fixed state budget (`--budget`, default 200,000), with and
  without symmetry reduction. These runs are never complete; they measure rate and memory.

`--quick` caps the N=2 crash+restart runs (heartbeat-1.51 alone has 4.3 million orbits,
8.6 million concrete states; active-passive more than 11 GiB of them, see README.md) and,
unless `--budget` is given, the N=3 runs at 50,000 states.
The no-fault N=2 runs stay whole-space runs (about 10 s each).

Usage: python3 bench/foundation.py [--quick] [--budget K]
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import sys
from dataclasses import dataclass

DEFAULT_BUDGET = 200_000
QUICK_BUDGET = 50_000


@dataclass(frozen=True)
class Row:
    """One benchmark configuration (picklable, so it can be sent to a spawned worker)."""

    label: str               # shown in the spec column
    spec: str | None         # shipped spec name, or None for the no-fault Config
    nodes: int
    symmetry: bool
    reduce: bool             # partial-order reduction
    max_states: int | None   # None: the whole reachable space
    workers: int = 1


def _config(row: Row):
    from hacheck.model import Config
    from hacheck.model.spec import load

    if row.spec is None:   # heartbeat-1.51 without faults: crashes=0, restarts=0
        return Config(N=row.nodes, home=tuple(range(row.nodes)))
    return load(row.spec).config(row.nodes)


def run_one(row: Row) -> dict:
    """Runs in the spawned worker: one search, its statistics and the worker's peak RSS."""
    import resource

    from hacheck.properties import safety_properties
    from hacheck.tools.run import search

    cfg = _config(row)
    result = search(cfg, safety_properties(cfg), symmetry=row.symmetry, reduce=row.reduce,
                    keep_going=True, max_states=row.max_states, workers=row.workers).result
    stats = result.statistics
    return {
        "distinct_states": stats.distinct_states,
        "transitions": stats.transitions,
        "complete": stats.complete,
        "stop_reason": stats.stop_reason,
        "wall_seconds": stats.wall_seconds,
        "states_per_second": stats.states_per_second,
        "bytes_per_state": stats.bytes_per_state,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,  # KiB on Linux
    }


def baseline() -> dict:
    """Runs in the spawned worker: the peak RSS of importing what run_one imports."""
    import resource

    import hacheck.checker  # noqa: F401
    import hacheck.model  # noqa: F401
    import hacheck.model.spec  # noqa: F401
    import hacheck.properties  # noqa: F401
    return {"peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def in_fresh_process(function, *args) -> dict:
    """Call `function(*args)` in a new spawned interpreter (never forked from this one, so
    no memory is inherited) that does this one task only."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes=1, maxtasksperchild=1) as pool:
        return pool.apply(function, args)


COMBINATIONS = [(False, False), (False, True), (True, False), (True, True)]   # (sym, por)


def rows(quick: bool, budget: int | None, workers: int, n3_whole: bool) -> list[Row]:
    faulty_cap = QUICK_BUDGET if quick else None
    n3_budget = budget if budget is not None else (QUICK_BUDGET if quick else DEFAULT_BUDGET)
    out = [Row("heartbeat-1.51 no faults", None, 2, sym, por, None, workers)
           for sym, por in COMBINATIONS]
    out += [Row("heartbeat-1.51", "heartbeat-1.51", 2, sym, por, faulty_cap, workers)
            for sym, por in COMBINATIONS]
    # active/passive: node 1 has no group, so no permutation but the identity is a symmetry
    out += [Row("active-passive", "active-passive", 2, False, por, faulty_cap, workers)
            for por in (False, True)]
    out += [Row("heartbeat-1.51", "heartbeat-1.51", 3, sym, por, n3_budget, workers)
            for sym, por in COMBINATIONS]
    if n3_whole:
        out.append(Row("heartbeat-1.51 no faults", None, 3, True, True, None, workers))
    return out


COLUMNS = [  # header, width, alignment
    ("spec", 26, "<"), ("N", 2, ">"), ("sym", 3, "<"), ("por", 3, "<"), ("states", 11, ">"),
    ("transitions", 12, ">"), ("complete", 9, "<"), ("wall s", 8, ">"),
    ("states/s", 9, ">"), ("B/state", 7, ">"), ("peak RSS MiB", 12, ">"),
]


def _line(cells) -> str:
    return "  ".join(f"{str(c):{align}{width}}" for c, (_, width, align) in zip(cells, COLUMNS))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"cap the N=2 crash+restart runs (and, unless --budget is given, "
                             f"the N=3 runs) at {QUICK_BUDGET:,} states")
    parser.add_argument("--budget", type=int, metavar="K",
                        help=f"state budget of the N=3 runs (default {DEFAULT_BUDGET:,}; "
                             f"{QUICK_BUDGET:,} with --quick)")
    parser.add_argument("--workers", type=int, default=1,
                        help="threads per search (default 1)")
    parser.add_argument("--n3-whole", action="store_true",
                        help="add the whole-space run of three nodes without faults, with "
                             "symmetry and partial-order reduction (the speed issue's goal)")
    args = parser.parse_args(argv)
    if args.budget is not None and args.budget < 1:
        parser.error("--budget must be a whole number >= 1")

    from hacheck import __version__

    print(f"hacheck {__version__} foundation benchmark"
          f"{' (--quick)' if args.quick else ''}: Python {platform.python_version()}, "
          f"{platform.machine()}, one spawned process per row, {args.workers} "
          f"worker{'s' if args.workers != 1 else ''} per search")
    print(_line([h for h, _, _ in COLUMNS]))
    print(_line(["-" * w for _, w, _ in COLUMNS]))
    for row in rows(args.quick, args.budget, args.workers, args.n3_whole):
        r = in_fresh_process(run_one, row)
        complete = "yes" if r["complete"] else "no"
        if not r["complete"] and row.max_states is not None:
            complete += f" ({row.max_states // 1000}k)" if row.max_states >= 1000 else ""
        print(_line([
            row.label, row.nodes, "on" if row.symmetry else "off", "on" if row.reduce else "off",
            f"{r['distinct_states']:,}", f"{r['transitions']:,}", complete,
            f"{r['wall_seconds']:.1f}", f"{r['states_per_second']:,.0f}",
            f"{r['bytes_per_state']:.0f}", f"{r['peak_rss_kib'] / 1024:.1f}",
        ]), flush=True)
    base = in_fresh_process(baseline)
    print(f"baseline: a worker that only imports hacheck peaks at "
          f"{base['peak_rss_kib'] / 1024:.1f} MiB RSS")
    print("complete: yes = the whole reachable space was explored; no (Kk) = stopped at a "
          "budget of K thousand states")
    return 0


if __name__ == "__main__":
    sys.exit(main())
