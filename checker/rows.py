"""Rows as the visited sets keep them: a 64-bit hash of a row, and the packed form the
exact store and the frontier keep it in (a bitmap of the row's non-zero bytes, then those
bytes: rows are mostly empty queue slots, so this halves them or better; the packed
length follows from the bitmap).

`PackedRows` and `UnpackedRows` are a batch's rows as the search hands them to the
thread that computes their successors (`checker.explorer`)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from hacheck.checker.compiled import leaf

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



@leaf
def packed_length(row):
    n = row.shape[0] // 8
    for v in row:
        if v != 0:
            n += 1
    return n


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
