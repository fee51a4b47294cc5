"""The visited set: every state found so far, by discovery rank (its id).

States are rows of `width` bytes (a multiple of 8, compared as 64-bit words). Two stores:

- `ExactStore` keeps every row, packed: a bitmap of the row's non-zero bytes, then those
  bytes (rows are mostly empty queue slots, so this halves them or better; the packed
  length follows from the bitmap, so only an offset per state is kept). Its hash table
  is open addressing with linear probing; an entry holds the upper 32 bits of the row's
  hash (its tag) and the row's id + 1 (0 is an empty slot). The home slot is taken from
  the tag too, so most probes reject without reading a row, and growing the table moves
  entries without reading rows or hashing again. A candidate is compared with a stored
  row in place, and packed only when it is new.
- `FingerprintStore` keeps a 64-bit hash per state instead of the row: two distinct
  states with one fingerprint would make the search miss the second (and what only it
  leads to). For n states and a uniform hash, the chance that any two share one is at
  most n(n-1)/2 / 2^64, the birthday bound, which the result reports. The rows of the
  level being expanded and of the next are kept apart (`checker.frontier.FrontierRows`).

Both insert a batch of candidate rows in order, so ids are the same on every run.
"""

from __future__ import annotations

import sys

import numpy as np
from numba import njit, prange

from hacheck.checker.compiled import compiled_threads, leaf, prefetch

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


@leaf
def row_hash(words):
    """A 64-bit hash of a row given as 64-bit words."""
    h = np.uint64(words.shape[0]) * P3
    for w in words:
        h ^= _fmix(w ^ P2) * P1
        h = (h << np.uint64(27)) | (h >> np.uint64(37))
        h = h * P1 + P2
    return _fmix(h)


@leaf
def _hash_of(words, r):
    return row_hash(words[r])      # the view, taken in a leaf, is not reference counted


@njit(cache=True, parallel=True, nogil=True)
def hash_rows(words, index, out):
    """out[x] := the hash of row index[x]."""
    for x in prange(index.shape[0]):
        out[x] = _hash_of(words, index[x])


def row_hashes(words: np.ndarray, index: np.ndarray | None = None) -> np.ndarray:
    """The hash of each row words[index] (of every row without `index`), as the stores
    hash them; `words` is rows viewed as uint64."""
    if index is None:
        index = np.arange(len(words), dtype=np.int64)
    out = np.empty(len(index), dtype=np.uint64)
    hash_rows(words, index, out)
    return out


@leaf
def pack_row(row, out):
    """out := the bitmap of row's non-zero bytes, then those bytes; returns its length."""
    W = row.shape[0]
    n = W // 8
    for b in range(W // 8):
        bits = 0
        for x in range(8):
            v = row[8 * b + x]
            if v != 0:
                bits |= 1 << x
                out[n] = v
                n += 1
        out[b] = bits
    return n


@leaf
def unpack_row(heap, start, out):
    W = out.shape[0]
    n = start + W // 8
    for b in range(W // 8):
        bits = heap[start + b]
        for x in range(8):
            if bits >> x & 1:
                out[8 * b + x] = heap[n]
                n += 1
            else:
                out[8 * b + x] = 0


@leaf
def packed_equal(heap, start, words):
    """Is the packed row at heap[start:] equal to the row given as 64-bit `words`? Read in
    place: an 8-byte group whose bitmap byte is 0 (the common case: empty queue slots)
    costs one comparison."""
    G = words.shape[0]
    n = start + G
    for b in range(G):
        bits = heap[start + b]
        w = words[b]
        if bits == 0:
            if w != 0:
                return False
            continue
        for x in range(8):
            v = (w >> np.uint64(8 * x)) & np.uint64(0xFF)
            if bits >> x & 1:
                if heap[n] != v:
                    return False
                n += 1
            elif v != 0:
                return False
    return True


@njit(cache=True, nogil=True)
def unpack_rows(heap, offsets, lo, hi, out):
    for i in range(lo, hi):
        unpack_row(heap, offsets[i], out[i - lo])


class PackedRows:
    """Rows still packed, from memory no thread writes any more (a copy, or chunks that
    are never changed), so that another thread may unpack them while the store grows."""

    def __init__(self, width: int, pieces: list):
        self.width = width
        self.pieces = pieces    # (heap, starts, first, stop): rows first .. stop - 1 of each

    def __len__(self) -> int:
        return sum(stop - first for _, _, first, stop in self.pieces)

    def unpack(self) -> np.ndarray:
        out = np.empty((len(self), self.width), dtype=np.uint8)
        at = 0
        for heap, starts, first, stop in self.pieces:
            unpack_rows(heap, starts, first, stop, out[at:at + stop - first])
            at += stop - first
        return out


class UnpackedRows:
    """Rows already unpacked, read as `PackedRows` are."""

    def __init__(self, rows: np.ndarray):
        self.rows = rows

    def unpack(self) -> np.ndarray:
        return self.rows


PROVISIONAL = np.uint64(1 << 31)   # an entry's low half: a candidate of this batch, not an id
LOW = np.uint64(0xFFFFFFFF)


@njit(cache=True)
def _home(tag, shift, region_mask, region_size):
    """The region (the tag's top bits) and the home slot in it (the tag's low bits). One
    region (shift 32) is the whole table."""
    part = tag >> shift
    return part, part * region_size + (tag & region_mask)


AHEAD = 16      # candidates: how far ahead a lookup's memory is asked for (see _fetch_ahead)


@leaf
def _fetch_ahead(table, heap, offsets, hashes, x, part, shift, region_mask, region_size):
    """Prefetch what the lookups of later candidates will read, in three steps so that
    each reads what the one before brought: candidate x + AHEAD's home slot, the offset
    of the row that x + AHEAD/2's home slot names, and the packed row itself for
    x + AHEAD/4. The hits are stored rows (most successors were seen before), and each
    of these reads would otherwise be a cache miss waited for in turn. A slot that has
    changed since costs only a useless fetch (a prefetch never faults). Only candidates
    whose home is in region `part` are fetched for (the partitioned lookup's thread)."""
    n = hashes.shape[0]
    if x + AHEAD < n:
        region, slot = _home(hashes[x + AHEAD] >> np.uint64(32), shift, region_mask,
                             region_size)
        if region == part:
            prefetch(table, slot)
    if x + AHEAD // 2 < n:
        stored = _stored_at_home(table, hashes[x + AHEAD // 2], part, shift, region_mask,
                                 region_size)
        if stored >= 0:
            prefetch(offsets, stored)
    if x + AHEAD // 4 < n:
        stored = _stored_at_home(table, hashes[x + AHEAD // 4], part, shift, region_mask,
                                 region_size)
        if stored >= 0:
            start = offsets[stored]
            prefetch(heap, start)
            prefetch(heap, start + 63)


@njit(cache=True, inline="always")
def _stored_at_home(table, hash_value, part, shift, region_mask, region_size):
    """The id of the stored row whose entry sits in the home slot of `hash_value`, if its
    tag is that hash's and the home is in region `part`; -1 otherwise."""
    tag = hash_value >> np.uint64(32)
    region, slot = _home(tag, shift, region_mask, region_size)
    entry = table[slot] if region == part else EMPTY
    if entry >> np.uint64(32) == tag and not entry & PROVISIONAL and entry != EMPTY:
        return np.int64(entry & LOW) - 1
    return np.int64(-1)


@njit(cache=True, nogil=True, _nrt=False)      # a `leaf` that releases the GIL
def _exact_insert(table, heap, used, offsets, count, batch, words, index, hashes, ids, new,
                  limit, packed):
    """Look rows batch[index[x]] up, in order; store the new ones. ids[x] := its id. Stops
    once `limit` states are stored, or when the heap has no room for another row;
    returns how many rows it looked at."""
    mask = np.uint64(table.shape[0] - 1)
    size = np.uint64(table.shape[0])
    W = batch.shape[1]
    n = count[0]
    for x in range(index.shape[0]):
        if n >= limit or used[0] + W + W // 8 > heap.shape[0]:
            count[0] = n
            return x
        _fetch_ahead(table, heap, offsets, hashes, x, np.uint64(0), np.uint64(32), mask, size)
        row = batch[index[x]]
        tag = hashes[x] >> np.uint64(32)
        slot = tag & mask
        while True:
            entry = table[slot]
            if entry == EMPTY:
                length = pack_row(row, packed)
                start = used[0]
                for b in range(length):
                    heap[start + b] = packed[b]
                used[0] = start + length
                offsets[n] = start
                table[slot] = (tag << np.uint64(32)) | np.uint64(n + 1)
                ids[x] = n
                new[x] = True
                n += 1
                break
            if entry >> np.uint64(32) == tag:
                found = np.int64(entry & np.uint64(0xFFFFFFFF)) - 1
                if packed_equal(heap, offsets[found], words[index[x]]):
                    ids[x] = found
                    new[x] = False
                    break
            slot = (slot + np.uint64(1)) & mask
    count[0] = n
    return index.shape[0]


SPILL = 4096     # entries per thread a parallel rehash leaves to its serial pass


@njit(cache=True, parallel=True, nogil=True)
def _spread(old, old_ids, shift, table, table_ids, parts, spill, spilled):
    """Move every entry of the `old` table into the empty, larger `table`: linear probing
    from its home slot (key >> shift) & mask; `table_ids`, unless empty, gets its id from
    `old_ids`. `parts` threads at once. The new size is the old one S times a power of
    two, and a key's home modulo S is its home in the old table, so thread p takes the
    old slots of its range [p S / parts, (p + 1) S / parts) and writes only new slots
    whose position modulo S lies in that range: no two threads write one slot. A key
    whose home is another thread's (it had been pushed across a range's end), or whose
    probe would leave the range, is left in `spill` (its old slot; `spilled` counts them,
    past the room too) for `_spread_rest`; one thread leaves none. Each run of full
    slots still starts at its keys' homes, as lookups need."""
    mask = np.uint64(table.shape[0] - 1)
    old_mask = np.uint64(old.shape[0] - 1)
    span = old.shape[0] // parts
    for p in prange(parts):
        lo, hi = np.uint64(p * span), np.uint64((p + 1) * span)
        n = 0
        for x in range(p * span, (p + 1) * span):
            key = old[x]
            if key == EMPTY:
                continue
            slot = (key >> shift) & mask
            mine = lo <= (slot & old_mask) < hi
            while mine and table[slot] != EMPTY:
                if parts == 1:           # one range is the whole table: round its end
                    slot = (slot + np.uint64(1)) & mask
                    continue
                slot += np.uint64(1)
                mine = slot <= mask and lo <= (slot & old_mask) < hi
            if not mine:
                if n < spill.shape[1]:
                    spill[p, n] = x
                n += 1
                continue
            table[slot] = key
            if table_ids.shape[0]:
                table_ids[slot] = old_ids[x]
        spilled[p] = n


@njit(cache=True, nogil=True)
def _spread_rest(old, old_ids, shift, table, table_ids, spill, spilled):
    """The entries `_spread` left, probing across ranges and round the table's end."""
    mask = np.uint64(table.shape[0] - 1)
    for p in range(spill.shape[0]):
        for n in range(spilled[p]):
            x = spill[p, n]
            slot = (old[x] >> shift) & mask
            while table[slot] != EMPTY:
                slot = (slot + np.uint64(1)) & mask
            table[slot] = old[x]
            if table_ids.shape[0]:
                table_ids[slot] = old_ids[x]


NO_IDS = np.zeros(0, dtype=np.uint32)


def spread(old: np.ndarray, shift: int, table: np.ndarray, old_ids: np.ndarray = NO_IDS,
           table_ids: np.ndarray = NO_IDS, threads: int = 1, spill: int = SPILL) -> None:
    """Rehash: every entry of `old` into the empty `table` (see `_spread`), on `threads`
    threads. Growing the table is the one long step of the insert, which has the
    search's thread to itself: with a pool, the other cores would wait for it
    (docs/performance.md, "Two stages")."""
    parts = 1 << max(0, threads.bit_length() - 1)
    while parts > 1 and old.shape[0] // parts < 1 << 12:
        parts //= 2          # short ranges would only spill
    rest = np.zeros((parts, spill), dtype=np.int64)
    spilled = np.zeros(parts, dtype=np.int64)
    with compiled_threads(parts):
        _spread(old, old_ids, np.uint64(shift), table, table_ids, parts, rest, spilled)
    if (spilled > spill).any():            # more than the room: once more, on one thread
        table[:] = EMPTY
        spread(old, shift, table, old_ids, table_ids, threads=1)
        return
    _spread_rest(old, old_ids, np.uint64(shift), table, table_ids, rest, spilled)


# --- the partitioned table: one region per worker, ids assigned in batch order ------------


@leaf
def packed_length(row):
    n = row.shape[0] // 8
    for v in row:
        if v != 0:
            n += 1
    return n


@leaf
def _same_words(a, b):
    for i in range(a.shape[0]):
        if a[i] != b[i]:
            return False
    return True


@njit(cache=True, parallel=True, nogil=True)
def _partitioned_lookup(table, parts, shift, heap, offsets, batch, words, index, hashes, ids,
                        new, slots, lengths):
    """Every region at once, each by its own thread, its candidates in batch order: a
    stored row gives its id; a new row takes an empty slot provisionally (marked with its
    candidate number); a repeat of a new row of this batch points to that candidate, as
    -(candidate + 2)."""
    for p in prange(parts):
        _lookup_region(table, parts, shift, heap, offsets, batch, words, index, hashes, ids,
                       new, slots, lengths, p)


@leaf
def _lookup_region(table, parts, shift, heap, offsets, batch, words, index, hashes, ids,
                   new, slots, lengths, p):
    """`_partitioned_lookup`'s work for region p. A leaf, so that the views of candidate
    rows it takes are not reference counted: the counts are atomic, and the regions'
    threads would fight over the batch's."""
    R = table.shape[0] // parts
    rmask = np.uint64(R - 1)
    for x in range(index.shape[0]):
        _fetch_ahead(table, heap, offsets, hashes, x, np.uint64(p), shift, rmask,
                     np.uint64(R))
        tag = hashes[x] >> np.uint64(32)
        part, slot = _home(tag, shift, rmask, np.uint64(R))
        if np.int64(part) != p:
            continue
        base = np.uint64(p) * np.uint64(R)
        while True:
            entry = table[slot]
            if entry == EMPTY:
                table[slot] = (tag << np.uint64(32)) | PROVISIONAL | np.uint64(x)
                new[x] = True
                slots[x] = slot
                lengths[x] = packed_length(batch[index[x]])
                break
            if entry >> np.uint64(32) == tag:
                low = entry & LOW
                if low & PROVISIONAL:
                    first = np.int64(low ^ PROVISIONAL)
                    if _same_words(words[index[first]], words[index[x]]):
                        ids[x] = -(first + 2)
                        break
                else:
                    found = np.int64(low) - 1
                    if packed_equal(heap, offsets[found], words[index[x]]):
                        ids[x] = found
                        break
            slot = base + ((slot - base + np.uint64(1)) & rmask)


@njit(cache=True, nogil=True)
def _assign_ids(ids, new, lengths, count, used, offsets):
    """Ids and heap offsets for the new rows, in batch order; a repeat gets its first's."""
    n, at = count[0], used[0]
    for x in range(ids.shape[0]):
        if new[x]:
            ids[x] = n
            offsets[n] = at
            at += lengths[x]
            n += 1
        elif ids[x] <= -2:
            ids[x] = ids[-ids[x] - 2]
    count[0], used[0] = n, at


@njit(cache=True, parallel=True, nogil=True)
def _store_new(table, heap, offsets, batch, index, hashes, ids, new, slots):
    """Pack the new rows at their offsets; their table entries get their ids."""
    for x in prange(index.shape[0]):
        if new[x]:
            _store_one(table, heap, offsets, batch, index, hashes, ids, slots, x)


@leaf
def _store_one(table, heap, offsets, batch, index, hashes, ids, slots, x):
    """`_store_new`'s work for candidate x, in a leaf (its views uncounted)."""
    pack_row(batch[index[x]], heap[offsets[ids[x]]:])
    table[slots[x]] = (hashes[x] >> np.uint64(32) << np.uint64(32)) | np.uint64(ids[x] + 1)


@njit(cache=True)
def _partitioned_rehash(old, table, parts, shift):
    R = table.shape[0] // parts
    rmask = np.uint64(R - 1)
    for entry in old:
        if entry != EMPTY:
            part, slot = _home(entry >> np.uint64(32), shift, rmask, np.uint64(R))
            base = part * np.uint64(R)
            while table[slot] != EMPTY:
                slot = base + ((slot - base + np.uint64(1)) & rmask)
            table[slot] = entry


@njit(cache=True, nogil=True)
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


def _table_size(states: int) -> int:
    size = 1 << 10
    while states > size * MAX_LOAD:
        size <<= 1
    return size


class ExactStore:
    """Every stored row, exactly (packed; see the module docstring). With `parts` > 1 (a
    power of two: one per worker) the table is split by the tags' top bits into regions
    that the workers search and fill at once (`_partitioned_lookup`); ids and offsets are
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
        self.table = np.zeros(_table_size(0), dtype=np.uint64)
        self.packed = np.zeros(width + width // 8, dtype=np.uint8)

    def __len__(self) -> int:
        return int(self.count[0])

    def insert(self, batch: np.ndarray, index: np.ndarray, hashes: np.ndarray, limit: int):
        """(ids, new, looked_at) for the rows batch[index] (as words), inserted in order
        until `limit` states are stored; rows past `looked_at` were not looked at."""
        if self.parts > 1:
            return self._insert_partitioned(batch, index, hashes, limit)
        rows = batch.view(np.uint8)
        n = len(self) + index.shape[0]
        grow(self, "offsets", n)
        if _table_size(n) > self.table.shape[0]:
            old, self.table = self.table, np.zeros(_table_size(n), dtype=np.uint64)
            spread(old, 32, self.table, threads=self.threads)
        ids = np.full(index.shape[0], -1, dtype=np.int64)
        new = np.zeros(index.shape[0], dtype=np.bool_)
        done = 0
        while done < index.shape[0]:   # the heap grows between passes, never inside one
            grow(self, "heap", int(self.used[0]) + 2 * (self.width + self.width // 8))
            part = slice(done, index.shape[0])
            looked = _exact_insert(self.table, self.heap, self.used, self.offsets, self.count,
                                   rows, batch, index[part], hashes[part], ids[part],
                                   new[part], limit, self.packed)
            done += looked
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
                _partitioned_rehash(old, self.table, self.parts, shift)
            grow(self, "offsets", len(self) + k)
            grow(self, "heap", int(self.used[0]) + k * (self.width + self.width // 8))
            slots = np.empty(k, dtype=np.uint64)
            lengths = np.zeros(k, dtype=np.int64)
            _partitioned_lookup(self.table, self.parts, shift, self.heap, self.offsets, rows,
                                batch, index[part], hashes[part], ids[part], new[part], slots,
                                lengths)
            _assign_ids(ids[part], new[part], lengths, self.count, self.used, self.offsets)
            _store_new(self.table, self.heap, self.offsets, rows, index[part], hashes[part],
                       ids[part], new[part], slots)
            done = part.stop
        return ids, new, done

    def _table_for(self, more: int) -> int:
        """A table in which no region can fill up while `more` candidates go in, even if
        all of them land in one region."""
        if self.parts == 1:
            return _table_size(len(self) + more)
        return max(_table_size(len(self) + more),
                   self.parts * _table_size(len(self) // self.parts + more))

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
        when it grows."""
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
        self.table = np.zeros(_table_size(0), dtype=np.uint64)
        self.table_ids = np.zeros(self.table.shape[0], dtype=np.uint32)

    def __len__(self) -> int:
        return int(self.count[0])

    def insert(self, batch: np.ndarray, index: np.ndarray, hashes: np.ndarray, limit: int):
        n = len(self) + index.shape[0]
        grow(self, "by_id", n)
        if _table_size(n) > self.table.shape[0]:
            old, old_ids = self.table, self.table_ids
            self.table = np.zeros(_table_size(n), dtype=np.uint64)
            self.table_ids = np.zeros(self.table.shape[0], dtype=np.uint32)
            spread(old, 0, self.table, old_ids, self.table_ids, self.threads)
            del old, old_ids
        ids = np.full(index.shape[0], -1, dtype=np.int64)
        new = np.zeros(index.shape[0], dtype=np.bool_)
        done = _fingerprint_insert(self.table, self.table_ids, self.by_id, self.count, hashes,
                                   ids, new, limit)
        return ids, new, done

    def growth_bytes(self, more: int) -> int:
        """At most what inserting `more` fingerprints now would allocate."""
        n = len(self) + more
        extra = growth_cost(self.by_id, n)
        if _table_size(n) > self.table.shape[0]:
            extra += 12 * _table_size(n)
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
