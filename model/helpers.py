"""The helpers of model.md section 3, run atomically inside the action that calls them.

Each works on a Draft `d` for node `i`. Names and order of effects follow heartbeat.c 1.51
(`req_our_resources`, `mark_node_dead`, `process_resources`) and the scripts it calls.
"""

from __future__ import annotations

from hacheck.checker import ModelBoundError
from hacheck.model.state import (
    COMM_LINKSUP, COMM_STARTING, F, L, NONE, R_BOTHSTARTING, R_INIT, R_RSCRCVD, R_STABLE,
    R_STARTING, RES, ST_ABSENT, STARTING, T_RESOURCES, T_STARTING, UP, UPD,
)

MAX_CHILDREN = 3  # model.md: `chld` never needs to exceed 3


def send(d, i: int, m: tuple) -> None:
    """model.md §3, send: to i's own status pipe, and to every peer that is running.

    A node that is not up never sees the message; a cut link only delays it (1.51's
    messages are sequenced and retransmitted), so the channel keeps it.
    """
    n = d.node(i)
    n.selfq = n.selfq + (m,)
    N = d.N
    for j in range(N):
        if j != i and d.ph(j) == UP:
            d.ch[i * N + j] = d.ch[i * N + j] + (m,)


def req_our_resources(d, i: int, stable: int) -> None:
    """model.md §3, req_our_resources: claim LOCAL, announce it (interim), fork the child."""
    n = d.node(i)
    if d.cfg.nice_failback:
        if n.oh & F or n.ih & L:
            return
        n.ih |= L
        send(d, i, RES(i, n.ih, stable, 0))
    if n.chld >= MAX_CHILDREN:
        raise ModelBoundError(f"node {i} would have more than {MAX_CHILDREN} pending children")
    n.chld += 1


def commup_check(d, i: int) -> None:
    """model.md §3, commup_check: COMM_LINKSUP once every peer has been heard from (or declared dead)."""
    n = d.node(i)
    others = ((1 << d.N) - 1) & ~(1 << i)
    if n.comm == COMM_STARTING and n.heard & others == others:
        n.comm = COMM_LINKSUP
        if d.cfg.nice_failback:
            if n.rs == R_INIT:
                send(d, i, STARTING(i))
                n.rs = R_STARTING
        elif n.rry == 0:
            n.rry = 1
            req_our_resources(d, i, 0)


def mark_node_dead(d, i: int, j: int) -> None:
    """model.md §3, mark_node_dead: j is dead; mach_down is started; with nice_failback, forget what
    the other claimed and re-request our own groups (the dead node may have held them)."""
    n = d.node(i)
    bit = 1 << j
    n.dead |= bit
    n.heard |= bit
    n.md |= bit
    if d.cfg.nice_failback:
        n.oh = NONE
        n.os = 0
        n.tip = 1
        req_our_resources(d, i, 1)
    commup_check(d, i)


def process_resources(d, i: int, m: tuple) -> None:
    """model.md §3, process_resources: the nice_failback state machine, for `starting` and `resource`."""
    n = d.node(i)
    if not d.cfg.nice_failback or n.comm != COMM_LINKSUP:
        return
    old = new = n.rs
    kind = m[0]
    if kind == T_STARTING:
        s = m[1]
        if s == i:
            return
        if old == R_INIT or old == R_BOTHSTARTING:
            return  # 1.51 logs an error and returns: no reply, no change
        if old == R_STARTING:
            new = R_BOTHSTARTING
        n.os = 0
        if n.tip and not n.ih & F:
            n.ih |= F  # "Fudging i_hold_resources"
        send(d, i, RES(i, n.ih, 1 if new == R_STABLE else 0, 0))
    elif kind == T_RESOURCES:
        _, s, claim, st, md = m
        if old == R_INIT:
            return  # error, no change
        if old == R_STARTING or old == R_BOTHSTARTING:
            new = R_RSCRCVD
        if s != i:
            if st != ST_ABSENT:
                n.os = st
            n.oh = UPD(n.oh, claim)
            if old != R_BOTHSTARTING:
                new = R_STABLE  # "I wonder if there's a timing hole here?"
                req_our_resources(d, i, 1)
        else:
            n.ih = UPD(n.ih, claim)
            if md:
                n.tip = 0
                n.os = 1
    else:
        return
    n.rs = new
