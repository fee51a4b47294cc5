"""Breadth-first exploration with a visited set of encoded states.

Design:
- States are rows of bytes (`checker.model`). With symmetry reduction the model returns
  canonical rows (one per orbit), so counts are exact and reproducible; without it, the
  plain rows.
- The search goes level by level. A level is a range of ids (ids are discovery ranks),
  expanded in batches of `model.batch_size` rows: the model computes every successor of
  the batch at once, the store inserts them in order (`checker.store`), and the
  invariants are evaluated on the new rows in one call. Ids, counts and the first
  violation found are the same on every run and for any number of workers.
- The first violation found is at minimal depth, so its trace (parent links, then
  `trace.replay`) is a shortest counterexample in the explored graph.
- Partial-order reduction (`reduce`): the model may return only an ample subset of a
  state's successors. Unless the model's ample sets satisfy the cycle proviso by
  themselves (`static_proviso`), it is checked here, in its breadth-first form: a
  reduced state with any ample successor already visited is expanded fully. A cycle of
  the reduced graph has an edge into a state of the same or an earlier level, which is
  visited when that edge's source is expanded, so every cycle contains a fully expanded
  state (docs/reduction.md).
  The reduction is used only when every invariant reads nothing but what the model's
  reduction keeps visible (`model.reduction_reads`); if every invariant is also
  upward closed, the model may hide actions that only add to what they read
  (`reduction_mode`); liveness properties too, if the model says its reduced graph
  keeps them (`reduction_keeps_liveness`). A reduced graph may reach a violation only
  by a longer path, so the trace of an invariant's violation, or of a bad quiescent
  state, found with reduction comes from a second, unreduced search that stops at the
  first one (it never goes deeper than the reduced one did, counted in single steps); a
  lasso is the reduced graph's own (a shortest one needs the whole unreduced graph).
- `workers` sets the number of threads the search uses. With more than one, and a
  model that allows it (`concurrent_successors`), a pool of the others computes the
  next batches' successors while this thread inserts the batch before, and computes
  one itself when the next is not ready (`_Ahead`); each thread runs on one core.
- A search that stops early (violation, or its `Budget`: a state budget, a time limit,
  memory, a signal) records why; properties it did not see violated are then INCOMPLETE,
  never HOLDS. The budget is polled between batches in every phase of the search (the
  state search, the cycle search for L0, the unreduced search for a shortest trace), and
  a MemoryError in any of them ends the run the same way (`checker.stopping`). A
  violation found before the stop keeps its trace; if the search for its shortest trace
  is what was cut, the trace found by the reduced search is shown instead, and says so.
"""

from __future__ import annotations

import collections
import time
from typing import Callable, Sequence

import numpy as np

from hacheck.checker.compiled import set_compiled_threads
from hacheck.checker.frontier import FrontierRows
from hacheck.checker.liveness import EdgeLog, close_lasso, find_cycle, shortest_loop
from hacheck.checker.model import FULL, GROWING, INVISIBLE
from hacheck.checker.properties import ALWAYS, AT_QUIESCENCE, TERMINATES, Property
from hacheck.checker.stopping import Budget, Stopped
from hacheck.checker.rows import UnpackedRows, row_hashes
from hacheck.checker.store import ExactStore, FingerprintStore
from hacheck.checker.zonestore import ZoneStore
from hacheck.checker.trace import replay
from hacheck.checker.verdict import (
    NOT_SHORTEST, REDUCED_LASSO, CheckResult, PropertyResult, Statistics, Verdict,
)
from hacheck.checker.witness import Witness, time_counterexample


class ModelBoundError(Exception):
    """The model reached a bound it was not built for (a model error, not a verdict)."""


Progress = Callable[[dict], None]

VIOLATION_FOUND = "violation found"
MAX_STATES = (1 << 31) - 1    # ids are int32 in the parent links and the edge graph


def budget_of(budget: Budget | None, max_states: int | None,
              time_limit: float | None) -> Budget:
    """The budget a search runs under: the caller's, or one made of the limits given."""
    return budget if budget is not None else Budget(time_limit=time_limit,
                                                    max_states=max_states)


class _Parents:
    """The parent id of every state, growing as states are found (-1: initial)."""

    def __init__(self):
        self.array = np.empty(1024, dtype=np.int32)
        self.count = 0

    def extend(self, values: np.ndarray) -> None:
        n = self.count + len(values)
        if n > self.array.shape[0]:
            bigger = np.empty(max(n, self.array.shape[0] * 3 // 2), dtype=np.int32)
            bigger[:self.count] = self.array[:self.count]
            self.array = bigger
        self.array[self.count:n] = values
        self.count = n

    def growth_bytes(self, more: int) -> int:
        """What `extend` would allocate for `more` values now."""
        n = self.count + more
        return 4 * max(n, self.array.shape[0] * 3 // 2) if n > self.array.shape[0] else 0

    def path(self, state_id: int) -> list[int]:
        path = []
        while state_id >= 0:
            path.append(state_id)
            state_id = int(self.array[state_id])
        return path[::-1]


def reduction_mode(model, properties: Sequence[Property]) -> int:
    """How far `model`'s partial-order reduction may go while it keeps `properties`:
    FULL (not at all), INVISIBLE or GROWING (`checker.model`)."""
    invariants = [p for p in properties if p.kind == ALWAYS]
    liveness = any(p.kind != ALWAYS for p in properties)
    if not model.supports_reduction or (liveness and not model.reduction_keeps_liveness):
        return FULL
    if not all(p.reads is not None and p.reads <= model.reduction_reads for p in invariants):
        return FULL
    if model.reduction_hides_growth and all(p.upward_closed for p in invariants):
        return GROWING
    return INVISIBLE


def explore(
    model,
    properties: Sequence[Property],
    *,
    symmetry: bool = True,
    reduce: bool = False,
    keep_going: bool = False,
    max_states: int | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
    progress_interval: float = 5.0,
    fingerprint: bool = False,
    workers: int = 1,
    budget: Budget | None = None,
    phase: str = "state search",
    witness: Witness | None = None,
    reached: list | None = None,
    checkpoint=None,
    stop_at_settled: bool = False,
) -> CheckResult:
    """Explore the reachable states of `model` and check every `always` property on each.

    With `keep_going`, the whole space is explored and violating states are counted;
    otherwise the search stops at the first violation of an invariant, and, with
    `stop_at_settled`, at the first quiescent state that violates an `at_quiescence`
    property (found when its level is expanded, so at minimal depth). `budget` is what
    may cut the search short (signals, time, memory); `max_states`, if given, is this
    search's own state budget (else the budget's), `time_limit` is used only without a
    `budget`.

    A timed model (`model.zone_layout`) is searched the same way over symbolic states,
    with a passed list of zones; each counterexample is then handed to `witness`, if
    given, within the run's budget: with a real, timed run the verdict stands (with its
    times), without one a lasso is INCOMPLETE (the cycle may be Zeno or an artefact of
    the abstraction) and any other counterexample an internal ERROR (a zone search is
    exact for reachability). The report counts the discrete states real runs reach (the
    distinct `model.discrete_rows` of the stored keys); `reached`, if given, receives
    them as an array of rows.

    `checkpoint` (a `checker.checkpoint.SearchCheckpoint`, untimed models only) is where
    the search saves itself at level ends, and, when resuming, what it starts from.
    """
    budget = budget_of(budget, max_states, time_limit)
    budget.start_clock()
    pooled = workers > 1 and model.concurrent_successors
    if max_states is None:
        max_states = budget.max_states
    invariants = [p for p in properties if p.kind == ALWAYS]
    settled = [p for p in properties if p.kind == AT_QUIESCENCE]
    cycles = [p for p in properties if p.kind == TERMINATES]
    reduce = reduction_mode(model, properties) if reduce else FULL
    edges = EdgeLog() if cycles else None
    first_violation: dict[str, int] = {}
    violating = {p.name: 0 for p in invariants + settled}
    if model.zone_layout is not None:        # a timed model: zones, with inclusion
        store = ZoneStore(model.width, *model.zone_layout)
    else:
        # the insert runs on one thread while a pool computes successors (`_Ahead`); the
        # table is partitioned for a parallel insert only where nothing else holds the cores
        store = (FingerprintStore(model.width) if fingerprint
                 else ExactStore(model.width, parts=1 if pooled else workers))
    store.threads = workers     # growing its table is the insert's one long step: on all cores
    parents = _Parents()
    started = time.perf_counter()
    counters = {"transitions": 0, "depth": 0, "full_expansions": 0, "reduced": 0,
                "chained": 0, "skipped": 0}
    next_level = FrontierRows(model.width)    # fingerprint mode: the rows of the next level

    def add(buffer: np.ndarray, index: np.ndarray, parent_ids: np.ndarray,
            depth: int, hashes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Insert the candidate rows buffer[index] in order; check the new ones; (ids, new).
        `hashes`: theirs, if already computed."""
        budget.check(store.growth_bytes(len(index)) + parents.growth_bytes(len(index)))
        with budget.deferred():   # the store and the parent links change together
            return insert(buffer, index, parent_ids, depth, hashes)

    def hashes_of(buffer, index) -> np.ndarray:
        """The store's hash of each row buffer[index] (of its key, for a zone store)."""
        words = buffer.view(np.uint64)
        keys = words if store.hash_words == words.shape[1] else words[:, :store.hash_words]
        return row_hashes(keys, index)

    def insert(buffer, index, parent_ids, depth, hashes):
        words = buffer.view(np.uint64)
        if hashes is None:
            hashes = hashes_of(buffer, index)
        limit = max_states if max_states is not None else MAX_STATES
        ids, new, looked_at = store.insert(words, index, hashes, limit)
        if new.any():
            parents.extend(parent_ids[new])
            counters["depth"] = depth
            # the new rows, copied out only if something reads them
            fresh = buffer[index[new]] if fingerprint or invariants else None
            if fingerprint:
                next_level.extend(fresh)
            fresh_ids = ids[new]
            stop = False
            for prop in invariants:
                bad = violations(model, prop, fresh)
                if bad.any():
                    violating[prop.name] += int(bad.sum())
                    first_violation.setdefault(prop.name, int(fresh_ids[np.argmax(bad)]))
                    stop = not keep_going
            if stop:
                raise Stopped(VIOLATION_FOUND)
        if looked_at < len(index) or len(store) >= limit:
            raise Stopped(f"state budget of {limit:,} states reached"
                          + ("" if max_states is not None else " (the engine's limit: "
                             "state ids are 32-bit)"))
        return ids, new

    def expand(rows: np.ndarray, row_ids: np.ndarray, level: int, succ) -> None:
        """Insert the successors `succ` of `rows` (and what the properties need)."""
        if isinstance(store, ZoneStore) and succ.buffer.shape[1] > store.width:
            # a timed model widened its rows (a batch computed before, on another thread,
            # may come later and narrower: its zones fit it, and it is inserted as it is)
            store.widen(succ.buffer.shape[1])
        counters["transitions"] += len(succ)
        counters["chained"] += succ.chained
        ids, new = add(succ.buffer, succ.index, row_ids[succ.source], level,
                       getattr(succ, "hashes", None))
        protocol = ~model.is_environment(succ.action) if settled or cycles else None
        if edges is not None:
            budget.check(edges.growth_bytes(int(protocol.sum())))
            edges.extend(row_ids[succ.source[protocol]], ids[protocol])
        for name, bad in settled_violations(model, settled, rows, succ, protocol).items():
            violating[name] += len(bad)
            first_violation.setdefault(name, int(row_ids[bad[0]]))
            if stop_at_settled and not keep_going:
                raise Stopped(VIOLATION_FOUND)
        if not reduce or not succ.reduced.any():
            return
        counters["reduced"] += int(succ.reduced.sum())
        if model.static_proviso:
            return
        # cycle proviso: a reduced state with an ample successor seen before is expanded fully
        seen_before = np.zeros(len(rows), dtype=np.bool_)
        np.logical_or.at(seen_before, succ.source, ~new)
        again = np.flatnonzero(succ.reduced & seen_before)
        if len(again):
            counters["full_expansions"] += len(again)
            full = model.successors(rows[again], symmetry, False)
            counters["transitions"] += len(full)
            add(full.buffer, full.index, row_ids[again[full.source]], level)

    def save(level: int, lo: int, hi: int, frontier) -> None:
        arrays = {f"store_{k}": v for k, v in store.snapshot().items()}
        arrays["parents"] = parents.array[:parents.count]
        if edges is not None:
            arrays["edges_src"], arrays["edges_dst"] = edges.edges()
        if fingerprint:
            arrays.update({f"frontier_{k}": v for k, v in frontier.snapshot().items()})
        checkpoint.save(arrays, {"level": level, "lo": lo, "hi": hi, "counters": counters,
                                 "first_violation": first_violation, "violating": violating})

    def restore() -> tuple[int, int, int, np.ndarray | None]:
        arrays, meta = restored
        store.restore({k[len("store_"):]: v for k, v in arrays.items()
                       if k.startswith("store_")})
        parents.count = 0
        parents.extend(arrays["parents"])
        if edges is not None:
            edges.restore(arrays["edges_src"], arrays["edges_dst"])
        counters.update(meta["counters"])
        first_violation.update(meta["first_violation"])
        violating.update(meta["violating"])
        frontier = None
        if "frontier_heap" in arrays:
            frontier = FrontierRows.restore(model.width, {
                "heap": arrays["frontier_heap"], "starts": arrays["frontier_starts"]})
        return meta["level"], meta["lo"], meta["hi"], frontier

    def search() -> None:
        if restored is None:
            initial = model.initial_rows()
            if symmetry:
                initial = model.canonical(initial)
            add(initial, np.arange(len(initial)), np.full(len(initial), -1, dtype=np.int64),
                0)
            lo, hi = 0, len(store)
            frontier = next_level.hand_over() if fingerprint else None
            level = 0
        else:
            level, lo, hi, frontier = restore()
        last_report = started
        batch = max(1, model.batch_size)
        while hi > lo:
            budget.check_depth(level)    # states at this level are left unexpanded
            level += 1
            skipped = store.skipped(lo, hi)    # zones covered at this level or before

            def batch_at(start):
                end = min(hi, start + batch)
                if fingerprint:
                    frontier.release(start - lo)    # rows read already: no longer needed
                    rows = frontier.packed_rows(start - lo, end - lo)
                else:
                    rows = store.packed_rows(start, end)
                row_ids = np.arange(start, end, dtype=np.int64)
                keep = ~skipped[start - lo:end - lo]
                if not keep.all():
                    rows, row_ids = UnpackedRows(rows.unpack()[keep]), row_ids[keep]
                    counters["skipped"] += int((~keep).sum())
                return end, row_ids, ahead.successors(rows)

            # the successors of the next batches are computed while this one is inserted:
            # their rows are of this level, stored already
            pending = collections.deque()
            start = lo
            while pending or start < hi:
                while start < hi and len(pending) < ahead.depth:
                    pending.append(batch_at(start))
                    start = pending[-1][0]
                rows, done = ahead.next_result([job for *_, job in pending])
                end, row_ids, _ = pending.popleft()
                expand(rows, row_ids, level, done)
                ahead.done_with(done)
                budget.check()
                now = time.perf_counter()
                if progress is not None and now - last_report >= progress_interval:
                    last_report = now
                    progress({"generated": counters["transitions"], "distinct": len(store),
                              "queue": len(store) - end, "depth": level,
                              "rate": len(store) / (now - started),
                              "elapsed": now - started})
            lo, hi = hi, len(store)
            if fingerprint:
                frontier = next_level.hand_over()
            if checkpoint is not None and (checkpoint.due() or hi == lo):
                with budget.deferred():         # a signal waits until it is written
                    save(level, lo, hi, frontier)

    if checkpoint is not None and model.zone_layout is not None:
        raise ValueError("checkpoints are for untimed searches")
    restored = checkpoint.load() if checkpoint is not None else None
    stop_reason = ""
    # with a pool, each thread (this one too) runs compiled code on one core: a parallel
    # region here would wait for a core the pool holds
    threads = set_compiled_threads(1 if pooled else workers)
    def hashed_successors(packed, spare):
        """A batch's rows and their successors, and, where the store hashes whole rows,
        the successors' hashes: unpacked, computed and hashed by the thread that computes
        them (a thread of the pool), not by the insert that waits for them."""
        rows = packed.unpack()
        succ = model.successors(rows, symmetry, reduce, spare)
        # a zone store may widen its rows before the batch is inserted: hashed then
        succ.hashes = None if isinstance(store, ZoneStore) else hashes_of(succ.buffer,
                                                                          succ.index)
        return rows, succ

    ahead = _Ahead(hashed_successors, workers if pooled else 1)
    try:
        with budget.phase(phase):
            search()
    except Stopped as stop:
        stop_reason = stop.reason
    except MemoryError as error:
        stop_reason = budget.out_of_memory(error, phase)
    except KeyboardInterrupt:    # a caller that installed no signal handler of its own
        stop_reason = budget.stop("interrupted").reason
    finally:
        ahead.close()
        set_compiled_threads(threads)
    elapsed = time.perf_counter() - started
    stats = Statistics(
        distinct_states=len(store), transitions=counters["transitions"],
        max_depth=counters["depth"], wall_seconds=elapsed, complete=not stop_reason,
        stop_reason=stop_reason, bytes_per_state=store.bytes_per_state() + 4,
        fingerprint=fingerprint, collision_probability=store.collision_probability(),
        workers=workers, reduced_states=counters["reduced"],
        chained_steps=counters["chained"],
        full_expansions=counters["full_expansions"],
    )
    same = None
    if isinstance(store, ZoneStore):
        same = store.within
        stats.symbolic = True
        seen, width, cut = _count_discrete(model, store, symmetry, budget)
        stats.discrete_states = len(seen)    # a figure: if it is cut, no verdict changes
        stats.discrete_counted = not cut
        if reached is not None:
            reached.append(_distinct(seen.rows(0, len(seen))[:, :width]))
        stats.covered_states = int((store.covered_by[:len(store)] >= 0).sum())
        stats.skipped_states = counters["skipped"]
    if edges is not None:
        stats.protocol_edges = edges.count
        stats.bytes_per_edge = 8.0
    results = []

    def shortest_trace(prop, path: list) -> tuple:
        """The trace of `prop`'s first violation along the stored `path`, and notes: under
        a reduction, the shortest one, from an unreduced search that stops at the first
        violation (a reduced graph may reach it only by a longer path)."""
        if reduce:
            unreduced = explore(model, [prop], symmetry=symmetry, fingerprint=fingerprint,
                                workers=workers, budget=budget, stop_at_settled=True,
                                phase="search for a shortest counterexample")
            stats.trace_search_states += unreduced.statistics.distinct_states
            if unreduced.properties[0].trace is not None:
                return unreduced.properties[0].trace, []
            stats.cut(unreduced.statistics.stop_reason)
            notes = [NOT_SHORTEST.format(reason=unreduced.statistics.stop_reason)]
        else:
            notes = []
        return replay(model, path, symmetry, store.identity_of, same, reduce), notes

    searched_all = stats.complete     # what the later phases may cut is their own
    for prop in cycles:
        results.append(_cycle_phase(model, prop, stats, edges, parents, store, symmetry,
                                    budget, same, reduce))
    for prop in invariants + settled:
        if prop.name in first_violation:
            trace, notes = shortest_trace(
                prop, [store.identity(i) for i in parents.path(first_violation[prop.name])])
            explanation = prop.explain(model.observe(trace.final)) if prop.explain else ""
            verdict = Verdict.VIOLATED
        else:
            trace, explanation, notes = None, "", []
            verdict = Verdict.HOLDS if searched_all else Verdict.INCOMPLETE
        results.append(PropertyResult(
            prop.name, prop.description, prop.kind, verdict,
            violating_states=violating[prop.name], trace=trace, explanation=explanation,
            notes=notes,
        ))
    if witness is not None:
        for result in results:
            if result.trace is not None:
                time_counterexample(model, result, witness, budget, stats)
    order = [p.name for p in properties]
    results.sort(key=lambda r: order.index(r.name))
    return CheckResult(results, stats, symmetry=symmetry, reduction=reduce != FULL,
                       mode="timed" if same is not None else "untimed")


DISCRETE_CHUNK = 1 << 16       # keys per step of the count of discrete states


def _count_discrete(model, store: ZoneStore, symmetry: bool, budget: Budget):
    """The distinct discrete states of the stored keys (`model.discrete_rows`), in an
    exact store that holds only the distinct ones, filled a chunk of keys at a time (a
    three-node run has tens of millions of keys). Done however the search ended, so
    only memory may cut it short: (the store, the rows' width, why it was cut or "").
    The rows are stored padded to whole words."""
    seen, width = ExactStore(8 * store.key_words), 0
    for lo in range(0, store.keys, DISCRETE_CHUNK):
        hi = min(store.keys, lo + DISCRETE_CHUNK)
        try:
            budget.check_memory(seen.growth_bytes(hi - lo) + 4 * (hi - lo) * seen.width)
            rows = model.discrete_rows(store.keys_rows(lo, hi), symmetry)
            if lo == 0:
                width = rows.shape[1]
                seen = ExactStore(-(-width // 8) * 8)
            padded = np.zeros((len(rows), seen.width), dtype=np.uint8)
            padded[:, :width] = rows
            words = padded.view(np.uint64)
            seen.insert(words, np.arange(len(rows), dtype=np.int64), row_hashes(words),
                        MAX_STATES)
        except Stopped as stop:
            return seen, width, stop.reason
        except MemoryError:
            return seen, width, "out of memory"
    return seen, width, ""


def _distinct(rows: np.ndarray) -> np.ndarray:
    """The distinct rows, in byte order."""
    rows = np.ascontiguousarray(rows)
    if not len(rows):
        return rows
    unique = np.unique(rows.view(np.dtype((np.void, rows.shape[1]))).ravel())
    return unique.view(np.uint8).reshape(len(unique), rows.shape[1])


def cut_short(prop, reason: str, what: str) -> PropertyResult:
    """The result of a property whose own phase was cut short."""
    return PropertyResult(prop.name, prop.description, prop.kind, Verdict.INCOMPLETE,
                          explanation=f"not decided: {what} was cut short ({reason})")


def _cycle_phase(model, prop, stats, edges, parents, store, symmetry, budget, same,
                 reduce=FULL):
    """The cycle search for a `terminates` property, under the budget: if it is cut
    short, the property is undecided and the run incomplete."""
    phase = f"cycle search for {prop.name}"
    try:
        with budget.phase(phase):
            budget.check()
            return _cycle_result(model, prop, stats, edges, parents, store, symmetry,
                                 budget.check, same, reduce)
    except Stopped as stop:
        reason = stop.reason
    except MemoryError as error:
        reason = budget.out_of_memory(error, phase)
    stats.cut(reason)
    return cut_short(prop, reason, "the cycle search")


def _cycle_result(model, prop, stats, edges, parents, store, symmetry, poll, same,
                  reduce=FULL):
    """A cycle among the edges recorded is real even if the search was cut short (every
    edge joins two reachable states), so only HOLDS needs a complete search. Of symbolic
    states, the lasso closes on a discrete state (decoded states compare their discrete
    parts); whether a real run repeats it is the witness's to say."""
    src, dst = edges.edges()
    start = find_cycle(len(store), src, dst)
    if start is None:
        verdict = Verdict.HOLDS if stats.complete else Verdict.INCOMPLETE
        return PropertyResult(prop.name, prop.description, prop.kind, verdict)
    loop = shortest_loop(len(store), src, dst, start, poll)
    closed = close_lasso(
        lambda ids: replay(model, [store.identity(i) for i in ids], symmetry,
                           store.identity_of, same, reduce),
        parents.path(start), loop[1:] + [start], lambda a, b: a == b, poll)
    if closed is None and same is not None:
        return PropertyResult(prop.name, prop.description, prop.kind, Verdict.INCOMPLETE,
                              explanation="a cycle of symbolic states does not close on a "
                                          "concrete state")
    if closed is None:
        raise RuntimeError("lasso: the loop does not close on a concrete state")
    trace, loop_index = closed
    return PropertyResult(prop.name, prop.description, prop.kind, Verdict.VIOLATED,
                          trace=trace, loop=loop_index,
                          notes=[REDUCED_LASSO] if reduce != FULL else [],
                          explanation=f"a cycle of {len(trace) - loop_index} protocol steps "
                                      "repeats forever")


def settled_violations(model, settled: Sequence[Property], rows: np.ndarray, succ,
                       protocol: np.ndarray | None = None) -> dict[str, list[int]]:
    """For each property of `settled` (checked at quiescence) that some of `rows` violate,
    their positions, in order. A row is quiescent when none of its successors `succ` is
    a protocol step (only faults or boots are left) and time may pass for ever.
    `protocol`: which successors are protocol steps, if the caller knows already."""
    if not settled:
        return {}
    if protocol is None:
        protocol = ~model.is_environment(succ.action)
    busy = np.bincount(succ.source[protocol], minlength=len(rows))
    found: dict[str, list[int]] = {}
    for r in np.flatnonzero((busy == 0) & model.time_can_pass(rows)):
        state = model.observe(model.decode(rows[r]))
        for prop in settled:
            if not prop.holds(state):
                found.setdefault(prop.name, []).append(int(r))
    return found


def violations(model, prop: Property, rows: np.ndarray) -> np.ndarray:
    """Which of `rows` violate the invariant `prop` (vectorised when it says how)."""
    if prop.violated is not None:
        return np.asarray(prop.violated(rows), dtype=np.bool_)
    return np.array([not prop.holds(model.observe(model.decode(r))) for r in rows],
                    dtype=np.bool_)


class _Job:
    """The successors of one batch: computed by a thread of the pool, or, if none has
    started on it when the search needs the result, where the search is."""

    def __init__(self, compute, packed, spare):
        self.compute, self.packed, self.spare = compute, packed, spare
        self.future = None
        self.value = None
        self.error: Exception | None = None

    def run(self):
        return self.compute(self.packed, self.spare)

    def ready(self) -> bool:
        return (self.value is not None or self.error is not None
                or (self.future is not None and self.future.done()))

    def steal(self) -> None:
        """Compute it on this thread if no thread of the pool has started it. An error
        (a model bound) is raised only when its result is asked for, in batch order."""
        if self.value is None and self.future is not None and self.future.cancel():
            self.future = None
            try:
                self.value = self.run()
            except Exception as error:
                self.error = error

    def result(self):
        if self.error is not None:
            raise self.error
        if self.value is None:
            self.value = self.run() if self.future is None else self.future.result()
        return self.value


class _Ahead:
    """The successors of the batches of a level, in order. With K > 1 workers (and a
    model whose successors may run concurrently), a pool of K - 1 threads, each running
    the model's compiled code on one core, computes the successors of the next batches
    while the search inserts the one before; when the batch the search needs next is not
    ready, it computes a later one that no thread has started (`_Job.steal`), so neither
    stage waits for the other whichever is the heavier (docs/performance.md, "Two
    stages"). Batches are still inserted in order, so nothing the search finds depends
    on it. The buffer of a batch the search is done with is handed to the model for a
    later batch."""

    def __init__(self, successors, workers: int):
        self.compute = successors
        self.spares: list = []
        self.pool = None
        self.depth = 1      # batches whose successors are asked for before they are needed
        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor
            self.depth = workers + 1    # one for each thread, and one to steal
            self.pool = ThreadPoolExecutor(workers - 1, "hacheck-successors",
                                           initializer=set_compiled_threads, initargs=(1,))

    def successors(self, packed) -> _Job:
        """A job for the successors of a batch's rows, `packed` (`PackedRows` or
        `UnpackedRows`), started on the pool if there is one."""
        spare = self.spares.pop() if self.spares else None
        job = _Job(self.compute, packed, spare)
        if self.pool is not None:
            job.future = self.pool.submit(job.run)
        return job

    def next_result(self, jobs: Sequence[_Job]):
        """The first job's successors; while they are not ready, a later job is stolen."""
        first = jobs[0]
        for later in jobs[1:]:
            if first.ready():
                break
            later.steal()
        return first.result()

    def done_with(self, succ) -> None:
        self.spares.append(succ)

    def close(self) -> None:
        if self.pool is not None:    # waits for a batch still being computed
            self.pool.shutdown(wait=True, cancel_futures=True)

