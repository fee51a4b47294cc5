"""heartbeat.c 1.65's rules where they differ from 1.51's (`[protocol] version = "1.65"`):
the 1.56-1.65 race fixes, read from the code (model/README.md, "Version 1.65"; commits
`655c64221` for 1.56 and `e5f4d5501` for 1.65 in vyos-legacy/heartbeat).

- req_our_resources claims LOCAL and forks the child, with no interim announcement;
- the takeover of mark_node_dead also claims FOREIGN and trusts the dead node's groups
  are now ours (`other_is_stable`);
- process_resources: no "fudging" on a peer's `starting`; a peer's `resource` makes the
  node STABLE (and announce it) only once the peer is stable, BOTHSTARTING is no longer
  special, and a STABLE node no longer asks again;
- the child always announces `local`, not stable ("king of nothing");
- RSCRCVD's timeout announces the outcome, stable.

`model.rules` runs these instead of 1.51's when the configuration says so.
"""

from __future__ import annotations

from hacheck.checker.compiled import leaf
from hacheck.model import rules
from hacheck.model.heartbeat_c import UPD, fork_child, send
from hacheck.model.row import (
    COMM_LINKSUP, F, L, NONE, R_BOTHSTARTING, R_INIT, R_RSCRCVD, R_STABLE, R_STARTING, RES,
    ST_ABSENT, comm, ih, is_res, is_starting, md, oh, os, res_fields, rs, tip,
)
from hacheck.model.actions import child_ready, child_requests, waits_in_rscrcvd
from hacheck.model.state import K_NICE, copy_row


@leaf
def req_our_resources(k, t, i, stable):
    """1.56: claim LOCAL and fork the child; the child's announcement is the only one."""
    if k[K_NICE]:
        if not rules.resources_timer_allows(k, t, i):
            return
        if rules.other_has_or_i_asked(k, t, i):
            return
        t[ih(k, i)] |= L
    fork_child(k, t, i)


@leaf
def takeover_from_node(k, t, i, j):
    """1.56: "we now hold the dead node's groups", and trust that."""
    t[md(k, i)] |= 1 << j
    if k[K_NICE]:
        t[oh(k, i)] = NONE
        t[tip(k, i)] = 1
        t[os(k, i)] = 1
        t[ih(k, i)] |= F
        rules.req_our_resources(k, t, i, 1)


@leaf
def process_resources(k, t, i, sender, m):
    """1.65's process_resources: as 1.51's, but a peer's `resource` makes the node STABLE
    only once the peer is stable (the test is on other_is_stable after the update), and
    the answer to `starting` is not fudged."""
    if not k[K_NICE] or t[comm(k, i)] != COMM_LINKSUP:
        return
    old = new = t[rs(k, i)]
    if is_starting(m):
        if sender == i:
            return
        if old == R_INIT or old == R_BOTHSTARTING:
            return
        if old == R_STARTING:
            new = R_BOTHSTARTING
        t[os(k, i)] = 0
        send(k, t, i, RES(t[ih(k, i)], 1 if new == R_STABLE else 0, 0))
    elif is_res(m):
        claim, st, mach_down = res_fields(m)
        if old == R_INIT:
            return
        if old == R_STARTING or old == R_BOTHSTARTING:
            new = R_RSCRCVD
        if sender != i:
            if st != ST_ABSENT:
                t[os(k, i)] = st
            t[oh(k, i)] = UPD(t[oh(k, i)], claim)
            if old != R_STABLE and t[os(k, i)]:   # 1.56: only once the other is stable
                rules.req_our_resources(k, t, i, 1)
                new = R_STABLE
                send(k, t, i, RES(t[ih(k, i)], 1, 0))
        else:
            t[ih(k, i)] = UPD(t[ih(k, i)], claim)
            if mach_down:
                t[tip(k, i)] = 0
                t[os(k, i)] = 1
    else:
        return
    t[rs(k, i)] = new


@leaf
def CHILD(k, s, t, i):
    """1.65's child: its requests, then `local`, not stable, even without local groups
    ("king of nothing"; the flag 0 came in 1.56)."""
    if not child_ready(k, s, i):
        return False
    copy_row(s, t)
    child_requests(k, t, i)
    if k[K_NICE]:
        send(k, t, i, RES(L, 0, 0))
    return True


@leaf
def RSCRCVD_TIMEOUT(k, s, t, i):
    """1.56: local_takeover, then announce the outcome, stable."""
    if not waits_in_rscrcvd(k, s, i):
        return False
    copy_row(s, t)
    t[rs(k, i)] = R_STABLE
    rules.req_our_resources(k, t, i, 1)
    send(k, t, i, RES(t[ih(k, i)], 1, 0))
    return True
