"""Shrinking random runs (checker/shrink.py): shorter, still failing, still real."""

from __future__ import annotations

import pytest

from hacheck.checker import Verdict
from hacheck.checker.properties import always
from hacheck.checker.shrink import replay, shrink
from hacheck.checker.simulation import _failing, simulate
from hacheck.checker.stopping import Budget
from hacheck.model import Config, HeartbeatModel
from hacheck.properties import all_properties
from hacheck.properties.liveness import orphaned

from fixture_models import Counter, TwoRoads, real

NEVER_X = always("NX", "never reach X", lambda s: s[0] != "X")
THREE_NODES = Config(N=3, home=(0, 1, 2))
LONG_ROAD = [0, 0] + [0] * 9         # the initial state, "long", then "go" nine times


def test_replaying_choices_rebuilds_the_run_and_takes_them_modulo_the_choices_there_are():
    model = TwoRoads()
    path, taken, widths, at = replay(model, LONG_ROAD, _failing(model, NEVER_X), 50)
    assert at == 10 and model.decode(path[-1][1]) == ("X", 0)
    assert widths[:2] == [1, 2] and taken == LONG_ROAD
    # 3 % 2 = 1: "short"; past the last choice, the first successor
    path, taken, _, at = replay(model, [0, 3], _failing(model, NEVER_X), 50)
    assert at == 3 and taken == [0, 1, 0, 0]
    assert [model.action(a) for a, _ in path[1:]] == ["short", "go", "go"]


def test_shrinking_takes_the_short_road_though_it_is_the_larger_choice():
    model = TwoRoads()
    path, best, replays, cut = shrink(model, LONG_ROAD, _failing(model, NEVER_X))
    assert [model.action(a) for a, _ in path[1:]] == ["short", "go", "go"]
    assert best == [0, 1, 0, 0] and replays > 0 and cut == ""


def test_shrinking_a_run_that_does_not_fail_is_an_error():
    model = Counter(3)
    with pytest.raises(ValueError):
        shrink(model, [0, 0], _failing(model, always("LT9", "below 9", lambda s: s < 9)))


def test_a_stopped_budget_leaves_the_run_as_found_and_says_why():
    budget = Budget()
    budget.request("stop requested")
    model = TwoRoads()
    path, best, replays, cut = shrink(model, LONG_ROAD, _failing(model, NEVER_X),
                                      budget=budget)
    assert len(path) == 11 and best == LONG_ROAD and replays == 0
    assert cut.startswith("stop requested")


def test_the_three_node_l1_run_shrinks_and_stays_a_real_settled_orphaning():
    model = HeartbeatModel(THREE_NODES)
    found = simulate(model, all_properties(THREE_NODES), runs=1000, seed=1, shrinking=False)
    shrunk = simulate(model, all_properties(THREE_NODES), runs=1000, seed=1)
    raw, l1 = found.properties[2], shrunk.properties[2]
    assert raw.verdict is l1.verdict is Verdict.VIOLATED
    assert len(l1.trace) < len(raw.trace)        # 47 steps found, fewer once shrunk
    assert l1.notes[1].startswith(f"shrunk to {len(l1.trace)} steps (the shortest run "
                                  f"found had {len(raw.trace)})")
    assert real(model, l1.trace)
    assert model.successors_of(l1.trace.final) == [] and orphaned(THREE_NODES, l1.trace.final)
    # an invariant's run too: S1's shortest found is already six steps
    assert len(shrunk.properties[0].trace) <= len(found.properties[0].trace)
