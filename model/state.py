"""Where a state's parts are in a row (model.md section 2; the variables themselves are
declared in `model.schema`).

A state is a row of bytes (a numpy `uint8` array), so that the compiled actions can
copy and change it without building objects, and the explorer can store millions of
them. Its layout is fixed per configuration; `geometry(cfg, capacity)` gives the vector
`k` that every compiled function takes to find its way in a row:

    the global bytes       model.schema.GLOBAL_BYTES (a status byte first: 0, or the
                           model bound a step ran into; never 0 in a stored state)
    CONN + i               mask of the nodes whose link with i is up (conn[i][j])
    node(i) + field        node i's block, model.schema.NODE_BYTES
    queue                  length byte, then `capacity` message slots (0 past the length):
                           selfq(i), then ch(i, j) for every i != j

`model.row` (generated from the schema) names every byte and bit of a node's block, gives
an accessor per variable (`t[ih(k, i)]`) and the message codec; `model.view` gives the
same state as readable values (`ClusterState`), for reports, traces and tests.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hacheck.checker.compiled import leaf
from hacheck.model import schema
from hacheck.model.config import (   # the configuration's bounds and option values
    COMPILED, MAX_GROUPS, MAX_NODES, compiled_values,
)

# --- configuration bounds -----------------------------------------------------------------

MAX_CHILDREN = 3     # model.md: `chld` never needs to exceed 3
DEFAULT_CAPACITY = 12 # message slots per queue (N = 2 runs need up to 11); the runner doubles it if a run needs more
MAX_CAPACITY = 64

# --- the row -------------------------------------------------------------------------------

STATUS = schema.global_byte("status")
CONN = len(schema.GLOBAL_BYTES)
NODE_FIELDS = len(schema.NODE_BYTES)

# model bounds a step may run into (the STATUS byte)
BOUND_QUEUE, BOUND_CHILDREN, BOUND_CHAIN = 1, 2, 3
BOUND_TEXT = {BOUND_QUEUE: "a channel or status pipe would hold more messages than its capacity",
              BOUND_CHILDREN: f"a node would have more than {MAX_CHILDREN} pending children",
              BOUND_CHAIN: "a chain of single ample steps did not end (the partial-order "
                           "reduction's cycle proviso should make that impossible)"}

# --- the geometry vector k ---------------------------------------------------------------------

(K_N, K_G, K_NICE, K_CAPACITY, K_WIDTH, K_NODES, K_QUEUES, K_QSTRIDE) = range(8)
K_HOME = 8                        # k[K_HOME + g] = home[g]
K_LOCAL = K_HOME + MAX_GROUPS     # k[K_LOCAL + i] = mask of H(i)
K_RANK = K_LOCAL + MAX_NODES      # k[K_RANK + g] = position of g in H(home[g])
K_LIST = K_RANK + MAX_GROUPS      # k[K_LIST + 8i + r] = the r-th group of H(i)
K_OPTIONS = K_LIST + MAX_NODES * MAX_GROUPS   # k[K_OPTIONS + x]: option COMPILED[x], encoded
# the options the compiled rules read, where k keeps them (model.config declares which)
K_EMAIL_TIMER = K_OPTIONS + COMPILED.index("email_timer")   # 0 off, 1 combined, 2 split
K_REPEATS = K_OPTIONS + COMPILED.index("starting_repeats")
K_STONITH = K_OPTIONS + COMPILED.index("stonith")           # 0 off, 1 race, 2 gated
K_HEAL = K_OPTIONS + COMPILED.index("heal")
K_RULES = K_OPTIONS + len(COMPILED)   # k[K_RULES + slot]: the rule chosen (model.rules)
K_SIZE = K_RULES + len(schema.routed())


def geometry(cfg, capacity: int = DEFAULT_CAPACITY) -> np.ndarray:
    """The vector `k` of a configuration: its constants and the offsets of its row."""
    N, G = cfg.N, cfg.G
    k = np.zeros(K_SIZE, dtype=np.int64)
    k[K_N], k[K_G], k[K_NICE], k[K_CAPACITY] = N, G, int(cfg.nice_failback), capacity
    k[K_OPTIONS:K_OPTIONS + len(COMPILED)] = compiled_values(cfg)
    k[K_RULES:K_RULES + len(schema.routed())] = schema.choices(cfg.options)
    k[K_NODES] = CONN + N
    k[K_QUEUES] = k[K_NODES] + N * NODE_FIELDS
    k[K_QSTRIDE] = 1 + capacity
    queues = N * N                # N status pipes and N(N-1) channels
    k[K_WIDTH] = -(-(k[K_QUEUES] + queues * (1 + capacity)) // 8) * 8   # whole 64-bit words
    for g, h in enumerate(cfg.home):
        k[K_HOME + g] = h
        k[K_RANK + g] = cfg.H(h).index(g)
    for i in range(N):
        k[K_LOCAL + i] = cfg.local_mask[i]
        for r, g in enumerate(cfg.H(i)):
            k[K_LIST + MAX_GROUPS * i + r] = g
    return k


# --- where things are in a row (compiled; `k` is the geometry vector) ---------------------------

@njit(cache=True, inline="always")
def node(k, i):
    """Offset of node i's variables."""
    return k[K_NODES] + i * NODE_FIELDS


@njit(cache=True, inline="always")
def selfq(k, i):
    """Offset of node i's status pipe: its own messages not yet processed by itself."""
    return k[K_QUEUES] + i * k[K_QSTRIDE]


@njit(cache=True, inline="always")
def ch(k, i, j):
    """Offset of ch[i][j], the messages sent by i and not yet delivered to j (i != j)."""
    N = k[K_N]
    return k[K_QUEUES] + (N + i * (N - 1) + j - (j > i)) * k[K_QSTRIDE]


@njit(cache=True, inline="always")
def copy_row(s, t):
    """t := s: a step's next state starts as a copy of the current one (a loop, not
    `t[:] = s`, which needs numba's reference counting; see checker.compiled)."""
    for x in range(s.shape[0]):
        t[x] = s[x]


@njit(cache=True, inline="always")
def peers(k, i):
    """The mask of every node but i."""
    return ((1 << k[K_N]) - 1) & ~(1 << i)


@njit(cache=True, inline="always")
def linked(s, i, j):
    """conn[i][j]: the link between i and j is up."""
    return s[CONN + i] >> j & 1


@njit(cache=True, inline="always")
def local_groups(k, i):
    """H(i) as a mask over groups."""
    return k[K_LOCAL + i]


@leaf
def push(k, t, q, m):
    """Append message m to the queue at offset q (a model bound if it is full)."""
    n = t[q]
    if n == k[K_CAPACITY]:
        t[STATUS] = BOUND_QUEUE
        return
    t[q + 1 + n] = m
    t[q] = n + 1


@leaf
def pop(k, t, q):
    """Remove and return the head of the non-empty queue at offset q; freed slots stay 0,
    so that equal sequences are equal bytes."""
    n = t[q]
    m = t[q + 1]
    for x in range(q + 1, q + n):
        t[x] = t[x + 1]
    t[q + n] = 0
    t[q] = n - 1
    return m


@leaf
def clear(k, t, q):
    for x in range(q, q + k[K_QSTRIDE]):
        t[x] = 0
