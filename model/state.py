"""The state of the model (model.md section 2): one place for every variable.

A state is a row of bytes (a numpy `uint8` array), so that the compiled actions can
copy and change it without building objects, and the explorer can store millions of
them. Its layout (offsets below) is fixed per configuration; `geometry(cfg, capacity)`
gives the vector `k` that every compiled function takes to find its way in a row.

    STATUS                 0, or the model bound a step ran into (never 0 in a stored state)
    CRASHES_LEFT, RESTARTS_LEFT, TOGGLES_LEFT, LOSSES_LEFT     the fault budgets left
    RQ                     mask over groups: rq[g] = pending (each g belongs to home[g])
    CONN + i               mask of the nodes whose link with i is up (conn[i][j])
    node(i) + field        per-node variables, NODE_FIELDS below
    queue                  length byte, then `capacity` message slots (0 past the length):
                           selfq(i), then ch(i, j) for every i != j

Per-node sets over peers (`heard`, `dead`, `md`, and the variants' `fw`, `gs`) are masks
over node indices, the node's own bit always 0; `own` is a mask over groups (ground
truth, model.md `own[i][*]`). The variants' single-bit variables share one byte, VAR
(model/README.md, "Variants").

A message is one byte; its sender is implicit in the queue it sits in (only node i ever
appends to `selfq(i)` and `ch(i, *)`):

    STARTING              1
    RES(n, st, md)        2 + 6n + 2st + md    n: claim 0..3, st: 0, 1, ST_ABSENT; md: 0, 1
    IPREQ(g)              26 + g
    IPRESP(d, g)          34 + 8d + g          d: the node the group is handed to

`view.py` gives the same state as readable values (`ClusterState`), for reports, traces
and tests.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hacheck.model.config import (   # the configuration's bounds and option values
    EMAIL_TIMERS, MAX_GROUPS, MAX_NODES, STONITH_MODES, VERSIONS,
)

# --- values ----------------------------------------------------------------------------

# ph: phase of a node's life
PRE, UP, DOWN = 0, 1, 2
PH_NAMES = ("pre", "up", "down")

# comm: heartbeat_comm_state
COMM_STARTING, COMM_LINKSUP = 0, 1
COMM_NAMES = ("S", "L")

# rs: rstate of process_resources
R_INIT, R_STARTING, R_BOTHSTARTING, R_RSCRCVD, R_STABLE = range(5)
RS_NAMES = ("INIT", "STARTING", "BOTHSTARTING", "RSCRCVD", "STABLE")

# claims: i_hold_resources, other_holds_resources, rsc_hold
NONE, L, F, ALL = 0, 1, 2, 3
CLAIM_NAMES = ("none", "local", "foreign", "all")

# the isstable flag of a resource message: 0, 1, or absent (mach_down's message)
ST_ABSENT = 2

# --- configuration bounds -----------------------------------------------------------------

MAX_CHILDREN = 3     # model.md: `chld` never needs to exceed 3
DEFAULT_CAPACITY = 12 # message slots per queue (N = 2 runs need up to 11); the runner doubles it if a run needs more
MAX_CAPACITY = 64

# --- the row -------------------------------------------------------------------------------

STATUS, CRASHES_LEFT, RESTARTS_LEFT, TOGGLES_LEFT, RQ, LOSSES_LEFT = range(6)
CONN = 6

# model bounds a step may run into (the STATUS byte)
BOUND_QUEUE, BOUND_CHILDREN = 1, 2
BOUND_TEXT = {BOUND_QUEUE: "a channel or status pipe would hold more messages than its capacity",
              BOUND_CHILDREN: f"a node would have more than {MAX_CHILDREN} pending children"}

# fields of a node, at node(i) + field; VAR, FW and GS belong to the variants (all 0
# without them, so the base model's states and counts are unchanged)
(PH, COMM, HEARD, DEAD, RS, IH, OH, OS, TIP, RRY, CHLD, MD, OWN, VAR, FW, GS) = range(16)
NODE_FIELDS = 16

# the bits of a node's VAR byte
WINDOW_CLOSED = 1    # email_timer: RQSTDELAY has passed since the node (re)started
TIMER_ARMED = 2      # email_timer: resources_timer > 0
HEAL_PENDING = 4     # heal: healed_cluster_partition is under way (give up, restart)
SHOT_PENDING = 8     # stonith: a reset of this node has been asked of the fencing device
REPEATS_SHIFT = 4    # email_timer: bits 4-5, how many times `starting` has been repeated
REPEATS_MASK = 3 << REPEATS_SHIFT

# --- the geometry vector k ---------------------------------------------------------------------

(K_N, K_G, K_NICE, K_CAPACITY, K_WIDTH, K_NODES, K_QUEUES, K_QSTRIDE) = range(8)
K_HOME = 8                        # k[K_HOME + g] = home[g]
K_LOCAL = K_HOME + MAX_GROUPS     # k[K_LOCAL + i] = mask of H(i)
K_RANK = K_LOCAL + MAX_NODES      # k[K_RANK + g] = position of g in H(home[g])
K_LIST = K_RANK + MAX_GROUPS      # k[K_LIST + 8i + r] = the r-th group of H(i)
K_VERSION = K_LIST + MAX_NODES * MAX_GROUPS   # 151 or 165: heartbeat.c's revision
K_UNSEQUENCED = K_VERSION + 1    # 1: `starting` and `resource` may be lost or duplicated
K_EMAIL_TIMER = K_UNSEQUENCED + 1   # 0 off, 1 combined, 2 split (the May 2000 patch)
K_REPEATS = K_EMAIL_TIMER + 1     # email_timer: how often `starting` may be repeated
K_STONITH = K_REPEATS + 1         # 0 off, 1 race (1.70), 2 gated (1.170)
K_HEAL = K_STONITH + 1            # 1: 1.89's healed-partition restart
K_BROKEN = K_HEAL + 1             # 1: the gate's demonstration: a deliberately broken model
K_SIZE = K_BROKEN + 1


def geometry(cfg, capacity: int = DEFAULT_CAPACITY) -> np.ndarray:
    """The vector `k` of a configuration: its constants and the offsets of its row."""
    N, G = cfg.N, cfg.G
    k = np.zeros(K_SIZE, dtype=np.int64)
    k[K_N], k[K_G], k[K_NICE], k[K_CAPACITY] = N, G, int(cfg.nice_failback), capacity
    k[K_VERSION] = VERSIONS[cfg.version]
    k[K_UNSEQUENCED] = int(cfg.transport == "unsequenced")
    k[K_EMAIL_TIMER] = EMAIL_TIMERS[cfg.email_timer]
    k[K_REPEATS] = cfg.starting_repeats
    k[K_STONITH] = STONITH_MODES[cfg.stonith]
    k[K_HEAL] = int(cfg.heal)
    k[K_BROKEN] = int(cfg.broken)
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


@njit(cache=True)
def push(k, t, q, m):
    """Append message m to the queue at offset q (a model bound if it is full)."""
    n = t[q]
    if n == k[K_CAPACITY]:
        t[STATUS] = BOUND_QUEUE
        return
    t[q + 1 + n] = m
    t[q] = n + 1


@njit(cache=True)
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


@njit(cache=True)
def clear(k, t, q):
    for x in range(q, q + k[K_QSTRIDE]):
        t[x] = 0


# --- messages ------------------------------------------------------------------------------------

M_STARTING = 1
M_RES = 2
M_IPREQ = 26
M_IPRESP = 34

STARTING = M_STARTING   # the `starting` message

@njit(cache=True)
def RES(n, st, md):
    """resources_held: claim n, stability flag st (0, 1, ST_ABSENT), md = info=mach_down."""
    return M_RES + n * 6 + st * 2 + md


@njit(cache=True)
def IPREQ(g):
    return M_IPREQ + g


@njit(cache=True)
def IPRESP(d, g):
    return M_IPRESP + 8 * d + g


@njit(cache=True)
def is_starting(m):
    return m == M_STARTING


@njit(cache=True)
def is_res(m):
    return M_RES <= m < M_IPREQ


@njit(cache=True)
def is_ipreq(m):
    return M_IPREQ <= m < M_IPRESP


@njit(cache=True)
def res_fields(m):
    """(claim, stability flag, md) of a RES message."""
    x = m - M_RES
    return x // 6, x % 6 // 2, x % 2


@njit(cache=True)
def ipresp_fields(m):
    """(destination, group) of an IPRESP message."""
    x = m - M_IPRESP
    return x // 8, x % 8


@njit(cache=True)
def UPD(cur, n):
    """heartbeat's UPD_RSC: a `none` announcement wipes every bit, others accumulate."""
    return 0 if n == NONE else cur | n
