"""The passed list of a timed search, the UPPAAL way: zones grouped by discrete state.

A symbolic state is a row whose first `key_bytes` are its discrete part (the key: equal
keys, equal clocks, and equal LU bounds for them), followed at `k_at` by the number k of
its clocks and at `zone_at` by its zone, a (k+1) x (k+1) difference-bound matrix of int16
bounds (`checker.zones`' encoding, INF16 for none), then the L and then the U bound of
each of its k clocks (int16, NO_BOUND16 for none: `checker.zones.alu_included`). The
store keeps each key once (packed, as `store.ExactStore` packs rows) and, per key, a
chain of the zones found with it:

- a new zone included in the aLU abstraction of a live zone of its key is not stored:
  the candidate gets that zone's id and is not new (every discrete path from it is a
  path from the larger zone);
- otherwise it is stored, and every live zone of its key included in its abstraction is
  marked covered by it (`covered_by`): it takes no part in later inclusion checks, and
  the search skips expanding it when the covering zone was found no later than its
  level.

aLU inclusion (Herbreteau, Srivathsan, Walukiewicz 2012) is coarser than element-wise
inclusion of the zones, even after the model's Extra+_LU, and keeps the same discrete
states reachable at the same depths. The bounds of a candidate serve for every zone
of its key (they are a function of the key), so only the zones are stored. Ids are
discovery ranks, and a batch is inserted in order, so ids, counts and which zone covers
which do not depend on the number of threads that computed the batch.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hacheck.checker.rows import UnpackedRows, pack_row, packed_equal, unpack_row
from hacheck.checker.store import grow, growth_cost, table_size
from hacheck.checker.tables import EMPTY, spread
from hacheck.checker.zones import INF, _add, le, lt

INF16 = 32767
NO_BOUND16 = -32768


@njit(cache=True, inline="always")
def _bound(v):
    """An int16 zone entry as checker.zones' int64 bound."""
    return INF if v == INF16 else np.int64(v)


@njit(cache=True)
def _alu_included16(a, a0, b, b0, dim, lu, l0):
    """Zone a ((dim x dim) int16 entries from a0) is included in aLU(zone b) (from
    b0), with the L bounds lu[l0 : l0 + dim - 1] and then the U bounds of clocks 1..dim-1:
    `checker.zones.alu_included` on the stored encoding."""
    K = dim - 1
    for x in range(dim):
        ux = 0 if x == 0 else np.int64(lu[l0 + K + x - 1])
        if x > 0 and lu[l0 + K + x - 1] == NO_BOUND16:
            continue
        ax = _bound(a[a0 + x])                  # a[0, x]: minus the lower bound of x
        if ax < le(-ux):
            continue
        for y in range(dim):
            if y == x:
                continue
            ly = 0 if y == 0 else np.int64(lu[l0 + y - 1])
            if y > 0 and lu[l0 + y - 1] == NO_BOUND16:
                continue
            byx = _bound(b[b0 + y * dim + x])
            if byx < _bound(a[a0 + y * dim + x]) and _add(byx, lt(-ly)) < ax:
                return False
    return True


@njit(cache=True, nogil=True, _nrt=False)      # a `leaf` that releases the GIL
def _zone_insert(table, key_heap, key_used, key_offsets, key_count, key_head,
                 zone_heap, zone_used, zone_offsets, zone_k, zone_key, zone_next, covered_by,
                 count, batch, words, index, hashes, ids, new, limit, packed,
                 key_words, k_at, zone_at):
    """Insert batch[index[x]] in order (see the module docstring). Stops once `limit`
    states are stored or a heap is full; returns how many candidates it looked at."""
    mask = np.uint64(table.shape[0] - 1)
    n = count[0]
    for x in range(index.shape[0]):
        row = batch[index[x]]
        K = row[k_at]
        size = (K + 1) * (K + 1)
        if (n >= limit or zone_used[0] + size > zone_heap.shape[0]
                or key_used[0] + 9 * key_words > key_heap.shape[0]
                or key_count[0] >= key_head.shape[0] or n >= zone_offsets.shape[0]):
            count[0] = n
            return x
        cand = row[zone_at:zone_at + 2 * size].view(np.int16)
        lu = row[zone_at + 2 * size:zone_at + 2 * size + 4 * K].view(np.int16)
        tag = hashes[x] >> np.uint64(32)
        slot = tag & mask
        key_id = -1
        while True:
            entry = table[slot]
            if entry == EMPTY:
                break
            if entry >> np.uint64(32) == tag:
                found = np.int64(entry & np.uint64(0xFFFFFFFF)) - 1
                if packed_equal(key_heap, key_offsets[found], words[index[x], :key_words]):
                    key_id = found
                    break
            slot = (slot + np.uint64(1)) & mask
        if key_id < 0:                       # a discrete state not seen before
            key_id = key_count[0]
            length = pack_row(row[:8 * key_words], packed)
            start = key_used[0]
            for i in range(length):
                key_heap[start + i] = packed[i]
            key_used[0] = start + length
            key_offsets[key_id] = start
            key_head[key_id] = -1
            table[slot] = (tag << np.uint64(32)) | np.uint64(key_id + 1)
            key_count[0] = key_id + 1
        covering = -1
        z = key_head[key_id]
        while z >= 0:
            if covered_by[z] < 0 and _alu_included16(cand, 0, zone_heap, zone_offsets[z],
                                                     K + 1, lu, 0):
                covering = z
                break
            z = zone_next[z]
        if covering >= 0:
            ids[x] = covering
            new[x] = False
            continue
        start = zone_used[0]
        for i in range(size):
            zone_heap[start + i] = cand[i]
        zone_used[0] = start + size
        zone_offsets[n] = start
        zone_k[n] = K
        zone_key[n] = key_id
        covered_by[n] = -1
        z = key_head[key_id]
        while z >= 0:
            if covered_by[z] < 0 and _alu_included16(zone_heap, zone_offsets[z], cand, 0,
                                                     K + 1, lu, 0):
                covered_by[z] = n
            z = zone_next[z]
        zone_next[n] = key_head[key_id]
        key_head[key_id] = n
        ids[x] = n
        new[x] = True
        n += 1
    count[0] = n
    return index.shape[0]


@njit(cache=True)
def _zone_rows(key_heap, key_offsets, zone_heap, zone_offsets, zone_k, zone_key, lo, hi,
               key_words, k_at, zone_at, out):
    for i in range(lo, hi):
        row = out[i - lo]
        row[:] = 0
        unpack_row(key_heap, key_offsets[zone_key[i]], row[:8 * key_words])
        K = zone_k[i]
        row[k_at] = K
        size = (K + 1) * (K + 1)
        row[zone_at:zone_at + 2 * size].view(np.int16)[:] = \
            zone_heap[zone_offsets[i]:zone_offsets[i] + size]


@njit(cache=True)
def _unpack_keys(key_heap, key_offsets, lo, hi, out):
    for i in range(lo, hi):
        unpack_row(key_heap, key_offsets[i], out[i - lo])


class ZoneStore:
    """The passed list (see the module docstring): `insert` as `ExactStore.insert`, but
    with inclusion; `covered_by[i]` is the id of the zone that covers zone i, or -1."""

    fingerprint = False
    threads = 1      # for growing the table (`spread`)

    def __init__(self, width: int, key_bytes: int, k_at: int, zone_at: int):
        assert key_bytes % 8 == 0
        self.width, self.key_words, self.k_at, self.zone_at = width, key_bytes // 8, k_at, zone_at
        self.hash_words = self.key_words
        self.count = np.zeros(1, dtype=np.int64)
        self.key_count = np.zeros(1, dtype=np.int64)
        self.key_used = np.zeros(1, dtype=np.int64)
        self.zone_used = np.zeros(1, dtype=np.int64)
        self.key_heap = np.zeros(1 << 16, dtype=np.uint8)
        self.key_offsets = np.zeros(1024, dtype=np.int64)
        self.key_head = np.zeros(1024, dtype=np.int64)
        self.zone_heap = np.zeros(1 << 16, dtype=np.int16)
        self.zone_offsets = np.zeros(1024, dtype=np.int64)
        self.zone_k = np.zeros(1024, dtype=np.uint8)
        self.zone_key = np.zeros(1024, dtype=np.int32)
        self.zone_next = np.zeros(1024, dtype=np.int32)
        self.covered_by = np.zeros(1024, dtype=np.int32)
        self.table = np.zeros(table_size(0), dtype=np.uint64)
        self.packed = np.zeros(key_bytes + key_bytes // 8, dtype=np.uint8)

    def __len__(self) -> int:
        return int(self.count[0])

    def widen(self, width: int) -> None:
        """Give out rows `width` bytes wide from now on (a model that made room for more
        clocks): what is stored, each zone over its own clocks, does not change."""
        assert width >= self.width
        self.width = width

    @property
    def keys(self) -> int:
        """How many distinct discrete states (keys) the zones are grouped by."""
        return int(self.key_count[0])

    def _room(self, more: int, zone_entries: int) -> None:
        n, keys = len(self) + more, self.keys + more
        for name in ("zone_offsets", "zone_k", "zone_key", "zone_next", "covered_by"):
            grow(self, name, n)
        grow(self, "key_offsets", keys)
        grow(self, "key_head", keys)
        grow(self, "zone_heap", int(self.zone_used[0]) + zone_entries)
        grow(self, "key_heap", int(self.key_used[0]) + more * 9 * self.key_words)
        if table_size(keys) > self.table.shape[0]:
            old, self.table = self.table, np.zeros(table_size(keys), dtype=np.uint64)
            spread(old, 32, self.table, threads=self.threads)

    def growth_bytes(self, more: int) -> int:
        """At most what inserting `more` states now would allocate: each may have as many
        zone entries as a row has room for."""
        n, keys = len(self) + more, self.keys + more
        extra = (growth_cost(self.zone_offsets, n) + growth_cost(self.zone_k, n)
                 + growth_cost(self.zone_key, n) + growth_cost(self.zone_next, n)
                 + growth_cost(self.covered_by, n) + growth_cost(self.key_offsets, keys)
                 + growth_cost(self.key_head, keys))
        extra += growth_cost(self.zone_heap, int(self.zone_used[0])
                             + more * ((self.width - self.zone_at) // 2))
        extra += growth_cost(self.key_heap, int(self.key_used[0]) + more * 9 * self.key_words)
        if table_size(self.keys + more) > self.table.shape[0]:
            extra += 8 * table_size(self.keys + more)
        return extra

    def insert(self, batch: np.ndarray, index: np.ndarray, hashes: np.ndarray, limit: int):
        """(ids, new, looked_at) for the rows batch[index] (as 64-bit words), hashed on
        their keys, inserted in order until `limit` states are stored."""
        rows = batch.view(np.uint8)
        sizes = (rows[index, self.k_at].astype(np.int64) + 1) ** 2
        self._room(len(index), int(sizes.sum()))
        ids = np.full(index.shape[0], -1, dtype=np.int64)
        new = np.zeros(index.shape[0], dtype=np.bool_)
        looked = _zone_insert(self.table, self.key_heap, self.key_used, self.key_offsets,
                              self.key_count, self.key_head, self.zone_heap, self.zone_used,
                              self.zone_offsets, self.zone_k, self.zone_key, self.zone_next,
                              self.covered_by, self.count, rows, batch, index, hashes, ids,
                              new, limit, self.packed, self.key_words, self.k_at, self.zone_at)
        return ids, new, looked

    def rows(self, lo: int, hi: int) -> np.ndarray:
        out = np.empty((hi - lo, self.width), dtype=np.uint8)
        _zone_rows(self.key_heap, self.key_offsets, self.zone_heap, self.zone_offsets,
                   self.zone_k, self.zone_key, lo, hi, self.key_words, self.k_at,
                   self.zone_at, out)
        return out

    def packed_rows(self, lo: int, hi: int) -> UnpackedRows:
        """The rows lo .. hi - 1, for a thread that may read them while the store grows:
        unpacked here, as the zone heap may move."""
        return UnpackedRows(self.rows(lo, hi))

    def identity(self, state_id: int) -> bytes:
        return self.rows(state_id, state_id + 1).tobytes()

    @staticmethod
    def identity_of(words: np.ndarray, hash_value: int) -> bytes:
        return words.tobytes()

    def within(self, found: bytes, recorded: bytes) -> bool:
        """The row `found` (a successor, with its clocks' bounds) is the same discrete
        state as the stored row `recorded`, with a zone included in the aLU abstraction
        of its zone (both as bytes of whole rows)."""
        a = np.frombuffer(found, dtype=np.uint8)
        b = np.frombuffer(recorded, dtype=np.uint8)
        if not np.array_equal(a[:8 * self.key_words], b[:8 * self.key_words]):
            return False
        K = int(a[self.k_at])
        size = (K + 1) ** 2
        za = a[self.zone_at:self.zone_at + 2 * size].view(np.int16)
        zb = b[self.zone_at:self.zone_at + 2 * size].view(np.int16)
        lu = a[self.zone_at + 2 * size:self.zone_at + 2 * size + 4 * K].view(np.int16)
        return bool(_alu_included16(za, 0, zb, 0, K + 1, lu, 0))

    def keys_rows(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """The stored keys lo..hi-1 (default: all), unpacked (one row per discrete state
        with its clocks)."""
        hi = self.keys if hi is None else hi
        out = np.empty((hi - lo, 8 * self.key_words), dtype=np.uint8)
        if hi > lo:
            _unpack_keys(self.key_heap, self.key_offsets, lo, hi, out)
        return out

    def skipped(self, lo: int, hi: int) -> np.ndarray:
        """Of the ids lo..hi-1 (one level), those covered by a zone found before `hi`,
        that is at the same level or earlier: expanding them finds nothing shorter."""
        cover = self.covered_by[lo:hi]
        return (cover >= 0) & (cover < hi)

    def bytes_per_state(self) -> float:
        """Memory held by the keys, the zones and their bookkeeping, per stored state."""
        n = len(self)
        if not n:
            return 0.0
        per_zone = 8 + 1 + 4 + 4 + 4       # offset, k, key, next, covered_by
        return (int(self.key_used[0]) + 16 * self.keys + self.table.nbytes
                + 2 * int(self.zone_used[0]) + per_zone * n) / n

    def collision_probability(self) -> float:
        return 0.0
