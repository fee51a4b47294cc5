"""The actions of model.md section 4: one function each, guard first, then effect.

Each takes the geometry `k`, the state `s` (a row, only read), a row `t` to build the next
state in, and the action's arguments. When the guard holds, it copies `s` into `t`,
applies the effect to `t` and returns True; otherwise it returns False and leaves `t`
alone. The node taking an action must be up unless the action says otherwise.
"""

from __future__ import annotations

from typing import NamedTuple

from hacheck.checker.compiled import leaf

from hacheck.model import clocks as C
from hacheck.model.clocks import Window
from hacheck.model.helpers import commup_check, mark_node_dead, process_resources, send
from hacheck.model.helpers import STONITH_GATED, req_our_resources, takeover_from_node
from hacheck.model.helpers import version_165
from hacheck.model.state import DEAD as DEAD_SET   # the field; DEAD is the action
from hacheck.model.state import (
    CHLD, COMM, COMM_LINKSUP, COMM_STARTING, CONN, CRASHES_LEFT, DOWN, F, HEARD, IH,
    IPRESP, IPREQ, K_HOME, K_N, K_NICE, L, MD, NODE_FIELDS, NONE, OWN, PH, PRE, R_RSCRCVD,
    R_STABLE, RES, RESTARTS_LEFT, RQ, RS, ST_ABSENT, TOGGLES_LEFT, UP, ch, clear, copy_row,
    ipresp_fields,
    BOUND_QUEUE, K_CAPACITY, K_UNSEQUENCED, LOSSES_LEFT, STATUS,
    is_ipreq, is_res, is_starting, linked, local_groups, node, pop, selfq, M_IPREQ,
    FW, GS, HEAL_PENDING, K_EMAIL_TIMER, K_HEAL, K_REPEATS, K_STONITH, REPEATS_MASK,
    REPEATS_SHIFT, SHOT_PENDING, STARTING, TIMER_ARMED, VAR, WINDOW_CLOSED,
)

EMAIL_TIMER_SPLIT = 2


@leaf
def reset(k, t, i, ph):
    """Give every per-node variable of i its boot value and empty i's selfq (model.md
    section 2: a single node is linked up at once); `ph` is its new phase. A reset asked
    of the fencing device is not the node's to forget, and no peer has heard the new
    incarnation's generation yet (heal)."""
    n = node(k, i)
    shot = t[n + VAR] & SHOT_PENDING
    for x in range(n, n + NODE_FIELDS):
        t[x] = 0
    t[n + PH] = ph
    t[n + COMM] = COMM_LINKSUP if k[K_N] == 1 else COMM_STARTING
    t[n + VAR] = shot
    for j in range(k[K_N]):
        t[node(k, j) + GS] &= ~(1 << i)
    clear(k, t, selfq(k, i))


@leaf
def end_process(k, t, i, ph):
    """i's heartbeat process ends, with its groups, its pending scripts and its inbound
    messages, and i is left in phase `ph` (down; or up again, fresh, after a heal
    restart); messages it already sent stay on the wire."""
    reset(k, t, i, ph)              # own[i][*] := 0 too: `own` is a node field of the row
    t[RQ] &= ~local_groups(k, i)    # i's req_resource sleepers die with it
    for j in range(k[K_N]):
        if j != i:
            clear(k, t, ch(k, j, i))


# --- Environment: faults and boots ---------------------------------------------------

@leaf
def BOOT(k, s, t, i):
    """model.md §4 Environment. A node starts for the first time."""
    if s[node(k, i) + PH] != PRE:
        return False
    copy_row(s, t)
    reset(k, t, i, UP)
    return True


@leaf
def CRASH(k, s, t, i):
    """model.md §4 Environment. Fail-stop: the node loses its groups, its pending scripts
    and its inbound messages. Messages it already sent stay on the wire."""
    if s[node(k, i) + PH] != UP or s[CRASHES_LEFT] == 0:
        return False
    copy_row(s, t)
    end_process(k, t, i, DOWN)      # fail-stop
    t[CRASHES_LEFT] -= 1
    return True


@leaf
def RESTART(k, s, t, i):
    """model.md §4 Environment."""
    if s[node(k, i) + PH] != DOWN or s[RESTARTS_LEFT] == 0:
        return False
    copy_row(s, t)
    reset(k, t, i, UP)
    t[RESTARTS_LEFT] -= 1
    return True


@leaf
def LINK(k, s, t, i, j):
    """model.md §4 Environment. Cut or heal the link between i < j. Channels keep their
    messages. Needs no node to be up."""
    if s[TOGGLES_LEFT] == 0:
        return False
    copy_row(s, t)
    t[CONN + i] ^= 1 << j
    t[CONN + j] ^= 1 << i
    t[TOGGLES_LEFT] -= 1
    return True


@leaf
def unsequenced_head(k, s, i, j):
    """The head of ch[i][j] is a `starting` or `resource` message on the unsequenced
    transport, and the loss budget is not spent: the network may lose or repeat it."""
    q = ch(k, i, j)
    return (k[K_UNSEQUENCED] == 1 and s[LOSSES_LEFT] > 0 and s[q] > 0
            and (is_starting(s[q + 1]) or is_res(s[q + 1])))


@leaf
def LOSE(k, s, t, i, j):
    """Environment, unsequenced transport (heartbeat-2000.md P7): the head of ch[i][j] is
    lost; without sequence numbers nobody asks for it again."""
    if not unsequenced_head(k, s, i, j):
        return False
    copy_row(s, t)
    pop(k, t, ch(k, i, j))
    t[LOSSES_LEFT] -= 1
    return True


@leaf
def DUPLICATE(k, s, t, i, j):
    """Environment, unsequenced transport (P8): the head of ch[i][j] arrives twice; the
    copy follows it at once."""
    if not unsequenced_head(k, s, i, j):
        return False
    copy_row(s, t)
    q = ch(k, i, j)
    n = t[q]
    if n == k[K_CAPACITY]:
        t[STATUS] = BOUND_QUEUE
        return True
    for x in range(q + n, q + 1, -1):
        t[x + 1] = t[x]
    t[q + 2] = t[q + 1]
    t[q] = n + 1
    t[LOSSES_LEFT] -= 1
    return True


# --- Network ---------------------------------------------------------------------------

@leaf
def DELIVER(k, s, t, i, j):
    """model.md §4 Network. j receives the head of ch[i][j]; any packet counts as heard
    from i. The sender may have crashed since it sent."""
    q = ch(k, i, j)
    if s[q] == 0 or not linked(s, i, j) or s[node(k, j) + PH] != UP:
        return False
    copy_row(s, t)
    m = pop(k, t, q)
    nj = node(k, j)
    t[nj + HEARD] |= 1 << i
    commup_check(k, t, j)
    if is_starting(m) or is_res(m):
        process_resources(k, t, j, i, m)
    elif is_ipreq(m):
        g = m - M_IPREQ
        if t[nj + OWN] >> g & 1:   # rc.d/ip-request: give the group up and answer
            t[nj + OWN] &= ~(1 << g)
            send(k, t, j, IPRESP(i, g))
    else:
        dest, g = ipresp_fields(m)
        if dest == j:              # rc.d/ip-request-resp: takegroup
            t[nj + OWN] |= 1 << g
    return True


@leaf
def SELF(k, s, t, i):
    """model.md §4 Network. i processes the head of its own status pipe; the scripts
    ignore their own requests."""
    q = selfq(k, i)
    if s[node(k, i) + PH] != UP or s[q] == 0:
        return False
    copy_row(s, t)
    m = pop(k, t, q)
    if is_starting(m) or is_res(m):
        process_resources(k, t, i, i, m)
    return True


@leaf
def HEAR(k, s, t, i, j):
    """model.md §4 Network. A status heartbeat from j reaches i (heartbeats are not kept
    in the channels). With `heal`, every heartbeat of a generation i has not heard yet
    counts too, and one of the generation i declared dead heals a partition (1.89's
    should_drop_message): i will give up everything and restart (HEALRUN)."""
    n = node(k, i)
    bit = 1 << j
    new_generation = k[K_HEAL] and not s[n + GS] & bit
    if (s[n + PH] != UP or s[node(k, j) + PH] != UP or not linked(s, i, j)
            or (s[n + HEARD] & bit and not s[n + DEAD_SET] & bit and not new_generation)):
        return False
    copy_row(s, t)
    if k[K_HEAL]:
        if s[n + DEAD_SET] & bit and not new_generation:
            t[n + VAR] |= HEAL_PENDING   # "Cluster node j returning after partition"
        t[n + GS] |= bit
    t[n + HEARD] |= bit
    t[n + DEAD_SET] &= ~bit
    commup_check(k, t, i)
    return True


# --- Node-internal: timers and scripts -------------------------------------------------

@leaf
def DEAD(k, s, t, i, j):
    """model.md §4 Node-internal. j's heartbeats have stopped reaching i for
    deadtime: check_for_timeouts."""
    n = node(k, i)
    if (s[n + PH] != UP or s[n + DEAD_SET] >> j & 1
            or (s[node(k, j) + PH] == UP and linked(s, i, j))):
        return False
    copy_row(s, t)
    mark_node_dead(k, t, i, j)
    return True


@leaf
def MACHDOWN(k, s, t, i, j):
    """model.md §4 Node-internal. lib/mach_down j: take every group homed on j; with
    nice_failback, announce foreign."""
    n = node(k, i)
    if s[n + PH] != UP or not s[n + MD] >> j & 1:
        return False
    copy_row(s, t)
    t[n + MD] &= ~(1 << j)
    t[n + OWN] |= local_groups(k, j)
    if k[K_NICE]:
        send(k, t, i, RES(F, ST_ABSENT, 1))
    return True


@leaf
def CHILD(k, s, t, i):
    """model.md §4 Node-internal. The req_our_resources child: `req_resource g &` for
    every local group not running here, then (nice_failback) announce `local`, or `none`
    when there are no local groups."""
    n = node(k, i)
    if s[n + PH] != UP or s[n + CHLD] == 0:
        return False
    copy_row(s, t)
    t[n + CHLD] -= 1
    mine = local_groups(k, i)
    for g in range(8):
        bit = 1 << g
        if mine & bit and not t[n + OWN] & bit and not t[RQ] & bit:
            send(k, t, i, IPREQ(g))
            t[RQ] |= bit
    if k[K_NICE]:
        if version_165(k):   # 1.65, "king of nothing": always local; 1.56: not stable
            send(k, t, i, RES(L, 0, 0))
        else:
            send(k, t, i, RES(L if mine else NONE, 1, 0))
    return True


@leaf
def FORCETAKE(k, s, t, i, g):
    """model.md §4 Node-internal. req_resource's `sleep 10; takegroup g`: taken whatever
    the holder said."""
    bit = 1 << g
    if s[node(k, i) + PH] != UP or k[K_HOME + g] != i or not s[RQ] & bit:
        return False
    copy_row(s, t)
    t[node(k, i) + OWN] |= bit
    t[RQ] &= ~bit
    return True


@leaf
def RSCRCVD_TIMEOUT(k, s, t, i):
    """model.md §4 Node-internal. local_takeover: RQSTDELAY has passed in R_RSCRCVD; take
    unclaimed local groups."""
    n = node(k, i)
    if not k[K_NICE] or s[n + PH] != UP or s[n + RS] != R_RSCRCVD:
        return False
    copy_row(s, t)
    t[n + RS] = R_STABLE
    req_our_resources(k, t, i, 1)
    if version_165(k):       # 1.56: announce the outcome, stable
        send(k, t, i, RES(t[n + IH], 1, 0))
    return True


# --- Variants: the email's timer, STONITH, healed partitions (model/README.md) ----------

@leaf
def CLOSE_WINDOW(k, s, t, i):
    """email_timer: RQSTDELAY has passed since i started ((now - starttime) < RQSTDELAY
    turns false): no more repeated `starting`, and in the combined form no more ticks of
    resources_timer."""
    n = node(k, i)
    if not k[K_EMAIL_TIMER] or s[n + PH] != UP or s[n + VAR] & WINDOW_CLOSED:
        return False
    copy_row(s, t)
    t[n + VAR] |= WINDOW_CLOSED
    return True


@leaf
def RESEND_STARTING(k, s, t, i):
    """email_timer: a keepalive in the start window with the link up: send_starting_now
    sends `starting` again (at most `starting_repeats` times in the model)."""
    n = node(k, i)
    var = s[n + VAR]
    repeats = (var & REPEATS_MASK) >> REPEATS_SHIFT
    if (not k[K_EMAIL_TIMER] or s[n + PH] != UP or s[n + COMM] != COMM_LINKSUP
            or var & WINDOW_CLOSED or repeats >= k[K_REPEATS]):
        return False
    copy_row(s, t)
    t[n + VAR] = var & ~REPEATS_MASK | (repeats + 1) << REPEATS_SHIFT
    send(k, t, i, STARTING)
    return True


@leaf
def RT_EXPIRE(k, s, t, i):
    """email_timer: resources_timer has counted down to 0. Combined form (the bug): it
    counts only inside the start window, so once the window is over it never reaches 0."""
    n = node(k, i)
    var = s[n + VAR]
    if (not k[K_EMAIL_TIMER] or s[n + PH] != UP or not var & TIMER_ARMED
            or (k[K_EMAIL_TIMER] != EMAIL_TIMER_SPLIT and var & WINDOW_CLOSED)):
        return False
    copy_row(s, t)
    t[n + VAR] = var & ~TIMER_ARMED
    return True


@leaf
def FENCE(k, s, t, j):
    """stonith: the fencing device resets j (power cycle): an up j stops as in a crash,
    outside the crash budget; it comes back only through RESTART."""
    n = node(k, j)
    if not k[K_STONITH] or not s[n + VAR] & SHOT_PENDING:
        return False
    copy_row(s, t)
    t[n + VAR] &= ~SHOT_PENDING
    if s[n + PH] == UP:
        end_process(k, t, j, DOWN)
    return True


@leaf
def TAKEOVER(k, s, t, i, j):
    """stonith gated (1.170, StonithProcessDied): the reset of j that i asked for is done;
    i now takes over from j."""
    n = node(k, i)
    bit = 1 << j
    if (k[K_STONITH] != STONITH_GATED or s[n + PH] != UP or not s[n + FW] & bit
            or s[node(k, j) + VAR] & SHOT_PENDING):
        return False
    copy_row(s, t)
    t[n + FW] &= ~bit
    takeover_from_node(k, t, i, j)
    commup_check(k, t, i)
    return True


@leaf
def HEALRUN(k, s, t, i):
    """heal (1.89, healed_cluster_partition): giveup_resources (every group, then
    `resource none, stable`), then restart_heartbeat: a fresh start with a new generation;
    messages on their way to the old incarnation are lost."""
    n = node(k, i)
    if not k[K_HEAL] or s[n + PH] != UP or not s[n + VAR] & HEAL_PENDING:
        return False
    copy_row(s, t)
    t[n + OWN] = 0
    if k[K_NICE]:
        send(k, t, i, RES(NONE, 1, 0))
    end_process(k, t, i, UP)
    return True


# --- Next: every action of a configuration ---------------------------------------------

class ActionKind(NamedTuple):
    """An action of model.md section 4: its name, whether the environment takes it (not a
    node's heartbeat process) and its layer-T window (model.md section 7; None: it may
    happen at any instant)."""
    name: str
    environment: bool = False
    window: Window | None = None


# in the order of model.md section 4; an action's number is its place here
ACTIONS = (
    ActionKind("BOOT", environment=True),
    ActionKind("CRASH", environment=True),
    ActionKind("RESTART", environment=True),
    ActionKind("LINK", environment=True),
    ActionKind("DELIVER", window=Window(C.MSG, C.DMIN, "at least dmin after the send")),
    ActionKind("SELF"),          # at the instant of its send: no time passes while one waits
    ActionKind("HEAR", window=Window(C.PAIR, C.DMIN,
                                     "at least dmin after the heartbeat's period began",
                                     flags=C.AUDIBLE)),
    ActionKind("DEAD", window=Window(C.PAIR, C.D_MINUS_K,
                                     "at least deadtime - keepalive after the peer fell silent",
                                     lo_exact=C.D_EXACT,
                                     why_exact="exactly deadtime after the node's own boot",
                                     flags=(C.EXACT, C.NORMAL))),
    ActionKind("MACHDOWN", window=Window(C.MD, C.ZERO)),
    ActionKind("CHILD", window=Window(C.CHILD, C.ZERO)),
    ActionKind("FORCETAKE", window=Window(C.RQ, C.R_LO,
                                          "at least the req_resource timeout after the IPREQ")),
    ActionKind("RSCRCVD_TIMEOUT", window=Window(C.RS, C.Q_LO,
                                                "at least RQSTDELAY after entering RSCRCVD")),
    ActionKind("LOSE", environment=True),
    ActionKind("DUPLICATE", environment=True),
    ActionKind("CLOSE_WINDOW", window=Window(C.WIN, C.Q_EXACT, "RQSTDELAY after the node's start")),
    ActionKind("RESEND_STARTING"),   # any instant of the start window (model/README.md)
    ActionKind("RT_EXPIRE", window=Window(C.RT, C.Q_MINUS_K,
                                          "resources_timer's ticks after it was armed")),
    ActionKind("FENCE", window=Window(C.STN, C.ZERO)),
    ActionKind("TAKEOVER", window=Window(C.TK, C.ZERO)),
    ActionKind("HEALRUN", window=Window(C.HL, C.ZERO)),
)
ACTION_NAMES = tuple(a.name for a in ACTIONS)
ENVIRONMENT = tuple(x for x, a in enumerate(ACTIONS) if a.environment)
# the compiled code names the actions by number: one constant each, checked against ACTIONS
(A_BOOT, A_CRASH, A_RESTART, A_LINK, A_DELIVER, A_SELF, A_HEAR, A_DEAD, A_MACHDOWN,
 A_CHILD, A_FORCETAKE, A_RSCRCVD_TIMEOUT, A_LOSE, A_DUPLICATE, A_CLOSE_WINDOW,
 A_RESEND_STARTING, A_RT_EXPIRE, A_FENCE, A_TAKEOVER, A_HEALRUN) = range(len(ACTIONS))
assert all(globals()["A_" + a.name] == x for x, a in enumerate(ACTIONS)), "A_* out of order"


@leaf
def take(k, kind, a, b, s, t):
    """Try the action `kind` with arguments (a, b) on s; True and t = its next state if
    its guard holds."""
    if kind == A_DELIVER:
        return DELIVER(k, s, t, a, b)
    if kind == A_SELF:
        return SELF(k, s, t, a)
    if kind == A_HEAR:
        return HEAR(k, s, t, a, b)
    if kind == A_DEAD:
        return DEAD(k, s, t, a, b)
    if kind == A_MACHDOWN:
        return MACHDOWN(k, s, t, a, b)
    if kind == A_CHILD:
        return CHILD(k, s, t, a)
    if kind == A_FORCETAKE:
        return FORCETAKE(k, s, t, a, b)
    if kind == A_RSCRCVD_TIMEOUT:
        return RSCRCVD_TIMEOUT(k, s, t, a)
    if kind == A_LOSE:
        return LOSE(k, s, t, a, b)
    if kind == A_DUPLICATE:
        return DUPLICATE(k, s, t, a, b)
    if kind == A_CLOSE_WINDOW:
        return CLOSE_WINDOW(k, s, t, a)
    if kind == A_RESEND_STARTING:
        return RESEND_STARTING(k, s, t, a)
    if kind == A_RT_EXPIRE:
        return RT_EXPIRE(k, s, t, a)
    if kind == A_FENCE:
        return FENCE(k, s, t, a)
    if kind == A_TAKEOVER:
        return TAKEOVER(k, s, t, a, b)
    if kind == A_HEALRUN:
        return HEALRUN(k, s, t, a)
    if kind == A_BOOT:
        return BOOT(k, s, t, a)
    if kind == A_CRASH:
        return CRASH(k, s, t, a)
    if kind == A_RESTART:
        return RESTART(k, s, t, a)
    return LINK(k, s, t, a, b)


class Action(NamedTuple):
    name: str
    node: int | None   # the node that takes it (the receiver, for DELIVER); None for LINK
    args: tuple

    def __str__(self) -> str:
        return f"{self.name}({', '.join(map(str, self.args))})"


def action_table(cfg) -> list[Action]:
    """Every action of the configuration, in a fixed order: the order of model.md section
    4, and nodes (then peers, then groups) in index order."""
    N = cfg.N
    nodes = range(N)
    pairs = [(i, j) for i in nodes for j in nodes if i != j]
    table = []
    table += [Action("BOOT", i, (i,)) for i in nodes]
    table += [Action("CRASH", i, (i,)) for i in nodes]
    table += [Action("RESTART", i, (i,)) for i in nodes]
    table += [Action("LINK", None, (i, j)) for i, j in pairs if i < j]
    table += [Action("DELIVER", j, (i, j)) for i, j in pairs]
    table += [Action("SELF", i, (i,)) for i in nodes]
    table += [Action("HEAR", i, (i, j)) for i, j in pairs]
    table += [Action("DEAD", i, (i, j)) for i, j in pairs]
    table += [Action("MACHDOWN", i, (i, j)) for i, j in pairs]
    table += [Action("CHILD", i, (i,)) for i in nodes]
    table += [Action("FORCETAKE", cfg.home[g], (cfg.home[g], g)) for g in range(cfg.G)]
    table += [Action("RSCRCVD_TIMEOUT", i, (i,)) for i in nodes]
    if cfg.transport == "unsequenced":
        table += [Action("LOSE", None, (i, j)) for i, j in pairs]
        table += [Action("DUPLICATE", None, (i, j)) for i, j in pairs]
    if cfg.email_timer != "off":
        table += [Action("CLOSE_WINDOW", i, (i,)) for i in nodes]
        table += [Action("RESEND_STARTING", i, (i,)) for i in nodes]
        table += [Action("RT_EXPIRE", i, (i,)) for i in nodes]
    if cfg.stonith != "off":
        table += [Action("FENCE", j, (j,)) for j in nodes]
    if cfg.stonith == "gated":
        table += [Action("TAKEOVER", i, (i, j)) for i, j in pairs]
    if cfg.heal:
        table += [Action("HEALRUN", i, (i,)) for i in nodes]
    return table
