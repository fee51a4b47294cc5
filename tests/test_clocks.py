"""Each action's window is declared once (model.actions.ACTIONS, in model.clocks' terms):
the Python rules (model.timed, which the Z3 witness and the reference search read) and
the compiled ones (model.timed_kernel, model.timed_geometry) must both be that declaration."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from hacheck.checker.zones import NO_BOUND
from hacheck.model import Config, clocks, timed
from hacheck.model import timed_geometry as tg
from hacheck.model import timed_kernel as tk
from hacheck.model.schema import ACTION_NAMES, ACTIONS, action_table
from hacheck.model.timed_model import TimedHeartbeatModel
from hacheck.model.timing import TimingParameters

# distinct parameter values, so that a window read from the wrong parameter shows
PARAMS = TimingParameters(K=Fraction(2), D=Fraction(7), Q=Fraction(11), R=Fraction(13),
                          dmin=Fraction(1, 4), dmax=Fraction(3, 4), smax=Fraction(1, 2),
                          T=Fraction(5))
EVERY_VARIANT = Config(N=3, home=(0, 1, 2), crashes=1, restarts=1, link_toggles=1,
                       quiet=Fraction(9), boot_skew=Fraction(3, 2), email_timer="combined",
                       stonith="gated", heal=True, transport="unsequenced", losses=1)


@pytest.fixture(scope="module")
def model():
    return TimedHeartbeatModel(EVERY_VARIANT, PARAMS)


def test_every_action_of_the_compiled_code_is_declared_with_its_number():
    from hacheck.model import rules
    assert [getattr(rules, "A_" + name) for name in ACTION_NAMES] == list(range(len(ACTIONS)))


@pytest.mark.parametrize("flag", [clocks.EXACT, clocks.NORMAL, clocks.TIGHT])
def test_the_compiled_window_of_every_action_is_the_declared_one(model, flag):
    universe = {model.clock(u): u for u in range(len(model.table))}
    N = EVERY_VARIANT.N
    flags = np.full(N * N, flag, dtype=np.uint8)
    row = np.zeros(int(model.kt[tg.T_W]), dtype=np.uint8)
    checked = set()
    for action in action_table(EVERY_VARIANT):
        kind = ACTION_NAMES.index(action.name)
        a, b = (action.args + (0, 0))[:2]
        u, lo = tk.window(model.k, model.kt, row, flags, kind, a, b)
        declared = timed.window(EVERY_VARIANT, None, tuple(flags), action)
        if declared is None:
            assert u == tg.NO_CLOCK, action
            continue
        assert u == universe[declared.clock], action
        assert lo == clocks.value(declared.lo, model.units), action
        checked.add(action.name)
    assert checked == {a.name for a in ACTIONS if a.window is not None}


def test_dead_after_the_node_s_own_boot_waits_exactly_deadtime():
    dead = next(a for a in ACTIONS if a.name == "DEAD")
    cfg = Config(N=2, home=(0, 1))
    action = next(a for a in action_table(cfg) if a.name == "DEAD")
    exact = timed.window(cfg, None, (0, clocks.EXACT, clocks.EXACT, 0), action)
    normal = timed.window(cfg, None, (0, clocks.NORMAL, clocks.NORMAL, 0), action)
    assert (exact.lo, normal.lo) == (dead.window.lo_exact, dead.window.lo)
    assert exact.lo != normal.lo


def test_the_compiled_bounds_and_obligations_are_the_declared_ones(model):
    for b, bound in enumerate(clocks.BOUNDS):
        assert model.kt[tg.T_BOUND + b] == clocks.value(bound, model.units)
    for u in range(len(model.table)):
        kind = int(model.table[u, 0])
        declared = clocks.CLOCK_KINDS[kind]
        assert model.U[u] == clocks.value(declared.ceiling, model.units), declared.name


def test_a_pair_clock_is_compared_under_each_flag_only_by_the_window_that_reads_it(model):
    hear, dead = (next(a.window for a in ACTIONS if a.name == name) for name in ("HEAR", "DEAD"))
    assert set(hear.flags) == set(clocks.AUDIBLE)            # j audible: only HEAR
    assert set(dead.flags) == set(clocks.FLAG_NAMES) - set(clocks.AUDIBLE)
    value = {flag: clocks.value(bound, model.units) for flag, bound in (
        (clocks.TIGHT, clocks.DMIN), (clocks.LOOSE, clocks.DMIN), (clocks.LATE_BOOT, clocks.DMIN),
        (clocks.EXACT, clocks.D_EXACT), (clocks.NORMAL, clocks.D_MINUS_K))}
    for flag in clocks.FLAG_NAMES:
        assert model.kt[tg.T_PAIR_L + flag] == value[flag], clocks.FLAG_NAMES[flag]
        assert model.kt[tg.T_PAIR_U + flag] == clocks.value(clocks.PAIR_OBLIGATION[flag],
                                                            model.units)


def test_a_lower_bound_of_zero_compares_nothing_but_the_tie_at_a_boot():
    # dmin = 0: HEAR's "x >= 0" always holds, so only a pair that may tie with i's boot
    # (j's start-up period) is compared from below, with 0; a child's window is [0, smax]
    params = TimingParameters(K=Fraction(2), D=Fraction(7), Q=Fraction(11), R=Fraction(13),
                              dmin=Fraction(0), dmax=Fraction(3, 4), smax=Fraction(1, 2),
                              T=Fraction(5))
    m = TimedHeartbeatModel(Config(N=2, home=(0, 1)), params)
    assert m.kt[tg.T_PAIR_L + clocks.TIGHT] == 0
    assert m.kt[tg.T_PAIR_L + clocks.LOOSE] == m.kt[tg.T_PAIR_L + clocks.LATE_BOOT] == NO_BOUND
    kinds = m.table[:, 0]
    assert (m.L[kinds == clocks.CHILD] == NO_BOUND).all()
    assert (m.L[kinds == clocks.MSG] == NO_BOUND).all()
    assert (m.L[kinds == clocks.RQ] == clocks.value(clocks.R_LO, m.units)).all()


@pytest.mark.parametrize("symmetry", [True, False])
def test_every_successor_row_carries_the_bounds_of_its_clocks_in_its_zones_order(symmetry):
    cfg = Config(N=3, home=(0, 1, 2), crashes=1, restarts=1)
    m = TimedHeartbeatModel(cfg, PARAMS)
    rows, checked = m.initial_rows(), 0
    for _ in range(6):                      # a few levels of the search, every successor
        succ = m.successors(rows, symmetry, False)
        rows = succ.rows
        for row in rows[:: max(1, len(rows) // 300)]:
            view = m.decode(row)
            K = len(view.clocks)
            at = m.zone_at + 2 * (K + 1) ** 2
            written = row[at:at + 4 * K].view(np.int16).astype(np.int64)
            expected = []
            for side in ("L", "U"):
                for clock in view.clocks:
                    u = next(x for x in range(len(m.table)) if m.clock(x) == clock)
                    if clock[0] == clocks.PAIR:
                        flag = view.flags[clock[1] * cfg.N + clock[2]]
                        value = m.kt[(tg.T_PAIR_L if side == "L" else tg.T_PAIR_U) + flag]
                    else:
                        value = (m.L if side == "L" else m.U)[u]
                    expected.append(tg.NO_BOUND16 if value < 0 else value)
            assert list(written) == expected
            checked += K > 2
    assert checked > 100
