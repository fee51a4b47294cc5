"""Layer T (model.md section 7) as clocks on top of layer D: which clocks a state has,
what each action's window asks of them, and what each obligation forbids. The bounds,
flags, clock kinds and obligations are declared in `model.clocks`, each action's window
beside the action (`model.schema.ACTIONS`); this module and the compiled one
(`model.timed_kernel`) read them from there.

A clock measures the time since the *anchor* of one rule of section 7. Which clocks exist
follows from the discrete state alone, so a timed state is a layer-D state, a flag per
ordered pair (what started the pair's current period, as the receiving node sees it) and
a zone over its clocks (`checker.zones`):

| clock | exists while | anchor | lower bound (guard) | upper bound (obligation) |
|---|---|---|---|---|
| `pair(i, j)` | i up and HEAR(i, j) or DEAD(i, j) enabled | start of j's audible / inaudible period for i, or i's boot | HEAR: dmin; DEAD: D - K, or D after i's own boot | HEAR: dmax after j's boot, else K + dmax; DEAD: D + dmax, or D after i's own boot |
| `msg(i, j, p)` | link i-j up, p-th message of ch[i][j] | its send, or the heal | DELIVER of the head: dmin | dmax |
| `rs(i)` | rs = RSCRCVD | the entry into RSCRCVD | RSCRCVD_TIMEOUT: Q | Q + K |
| `child(i, c)` | c < chld | the req_our_resources call | CHILD: 0 | smax |
| `md(i, j)` | md_i[j] = 1 | the DEAD(i, j) that set it | MACHDOWN: 0 | smax |
| `rq(g)` | rq[g] = pending | the IPREQ's send | FORCETAKE: R | R + smax |
| `win(i)` | email_timer, i up, start window open | i's start (boot, restart, heal restart) | CLOSE_WINDOW: Q | Q |
| `rt(i)` | email_timer, resources_timer armed and counting | the call that armed it | RT_EXPIRE: Q - K | Q |
| `stn(j)` | stonith, a reset of j asked | the DEAD that asked it | FENCE: 0 | T |
| `tk(i, j)` | stonith gated, i waits for j's reset and it is done | the FENCE of j | TAKEOVER: 0 | smax |
| `hl(i)` | heal, i up and its heal under way | the HEAR that found the heal | HEALRUN: 0 | smax |
| `quiet` | faults.quiet set, a node has booted or a fault happened, a fault budget left | the last BOOT, CRASH, RESTART or LINK | CRASH, RESTART, LINK: quiet | none |
| `skew` | cluster.boot_skew set, a node has booted and another has not | the first BOOT | none | boot_skew |

RESEND_STARTING has no window: a repeat may come at any instant of the start window
(the real one comes at a keepalive tick; an over-approximation, model/README.md).

Own messages (SELF) are processed at the instant they are sent: no time passes while any
`selfq` is non-empty. CRASH(j) is refused while an up, connected peer still owes the
HEAR of j's start-up heartbeat (section 7's last row).

Readings (section 7 leaves these to us; see also docs/timing.md):
- Pending children are interchangeable (CHILD's effect does not depend on which one
  runs), so CHILD runs the oldest: the younger ones left have the later deadlines, so
  every run that runs another child is matched by one that runs the oldest.
- `md[j]` is one flag: a DEAD(i, j) while it is already set does not restart its window
  (the anchor is the DEAD that set it).
- When i boots at the very instant j's audible period began with j's boot, "the later"
  of the two anchors is j's boot (it is not later), so HEAR(i, j) has j's start-up window
  [dmin, dmax]; one instant later it is i's boot, [dmin, K + dmax]. To tell the two apart,
  `pair(i, j)` is kept while i is not up if j has been audible since its boot.
- The CRASH restriction reads "an audible period that began with j's boot or restart"
  literally: it holds until i hears j even when i booted later than j (flag LATE_BOOT),
  although i's HEAR window then starts at its own boot.
"""

from __future__ import annotations

from dataclasses import dataclass

from hacheck.model.schema import ACTIONS
from hacheck.model.clocks import (  # noqa: F401  (layer T's vocabulary, read from here too)
    CHILD, CLOCK_KINDS, D_EXACT, D_MINUS_K, DMAX, DMIN, EXACT, FLAG_NAMES, HL,
    KIND_NAMES, LATE_BOOT, LOOSE, MD, MSG, NEVER, NORMAL, PAIR, PAIR_OBLIGATION, QUIET, RQ,
    RS, RT, SKEW, SMAX, STARTUP, STN, TIGHT, TK, WIN, ZERO, clock_of, value,
)
from hacheck.model.row import PRE, R_RSCRCVD, UP
from hacheck.model.view import ClusterState, pair_bit

WINDOWS = {a.name: a.window for a in ACTIONS}
DECLARED = {a.name: a for a in ACTIONS}
# every kind's obligation but PAIR's (which depends on the pair's flag)
UPPER = {x: k.obligation for x, k in enumerate(CLOCK_KINDS)
         if k.obligation is not None and k.obligation is not NEVER}
CEILING = {x: k.ceiling for x, k in enumerate(CLOCK_KINDS)}


@dataclass(frozen=True)
class ClockGuard:
    """What an action asks of one clock in a state: `lo <= clock` (and `clock <= hi` is its
    obligation)."""
    clock: tuple
    lo: tuple
    rule: str


# --- which clocks a state has ----------------------------------------------------------------

def audible(s: ClusterState, N: int, i: int, j: int) -> bool:
    """j is audible to i: j is up and the link between them is up."""
    return s.nodes[j].ph == UP and bool(s.conn & pair_bit(i, j, N))


def hear_enabled(s, N, i, j, heal=False) -> bool:
    n = s.nodes[i]
    return n.ph == UP and audible(s, N, i, j) and (
        not n.heard >> j & 1 or bool(n.dead >> j & 1) or (heal and not n.gs >> j & 1))


def dead_enabled(s, N, i, j) -> bool:
    n = s.nodes[i]
    return n.ph == UP and not n.dead >> j & 1 and not audible(s, N, i, j)


def pair_active(s, N, i, j, flag, heal=False) -> bool:
    if s.nodes[i].ph == UP:
        return hear_enabled(s, N, i, j, heal) or dead_enabled(s, N, i, j)
    return flag in STARTUP and audible(s, N, i, j)


def rt_counting(cfg, n) -> bool:
    """resources_timer is armed and counts down (combined form: only in the window)."""
    return n.ph == UP and bool(n.rt) and (cfg.email_timer == "split" or not n.wc)


def clocks(cfg, s: ClusterState, flags: tuple) -> list[tuple]:
    """The clocks of a timed state, in their canonical order."""
    N = cfg.N
    out = []
    for i in range(N):
        for j in range(N):
            if i != j and flags[i * N + j]:
                out.append((PAIR, i, j))
    for i in range(N):
        for j in range(N):
            if i != j and s.conn & pair_bit(i, j, N):
                out += [(MSG, i, j, p) for p in range(len(s.ch[i * N + j]))]
    for i, n in enumerate(s.nodes):
        if n.ph == UP and n.rs == R_RSCRCVD:
            out.append((RS, i))
    for i, n in enumerate(s.nodes):
        out += [(CHILD, i, c) for c in range(n.chld)]
    for i, n in enumerate(s.nodes):
        out += [(MD, i, j) for j in range(N) if n.md >> j & 1]
    out += [(RQ, g) for g in range(cfg.G) if s.rq >> g & 1]
    return out + variant_clocks(cfg, s)


def variant_clocks(cfg, s: ClusterState) -> list[tuple]:
    """The clocks of the variants (email_timer, stonith, heal), in their canonical order."""
    N = cfg.N
    out = []
    if cfg.email_timer != "off":
        out += [(WIN, i) for i, n in enumerate(s.nodes) if n.ph == UP and not n.wc]
        out += [(RT, i) for i, n in enumerate(s.nodes) if rt_counting(cfg, n)]
    if cfg.stonith != "off":
        out += [(STN, j) for j, n in enumerate(s.nodes) if n.stn]
        out += [(TK, i, j) for i, n in enumerate(s.nodes) for j in range(N)
                if n.ph == UP and n.fw >> j & 1 and not s.nodes[j].stn]
    if cfg.heal:
        out += [(HL, i) for i, n in enumerate(s.nodes) if n.ph == UP and n.hl]
    return out + environment_clocks(cfg, s)


def quiet_running(cfg, s: ClusterState) -> bool:
    """The quiet period has an anchor (a node has booted or a fault happened) and a fault
    may still come (faults.quiet)."""
    left = s.crashes_left + s.restarts_left + s.toggles_left
    started = (any(n.ph != PRE for n in s.nodes)
               or left < cfg.crashes + cfg.restarts + cfg.link_toggles)
    return started and left > 0


def skew_running(s: ClusterState) -> bool:
    """A node has booted and another has not (cluster.boot_skew)."""
    return any(n.ph == PRE for n in s.nodes) and any(n.ph != PRE for n in s.nodes)


def environment_clocks(cfg, s: ClusterState) -> list[tuple]:
    """The clocks of the environment's timing rules that are on (heartbeat-2000.md 6.3)."""
    out = []
    if cfg.quiet is not None and quiet_running(cfg, s):
        out.append((QUIET,))
    if cfg.boot_skew is not None and skew_running(s):
        out.append((SKEW,))
    return out


def obligation(cfg, s: ClusterState, flags: tuple, clock: tuple):
    """The upper bound an obligation puts on `clock` (None: none) in state s."""
    kind = clock[0]
    if kind == PAIR:
        _, i, j = clock
        if s.nodes[i].ph != UP:
            return None   # kept only to tell a tie at i's boot
        return PAIR_OBLIGATION[flags[i * cfg.N + j]]
    return UPPER.get(kind)


def time_may_pass(s: ClusterState) -> bool:
    """SELF's window is [0, 0]: own messages are processed at the instant they are sent."""
    return all(not n.selfq for n in s.nodes)


# --- what an action asks ---------------------------------------------------------------------

def window(cfg, s: ClusterState, flags: tuple, action) -> ClockGuard | None:
    """The lower bound the action's window (declared in model.schema.ACTIONS) puts on its
    clock in s (None: any time)."""
    declared = WINDOWS[action.name]
    if declared is None:
        return None
    clock = clock_of(declared.clock, action.args)
    if (CLOCK_KINDS[declared.clock].optional and s is not None
            and clock not in clocks(cfg, s, flags)):
        return None     # the environment's rule is off, or has no anchor yet
    lo, why = declared.lo, declared.why
    if declared.lo_exact is not None and flags[clock[1] * cfg.N + clock[2]] == EXACT:
        lo, why = declared.lo_exact, declared.why_exact
    return ClockGuard(clock, lo, f"{action.name}: {why}" if why else action.name)


def crash_allowed(cfg, s: ClusterState, flags: tuple, action) -> bool:
    """CRASH(j) waits while an up, connected peer owes HEAR(i, j) for an audible period that
    began with j's boot or restart (even if i booted later and its window starts there)."""
    if not DECLARED[action.name].waits_for_hear:
        return True
    j, N = action.args[0], cfg.N
    return not any(i != j and flags[i * N + j] in STARTUP and hear_enabled(s, N, i, j, cfg.heal)
                   for i in range(N))


# --- how clocks carry over an action ---------------------------------------------------------

FRESH = None       # a clock whose anchor is this step
TIE = "tie"        # i boots while pair(i, j) is TIGHT: split on "j booted at this instant"


def carry(cfg, s: ClusterState, flags: tuple, action, t: ClusterState):
    """For the step s --action--> t: the flags of t and, for each clock of t (in order),
    where it comes from: a clock of s, FRESH, or (TIE, clock of s) when i boots exactly as
    a start-up period of j may have begun (the caller splits: equal to 0, the clock is kept
    with TIGHT; later, FRESH with LATE_BOOT)."""
    N = cfg.N
    declared, args = DECLARED[action.name], action.args
    new_flags = list(flags)
    origin = {}
    for i in range(N):
        for j in range(N):
            if i == j:
                continue
            x = i * N + j
            before, after = audible(s, N, i, j), audible(t, N, i, j)
            restarted = declared.restarts and args[0] in (i, j)
            if restarted and args[0] == j:
                before = False   # j's new incarnation: a new audible period
            booted = (s.nodes[i].ph != UP or restarted) and t.nodes[i].ph == UP
            if booted:
                if not after:
                    flag, src = EXACT, FRESH
                elif flags[x] == TIGHT:
                    flag, src = TIGHT, (TIE, (PAIR, i, j))
                elif flags[x] == LATE_BOOT:
                    flag, src = LATE_BOOT, FRESH
                else:
                    flag, src = LOOSE, FRESH
            elif before != after:
                if after:
                    flag = TIGHT if s.nodes[j].ph != UP or restarted else LOOSE
                else:
                    flag = NORMAL
                src = FRESH
            else:
                flag, src = flags[x], ((PAIR, i, j) if flags[x] else FRESH)
            if not pair_active(t, N, i, j, flag, cfg.heal):
                flag = 0
            elif not booted and before == after and not flags[x]:
                # section 7 anchors every HEAR and DEAD window at a period's start or a
                # boot; an obligation appearing otherwise would be a misreading
                raise AssertionError(f"pair({i}, {j}) became due without a new period")
            new_flags[x] = flag
            if flag:
                origin[(PAIR, i, j)] = src
    new_flags = tuple(new_flags)
    # the variants' clocks: kept while their condition holds, fresh when it starts to
    # (a restart ends every one of its node's: the condition is false right after it)
    restarted_node = args[0] if declared.restarts else None
    old_clocks = {c for c in variant_clocks(cfg, s)
                  if len(c) == 1 or c[1] != restarted_node or c[0] == STN}
    for clock in clocks(cfg, t, new_flags):
        kind = clock[0]
        if kind == PAIR:
            continue
        if kind == MSG:
            _, i, j, p = clock
            healed = not s.conn & pair_bit(i, j, N)
            old_len = len(s.ch[i * N + j])
            if declared.repeats == "ch" and args == (i, j) and not healed:
                # the copy was sent when the original was: it shares its clock
                origin[clock] = (MSG, i, j, max(p - 1, 0))
                continue
            popped = 1 if declared.pops == "ch" and args == (i, j) else 0
            origin[clock] = FRESH if healed or p + popped >= old_len else (MSG, i, j, p + popped)
        elif kind == RS:
            i = clock[1]
            origin[clock] = clock if s.nodes[i].ph == UP and s.nodes[i].rs == R_RSCRCVD else FRESH
        elif kind == CHILD:
            _, i, c = clock
            if declared.pops == "chld" and args[0] == i:
                origin[clock] = (CHILD, i, c + 1)
            else:
                origin[clock] = clock if c < s.nodes[i].chld else FRESH
        elif kind == MD:
            _, i, j = clock
            origin[clock] = clock if s.nodes[i].md >> j & 1 else FRESH
        elif kind == RQ:
            origin[clock] = clock if s.rq >> clock[1] & 1 else FRESH
        elif kind == QUIET:     # a fault or a boot starts the quiet period again
            origin[clock] = FRESH if declared.starts_quiet or clock not in old_clocks else clock
        else:
            origin[clock] = clock if clock in old_clocks else FRESH
    return new_flags, origin


# --- symmetry: clocks are renamed with their nodes ---------------------------------------------

def clock_image(clock: tuple, pi, sigma) -> tuple:
    kind = clock[0]
    if len(clock) == 1:
        return clock        # the cluster's own
    if kind == RQ:
        return (RQ, sigma[clock[1]])
    if kind in (PAIR, MD, TK):
        return (kind, pi[clock[1]], pi[clock[2]])
    if kind == MSG:
        return (MSG, pi[clock[1]], pi[clock[2]], clock[3])
    return (kind, pi[clock[1]], *clock[2:])


def flags_image(flags: tuple, N: int, pi) -> tuple:
    out = [0] * (N * N)
    for i in range(N):
        for j in range(N):
            if i != j:
                out[pi[i] * N + pi[j]] = flags[i * N + j]
    return tuple(out)


def clock_name(clock: tuple) -> str:
    return f"{KIND_NAMES[clock[0]]}({', '.join(map(str, clock[1:]))})"
