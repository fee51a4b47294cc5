"""The visited set: every state found so far, by discovery rank (its id).

States are rows of `width` bytes (a multiple of 8, compared as 64-bit words). Two stores:

- `ExactStore` keeps every row, packed (`checker.rows`: a bitmap of the row's non-zero
  bytes, then those bytes; only an offset per state is kept), and finds them by a hash
  table whose entries hold a tag of the row's hash and its id (`checker.tables`). A
  candidate is compared with a stored row in place, and packed only when it is new.
- `FingerprintStore` keeps a 64-bit hash per state instead of the row: two distinct
  states with one fingerprint would make the search miss the second (and what only it
  leads to). For n states and a uniform hash, the chance that any two share one is at
  most n(n-1)/2 / 2^64, the birthday bound, which the result reports. The rows of the
  level being expanded and of the next are kept apart (`checker.frontier.FrontierRows`).

Both insert a batch of candidate rows in order, so ids are the same on every run. This
module holds the stores and how their arrays grow; the compiled work is in
`checker.rows` and `checker.tables`.
"""

from __future__ import annotations

import sys

import numpy as np

from hacheck.checker.rows import PackedRows, unpack_rows
from hacheck.checker.tables import (
    assign_ids, batch_repeats, exact_insert, fingerprint_insert, partitioned_lookup,
    partitioned_rehash, spread, store_new,
)

MAX_LOAD = 0.7


LARGE = 1 << 28     # bytes: an array this large grows by half, not twice


def capacity(array: np.ndarray, needed: int) -> int:
    """The length `array` grows to when it must hold `needed` items: twice its length,
    but only half again once it is LARGE (the old and the new array are both held while
    it is copied, and a search that has filled most of the memory should still be able
    to grow its largest array once more), and at least `needed`."""
    length = array.shape[0]
    factor = 3 / 2 if array.nbytes >= LARGE else 2
    return max(needed, int(length * factor))


def _grown(array: np.ndarray, needed: int) -> np.ndarray:
    if needed <= array.shape[0]:
        return array
    bigger = np.empty((capacity(array, needed),) + array.shape[1:], dtype=array.dtype)
    bigger[:array.shape[0]] = array
    return bigger


def growth_cost(array: np.ndarray, needed: int) -> int:
    """The bytes `grow` would add to the process's memory to give `array` room for
    `needed` items: the added part only when it can resize in place (nothing else refers
    to the array: 3 is the count of the owner's attribute, this call's argument and
    getrefcount's), else the whole grown copy, held beside the old one."""
    if needed <= array.shape[0]:
        return 0
    row = array.nbytes // max(array.shape[0], 1)
    new = capacity(array, needed)
    return row * (new - array.shape[0] if sys.getrefcount(array) <= 3 else new)


def grow(owner, name: str, needed: int) -> None:
    """Give `owner.<name>` room for `needed` items (its length by `capacity`): in place
    when nothing else refers to the array (numpy's resize, a realloc: the C library
    remaps a large block instead of copying it, so the items already there are neither
    copied nor touched again), else as a grown copy (a view of it is alive)."""
    if needed <= getattr(owner, name).shape[0]:
        return
    array = getattr(owner, name)
    shape = (capacity(array, needed),) + array.shape[1:]
    del array
    try:
        getattr(owner, name).resize(shape, refcheck=True)
    except ValueError:
        setattr(owner, name, _grown(getattr(owner, name), needed))


def table_size(states: int) -> int:
    size = 1 << 10
    while states > size * MAX_LOAD:
        size <<= 1
    return size


def find_repeats(batch: np.ndarray, index: np.ndarray, hashes: np.ndarray,
                 rows: bool) -> np.ndarray:
    """Which rows batch[index] (as words) repeat a row before them in the batch: for each,
    -2 - y if it repeats row y, -1 if it is the first of its row. A batch's successors
    repeat each other (siblings share children: 25 of the 43 million candidates of the
    crash-and-restart space), and a repeat need not be looked up in the store's table,
    nor in the insert's turn (docs/performance.md, "Repeats"). Found in a table of the
    batch's own, in the cache, outside the insert; rows are compared only if `rows`
    (a fingerprint store identifies a row by its hash)."""
    n = index.shape[0]
    repeats = np.empty(n, dtype=np.int64)
    slots = np.zeros(1 << max(4, (2 * n - 1).bit_length()), dtype=np.int64)
    batch_repeats(batch, index, hashes, rows, slots, repeats)
    return repeats


NO_REPEATS = np.zeros(0, dtype=np.int64)


class ExactStore:
    """Every stored row, exactly (packed; see the module docstring). With `parts` > 1 (a
    power of two: one per worker) the table is split by the tags' top bits into regions
    that the workers search and fill at once (`partitioned_lookup`); ids and offsets are
    then assigned in batch order, so they are those of the one-part table."""

    fingerprint = False
    threads = 1      # for growing the table (`spread`)

    def __init__(self, width: int, parts: int = 1):
        self.parts = 1 << max(0, int(parts).bit_length() - 1)
        self.width = width
        self.hash_words = width // 8      # a state is hashed on its whole row
        self.count = np.zeros(1, dtype=np.int64)
        self.used = np.zeros(1, dtype=np.int64)
        self.heap = np.zeros(1 << 16, dtype=np.uint8)
        self.offsets = np.zeros(1024, dtype=np.int64)
        self.table = np.zeros(table_size(0), dtype=np.uint64)
        self.packed = np.zeros(width + width // 8, dtype=np.uint8)

    def __len__(self) -> int:
        return int(self.count[0])

    def find_repeats(self, batch: np.ndarray, index: np.ndarray,
                     hashes: np.ndarray) -> np.ndarray | None:
        """`find_repeats` (rows compared); None for a partitioned table, whose lookup
        finds repeats itself."""
        return None if self.parts > 1 else find_repeats(batch, index, hashes, rows=True)

    def insert(self, batch: np.ndarray, index: np.ndarray, hashes: np.ndarray, limit: int,
               repeats: np.ndarray | None = None):
        """(ids, new, looked_at) for the rows batch[index] (as words), inserted in order
        until `limit` states are stored; rows past `looked_at` were not looked at.
        `repeats`: `find_repeats` of these rows (then only the first of each row is
        looked up; ids, counts and what is new are the same)."""
        if self.parts > 1:
            return self._insert_partitioned(batch, index, hashes, limit)
        rows = batch.view(np.uint8)
        n = len(self) + index.shape[0]
        grow(self, "offsets", n)
        if table_size(n) > self.table.shape[0]:
            old, self.table = self.table, np.zeros(table_size(n), dtype=np.uint64)
            spread(old, 32, self.table, threads=self.threads)
        ids = np.full(index.shape[0], -1, dtype=np.int64)
        new = np.zeros(index.shape[0], dtype=np.bool_)
        done = 0
        repeats = NO_REPEATS if repeats is None else repeats
        while done < index.shape[0]:   # the heap grows between passes, never inside one
            grow(self, "heap", int(self.used[0]) + 2 * (self.width + self.width // 8))
            done = exact_insert(self.table, self.heap, self.used, self.offsets, self.count,
                                rows, batch, index, hashes, repeats, ids, new, done, limit,
                                self.packed)
            if len(self) >= limit:
                break
            if done < index.shape[0]:
                grow(self, "heap", self.heap.shape[0] + 1)   # by the policy
        return ids, new, done

    def _insert_partitioned(self, batch, index, hashes, limit):
        """`insert`, its regions searched in parallel: in chunks that cannot pass `limit`."""
        rows = batch.view(np.uint8)
        ids = np.full(index.shape[0], -1, dtype=np.int64)
        new = np.zeros(index.shape[0], dtype=np.bool_)
        shift = np.uint64(32 - (self.parts.bit_length() - 1))
        done = 0
        while done < index.shape[0] and len(self) < limit:
            part = slice(done, min(index.shape[0], done + limit - len(self)))
            k = part.stop - part.start
            size = self._table_for(k)
            if size > self.table.shape[0]:
                old, self.table = self.table, np.zeros(size, dtype=np.uint64)
                partitioned_rehash(old, self.table, self.parts, shift)
            grow(self, "offsets", len(self) + k)
            grow(self, "heap", int(self.used[0]) + k * (self.width + self.width // 8))
            slots = np.empty(k, dtype=np.uint64)
            lengths = np.zeros(k, dtype=np.int64)
            partitioned_lookup(self.table, self.parts, shift, self.heap, self.offsets, rows,
                                batch, index[part], hashes[part], ids[part], new[part], slots,
                                lengths)
            assign_ids(ids[part], new[part], lengths, self.count, self.used, self.offsets)
            store_new(self.table, self.heap, self.offsets, rows, index[part], hashes[part],
                       ids[part], new[part], slots)
            done = part.stop
        return ids, new, done

    def _table_for(self, more: int) -> int:
        """A table in which no region can fill up while `more` candidates go in, even if
        all of them land in one region."""
        if self.parts == 1:
            return table_size(len(self) + more)
        return max(table_size(len(self) + more),
                   self.parts * table_size(len(self) // self.parts + more))

    def growth_bytes(self, more: int) -> int:
        """At most what inserting `more` rows now would allocate (the arrays that would
        have to grow), so that a search can stop before it passes a memory limit."""
        extra = growth_cost(self.offsets, len(self) + more)
        if self._table_for(more) > self.table.shape[0]:
            extra += 8 * self._table_for(more)
        return extra + growth_cost(self.heap,
                                   int(self.used[0]) + more * (self.width + self.width // 8))

    def identity(self, state_id: int) -> bytes:
        return self.rows(state_id, state_id + 1).tobytes()

    @staticmethod
    def identity_of(words: np.ndarray, hash_value: int) -> bytes:
        return words.tobytes()

    def rows(self, lo: int, hi: int) -> np.ndarray:
        out = np.empty((hi - lo, self.width), dtype=np.uint8)
        unpack_rows(self.heap, self.offsets, lo, hi, out)
        return out

    def packed_rows(self, lo: int, hi: int) -> PackedRows:
        """The rows lo .. hi - 1, packed: a copy of their bytes, since the heap may move
        when it grows. Another thread may be inserting meanwhile (`checker.ahead.Turns`):
        rows already stored are never written again, a row's offset is written before
        the count that shows it, and while the slices taken here are alive `grow` copies
        the heap instead of moving it."""
        begin = int(self.offsets[lo])
        stop = int(self.offsets[hi]) if hi < len(self) else int(self.used[0])
        return PackedRows(self.width, [(self.heap[begin:stop].copy(),
                                        self.offsets[lo:hi] - begin, 0, hi - lo)])

    def snapshot(self) -> dict[str, np.ndarray]:
        """What a checkpoint keeps of the store (`restore` puts it back)."""
        n, used = len(self), int(self.used[0])
        return {"count": self.count, "used": self.used, "heap": self.heap[:used],
                "offsets": self.offsets[:n], "table": self.table,
                "parts": np.array([self.parts])}

    def restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.parts = int(arrays["parts"][0])     # the table's layout is the saved one
        self.count, self.used = arrays["count"].copy(), arrays["used"].copy()
        self.heap, self.offsets = arrays["heap"].copy(), arrays["offsets"].copy()
        self.table = arrays["table"].copy()

    def bytes_per_state(self) -> float:
        """Memory held by the packed rows, their offsets and the hash table, per state."""
        n = len(self)
        return (int(self.used[0]) + 8 * n + self.table.nbytes) / n if n else 0.0

    def collision_probability(self) -> float:
        return 0.0

    def skipped(self, lo: int, hi: int) -> np.ndarray:
        """States of a level the search need not expand (none: an exact store)."""
        return np.zeros(hi - lo, dtype=np.bool_)


class FingerprintStore:
    """A 64-bit fingerprint per state (see the module docstring)."""

    fingerprint = True
    threads = 1      # for growing the table (`spread`)

    def __init__(self, width: int):
        self.words = width // 8
        self.hash_words = self.words
        self.count = np.zeros(1, dtype=np.int64)
        self.by_id = np.zeros(1024, dtype=np.uint64)
        self.table = np.zeros(table_size(0), dtype=np.uint64)
        self.table_ids = np.zeros(self.table.shape[0], dtype=np.uint32)

    def __len__(self) -> int:
        return int(self.count[0])

    @staticmethod
    def find_repeats(batch: np.ndarray, index: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        return find_repeats(batch, index, hashes, rows=False)

    def insert(self, batch: np.ndarray, index: np.ndarray, hashes: np.ndarray, limit: int,
               repeats: np.ndarray | None = None):
        """As `ExactStore.insert`."""
        n = len(self) + index.shape[0]
        grow(self, "by_id", n)
        if table_size(n) > self.table.shape[0]:
            old, old_ids = self.table, self.table_ids
            self.table = np.zeros(table_size(n), dtype=np.uint64)
            self.table_ids = np.zeros(self.table.shape[0], dtype=np.uint32)
            spread(old, 0, self.table, old_ids, self.table_ids, self.threads)
            del old, old_ids
        ids = np.full(index.shape[0], -1, dtype=np.int64)
        new = np.zeros(index.shape[0], dtype=np.bool_)
        done = fingerprint_insert(self.table, self.table_ids, self.by_id, self.count, hashes,
                                   NO_REPEATS if repeats is None else repeats, ids, new,
                                   limit)
        return ids, new, done

    def growth_bytes(self, more: int) -> int:
        """At most what inserting `more` fingerprints now would allocate."""
        n = len(self) + more
        extra = growth_cost(self.by_id, n)
        if table_size(n) > self.table.shape[0]:
            extra += 12 * table_size(n)
        return extra

    def identity(self, state_id: int) -> int:
        return int(self.by_id[state_id])

    @staticmethod
    def identity_of(words: np.ndarray, hash_value: int) -> int:
        return int(hash_value) or 1

    def snapshot(self) -> dict[str, np.ndarray]:
        """What a checkpoint keeps of the store (`restore` puts it back)."""
        return {"count": self.count, "by_id": self.by_id[:len(self)], "table": self.table,
                "table_ids": self.table_ids}

    def restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.count, self.by_id = arrays["count"].copy(), arrays["by_id"].copy()
        self.table, self.table_ids = arrays["table"].copy(), arrays["table_ids"].copy()

    def bytes_per_state(self) -> float:
        """Memory held by the fingerprints and the hash table, per stored state."""
        n = len(self)
        return (self.by_id.nbytes + self.table.nbytes + self.table_ids.nbytes) / n if n else 0.0

    def collision_probability(self) -> float:
        n = len(self)
        return min(1.0, n * (n - 1) / 2 / 2.0 ** 64)

    def skipped(self, lo: int, hi: int) -> np.ndarray:
        return np.zeros(hi - lo, dtype=np.bool_)
