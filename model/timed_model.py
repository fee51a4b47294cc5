"""heartbeat with layer T as a checker Model: symbolic timed states as rows, compiled.

The engine explores these rows as it explores layer D's (`checker.explore`), with the
passed list of `checker.zonestore` (zones grouped by discrete state, aLU inclusion
both ways) instead of the exact visited set. `model.timed_kernel` computes the successors;
`decode` gives a `TimedView` (the layer-D state, the pair flags, the zone and its clocks
in `model.timed`'s notation), which the Z3 witness and the independent replay read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from hacheck.checker import ModelBoundError, Successors
from hacheck.checker.model import Model, spare_buffer
from hacheck.checker.zones import LE_ZERO
from hacheck.model import clocks
from hacheck.model import timed_geometry as tg
from hacheck.model import timed_kernel as tk
from hacheck.model.heartbeat import (ClockBoundExceeded, HeartbeatModel, QueueCapacityExceeded,
                                     _blocks)
from hacheck.model.state import BOUND_QUEUE, BOUND_TEXT, DEFAULT_CAPACITY
from hacheck.model.symmetry import group_image_py
from hacheck.model.timed_ample import keep_instantaneous_pops
from hacheck.model.timing import TimingParameters
from hacheck.model.view import ClusterState, initial_state, pack, unpack

SERIAL_BELOW = 16               # rows: smaller batches are expanded on one thread
OUTPUT_BUDGET = 48 << 20        # bytes of successor rows per batch
MAX_CLOCKS = 64                 # the most active clocks a row may be given room for


@dataclass(frozen=True, eq=False)
class TimedView:
    """A symbolic state as values: `state` (ClusterState), `flags` (per ordered pair),
    `zone` (its DBM, int64) and `clocks` (model.timed's tuples, in the zone's order).
    Two views are equal when their discrete parts (state and flags) are."""
    state: ClusterState
    flags: tuple
    zone: np.ndarray
    clocks: list

    def __eq__(self, other) -> bool:
        return (isinstance(other, TimedView) and self.state == other.state
                and self.flags == other.flags)

    def __hash__(self) -> int:
        return hash((self.state, self.flags))


class TimedHeartbeatModel(Model):
    """Layer T of a configuration (model.md section 7) for the engine."""

    concurrent_successors = True
    static_proviso = True                  # idle pops are on no cycle (docs/reduction.md)
    reduction_reads = frozenset({"own"})
    reduction_keeps_liveness = True        # no real cycle waits on an own message

    def __init__(self, cfg, params: TimingParameters = TimingParameters(),
                 capacity: int = DEFAULT_CAPACITY, kmax: int | None = None, notice=None):
        """`kmax`: room for that many active clocks per state to begin with. A batch
        with a state that has more is expanded again with half as much room again and
        the search goes on (`notice` is told): only the rows grow wider, since the
        passed list stores each zone over its own clocks."""
        params = params.with_environment(cfg)
        self.cfg, self.params, self.capacity = cfg, params, capacity
        self.notice = notice
        self._growing = threading.Lock()    # threads of the engine's pool may ask at once
        self.untimed = HeartbeatModel(cfg, capacity=capacity)
        self.k = self.untimed.k
        self.units = params.in_units()
        N = cfg.N
        self.slots = sum(2 ** (N - 1) if a.name in ("BOOT", "RESTART", "HEALRUN") else 1
                         for a in self.untimed.table)
        self._room(kmax if kmax is not None else (8 if N == 1 else 12 * (N - 1)))
        self.table, self.L, self.U = tg.universe(self.kt)
        self.group = self.untimed.group
        self.symmetry_group_size = len(self.group)
        self.images = tg.clock_images(self.kt, self.table, self.group,
                                      lambda g, pi: group_image_py(cfg, g, pi))
        self.key_bytes = int(self.kt[tg.T_ZK])
        self.k_at, self.zone_at = int(self.kt[tg.T_ZK]), int(self.kt[tg.T_ZONE])
        self.zone_layout = (self.key_bytes, self.k_at, self.zone_at)
        u = self.untimed
        self._kinds, self._arg_a, self._arg_b = u._kinds, u._arg_a, u._arg_b
        self.table_actions = u.table
        self.supports_reduction = u.supports_reduction

    def _room(self, kmax: int) -> None:
        """Rows with room for `kmax` clocks: the layout (only its width depends on it:
        the key and the zone's offset do not) and the batch size."""
        cfg = self.cfg
        kt = tg.timed_geometry(self.k, self.units, kmax, (
            cfg.quiet is not None, cfg.boot_skew is not None,
            cfg.crashes + cfg.restarts + cfg.link_toggles))
        # one attribute, so that a thread expanding a batch reads all of it from before
        # or all from after another thread grows it (`kmax`, `kt`, `width` read it)
        self._geometry = (kmax, kt, int(kt[tg.T_WT]))
        self.batch_size = max(16, min(4096, OUTPUT_BUDGET // (self.slots * self.width)))

    @property
    def kmax(self) -> int:
        return self._geometry[0]

    @property
    def kt(self) -> np.ndarray:
        return self._geometry[1]

    @property
    def width(self) -> int:
        return self._geometry[2]

    def _more_room(self, seen: int) -> None:
        """More room than `seen` clocks, unless another thread has made it already."""
        with self._growing:
            if self.kmax != seen:
                return
            if self.kmax >= MAX_CLOCKS:
                raise ClockBoundExceeded(self.kmax)
            self._room(min(MAX_CLOCKS, seen + max(1, seen // 2)))
        if self.notice is not None:
            self.notice(f"states need more than {seen} clocks; room for {self.kmax} "
                        f"from here on (the search goes on)")

    # --- the engine's interface --------------------------------------------------------

    def initial_rows(self) -> np.ndarray:
        row = np.zeros(self.width, dtype=np.uint8)
        row[:self.untimed.width] = pack(self.k, initial_state(self.cfg))
        z = np.full((1, 1), LE_ZERO, dtype=np.int64)
        rows = row[None, :]
        tk.write_zone(self.kt, rows, rows.view(np.int16), 0, z, 0)
        return rows

    def successors(self, rows, symmetry, reduce, spare=None) -> Successors:
        rows = np.ascontiguousarray(rows)
        while True:
            geometry = self._geometry
            out, action, counts, status = self._expand(rows, symmetry, spare, geometry)
            if not (status == tg.BOUND_CLOCKS).any():
                break
            self._more_room(geometry[0])     # then this batch again, in wider rows
        if status.any():
            self._raise_bound(int(status.max()))
        R, S = len(rows), self.slots
        reduced = np.zeros(R, dtype=np.bool_)
        if reduce and self.supports_reduction:
            keep_instantaneous_pops(self.k, rows, self._kinds, self._arg_a, S, out, action,
                                    counts, reduced)
        total = int(counts.sum())
        index = np.empty(total, dtype=np.int64)
        source = np.empty(total, dtype=np.int64)
        from hacheck.model.kernel import positions
        positions(counts, S, index, source)
        return Successors(out, index, source, action[index], reduced)

    def _expand(self, rows, symmetry, spare, geometry):
        """The successors of `rows` in rows of the geometry's width. Another thread may
        grow the model meanwhile: a batch expanded before is narrower, and its zones
        fit it (the passed list keeps each over its own clocks)."""
        _, kt, width = geometry
        R, S = len(rows), self.slots
        out = spare_buffer(spare, R * S, width)
        action = np.empty(R * S, dtype=np.int64)
        counts = np.empty(R, dtype=np.int64)
        status = np.empty(R, dtype=np.int64)
        symmetric = symmetry and self.symmetry_group_size > 1
        args = (self.k, kt, self.table, self.L, self.U, self._kinds, self._arg_a,
                self._arg_b, rows, symmetric, self.group, self.images, S)
        if R < SERIAL_BELOW:
            tk.timed_successors_serial(*args, out, action, counts, status)
        else:
            tk.timed_successors(*args, _blocks(R), out, action, counts, status)
        return out, action, counts, status

    def canonical(self, rows):
        rows = np.array(rows, dtype=np.uint8)
        if self.symmetry_group_size > 1:
            tk.canonical_timed_rows(self.k, self.kt, self.table, self.L, self.U, rows,
                                    self.group, self.images)
        return rows

    def decode(self, row) -> TimedView:
        W, N = self.untimed.width, self.cfg.N
        state = unpack(self.k, row[:W])
        flags = tuple(int(x) for x in row[W:W + N * N])
        active = np.empty(int(self.kt[tg.T_U]), dtype=np.int64)
        K = tk.active_clocks(self.k, self.kt, np.ascontiguousarray(row[:W]),
                             np.ascontiguousarray(row[W:W + N * N]), active)
        z = np.empty((K + 1, K + 1), dtype=np.int64)
        tk.read_zone(self.kt, np.ascontiguousarray(row), z)
        return TimedView(state, flags, z, [self.clock(int(u)) for u in active[:K]])

    def observe(self, view: TimedView) -> ClusterState:
        return view.state

    def discrete_rows(self, keys: np.ndarray, symmetry: bool) -> np.ndarray:
        rows = np.ascontiguousarray(keys[:, :self.untimed.width])
        return self.untimed.canonical(rows) if symmetry else rows

    def action(self, index: int):
        return self.table_actions[index]

    def is_environment(self, actions: np.ndarray) -> np.ndarray:
        return self.untimed.is_environment(actions)

    def time_can_pass(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty(len(rows), dtype=np.bool_)
        tk.time_can_pass_rows(self.k, self.kt, np.ascontiguousarray(rows), out)
        return out

    def _raise_bound(self, status: int):
        if status == BOUND_QUEUE:
            raise QueueCapacityExceeded(f"{BOUND_TEXT[status]} ({self.capacity})")
        if status == tk.BOUND_MISREAD:
            raise ModelBoundError("layer T: an action's clock or a pair's period is missing "
                                  "(an internal error of the timed rules)")
        raise ModelBoundError(BOUND_TEXT[status])

    # --- clocks in model.timed's notation ------------------------------------------------------

    def clock(self, u: int) -> tuple:
        kind, a, b, c = (int(x) for x in self.table[u])
        address = clocks.CLOCK_KINDS[kind].address
        if address == clocks.BY_SLOT:
            return (kind, a, b, c)
        if address in (clocks.BY_PAIR, clocks.BY_CHILD):
            return (kind, a, b)
        if address == clocks.BY_CLUSTER:
            return (kind,)
        return (kind, a)
