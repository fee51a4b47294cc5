"""The five starting conditions of the nice_failback email (May 2000), heartbeat-2000.md 6.1.

Each test sets the situation up with an explicit sequence of actions, then lets the
protocol run to quiescence (no non-environment action enabled) in a fixed, fair order,
and checks the outcome the email describes: who owns which groups, who stays passive.
"""

from __future__ import annotations

import pytest

from hacheck.model import Config, HeartbeatModel
from hacheck.model.row import ALL, L, NONE, R_BOTHSTARTING, R_RSCRCVD, R_STABLE
from hacheck.model.view import T_IPREQ

G0, G1 = 1, 2

# Non-environment actions in the order a real run would usually take them: messages and
# heartbeats (within dmax) first, then scripts (within smax), then the ~10 s timers. Within
# one class the action fired least often so far goes first (ties: model's table order), so
# no enabled action is starved.
PRIORITY = (
    ("DELIVER", "SELF", "HEAR"),
    ("CHILD", "MACHDOWN"),
    ("RSCRCVD_TIMEOUT", "FORCETAKE", "DEAD"),
)
STEP_LIMIT = 1000


class Run:
    """A run of the model: the current state and every step taken so far."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.model = HeartbeatModel(cfg)
        self.state = self.model.init_states()[0]
        self.steps = []        # (action text, state after)
        self.fired = {}        # action text -> how often it fired

    def do(self, name: str, *args) -> "Run":
        """Take one named action, which must be enabled."""
        nxt = self.model.take(self.state, name, *args)
        assert nxt is not None, f"{name}{args} is not enabled"
        self._record(f"{name}{args}", nxt)
        return self

    def settle(self) -> "Run":
        """Fire enabled non-environment actions until none is enabled."""
        for _ in range(STEP_LIMIT):
            enabled = [(a, nxt) for a, nxt in self.model.successors_of(self.state)
                       if any(a.name in cls for cls in PRIORITY)]
            if not enabled:
                return self
            for cls in PRIORITY:
                choices = [(a, nxt) for a, nxt in enabled if a.name in cls]
                if choices:
                    break
            action, nxt = min(choices, key=lambda c: self.fired.get(self._text(c[0]), 0))
            self._record(self._text(action), nxt)
        raise AssertionError(f"no quiescence after {STEP_LIMIT} steps")

    @staticmethod
    def _text(action) -> str:
        return f"{action.name}{action.args}"

    def _record(self, text, nxt):
        self.steps.append((text, nxt))
        self.fired[text] = self.fired.get(text, 0) + 1
        self.state = nxt

    def node(self, i):
        return self.state.nodes[i]

    def took(self, name: str, *args) -> bool:
        return f"{name}{args}" in self.fired

    def sent_by(self, i) -> set:
        """Every message node i sent during the run (each send passes through its selfq)."""
        return {m for _, s in self.steps for m in s.nodes[i].selfq}


def only_owner(state, g):
    """The nodes that own group g."""
    return [i for i, mask in enumerate(state.own) if mask >> g & 1]


def both_boot_and_hear_each_other(cfg: Config) -> Run:
    return Run(cfg).do("BOOT", 0).do("BOOT", 1).do("HEAR", 0, 1).do("HEAR", 1, 0)


# --- Case 1: the peer is down ---------------------------------------------------------------------

@pytest.mark.parametrize("starter", [0, 1])
def test_a_node_starting_while_its_peer_is_down_takes_every_group(starter):
    other = 1 - starter
    run = Run(Config(home=(0, 1))).do("BOOT", starter).do("DEAD", starter, other).settle()
    assert run.state.own[starter] == G0 | G1
    assert run.state.own[other] == 0
    assert run.took("MACHDOWN", starter, other)       # the peer's group, via mach_down
    n = run.node(starter)
    assert (n.rs, n.ih, n.tip) == (R_STABLE, ALL, 0)


# --- Case 2: both start together --------------------------------------------------------------

def test_two_nodes_starting_together_each_end_up_with_their_own_group():
    run = both_boot_and_hear_each_other(Config(home=(0, 1))).settle()
    assert run.state.own == (G0, G1)
    assert run.took("CHILD", 0) and run.took("CHILD", 1)   # both ran req_our_resources
    assert [run.node(i).rs for i in (0, 1)] == [R_STABLE, R_STABLE]


def test_simultaneous_start_passes_through_bothstarting_on_both_nodes():
    run = both_boot_and_hear_each_other(Config(home=(0, 1)))
    run.do("DELIVER", 0, 1).do("DELIVER", 1, 0)      # each gets the other's STARTING
    assert [run.node(i).rs for i in (0, 1)] == [R_BOTHSTARTING, R_BOTHSTARTING]
    assert run.settle().state.own == (G0, G1)


def test_a_peer_reply_arriving_in_rscrcvd_makes_the_node_stable_without_the_timer():
    run = both_boot_and_hear_each_other(Config(home=(0, 1)))
    run.do("DELIVER", 0, 1).do("DELIVER", 1, 0)      # both BOTHSTARTING, replies sent
    run.do("SELF", 0).do("SELF", 0)                  # own STARTING, own RES(none): RSCRCVD
    assert run.node(0).rs == R_RSCRCVD
    run.do("DELIVER", 1, 0)                          # node 1's none reply
    assert (run.node(0).rs, run.node(0).ih, run.node(0).chld) == (R_STABLE, L, 1)
    assert run.settle().state.own == (G0, G1)


def test_peer_replies_arriving_in_bothstarting_leave_the_start_to_the_rqstdelay_timer():
    run = both_boot_and_hear_each_other(Config(home=(0, 1)))
    run.do("DELIVER", 0, 1).do("DELIVER", 1, 0)      # both BOTHSTARTING, replies sent
    run.do("DELIVER", 0, 1).do("DELIVER", 1, 0)      # replies arrive still in BOTHSTARTING
    for i in (0, 1):
        assert (run.node(i).rs, run.node(i).ih, run.node(i).chld) == (R_RSCRCVD, NONE, 0)
    run.settle()
    assert run.took("RSCRCVD_TIMEOUT", 0) or run.took("RSCRCVD_TIMEOUT", 1)
    assert run.state.own == (G0, G1)


# --- Case 3: the peer has no groups ---------------------------------------------------------------

def test_a_node_starting_beside_a_starting_peer_without_groups_takes_its_own_group():
    cfg = Config(home=(0,))
    run = Run(cfg).do("BOOT", 1).do("BOOT", 0).do("HEAR", 1, 0).do("HEAR", 0, 1).settle()
    assert run.state.own == (G0, 0)
    assert not any(m[0] == T_IPREQ for m in run.sent_by(1))


def test_a_node_restarting_beside_a_running_peer_without_groups_takes_its_own_group():
    cfg = Config(home=(0,), crashes=1, restarts=1)
    run = both_boot_and_hear_each_other(cfg).settle()
    assert run.state.own == (G0, 0)
    # Node 0 fails and is back before node 1's deadtime runs out: node 1 never declares it
    # dead, stays STABLE and holds nothing.
    run.do("CRASH", 0).do("RESTART", 0)
    assert (run.state.own, run.node(1).rs, run.node(1).ih) == ((0, 0), R_STABLE, NONE)
    run.settle()
    assert run.state.own == (G0, 0)
    assert run.node(0).oh == NONE


# --- Case 4: the peer holds its own (local) groups ---------------------------------------------

def test_a_node_starting_beside_a_peer_holding_its_local_group_requests_only_its_own():
    cfg = Config(home=(0, 1), crashes=1, restarts=1)
    run = both_boot_and_hear_each_other(cfg).settle()
    # Node 0 fails and is back before node 1's deadtime runs out: node 1 keeps only g1.
    run.do("CRASH", 0).do("RESTART", 0)
    assert (run.state.own, run.node(1).ih) == ((0, G1), L)
    before = len(run.steps)
    run.settle()
    assert run.state.own == (G0, G1)
    assert run.node(0).oh == L
    assert all(s.own[1] == G1 for _, s in run.steps[before:])   # node 1 never lets g1 go
    assert run.took("CHILD", 0)                                  # req_our_resources ran


# --- Case 5: the peer holds every group --------------------------------------------------------

def test_a_node_starting_beside_a_peer_holding_every_group_stays_passive():
    run = Run(Config(home=(0, 1)))
    run.do("BOOT", 1).do("DEAD", 1, 0).settle()      # node 1 ran alone and took g0 too
    assert (run.state.own, run.node(1).ih, run.node(1).rs) == ((0, G0 | G1), ALL, R_STABLE)
    before = len(run.steps)
    run.do("BOOT", 0).settle()
    assert run.state.own == (0, G0 | G1)
    n0 = run.node(0)
    assert (n0.rs, n0.oh, n0.ih, n0.chld) == (R_STABLE, ALL, NONE, 0)
    after_boot = [s for _, s in run.steps[before:]]
    assert all(s.nodes[0].chld == 0 and s.rq == 0 for s in after_boot)   # requested nothing
    assert not any(m[0] == T_IPREQ for m in run.sent_by(0))
    assert only_owner(run.state, 0) == [1] and only_owner(run.state, 1) == [1]
