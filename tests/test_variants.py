"""Protocol variants (heartbeat-2000.md section 1.2): each failure scenario found in the
version where it exists, and shown gone in the version that fixed it."""

from __future__ import annotations

import pytest

from hacheck.checker import Verdict, always
from hacheck.model import Config
from hacheck.model.spec import load, parse
from hacheck.model.row import NONE, R_STABLE, UP
from hacheck.properties import all_properties
from hacheck.tools.run import search


def settles_claiming_nothing(state) -> bool:
    """P5's symptom: a node runs a group, has processed all it sent, has no script
    pending, is STABLE, and claims to hold nothing (i_hold_resources = none)."""
    return any(n.ph == UP and state.own[i] and n.ih == NONE and n.rs == R_STABLE
               and not n.selfq and n.chld == 0 and n.md == 0
               for i, n in enumerate(state.nodes))


P5_SYMPTOM = always("P5", "a node running a group claims it",
                    lambda s: not settles_claiming_nothing(s))


def test_in_1_51_a_lone_passive_node_runs_the_group_while_claiming_none():
    # heartbeat-2000.md P5: B (node 1, no local groups) boots alone, declares A dead;
    # mach_down takes a, but the child's `none` wipes B's claim.
    result = search(Config(N=2, home=(0,)), [P5_SYMPTOM], symmetry=False).result
    p5 = result.properties[0]
    assert p5.verdict is Verdict.VIOLATED
    names = [s.action.name for s in p5.trace.steps]
    assert names[:2] == ["BOOT", "DEAD"] and "MACHDOWN" in names and "CHILD" in names
    assert p5.trace.final.own[1] == 1 and p5.trace.final.nodes[1].ih == NONE


def test_in_1_65_the_child_announces_local_and_the_claim_survives():
    cfg = Config(N=2, home=(0,), version="1.65")
    result = search(cfg, [P5_SYMPTOM], symmetry=False, keep_going=True).result
    assert result.properties[0].verdict is Verdict.HOLDS and result.statistics.complete


@pytest.mark.parametrize("version, verdict", [("1.51", Verdict.VIOLATED),
                                              ("1.65", Verdict.HOLDS)])
def test_nodes_without_local_groups_announce_for_ever_only_before_1_65(version, verdict):
    # 1.51: `none` from the child wipes the peer's bits, which requests and announces
    # again, for ever (an L0 lasso in part of an infinite space). 1.65: finite and quiet.
    cfg = Config(N=2, home=(), version=version)
    result = search(cfg, all_properties(cfg), keep_going=True, max_states=200_000).result
    l0 = next(p for p in result.properties if p.name == "L0")
    assert l0.verdict is verdict
    if verdict is Verdict.HOLDS:
        assert result.statistics.complete


def test_1_65_changes_the_reachable_space_exactly_as_its_rules_say():
    """Layer D without reductions, N = 2, one group per node. 1.51's count without faults
    is model.md 6a's check value; 1.65's counts are computed at test time by Rumur from
    the Murphi encoding of bench/peers/murphi.py, written from model/README.md's prose
    "Version 1.65" independently of hacheck's model code (the same file with 1.51's rules
    must give the check value too). Without faults, 1.65's `os := 1` in mark_node_dead
    and its test on `os` (not on the message's flag) change no count; with one crash they
    do, so that configuration is compared too. Needs rumur and a C compiler: the test
    fails, never skips, without them."""
    from bench.peers.murphi import rumur_count

    def counts(cfg):
        result = search(cfg, [], symmetry=False, keep_going=True).result
        assert result.statistics.complete
        return result.statistics.distinct_states, rumur_count(cfg)

    hacheck_151, rumur_151 = counts(Config(N=2, home=(0, 1), version="1.51"))
    assert hacheck_151 == rumur_151 == 165_598
    hacheck_165, rumur_165 = counts(Config(N=2, home=(0, 1), version="1.65"))
    assert hacheck_165 == rumur_165 != hacheck_151
    hacheck_crash, rumur_crash = counts(Config(N=2, home=(0, 1), version="1.65", crashes=1))
    assert hacheck_crash == rumur_crash


def test_the_1_65_spec_is_shipped_and_a_bad_version_is_refused():
    spec = load("heartbeat-1.65")
    assert spec.config().version == "1.65"
    with pytest.raises(ValueError, match=r'protocol.version: expected "1.51" or "1.65"'):
        parse({"protocol": {"version": "1.99"}}, "v.toml")


# --- the unsequenced transport (1.40-style NS_ messages) ---------------------------------

def test_the_unsequenced_network_loses_or_repeats_only_starting_and_resource_messages():
    from hacheck.model import HeartbeatModel
    from hacheck.model.view import STARTING, initial_state
    cfg = Config(N=2, home=(0, 1), transport="unsequenced", losses=2)
    model = HeartbeatModel(cfg)
    s = initial_state(cfg)
    for step in (("BOOT", 0), ("BOOT", 1), ("HEAR", 0, 1)):
        s = model.take(s, *step)
    assert s.ch[1] == (STARTING(0),)                        # ch[0][1]
    twice = model.take(s, "DUPLICATE", 0, 1)
    assert twice.ch[1] == (STARTING(0), STARTING(0)) and twice.losses_left == 1
    lost = model.take(twice, "LOSE", 0, 1)
    assert lost.ch[1] == (STARTING(0),) and lost.losses_left == 0
    assert model.take(lost, "LOSE", 0, 1) is None           # the budget is spent
    sequenced = HeartbeatModel(Config(N=2, home=(0, 1)))
    assert all(a.name not in ("LOSE", "DUPLICATE") for a in sequenced.table)


@pytest.mark.parametrize("transport, losses, verdict", [
    ("unsequenced", 2, Verdict.VIOLATED), ("sequenced", 0, Verdict.HOLDS)])
def test_lost_start_messages_leave_both_nodes_waiting_for_ever(transport, losses, verdict):
    # heartbeat-2000.md P7: there is no timer out of R_STARTING; only sequence numbers
    # (1.51) make sure a `starting` arrives.
    from hacheck.model.row import R_STARTING
    from hacheck.properties import liveness_properties
    cfg = Config(N=2, home=(0, 1), transport=transport, losses=losses)
    result = search(cfg, liveness_properties(cfg), max_states=150_000).result
    l1 = next(p for p in result.properties if p.name == "L1")
    assert l1.verdict is verdict
    if verdict is Verdict.VIOLATED:
        names = [s.action.name for s in l1.trace.steps]
        assert names.count("LOSE") == 2 and len(names) == 8
        assert all(n.rs == R_STARTING for n in l1.trace.final.nodes)
        assert "group g0 (home node 0), group g1 (home node 1)" in l1.explanation


def test_losses_need_the_unsequenced_transport():
    with pytest.raises(ValueError, match=r"faults.losses: expected 0 with the sequenced"):
        parse({"faults": {"losses": 1}}, "l.toml")
    with pytest.raises(ValueError, match=r'protocol.transport: expected "sequenced" or'):
        parse({"protocol": {"transport": "udp"}}, "l.toml")
    assert load("unsequenced").config().losses == 2


def test_a_repeated_message_keeps_its_send_time_in_timed_runs():
    # The copy DUPLICATE makes was sent when the original was: it must be delivered within
    # dmax of that send, which both the timed model and the independent check know.
    from fractions import Fraction
    from reference_timed_model import TimedHeartbeat   # steps by name, in plain Python
    from hacheck.model.timing import TimingParameters
    from hacheck.witness import timestamps as timing
    from hacheck.witness.replay import check_timed_run
    cfg = Config(N=2, home=(0, 1), transport="unsequenced", losses=1)
    params = TimingParameters(dmin=Fraction(1, 10))
    model = TimedHeartbeat(cfg, params)
    ts = model.initial()[0]
    steps = []
    for name in ("BOOT(0)", "BOOT(1)", "HEAR(0, 1)", "SELF(0)", "DUPLICATE(0, 1)",
                 "DELIVER(0, 1)", "DELIVER(0, 1)"):
        action, ts = next((a, t) for a, t in model.successors(ts, False) if str(a) == name)
        steps.append((action, ts))
    initial = model.initial()[0]
    times = timing.timestamps(timing.run_constraints(cfg, initial, steps), len(steps), params)
    assert times is not None
    send, copy = times[2], times[6]           # HEAR(0, 1) links node 0 up and sends STARTING
    assert Fraction(1, 10) <= copy - send <= Fraction(1, 2)
    states = [initial.state] + [t.state for _, t in steps]
    actions = [a for a, _ in steps]
    assert check_timed_run(cfg, params, states, actions, times) == []
    late = times[:6] + [send + 1]             # the copy a second after its send: not real
    assert check_timed_run(cfg, params, states, actions, late)


# --- with real timers ------------------------------------------------------------------------

@pytest.mark.parametrize("version, verdict", [("1.51", Verdict.VIOLATED),
                                              ("1.65", Verdict.HOLDS)])
def test_the_late_boot_forced_take_is_real_in_1_51_and_gone_in_1_65(version, verdict):
    # P3 with real timers: node 0 declares node 1 dead just as node 1 boots. In 1.51 node
    # 0's announcements do not claim node 1's group until its mach_down has run, so node 1
    # asks for it while mach_down takes it, and req_resource's forced take makes two
    # holders. In 1.65 mark_node_dead claims FOREIGN at once, and node 1 stays passive.
    from hacheck.model.timing import TimingParameters
    from hacheck.tools.run import timed_search
    cfg = Config(N=2, home=(0, 1), version=version)
    result, _ = timed_search(cfg, TimingParameters())
    s1 = result.properties[0]
    assert s1.verdict is verdict
    if verdict is Verdict.VIOLATED:
        assert s1.trace.steps[-1].action.name == "FORCETAKE"
    else:
        assert result.statistics.complete


def test_three_nodes_still_double_take_a_dead_node_s_group_in_1_65():
    # P4: no heartbeat version fixed it (two-node assumption A4); recorded as such.
    from hacheck.model.timing import TimingParameters
    from hacheck.tools.run import timed_search
    cfg = Config(N=3, home=(0, 1, 2), version="1.65")
    result, _ = timed_search(cfg, TimingParameters())
    s1 = result.properties[0]
    assert s1.verdict is Verdict.VIOLATED
    machdowns = [s.action.args for s in s1.trace.steps if s.action.name == "MACHDOWN"]
    assert len(machdowns) == 2 and machdowns[0][1] == machdowns[1][1]   # the same dead node
