"""Each action's window is declared once (model.actions.ACTIONS, in model.clocks' terms):
the Python rules (model.timed, which the Z3 witness and the reference search read) and
the compiled ones (model.timed_kernel) must both be that declaration."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from hacheck.model import Config, clocks, timed
from hacheck.model import timed_kernel as tk
from hacheck.model.actions import ACTION_NAMES, ACTIONS, action_table
from hacheck.model.timed_model import TimedHeartbeatModel
from hacheck.model.timing import TimingParameters

# distinct parameter values, so that a window read from the wrong parameter shows
PARAMS = TimingParameters(K=Fraction(2), D=Fraction(7), Q=Fraction(11), R=Fraction(13),
                          dmin=Fraction(1, 4), dmax=Fraction(3, 4), smax=Fraction(1, 2),
                          T=Fraction(5))
EVERY_VARIANT = Config(N=3, home=(0, 1, 2), crashes=1, restarts=1, email_timer="combined",
                       stonith="gated", heal=True, transport="unsequenced", losses=1)


@pytest.fixture(scope="module")
def model():
    return TimedHeartbeatModel(EVERY_VARIANT, PARAMS)


def test_every_action_of_the_compiled_code_is_declared_with_its_number():
    from hacheck.model import actions
    assert [getattr(actions, "A_" + name) for name in ACTION_NAMES] == list(range(len(ACTIONS)))


@pytest.mark.parametrize("flag", [clocks.EXACT, clocks.NORMAL, clocks.TIGHT])
def test_the_compiled_window_of_every_action_is_the_declared_one(model, flag):
    universe = {model.clock(u): u for u in range(len(model.table))}
    N = EVERY_VARIANT.N
    flags = np.full(N * N, flag, dtype=np.uint8)
    row = np.zeros(int(model.kt[tk.T_W]), dtype=np.uint8)
    checked = set()
    for action in action_table(EVERY_VARIANT):
        kind = ACTION_NAMES.index(action.name)
        a, b = (action.args + (0, 0))[:2]
        u, lo = tk.window(model.k, model.kt, row, flags, kind, a, b)
        declared = timed.window(EVERY_VARIANT, None, tuple(flags), action)
        if declared is None:
            assert u == tk.NO_CLOCK, action
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
        assert model.kt[tk.T_BOUND + b] == clocks.value(bound, model.units)
    for u in range(len(model.table)):
        kind = int(model.table[u, 0])
        declared = clocks.CLOCK_KINDS[kind]
        assert model.U[u] == clocks.value(declared.ceiling, model.units), declared.name
