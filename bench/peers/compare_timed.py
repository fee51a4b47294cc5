"""The timed search beside TChecker (issue 18): S1's reachability verdict, symbolic states,
wall time and peak memory, and their ratios, in one run.

    python bench/peers/compare_timed.py [--tchecker-src DIR] [--cases a,b] [--time-limit S]
                                        [--whole]

TChecker's `tck-reach -a covreach -s bfs -l s1` (zone graph, inclusion) runs the
encoding of `tchecker.py`, written from model.md; where its BFS is undecided within the
limit, `-s dfs` is asked for the verdict alone. hacheck runs the same configuration
timed, with and without symmetry, each to its first S1 violation; with `--whole`, both
also explore the whole space (no label searched, `--keep-going`). `tck-reach` is taken
from PATH, or built from a TChecker source checkout with `--tchecker-src` (cmake, flex,
bison, Boost and g++; `make tck-reach` only). Every run is a child process measured by
GNU time, so each figure is its own; the ratios compare figures of this one run. The
exit code is 1 if a decided verdict differs from hacheck's.

Timings: small whole numbers (keepalive 1, deadtime 3, rqstdelay 3, req_timeout 3, dmin 0,
dmax 1, smax 1) keep zones small on both sides.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field, replace
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import compare  # noqa: E402
from compare import run_measured  # noqa: E402
from tchecker import Encoding, Timing  # noqa: E402

SMALL = dict(K=1, D=3, Q=3, R=3, dmin=0, dmax=1, smax=1)


@dataclass(frozen=True)
class Case(compare.Case):
    """compare.py's configuration, with the timing and TChecker's initial FIFO room;
    with `overflow_stops`, a full FIFO ends the path instead of the search (tchecker.py)."""
    timing: dict = field(default_factory=lambda: dict(SMALL))
    cap: int = 8
    overflow_stops: bool = False

    def spec(self) -> str:
        """The case as a hacheck spec file."""
        keys = {"keepalive": "K", "deadtime": "D", "rqstdelay": "Q", "req_timeout": "R",
                "dmin": "dmin", "dmax": "dmax", "smax": "smax"}
        return "\n".join([
            f'name = "{self.name}"', "[cluster]", f"nodes = {self.N}",
            f"home = {list(self.home)}", "[protocol]",
            f"nice_failback = {'true' if self.nice_failback else 'false'}", "[faults]",
            f"crashes = {self.crashes}", f"restarts = {self.restarts}",
            f"link_toggles = {self.link_toggles}", "[timing]",
            *(f"{k} = {self.timing[a]}" for k, a in keys.items())]) + "\n"


CASES = [
    Case("n2-nofaults", 2, (0, 1)),
    Case("n2-default", 2, (0, 1), crashes=1, restarts=1),
    Case("n2-nonice-crash-restart", 2, (0, 1), nice_failback=False, crashes=1, restarts=1),
    Case("n2-link1", 2, (0, 1), link_toggles=1),
    # FIFOs of 8 give 77 clocks at N = 3, and tck-reach decided nothing in 30 minutes;
    # with 4 (53 clocks) and an overflow ending the path, a violation it finds is model.md's
    Case("n3-nofaults", 3, (0, 1, 2), cap=4, overflow_stops=True),
]


def tck_reach(src: str | None) -> str:
    """The tck-reach binary: on PATH, or built from a TChecker source checkout."""
    if src is None:
        found = shutil.which("tck-reach")
        if found is None:
            raise SystemExit("tck-reach is not on PATH: pass --tchecker-src DIR (a TChecker "
                             "checkout; needs cmake, flex, bison, libboost-dev, g++)")
        return found
    build = os.path.join(os.path.abspath(src), "build-hacheck")
    binary = os.path.join(build, "src", "tck-reach")
    if not os.path.exists(binary):
        os.makedirs(build, exist_ok=True)
        for argv in (["cmake", "..", "-DCMAKE_BUILD_TYPE=Release"],
                     ["make", f"-j{os.cpu_count() or 1}", "tck-reach"]):
            print(f"  {' '.join(argv)} (in {build})", file=sys.stderr, flush=True)
            subprocess.run(argv, cwd=build, check=True, capture_output=True)
    return binary


def limited(argv: list, time_limit: float, memory_gib: float) -> list:
    """argv under an address-space cap and a time limit (exit 124 when it runs out)."""
    return ["prlimit", f"--as={int(memory_gib * 2**30)}", "timeout", str(time_limit), *argv]


def run_tchecker(binary: str, case: Case, work: str, time_limit: float, order: str = "bfs",
                 whole: bool = False, memory_gib: float = 12) -> dict:
    """tck-reach on the case: to the first state labelled s1, or over the whole space."""
    from hacheck.model.timing import TimingParameters
    timing, _ = Timing.of(TimingParameters(**{k: Fraction(v) for k, v in case.timing.items()}))
    path = os.path.join(work, f"{case.name}.tck")
    with open(path, "w") as f:
        f.write(Encoding(case.config(), timing, case.cap,
                         overflow_stops=case.overflow_stops).text())
    argv = [binary, "-a", "covreach", "-s", order, *([] if whole else ["-l", "s1"]), path]
    text, wall, rss, code = run_measured(limited(argv, time_limit, memory_gib), work)
    stats = dict(re.findall(r"^(\w+) (\S+)$", text, re.M))
    if code == 124 or "bad_alloc" in text:
        return {"verdict": "INCOMPLETE", "wall": wall, "rss": rss, "order": order,
                "why": "time" if code == 124 else "memory"}
    if "out-of-bounds value" in text and case.cap < 64:     # a FIFO outgrew its room
        return run_tchecker(binary, replace(case, cap=2 * case.cap), work, time_limit, order,
                            whole, memory_gib)
    if "REACHABLE" not in stats:
        raise RuntimeError(f"tck-reach failed (exit {code}):\n{text[-2000:]}")
    verdict = "VIOLATED" if stats["REACHABLE"] == "true" else "HOLDS"
    if case.overflow_stops and verdict == "HOLDS" and not fifo_room_enough(
            binary, path, work, time_limit, memory_gib):
        return {"verdict": "INCOMPLETE", "wall": wall, "rss": rss, "order": order,
                "why": "fifo", "cap": case.cap}
    return {"verdict": "COMPLETE" if whole else verdict, "order": order,
            "visited": int(stats["VISITED_STATES"]), "stored": int(stats["STORED_STATES"]),
            "covered": int(stats["COVERED_STATES"]), "wall": wall,
            "search": float(stats["RUNNING_TIME_SECONDS"]), "rss": rss, "cap": case.cap}


def fifo_room_enough(binary: str, path: str, work: str, time_limit: float,
                     memory_gib: float) -> bool:
    """No path of the model (written with overflow_stops) fills a FIFO: what it did not
    reach is then what model.md does not reach either."""
    argv = [binary, "-a", "covreach", "-s", "dfs", "-l", "bound", path]
    text, _, _, _ = run_measured(limited(argv, time_limit, memory_gib), work)
    return "REACHABLE false" in text


def run_hacheck(case: Case, work: str, symmetry: bool, whole: bool, time_limit: float) -> dict:
    path = os.path.join(work, f"{case.name}.toml")
    with open(path, "w") as f:
        f.write(case.spec())
    argv = [sys.executable, "-m", "hacheck.tools.cli", path, "--json", "--trace-out",
            os.path.join(work, "trace.json"), "--time-limit", str(time_limit)]
    argv += [] if symmetry else ["--no-symmetry"]
    argv += ["--keep-going"] if whole else []
    text, wall, rss, code = run_measured(argv, work)
    start = text.find("{")
    report = json.loads(text[start:])
    s1 = next(p for p in report["properties"] if p["name"] == "S1")
    stats = report["statistics"]
    return {"verdict": s1["verdict"], "stored": stats["distinct_states"],
            "covered": stats.get("covered_states", 0), "wall": wall,
            "search": stats["wall_seconds"], "rss": rss, "complete": stats.get("complete", False)}


def first_violation(binary, case, work, limit, memory) -> tuple:
    """TChecker by BFS (its figures are comparable with hacheck's BFS), then, if that is
    undecided within the limits, by DFS for the verdict; hacheck without and with symmetry."""
    bfs = run_tchecker(binary, case, work, limit, memory_gib=memory)
    dfs = (run_tchecker(binary, case, work, limit, "dfs", memory_gib=memory)
           if bfs["verdict"] == "INCOMPLETE" else None)
    plain = run_hacheck(case, work, False, False, limit)
    sym = run_hacheck(case, work, True, False, limit)
    return bfs, dfs, plain, sym


def whole_space(binary, case, work, limit, memory) -> tuple:
    return (run_tchecker(binary, case, work, limit, whole=True, memory_gib=memory),
            {**run_hacheck(case, work, False, True, limit), "whole": True},
            {**run_hacheck(case, work, True, True, limit), "whole": True})


def ratio(hacheck: dict, tck: dict) -> str:
    """hacheck's search time over TChecker's; a bound when TChecker did not finish, and
    nothing when neither did."""
    if hacheck["verdict"] == "INCOMPLETE" or hacheck.get("complete") is False \
            and tck["verdict"] == "INCOMPLETE" and hacheck.get("whole"):
        return "-"
    if tck["verdict"] == "INCOMPLETE":
        return f"≤ {hacheck['search'] / tck['wall']:.4f}"
    return f"{hacheck['search'] / tck['search']:.4f}"


def unfinished(run: dict, limit: float) -> str:
    if run.get("why") == "memory":
        return f"out of memory after {run['wall']:.0f} s"
    if run.get("why") == "fifo":
        return f"undecided: a FIFO of {run['cap']} overflows"
    return f"unfinished in {limit:g} s"


def tck_seconds(tck: dict) -> str:
    return f"≥ {tck['wall']:.0f}" if tck["verdict"] == "INCOMPLETE" else f"{tck['search']:.2f}"


def first_violation_table(rows, limit) -> tuple[list[str], bool]:
    out = ["| case | S1: TChecker / hacheck | TChecker visited / stored | hacheck stored: "
           "plain / sym | search s: TChecker / plain / sym | search ratio: plain / sym "
           "| process s: TChecker / plain / sym | peak MiB: TChecker / plain / sym |",
           "|---|---|---:|---:|---:|---:|---:|---:|"]
    agree = True
    for case, bfs, dfs, plain, sym in rows:
        decided = dfs if dfs is not None and dfs["verdict"] != "INCOMPLETE" else bfs
        if decided["verdict"] == "INCOMPLETE":
            tck_verdict = (f"undecided: BFS {unfinished(bfs, limit)}, "
                           f"DFS {unfinished(dfs, limit)}")
        else:
            tck_verdict = decided["verdict"] + (" (DFS)" if decided is dfs else "")
            if case.overflow_stops:
                tck_verdict += f" (FIFOs of {decided['cap']})"
        same = decided["verdict"] in ("INCOMPLETE", plain["verdict"]) \
            and plain["verdict"] == sym["verdict"]
        agree &= same
        counts = (f"{bfs['visited']:,} / {bfs['stored']:,}" if "stored" in bfs
                  else f"BFS {unfinished(bfs, limit)}")
        out.append(
            f"| {case.name} | {tck_verdict} / {plain['verdict']}{'' if same else ' (DISAGREE)'}"
            f" | {counts} | {plain['stored']:,} / {sym['stored']:,} | {tck_seconds(bfs)} / "
            f"{plain['search']:.2f} / {sym['search']:.2f} | {ratio(plain, bfs)} / "
            f"{ratio(sym, bfs)} | {bfs['wall']:.1f} / {plain['wall']:.1f} / {sym['wall']:.1f} "
            f"| {bfs['rss']:.0f} / {plain['rss']:.0f} / {sym['rss']:.0f} |")
    return out, agree


def whole_space_table(rows, limit) -> list[str]:
    out = ["| case | stored: TChecker / hacheck plain / sym | search s: TChecker / plain / sym "
           "| search ratio: plain / sym | peak MiB: TChecker / plain / sym |",
           "|---|---:|---:|---:|---:|"]
    for case, tck, plain, sym in rows:
        def stored(run, done):
            return f"{run['stored']:,}" if done else unfinished(run, limit)
        out.append(
            f"| {case.name} | {stored(tck, tck['verdict'] == 'COMPLETE')} / "
            f"{stored(plain, plain['complete'])} / {stored(sym, sym['complete'])} | "
            f"{tck_seconds(tck)} / {plain['search']:.2f} / {sym['search']:.2f} | "
            f"{ratio(plain, tck)} / {ratio(sym, tck)} | "
            f"{tck['rss']:.0f} / {plain['rss']:.0f} / {sym['rss']:.0f} |")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tchecker-src", help="a TChecker source checkout to build from")
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--time-limit", type=float, default=600.0,
                        help="seconds per run (default 600)")
    parser.add_argument("--memory-limit", type=float, default=12.0,
                        help="GiB of address space for each tck-reach run (default 12)")
    parser.add_argument("--whole", action="store_true",
                        help="also explore each whole space (no label searched)")
    args = parser.parse_args(argv)
    binary = tck_reach(args.tchecker_src)
    known = {c.name for c in CASES}
    wanted = args.cases.split(",") if args.cases else sorted(known)
    if set(wanted) - known:
        parser.error(f"--cases: unknown {sorted(set(wanted) - known)}; known: {sorted(known)}")
    cases = [c for c in CASES if c.name in wanted]
    first, whole = [], []
    with tempfile.TemporaryDirectory() as work:
        for case in cases:
            print(f"{case.name}", file=sys.stderr, flush=True)
            first.append((case, *first_violation(binary, case, work, args.time_limit,
                                                         args.memory_limit)))
            print("  " + "\n  ".join(map(str, first[-1][1:])), file=sys.stderr, flush=True)
            if args.whole:
                whole.append((case, *whole_space(binary, case, work, args.time_limit,
                                                 args.memory_limit)))
                print("  whole: " + "\n  ".join(map(str, whole[-1][1:])), file=sys.stderr,
                      flush=True)
    table, agree = first_violation_table(first, args.time_limit)
    print("\n".join(table))
    if whole:
        print("\n" + "\n".join(whole_space_table(whole, args.time_limit)))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
