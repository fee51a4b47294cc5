"""A mutable working copy of a ClusterState, used inside one atomic action.

An action reads the immutable state, copies what it changes into a Draft, and freezes the
result. Nodes are copied only when touched (`node(i)`), so an action that changes one node
leaves the others shared with the previous state.
"""

from __future__ import annotations

from hacheck.model.state import ClusterState, NodeState


class NodeDraft:
    __slots__ = NodeState._fields

    def __init__(self, ns: NodeState):
        (self.ph, self.comm, self.heard, self.dead, self.rs, self.ih, self.oh, self.os,
         self.tip, self.rry, self.chld, self.md, self.selfq) = ns

    def freeze(self) -> NodeState:
        return NodeState(self.ph, self.comm, self.heard, self.dead, self.rs, self.ih, self.oh,
                         self.os, self.tip, self.rry, self.chld, self.md, self.selfq)


class Draft:
    __slots__ = ("cfg", "N", "nodes", "own", "rq", "ch", "conn",
                 "crashes_left", "restarts_left", "toggles_left")

    def __init__(self, cfg, s: ClusterState):
        self.cfg = cfg
        self.N = cfg.N
        self.nodes = list(s.nodes)
        self.own = list(s.own)
        self.rq = s.rq
        self.ch = list(s.ch)
        self.conn = s.conn
        self.crashes_left = s.crashes_left
        self.restarts_left = s.restarts_left
        self.toggles_left = s.toggles_left

    def node(self, i: int) -> NodeDraft:
        n = self.nodes[i]
        if not isinstance(n, NodeDraft):
            n = self.nodes[i] = NodeDraft(n)
        return n

    def ph(self, i: int) -> int:
        return self.nodes[i].ph

    def freeze(self) -> ClusterState:
        nodes = tuple(n.freeze() if isinstance(n, NodeDraft) else n for n in self.nodes)
        return ClusterState(nodes, tuple(self.own), self.rq, tuple(self.ch), self.conn,
                            self.crashes_left, self.restarts_left, self.toggles_left)
