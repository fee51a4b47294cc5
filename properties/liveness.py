"""L0 and L1 (model.md section 6): the protocol always finishes, and when it has, every
group is held.

- L0, no endless protocol activity: no cycle of protocol (non-environment) actions.
- L1, every group eventually held: in every reachable quiescent state in which some node
  is up and all up nodes are pairwise connected, every group is owned by an up node.
  (A group owned twice is S1's concern.)

Both assume that every enabled protocol action eventually happens and that no fault
happens after the last one in the run (`checker.properties.FAIRNESS`).
"""

from __future__ import annotations

from hacheck.checker.properties import at_quiescence, terminates
from hacheck.model.row import UP
from hacheck.model.view import pair_bit


def orphaned(cfg, state) -> list[int]:
    """The groups no up node owns, if the premise of L1 holds (else none)."""
    up = [i for i, n in enumerate(state.nodes) if n.ph == UP]
    if not up:
        return []
    if not all(state.conn & pair_bit(i, j, cfg.N) for i in up for j in up if i < j):
        return []
    held = 0
    for i in up:
        held |= state.own[i]
    return [g for g in range(cfg.G) if not held >> g & 1]


def L1(cfg):
    def explain(state) -> str:
        groups = orphaned(cfg, state)
        up = [i for i, n in enumerate(state.nodes) if n.ph == UP]
        return (f"the protocol has settled with nodes {', '.join(map(str, up))} up and "
                f"connected, and no node holds "
                + ", ".join(f"group g{g} (home node {cfg.home[g]})" for g in groups))

    return at_quiescence("L1", "every resource group is eventually held",
                         lambda state: not orphaned(cfg, state), explain)


def L0(cfg):
    return terminates("L0", "the protocol always finishes (no endless protocol activity)")


def liveness_properties(cfg) -> list:
    return [L0(cfg), L1(cfg)]
