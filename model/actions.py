"""The actions of model.md section 4: one function each, guard first, then effect.

Each takes the configuration, a state and the action's arguments, and returns the next
state, or None when the guard does not hold. The node taking an action must be up unless
the action says otherwise.
"""

from __future__ import annotations

from typing import NamedTuple

from hacheck.model.draft import Draft
from hacheck.model.helpers import commup_check, mark_node_dead, process_resources, req_our_resources, send
from hacheck.model.state import (
    DOWN, F, IPRESP, IPREQ, L, NONE, PRE, R_RSCRCVD, R_STABLE, RES, ST_ABSENT, T_IPREQ,
    T_IPRESP, T_RESOURCES, T_STARTING, UP, boot_values, pair_bit,
)


class Action(NamedTuple):
    name: str
    node: int | None   # the node that takes it (the receiver, for DELIVER); None for LINK
    args: tuple

    def __str__(self) -> str:
        return f"{self.name}({', '.join(map(str, self.args))})"


# --- Environment: faults and boots ---------------------------------------------------

def BOOT(cfg, s, i):
    """model.md §4 Environment. A node starts for the first time."""
    if s.nodes[i].ph != PRE:
        return None
    nodes = list(s.nodes)
    nodes[i] = boot_values(cfg.N)._replace(ph=UP)
    return s._replace(nodes=tuple(nodes))


def CRASH(cfg, s, i):
    """model.md §4 Environment. Fail-stop: the node loses its groups, its pending scripts and its inbound messages.
    Messages it already sent stay on the wire."""
    if s.nodes[i].ph != UP or s.crashes_left == 0:
        return None
    N = cfg.N
    nodes = list(s.nodes)
    nodes[i] = boot_values(N)._replace(ph=DOWN)
    own = list(s.own)
    own[i] = 0
    ch = list(s.ch)
    for j in range(N):
        ch[j * N + i] = ()
    return s._replace(nodes=tuple(nodes), own=tuple(own), rq=s.rq & ~cfg.local_mask[i],
                      ch=tuple(ch), crashes_left=s.crashes_left - 1)


def RESTART(cfg, s, i):
    """model.md §4 Environment."""
    if s.nodes[i].ph != DOWN or s.restarts_left == 0:
        return None
    nodes = list(s.nodes)
    nodes[i] = boot_values(cfg.N)._replace(ph=UP)
    return s._replace(nodes=tuple(nodes), restarts_left=s.restarts_left - 1)


def LINK(cfg, s, i, j):
    """model.md §4 Environment. Cut or heal the link between i < j. Channels keep their messages."""
    if s.toggles_left == 0:
        return None
    return s._replace(conn=s.conn ^ pair_bit(i, j, cfg.N), toggles_left=s.toggles_left - 1)


# --- Network ---------------------------------------------------------------------------

def DELIVER(cfg, s, i, j):
    """model.md §4 Network. j receives the head of ch[i][j]; any packet counts as heard from i."""
    N = cfg.N
    queue = s.ch[i * N + j]
    if not queue or not s.conn & pair_bit(i, j, N) or s.nodes[j].ph != UP:
        return None
    d = Draft(cfg, s)
    m = queue[0]
    d.ch[i * N + j] = queue[1:]
    d.node(j).heard |= 1 << i
    commup_check(d, j)
    kind = m[0]
    if kind == T_STARTING or kind == T_RESOURCES:
        process_resources(d, j, m)
    elif kind == T_IPREQ:
        _, requester, g = m
        if d.own[j] >> g & 1:  # rc.d/ip-request: give the group up and answer
            d.own[j] &= ~(1 << g)
            send(d, j, IPRESP(j, requester, g))
    elif kind == T_IPRESP:
        _, _, dest, g = m
        if dest == j:  # rc.d/ip-request-resp: takegroup
            d.own[j] |= 1 << g
    return d.freeze()


def SELF(cfg, s, i):
    """model.md §4 Network. i processes the head of its own status pipe; scripts ignore their own requests."""
    selfq = s.nodes[i].selfq
    if s.nodes[i].ph != UP or not selfq:
        return None
    d = Draft(cfg, s)
    m = selfq[0]
    d.node(i).selfq = selfq[1:]
    if m[0] == T_STARTING or m[0] == T_RESOURCES:
        process_resources(d, i, m)
    return d.freeze()


def HEAR(cfg, s, i, j):
    """model.md §4 Network. A status heartbeat from j reaches i (heartbeats are not kept in the channels)."""
    n = s.nodes[i]
    bit = 1 << j
    if (n.ph != UP or s.nodes[j].ph != UP or not s.conn & pair_bit(i, j, cfg.N)
            or (n.heard & bit and not n.dead & bit)):
        return None
    d = Draft(cfg, s)
    nd = d.node(i)
    nd.heard |= bit
    nd.dead &= ~bit
    commup_check(d, i)
    return d.freeze()


# --- Node-internal: timers and scripts -------------------------------------------------

def DEAD(cfg, s, i, j):
    """model.md §4 Node-internal. j's heartbeats have stopped reaching i for deadtime: check_for_timeouts."""
    n = s.nodes[i]
    if (n.ph != UP or n.dead >> j & 1
            or (s.nodes[j].ph == UP and s.conn & pair_bit(i, j, cfg.N))):
        return None
    d = Draft(cfg, s)
    mark_node_dead(d, i, j)
    return d.freeze()


def MACHDOWN(cfg, s, i, j):
    """model.md §4 Node-internal. lib/mach_down j: take every group homed on j; with nice_failback, announce foreign."""
    n = s.nodes[i]
    if n.ph != UP or not n.md >> j & 1:
        return None
    d = Draft(cfg, s)
    d.node(i).md &= ~(1 << j)
    d.own[i] |= cfg.local_mask[j]
    if cfg.nice_failback:
        send(d, i, RES(i, F, ST_ABSENT, 1))
    return d.freeze()


def CHILD(cfg, s, i):
    """model.md §4 Node-internal. The req_our_resources child: `req_resource g &` for every local group not running
    here, then (nice_failback) announce `local`, or `none` when there are no local groups."""
    n = s.nodes[i]
    if n.ph != UP or n.chld == 0:
        return None
    d = Draft(cfg, s)
    d.node(i).chld -= 1
    for g in cfg.H(i):
        bit = 1 << g
        if not d.own[i] & bit and not d.rq & bit:
            send(d, i, IPREQ(i, g))
            d.rq |= bit
    if cfg.nice_failback:
        send(d, i, RES(i, L if cfg.H(i) else NONE, 1, 0))
    return d.freeze()


def FORCETAKE(cfg, s, i, g):
    """model.md §4 Node-internal. req_resource's `sleep 10; takegroup g`: taken whatever the holder said."""
    bit = 1 << g
    if s.nodes[i].ph != UP or cfg.home[g] != i or not s.rq & bit:
        return None
    own = list(s.own)
    own[i] |= bit
    return s._replace(own=tuple(own), rq=s.rq & ~bit)


def RSCRCVD_TIMEOUT(cfg, s, i):
    """model.md §4 Node-internal. local_takeover: RQSTDELAY has passed in R_RSCRCVD; take unclaimed local groups."""
    if not cfg.nice_failback or s.nodes[i].ph != UP or s.nodes[i].rs != R_RSCRCVD:
        return None
    d = Draft(cfg, s)
    d.node(i).rs = R_STABLE
    req_our_resources(d, i, 1)
    return d.freeze()


def action_table(cfg) -> list[tuple[Action, object]]:
    """Every action of the configuration with its function, in a fixed order: the order
    of model.md section 4, and nodes (then peers, then groups) in index order."""
    N = cfg.N
    nodes = range(N)
    pairs = [(i, j) for i in nodes for j in nodes if i != j]
    table = []
    table += [(Action("BOOT", i, (i,)), BOOT) for i in nodes]
    table += [(Action("CRASH", i, (i,)), CRASH) for i in nodes]
    table += [(Action("RESTART", i, (i,)), RESTART) for i in nodes]
    table += [(Action("LINK", None, (i, j)), LINK) for i, j in pairs if i < j]
    table += [(Action("DELIVER", j, (i, j)), DELIVER) for i, j in pairs]
    table += [(Action("SELF", i, (i,)), SELF) for i in nodes]
    table += [(Action("HEAR", i, (i, j)), HEAR) for i, j in pairs]
    table += [(Action("DEAD", i, (i, j)), DEAD) for i, j in pairs]
    table += [(Action("MACHDOWN", i, (i, j)), MACHDOWN) for i, j in pairs]
    table += [(Action("CHILD", i, (i,)), CHILD) for i in nodes]
    table += [(Action("FORCETAKE", cfg.home[g], (cfg.home[g], g)), FORCETAKE) for g in range(cfg.G)]
    table += [(Action("RSCRCVD_TIMEOUT", i, (i,)), RSCRCVD_TIMEOUT) for i in nodes]
    return table
