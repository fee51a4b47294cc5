"""The timed search beside TChecker (issue 18): S1's reachability verdict, symbolic states,
wall time and peak memory, and their ratios, in one run.

    python bench/peers/compare_timed.py [--tchecker-src DIR] [--cases a,b] [--time-limit S]

TChecker's `tck-reach -a covreach -s bfs -l s1` (zone graph, inclusion) runs the
encoding of `tchecker.py`, written from model.md; hacheck runs the same configuration
timed, with and without symmetry, each to its first S1 violation, and (when it finishes
within the limit) over the whole space. `tck-reach` is taken from PATH, or built from a
TChecker source checkout with `--tchecker-src` (cmake, flex, bison, Boost and g++;
`make tck-reach` only). Every run is a child process measured by GNU time, so each
figure is its own; the ratios compare figures of this one run.

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

from compare import run_measured  # noqa: E402
from tchecker import Encoding, Timing  # noqa: E402

SMALL = dict(K=1, D=3, Q=3, R=3, dmin=0, dmax=1, smax=1)


@dataclass(frozen=True)
class Case:
    name: str
    N: int
    home: tuple
    nice_failback: bool = True
    crashes: int = 0
    restarts: int = 0
    link_toggles: int = 0
    timing: dict = field(default_factory=lambda: dict(SMALL))
    cap: int = 8

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
    Case("n3-nofaults", 3, (0, 1, 2)),
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


def run_tchecker(binary: str, case: Case, work: str, time_limit: float) -> dict:
    class Cfg:
        N, home, nice_failback = case.N, case.home, case.nice_failback
        crashes, restarts, link_toggles = case.crashes, case.restarts, case.link_toggles

    from hacheck.model.timing import TimingParameters
    timing, _ = Timing.of(TimingParameters(**{k: Fraction(v) for k, v in case.timing.items()}))
    path = os.path.join(work, f"{case.name}.tck")
    with open(path, "w") as f:
        f.write(Encoding(Cfg, timing, case.cap).text())
    text, wall, rss, code = run_measured(
        ["timeout", str(time_limit), binary, "-a", "covreach", "-s", "bfs", "-l", "s1", path],
        work)
    stats = dict(re.findall(r"^(\w+) (\S+)$", text, re.M))
    if code == 124:
        return {"verdict": "INCOMPLETE", "wall": wall, "rss": rss}
    if "out-of-bounds value" in text and case.cap < 64:     # a FIFO outgrew its room
        return run_tchecker(binary, replace(case, cap=2 * case.cap), work, time_limit)
    if "REACHABLE" not in stats:
        raise RuntimeError(f"tck-reach failed (exit {code}):\n{text[-2000:]}")
    return {"verdict": "VIOLATED" if stats["REACHABLE"] == "true" else "HOLDS",
            "visited": int(stats["VISITED_STATES"]), "stored": int(stats["STORED_STATES"]),
            "wall": wall, "search": float(stats["RUNNING_TIME_SECONDS"]), "rss": rss}


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
    return {"verdict": s1["verdict"], "stored": stats["distinct_states"], "wall": wall,
            "search": stats["wall_seconds"], "rss": rss, "complete": stats.get("complete", False)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tchecker-src", help="a TChecker source checkout to build from")
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--time-limit", type=float, default=600.0,
                        help="seconds per run (default 600)")
    args = parser.parse_args(argv)
    binary = tck_reach(args.tchecker_src)
    cases = [c for c in CASES if not args.cases or c.name in args.cases.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for case in cases:
            print(f"{case.name}", file=sys.stderr, flush=True)
            tck = run_tchecker(binary, case, work, args.time_limit)
            plain = run_hacheck(case, work, False, False, args.time_limit)
            sym = run_hacheck(case, work, True, False, args.time_limit)
            rows.append((case, tck, plain, sym))
            print(f"  TChecker {tck}\n  hacheck {plain}\n  hacheck sym {sym}", file=sys.stderr)
    print("| case | S1: TChecker / hacheck | stored: TChecker / hacheck plain / sym "
          "| search s: TChecker / plain / sym | search ratio plain / sym "
          "| process s: TChecker / plain / sym | peak MiB: TChecker / plain / sym |")
    print("|---|---|---:|---:|---:|---:|---:|")
    agree = True
    for case, tck, plain, sym in rows:
        same = tck["verdict"] == plain["verdict"] == sym["verdict"]
        agree &= same or "INCOMPLETE" in (tck["verdict"], plain["verdict"])
        searched = tck.get("search", tck["wall"])
        stored = f"{tck['stored']:,}" if "stored" in tck else "-"
        undecided = tck["verdict"] == "INCOMPLETE"     # TChecker's time is then a bound
        verdicts = (f"undecided in {args.time_limit:g} s" if undecided else tck["verdict"])
        verdicts += f" / {plain['verdict']}" + ("" if same or undecided else " (DISAGREE)")
        at_most = "≤ " if undecided else ""
        print(f"| {case.name} | {verdicts} | "
              f"{stored} / {plain['stored']:,} / {sym['stored']:,} | "
              f"{'≥ ' if undecided else ''}{searched:.2f} / {plain['search']:.2f} / "
              f"{sym['search']:.2f} | "
              f"{at_most}{plain['search'] / searched:.4f} / "
              f"{at_most}{sym['search'] / searched:.4f} | "
              f"{tck['wall']:.1f} / {plain['wall']:.1f} / {sym['wall']:.1f} | "
              f"{tck['rss']:.0f} / {plain['rss']:.0f} / {sym['rss']:.0f} |")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
