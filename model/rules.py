"""The rules a configuration runs: each action by its kind (`take`), and the rule a variant
replaces, by what the configuration chose when its table was built
(`k[K_RULES + slot]`, model.schema.choices).

Generated from model/schema.py (ACTIONS, HOOKS) by `python -m hacheck.model.generate`:
do not edit by hand (tests/test_schema.py checks that it is up to date).
"""

from hacheck.checker.compiled import leaf
from hacheck.model import (
    actions, broken, email_timer, heal, heartbeat_165, heartbeat_c, stonith, unsequenced,
)
from hacheck.model.state import K_RULES


# --- the action kinds, in model.schema.ACTIONS' order ----------------------------------
A_BOOT = 0
A_CRASH = 1
A_RESTART = 2
A_LINK = 3
A_DELIVER = 4
A_SELF = 5
A_HEAR = 6
A_DEAD = 7
A_MACHDOWN = 8
A_CHILD = 9
A_FORCETAKE = 10
A_RSCRCVD_TIMEOUT = 11
A_LOSE = 12
A_DUPLICATE = 13
A_CLOSE_WINDOW = 14
A_RESEND_STARTING = 15
A_RT_EXPIRE = 16
A_FENCE = 17
A_TAKEOVER = 18
A_HEALRUN = 19
ENVIRONMENT = (A_BOOT, A_CRASH, A_RESTART, A_LINK, A_LOSE, A_DUPLICATE)

# --- the slots of the rules a variant replaces -----------------------------------------
SLOT_HEAR = 0
SLOT_CHILD = 1
SLOT_RSCRCVD_TIMEOUT = 2
SLOT_RT_EXPIRE = 3
SLOT_RESOURCES_TIMER_ALLOWS = 4
SLOT_OTHER_HAS_OR_I_ASKED = 5
SLOT_REQ_OUR_RESOURCES = 6
SLOT_TAKEOVER_FROM_NODE = 7
SLOT_MARK_NODE_DEAD = 8
SLOT_PROCESS_RESOURCES = 9


@leaf
def take(k, kind, a, b, s, t):
    """Try the action `kind` with arguments (a, b) on s; True and t = its next state if
    its guard holds."""
    if kind == A_BOOT:
        return actions.BOOT(k, s, t, a)
    if kind == A_CRASH:
        return actions.CRASH(k, s, t, a)
    if kind == A_RESTART:
        return actions.RESTART(k, s, t, a)
    if kind == A_LINK:
        return actions.LINK(k, s, t, a, b)
    if kind == A_DELIVER:
        return actions.DELIVER(k, s, t, a, b)
    if kind == A_SELF:
        return actions.SELF(k, s, t, a)
    if kind == A_HEAR:
        return HEAR(k, s, t, a, b)
    if kind == A_DEAD:
        return actions.DEAD(k, s, t, a, b)
    if kind == A_MACHDOWN:
        return actions.MACHDOWN(k, s, t, a, b)
    if kind == A_CHILD:
        return CHILD(k, s, t, a)
    if kind == A_FORCETAKE:
        return actions.FORCETAKE(k, s, t, a, b)
    if kind == A_RSCRCVD_TIMEOUT:
        return RSCRCVD_TIMEOUT(k, s, t, a)
    if kind == A_LOSE:
        return unsequenced.LOSE(k, s, t, a, b)
    if kind == A_DUPLICATE:
        return unsequenced.DUPLICATE(k, s, t, a, b)
    if kind == A_CLOSE_WINDOW:
        return email_timer.CLOSE_WINDOW(k, s, t, a)
    if kind == A_RESEND_STARTING:
        return email_timer.RESEND_STARTING(k, s, t, a)
    if kind == A_RT_EXPIRE:
        return RT_EXPIRE(k, s, t, a)
    if kind == A_FENCE:
        return stonith.FENCE(k, s, t, a)
    if kind == A_TAKEOVER:
        return stonith.TAKEOVER(k, s, t, a, b)
    return heal.HEALRUN(k, s, t, a)


@leaf
def HEAR(k, s, t, i, j):
    """The rule of HEAR this configuration runs."""
    if k[K_RULES + SLOT_HEAR] == 1:
        return heal.HEAR(k, s, t, i, j)
    return actions.HEAR(k, s, t, i, j)


@leaf
def CHILD(k, s, t, i):
    """The rule of CHILD this configuration runs."""
    if k[K_RULES + SLOT_CHILD] == 1:
        return heartbeat_165.CHILD(k, s, t, i)
    return actions.CHILD(k, s, t, i)


@leaf
def RSCRCVD_TIMEOUT(k, s, t, i):
    """The rule of RSCRCVD_TIMEOUT this configuration runs."""
    if k[K_RULES + SLOT_RSCRCVD_TIMEOUT] == 1:
        return heartbeat_165.RSCRCVD_TIMEOUT(k, s, t, i)
    return actions.RSCRCVD_TIMEOUT(k, s, t, i)


@leaf
def RT_EXPIRE(k, s, t, i):
    """The rule of RT_EXPIRE this configuration runs."""
    if k[K_RULES + SLOT_RT_EXPIRE] == 1:
        return email_timer.RT_EXPIRE_SPLIT(k, s, t, i)
    return email_timer.RT_EXPIRE(k, s, t, i)


@leaf
def resources_timer_allows(k, t, i):
    """May req_our_resources go on? (the May 2000 patch's timer; #if 0 in 1.51): the rule this configuration runs."""
    if k[K_RULES + SLOT_RESOURCES_TIMER_ALLOWS] == 1:
        return email_timer.resources_timer_allows(k, t, i)
    return heartbeat_c.resources_timer_allows(k, t, i)


@leaf
def other_has_or_i_asked(k, t, i):
    """Req_our_resources' guard: nothing to request: the rule this configuration runs."""
    if k[K_RULES + SLOT_OTHER_HAS_OR_I_ASKED] == 1:
        return broken.other_has_or_i_asked(k, t, i)
    return heartbeat_c.other_has_or_i_asked(k, t, i)


@leaf
def req_our_resources(k, t, i, stable):
    """Claim LOCAL, announce it, fork the child: the rule this configuration runs."""
    if k[K_RULES + SLOT_REQ_OUR_RESOURCES] == 1:
        return heartbeat_165.req_our_resources(k, t, i, stable)
    return heartbeat_c.req_our_resources(k, t, i, stable)


@leaf
def takeover_from_node(k, t, i, j):
    """The takeover part of mark_node_dead: the rule this configuration runs."""
    if k[K_RULES + SLOT_TAKEOVER_FROM_NODE] == 1:
        return heartbeat_165.takeover_from_node(k, t, i, j)
    return heartbeat_c.takeover_from_node(k, t, i, j)


@leaf
def mark_node_dead(k, t, i, j):
    """J is dead: take over (or ask for a reset first): the rule this configuration runs."""
    chosen = k[K_RULES + SLOT_MARK_NODE_DEAD]
    if chosen == 1:
        return stonith.mark_node_dead_gated(k, t, i, j)
    if chosen == 2:
        return stonith.mark_node_dead_race(k, t, i, j)
    return heartbeat_c.mark_node_dead(k, t, i, j)


@leaf
def process_resources(k, t, i, sender, m):
    """The nice_failback state machine: the rule this configuration runs."""
    if k[K_RULES + SLOT_PROCESS_RESOURCES] == 1:
        return heartbeat_165.process_resources(k, t, i, sender, m)
    return heartbeat_c.process_resources(k, t, i, sender, m)
