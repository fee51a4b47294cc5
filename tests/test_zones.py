"""Difference-bound matrices (checker/zones.py): the operations the timed search uses."""

from __future__ import annotations

import numpy as np

from hacheck.checker import zones
from hacheck.checker.zones import INF, constrain, le, lt


def two_clocks_after(delay_bound: int) -> np.ndarray:
    """Two clocks reset together, then time passes up to `delay_bound`."""
    z = zones.zero(2)
    zones.up(z)
    assert constrain(z, 1, 0, le(delay_bound))
    return z


def test_time_passing_keeps_clocks_reset_together_equal():
    z = two_clocks_after(5)
    assert z[1, 2] == le(0) and z[2, 1] == le(0)      # x1 - x2 = 0
    assert z[2, 0] == le(5)                             # the bound on x1 reaches x2


def test_a_lower_bound_above_the_upper_bound_empties_the_zone():
    z = two_clocks_after(5)
    assert constrain(z, 0, 1, le(-5))                   # x1 >= 5: still possible
    assert not constrain(z, 0, 2, lt(-5))               # x2 > 5: impossible


def test_a_reset_clock_starts_at_zero_and_an_old_one_keeps_its_value():
    z = two_clocks_after(5)
    constrain(z, 0, 1, le(-3))                          # x1 in [3, 5]
    moved = zones.transfer(z, np.array([1, 0], dtype=np.int64))   # keep x1, new clock
    assert moved[0, 2] == le(0) and moved[2, 0] == le(0)
    assert moved[1, 2] == le(5) and moved[2, 1] == le(-3)         # x1 - new in [3, 5]


def test_inclusion_is_elementwise_on_closed_zones():
    small, large = two_clocks_after(3), two_clocks_after(5)
    assert zones.included(small, large) and not zones.included(large, small)


def test_extrapolation_forgets_bounds_beyond_the_largest_constant():
    z = zones.zero(1)
    zones.up(z)
    constrain(z, 0, 1, le(-20))                         # x >= 20
    zones.extrapolate(z, np.array([0, 10], dtype=np.int64))
    assert z[0, 1] == lt(-10) and z[1, 0] == INF        # x > 10: all the same to guards
