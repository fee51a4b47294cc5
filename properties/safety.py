"""S1, no group held twice (model.md section 6): in every reachable state, every group is
run by at most one node. Down nodes own nothing, so this is about live nodes."""

from __future__ import annotations

from hacheck.checker import always


def doubly_held(state) -> int:
    """The mask of groups run by two or more nodes."""
    seen = twice = 0
    for mask in state.own:
        twice |= seen & mask
        seen |= mask
    return twice


def no_group_held_twice(state) -> bool:
    return doubly_held(state) == 0


def S1(cfg):
    def explain(state) -> str:
        twice = doubly_held(state)
        parts = []
        for g in range(cfg.G):
            if twice >> g & 1:
                holders = [i for i in range(cfg.N) if state.own[i] >> g & 1]
                parts.append(f"group g{g} is held by nodes {', '.join(map(str, holders))}")
        return "; ".join(parts)

    return always("S1", "no resource group is held by two nodes at once",
                  no_group_held_twice, explain)
