"""The two statements of section 7 against each other, on arbitrary timestamps.

`witness/replay.py` replays a run of discrete states and timestamps by section
7's rules, written independently of the model; `witness/timestamps.py` turns a path of
symbolic states (model/timed.py's clocks, flags and obligations) into linear constraints
on the timestamps. A discrete run may be several symbolic paths (a boot that ties with
the peer's start-up period splits in two), so the run is real iff the constraints of one
of its paths hold. Random walks of the reference symbolic model, in every variant, give
the runs; Z3's earliest timestamps, then each of them moved (one step, or a step and all
after it, earlier or later by several amounts) give the times; both statements must
agree on every one.
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from hacheck.model import Config
from hacheck.model.clocks import value
from hacheck.model.timing import TimingParameters
from hacheck.witness.timestamps import run_constraints, timestamps
from hacheck.witness.replay import check_timed_run
from reference_timed_model import TimedHeartbeat

P = TimingParameters()
PARAMS = {a: getattr(P, a) for a in ("K", "D", "Q", "R", "dmin", "dmax", "smax", "T")}
CONFIGS = {
    "crash and restart": Config(N=2, home=(0, 1), crashes=1, restarts=1),
    "link cuts": Config(N=2, home=(0, 1), link_toggles=2),
    "stonith gated": Config(N=2, home=(0, 1), crashes=1, stonith="gated"),
    "stonith race": Config(N=2, home=(0, 1), crashes=1, stonith="race"),
    "heal": Config(N=2, home=(0, 1), link_toggles=2, heal=True),
    "unsequenced": Config(N=2, home=(0, 1), transport="unsequenced", losses=2),
    "email timer, combined": Config(N=2, home=(0, 1), email_timer="combined",
                                    starting_repeats=1),
    "email timer, split": Config(N=2, home=(0, 1), crashes=1, email_timer="split"),
    "no nice_failback": Config(N=2, home=(0, 1), nice_failback=False, crashes=1),
    "three nodes": Config(N=3, home=(0, 1, 2), crashes=1),
}
MOVES = [Fraction(x) for x in ("-3", "-1/2", "-1/8", "1/8", "1/2", "3", "11")]


def holds(c, t: dict) -> bool:
    lhs = t[c.later] - (t[c.earlier] if c.earlier is not None else 0)
    rhs = value(c.bound, PARAMS)
    return {">=": lhs >= rhs, "<=": lhs <= rhs, "==": lhs == rhs, ">": lhs > rhs}[c.op]


def symbolic_paths(model, actions, states) -> list[list]:
    """Every path of symbolic states whose actions and discrete states are these."""
    start = model.initial()[0]
    paths = [[]]
    for action, state in zip(actions, states):
        paths = [p + [(a, t)] for p in paths
                 for a, t in model.successors(p[-1][1] if p else start, False)
                 if a == action and t.state == state]
    return paths


def walk(model, rng) -> list:
    ts, steps = model.initial()[0], []
    for _ in range(rng.randint(4, 25)):
        succ = model.successors(ts, False)
        if not succ:
            break
        action, ts = rng.choice(succ)
        steps.append((action, ts))
    return steps


@pytest.mark.parametrize("name", list(CONFIGS))
def test_the_replay_accepts_exactly_the_times_the_symbolic_paths_allow(name):
    cfg = CONFIGS[name]
    model = TimedHeartbeat(cfg, P)
    rng = random.Random(name)
    start = model.initial()[0]
    checked = rejected = 0
    for _ in range(4):
        steps = walk(model, rng)
        actions = [a for a, _ in steps]
        states = [start.state] + [s.state for _, s in steps]
        times = timestamps(run_constraints(cfg, start, steps), len(steps), P)
        assert times is not None, actions     # the zone search is exact: the path is real
        assert check_timed_run(cfg, P, states, actions, times) == [], actions
        paths = [run_constraints(cfg, start, p)
                 for p in symbolic_paths(model, actions, states[1:])]
        for k in range(2, len(steps) + 1):      # the first step is at 0 in both
            for move in MOVES:
                for suffix in (False, True):
                    moved = list(times)
                    for x in range(k - 1, len(moved) if suffix else k):
                        moved[x] += move
                    t = {m: v for m, v in enumerate(moved, 1)}
                    real = any(all(holds(c, t) for c in cs) for cs in paths)
                    problems = check_timed_run(cfg, P, states, actions, moved)
                    assert real == (problems == []), (actions, moved, problems)
                    checked += 1
                    rejected += not real
    assert checked and rejected     # the moves did take runs out of their windows
