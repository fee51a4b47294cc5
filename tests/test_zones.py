"""Difference-bound matrices (checker/zones.py): the operations the timed search uses."""

from __future__ import annotations

import numpy as np
import pytest

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


# --- every operation, on zones written out by hand -------------------------------------------

def matrix(n_clocks: int, bounds: dict) -> np.ndarray:
    """A DBM over clocks >= 0 with the given entries {(i, j): bound of x_i - x_j} and no
    other bound; not closed unless the entries already are."""
    z = np.full((n_clocks + 1, n_clocks + 1), INF, dtype=np.int64)
    for i in range(n_clocks + 1):
        z[i, i] = le(0)
    for j in range(1, n_clocks + 1):
        z[0, j] = le(0)
    for (i, j), bound in bounds.items():
        z[i, j] = bound
    return z


def base() -> np.ndarray:
    """x1 in [1, 8], x2 in [2, 9], x1 - x2 in [-5, 4]: closed, and every entry has slack,
    so tightening any one entry by one unit (or by strictness) leaves it closed."""
    return matrix(2, {(1, 0): le(8), (0, 1): le(-1), (2, 0): le(9), (0, 2): le(-2),
                      (1, 2): le(4), (2, 1): le(5)})


def test_closing_a_closed_zone_changes_nothing_and_says_it_is_not_empty():
    z = base()
    assert zones.close(z)
    assert (z == base()).all()


def test_closing_derives_a_difference_through_the_reference_clock():
    z = matrix(2, {(1, 0): le(5), (0, 2): le(-3)})     # x1 <= 5, x2 >= 3
    assert zones.close(z)
    assert z[1, 2] == le(2)                             # so x1 - x2 <= 2
    assert z[2, 1] == INF                               # x2 unbounded above: no x2 - x1 bound


def test_closing_derives_bounds_on_a_clock_from_a_difference():
    z = matrix(2, {(1, 2): le(-3), (2, 0): le(5)})    # x1 <= x2 - 3, x2 <= 5
    assert zones.close(z)
    assert z[1, 0] == le(2)                             # x1 <= 2
    assert z[0, 2] == le(-3)                            # x2 >= x1 + 3 >= 3


def test_closing_keeps_a_clock_unbounded_when_its_only_bound_goes_through_an_unbounded_one():
    z = matrix(2, {(1, 2): le(-3)})                    # x1 <= x2 - 3, x2 unbounded
    assert zones.close(z)
    assert z[1, 0] == INF and z[2, 0] == INF
    assert z[0, 2] == le(-3)


def test_closing_adds_a_strict_and_a_non_strict_bound_into_a_strict_one():
    z = matrix(2, {(1, 0): lt(5), (0, 2): le(-3)})     # x1 < 5, x2 >= 3
    assert zones.close(z)
    assert z[1, 2] == lt(2)                             # x1 - x2 < 2
    z = matrix(2, {(1, 0): lt(5), (0, 2): lt(-3)})     # x1 < 5, x2 > 3
    assert zones.close(z)
    assert z[1, 2] == lt(2)


@pytest.mark.parametrize("upper, lower, empty", [
    (le(3), le(-3), False),      # x1 <= 3 and x1 >= 3: the point 3
    (lt(3), le(-3), True),       # x1 < 3 and x1 >= 3
    (le(3), lt(-3), True),       # x1 <= 3 and x1 > 3
    (le(2), le(-3), True),       # x1 <= 2 and x1 >= 3
])
def test_closing_tells_an_empty_zone_by_its_bounds_and_their_strictness(upper, lower, empty):
    z = matrix(1, {(1, 0): upper, (0, 1): lower})
    assert zones.close(z) is (not empty)


@pytest.mark.parametrize("upper, lower, empty", [
    (le(3), le(-3), False),
    (lt(3), le(-3), True),
    (le(3), lt(-3), True),
    (le(2), le(-3), True),
])
def test_constraining_tells_an_empty_zone_by_its_bounds_and_their_strictness(upper, lower, empty):
    z = matrix(1, {(1, 0): upper})
    assert zones.constrain(z, 0, 1, lower) is (not empty)
    z = matrix(1, {(0, 1): lower})
    assert zones.constrain(z, 1, 0, upper) is (not empty)


def test_constraining_with_a_looser_bound_changes_nothing():
    for i, j in [(1, 0), (0, 1), (1, 2), (2, 1)]:
        z = base()
        assert constrain(z, i, j, z[i, j] + 4)
        assert (z == base()).all(), (i, j)


def test_a_lower_bound_on_a_clock_reaches_a_clock_reset_with_it_and_no_other():
    z = zones.zero(3)
    zones.up(z)
    assert constrain(z, 0, 3, le(0))                    # no-op on x3
    z = zones.transfer(z, np.array([1, 2, 0], dtype=np.int64))
    assert constrain(z, 0, 1, le(-3))                   # x1 >= 3
    assert z[0, 1] == le(-3) and z[0, 2] == le(-3)     # x2 = x1, so x2 >= 3
    assert z[0, 3] == le(0)                             # x3 = 0: no lower bound
    assert z[2, 1] == le(0) and z[1, 2] == le(0)


def test_a_lower_bound_on_one_free_clock_says_nothing_about_another():
    z = matrix(2, {})
    assert constrain(z, 0, 1, le(-3))                   # x1 >= 3
    assert z[0, 1] == le(-3)
    assert z[0, 2] == le(0)
    assert z[1, 0] == INF and z[2, 0] == INF and z[1, 2] == INF and z[2, 1] == INF


def test_a_strict_upper_bound_reaches_a_clock_reset_with_it_strictly():
    z = two_clocks_after(9)
    assert constrain(z, 1, 0, lt(5))                    # x1 < 5
    assert z[1, 0] == lt(5) and z[2, 0] == lt(5)
    assert not constrain(z.copy(), 0, 2, le(-5))        # x2 >= 5 is then impossible
    assert constrain(z, 0, 2, lt(-4))                   # x2 > 4 is not


@pytest.mark.parametrize("i, j, bound", [
    (1, 2, le(-2)), (1, 2, lt(-2)), (2, 1, le(-3)), (1, 0, le(3)), (0, 2, lt(-7)),
    (2, 0, le(2)), (0, 1, le(-6)),
])
def test_constraining_gives_the_closure_of_the_zone_with_the_new_bound(i, j, bound):
    z = base()
    expected = base()
    expected[i, j] = min(expected[i, j], bound)
    assert zones.close(expected)
    assert constrain(z, i, j, bound)
    assert (z == expected).all()


def test_time_passing_frees_every_upper_bound_and_keeps_the_rest():
    z = base()
    zones.up(z)
    expected = base()
    expected[1, 0] = expected[2, 0] = INF
    assert (z == expected).all()                        # z[0, 0] stays <= 0


def test_a_transfer_can_reorder_clocks_and_forget_some():
    swapped = zones.transfer(base(), np.array([2, 1], dtype=np.int64))
    assert (swapped == matrix(2, {(1, 0): le(9), (0, 1): le(-2), (2, 0): le(8),
                                  (0, 2): le(-1), (1, 2): le(5), (2, 1): le(4)})).all()
    kept = zones.transfer(base(), np.array([2], dtype=np.int64))
    assert (kept == matrix(1, {(1, 0): le(9), (0, 1): le(-2)})).all()


def test_a_transfer_puts_a_reset_clock_first_at_zero_against_the_old_ones():
    moved = zones.transfer(base(), np.array([0, 2], dtype=np.int64))
    assert moved[1, 0] == le(0) and moved[0, 1] == le(0)     # the new clock is 0
    assert moved[2, 0] == le(9) and moved[0, 2] == le(-2)    # x2 kept
    assert moved[1, 2] == le(-2) and moved[2, 1] == le(9)    # new - x2 in [-9, -2]
    assert (np.diag(moved) == le(0)).all()


def extrapolated(z, ceiling):
    zones.extrapolate(z, np.array(ceiling, dtype=np.int64))
    return z


@pytest.mark.parametrize("upper, after", [
    (le(20), INF),       # beyond the ceiling: forgotten
    (le(11), INF),
    (lt(11), INF),       # x < 11 is still beyond <= 10
    (le(10), le(10)),    # at the ceiling: kept
    (lt(10), lt(10)),
    (le(3), le(3)),
])
def test_extrapolation_forgets_an_upper_bound_only_beyond_the_ceiling(upper, after):
    z = extrapolated(matrix(1, {(1, 0): upper}), [0, 10])
    assert z[1, 0] == after and z[0, 1] == le(0)


@pytest.mark.parametrize("lower, after", [
    (le(-20), lt(-10)),  # x >= 20 becomes x > 10
    (le(-11), lt(-10)),
    (lt(-10), lt(-10)),  # x > 10 is already that
    (le(-10), le(-10)),  # x >= 10 is a bound guards can tell: kept
    (le(-3), le(-3)),
])
def test_extrapolation_raises_a_lower_bound_beyond_the_ceiling_to_above_the_ceiling(lower, after):
    z = extrapolated(matrix(1, {(0, 1): lower}), [0, 10])
    assert z[0, 1] == after and z[1, 0] == INF


def test_extrapolation_forgets_a_difference_larger_than_the_first_clocks_ceiling():
    z = extrapolated(matrix(2, {(1, 2): le(20)}), [0, 10, 10])   # x1 - x2 <= 20
    assert (z == matrix(2, {})).all()
    z = extrapolated(matrix(2, {(1, 2): le(10)}), [0, 10, 10])   # x1 - x2 <= 10: kept
    assert z[1, 2] == le(10)


def test_extrapolation_raises_a_difference_below_minus_the_second_clocks_ceiling():
    z = matrix(2, {(1, 2): le(-20)})                   # x2 >= x1 + 20
    assert zones.close(z)                              # hence x2 >= 20
    z = extrapolated(z, [0, 10, 10])
    assert z[1, 2] == lt(-10) and z[0, 2] == lt(-10)
    assert z[0, 1] == le(0) and z[2, 1] == INF


@pytest.mark.parametrize("bound, ceiling, entry, closed_value", [
    # x1 = x2 >= 20; x1's bound is raised to > 10, but x2 >= 20 still implies x1 >= 20
    ((0, 1, le(-20)), [0, 10, 30], (0, 1), le(-20)),
    # x1 = x2 <= 20; x1's bound is forgotten, but x2 <= 20 still implies x1 <= 20
    ((1, 0, le(20)), [0, 10, 30], (1, 0), le(20)),
])
def test_extrapolation_leaves_the_zone_closed(bound, ceiling, entry, closed_value):
    z = zones.zero(2)
    zones.up(z)
    assert constrain(z, *bound)
    z = extrapolated(z, ceiling)
    assert z[entry] == closed_value
    again = z.copy()
    assert zones.close(again) and (again == z).all()


INCLUSION_ENTRIES = [(0, 1), (0, 2),    # lower bounds of x1, x2
                     (1, 0), (2, 0),    # upper bounds
                     (1, 2), (2, 1)]    # differences


@pytest.mark.parametrize("i, j", INCLUSION_ENTRIES)
@pytest.mark.parametrize("tighter", [lambda b: b - 2, lambda b: b - 1],
                         ids=["one-less", "strict"])
def test_a_zone_tighter_in_one_entry_is_included_and_not_conversely(i, j, tighter):
    large = base()
    small = base()
    small[i, j] = tighter(small[i, j])                 # still closed (base has slack)
    assert zones.included(small, large)
    assert not zones.included(large, small)


def test_zones_that_differ_only_in_lower_bounds_are_ordered_by_them():
    late, early = zones.zero(1), zones.zero(1)
    zones.up(late)
    zones.up(early)
    assert constrain(late, 0, 1, le(-5))               # x >= 5
    assert constrain(early, 0, 1, le(-3))              # x >= 3
    assert zones.included(late, early) and not zones.included(early, late)


def test_zones_that_differ_only_in_a_difference_are_ordered_by_it():
    near = matrix(2, {(1, 2): le(1), (2, 1): le(1)})   # |x1 - x2| <= 1
    far = matrix(2, {(1, 2): le(3), (2, 1): le(1)})    # x1 - x2 in [-1, 3]
    assert zones.included(near, far) and not zones.included(far, near)
    far = matrix(2, {(1, 2): le(1), (2, 1): le(3)})    # x1 - x2 in [-3, 1]
    assert zones.included(near, far) and not zones.included(far, near)


def test_a_zone_is_included_in_itself():
    assert zones.included(base(), base())


def test_a_permuted_zone_lists_the_clocks_in_the_order_given():
    z = matrix(3, {(1, 0): le(1), (2, 0): le(2), (3, 0): le(3), (0, 3): le(-1),
                   (1, 2): le(-1), (3, 1): le(2)})
    assert zones.close(z)
    p = zones.permuted(z, [2, 3, 1])                   # new x1, x2, x3 = old x2, x3, x1
    for a, old_a in enumerate([0, 2, 3, 1]):
        for b, old_b in enumerate([0, 2, 3, 1]):
            assert p[a, b] == z[old_a, old_b], (a, b)
    assert p[1, 0] == le(2) and p[2, 0] == le(3) and p[0, 2] == le(-1)
    assert p.flags.c_contiguous


def test_a_permuted_zone_may_leave_clocks_out():
    p = zones.permuted(base(), [2])
    assert (p == matrix(1, {(1, 0): le(9), (0, 1): le(-2)})).all()


# --- several upper bounds at once (the obligations of a state) ------------------------------

def random_zone(rng, n_clocks: int) -> np.ndarray:
    """A closed zone reached as the timed search reaches them: clocks reset at different
    times, time passing, and a few random bounds."""
    z = zones.zero(n_clocks)
    for _ in range(int(rng.integers(1, 5))):
        zones.up(z)
        for _ in range(int(rng.integers(0, 3))):
            i, j = (int(x) for x in rng.choice(n_clocks + 1, 2, replace=False))
            bound = int(rng.integers(-8, 12))
            if not constrain(z.copy(), i, j, bound):
                continue
            constrain(z, i, j, bound)
        source = rng.integers(0, n_clocks + 1, n_clocks)   # some clocks reset, some kept
        z = zones.transfer(z, source.astype(np.int64))
    return z


@pytest.mark.parametrize("seed", range(40))
def test_bounding_clocks_from_above_at_once_is_constraining_them_one_by_one(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 7))
    z = random_zone(rng, n)
    bound = np.full(n + 1, INF, dtype=np.int64)
    for c in range(1, n + 1):
        if rng.random() < 0.6:
            bound[c] = int(rng.integers(0, 16))       # le or lt of 0..7
    expected, ok = z.copy(), True
    for c in range(1, n + 1):
        if ok and bound[c] < INF:
            ok = constrain(expected, c, 0, bound[c])
    got = z.copy()
    assert zones.bound_above(got, bound, np.empty(n + 1, dtype=np.int64)) is ok
    if ok:
        assert (got == expected).all()


def test_bounding_no_clock_from_above_changes_nothing():
    z = base()
    assert zones.bound_above(z, np.full(3, INF, dtype=np.int64), np.empty(3, dtype=np.int64))
    assert (z == base()).all()


# --- LU extrapolation, closed again incrementally --------------------------------------------

def extra_lu_by_definition(z, lower, upper):
    """Extra+_LU as the paper states it, entry by entry on the original zone, then the
    full Floyd-Warshall closure."""
    n = z.shape[0]
    out = z.copy()
    for i in range(n):
        for j in range(n):
            v = z[i, j]
            if i == j or v >= INF:
                continue
            if i > 0 and (v >> 1 > lower[i] or -(z[0, i] >> 1) > lower[i]
                          or (j > 0 and -(z[0, j] >> 1) > upper[j])):
                out[i, j] = INF
            elif i == 0 and -(v >> 1) > upper[j]:     # x_j >= 0 says nothing
                out[0, j] = lt(-upper[j]) if upper[j] >= 0 else zones.LE_ZERO
    zones.close(out)
    return out


def test_lu_extrapolation_closed_incrementally_is_the_full_closure_of_its_definition():
    rng = np.random.default_rng(7)
    changed_zones = 0
    for _ in range(400):
        n = int(rng.integers(1, 8))
        z = random_zone(rng, n)
        lower = np.concatenate(([0], rng.integers(-1, 6, n))).astype(np.int64)
        upper = np.concatenate(([0], rng.integers(-1, 6, n))).astype(np.int64)
        lower[lower < 0] = zones.NO_BOUND          # never compared from that side
        upper[upper < 0] = zones.NO_BOUND
        expected = extra_lu_by_definition(z, lower, upper)
        changed_zones += not (expected == z).all()
        # in a larger scratch matrix, as the timed kernel calls it
        got = np.full((n + 3, n + 3), 99, dtype=np.int64)
        got[:n + 1, :n + 1] = z
        zones.extrapolate_lu(got, lower, upper, np.empty(n + 1, dtype=np.int64),
                             np.empty((n + 1) ** 2, dtype=np.int64), n + 1)
        assert (got[:n + 1, :n + 1] == expected).all()
        assert (got[n + 1:] == 99).all() and (got[:, n + 1:] == 99).all()
    assert changed_zones > 50        # the extrapolation had work to do


def test_lu_extrapolation_forgets_what_a_clock_never_compared_from_a_side_tells():
    # x1 in [2, 3], x2 = x1 - 1: x1 is never compared from below (its upper bounds and
    # differences go), x2 never from above (its lower bound goes)
    z = zones.zero(1)
    zones.up(z)
    assert constrain(z, 1, 0, le(1)) and constrain(z, 0, 1, le(-1))
    z = zones.transfer(z, np.array([1, 0], dtype=np.int64))
    zones.up(z)
    assert constrain(z, 1, 0, le(3)) and constrain(z, 0, 1, le(-2))
    lower = np.array([0, zones.NO_BOUND, 5], dtype=np.int64)
    upper = np.array([0, 5, zones.NO_BOUND], dtype=np.int64)
    zones.extrapolate_lu(z, lower, upper, np.empty(3, dtype=np.int64),
                         np.empty(9, dtype=np.int64))
    assert z[1, 0] == INF and z[1, 2] == INF     # x1's upper bound and x1 - x2
    assert z[0, 2] == zones.LE_ZERO              # x2 >= 0 only
    assert z[0, 1] == le(-2) and z[2, 0] == le(2) and z[2, 1] == le(-1)


# --- aLU inclusion (the passed list's) --------------------------------------------------------

QUARTERS = 4      # valuations on a grid of quarters: every region of up to 3 clocks


def scaled(z: np.ndarray, factor: int) -> np.ndarray:
    """The zone with every constant multiplied by `factor`."""
    out = z.copy()
    finite = z < INF
    out[finite] = (z[finite] >> 1) * factor * 2 + (z[finite] & 1)
    return out


def members(z: np.ndarray, top: int) -> np.ndarray:
    """The valuations of z (already scaled) with coordinates 0..top, as rows."""
    n = z.shape[0] - 1
    grid = np.stack(np.meshgrid(*[np.arange(top + 1)] * n, indexing="ij"), -1).reshape(-1, n)
    v = np.concatenate((np.zeros((len(grid), 1), dtype=np.int64), grid), axis=1)
    ok = np.ones(len(v), dtype=bool)
    for i in range(n + 1):
        for j in range(n + 1):
            b = z[i, j]
            if i != j and b < INF:
                d = v[:, i] - v[:, j]
                ok &= (d <= b >> 1) if b & 1 else (d < b >> 1)
    return grid[ok]


def simulated_by(v, b: np.ndarray, lower, upper) -> bool:
    """Some valuation of b LU-simulates v (all scaled): a clock of it may be smaller than
    v's only above L, larger only where v's is above U. One interval per clock, so a
    zone question."""
    z = b.copy()
    for x in range(1, len(v) + 1):
        value, low, high = int(v[x - 1]), lower[x], upper[x]
        if low >= 0 and value <= low:
            ok = constrain(z, 0, x, le(-value))
        elif low >= 0:
            ok = constrain(z, 0, x, lt(-low))
        else:
            ok = True
        if ok and high >= 0 and value <= high:
            ok = constrain(z, x, 0, le(value))
        if not ok:
            return False
    return True


def alu_included_by_definition(a, b, lower, upper) -> bool:
    """Every valuation of a (on the grid of quarters) is LU-simulated by one of b."""
    factor = QUARTERS
    sa, sb = scaled(a, factor), scaled(b, factor)
    lo = np.array([x * factor if x >= 0 else x for x in lower], dtype=np.int64)
    hi = np.array([x * factor if x >= 0 else x for x in upper], dtype=np.int64)
    return all(simulated_by(v, sb, lo, hi) for v in members(sa, 7 * factor))


def small_zone(rng, n: int) -> np.ndarray:
    """A closed zone with small constants (all of them below 7)."""
    while True:
        z = random_zone(rng, n)
        if all(constrain(z, c, 0, le(6)) for c in range(1, n + 1)):
            return z


@pytest.mark.parametrize("n", [1, 2, 3])
def test_alu_inclusion_is_its_definition_valuation_by_valuation(n):
    rng = np.random.default_rng(100 + n)
    seen = {True: 0, False: 0}
    coarser = 0
    for _ in range({1: 300, 2: 300, 3: 150}[n]):
        a, b = small_zone(rng, n), small_zone(rng, n)
        if rng.random() < 0.3:                # b a little larger than a: the usual case
            b = a.copy()
            i, j = (int(x) for x in rng.choice(n + 1, 2, replace=False))
            b[i, j] = INF if rng.random() < 0.5 else b[i, j] + 2
            zones.close(b)
        choices = [zones.NO_BOUND, 0, 1, 2, 3]
        lower = np.array([0] + [choices[x] for x in rng.integers(0, 5, n)], dtype=np.int64)
        upper = np.array([0] + [choices[x] for x in rng.integers(0, 5, n)], dtype=np.int64)
        got = zones.alu_included(a, b, lower, upper, n + 1)
        assert got == alu_included_by_definition(a, b, lower, upper), (a, b, lower, upper)
        seen[got] += 1
        coarser += got and not zones.included(a, b)
    assert min(seen.values()) > 5 and coarser > 2     # both answers, and coarser than inclusion


def test_a_zone_is_alu_included_in_any_zone_it_is_included_in():
    rng = np.random.default_rng(5)
    for _ in range(200):
        n = int(rng.integers(1, 6))
        a = random_zone(rng, n)
        b = a.copy()
        b[int(rng.integers(1, n + 1)), 0] = INF
        zones.close(b)
        lower = np.concatenate(([0], rng.integers(-1, 6, n))).astype(np.int64)
        upper = np.concatenate(([0], rng.integers(-1, 6, n))).astype(np.int64)
        assert zones.alu_included(a, b, lower, upper, n + 1)
        assert zones.alu_included(a, a, lower, upper, n + 1)


def test_two_clocks_far_apart_are_one_zone_to_a_clock_compared_with_nothing():
    # x1 >= 3 and x1 - x2 = 0, or x1 - x2 = 3: they differ only in x2, which nothing
    # compares: one zone for aLU, two for inclusion
    def zone(gap):
        z = zones.zero(1)
        zones.up(z)
        assert constrain(z, 1, 0, le(gap)) and constrain(z, 0, 1, le(-gap))
        z = zones.transfer(z, np.array([1, 0], dtype=np.int64))    # x2 starts at x1 = gap
        zones.up(z)
        assert constrain(z, 0, 1, le(-3))
        return z
    near, far = zone(0), zone(3)
    lower = np.array([0, 2, zones.NO_BOUND], dtype=np.int64)
    upper = np.array([0, 2, zones.NO_BOUND], dtype=np.int64)
    assert not zones.included(far, near)
    assert zones.alu_included(far, near, lower, upper, 3)
    assert zones.alu_included(near, far, lower, upper, 3)
    lower[2] = upper[2] = 1                    # compared with 1: now they differ
    assert not zones.alu_included(far, near, lower, upper, 3)


def test_the_passed_list_tells_alu_inclusion_on_its_int16_encoding_as_the_zones_do():
    from hacheck.checker.zonestore import INF16, NO_BOUND16, _alu_included16
    rng = np.random.default_rng(11)

    def int16(z):
        return np.where(z >= INF, INF16, z).astype(np.int16).ravel()

    agree = {True: 0, False: 0}
    for _ in range(300):
        n = int(rng.integers(1, 6))
        a, b = random_zone(rng, n), random_zone(rng, n)
        lower = np.concatenate(([0], rng.integers(-1, 8, n))).astype(np.int64)
        upper = np.concatenate(([0], rng.integers(-1, 8, n))).astype(np.int64)
        lower[lower < 0] = zones.NO_BOUND
        upper[upper < 0] = zones.NO_BOUND
        lu = np.where(np.concatenate((lower[1:], upper[1:])) < 0, NO_BOUND16,
                      np.concatenate((lower[1:], upper[1:]))).astype(np.int16)
        expected = zones.alu_included(a, b, lower, upper, n + 1)
        # at an offset in larger heaps, as the passed list keeps them
        heap_a = np.concatenate((np.full(3, 7, np.int16), int16(a)))
        heap_b = np.concatenate((np.full(5, 7, np.int16), int16(b)))
        assert _alu_included16(heap_a, 3, heap_b, 5, n + 1, lu, 0) == expected
        agree[expected] += 1
    assert min(agree.values()) > 20


def test_a_clock_strictly_beyond_its_upper_constant_may_be_simulated_by_a_larger_value():
    # x1 in (2, 5] is simulated by x1 = 3 when U(x1) = 2: past U a larger value does
    # as well, and 3 > L(x1) = 2 may stand for anything above it
    def interval(lower_bound, upper_bound):
        z = zones.zero(1)
        zones.up(z)
        assert constrain(z, 0, 1, lower_bound) and constrain(z, 1, 0, upper_bound)
        return z
    a, b = interval(lt(-2), le(5)), interval(le(-3), le(5))
    bounds = np.array([0, 2], dtype=np.int64)
    assert not zones.included(a, b)
    assert zones.alu_included(a, b, bounds, bounds, 2)
    assert alu_included_by_definition(a, b, bounds, bounds)
    closed = interval(le(-2), le(5))                 # x1 = 2 is not past U
    assert not zones.alu_included(closed, b, bounds, bounds, 2)
    assert not alu_included_by_definition(closed, b, bounds, bounds)
