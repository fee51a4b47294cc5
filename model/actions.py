"""The actions of model.md section 4, as heartbeat 1.51 and its scripts take them: one
function each, guard first, then effect. (Which actions a configuration has, with their
arguments and windows, is declared in `model.schema.ACTIONS`; the variants' actions are
in their own modules, and `model.rules` dispatches to the one a configuration runs.)

Each takes the geometry `k`, the state `s` (a row, only read), a row `t` to build the next
state in, and the action's arguments. When the guard holds, it copies `s` into `t`,
applies the effect to `t` and returns True; otherwise it returns False and leaves `t`
alone. The node taking an action must be up unless the action says otherwise.
"""

from __future__ import annotations

from hacheck.checker.compiled import leaf
from hacheck.model.heartbeat_c import check_comm_isup, send
from hacheck.model.row import (
    COMM, COMM_LINKSUP, COMM_STARTING, CONN, CRASHES_LEFT, DOWN, F, FORGOTTEN_BY_PEERS,
    IPREQ, IPRESP, KEPT_ON_RESET, L, M_IPREQ, NODE_FIELDS, NONE, PH, PRE, R_RSCRCVD, R_STABLE,
    RES, RESTARTS_LEFT, RQ, ST_ABSENT, TOGGLES_LEFT, UP, VAR, chld, dead, heard,
    ipresp_fields, is_ipreq, is_res, is_starting, md, own, ph, rs,
)
from hacheck.model.state import (
    K_HOME, K_N, K_NICE, ch, clear, copy_row, linked, local_groups, node, pop, selfq,
)


# --- a node's process begins and ends ---------------------------------------------------------

@leaf
def reset(k, t, i, phase):
    """Give every per-node variable of i its boot value and empty i's selfq (model.md
    section 2: a single node is linked up at once); `phase` is its new phase. What the
    schema says a reset keeps stays (a reset asked of the fencing device is not the
    node's to forget), and the peers forget what they knew of the old incarnation."""
    n = node(k, i)
    kept = t[n + VAR] & KEPT_ON_RESET
    for x in range(n, n + NODE_FIELDS):
        t[x] = 0
    t[n + PH] = phase
    t[n + COMM] = COMM_LINKSUP if k[K_N] == 1 else COMM_STARTING
    t[n + VAR] = kept
    for j in range(k[K_N]):
        for f in FORGOTTEN_BY_PEERS:
            t[node(k, j) + f] &= ~(1 << i)
    clear(k, t, selfq(k, i))


@leaf
def end_process(k, t, i, phase):
    """i's heartbeat process ends, with its groups, its pending scripts and its inbound
    messages, and i is left in `phase` (down; or up again, fresh, after a heal restart);
    messages it already sent stay on the wire."""
    reset(k, t, i, phase)           # own[i][*] := 0 too: `own` is a node field of the row
    t[RQ] &= ~local_groups(k, i)    # i's req_resource sleepers die with it
    for j in range(k[K_N]):
        if j != i:
            clear(k, t, ch(k, j, i))


# --- Environment: faults and boots ---------------------------------------------------

@leaf
def BOOT(k, s, t, i):
    """model.md §4 Environment. A node starts for the first time."""
    if s[ph(k, i)] != PRE:
        return False
    copy_row(s, t)
    reset(k, t, i, UP)
    return True


@leaf
def CRASH(k, s, t, i):
    """model.md §4 Environment. Fail-stop: the node loses its groups, its pending scripts
    and its inbound messages. Messages it already sent stay on the wire."""
    if s[ph(k, i)] != UP or s[CRASHES_LEFT] == 0:
        return False
    copy_row(s, t)
    end_process(k, t, i, DOWN)      # fail-stop
    t[CRASHES_LEFT] -= 1
    return True


@leaf
def RESTART(k, s, t, i):
    """model.md §4 Environment."""
    if s[ph(k, i)] != DOWN or s[RESTARTS_LEFT] == 0:
        return False
    copy_row(s, t)
    reset(k, t, i, UP)
    t[RESTARTS_LEFT] -= 1
    return True


@leaf
def LINK(k, s, t, i, j):
    """model.md §4 Environment. Cut or heal the link between i < j. Channels keep their
    messages. Needs no node to be up."""
    if s[TOGGLES_LEFT] == 0:
        return False
    copy_row(s, t)
    t[CONN + i] ^= 1 << j
    t[CONN + j] ^= 1 << i
    t[TOGGLES_LEFT] -= 1
    return True


# --- Network ---------------------------------------------------------------------------

@leaf
def DELIVER(k, s, t, i, j):
    """model.md §4 Network. j receives the head of ch[i][j]; any packet counts as heard
    from i. The sender may have crashed since it sent."""
    q = ch(k, i, j)
    if s[q] == 0 or not linked(s, i, j) or s[ph(k, j)] != UP:
        return False
    copy_row(s, t)
    m = pop(k, t, q)
    t[heard(k, j)] |= 1 << i
    check_comm_isup(k, t, j)
    if is_starting(m) or is_res(m):
        rules.process_resources(k, t, j, i, m)
    elif is_ipreq(m):
        g = m - M_IPREQ
        if t[own(k, j)] >> g & 1:   # rc.d/ip-request: give the group up and answer
            t[own(k, j)] &= ~(1 << g)
            send(k, t, j, IPRESP(i, g))
    else:
        dest, g = ipresp_fields(m)
        if dest == j:               # rc.d/ip-request-resp: takegroup
            t[own(k, j)] |= 1 << g
    return True


@leaf
def SELF(k, s, t, i):
    """model.md §4 Network. i processes the head of its own status pipe; the scripts
    ignore their own requests."""
    q = selfq(k, i)
    if s[ph(k, i)] != UP or s[q] == 0:
        return False
    copy_row(s, t)
    m = pop(k, t, q)
    if is_starting(m) or is_res(m):
        rules.process_resources(k, t, i, i, m)
    return True


@leaf
def heartbeat_arrives(k, s, i, j):
    """HEAR's guard: i and j are up and linked (heartbeats are not kept in the
    channels: this stands for the one that arrives)."""
    return s[ph(k, i)] == UP and s[ph(k, j)] == UP and linked(s, i, j)


@leaf
def heard_from(k, t, i, j):
    """HEAR's effect: j counts as heard from, and alive."""
    t[heard(k, i)] |= 1 << j
    t[dead(k, i)] &= ~(1 << j)
    check_comm_isup(k, t, i)


@leaf
def HEAR(k, s, t, i, j):
    """model.md §4 Network. A status heartbeat from j reaches i, who had not heard from
    j yet or had declared it dead."""
    bit = 1 << j
    if not heartbeat_arrives(k, s, i, j) or (s[heard(k, i)] & bit and not s[dead(k, i)] & bit):
        return False
    copy_row(s, t)
    heard_from(k, t, i, j)
    return True


# --- Node-internal: timers and scripts -------------------------------------------------

@leaf
def DEAD(k, s, t, i, j):
    """model.md §4 Node-internal. j's heartbeats have stopped reaching i for
    deadtime: check_for_timeouts."""
    if (s[ph(k, i)] != UP or s[dead(k, i)] >> j & 1
            or (s[ph(k, j)] == UP and linked(s, i, j))):
        return False
    copy_row(s, t)
    rules.mark_node_dead(k, t, i, j)
    return True


@leaf
def MACHDOWN(k, s, t, i, j):
    """model.md §4 Node-internal. lib/mach_down j: take every group homed on j; with
    nice_failback, announce foreign."""
    if s[ph(k, i)] != UP or not s[md(k, i)] >> j & 1:
        return False
    copy_row(s, t)
    t[md(k, i)] &= ~(1 << j)
    t[own(k, i)] |= local_groups(k, j)
    if k[K_NICE]:
        send(k, t, i, RES(F, ST_ABSENT, 1))
    return True


@leaf
def child_ready(k, s, i):
    """CHILD's guard: a req_our_resources child is pending."""
    return s[ph(k, i)] == UP and s[chld(k, i)] > 0


@leaf
def child_requests(k, t, i):
    """The child's `req_resource g &` for every local group not running here and not
    requested already (in group order)."""
    t[chld(k, i)] -= 1
    mine = local_groups(k, i)
    for g in range(8):
        bit = 1 << g
        if mine & bit and not t[own(k, i)] & bit and not t[RQ] & bit:
            send(k, t, i, IPREQ(g))
            t[RQ] |= bit


@leaf
def CHILD(k, s, t, i):
    """model.md §4 Node-internal. The req_our_resources child: `req_resource g &` for
    every local group not running here, then (nice_failback) announce `local`, or `none`
    when there are no local groups."""
    if not child_ready(k, s, i):
        return False
    copy_row(s, t)
    child_requests(k, t, i)
    if k[K_NICE]:
        send(k, t, i, RES(L if local_groups(k, i) else NONE, 1, 0))
    return True


@leaf
def FORCETAKE(k, s, t, i, g):
    """model.md §4 Node-internal. req_resource's `sleep 10; takegroup g`: taken whatever
    the holder said."""
    bit = 1 << g
    if s[ph(k, i)] != UP or k[K_HOME + g] != i or not s[RQ] & bit:
        return False
    copy_row(s, t)
    t[own(k, i)] |= bit
    t[RQ] &= ~bit
    return True


@leaf
def waits_in_rscrcvd(k, s, i):
    """RSCRCVD_TIMEOUT's guard: with nice_failback, i is in R_RSCRCVD."""
    return k[K_NICE] and s[ph(k, i)] == UP and s[rs(k, i)] == R_RSCRCVD


@leaf
def RSCRCVD_TIMEOUT(k, s, t, i):
    """model.md §4 Node-internal. local_takeover: RQSTDELAY has passed in R_RSCRCVD; take
    unclaimed local groups."""
    if not waits_in_rscrcvd(k, s, i):
        return False
    copy_row(s, t)
    t[rs(k, i)] = R_STABLE
    rules.req_our_resources(k, t, i, 1)
    return True


# The variants' rules are reached through model.rules, which routes back to this module's
# functions: imported last, so that every function it names exists whichever module is
# imported first.
from hacheck.model import rules  # noqa: E402
