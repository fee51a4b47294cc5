"""The state of the model (model.md section 2): one place for every variable.

Encoding choices, all exact (no information is dropped):
- per-node sets over peers (`heard`, `dead`, `md`) are bit masks over node indices, the
  node's own bit always 0;
- `own[i]` is a bit mask over groups; `rq` is one mask over groups (bit g set: the
  `req_resource` for g sleeps before its forced take). `rq[g]` belongs to node `home[g]`,
  the only node that ever sets it, so one global mask holds every node's `rq`;
- `conn` is a bit mask over node pairs (i < j), bit set = link up;
- `ch[i*N + j]` is the FIFO of messages sent by i, not yet delivered to j (a tuple).
"""

from __future__ import annotations

from typing import NamedTuple

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

# message types (heartbeat's t= values)
T_STARTING = "starting"
T_RESOURCES = "resource"
T_IPREQ = "ip-request"
T_IPRESP = "ip-request-resp"


def STARTING(s: int) -> tuple:
    return (T_STARTING, s)


def RES(s: int, n: int, st: int, md: int) -> tuple:
    """resources_held: claim n, stability flag st (0, 1, ST_ABSENT), md = info=mach_down."""
    return (T_RESOURCES, s, n, st, md)


def IPREQ(s: int, g: int) -> tuple:
    return (T_IPREQ, s, g)


def IPRESP(s: int, d: int, g: int) -> tuple:
    return (T_IPRESP, s, d, g)


def UPD(cur: int, n: int) -> int:
    """heartbeat's UPD_RSC: a `none` announcement wipes every bit, others accumulate."""
    return 0 if n == NONE else cur | n


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
    selfq: tuple = ()      # own messages not yet processed by this node


class ClusterState(NamedTuple):
    nodes: tuple           # NodeState per node
    own: tuple             # own[i]: mask of groups node i runs (ground truth)
    rq: int                # mask of groups whose req_resource is pending
    ch: tuple              # ch[i*N + j]: messages from i not yet delivered to j
    conn: int              # mask over pairs i < j: link up
    crashes_left: int
    restarts_left: int
    toggles_left: int


def boot_values(N: int) -> NodeState:
    """A node's boot values (model.md section 2); a single node is linked up at once."""
    return NodeState(comm=COMM_LINKSUP if N == 1 else COMM_STARTING)


def pair_bit(i: int, j: int, N: int) -> int:
    """The bit of the link between i and j in `conn`."""
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
    )
