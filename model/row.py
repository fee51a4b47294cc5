"""The row's offsets and accessors, and the message codec: what the compiled rules call.

Generated from model/schema.py by `python -m hacheck.model.generate`:
do not edit by hand (tests/test_schema.py checks that it is up to date).
"""

from numba import njit

from hacheck.model.state import node


# --- values of the enumerated variables ------------------------------------------------
PRE, UP, DOWN = 0, 1, 2    # ph
COMM_STARTING, COMM_LINKSUP = 0, 1    # comm
R_INIT, R_STARTING, R_BOTHSTARTING, R_RSCRCVD, R_STABLE = 0, 1, 2, 3, 4    # rs
NONE, L, F, ALL = 0, 1, 2, 3    # ih, oh
ST_ABSENT = 2    # a RES message's isstable flag: absent

# --- the global bytes, then CONN + i: the mask of the nodes linked with i --------------
STATUS = 0
CRASHES_LEFT = 1
RESTARTS_LEFT = 2
TOGGLES_LEFT = 3
RQ = 4
LOSSES_LEFT = 5
CONN = 6

# --- the bytes of a node's block -------------------------------------------------------
PH = 0    # ph
COMM = 1    # comm
HEARD = 2    # heard
DEAD = 3    # dead
RS = 4    # rs
IH = 5    # ih
OH = 6    # oh
OS = 7    # os
TIP = 8    # tip
RRY = 9    # rry
CHLD = 10    # chld
MD = 11    # md
OWN = 12    # own
VAR = 13    # wc, rt, ss, stn, hl
FW = 14    # fw
GS = 15    # gs
NODE_FIELDS = 16

# --- the variables kept in bits of a node's VAR byte (mask, shift) ---------------------
WINDOW_CLOSED = 1    # wc: the start window (RQSTDELAY after start) is over
TIMER_ARMED = 2    # rt: resources_timer > 0
REPEATS_MASK, REPEATS_SHIFT = 48, 4    # ss: how many times `starting` was repeated
SHOT_PENDING = 8    # stn: a reset of this node was asked of the fencing device
HEAL_PENDING = 4    # hl: giving up everything and restarting after a healed partition

# --- what symmetry renames, and what a node's reset spares -----------------------------
NODE_SETS = (HEARD, DEAD, MD)    # sets of peers: renamed with the nodes
VARIANT_NODE_SETS = (FW, GS)
GROUP_SETS = (OWN,)
PLAIN = (PH, COMM, RS, IH, OH, OS, TIP, RRY, CHLD)    # values that name no node and no group
VARIANT_VALUES = (VAR,)    # the variants' bytes that name no node
KEPT_ON_RESET = 8    # VAR bits a node's reset keeps
FORGOTTEN_BY_PEERS = (GS,)    # peers' sets a node leaves when it is reset


# --- accessors: where node i's variable is in a row (`t[ih(k, i)] |= L`) --------------


@njit(cache=True, inline="always")
def ph(k, i):
    """ph: pre (never booted), up, down (crashed)"""
    return node(k, i) + PH


@njit(cache=True, inline="always")
def comm(k, i):
    """comm: COMM_STARTING or COMM_LINKSUP"""
    return node(k, i) + COMM


@njit(cache=True, inline="always")
def heard(k, i):
    """heard: the peers a packet has arrived from"""
    return node(k, i) + HEARD


@njit(cache=True, inline="always")
def dead(k, i):
    """dead: the peers declared dead"""
    return node(k, i) + DEAD


@njit(cache=True, inline="always")
def rs(k, i):
    """rs: where process_resources stands"""
    return node(k, i) + RS


@njit(cache=True, inline="always")
def ih(k, i):
    """ih: the groups this node claims"""
    return node(k, i) + IH


@njit(cache=True, inline="always")
def oh(k, i):
    """oh: the groups the peers claim"""
    return node(k, i) + OH


@njit(cache=True, inline="always")
def os(k, i):
    """os: the peer said it is stable"""
    return node(k, i) + OS


@njit(cache=True, inline="always")
def tip(k, i):
    """tip: mach_down is taking over"""
    return node(k, i) + TIP


@njit(cache=True, inline="always")
def rry(k, i):
    """rry: nice_failback off: the groups were requested"""
    return node(k, i) + RRY


@njit(cache=True, inline="always")
def chld(k, i):
    """chld: req_our_resources children not yet run"""
    return node(k, i) + CHLD


@njit(cache=True, inline="always")
def md(k, i):
    """md: the mach_down scripts pending"""
    return node(k, i) + MD


@njit(cache=True, inline="always")
def own(k, i):
    """own: the groups running here (the ground truth)"""
    return node(k, i) + OWN


@njit(cache=True, inline="always")
def var(k, i):
    """wc: the start window (RQSTDELAY after start) is over; rt: resources_timer > ..."""
    return node(k, i) + VAR


@njit(cache=True, inline="always")
def fw(k, i):
    """fw: waiting for the reset of these peers before taking over"""
    return node(k, i) + FW


@njit(cache=True, inline="always")
def gs(k, i):
    """gs: heard a heartbeat of the peer's current generation"""
    return node(k, i) + GS


# --- messages: one byte, the sender implicit in the queue ------------------------------
M_STARTING = 1    # the first `starting` byte
M_RES = 2    # the first `resource` byte
M_IPREQ = 26    # the first `ip-request` byte
M_IPRESP = 34    # the first `ip-request-resp` byte
MESSAGE_END = 98


STARTING = M_STARTING    # the `starting` message


@njit(cache=True)
def RES(n, st, md):
    """The `resource` message (n, st, md), as its byte."""
    return M_RES + n * 6 + st * 2 + md


@njit(cache=True)
def res_fields(m):
    """(n, st, md) of a `resource` message."""
    x = m - M_RES
    return x // 6, x // 2 % 3, x % 2


@njit(cache=True)
def IPREQ(g):
    """The `ip-request` message (g), as its byte."""
    return M_IPREQ + g


@njit(cache=True)
def IPRESP(d, g):
    """The `ip-request-resp` message (d, g), as its byte."""
    return M_IPRESP + d * 8 + g


@njit(cache=True)
def ipresp_fields(m):
    """(d, g) of a `ip-request-resp` message."""
    x = m - M_IPRESP
    return x // 8, x % 8


@njit(cache=True)
def is_starting(m):
    return m == M_STARTING


@njit(cache=True)
def is_res(m):
    return M_RES <= m < M_RES + 24


@njit(cache=True)
def is_ipreq(m):
    return M_IPREQ <= m < M_IPREQ + 8


@njit(cache=True)
def is_ipresp(m):
    return M_IPRESP <= m < M_IPRESP + 64
