"""Partial-order reduction of layer T's instantaneous steps (docs/reduction.md, "Under time").

A SELF(j) that pops one of j's own `starting`, `ip-request` or `ip-request-resp` messages,
or a `resource` message of its own whose claim it holds already, is an *idle pop*
(`model.kernel.idle_pop`): it changes nothing but the head of j's own
queue, starts and stops no clock, and has to happen at the instant its message was sent,
since no time passes while an own message waits. Once no crash is left, nothing can
disable it. So every other step taken before it happens at the same instant and commutes
with it, and the only successor kept of a state with such a pop enabled is that pop.
DELIVER's idle pops are not instantaneous (a delivery takes dmin..dmax), so they are not
reduced here.
"""

from __future__ import annotations

from numba import njit

from hacheck.model.rules import A_SELF
from hacheck.model.kernel import idle_pop


@njit(cache=True)
def keep_instantaneous_pops(k, rows, kinds, arg_a, slots, out, action, counts, reduced):
    """For each source row r (successors at out[r*slots:][:counts[r]]): if one successor is
    an instantaneous idle pop and there are others, keep only the first such pop."""
    for r in range(counts.shape[0]):
        reduced[r] = False
        n = counts[r]
        if n < 2:
            continue
        first = r * slots
        for x in range(first, first + n):
            a = action[x]
            if kinds[a] == A_SELF and idle_pop(k, rows[r], A_SELF, arg_a[a], 0):
                if x != first:
                    out[first] = out[x]
                    action[first] = a
                counts[r] = 1
                reduced[r] = True
                break
