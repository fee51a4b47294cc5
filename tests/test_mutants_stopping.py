"""checker/stopping.py's Budget on its own, with a fake clock and a fake memory meter:
the limits at their edges, the first reason winning, a phase restoring the one around
it. Each test was written against a mutant the end-to-end stopping tests let live
(MUTATION.md); none runs a search."""

from __future__ import annotations

import pytest

import hacheck.checker.stopping as stopping
from hacheck.checker.stopping import GB, Budget, Stopped, gigabytes


def clocked(limit):
    now = [0.0]
    budget = Budget(time_limit=limit, clock=lambda: now[0])
    budget._address_space = None
    return budget, now


def test_the_clock_starts_once_and_the_limit_is_passed_only_after_it():
    budget, now = clocked(5)
    assert budget.elapsed() == 0.0 and budget.remaining() == 5
    now[0] = 100.0
    budget.start_clock()
    now[0] = 101.0
    budget.start_clock()                 # a second search does not restart the clock
    assert budget.elapsed() == 1.0 and budget.remaining() == 4.0
    now[0] = 105.0
    budget.check()                       # exactly at the limit: not passed yet
    now[0] = 105.5
    with pytest.raises(Stopped, match="^time limit of 5 s reached$"):
        budget.check()
    assert budget.remaining() == 0.0
    assert Budget().remaining() is None


def test_without_a_started_clock_no_time_has_passed():
    budget, now = clocked(1)
    now[0] = 50.0
    budget.check()                       # start-up is not counted
    assert budget.elapsed() == 0.0


def metered(monkeypatch, resident, mapped, memory_limit=None, address_space=None):
    monkeypatch.setattr(stopping, "memory_in_use", lambda: (resident, mapped))
    budget = Budget(memory_limit=memory_limit)
    budget._address_space = address_space
    return budget


def test_the_memory_limit_counts_what_is_about_to_be_allocated(monkeypatch):
    budget = metered(monkeypatch, resident=GB, mapped=0, memory_limit=2 * GB)
    budget.check()
    budget.check(GB)                     # exactly at the limit: allowed
    with pytest.raises(Stopped, match=r"memory limit of 2 GB reached \(1 GB in use, 1 GB more"):
        budget.check(GB + 1)
    with pytest.raises(Stopped, match=r"\(3 GB in use\)$"):
        metered(monkeypatch, resident=3 * GB, mapped=0, memory_limit=2 * GB).check()
    assert not budget.stopping            # a limit is measured again, not recorded


def test_the_address_space_limit_stops_at_its_share(monkeypatch):
    limit = 100 * GB
    metered(monkeypatch, resident=0, mapped=94 * GB, address_space=limit).check()
    with pytest.raises(Stopped, match=r"address-space limit of 100 GB \(ulimit -v\) nearly"):
        metered(monkeypatch, resident=0, mapped=94 * GB, address_space=limit).check(2 * GB)
    with pytest.raises(Stopped, match="address-space"):
        metered(monkeypatch, resident=0, mapped=96 * GB, address_space=limit).check()


def test_the_first_stop_reason_wins_and_every_later_check_gives_it():
    budget = Budget()
    assert budget.stop("out of states").reason == "out of states"
    assert budget.stop("something else").reason == "out of states"
    assert budget.out_of_memory(MemoryError("x")) == "out of states"
    with pytest.raises(Stopped, match="^out of states$"):
        budget.raise_if_requested()
    budget.request("interrupted by SIGINT")
    assert budget.reason == "out of states"


def test_out_of_memory_names_the_phase_and_the_error_if_it_says_anything():
    budget = Budget()
    with budget.phase("cycle search"):
        assert budget.out_of_memory() == "out of memory during the cycle search"
    assert Budget().out_of_memory(MemoryError("no room"), "state search") == \
        "out of memory during the state search: no room"
    assert Budget().out_of_memory(MemoryError(), "x") == "out of memory during the x"
    Budget().raise_if_requested()          # nothing requested: no raise


def test_a_phase_restores_the_one_around_it_and_an_interruptible_one_starts_stopped():
    budget = Budget()
    with budget.phase("outer"):
        with budget.phase("inner", interruptible=True):
            assert budget.phase_name == "inner" and budget.interruptible
        assert budget.phase_name == "outer" and not budget.interruptible
    assert budget.phase_name == "start-up"
    with budget.phase("quiet"):
        budget.request("interrupted by SIGTERM")     # not interruptible: recorded only
    assert budget.reason == "interrupted by SIGTERM during the quiet"
    with pytest.raises(Stopped):
        with budget.phase("late", interruptible=True):
            pass
    with budget.phase("plain"):              # a plain phase starts even while stopping
        pass


def test_a_request_inside_deferred_raises_at_its_end_only_in_an_interruptible_phase():
    budget = Budget()
    reached = False
    with pytest.raises(Stopped, match="^r during the p$"):
        with budget.phase("p", interruptible=True):
            with budget.deferred():
                with budget.deferred():
                    budget.request("r")
                assert budget.stopping      # the inner end is not the end yet
                reached = True
    assert reached


def test_deferred_in_a_plain_phase_never_raises():
    budget = Budget()
    with budget.phase("p"):
        with budget.deferred():
            budget.request("r")
    assert budget.stopping and budget._deferred == 0


def test_gigabytes_takes_only_positive_finite_numbers():
    assert gigabytes(1.5) == int(1.5 * GB)
    assert gigabytes(0.5) == GB // 2
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            gigabytes(bad)


def test_the_default_memory_limit_is_nine_tenths_of_the_smallest_memory(monkeypatch):
    monkeypatch.setattr(stopping, "machine_memory", lambda: 10 * GB)
    assert stopping.default_memory_limit() == 9 * GB
    monkeypatch.setattr(stopping, "machine_memory", lambda: None)
    assert stopping.default_memory_limit() is None


# --- what the machine gives: peak memory, ulimit -v, physical and cgroup memory ---------

def test_peak_memory_is_the_resident_peak_in_bytes(monkeypatch):
    class Usage:
        ru_maxrss = 5          # Linux reports kilobytes
    monkeypatch.setattr(stopping.resource, "getrusage", lambda who: Usage)
    assert stopping.peak_memory() == 5 * 1024


def test_the_address_space_limit_is_the_soft_limit_unless_unlimited(monkeypatch):
    infinity = stopping.resource.RLIM_INFINITY
    monkeypatch.setattr(stopping.resource, "getrlimit", lambda what: (3 * GB, infinity))
    assert stopping.address_space_limit() == 3 * GB
    monkeypatch.setattr(stopping.resource, "getrlimit", lambda what: (infinity, 3 * GB))
    assert stopping.address_space_limit() is None

    def refused(what):
        raise ValueError(what)
    monkeypatch.setattr(stopping.resource, "getrlimit", refused)
    assert stopping.address_space_limit() is None


def fake_machine(monkeypatch, pages, files: dict):
    """os.sysconf and the cgroup files as given (a missing file cannot be opened)."""
    import builtins
    real_open = builtins.open

    def sysconf(name):
        if pages is None:
            raise ValueError(name)
        return {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": pages}[name]

    def fake_open(path, *args, **kwargs):
        if str(path).startswith("/sys/fs/cgroup/"):
            if path not in files:
                raise FileNotFoundError(path)
            import io
            return io.StringIO(files[path])
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(stopping.os, "sysconf", sysconf)
    monkeypatch.setattr(builtins, "open", fake_open)


V2, V1 = "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"


def test_machine_memory_is_the_smaller_of_the_machine_and_its_cgroup(monkeypatch):
    fake_machine(monkeypatch, 1000, {})
    assert stopping.machine_memory() == 4096 * 1000
    fake_machine(monkeypatch, 1000, {V2: "2048000\n"})
    assert stopping.machine_memory() == 2048000
    fake_machine(monkeypatch, 1000, {V1: "1024000"})
    assert stopping.machine_memory() == 1024000
    fake_machine(monkeypatch, 1000, {V2: "max\n", V1: str(2 ** 63 - 4096)})  # no limit
    assert stopping.machine_memory() == 4096 * 1000
    huge = 10 ** 15                                           # pages: more than 2**60 bytes
    fake_machine(monkeypatch, huge, {V2: str(1 << 60)})       # at the "none" bound: no limit
    assert stopping.machine_memory() == 4096 * huge
    fake_machine(monkeypatch, huge, {V2: str((1 << 60) + 1)})
    assert stopping.machine_memory() == 4096 * huge
    fake_machine(monkeypatch, huge, {V2: str((1 << 60) - 1)})  # just below it: a limit
    assert stopping.machine_memory() == (1 << 60) - 1
    fake_machine(monkeypatch, 1000, {V2: str((1 << 60) - 1)})
    assert stopping.machine_memory() == 4096 * 1000           # larger than the machine
    fake_machine(monkeypatch, None, {V1: "1024000"})
    assert stopping.machine_memory() == 1024000
    fake_machine(monkeypatch, None, {})
    assert stopping.machine_memory() is None


def test_a_budget_reads_ulimit_v_when_it_is_made(monkeypatch):
    monkeypatch.setattr(stopping, "address_space_limit", lambda: 10 * GB)
    monkeypatch.setattr(stopping, "memory_in_use", lambda: (0, 10 * GB))
    with pytest.raises(Stopped, match="address-space"):
        Budget().check()


def test_a_budgets_state_limit_ends_a_search():
    from fixture_models import Counter
    from hacheck.checker import Verdict, explore
    from hacheck.checker.properties import always
    result = explore(Counter(100), [always("small", "", lambda s: s < 1000)],
                     budget=Budget(max_states=7))
    assert not result.statistics.complete and result.statistics.distinct_states == 7
    assert result.properties[0].verdict is Verdict.INCOMPLETE


def test_memory_in_use_reads_resident_and_mapped_pages(monkeypatch):
    import builtins
    import io
    real_open = builtins.open
    statm = {"text": b"300 200 10 1 0 50 0\n"}

    def fake_open(path, *args, **kwargs):
        if path == "/proc/self/statm":
            if statm["text"] is None:
                raise FileNotFoundError(path)
            return io.BytesIO(statm["text"])
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(stopping.os, "sysconf", lambda name: 4096)
    assert stopping.memory_in_use() == (200 * 4096, 300 * 4096)
    statm["text"] = None
    assert stopping.memory_in_use() == (0, 0)
    statm["text"] = b"300\n"
    assert stopping.memory_in_use() == (0, 0)
