"""The `hacheck` command: `hacheck [SPEC]`, `hacheck view TRACE`, `hacheck gate`.

Every way a run ends leaves a report. SIGINT (Ctrl-C) and SIGTERM (how CI systems cancel
a job) only ask the run's `Budget` to stop; the run ends at its next check, in whatever
phase it is, and reports what it found, with exit code 3 (or the code of a violation it
found). A second signal while the run is stopping changes nothing. Bad input (a spec,
an option, an output path) is refused before any work, with one line naming the file or
option, the key and what was expected, and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import textwrap
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from hacheck import __version__
from hacheck.checker.checkpoint import CheckpointError
from hacheck.checker.schema import ConfigError
from hacheck.checker.stopping import (
    GB, MAX_STATES, Budget, Stopped, address_space_limit, default_memory_limit, gigabytes,
    peak_memory,
)
from hacheck.checker.verdict import ExitCode
from hacheck.model.config import MAX_NODES
from hacheck.model.spec import DEFAULT_SPEC, SpecError, load, shipped_specs

HELP_WIDTH = 79               # columns of every line of --help


def paragraphs(text: str) -> str:
    """The text's paragraphs (blank-line separated) wrapped to HELP_WIDTH columns."""
    return "\n\n".join(textwrap.fill(" ".join(p.split()), HELP_WIDTH)
                       for p in text.strip().split("\n\n")) + "\n"


USAGE = """\
hacheck [SPEC] [--nodes N] [--untimed] [options]   check a spec
       hacheck view TRACE.itf.json [--html OUT.html]      show a counterexample
       hacheck gate [--config gate.toml] [--tier T]       the pre-merge gate"""


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions as written (pre-wrapped by `paragraphs`); options wrapped to
    HELP_WIDTH whatever the terminal."""

    def __init__(self, prog):
        super().__init__(prog, width=HELP_WIDTH, max_help_position=30)

DESCRIPTION = """\
Check heartbeat's nice_failback resource acquisition (heartbeat.c 1.51, June 2000) for
S1: no resource group is ever held by two nodes at once; L1: every resource group is
eventually held once the protocol has settled; L0: the protocol always finishes (L0 and
L1 assume every enabled protocol action eventually happens and no fault happens after
the last one). The protocol is explored breadth-first, so a violation is reported with a
shortest run that reaches it (an endless cycle, as a lasso).

By default the check is timed (model.md layer T): only runs whose timestamps can satisfy
heartbeat's timers (keepalive, deadtime, RQSTDELAY, req_resource's timeout) and the
message delay bounds count, so every counterexample is a real run, shown with concrete
timestamps that Z3 chose and an independent replay checked. --untimed explores the
discrete model (layer D), where every timer may fire at any moment. Symmetry reduction
is on by default, and partial-order reduction in untimed mode; neither changes a verdict
or the length of the shortest counterexample shown.
"""

EPILOG = f"""\
SPEC is a spec file (TOML) or the name of a shipped spec: {', '.join(shipped_specs())}.
Default: {DEFAULT_SPEC}. `hacheck view TRACE.itf.json [--html OUT.html]` shows a
counterexample (`hacheck view --help`); `hacheck gate` is the pre-merge gate
(`hacheck gate --help`). `python -m hacheck` is the same command.

Ctrl-C (SIGINT) or SIGTERM ends the run at its next check, in any phase, with the
report of what was found so far; so do --time-limit, --max-states, --max-depth and
--memory-limit.

exit codes: 0 every property holds; 12 a safety property is violated; 13 a liveness
property is violated; 3 the search was cut short (--max-states, --max-depth,
--time-limit, --memory-limit, out of memory, Ctrl-C, SIGTERM) before every property was
decided; 2 usage or configuration error; 1 internal error.
"""


def default_workers() -> int:
    """All cores (numba's thread count, without loading numba)."""
    return max(1, int(os.environ.get("NUMBA_NUM_THREADS") or 0) or os.cpu_count() or 1)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hacheck", usage=USAGE,
                                description=paragraphs(DESCRIPTION),
                                epilog=paragraphs(EPILOG), formatter_class=Formatter)
    p.add_argument("spec", nargs="?", metavar="SPEC", help="spec file or shipped spec name")
    p.add_argument("--nodes", type=int, metavar="N",
                   help=f"number of nodes, 1..{MAX_NODES} (overrides the spec; with the "
                        "one-per-node layout also the groups)")
    p.add_argument("--untimed", action="store_true",
                   help="explore the discrete model (layer D) instead: faster, but a "
                        "counterexample there may not be possible with real timers")
    p.add_argument("--explain", action="store_true",
                   help="timed mode: for each counterexample, print the condition on the "
                        "timing parameters under which that run is possible")
    p.add_argument("--no-symmetry", action="store_true",
                   help="turn symmetry reduction off (counts are then of concrete states)")
    por = p.add_mutually_exclusive_group()
    por.add_argument("--por", dest="por", action="store_const", const=True,
                     help="timed mode: reduce the orders of instantaneous steps (own "
                          "messages processed at once; docs/reduction.md). Off by default "
                          "there, since it leaves states out of the discrete-state figure")
    por.add_argument("--no-por", dest="por", action="store_const", const=False,
                     help="untimed mode: turn partial-order reduction off (counts are then "
                          "of every interleaving, as model.md defines the state space)")
    p.add_argument("--keep-going", action="store_true",
                   help="explore the whole state space; count the states violating each property")
    p.add_argument("--max-states", type=int, metavar="K",
                   help="stop after K distinct states (the verdict is then INCOMPLETE)")
    p.add_argument("--max-depth", type=int, metavar="D",
                   help="expand no state more than D steps from the start: a search "
                        "that reaches depth D is INCOMPLETE; with --untimed --no-symmetry "
                        "--no-por the count is of model.md's states within D steps, a "
                        "figure any implementation can reproduce")
    p.add_argument("--time-limit", type=float, metavar="SECONDS",
                   help="stop the search after this many seconds (the verdict is then "
                        "INCOMPLETE)")
    limit = default_memory_limit()
    p.add_argument("--memory-limit", type=float, metavar="GB",
                   help="stop before the process uses more than this many GB of memory "
                        "(INCOMPLETE); default 90%% of the machine's (or its cgroup's) "
                        + (f"memory, here {limit / (1 << 30):.1f}" if limit else "memory"))
    p.add_argument("--workers", type=int, metavar="K",
                   help="threads of the search, one core each: K-1 compute successors, "
                        "one inserts states (default: all cores, "
                        f"here {default_workers()}); counts and traces do not depend on it")
    p.add_argument("--fingerprint", action="store_true",
                   help="untimed mode: store 64-bit hashes of states instead of the states "
                        "(less memory); the report gives the probability that a state was missed")
    p.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="untimed mode: 'ray' runs the search on Ray (pip install "
                        "'hacheck[ray]'), its visited set partitioned by hash over --workers "
                        "actors, with the local search's counts and verdicts. Default: local")
    p.add_argument("--ray-address", metavar="ADDR",
                   help="with --backend ray: an existing Ray cluster (ray://host:10001 or "
                        "host:6379); default: a local Ray of --workers CPUs")
    p.add_argument("--checkpoint", metavar="DIR",
                   help="untimed mode: save the search in DIR at the end of a level, every "
                        "--checkpoint-every minutes, and when it finishes, so that a run "
                        "that dies can go on with --resume DIR (with --backend ray: every "
                        "shard's part, written by this process, one shard at a time)")
    p.add_argument("--checkpoint-every", type=float, metavar="MINUTES",
                   help="minutes between checkpoints (default 10)")
    p.add_argument("--resume", metavar="DIR",
                   help="go on from the last checkpoint in DIR (same spec and options; the "
                        "limits may differ), saving there as --checkpoint does; the counts, "
                        "verdicts and traces are those of an uninterrupted run")
    p.add_argument("--random-runs", type=int, metavar="R",
                   help="instead of a search, take R random runs (each step chosen at "
                        "random among the enabled ones, until nothing is enabled or 1000 "
                        "steps, or --max-depth) and report, for each property, the "
                        "shortest run that violates it, shrunk: counterexamples deeper "
                        "than a search can reach. "
                        "Timed (the default), the runs walk the zone graph and each "
                        "counterexample gets timestamps, as a search's does. A property no "
                        "run violates is INCOMPLETE, never HOLDS")
    p.add_argument("--seed", type=int, metavar="S", default=0,
                   help="with --random-runs: the random generator's seed (default 0); the "
                        "same seed gives the same runs on every machine")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--trace-out", metavar="FILE",
                   help="write the counterexample here (ITF JSON); default "
                        "<spec>-n<N>-<property>.itf.json in the current directory")
    p.add_argument("--html", metavar="OUT.html",
                   help="also write the first counterexample as a web page (see `hacheck "
                        "view --help`)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    p.add_argument("--version", action="version", version=f"hacheck {__version__}")
    return p


VIEW_DESCRIPTION = """\
Show a counterexample (an ITF trace file written by hacheck, or by another tool): its
steps with time, node and action, the variables each step changed, the violating step,
and a message sequence chart with one column per node. Colour only on a terminal, never
with NO_COLOR set. --html writes one self-contained web page instead: an SVG sequence
chart on a time axis with a lane per node (phase and rstate as bands), every step and
message labelled, long waits as breaks, a lasso's loop as a band, and the state after
any step as a table, a column per node (click a step, or use the arrow keys). The page
opens at the violating step, or at the step its address names (page.html#step-12).

exit codes: 0 shown; 2 the file cannot be read or drawn (the message says why);
3 interrupted.
"""


def view_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="hacheck view", description=paragraphs(VIEW_DESCRIPTION),
                                formatter_class=Formatter)
    p.add_argument("trace", metavar="TRACE.itf.json")
    p.add_argument("--html", metavar="OUT.html", help="write the web page here")
    p.add_argument("--version", action="version", version=f"hacheck {__version__}")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    from hacheck.tools.trace_file import TraceFileError
    from hacheck.tools.trace_view import load_trace
    try:
        if args.html:
            check_output_path("--html", args.html)
        view = load_trace(args.trace)
        if args.html:
            return _write_page(view, args.html)
    except (ConfigError, TraceFileError) as e:
        print(f"hacheck view: error: {e}", file=sys.stderr)
        return int(ExitCode.USAGE)
    from hacheck.tools.view_text import render, use_colour
    print(render(view, colour=use_colour(sys.stdout)), end="")
    return 0


GATE_DESCRIPTION = """\
Run the gate configuration's matrix of specs x node counts x modes, compare each result
with its stored expectation (the verdict of every property, distinct states, depth) and
fail on any new violation, changed verdict or drift in the counts. Writes a Markdown
summary (summary.md), JUnit XML (junit.xml), SARIF 2.1.0 (results.sarif) and the ITF
file and web page of every counterexample into --out. --update records the results as
the new expectations and says what changed. Ctrl-C or SIGTERM stops the run under way;
the reports cover the runs finished.

exit codes: 0 the gate passes; 4 a result differs from its expectation; 3 interrupted
before every run finished (and nothing differed); 2 a bad configuration or
expectation; 1 internal error.
"""
GATE_FAILED = 4


def gate_main(argv: list[str], budget: Budget) -> int:
    p = argparse.ArgumentParser(prog="hacheck gate", description=paragraphs(GATE_DESCRIPTION),
                                formatter_class=Formatter)
    p.add_argument("--config", default="gate.toml", metavar="FILE",
                   help="the gate configuration (default gate.toml)")
    p.add_argument("--tier", choices=("quick", "full"), default="quick",
                   help="quick: the runs of tier quick; full: every run (default quick)")
    p.add_argument("--update", action="store_true",
                   help="record the results as the expectations (and show what changed)")
    p.add_argument("--out", metavar="DIR",
                   help="write the reports (summary.md, junit.xml, results.sarif) and the "
                        "counterexamples here; without it, only the summary is printed and "
                        "the counterexamples go to a temporary directory it names")
    p.add_argument("--version", action="version", version=f"hacheck {__version__}")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    from hacheck.tools import gate, gate_reports
    try:
        runs, base = gate.load_config(args.config)
        runs = [r for r in runs if args.tier == "full" or r.tier == "quick"]
        gate.check_runs(runs, args.config)
        gate.check_expectations(runs, base, args.update)
        out = gate.output_directory(args.out) if args.out else gate.scratch_directory()
    except ConfigError as e:
        print(f"hacheck gate: error: {e}", file=sys.stderr)
        return int(ExitCode.USAGE)
    outcomes = gate.run_gate(runs, base, out, args.update, _notice, budget)
    summary = gate_reports.markdown(outcomes, out)
    if args.out:
        try:
            gate_reports.write_reports(outcomes, out, summary, __version__)
        except OSError as e:
            print(f"hacheck gate: error: cannot write the reports in {out}: {e.strerror}",
                  file=sys.stderr)
            return int(ExitCode.USAGE)
    print(summary, end="")
    if any(o.problems for o in outcomes):
        return GATE_FAILED
    return int(ExitCode.INCOMPLETE) if budget.stopping else 0


def _write_page(view, out: str) -> int:
    from hacheck.tools.view_html import render
    if not view.nodes:
        print(f"hacheck view: error: cannot draw this trace: {'; '.join(view.problems)}",
              file=sys.stderr)
        return int(ExitCode.USAGE)
    try:
        Path(out).write_text(render(view), encoding="utf-8")
    except OSError as e:
        print(f"hacheck view: error: cannot write {out}: {e}", file=sys.stderr)
        return int(ExitCode.USAGE)
    for problem in view.problems:
        print(f"note: {problem}", file=sys.stderr)
    return 0


class Progress:
    """The periodic progress line, in TLC's format (tools that read TLC's output read
    ours): `Progress(depth) at YYYY-MM-DD HH:MM:SS: N states generated (N s/min), N
    distinct states found (N ds/min), N states left on queue.` The rates are per minute
    over the time since the previous line, or since the search began if it is a new one
    (a run again with more room, or the next phase)."""

    def __init__(self, clock=time.monotonic, now=time.localtime, stream=None):
        self.clock, self.now, self.stream = clock, now, stream
        self.last = None          # (time, generated, distinct) at the previous line

    def __call__(self, info: dict) -> None:
        t = self.clock()
        previous = self.last
        if previous is None or info["generated"] < previous[1]:     # a new search
            previous = (t - max(info.get("elapsed", 0.0), 1e-9), 0, 0)
        minutes = max(t - previous[0], 1e-9) / 60
        self.last = (t, info["generated"], info["distinct"])
        print(f"Progress({info['depth']}) at {time.strftime('%Y-%m-%d %H:%M:%S', self.now())}: "
              f"{info['generated']:,} states generated "
              f"({(info['generated'] - previous[1]) / minutes:,.0f} s/min), "
              f"{info['distinct']:,} distinct states found "
              f"({(info['distinct'] - previous[2]) / minutes:,.0f} ds/min), "
              f"{info['queue']:,} states left on queue.",
              file=self.stream or sys.stderr, flush=True)


def _notice(text: str) -> None:
    print(f"note: {text}", file=sys.stderr, flush=True)


# --- signals ---------------------------------------------------------------------------------

@contextmanager
def stop_on_signals(budget: Budget, restore: bool = True):
    """SIGINT and SIGTERM ask `budget` to stop (the first one; later ones change nothing).
    Unless `restore`, the handlers stay when the run is over: a signal that comes while
    the process exits, after the report, changes nothing either."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def ask(signum, frame):
        budget.request(f"interrupted by {signal.Signals(signum).name}")

    previous = {sig: signal.signal(sig, ask) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        if restore:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _cannot_load(error: Exception) -> str:
    """Why the compiler did not load, in one line: under an address-space limit, that
    limit (llvmlite's own message then speaks of a missing library, which misleads)."""
    limit = address_space_limit()
    if limit is not None:
        return (f"not enough memory to load the compiler (numba and LLVM need about 1 GB "
                f"of address space; ulimit -v or prlimit --as allows {limit / GB:.2g} GB)")
    first = str(error).split(". ")[0].strip()
    return f"the compiler (numba and LLVM) cannot load: {first}"


# --- options -----------------------------------------------------------------------------------

def check_output_path(option: str, value: str) -> None:
    """A file we are to write must be writable now, not after the search: we open it
    (for appending, so nothing is lost) and remove it again if we made it."""
    path = Path(value)
    if path.is_dir():
        raise ConfigError(option, None, value, "a file name, not a directory")
    if not path.resolve().parent.is_dir():
        raise ConfigError(option, None, value, "a file in an existing directory")
    existed = path.exists()
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as e:
        raise ConfigError(option, None, value, f"a file we can write ({e.strerror})") from None
    if not existed:
        path.unlink(missing_ok=True)


def validate(args) -> None:
    """Every option's value, and the options that belong to the other mode."""
    given_workers = args.workers is not None
    if args.max_states is not None and not 1 <= args.max_states <= MAX_STATES:
        raise SpecError("--max-states", None, args.max_states,
                        f"a whole number >= 1 and at most {MAX_STATES:,} (state ids are 32-bit)")
    if args.max_depth is not None and args.max_depth < 0:
        raise SpecError("--max-depth", None, args.max_depth, "a whole number of steps >= 0")
    if args.time_limit is not None and not (math.isfinite(args.time_limit) and args.time_limit > 0):
        raise SpecError("--time-limit", None, args.time_limit, "a number of seconds > 0")
    if args.memory_limit is not None and not (math.isfinite(args.memory_limit)
                                              and 0 < args.memory_limit <= 1 << 20):
        raise SpecError("--memory-limit", None, args.memory_limit, "a number of GB > 0")
    if args.random_runs is not None:
        if not 1 <= args.random_runs <= 10**9:
            raise SpecError("--random-runs", None, args.random_runs,
                            "a whole number of runs from 1 to 1,000,000,000")
        for option, given in (("--backend", args.backend != "local"),
                              ("--checkpoint", args.checkpoint), ("--resume", args.resume),
                              ("--fingerprint", args.fingerprint),
                              ("--keep-going", args.keep_going), ("--por", args.por)):
            if given:
                raise SpecError("--random-runs", None, args.random_runs,
                                f"no {option} (random runs are one local pass that takes "
                                "every enabled step)")
    elif args.seed != 0:
        raise SpecError("--seed", None, args.seed, "--random-runs as well")
    if not 0 <= args.seed < 2**63:
        raise SpecError("--seed", None, args.seed, "a whole number from 0 to 2**63 - 1")
    remote = args.backend == "ray" and args.ray_address
    if given_workers and not 1 <= args.workers <= (4096 if remote else default_workers()):
        raise SpecError("--workers", None, args.workers,
                        "a whole number from 1 to 4096 (the Ray cluster's actors)" if remote
                        else f"a whole number from 1 to {default_workers()} (this machine's "
                        "cores)")
    if not args.untimed:
        if args.fingerprint:
            raise SpecError("--fingerprint", None, True, "--untimed as well (the timed "
                            "search stores zones, not fingerprints)")
    if args.backend == "ray":
        for option, value, why in (
                ("--backend", not args.untimed, "--untimed as well (the timed search runs "
                 "locally)"),
                ("--fingerprint", args.fingerprint,
                 "the local backend (--backend ray stores exact rows)")):
            if value:
                raise SpecError(option, None, args.backend if option == "--backend" else value,
                                why)
        import importlib.util
        if importlib.util.find_spec("ray") is None:
            raise SpecError("--backend", None, "ray", "Ray installed: pip install "
                            "'hacheck[ray]'")
    elif args.ray_address:
        raise SpecError("--ray-address", None, args.ray_address, "--backend ray as well")
    if (args.checkpoint or args.resume) and not args.untimed:
        raise SpecError("--checkpoint" if args.checkpoint else "--resume", None,
                        args.checkpoint or args.resume,
                        "--untimed as well (the timed search has no checkpoints)")
    if args.checkpoint and args.resume:
        raise SpecError("--checkpoint", None, args.checkpoint,
                        "no --resume with it (--resume DIR goes on saving in DIR)")
    if args.checkpoint_every is not None:
        if not (args.checkpoint or args.resume):
            raise SpecError("--checkpoint-every", None, args.checkpoint_every,
                            "--checkpoint DIR or --resume DIR as well")
        if not (math.isfinite(args.checkpoint_every) and args.checkpoint_every >= 0):
            raise SpecError("--checkpoint-every", None, args.checkpoint_every,
                            "a number of minutes >= 0 (0: at the end of every level)")
    if args.explain and args.untimed:
        raise SpecError("--explain", None, True, "the timed mode (drop --untimed)")
    for option, value in (("--trace-out", args.trace_out), ("--html", args.html)):
        if value:
            check_output_path(option, value)


def _checkpoints(args, cfg):
    """The run's checkpoints (None without --checkpoint or --resume): named by what the
    run explores, so that --resume refuses another spec's or other options' checkpoints."""
    directory = args.checkpoint or args.resume
    if directory is None:
        return None
    from hacheck.checker.checkpoint import Checkpoints
    run = {"configuration": json.loads(json.dumps(cfg.described(), default=str)),
           "symmetry": not args.no_symmetry, "por": args.por,
           "keep_going": args.keep_going, "fingerprint": args.fingerprint}
    if args.backend == "ray":       # its states are split over the shards by hash
        run["ray_shards"] = args.workers or default_workers()
    every = 60 * (args.checkpoint_every if args.checkpoint_every is not None else 10)
    return Checkpoints(directory, run, every, resume=args.resume is not None)


def main(argv: list[str] | None = None) -> int:
    """The command. Called without `argv` (as the program), it keeps its signal handlers
    to the end of the process; called with one (from Python), it restores them."""
    program = argv is None
    argv = sys.argv[1:] if argv is None else argv
    budget = Budget()
    with stop_on_signals(budget, restore=not program):
        code = _dispatch(argv, budget)
    if program:   # Python's exit restores the default handlers: a late signal would kill
        for stream in (sys.stdout, sys.stderr):   # us, so exit now, the report written
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    return code


def _dispatch(argv: list[str], budget: Budget) -> int:
    try:
        if argv[:1] == ["view"]:
            with budget.phase("viewer", interruptible=True):
                return view_main(argv[1:])
        if argv[:1] == ["gate"]:
            return gate_main(argv[1:], budget)
        return check_main(argv, budget)
    except Stopped as stop:     # before the run had anything to report
        print(f"hacheck: stopped: {stop.reason}; nothing was checked", file=sys.stderr)
        return int(ExitCode.INCOMPLETE)
    except MemoryError:
        print("hacheck: stopped: out of memory before the search began; nothing was "
              "checked", file=sys.stderr)
        return int(ExitCode.INCOMPLETE)


def check_main(argv: list[str], budget: Budget) -> int:
    with budget.phase("start-up", interruptible=True):
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as e:   # argparse: --help (0) or a usage error (2)
            return int(e.code or 0)
        try:
            validate(args)
            spec = load(args.spec)
            cfg = spec.config(args.nodes)   # validate the override before any work
            checkpoints = _checkpoints(args, cfg)
        except (ConfigError, CheckpointError) as e:
            print(f"hacheck: error: {e}", file=sys.stderr)
            return int(ExitCode.USAGE)
        try:
            from hacheck.checker import ModelBoundError
            from hacheck.tools.report import render_json, render_text
            from hacheck.tools.run import check
        except (OSError, ImportError) as e:    # numba's LLVM cannot load: usually memory
            print(f"hacheck: stopped: {_cannot_load(e)}; nothing was checked", file=sys.stderr)
            return int(ExitCode.INCOMPLETE)
    budget.time_limit, budget.max_states = args.time_limit, args.max_states
    budget.max_depth = args.max_depth
    budget.memory_limit = (gigabytes(args.memory_limit) if args.memory_limit is not None
                           else default_memory_limit())
    try:
        run = check(spec, nodes=args.nodes, symmetry=not args.no_symmetry,
                    reduce=args.por, keep_going=args.keep_going,
                    progress=None if args.quiet else Progress(), trace_out=args.trace_out,
                    fingerprint=args.fingerprint, workers=args.workers or default_workers(),
                    notice=None if args.quiet else _notice, timed=not args.untimed,
                    explain=args.explain, budget=budget, checkpoints=checkpoints,
                    backend=args.backend, ray_address=args.ray_address,
                    random_runs=args.random_runs, seed=args.seed)
    except ModelBoundError as e:
        print(f"hacheck: model bound exceeded: {e}", file=sys.stderr)
        return int(ExitCode.INTERNAL_ERROR)
    except CheckpointError as e:       # a checkpoint's file that cannot be read back
        print(f"hacheck: error: {e}", file=sys.stderr)
        return int(ExitCode.USAGE)
    run.result.statistics.memory_limit = budget.memory_limit or 0
    run.result.statistics.peak_memory = peak_memory()
    try:
        print(render_json(run) if args.json else render_text(run), flush=True)
    except BrokenPipeError:   # the reader went away (`| head`): the exit code still counts
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    for name, error in run.trace_errors.items():
        print(f"hacheck: error: cannot write the {name} trace file: {error}", file=sys.stderr)
    if args.html:
        if not run.trace_files:
            print("note: no counterexample, so no page was written", file=sys.stderr)
        else:
            from hacheck.tools.trace_file import TraceFileError
            from hacheck.tools.trace_view import load_trace
            try:
                _write_page(load_trace(next(iter(run.trace_files.values()))), args.html)
            except TraceFileError as e:
                print(f"hacheck: error: cannot write the page: {e}", file=sys.stderr)
    return int(run.result.exit_code)


if __name__ == "__main__":
    sys.exit(main())
