"""heartbeat 1.51 with nice_failback as a checker Model (layer D of model.md).

The engine sees rows and batches (`checker.model`); tests, scenarios and reports use the
same model one readable state at a time (`init_states`, `successors`, `take`), through
`view.pack`/`view.unpack`. Both run the same compiled actions.
"""

from __future__ import annotations

import numpy as np

from hacheck.checker import Model, ModelBoundError, Successors
from hacheck.checker.model import spare_buffer
from hacheck.model import kernel
from hacheck.model.rules import take as take_action
from hacheck.model.schema import ACTION_NAMES, ACTIONS, action_table
from hacheck.model.state import (
    BOUND_QUEUE, BOUND_TEXT, DEFAULT_CAPACITY, K_WIDTH, geometry,
)
from hacheck.model.symmetry import automorphisms
from hacheck.model.view import initial_state, pack, unpack

OUTPUT_BUDGET = 32 << 20   # bytes of successor rows per batch
# source rows per batch at most: on one worker the N = 2 crash-and-restart whole space
# took 13.0-14.9 s with 2,048 against 14.7-17.2 s with 4,096 (five alternating pairs,
# 2,048 faster in each); on two workers and at N = 3 no difference showed. Presumably
# the successors of a smaller batch are still in the caches when the insert reads them
MAX_BATCH = 2048
SERIAL_BELOW = 64          # rows: smaller batches are expanded on one thread


# the environment: faults, boots and the network's losses; the rest is the protocol
ENVIRONMENT_ACTIONS = tuple(a.name for a in ACTIONS if a.environment)


class QueueCapacityExceeded(ModelBoundError):
    """A queue would hold more messages than the rows have room for: not a bound of the
    model, of its encoding; a model with larger queues explores the same states."""


class ClockBoundExceeded(ModelBoundError):
    """A timed state has more active clocks than the rows have room for (`clocks`): a
    bound of the encoding too; a model with more room explores the same states."""

    def __init__(self, clocks: int):
        super().__init__(f"a state has more than {clocks} active clocks")
        self.clocks = clocks


class HeartbeatModel(Model):
    """The transition system of a configuration, with queues of `capacity` messages.

    `exhaustive_symmetry` takes the least image over the whole automorphism group
    instead of the signature-ordered one (symmetry.py); both are canonical forms.
    """

    concurrent_successors = True
    supports_reduction = True
    static_proviso = True                  # kernel.ample never holds a cycle-closing action
    reduction_reads = frozenset({"own"})   # actions that change nothing else are invisible
    reduction_hides_growth = True          # kernel.ample: GROWING keeps what only adds to own
    chains_ample_steps = True              # kernel.chain_end
    reduction_keeps_liveness = True        # ample sets of protocol steps that stay enabled

    def __init__(self, cfg, capacity: int = DEFAULT_CAPACITY, exhaustive_symmetry: bool = False):
        self.cfg = cfg
        self.capacity = capacity
        self.k = geometry(cfg, capacity)
        self.width = int(self.k[K_WIDTH])
        self.table = action_table(cfg)
        self._index = {(a.name, a.args): x for x, a in enumerate(self.table)}
        columns = [(ACTION_NAMES.index(a.name), *(a.args + (0, 0))[:2],
                    -1 if a.node is None else a.node) for a in self.table]
        self._kinds, self._arg_a, self._arg_b, self._actor = (
            np.array(c, dtype=np.int64) for c in zip(*columns))
        self._environment = np.array([a.name in ENVIRONMENT_ACTIONS for a in self.table],
                                     dtype=np.bool_)
        self.group = automorphisms(cfg)
        self.symmetry_group_size = len(self.group)
        # docs/reduction.md argues the ample sets for 1.51's rules; other revisions and the
        # variants are explored without them until that argument is made for them too
        self.supports_reduction = (cfg.version == "1.51" and cfg.transport == "sequenced"
                                   and not cfg.variants)
        self.cells = np.array([len(cfg.H(i)) for i in range(cfg.N)], dtype=np.int64)
        self.exhaustive = exhaustive_symmetry
        self.batch_size = max(16, min(MAX_BATCH,
                                      OUTPUT_BUDGET // (len(self.table) * self.width)))

    # --- the engine's interface --------------------------------------------------------

    def initial_rows(self) -> np.ndarray:
        return pack(self.k, initial_state(self.cfg))[None, :]

    def successors(self, rows, symmetry, reduce, spare=None, chain=True) -> Successors:
        R, A = len(rows), len(self.table)
        out = spare_buffer(spare, R * A, self.width)
        action = np.empty(R * A, dtype=np.int64)
        counts = np.empty(R, dtype=np.int64)
        reduced = np.empty(R, dtype=np.bool_)
        status = np.empty(R, dtype=np.uint8)
        chained = np.empty(R, dtype=np.int64)
        symmetric = symmetry and self.symmetry_group_size > 1
        tables = (self.k, self._kinds, self._arg_a, self._arg_b, self._actor, rows, symmetric,
                  self.exhaustive, self.group, self.cells, int(reduce), bool(chain))
        if R < SERIAL_BELOW:
            kernel.successors_serial(*tables, out, action, counts, reduced, status, chained)
        else:
            kernel.successors(*tables, _blocks(R), out, action, counts, reduced, status,
                              chained)
        if status.any():
            self._raise_bound(int(status.max()))
        total = int(counts.sum())
        index = np.empty(total, dtype=np.int64)
        source = np.empty(total, dtype=np.int64)
        kernel.positions(counts, A, index, source)
        return Successors(out, index, source, action[index], reduced, int(chained.sum()))

    def canonical(self, rows):
        rows = np.array(rows, dtype=np.uint8)
        if self.symmetry_group_size > 1:
            kernel.canonical_rows(self.k, rows, self.exhaustive, self.group, self.cells,
                                  _blocks(len(rows)))
        return rows

    def decode(self, row):
        return unpack(self.k, row)

    def action(self, index: int):
        return self.table[index]

    def is_environment(self, actions: np.ndarray) -> np.ndarray:
        """Which actions the environment takes (faults and boots, model.md section 6): those
        `model.schema.ACTIONS` declares `environment`."""
        return self._environment[actions]

    def _raise_bound(self, status: int):
        if status == BOUND_QUEUE:
            raise QueueCapacityExceeded(f"{BOUND_TEXT[status]} ({self.capacity})")
        raise ModelBoundError(BOUND_TEXT[status])

    # --- one readable state at a time ----------------------------------------------------

    def init_states(self):
        return [initial_state(self.cfg)]

    def encode(self, state) -> bytes:
        return pack(self.k, state).tobytes()

    def successors_of(self, state):
        """(action, next state) for every enabled action, in action order."""
        succ = self.successors(pack(self.k, state)[None, :], False, False)
        return [(self.table[a], unpack(self.k, row)) for a, row in zip(succ.action, succ.rows)]

    def canonical_key(self, state, symmetry: bool = True) -> bytes:
        row = pack(self.k, state)[None, :]
        return (self.canonical(row) if symmetry else row).tobytes()

    def take(self, state, name: str, *args):
        """The state after action `name(*args)`, or None if its guard does not hold."""
        index = self._index.get((name, tuple(args)))
        if index is None:
            return None
        s = pack(self.k, state)
        t = np.empty_like(s)
        if not take_action(self.k, int(self._kinds[index]), int(self._arg_a[index]),
                             int(self._arg_b[index]), s, t):
            return None
        if t[0]:
            self._raise_bound(int(t[0]))
        return unpack(self.k, t)


def _blocks(rows: int) -> int:
    """Tasks per batch: enough for every thread to stay busy, few enough to be cheap."""
    import numba
    return max(1, min(rows, 4 * numba.get_num_threads()))
