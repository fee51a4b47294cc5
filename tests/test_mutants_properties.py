"""The properties' building blocks, pinned where mutation testing found them unpinned:
L1's premise (some node up, the up nodes pairwise connected) and which groups count as
orphaned, the words of its explanation, the property constructors, and a trace's
replay refusing a path the model cannot take."""

from __future__ import annotations

import numpy as np
import pytest

from hacheck.checker.properties import (
    ALWAYS, AT_QUIESCENCE, TERMINATES, always, at_quiescence, terminates,
)
from hacheck.checker.trace import Step, Trace, replay
from hacheck.model import Config
from hacheck.model.heartbeat import HeartbeatModel
from hacheck.model.row import DOWN, UP
from hacheck.model.view import initial_state, pair_bit
from hacheck.properties.liveness import L0, L1, liveness_properties, orphaned

CFG = Config(N=3, home=(0, 1, 2))


def state(phases, own, cut=()):
    s = initial_state(CFG)
    nodes = tuple(n._replace(ph=ph) for n, ph in zip(s.nodes, phases))
    conn = s.conn
    for i, j in cut:
        conn &= ~pair_bit(i, j, CFG.N)
    return s._replace(nodes=nodes, own=tuple(own), conn=conn)


def test_a_group_held_by_an_up_node_is_not_orphaned_and_one_held_by_a_down_node_is():
    assert orphaned(CFG, state((UP, UP, UP), (1, 2, 4))) == []
    assert orphaned(CFG, state((UP, UP, DOWN), (1, 2, 4))) == [2]
    assert orphaned(CFG, state((UP, UP, UP), (3, 0, 0))) == [2]
    assert orphaned(CFG, state((UP, DOWN, DOWN), (1, 6, 0))) == [1, 2]


def test_l1_asks_nothing_without_an_up_node_or_while_the_up_nodes_are_partitioned():
    assert orphaned(CFG, state((DOWN, DOWN, DOWN), (0, 0, 0))) == []
    assert orphaned(CFG, state((UP, UP, UP), (0, 0, 0), cut=[(0, 2)])) == []
    assert orphaned(CFG, state((UP, UP, UP), (0, 0, 0), cut=[(2, 0)])) == []
    # a cut to a node that is down leaves the premise true
    assert orphaned(CFG, state((UP, UP, DOWN), (3, 0, 0), cut=[(0, 2)])) == [2]


def test_l1_explains_which_nodes_are_up_and_which_groups_no_one_holds():
    l1 = L1(CFG)
    settled = state((UP, DOWN, UP), (1, 0, 0))
    assert not l1.holds(settled) and l1.holds(state((UP, UP, UP), (1, 2, 4)))
    assert l1.explain(settled) == (
        "the protocol has settled with nodes 0, 2 up and connected, and no node holds "
        "group g1 (home node 1), group g2 (home node 2)")
    assert (l1.name, l1.kind) == ("L1", AT_QUIESCENCE)
    assert l1.description == "every resource group is eventually held"


def test_l0_is_the_termination_property_and_both_are_the_liveness_properties():
    l0 = L0(CFG)
    assert (l0.name, l0.kind) == ("L0", TERMINATES)
    assert l0.description == "the protocol always finishes (no endless protocol activity)"
    # the kinds are the words the JSON report and the gate's expectations store
    assert (ALWAYS, AT_QUIESCENCE, TERMINATES) == ("always", "at_quiescence", "terminates")
    assert l0.holds(None) is True
    assert [p.name for p in liveness_properties(CFG)] == ["L0", "L1"]


def test_the_constructors_give_each_kind_and_keep_what_they_are_given():
    explain, violated = (lambda s: "why"), (lambda rows: rows)
    p = always("S1", "d", bool, explain, violated, reads=["own", "ph"])
    assert (p.kind, p.explain, p.violated, p.reads) == (ALWAYS, explain, violated,
                                                         frozenset({"own", "ph"}))
    assert always("S1", "d", bool).reads is None
    q = at_quiescence("L", "d", bool, explain)
    assert (q.kind, q.explain, q.violated, q.reads) == (AT_QUIESCENCE, explain, None, None)
    t = terminates("T", "d")
    assert (t.kind, t.explain, t.holds("anything")) == (TERMINATES, None, True)


def test_a_trace_knows_its_states_its_end_and_its_length():
    empty = Trace("s0")
    assert (empty.states, empty.final, len(empty)) == (["s0"], "s0", 0)
    t = Trace("s0", (Step("a", "s1"), Step("b", "s2")))
    assert (t.states, t.final, len(t)) == (["s0", "s1", "s2"], "s2", 2)


def identity(words, hash_):
    return bytes(words.tobytes())


@pytest.fixture(scope="module")
def model():
    return HeartbeatModel(Config(N=2, home=(0, 1)))


def test_replay_rebuilds_a_path_by_its_states_and_refuses_one_the_model_cannot_take(model):
    start = model.initial_rows()
    succ = model.successors(start[:1], False, False)
    path = [start[0].view(np.uint64).tobytes(), succ.rows[1].view(np.uint64).tobytes()]
    trace = replay(model, path, False, identity)
    assert len(trace) == 1
    assert str(trace.steps[0].action) == str(model.action(int(succ.action[1])))
    with pytest.raises(RuntimeError, match="no initial state has the recorded key"):
        replay(model, [b"nowhere"] + path[1:], False, identity)
    with pytest.raises(RuntimeError, match="no successor at step 1 has the recorded key"):
        replay(model, [path[0], b"nowhere"], False, identity)
    # `same` decides what matches: here nothing after the start does
    with pytest.raises(RuntimeError, match="step 1"):
        replay(model, path, False, identity, same=lambda f, r: f == r == path[0])
