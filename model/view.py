"""The state of model.md section 2 as readable values, for reports, traces and tests.

`ClusterState` holds every variable by its model.md name; messages are tuples that name
their sender, as in model.md (`RES(s, n, st, md)`). `pack` and `unpack` convert exactly
between a `ClusterState` and the row the compiled model works on. Both, the message codec
and `NodeState` itself are derived from `model.schema`'s declarations.
"""

from __future__ import annotations

from collections import namedtuple
from typing import NamedTuple

import numpy as np

from hacheck.checker import ModelBoundError
from hacheck.model import schema
from hacheck.model.row import COMM_LINKSUP, COMM_STARTING, PRE
from hacheck.model.state import (
    BOUND_QUEUE, BOUND_TEXT, CONN, K_CAPACITY, K_N, K_NODES, K_QSTRIDE, K_QUEUES, K_WIDTH,
    NODE_FIELDS,
)

# a readable message: (its heartbeat type, the sender, its fields in declaration order)
T_STARTING, T_RESOURCES, T_IPREQ, T_IPRESP = (kind.heartbeat for kind in schema.MESSAGE_KINDS)
_KINDS = {kind.heartbeat: kind for kind in schema.MESSAGE_KINDS}
_STRIDES = {kind.tag: schema.message_strides(kind) for kind in schema.MESSAGE_KINDS}


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
    kind = _KINDS.get(m[0])
    if kind is None or len(m) != 2 + len(kind.fields):
        raise ValueError(f"unknown message {m!r}")
    return schema.BASES[kind.tag] + sum(v * s for v, s in zip(m[2:], _STRIDES[kind.tag]))


def message_of(sender: int, code: int) -> tuple:
    """The readable message of a byte sent by `sender`."""
    for kind in reversed(schema.MESSAGE_KINDS):
        base = schema.BASES[kind.tag]
        if code >= base:
            x = code - base
            return (kind.heartbeat, sender) + tuple(
                x // s % f.size for f, s in zip(kind.fields, _STRIDES[kind.tag]))
    raise ValueError(f"no message has the byte {code}")


# a node's variables (model.schema.NODE_STATE), every one 0 at boot but the queue, ()
NodeState = namedtuple("NodeState", schema.NODE_STATE,
                       defaults=(0,) * (len(schema.NODE_STATE) - 1) + ((),))
NodeState.__doc__ = "The variables of a node (model.schema.VARIABLES), by name."


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


# the node variables kept in a byte of their own, and in bits of a shared one
_BYTES = [(v.name, schema.node_byte(v.byte)) for v in schema.VARIABLES
          if v.scope == schema.NODE and v.byte and not v.bits and v.name != "own"]
_BITS = [(v.name, schema.node_byte(v.byte), v.bits[0], v.bits[1]) for v in schema.VARIABLES
         if v.bits]
_OWN = schema.node_byte("own")
_GLOBALS = [(v.name, schema.global_byte(v.byte)) for v in schema.VARIABLES
            if v.scope == schema.GLOBAL]
_RQ = schema.global_byte("rq")


def pack(k: np.ndarray, s: ClusterState) -> np.ndarray:
    """The row of a readable state."""
    N = int(k[K_N])
    row = np.zeros(int(k[K_WIDTH]), dtype=np.uint8)
    for name, at in _GLOBALS:
        row[at] = getattr(s, name)
    row[_RQ] = s.rq
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
        for name, at in _BYTES:
            row[b + at] = getattr(n, name)
        for name, at, mask, shift in _BITS:
            row[b + at] |= getattr(n, name) << shift & mask
        row[b + _OWN] = s.own[i]
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
        values = {name: row[b + at] for name, at in _BYTES}
        values.update({name: (row[b + at] & mask) >> shift for name, at, mask, shift in _BITS})
        nodes.append(NodeState(**values, selfq=get(selfqs[i], i)))
        own.append(row[b + _OWN])
    ch = [()] * (N * N)
    for (i, j), q in chans.items():
        ch[i * N + j] = get(q, i)
    conn = sum(pair_bit(i, j, N) for i in range(N) for j in range(i + 1, N)
               if row[CONN + i] >> j & 1)
    return ClusterState(tuple(nodes), tuple(own), row[_RQ], tuple(ch), conn,
                        **{name: row[at] for name, at in _GLOBALS})
