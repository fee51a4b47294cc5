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

It also measures how far apart the two cores are: the round trip of a cache line between
them (`core_round_trip_ns`: two threads pinned to CPUs 0 and 1 pass a counter back and
forth, in C, compiled with the machine's `cc`). Independent jobs never pass data, so
their ceiling does not see it; a search whose threads pass successors from one core to
the other does (the two stages did, until each thread inserted its own batches). On this
virtual machine the round trip moves between about 80-130 ns and about 400 ns from one
period of minutes to the next (the host places the virtual CPUs nearer or further
apart), and the two stages' two-worker runs were a third slower in the far periods
(docs/performance.md, "Near and far cores"). `bench/peers/compare.py` prints it beside
each pair.

Usage: python3 bench/two_cores.py [--rounds R]
"""

from __future__ import annotations

import argparse
import atexit
import functools
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import tempfile
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


PING_PONG = r"""
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
static _Alignas(64) atomic_long turn;
enum { TRIPS = 1000000 };
static void pin(int cpu) {
    cpu_set_t set; CPU_ZERO(&set); CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}
static void *answer(void *unused) {
    pin(1);
    for (long i = 0; i < TRIPS; i++) {
        while (atomic_load_explicit(&turn, memory_order_acquire) != 2 * i + 1) {}
        atomic_store_explicit(&turn, 2 * i + 2, memory_order_release);
    }
    return unused;
}
int main(void) {
    pthread_t other; struct timespec a, b;
    pin(0);
    pthread_create(&other, 0, answer, 0);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < TRIPS; i++) {
        atomic_store_explicit(&turn, 2 * i + 1, memory_order_release);
        while (atomic_load_explicit(&turn, memory_order_acquire) != 2 * i + 2) {}
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    pthread_join(other, 0);
    printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / TRIPS);
    return 0;
}
"""


@functools.lru_cache(maxsize=1)
def _ping_pong() -> str | None:
    """The compiled ping-pong program, or None without a C compiler or two CPUs."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None or os.cpu_count() < 2:
        return None
    work = tempfile.mkdtemp(prefix="hacheck-ping-pong-")
    atexit.register(shutil.rmtree, work, True)
    source, program = os.path.join(work, "ping_pong.c"), os.path.join(work, "ping_pong")
    with open(source, "w") as f:
        f.write(PING_PONG)
    built = subprocess.run([compiler, "-O2", "-pthread", source, "-o", program],
                           capture_output=True)
    return program if built.returncode == 0 else None


def core_round_trip_ns() -> float | None:
    """The round trip of a cache line between CPUs 0 and 1 now, in ns (None if it
    cannot be measured here)."""
    program = _ping_pong()
    if program is None:
        return None
    done = subprocess.run([program], capture_output=True, text=True, timeout=60)
    found = re.fullmatch(r"\s*([0-9.]+)\s*", done.stdout)
    return float(found.group(1)) if done.returncode == 0 and found else None


def _at_once(kind: str, copies: int) -> list[float]:
    with multiprocessing.get_context("spawn").Pool(copies) as pool:
        return pool.map(_job, [kind] * copies)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, metavar="R")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds: expected a whole number of at least 1")
    trip = core_round_trip_ns()
    print("core-to-core round trip: " + ("not measured (no C compiler or one CPU)"
                                         if trip is None else f"{trip:.0f} ns"))
    print()
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
