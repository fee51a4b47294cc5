"""L0's cycle search on Ray (`checker.ray_cycles`), on random graphs spread over shards
the way the Ray search spreads states, driven in-process (a stand-in for Ray's calls):
it finds a cycle exactly when the graph has one, and the depth it names bounds one."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from hacheck.checker.ray_cycles import CycleShard, deepest_cycle_level


class _Ref:
    def __init__(self, value):
        self.value = value


class _Method:
    """`actor.method.options(num_returns=n).remote(*args)`, run at once."""

    def __init__(self, method, returns=1):
        self.method, self.returns = method, returns

    def options(self, num_returns):
        return _Method(self.method, num_returns)

    def remote(self, *args):
        out = self.method(*(a.value if isinstance(a, _Ref) else a for a in args))
        if self.returns == 1:
            return _Ref(out)
        assert len(out) == self.returns
        return [_Ref(value) for value in out]


class _Actor:
    def __init__(self, shard):
        self.shard = shard

    def __getattr__(self, name):
        return _Method(getattr(self.shard, name))


class _InProcessRay:
    @staticmethod
    def get(refs):
        return [r.value for r in refs] if isinstance(refs, list) else refs.value


class _Shard(CycleShard):
    def __init__(self, number, shards, states, level_ends):
        self.number, self.shards = number, shards
        self.store = range(states)            # only its size is read
        self.level_ends = level_ends
        self._start_edges()


def spread(graph: nx.DiGraph, shards: int):
    """The graph's states reachable from 0, numbered as a breadth-first search numbers
    them and dealt out to shards (state k to shard k mod P, its k // P-th), with each
    shard's protocol edges; and each state's level."""
    level = nx.single_source_shortest_path_length(graph, 0)
    order = sorted(level, key=lambda v: (level[v], v))
    number = {v: k for k, v in enumerate(order)}
    depth = max(level.values())
    workers = []
    for q in range(shards):
        mine = [v for v in order if number[v] % shards == q]
        ends = [sum(1 for v in mine if level[v] <= d) for d in range(depth + 1)]
        shard = _Shard(q, shards, len(mine), ends)
        edges = [(number[u] // shards, number[v]) for u, v in graph.edges
                 if u in number and number[u] % shards == q]
        if edges:
            src, dst = zip(*edges)
            shard.edges.extend(np.array(src, dtype=np.int32), np.array(dst, dtype=np.int64))
        workers.append(_Actor(shard))
    return workers, {number[v]: level[v] for v in order}, number


@pytest.mark.parametrize("shards", [1, 2, 3])
@pytest.mark.parametrize("seed", range(40))
def test_a_cycle_is_found_exactly_when_the_graph_has_one(seed, shards):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 60))
    graph = nx.gnp_random_graph(n, float(rng.uniform(0.02, 0.12)), seed=seed, directed=True)
    if seed % 2:                    # half of them: only forward edges, plus perhaps one back
        graph = nx.DiGraph((u, v) for u, v in graph.edges if u < v)
        graph.add_node(0)
        if seed % 4 == 1 and graph.number_of_edges():
            u, v = max(graph.edges)
            graph.add_edge(v, u)
    reachable = graph.subgraph(nx.descendants(graph, 0) | {0})
    workers, level, number = spread(reachable, shards)
    depth = deepest_cycle_level(_InProcessRay, workers, lambda: None)
    if nx.is_directed_acyclic_graph(reachable):
        assert depth is None
    else:
        # the local search bounded at `depth` stores a cycle, with its edges
        assert depth is not None
        within = reachable.subgraph(v for v in reachable if level[number[v]] <= depth)
        assert not nx.is_directed_acyclic_graph(within)


def test_the_rounds_can_be_stopped():
    graph = nx.DiGraph([(0, 1), (1, 2), (2, 3), (3, 1)])
    workers, _, _ = spread(graph, 2)

    def stop():
        raise RuntimeError("stop")
    with pytest.raises(RuntimeError, match="stop"):
        deepest_cycle_level(_InProcessRay, workers, stop)
