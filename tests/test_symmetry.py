"""Symmetry reduction on the heartbeat model (model.md section 5, note 4)."""

import itertools

import pytest

from hacheck.checker import explore
from hacheck.model import Config, HeartbeatModel
from hacheck.model.symmetry import automorphisms, encode_under, permute
from hacheck.properties import safety_properties


def reachable_sample(cfg, limit=3000, every=7):
    """Concrete states reached by a breadth-first walk, every `every`-th kept."""
    model = HeartbeatModel(cfg)
    seen, frontier, sample = set(), model.init_states(), []
    while frontier and len(seen) < limit:
        nxt = []
        for s in frontier:
            for _, t in model.successors(s):
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
]


def test_the_group_of_one_group_per_node_is_every_node_permutation():
    assert len(automorphisms(Config(N=3, home=(0, 1, 2)))) == 6
    assert len(automorphisms(Config(N=4, home=(0, 1, 2, 3)))) == 24


def test_only_permutations_that_keep_the_home_layout_are_symmetries():
    # active/passive on three nodes: node 0 is fixed, nodes 1 and 2 may swap
    group = automorphisms(Config(N=3, home=(0,)))
    assert sorted(s.node_map for s in group) == [(0, 1, 2), (0, 2, 1)]
    assert automorphisms(Config(N=3, home=(0, 0, 1)))[0].is_identity
    assert len(automorphisms(Config(N=3, home=(0, 0, 1)))) == 1


@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_encoding_the_image_directly_equals_encoding_the_permuted_state(cfg):
    model, sample = reachable_sample(cfg, limit=1500)
    for s in sample:
        for sym in automorphisms(cfg):
            assert encode_under(cfg, s, sym) == model.encode(permute(cfg, s, sym))


@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_the_canonical_form_is_the_same_for_every_permutation_of_a_state(cfg):
    model, sample = reachable_sample(cfg)
    for s in sample:
        keys = {model.canonical_key(permute(cfg, s, sym)) for sym in automorphisms(cfg)}
        assert keys == {model.canonical_key(s)}


@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_every_symmetry_is_an_automorphism_of_the_transition_relation(cfg):
    model, sample = reachable_sample(cfg, limit=1500)
    for s in sample:
        for sym in automorphisms(cfg):
            image_successors = {model.encode(t) for _, t in model.successors(permute(cfg, s, sym))}
            successor_images = {model.encode(permute(cfg, t, sym)) for _, t in model.successors(s)}
            assert image_successors == successor_images


def test_distinct_states_are_distinct_orbits():
    cfg = Config(N=3, home=(0, 1, 2))
    model, sample = reachable_sample(cfg, limit=800, every=1)
    keys = {model.encode(s) for s in sample}
    orbits = {model.canonical_key(s) for s in sample}
    # each orbit has at most |group| members, and every key lies in exactly one orbit
    assert len(orbits) >= len(keys) / 6
    for a, b in itertools.combinations(sample[:60], 2):
        same_orbit = any(model.encode(permute(cfg, a, sym)) == model.encode(b)
                         for sym in automorphisms(cfg))
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
    assert full.distinct_states / 2 <= reduced.distinct_states < full.distinct_states
    assert reduced.max_depth == full.max_depth


def test_fingerprints_give_the_exact_reduced_count_on_a_heartbeat_configuration():
    cfg = Config(N=3, home=(0, 1, 2), crashes=1)
    model = HeartbeatModel(cfg)
    exact = explore(model, [], max_states=20_000).statistics
    hashed = explore(model, [], max_states=20_000, fingerprint=True).statistics
    assert (exact.distinct_states, exact.transitions) == (hashed.distinct_states, hashed.transitions)
    assert hashed.bytes_per_state < exact.bytes_per_state


@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_decoding_a_key_gives_back_the_state(cfg):
    model, sample = reachable_sample(cfg, limit=1500)
    for s in sample:
        assert model.decode(model.encode(s)) == s
        canonical = model.decode(model.canonical_key(s))
        assert model.canonical_key(canonical) == model.canonical_key(s)
