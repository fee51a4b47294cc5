"""A search over several worker processes is the same search as over one."""

import numpy as np
import pytest

from hacheck.checker import explore
from hacheck.checker.model import Successors
from hacheck.model import Config, HeartbeatModel
from hacheck.model.timed_model import TimedHeartbeatModel
from hacheck.properties import safety_properties


@pytest.mark.parametrize("cfg", [
    Config(N=2, home=(0, 1), crashes=1, restarts=1),
    Config(N=3, home=(0, 1, 2), crashes=1, restarts=1),
    Config(N=2, home=(0,), link_toggles=2),
], ids=str)
@pytest.mark.parametrize("symmetry", [True, False])
def test_two_workers_find_the_same_shortest_trace_as_one(cfg, symmetry):
    model = HeartbeatModel(cfg)
    one = explore(model, safety_properties(cfg), symmetry=symmetry, workers=1)
    two = explore(model, safety_properties(cfg), symmetry=symmetry, workers=2)
    assert one.properties[0].trace == two.properties[0].trace
    assert one.statistics.distinct_states == two.statistics.distinct_states


def test_two_workers_count_the_same_states_and_violations_over_a_budget():
    cfg = Config(N=3, home=(0, 1, 2), crashes=1)
    model = HeartbeatModel(cfg)
    runs = [explore(model, safety_properties(cfg), keep_going=True, max_states=30_000, workers=w)
            for w in (1, 2)]
    one, two = (r.statistics for r in runs)
    assert (one.distinct_states, one.transitions, one.max_depth) == \
        (two.distinct_states, two.transitions, two.max_depth)
    assert runs[0].properties[0].violating_states == runs[1].properties[0].violating_states


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_is_reported_within_a_level_while_its_batches_are_inserted(workers):
    """A level's batches are all handed out at once; the search still reports progress
    while they are computed and inserted, not only between levels."""
    cfg = Config(N=2, home=(0, 1), crashes=1, restarts=1)
    reports = []
    explore(HeartbeatModel(cfg), [], symmetry=False, reduce=False, keep_going=True,
            max_states=300_000, workers=workers, progress=reports.append,
            progress_interval=0.0)
    seen = {}      # each level's distinct-state counts, as reported
    for r in reports:
        seen.setdefault(r["depth"], set()).add(r["distinct"])
    assert max(len(counts) for counts in seen.values()) >= 5
    assert all(0 <= r["queue"] <= r["distinct"] for r in reports)


# --- successors written into the buffer of a batch the engine is done with ------------------

def _rows_a_few_levels_deep(model, levels=6, most=300):
    rows = model.initial_rows()
    for _ in range(levels):
        succ = model.successors(rows, True, False)
        rows = np.unique(succ.rows, axis=0)[:most]
    return rows


def _spare(shape, fill):
    """Successors the engine is done with, whose buffer has this shape and is full of
    `fill`."""
    empty = np.empty(0, dtype=np.int64)
    return Successors(np.full(shape, fill, dtype=np.uint8), empty, empty, empty,
                      np.empty(0, dtype=bool))


@pytest.mark.parametrize("make", [HeartbeatModel, TimedHeartbeatModel], ids=["untimed", "timed"])
def test_successors_in_a_used_buffer_are_the_rows_of_a_fresh_one(make):
    model = make(Config(N=2, home=(0, 1), crashes=1, restarts=1))
    rows = _rows_a_few_levels_deep(model)
    for symmetry in (True, False):
        fresh = model.successors(rows, symmetry, False)
        spare = _spare((len(rows) * 64, model.width), 0xFF)     # large enough, as wide
        again = model.successors(rows, symmetry, False, spare)
        assert np.shares_memory(again.buffer, spare.buffer)     # it was written into
        assert (again.index == fresh.index).all() and (again.action == fresh.action).all()
        assert (again.rows == fresh.rows).all()                 # every byte of every row


def test_a_spare_buffer_too_small_or_of_another_width_is_not_used():
    model = HeartbeatModel(Config(N=2, home=(0, 1), crashes=1, restarts=1))
    rows = _rows_a_few_levels_deep(model)
    for shape in ((1, model.width), (len(rows) * 64, model.width + 8)):
        spare = _spare(shape, 0)
        succ = model.successors(rows, True, False, spare)
        assert not np.shares_memory(succ.buffer, spare.buffer)


# --- the visited set split into one region per worker ----------------------------------------

@pytest.mark.parametrize("parts", [2, 4])
def test_a_partitioned_store_gives_every_row_the_id_of_a_one_part_store(parts):
    """Batches with repeats inside them and across them, a table that grows, and a state
    budget that ends a batch part-way: the same ids, the same new rows, the same stored
    rows, however many regions the table has."""
    from hacheck.checker.rows import row_hashes
    from hacheck.checker.store import ExactStore
    rng = np.random.default_rng(7)
    width = 16
    pool = rng.integers(0, 4, size=(3000, width), dtype=np.uint8)   # zeros are common
    pool[::7] = 0
    stores = [ExactStore(width), ExactStore(width, parts=parts)]
    assert stores[1].parts == parts
    for batch_number in range(12):
        batch = pool[rng.integers(0, len(pool), size=900)]
        index = rng.permutation(len(batch))[:700].astype(np.int64)
        words = np.ascontiguousarray(batch).view(np.uint64)
        hashes = row_hashes(words, index)
        limit = 2_400 if batch_number == 11 else 1 << 31
        one, many = (s.insert(words, index, hashes, limit) for s in stores)
        assert len(stores[0]) == len(stores[1])
        looked = min(one[2], many[2])
        assert np.array_equal(one[0][:looked], many[0][:looked])
        assert np.array_equal(one[1][:looked], many[1][:looked])
    assert len(stores[0]) == 2_400
    assert np.array_equal(stores[0].rows(0, 2_400), stores[1].rows(0, 2_400))


@pytest.mark.parametrize("store_kind", ["exact", "fingerprint"])
def test_a_batch_whose_repeats_are_found_first_gets_the_ids_of_one_looked_up_whole(store_kind):
    """Only the first of each row is looked up (`find_repeats`), the others take its id:
    the same ids, the same new rows and the same point where a state budget ends a batch
    as inserting every candidate, and rows that share a hash but differ are not taken for
    repeats by the exact store."""
    from hacheck.checker.rows import row_hashes
    from hacheck.checker.store import ExactStore, FingerprintStore
    rng = np.random.default_rng(11)
    width = 16
    make = ExactStore if store_kind == "exact" else FingerprintStore
    whole, firsts = make(width), make(width)
    pool = rng.integers(0, 3, size=(2500, width), dtype=np.uint8)
    for batch_number in range(4):
        batch = pool[rng.integers(0, len(pool), size=1200)]   # repeats, in and across
        index = rng.permutation(len(batch))[:1000].astype(np.int64)
        words = np.ascontiguousarray(batch).view(np.uint64)
        hashes = row_hashes(words, index)
        limit = len(whole) + 100 if batch_number == 3 else 1 << 31
        repeats = firsts.find_repeats(words, index, hashes)
        assert (repeats <= -2).sum() > 100             # the batch does repeat itself
        expected = whole.insert(words, index, hashes, limit)
        got = firsts.insert(words, index, hashes, limit, repeats)
        assert got[2] == expected[2]
        looked = expected[2]
        assert np.array_equal(got[0][:looked], expected[0][:looked])
        assert np.array_equal(got[1][:looked], expected[1][:looked])
    assert len(whole) == len(firsts) == limit and expected[2] < len(index)
    if store_kind == "exact":
        assert np.array_equal(whole.rows(0, limit), firsts.rows(0, limit))
        words = np.array([[1, 2], [3, 4], [1, 2]], dtype=np.uint64)
        same_hash = np.full(3, 12345, dtype=np.uint64)
        assert firsts.find_repeats(words, np.arange(3), same_hash).tolist() == [-1, -1, -2]


# --- growing a table on several threads -------------------------------------------------------

def _linear_table(keys, shift, size, ids):
    """The table one thread builds by inserting keys in order (linear probing)."""
    table = np.zeros(size, dtype=np.uint64)
    table_ids = np.zeros(size, dtype=np.uint32)
    for key, key_id in zip(keys, ids):
        slot = (int(key) >> shift) & (size - 1)
        while table[slot]:
            slot = (slot + 1) & (size - 1)
        table[slot], table_ids[slot] = key, key_id
    return table, table_ids


def _assert_found_from_home(table, table_ids, old, old_ids, shift):
    """Every entry of the old table is reached by a lookup from its home, before an
    empty slot, with its id; and nothing else is in the new table."""
    mask = table.shape[0] - 1
    for key, key_id in zip(old, old_ids):
        if key == 0:
            continue
        slot = (int(key) >> shift) & mask
        while table[slot] != key:
            assert table[slot] != 0, f"{key:#x} is beyond an empty slot"
            slot = (slot + 1) & mask
        assert table_ids[slot] == key_id
    assert np.count_nonzero(table) == np.count_nonzero(old)


def _keys(kind, shift, old_size, rng):
    if kind == "random":
        return rng.integers(1, 1 << 63, size=old_size // 2, dtype=np.uint64)
    # thirty keys for each ten home slots before the end of a thread's range (a quarter, a
    # half, three quarters of the old table) and before the table's end, whether it grew
    # two or four times (their homes are 3 S + edge - 1 - j modulo 4 S), so that probes
    # cross those ends
    homes = np.array([3 * old_size + edge - 1 - j % 10
                      for edge in (old_size // 4, old_size // 2, 3 * old_size // 4, old_size)
                      for j in range(30)], dtype=np.uint64)
    tags = homes + (np.arange(1, len(homes) + 1, dtype=np.uint64) << np.uint64(20))
    return (tags << np.uint64(shift)) | np.uint64(1)


@pytest.mark.parametrize("threads", [1, 2, 4])
@pytest.mark.parametrize("kind", ["random", "crowded"])
@pytest.mark.parametrize("shift", [32, 0])       # an exact store's tag; a fingerprint
def test_a_table_grown_on_threads_finds_every_entry_from_its_home(threads, kind, shift):
    """`spread` (the rehash) on several threads, growing the table two and four times,
    with the room for left-over entries ample or too small (the serial pass then redoes
    it): every entry is found from its home with its id, as in the table one thread
    builds."""
    from hacheck.checker.tables import spread
    rng = np.random.default_rng(threads)
    old_size = 1 << 13
    keys = _keys(kind, shift, old_size, rng)
    old, old_ids = _linear_table(keys, shift, old_size, np.arange(len(keys)) + 5)
    for factor in (2, 4):
        for room in (4096, 2):
            table = np.zeros(old_size * factor, dtype=np.uint64)
            table_ids = np.zeros(table.shape[0], dtype=np.uint32)
            spread(old, shift, table, old_ids, table_ids, threads=threads, spill=room)
            _assert_found_from_home(table, table_ids, old, old_ids, shift)


def test_a_crowded_table_leaves_entries_to_the_serial_pass():
    """The crowded keys above do reach the serial pass, so the test above checks it."""
    from hacheck.checker.tables import NO_IDS, _spread
    old_size = 1 << 13
    keys = _keys("crowded", 32, old_size, None)
    old, _ = _linear_table(keys, 32, old_size, np.arange(len(keys)))
    spilled = np.zeros(2, dtype=np.int64)
    _spread(old, NO_IDS, np.uint64(32), np.zeros(2 * old_size, dtype=np.uint64), NO_IDS, 2,
            np.zeros((2, 4096), dtype=np.int64), spilled)
    assert (spilled > 0).all()
    _spread(old, NO_IDS, np.uint64(32), np.zeros(2 * old_size, dtype=np.uint64), NO_IDS, 1,
            np.zeros((1, 1), dtype=np.int64), spilled)
    assert spilled[0] == 0          # one thread probes round the table's end instead


@pytest.mark.parametrize("store_kind", ["exact", "fingerprint"])
def test_a_store_grown_on_two_threads_gives_the_ids_of_one_grown_on_one(store_kind):
    """The store's ids do not depend on how many threads grew its table."""
    from hacheck.checker.rows import row_hashes
    from hacheck.checker.store import ExactStore, FingerprintStore
    rng = np.random.default_rng(3)
    width = 16
    make = ExactStore if store_kind == "exact" else FingerprintStore
    stores = [make(width), make(width)]
    stores[1].threads = 2
    for _ in range(10):
        batch = rng.integers(0, 3, size=(4000, width), dtype=np.uint8)
        index = np.arange(len(batch), dtype=np.int64)
        words = np.ascontiguousarray(batch).view(np.uint64)
        one, two = (s.insert(words, index, row_hashes(words, index), 1 << 31)
                    for s in stores)
        assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])
    assert stores[1].table.shape[0] >= 1 << 15       # it grew past the serial threshold


# --- each thread computes a batch and inserts it itself, in batch order -------------------

def _turns(compute, workers=2):
    """`Turns` over `compute`, and the (batch, thread) of each insert, in order."""
    import threading

    from hacheck.checker.ahead import Turns
    inserted = []

    def insert(result):
        status, _, batch = result
        inserted.append((batch, threading.get_ident()))
        if status == "stop":
            raise RuntimeError(f"stopped at batch {batch}")
    return Turns(compute, insert, workers), inserted


def _slow_first(fail_on=None, stop_on=None, computed_by=None):
    """A `compute` for `Turns`: batch 0 waits until batch 1 has been computed (so two
    batches are computed at once, and 1 waits for 0's insert); `computed_by` records
    which thread computed each batch."""
    import threading
    one_done = threading.Event()
    computed_by = {} if computed_by is None else computed_by

    def compute(batch, spare):
        computed_by[batch] = threading.get_ident()
        if batch == 0:
            assert one_done.wait(10)
        if batch == 1:
            one_done.set()
        if batch == fail_on:
            raise RuntimeError(f"model bound in batch {batch}")
        return ("stop" if batch == stop_on else "ok", f"buffer {batch}", batch)
    return compute


def test_batches_are_inserted_in_order_each_by_the_thread_that_computed_it():
    computed_by = {}
    turns, inserted = _turns(_slow_first(computed_by=computed_by))
    try:
        futures = [turns.submit(batch) for batch in range(6)]
        assert [f.result(timeout=10) for f in futures] == [None] * 6   # nothing kept
    finally:
        turns.close()
    assert [batch for batch, _ in inserted] == list(range(6))
    assert [thread for _, thread in inserted] == [computed_by[b] for b in range(6)]
    assert computed_by[0] != computed_by[1]           # batches 0 and 1 were computed at once


def test_an_error_in_computing_a_batch_is_raised_in_order_and_nothing_after_is_inserted():
    import pytest
    turns, inserted = _turns(_slow_first(fail_on=1))
    try:
        futures = [turns.submit(batch) for batch in range(4)]
        assert futures[0].result(timeout=10) is None      # batch 1 failed, but comes after
        with pytest.raises(RuntimeError, match="model bound in batch 1"):
            futures[1].result(timeout=10)
        assert [f.result(timeout=10) for f in futures[2:]] == [None, None]
    finally:
        turns.close()
    assert [batch for batch, _ in inserted] == [0]


def test_an_error_in_inserting_a_batch_stops_the_inserts_after_it():
    import pytest
    computed_by = {}
    turns, inserted = _turns(_slow_first(stop_on=1, computed_by=computed_by))
    try:
        futures = [turns.submit(batch) for batch in range(40)]
        with pytest.raises(RuntimeError, match="stopped at batch 1"):
            futures[1].result(timeout=10)
        assert [f.result(timeout=10) for f in futures[2:]] == [None] * 38
    finally:
        turns.close()
    assert [batch for batch, _ in inserted] == [0, 1]
    assert max(computed_by) < 5          # the batches given after the error are not computed


def test_one_worker_computes_and_inserts_each_batch_when_it_is_submitted():
    from hacheck.checker.ahead import Inline
    calls = []
    inline = Inline(
        lambda batch, spare: calls.append(("compute", batch, spare)) or (batch, f"buffer {batch}"),
        lambda result: calls.append(("insert", result[0])))
    assert inline.submit(0).done()
    assert calls == [("compute", 0, None), ("insert", 0)]
    inline.submit(1)                                 # the buffer of batch 0 is handed back
    assert calls[2:] == [("compute", 1, "buffer 0"), ("insert", 1)]


def test_packed_rows_stay_readable_after_the_store_grows():
    """A batch's rows are unpacked by a thread of the pool while the search inserts:
    they must not point into a heap that moves when it grows."""
    from hacheck.checker.frontier import FrontierRows
    from hacheck.checker.rows import row_hashes
    from hacheck.checker.store import ExactStore
    rng = np.random.default_rng(3)
    width = 24
    rows = rng.integers(0, 3, size=(5000, width), dtype=np.uint8)
    words = np.ascontiguousarray(rows).view(np.uint64)
    store = ExactStore(width)
    store.insert(words, np.arange(100), row_hashes(words, np.arange(100)), 1 << 31)
    early = store.packed_rows(10, 60)
    expected = store.rows(10, 60)
    heap = store.heap
    rest = np.arange(100, 5000)
    store.insert(words, rest, row_hashes(words, rest), 1 << 31)
    assert store.heap is not heap                  # it grew
    heap[:] = 0                                    # what a moved heap may become
    assert np.array_equal(early.unpack(), expected)
    assert np.array_equal(store.packed_rows(4990, len(store)).unpack(),
                          store.rows(4990, len(store)))

    frontier = FrontierRows(width)
    for chunk in np.array_split(rows[:900], 7):
        frontier.extend(chunk)
    across = frontier.packed_rows(100, 700)        # spans several chunks
    frontier.release(800)                          # the search has read past them
    assert np.array_equal(across.unpack(), rows[100:700])
