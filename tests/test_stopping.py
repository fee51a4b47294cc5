"""Every way a run can end leaves a report (checker/stopping.py, tools/run.py, tools/cli.py).

SIGINT, SIGTERM, the time limit, the state budget and running out of memory end a run the
same way, in every phase: the report with partial statistics, each undecided property
INCOMPLETE, the traces already found written, exit code 3 (or the violation's code).
The signals are sent to this process at a chosen moment: the first time the run's
budget is polled in a given phase (`Budget.check` knows its phase), or from inside a
function only that phase calls.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hacheck.checker import explore
from hacheck.checker.stopping import Budget, Stopped
from hacheck.tools.cli import main
from fixture_models import Counter

SIGNALS = [signal.SIGINT, signal.SIGTERM]
NO_FAULTS = "[cluster]\nnodes = 2\n[faults]\ncrashes = 0\nrestarts = 0\n"


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def signal_in_phase(monkeypatch, sig, phase: str, after: int = 0):
    """Send `sig` to this process when the run's budget (the one `hacheck.tools.cli.main`
    makes) is polled in `phase` for the (after + 1)-th time."""
    import hacheck.tools.cli as cli
    sent, polls = [], []

    class Signalling(Budget):
        def check(self, extra_bytes=0):
            if not sent and self.phase_name.startswith(phase):
                polls.append(1)
                if len(polls) > after:
                    sent.append(phase)
                    os.kill(os.getpid(), sig)
            return super().check(extra_bytes)
    monkeypatch.setattr(cli, "Budget", Signalling)
    return sent


def run_json(capsys, *argv) -> tuple[int, dict, str]:
    code = main([*argv, "--json", "-q"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, json.loads(out), err


def verdicts(report) -> dict:
    return {p["name"]: p["verdict"] for p in report["properties"]}


# (phase polled, argv, exit code, verdicts after the stop); the state search is stopped
# after 20 polls (20 batches: one poll each), past S1's first violation (depth 9)
PHASES = {
    "state search": (["--untimed", "--keep-going", "--no-symmetry"], 12,
                     {"S1": "VIOLATED", "L0": "INCOMPLETE", "L1": "INCOMPLETE"}),
    "cycle search for L0": (["spec.toml", "--untimed", "--keep-going"], 12,
                            {"S1": "VIOLATED", "L0": "INCOMPLETE", "L1": "HOLDS"}),
    "search for a shortest counterexample": (["--untimed"], 12,
                                             {"S1": "VIOLATED", "L0": "INCOMPLETE",
                                              "L1": "INCOMPLETE"}),
    "timestamps of the S1 counterexample": (["--nodes", "3"], 12,
                                            {"S1": "VIOLATED", "L0": "INCOMPLETE",
                                             "L1": "INCOMPLETE"}),
}


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize("phase", PHASES)
def test_a_signal_in_any_phase_ends_the_run_with_a_report(capsys, monkeypatch, tmp_path,
                                                           phase, sig):
    (tmp_path / "spec.toml").write_text(NO_FAULTS)
    argv, code, expected = PHASES[phase]
    sent = signal_in_phase(monkeypatch, sig, phase, after=20 if phase == "state search" else 0)
    got, report, _ = run_json(capsys, *argv)
    assert sent, f"the run never polled its budget in the {phase}"
    assert got == code
    assert verdicts(report) == expected
    stats = report["statistics"]
    assert stats["complete"] is False
    assert f"interrupted by {sig.name} during the {phase}" in stats["stop_reason"]
    assert stats["distinct_states"] > 0
    for prop in report["properties"]:
        if prop["verdict"] == "VIOLATED":   # a counterexample found before the stop is kept
            assert prop["trace"] and Path(prop["trace_file"]).is_file()


def test_a_stop_in_the_shortest_trace_search_keeps_the_reduced_searchs_trace(capsys,
                                                                          monkeypatch):
    signal_in_phase(monkeypatch, signal.SIGINT, "search for a shortest counterexample")
    _, report, _ = run_json(capsys, "--untimed")
    s1 = report["properties"][0]
    assert s1["verdict"] == "VIOLATED" and s1["trace"]
    assert any("may be longer" in note for note in s1["notes"])


def test_a_stop_while_timestamps_are_computed_keeps_the_trace_without_them(capsys,
                                                                          monkeypatch):
    signal_in_phase(monkeypatch, signal.SIGINT, "timestamps")
    code = main(["--nodes", "3", "-q"])
    out = capsys.readouterr().out
    assert code == 12
    assert "timestamps were not computed" in out
    assert "they were not computed" in out        # the note under the trace says why
    assert "Z3 chose them" not in out


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_a_signal_during_start_up_gives_a_report_of_nothing_decided(capsys, monkeypatch, sig):
    import hacheck.tools.run as run
    original = run.compile_model

    def compile_model(*args, **kwargs):
        os.kill(os.getpid(), sig)
        return original(*args, **kwargs)
    monkeypatch.setattr(run, "compile_model", compile_model)
    code, report, _ = run_json(capsys, "--untimed")
    assert code == 3
    assert set(verdicts(report).values()) == {"INCOMPLETE"}
    assert report["statistics"]["stop_reason"] == f"interrupted by {sig.name} during the start-up"
    assert report["result"] == "INCOMPLETE"


def test_a_signal_while_the_trace_files_are_written_does_not_cut_them(capsys, monkeypatch):
    import hacheck.tools.run as run
    original = run.write_itf

    def write_itf(path, document):
        os.kill(os.getpid(), signal.SIGTERM)
        return original(path, document)
    monkeypatch.setattr(run, "write_itf", write_itf)
    code, report, _ = run_json(capsys, "--untimed")
    assert code == 12
    path = Path(report["properties"][0]["trace_file"])
    assert json.loads(path.read_text())["states"]      # the whole file


def test_a_second_signal_while_stopping_changes_nothing(capsys, monkeypatch):
    import hacheck.tools.cli as cli
    sent = []

    class Signalling(Budget):
        def check(self, extra_bytes=0):
            if not sent and self.phase_name == "state search":
                sent.append(1)
                os.kill(os.getpid(), signal.SIGINT)
                os.kill(os.getpid(), signal.SIGINT)
            return super().check(extra_bytes)
    monkeypatch.setattr(cli, "Budget", Signalling)
    code, report, _ = run_json(capsys, "--untimed", "--keep-going")
    assert code == 3
    assert set(verdicts(report).values()) == {"INCOMPLETE"}
    assert report["statistics"]["stop_reason"] == "interrupted by SIGINT during the state search"


def test_out_of_memory_in_the_search_ends_it_like_a_limit(capsys, monkeypatch):
    from hacheck.checker.store import ExactStore
    original = ExactStore.insert

    def insert(self, *args):
        if len(self) > 3000:
            raise MemoryError("Unable to allocate 3.1 GiB for an array")
        return original(self, *args)
    monkeypatch.setattr(ExactStore, "insert", insert)
    code, report, _ = run_json(capsys, "--untimed", "--keep-going", "--no-por")
    assert code == 12              # S1's violations came before memory ran out
    stats = report["statistics"]
    assert stats["complete"] is False
    assert stats["stop_reason"].startswith("out of memory during the state search")
    assert verdicts(report)["L0"] == "INCOMPLETE"


def test_a_memory_limit_stops_the_search_before_it_is_passed(capsys):
    from hacheck.checker.stopping import memory_in_use
    resident, _ = memory_in_use()
    limit = (resident + (64 << 20)) / (1 << 30)      # 64 MB more than now
    code, report, _ = run_json(capsys, "--untimed", "--keep-going", "--no-por", "--no-symmetry",
                               "active-passive", "--memory-limit", f"{limit:.4f}")
    assert code == 12
    stats = report["statistics"]
    assert "memory limit of" in stats["stop_reason"] and not stats["complete"]
    assert stats["memory_limit"] == int(float(f"{limit:.4f}") * (1 << 30))


def test_the_memory_limit_defaults_to_most_of_the_machines_memory(capsys):
    from hacheck.checker.stopping import machine_memory
    _, report, _ = run_json(capsys, "--untimed", "--max-states", "10")
    assert report["statistics"]["memory_limit"] == int(0.9 * machine_memory())


# --- the budget alone, on a fixture model -------------------------------------------------

def test_a_request_is_sticky_and_names_the_phase():
    budget = Budget()
    with budget.phase("state search"):
        budget.request("interrupted by SIGINT")
        budget.request("interrupted by SIGTERM")
    with pytest.raises(Stopped, match="interrupted by SIGINT during the state search"):
        budget.check()


def test_a_request_in_an_interruptible_phase_raises_at_once_but_not_inside_deferred():
    budget = Budget()
    with budget.phase("start-up", interruptible=True):
        with pytest.raises(Stopped):
            with budget.deferred():
                budget.request("interrupted by SIGINT")   # no raise here
                done = True
        assert done


def test_the_time_limit_is_not_sticky_but_a_request_is():
    now = [0.0]
    budget = Budget(time_limit=5, clock=lambda: now[0])
    budget.start_clock()
    now[0] = 6.0
    with pytest.raises(Stopped, match="time limit of 5 s"):
        budget.check()
    assert not budget.stopping


def test_a_fixture_search_stopped_by_its_budget_is_incomplete():
    budget = Budget()
    budget.request("interrupted by SIGTERM")
    result = explore(Counter(100), [], budget=budget)
    assert not result.statistics.complete
    assert result.statistics.stop_reason.startswith("interrupted by SIGTERM")


def test_a_memory_error_in_a_fixture_search_is_a_stop(monkeypatch):
    class Hungry(Counter):
        def successors(self, rows, symmetry, reduce, spare=None):
            if self.decode(rows[0]) >= 5:
                raise MemoryError
            return super().successors(rows, symmetry, reduce, spare)
    result = explore(Hungry(100), [])
    assert result.statistics.stop_reason == "out of memory during the state search"
    assert result.statistics.distinct_states == 6


# --- real processes: what CI and a person at a terminal do ---------------------------------

def hacheck_process(*argv, env=None, **kwargs):
    script = Path(sys.executable).parent / "hacheck"
    return subprocess.Popen([str(script), *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kwargs)


def wait_for_progress(proc, timeout=240) -> None:
    """Block until the run prints its first progress line (the search is under way)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if line.startswith("Progress("):
            return
        if not line and proc.poll() is not None:
            break
    raise AssertionError("no progress line")


@pytest.mark.parametrize("signals", [[signal.SIGTERM], [signal.SIGINT, signal.SIGINT]],
                         ids=["SIGTERM", "two SIGINT 50 ms apart"])
def test_a_process_stopped_by_signals_prints_its_report(tmp_path, signals):
    proc = hacheck_process("--untimed", "--keep-going", "--no-por", "--no-symmetry",
                           "--workers", "1", "active-passive", cwd=tmp_path)
    wait_for_progress(proc)
    for sig in signals:
        proc.send_signal(sig)
        time.sleep(0.05)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 12, err
    assert "Traceback" not in err
    assert re.search(rf"search: stopped early \(interrupted by {signals[0].name} during the "
                     r"state search\)", out)
    assert "statistics:" in out and out.rstrip().endswith("(exit code 12)")


def test_too_little_address_space_to_load_the_compiler_is_one_line_saying_so(tmp_path):
    import resource

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (300_000_000, 300_000_000))
    proc = hacheck_process("--untimed", "-q", cwd=tmp_path, preexec_fn=limited)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("hacheck: stopped: not enough memory to load the compiler")
    assert "prlimit --as allows 0.28 GB" in err


@pytest.mark.parametrize("limit, mode", [(1_600_000_000, []), (1_400_000_000, ["--fingerprint"])],
                         ids=["exact", "fingerprint"])
def test_an_address_space_limit_ends_the_run_with_a_report(tmp_path, limit, mode):
    # `prlimit --as` / `ulimit -v`: the run stops before the mapped size reaches the limit
    # (numba and LLVM map about 1 GB at start), or says it could not start
    import resource

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    proc = hacheck_process("--untimed", "--keep-going", "--no-por", "--no-symmetry", "-q",
                           *mode, "active-passive", cwd=tmp_path, preexec_fn=limited)
    out, err = proc.communicate(timeout=600)
    assert "Traceback" not in err, err
    if proc.returncode == 3:
        assert err.startswith("hacheck: stopped:") and "ulimit -v" in err
    else:
        assert proc.returncode == 12, err
        assert re.search(r"search: stopped early \((address-space limit|out of memory)", out)
