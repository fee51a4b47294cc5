"""The interface between a model and the engine (after Stateright's `Model` trait).

A model is a deterministic, finite transition system whose states are encoded as rows of
`width` bytes (a multiple of 8): equal states, equal rows. The engine asks for work in
batches, so a model can compute successors without building an object per state:

- `initial_rows()`: the initial states, one row each;
- `successors(rows, symmetry, reduce, spare)`: every successor of every row, in a fixed order
  (by source row, then by the model's action order), with the index of its source row
  and of its action. With `symmetry`, successors come as canonical rows (the least
  member of their orbit under the model's automorphisms, so equal iff in one orbit).
  With `reduce`, a model may return only an ample subset of a state's successors
  (partial-order reduction) and flag that state as reduced. `reduce` says what the
  ample actions may do to what the invariants read: nothing (`INVISIBLE`), or, if the
  model sets `reduction_hides_growth` and every invariant is `upward_closed`, add to it
  but never take away (`GROWING`). A model whose ample sets
  satisfy the cycle proviso by themselves (a static proviso) sets `static_proviso`;
  otherwise the engine checks it and asks again with `reduce=False` where it fails.
  A model that sets `chains_ample_steps` follows each successor it returns under a
  reduction through the states whose ample set is a single action, and returns where
  that chain ends (the chain's states are never stored: the step that leaves each one
  is the only one the reduced graph takes there); `successors(..., chain=False)` then
  returns single steps, which trace replay needs to rebuild a chain.
  The reduction serves invariants only, unless the model sets
  `reduction_keeps_liveness`: its reduced graph, in either mode, keeps every reachable
  quiescent state and some cycle of protocol steps if there is one (a real run's cycle,
  for a timed model). `spare`, if not None, is a `Successors` the
  engine is done with: the model may write the new ones into its buffer (memory the
  process has touched already, where a fresh buffer costs a page fault per page).
  A model whose `successors` may run on several threads at once and whose compiled code
  releases the interpreter lock sets `concurrent_successors`: the engine then computes
  several batches' successors at once, on as many threads, while it inserts them in
  order;
- `canonical(rows)`: the canonical form of each row;
- `decode(row)` / `action(index)`: the state and action as values people read, and
  `observe(decoded)`: what the properties read of a decoded state (itself, by default).

A timed model's rows are symbolic states: a discrete part (its key) then a zone (a DBM
over the state's clocks) and the LU bounds of its clocks. It says so with `zone_layout
= (key bytes, offset of the clock count, offset of the zone)`, and the engine then keeps
them in the passed list of `checker.zonestore` (aLU inclusion instead of equality); `time_can_pass(rows)` says of each
whether time may pass for ever there (a state is quiescent only if it may), and
`discrete_rows(keys, symmetry)` gives the untimed states of discrete parts (canonical
with symmetry), which the engine counts as the discrete states real runs reach.
Its `width` may grow between two calls of `successors` (room for more clocks), even
while another thread expands a batch in the narrower rows, which may then be inserted
after a wider one: the passed list stores zones over their own clocks, and gives out
rows as wide as the widest successors so far.

Determinism matters: traces are rebuilt by replaying actions, and counts must be the
same on every run and every machine. `SimpleModel` adapts a small pure-Python model
(`init_states`, `actions`, `next_state`, `encode`, `decode`, optional symmetries), as the
engine's tests use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable, Sequence

import numpy as np


@dataclass
class Successors:
    """The successors of a batch. They sit in `buffer` at the positions `index` (so a
    model can leave them where it computed them; the engine copies only the new ones)."""

    buffer: np.ndarray    # (M, width) uint8, M >= m
    index: np.ndarray     # (m,) int64: where each successor is in `buffer`, in order
    source: np.ndarray    # (m,) int64: the index of each one's source row
    action: np.ndarray    # (m,) int64: the model's index of the action taken
    reduced: np.ndarray   # (n,) bool per source row: only an ample subset was returned
    chained: int = 0      # single ample steps passed in chains (`chains_ample_steps`)

    @property
    def rows(self) -> np.ndarray:
        """The successors as contiguous rows (a copy)."""
        return self.buffer[self.index]

    def __len__(self) -> int:
        return len(self.index)


def spare_buffer(spare, rows: int, width: int) -> np.ndarray:
    """Room for `rows` successor rows, for a model's `successors`: the buffer of
    `spare` (successors the engine is done with) if it is large enough and as wide,
    else a new one. Its old contents stay: the model must write every byte of each
    successor row."""
    if spare is not None:
        buffer = spare.buffer
        while isinstance(buffer.base, np.ndarray):     # the whole of what it was cut from
            buffer = buffer.base
        if (buffer.ndim == 2 and buffer.dtype == np.uint8 and buffer.shape[1] == width
                and buffer.shape[0] >= rows and buffer.flags.c_contiguous):
            return buffer[:rows]
    return np.empty((rows, width), dtype=np.uint8)


# What `successors(..., reduce)` asks of the ample actions (the module docstring). Plain
# ints, so that compiled model code can compare them.
FULL = 0        # no reduction
INVISIBLE = 1   # they change nothing the invariants read
GROWING = 2     # they may add to what the invariants read, never take anything away


class Model:
    """What the engine needs of a model (see the module docstring)."""

    width: int = 8
    batch_size: int = 4096          # source rows per `successors` call
    symmetry_group_size: int = 1
    supports_reduction: bool = False
    reduction_reads: frozenset = frozenset()   # variables the reduction keeps visible
    reduction_hides_growth: bool = False       # it can do GROWING (see FULL, INVISIBLE)
    static_proviso: bool = False
    reduction_keeps_liveness: bool = False
    chains_ample_steps: bool = False           # successors under a reduction end chains
    zone_layout: tuple | None = None           # a timed model: (key bytes, k at, zone at)
    concurrent_successors: bool = False

    def initial_rows(self) -> np.ndarray:
        raise NotImplementedError

    def successors(self, rows: np.ndarray, symmetry: bool, reduce: int,
                   spare: Successors | None = None) -> Successors:
        raise NotImplementedError

    def canonical(self, rows: np.ndarray) -> np.ndarray:
        return rows

    def decode(self, row: np.ndarray) -> Any:
        raise NotImplementedError

    def action(self, index: int) -> Any:
        raise NotImplementedError

    def observe(self, decoded) -> Any:
        """What the properties read of a decoded state."""
        return decoded

    def time_can_pass(self, rows: np.ndarray) -> np.ndarray:
        """Whether time may pass for ever in each state (untimed: always)."""
        return np.ones(len(rows), dtype=np.bool_)

    def discrete_rows(self, keys: np.ndarray, symmetry: bool) -> np.ndarray:
        """A timed model: the untimed state of each discrete part (rows of bytes,
        canonical under symmetry if it is on)."""
        raise NotImplementedError

    def is_environment(self, actions: np.ndarray) -> np.ndarray:
        """For action indices, whether each is an environment action (a fault or a boot)
        rather than a protocol action; liveness is about the protocol's."""
        return np.zeros(len(actions), dtype=np.bool_)


class SimpleModel(Model):
    """A pure-Python model: `init_states()`, `actions(state)`, `next_state(state, action)`,
    `encode(state) -> bytes` (at most width - 2 bytes), `decode(bytes)`, and optionally
    `symmetries()` with `encode_under(state, symmetry)`, and `ample(state, actions)` (a
    subset of the enabled actions, for partial-order reduction; the engine checks the
    cycle proviso). Slow, for small models."""

    width = 64

    @property
    def supports_reduction(self) -> bool:
        return type(self).ample is not SimpleModel.ample

    def ample(self, state, actions: list) -> list:
        return actions

    def environment(self, action) -> bool:
        """Whether `action` is an environment action (default: none is)."""
        return False

    def is_environment(self, actions: np.ndarray) -> np.ndarray:
        return np.array([self.environment(self.action(int(a))) for a in actions], dtype=np.bool_)

    def init_states(self) -> Sequence[Hashable]:
        raise NotImplementedError

    def actions(self, state) -> list:
        raise NotImplementedError

    def next_state(self, state, action):
        raise NotImplementedError

    def encode(self, state) -> bytes:
        raise NotImplementedError

    def symmetries(self) -> Sequence[Any]:
        return ()

    def encode_under(self, state, symmetry) -> bytes:
        raise NotImplementedError

    # --- the adapter --------------------------------------------------------------------

    @property
    def symmetry_group_size(self) -> int:
        return 1 + len(self.symmetries())

    def _row(self, key: bytes) -> np.ndarray:
        if len(key) > self.width - 2:
            raise ValueError(f"an encoding of {len(key)} bytes does not fit a row of {self.width}")
        row = np.zeros(self.width, dtype=np.uint8)
        row[:2] = len(key) & 255, len(key) >> 8
        row[2:2 + len(key)] = np.frombuffer(key, dtype=np.uint8)
        return row

    def _key(self, row: np.ndarray) -> bytes:
        n = int(row[0]) | int(row[1]) << 8
        return row[2:2 + n].tobytes()

    def decode(self, row):
        return self.decode_key(self._key(row))

    def decode_key(self, key: bytes):
        raise NotImplementedError

    def _canonical_key(self, state) -> bytes:
        key = self.encode(state)
        for symmetry in self.symmetries():
            key = min(key, self.encode_under(state, symmetry))
        return key

    def initial_rows(self) -> np.ndarray:
        return np.array([self._row(self.encode(s)) for s in self.init_states()], dtype=np.uint8)

    def canonical(self, rows):
        return np.array([self._row(self._canonical_key(self.decode(r))) for r in rows],
                        dtype=np.uint8).reshape(len(rows), self.width)

    def action(self, index: int):
        return self._actions[index]

    def _action_index(self, action) -> int:
        if not hasattr(self, "_actions"):
            self._actions, self._action_ids = [], {}
        if action not in self._action_ids:
            self._action_ids[action] = len(self._actions)
            self._actions.append(action)
        return self._action_ids[action]

    def successors(self, rows, symmetry, reduce, spare=None):
        out, source, action = [], [], []
        reduced = np.zeros(len(rows), dtype=np.bool_)
        for r, row in enumerate(rows):
            state = self.decode(row)
            actions = self.actions(state)
            if reduce:
                subset = self.ample(state, actions)
                reduced[r] = len(subset) < len(actions)
                actions = subset
            for a in actions:
                nxt = self.next_state(state, a)
                key = self._canonical_key(nxt) if symmetry else self.encode(nxt)
                out.append(self._row(key))
                source.append(r)
                action.append(self._action_index(a))
        return Successors(np.array(out, dtype=np.uint8).reshape(len(out), self.width),
                          np.arange(len(out), dtype=np.int64), np.array(source, dtype=np.int64),
                          np.array(action, dtype=np.int64), reduced)
