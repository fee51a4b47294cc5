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
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            gigabytes(bad)


def test_the_default_memory_limit_is_nine_tenths_of_the_smallest_memory(monkeypatch):
    monkeypatch.setattr(stopping, "machine_memory", lambda: 10 * GB)
    assert stopping.default_memory_limit() == 9 * GB
    monkeypatch.setattr(stopping, "machine_memory", lambda: None)
    assert stopping.default_memory_limit() is None
