"""heartbeat.c 1.51's functions (model.md section 3), run atomically inside the action
that calls them: `send`, `req_our_resources`, `check_comm_isup` (model.md's commup_check),
`mark_node_dead` with its takeover, and `process_resources`, the nice_failback state
machine. Each changes the row `t` (the state being built) for node `i`; `k` is the
configuration's geometry (`model.state`).

These are 1.51's rules and nothing else. A variant that changes one of them has its own
module (heartbeat_165, email_timer, stonith, broken), and the call goes through
`model.rules`, which runs the one the configuration chose when its table was built
(`model.schema.HOOKS`). A model bound (a full queue, a fourth child) is recorded in
`t[STATUS]`, and the explorer stops with a model-bound error, never a verdict.
"""

from __future__ import annotations

from hacheck.checker.compiled import leaf
from hacheck.model.row import (
    COMM_LINKSUP, COMM_STARTING, F, L, NONE, R_BOTHSTARTING, R_INIT, R_RSCRCVD, R_STABLE,
    R_STARTING, RES, ST_ABSENT, STARTING, UP, chld, comm, dead, heard, ih, is_res,
    is_starting, md, oh, os, ph, res_fields, rry, rs, tip,
)
from hacheck.model.state import (
    BOUND_CHILDREN, K_N, K_NICE, MAX_CHILDREN, STATUS, ch, peers, push, selfq,
)


@leaf
def UPD(cur, n):
    """UPD_RSC: a `none` announcement wipes every bit, the others accumulate."""
    return 0 if n == NONE else cur | n


@leaf
def send(k, t, i, m):
    """model.md §3, send: to i's own status pipe, and to every peer that is running.

    A node that is not up never sees the message; a cut link only delays it (1.51's
    messages are sequenced and retransmitted), so the channel keeps it.
    """
    push(k, t, selfq(k, i), m)
    for j in range(k[K_N]):
        if j != i and t[ph(k, j)] == UP:
            push(k, t, ch(k, i, j), m)


@leaf
def resources_timer_allows(k, t, i):
    """The May 2000 patch's resources_timer, `#if 0` in 1.51: never in the way."""
    return True


@leaf
def other_has_or_i_asked(k, t, i):
    """req_our_resources' guard: the other side holds foreign groups (ours, taken over),
    or we have asked for ours already."""
    return (t[oh(k, i)] & F) != 0 or (t[ih(k, i)] & L) != 0


@leaf
def fork_child(k, t, i):
    """A `req_our_resources` child is forked (model.md: at most 3 pending)."""
    if t[chld(k, i)] >= MAX_CHILDREN:
        t[STATUS] = BOUND_CHILDREN
        return
    t[chld(k, i)] += 1


@leaf
def req_our_resources(k, t, i, stable):
    """model.md §3, req_our_resources: claim LOCAL, announce it (an interim announcement
    the child's will follow), fork the child that asks for our groups."""
    if k[K_NICE]:
        if not rules.resources_timer_allows(k, t, i):
            return
        if rules.other_has_or_i_asked(k, t, i):
            return
        t[ih(k, i)] |= L
        send(k, t, i, RES(t[ih(k, i)], stable, 0))
    fork_child(k, t, i)


@leaf
def check_comm_isup(k, t, i):
    """model.md §3, commup_check: COMM_LINKSUP once every peer has been heard from (or
    declared dead); with nice_failback, announce `starting`, else ask for our groups."""
    if t[comm(k, i)] == COMM_STARTING and t[heard(k, i)] == peers(k, i):
        t[comm(k, i)] = COMM_LINKSUP
        if k[K_NICE]:
            if t[rs(k, i)] == R_INIT:
                send(k, t, i, STARTING)
                t[rs(k, i)] = R_STARTING
        elif t[rry(k, i)] == 0:
            t[rry(k, i)] = 1
            rules.req_our_resources(k, t, i, 0)


@leaf
def declare_dead(k, t, i, j):
    """The bookkeeping of mark_node_dead: j is dead, and counts as heard from."""
    t[dead(k, i)] |= 1 << j
    t[heard(k, i)] |= 1 << j


@leaf
def mark_node_dead(k, t, i, j):
    """model.md §3, mark_node_dead: j is dead; take over from it at once."""
    declare_dead(k, t, i, j)
    rules.takeover_from_node(k, t, i, j)
    check_comm_isup(k, t, i)


@leaf
def takeover_from_node(k, t, i, j):
    """The takeover part of mark_node_dead (1.170's name for it): mach_down is started;
    with nice_failback, forget what the other claimed and request our own groups again
    (the dead node may have held them)."""
    t[md(k, i)] |= 1 << j
    if k[K_NICE]:
        t[oh(k, i)] = NONE
        t[tip(k, i)] = 1
        t[os(k, i)] = 0
        rules.req_our_resources(k, t, i, 1)


@leaf
def process_resources(k, t, i, sender, m):
    """model.md §3, process_resources: the nice_failback state machine, for `starting` and
    `resource` messages; `sender` sent m (i itself for its own messages)."""
    if not k[K_NICE] or t[comm(k, i)] != COMM_LINKSUP:
        return
    old = new = t[rs(k, i)]
    if is_starting(m):
        if sender == i:
            return
        if old == R_INIT or old == R_BOTHSTARTING:
            return   # 1.51 logs an error and returns: no reply, no change
        if old == R_STARTING:
            new = R_BOTHSTARTING
        t[os(k, i)] = 0
        if t[tip(k, i)] and not t[ih(k, i)] & F:
            t[ih(k, i)] |= F   # "Fudging i_hold_resources"
        send(k, t, i, RES(t[ih(k, i)], 1 if new == R_STABLE else 0, 0))
    elif is_res(m):
        claim, st, mach_down = res_fields(m)
        if old == R_INIT:
            return   # error, no change
        if old == R_STARTING or old == R_BOTHSTARTING:
            new = R_RSCRCVD
        if sender != i:
            if st != ST_ABSENT:
                t[os(k, i)] = st
            t[oh(k, i)] = UPD(t[oh(k, i)], claim)
            if old != R_BOTHSTARTING:
                new = R_STABLE   # "I wonder if there's a timing hole here?"
                rules.req_our_resources(k, t, i, 1)
        else:
            t[ih(k, i)] = UPD(t[ih(k, i)], claim)
            if mach_down:
                t[tip(k, i)] = 0
                t[os(k, i)] = 1
    else:
        return
    t[rs(k, i)] = new


# The variants' rules are reached through model.rules, which routes back to this module's
# functions: imported last, so that every function it names exists whichever module is
# imported first.
from hacheck.model import rules  # noqa: E402
