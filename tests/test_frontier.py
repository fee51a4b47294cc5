"""Fingerprint mode's packed frontier (checker/frontier.py): rows come back as they went
in, across chunks, after releases, a hand-over and a snapshot."""

import numpy as np

from hacheck.checker.frontier import FrontierRows

WIDTH = 40


def sparse_rows(n: int, seed: int) -> np.ndarray:
    """Rows mostly of zeros, as the model's are (empty queue slots), some all zero."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(1, 256, size=(n, WIDTH), dtype=np.uint8)
    rows[rng.random((n, WIDTH)) < 0.7] = 0
    rows[::7] = 0
    return rows


def filled(chunks=(5, 1, 12, 3)) -> tuple[FrontierRows, np.ndarray]:
    frontier, parts = FrontierRows(WIDTH), []
    for seed, n in enumerate(chunks):
        parts.append(sparse_rows(n, seed))
        frontier.extend(parts[-1])
    frontier.extend(np.empty((0, WIDTH), dtype=np.uint8))    # an empty batch adds nothing
    return frontier, np.concatenate(parts)


def test_rows_come_back_unchanged_whatever_span_is_read():
    frontier, rows = filled()
    assert len(frontier) == len(rows) == 21
    for lo in range(len(rows)):
        for hi in range(lo, len(rows) + 1):
            assert np.array_equal(frontier.rows(lo, hi), rows[lo:hi])


def test_packed_rows_take_less_than_the_rows():
    frontier, rows = filled()
    assert frontier.nbytes() < rows.nbytes


def test_released_chunks_are_dropped_and_later_rows_keep_their_positions():
    frontier, rows = filled()
    frontier.release(7)        # the first chunk (5 rows) and the second (1) end before 7
    assert len(frontier) == 15
    assert np.array_equal(frontier.rows(6, 21), rows[6:])
    frontier.release(21)
    assert len(frontier) == 0 and frontier.nbytes() == 0


def test_a_hand_over_moves_the_rows_to_positions_from_zero_and_empties_the_source():
    frontier, rows = filled()
    frontier.release(5)
    level = frontier.hand_over()
    assert len(frontier) == 0
    assert np.array_equal(level.rows(0, 16), rows[5:])
    frontier.extend(rows[:2])                 # the source fills again from position 0
    assert np.array_equal(frontier.rows(0, 2), rows[:2])


def test_a_snapshot_restores_the_rows_not_released():
    frontier, rows = filled()
    frontier.release(6)
    level = frontier.hand_over()
    again = FrontierRows.restore(WIDTH, level.snapshot())
    assert np.array_equal(again.rows(0, 15), rows[6:])
    empty = FrontierRows.restore(WIDTH, FrontierRows(WIDTH).snapshot())
    assert len(empty) == 0
