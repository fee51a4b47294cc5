"""The timing rules of a run, as constraints Z3 solves (model.md section 7).

`run_constraints` turns a run of layer D (the steps of a trace and the pair flags of each
state) into linear constraints over one timestamp per step: every action inside its
window, every obligation honoured by the steps taken while it is pending, no time passing
while an own message waits. The bounds are linear in the timing parameters, so the same
constraints give
- `timestamps`: concrete times for the run, from Z3's optimiser (each step as early as
  the rules allow, which gives simple values), and
- `condition`: with the parameters left symbolic and the timestamps eliminated
  (quantifier elimination), the condition on keepalive, deadtime, ... under which this
  run exists (`--explain`).
The anchors are tracked with the same clock bookkeeping as the timed search
(`model.timed`); the independent replay in `witness.replay` re-derives them from section 7.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import z3

from hacheck.model import timed
from hacheck.model.timing import TIMING_KEYS, TimingParameters, section7_rules

PARAMETER_NAMES = {**{attr: name for name, (attr, _) in TIMING_KEYS.items()},
                   "quiet": "quiet", "skew": "boot_skew"}   # the environment's (6.3)


@dataclass(frozen=True)
class Constraint:
    """t[later] - t[earlier] (op) bound, with bound a combination of parameters; earlier
    may be None (t[later] itself). op is one of '>=', '<=', '==', '>'."""
    later: int
    earlier: int | None
    op: str
    bound: tuple
    rule: str


def run_constraints(cfg, initial, steps, anchors_log: list | None = None) -> list[Constraint]:
    """steps: (action, timed state) pairs; initial: the timed state before the first.
    `anchors_log`, if given, receives after each step the anchor (step number) of every
    clock of the state it led to."""
    out: list[Constraint] = []
    anchors: dict = {}
    before = initial
    for m, (action, after) in enumerate(steps, 1):
        s, flags = before.state, before.flags
        if m == 1:
            out.append(Constraint(1, None, "==", timed.ZERO, "the run starts at 0"))
        else:
            out.append(Constraint(m, m - 1, ">=", timed.ZERO, "timestamps never decrease"))
            if not timed.time_may_pass(s):
                out.append(Constraint(m, m - 1, "==", timed.ZERO,
                                      "SELF: an own message is processed at the instant it is sent"))
        for clock in timed.clocks(cfg, s, flags):
            hi = timed.obligation(cfg, s, flags, clock)
            if hi is not None:
                out.append(Constraint(m, anchors[clock], "<=", hi,
                                      f"obligation {timed.clock_name(clock)} is due"))
        w = timed.window(cfg, s, flags, action)
        if w is not None:
            out.append(Constraint(m, anchors[w.clock], ">=", w.lo, w.rule))
        _, origin = timed.carry(cfg, s, flags, action, after.state)
        new_anchors = {}
        for clock in timed.clocks(cfg, after.state, after.flags):
            src = origin[clock]
            if isinstance(src, tuple) and src[0] == timed.TIE:
                if after.flags[clock[1] * cfg.N + clock[2]] == timed.TIGHT:
                    out.append(Constraint(m, anchors[src[1]], "==", timed.ZERO,
                                          "boots at the instant the peer booted"))
                    src = src[1]
                else:
                    out.append(Constraint(m, anchors[src[1]], ">", timed.ZERO,
                                          "boots after the peer booted"))
                    src = timed.FRESH
            new_anchors[clock] = m if src is timed.FRESH else anchors[src]
        anchors = new_anchors
        if anchors_log is not None:
            anchors_log.append(anchors)
        before = after
    return out


def periodic_times(cfg, initial, steps, loop_start: int, values: TimingParameters):
    """Timestamps for a lasso repeated for ever with time passing, or None.

    steps[loop_start:] is the loop; it must end in the discrete state (and flags) it
    starts from. The run prefix + loop + loop is constrained, with the second turn taking
    place exactly P > 0 seconds after the first, step by step. If the clocks of the state
    after the second turn are anchored exactly one turn after those after the first, the
    constraints of every later turn are those of the second, shifted by P, so the
    periodic run satisfies all of them for ever and its time diverges. Returns the times
    of prefix, first and second turn."""
    loop = steps[loop_start:]
    if not loop:
        return None
    run = steps + loop
    anchors: list = []
    constraints = run_constraints(cfg, initial, run, anchors)
    first, second = anchors[len(steps) - 1], anchors[len(run) - 1]
    if set(first) != set(second) or any(second[c] != first[c] + len(loop) for c in first):
        return None
    n = len(run)
    t = {m: z3.Real(f"t{m}") for m in range(1, n + 1)}
    period = z3.Real("period")
    solver = z3.Solver()
    _assert(solver, constraints, t, _concrete(values))
    for m in range(1, n + 1):
        solver.add(t[m] >= 0)
    solver.add(period > 0)
    for k in range(1, len(loop) + 1):
        solver.add(t[loop_start + len(loop) + k] == t[loop_start + k] + period)
    if solver.check() != z3.sat:
        return None
    model = solver.model()
    return [Fraction(model.eval(t[m], model_completion=True).as_fraction())
            for m in range(1, n + 1)]


def _term(bound, params):
    return sum((params[name] * c for name, c in bound), z3.RealVal(0))


def _assert(solver, constraints, t, params):
    for c in constraints:
        lhs = t[c.later] - (t[c.earlier] if c.earlier is not None else 0)
        rhs = _term(c.bound, params)
        solver.add({">=": lhs >= rhs, "<=": lhs <= rhs, "==": lhs == rhs, ">": lhs > rhs}[c.op])


def _concrete(values: TimingParameters) -> dict:
    return {attr: z3.RealVal(str(getattr(values, attr) or 0)) for attr in PARAMETER_NAMES}


def timestamps(constraints: list[Constraint], steps: int,
               values: TimingParameters) -> list[Fraction] | None:
    """Times for the steps satisfying every constraint, each as early as possible; None if
    there are none."""
    t = {m: z3.Real(f"t{m}") for m in range(1, steps + 1)}
    opt = z3.Optimize()
    _assert(opt, constraints, t, _concrete(values))
    for m in range(1, steps + 1):
        opt.add(t[m] >= 0)
    opt.minimize(sum(t.values(), z3.RealVal(0)))
    if opt.check() != z3.sat:
        return None
    model = opt.model()
    return [Fraction(model.eval(t[m], model_completion=True).as_fraction())
            for m in range(1, steps + 1)]


def parameter_symbols() -> dict:
    return {attr: z3.Real(name) for attr, name in PARAMETER_NAMES.items()}


def section7_assumptions(params: dict) -> list:
    return [holds for _, holds, _, _ in section7_rules(params)]


def condition(constraints: list[Constraint], steps: int, max_cycles: int = 50_000,
              poll=lambda: None):
    """The condition on the parameters, beyond section 7's own assumptions, under which
    some timestamps satisfy the constraints: a list of `Inequality`s, all of which must
    hold (empty: always possible), or None if the run has too many cycles to enumerate.

    Every constraint bounds a difference of two timestamps, so timestamps exist iff the
    constraint graph has no negative cycle (Bellman and Ford): the condition is one
    inequality per simple cycle, the sum of its weights >= 0 (> 0 if a strict edge is on
    it). Z3 then drops those implied by section 7's assumptions and by the others.
    `poll()` is called every thousand cycles and every Z3 question (it raises to stop)."""
    import networkx as nx

    weights = _difference_graph(constraints, steps)
    graph = nx.DiGraph()
    graph.add_edges_from(weights)
    found: set = set()
    for count, cycle in enumerate(nx.simple_cycles(graph)):
        if count >= max_cycles:
            return None
        if count % 1000 == 0:
            poll()
        edges = list(zip(cycle, cycle[1:] + cycle[:1]))
        sums = [((), False)]
        for e in edges:
            sums = [(_plus(total, w), strict or s) for total, strict in sums
                    for w, s in weights[e]]
        found.update(Inequality(total, strict) for total, strict in sums)
    params = parameter_symbols()
    assumptions = section7_assumptions(params)
    candidates = sorted((q for q in found if q.coefficients), key=lambda q: q.sort_key())
    if any(not q.coefficients and not q.holds_trivially() for q in found):
        return [Inequality((), True)]     # a cycle with a negative constant: never
    kept = []
    for q in candidates:
        poll()
        if not _implied(assumptions, q.formula(params)):
            kept.append(q)
    final = []
    for x, q in enumerate(kept):
        poll()
        others = [o.formula(params) for o in final + kept[x + 1:]]
        if not _implied(assumptions + others, q.formula(params)):
            final.append(q)
    return final


@dataclass(frozen=True)
class Inequality:
    """sum(coefficient * parameter) >= 0, or > 0 if strict."""
    coefficients: tuple        # ((attribute, Fraction), ...), sorted, no zeros
    strict: bool

    def holds_trivially(self) -> bool:
        return not self.coefficients and not self.strict

    def formula(self, params):
        total = sum((params[a] * z3.RealVal(str(c)) for a, c in self.coefficients), z3.RealVal(0))
        return total > 0 if self.strict else total >= 0

    def sort_key(self):
        return (len(self.coefficients), self.coefficients, self.strict)

    def text(self) -> str:
        if not self.coefficients:
            return "never (a timing cycle is negative for every parameter)"

        def side(terms):
            parts = [(f"{c} " if c != 1 else "") + PARAMETER_NAMES[a] for a, c in terms]
            return " + ".join(parts) if parts else "0"
        plus = [(a, c) for a, c in self.coefficients if c > 0]
        minus = [(a, -c) for a, c in self.coefficients if c < 0]
        if not plus:
            return f"{side(minus)} {'<' if self.strict else '<='} 0"
        return f"{side(plus)} {'>' if self.strict else '>='} {side(minus)}"


def _plus(a: tuple, b: tuple) -> tuple:
    total: dict = {}
    for name, c in a + b:
        total[name] = total.get(name, 0) + Fraction(c)
    return tuple(sorted((n, c) for n, c in total.items() if c != 0))


def _difference_graph(constraints, steps) -> dict:
    """Edges u -> v with weight w mean t[v] - t[u] <= w (node 0 is time 0). Timestamps
    forced equal (an own message, the start of the run) are merged first."""
    parent = list(range(steps + 1))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for c in constraints:
        if c.op == "==" and not c.bound:
            parent[find(c.later)] = find(c.earlier or 0)
    edges: dict = {}

    def edge(u, v, w, strict=False):
        u, v = find(u), find(v)
        edges.setdefault((u, v), set()).add((_plus(w, ()), strict))
    for m in range(1, steps + 1):
        edge(m, 0, ())                          # t[m] >= 0
    for c in constraints:
        a, b = c.later, c.earlier or 0
        negated = tuple((n, -Fraction(k)) for n, k in c.bound)
        if c.op in ("<=", "=="):
            edge(b, a, c.bound)                 # t[a] - t[b] <= bound
        if c.op in (">=", "=="):
            edge(a, b, negated)                 # t[b] - t[a] <= -bound
        if c.op == ">":
            edge(a, b, negated, strict=True)
    return edges


def _implied(assumptions, formula) -> bool:
    check = z3.Solver()
    check.add(*assumptions, z3.Not(formula))
    return check.check() == z3.unsat


def condition_text(inequalities) -> str:
    if inequalities is None:
        return "the condition has too many cases to list"
    if not inequalities:
        return "possible for every timing section 7 allows"
    return "possible whenever " + " and ".join(q.text() for q in inequalities)


def witness(cfg, params: TimingParameters, explain: bool = False):
    """The timed search's witness (`checker.explore(witness=...)`): for a counterexample
    of symbolic states, Z3's timestamps of a real run along it (for a lasso, a periodic
    run whose time diverges), checked by the independent replay of section 7
    (`witness.replay`); with `explain`, the condition on the parameters under which the
    run exists. `poll()` is called between the steps (it raises to stop)."""
    from hacheck.checker.verdict import Timing
    from hacheck.witness.replay import check_timed_run
    params = params.with_environment(cfg)

    def timed(trace, loop, poll) -> Timing:
        steps = [(step.action, step.state) for step in trace.steps]
        if loop is not None:
            times = periodic_times(cfg, trace.initial, steps, loop, params)
            run = steps + steps[loop:]
        else:
            constraints = run_constraints(cfg, trace.initial, steps)
            times = timestamps(constraints, len(steps), params)
            run = steps
        if times is None:
            return Timing(None)
        poll()
        states = [trace.initial.state] + [s.state for _, s in run]
        problems = check_timed_run(cfg, params, states, [a for a, _ in run], times)
        if problems or not explain or loop is not None:
            return Timing(times, problems)
        poll()
        return Timing(times, [], condition_text(condition(constraints, len(steps), poll=poll)))
    return timed
