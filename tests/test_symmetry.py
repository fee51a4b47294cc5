"""Symmetry reduction on the heartbeat model (model.md section 5, note 4).

The oracle is `permute` below: a readable, independent renaming of every variable of a
state, written from model.md's note 4. The compiled image and the canonical forms are
checked against it.
"""

import itertools

import numpy as np
import pytest

from hacheck.checker import explore
from hacheck.model import Config, HeartbeatModel
from hacheck.model.symmetry import automorphisms, image
from hacheck.model.view import (
    T_IPREQ, T_IPRESP, T_RESOURCES, T_STARTING, ClusterState, pack, pair_bit,
)
from hacheck.properties import safety_properties


def permute(cfg, s: ClusterState, pi) -> ClusterState:
    """The image of s when node i is renamed pi[i], and the r-th local group of i the
    r-th local group of pi[i]: every node and group index is renamed, inside messages too."""
    N = cfg.N
    sigma = {}
    for i in range(N):
        for g, h in zip(cfg.H(i), cfg.H(pi[i])):
            sigma[g] = h
    inv = [0] * N
    for i in range(N):
        inv[pi[i]] = i

    def nodes_mask(mask):
        return sum(1 << pi[j] for j in range(N) if mask >> j & 1)

    def groups_mask(mask):
        return sum(1 << sigma[g] for g in range(cfg.G) if mask >> g & 1)

    def message(m):
        kind = m[0]
        if kind == T_STARTING:
            return (kind, pi[m[1]])
        if kind == T_RESOURCES:
            return (kind, pi[m[1]]) + m[2:]
        if kind == T_IPREQ:
            return (kind, pi[m[1]], sigma[m[2]])
        assert kind == T_IPRESP
        return (kind, pi[m[1]], pi[m[2]], sigma[m[3]])

    nodes = []
    for p in range(N):
        n = s.nodes[inv[p]]
        nodes.append(n._replace(heard=nodes_mask(n.heard), dead=nodes_mask(n.dead),
                                md=nodes_mask(n.md), selfq=tuple(map(message, n.selfq))))
    conn = sum(pair_bit(pi[i], pi[j], N) for i in range(N) for j in range(i + 1, N)
               if s.conn & pair_bit(i, j, N))
    ch = [()] * (N * N)
    for i in range(N):
        for j in range(N):
            if i != j:
                ch[pi[i] * N + pi[j]] = tuple(map(message, s.ch[i * N + j]))
    return ClusterState(tuple(nodes), tuple(groups_mask(s.own[inv[p]]) for p in range(N)),
                        groups_mask(s.rq), tuple(ch), conn,
                        s.crashes_left, s.restarts_left, s.toggles_left)


def reachable_sample(cfg, limit=3000, every=7):
    """Concrete states reached by a breadth-first walk, every `every`-th kept."""
    model = HeartbeatModel(cfg)
    seen, frontier, sample = set(), model.init_states(), []
    while frontier and len(seen) < limit:
        nxt = []
        for s in frontier:
            for _, t in model.successors_of(s):
                key = model.encode(t)
                if key not in seen:
                    seen.add(key)
                    nxt.append(t)
                    if len(seen) % every == 0:
                        sample.append(t)
        frontier = nxt
    return model, sample


CONFIGS = [
    Config(N=2, home=(0, 1), crashes=1, restarts=1),
    Config(N=3, home=(0, 1, 2), crashes=1),
    Config(N=3, home=(0,), crashes=1, restarts=1),
    Config(N=2, home=(0, 0, 1, 1), crashes=1),
    Config(N=3, home=(0, 1, 2), link_toggles=2),
    Config(N=4, home=(0, 1, 2, 3), crashes=1),
    Config(N=5, home=(0, 0, 1, 3), crashes=1),
]


def test_the_group_of_one_group_per_node_is_every_node_permutation():
    assert len(automorphisms(Config(N=3, home=(0, 1, 2)))) == 6
    assert len(automorphisms(Config(N=4, home=(0, 1, 2, 3)))) == 24


def test_only_permutations_that_keep_the_home_layout_are_symmetries():
    # active/passive on three nodes: node 0 is fixed, nodes 1 and 2 may swap
    group = automorphisms(Config(N=3, home=(0,)))
    assert sorted(map(tuple, group)) == [(0, 1, 2), (0, 2, 1)]
    assert [tuple(p) for p in automorphisms(Config(N=3, home=(0, 0, 1)))] == [(0, 1, 2)]


@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_the_compiled_image_equals_the_readable_renaming(cfg):
    model, sample = reachable_sample(cfg, limit=1500)
    t = np.empty(model.width, dtype=np.uint8)
    for s in sample:
        row = pack(model.k, s)
        for pi in automorphisms(cfg):
            order = np.argsort(pi)            # position -> node
            image(model.k, row, t, order, pi)
            assert model.decode(t) == permute(cfg, s, pi)


@pytest.mark.parametrize("exhaustive", [False, True], ids=["refined", "exhaustive"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_the_canonical_form_is_the_same_for_every_permutation_of_a_state(cfg, exhaustive):
    model, sample = reachable_sample(cfg)
    model = HeartbeatModel(cfg, exhaustive_symmetry=exhaustive)
    for s in sample:
        keys = {model.canonical_key(permute(cfg, s, pi)) for pi in automorphisms(cfg)}
        assert keys == {model.canonical_key(s)}


@pytest.mark.parametrize("exhaustive", [False, True], ids=["refined", "exhaustive"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_the_canonical_form_is_a_member_of_the_orbit(cfg, exhaustive):
    model, sample = reachable_sample(cfg, limit=1500)
    model = HeartbeatModel(cfg, exhaustive_symmetry=exhaustive)
    for s in sample:
        canonical = model.decode(np.frombuffer(model.canonical_key(s), dtype=np.uint8))
        assert canonical in {permute(cfg, s, pi) for pi in automorphisms(cfg)}


@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_every_symmetry_is_an_automorphism_of_the_transition_relation(cfg):
    model, sample = reachable_sample(cfg, limit=1500)
    group = automorphisms(cfg)
    for s in sample[::max(1, len(group) // 6)]:   # about as many checks for every group size
        for pi in group:
            image_successors = {model.encode(t) for _, t in model.successors_of(permute(cfg, s, pi))}
            successor_images = {model.encode(permute(cfg, t, pi)) for _, t in model.successors_of(s)}
            assert image_successors == successor_images


def test_identical_nodes_in_a_large_cluster_cost_no_permutation_enumeration():
    # eight nodes that have not booted are one tie class of interchangeable nodes; the
    # canonical form is still exact (the state is its own only image)
    cfg = Config(N=8, home=tuple(range(8)))
    model = HeartbeatModel(cfg)
    s = model.init_states()[0]
    assert model.canonical_key(s) == model.encode(s)
    booted = model.take(s, "BOOT", 5)
    keys = {model.canonical_key(model.take(s, "BOOT", i)) for i in range(8)}
    assert keys == {model.canonical_key(booted)}


def test_distinct_states_are_distinct_orbits():
    cfg = Config(N=3, home=(0, 1, 2))
    model, sample = reachable_sample(cfg, limit=800, every=1)
    keys = {model.encode(s) for s in sample}
    orbits = {model.canonical_key(s) for s in sample}
    # each orbit has at most |group| members, and every key lies in exactly one orbit
    assert len(orbits) >= len(keys) / 6
    for a, b in itertools.combinations(sample[:60], 2):
        same_orbit = any(model.encode(permute(cfg, a, pi)) == model.encode(b)
                         for pi in automorphisms(cfg))
        assert same_orbit == (model.canonical_key(a) == model.canonical_key(b))


SMALL = [
    Config(N=2, home=(0,), crashes=1, restarts=1),
    Config(N=2, home=(0, 1), crashes=1),
    Config(N=3, home=(0, 1, 2), crashes=1),
    Config(N=3, home=(0,), crashes=1),
    Config(N=2, home=(0, 1), nice_failback=False, crashes=1, restarts=1),
    Config(N=2, home=(0, 1), link_toggles=1),
]


@pytest.mark.parametrize("cfg", SMALL, ids=str)
def test_verdicts_and_shortest_counterexamples_are_the_same_with_and_without_reduction(cfg):
    model = HeartbeatModel(cfg)
    plain = explore(model, safety_properties(cfg), symmetry=False)
    reduced = explore(model, safety_properties(cfg), symmetry=True)
    for p, r in zip(plain.properties, reduced.properties):
        assert p.verdict == r.verdict
        assert (p.trace is None) == (r.trace is None)
        if p.trace is not None:
            assert len(p.trace) == len(r.trace)


def test_model_md_check_value_and_the_reduced_count_of_two_nodes_without_faults():
    """model.md 6a: 165,598 states for N = 2, one group per node, no faults, unreduced.
    The reduced count is at least that divided by the group size (2)."""
    cfg = Config(N=2, home=(0, 1))
    model = HeartbeatModel(cfg)
    full = explore(model, [], symmetry=False).statistics
    reduced = explore(model, [], symmetry=True).statistics
    assert full.complete and full.distinct_states == 165_598
    assert reduced.distinct_states == 82_928
    assert reduced.max_depth == full.max_depth


@pytest.mark.parametrize("cfg", [Config(N=2, home=(0, 1), crashes=1),
                                 Config(N=3, home=(), nice_failback=False),
                                 Config(N=3, home=(0,), nice_failback=False)], ids=str)
def test_the_refined_and_the_exhaustive_canonical_forms_count_the_same_orbits(cfg):
    refined = explore(HeartbeatModel(cfg), []).statistics
    exhaustive = explore(HeartbeatModel(cfg, exhaustive_symmetry=True), []).statistics
    assert refined.complete and exhaustive.complete
    assert refined.distinct_states == exhaustive.distinct_states
    assert refined.max_depth == exhaustive.max_depth


def test_fingerprints_give_the_exact_reduced_count_on_a_heartbeat_configuration():
    cfg = Config(N=3, home=(0, 1, 2), crashes=1)
    model = HeartbeatModel(cfg)
    exact = explore(model, [], max_states=20_000).statistics
    hashed = explore(model, [], max_states=20_000, fingerprint=True).statistics
    assert (exact.distinct_states, exact.transitions) == (hashed.distinct_states, hashed.transitions)
    assert hashed.bytes_per_state < exact.bytes_per_state


@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_decoding_a_row_gives_back_the_state(cfg):
    model, sample = reachable_sample(cfg, limit=1500)
    for s in sample:
        assert model.decode(np.frombuffer(model.encode(s), dtype=np.uint8)) == s
