"""Layer D of a TChecker model, run without TChecker: the discrete states of one process.

CI has no TChecker (it takes a quarter of an hour to build), so the tests read the text
`tchecker.py` writes with this small interpreter of the part of TChecker's language it
uses: bounded `int` arrays, `local`, `if ... then ... [else ...] end`, `(if c then a else
b)` (lazy), `&&`, C's `/` and `%`. Every assignment is checked against its variable's
declared range, and a local against zero, as TChecker does (out of range is an error,
never a wrapped value). Clocks are
not interpreted: `discrete_states` refuses a timed model, and `compile_edges(text, True)`
only reads one (every guard, statement and the invariant parse, every name is declared).
"""

from __future__ import annotations

import re
from collections import deque

TOKEN = re.compile(r"\s*(\d+|[A-Za-z_]\w*|==|!=|<=|>=|&&|[-+*/%<>()\[\]=;])")
BINARY = [("&&",), ("==", "!=", "<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%")]


class ModelError(ValueError):
    pass


def tokens(text: str) -> list[str]:
    out, at = [], 0
    while at < len(text.rstrip()):
        match = TOKEN.match(text, at)
        if not match:
            raise ModelError(f"cannot read {text[at:at + 30]!r}")
        out.append(match.group(1))
        at = match.end()
    return out


def c_div(a: int, b: int) -> int:
    return abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)


def c_mod(a: int, b: int) -> int:
    return a - b * c_div(a, b)


class Compiler:
    """TChecker's expressions and statements as Python source over `v` (the variables)
    and `lo`/`hi` (their declared bounds)."""

    def __init__(self, ints: dict):
        self.ints = ints
        self.toks: list[str] = []
        self.locals: set[str] = set()

    def peek(self, *want):
        return self.toks and self.toks[0] in want

    def take(self, want=None) -> str:
        if not self.toks or (want is not None and self.toks[0] != want):
            raise ModelError(f"expected {want!r}, found {self.toks[:1]}")
        return self.toks.pop(0)

    def expr(self, level=0) -> str:
        if level == len(BINARY):
            return self.atom()
        left = self.expr(level + 1)
        while self.peek(*BINARY[level]):
            op = self.take()
            right = self.expr(level + 1)
            left = {"&&": f"({left} and {right})", "/": f"c_div({left}, {right})",
                    "%": f"c_mod({left}, {right})"}.get(op, f"int({left} {op} {right})")
        return left

    def atom(self) -> str:
        tok = self.take()
        if tok == "(":
            if self.peek("if"):
                self.take()
                cond = self.expr()
                self.take("then")
                then = self.expr()
                self.take("else")
                other = self.expr()
                self.take(")")
                return f"({then} if {cond} else {other})"
            inner = self.expr()
            self.take(")")
            return inner
        if tok == "-":
            return f"(-{self.atom()})"
        if tok.isdigit():
            return tok
        return self.lvalue(tok)

    def lvalue(self, name: str) -> str:
        if name in self.locals:
            return f"L_{name}"
        if name not in self.ints:
            raise ModelError(f"undeclared variable {name!r}")
        size = self.ints[name]
        if self.peek("["):
            self.take()
            index = self.expr()
            self.take("]")
            return f"v[{name!r}][ix({index}, {size}, {name!r})]"
        if size != 1:
            raise ModelError(f"array {name!r} used without an index")
        return f"v[{name!r}][0]"

    def statements(self, indent: str) -> list[str]:
        out = [*self.statement(indent)]
        while self.peek(";"):
            self.take()
            out += self.statement(indent)
        return out

    def statement(self, indent: str) -> list[str]:
        tok = self.take()
        if tok == "nop":
            return [f"{indent}pass"]
        if tok == "local":
            name = self.take()
            self.take("=")
            self.locals.add(name)
            return [f"{indent}L_{name} = local({self.expr()}, {name!r})"]
        if tok == "if":
            out = [f"{indent}if {self.expr()}:"]
            self.take("then")
            out += self.statements(indent + "    ")
            if self.peek("else"):
                self.take()
                out += [f"{indent}else:", *self.statements(indent + "    ")]
            self.take("end")
            return out
        target = self.lvalue(tok)
        self.take("=")
        if target.startswith("L_"):
            return [f"{indent}{target} = local({self.expr()}, {target[2:]!r})"]
        name = target.split("'")[1]
        return [f"{indent}{target} = put({self.expr()}, {name!r})"]


def parse(text: str, clocks_as_ints: bool = False) -> tuple[dict, list, list]:
    """The declared ints (name: (size, lo, hi, init)), process P's edges (guard, effect)
    and its invariant, and the guards of the watcher's edges into `bad` (label s1)."""
    ints, edges, watch = {}, [], []
    for line in text.splitlines():
        if line.startswith("clock:"):
            if not clocks_as_ints:
                raise ModelError("a timed model: this interpreter reads layer D only")
            _, size, name = line.split(":")
            ints[name] = (int(size), 0, 10**9, 0)
        elif line.startswith("int:"):
            _, size, lo, hi, init, name = line.split(":")
            ints[name] = tuple(map(int, (size, lo, hi, init)))
        elif line.startswith(("edge:P:", "edge:M:ok:bad:", "location:P:")):
            body = line[line.index("{") + 1:line.rindex("}")]
            if line.startswith("location:P:"):
                invariant = body.partition(": invariant: ")[2]
                if invariant:
                    edges.append((invariant, "nop"))
                continue
            guard, _, effect = body.partition(" : do: ")
            guard = guard.removeprefix("provided: ")
            (watch if line.startswith("edge:M:") else edges).append((guard, effect or "nop"))
    return ints, edges, [guard for guard, _ in watch]


def compile_edges(text: str, clocks_as_ints: bool = False) -> tuple[dict, list, list]:
    """The declarations, P's edges as (guard, effect) functions over a valuation, and the
    S1 watcher's guards as functions."""
    ints, edges, watch = parse(text, clocks_as_ints)
    sizes = {name: decl[0] for name, decl in ints.items()}
    scope = {"c_div": c_div, "c_mod": c_mod, "ix": _index, "put": _putter(ints),
             "local": _local}
    compiled = []
    for n, (guard, effect) in enumerate(edges + [(g, "nop") for g in watch]):
        comp = Compiler(sizes)
        comp.toks = tokens(guard)
        cond = comp.expr()
        comp.toks = tokens(effect)
        body = comp.statements("    ")
        if comp.toks:
            raise ModelError(f"edge {n}: unread {comp.toks[:5]}")
        source = (f"def guard(v):\n    return {cond}\n"
                  "def effect(v):\n" + "\n".join(body) + "\n")
        names = dict(scope)
        exec(compile(source, f"<edge {n}>", "exec"), names)
        compiled.append((names["guard"], names["effect"]))
    return ints, compiled[:len(edges)], [guard for guard, _ in compiled[len(edges):]]


def _index(i: int, size: int, name: str) -> int:
    if not 0 <= i < size:
        raise ModelError(f"out-of-bounds index {i} of {name}")
    return i


def _local(value: int, name: str) -> int:
    if value < 0:           # TChecker's locals hold no negative value
        raise ModelError(f"local {name} = {value}: out of bounds")
    return value


def _putter(ints):
    def put(value: int, name: str) -> int:
        _, lo, hi, _ = ints[name]
        if not lo <= value <= hi:
            raise ModelError(f"out-of-bounds value: {value} out of [{lo}, {hi}] for {name}")
        return value
    return put


def discrete_states(text: str, limit: int = 10**6) -> tuple[int, int]:
    """The number of valuations of P's variables reachable from the initial one, and how
    many of them the watcher labels s1 (two nodes run the same group)."""
    ints, edges, watch = compile_edges(text)
    names = list(ints)
    start = tuple(v for name in names for v in [ints[name][3]] * ints[name][0])
    cuts = [0]
    for name in names:
        cuts.append(cuts[-1] + ints[name][0])
    seen, queue, violating = {start}, deque([start]), 0
    while queue:
        flat = queue.popleft()
        now = {n: flat[cuts[k]:cuts[k + 1]] for k, n in enumerate(names)}
        violating += any(guard(now) for guard in watch)
        for guard, effect in edges:
            if guard(now):
                v = {n: list(values) for n, values in now.items()}
                effect(v)
                nxt = tuple(x for n in names for x in v[n])
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        if len(seen) > limit:
            raise ModelError(f"more than {limit} states")
    return len(seen), violating
