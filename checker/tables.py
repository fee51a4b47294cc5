"""The visited sets' hash tables, compiled: open addressing with linear probing over 64-bit
entries (0 is an empty slot). The exact store's entry holds the upper 32 bits of the
row's hash (its tag) and the row's id + 1; its home slot is taken from the tag too, so
most probes reject without reading a row, and growing the table (`spread`) moves entries
without reading rows or hashing again. The fingerprint store's entry is the row's whole
64-bit hash. `checker.store` holds the stores that own these tables."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from hacheck.checker.compiled import compiled_threads, leaf, prefetch
from hacheck.checker.rows import pack_row, packed_equal, packed_length

EMPTY = np.uint64(0)
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
def exact_insert(table, heap, used, offsets, count, batch, words, index, hashes, repeats,
                  ids, new, start, limit, packed):
    """Look rows batch[index[x]] up, in order from x = `start`; store the new ones. ids[x]
    := its id. A row that `repeats` (unless empty) marks as the repeat of an earlier one
    (-2 - y) takes row y's id without a lookup. Stops once `limit` states are stored, or
    when the heap has no room for another row; returns where it stopped."""
    mask = np.uint64(table.shape[0] - 1)
    size = np.uint64(table.shape[0])
    W = batch.shape[1]
    n = count[0]
    for x in range(start, index.shape[0]):
        if n >= limit or used[0] + W + W // 8 > heap.shape[0]:
            count[0] = n
            return x
        if repeats.shape[0] and repeats[x] <= -2:
            ids[x] = ids[-2 - repeats[x]]
            new[x] = False
            continue
        _fetch_ahead(table, heap, offsets, hashes, x, np.uint64(0), np.uint64(32), mask, size)
        row = batch[index[x]]
        tag = hashes[x] >> np.uint64(32)
        slot = tag & mask
        while True:
            entry = table[slot]
            if entry == EMPTY:
                length = pack_row(row, packed)
                at = used[0]
                for b in range(length):
                    heap[at + b] = packed[b]
                used[0] = at + length
                offsets[n] = at
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


@leaf
def _same_words(a, b):
    for i in range(a.shape[0]):
        if a[i] != b[i]:
            return False
    return True


@njit(cache=True, nogil=True, _nrt=False)      # a `leaf` that releases the GIL
def batch_repeats(batch, index, hashes, rows, slots, repeats):
    """repeats[x] := -2 - y if y < x is the first row batch[index[y]] equal to row
    batch[index[x]] (with x's hash, unless `rows`: then equal too), -1 if there is none.
    `slots`: zeros, a power of two longer than the batch (this function's own table, of
    positions + 1)."""
    mask = np.uint64(slots.shape[0] - 1)
    for x in range(index.shape[0]):
        slot = hashes[x] & mask
        while True:
            y = slots[slot] - 1
            if y < 0:
                slots[slot] = x + 1
                repeats[x] = -1
                break
            if hashes[y] == hashes[x] and (not rows or _same_words(batch[index[y]],
                                                                    batch[index[x]])):
                repeats[x] = -2 - y
                break
            slot = (slot + np.uint64(1)) & mask


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
    threads. Growing the table is the one long step of the insert, which one thread
    does at a time: the others would soon wait for it (docs/performance.md, "Two
    stages", "The table grown on both cores")."""
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

@njit(cache=True, parallel=True, nogil=True)
def partitioned_lookup(table, parts, shift, heap, offsets, batch, words, index, hashes, ids,
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
    """`partitioned_lookup`'s work for region p. A leaf, so that the views of candidate
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
def assign_ids(ids, new, lengths, count, used, offsets):
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
def store_new(table, heap, offsets, batch, index, hashes, ids, new, slots):
    """Pack the new rows at their offsets; their table entries get their ids."""
    for x in prange(index.shape[0]):
        if new[x]:
            _store_one(table, heap, offsets, batch, index, hashes, ids, slots, x)


@leaf
def _store_one(table, heap, offsets, batch, index, hashes, ids, slots, x):
    """`store_new`'s work for candidate x, in a leaf (its views uncounted)."""
    pack_row(batch[index[x]], heap[offsets[ids[x]]:])
    table[slots[x]] = (hashes[x] >> np.uint64(32) << np.uint64(32)) | np.uint64(ids[x] + 1)


@njit(cache=True)
def partitioned_rehash(old, table, parts, shift):
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
def fingerprint_insert(table, table_ids, by_id, count, hashes, repeats, ids, new, limit):
    """`exact_insert` for fingerprints: a row is its hash."""
    mask = np.uint64(table.shape[0] - 1)
    n = count[0]
    for r in range(hashes.shape[0]):
        if n >= limit:
            count[0] = n
            return r
        if repeats.shape[0] and repeats[r] <= -2:
            ids[r] = ids[-2 - repeats[r]]
            new[r] = False
            continue
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

