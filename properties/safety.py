"""S1, no group held twice (model.md section 6): in every reachable state, every group is
run by at most one node. Down nodes own nothing, so this is about live nodes."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from hacheck.checker import always
from hacheck.model.row import OWN
from hacheck.model.state import K_N, geometry, node


def doubly_held(state) -> int:
    """The mask of groups run by two or more nodes (of a readable state)."""
    seen = twice = 0
    for mask in state.own:
        twice |= seen & mask
        seen |= mask
    return twice


@njit(cache=True, parallel=True)
def _doubly_held_rows(k, rows, out):
    for r in prange(rows.shape[0]):
        seen = 0
        twice = 0
        for i in range(k[K_N]):
            mask = rows[r, node(k, i) + OWN]
            twice |= seen & mask
            seen |= mask
        out[r] = twice != 0


def no_group_held_twice(state) -> bool:
    return doubly_held(state) == 0


def S1(cfg):
    k = geometry(cfg)   # the offsets of `own` do not depend on the queue capacity

    def violated(rows: np.ndarray) -> np.ndarray:
        out = np.empty(len(rows), dtype=np.bool_)
        _doubly_held_rows(k, rows, out)
        return out

    def explain(state) -> str:
        twice = doubly_held(state)
        parts = []
        for g in range(cfg.G):
            if twice >> g & 1:
                holders = [i for i in range(cfg.N) if state.own[i] >> g & 1]
                parts.append(f"group g{g} is held by nodes {', '.join(map(str, holders))}")
        return "; ".join(parts)

    return always("S1", "no resource group is held by two nodes at once",
                  no_group_held_twice, explain, violated=violated, reads={"own"},
                  upward_closed=True)   # a group held twice stays so as others are taken
