"""The rows of the levels in flight, packed: what fingerprint mode keeps besides hashes.

A `FingerprintStore` keeps no rows, so the explorer keeps the rows of the level it is
expanding and of the level it is filling here. They are packed as `ExactStore` packs its
rows (a bitmap of the non-zero bytes, then those bytes: at three nodes a 176-byte row
takes about 65), in chunks, one per batch of new rows, each allocated at its exact size;
a chunk is dropped as soon as the search has read past it (`release`), and handing a full
level on to be expanded moves its chunks, without a copy. So the frontier costs about
what its packed rows take, and the level being expanded shrinks as the next one grows.
"""

from __future__ import annotations

import bisect

import numpy as np
from numba import njit, prange

from hacheck.checker.rows import PackedRows, pack_row, packed_length


@njit(cache=True, parallel=True, nogil=True)
def _pack_rows(rows, heap, starts):
    for x in prange(rows.shape[0]):
        pack_row(rows[x], heap[starts[x]:])


@njit(cache=True)
def _packed_lengths(rows, out):
    for x in range(rows.shape[0]):
        out[x] = packed_length(rows[x])


class FrontierRows:
    """Rows of `width` bytes, appended in order and read by position (0, 1, ... from the
    first row ever appended, whether or not earlier chunks have been released)."""

    def __init__(self, width: int):
        self.width = width
        self.first = []      # position of each chunk's first row
        self.heaps = []      # each chunk's packed rows
        self.starts = []     # where each of its rows starts in its heap
        self.end = 0         # position after the last row appended

    def __len__(self) -> int:
        """Rows appended and not released."""
        return self.end - (self.first[0] if self.first else self.end)

    def extend(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        lengths = np.empty(len(rows), dtype=np.int64)
        _packed_lengths(rows, lengths)
        starts = np.zeros(len(rows), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        heap = np.empty(int(starts[-1] + lengths[-1]), dtype=np.uint8)
        _pack_rows(rows, heap, starts)
        self.first.append(self.end)
        self.heaps.append(heap)
        self.starts.append(starts)
        self.end += len(rows)

    def rows(self, lo: int, hi: int) -> np.ndarray:
        """The rows at positions lo .. hi - 1, unpacked (they must not be released)."""
        return self.packed_rows(lo, hi).unpack()

    def packed_rows(self, lo: int, hi: int) -> PackedRows:
        """The rows at positions lo .. hi - 1, still packed: their chunks are never
        changed, so another thread may unpack them (they must not be released)."""
        pieces = []
        at = lo
        chunk = bisect.bisect_right(self.first, lo) - 1
        while at < hi:
            begin = self.first[chunk]
            stop = min(hi, begin + len(self.starts[chunk]))
            pieces.append((self.heaps[chunk], self.starts[chunk], at - begin, stop - begin))
            at, chunk = stop, chunk + 1
        return PackedRows(self.width, pieces)

    def release(self, below: int) -> None:
        """Drop every chunk whose rows are all at positions before `below`."""
        while self.first and self.first[0] + len(self.starts[0]) <= below:
            del self.first[0], self.heaps[0], self.starts[0]

    def hand_over(self) -> "FrontierRows":
        """Its rows, at positions from 0, in a new `FrontierRows` (the chunks move, no copy);
        this one is left empty."""
        other = FrontierRows(self.width)
        base = self.first[0] if self.first else self.end
        other.first = [f - base for f in self.first]
        other.heaps, other.starts, other.end = self.heaps, self.starts, self.end - base
        self.first, self.heaps, self.starts, self.end = [], [], [], 0
        return other

    def nbytes(self) -> int:
        return sum(h.nbytes + s.nbytes for h, s in zip(self.heaps, self.starts))

    def snapshot(self) -> dict[str, np.ndarray]:
        """The rows not released, as one heap and their starts (`restore` reads them)."""
        bases = np.cumsum([0] + [h.nbytes for h in self.heaps[:-1]], dtype=np.int64)
        starts = [s + b for s, b in zip(self.starts, bases)]
        return {"heap": np.concatenate(self.heaps or [np.empty(0, np.uint8)]),
                "starts": np.concatenate(starts or [np.empty(0, np.int64)])}

    @classmethod
    def restore(cls, width: int, arrays: dict[str, np.ndarray]) -> "FrontierRows":
        """The rows of a snapshot, at positions from 0."""
        frontier = cls(width)
        if len(arrays["starts"]):
            frontier.first, frontier.end = [0], len(arrays["starts"])
            frontier.heaps, frontier.starts = [arrays["heap"]], [arrays["starts"]]
        return frontier
