"""The visited set: every state found so far, by discovery rank (its id).

States are rows of `width` bytes (a multiple of 8, compared as 64-bit words). Two stores:

- `ExactStore` keeps every row. Its hash table is open addressing with linear probing;
  a slot holds the upper 32 bits of the row's hash (so most probes reject without
  reading the row) and the row's id + 1 (0 is an empty slot). Rows, hash table and
  parent links cost width + 8/load + 4 bytes per state.
- `FingerprintStore` keeps a 64-bit hash per state instead of the row: two distinct
  states with one fingerprint would make the search miss the second (and what only it
  leads to). For n states and a uniform hash, the chance that any two share one is at
  most n(n-1)/2 / 2^64, the birthday bound, which the result reports. The rows of the
  level being expanded and of the next are kept apart (`FrontierRows`).

Both insert a batch of candidate rows in order, so ids are the same on every run.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

EMPTY = np.uint64(0)
MAX_LOAD = 0.7
P1 = np.uint64(0x9E3779B97F4A7C15)
P2 = np.uint64(0xC2B2AE3D27D4EB4F)
P3 = np.uint64(0x165667B19E3779F9)


@njit(cache=True)
def _fmix(h):
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


@njit(cache=True)
def row_hash(words):
    """A 64-bit hash of a row given as 64-bit words."""
    h = np.uint64(words.shape[0]) * P3
    for w in words:
        h ^= _fmix(w ^ P2) * P1
        h = (h << np.uint64(27)) | (h >> np.uint64(37))
        h = h * P1 + P2
    return _fmix(h)


@njit(cache=True, parallel=True)
def hash_rows(words, out):
    for r in prange(words.shape[0]):
        out[r] = row_hash(words[r])


@njit(cache=True)
def _same(a, b):
    for x in range(a.shape[0]):
        if a[x] != b[x]:
            return False
    return True


@njit(cache=True)
def _exact_insert(table, stored, count, batch, hashes, ids, new, limit):
    """Look each batch row up, in order; store the new ones. ids[r] := its id. Stops
    once `limit` states are stored; returns how many rows it looked at."""
    mask = np.uint64(table.shape[0] - 1)
    n = count[0]
    for r in range(batch.shape[0]):
        if n >= limit:
            count[0] = n
            return r
        h = hashes[r]
        tag = h >> np.uint64(32)
        slot = h & mask
        while True:
            entry = table[slot]
            if entry == EMPTY:
                stored[n] = batch[r]
                table[slot] = (tag << np.uint64(32)) | np.uint64(n + 1)
                ids[r] = n
                new[r] = True
                n += 1
                break
            if entry >> np.uint64(32) == tag:
                found = np.int64(entry & np.uint64(0xFFFFFFFF)) - 1
                if _same(stored[found], batch[r]):
                    ids[r] = found
                    new[r] = False
                    break
            slot = (slot + np.uint64(1)) & mask
    count[0] = n
    return batch.shape[0]


@njit(cache=True)
def _exact_rehash(table, stored, count):
    mask = np.uint64(table.shape[0] - 1)
    for n in range(count[0]):
        h = row_hash(stored[n])
        slot = h & mask
        while table[slot] != EMPTY:
            slot = (slot + np.uint64(1)) & mask
        table[slot] = ((h >> np.uint64(32)) << np.uint64(32)) | np.uint64(n + 1)


@njit(cache=True)
def _fingerprint_insert(table, table_ids, by_id, count, hashes, ids, new, limit):
    mask = np.uint64(table.shape[0] - 1)
    n = count[0]
    for r in range(hashes.shape[0]):
        if n >= limit:
            count[0] = n
            return r
        fp = hashes[r]
        if fp == EMPTY:
            fp = np.uint64(1)
        slot = fp & mask
        while True:
            entry = table[slot]
            if entry == EMPTY:
                table[slot] = fp
                table_ids[slot] = n
                by_id[n] = fp
                ids[r] = n
                new[r] = True
                n += 1
                break
            if entry == fp:
                ids[r] = table_ids[slot]
                new[r] = False
                break
            slot = (slot + np.uint64(1)) & mask
    count[0] = n
    return hashes.shape[0]


@njit(cache=True)
def _fingerprint_rehash(table, table_ids, by_id, count):
    mask = np.uint64(table.shape[0] - 1)
    for n in range(count[0]):
        fp = by_id[n]
        slot = fp & mask
        while table[slot] != EMPTY:
            slot = (slot + np.uint64(1)) & mask
        table[slot] = fp
        table_ids[slot] = n


def _grown(array: np.ndarray, needed: int) -> np.ndarray:
    if needed <= array.shape[0]:
        return array
    capacity = max(needed, array.shape[0] * 3 // 2)
    bigger = np.empty((capacity,) + array.shape[1:], dtype=array.dtype)
    bigger[:array.shape[0]] = array
    return bigger


def _table_size(states: int) -> int:
    size = 1 << 10
    while states > size * MAX_LOAD:
        size <<= 1
    return size


class ExactStore:
    """Every stored row, exactly."""

    fingerprint = False

    def __init__(self, width: int):
        self.words = width // 8
        self.count = np.zeros(1, dtype=np.int64)
        self.stored = np.zeros((1024, self.words), dtype=np.uint64)
        self.table = np.zeros(_table_size(0), dtype=np.uint64)

    def __len__(self) -> int:
        return int(self.count[0])

    def insert(self, batch: np.ndarray, hashes: np.ndarray, limit: int):
        """(ids, new, looked_at) for a batch of rows (as words), inserted in order until
        `limit` states are stored; rows past `looked_at` were not looked at."""
        n = len(self) + batch.shape[0]
        self.stored = _grown(self.stored, n)
        if _table_size(n) > self.table.shape[0]:
            self.table = np.zeros(_table_size(n), dtype=np.uint64)
            _exact_rehash(self.table, self.stored, self.count)
        ids = np.full(batch.shape[0], -1, dtype=np.int64)
        new = np.zeros(batch.shape[0], dtype=np.bool_)
        done = _exact_insert(self.table, self.stored, self.count, batch, hashes, ids, new, limit)
        return ids, new, done

    def identity(self, state_id: int) -> bytes:
        return self.stored[state_id].tobytes()

    @staticmethod
    def identity_of(words: np.ndarray, hash_value: int) -> bytes:
        return words.tobytes()

    def rows(self, lo: int, hi: int) -> np.ndarray:
        return self.stored[lo:hi]

    def bytes_per_state(self) -> float:
        """Memory held by the rows and the hash table, per stored state."""
        n = len(self)
        return (self.stored.nbytes + self.table.nbytes) / n if n else 0.0

    def collision_probability(self) -> float:
        return 0.0


class FingerprintStore:
    """A 64-bit fingerprint per state (see the module docstring)."""

    fingerprint = True

    def __init__(self, width: int):
        self.words = width // 8
        self.count = np.zeros(1, dtype=np.int64)
        self.by_id = np.zeros(1024, dtype=np.uint64)
        self.table = np.zeros(_table_size(0), dtype=np.uint64)
        self.table_ids = np.zeros(self.table.shape[0], dtype=np.uint32)

    def __len__(self) -> int:
        return int(self.count[0])

    def insert(self, batch: np.ndarray, hashes: np.ndarray, limit: int):
        n = len(self) + batch.shape[0]
        self.by_id = _grown(self.by_id, n)
        if _table_size(n) > self.table.shape[0]:
            self.table = np.zeros(_table_size(n), dtype=np.uint64)
            self.table_ids = np.zeros(self.table.shape[0], dtype=np.uint32)
            _fingerprint_rehash(self.table, self.table_ids, self.by_id, self.count)
        ids = np.full(batch.shape[0], -1, dtype=np.int64)
        new = np.zeros(batch.shape[0], dtype=np.bool_)
        done = _fingerprint_insert(self.table, self.table_ids, self.by_id, self.count, hashes,
                                   ids, new, limit)
        return ids, new, done

    def identity(self, state_id: int) -> int:
        return int(self.by_id[state_id])

    @staticmethod
    def identity_of(words: np.ndarray, hash_value: int) -> int:
        return int(hash_value) or 1

    def bytes_per_state(self) -> float:
        """Memory held by the fingerprints and the hash table, per stored state."""
        n = len(self)
        return (self.by_id.nbytes + self.table.nbytes + self.table_ids.nbytes) / n if n else 0.0

    def collision_probability(self) -> float:
        n = len(self)
        return min(1.0, n * (n - 1) / 2 / 2.0 ** 64)
