"""The state of model.md section 2 as readable values, for reports, traces and tests.

`ClusterState` holds every variable by its model.md name; messages are tuples that name
their sender, as in model.md (`RES(s, n, st, md)`). `pack` and `unpack` convert exactly
between a `ClusterState` and the row the compiled model works on (`state.py`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from hacheck.checker import ModelBoundError
from hacheck.model.state import (
    BOUND_QUEUE, BOUND_TEXT, COMM_LINKSUP, COMM_STARTING, CONN, CRASHES_LEFT, K_CAPACITY,
    K_N, K_NODES, K_QSTRIDE, K_QUEUES, K_WIDTH, M_IPREQ, M_IPRESP, M_RES, M_STARTING,
    LOSSES_LEFT, NONE, OWN, PRE, R_INIT, RESTARTS_LEFT, RQ, TOGGLES_LEFT,
    FW, GS, HEAL_PENDING, NODE_FIELDS, REPEATS_MASK, REPEATS_SHIFT, SHOT_PENDING, TIMER_ARMED,
    VAR, WINDOW_CLOSED,
)

T_STARTING = "starting"
T_RESOURCES = "resource"
T_IPREQ = "ip-request"
T_IPRESP = "ip-request-resp"


def UPD(cur: int, n: int) -> int:
    """heartbeat's UPD_RSC: a `none` announcement wipes every bit, others accumulate."""
    return 0 if n == NONE else cur | n


def STARTING(s: int) -> tuple:
    return (T_STARTING, s)


def RES(s: int, n: int, st: int, md: int) -> tuple:
    return (T_RESOURCES, s, n, st, md)


def IPREQ(s: int, g: int) -> tuple:
    return (T_IPREQ, s, g)


def IPRESP(s: int, d: int, g: int) -> tuple:
    return (T_IPRESP, s, d, g)


def message_code(m: tuple) -> int:
    """The byte of a readable message (its sender is left out)."""
    kind = m[0]
    if kind == T_STARTING:
        return M_STARTING
    if kind == T_RESOURCES:
        _, _, n, st, md = m
        return M_RES + n * 6 + st * 2 + md
    if kind == T_IPREQ:
        return M_IPREQ + m[2]
    if kind == T_IPRESP:
        return M_IPRESP + 8 * m[2] + m[3]
    raise ValueError(f"unknown message {m!r}")


def message_of(sender: int, code: int) -> tuple:
    """The readable message of a byte sent by `sender`."""
    if code == M_STARTING:
        return STARTING(sender)
    if M_RES <= code < M_IPREQ:
        x = code - M_RES
        return RES(sender, x // 6, x % 6 // 2, x % 2)
    if M_IPREQ <= code < M_IPRESP:
        return IPREQ(sender, code - M_IPREQ)
    x = code - M_IPRESP
    return IPRESP(sender, x // 8, x % 8)


class NodeState(NamedTuple):
    ph: int = PRE          # pre (never booted), up, down (crashed)
    comm: int = COMM_STARTING   # heartbeat_comm_state
    heard: int = 0         # anypacketsyet, per peer (mask)
    dead: int = 0          # i has declared the peer dead (mask)
    rs: int = R_INIT       # rstate
    ih: int = NONE         # i_hold_resources
    oh: int = NONE         # other_holds_resources
    os: int = 0            # other_is_stable
    tip: int = 0           # takeover_in_progress
    rry: int = 0           # resources_requested_yet (nice_failback off)
    chld: int = 0          # req_our_resources children not yet run
    md: int = 0            # a `mach_down j` script is pending (mask)
    # the variants' variables (model/README.md, "Variants"); 0 when they are off
    wc: int = 0            # email_timer: the start window (RQSTDELAY after start) is over
    rt: int = 0            # email_timer: resources_timer > 0
    ss: int = 0            # email_timer: how many times `starting` has been repeated
    hl: int = 0            # heal: healed_cluster_partition under way
    stn: int = 0           # stonith: a reset of this node has been asked of the device
    fw: int = 0            # stonith (gated): waiting for the reset of the peer (mask)
    gs: int = 0            # heal: heard a heartbeat of the peer's current generation (mask)
    selfq: tuple = ()      # own messages not yet processed by this node


class ClusterState(NamedTuple):
    nodes: tuple           # NodeState per node
    own: tuple             # own[i]: mask of groups node i runs (ground truth)
    rq: int                # mask of groups whose req_resource is pending
    ch: tuple              # ch[i*N + j]: messages from i not yet delivered to j
    conn: int              # mask over pairs i < j (bit i*N + j): link up
    crashes_left: int
    restarts_left: int
    toggles_left: int
    losses_left: int = 0   # the unsequenced transport's LOSE/DUPLICATE budget


def boot_values(N: int) -> NodeState:
    """A node's boot values (model.md section 2); a single node is linked up at once."""
    return NodeState(comm=COMM_LINKSUP if N == 1 else COMM_STARTING)


def pair_bit(i: int, j: int, N: int) -> int:
    """The bit of the link between i and j in `ClusterState.conn`."""
    if i > j:
        i, j = j, i
    return 1 << (i * N + j)


def all_links_up(N: int) -> int:
    return sum(pair_bit(i, j, N) for i in range(N) for j in range(i + 1, N))


def initial_state(cfg) -> ClusterState:
    """Every node `pre`, every channel empty, nothing owned, every link up, full budgets."""
    N = cfg.N
    pre = boot_values(N)._replace(ph=PRE)
    return ClusterState(
        nodes=(pre,) * N, own=(0,) * N, rq=0, ch=((),) * (N * N), conn=all_links_up(N),
        crashes_left=cfg.crashes, restarts_left=cfg.restarts, toggles_left=cfg.link_toggles,
        losses_left=cfg.losses,
    )


def _queue_offsets(k, N):
    stride, base = int(k[K_QSTRIDE]), int(k[K_QUEUES])
    selfqs = [base + i * stride for i in range(N)]
    chans = {(i, j): base + (N + i * (N - 1) + j - (j > i)) * stride
             for i in range(N) for j in range(N) if i != j}
    return selfqs, chans


def pack(k: np.ndarray, s: ClusterState) -> np.ndarray:
    """The row of a readable state."""
    N = int(k[K_N])
    row = np.zeros(int(k[K_WIDTH]), dtype=np.uint8)
    row[CRASHES_LEFT], row[RESTARTS_LEFT], row[TOGGLES_LEFT], row[LOSSES_LEFT] = \
        s.crashes_left, s.restarts_left, s.toggles_left, s.losses_left
    row[RQ] = s.rq
    for i in range(N):
        row[CONN + i] = sum(1 << j for j in range(N) if j != i and s.conn & pair_bit(i, j, N))
    selfqs, chans = _queue_offsets(k, N)
    capacity = int(k[K_CAPACITY])

    def put(q, messages, sender):
        if len(messages) > capacity:
            raise ModelBoundError(BOUND_TEXT[BOUND_QUEUE])
        row[q] = len(messages)
        for x, m in enumerate(messages):
            if m[1] != sender:
                raise ValueError(f"message {m!r} in a queue of node {sender}")
            row[q + 1 + x] = message_code(m)

    for i, n in enumerate(s.nodes):
        b = int(k[K_NODES]) + i * NODE_FIELDS
        row[b:b + OWN] = n[:OWN]
        row[b + OWN] = s.own[i]
        row[b + VAR] = (WINDOW_CLOSED * n.wc | TIMER_ARMED * n.rt | n.ss << REPEATS_SHIFT
                        | HEAL_PENDING * n.hl | SHOT_PENDING * n.stn)
        row[b + FW], row[b + GS] = n.fw, n.gs
        put(selfqs[i], n.selfq, i)
    for (i, j), q in chans.items():
        put(q, s.ch[i * N + j], i)
    return row


def unpack(k: np.ndarray, row: np.ndarray) -> ClusterState:
    """The readable state of a row."""
    N = int(k[K_N])
    row = [int(x) for x in row]
    selfqs, chans = _queue_offsets(k, N)

    def get(q, sender):
        return tuple(message_of(sender, row[q + 1 + x]) for x in range(row[q]))

    nodes, own = [], []
    for i in range(N):
        b = int(k[K_NODES]) + i * NODE_FIELDS
        var = row[b + VAR]
        nodes.append(NodeState(
            *row[b:b + OWN], wc=int(bool(var & WINDOW_CLOSED)), rt=int(bool(var & TIMER_ARMED)),
            ss=(var & REPEATS_MASK) >> REPEATS_SHIFT, hl=int(bool(var & HEAL_PENDING)),
            stn=int(bool(var & SHOT_PENDING)), fw=row[b + FW], gs=row[b + GS],
            selfq=get(selfqs[i], i)))
        own.append(row[b + OWN])
    ch = [()] * (N * N)
    for (i, j), q in chans.items():
        ch[i * N + j] = get(q, i)
    conn = sum(pair_bit(i, j, N) for i in range(N) for j in range(i + 1, N)
               if row[CONN + i] >> j & 1)
    return ClusterState(tuple(nodes), tuple(own), row[RQ], tuple(ch), conn,
                        row[CRASHES_LEFT], row[RESTARTS_LEFT], row[TOGGLES_LEFT],
                        row[LOSSES_LEFT])
