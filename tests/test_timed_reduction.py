"""Partial-order reduction of instantaneous steps under time (`model.timed_ample`, argued
in docs/reduction.md, "Under time") against the unreduced timed search."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from hacheck.checker import explore
from hacheck.model import Config
from hacheck.model.rules import A_SELF
from hacheck.model.kernel import idle_pop
from hacheck.model.row import CRASHES_LEFT
from hacheck.model.state import selfq
from hacheck.model.timed_model import TimedHeartbeatModel
from hacheck.model.timing import TimingParameters
from hacheck.properties import all_properties
from hacheck.witness import timestamps as timing
from test_cli import hacheck

SMALL = TimingParameters(K=Fraction(1), D=Fraction(3), Q=Fraction(3), R=Fraction(3),
                         dmin=Fraction(0), dmax=Fraction(1), smax=Fraction(1))
CASES = {
    "default timing, a crash and a restart": (
        Config(N=2, home=(0, 1), crashes=1, restarts=1), TimingParameters()),
    "no nice_failback, a crash and a restart": (
        Config(N=2, home=(0, 1), nice_failback=False, crashes=1, restarts=1), SMALL),
    "a link toggle": (Config(N=2, home=(0, 1), link_toggles=1), SMALL),
    "deliveries take time": (Config(N=2, home=(0, 1), crashes=1, restarts=1),
                             TimingParameters(dmin=Fraction(1, 4), dmax=Fraction(1, 2))),
    "active/passive, no faults": (Config(N=2, home=(0,)), SMALL),
}


def search(cfg, params, reduce: bool, symmetry: bool = True):
    reached: list = []
    model = TimedHeartbeatModel(cfg, params)
    result = explore(model, all_properties(cfg), symmetry=symmetry, reduce=reduce,
                     keep_going=True, reached=reached,
                     witness=timing.witness(cfg, params, False))
    assert result.statistics.complete
    return model, result, reached[0]


def settled_rows(model, rows) -> set[bytes]:
    """The discrete states reached in which no instantaneous idle pop waits: the reduction
    must keep every one of them (docs/reduction.md)."""
    return {row.tobytes() for row in rows
            if not any(row[selfq(model.k, j)] > 0 and idle_pop(model.k, row, A_SELF, j, 0)
                       for j in range(model.cfg.N))}


def outcome(result) -> list:
    return [(p.name, p.verdict, p.loop, None if p.trace is None else len(p.trace))
            for p in result.properties]


@pytest.mark.parametrize("case", list(CASES))
def test_the_reduced_timed_search_keeps_verdicts_traces_and_every_settled_state(case):
    cfg, params = CASES[case]
    model, full, full_rows = search(cfg, params, reduce=False)
    _, reduced, reduced_rows = search(cfg, params, reduce=True)
    assert not full.reduction and reduced.reduction
    assert outcome(reduced) == outcome(full)
    assert all(p.times is not None for p in reduced.properties if p.trace is not None)
    assert settled_rows(model, reduced_rows) == settled_rows(model, full_rows)
    assert 0 < reduced.statistics.reduced_states
    assert reduced.statistics.distinct_states < full.statistics.distinct_states
    assert reduced.statistics.discrete_states < full.statistics.discrete_states


def test_without_symmetry_too():
    cfg, params = CASES["no nice_failback, a crash and a restart"]
    model, full, full_rows = search(cfg, params, reduce=False, symmetry=False)
    _, reduced, reduced_rows = search(cfg, params, reduce=True, symmetry=False)
    assert outcome(reduced) == outcome(full)
    assert settled_rows(model, reduced_rows) == settled_rows(model, full_rows)
    assert reduced.statistics.distinct_states < full.statistics.distinct_states


@pytest.mark.parametrize("cfg", [
    Config(N=2, home=(0, 1), version="1.65", crashes=1, restarts=1),
    Config(N=2, home=(0, 1), email_timer="split"),
    Config(N=2, home=(0, 1), transport="unsequenced", losses=1),
], ids=["1.65", "email timer", "unsequenced"])
def test_the_reduction_is_used_only_where_it_is_argued(cfg):
    model = TimedHeartbeatModel(cfg, SMALL)
    assert not model.supports_reduction
    result = explore(model, all_properties(cfg), reduce=True, max_states=50)
    assert not result.reduction and result.statistics.reduced_states == 0


def test_por_turns_it_on_in_timed_mode_and_the_report_says_what_it_costs(capsys):
    reports = {}
    for flags in ((), ("--por",), ("--no-por",)):
        code, out, _ = hacheck(capsys, "--nodes", "2", "-q", "--json", "--trace-out",
                               "/dev/null", *flags, timed=True)
        assert code == 12
        reports[flags] = json.loads(out)
    assert not reports[()]["reduction"] and not reports[("--no-por",)]["reduction"]
    on = reports[("--por",)]
    assert on["reduction"] and on["statistics"]["reduced_states"] > 0
    assert ([p["verdict"] for p in on["properties"]]
            == [p["verdict"] for p in reports[()]["properties"]])
    code, out, _ = hacheck(capsys, "--nodes", "2", "-q", "--por", "--trace-out", "/dev/null",
                           timed=True)
    assert "partial-order reduction: on (" in out
    assert "of the reduced graph, so fewer" in out
    code, out, _ = hacheck(capsys, "--nodes", "2", "-q", "--trace-out", "/dev/null",
                           timed=True)
    assert "partial-order reduction: off (the timed default; --por" in out


def test_por_and_no_por_together_are_refused(capsys):
    code, out, err = hacheck(capsys, "--por", "--no-por", timed=True)
    assert code == 2 and "Traceback" not in err
    assert "--por" in err and "--no-por" in err


def test_a_state_keeps_only_an_own_message_pop_when_one_waits_and_no_crash_is_left():
    """Every symbolic state of a small space, expanded both ways: the reduced expansion is
    the full one, or the first SELF that pops an idle own message, with no crash left."""
    cfg, params = CASES["no nice_failback, a crash and a restart"]
    model = TimedHeartbeatModel(cfg, params)
    seen, frontier, reduced_seen = set(), model.initial_rows(), 0
    while len(frontier):
        full = model.successors(frontier, True, False)
        some = model.successors(frontier, True, True)
        for r, row in enumerate(frontier):
            every = [int(a) for a, src in zip(full.action, full.source) if src == r]
            kept = [int(a) for a, src in zip(some.action, some.source) if src == r]
            pops = [a for a in every if model.action(a).name == "SELF"
                    and idle_pop(model.k, row, A_SELF, model.action(a).args[0], 0)]
            if pops and len(every) > 1:
                assert some.reduced[r] and kept == pops[:1]
                assert row[CRASHES_LEFT] == 0
                reduced_seen += 1
            else:
                assert not some.reduced[r] and kept == every
        fresh = {row.tobytes(): row for row in full.buffer[full.index]
                 if row.tobytes() not in seen}
        seen.update(fresh)
        frontier = np.array(list(fresh.values()), dtype=np.uint8).reshape(-1, model.width)
    assert reduced_seen > 0
