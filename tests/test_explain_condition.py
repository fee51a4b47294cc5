"""`--explain`'s condition on the timing parameters (`witness.timestamps.condition`), on
small constraint sets whose answer can be worked out by hand: the end-to-end `--explain`
tests take minutes, these take milliseconds (and were written against the mutants those
let live, docs/mutation.md)."""

from __future__ import annotations

from fractions import Fraction

from hacheck.witness.timestamps import (
    Constraint, Inequality, condition, condition_text, section7_assumptions,
    parameter_symbols, _difference_graph, _implied,
)

START = Constraint(1, None, "==", (), "the run starts at 0")


def later(op, bound, step=2, earlier=1):
    return Constraint(step, earlier, op, bound, "a rule")


def explained(constraints, steps=2, **options) -> str:
    return condition_text(condition([START, *constraints], steps, **options))


def test_a_run_section_7_always_allows_needs_no_condition():
    # dmin <= t2 - t1 <= dmax: section 7 assumes dmin <= dmax
    assert condition([START, later(">=", (("dmin", 1),)), later("<=", (("dmax", 1),))], 2) == []
    assert explained([later(">=", (("dmin", 1),)), later("<=", (("dmax", 1),))]) == \
        "possible for every timing section 7 allows"


def test_a_lower_and_an_upper_bound_on_one_gap_give_one_inequality():
    (q,) = condition([START, later(">=", (("D", 1),)), later("<=", (("smax", 1),))], 2)
    assert q == Inequality((("D", Fraction(-1)), ("smax", Fraction(1))), False)
    assert q.text() == "smax >= deadtime"
    assert explained([later(">=", (("D", 1),)), later("<=", (("smax", 1),))]) == \
        "possible whenever smax >= deadtime"


def test_a_strict_bound_gives_a_strict_inequality_with_coefficients():
    constraints = [later(">", (("smax", 2),)), later("<=", (("dmin", 1), ("K", 1)))]
    (q,) = condition([START, *constraints], 2)
    assert q.strict
    assert q.text() == "keepalive + dmin > 2 smax"


def test_only_negative_terms_read_as_at_most_zero():
    # t2 - t1 >= smax and t2 - t1 <= 0: possible only if smax <= 0
    assert explained([later(">=", (("smax", 1),)), later("<=", ())]) == \
        "possible whenever smax <= 0"
    assert explained([later(">", (("smax", 1),)), later("<=", ())]) == \
        "possible whenever smax < 0"


def test_a_cycle_negative_for_every_parameter_is_never_possible():
    (q,) = condition([START, later(">", ()), later("<=", ())], 2)
    assert q == Inequality((), True) and not q.holds_trivially()
    assert q.text() == "never (a timing cycle is negative for every parameter)"
    assert Inequality((), False).holds_trivially()


def test_a_weaker_inequality_implied_by_a_stronger_one_is_dropped():
    constraints = [later(">=", (("D", 1),)),
                   later("<=", (("smax", 1),)),                          # smax >= D
                   later(">=", (("D", 1),), step=3, earlier=2),
                   later("<=", (("smax", 1), ("dmax", 1)), step=3, earlier=2)]  # weaker
    assert explained(constraints, steps=3) == "possible whenever smax >= deadtime"


def test_two_independent_inequalities_are_both_kept_joined_by_and():
    constraints = [later(">=", (("D", 1),)), later("<=", (("smax", 1),)),
                   later(">=", (("Q", 1),), step=3, earlier=2),
                   later("<=", (("R", 1),), step=3, earlier=2)]
    assert explained(constraints, steps=3) == \
        "possible whenever smax >= deadtime and req_timeout >= rqstdelay"   # by parameter


def test_too_many_cycles_is_said_so_and_poll_is_called():
    constraints = [later(">=", (("D", 1),)), later("<=", (("smax", 1),))]
    assert condition([START, *constraints], 2, max_cycles=0) is None
    assert explained(constraints, max_cycles=0) == "the condition has too many cases to list"
    calls = []
    condition([START, *constraints], 2, poll=lambda: calls.append(1))
    assert calls       # once for the first cycle and once per Z3 question


def test_the_difference_graph_merges_equal_timestamps_and_keeps_strictness():
    constraints = [START, later("==", ()),                      # t2 = t1 = 0: one node
                   later(">=", (("dmin", 1),), step=3, earlier=2),
                   later(">", (("K", 1),), step=3, earlier=2),
                   later("==", (("dmax", 1),), step=3, earlier=2)]
    edges = _difference_graph(constraints, 3)
    assert set(edges) == {(0, 0), (3, 0), (0, 3)}
    assert edges[(0, 0)] == {((), False)}                                  # t1, t2 >= 0
    assert edges[(0, 3)] == {((("dmax", Fraction(1)),), False)}           # t3 - t2 <= dmax
    assert edges[(3, 0)] == {((), False),                                  # t3 >= 0
                             ((("dmin", Fraction(-1)),), False),           # t3 - t2 >= dmin
                             ((("K", Fraction(-1)),), True),               # t3 - t2 > K
                             ((("dmax", Fraction(-1)),), False)}           # t3 - t2 = dmax


def test_without_an_equality_no_timestamp_is_merged():
    edges = _difference_graph([later(">=", ())], 2)
    assert set(edges) == {(1, 0), (2, 0), (2, 1)}
    edges = _difference_graph([later("==", (("dmin", 1),))], 2)    # a bound: not merged
    assert set(edges) == {(1, 0), (2, 0), (2, 1), (1, 2)}


def test_section_7_assumptions_are_what_implication_is_checked_against():
    p = parameter_symbols()
    assumptions = section7_assumptions(p)
    assert _implied(assumptions, p["dmax"] >= p["dmin"])
    assert _implied(assumptions, p["D"] > p["K"])
    assert _implied(assumptions, p["smax"] >= 0)
    assert not _implied(assumptions, p["smax"] > 0)
    assert not _implied(assumptions, p["dmin"] < p["dmax"])
    assert not _implied(assumptions, p["D"] > p["K"] + 2 * p["dmax"])


def test_a_strict_inequality_is_implied_only_when_it_is_strictly_implied():
    # t2 - t1 > dmin and <= dmax: needs dmax > dmin, which section 7 does not promise
    assert explained([later(">", (("dmin", 1),)), later("<=", (("dmax", 1),))]) == \
        "possible whenever dmax > dmin"
    # t2 - t1 > keepalive and <= deadtime: section 7 promises deadtime > keepalive + dmax
    assert explained([later(">", (("K", 1),)), later("<=", (("D", 1),))]) == \
        "possible for every timing section 7 allows"


def test_an_earlier_weaker_inequality_is_dropped_for_a_later_stronger_one():
    # smax >= deadtime (two terms, so listed first) follows from smax >= deadtime + dmax
    constraints = [later(">=", (("D", 1),)), later("<=", (("smax", 1),)),
                   later(">=", (("D", 1), ("dmax", 1)), step=3, earlier=2),
                   later("<=", (("smax", 1),), step=3, earlier=2)]
    assert explained(constraints, steps=3) == "possible whenever smax >= deadtime + dmax"


def test_the_cycle_budget_is_the_number_of_cycles_enumerated():
    import networkx as nx
    constraints = [START, later(">=", (("D", 1),)), later("<=", (("smax", 1),)),
                   later(">=", (("Q", 1),), step=3, earlier=2)]
    graph = nx.DiGraph(list(_difference_graph(constraints, 3)))
    cycles = sum(1 for _ in nx.simple_cycles(graph))
    assert cycles > 1
    assert condition(constraints, 3, max_cycles=cycles - 1) is None
    assert condition(constraints, 3, max_cycles=cycles) is not None


def test_poll_is_called_before_the_first_cycle_is_looked_at():
    class Stop(Exception):
        pass

    def stop():
        raise Stop
    constraints = [START, later(">=", (("D", 1),)), later("<=", (("smax", 1),))]
    try:
        condition(constraints, 2, max_cycles=1, poll=stop)
    except Stop:
        pass
    else:
        raise AssertionError("poll was not called at the first cycle")


def test_a_fractional_coefficient_is_written_on_its_side():
    q = Inequality((("D", Fraction(1, 2)), ("smax", Fraction(-1))), False)
    assert q.text() == "1/2 deadtime >= smax"
    assert Inequality((("smax", Fraction(-2)),), True).text() == "2 smax < 0"
    assert Inequality((("smax", Fraction(1)),), True).text() == "smax > 0"


def test_timestamps_scale_a_parameter_by_its_coefficient():
    from hacheck.model.timing import TimingParameters
    from hacheck.witness.timestamps import timestamps
    values = TimingParameters(smax=Fraction(3, 2))
    assert timestamps([START, later(">=", (("smax", 2),))], 2, values) == [0, 3]
    assert timestamps([START, later(">", (("smax", 1),)), later("<=", (("smax", 1),))],
                      2, values) is None


# --- the witness: the replay's verdict and the condition reach the result --------------

def small_counterexample():
    from hacheck.checker import explore
    from hacheck.model import Config
    from hacheck.model.timed_model import TimedHeartbeatModel
    from hacheck.model.timing import TimingParameters
    from hacheck.properties import all_properties
    cfg = Config(N=2, home=(0, 1), nice_failback=False)
    params = TimingParameters()
    result = explore(TimedHeartbeatModel(cfg, params), all_properties(cfg)[:1])
    return cfg, params, result.properties[0].trace


def test_the_witness_explains_only_when_asked():
    from hacheck.witness import timestamps as timing
    cfg, params, trace = small_counterexample()
    plain = timing.witness(cfg, params)(trace, None, lambda: None)
    assert plain.times is not None and not plain.problems and not plain.condition
    explained_ = timing.witness(cfg, params, explain=True)(trace, None, lambda: None)
    assert explained_.times == plain.times
    assert explained_.condition.startswith("possible")


def test_the_witness_passes_on_what_the_independent_replay_found(monkeypatch):
    import hacheck.witness.replay as replay
    from hacheck.witness import timestamps as timing
    cfg, params, trace = small_counterexample()
    monkeypatch.setattr(replay, "check_timed_run", lambda *a: ["a made-up problem"])
    found = timing.witness(cfg, params, explain=True)(trace, None, lambda: None)
    assert found.problems == ["a made-up problem"] and found.times is not None
