"""The May 2000 patch's resources_timer (`[protocol] email_timer`, heartbeat-2000.md 4.3,
reconstructed): a request while the timer runs is dropped, `starting` is repeated in the
start window (RQSTDELAY after the node's start), and the timer counts down only inside
that window in the patch's "combined" form (the bug, P9), always in the "split" one.
The node variables `wc`, `rt` and `ss` are this variant's (model.schema); 1.51 keeps the
timer's block under `#if 0` (model.heartbeat_c.resources_timer_allows).
"""

from __future__ import annotations

from hacheck.checker.compiled import leaf
from hacheck.model.heartbeat_c import send
from hacheck.model.row import (
    COMM_LINKSUP, REPEATS_MASK, REPEATS_SHIFT, STARTING, TIMER_ARMED, UP, WINDOW_CLOSED, comm,
    ph, var,
)
from hacheck.model.state import K_REPEATS, copy_row


@leaf
def resources_timer_allows(k, t, i):
    """req_our_resources' first lines with the timer: a call while it runs is dropped
    ("Used to avoid multiple resource requests"), any other starts it."""
    if t[var(k, i)] & TIMER_ARMED:
        return False
    t[var(k, i)] |= TIMER_ARMED
    return True


@leaf
def CLOSE_WINDOW(k, s, t, i):
    """RQSTDELAY has passed since i started ((now - starttime) < RQSTDELAY turns false):
    no more repeated `starting`, and in the combined form no more ticks of
    resources_timer."""
    if s[ph(k, i)] != UP or s[var(k, i)] & WINDOW_CLOSED:
        return False
    copy_row(s, t)
    t[var(k, i)] |= WINDOW_CLOSED
    return True


@leaf
def RESEND_STARTING(k, s, t, i):
    """A keepalive in the start window with the link up: send_starting_now sends
    `starting` again (at most `starting_repeats` times in the model)."""
    v = s[var(k, i)]
    repeats = (v & REPEATS_MASK) >> REPEATS_SHIFT
    if (s[ph(k, i)] != UP or s[comm(k, i)] != COMM_LINKSUP or v & WINDOW_CLOSED
            or repeats >= k[K_REPEATS]):
        return False
    copy_row(s, t)
    t[var(k, i)] = v & ~REPEATS_MASK | (repeats + 1) << REPEATS_SHIFT
    send(k, t, i, STARTING)
    return True


@leaf
def timer_runs_out(k, s, t, i):
    """resources_timer has counted down to 0 (the guard holds): it stops."""
    copy_row(s, t)
    t[var(k, i)] = s[var(k, i)] & ~TIMER_ARMED
    return True


@leaf
def RT_EXPIRE(k, s, t, i):
    """The combined form (the bug): the timer counts only inside the start window, so
    once the window is over it never reaches 0."""
    v = s[var(k, i)]
    if s[ph(k, i)] != UP or not v & TIMER_ARMED or v & WINDOW_CLOSED:
        return False
    return timer_runs_out(k, s, t, i)


@leaf
def RT_EXPIRE_SPLIT(k, s, t, i):
    """The split form (the email's "one if split into two"): the timer counts whether or
    not the window is over."""
    if s[ph(k, i)] != UP or not s[var(k, i)] & TIMER_ARMED:
        return False
    return timer_runs_out(k, s, t, i)
