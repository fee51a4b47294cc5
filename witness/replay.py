"""The independent checker of layer T: is a timed run of layer D real?

model.md section 7 ("Layer T: timing rules (dense time)") says a run of layer D is *real*
iff its actions can be given timestamps that satisfy a list of rules. A counterexample
shown to a user comes with concrete timestamps; `check_timed_run` replays that run and
verifies every rule of section 7 on those timestamps, with exact `Fraction` arithmetic.
It is written from the text of section 7 alone, on purpose apart from the timed search
and its encoding, so that the two can check each other. It reads the discrete states of
the run (`ClusterState`) to know what held before and after each step, and replays each
step on the layer-D model to make sure the states are the run's.

The rules checked, each reported under its own name:

- ``time``: timestamps are >= 0 and never decrease along the run.
- ``layer D``: states[0] is the initial state and states[k+1] is the state after
  actions[k] (otherwise the run is not a run of layer D, and nothing about it is real).
- ``<ACTION> window``: each obliged action happens inside its window [lo, hi] measured
  from its anchor (the table of section 7; bounds closed).
- ``urgency``: once an obligation's hi is reached, no later action takes a larger
  timestamp until the obliged action has happened or its guard became false.
- ``CRASH restriction``: no CRASH(j) while an up, connected peer still owes HEAR(i, j)
  for an audible period that began with j's boot or restart.
- BOOT, RESTART, LINK and RESEND_STARTING may happen at any time (they are only
  subject to urgency), unless the spec sets the environment's timing below.

The environment's timing (heartbeat-2000.md section 6.3; spec options `faults.quiet` and
`cluster.boot_skew`, off unless set), read from the issue's words apart from the model:

- ``quiet``: "a crash, restart or link change only at least `quiet` after the previous
  one, and after the last boot": each CRASH, RESTART or LINK is at least `quiet` after
  the latest earlier step that was a CRASH, RESTART, LINK or BOOT (none: no bound).
- ``boot skew``: "every node boots within `boot_skew` of the first boot": every step
  taken while some node has never booted is at most `boot_skew` after the first BOOT
  (which covers the BOOTs themselves: a node that boots late makes its own BOOT the
  step that is too late).

The variants (model/README.md, "Variants") add these windows, with the same urgency:

- ``CLOSE_WINDOW window`` (email_timer): exactly Q after i's start (its last BOOT,
  RESTART or HEALRUN), owed while i is up and ``wc = 0``.
- ``RT_EXPIRE window`` (email_timer): [Q - K, Q] after the step at which ``rt`` of i went
  from 0 to 1 (the req_our_resources call that armed the timer), owed while i is up,
  ``rt = 1`` and (split, or ``wc = 0``).
- ``FENCE window`` (stonith): [0, T] after the step at which ``stn`` of j went from 0 to 1
  (the DEAD that asked for the reset), owed while ``stn = 1``, whether j is up or not.
- ``TAKEOVER window`` (stonith gated): [0, smax] after the step at which its guard (i up,
  ``fw_i[j] = 1``, ``stn[j] = 0``) became true, which in layer D is the FENCE(j) that
  did the reset; owed while that guard holds.
- ``HEALRUN window`` (heal): [0, smax] after the step at which ``hl`` of i went from 0 to 1
  (the HEAR that found the heal), owed while i is up and ``hl = 1``.

Readings chosen where section 7 leaves room (the literal one each time):

1. **Urgency, step by step.** An obligation is *pending* before a step when the layer-D
   guard of the obliged action (model.md section 4, with the node up) holds in the state
   before that step. Every step with the obligation pending in its pre-state must have
   ``t <= anchor + hi``: that covers every step after the obligation started up to and
   including the step that ends it (the obliged action itself, whose own window already
   says so, or a step that made the guard false: a crash, a cut ... "faults may still
   happen at that instant", so at the deadline, not after it). An obligation still
   pending at the end of the run constrains the steps that remain in the run, no more.
   Each overrun obligation is reported once, at the first step that overruns it.
2. **DELIVER** obliges the head of a channel only (FIFO: the next message cannot be
   delivered before it). Its anchor is the later of the head's send and the last time the
   link became up; a link up since the initial state has no such time, so the send
   alone counts. The obligation holds while the link is up (and the receiver, which
   the layer-D guard asks for, is up).
3. **SELF** is the window [0, 0] from the send of the head of the node's own status
   pipe, with urgency: every step between a send and its SELF has the send's timestamp.
4. **HEAR(i, j)**: j is audible to i when ``ph[j] = up`` and ``conn[i][j] = 1`` (i's own
   phase does not matter). The anchor is the start of j's current audible period, or
   i's last boot/restart if that is *strictly* later in time. **Tie:** when i boots at the
   same instant as j's audible period began (in whichever step order), i's boot is not
   later, so the anchor is j's period start, and if that start was j's own boot or restart
   the window is [dmin, dmax]. An audible period starts "by j's boot/restart" when the step
   that made j audible was BOOT(j) or RESTART(j), and "by a heal" when it was LINK.
5. **DEAD(i, j)**: u is the start of j's current inaudible period, unless i booted or
   restarted *while j was inaudible*, in which case u is i's boot/restart. "While" is
   read in step order (the state at i's boot step): if j became inaudible at an earlier
   step with the same timestamp, u is i's boot and DEAD must be at exactly u + D; if j
   became inaudible at a later step than i's boot, u is that later step, window
   [u - K + D, u + dmax + D]. A node that was never up is inaudible from the initial
   state on, so for it u is always i's boot.
6. **CRASH restriction**, literally: CRASH(j) is refused when some i != j is up, the link
   i-j is up, i still owes HEAR(i, j) (its layer-D guard holds) and j's current audible
   period for i began with BOOT(j) or RESTART(j). This holds even when i booted after j,
   so that i's HEAR is anchored at i's own boot: the text speaks of the audible period,
   not of the HEAR's anchor. (The looser reading, "only when the HEAR's anchor is j's
   boot", would accept a few more runs.) The restriction is discrete: no time enters it.
7. **CHILD(i)**: every increase of ``chld`` in a step is one `req_our_resources` call that
   started a child at that step's time. A CHILD step runs the pending child with the
   earliest anchor among those whose window [0, smax] contains t (with equal widths this
   choice loses no valid matching). If none does, the window is reported against the
   earliest pending child, and that child is the one taken off.
8. **FORCETAKE(i, g)**: the anchor is the step at which ``rq[g]`` became pending (the
   CHILD that sent the IPREQ). **MACHDOWN(i, j)**: the step at which ``md_i[j]`` became 1;
   a later DEAD(i, j) that finds it already 1 does not move the anchor.
   **RSCRCVD_TIMEOUT(i)**: the step at which ``rs_i`` changed into RSCRCVD (staying in
   RSCRCVD is not a new entry; a crash and a later entry is).
9. **Variants.** A HEALRUN(i) is a restart of i that leaves it up: it is i's start for
   CLOSE_WINDOW and for i's own HEAR and DEAD anchors (as RESTART(i) is), and for every
   peer k to which i is audible after it, i's audible period for k begins anew at the
   HEALRUN, "by i's restart" (HEAR(k, i) in [dmin, dmax], and the CRASH restriction
   applies to it); a peer to which i stays inaudible (link cut) keeps its inaudible
   period. With heal, HEAR(i, j) is also owed while ``gs_i[j] = 0``, with the same anchor.
   A FENCE of an up j starts an inaudible period of j exactly as a CRASH(j) does (and
   empties j's inbound channels and status pipe), but is not subject to the CRASH
   restriction. Anchors of the new windows are the 0 -> 1 steps only: a second DEAD
   that finds ``stn[j]`` already 1, a second heal HEAR that finds ``hl`` already 1, or a
   req_our_resources dropped by an armed timer, moves nothing. In the combined form an
   ``rt`` left at 1 after the window closed is owed nothing (its guard is false).
10. **Origin.** Timestamps are seconds since the first action; a run whose first
   timestamp is above 0 is still accepted, since every rule is relative to an earlier
   event of the run and shifting all timestamps changes none of them.

The time of a step is the time of every event it causes (sends, entries, starts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction
from itertools import count
from typing import NamedTuple

from hacheck.checker import ModelBoundError
from hacheck.model.heartbeat import HeartbeatModel
from hacheck.model.row import PRE, R_RSCRCVD, UP
from hacheck.model.state import DEFAULT_CAPACITY
from hacheck.model.view import ClusterState, initial_state, pair_bit


# --- events, windows and the history of a run ---------------------------------------------

class Event(NamedTuple):
    """A step of the run that anchors something; step 0 is the initial state (no time)."""
    step: int
    t: Fraction | None
    what: str

    def __str__(self) -> str:
        if self.step == 0:
            return "the initial state"
        return f"{self.what} at step {self.step}, t={fmt(self.t)}"


class Window(NamedTuple):
    """The window of one obligation: the obliged action may happen in
    [anchor + lo, anchor + hi]."""
    key: tuple           # identifies the obligation, so that an overrun is reported once
    action: str          # the obliged action, e.g. "HEAR(1, 0)"
    anchor: Event
    lo: Fraction
    hi: Fraction
    why: str             # the anchor and window in section 7's words

    @property
    def earliest(self) -> Fraction:
        return self.anchor.t + self.lo

    @property
    def deadline(self) -> Fraction:
        return self.anchor.t + self.hi

    def describe(self) -> str:
        return (f"[{fmt(self.earliest)}, {fmt(self.deadline)}], i.e. "
                f"[{fmt(self.lo)}, {fmt(self.hi)}] after {self.anchor} ({self.why})")


@dataclass
class History:
    """What the states of a run do not say: when things happened. Updated after every
    step from the difference between the states before and after it."""
    N: int
    started: list = field(default_factory=list)      # node -> its last BOOT/RESTART/HEALRUN
    audible: dict = field(default_factory=dict)      # (i, j) -> (Event, by j's start?)
    inaudible: dict = field(default_factory=dict)    # (i, j) -> Event: current inaudible period
    healed: dict = field(default_factory=dict)       # (i, j), i < j -> Event: last time conn became 1
    channel: dict = field(default_factory=dict)      # (i, j) -> [(Event, uid)], parallel to ch[i][j]
    selfq: list = field(default_factory=list)        # node -> [(Event, uid)], parallel to selfq
    rscrcvd: list = field(default_factory=list)      # node -> Event of its entry into RSCRCVD
    rq: dict = field(default_factory=dict)           # g -> Event at which rq[g] became pending
    children: list = field(default_factory=list)     # node -> [(Event, uid)] of pending children
    md: dict = field(default_factory=dict)           # (i, j) -> Event at which md_i[j] became 1
    rt: list = field(default_factory=list)           # node -> Event at which rt went 0 -> 1
    hl: list = field(default_factory=list)           # node -> Event at which hl went 0 -> 1
    stn: list = field(default_factory=list)          # node j -> Event at which stn[j] went 0 -> 1
    tk: dict = field(default_factory=dict)           # (i, j) -> Event: TAKEOVER's guard became true
    last_change: Event | None = None                 # the last CRASH, RESTART, LINK or BOOT
    first_boot: Event | None = None
    uids: count = field(default_factory=count)

    @classmethod
    def start(cls, N: int) -> "History":
        h = cls(N)
        initial = Event(0, None, "initial")
        pairs = [(i, j) for i in range(N) for j in range(N) if i != j]
        h.started = [None] * N
        h.inaudible = {p: initial for p in pairs}   # every node is `pre`: all inaudible
        h.channel = {p: [] for p in pairs}
        h.selfq = [[] for _ in range(N)]
        h.rscrcvd = [None] * N
        h.children = [[] for _ in range(N)]
        h.rt = [None] * N
        h.hl = [None] * N
        h.stn = [None] * N
        return h


def fmt(x) -> str:
    """A number of seconds, exactly: a decimal when it has one, else p/q."""
    x = Fraction(x)
    d = x.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d != 1:
        return f"{x.numerator}/{x.denominator}"
    with localcontext() as ctx:
        ctx.prec = 100
        text = format((Decimal(x.numerator) / Decimal(x.denominator)).normalize(), "f")
    return text


# --- guards of the obliged actions (model.md section 4), on readable states -----------

def _up(s: ClusterState, i: int) -> bool:
    return s.nodes[i].ph == UP


def _linked(s: ClusterState, N: int, i: int, j: int) -> bool:
    return bool(s.conn & pair_bit(i, j, N))


def _audible(s: ClusterState, N: int, i: int, j: int) -> bool:
    """Section 7: j is audible to i when ph[j] = up and conn[i][j] = 1."""
    return _up(s, j) and _linked(s, N, i, j)


def _owes_hear(s: ClusterState, N: int, i: int, j: int, heal: bool = False) -> bool:
    """HEAR(i, j)'s guard; with heal, a generation of j that i has not heard counts too."""
    n = s.nodes[i]
    bit = 1 << j
    return (_up(s, i) and _audible(s, N, i, j)
            and (not n.heard & bit or bool(n.dead & bit) or (heal and not n.gs & bit)))


def _owes_rt_expire(cfg, s: ClusterState, i: int) -> bool:
    n = s.nodes[i]
    return (cfg.email_timer != "off" and _up(s, i) and n.rt == 1
            and (cfg.email_timer == "split" or n.wc == 0))


def _owes_takeover(cfg, s: ClusterState, i: int, j: int) -> bool:
    return (cfg.stonith == "gated" and _up(s, i) and bool(s.nodes[i].fw >> j & 1)
            and s.nodes[j].stn == 0)


def _may_declare_dead(s: ClusterState, N: int, i: int, j: int) -> bool:
    return _up(s, i) and not s.nodes[i].dead >> j & 1 and not _audible(s, N, i, j)


# --- the window of each obliged action: one function per rule kind (section 7 table) --

def deliver_window(p, h: History, s: ClusterState, i: int, j: int) -> Window | None:
    """DELIVER of the head m of ch[i][j]: [dmin, dmax] from the later of m's send and the
    last time conn[i][j] became 1."""
    queue = h.channel[(i, j)]
    if not queue:
        return None
    sent, uid = queue[0]
    anchor, why = sent, f"the send of the head of ch[{i}][{j}]"
    heal = h.healed.get((min(i, j), max(i, j)))
    if heal is not None and heal.t > sent.t:   # the message waited for the link
        anchor, why = heal, f"the link {i}-{j} came up after the send"
    return Window(("DELIVER", i, j, uid), f"DELIVER({i}, {j})", anchor, p.dmin, p.dmax,
                  why + ", [dmin, dmax]")


def self_window(p, h: History, s: ClusterState, i: int) -> Window | None:
    """SELF(i) of the head of i's status pipe: [0, 0] from its send."""
    queue = h.selfq[i]
    if not queue:
        return None
    sent, uid = queue[0]
    return Window(("SELF", i, uid), f"SELF({i})", sent, Fraction(0), Fraction(0),
                  "own messages are processed at the instant they are sent")


def hear_window(p, h: History, s: ClusterState, i: int, j: int) -> Window | None:
    """HEAR(i, j): from the start of j's current audible period for i, or i's boot or
    restart if strictly later (a tie goes to j's period start); [dmin, dmax] if the
    anchor is j's own boot/restart, else [dmin, K + dmax]."""
    period = h.audible.get((i, j))
    if period is None:
        return None
    anchor, by_start = period
    booted = h.started[i]
    if booted is not None and booted.t > anchor.t:
        anchor, by_start = booted, False
        why = f"{i} started after {j} became audible"
    else:
        why = f"{j}'s audible period began with " + ("its own start" if by_start
                                                      else "a link heal")
    if by_start:
        return Window(("HEAR", i, j, anchor.step), f"HEAR({i}, {j})", anchor, p.dmin, p.dmax,
                      why + ", [dmin, dmax]")
    return Window(("HEAR", i, j, anchor.step), f"HEAR({i}, {j})", anchor, p.dmin,
                  p.K + p.dmax, why + ", [dmin, K + dmax]")


def dead_window(p, h: History, s: ClusterState, i: int, j: int) -> Window | None:
    """DEAD(i, j): u = the start of j's current inaudible period as i sees it. Exactly
    u + D if u is i's own boot/restart, else [u - K + D, u + dmax + D]."""
    gone = h.inaudible.get((i, j))
    booted = h.started[i]
    if gone is None or booted is None:
        return None
    if booted.step > gone.step:   # i started while j was inaudible (step order)
        return Window(("DEAD", i, j, booted.step), f"DEAD({i}, {j})", booted, p.D, p.D,
                      f"u = {i}'s own start, {j} inaudible since: exactly u + D")
    return Window(("DEAD", i, j, gone.step), f"DEAD({i}, {j})", gone, p.D - p.K,
                  p.D + p.dmax, f"u = {j} became inaudible to {i}, [u - K + D, u + dmax + D]")


def rscrcvd_timeout_window(p, h: History, s: ClusterState, i: int) -> Window | None:
    """RSCRCVD_TIMEOUT(i): [Q, Q + K] from i's entry into RSCRCVD."""
    entry = h.rscrcvd[i]
    if entry is None:
        return None
    return Window(("RSCRCVD_TIMEOUT", i, entry.step), f"RSCRCVD_TIMEOUT({i})", entry, p.Q,
                  p.Q + p.K, f"{i} entered RSCRCVD, [Q, Q + K]")


def forcetake_window(p, h: History, s: ClusterState, i: int, g: int) -> Window | None:
    """FORCETAKE(i, g): [R, R + smax] from the send of the IPREQ that set rq[g]."""
    sent = h.rq.get(g)
    if sent is None:
        return None
    return Window(("FORCETAKE", i, g, sent.step), f"FORCETAKE({i}, {g})", sent, p.R,
                  p.R + p.smax, f"IPREQ for group {g} sent, [R, R + smax]")


def child_windows(p, h: History, s: ClusterState, i: int) -> list[Window]:
    """CHILD(i): one window [0, smax] per pending child, from the req_our_resources call
    that started it."""
    return [Window(("CHILD", i, uid), f"CHILD({i})", started, Fraction(0), p.smax,
                   "req_our_resources started a child, [0, smax]")
            for started, uid in h.children[i]]


def machdown_window(p, h: History, s: ClusterState, i: int, j: int) -> Window | None:
    """MACHDOWN(i, j): [0, smax] from the DEAD(i, j) that set md[j]."""
    dead = h.md.get((i, j))
    if dead is None:
        return None
    return Window(("MACHDOWN", i, j, dead.step), f"MACHDOWN({i}, {j})", dead, Fraction(0),
                  p.smax, f"{i} declared {j} dead, [0, smax]")


def close_window_window(p, h: History, s: ClusterState, i: int) -> Window | None:
    """CLOSE_WINDOW(i): exactly Q after i's start (BOOT, RESTART or HEALRUN)."""
    start = h.started[i]
    if start is None:
        return None
    return Window(("CLOSE_WINDOW", i, start.step), f"CLOSE_WINDOW({i})", start, p.Q, p.Q,
                  f"{i}'s start window is RQSTDELAY long: exactly Q")


def rt_expire_window(p, h: History, s: ClusterState, i: int) -> Window | None:
    """RT_EXPIRE(i): [Q - K, Q] from the call that armed resources_timer."""
    armed = h.rt[i]
    if armed is None:
        return None
    return Window(("RT_EXPIRE", i, armed.step), f"RT_EXPIRE({i})", armed, p.Q - p.K, p.Q,
                  f"{i}'s resources_timer was armed, [Q - K, Q]")


def fence_window(p, h: History, s: ClusterState, j: int) -> Window | None:
    """FENCE(j): [0, T] from the DEAD that asked for the reset of j."""
    asked = h.stn[j]
    if asked is None:
        return None
    return Window(("FENCE", j, asked.step), f"FENCE({j})", asked, Fraction(0), p.T,
                  f"a reset of {j} was asked, [0, T]")


def takeover_window(p, h: History, s: ClusterState, i: int, j: int) -> Window | None:
    """TAKEOVER(i, j): [0, smax] from the FENCE(j) that did the reset i waits for."""
    fenced = h.tk.get((i, j))
    if fenced is None:
        return None
    return Window(("TAKEOVER", i, j, fenced.step), f"TAKEOVER({i}, {j})", fenced,
                  Fraction(0), p.smax, f"{j} was reset while {i} waited for it, [0, smax]")


def healrun_window(p, h: History, s: ClusterState, i: int) -> Window | None:
    """HEALRUN(i): [0, smax] from the HEAR that found the heal."""
    found = h.hl[i]
    if found is None:
        return None
    return Window(("HEALRUN", i, found.step), f"HEALRUN({i})", found, Fraction(0), p.smax,
                  f"{i} heard a peer it had declared dead, [0, smax]")


def pending_obligations(cfg, p, h: History, s: ClusterState) -> list[Window]:
    """Every obligation whose obliged action's guard holds in s (section 4 guards)."""
    N = cfg.N
    out = []

    def add(w):
        if w is not None:
            out.append(w)

    for j in range(N):
        if cfg.stonith != "off" and s.nodes[j].stn:   # the device owes it, up or not
            add(fence_window(p, h, s, j))
    for i in range(N):
        if not _up(s, i):
            continue   # a node's obligations end with its crash (section 7)
        n = s.nodes[i]
        if n.selfq:
            add(self_window(p, h, s, i))
        for j in range(N):
            if j == i:
                continue
            if s.ch[j * N + i] and _linked(s, N, j, i):   # forced while the link stays up
                add(deliver_window(p, h, s, j, i))
            if _owes_hear(s, N, i, j, cfg.heal):
                add(hear_window(p, h, s, i, j))
            if _may_declare_dead(s, N, i, j):
                add(dead_window(p, h, s, i, j))
            if n.md >> j & 1:
                add(machdown_window(p, h, s, i, j))
            if _owes_takeover(cfg, s, i, j):
                add(takeover_window(p, h, s, i, j))
        if n.chld:
            out += child_windows(p, h, s, i)
        if cfg.nice_failback and n.rs == R_RSCRCVD:
            add(rscrcvd_timeout_window(p, h, s, i))
        for g in cfg.H(i):
            if s.rq >> g & 1:
                add(forcetake_window(p, h, s, i, g))
        if cfg.email_timer != "off" and n.wc == 0:
            add(close_window_window(p, h, s, i))
        if _owes_rt_expire(cfg, s, i):
            add(rt_expire_window(p, h, s, i))
        if cfg.heal and n.hl:
            add(healrun_window(p, h, s, i))
    return out


def action_window(p, h: History, s: ClusterState, action, t: Fraction) -> Window | None:
    """The window of the obligation this action discharges (None for actions with no
    window: BOOT, CRASH, RESTART, LINK, RESEND_STARTING, or an action layer D does not
    allow here)."""
    name, args = action.name, tuple(action.args)
    if name == "DELIVER":
        return deliver_window(p, h, s, *args)
    if name == "SELF":
        return self_window(p, h, s, *args)
    if name == "HEAR":
        return hear_window(p, h, s, *args)
    if name == "DEAD":
        return dead_window(p, h, s, *args)
    if name == "RSCRCVD_TIMEOUT":
        return rscrcvd_timeout_window(p, h, s, *args)
    if name == "FORCETAKE":
        return forcetake_window(p, h, s, *args)
    if name == "MACHDOWN":
        return machdown_window(p, h, s, *args)
    if name == "CLOSE_WINDOW":
        return close_window_window(p, h, s, *args)
    if name == "RT_EXPIRE":
        return rt_expire_window(p, h, s, *args)
    if name == "FENCE":
        return fence_window(p, h, s, *args)
    if name == "TAKEOVER":
        return takeover_window(p, h, s, *args)
    if name == "HEALRUN":
        return healrun_window(p, h, s, *args)
    if name == "CHILD":
        windows = child_windows(p, h, s, *args)
        if not windows:
            return None
        fitting = [w for w in windows if w.earliest <= t <= w.deadline]
        # reading 7: the earliest anchor that fits, else the earliest (reported)
        return min(fitting or windows, key=lambda w: w.anchor.t)
    return None


# --- the rules, one function each ---------------------------------------------------------

def check_time(n: int, action, t: Fraction, before: Fraction | None) -> list[str]:
    """Timestamps are >= 0 and never decrease along the run."""
    out = []
    if t < 0:
        out.append(f"step {n} {action} at t={fmt(t)}: time: a timestamp must be >= 0")
    if before is not None and t < before:
        out.append(f"step {n} {action} at t={fmt(t)}: time: timestamps never decrease, "
                   f"and step {n - 1} is at t={fmt(before)}")
    return out


def check_window(n: int, action, t: Fraction, w: Window) -> list[str]:
    """The obliged action happens inside its window (bounds closed)."""
    if w.earliest <= t <= w.deadline:
        return []
    side = "too early" if t < w.earliest else "too late"
    return [f"step {n} {action} at t={fmt(t)}: {action.name} window: {side}, "
            f"must be in {w.describe()}"]


def check_urgency(n: int, action, t: Fraction, pending: list[Window], discharged: tuple | None,
                  reported: set) -> list[str]:
    """No step with an obligation pending before it may be later than that obligation's
    hi (reading 1). The obligation the step itself discharges is its window's business."""
    out = []
    for w in pending:
        if w.key == discharged or w.key in reported or t <= w.deadline:
            continue
        reported.add(w.key)
        out.append(f"step {n} {action} at t={fmt(t)}: urgency: {w.action} is still owed "
                   f"and was due by t={fmt(w.deadline)}; window {w.describe()}")
    return out


def check_crash(cfg, h: History, s: ClusterState, n: int, action, t: Fraction) -> list[str]:
    """CRASH(j) is not allowed while an up, connected peer i still owes HEAR(i, j) for an
    audible period that began with j's boot or restart (reading 6)."""
    if action.name != "CRASH":
        return []
    (j,) = action.args
    out = []
    for i in range(cfg.N):
        if i == j or not _owes_hear(s, cfg.N, i, j, cfg.heal):
            continue
        period = h.audible.get((i, j))
        if period is not None and period[1]:
            out.append(f"step {n} {action} at t={fmt(t)}: CRASH restriction: {i} still "
                       f"owes HEAR({i}, {j}) for the audible period that began with "
                       f"{period[0]}; {j}'s start-up heartbeat is already on the wire")
    return out


ENVIRONMENT_CHANGES = ("CRASH", "RESTART", "LINK")


def check_environment(cfg, h: History, s: ClusterState, n: int, action, t: Fraction,
                      reported: set) -> list[str]:
    """The quiet period between faults and the boot skew, when the spec sets them."""
    out = []
    last = h.last_change
    if (cfg.quiet is not None and action.name in ENVIRONMENT_CHANGES and last is not None
            and t < last.t + cfg.quiet):
        out.append(f"step {n} {action} at t={fmt(t)}: quiet: a crash, restart or link "
                   f"change at least {fmt(cfg.quiet)} after {last}, i.e. from "
                   f"t={fmt(last.t + cfg.quiet)}")
    first = h.first_boot
    never_booted = [i for i, node in enumerate(s.nodes) if node.ph == PRE]
    if (cfg.boot_skew is not None and first is not None and never_booted
            and t > first.t + cfg.boot_skew and "boot skew" not in reported):
        reported.add("boot skew")
        out.append(f"step {n} {action} at t={fmt(t)}: boot skew: node {never_booted[0]} "
                   f"has not booted {fmt(cfg.boot_skew)} after {first}, i.e. by "
                   f"t={fmt(first.t + cfg.boot_skew)}")
    return out


class _LayerD:
    """Replays each step on the layer-D model, to make sure the states are the run's."""

    _models: dict = {}

    def __init__(self, cfg, states):
        longest = max((len(q) for s in states for q in (*s.ch, *(x.selfq for x in s.nodes))),
                      default=0)
        capacity = max(DEFAULT_CAPACITY, longest + 1)
        key = (cfg, capacity)
        if key not in self._models:
            self._models[key] = HeartbeatModel(cfg, capacity)
        self.model = self._models[key]

    def check(self, n: int, action, t: Fraction, before, after) -> list[str]:
        head = f"step {n} {action} at t={fmt(t)}: layer D: "
        try:
            expected = self.model.take(before, action.name, *action.args)
        except ModelBoundError as e:
            return [head + f"the model cannot take it ({e})"]
        if expected is None:
            return [head + "the action is not enabled in the state before it"]
        if expected != after:
            return [head + f"states[{n}] is not the state after the action"]
        return []


# --- keeping the history up to date -------------------------------------------------------

def advance(cfg, h: History, before: ClusterState, after: ClusterState, action, ev: Event,
            child: Window | None) -> None:
    """Record what step `ev` started or ended, from the states around it."""
    N = cfg.N
    name, args = action.name, tuple(action.args)
    if name in ENVIRONMENT_CHANGES or name == "BOOT":
        h.last_change = ev
    if name == "BOOT" and h.first_boot is None:
        h.first_boot = ev
    # a heal restart: i stays up but starts afresh (reading 9)
    healrun = args[0] if name == "HEALRUN" else None
    # a reset by the fencing device stops an up node as a crash does
    fenced = args[0] if name == "FENCE" and _up(before, args[0]) else None
    stopped = args[0] if name == "CRASH" else fenced
    for i in range(N):
        if (not _up(before, i) and _up(after, i)) or i == healrun:
            h.started[i] = ev
    for i in range(N):
        for j in range(N):
            if i == j:
                continue
            was, now = _audible(before, N, i, j), _audible(after, N, i, j)
            if now and not was:   # a boot, a restart or a heal starts an audible period
                h.audible[(i, j)] = (ev, not _up(before, j))
                h.inaudible.pop((i, j), None)
            elif was and not now:   # a crash or a cut starts an inaudible period
                h.inaudible[(i, j)] = ev
                h.audible.pop((i, j), None)
            if j == healrun and now:   # i's new incarnation, "by its restart"
                h.audible[(i, j)] = (ev, True)
            if i < j and _linked(after, N, i, j) and not _linked(before, N, i, j):
                h.healed[(i, j)] = ev
    # messages: what is not popped or wiped stays in order; what is new was sent now
    for i in range(N):
        for j in range(N):
            if i != j:
                h.channel[(i, j)] = _queue(h, h.channel[(i, j)], before.ch[i * N + j],
                                           after.ch[i * N + j], ev,
                                           popped=(name in ("DELIVER", "LOSE") and args == (i, j)),
                                           wiped=j in (stopped, healrun),
                                           duplicated=(name == "DUPLICATE" and args == (i, j)))
        h.selfq[i] = _queue(h, h.selfq[i], before.nodes[i].selfq, after.nodes[i].selfq, ev,
                            popped=(name == "SELF" and args == (i,)),
                            wiped=i in (stopped, healrun))
    for i in range(N):
        b, a = before.nodes[i], after.nodes[i]
        if a.rs == R_RSCRCVD and b.rs != R_RSCRCVD:
            h.rscrcvd[i] = ev
        elif a.rs != R_RSCRCVD:
            h.rscrcvd[i] = None
        # the child CHILD ran is gone, a crash kills the rest; every further increase of
        # chld is a req_our_resources call at this step
        kids = [c for c in h.children[i] if child is None or child.key != ("CHILD", i, c[1])]
        kids = kids[:a.chld]
        kids += [(ev, next(h.uids)) for _ in range(a.chld - len(kids))]
        h.children[i] = kids
        for j in range(N):
            if j == i:
                continue
            if a.md >> j & 1 and not b.md >> j & 1:
                h.md[(i, j)] = ev   # an md[j] already 1 keeps its earlier DEAD
            elif not a.md >> j & 1:
                h.md.pop((i, j), None)
            if _owes_takeover(cfg, after, i, j):
                if not _owes_takeover(cfg, before, i, j):
                    h.tk[(i, j)] = ev   # in layer D, the FENCE(j) that did the reset
            else:
                h.tk.pop((i, j), None)
        h.rt[i] = _rise(h.rt[i], b.rt, a.rt, ev)
        h.hl[i] = _rise(h.hl[i], b.hl, a.hl, ev)
        h.stn[i] = _rise(h.stn[i], b.stn, a.stn, ev)
    for g in range(cfg.G):
        if after.rq >> g & 1 and not before.rq >> g & 1:
            h.rq[g] = ev
        elif not after.rq >> g & 1:
            h.rq.pop(g, None)


def _rise(anchor: Event | None, was: int, now: int, ev: Event) -> Event | None:
    """The anchor of a flag: the step at which it went from 0 to 1, while it stays 1."""
    if not now:
        return None
    return ev if not was else anchor


def _queue(h: History, times: list, before: tuple, after: tuple, ev: Event, popped: bool,
           wiped: bool, duplicated: bool = False) -> list:
    if duplicated and times:   # the unsequenced network repeats the head: same send time
        times, before = times[:1] + times, before[:1] + before
    if wiped:
        times, before = [], ()
    elif popped:
        times, before = times[1:], before[1:]
    if tuple(after[:len(before)]) != tuple(before):   # not a run of layer D: start over
        times, before = [], ()
    return times + [(ev, next(h.uids)) for _ in range(len(after) - len(before))]


# --- the checker -------------------------------------------------------------------------

def check_timed_run(cfg, params, states: list[ClusterState], actions: list,
                    times: list[Fraction]) -> list[str]:
    """states[0] is the initial state; states[k+1] is the state after actions[k], taken at
    times[k]. Returns one line per broken rule (step number 1-based, the rule, the
    numbers), [] if the run is real."""
    if len(states) != len(actions) + 1 or len(times) != len(actions):
        raise ValueError(f"a run of {len(actions)} actions needs {len(actions) + 1} states "
                         f"and {len(actions)} times, got {len(states)} and {len(times)}")
    times = [Fraction(t) for t in times]
    out = []
    if states[0] != initial_state(cfg):
        out.append("step 0: layer D: states[0] is not the initial state")
    layer_d = _LayerD(cfg, states)
    h = History.start(cfg.N)
    reported: set = set()
    for k, (action, t) in enumerate(zip(actions, times)):
        n = k + 1
        before, after = states[k], states[k + 1]
        out += check_time(n, action, t, times[k - 1] if k else None)
        not_layer_d = layer_d.check(n, action, t, before, after)
        out += not_layer_d
        own = action_window(params, h, before, action, t)
        if own is not None and not not_layer_d:   # a window means nothing off layer D
            out += check_window(n, action, t, own)
        pending = pending_obligations(cfg, params, h, before)
        out += check_urgency(n, action, t, pending, own.key if own else None, reported)
        out += check_crash(cfg, h, before, n, action, t)
        out += check_environment(cfg, h, before, n, action, t, reported)
        advance(cfg, h, before, after, action, Event(n, t, str(action)),
                own if action.name == "CHILD" else None)
    return out
