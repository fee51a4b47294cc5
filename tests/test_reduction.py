"""Partial-order reduction on the heartbeat model (docs/reduction.md, model/kernel.py)."""

from __future__ import annotations

import functools
import itertools

import networkx as nx
import numpy as np
import pytest

from hacheck.checker import Verdict, always, explore
from hacheck.checker.properties import at_quiescence
from hacheck.model import Config, HeartbeatModel
from hacheck.model.rules import take
from hacheck.model.heartbeat import QueueCapacityExceeded
from hacheck.model.spec import load, shipped_specs
from hacheck.model.row import OWN
from hacheck.model.state import K_N, node
from hacheck.properties import liveness_properties, safety_properties
from hacheck.tools.run import check


# --- verdicts and shortest counterexamples ---------------------------------------------------

SPEC_RUNS = [(name, nodes) for name in shipped_specs() for nodes in (2, 3)]


@pytest.mark.parametrize("name, nodes", SPEC_RUNS, ids=[f"{n}-n{k}" for n, k in SPEC_RUNS])
def test_verdict_and_shortest_trace_are_the_same_with_and_without_por_and_symmetry(name, nodes):
    spec = load(name)
    results = {}
    for symmetry, reduce in itertools.product((False, True), repeat=2):
        run = check(spec, nodes=nodes, symmetry=symmetry, reduce=reduce, trace_out=False)
        prop = run.result.properties[0]
        results[symmetry, reduce] = (prop.verdict, None if prop.trace is None else len(prop.trace))
        # partial-order reduction is argued for 1.51's rules; other revisions and the
        # variants run without
        assert run.result.reduction == (reduce and spec.options["version"] == "1.51"
                                        and spec.options["transport"] == "sequenced"
                                        and not spec.config().variants)
    assert len(set(results.values())) == 1, results


# --- what the reduction keeps ------------------------------------------------------------------

def own_vectors(cfg, upward_closed=False, **options) -> tuple[set, object]:
    """Every distinct `own` (the only variable S1 reads) of the states a search visits,
    recorded by a property that reads `own` (upward closed or not: INVISIBLE or GROWING
    reduction)."""
    model = HeartbeatModel(cfg)
    k = model.k
    offsets = [node(k, i) + OWN for i in range(int(k[K_N]))]
    seen: set = set()

    def record(rows):
        seen.update(map(bytes, np.unique(rows[:, offsets], axis=0)))
        return np.zeros(len(rows), dtype=np.bool_)

    own_only = always("own", "records own", lambda s: True, violated=record, reads={"own"},
                      upward_closed=upward_closed)
    stats = explore(model, [own_only], keep_going=True, **options).statistics
    assert stats.complete
    return seen, stats


COMPLETE = [
    Config(N=2, home=(0, 1)),
    Config(N=2, home=(0, 1), crashes=1),
    Config(N=2, home=(0,)),
    Config(N=2, home=(0, 1), link_toggles=1),
    Config(N=2, home=(0, 1), nice_failback=False, crashes=1, restarts=1),
    Config(N=3, home=(0,), nice_failback=False),
]


@pytest.mark.parametrize("cfg", COMPLETE, ids=str)
def test_the_reduced_search_reaches_every_ownership_the_full_search_reaches(cfg):
    full, full_stats = own_vectors(cfg, symmetry=False, reduce=False)
    reduced, reduced_stats = own_vectors(cfg, symmetry=False, reduce=True)
    assert reduced == full
    assert reduced_stats.distinct_states < full_stats.distinct_states   # it does reduce


def contains(big: bytes, small: bytes) -> bool:
    """Does one `own` vector hold every group the other does, node by node?"""
    return all(b & s == s for b, s in zip(big, small))


@pytest.mark.parametrize("cfg", COMPLETE, ids=str)
def test_growing_reduction_reaches_an_ownership_containing_every_one_the_full_search_does(cfg):
    """docs/reduction.md, "Growing what S1 reads": for an upward-closed invariant, ample
    actions may take groups but never give one up. The reduced graph then reaches only
    real ownerships, and for each the full graph reaches, one that contains it, which is
    what keeps every violation of S1 (upward closed); and it reduces more."""
    full, _ = own_vectors(cfg, symmetry=False, reduce=False)
    invisible, invisible_stats = own_vectors(cfg, symmetry=False, reduce=True)
    growing, growing_stats = own_vectors(cfg, upward_closed=True, symmetry=False, reduce=True)
    assert growing <= full
    assert all(any(contains(g, v) for g in growing) for v in full)
    assert growing_stats.distinct_states <= invisible_stats.distinct_states


@pytest.mark.parametrize("cfg", COMPLETE[:4], ids=str)
def test_a_growing_ample_set_never_gives_a_group_up(cfg):
    """C2' state by state: every successor kept by a proper GROWING ample set holds, node
    by node, every group its source held (an INVISIBLE one: exactly the same groups)."""
    from hacheck.checker.model import GROWING, INVISIBLE
    model = HeartbeatModel(cfg)
    offsets = [node(model.k, i) + OWN for i in range(cfg.N)]
    kept = {GROWING: 0, INVISIBLE: 0}

    def check_rows(rows):
        for reduce in kept:
            succ = model.successors(rows, False, reduce)
            for row, r in zip(succ.rows, succ.source):
                if succ.reduced[r]:
                    before, after = rows[r, offsets], row[offsets]
                    assert contains(after, before) if reduce == GROWING else (
                        bytes(after) == bytes(before))
                    kept[reduce] += 1
        return np.zeros(len(rows), dtype=np.bool_)

    explore(model, [always("all", "checks every state", lambda s: True, violated=check_rows)],
            symmetry=False, keep_going=True, max_states=60_000)
    assert kept[GROWING] > 0


def test_the_reduction_asks_as_much_as_the_invariants_allow():
    from hacheck.checker.explorer import reduction_mode
    from hacheck.checker.model import FULL, GROWING, INVISIBLE
    from hacheck.properties import all_properties
    cfg = Config(N=2, home=(0, 1))
    model = HeartbeatModel(cfg)
    s1 = safety_properties(cfg)
    assert reduction_mode(model, s1) == GROWING
    plain = always("own", "reads own", lambda s: True, reads={"own"})
    assert reduction_mode(model, [plain]) == INVISIBLE            # not upward closed
    assert reduction_mode(model, [*s1, plain]) == INVISIBLE
    anything = always("any", "reads anything", lambda s: True)
    assert reduction_mode(model, [*s1, anything]) == FULL
    # L0 and L1 are kept by the reduced graph (docs/reduction.md, "Liveness"), S1 still
    # lets the ample sets take groups; a model that does not say so is not reduced for them
    assert reduction_mode(model, all_properties(cfg)) == GROWING

    class NoLiveness(HeartbeatModel):
        reduction_keeps_liveness = False
    assert reduction_mode(NoLiveness(cfg), all_properties(cfg)) == FULL
    assert reduction_mode(NoLiveness(cfg), s1) == GROWING
    assert reduction_mode(HeartbeatModel(Config(N=2, home=(0, 1), heal=True)), s1) == FULL


def test_growing_reduction_reduces_more_at_three_nodes():
    """The gain that made it worth having (docs/reduction.md): three nodes without
    faults, the orbits within nine steps, breadth first, with each kind of ample set."""
    from hacheck.checker.model import GROWING, INVISIBLE
    model = HeartbeatModel(Config(N=3, home=(0, 1, 2)))

    def within(steps, reduce):
        frontier = model.initial_rows()
        seen = {frontier[0].tobytes()}
        for _ in range(steps):
            fresh = [row for row in model.successors(frontier, True, reduce).rows
                     if row.tobytes() not in seen and not seen.add(row.tobytes())]
            frontier = np.array(fresh, dtype=np.uint8)
        return len(seen)

    assert within(9, GROWING) < 0.95 * within(9, INVISIBLE)


def node_permutation(cfg, pi):
    """The image of a readable state under the node permutation `pi` (node i goes to
    pi[i]), as a function, in plain Python: model.md section 5 note 4 renames node indices
    everywhere (the nodes' places, `heard`, `dead`, `md`, `conn`, channels, message senders
    and destinations) and group indices (`own`, `rq`, the groups of ip-request(-resp));
    model/README.md reading 6 takes the group permutation that maps the r-th local group
    of i to the r-th local group of pi(i). Claims (`ih`, `oh`, RES's `n`) are local or
    foreign, relative to their node, so they stay as they are."""
    from hacheck.model.view import (IPREQ, IPRESP, RES, STARTING, T_IPREQ, T_RESOURCES,
                                    T_STARTING, pair_bit)
    N, H = cfg.N, cfg.local_groups
    sigma = {g: H[pi[i]][r] for i in range(N) for r, g in enumerate(H[i])}
    nodes = [sum(1 << pi[j] for j in range(N) if mask >> j & 1) for mask in range(1 << N)]
    groups = [sum(1 << sigma[g] for g in range(cfg.G) if mask >> g & 1)
              for mask in range(1 << cfg.G)]

    @functools.cache
    def message(m):
        if m[0] == T_STARTING:
            return STARTING(pi[m[1]])
        if m[0] == T_RESOURCES:
            return RES(pi[m[1]], *m[2:])
        if m[0] == T_IPREQ:
            return IPREQ(pi[m[1]], sigma[m[2]])
        return IPRESP(pi[m[1]], pi[m[2]], sigma[m[3]])

    def queue(q):
        return tuple(map(message, q))

    def image(s):
        node_states, own, ch = [None] * N, [0] * N, [()] * (N * N)
        for i, n in enumerate(s.nodes):
            node_states[pi[i]] = n._replace(
                heard=nodes[n.heard], dead=nodes[n.dead], md=nodes[n.md], fw=nodes[n.fw],
                gs=nodes[n.gs], selfq=queue(n.selfq))
            own[pi[i]] = groups[s.own[i]]
            for j in range(N):
                if j != i:
                    ch[pi[i] * N + pi[j]] = queue(s.ch[i * N + j])
        conn = sum(pair_bit(pi[i], pi[j], N) for i in range(N) for j in range(i + 1, N)
                   if s.conn & pair_bit(i, j, N))
        return s._replace(nodes=tuple(node_states), own=tuple(own), rq=groups[s.rq],
                          ch=tuple(ch), conn=conn)

    return image


def reachable_states(model) -> set:
    """Every reachable state of a search without any reduction, as readable ClusterStates."""
    from hacheck.model.view import unpack
    rows: set = set()

    def record(batch):
        rows.update(map(bytes, batch))
        return np.zeros(len(batch), dtype=np.bool_)

    everything = always("all", "records every state", lambda s: True, violated=record)
    stats = explore(model, [everything], symmetry=False, keep_going=True).statistics
    assert stats.complete and len(rows) == stats.distinct_states
    return {unpack(model.k, np.frombuffer(r, dtype=np.uint8)) for r in rows}


def test_symmetry_counts_the_orbits_and_por_halves_the_two_node_space_with_or_without_it():
    """Two nodes, one group each, no faults. The expected numbers are derived, not pinned:

    - without reduction, model.md 6a's check value, 165,598;
    - with symmetry alone, the number of orbits of the unreduced reachable states under
      the node swap, computed here in plain Python on readable ClusterStates
      (node_permutation), independently of the compiled canonicalizer of
      model/symmetry.py; the swap also maps the reachable set onto itself;
    - partial-order reduction keeps at most 55% of the states, alone and on top of
      symmetry ("halves"; docs/reduction.md).
    """
    cfg = Config(N=2, home=(0, 1))
    model = HeartbeatModel(cfg)
    states = reachable_states(model)
    counts = {(sym, por): explore(model, [], symmetry=sym, reduce=por).statistics.distinct_states
              for sym, por in ((True, False), (False, True), (True, True))}
    counts[False, False] = len(states)
    assert counts[False, False] == 165_598

    image = node_permutation(cfg, (1, 0))
    swap = {s: image(s) for s in states}
    assert set(swap.values()) == states                  # a symmetry of the reachable set
    orbits = {frozenset((s, t)) for s, t in swap.items()}
    assert counts[True, False] == len(orbits)

    assert counts[False, True] < 0.55 * counts[False, False]
    assert counts[True, True] < 0.55 * counts[True, False]


def test_a_violation_found_with_reduction_is_shown_by_an_unreduced_shortest_trace():
    cfg = Config(N=2, home=(0, 1))
    model = HeartbeatModel(cfg)
    plain = explore(model, safety_properties(cfg), symmetry=False)
    reduced = explore(model, safety_properties(cfg), symmetry=False, reduce=True)
    assert reduced.reduction and reduced.statistics.trace_search_states > 0
    assert reduced.properties[0].trace == plain.properties[0].trace


# --- cycles: why a static proviso is enough -------------------------------------------------------

# --- liveness: every quiescent state and a cycle are kept -----------------------------------

LIVENESS_CONFIGS = [
    Config(N=2, home=(0, 1)),
    Config(N=2, home=(0, 1), crashes=1),                # L1 violated
    Config(N=2, home=(0,), crashes=1),                  # L1 violated
    Config(N=2, home=(0, 1), link_toggles=1),
    Config(N=2, home=(0, 1), nice_failback=False, crashes=1, restarts=1),   # L1 violated
    Config(N=3, home=(0,), nice_failback=False),
]


def settled_states_and_liveness(cfg, reduce: bool, symmetry: bool):
    """(every quiescent state the search meets, as readable states; L0's and L1's verdict
    and trace length; the states stored)."""
    seen: set = set()

    def record(state) -> bool:
        seen.add(state)
        return True

    settled = at_quiescence("settled", "records every quiescent state", record)
    result = explore(HeartbeatModel(cfg), [settled] + liveness_properties(cfg),
                     symmetry=symmetry, reduce=reduce, keep_going=True)
    assert result.statistics.complete and result.reduction == reduce
    verdicts = {p.name: (p.verdict, None if p.trace is None else len(p.trace))
                for p in result.properties[1:]}
    return seen, verdicts, result.statistics.distinct_states


@pytest.mark.parametrize("cfg", LIVENESS_CONFIGS, ids=str)
@pytest.mark.parametrize("symmetry", (False, True))
def test_the_reduced_graph_keeps_every_quiescent_state_and_the_liveness_verdicts(cfg,
                                                                               symmetry):
    # docs/reduction.md, "Liveness": the ample sets' steps are protocol steps that stay
    # enabled until taken, so a quiescent state is reached by the reduced graph itself
    # (of the orbits, with symmetry), and L1's shortest trace comes from the unreduced
    # search that stops at the first bad quiescent state
    full_settled, full_verdicts, full_states = settled_states_and_liveness(cfg, False,
                                                                           symmetry)
    settled, verdicts, states = settled_states_and_liveness(cfg, True, symmetry)
    assert settled == full_settled
    assert verdicts == full_verdicts
    assert states < full_states


def test_an_endless_cycle_is_found_in_the_reduced_graph_and_replayed_through_its_chains():
    # two nodes without local groups announce to each other for ever (section "Cycles");
    # the cycle's edges may be chains of several steps, so the lasso is closed on the
    # replayed concrete trace, not on the stored states
    cfg = Config(N=2, home=())
    model = HeartbeatModel(cfg, capacity=32)     # layer D is infinite here: queues grow
    results = {}
    for reduce in (False, True):
        result = explore(model, liveness_properties(cfg), reduce=reduce, keep_going=True,
                         max_states=100_000)
        assert result.reduction == reduce
        results[reduce] = result.properties[0]
    for reduce, l0 in results.items():
        assert l0.name == "L0" and l0.verdict is Verdict.VIOLATED
        trace, loop = l0.trace, l0.loop
        assert model.canonical_key(trace.states[-1], False) == model.canonical_key(
            trace.states[loop], False)
        for before, step in zip(trace.states, trace.steps):     # every step a real one
            assert step.state in [t for _, t in model.successors_of(before)]
        assert bool(l0.notes) == reduce      # the reduced lasso says it may not be shortest


def state_graph(cfg, capacity: int) -> nx.MultiDiGraph:
    """The reachable states of layer D whose queues never hold more than `capacity`
    messages, and the actions between them (edges carry the action). A subgraph of the
    whole graph, so each of its cycles is a cycle of layer D; the whole graph when no
    run needs longer queues."""
    model = HeartbeatModel(cfg, capacity=capacity)
    graph = nx.MultiDiGraph()
    ids: dict[bytes, int] = {model.initial_rows()[0].tobytes(): 0}
    frontier = model.initial_rows()
    t = np.empty(model.width, dtype=np.uint8)
    while len(frontier):
        try:
            succ = model.successors(frontier, False, False)
            edges = [(frontier[r], row, model.action(int(a)))
                     for row, r, a in zip(succ.rows, succ.source, succ.action)]
        except QueueCapacityExceeded:   # one action at a time, leaving out the overflows
            edges = []
            for s in frontier:
                for a, action in enumerate(model.table):
                    if take(model.k, int(model._kinds[a]), int(model._arg_a[a]),
                            int(model._arg_b[a]), s, t) and not t[0]:
                        edges.append((s, t.copy(), action))
        fresh = []
        for s, row, action in edges:
            key = row.tobytes()
            if key not in ids:
                ids[key] = len(ids)
                fresh.append(row)
            graph.add_edge(ids[s.tobytes()], ids[key], action=action)
        frontier = np.array(fresh, dtype=np.uint8).reshape(len(fresh), model.width)
    return graph


def closes_cycles(cfg, action) -> bool:
    """model/kernel.py's sticky actions: a CHILD of a node without local groups."""
    return action.name == "CHILD" and not cfg.H(action.node)


@pytest.mark.parametrize("cfg, capacity", [
    (Config(N=2, home=(0, 1), crashes=1), 12),   # the whole space
    (Config(N=2, home=(0,)), 2),                 # one node without groups
    (Config(N=2, home=()), 2),                   # two nodes without groups
], ids=str)
def test_every_cycle_passes_a_child_of_a_node_without_local_groups(cfg, capacity):
    graph = state_graph(cfg, capacity)
    rest = nx.DiGraph((u, v) for u, v, a in graph.edges(data="action")
                      if not closes_cycles(cfg, a))
    assert nx.is_directed_acyclic_graph(rest)


def test_two_nodes_without_groups_do_make_cycles():
    # so the proviso is needed: without it, a reduction could go round such a cycle
    graph = state_graph(Config(N=2, home=()), 2)
    cycle = nx.find_cycle(graph)
    assert any(closes_cycles(Config(N=2, home=()), graph.edges[e]["action"]) for e in cycle)


# --- queue room -----------------------------------------------------------------------------------

def test_a_run_whose_queues_overflow_their_room_is_run_again_with_twice_the_room():
    from hacheck.tools.run import Room, search

    notices: list[str] = []
    done = search(Config(N=2, home=(0, 1)), [], symmetry=False, room=Room(capacity=2),
                  notice=notices.append)
    assert done.result.statistics.distinct_states == 165_598
    assert done.model.capacity == 8     # 2 -> 4 -> 8: without faults two nodes need more than 4
    assert len(notices) == 2 and "room for 8" in notices[-1]


def test_a_node_that_is_up_hears_a_peer_again_as_a_single_idle_action():
    """A node that declared a peer dead before the peer booted hears it again once it
    boots. Once the node is L that HEAR sets only bits nothing reads any more: it is an
    idle action (docs/reduction.md, kind 1), and a state where one is enabled is expanded
    by one idle action alone; before the node is L it is not idle."""
    from hacheck.model.kernel import idle_pop
    from hacheck.model.row import COMM, COMM_LINKSUP
    from hacheck.model.rules import A_HEAR
    cfg = Config(N=2, home=(0, 1))
    model = HeartbeatModel(cfg)
    seen = {True: 0, False: 0}

    def check_row(rows):
        for row in rows:
            full = model.successors(row[None, :], False, False)
            for a in full.action:
                act = model.action(a)
                if act.name != "HEAR":
                    continue
                linked_up = row[node(model.k, act.args[0]) + COMM] == COMM_LINKSUP
                assert idle_pop(model.k, row, A_HEAR, *act.args) == linked_up
                seen[bool(linked_up)] += 1
                if linked_up:
                    reduced = model.successors(row[None, :], False, True)
                    assert len(reduced) == 1 and reduced.action[0] in full.action
        return np.zeros(len(rows), dtype=np.bool_)

    explore(model, [always("all", "checks every state", lambda s: True, violated=check_row)],
            symmetry=False, keep_going=True, max_states=40_000)
    assert seen[True] > 0 and seen[False] > 0


IDLE_CONFIGS = [
    Config(N=2, home=(0, 1)),
    Config(N=2, home=(0,)),                           # a node without groups: cycles
    Config(N=2, home=(0, 1), crashes=1, restarts=1),  # a restart after the last crash
    Config(N=3, home=(0, 1, 2)),
]


@pytest.mark.parametrize("cfg", IDLE_CONFIGS, ids=str)
def test_an_idle_action_only_pops_and_stays_idle_whatever_happens_first(cfg):
    """docs/reduction.md, kind 1, checked on every edge of the unreduced graph: an idle
    SELF or DELIVER only pops its queue's head, an idle HEAR only sets its `heard` bit
    and clears its `dead` bit; after any other action it is still enabled and still
    idle; and a state with one is expanded by one idle action alone."""
    from hacheck.model.kernel import idle_pop
    from hacheck.model.row import DEAD, HEARD
    from hacheck.model.state import ch, pop, selfq
    model = HeartbeatModel(cfg)
    k = model.k
    seen = {"SELF": 0, "DELIVER": 0, "HEAR": 0}

    def idle(row, enabled):
        return {int(x) for x in enabled if idle_pop(k, row, int(model._kinds[x]),
                                                  int(model._arg_a[x]), int(model._arg_b[x]))}

    def alone(row, x):
        """row after the idle action x, as its effect is claimed to be"""
        name, args = model.action(x).name, model.action(x).args
        after = row.copy()
        if name == "HEAR":
            after[node(k, args[0]) + HEARD] |= 1 << args[1]
            after[node(k, args[0]) + DEAD] &= ~(1 << args[1]) & 0xFF
        else:
            pop(k, after, selfq(k, args[0]) if name == "SELF" else ch(k, *args))
        return after

    def check_rows(rows):
        succ = model.successors(rows, False, False)
        enabled = [succ.action[succ.source == r] for r in range(len(rows))]
        for t, r, b in zip(succ.rows, succ.source, succ.action):
            idle_here = idle(rows[r], enabled[r])
            if not idle_here:
                continue
            t_enabled = model.successors(t[None, :], False, False).action
            for x in idle_here:
                seen[model.action(x).name] += 1
                if x == b:
                    assert np.array_equal(t, alone(rows[r], x)), model.action(x)
                else:
                    assert x in idle(t, t_enabled), (model.action(x), model.action(int(b)))
        for r in range(len(rows)):
            if idle(rows[r], enabled[r]):
                assert len(model.successors(rows[r:r + 1], False, True)) == 1
        return np.zeros(len(rows), dtype=np.bool_)

    explore(model, [always("all", "checks every state", lambda s: True, violated=check_rows)],
            symmetry=False, keep_going=True, max_states=20_000)
    assert sum(seen.values()) > 0


@pytest.mark.parametrize("cfg", IDLE_CONFIGS, ids=str)
def test_a_forced_take_commutes_with_every_other_action_and_is_taken_alone(cfg):
    """docs/reduction.md, "A forced take alone", on every edge of the unreduced graph: where
    FORCETAKE(j, g) is enabled and no crash is left, every other action b leaves it
    enabled, and taking it then b or b then it ends in the same state; such a state is
    expanded (GROWING) by one FORCETAKE alone."""
    from hacheck.checker.model import GROWING
    from hacheck.model.kernel import lone_take
    model = HeartbeatModel(cfg)
    seen = {"lone": 0, "pairs": 0}

    def after(row):
        """{action: successor} of one row, unreduced"""
        succ = model.successors(row[None, :], False, False)
        return {int(a): succ.buffer[x] for a, x in zip(succ.action, succ.index)}

    def lone(row, actions):
        return [a for a in actions if lone_take(row, int(model._kinds[a]), GROWING)]

    def check_rows(rows):
        for row in rows:
            following = after(row)
            takes = lone(row, following)
            if not takes:
                continue
            seen["lone"] += 1
            assert len(model.successors(row[None, :], False, GROWING)) == 1
            for x in takes:
                x_first = after(following[x])
                for b, t in following.items():
                    if b == x:
                        continue
                    b_then = after(t)
                    assert x in b_then, (model.action(x), model.action(b))
                    assert b in x_first, (model.action(b), model.action(x))
                    assert np.array_equal(b_then[x], x_first[b]), (model.action(x),
                                                                  model.action(b))
                    seen["pairs"] += 1
        return np.zeros(len(rows), dtype=np.bool_)

    explore(model, [always("all", "checks every state", lambda s: True, violated=check_rows)],
            symmetry=False, keep_going=True, max_states=15_000)
    assert seen["lone"] > 0 and seen["pairs"] > 0


# --- chains of single ample steps (docs/reduction.md, "Chains") ------------------------------

def follow_single_steps(model, row, reduce):
    """row, then each state the reduced graph leaves by one ample action alone, up to
    the first state it does not: the chain, one step at a time (`chain=False`)."""
    chain = [row]
    while True:
        after = model.successors(chain[-1][None, :], False, reduce, chain=False)
        if not (len(after) == 1 and after.reduced[0]):
            return chain
        chain.append(after.rows[0])


CHAIN_CONFIGS = [Config(N=2, home=(0, 1), crashes=1, restarts=1), Config(N=3, home=(0, 1, 2))]


@pytest.mark.parametrize("cfg", CHAIN_CONFIGS, ids=str)
def test_a_reduced_successor_is_the_end_of_its_chain_of_single_ample_steps(cfg):
    """Under a reduction the kernel returns, for each ample action of a state, the state
    where the chain of single ample steps after it ends; step by step, the same chain
    passes only states left by one ample action alone, and its end is not one of them.
    Without a reduction, nothing is chained."""
    from hacheck.checker.model import GROWING, INVISIBLE
    model = HeartbeatModel(cfg)
    seen = {"chained": 0, "steps": 0}

    def check_rows(rows):
        for reduce in (GROWING, INVISIBLE):
            chained = model.successors(rows, False, reduce)
            single = model.successors(rows, False, reduce, chain=False)
            assert np.array_equal(chained.source, single.source)
            assert np.array_equal(chained.action, single.action)
            assert np.array_equal(chained.reduced, single.reduced)
            steps = 0
            for end, first in zip(chained.rows, single.rows):
                chain = follow_single_steps(model, first, reduce)
                assert np.array_equal(end, chain[-1])
                seen["chained"] += len(chain) > 1
                steps += len(chain) - 1
            assert chained.chained == steps and single.chained == 0
            seen["steps"] += steps
        plain = model.successors(rows, False, False)
        assert np.array_equal(plain.rows, model.successors(rows, False, False, chain=False).rows)
        return np.zeros(len(rows), dtype=np.bool_)

    explore(model, [always("all", "checks every state", lambda s: True, violated=check_rows)],
            symmetry=False, keep_going=True, max_states=4_000)
    assert seen["chained"] > 0 and seen["steps"] > seen["chained"]


def test_a_trace_through_chains_replays_step_by_step_to_the_same_states():
    """The reduced search stores only the ends of chains; a counterexample rebuilt from its
    parent links (as when the unreduced search for a shortest one is cut short) takes
    every step of each chain, and each state it names in turn is reached, in order."""
    from hacheck.checker.model import GROWING
    from hacheck.checker.store import ExactStore
    from hacheck.checker.trace import replay
    cfg = Config(N=2, home=(0, 1), crashes=1, restarts=1)
    model = HeartbeatModel(cfg)
    s1 = safety_properties(cfg)[0]
    start = model.canonical(model.initial_rows())[0].tobytes()
    parent, frontier, found = {start: None}, [start], None
    while frontier and found is None:
        rows = np.frombuffer(b"".join(frontier), dtype=np.uint8).reshape(-1, model.width)
        succ = model.successors(rows, True, GROWING)
        fresh = []
        for row, r in zip(succ.rows, succ.source):
            key = row.tobytes()
            if key not in parent:
                parent[key] = frontier[r]
                fresh.append(key)
                if found is None and s1.violated(row[None, :])[0]:
                    found = key
        frontier = fresh
    path = [found]
    while parent[path[-1]] is not None:
        path.append(parent[path[-1]])
    path.reverse()

    trace = replay(model, path, True, ExactStore.identity_of, reduce=GROWING)
    keys = [model.canonical_key(state) for state in trace.states]
    assert len(trace) > len(path) - 1                      # it went through chains
    position = 0
    for key in path:                                       # every stored state, in order
        position = keys.index(key, position) + 1
    assert keys[-1] == path[-1]
    for before, step in zip(trace.states, trace.steps):    # every step a real one
        assert (step.action, step.state) in model.successors_of(before)
    with pytest.raises(RuntimeError, match="no successor"):
        replay(model, path, True, ExactStore.identity_of)   # single steps alone do not
