"""How much a dependence finer than whole nodes could give at three nodes: an upper bound.

docs/reduction.md ("Three nodes") says what the node-closure ample sets leave whole at
N = 3: states with all nodes up where every seed's closure takes every enabled action.
A finer stubborn set would let one action `a` of a node y stand for y, if `a` commutes
with y's other actions. This samples such states (fully expanded, all nodes up, more
than one action enabled) by random runs of the reduced graph (S1's GROWING ample sets,
chains), and counts the states s where some node y has an enabled action a that

- commutes, at s, with each other enabled action of y (both orders enabled and ending
  in the same state), and {a} with the enabled actions of the other nodes of y's node
  closure gives no group up and is smaller than the set of all enabled actions;
- and, asked further, stays enabled, gives no group up and commutes with each enabled
  action of y along every path of up to `--depth` actions outside that set.

That is necessary for an ample set, not sufficient: C1 asks it along every path, of any
length, including deliveries of messages queued behind a channel's head. So the figures
bound from above what such a reduction could keep out (docs/reduction.md, "Three
nodes").

Usage: python3 bench/commute.py [--samples S] [--seed K] [--depth D]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np

from hacheck.checker.model import FULL, GROWING
from hacheck.model import Config, HeartbeatModel
from hacheck.model.kernel import closure
from hacheck.model.row import OWN, PH, UP
from hacheck.model.state import node

N = 3


def sample(model, want: int, rng) -> tuple[list[np.ndarray], int]:
    """Rows the reduced graph expands fully, all nodes up, found by random runs."""
    found, runs = [], 0
    while len(found) < want:
        row, runs = model.initial_rows()[0], runs + 1
        for _ in range(400):
            succ = model.successors(row[None, :], False, GROWING)
            if len(succ) == 0:
                break
            up = all(row[node(model.k, i) + PH] == UP for i in range(N))
            if up and not succ.reduced[0] and len(succ) > 1:
                found.append(row.copy())
            row = succ.buffer[succ.index[rng.integers(len(succ))]].copy()
    return found[:want], runs


def steps(model, row) -> dict[int, np.ndarray]:
    """Every enabled action's successor, single steps, no reduction."""
    succ = model.successors(row[None, :], False, FULL, chain=False)
    return {int(a): succ.buffer[i].copy() for a, i in zip(succ.action, succ.index)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--depth", type=int, default=3,
                        help="how far the commutation is followed (default 3 steps)")
    parser.add_argument("--bfs", type=int, metavar="D",
                        help="instead: breadth-first searches within D single steps (no "
                             "symmetry, no chains), with today's ample sets and with the "
                             "smaller sets above wherever the check finds one")
    args = parser.parse_args()
    model = HeartbeatModel(Config(N=N, home=tuple(range(N))))
    if args.bfs is not None:
        for finer in (False, True):
            levels, shrunk, seconds = levels_within(model, args.bfs, finer, args.depth)
            print(f"{'finer sets' if finer else 'node closure'}: {sum(levels):,} states within "
                  f"{args.bfs} steps, levels {', '.join(f'{n:,}' for n in levels)}; "
                  f"{shrunk:,} states given a smaller set ({seconds:.0f} s)", flush=True)
        return
    started = time.perf_counter()
    rows, runs = sample(model, args.samples, np.random.default_rng(args.seed))
    smaller = Counter()              # depth of the check -> states
    commuting, enabled, persisting = Counter(), Counter(), Counter()
    for row in rows:
        first = steps(model, row)
        best = {0: len(first), 1: len(first)}
        for a in first:
            enabled[model.table[a].name] += 1
        for a, y, T, kept, keeps_groups in commuting_actions(model, row):
            commuting[model.table[a].name] += 1
            if not keeps_groups:
                continue          # S1's ample sets may take groups, never give one up
            best[0] = min(best[0], len(kept))
            # and still at every state that paths of actions outside the set lead to, up
            # to `--depth` steps
            if len(kept) < len(first) and persists(model, row, a, y, T, args.depth):
                best[1] = min(best[1], len(kept))
                persisting[model.table[a].name] += 1
        for depth, size in best.items():
            smaller[depth] += size < len(first)
    n = len(rows)
    print(f"three nodes, no faults: {n} fully expanded states with all nodes up, from {runs} "
          f"random runs of the reduced graph ({time.perf_counter() - started:.1f} s in all)")
    print(f"a node's action that commutes, at the state, with each other enabled action of "
          f"its node, with {{it}} + the other nodes of its closure smaller than all enabled: "
          f"{smaller[0]} of {n} ({smaller[0] / n:.0%}); and still so along every path of "
          f"up to {args.depth} actions outside that set: {smaller[1]} of {n} "
          f"({smaller[1] / n:.0%})")
    print("actions that commute at the state with their node's others, by kind (of the "
          "enabled ones):",
          ", ".join(f"{k} {commuting[k]}/{enabled[k]}" for k in sorted(enabled)))
    print("of those, the ones whose smaller set stays so along the paths, by kind:",
          ", ".join(f"{k} {persisting[k]}" for k in sorted(persisting)))


def commutes_with_node(model, row, a: int, y: int) -> bool:
    """Does action a commute, at row, with every other enabled action of node y?"""
    first = steps(model, row)
    others = [b for b in first if model._actor[b] == y and b != a]
    after_a = steps(model, first[a])
    for b in others:
        after_b = steps(model, first[b])
        if b not in after_a or a not in after_b or not np.array_equal(after_a[b], after_b[a]):
            return False
    return True


def commuting_actions(model, row):
    """(a, y, T, kept, keeps_groups) for each enabled action a of a node y with two or
    more that commutes, at row, with each of y's others: T is y's node closure, kept is
    {a} with the enabled actions of T's other nodes, keeps_groups whether none of them
    gives a group up."""
    actor, first = model._actor, steps(model, row)
    for y in range(N):
        mine = [a for a in first if actor[a] == y]
        for a in mine:
            if len(mine) < 2 or not commutes_with_node(model, row, a, y):
                continue
            T = closure(model.k, row, y)
            kept = [a] + [b for b in first if actor[b] != y and T >> actor[b] & 1]
            yield a, y, T, kept, not any(gives_up(model, row, first[b]) for b in kept)


def finer_set(model, row, depth: int) -> list[int] | None:
    """The smallest of `commuting_actions`' sets that keeps the groups and `persists` to
    `depth`, if one is smaller than all enabled actions."""
    best = list(steps(model, row))
    found = None
    for a, y, T, kept, keeps_groups in commuting_actions(model, row):
        if keeps_groups and len(kept) < len(best) and persists(model, row, a, y, T, depth):
            best = found = kept
    return found


def levels_within(model, D: int, finer: bool, depth: int):
    """Breadth-first, single steps, no symmetry: the new states of each level 1..D with
    today's ample sets, and, if `finer`, with `finer_set` wherever today's expand a
    state with all nodes up fully; (levels, states given a smaller set, seconds)."""
    started = time.perf_counter()
    row = model.initial_rows()[0]
    seen, level, levels, shrunk = {row.tobytes()}, [row], [1], 0
    for _ in range(D):
        following = []
        for row in level:
            succ = model.successors(row[None, :], False, GROWING, chain=False)
            after = [succ.buffer[i] for i in succ.index]
            up = all(row[node(model.k, i) + PH] == UP for i in range(N))
            if finer and up and not succ.reduced[0] and len(after) > 1:
                kept = finer_set(model, row, depth)
                if kept is not None:
                    first = steps(model, row)
                    after, shrunk = [first[b] for b in kept], shrunk + 1
            for t in after:
                if t.tobytes() not in seen:
                    seen.add(t.tobytes())
                    following.append(t.copy())
        level = following
        levels.append(len(level))
    return levels, shrunk, time.perf_counter() - started


def gives_up(model, row, after) -> bool:
    """Does the step from row to after clear a bit of some node's `own`?"""
    return any(row[node(model.k, j) + OWN] & ~after[node(model.k, j) + OWN]
               for j in range(N))


def persists(model, row, a: int, y: int, T: int, depth: int) -> bool:
    """Along every path of at most `depth` actions outside {a} and the actions of T's
    other nodes, is a still enabled, giving no group up, and commuting with each enabled
    action of node y?"""
    actor = model._actor
    level, seen = [row], {row.tobytes()}
    for _ in range(depth):
        following = []
        for u in level:
            for b, t in steps(model, u).items():
                if b == a or (actor[b] != y and T >> actor[b] & 1):
                    continue
                if t.tobytes() in seen:
                    continue
                seen.add(t.tobytes())
                here = steps(model, t)
                if (a not in here or gives_up(model, t, here[a])
                        or not commutes_with_node(model, t, a, y)):
                    return False
                following.append(t)
        level = following
    return True


if __name__ == "__main__":
    main()
