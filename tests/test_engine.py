"""The explorer on tiny fixture models with state counts known by hand."""

import pytest

from hacheck.checker import Verdict, always, explore
from hacheck.checker.stopping import Budget
from hacheck.checker.verdict import ExitCode

from fixture_models import Counter, Grid, Ignoring, TwoRoads

NEVER_X = always("NX", "never reach X", lambda s: s[0] != "X")
TRUE = always("T", "true", lambda s: True)


def test_a_counter_to_five_has_six_states_five_transitions_and_depth_five():
    result = explore(Counter(5), [TRUE])
    stats = result.statistics
    assert (stats.distinct_states, stats.transitions, stats.max_depth) == (6, 5, 5)
    assert stats.complete and result.properties[0].verdict is Verdict.HOLDS
    assert result.exit_code is ExitCode.OK


def test_a_three_by_three_grid_has_sixteen_states_and_twenty_four_transitions():
    stats = explore(Grid(3), [TRUE], symmetry=False).statistics
    assert (stats.distinct_states, stats.transitions, stats.max_depth) == (16, 24, 6)


def test_symmetry_reduction_stores_one_state_per_orbit_of_the_grid():
    assert explore(Grid(3), [TRUE], symmetry=True).statistics.distinct_states == 10


def test_the_shortest_counterexample_is_reported_even_when_a_longer_road_is_listed_first():
    result = explore(TwoRoads(), [NEVER_X])
    prop = result.properties[0]
    assert prop.verdict is Verdict.VIOLATED
    assert [step.action for step in prop.trace.steps] == ["short", "go", "go"]
    assert prop.trace.final == ("X", 0)
    assert result.exit_code is ExitCode.SAFETY_VIOLATED


def test_keep_going_explores_everything_and_counts_the_violating_states():
    at_least_two = always("LT2", "a + b < 2", lambda s: s[0] + s[1] < 2)
    result = explore(Grid(2), [at_least_two], symmetry=False, keep_going=True)
    # states of the 3x3 grid with a + b >= 2: 9 - 3 = 6
    assert result.statistics.distinct_states == 9 and result.statistics.complete
    assert result.properties[0].violating_states == 6
    assert result.properties[0].verdict is Verdict.VIOLATED


def test_a_search_cut_short_by_the_state_budget_is_incomplete_never_holds():
    result = explore(Counter(100), [TRUE], max_states=10)
    assert result.statistics.distinct_states == 10
    assert not result.statistics.complete
    assert result.properties[0].verdict is Verdict.INCOMPLETE
    assert result.exit_code is ExitCode.INCOMPLETE


@pytest.mark.parametrize("fingerprint", [False, True])
def test_a_depth_bound_stores_exactly_the_states_within_that_many_steps(fingerprint):
    # the 4x4 grid's states within d steps are those with a + b <= d
    for bound in range(7):
        result = explore(Grid(3), [TRUE], symmetry=False, fingerprint=fingerprint,
                         budget=Budget(max_depth=bound))
        stats = result.statistics
        within = sum(1 for a in range(4) for b in range(4) if a + b <= bound)
        assert (stats.distinct_states, stats.max_depth) == (within, bound)
        assert not stats.complete and "depth bound" in stats.stop_reason
        assert result.properties[0].verdict is Verdict.INCOMPLETE
        assert result.exit_code is ExitCode.INCOMPLETE


def test_a_depth_bound_beyond_the_deepest_state_leaves_the_search_complete():
    result = explore(Grid(3), [TRUE], symmetry=False, budget=Budget(max_depth=7))
    assert result.statistics.complete and result.statistics.distinct_states == 16
    assert result.properties[0].verdict is Verdict.HOLDS


def test_a_violation_within_the_depth_bound_is_found_with_its_shortest_trace():
    result = explore(TwoRoads(), [NEVER_X], budget=Budget(max_depth=3))
    assert result.properties[0].verdict is Verdict.VIOLATED
    assert len(result.properties[0].trace) == 3
    cut = explore(TwoRoads(), [NEVER_X], budget=Budget(max_depth=2))
    assert cut.properties[0].verdict is Verdict.INCOMPLETE


def test_a_violation_in_the_initial_state_has_an_empty_trace():
    result = explore(Counter(3), [always("P", "positive", lambda s: s > 0)])
    prop = result.properties[0]
    assert prop.verdict is Verdict.VIOLATED and len(prop.trace) == 0


def test_the_search_stops_at_the_first_violation_without_keep_going():
    result = explore(Counter(100), [always("P", "below 7", lambda s: s < 7)])
    assert result.statistics.distinct_states == 8
    assert result.statistics.stop_reason == "violation found"


def test_traces_replay_through_symmetric_images_to_a_real_path():
    # symmetry reduction is sound for symmetric properties only: this one is
    bad = always("B", "never 3 and 1", lambda s: sorted(s) != [1, 3])
    prop = explore(Grid(3), [bad], symmetry=True).properties[0]
    # whichever orbit member was stored, the replayed trace is a path from (0, 0)
    state = prop.trace.initial
    for step in prop.trace.steps:
        assert Grid(3).next_state(state, step.action) == step.state
        state = step.state
    assert state in {(3, 1), (1, 3)} and len(prop.trace) == 4


def test_fingerprint_mode_finds_the_same_states_and_reports_its_collision_bound():
    exact = explore(Grid(6), [TRUE], symmetry=False)
    hashed = explore(Grid(6), [TRUE], symmetry=False, fingerprint=True)
    assert hashed.statistics.distinct_states == exact.statistics.distinct_states == 49
    assert hashed.statistics.fingerprint and not exact.statistics.fingerprint
    n = 49
    assert hashed.statistics.collision_probability == n * (n - 1) / 2 / 2.0 ** 64
    assert exact.statistics.collision_probability == 0.0


def test_fingerprint_mode_still_reports_a_shortest_counterexample():
    prop = explore(TwoRoads(), [NEVER_X], fingerprint=True).properties[0]
    assert [step.action for step in prop.trace.steps] == ["short", "go", "go"]


def test_a_search_over_several_workers_gives_the_same_counts_and_trace_as_one():
    bad = always("B", "never 3 and 1", lambda s: sorted(s) != [1, 3])
    for keep_going in (False, True):
        one = explore(Grid(40), [bad], keep_going=keep_going, workers=1)
        two = explore(Grid(40), [bad], keep_going=keep_going, workers=2)
        assert one.statistics.distinct_states == two.statistics.distinct_states
        assert one.statistics.transitions == two.statistics.transitions
        assert one.properties[0].trace == two.properties[0].trace
        assert two.statistics.workers == 2


FLAG_CLEAR = always("F", "the flag stays clear", lambda s: s[1] == 0, reads={"flag"})


def test_the_cycle_proviso_keeps_a_reduced_search_from_ignoring_an_action():
    result = explore(Ignoring(), [FLAG_CLEAR], symmetry=False, reduce=True, keep_going=True)
    assert result.properties[0].verdict is Verdict.VIOLATED
    assert result.statistics.full_expansions > 0
    assert result.statistics.distinct_states == 6


def test_without_the_cycle_proviso_the_same_ample_sets_miss_the_violation():
    class Unsound(Ignoring):
        static_proviso = True    # claims its ample sets close no cycle, which is false

    result = explore(Unsound(), [FLAG_CLEAR], symmetry=False, reduce=True)
    assert result.properties[0].verdict is Verdict.HOLDS
    assert result.statistics.distinct_states == 3


def test_no_reduction_is_used_for_a_property_that_reads_what_the_reduction_hides():
    anything = always("A", "reads everything", lambda s: s[1] == 0)   # reads: unknown
    result = explore(Ignoring(), [anything], symmetry=False, reduce=True, keep_going=True)
    assert not result.reduction and result.statistics.reduced_states == 0
    assert result.statistics.distinct_states == 6


def test_a_model_without_ample_sets_is_never_searched_as_reduced():
    # the property reads nothing the reduction could hide, so only the model can say no
    result = explore(Counter(3), [always("small", "", lambda s: s < 10, reads=())],
                     reduce=True)
    assert not result.reduction and result.statistics.reduced_states == 0


def test_only_states_whose_ample_set_is_smaller_count_as_reduced():
    result = explore(Ignoring(), [FLAG_CLEAR], symmetry=False, reduce=True, keep_going=True)
    # A's three positions with the flag clear offer {A} of {A, B}; once set, {A} is all
    assert result.statistics.reduced_states == 3


def test_a_simple_models_symmetry_group_counts_the_identity():
    assert Grid(2).symmetry_group_size == 2 and Counter(2).symmetry_group_size == 1


def test_an_encoding_must_fit_the_row_and_long_keys_round_trip():
    class Sized(Counter):
        width = 600

        def __init__(self, size):
            super().__init__(2)
            self.size = size

        def encode(self, state):
            return bytes([state]) * self.size

        def decode_key(self, key):
            assert len(key) == self.size
            return key[0]
    for size in (300, 598):        # a length over 255 needs the second length byte
        result = explore(Sized(size), [always("small", "", lambda s: s < 10)],
                         keep_going=True)
        assert result.statistics.distinct_states == 3
        assert result.properties[0].verdict is Verdict.HOLDS
    with pytest.raises(ValueError, match="599 bytes does not fit a row of 600"):
        explore(Sized(599), [always("small", "", lambda s: s < 10)])


def test_ample_sets_that_keep_only_invariants_are_not_used_for_liveness():
    from hacheck.checker.properties import terminates
    result = explore(Ignoring(), [FLAG_CLEAR, terminates("T", "no endless cycle")],
                     symmetry=False, reduce=True, keep_going=True)
    assert not result.reduction and result.statistics.reduced_states == 0


class _Holder:
    def __init__(self, array):
        self.array = array


def test_a_store_array_grows_in_place_unless_a_view_of_it_is_alive():
    import numpy as np

    from hacheck.checker.store import grow
    alone = _Holder(np.arange(1000, dtype=np.int64))
    before = alone.array
    del before                              # nothing but the holder refers to it now
    identity = id(alone.array)
    grow(alone, "array", 1500)
    assert id(alone.array) == identity and len(alone.array) >= 1500
    assert (alone.array[:1000] == np.arange(1000)).all()

    viewed = _Holder(np.arange(1000, dtype=np.int64))
    view = viewed.array[:10]                # e.g. a checkpoint's snapshot being written
    identity = id(viewed.array)
    grow(viewed, "array", 1500)
    assert id(viewed.array) != identity and len(viewed.array) >= 1500    # a copy: the view
    assert (viewed.array[:1000] == np.arange(1000)).all() and (view == np.arange(10)).all()
    grow(viewed, "array", 10)               # room enough already: nothing changes
    assert len(viewed.array) >= 1500


def test_the_packages_load_a_name_only_when_it_is_asked_for():
    """`hacheck.checker` and `hacheck.model` load their names on first use
    (checker/lazy.py): the verdicts, the budget and a spec's configuration come without
    the compiler; a compiled name brings it; an unknown name is an AttributeError."""
    import subprocess
    import sys
    probe = (
        "import sys\n"
        "import hacheck.checker as checker, hacheck.model as model\n"
        "light = (checker.Verdict, checker.Budget, model.Config)\n"
        "print('numba' in sys.modules)\n"
        "try:\n"
        "    checker.no_such_name\n"
        "except AttributeError as error:\n"
        "    print(error)\n"
        "assert checker.explore is checker.explorer.explore\n"
        "print('numba' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "False", "module 'hacheck.checker' has no attribute 'no_such_name'", "True"]
