"""The helpers of model.md section 3, run atomically inside the action that calls them.

Each changes the row `t` (the state being built) for node `i`; `k` is the configuration's
geometry (`state.geometry`). Names and order of effects follow heartbeat.c 1.51
(`req_our_resources`, `mark_node_dead`, `process_resources`) and the scripts it calls.
`version_165(k)` switches on the 1.56-1.65 fixes (model/README.md, "Version 1.65"): no
interim announcement, mark_node_dead claims FOREIGN and trusts the other side, a peer's
message makes a node STABLE only once the peer is stable, and no "fudging".
The variants (model/README.md, "Variants") add the May 2000 patch's `resources_timer`
gate to req_our_resources (`email_timer`), and STONITH to mark_node_dead: 1.70 shoots
while it takes over (`race`), 1.170 shoots first and takes over when the reset is done
(`gated`, the rest of mark_node_dead is then `takeover_from_node`).
A model bound (a full queue, a fourth child) is recorded in `t[STATUS]`, and the explorer
stops with a model-bound error, never a verdict.
"""

from __future__ import annotations

from hacheck.checker.compiled import leaf

from hacheck.model.state import (
    BOUND_CHILDREN, CHLD, COMM, COMM_LINKSUP, COMM_STARTING, DEAD, F, HEARD, IH, K_N, K_NICE,
    K_VERSION, K_EMAIL_TIMER, K_STONITH, K_BROKEN, SHOT_PENDING, TIMER_ARMED, VAR, FW,
    L, MAX_CHILDREN, MD, NONE, OH, OS, PH, R_BOTHSTARTING, R_INIT, R_RSCRCVD, R_STABLE,
    R_STARTING, RES, RRY, RS, ST_ABSENT, STARTING, STATUS, TIP, UP, UPD, ch, is_res,
    is_starting, node, peers, push, res_fields, selfq,
)


@leaf
def version_165(k):
    return k[K_VERSION] == 165


STONITH_RACE, STONITH_GATED = 1, 2


@leaf
def send(k, t, i, m):
    """model.md §3, send: to i's own status pipe, and to every peer that is running.

    A node that is not up never sees the message; a cut link only delays it (1.51's
    messages are sequenced and retransmitted), so the channel keeps it.
    """
    push(k, t, selfq(k, i), m)
    for j in range(k[K_N]):
        if j != i and t[node(k, j) + PH] == UP:
            push(k, t, ch(k, i, j), m)


@leaf
def req_our_resources(k, t, i, stable):
    """model.md §3, req_our_resources: claim LOCAL, announce it (interim; not in 1.65),
    fork the child. With the email's timer, a call while resources_timer runs is dropped,
    and any other call starts it, before the guards (heartbeat-2000.md P9)."""
    n = node(k, i)
    if k[K_NICE]:
        if k[K_EMAIL_TIMER]:
            if t[n + VAR] & TIMER_ARMED:
                return   # "Used to avoid multiple resource requests"
            t[n + VAR] |= TIMER_ARMED
        if (t[n + OH] & F and not k[K_BROKEN]) or t[n + IH] & L:
            return
        t[n + IH] |= L
        if not version_165(k):
            send(k, t, i, RES(t[n + IH], stable, 0))
    if t[n + CHLD] >= MAX_CHILDREN:
        t[STATUS] = BOUND_CHILDREN
        return
    t[n + CHLD] += 1


@leaf
def commup_check(k, t, i):
    """model.md §3, commup_check: COMM_LINKSUP once every peer has been heard from (or
    declared dead); with nice_failback, announce `starting`."""
    n = node(k, i)
    if t[n + COMM] == COMM_STARTING and t[n + HEARD] == peers(k, i):
        t[n + COMM] = COMM_LINKSUP
        if k[K_NICE]:
            if t[n + RS] == R_INIT:
                send(k, t, i, STARTING)
                t[n + RS] = R_STARTING
        elif t[n + RRY] == 0:
            t[n + RRY] = 1
            req_our_resources(k, t, i, 0)


@leaf
def mark_node_dead(k, t, i, j):
    """model.md §3, mark_node_dead: j is dead. With STONITH gated (1.170), only ask the
    fencing device to reset j (Initiate_Reset) and wait for it; otherwise take over at once,
    and with STONITH race (1.70) also ask for the reset, which races the takeover."""
    n = node(k, i)
    bit = 1 << j
    t[n + DEAD] |= bit
    t[n + HEARD] |= bit
    if k[K_STONITH] == STONITH_GATED:
        Initiate_Reset(k, t, j)
        t[n + FW] |= bit
    else:
        takeover_from_node(k, t, i, j)
        if k[K_STONITH] == STONITH_RACE:
            Initiate_Reset(k, t, j)
    commup_check(k, t, i)


@leaf
def Initiate_Reset(k, t, j):
    """STONITH: the reset of j is asked of the fencing device (one request per victim:
    the device resets it once, whoever asked)."""
    t[node(k, j) + VAR] |= SHOT_PENDING


@leaf
def takeover_from_node(k, t, i, j):
    """The takeover part of mark_node_dead (1.170's name): mach_down is started; with
    nice_failback, forget what the other claimed and re-request our own groups (the dead
    node may have held them)."""
    n = node(k, i)
    t[n + MD] |= 1 << j
    if k[K_NICE]:
        t[n + OH] = NONE
        t[n + TIP] = 1
        if version_165(k):   # 1.56: "we now hold the dead node's groups", and trust that
            t[n + OS] = 1
            t[n + IH] |= F
        else:
            t[n + OS] = 0
        req_our_resources(k, t, i, 1)


@leaf
def process_resources(k, t, i, sender, m):
    """model.md §3, process_resources: the nice_failback state machine, for `starting` and
    `resource` messages; `sender` sent m (i itself for its own messages)."""
    n = node(k, i)
    if not k[K_NICE] or t[n + COMM] != COMM_LINKSUP:
        return
    old = new = t[n + RS]
    if is_starting(m):
        if sender == i:
            return
        if old == R_INIT or old == R_BOTHSTARTING:
            return   # 1.51 logs an error and returns: no reply, no change
        if old == R_STARTING:
            new = R_BOTHSTARTING
        t[n + OS] = 0
        if t[n + TIP] and not t[n + IH] & F and not version_165(k):
            t[n + IH] |= F   # "Fudging i_hold_resources" (removed in 1.56)
        send(k, t, i, RES(t[n + IH], 1 if new == R_STABLE else 0, 0))
    elif is_res(m):
        claim, st, md = res_fields(m)
        if old == R_INIT:
            return   # error, no change
        if old == R_STARTING or old == R_BOTHSTARTING:
            new = R_RSCRCVD
        if sender != i:
            if st != ST_ABSENT:
                t[n + OS] = st
            t[n + OH] = UPD(t[n + OH], claim)
            if version_165(k):
                if old != R_STABLE and t[n + OS]:   # 1.56: only once the other is stable
                    req_our_resources(k, t, i, 1)
                    new = R_STABLE
                    send(k, t, i, RES(t[n + IH], 1, 0))
            elif old != R_BOTHSTARTING:
                new = R_STABLE   # "I wonder if there's a timing hole here?"
                req_our_resources(k, t, i, 1)
        else:
            t[n + IH] = UPD(t[n + IH], claim)
            if md:
                t[n + TIP] = 0
                t[n + OS] = 1
    else:
        return
    t[n + RS] = new
