"""Tiny models whose state counts are known by hand, for testing the engine alone."""

import ast

from hacheck.checker import SimpleModel


def real(model, trace) -> bool:
    """Is every step of the trace, its action and its state, a step of the model from
    the state before it?"""
    return all((step.action, step.state) in model.successors_of(before)
               for before, step in zip(trace.states, trace.steps))


class Counter(SimpleModel):
    """0 -> 1 -> ... -> n: n + 1 states, n transitions, depth n."""

    def __init__(self, n):
        self.n = n

    def init_states(self):
        return [0]

    def actions(self, state):
        return ["inc"] if state < self.n else []

    def next_state(self, state, action):
        return state + 1

    def encode(self, state):
        return state.to_bytes(4, "little")

    def decode_key(self, key):
        return int.from_bytes(key, "little")


class Grid(SimpleModel):
    """Two counters 0..k each, either may step: (k+1)^2 states, 2k(k+1) transitions, depth 2k.
    Swapping the counters is a symmetry: (k+1)(k+2)/2 orbits."""

    def __init__(self, k):
        self.k = k

    def init_states(self):
        return [(0, 0)]

    def actions(self, state):
        a, b = state
        return [name for name, v in (("a", a), ("b", b)) if v < self.k]

    def next_state(self, state, action):
        a, b = state
        return (a + 1, b) if action == "a" else (a, b + 1)

    def encode(self, state):
        return bytes(state)

    def decode_key(self, key):
        return tuple(key)

    def symmetries(self):
        return ["swap"]

    def encode_under(self, state, symmetry):
        return bytes(reversed(state))


class TwoRoads(SimpleModel):
    """A long road (ten steps) is listed first, a short one (three steps) second; both end
    in the bad state 'X'. Breadth-first search must report the short one."""

    def init_states(self):
        return [("start", 0)]

    def actions(self, state):
        road, pos = state
        if road == "start":
            return ["long", "short"]
        if road == "X":
            return []
        return ["go"]

    def next_state(self, state, action):
        road, pos = state
        if road == "start":
            return (action, 1)
        length = 10 if road == "long" else 3
        return ("X", 0) if pos + 1 == length else (road, pos + 1)

    def encode(self, state):
        return repr(state).encode()

    def decode_key(self, key):
        return ast.literal_eval(key.decode())


class Ignoring(SimpleModel):
    """The textbook case of the ignoring problem of partial-order reduction. Process A
    spins on a three-step cycle of invisible steps; process B has one step, which sets
    the flag the property reads. Both are always enabled and independent, so {A's step}
    passes every ample condition but the cycle proviso: without it, B's step is never
    taken and the violation (flag set) is never found."""

    reduction_reads = frozenset({"flag"})

    def init_states(self):
        return [(0, 0)]           # (A's position on its cycle, B's flag)

    def actions(self, state):
        a, flag = state
        return ["A"] + (["B"] if not flag else [])

    def next_state(self, state, action):
        a, flag = state
        return ((a + 1) % 3, flag) if action == "A" else (a, 1)

    def ample(self, state, actions):
        return ["A"]

    def encode(self, state):
        return bytes(state)

    def decode_key(self, key):
        return tuple(key)


class Graph(SimpleModel):
    """A model given as a graph: `edges[state]` lists (action, next state); actions whose
    name starts with "env" are environment actions (faults), the rest protocol actions."""

    def __init__(self, edges: dict, initial=0):
        self.edges, self.initial = edges, initial

    def init_states(self):
        return [self.initial]

    def actions(self, state):
        return [a for a, _ in self.edges.get(state, [])]

    def next_state(self, state, action):
        return dict(self.edges[state])[action]

    def environment(self, action) -> bool:
        return action.startswith("env")

    def encode(self, state):
        return state.to_bytes(2, "little")

    def decode_key(self, key):
        return int.from_bytes(key, "little")


# 0 -> 1 -> 2 -> 3, and 1 -> 4: states 3 and 4 are quiescent; 4 is the bad one
STUCK = {0: [("p", 1)], 1: [("q", 2), ("r", 4)], 2: [("s", 3)]}
# 0 -> 1 -> 2 -> 3 -> 1: a cycle of protocol actions reached in one step
CYCLE = {0: [("p", 1)], 1: [("q", 2)], 2: [("r", 3)], 3: [("s", 1)]}
# a cycle through an environment action is not endless protocol activity
FAULT_CYCLE = {0: [("p", 1)], 1: [("env_crash", 2)], 2: [("q", 0)]}
