"""Every action of model.md section 4 and every helper of section 3, one claim per test.

States are built by hand; each test states the guard (enabled / disabled) or the exact
effect that model.md prescribes. Expected values come from model.md's text.
"""

from __future__ import annotations

import pytest

from hacheck.checker import ModelBoundError
from hacheck.model.config import Config
from hacheck.model.heartbeat import HeartbeatModel
from hacheck.model.heartbeat_c import check_comm_isup as commup_check, send
from hacheck.model.row import (
    ALL, COMM_LINKSUP, COMM_STARTING, DOWN, F, L, NONE, PRE, R_BOTHSTARTING, R_INIT,
    R_RSCRCVD, R_STABLE, R_STARTING, ST_ABSENT, UP,
)
from hacheck.model.rules import mark_node_dead, process_resources, req_our_resources
from hacheck.model.state import BOUND_TEXT, STATUS, geometry
from hacheck.model.view import (
    IPREQ, IPRESP, RES, STARTING, ClusterState, NodeState, initial_state, message_code, pack,
    pair_bit, unpack,
)

# --- the compiled model, driven one readable state at a time ------------------------------

_MODELS: dict = {}


def _model(cfg) -> HeartbeatModel:
    if cfg not in _MODELS:
        _MODELS[cfg] = HeartbeatModel(cfg)
    return _MODELS[cfg]


def _action(name):
    def act(cfg, s, *args):
        return _model(cfg).take(s, name, *args)
    act.__name__ = name
    return act


(BOOT, CRASH, RESTART, LINK, DELIVER, SELF, HEAR, DEAD, MACHDOWN, CHILD, FORCETAKE,
 RSCRCVD_TIMEOUT) = map(_action, ("BOOT", "CRASH", "RESTART", "LINK", "DELIVER", "SELF",
                                   "HEAR", "DEAD", "MACHDOWN", "CHILD", "FORCETAKE",
                                   "RSCRCVD_TIMEOUT"))


def run_helper(cfg, s, helper, *args) -> ClusterState:
    """Run a compiled helper of model.md section 3 on a readable state. A message is given
    as a tuple (`RES(1, NONE, 1, 0)`); the helper gets its byte, and process_resources
    also its sender."""
    k = geometry(cfg)
    t = pack(k, s)
    passed = []
    for a in args:
        if isinstance(a, tuple):
            if helper is process_resources:
                passed.append(a[1])
            passed.append(message_code(a))
        else:
            passed.append(a)
    helper(k, t, *passed)
    if t[STATUS]:
        raise ModelBoundError(BOUND_TEXT[int(t[STATUS])])
    return unpack(k, t)


# --- builders ----------------------------------------------------------------------------

CFG = Config()                               # N = 2, home = (0, 1), nice_failback on
OFF = Config(nice_failback=False)            # the same cluster, legacy startup
THREE = Config(N=3, home=(0, 1, 2))
G0, G1, G2 = 1, 2, 4                  # group bits of `own` and `rq`


def peers(cfg, i):
    """The mask of every node but i."""
    return ((1 << cfg.N) - 1) & ~(1 << i)


def booted(cfg=CFG, **fields) -> NodeState:
    """A node that is up with its boot values (model.md section 2), then `fields`."""
    boot = NodeState(ph=UP, comm=COMM_LINKSUP if cfg.N == 1 else COMM_STARTING, heard=0,
                     dead=0, rs=R_INIT, ih=NONE, oh=NONE, os=0, tip=0, rry=0, chld=0, md=0,
                     selfq=())
    return boot._replace(**fields)


def linked(cfg, i, **fields) -> NodeState:
    """An up node i that has heard every peer: COMM_LINKSUP."""
    return booted(cfg, comm=COMM_LINKSUP, heard=peers(cfg, i))._replace(**fields)


def cluster(cfg, *nodes, own=None, rq=0, crashes=0, restarts=0, toggles=0) -> ClusterState:
    """The initial state with the given nodes (the rest stay `pre`) and ownership."""
    s = initial_state(cfg)
    nodes = tuple(nodes) + s.nodes[len(nodes):]
    return s._replace(nodes=nodes, own=tuple(own) if own is not None else s.own, rq=rq,
                      crashes_left=crashes, restarts_left=restarts, toggles_left=toggles)


def pair(cfg=CFG, n0=None, n1=None, **kw) -> ClusterState:
    """Two linked-up nodes with the given fields."""
    return cluster(cfg, linked(cfg, 0, **(n0 or {})), linked(cfg, 1, **(n1 or {})), **kw)


def chan(cfg, s, i, j) -> tuple:
    return s.ch[i * cfg.N + j]


def with_chan(cfg, s, i, j, *msgs) -> ClusterState:
    ch = list(s.ch)
    ch[i * cfg.N + j] = tuple(msgs)
    return s._replace(ch=tuple(ch))


def with_node(s, i, **fields) -> ClusterState:
    nodes = list(s.nodes)
    nodes[i] = nodes[i]._replace(**fields)
    return s._replace(nodes=tuple(nodes))


def cut(cfg, s, i, j) -> ClusterState:
    return s._replace(conn=s.conn & ~pair_bit(i, j, cfg.N))


def deliver(cfg, s, m, i=0, j=1):
    """Put m alone on ch[i][j] and deliver it."""
    return DELIVER(cfg, with_chan(cfg, s, i, j, m), i, j)


def own_msg(cfg, s, i, m):
    """Put m alone in i's status pipe and let i process it."""
    return SELF(cfg, with_node(s, i, selfq=(m,)), i)


# --- BOOT --------------------------------------------------------------------------------

def test_boot_starts_a_pre_node_with_its_boot_values():
    s = initial_state(CFG)
    t = BOOT(CFG, s, 0)
    expected = NodeState(ph=UP, comm=COMM_STARTING, heard=0, dead=0, rs=R_INIT, ih=NONE,
                         oh=NONE, os=0, tip=0, rry=0, chld=0, md=0, selfq=())
    assert t == s._replace(nodes=(expected, s.nodes[1]))


def test_boot_of_the_only_node_of_a_one_node_cluster_is_already_linked_up():
    cfg = Config(N=1, home=(0,))
    t = BOOT(cfg, initial_state(cfg), 0)
    assert t.nodes[0].comm == COMM_LINKSUP
    assert t.nodes[0].rs == R_INIT


@pytest.mark.parametrize("ph", [UP, DOWN])
def test_boot_is_disabled_for_a_node_that_has_booted_before(ph):
    s = cluster(CFG, booted()._replace(ph=ph))
    assert BOOT(CFG, s, 0) is None


# --- CRASH -------------------------------------------------------------------------------

def test_crash_resets_the_node_drops_its_groups_and_its_inbound_messages():
    s = pair(n0=dict(rs=R_STABLE, ih=L, oh=L, os=1, tip=1, chld=1, md=G1,
                     selfq=(RES(0, L, 1, 0),)),
             own=(G0, G1), rq=G0 | G1, crashes=1)
    s = with_chan(CFG, s, 1, 0, RES(1, L, 1, 0))
    s = with_chan(CFG, s, 0, 1, RES(0, L, 1, 0))
    t = CRASH(CFG, s, 0)
    assert t.nodes[0] == booted()._replace(ph=DOWN)
    assert t.nodes[1] == s.nodes[1]
    assert t.own == (0, G1)
    assert t.rq == G1                          # rq[g0] is node 0's: back to idle
    assert chan(CFG, t, 1, 0) == ()
    assert chan(CFG, t, 0, 1) == (RES(0, L, 1, 0),)   # already on the wire: stays
    assert t.crashes_left == 0


def test_crash_is_disabled_when_the_crash_budget_is_spent():
    assert CRASH(CFG, pair(crashes=0), 0) is None


@pytest.mark.parametrize("ph", [PRE, DOWN])
def test_crash_is_disabled_for_a_node_that_is_not_up(ph):
    s = cluster(CFG, booted()._replace(ph=ph), crashes=1)
    assert CRASH(CFG, s, 0) is None


# --- RESTART -----------------------------------------------------------------------------

def test_restart_brings_a_crashed_node_up_with_boot_values_and_spends_a_restart():
    s = cluster(CFG, booted()._replace(ph=DOWN), booted(), restarts=2)
    t = RESTART(CFG, s, 0)
    assert t.nodes[0] == booted()
    assert t.restarts_left == 1
    assert t._replace(nodes=s.nodes, restarts_left=2) == s


def test_restart_is_disabled_when_the_restart_budget_is_spent():
    s = cluster(CFG, booted()._replace(ph=DOWN), restarts=0)
    assert RESTART(CFG, s, 0) is None


def test_restart_is_disabled_for_a_node_that_never_booted():
    assert RESTART(CFG, cluster(CFG, restarts=1), 0) is None


# --- LINK --------------------------------------------------------------------------------

def test_link_cuts_an_up_link_and_keeps_its_messages():
    s = with_chan(CFG, pair(toggles=2), 0, 1, STARTING(0))
    t = LINK(CFG, s, 0, 1)
    assert not t.conn & pair_bit(0, 1, 2)
    assert chan(CFG, t, 0, 1) == (STARTING(0),)
    assert t.toggles_left == 1


def test_link_heals_a_cut_link():
    s = cut(CFG, pair(toggles=1), 0, 1)
    t = LINK(CFG, s, 0, 1)
    assert t.conn & pair_bit(0, 1, 2)
    assert t.toggles_left == 0


def test_link_needs_no_node_up():
    assert LINK(CFG, cluster(CFG, toggles=1), 0, 1) is not None


def test_link_is_disabled_when_the_toggle_budget_is_spent():
    assert LINK(CFG, pair(toggles=0), 0, 1) is None


# --- DELIVER: guard and common effects ---------------------------------------------------

def test_deliver_is_disabled_on_an_empty_channel():
    assert DELIVER(CFG, pair(), 0, 1) is None


def test_deliver_is_disabled_while_the_link_is_cut():
    s = cut(CFG, with_chan(CFG, pair(), 0, 1, STARTING(0)), 0, 1)
    assert DELIVER(CFG, s, 0, 1) is None


@pytest.mark.parametrize("ph", [PRE, DOWN])
def test_deliver_is_disabled_for_a_receiver_that_is_not_up(ph):
    s = with_chan(CFG, pair(n1=dict(ph=ph)), 0, 1, IPREQ(0, 0))
    assert DELIVER(CFG, s, 0, 1) is None


def test_deliver_pops_only_the_head_of_the_channel():
    s = with_chan(CFG, pair(), 0, 1, IPREQ(0, 0), STARTING(0))
    t = DELIVER(CFG, s, 0, 1)
    assert chan(CFG, t, 0, 1) == (STARTING(0),)


def test_a_message_from_a_crashed_sender_is_still_delivered():
    s = pair(n0=dict(ph=DOWN), own=(0, G0 | G1))
    t = deliver(CFG, s, IPREQ(0, 0))
    assert t is not None
    assert t.own == (0, G1)


def test_a_delivered_packet_marks_its_sender_heard_but_links_up_only_when_all_are_heard():
    s = cluster(THREE, linked(THREE, 0), linked(THREE, 1), booted(THREE))
    t = deliver(THREE, s, IPREQ(0, 0), 0, 2)
    assert t.nodes[2].heard == 1 << 0
    assert t.nodes[2].comm == COMM_STARTING


def test_a_delivery_does_not_revive_a_peer_declared_dead():
    s = pair(n1=dict(rs=R_STABLE, dead=1 << 0))
    t = deliver(CFG, s, IPREQ(0, 0))
    assert t.nodes[1].dead == 1 << 0


def test_the_message_that_completes_linksup_is_processed_after_the_starting_announcement():
    s = cluster(CFG, linked(CFG, 0, rs=R_STARTING), booted())
    t = deliver(CFG, s, STARTING(0))
    n1 = t.nodes[1]
    assert (n1.heard, n1.comm) == (1 << 0, COMM_LINKSUP)
    # commup_check announces STARTING (rs := STARTING), then the peer's STARTING finds
    # rs = STARTING: BOTHSTARTING and a reply with claim none, unstable.
    assert n1.rs == R_BOTHSTARTING
    assert n1.selfq == (STARTING(1), RES(1, NONE, 0, 0))
    assert chan(CFG, t, 1, 0) == (STARTING(1), RES(1, NONE, 0, 0))


# --- DELIVER STARTING ----------------------------------------------------------------------

def test_a_starting_message_in_init_gets_no_reply():
    s = pair(n1=dict(rs=R_INIT, os=1, tip=1, ih=L))
    assert deliver(CFG, s, STARTING(0)) == s


def test_a_starting_message_in_bothstarting_gets_no_reply():
    s = pair(n1=dict(rs=R_BOTHSTARTING, os=1, tip=1, ih=L))
    assert deliver(CFG, s, STARTING(0)) == s


def test_a_starting_message_in_starting_moves_to_bothstarting_and_replies_unstable():
    s = pair(n1=dict(rs=R_STARTING, os=1))
    t = deliver(CFG, s, STARTING(0))
    assert t == with_chan(CFG, with_node(s, 1, rs=R_BOTHSTARTING, os=0,
                                         selfq=(RES(1, NONE, 0, 0),)),
                          1, 0, RES(1, NONE, 0, 0))


def test_a_starting_message_in_stable_is_answered_with_a_stable_claim():
    s = pair(n1=dict(rs=R_STABLE, ih=ALL, os=1))
    t = deliver(CFG, s, STARTING(0))
    assert t.nodes[1] == s.nodes[1]._replace(os=0, selfq=(RES(1, ALL, 1, 0),))
    assert chan(CFG, t, 1, 0) == (RES(1, ALL, 1, 0),)


def test_a_starting_message_in_rscrcvd_keeps_rscrcvd_and_is_answered_unstable():
    s = pair(n1=dict(rs=R_RSCRCVD, ih=L, os=1))
    t = deliver(CFG, s, STARTING(0))
    assert t.nodes[1] == s.nodes[1]._replace(os=0, selfq=(RES(1, L, 0, 0),))


def test_a_takeover_in_progress_fudges_foreign_into_the_reply():
    s = pair(n1=dict(rs=R_STABLE, ih=L, tip=1))
    t = deliver(CFG, s, STARTING(0))
    assert t.nodes[1].ih == ALL
    assert t.nodes[1].tip == 1
    assert t.nodes[1].selfq == (RES(1, ALL, 1, 0),)


def test_without_a_takeover_in_progress_the_claim_is_not_fudged():
    s = pair(n1=dict(rs=R_STABLE, ih=L, tip=0))
    t = deliver(CFG, s, STARTING(0))
    assert t.nodes[1].ih == L
    assert t.nodes[1].selfq == (RES(1, L, 1, 0),)


def test_fudging_leaves_a_claim_that_already_has_foreign_unchanged():
    s = pair(n1=dict(rs=R_STABLE, ih=F, tip=1))
    t = deliver(CFG, s, STARTING(0))
    assert t.nodes[1].ih == F
    assert t.nodes[1].selfq == (RES(1, F, 1, 0),)


def test_an_own_starting_message_is_ignored():
    s = pair(n0=dict(rs=R_STARTING, os=1, tip=1, ih=L))
    t = own_msg(CFG, s, 0, STARTING(0))
    assert t == s


# --- DELIVER RES (from a peer) ---------------------------------------------------------------

def test_a_resource_message_in_init_is_ignored():
    s = pair(n1=dict(rs=R_INIT, os=0, oh=NONE))
    assert deliver(CFG, s, RES(0, ALL, 1, 0)) == s


def test_a_peer_claiming_none_makes_a_starting_node_stable_and_request_its_groups():
    s = pair(n1=dict(rs=R_STARTING))
    t = deliver(CFG, s, RES(0, NONE, 1, 0))
    assert t.nodes[1] == s.nodes[1]._replace(rs=R_STABLE, os=1, oh=NONE, ih=L, chld=1,
                                             selfq=(RES(1, L, 1, 0),))
    assert chan(CFG, t, 1, 0) == (RES(1, L, 1, 0),)


def test_a_peer_claiming_foreign_keeps_a_starting_node_passive():
    s = pair(n1=dict(rs=R_STARTING))
    t = deliver(CFG, s, RES(0, ALL, 1, 0))
    assert t.nodes[1] == s.nodes[1]._replace(rs=R_STABLE, os=1, oh=ALL)
    assert chan(CFG, t, 1, 0) == ()


def test_a_peer_resource_message_in_bothstarting_moves_to_rscrcvd_without_requesting():
    s = pair(n1=dict(rs=R_BOTHSTARTING, os=1))
    t = deliver(CFG, s, RES(0, L, 0, 0))
    assert t.nodes[1] == s.nodes[1]._replace(rs=R_RSCRCVD, os=0, oh=L)
    assert chan(CFG, t, 1, 0) == ()


def test_a_peer_resource_message_in_rscrcvd_makes_the_node_stable_and_request():
    s = pair(n1=dict(rs=R_RSCRCVD))
    t = deliver(CFG, s, RES(0, NONE, 1, 0))
    assert t.nodes[1] == s.nodes[1]._replace(rs=R_STABLE, os=1, ih=L, chld=1,
                                             selfq=(RES(1, L, 1, 0),))


def test_a_peer_resource_message_in_stable_requests_again_when_the_guard_allows():
    s = pair(n1=dict(rs=R_STABLE, ih=F, oh=NONE))
    t = deliver(CFG, s, RES(0, L, 1, 0))
    assert t.nodes[1] == s.nodes[1]._replace(os=1, oh=L, ih=ALL, chld=1,
                                             selfq=(RES(1, ALL, 1, 0),))


def test_a_peer_none_claim_wipes_every_bit_of_other_holds():
    s = pair(n1=dict(rs=R_STABLE, ih=L, oh=ALL))
    t = deliver(CFG, s, RES(0, NONE, 1, 0))
    assert t.nodes[1].oh == NONE
    assert t.nodes[1].chld == 0               # ih & L: req_our_resources does nothing


def test_peer_claims_other_than_none_accumulate_into_other_holds():
    s = pair(n1=dict(rs=R_STABLE, ih=L, oh=L))
    t = deliver(CFG, s, RES(0, F, 1, 0))
    assert t.nodes[1].oh == ALL


def test_an_absent_stable_flag_leaves_other_is_stable_unchanged():
    s = pair(n1=dict(rs=R_STABLE, ih=L, os=1))
    t = deliver(CFG, s, RES(0, F, ST_ABSENT, 1))
    assert t.nodes[1].os == 1
    assert t.nodes[1].oh == F


def test_a_peers_mach_down_flag_does_not_end_our_takeover():
    s = pair(n1=dict(rs=R_STABLE, ih=ALL, tip=1, os=0))
    t = deliver(CFG, s, RES(0, F, ST_ABSENT, 1))
    assert t.nodes[1].tip == 1
    assert t.nodes[1].os == 0


def test_resource_messages_are_ignored_with_nice_failback_off():
    s = pair(OFF, n1=dict(rs=R_STARTING))
    assert deliver(OFF, s, RES(0, NONE, 1, 0)) == s


def test_starting_messages_are_ignored_with_nice_failback_off():
    s = pair(OFF, n1=dict(rs=R_STARTING))
    assert deliver(OFF, s, STARTING(0)) == s


# --- DELIVER IPREQ / IPRESP ------------------------------------------------------------------

def test_an_ip_request_for_a_held_group_gives_it_up_and_answers():
    s = pair(own=(0, G0 | G1))
    t = deliver(CFG, s, IPREQ(0, 0))
    assert t.own == (0, G1)
    assert t.nodes[1].selfq == (IPRESP(1, 0, 0),)
    assert chan(CFG, t, 1, 0) == (IPRESP(1, 0, 0),)


def test_an_ip_request_for_a_group_not_held_changes_nothing():
    s = pair(own=(0, G1))
    assert deliver(CFG, s, IPREQ(0, 0)) == s


def test_an_ip_request_is_served_before_linksup():
    s = cluster(THREE, linked(THREE, 0), linked(THREE, 1), booted(THREE), own=(0, 0, G0))
    t = deliver(THREE, s, IPREQ(0, 0), 0, 2)
    assert t.nodes[2].comm == COMM_STARTING
    assert t.own == (0, 0, 0)
    assert t.nodes[2].selfq == (IPRESP(2, 0, 0),)
    assert chan(THREE, t, 2, 0) == (IPRESP(2, 0, 0),)
    assert chan(THREE, t, 2, 1) == (IPRESP(2, 0, 0),)


def test_an_ip_response_addressed_to_the_receiver_gives_it_the_group():
    s = pair(own=(0, G1))
    t = deliver(CFG, s, IPRESP(1, 0, 0), 1, 0)
    assert t.own == (G0, G1)


def test_an_ip_response_addressed_to_another_node_is_ignored():
    s = cluster(THREE, *(linked(THREE, i) for i in range(3)), own=(0, 0, G2))
    t = deliver(THREE, s, IPRESP(1, 0, 0), 1, 2)
    assert t.own == (0, 0, G2)


# --- SELF --------------------------------------------------------------------------------------

def test_self_is_disabled_on_an_empty_status_pipe():
    assert SELF(CFG, pair(), 0) is None


def test_self_is_disabled_for_a_node_that_is_not_up():
    s = with_node(pair(), 0, ph=DOWN, selfq=(STARTING(0),))
    assert SELF(CFG, s, 0) is None


def test_self_pops_only_the_head_of_the_status_pipe():
    s = with_node(pair(n0=dict(rs=R_STARTING)), 0, selfq=(STARTING(0), RES(0, L, 1, 0)))
    t = SELF(CFG, s, 0)
    assert t.nodes[0].selfq == (RES(0, L, 1, 0),)


def test_an_own_resource_message_in_starting_moves_to_rscrcvd_and_rewrites_i_hold():
    s = pair(n0=dict(rs=R_STARTING, ih=L, tip=1, os=0))
    t = own_msg(CFG, s, 0, RES(0, L, 1, 0))
    assert t.nodes[0] == s.nodes[0]._replace(rs=R_RSCRCVD, ih=L)   # md = 0: tip, os kept


def test_an_own_resource_message_in_bothstarting_moves_to_rscrcvd():
    s = pair(n0=dict(rs=R_BOTHSTARTING))
    t = own_msg(CFG, s, 0, RES(0, NONE, 0, 0))
    assert t.nodes[0] == s.nodes[0]._replace(rs=R_RSCRCVD, ih=NONE)


def test_an_own_resource_message_never_makes_the_node_stable_nor_requests():
    s = pair(n0=dict(rs=R_RSCRCVD, ih=NONE))
    t = own_msg(CFG, s, 0, RES(0, L, 1, 0))
    assert t.nodes[0] == s.nodes[0]._replace(ih=L)
    assert t.nodes[0].chld == 0


def test_an_own_resource_message_in_init_is_ignored():
    s = pair(n0=dict(rs=R_INIT, ih=NONE))
    assert own_msg(CFG, s, 0, RES(0, L, 1, 0)) == s


def test_an_own_mach_down_announcement_ends_the_takeover_and_sets_other_is_stable():
    s = pair(n0=dict(rs=R_STABLE, ih=L, tip=1, os=0))
    t = own_msg(CFG, s, 0, RES(0, F, ST_ABSENT, 1))
    assert t.nodes[0] == s.nodes[0]._replace(ih=ALL, tip=0, os=1)


def test_an_own_none_announcement_wipes_i_hold():
    s = pair(n0=dict(rs=R_STABLE, ih=ALL))
    t = own_msg(CFG, s, 0, RES(0, NONE, 1, 0))
    assert t.nodes[0].ih == NONE


def test_self_ignores_its_own_ip_request():
    s = pair(own=(G0, 0))
    assert own_msg(CFG, s, 0, IPREQ(0, 0)) == s


def test_self_ignores_its_own_ip_response_even_one_addressed_to_itself():
    s = pair(own=(0, G1))
    assert own_msg(CFG, s, 0, IPRESP(0, 0, 0)) == s


def test_processing_an_own_message_does_not_hear_a_peer():
    s = cluster(CFG, booted(selfq=(IPREQ(0, 0),)), booted())
    t = SELF(CFG, s, 0)
    assert (t.nodes[0].heard, t.nodes[0].comm) == (0, COMM_STARTING)


# --- process_resources guards (helper) -----------------------------------------------------

def test_process_resources_does_nothing_before_linksup():
    s = cluster(CFG, booted(rs=R_STARTING), booted())
    assert run_helper(CFG, s, process_resources, 0, STARTING(1)) == s
    assert run_helper(CFG, s, process_resources, 0, RES(1, NONE, 1, 0)) == s


def test_process_resources_does_nothing_with_nice_failback_off():
    s = pair(OFF, n0=dict(rs=R_STARTING))
    assert run_helper(OFF, s, process_resources, 0, STARTING(1)) == s
    assert run_helper(OFF, s, process_resources, 0, RES(0, L, 1, 0)) == s


# --- HEAR and commup_check ---------------------------------------------------------------------

def test_hearing_the_last_silent_peer_links_up_and_announces_starting():
    s = cluster(CFG, booted(), booted())
    t = HEAR(CFG, s, 0, 1)
    assert t.nodes[0] == booted(heard=1 << 1, comm=COMM_LINKSUP, rs=R_STARTING,
                                selfq=(STARTING(0),))
    assert chan(CFG, t, 0, 1) == (STARTING(0),)


def test_hearing_one_of_two_peers_does_not_link_up():
    s = cluster(THREE, booted(THREE), booted(THREE), booted(THREE))
    t = HEAR(THREE, s, 0, 1)
    assert t.nodes[0] == booted(THREE, heard=1 << 1)


def test_hearing_a_peer_declared_dead_revives_it_without_a_new_announcement():
    s = pair(n0=dict(rs=R_STABLE, dead=1 << 1))
    t = HEAR(CFG, s, 0, 1)
    assert t.nodes[0] == s.nodes[0]._replace(dead=0)
    assert chan(CFG, t, 0, 1) == ()


def test_hear_is_disabled_for_a_peer_already_heard_and_alive():
    assert HEAR(CFG, pair(), 0, 1) is None


@pytest.mark.parametrize("ph", [PRE, DOWN])
def test_hear_is_disabled_while_the_peer_is_not_up(ph):
    s = cluster(CFG, booted(), booted()._replace(ph=ph))
    assert HEAR(CFG, s, 0, 1) is None


def test_hear_is_disabled_while_the_link_is_cut():
    s = cut(CFG, cluster(CFG, booted(), booted()), 0, 1)
    assert HEAR(CFG, s, 0, 1) is None


def test_hear_is_disabled_for_a_hearer_that_is_not_up():
    s = cluster(CFG, booted()._replace(ph=PRE), booted())
    assert HEAR(CFG, s, 0, 1) is None


def test_linksup_with_nice_failback_off_requests_the_groups_once_without_messages():
    s = cluster(OFF, booted(OFF), booted(OFF))
    t = HEAR(OFF, s, 0, 1)
    assert t.nodes[0] == booted(OFF, heard=1 << 1, comm=COMM_LINKSUP, rry=1, chld=1)
    assert chan(OFF, t, 0, 1) == ()


def test_commup_check_with_nice_failback_off_requests_nothing_if_already_requested():
    s = cluster(OFF, booted(OFF, heard=1 << 1, rry=1), booted(OFF))
    t = run_helper(OFF, s, commup_check, 0)
    assert t.nodes[0] == s.nodes[0]._replace(comm=COMM_LINKSUP)


def test_commup_check_announces_starting_only_from_init():
    s = cluster(CFG, booted(heard=1 << 1, rs=R_RSCRCVD), booted())
    t = run_helper(CFG, s, commup_check, 0)
    assert t.nodes[0] == s.nodes[0]._replace(comm=COMM_LINKSUP)


def test_commup_check_does_nothing_once_linked_up():
    s = pair(n0=dict(rs=R_INIT))
    assert run_helper(CFG, s, commup_check, 0) == s


def test_commup_check_waits_while_a_peer_is_unheard():
    s = cluster(CFG, booted(), booted())
    assert run_helper(CFG, s, commup_check, 0) == s


# --- DEAD and mark_node_dead -----------------------------------------------------------------

def test_dead_is_disabled_while_the_peer_is_up_and_connected():
    assert DEAD(CFG, pair(), 0, 1) is None


def test_dead_is_disabled_for_a_peer_already_declared_dead():
    s = cluster(CFG, booted(dead=1 << 1, heard=1 << 1, comm=COMM_LINKSUP))
    assert DEAD(CFG, s, 0, 1) is None


def test_dead_is_disabled_for_a_node_that_is_not_up():
    s = cluster(CFG, booted()._replace(ph=DOWN))
    assert DEAD(CFG, s, 0, 1) is None


@pytest.mark.parametrize("ph", [PRE, DOWN])
def test_dead_is_enabled_for_a_peer_that_is_not_up(ph):
    s = cluster(CFG, booted(), booted()._replace(ph=ph))
    assert DEAD(CFG, s, 0, 1) is not None


def test_declaring_a_silent_peer_dead_claims_local_then_links_up():
    s = cluster(CFG, booted(oh=ALL, os=1))
    t = DEAD(CFG, s, 0, 1)
    # mark_node_dead: dead/heard/md, oh := 0, os := 0, tip := 1, req_our_resources(0, 1)
    # (ih := L, RES(0, L, 1, 0), chld := 1), then commup_check (LINKSUP, STARTING(0)).
    assert t.nodes[0] == booted(dead=1 << 1, heard=1 << 1, md=1 << 1, oh=NONE, os=0, tip=1,
                                ih=L, chld=1, comm=COMM_LINKSUP, rs=R_STARTING,
                                selfq=(RES(0, L, 1, 0), STARTING(0)))
    assert chan(CFG, t, 0, 1) == ()           # node 1 is not up: it never sees them


def test_a_cut_link_lets_a_node_declare_an_up_peer_dead_and_queues_the_claim_for_it():
    s = cut(CFG, pair(n0=dict(rs=R_STABLE, oh=ALL, os=1)), 0, 1)
    t = DEAD(CFG, s, 0, 1)
    assert t.nodes[0] == s.nodes[0]._replace(dead=1 << 1, md=1 << 1, oh=NONE, os=0, tip=1,
                                             ih=L, chld=1, selfq=(RES(0, L, 1, 0),))
    assert chan(CFG, t, 0, 1) == (RES(0, L, 1, 0),)


def test_mark_node_dead_does_not_request_again_when_already_claiming_local():
    s = cut(CFG, pair(n0=dict(rs=R_STABLE, ih=L, oh=L, os=1)), 0, 1)
    t = DEAD(CFG, s, 0, 1)
    assert t.nodes[0] == s.nodes[0]._replace(dead=1 << 1, md=1 << 1, oh=NONE, os=0, tip=1)


def test_mark_node_dead_with_nice_failback_off_only_marks_and_links_up():
    s = cluster(OFF, booted(OFF, oh=F, os=1))
    t = DEAD(OFF, s, 0, 1)
    assert t.nodes[0] == booted(OFF, oh=F, os=1, dead=1 << 1, heard=1 << 1, md=1 << 1,
                                comm=COMM_LINKSUP, rry=1, chld=1)


def test_declaring_one_peer_dead_does_not_link_up_while_another_is_unheard():
    s = cluster(THREE, booted(THREE), booted(THREE))
    t = run_helper(THREE, s, mark_node_dead, 0, 2)
    assert t.nodes[0].comm == COMM_STARTING
    assert t.nodes[0].rs == R_INIT
    assert t.nodes[0].selfq == (RES(0, L, 1, 0),)
    assert chan(THREE, t, 0, 1) == (RES(0, L, 1, 0),)


# --- MACHDOWN ----------------------------------------------------------------------------------

def test_mach_down_is_disabled_without_a_pending_script():
    assert MACHDOWN(CFG, pair(), 0, 1) is None


def test_mach_down_takes_every_group_homed_on_the_dead_node_and_announces_foreign():
    cfg = Config(home=(0, 1, 1))
    s = cluster(cfg, linked(cfg, 0, rs=R_STABLE, ih=L, md=1 << 1, dead=1 << 1),
                booted(cfg)._replace(ph=DOWN), own=(G0, 0))
    t = MACHDOWN(cfg, s, 0, 1)
    assert t.nodes[0] == s.nodes[0]._replace(md=0, selfq=(RES(0, F, ST_ABSENT, 1),))
    assert t.own == (G0 | G1 | G2, 0)


def test_mach_down_sends_the_announcement_to_every_up_peer():
    s = cut(CFG, pair(n0=dict(rs=R_STABLE, md=1 << 1, dead=1 << 1)), 0, 1)
    t = MACHDOWN(CFG, s, 0, 1)
    assert chan(CFG, t, 0, 1) == (RES(0, F, ST_ABSENT, 1),)


def test_mach_down_for_a_node_without_groups_still_announces_foreign():
    cfg = Config(home=(0,))
    s = cluster(cfg, linked(cfg, 0, md=1 << 1, dead=1 << 1), own=(G0, 0))
    t = MACHDOWN(cfg, s, 0, 1)
    assert t.own == (G0, 0)
    assert t.nodes[0].selfq == (RES(0, F, ST_ABSENT, 1),)


def test_mach_down_with_nice_failback_off_takes_the_groups_silently():
    s = cluster(OFF, linked(OFF, 0, md=1 << 1, dead=1 << 1))
    t = MACHDOWN(OFF, s, 0, 1)
    assert t.nodes[0] == s.nodes[0]._replace(md=0)
    assert t.own == (G1, 0)


# --- CHILD -------------------------------------------------------------------------------------

def test_child_is_disabled_with_no_pending_child():
    assert CHILD(CFG, pair(), 0) is None


def test_child_requests_each_local_group_neither_held_nor_pending_then_announces_local():
    cfg = Config(home=(0, 0, 0, 1))
    s = cluster(cfg, linked(cfg, 0, rs=R_STABLE, ih=L, chld=2), linked(cfg, 1),
                own=(G0, 0), rq=G1)
    t = CHILD(cfg, s, 0)
    assert t.nodes[0] == s.nodes[0]._replace(chld=1, selfq=(IPREQ(0, 2), RES(0, L, 1, 0)))
    assert t.rq == G1 | G2
    assert chan(cfg, t, 0, 1) == (IPREQ(0, 2), RES(0, L, 1, 0))
    assert t.own == s.own


def test_child_of_a_node_without_local_groups_announces_none():
    cfg = Config(home=(0,))
    s = cluster(cfg, linked(cfg, 0), linked(cfg, 1, rs=R_STABLE, ih=L, chld=1))
    t = CHILD(cfg, s, 1)
    assert t.nodes[1] == s.nodes[1]._replace(chld=0, selfq=(RES(1, NONE, 1, 0),))
    assert t.rq == 0


def test_child_with_nice_failback_off_requests_but_announces_nothing():
    s = pair(OFF, n0=dict(chld=1, rry=1))
    t = CHILD(OFF, s, 0)
    assert t.nodes[0] == s.nodes[0]._replace(chld=0, selfq=(IPREQ(0, 0),))
    assert t.rq == G0


# --- FORCETAKE ----------------------------------------------------------------------------------

def test_forcetake_is_disabled_without_a_pending_request():
    assert FORCETAKE(CFG, pair(), 0, 0) is None


def test_forcetake_takes_the_group_even_if_another_node_holds_it():
    s = pair(own=(0, G0), rq=G0)
    t = FORCETAKE(CFG, s, 0, 0)
    assert t == s._replace(own=(G0, G0), rq=0)


# --- RSCRCVD_TIMEOUT -----------------------------------------------------------------------------

@pytest.mark.parametrize("rs", [R_INIT, R_STARTING, R_BOTHSTARTING, R_STABLE])
def test_rscrcvd_timeout_is_disabled_outside_rscrcvd(rs):
    assert RSCRCVD_TIMEOUT(CFG, pair(n0=dict(rs=rs)), 0) is None


def test_rscrcvd_timeout_is_disabled_with_nice_failback_off():
    assert RSCRCVD_TIMEOUT(OFF, pair(OFF, n0=dict(rs=R_RSCRCVD)), 0) is None


def test_rscrcvd_timeout_makes_the_node_stable_and_requests_unclaimed_groups():
    s = pair(n0=dict(rs=R_RSCRCVD, oh=NONE, ih=NONE))
    t = RSCRCVD_TIMEOUT(CFG, s, 0)
    assert t.nodes[0] == s.nodes[0]._replace(rs=R_STABLE, ih=L, chld=1,
                                             selfq=(RES(0, L, 1, 0),))
    assert chan(CFG, t, 0, 1) == (RES(0, L, 1, 0),)


def test_rscrcvd_timeout_stays_passive_when_the_peer_claims_foreign():
    s = pair(n0=dict(rs=R_RSCRCVD, oh=F))
    t = RSCRCVD_TIMEOUT(CFG, s, 0)
    assert t.nodes[0] == s.nodes[0]._replace(rs=R_STABLE)


# --- send ------------------------------------------------------------------------------------------

def test_send_reaches_the_own_pipe_and_every_up_peer_only():
    s = cluster(THREE, linked(THREE, 0), linked(THREE, 1), booted(THREE)._replace(ph=DOWN))
    s = with_chan(THREE, s, 0, 1, STARTING(0))
    t = run_helper(THREE, s, send, 0, IPREQ(0, 0))
    assert t.nodes[0].selfq == (IPREQ(0, 0),)
    assert chan(THREE, t, 0, 1) == (STARTING(0), IPREQ(0, 0))
    assert chan(THREE, t, 0, 2) == ()


def test_send_over_a_cut_link_still_queues_the_message():
    s = cut(CFG, pair(), 0, 1)
    t = run_helper(CFG, s, send, 0, STARTING(0))
    assert chan(CFG, t, 0, 1) == (STARTING(0),)


# --- req_our_resources -------------------------------------------------------------------------------

@pytest.mark.parametrize("ih, oh", [(NONE, F), (NONE, ALL), (L, NONE), (ALL, NONE), (L, F)])
def test_req_our_resources_does_nothing_while_other_holds_foreign_or_we_claim_local(ih, oh):
    s = pair(n0=dict(rs=R_STABLE, ih=ih, oh=oh))
    assert run_helper(CFG, s, req_our_resources, 0, 1) == s


def test_req_our_resources_proceeds_when_the_other_claims_only_local():
    s = pair(n0=dict(rs=R_STABLE, ih=NONE, oh=L))
    t = run_helper(CFG, s, req_our_resources, 0, 1)
    assert t.nodes[0] == s.nodes[0]._replace(ih=L, chld=1, selfq=(RES(0, L, 1, 0),))


def test_req_our_resources_adds_local_to_a_foreign_claim_and_passes_the_stable_flag():
    s = pair(n0=dict(rs=R_STABLE, ih=F, oh=NONE))
    t = run_helper(CFG, s, req_our_resources, 0, 0)
    assert t.nodes[0] == s.nodes[0]._replace(ih=ALL, chld=1, selfq=(RES(0, ALL, 0, 0),))
    assert chan(CFG, t, 0, 1) == (RES(0, ALL, 0, 0),)


def test_req_our_resources_with_nice_failback_off_only_forks_a_child():
    s = pair(OFF, n0=dict(ih=L, oh=F, chld=1))
    t = run_helper(OFF, s, req_our_resources, 0, 1)
    assert t.nodes[0] == s.nodes[0]._replace(chld=2)


@pytest.mark.parametrize("cfg", [CFG, OFF], ids=["nice", "legacy"])
def test_a_third_pending_child_is_within_the_bound(cfg):
    s = pair(cfg, n0=dict(chld=2))
    assert run_helper(cfg, s, req_our_resources, 0, 1).nodes[0].chld == 3


@pytest.mark.parametrize("cfg", [CFG, OFF], ids=["nice", "legacy"])
def test_a_fourth_pending_child_is_a_model_bound_error(cfg):
    s = pair(cfg, n0=dict(chld=3))
    with pytest.raises(ModelBoundError):
        run_helper(cfg, s, req_our_resources, 0, 1)


def test_an_action_that_would_fork_a_fourth_child_raises_a_model_bound_error():
    s = pair(n0=dict(rs=R_RSCRCVD, chld=3))
    with pytest.raises(ModelBoundError):
        RSCRCVD_TIMEOUT(CFG, s, 0)
