"""The independent layer-T checker (witness/replay.py) against model.md section 7.

Every run here is a run of the real layer-D model (its states come from
`HeartbeatModel.take`), for two nodes with one group each, and the default parameters of
section 7: K = 2, D = 10, Q = R = 10, delays in [0, 0.5], scripts in [0, 1]. A real run
passes; then one timestamp is moved out of one window (or the run is cut just after the
moved step, so that nothing after it has to move too) and the checker must name the rule.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import NamedTuple

import pytest

from hacheck.model import Config, HeartbeatModel
from hacheck.model.schema import action_table
from hacheck.model.timing import TimingParameters
from hacheck.model.view import initial_state
from hacheck.witness.replay import check_timed_run

P = TimingParameters()                       # K=2, D=10, Q=10, R=10, [0, 1/2], smax=1
CFG = Config(N=2, home=(0, 1))
CRASHY = Config(N=2, home=(0, 1), crashes=1)
LINKY = Config(N=2, home=(0, 1), link_toggles=1)
FLAKY = Config(N=2, home=(0, 1), link_toggles=2)

_MODELS: dict = {}


class Run(NamedTuple):
    cfg: Config
    states: list
    actions: list
    times: list

    def check(self, params=P) -> list[str]:
        return check_timed_run(self.cfg, params, self.states, self.actions, self.times)

    def moved(self, step: int, t) -> "Run":
        """The same run with step `step` (1-based) at time t."""
        times = list(self.times)
        times[step - 1] = Fraction(t)
        return self._replace(times=times)

    def upto(self, step: int) -> "Run":
        """The first `step` steps (a prefix of a real run is real)."""
        return self._replace(states=self.states[:step + 1], actions=self.actions[:step],
                             times=self.times[:step])


def run(cfg: Config, text: str) -> Run:
    """A run of the layer-D model from lines `ACTION(args) time  # comment`."""
    model = _MODELS.setdefault(cfg, HeartbeatModel(cfg))
    table = {(a.name, a.args): a for a in action_table(cfg)}
    s = initial_state(cfg)
    states, actions, times = [s], [], []
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        name, args, t = re.fullmatch(r"(\w+)\(([\d, ]*)\)\s+(\S+)", line).groups()
        args = tuple(int(x) for x in args.split(",") if x.strip())
        s = model.take(s, name, *args)
        assert s is not None, f"{line}: not enabled in layer D"
        states.append(s)
        actions.append(table[(name, args)])
        times.append(Fraction(t))
    return Run(cfg, states, actions, times)


def only(lines: list[str], *parts: str) -> str:
    """The one reported line; it must contain every part."""
    assert len(lines) == 1, lines
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


def some(lines: list[str], *parts: str) -> str:
    """A reported line containing every part."""
    hits = [x for x in lines if all(p in x for p in parts)]
    assert hits, (parts, lines)
    return hits[0]


def prefix(text: str, steps: int, *more: str) -> str:
    """The first `steps` lines of a run's text, then the lines `more`."""
    return "\n".join(text.strip().splitlines()[:steps] + list(more))


# Both nodes start at 0, hear each other, exchange STARTING and resource messages, run
# their req_our_resources children and force-take their groups: quiescent, each node
# holding its own group. Every timestamp is inside its window, and no step passes a
# pending deadline.
STARTUP = """
BOOT(0) 0
BOOT(1) 0
HEAR(0, 1) 1/4          # 1's start-up heartbeat, window [0, 1/2]: 0 is LINKSUP, sends STARTING
SELF(0) 1/4             # own messages at the instant they are sent
HEAR(1, 0) 1/2          # 1 is LINKSUP, sends STARTING
SELF(1) 1/2
DELIVER(0, 1) 1/2       # STARTING(0), sent at 1/4, due by 3/4: 1 BOTHSTARTING, replies
SELF(1) 1/2             # 1 enters RSCRCVD
DELIVER(1, 0) 1         # STARTING(1), sent at 1/2, due by 1
SELF(0) 1               # 0 enters RSCRCVD
DELIVER(1, 0) 1         # 1's reply: 0 STABLE, req_our_resources starts a child at 1
SELF(0) 1
DELIVER(0, 1) 3/2       # 0's reply, sent at 1: 1 STABLE, a child at 3/2
SELF(1) 3/2
DELIVER(0, 1) 3/2
DELIVER(1, 0) 2
CHILD(0) 2              # child started at 1, due by 2: IPREQ for group 0 at 2
SELF(0) 2
SELF(0) 2
CHILD(1) 2              # child started at 3/2, due by 5/2: IPREQ for group 1 at 2
SELF(1) 2
SELF(1) 2
DELIVER(0, 1) 5/2
DELIVER(0, 1) 5/2
DELIVER(1, 0) 5/2
DELIVER(1, 0) 5/2
FORCETAKE(0, 0) 12      # [R, R + smax] = [12, 13] after the IPREQ
FORCETAKE(1, 1) 25/2
"""

# Node 1 crashes once both have heard each other; 0 declares it dead inside
# [u - K + D, u + dmax + D] = [8.5, 11] from the crash at u = 1/2, runs mach_down and
# its child, times out of RSCRCVD at [Q, Q + K] = [11, 13] after entering it at 1.
CRASH_RUN = """
BOOT(0) 0
BOOT(1) 0
HEAR(0, 1) 1/4
SELF(0) 1/4
HEAR(1, 0) 1/2
SELF(1) 1/2
CRASH(1) 1/2            # empties ch[0][1]; STARTING(1) stays on the wire
DELIVER(1, 0) 1
SELF(0) 1               # 0 enters RSCRCVD at 1
DEAD(0, 1) 9
SELF(0) 9
MACHDOWN(0, 1) 19/2
SELF(0) 19/2
CHILD(0) 10
SELF(0) 10
SELF(0) 10
RSCRCVD_TIMEOUT(0) 11
FORCETAKE(0, 0) 20
"""

# Both nodes reach BOTHSTARTING at the same instant and each receives the other's
# resource message before its own: both stay in RSCRCVD until RQSTDELAY times out.
BOTH_RSCRCVD = """
BOOT(0) 0
BOOT(1) 0
HEAR(0, 1) 0
SELF(0) 0
HEAR(1, 0) 0
SELF(1) 0
DELIVER(0, 1) 0         # 1 BOTHSTARTING
DELIVER(1, 0) 0         # 0 BOTHSTARTING
DELIVER(1, 0) 0         # 1's resource message: 0 enters RSCRCVD at 0
SELF(0) 0
DELIVER(0, 1) 0         # 1 enters RSCRCVD at 0
SELF(1) 0
RSCRCVD_TIMEOUT(0) 10   # [Q, Q + K] = [10, 12]
"""


# --- real runs pass ------------------------------------------------------------------------

def test_a_startup_run_with_every_step_inside_its_window_is_real():
    assert run(CFG, STARTUP).check() == []


def test_a_crash_after_both_heard_each_other_then_dead_machdown_and_timeout_is_real():
    assert run(CRASHY, CRASH_RUN).check() == []


def test_an_rscrcvd_timeout_q_after_entry_is_real():
    assert run(CFG, BOTH_RSCRCVD).check() == []


def test_a_lone_node_declares_its_never_booted_peer_dead_exactly_d_after_booting():
    assert run(CFG, "BOOT(0) 0\nDEAD(0, 1) 10").check() == []


# --- each window kind ------------------------------------------------------------------------

def test_hear_later_than_dmax_after_the_peers_boot_is_reported():
    lines = run(CFG, STARTUP).upto(5).moved(5, "3/4").check()
    only(lines, "step 5 HEAR(1, 0) at t=0.75", "HEAR window", "too late", "[0, 0.5]",
         "BOOT(0) at step 1")


def test_a_boot_at_the_same_instant_as_the_peers_is_not_later_so_hear_is_due_within_dmax():
    # 1 boots after 0 in step order but at the same time: the anchor is 0's boot, [0, 1/2]
    r = run(CFG, "BOOT(0) 0\nBOOT(1) 0\nHEAR(0, 1) 1/2\nSELF(0) 1/2\nHEAR(1, 0) 1")
    only(r.check(), "step 5 HEAR(1, 0) at t=1", "HEAR window", "too late", "[0, 0.5]")


def test_a_node_booting_strictly_after_its_peer_hears_it_within_k_plus_dmax_of_its_boot():
    r = run(CFG, "BOOT(0) 0\nBOOT(1) 1/10\nHEAR(0, 1) 1/2\nSELF(0) 1/2\nHEAR(1, 0) 1")
    assert r.check() == []                  # [0.1, 2.6] from 1's own boot
    # (at 2.7, 0's STARTING, due by 1, is overrun as well)
    some(r.moved(5, "27/10").check(), "HEAR window", "too late", "[0.1, 2.6]")


def test_dead_earlier_than_d_minus_k_after_the_peers_crash_is_reported():
    lines = run(CRASHY, CRASH_RUN).upto(10).moved(10, 8).check()
    only(lines, "step 10 DEAD(0, 1) at t=8", "DEAD window", "too early", "[8.5, 11]",
         "CRASH(1) at step 7")


def test_dead_later_than_dmax_plus_d_after_the_peers_crash_is_reported():
    lines = run(CRASHY, CRASH_RUN).upto(10).moved(10, "23/2").check()
    only(lines, "step 10 DEAD(0, 1) at t=11.5", "DEAD window", "too late", "[8.5, 11]")


@pytest.mark.parametrize("t, side", [("9", "too early"), ("21/2", "too late")])
def test_dead_after_the_nodes_own_boot_must_be_exactly_d_after_it(t, side):
    lines = run(CFG, "BOOT(0) 0\nDEAD(0, 1) 10").moved(2, t).check()
    only(lines, "step 2 DEAD(0, 1)", "DEAD window", side, "[10, 10]", "exactly u + D")


def test_a_peer_inaudible_when_the_node_boots_at_the_same_instant_is_dead_exactly_d_later():
    # 1 crashed at 0 before 0 booted at 0 (step order): u is 0's boot, not the crash
    only(run(CRASHY, "BOOT(1) 0\nCRASH(1) 0\nBOOT(0) 0\nDEAD(0, 1) 9").check(),
         "step 4 DEAD(0, 1) at t=9", "DEAD window", "too early", "[10, 10]")
    # 1 crashed at 0 after 0 booted at 0: u is the crash, [u - K + D, u + dmax + D]
    r = run(CRASHY, "BOOT(0) 0\nBOOT(1) 0\nHEAR(0, 1) 0\nSELF(0) 0\nCRASH(1) 0\nDEAD(0, 1) 9")
    assert r.check() == []


def test_deliver_later_than_dmax_after_the_send_is_reported():
    lines = run(CFG, STARTUP).upto(7).moved(7, 1).check()
    only(lines, "step 7 DELIVER(0, 1) at t=1", "DELIVER window", "too late", "[0.25, 0.75]",
         "HEAR(0, 1) at step 3")


def test_a_message_held_by_a_cut_link_is_due_dmax_after_the_heal():
    r = run(FLAKY, """
        BOOT(0) 0
        BOOT(1) 0
        HEAR(0, 1) 0            # STARTING(0) sent at 0
        SELF(0) 0
        LINK(0, 1) 0            # cut: the message waits
        LINK(0, 1) 5            # heal: [dmin, dmax] from here
        DELIVER(0, 1) 21/4
    """)
    assert r.check() == []
    only(r.moved(7, 6).check(), "step 7 DELIVER(0, 1) at t=6", "DELIVER window", "too late",
         "[5, 5.5]", "LINK(0, 1) at step 6")


def test_self_after_the_send_instant_is_reported():
    lines = run(CFG, STARTUP).upto(4).moved(4, "1/2").check()
    only(lines, "step 4 SELF(0) at t=0.5", "SELF window", "too late", "[0.25, 0.25]")


def test_rscrcvd_timeout_before_q_after_entry_is_reported():
    lines = run(CFG, BOTH_RSCRCVD).moved(13, 9).check()
    only(lines, "step 13 RSCRCVD_TIMEOUT(0) at t=9", "RSCRCVD_TIMEOUT window", "too early",
         "[10, 12]", "DELIVER(1, 0) at step 9")


def test_forcetake_before_r_after_the_ipreq_is_reported():
    lines = run(CFG, STARTUP).moved(27, 11).check()
    only(lines, "step 27 FORCETAKE(0, 0) at t=11", "FORCETAKE window", "too early",
         "[12, 13]", "CHILD(0) at step 17")


def test_a_child_later_than_smax_after_its_req_our_resources_is_reported():
    lines = run(CRASHY, CRASH_RUN).upto(14).moved(14, "21/2").check()
    some(lines, "step 14 CHILD(0) at t=10.5", "CHILD window", "too late", "[9, 10]")


def test_machdown_later_than_smax_after_dead_is_reported():
    lines = run(CRASHY, CRASH_RUN).upto(12).moved(12, "21/2").check()
    some(lines, "step 12 MACHDOWN(0, 1) at t=10.5", "MACHDOWN window", "too late", "[9, 10]")


def test_machdown_stays_anchored_at_the_dead_while_later_steps_pass():
    # the child runs at 9.5 and its messages are processed: MACHDOWN is still due by 10
    text = prefix(CRASH_RUN, 11, "CHILD(0) 19/2", "SELF(0) 19/2", "SELF(0) 19/2",
                  "MACHDOWN(0, 1) 21/2")
    only(run(CRASHY, text).check(), "step 15 MACHDOWN(0, 1) at t=10.5", "MACHDOWN window",
         "too late", "[9, 10]", "DEAD(0, 1) at step 10")


def test_rscrcvd_timeout_later_than_q_plus_k_after_entry_is_reported():
    lines = run(CFG, BOTH_RSCRCVD).moved(13, 13).check()
    # (RSCRCVD_TIMEOUT(1), due by 12 as well, is overrun too)
    some(lines, "step 13 RSCRCVD_TIMEOUT(0) at t=13", "RSCRCVD_TIMEOUT window", "too late",
         "[10, 12]", "DELIVER(1, 0) at step 9")


def test_forcetake_later_than_r_plus_smax_after_the_ipreq_is_reported():
    lines = run(CFG, STARTUP).upto(27).moved(27, "27/2").check()
    # (FORCETAKE(1, 1), due by 13 as well, is overrun too)
    some(lines, "step 27 FORCETAKE(0, 0) at t=13.5", "FORCETAKE window", "too late",
         "[12, 13]", "CHILD(0) at step 17")


# Node 0 hears node 1, the link is cut at 1/2: 0 declares 1 dead in
# [u - K + D, u + dmax + D] = [8.5, 11] from the cut.
CUT_RUN = """
BOOT(0) 0
BOOT(1) 0
HEAR(0, 1) 0
SELF(0) 0
HEAR(1, 0) 0
SELF(1) 0
LINK(0, 1) 1/2          # cut, at the deadline of both STARTING messages
DEAD(0, 1) 9
"""


@pytest.mark.parametrize("t, side", [("8", "too early"), ("23/2", "too late")])
def test_dead_outside_d_minus_k_to_d_plus_dmax_after_a_link_cut_is_reported(t, side):
    r = run(LINKY, CUT_RUN)
    assert r.check() == []
    # (too late, DEAD(1, 0) is overrun as well)
    some(r.moved(8, t).check(), "step 8 DEAD(0, 1)", "DEAD window", side, "[8.5, 11]",
         "LINK(0, 1) at step 7")


# A message or a heartbeat can arrive too early only when dmin > 0.
P_DMIN = TimingParameters(dmin=Fraction(1, 10))


def test_a_delivery_earlier_than_dmin_after_the_send_is_reported():
    r = run(CFG, "BOOT(0) 0\nBOOT(1) 0\nHEAR(0, 1) 1/4\nSELF(0) 1/4\nDELIVER(0, 1) 7/20")
    assert r.check(P_DMIN) == []                 # exactly dmin after the send
    only(r.moved(5, "3/10").check(P_DMIN), "step 5 DELIVER(0, 1) at t=0.3", "DELIVER window",
         "too early", "[0.35, 0.75]", "HEAR(0, 1) at step 3")


def test_a_delivery_earlier_than_dmin_after_the_heal_that_released_it_is_reported():
    r = run(FLAKY, """
        BOOT(0) 0
        BOOT(1) 0
        HEAR(0, 1) 1/4          # STARTING(0) sent at 1/4
        SELF(0) 1/4
        LINK(0, 1) 1/4          # cut: the message waits
        LINK(0, 1) 5            # heal: [dmin, dmax] from here, not from the send
        DELIVER(0, 1) 51/10
    """)
    assert r.check(P_DMIN) == []
    only(r.moved(7, "101/20").check(P_DMIN), "step 7 DELIVER(0, 1) at t=5.05",
         "DELIVER window", "too early", "[5.1, 5.5]", "LINK(0, 1) at step 6")


HEAR_AFTER_A_HEAL = "BOOT(0) 0\nBOOT(1) 0\nLINK(0, 1) 0\nLINK(0, 1) 5\nHEAR(0, 1) 51/10"


@pytest.mark.parametrize("cfg, text, t, window, anchor", [
    # 1's start-up heartbeat: [dmin, dmax] after BOOT(1)
    (CFG, "BOOT(0) 0\nBOOT(1) 0\nHEAR(0, 1) 1/10", "1/20", "[0.1, 0.5]", "BOOT(1) at step 2"),
    # 1 booted strictly after 0: [dmin, K + dmax] after its own boot
    (CFG, "BOOT(0) 0\nBOOT(1) 1/10\nHEAR(1, 0) 1/5", "3/20", "[0.2, 2.6]",
     "BOOT(1) at step 2"),
    # the audible period began with a heal: [dmin, K + dmax] after it
    (FLAKY, HEAR_AFTER_A_HEAL, "101/20", "[5.1, 7.5]", "LINK(0, 1) at step 4"),
], ids=["peer-boot", "own-later-boot", "heal"])
def test_hear_earlier_than_dmin_after_its_anchor_is_reported(cfg, text, t, window, anchor):
    r = run(cfg, text)
    assert r.check(P_DMIN) == []                 # exactly dmin after the anchor
    last = len(r.actions)
    only(r.moved(last, t).check(P_DMIN), f"step {last} HEAR", "HEAR window", "too early",
         window, anchor)


def test_hear_later_than_k_plus_dmax_after_a_link_heal_is_reported():
    lines = run(FLAKY, HEAR_AFTER_A_HEAL).moved(5, "77/10").check(P_DMIN)
    # (HEAR(1, 0), due by 7.5 as well, is overrun too)
    some(lines, "step 5 HEAR(0, 1) at t=7.7", "HEAR window", "too late", "[5.1, 7.5]",
         "LINK(0, 1) at step 4", "a link heal")


# SELF, CHILD and MACHDOWN (and FENCE, TAKEOVER, HEALRUN below) have windows [0, hi]
# from an earlier step of the run: as timestamps never decrease, such an action cannot be
# too early. What could go wrong is a lower bound above 0, so the boundary is tested
# instead: the action at the very instant of its anchor is real. (SELF at the instant of
# its send is in every real run above, with dmin = 0 and with dmin > 0.)
@pytest.mark.parametrize("action", ["CHILD(0) 9", "MACHDOWN(0, 1) 9"])
def test_a_script_run_at_the_instant_of_the_dead_that_started_it_is_real(action):
    assert run(CRASHY, prefix(CRASH_RUN, 11, action)).check() == []   # DEAD(0, 1) at 9
    assert run(CRASHY, prefix(CRASH_RUN, 11, action)).check(P_DMIN) == []


# --- urgency ----------------------------------------------------------------------------------

def test_an_action_after_a_pending_hears_deadline_is_reported():
    # 1 still owes HEAR(1, 0) (due by 1/2) when 0's STARTING reaches it at 3/4
    r = run(CFG, "BOOT(0) 0\nBOOT(1) 0\nHEAR(0, 1) 1/4\nSELF(0) 1/4\nDELIVER(0, 1) 3/4")
    only(r.check(), "step 5 DELIVER(0, 1) at t=0.75", "urgency", "HEAR(1, 0)",
         "due by t=0.5")


def test_a_link_cut_ending_hear_obligations_may_come_at_their_deadline_but_not_after():
    assert run(LINKY, "BOOT(0) 0\nBOOT(1) 0\nLINK(0, 1) 1/2").check() == []
    lines = run(LINKY, "BOOT(0) 0\nBOOT(1) 0\nLINK(0, 1) 1").check()
    assert len(lines) == 2, lines
    some(lines, "step 3 LINK(0, 1) at t=1", "urgency", "HEAR(0, 1)", "due by t=0.5")
    some(lines, "step 3 LINK(0, 1) at t=1", "urgency", "HEAR(1, 0)", "due by t=0.5")


def test_a_dead_obligation_pending_at_the_end_bounds_the_last_step():
    # 0 booted alone at 0 owes DEAD(0, 1) at exactly 10; 1 may not boot after that
    assert run(CFG, "BOOT(0) 0\nBOOT(1) 10").check() == []
    only(run(CFG, "BOOT(0) 0\nBOOT(1) 11").check(), "step 2 BOOT(1) at t=11", "urgency",
         "DEAD(0, 1)", "due by t=10")


@pytest.mark.parametrize("cfg, text, owed, due", [
    # STARTING(0) and STARTING(1) were both sent at 0, due by 1/2
    (CFG, "BOOT(0) 0\nBOOT(1) 0\nHEAR(0, 1) 0\nSELF(0) 0\nHEAR(1, 0) 0\nSELF(1) 0\n"
          "DELIVER(0, 1) 1", "DELIVER(1, 0)", "0.5"),
    # 0's child, started at 1, is due by 2 when 1's child (due by 5/2) runs at 9/4
    (CFG, prefix(STARTUP, 16, "CHILD(1) 9/4"), "CHILD(0)", "2"),
    # mach_down, due by 10 after the DEAD at 9
    (CRASHY, prefix(CRASH_RUN, 11, "CHILD(0) 21/2"), "MACHDOWN(0, 1)", "10"),
    # both nodes entered RSCRCVD at 0: 0's timeout is due by 12
    (CFG, prefix(BOTH_RSCRCVD, 12, "RSCRCVD_TIMEOUT(1) 13"), "RSCRCVD_TIMEOUT(0)", "12"),
    # 0's IPREQ went out at 2: FORCETAKE(0, 0) is due by 13
    (CFG, prefix(STARTUP, 26, "FORCETAKE(1, 1) 14"), "FORCETAKE(0, 0)", "13"),
    # and 1's, for group 1 (the pending bit of a group other than 0)
    (CFG, prefix(STARTUP, 26, "FORCETAKE(0, 0) 14"), "FORCETAKE(1, 1)", "13"),
], ids=["DELIVER", "CHILD", "MACHDOWN", "RSCRCVD_TIMEOUT", "FORCETAKE", "FORCETAKE-g1"])
def test_a_step_after_the_deadline_of_a_pending_obligation_is_reported(cfg, text, owed, due):
    r = run(cfg, text)
    last = len(r.actions)
    some(r.check(), f"step {last} ", "urgency", f"{owed} is still owed", f"due by t={due}")


def test_an_overrun_obligation_is_reported_once_at_the_first_step_that_overruns_it():
    # 0's own STARTING, sent at 0, is due at 0: SELF(0) is owed through steps 4 and 5
    r = run(CFG, "BOOT(0) 0\nBOOT(1) 0\nHEAR(0, 1) 0\nHEAR(1, 0) 1/4\nSELF(1) 1/4")
    only(r.check(), "step 4 HEAR(1, 0) at t=0.25", "urgency", "SELF(0) is still owed",
         "due by t=0")


# --- time, crash restriction, layer D ------------------------------------------------------------

def test_decreasing_timestamps_are_reported():
    lines = run(CFG, STARTUP).upto(2).moved(1, 1).moved(2, "1/2").check()
    only(lines, "step 2 BOOT(1) at t=0.5", "time", "never decrease", "t=1")


def test_a_negative_timestamp_is_reported():
    only(run(CFG, STARTUP).upto(1).moved(1, -1).check(), "step 1 BOOT(0)", "time", ">= 0")


def test_a_crash_while_the_peer_owes_the_start_up_hear_is_reported():
    r = run(CRASHY, "BOOT(0) 0\nBOOT(1) 0\nHEAR(0, 1) 1/4\nSELF(0) 1/4\nCRASH(0) 1/4")
    only(r.check(), "step 5 CRASH(0) at t=0.25", "CRASH restriction", "HEAR(1, 0)",
         "BOOT(0) at step 1")


def test_a_crash_whose_peer_already_heard_it_is_allowed():
    r = run(CRASHY, "BOOT(0) 0\nBOOT(1) 0\nHEAR(1, 0) 1/4\nSELF(1) 1/4\nCRASH(0) 1/4")
    assert r.check() == []


def test_a_state_that_does_not_follow_from_the_action_is_reported():
    r = run(CFG, STARTUP).upto(3)
    states = list(r.states)
    states[3] = states[2]
    only(r._replace(states=states).check(), "step 3 HEAR(0, 1)", "layer D")


def test_a_crash_is_refused_while_a_peer_that_booted_later_owes_the_start_up_hear():
    # 1's HEAR(1, 0) is anchored at 1's own boot, but 0's audible period began with BOOT(0)
    only(run(CRASHY, "BOOT(0) 0\nBOOT(1) 1\nCRASH(0) 1").check(), "step 3 CRASH(0) at t=1",
         "CRASH restriction", "HEAR(1, 0)", "BOOT(0) at step 1")


@pytest.mark.parametrize("cfg, text", [
    # the peer was never up: no one owes a HEAR
    (CRASHY, "BOOT(0) 0\nCRASH(0) 1"),
    # the link is cut: 0 is inaudible to 1, which owes nothing
    (Config(N=2, home=(0, 1), crashes=1, link_toggles=1),
     "BOOT(0) 0\nBOOT(1) 0\nLINK(0, 1) 0\nCRASH(0) 1"),
    # the link healed: 1 owes HEAR(1, 0), but for a period that began with the heal
    (Config(N=2, home=(0, 1), crashes=1, link_toggles=2),
     "BOOT(0) 0\nBOOT(1) 0\nLINK(0, 1) 0\nLINK(0, 1) 1\nCRASH(0) 1"),
], ids=["peer-never-up", "link-cut", "link-healed"])
def test_a_crash_for_which_no_peer_owes_a_start_up_hear_is_allowed(cfg, text):
    assert run(cfg, text).check() == []


# --- the variants (model/README.md, "Variants") -------------------------------------------------

SPLIT = Config(N=2, home=(0, 1), email_timer="split")
COMBINED = Config(N=2, home=(0, 1), email_timer="combined")
ALONE = Config(N=1, home=(0,), email_timer="combined", starting_repeats=2, crashes=1,
               restarts=1)
GATED = Config(N=2, home=(0, 1), stonith="gated")
GATED_CRASHY = Config(N=2, home=(0, 1), stonith="gated", crashes=1)
HEALING = Config(N=2, home=(), nice_failback=False, heal=True, link_toggles=3)
HEALING_CRASHY = Config(N=2, home=(), nice_failback=False, heal=True, link_toggles=3,
                        crashes=1)

# 0 boots alone; its start window closes at exactly Q; it declares 1 dead at D, which
# arms resources_timer (req_our_resources); the timer runs out in [Q - K, Q] after that.
TIMER_RUN = """
BOOT(0) 0
CLOSE_WINDOW(0) 10      # exactly Q after BOOT(0)
DEAD(0, 1) 10           # takeover: req_our_resources arms rt at 10
SELF(0) 10
SELF(0) 10
MACHDOWN(0, 1) 10
CHILD(0) 10
SELF(0) 10
SELF(0) 10
SELF(0) 10
RT_EXPIRE(0) 18         # [Q - K, Q] = [18, 20] after the arming (split: the window is over)
FORCETAKE(0, 0) 20
RSCRCVD_TIMEOUT(0) 21
"""

# 0 boots alone and declares 1 dead at D: with gated STONITH it asks for a reset of 1
# (the device owes FENCE(1) in [0, T] = [10, 20]) and takes over only once it is done.
FENCE_RUN = """
BOOT(0) 0
DEAD(0, 1) 10           # stn[1] := 1, fw_0[1] := 1
SELF(0) 10
FENCE(1) 15             # [0, T] after the DEAD; 1 was never up
TAKEOVER(0, 1) 31/2     # [0, smax] = [15, 16] after the FENCE
SELF(0) 31/2
"""

# 0 and 1 hear each other, the link is cut, each declares the other dead; the link heals
# and 0 hears 1's heartbeat of the generation it declared dead: the heal. HEALRUN(0) is
# due in [0, smax] after that HEAR, and restarts 0.
HEAL_RUN = """
BOOT(0) 0
BOOT(1) 0
HEAR(0, 1) 0
HEAR(1, 0) 0
CHILD(0) 1
CHILD(1) 1
LINK(0, 1) 1            # cut
DEAD(0, 1) 10
DEAD(1, 0) 10
MACHDOWN(0, 1) 10
MACHDOWN(1, 0) 10
LINK(0, 1) 11           # heal of the link
HEAR(0, 1) 11           # 0 finds the heal: hl_0 := 1
HEALRUN(0) 12           # [0, smax] = [11, 12]
HEAR(1, 0) 25/2         # 0's new incarnation is audible to 1 since 12, by its restart
HEAR(0, 1) 14           # 0 restarted strictly after 1 became audible (at 11): [12, 14.5]
"""


def test_close_window_exactly_q_after_the_boot_is_real():
    assert run(SPLIT, "BOOT(0) 0\nCLOSE_WINDOW(0) 10\nDEAD(0, 1) 10").check() == []


@pytest.mark.parametrize("t, side", [("9", "too early"), ("21/2", "too late")])
def test_close_window_not_exactly_q_after_the_boot_is_reported(t, side):
    lines = run(SPLIT, "BOOT(0) 0\nCLOSE_WINDOW(0) 10").moved(2, t).check()
    some(lines, "step 2 CLOSE_WINDOW(0)", "CLOSE_WINDOW window", side, "[10, 10]",
         "BOOT(0) at step 1")


def test_close_window_is_owed_q_after_the_boot_so_no_step_may_pass_it():
    only(run(ALONE, "BOOT(0) 0\nCRASH(0) 11").check(), "step 2 CRASH(0) at t=11", "urgency",
         "CLOSE_WINDOW(0)", "due by t=10")
    assert run(ALONE, "BOOT(0) 0\nCRASH(0) 10").check() == []
    # without the email's timer there is no window to close
    assert run(Config(N=1, home=(0,), crashes=1), "BOOT(0) 0\nCRASH(0) 11").check() == []


def test_close_window_after_a_restart_is_q_after_the_restart():
    r = run(ALONE, "BOOT(0) 0\nCRASH(0) 8\nRESTART(0) 9\nCLOSE_WINDOW(0) 19")
    assert r.check() == []
    only(r.moved(4, 10).check(), "step 4 CLOSE_WINDOW(0) at t=10", "CLOSE_WINDOW window",
         "too early", "[19, 19]", "RESTART(0) at step 3")


def test_a_crashed_node_owes_nothing_until_it_restarts():
    # down, 0 holds its boot values (wc = 0 among them), but its start window ended with
    # the crash: the restart may come after the old window's close was due (at 10)
    r = run(ALONE, "BOOT(0) 0\nCRASH(0) 8\nRESTART(0) 20\nCLOSE_WINDOW(0) 30")
    assert r.check() == []


def test_resend_starting_has_no_window_but_not_after_the_window_is_due_to_close():
    r = run(ALONE, """
        BOOT(0) 0
        RESEND_STARTING(0) 3    # any instant of the open window
        SELF(0) 3
        RESEND_STARTING(0) 10   # even at its end
        SELF(0) 10
        CLOSE_WINDOW(0) 10
    """)
    assert r.check() == []
    assert r.upto(3).moved(2, 0).moved(3, 0).check() == []
    only(r.upto(3).moved(2, 11).moved(3, 11).check(), "step 2 RESEND_STARTING(0) at t=11",
         "urgency", "CLOSE_WINDOW(0)", "due by t=10")


def test_rt_expire_q_minus_k_to_q_after_the_arming_is_real():
    assert run(SPLIT, TIMER_RUN).check() == []


@pytest.mark.parametrize("t, side", [("17", "too early"), ("41/2", "too late")])
def test_rt_expire_outside_q_minus_k_to_q_after_the_arming_is_reported(t, side):
    lines = run(SPLIT, TIMER_RUN).upto(11).moved(11, t).check()
    only(lines, f"step 11 RT_EXPIRE(0) at t={t if t == '17' else '20.5'}", "RT_EXPIRE window",
         side, "[18, 20]", "DEAD(0, 1) at step 3")


def test_a_timer_armed_once_the_window_is_over_is_owed_only_in_the_split_form():
    text = "\n".join(x for x in TIMER_RUN.splitlines() if not x.startswith("RT_EXPIRE"))
    assert run(COMBINED, text).check() == []     # the bug: rt never runs out
    only(run(SPLIT, text).check(), "step 12 RSCRCVD_TIMEOUT(0) at t=21", "urgency",
         "RT_EXPIRE(0)", "due by t=20")


def test_fence_and_takeover_inside_their_windows_are_real():
    assert run(GATED, FENCE_RUN).check() == []


def test_fence_later_than_t_after_the_dead_that_asked_for_it_is_reported():
    lines = run(GATED, FENCE_RUN).upto(4).moved(4, 21).check()
    only(lines, "step 4 FENCE(1) at t=21", "FENCE window", "too late", "[10, 20]",
         "DEAD(0, 1) at step 2")
    # the stonith timing key moves the bound
    assert run(GATED, FENCE_RUN).upto(4).moved(4, 21).check(
        TimingParameters(T=Fraction(11))) == []


def test_a_fence_is_owed_even_while_its_victim_is_down():
    only(run(GATED, "BOOT(0) 0\nDEAD(0, 1) 10\nSELF(0) 10\nBOOT(1) 21").check(),
         "step 4 BOOT(1) at t=21", "urgency", "FENCE(1)", "due by t=20")


def test_takeover_later_than_smax_after_the_fence_is_reported():
    lines = run(GATED, FENCE_RUN).upto(5).moved(5, 17).check()
    only(lines, "step 5 TAKEOVER(0, 1) at t=17", "TAKEOVER window", "too late", "[15, 16]",
         "FENCE(1) at step 4")


def test_a_fence_of_an_up_node_is_not_a_crash_but_makes_it_inaudible_as_one():
    # 1 boots while its reset is pending: 0 owes HEAR(0, 1) for 1's start-up heartbeat,
    # which would forbid a CRASH(1), but not the device's reset
    start = "BOOT(0) 0\nDEAD(0, 1) 10\nSELF(0) 10\nBOOT(1) 10\n"
    assert run(GATED, start + "FENCE(1) 10").check() == []
    some(run(GATED_CRASHY, start + "CRASH(1) 10").check(), "CRASH restriction", "HEAR(0, 1)")
    # once 0 has heard 1 again, the FENCE starts 1's inaudible period: DEAD(0, 1) is in
    # [u - K + D, u + dmax + D] = [18, 20.5] after it
    r = run(GATED, start + """
        HEAR(0, 1) 10
        FENCE(1) 10
        TAKEOVER(0, 1) 10
        SELF(0) 10
        MACHDOWN(0, 1) 10
        CHILD(0) 10
        SELF(0) 10
        SELF(0) 10
        SELF(0) 10
        DEAD(0, 1) 18
    """)
    assert r.check() == []
    only(r.moved(14, 17).check(), "step 14 DEAD(0, 1) at t=17", "DEAD window", "too early",
         "[18, 20.5]", "FENCE(1) at step 6")


def test_healrun_within_smax_of_the_hear_that_found_the_heal_is_real():
    assert run(HEALING, HEAL_RUN).check() == []


def test_healrun_later_than_smax_after_the_hear_that_found_the_heal_is_reported():
    lines = run(HEALING, HEAL_RUN).upto(14).moved(14, "25/2").check()
    only(lines, "step 14 HEALRUN(0) at t=12.5", "HEALRUN window", "too late", "[11, 12]",
         "HEAR(0, 1) at step 13")


def test_after_a_healrun_the_peer_hears_the_new_incarnation_within_dmax():
    lines = run(HEALING, HEAL_RUN).upto(15).moved(15, 13).check()
    only(lines, "step 15 HEAR(1, 0) at t=13", "HEAR window", "too late", "[12, 12.5]",
         "HEALRUN(0) at step 14")


def test_after_a_healrun_the_node_hears_its_peer_within_k_plus_dmax_of_its_restart():
    lines = run(HEALING, HEAL_RUN).moved(16, 15).check()
    only(lines, "step 16 HEAR(0, 1) at t=15", "HEAR window", "too late", "[12, 14.5]",
         "HEALRUN(0) at step 14")


# both nodes settle, the link is cut, each declares the other dead and takes its group,
# the link comes back and 0 hears 1 again (the heal is found)
PARTITION_HEALED = """
        BOOT(0) 0
        BOOT(1) 0
        HEAR(0, 1) 0
        HEAR(1, 0) 0
        CHILD(0) 1
        CHILD(1) 1
        LINK(0, 1) 1
        DEAD(0, 1) 10
        DEAD(1, 0) 10
        MACHDOWN(0, 1) 10
        MACHDOWN(1, 0) 10
        LINK(0, 1) 11
        HEAR(0, 1) 11
"""


def test_a_peer_owes_hear_for_a_new_generation_it_has_not_heard():
    # 1 has already heard 0 (its dead bit is clear), but not 0's new generation
    r = run(HEALING, PARTITION_HEALED + """
        HEAR(1, 0) 11
        HEALRUN(0) 12
        HEAR(0, 1) 13
    """)
    # (1 also found the heal at 11 and owes HEALRUN(1) by 12)
    some(r.check(), "step 16 HEAR(0, 1) at t=13", "urgency", "HEAR(1, 0)", "due by t=12.5")
    assert r.moved(16, 12).check() == []


def test_a_crash_right_after_a_healrun_is_under_the_crash_restriction():
    r = run(HEALING_CRASHY, "\n".join(HEAL_RUN.strip().splitlines()[:14]) + "\nCRASH(0) 12")
    only(r.check(), "step 15 CRASH(0) at t=12", "CRASH restriction", "HEAR(1, 0)",
         "HEALRUN(0) at step 14")


def test_dead_after_a_healrun_while_the_peer_is_inaudible_is_exactly_d_after_it():
    r = run(HEALING, PARTITION_HEALED + """
        LINK(0, 1) 11           # cut again before the heal restart
        HEALRUN(0) 12
        DEAD(0, 1) 22
    """)
    assert r.check() == []
    only(r.moved(16, 21).check(), "step 16 DEAD(0, 1) at t=21", "DEAD window", "too early",
         "[22, 22]", "HEALRUN(0) at step 15")


@pytest.mark.parametrize("cfg, text", [
    # FENCE at the instant of the DEAD that asked for it
    (GATED, "BOOT(0) 0\nDEAD(0, 1) 10\nSELF(0) 10\nFENCE(1) 10"),
    # TAKEOVER at the instant of the FENCE it waited for
    (GATED, "BOOT(0) 0\nDEAD(0, 1) 10\nSELF(0) 10\nFENCE(1) 15\nTAKEOVER(0, 1) 15\n"
            "SELF(0) 15"),
    # HEALRUN at the instant of the HEAR that found the heal
    (HEALING, prefix(HEAL_RUN, 13, "HEALRUN(0) 11")),
], ids=["FENCE", "TAKEOVER", "HEALRUN"])
def test_a_variant_action_at_the_instant_of_its_anchor_is_real(cfg, text):
    # their windows are [0, hi] from an earlier step: they cannot be too early
    assert run(cfg, text).check() == []


@pytest.mark.parametrize("cfg, text, owed, due", [
    # the FENCE at 15 leaves TAKEOVER(0, 1) due by 16
    (GATED, prefix(FENCE_RUN, 4, "BOOT(1) 17"), "TAKEOVER(0, 1)", "16"),
    # 0 found the heal at 11: HEALRUN(0) is due by 12 when 1 hears 0 again
    (HEALING, prefix(HEAL_RUN, 13, "HEAR(1, 0) 25/2"), "HEALRUN(0)", "12"),
], ids=["TAKEOVER", "HEALRUN"])
def test_a_step_after_the_deadline_of_a_pending_variant_obligation_is_reported(
        cfg, text, owed, due):
    r = run(cfg, text)
    last = len(r.actions)
    some(r.check(), f"step {last} ", "urgency", f"{owed} is still owed", f"due by t={due}")


# --- the environment's timing (heartbeat-2000.md 6.3: faults.quiet, cluster.boot_skew) ---------

LONE = Config(N=1, home=(0,), crashes=1, restarts=1, quiet=Fraction(31))
PRE_LINKS = Config(N=2, home=(0, 1), link_toggles=2, quiet=Fraction(31))
SKEWED = Config(N=2, home=(0, 1), boot_skew=Fraction(5))


def test_a_crash_and_a_restart_quiet_apart_and_after_the_boot_are_real():
    assert run(LONE, "BOOT(0) 0\nCRASH(0) 31\nRESTART(0) 62").check() == []


@pytest.mark.parametrize("text, step", [("BOOT(0) 0\nCRASH(0) 30", 2),
                                        ("BOOT(0) 0\nCRASH(0) 31\nRESTART(0) 61.5", 3)])
def test_a_fault_sooner_than_quiet_after_the_last_fault_or_boot_is_reported(text, step):
    only(run(LONE, text).check(), f"step {step}", "quiet", "at least 31")


def test_without_the_quiet_option_faults_may_come_at_any_instant():
    lone = Config(N=1, home=(0,), crashes=1, restarts=1)
    assert run(lone, "BOOT(0) 0\nCRASH(0) 0\nRESTART(0) 0").check() == []


def test_link_changes_before_any_boot_are_quiet_apart_too():
    assert run(PRE_LINKS, "LINK(0, 1) 0\nLINK(0, 1) 31").check() == []
    only(run(PRE_LINKS, "LINK(0, 1) 0\nLINK(0, 1) 30.5").check(), "step 2", "quiet")


def test_every_node_booting_within_the_skew_of_the_first_boot_is_real():
    assert run(SKEWED, "BOOT(0) 0\nBOOT(1) 5").check() == []


def test_a_node_booting_later_than_the_skew_after_the_first_boot_is_reported():
    only(run(SKEWED, "BOOT(0) 0\nBOOT(1) 5.5").check(), "step 2", "boot skew", "node 1")
    assert run(Config(N=2, home=(0, 1)), "BOOT(0) 0\nBOOT(1) 5.5").check() == []
