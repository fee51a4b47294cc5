"""A search over several worker processes is the same search as over one."""

import pytest

from hacheck.checker import explore
from hacheck.model import Config, HeartbeatModel
from hacheck.properties import safety_properties


@pytest.mark.parametrize("cfg", [
    Config(N=2, home=(0, 1), crashes=1, restarts=1),
    Config(N=3, home=(0, 1, 2), crashes=1, restarts=1),
    Config(N=2, home=(0,), link_toggles=2),
], ids=str)
@pytest.mark.parametrize("symmetry", [True, False])
def test_two_workers_find_the_same_shortest_trace_as_one(cfg, symmetry):
    model = HeartbeatModel(cfg)
    one = explore(model, safety_properties(cfg), symmetry=symmetry, workers=1)
    two = explore(model, safety_properties(cfg), symmetry=symmetry, workers=2)
    assert one.properties[0].trace == two.properties[0].trace
    assert one.statistics.distinct_states == two.statistics.distinct_states


def test_two_workers_count_the_same_states_and_violations_over_a_budget():
    cfg = Config(N=3, home=(0, 1, 2), crashes=1)
    model = HeartbeatModel(cfg)
    runs = [explore(model, safety_properties(cfg), keep_going=True, max_states=30_000, workers=w)
            for w in (1, 2)]
    one, two = (r.statistics for r in runs)
    assert (one.distinct_states, one.transitions, one.max_depth) == \
        (two.distinct_states, two.transitions, two.max_depth)
    assert runs[0].properties[0].violating_states == runs[1].properties[0].violating_states
