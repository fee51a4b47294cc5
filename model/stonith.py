"""STONITH (`[protocol] stonith`): a node that declares its peer dead asks the fencing
device to reset it. 1.70 (July 2000) shoots while it takes over (`"race"`): mach_down
may run the peer's groups before the reset has happened. 1.170 (April 2002) shoots
first and takes over only when the reset is done (`true`, gated: StonithProcessDied).
The node variables `stn` and `fw` are this variant's (model.schema).
"""

from __future__ import annotations

from hacheck.checker.compiled import leaf
from hacheck.model import rules
from hacheck.model.actions import end_process
from hacheck.model.heartbeat_c import check_comm_isup, declare_dead
from hacheck.model.row import DOWN, SHOT_PENDING, UP, fw, ph, var
from hacheck.model.state import copy_row


@leaf
def Initiate_Reset(k, t, j):
    """The reset of j is asked of the fencing device (one request per victim: the device
    resets it once, whoever asked)."""
    t[var(k, j)] |= SHOT_PENDING


@leaf
def mark_node_dead_race(k, t, i, j):
    """1.70: take over from j at once, and ask for its reset, which races the
    takeover."""
    declare_dead(k, t, i, j)
    rules.takeover_from_node(k, t, i, j)
    Initiate_Reset(k, t, j)
    check_comm_isup(k, t, i)


@leaf
def mark_node_dead_gated(k, t, i, j):
    """1.170: only ask the fencing device to reset j, and wait for it (TAKEOVER)."""
    declare_dead(k, t, i, j)
    Initiate_Reset(k, t, j)
    t[fw(k, i)] |= 1 << j
    check_comm_isup(k, t, i)


@leaf
def FENCE(k, s, t, j):
    """The fencing device resets j (a power cycle): an up j stops as in a crash, outside
    the crash budget; it comes back only through RESTART."""
    if not s[var(k, j)] & SHOT_PENDING:
        return False
    copy_row(s, t)
    t[var(k, j)] &= ~SHOT_PENDING
    if s[ph(k, j)] == UP:
        end_process(k, t, j, DOWN)
    return True


@leaf
def TAKEOVER(k, s, t, i, j):
    """1.170, StonithProcessDied: the reset of j that i asked for is done; i now takes
    over from j."""
    bit = 1 << j
    if s[ph(k, i)] != UP or not s[fw(k, i)] & bit or s[var(k, j)] & SHOT_PENDING:
        return False
    copy_row(s, t)
    t[fw(k, i)] &= ~bit
    rules.takeover_from_node(k, t, i, j)
    check_comm_isup(k, t, i)
    return True
