"""model.md in TChecker's input language: layer D, and layer T's rules as clocks.

Written from `../shared/protocol/model.md` (sections 2-4 and 7), not from hacheck's code,
so that TChecker's zone-graph search and hacheck's can check each other (issue 18). The
message codes are those of `common.py`, which the Murphi and Promela encodings share.

    python bench/peers/tchecker.py --nodes 2 [--untimed] [--crashes 1 ...] > model.tck
    tck-reach -a covreach -s bfs -l s1 model.tck

One process `P` with one location holds the whole state in bounded integers (TChecker
has no records or queues: a FIFO is an array and its length; a claim's bits are read
with / and %), and every action of model.md section 4 is an edge of it, one per
argument tuple, with its guard (`provided`) and effect (`do`) written out. A disjunctive
guard becomes two edges. A second process `M` watches: its edge to `bad` (label `s1`)
is enabled in every state where two nodes run the same group, so S1 is violated iff
`s1` is reachable. `bound` (label `bound`) is reached if a node would have more than
three pending children (model.md: an error, never a verdict).

Layer T (section 7): one array `x` of clocks, one per rule instance, and a spare last slot
that no rule reads:

| clock (in `x`, by pair, slot, child or group) | measures the time since | used by |
|---|---|---|
| `xp[i, j]` | while j is audible to i: the start of that audible period, or i's boot or restart if strictly later (`late_i_j`); while j is inaudible and not yet dead for an up i: the start of that inaudible period, or i's boot if later (`exact_i_j`) | HEAR(i, j), DEAD(i, j), and at BOOT(i): did j's period start at this very instant? |
| `xm[i, j, p]` | the send of the p-th message of ch[i][j], or the last heal of the link if later | DELIVER(i, j) of the head |
| `xmd[i, j]` | the DEAD(i, j) that set md_i[j] | MACHDOWN(i, j) |
| `xr[i]` | i's entry into RSCRCVD | RSCRCVD_TIMEOUT(i) |
| `xc[i, c]` | the req_our_resources call that started i's c-th pending child | CHILD(i) runs the oldest |
| `xq[g]` | the IPREQ that set rq[g] | FORCETAKE(home[g], g) |
| `z` | the last step | SELF: no time passes while an own message waits |

One clock serves HEAR, DEAD and the boot's tie for a pair because their uses never
overlap (HEAR and the tie while j is audible, DEAD while it is not), and it restarts at
every change of audibility (`new_period`). A window's lower bound is a guard of its
edge; its upper bound, an obligation, is a term of the location's invariant
`x[(if used then k else spare)] <= (if <guard of the obliged action> then hi else BIG)`:
an unused clock's term bounds the spare, so TChecker tightens its zone once for all of
them, which is where its time goes (a DBM is tightened for every term that lowers a
bound). Every step begins by resetting each clock that no rule reads in the state before
it (the spare otherwise). A clock a step starts to use is therefore anchored at that
step, which is what section 7 asks of every clock here (each rule's anchor is an event
of the step that makes its rule apply), and an unused clock never holds time back: BIG,
the largest constant plus one, bounds a single delay, and a delay longer than every
constant changes nothing a guard can see. The first version had an array per kind, four
clocks per pair and a spare per array (46 clocks at N = 2 instead of 23; TChecker took
twice as long at N = 2 without faults).

No statement of an edge is under an `if` (`straight` writes each as a guarded
assignment): before it searches, TChecker computes its clock bounds by following every
path through an edge's `if`s, and its memory doubles with each `if` in a row. With the
`if`s, that took two minutes at N = 2 and ran out of memory (12 GiB) at N = 3 before the
search began; without them it takes a tenth of a second.

Readings (model.md section 7's, where it leaves room):
- the tie at a boot: HEAR(i, j)'s anchor is i's boot only if it is *strictly* later than
  the start of j's audible period (`xp_i_j > 0` at BOOT(i), or `late_i_j` kept from i's
  previous boot in the same period); at the same instant, the period's start is the
  anchor, with [dmin, dmax] if j's boot or restart began it;
- CHILD runs the oldest pending child (the others keep later deadlines);
- a second DEAD(i, j) while md_i[j] = 1 does not move MACHDOWN's anchor;
- DEAD(i, j) is anchored at i's own boot when j was inaudible at that step (step order).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from fractions import Fraction

from common import MAX_CHILDREN, message_bases

PRE, UP, DOWN = 0, 1, 2
INIT, STARTING, BOTHSTARTING, RSCRCVD, STABLE = range(5)
ABSENT = 2


@dataclass(frozen=True)
class If:
    """`if cond then ... [else ...] end`, kept as a tree until `Encoding.straight` writes
    it as straight-line statements."""
    cond: str
    then: tuple
    other: tuple = ()


def when(cond: str, *then, other=()) -> If:
    return If(cond, tuple(then), tuple(other))


@dataclass(frozen=True)
class Timing:
    """Section 7's parameters as whole numbers of one unit."""
    K: int
    D: int
    Q: int
    R: int
    dmin: int
    dmax: int
    smax: int

    @classmethod
    def of(cls, params) -> tuple["Timing", Fraction]:
        """From hacheck's TimingParameters (seconds; the spec's values), and the unit."""
        units = params.in_units()
        return cls(*(units[a] for a in ("K", "D", "Q", "R", "dmin", "dmax", "smax"))), params.unit


class Encoding:
    """The text of the model for one configuration (timed unless `timing` is None)."""

    def __init__(self, cfg, timing: Timing | None, cap: int = 8, monitor: bool = True,
                 overflow_stops: bool = False):
        self.cfg, self.t, self.cap, self.monitor = cfg, timing, cap, monitor
        self.overflow_stops = overflow_stops
        self.N, self.G = cfg.N, len(cfg.home)
        self.H = [[g for g, h in enumerate(cfg.home) if h == i] for i in range(self.N)]
        self.b = message_bases(self.N, self.G)
        self.nice = cfg.nice_failback
        self.locals = 0
        if timing is not None:
            t = timing
            self.big = max(t.K + t.dmax, t.D + t.dmax, t.Q + t.K, t.R + t.smax, t.smax) + 1

    # --- names ----------------------------------------------------------------------------

    def peers(self, i):
        return [j for j in range(self.N) if j != i]

    @staticmethod
    def conn(i, j):
        return f"conn_{min(i, j)}_{max(i, j)}"

    def local(self, expr: str) -> tuple[str, str]:
        """A fresh local variable holding expr: (its name, its declaration)."""
        self.locals += 1
        name = f"v{self.locals}"
        return name, f"local {name} = {expr}"

    # --- messages (common.py's codes) -----------------------------------------------------

    def starting(self, s) -> str:
        return f"{self.b['BASE_S'] + s}"

    def res(self, s, n: str, st: str, md: int) -> str:
        return f"{self.b['BASE_R']} + (({s} * 4 + {n}) * 3 + {st}) * 2 + {md}"

    def ipreq(self, s, g) -> str:
        return f"{self.b['BASE_Q'] + s * self.G + g}"

    def ipresp(self, s, d: str, g: str) -> str:
        return f"{self.b['BASE_P']} + ({s} * {self.N} + {d}) * {self.G} + {g}"

    # --- claims: bits without bitwise operators -------------------------------------------

    @staticmethod
    def bit(x: str, b: int) -> str:
        return f"(({x}) / {b}) % 2"

    def union(self, a: str, c: str) -> str:
        lo = f"({self.bit(a, 1)} + {self.bit(c, 1)} - {self.bit(a, 1)} * {self.bit(c, 1)})"
        hi = f"({self.bit(a, 2)} + {self.bit(c, 2)} - {self.bit(a, 2)} * {self.bit(c, 2)})"
        return f"{lo} + 2 * {hi}"

    def upd(self, cur: str, n: str) -> str:
        return f"(if {n} == 0 then 0 else {self.union(cur, n)})"

    # --- straight-line statements ----------------------------------------------------------

    def straight(self, statements, guard: str | None = None) -> list[str]:
        """The statements with every `if` written out as a guard: a local holds the
        condition (read where the `if` stood), and each assignment under it keeps its old
        value when the guard is false. TChecker's clock-bounds analysis follows every path
        through the `if`s of an edge, whether they touch clocks or not, and its memory
        doubles with each `if` in a row (at N = 3 it ran out of memory before the search
        began); straight-line code has one path. An `if` expression is lazy, so nothing
        is read under a false guard (an index or a local out of range would be an error)."""
        out = []
        for st in statements:
            if isinstance(st, If) and not (st.then or st.other):
                continue                # nothing to guard (an untimed model's clock work)
            if isinstance(st, If):
                test = f"(if {st.cond} then 1 else 2)"
                name, decl = self.local(test if guard is None
                                        else f"(if {guard} then {test} else 0)")
                out += [decl, *self.straight(st.then, f"{name} == 1"),
                        *self.straight(st.other, f"{name} == 2")]
            elif guard is None:
                out.append(st)
            elif st == "nop":
                continue
            elif st.startswith("local "):
                name, _, value = st[len("local "):].partition(" = ")
                out.append(f"local {name} = (if {guard} then {value} else 0)")
            else:
                target, _, value = st.partition(" = ")
                base, bracket, index = target.partition("[")
                if base in ("x", "z"):
                    raise ValueError(f"a clock is reset under a condition: {st}")
                if bracket and not index[:-1].isdigit():
                    target = f"{base}[(if {guard} then {index[:-1]} else 0)]"
                out.append(f"{target} = (if {guard} then {value} else {target})")
        return out

    # --- queues -----------------------------------------------------------------------------

    def append(self, q: str, m: str) -> list[str]:
        put = [f"{q}[{q}_len] = {m}", f"{q}_len = {q}_len + 1"]
        if not self.overflow_stops:     # a full FIFO is an error: tck-reach stops
            return put
        # or the path ends there (label `bound`): a violation found is then one of
        # model.md, though one that needs a longer FIFO may be missed
        return [when(f"{q}_len < {self.cap}", *put, other=["ovf = 1"])]

    def pop(self, q: str, pair: tuple | None = None) -> list[str]:
        out = [f"{q}[{p}] = {q}[{p + 1}]" for p in range(self.cap - 1)]
        out += [f"{q}[{self.cap - 1}] = 0", f"{q}_len = {q}_len - 1"]
        if pair is not None and self.t is not None:
            out += [f"{self.x('xm', *pair, p=p)} = {self.x('xm', *pair, p=p + 1)}"
                    for p in range(self.cap - 1)]
        return out

    def empty(self, q: str) -> list[str]:
        return [f"{q}[{p}] = 0" for p in range(self.cap)] + [f"{q}_len = 0"]

    # --- section 3's helpers ------------------------------------------------------------------

    def send(self, i, m: str) -> list[str]:
        name, decl = self.local(m)
        out = [decl, *self.append(f"sq_{i}", name)]
        for j in self.peers(i):
            out.append(when(f"ph_{j} == {UP}", *self.append(f"ch_{i}_{j}", name)))
        return out

    def req_our_resources(self, i, stable: int) -> list[str]:
        child = [f"chld_{i} = chld_{i} + 1"]
        if not self.nice:
            return child
        body = [f"ih_{i} = ih_{i} + 1", *self.send(i, self.res(i, f"ih_{i}", str(stable), 0)),
                *child]
        return [when(f"{self.bit(f'oh_{i}', 2)} == 0 && {self.bit(f'ih_{i}', 1)} == 0", *body)]

    def commup_check(self, i) -> list[str]:
        heard = " && ".join(f"heard_{i}_{j} == 1" for j in self.peers(i))
        if self.nice:
            then = when(f"rs_{i} == {INIT}", *self.send(i, self.starting(i)),
                        f"rs_{i} = {STARTING}")
        else:
            then = when(f"rry_{i} == 0", f"rry_{i} = 1", *self.req_our_resources(i, 0))
        return [when(f"comm_{i} == 0 && {heard}", f"comm_{i} = 1", then)]

    def mark_node_dead(self, i, j) -> list[str]:
        out = [f"dead_{i}_{j} = 1", f"heard_{i}_{j} = 1", f"md_{i}_{j} = 1"]
        if self.nice:
            out += [f"oh_{i} = 0", f"os_{i} = 0", f"tip_{i} = 1", *self.req_our_resources(i, 1)]
        return out + self.commup_check(i)

    def process_resources(self, i, s, m: str) -> list[str]:
        """process_resources(i, m) for a message m (a variable) from sender s (static)."""
        if not self.nice:
            return []
        b = self.b
        r, rdecl = self.local(f"{m} - {b['BASE_R']}")
        n, st, md = f"(({r} / 6) % 4)", f"(({r} / 2) % 3)", f"({r} % 2)"
        rs = f"rs_{i}"
        if s != i:
            stab = f"(if {rs} == {STABLE} then 1 else 0)"
            starting = [when(
                f"{rs} != {INIT} && {rs} != {BOTHSTARTING}",
                when(f"{rs} == {STARTING}", f"{rs} = {BOTHSTARTING}"),
                f"os_{i} = 0",
                when(f"tip_{i} == 1 && {self.bit(f'ih_{i}', 2)} == 0", f"ih_{i} = ih_{i} + 2"),
                *self.send(i, self.res(i, f"ih_{i}", stab, 0)))]
        else:
            starting = []
        old, odecl = self.local(rs)
        new, ndecl = self.local(rs)
        if s != i:
            effect = [when(f"{st} != {ABSENT}", f"os_{i} = {st}"),
                      f"oh_{i} = {self.upd(f'oh_{i}', n)}",
                      when(f"{old} != {BOTHSTARTING}", f"{new} = {STABLE}",
                           *self.req_our_resources(i, 1))]
        else:
            effect = [f"ih_{i} = {self.upd(f'ih_{i}', n)}",
                      when(f"{md} == 1", f"tip_{i} = 0", f"os_{i} = 1")]
        resource = [rdecl, odecl, ndecl,
                    when(f"{old} != {INIT}",
                         when(f"{old} == {STARTING}", f"{new} = {RSCRCVD}"),
                         when(f"{old} == {BOTHSTARTING}", f"{new} = {RSCRCVD}"),
                         *effect, *self.set_rs(i, new))]
        is_starting = f"{m} >= {b['BASE_S']} && {m} < {b['BASE_R']}"
        is_res = f"{m} >= {b['BASE_R']} && {m} < {b['BASE_Q']}"
        out = []
        if starting:
            out.append(when(is_starting, *starting))
        out.append(when(is_res, *resource))
        return [when(f"comm_{i} == 1", *out)]

    def set_rs(self, i, new: str) -> list[str]:
        return [f"rs_{i} = {new}"]

    def reset(self, i) -> list[str]:
        """A node's variables back to their boot values (its selfq emptied)."""
        out = [f"comm_{i} = 0", f"rs_{i} = {INIT}", f"ih_{i} = 0", f"oh_{i} = 0", f"os_{i} = 0",
               f"tip_{i} = 0", f"rry_{i} = 0", f"chld_{i} = 0", *self.empty(f"sq_{i}")]
        for j in self.peers(i):
            out += [f"heard_{i}_{j} = 0", f"dead_{i}_{j} = 0", f"md_{i}_{j} = 0"]
        out += [f"rq_{g} = 0" for g in self.H[i]]
        return out

    # --- layer T: which clocks a state uses, and their obligations --------------------------

    def audible(self, i, j) -> str:
        """j is audible to i, as an int term (1 or 0)."""
        return f"(if ph_{j} == {UP} then {self.conn(i, j)} else 0)"

    def owes_hear(self, i, j) -> str:
        return (f"ph_{i} == {UP} && {self.audible(i, j)} == 1 && "
                f"(1 - heard_{i}_{j}) + dead_{i}_{j} > 0")

    def clocks(self) -> list[tuple]:
        """(clock, the condition under which a rule reads it, its obligation's bound while
        it does, or None), for every clock. Each step first resets every clock no rule
        reads before it (into the spare slot otherwise: no statement is under an `if`,
        see `straight`): a clock that a step starts using is then anchored at it."""
        t, out = self.t, []
        for i in range(self.N):
            for j in self.peers(i):
                audible = f"{self.audible(i, j)} == 1"
                silent = f"ph_{i} == {UP} && dead_{i}_{j} == 0 && {self.audible(i, j)} == 0"
                hear_hi = (f"(if late_{i}_{j} == 0 && bys_{i}_{j} == 1 then {t.dmax} "
                           f"else {t.K + t.dmax})")
                dead_hi = f"(if exact_{i}_{j} == 1 then {t.D} else {t.D + t.dmax})"
                used = f"(if {audible} then 1 else (if {silent} then 1 else 0)) == 1"
                hi = (f"(if {self.owes_hear(i, j)} then {hear_hi} else "
                      f"(if {silent} then {dead_hi} else {self.big}))")
                out.append((self.x("xp", i, j), used, hi))
                for p in range(self.cap):
                    out.append((self.x("xm", i, j, p),
                                f"{self.conn(i, j)} == 1 && ch_{i}_{j}_len > {p}", str(t.dmax)))
                out.append((self.x("xmd", i, j), f"ph_{i} == {UP} && md_{i}_{j} == 1",
                            str(t.smax)))
            if self.nice:
                out.append((self.x("xr", i), f"ph_{i} == {UP} && rs_{i} == {RSCRCVD}",
                            str(t.Q + t.K)))
            for c in range(MAX_CHILDREN):
                out.append((self.x("xc", i, c=c), f"ph_{i} == {UP} && chld_{i} > {c}",
                            str(t.smax)))
        for g, h in enumerate(self.cfg.home):
            out.append((self.x("xq", g=g), f"ph_{h} == {UP} && rq_{g} == 1", str(t.R + t.smax)))
        return out

    def layout(self) -> dict:
        """Where each kind of clock starts in the one clock array `x`; its last slot is the
        spare that no rule reads."""
        P = self.N * (self.N - 1)
        sizes = {"xp": P, "xmd": P, "xm": P * self.cap, "xr": self.N if self.nice else 0,
                 "xc": self.N * MAX_CHILDREN, "xq": self.G}
        starts, at = {}, 0
        for kind, size in sizes.items():
            starts[kind], at = at, at + size
        return {**starts, "spare": at}

    def x(self, kind, i=0, j=None, p=0, c=0, g=0) -> str:
        """The clock of a kind for a pair (i, j), a message slot p of ch[i][j], a node i's
        c-th child, or a group g."""
        if kind == "xq":
            at = g
        elif kind == "xr":
            at = i
        elif kind == "xc":
            at = i * MAX_CHILDREN + c
        else:
            pair = i * (self.N - 1) + j - (j > i)
            at = pair * self.cap + p if kind == "xm" else pair
        return f"x[{self.layout()[kind] + at}]"

    def reset_if(self, cond: str, clock: str) -> str:
        """Reset a clock when cond holds, else the spare: an unconditional statement."""
        return f"x[(if {cond} then {clock[2:-1]} else {self.layout()['spare']})] = 0"

    def invariant(self) -> str:
        # An unused clock's term bounds the spare instead, so that TChecker, which
        # tightens its zone once per term that lowers a bound, does so once for them all
        spare = self.layout()["spare"]
        parts = [f"x[(if {act} then {clock[2:-1]} else {spare})] <= "
                 f"(if {act} then {hi} else {self.big})"
                 for clock, act, hi in self.clocks() if hi is not None]
        waiting = " + ".join(f"sq_{i}_len" for i in range(self.N))
        parts.append(f"z <= (if {waiting} > 0 then 0 else {self.big})")
        return " && ".join(parts)

    def unused_reset(self) -> list[str]:
        if self.t is None:
            return []
        spare = self.layout()["spare"]
        return [f"x[(if {act} then {spare} else {clock[2:-1]})] = 0"
                for clock, act, _ in self.clocks()] + [f"x[{spare}] = 0", "z = 0"]

    # --- layer T: the events that start periods ---------------------------------------------

    def becomes_audible(self, i, j, by_start: bool) -> list[str]:
        """j's audible period for i begins now (by j's boot or restart, or by a heal)."""
        if self.t is None:
            return []
        return [f"bys_{i}_{j} = {int(by_start)}", f"late_{i}_{j} = 0"]

    def becomes_inaudible(self, i, j) -> list[str]:
        if self.t is None:
            return []
        return [f"exact_{i}_{j} = 0"]

    def new_period(self, cond: str, i, j) -> list[str]:
        """When cond holds, j's audible or inaudible period for i begins now: xp restarts
        (a statement of its own, outside any `if`)."""
        return [self.reset_if(cond, self.x("xp", i, j))] if self.t else []

    # How j's boot or restart stands to each peer k's period, as j sees it: k inaudible;
    # k's audible period began at this very instant; or strictly before it (xp already
    # later than the start, or late_j_k kept from j's previous boot: the same period).
    SEEN = ("silent", "tie", "earlier", "kept")

    def seen_guard(self, j, k, seen: str) -> list[str]:
        audible = f"{self.audible(j, k)} == 1"
        xp = self.x("xp", j, k)
        return {"silent": [f"{self.audible(j, k)} == 0"],
                "tie": [audible, f"late_{j}_{k} == 0", f"{xp} == 0"],
                "earlier": [audible, f"late_{j}_{k} == 0", f"{xp} > 0"],
                "kept": [audible, f"late_{j}_{k} == 1"]}[seen]

    def starts(self, j, seen: dict) -> list[str]:
        """j boots or restarts (now up): its peers hear it start, and its own rules begin
        at its boot, as `seen[k]` says for each peer k."""
        out = []
        for i in self.peers(j):
            out.append(when(f"{self.conn(i, j)} == 1", *self.becomes_audible(i, j, True)))
            out += self.new_period(f"{self.conn(i, j)} == 1", i, j)
        if self.t is None:
            return out
        for k, how in seen.items():
            if how == "silent":
                out.append(f"exact_{j}_{k} = 1")
            elif how != "tie":      # HEAR's anchor is j's own boot
                out += [f"late_{j}_{k} = 1", f"{self.x('xp', j, k)} = 0"]
        return out

    # --- section 4's actions -------------------------------------------------------------------

    def edges(self):
        """(event, guard, statements) for every action instance, in section 4's order."""
        N, t, out = self.N, self.t, []
        import itertools
        for j in range(N):      # BOOT(j), one edge per case of the tie with each peer
            for case in itertools.product(self.SEEN, repeat=N - 1 if t else 0):
                seen = dict(zip(self.peers(j), case))
                guard = [f"ph_{j} == {PRE}"]
                guard += [g for k, how in seen.items() for g in self.seen_guard(j, k, how)]
                out.append(("BOOT", guard, [f"ph_{j} = {UP}", *self.starts(j, seen)]))
        for j in range(N):
            crash_ok = [f"(if ph_{i} == {UP} then {self.conn(i, j)} * bys_{i}_{j} * "
                        f"((1 - heard_{i}_{j}) + dead_{i}_{j}) else 0) == 0"
                        for i in self.peers(j)] if t else []
            effect = [f"ph_{j} = {DOWN}", *self.reset(j)]
            effect += [f"own_{j}[{g}] = 0" for g in range(self.G)]
            for i in self.peers(j):
                effect += self.empty(f"ch_{i}_{j}")
                effect.append(when(f"{self.conn(i, j)} == 1", *self.becomes_inaudible(i, j)))
                effect += self.new_period(f"{self.conn(i, j)} == 1", i, j)
            effect.append("crashes_left = crashes_left - 1")
            out.append(("CRASH", [f"ph_{j} == {UP}", "crashes_left > 0", *crash_ok], effect))
        for j in range(N):
            for case in itertools.product(self.SEEN, repeat=N - 1 if t else 0):
                seen = dict(zip(self.peers(j), case))
                guard = [f"ph_{j} == {DOWN}", "restarts_left > 0"]
                guard += [g for k, how in seen.items() for g in self.seen_guard(j, k, how)]
                out.append(("RESTART", guard, [f"ph_{j} = {UP}", *self.starts(j, seen),
                                               "restarts_left = restarts_left - 1"]))
        for i in range(N):
            for j in range(i + 1, N):
                c = self.conn(i, j)
                cut, heal = [f"{c} = 0"], [f"{c} = 1"]
                for a, b in ((i, j), (j, i)):
                    cut.append(when(f"ph_{b} == {UP}", *self.becomes_inaudible(a, b)))
                    heal.append(when(f"ph_{b} == {UP}", *self.becomes_audible(a, b, False)))
                    cut += self.new_period(f"ph_{b} == {UP}", a, b)
                    heal += self.new_period(f"ph_{b} == {UP}", a, b)
                for conn, effect in ((1, cut), (0, heal)):
                    out.append(("LINK", ["toggles_left > 0", f"{c} == {conn}"],
                                effect + ["toggles_left = toggles_left - 1"]))
        for i in range(N):      # DELIVER(i, j): j receives the head of ch[i][j]
            for j in self.peers(i):
                q = f"ch_{i}_{j}"
                m, decl = self.local(f"{q}[0]")
                b = self.b
                g, gdecl = self.local(f"({m} - {b['BASE_Q']}) % {self.G}")
                s_, sdecl = self.local(f"({m} - {b['BASE_Q']}) / {self.G}")
                pr, prdecl = self.local(f"{m} - {b['BASE_P']}")
                # TChecker's locals take no negative value, and both sides of && are
                # evaluated: decode a message's fields only inside the branch of its kind
                ipreq = [gdecl, sdecl, when(f"own_{j}[{g}] == 1", f"own_{j}[{g}] = 0",
                                            *self.send(j, self.ipresp(j, s_, g)))]
                ipresp = [prdecl, when(f"(({pr}) / {self.G}) % {N} == {j}",
                                       f"own_{j}[({pr}) % {self.G}] = 1")]
                effect = [decl, *self.pop(q, (i, j)), f"heard_{j}_{i} = 1",
                          *self.commup_check(j), *self.process_resources(j, i, m),
                          when(f"{m} >= {b['BASE_Q']} && {m} < {b['BASE_P']}", *ipreq),
                          when(f"{m} >= {b['BASE_P']}", *ipresp)]
                guard = [f"ph_{j} == {UP}", f"{q}_len > 0", f"{self.conn(i, j)} == 1"]
                if t:
                    guard.append(f"{self.x('xm', i, j)} >= {t.dmin}")
                out.append(("DELIVER", guard, effect))
        for i in range(N):
            m, decl = self.local(f"sq_{i}[0]")
            out.append(("SELF", [f"ph_{i} == {UP}", f"sq_{i}_len > 0"],
                        [decl, *self.pop(f"sq_{i}"), *self.process_resources(i, i, m)]))
        for i in range(N):
            for j in self.peers(i):
                base = [f"ph_{i} == {UP}", f"ph_{j} == {UP}", f"{self.conn(i, j)} == 1"]
                effect = [f"heard_{i}_{j} = 1", f"dead_{i}_{j} = 0", *self.commup_check(i)]
                for why in ([f"heard_{i}_{j} == 0"], [f"heard_{i}_{j} == 1", f"dead_{i}_{j} == 1"]):
                    windows = [[f"{self.x('xp', i, j)} >= {t.dmin}"]] if t else [[]]
                    for window in windows:
                        out.append(("HEAR", base + why + window, effect))
        for i in range(N):
            for j in self.peers(i):
                base = [f"ph_{i} == {UP}", f"dead_{i}_{j} == 0"]
                windows = ([[f"exact_{i}_{j} == 1", f"{self.x('xp', i, j)} >= {t.D}"],
                            [f"exact_{i}_{j} == 0", f"{self.x('xp', i, j)} >= {t.D - t.K}"]] if t else [[]])
                for why in ([f"ph_{j} != {UP}"], [f"ph_{j} == {UP}", f"{self.conn(i, j)} == 0"]):
                    for window in windows:
                        out.append(("DEAD", base + why + window, self.mark_node_dead(i, j)))
        for i in range(N):
            for j in self.peers(i):
                effect = [f"md_{i}_{j} = 0", *(f"own_{i}[{g}] = 1" for g in self.H[j])]
                if self.nice:
                    effect += self.send(i, self.res(i, "2", str(ABSENT), 1))
                out.append(("MACHDOWN", [f"ph_{i} == {UP}", f"md_{i}_{j} == 1"], effect))
        for i in range(N):
            effect = [f"chld_{i} = chld_{i} - 1"]
            if t:
                effect += [f"{self.x('xc', i, c=c)} = {self.x('xc', i, c=c + 1)}"
                           for c in range(MAX_CHILDREN - 1)]
            for g in self.H[i]:
                request = [*self.send(i, self.ipreq(i, g)), f"rq_{g} = 1"]
                effect.append(when(f"own_{i}[{g}] == 0 && rq_{g} == 0", *request))
            if self.nice:
                effect += self.send(i, self.res(i, "0" if not self.H[i] else "1", "1", 0))
            out.append(("CHILD", [f"ph_{i} == {UP}", f"chld_{i} > 0"], effect))
        for g, i in enumerate(self.cfg.home):
            guard = [f"ph_{i} == {UP}", f"rq_{g} == 1"] + ([f"{self.x('xq', g=g)} >= {t.R}"] if t else [])
            out.append(("FORCETAKE", guard, [f"own_{i}[{g}] = 1", f"rq_{g} = 0"]))
        if self.nice:
            for i in range(N):
                guard = [f"ph_{i} == {UP}", f"rs_{i} == {RSCRCVD}"]
                guard += [f"{self.x('xr', i)} >= {t.Q}"] if t else []
                out.append(("RSCRCVD_TIMEOUT", guard,
                            [*self.set_rs(i, str(STABLE)), *self.req_our_resources(i, 1)]))
        return out

    # --- the file --------------------------------------------------------------------------------

    def text(self) -> str:
        cfg, N, cap, t = self.cfg, self.N, self.cap, self.t
        maxmsg = self.b["MAXMSG"]
        out = [f"system:heartbeat_n{N}", ""]
        events = ("BOOT", "CRASH", "RESTART", "LINK", "DELIVER", "SELF", "HEAR", "DEAD",
                  "MACHDOWN", "CHILD", "FORCETAKE", "RSCRCVD_TIMEOUT", "WATCH")
        out += [f"event:{e}" for e in events] + [""]
        ints = [(1, 0, 1, 0, "ovf")] if self.overflow_stops else []
        ints += [(1, 0, cfg.crashes, cfg.crashes, "crashes_left"),
                (1, 0, cfg.restarts, cfg.restarts, "restarts_left"),
                (1, 0, cfg.link_toggles, cfg.link_toggles, "toggles_left")]
        ints += [(1, 0, 1, 1, self.conn(i, j)) for i in range(N) for j in range(i + 1, N)]
        ints += [(1, 0, 1, 0, f"rq_{g}") for g in range(self.G)]
        for i in range(N):
            ints += [(self.G, 0, 1, 0, f"own_{i}"), (1, 0, 2, PRE, f"ph_{i}"),
                     (1, 0, 1, 0, f"comm_{i}"), (1, 0, 4, INIT, f"rs_{i}"),
                     (1, 0, 3, 0, f"ih_{i}"), (1, 0, 3, 0, f"oh_{i}"), (1, 0, 1, 0, f"os_{i}"),
                     (1, 0, 1, 0, f"tip_{i}"), (1, 0, 1, 0, f"rry_{i}"),
                     (1, 0, MAX_CHILDREN + 1, 0, f"chld_{i}"),
                     (cap, 0, maxmsg, 0, f"sq_{i}"), (1, 0, cap, 0, f"sq_{i}_len")]
            for j in self.peers(i):
                ints += [(1, 0, 1, 0, f"heard_{i}_{j}"), (1, 0, 1, 0, f"dead_{i}_{j}"),
                         (1, 0, 1, 0, f"md_{i}_{j}"), (cap, 0, maxmsg, 0, f"ch_{i}_{j}"),
                         (1, 0, cap, 0, f"ch_{i}_{j}_len")]
                if t:
                    ints += [(1, 0, 1, 0, f"bys_{i}_{j}"), (1, 0, 1, 0, f"late_{i}_{j}"),
                             (1, 0, 1, 0, f"exact_{i}_{j}")]
        out += [f"int:{size}:{lo}:{hi}:{init}:{name}" for size, lo, hi, init, name in ints]
        if t:
            out += ["", f"clock:{self.layout()['spare'] + 1}:x", "clock:1:z"]
        out += ["", "process:P"]
        invariant = f" : invariant: {self.invariant()}" if t else ""
        out.append(f"location:P:l{{initial:{invariant}}}")
        for event, guard, effect in self.edges():
            effect = self.unused_reset() + self.straight(effect)
            guard = [*guard, "ovf == 0"] if self.overflow_stops else guard
            out.append(f"edge:P:l:l:{event}{{provided: {' && '.join(guard) or '1'} : "
                       f"do: {'; '.join(effect) or 'nop'}}}")
        if self.monitor:
            out += ["", "process:M", "location:M:ok{initial:}", "location:M:bad{labels:s1}",
                    "location:M:bound{labels:bound}"]
            for g in range(self.G):
                held = " + ".join(f"own_{i}[{g}]" for i in range(N))
                out.append(f"edge:M:ok:bad:WATCH{{provided: {held} >= 2}}")
            for i in range(N):
                out.append(f"edge:M:ok:bound:WATCH{{provided: chld_{i} > {MAX_CHILDREN}}}")
            if self.overflow_stops:
                out.append("edge:M:ok:bound:WATCH{provided: ovf == 1}")
        return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--home", type=int, nargs="*")
    parser.add_argument("--no-nice-failback", action="store_true")
    parser.add_argument("--crashes", type=int, default=0)
    parser.add_argument("--restarts", type=int, default=0)
    parser.add_argument("--link-toggles", type=int, default=0)
    parser.add_argument("--untimed", action="store_true", help="layer D only")
    parser.add_argument("--no-monitor", action="store_true", help="leave out the S1 watcher")
    parser.add_argument("--cap", type=int, default=12)
    parser.add_argument("--timing", help="K,D,Q,R,dmin,dmax,smax in seconds (default: "
                        "model.md's 2,10,10,10,0,0.5,1)")
    args = parser.parse_args(argv)

    from hacheck.model import Config                    # the configuration, not the rules
    from hacheck.model.timing import TimingParameters   # the parameters, not the rules
    home = tuple(args.home) if args.home is not None else tuple(range(args.nodes))
    try:
        cfg = Config(N=args.nodes, home=home, nice_failback=not args.no_nice_failback,
                     crashes=args.crashes, restarts=args.restarts,
                     link_toggles=args.link_toggles)
    except ValueError as e:          # an option the configuration cannot have: one line
        parser.error(str(e))
    params = TimingParameters()
    if args.timing:
        names = ("K", "D", "Q", "R", "dmin", "dmax", "smax")
        values = args.timing.split(",")
        try:
            if len(values) != len(names):
                raise ValueError(f"{len(values)} values")
            params = TimingParameters(**dict(zip(names, map(Fraction, values))))
        except (ValueError, ZeroDivisionError) as e:
            parser.error(f"--timing: expected seven numbers K,D,Q,R,dmin,dmax,smax ({e})")
    timing = None if args.untimed else Timing.of(params)[0]
    sys.stdout.write(Encoding(cfg, timing, args.cap, not args.no_monitor).text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
