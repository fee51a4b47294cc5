"""The compiled timed search (`checker.explore` over `model.timed_model`) against the
plain-Python reference it replaced (`reference_timed_search`), and the engine's witness
step, which makes a timed verdict final inside the search."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from hacheck.checker import Verdict, explore
from hacheck.checker.model import Model, Successors
from hacheck.checker.properties import always, at_quiescence, terminates
from hacheck.checker.zonestore import INF16
from hacheck.checker.stopping import Stopped
from hacheck.checker.verdict import Timing
from hacheck.model import Config
from hacheck.model.timed_model import TimedHeartbeatModel
from hacheck.model.timing import TimingParameters
from hacheck.properties import all_properties
from hacheck.witness import timestamps as timing
from reference_timed_model import TimedHeartbeat
from reference_timed_search import explore_timed

SMALL = TimingParameters(K=Fraction(1), D=Fraction(3), Q=Fraction(3), R=Fraction(3),
                         dmin=Fraction(0), dmax=Fraction(1), smax=Fraction(1))
CASES = {
    "no nice_failback, a crash and a restart": (
        Config(N=2, home=(0, 1), nice_failback=False, crashes=1, restarts=1), SMALL),
    "active/passive, no faults": (Config(N=2, home=(0,)), SMALL),
    "one node": (Config(N=1, home=(0,), crashes=1, restarts=1), TimingParameters()),
    "the environment's timing: a quiet period and a boot skew": (
        Config(N=2, home=(0, 1), crashes=1, restarts=1, quiet=Fraction(4),
               boot_skew=Fraction(1)), SMALL),
}


def outcome(result) -> list:
    return [(p.name, p.verdict, None if p.trace is None else len(p.trace))
            for p in result.properties]


def reference_reached(cfg, model: TimedHeartbeat, result, symmetry: bool) -> set[bytes]:
    rows = np.stack([np.frombuffer(ts.row, dtype=np.uint8) for ts in result.meta["states"]])
    if symmetry:
        rows = model.untimed.canonical(rows)
    return {r.tobytes() for r in rows}


@pytest.mark.parametrize("symmetry", [True, False], ids=["symmetry", "plain"])
@pytest.mark.parametrize("case", list(CASES))
def test_the_compiled_search_agrees_with_the_reference(case, symmetry):
    cfg, params = CASES[case]
    reached: list = []
    compiled = explore(TimedHeartbeatModel(cfg, params), all_properties(cfg),
                       keep_going=True, symmetry=symmetry, reached=reached)
    model = TimedHeartbeat(cfg, params)
    reference = explore_timed(model, all_properties(cfg), keep_going=True, symmetry=symmetry)
    assert compiled.statistics.complete and reference.statistics.complete
    assert outcome(compiled) == outcome(reference)
    found = {r.tobytes() for r in reached[0]}
    assert found == reference_reached(cfg, model, reference, symmetry)
    assert compiled.statistics.discrete_states == len(found)
    # inclusion both ways (and LU extrapolation) store no more zones than the reference
    assert compiled.statistics.distinct_states <= reference.statistics.distinct_states


def test_the_figures_do_not_depend_on_the_number_of_threads():
    cfg, params = CASES["active/passive, no faults"]

    def figures(workers):
        stats = explore(TimedHeartbeatModel(cfg, params), all_properties(cfg),
                        keep_going=True, workers=workers).statistics
        return (stats.distinct_states, stats.discrete_states, stats.transitions,
                stats.covered_states, stats.max_depth)
    assert figures(1) == figures(2)


def test_bytes_per_symbolic_state_are_reported():
    cfg, params = CASES["active/passive, no faults"]
    stats = explore(TimedHeartbeatModel(cfg, params), all_properties(cfg),
                    keep_going=True).statistics
    assert stats.symbolic and 0 < stats.bytes_per_state < 1000


# --- the witness: the engine asks it, and the verdict is what it finds -----------------------------

class TwoLocations(Model):
    """A symbolic model with locations 0 and 1 and one clock x, reset by each step: p goes
    0 -> 1, q goes 1 -> 0 when `cyclic`. Rows: the location (the key, 8 bytes), the
    clock count at byte 8, the zone (2 x 2 int16 bounds) at byte 10, then x's L and U
    bounds (int16: 0, compared with 0 only)."""

    width = 24
    zone_layout = (8, 8, 10)
    ACTIONS = ("p", "q")

    def __init__(self, cyclic: bool):
        self.cyclic = cyclic

    def _row(self, location: int) -> np.ndarray:
        row = np.zeros(self.width, dtype=np.uint8)
        row[0], row[8] = location, 1
        # x >= 0 and time may pass: z[0,0] = z[0,1] = z[1,1] = "<= 0", z[1,0] = none
        row[10:18].view(np.int16)[:] = [1, 1, INF16, 1]
        row[18:22].view(np.int16)[:] = [0, 0]
        return row

    def initial_rows(self):
        return self._row(0)[None, :]

    def successors(self, rows, symmetry, reduce, spare=None):
        out, source, action = [], [], []
        for r, row in enumerate(rows):
            if row[0] == 0 or self.cyclic:
                out.append(self._row(1 - row[0]))
                source.append(r)
                action.append(int(row[0]))
        buffer = np.array(out, dtype=np.uint8).reshape(len(out), self.width)
        return Successors(buffer, np.arange(len(out)), np.array(source, dtype=np.int64),
                          np.array(action, dtype=np.int64), np.zeros(len(rows), dtype=bool))

    def canonical(self, rows):
        return np.array(rows, dtype=np.uint8)

    def decode(self, row):
        return int(row[0])

    def action(self, index):
        return self.ACTIONS[index]

    def is_environment(self, actions):
        return np.zeros(len(actions), dtype=np.bool_)

    def discrete_rows(self, keys, symmetry):
        return keys[:, :1]


FINISHES = terminates("finishes", "no cycle of protocol actions")
SETTLES = at_quiescence("ends", "settles at 1", lambda location: location == 1)


def test_a_cycle_without_a_real_repetition_is_incomplete_and_with_one_violated():
    asked = []

    def nothing(trace, loop, poll):
        asked.append(loop)
        return Timing(None)
    unconfirmed = explore(TwoLocations(True), [FINISHES, SETTLES], keep_going=True,
                          witness=nothing)
    lasso = unconfirmed.properties[0]
    assert lasso.verdict is Verdict.INCOMPLETE and lasso.trace is None
    assert "no real run repeating it" in lasso.explanation and asked == [0]
    seen = []

    def a_second_a_step(trace, loop, poll):
        seen.append(([s.action for s in trace.steps], loop))
        return Timing([Fraction(0), Fraction(1), Fraction(2), Fraction(3)])
    confirmed = explore(TwoLocations(True), [FINISHES, SETTLES], keep_going=True,
                        witness=a_second_a_step)
    lasso, settled = confirmed.properties
    assert lasso.verdict is Verdict.VIOLATED and lasso.loop == 0
    assert seen == [(["p", "q"], 0)] and lasso.times == [0, 1]   # the trace's own steps
    assert settled.verdict is Verdict.HOLDS           # never quiescent
    acyclic = explore(TwoLocations(False), [FINISHES, SETTLES], keep_going=True,
                      witness=a_second_a_step)
    assert [p.verdict for p in acyclic.properties] == [Verdict.HOLDS, Verdict.HOLDS]
    assert acyclic.statistics.discrete_states == 2


def test_a_witness_cut_short_leaves_a_cycle_undecided():
    def stopped(trace, loop, poll):
        raise Stopped("interrupted")
    result = explore(TwoLocations(True), [FINISHES], keep_going=True, witness=stopped)
    lasso = result.properties[0]
    assert lasso.verdict is Verdict.INCOMPLETE and "cut short (interrupted)" in lasso.explanation
    assert not result.statistics.complete


def run(witness, cfg=Config(N=2, home=(0, 1))):
    return explore(TimedHeartbeatModel(cfg, TimingParameters()), all_properties(cfg),
                   witness=witness)


def by_name(result) -> dict:
    return {p.name: p for p in result.properties}


def test_a_reachable_violation_without_timestamps_is_an_internal_error():
    s1 = by_name(run(lambda trace, loop, poll: Timing(None)))["S1"]
    assert s1.verdict is Verdict.ERROR and s1.trace is None
    assert "failed the independent timing check" in s1.explanation
    objected = by_name(run(lambda trace, loop, poll: Timing([0] * len(trace), ["too early"])))["S1"]
    assert objected.verdict is Verdict.ERROR and "too early" in objected.explanation


def test_a_witness_cut_short_keeps_a_reachability_verdict_without_timestamps():
    def stopped(trace, loop, poll):
        raise Stopped("interrupted")
    s1 = by_name(run(stopped))["S1"]
    assert s1.verdict is Verdict.VIOLATED and s1.times is None
    assert any("were not computed" in note for note in s1.notes)
    # the counterexample itself is kept, its states as the properties read them
    assert s1.trace is not None and len(s1.trace) > 0
    assert type(s1.trace.final).__name__ == "ClusterState"


def test_the_real_witness_times_every_counterexample_and_the_replay_accepts_it():
    from hacheck.witness.replay import check_timed_run
    cfg, params = Config(N=2, home=(0, 1)), TimingParameters()
    result = explore(TimedHeartbeatModel(cfg, params), all_properties(cfg),
                     witness=timing.witness(cfg, params))
    s1 = by_name(result)["S1"]
    assert s1.verdict is Verdict.VIOLATED and len(s1.times) == len(s1.trace)
    actions = [step.action for step in s1.trace.steps]
    assert check_timed_run(cfg, params, s1.trace.states, actions, s1.times) == []


def test_states_with_more_clocks_than_the_rows_hold_get_wider_rows_and_the_search_goes_on():
    from hacheck.tools.run import Room, timed_search
    notices: list[str] = []
    cfg = Config(N=2, home=(0, 1))
    result, model = timed_search(cfg, TimingParameters(), room=Room(clocks=3),
                                 keep_going=True, notice=notices.append)
    # 3 -> 4 -> 6 -> 9 -> 13: each time the batch is expanded again, nothing is lost
    grew = [n for n in notices if "clocks" in n]      # (a first run also says it compiles)
    assert model.kmax > 3 and grew and all("the search goes on" in n for n in grew)
    assert not any("running again" in n for n in notices)
    first, roomy = timed_search(cfg, TimingParameters(), keep_going=True)
    assert outcome(result) == outcome(first)
    for figure in ("distinct_states", "transitions", "max_depth", "discrete_states",
                   "covered_states", "skipped_states"):
        assert getattr(result.statistics, figure) == getattr(first.statistics, figure)
    assert model.width < roomy.width or model.kmax >= roomy.kmax


def test_a_state_beyond_the_most_clocks_a_row_may_hold_is_a_model_bound():
    from hacheck.model.heartbeat import ClockBoundExceeded
    from hacheck.model.timed_model import MAX_CLOCKS
    model = TimedHeartbeatModel(Config(N=2, home=(0, 1)), TimingParameters(), kmax=MAX_CLOCKS)
    with pytest.raises(ClockBoundExceeded, match=f"more than {MAX_CLOCKS} active clocks"):
        model._more_room(MAX_CLOCKS)
    grown = TimedHeartbeatModel(Config(N=2, home=(0, 1)), TimingParameters(), kmax=50)
    grown._more_room(50)
    assert grown.kmax == MAX_CLOCKS and grown.width > model.width // 2
    grown._more_room(50)      # a second thread that saw 50 clocks: grown already
    assert grown.kmax == MAX_CLOCKS


def test_rows_grown_while_other_threads_expand_batches_change_nothing_found():
    """Two workers expand batches at once; one batch needs more clocks and the rows
    grow, while a batch expanded before (narrower) is still to be inserted. The figures
    are one worker's. (With the store asserting that rows only grow, this failed.)"""
    cfg = Config(N=3, home=(0, 1, 2))

    def figures(workers):
        model = TimedHeartbeatModel(cfg, TimingParameters(), kmax=4)
        stats = explore(model, all_properties(cfg), keep_going=True, workers=workers,
                        max_states=20_000).statistics
        return (stats.distinct_states, stats.transitions, stats.max_depth,
                stats.discrete_states, stats.covered_states), model.kmax
    one, two = figures(1), figures(2)
    assert one == two and one[1] > 4


def test_the_condition_a_witness_explains_reaches_the_result():
    s1 = by_name(run(lambda trace, loop, poll: Timing([0] * len(trace), [], "when so")))["S1"]
    assert s1.verdict is Verdict.VIOLATED and s1.condition == "when so"


def test_a_model_that_declares_nothing_has_no_symmetry_and_no_reduction():
    model = TwoLocations(False)
    assert model.symmetry_group_size == 1
    anywhere = always("anything", "", lambda location: True, reads=())
    result = explore(model, [anywhere], reduce=True, keep_going=True)
    assert not result.reduction and result.statistics.distinct_states == 2


# --- the count of discrete states: a chunk of keys at a time, and only memory cuts it ---------

def test_the_discrete_states_counted_a_few_keys_at_a_time_are_the_same(monkeypatch):
    from hacheck.checker import explorer
    cfg, params = CASES["active/passive, no faults"]

    def count(symmetry):
        reached = []
        stats = explore(TimedHeartbeatModel(cfg, params), all_properties(cfg), keep_going=True,
                        symmetry=symmetry, reached=reached).statistics
        return stats.discrete_states, {r.tobytes() for r in reached[0]}, stats.discrete_counted
    whole = {symmetry: count(symmetry) for symmetry in (True, False)}
    monkeypatch.setattr(explorer, "DISCRETE_CHUNK", 7)
    for symmetry in (True, False):
        assert count(symmetry) == whole[symmetry]
        assert whole[symmetry][0] == len(whole[symmetry][1]) and whole[symmetry][2]


def test_memory_running_short_while_counting_discrete_states_leaves_the_verdicts(monkeypatch):
    from hacheck.checker import explorer
    from hacheck.checker.stopping import Budget
    from hacheck.tools.report import _statistics_line
    cfg, params = CASES["active/passive, no faults"]
    first = explore(TimedHeartbeatModel(cfg, params), all_properties(cfg), keep_going=True)
    calls = []

    class ShortOfMemory(Budget):
        def check(self, extra_bytes=0):          # the search has memory enough
            pass

        def check_memory(self, extra_bytes=0):
            calls.append(extra_bytes)
            if len(calls) > 2:                   # the third chunk does not fit
                raise Stopped("memory limit of 1 GB reached")
    monkeypatch.setattr(explorer, "DISCRETE_CHUNK", 5)
    cut = explore(TimedHeartbeatModel(cfg, params), all_properties(cfg), keep_going=True,
                  budget=ShortOfMemory())
    assert not cut.statistics.discrete_counted
    assert 5 <= cut.statistics.discrete_states <= 10 < first.statistics.discrete_states
    assert cut.statistics.complete and cut.statistics.stop_reason == ""
    assert outcome(cut) == outcome(first)
    line = _statistics_line(cut, cut.statistics)
    assert "real runs reach at least" in line and "memory ran short" in line
    assert "at least" not in _statistics_line(first, first.statistics)


# --- the passed list's memory ------------------------------------------------------------------

def zone_rows(count: int, clocks: int, first_key: int) -> np.ndarray:
    """`count` symbolic states with distinct keys and `clocks` clocks each, every zone
    "all clocks equal, time passed", in the layout (key 8 bytes, k at 8, zone at 10)."""
    width = -(-(10 + 2 * (clocks + 1) ** 2 + 4 * clocks) // 8) * 8
    rows = np.zeros((count, width), dtype=np.uint8)
    rows[:, :8].view(np.uint64)[:, 0] = np.arange(first_key, first_key + count)
    rows[:, 8] = clocks
    zone = np.full((clocks + 1, clocks + 1), 1, dtype=np.int16)      # x_i - x_j <= 0
    zone[1:, 0] = INF16
    rows[:, 10:10 + 2 * (clocks + 1) ** 2] = zone.ravel().view(np.uint8)
    return rows


def test_the_passed_list_foresees_what_inserting_states_with_many_clocks_allocates():
    from hacheck.checker.rows import row_hashes
    from hacheck.checker.zonestore import ZoneStore
    clocks = 20
    store = ZoneStore(zone_rows(1, clocks, 0).shape[1], 8, 8, 10)
    grew = 0
    for start in range(0, 6000, 1500):
        rows = zone_rows(1500, clocks, start)
        before = {name: (id(getattr(store, name)), getattr(store, name).nbytes)
                  for name in vars(store) if isinstance(getattr(store, name), np.ndarray)}
        foreseen = store.growth_bytes(len(rows))
        words = rows.view(np.uint64)
        hashes = row_hashes(words[:, :1])
        ids, new, looked = store.insert(words, np.arange(len(rows)), hashes, 1 << 30)
        assert new.all() and looked == len(rows)
        # an array resized in place adds its new part; a new array (a copy) all of it
        allocated = sum(getattr(store, name).nbytes - (size if id(getattr(store, name)) == same
                                                       else 0)
                        for name, (same, size) in before.items()
                        if getattr(store, name).nbytes != size)
        assert allocated <= foreseen
        grew += allocated > 0
    assert grew >= 2        # the zone heap (441 entries a state) grew, and was foreseen


def test_growing_in_place_costs_the_new_part_and_a_copy_the_whole_array():
    from hacheck.checker.store import grow, growth_cost

    class Owner:
        pass
    owner = Owner()
    owner.array = np.zeros(1000, dtype=np.int64)
    # (each cost is computed outside the assert: pytest's rewriting holds references)
    none, in_place = growth_cost(owner.array, 1000), growth_cost(owner.array, 1001)
    assert none == 0 and in_place == 8 * 1000                 # 1000 -> 2000, in place
    view = owner.array[:10]                                   # now grow must copy
    copied = growth_cost(owner.array, 1001)
    assert copied == 8 * 2000
    before = id(owner.array)
    grow(owner, "array", 1001)                                # as foreseen: a new array
    assert id(owner.array) != before and len(owner.array) == 2000
    del view
    before = id(owner.array)
    grow(owner, "array", 2001)                                # and now in place
    assert id(owner.array) == before and len(owner.array) == 4000


def test_an_array_grows_twice_while_small_and_by_half_once_large():
    from hacheck.checker.store import LARGE, capacity
    small = np.empty(1000, dtype=np.int64)
    large = np.empty(LARGE // 8, dtype=np.int64)
    assert capacity(small, 1001) == 2000
    assert capacity(large, len(large) + 1) == len(large) * 3 // 2
    assert capacity(small, 5000) == 5000          # at least what is needed
