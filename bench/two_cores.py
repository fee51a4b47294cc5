"""The machine's own ceiling for running on two cores: what two independent copies of
a job get, against one copy alone.

Issue 20 asks the search for a speed-up of 1.8 from one worker to two. On a virtual
machine the second core may not be a whole one (its host may run it beside other work,
or on the same physical core), so this measures what two jobs that share nothing get:
one copy of a job alone, then two copies at once in separate processes, alternating, R
times. The ceiling of a pair is 2 x (time alone) / (the slower copy's time): 2.0 if the
two cores are independent. Two jobs, compiled with numba as the search is:

- compute: integer arithmetic in registers;
- memory: random reads of a 512 MiB table, as the visited set's lookups are.

Usage: python3 bench/two_cores.py [--rounds R]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time

TABLE = 1 << 26      # 8-byte words: 512 MiB


def _job(kind: str) -> float:
    import numpy as np
    from numba import njit

    @njit(cache=False)
    def compute(n):
        x = np.uint64(88172645463325252)
        for _ in range(n):       # xorshift: a chain the compiler cannot shorten
            x ^= x << np.uint64(13)
            x ^= x >> np.uint64(7)
            x ^= x << np.uint64(17)
        return x

    @njit(cache=False)
    def memory(table, n):
        mask = np.uint64(table.shape[0] - 1)
        x = np.uint64(1)
        total = np.uint64(0)
        for _ in range(n):
            x = x * np.uint64(6364136223846793005) + np.uint64(1442695040888963407)
            total += table[(x >> np.uint64(20)) & mask]
        return total

    if kind == "compute":
        compute(10)
        started = time.perf_counter()
        compute(1_500_000_000)
    else:
        table = np.arange(TABLE, dtype=np.uint64)
        memory(table, 10)
        started = time.perf_counter()
        memory(table, 400_000_000)
    return time.perf_counter() - started


def _at_once(kind: str, copies: int) -> list[float]:
    with multiprocessing.get_context("spawn").Pool(copies) as pool:
        return pool.map(_job, [kind] * copies)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, metavar="R")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds: expected a whole number of at least 1")
    print("| job | alone s | two at once s | ceiling |")
    print("|---|---:|---:|---:|")
    for kind in ("compute", "memory"):
        ceilings = []
        for _ in range(args.rounds):
            alone = _at_once(kind, 1)[0]
            pair = _at_once(kind, 2)
            ceilings.append(2 * alone / max(pair))
            print(f"| {kind} | {alone:.2f} | {pair[0]:.2f}, {pair[1]:.2f} | "
                  f"{ceilings[-1]:.2f} |", flush=True)
        print(f"| {kind}, median of {args.rounds} | | | {statistics.median(ceilings):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
