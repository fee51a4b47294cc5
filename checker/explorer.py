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
  model that allows it (`concurrent_successors`), each of them computes a batch's
  successors and then inserts them itself once the batch before is in
  (`checker.ahead.Turns`); each thread runs on one core and fetches its batch's rows
  itself, and this one hands out a level's batches at once and reports progress.
- A search that stops early (violation, or its `Budget`: a state budget, a time limit,
  memory, a signal) records why; properties it did not see violated are then INCOMPLETE,
  never HOLDS. The budget is polled between batches in every phase of the search (the
  state search, the cycle search for L0, the unreduced search for a shortest trace), and
  a MemoryError in any of them ends the run the same way (`checker.stopping`). A
  violation found before the stop keeps its trace; if the search for its shortest trace
  is what was cut, the trace found by the reduced search is shown instead, and says so.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import wait
from typing import Callable, Sequence

import numpy as np

from hacheck.checker.ahead import Inline, Turns
from hacheck.checker.compiled import set_compiled_threads
from hacheck.checker.frontier import FrontierRows
from hacheck.checker.cycles import cycle_phase
from hacheck.checker.liveness import EdgeLog
from hacheck.checker.model import FULL, GROWING, INVISIBLE
from hacheck.checker.properties import ALWAYS, AT_QUIESCENCE, TERMINATES, Property
from hacheck.checker.stopping import MAX_STATES, Budget, Stopped
from hacheck.checker.rows import UnpackedRows, row_hashes
from hacheck.checker.store import ExactStore, FingerprintStore
from hacheck.checker.zonestore import ZoneStore
from hacheck.checker.trace import replay
from hacheck.checker.verdict import (
    NOT_SHORTEST, CheckResult, PropertyResult, Statistics, Verdict,
)
from hacheck.checker.witness import Witness, time_counterexample


class ModelBoundError(Exception):
    """The model reached a bound it was not built for (a model error, not a verdict)."""


Progress = Callable[[dict], None]

VIOLATION_FOUND = "violation found"


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
    if checkpoint is not None and model.zone_layout is not None:
        raise ValueError("checkpoints are for untimed searches")
    budget = budget_of(budget, max_states, time_limit)
    budget.start_clock()
    search = _Search(model, properties, symmetry=symmetry, reduce=reduce,
                     keep_going=keep_going, stop_at_settled=stop_at_settled,
                     max_states=max_states if max_states is not None else budget.max_states,
                     fingerprint=fingerprint, workers=workers, budget=budget,
                     checkpoint=checkpoint)
    stats = search.run(phase, progress, progress_interval)
    if isinstance(search.store, ZoneStore):
        _count_reached(model, search.store, symmetry, budget, stats, reached,
                       search.counters["skipped"])
    results = search.results(stats, properties, witness)
    return CheckResult(results, stats, symmetry=symmetry, reduction=search.reduce != FULL,
                       mode="timed" if stats.symbolic else "untimed")


class _Search:
    """One breadth-first search: the visited set, the parent links, what was counted and
    violated so far, and the steps that fill them (`run`), level by level."""

    def __init__(self, model, properties: Sequence[Property], *, symmetry: bool,
                 reduce: bool, keep_going: bool, stop_at_settled: bool,
                 max_states: int | None, fingerprint: bool, workers: int, budget: Budget,
                 checkpoint):
        self.model, self.symmetry, self.budget = model, symmetry, budget
        self.keep_going, self.stop_at_settled = keep_going, stop_at_settled
        self.max_states, self.fingerprint, self.workers = max_states, fingerprint, workers
        self.checkpoint = checkpoint
        self.pooled = workers > 1 and model.concurrent_successors
        self.invariants = [p for p in properties if p.kind == ALWAYS]
        self.settled = [p for p in properties if p.kind == AT_QUIESCENCE]
        self.cycles = [p for p in properties if p.kind == TERMINATES]
        self.reduce = reduction_mode(model, properties) if reduce else FULL
        self.edges = EdgeLog() if self.cycles else None
        self.first_violation: dict[str, int] = {}
        self.violating = {p.name: 0 for p in self.invariants + self.settled}
        if model.zone_layout is not None:        # a timed model: zones, with inclusion
            self.store = ZoneStore(model.width, *model.zone_layout)
        else:
            # with several threads, inserts are taken in turn (`Turns`); the table is
            # partitioned for a parallel insert only where nothing else holds the cores
            parts = 1 if self.pooled else workers
            self.store = (FingerprintStore(model.width) if fingerprint
                          else ExactStore(model.width, parts=parts))
        self.store.threads = workers   # growing its table, the insert's one long step
        self.parents = _Parents()
        self.started = time.perf_counter()
        self.counters = {"transitions": 0, "depth": 0, "full_expansions": 0, "reduced": 0,
                         "chained": 0, "skipped": 0}
        self.next_level = FrontierRows(model.width)    # fingerprint mode: the next level's rows

    # --- one batch ---------------------------------------------------------------------

    def add(self, buffer: np.ndarray, index: np.ndarray, parent_ids: np.ndarray,
            depth: int, hashes: np.ndarray | None = None,
            repeats: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Insert the candidate rows buffer[index] in order; check the new ones; (ids, new).
        `hashes`: theirs, if already computed; `repeats`: the store's `find_repeats` of them."""
        self.budget.check(self.store.growth_bytes(len(index))
                          + self.parents.growth_bytes(len(index)))
        with self.budget.deferred():   # the store and the parent links change together
            return self._insert(buffer, index, parent_ids, depth, hashes, repeats)

    def hashes_of(self, buffer, index) -> np.ndarray:
        """The store's hash of each row buffer[index] (of its key, for a zone store)."""
        words = buffer.view(np.uint64)
        hashed = self.store.hash_words
        return row_hashes(words if hashed == words.shape[1] else words[:, :hashed], index)

    def _insert(self, buffer, index, parent_ids, depth, hashes, repeats):
        words = buffer.view(np.uint64)
        if hashes is None:
            hashes = self.hashes_of(buffer, index)
        limit = self.max_states if self.max_states is not None else MAX_STATES
        ids, new, looked_at = (self.store.insert(words, index, hashes, limit)
                               if repeats is None else
                               self.store.insert(words, index, hashes, limit, repeats))
        if new.any():
            self.parents.extend(parent_ids[new])
            self.counters["depth"] = depth
            # the new rows, copied out only if something reads them
            fresh = buffer[index[new]] if self.fingerprint or self.invariants else None
            if self.fingerprint:
                self.next_level.extend(fresh)
            fresh_ids = ids[new]
            stop = False
            for prop in self.invariants:
                bad = violations(self.model, prop, fresh)
                if bad.any():
                    self.violating[prop.name] += int(bad.sum())
                    self.first_violation.setdefault(prop.name,
                                                    int(fresh_ids[np.argmax(bad)]))
                    stop = not self.keep_going
            if stop:
                raise Stopped(VIOLATION_FOUND)
        if looked_at < len(index) or len(self.store) >= limit:
            raise Stopped(f"state budget of {limit:,} states reached"
                          + ("" if self.max_states is not None else " (the engine's limit: "
                             "state ids are 32-bit)"))
        return ids, new

    def expand(self, rows: np.ndarray, row_ids: np.ndarray, level: int, succ) -> None:
        """Insert the successors `succ` of `rows` (and what the properties need)."""
        model, store, counters = self.model, self.store, self.counters
        if isinstance(store, ZoneStore) and succ.buffer.shape[1] > store.width:
            # a timed model widened its rows (a batch computed before, on another thread,
            # may come later and narrower: its zones fit it, and it is inserted as it is)
            store.widen(succ.buffer.shape[1])
        counters["transitions"] += len(succ)
        counters["chained"] += succ.chained
        ids, new = self.add(succ.buffer, succ.index, row_ids[succ.source], level,
                            getattr(succ, "hashes", None), getattr(succ, "repeats", None))
        protocol = (~model.is_environment(succ.action) if self.settled or self.cycles
                    else None)
        if self.edges is not None:
            self.budget.check(self.edges.growth_bytes(int(protocol.sum())))
            self.edges.extend(row_ids[succ.source[protocol]], ids[protocol])
        for name, bad in settled_violations(model, self.settled, rows, succ,
                                            protocol).items():
            self.violating[name] += len(bad)
            self.first_violation.setdefault(name, int(row_ids[bad[0]]))
            if self.stop_at_settled and not self.keep_going:
                raise Stopped(VIOLATION_FOUND)
        if not self.reduce or not succ.reduced.any():
            return
        counters["reduced"] += int(succ.reduced.sum())
        if model.static_proviso:
            return
        # cycle proviso: a reduced state with an ample successor seen before is expanded
        # fully
        seen_before = np.zeros(len(rows), dtype=np.bool_)
        np.logical_or.at(seen_before, succ.source, ~new)
        again = np.flatnonzero(succ.reduced & seen_before)
        if len(again):
            counters["full_expansions"] += len(again)
            full = model.successors(rows[again], self.symmetry, False)
            counters["transitions"] += len(full)
            self.add(full.buffer, full.index, row_ids[again[full.source]], level)

    def hashed_successors(self, batch, spare):
        """Batch (level, start): its rows, fetched, and their successors, and, where the
        store hashes whole rows, the successors' hashes and which of them repeat others
        of the batch; done by the thread that then inserts them (`Turns`), outside its
        turn."""
        level, start = batch
        packed, row_ids = level.rows(self.store, start)
        rows = packed.unpack()
        succ = self.model.successors(rows, self.symmetry, self.reduce, spare)
        # a zone store may widen its rows before the batch is inserted: hashed then
        succ.hashes = (None if isinstance(self.store, ZoneStore)
                       else self.hashes_of(succ.buffer, succ.index))
        if succ.hashes is not None:
            succ.repeats = self.store.find_repeats(succ.buffer.view(np.uint64), succ.index,
                                                   succ.hashes)
        return rows, succ, row_ids, batch

    # --- checkpoints -------------------------------------------------------------------

    def save(self, level: int, lo: int, hi: int, frontier) -> None:
        arrays = {f"store_{k}": v for k, v in self.store.snapshot().items()}
        arrays["parents"] = self.parents.array[:self.parents.count]
        if self.edges is not None:
            arrays["edges_src"], arrays["edges_dst"] = self.edges.edges()
        if self.fingerprint:
            arrays.update({f"frontier_{k}": v for k, v in frontier.snapshot().items()})
        self.checkpoint.save(arrays, {
            "level": level, "lo": lo, "hi": hi, "counters": self.counters,
            "first_violation": self.first_violation, "violating": self.violating})

    def restore(self, restored) -> tuple[int, int, int, FrontierRows | None]:
        arrays, meta = restored
        self.store.restore({k[len("store_"):]: v for k, v in arrays.items()
                            if k.startswith("store_")})
        self.parents.count = 0
        self.parents.extend(arrays["parents"])
        if self.edges is not None:
            self.edges.restore(arrays["edges_src"], arrays["edges_dst"])
        self.counters.update(meta["counters"])
        self.first_violation.update(meta["first_violation"])
        self.violating.update(meta["violating"])
        frontier = None
        if "frontier_heap" in arrays:
            frontier = FrontierRows.restore(self.model.width, {
                "heap": arrays["frontier_heap"], "starts": arrays["frontier_starts"]})
        return meta["level"], meta["lo"], meta["hi"], frontier

    # --- the levels ----------------------------------------------------------------------

    def run(self, phase: str, progress: Progress | None, interval: float) -> Statistics:
        """Search until the space is done or the budget stops it; the statistics."""
        restored = self.checkpoint.load() if self.checkpoint is not None else None
        stop_reason = ""
        # with a pool, each of its threads runs compiled code on one core: a parallel
        # region here would wait for a core the pool holds
        threads = set_compiled_threads(1 if self.pooled else self.workers)
        batches = (Turns(self.hashed_successors, self._insert_batch, self.workers)
                   if self.pooled else Inline(self.hashed_successors, self._insert_batch))
        try:
            with self.budget.phase(phase):
                self._levels(batches, restored, progress, interval)
        except Stopped as stop:
            stop_reason = stop.reason
        except MemoryError as error:
            stop_reason = self.budget.out_of_memory(error, phase)
        except KeyboardInterrupt:    # a caller that installed no signal handler of its own
            stop_reason = self.budget.stop("interrupted").reason
        finally:
            batches.close()
            set_compiled_threads(threads)
        counters, store = self.counters, self.store
        return Statistics(
            distinct_states=len(store), transitions=counters["transitions"],
            max_depth=counters["depth"], wall_seconds=time.perf_counter() - self.started,
            complete=not stop_reason, stop_reason=stop_reason,
            bytes_per_state=store.bytes_per_state() + 4, fingerprint=self.fingerprint,
            collision_probability=store.collision_probability(), workers=self.workers,
            reduced_states=counters["reduced"], chained_steps=counters["chained"],
            full_expansions=counters["full_expansions"],
        )

    def _insert_batch(self, computed) -> None:
        rows, succ, row_ids, (level, start) = computed
        level.release(start)
        self.counters["skipped"] += int(level.skipped_in(start).sum())
        self.expand(rows, row_ids, level.number, succ)
        self.expanded = level.end(start)

    def _levels(self, batches: Turns | Inline, restored, progress: Progress | None,
                interval: float) -> None:
        store, budget = self.store, self.budget
        if restored is None:
            initial = self.model.initial_rows()
            if self.symmetry:
                initial = self.model.canonical(initial)
            self.add(initial, np.arange(len(initial)),
                     np.full(len(initial), -1, dtype=np.int64), 0)
            lo, hi = 0, len(store)
            frontier = self.next_level.hand_over() if self.fingerprint else None
            level = 0
        else:
            level, lo, hi, frontier = self.restore(restored)
        self.last_report = self.started
        self.expanded = lo     # the next state to expand, once the batches before are in
        batch = max(1, self.model.batch_size)
        while hi > lo:
            budget.check_depth(level)    # states at this level are left unexpanded
            level += 1
            skipped = store.skipped(lo, hi)    # zones covered at this level or before
            self.level = _Level(level, lo, hi, batch, frontier, skipped)
            # every batch of the level at once: the threads take them in order, each
            # fetches its batch's rows (stored already) and computes their successors
            # while another inserts; with one worker, each is done here as it is given
            given = []
            for start in range(lo, hi, batch):
                given.append(batches.submit((self.level, start)))
                self._report(progress, interval)
            while not given[-1].done():
                wait(given[-1:], timeout=interval)
                self._report(progress, interval)
            for done in given:
                done.result()           # the first error, in batch order
            lo, hi = hi, len(store)
            if self.fingerprint:
                frontier = self.next_level.hand_over()
            if self.checkpoint is not None and (self.checkpoint.due() or hi == lo):
                with budget.deferred():         # a signal waits until it is written
                    self.save(level, lo, hi, frontier)

    def _report(self, progress: Progress | None, interval: float) -> None:
        now = time.perf_counter()
        if progress is not None and now - self.last_report >= interval:
            self.last_report = now
            # read once: the workers may be inserting (and `expanded` is below it anyway)
            distinct = len(self.store)
            progress({"generated": self.counters["transitions"], "distinct": distinct,
                      "queue": distinct - self.expanded, "depth": self.level.number,
                      "rate": distinct / (now - self.started), "elapsed": now - self.started})

    # --- verdicts ------------------------------------------------------------------------

    def results(self, stats: Statistics, properties: Sequence[Property],
                witness: Witness | None) -> list[PropertyResult]:
        """Each property's verdict, in the order given: cycles searched among the edges
        recorded, each violation's shortest trace, timed by `witness` if given."""
        model, store = self.model, self.store
        same = store.within if isinstance(store, ZoneStore) else None
        if self.edges is not None:
            stats.protocol_edges = self.edges.count
            stats.bytes_per_edge = 8.0
        searched_all = stats.complete     # what the later phases may cut is their own
        results = [cycle_phase(model, prop, stats, self.edges, self.parents, store,
                               self.symmetry, self.budget, same, self.reduce)
                   for prop in self.cycles]
        for prop in self.invariants + self.settled:
            if prop.name in self.first_violation:
                path = [store.identity(i)
                        for i in self.parents.path(self.first_violation[prop.name])]
                trace, notes = self.shortest_trace(prop, path, stats, same)
                explanation = (prop.explain(model.observe(trace.final)) if prop.explain
                               else "")
                verdict = Verdict.VIOLATED
            else:
                trace, explanation, notes = None, "", []
                verdict = Verdict.HOLDS if searched_all else Verdict.INCOMPLETE
            results.append(PropertyResult(
                prop.name, prop.description, prop.kind, verdict,
                violating_states=self.violating[prop.name], trace=trace,
                explanation=explanation, notes=notes,
            ))
        if witness is not None:
            for result in results:
                if result.trace is not None:
                    time_counterexample(model, result, witness, self.budget, stats)
        order = [p.name for p in properties]
        return sorted(results, key=lambda r: order.index(r.name))

    def shortest_trace(self, prop, path: list, stats: Statistics, same) -> tuple:
        """The trace of `prop`'s first violation along the stored `path`, and notes: under
        a reduction, the shortest one, from an unreduced search that stops at the first
        violation (a reduced graph may reach it only by a longer path)."""
        if self.reduce:
            unreduced = explore(self.model, [prop], symmetry=self.symmetry,
                                fingerprint=self.fingerprint, workers=self.workers,
                                budget=self.budget, stop_at_settled=True,
                                phase="search for a shortest counterexample")
            stats.trace_search_states += unreduced.statistics.distinct_states
            if unreduced.properties[0].trace is not None:
                return unreduced.properties[0].trace, []
            stats.cut(unreduced.statistics.stop_reason)
            notes = [NOT_SHORTEST.format(reason=unreduced.statistics.stop_reason)]
        else:
            notes = []
        return replay(self.model, path, self.symmetry, self.store.identity_of, same,
                      self.reduce), notes


class _Level:
    """The level being expanded: states lo .. hi - 1, in batches of `batch` (their rows
    are in the store, or in `frontier` in fingerprint mode); `skipped`, those that need
    no expanding. Its batches are fetched by several threads at once."""

    def __init__(self, number: int, lo: int, hi: int, batch: int,
                 frontier: FrontierRows | None, skipped: np.ndarray):
        self.number, self.lo, self.hi, self.batch = number, lo, hi, batch
        self.frontier, self.skipped = frontier, skipped
        self.lock = threading.Lock()     # `release` changes the frontier's lists of chunks

    def end(self, start: int) -> int:
        return min(self.hi, start + self.batch)

    def skipped_in(self, start: int) -> np.ndarray:
        """Which states of the batch at `start` need no expanding."""
        return self.skipped[start - self.lo:self.end(start) - self.lo]

    def rows(self, store, start: int):
        """The rows of the batch at `start` (packed, or unpacked if some are skipped) and
        their ids."""
        end = self.end(start)
        if self.frontier is not None:
            with self.lock:
                rows = self.frontier.packed_rows(start - self.lo, end - self.lo)
        else:
            rows = store.packed_rows(start, end)
        row_ids = np.arange(start, end, dtype=np.int64)
        keep = ~self.skipped_in(start)
        if not keep.all():
            rows, row_ids = UnpackedRows(rows.unpack()[keep]), row_ids[keep]
        return rows, row_ids

    def release(self, start: int) -> None:
        """Drop the frontier's rows before `start` (called in batch order, when every
        batch before has been fetched)."""
        if self.frontier is not None:
            with self.lock:
                self.frontier.release(start - self.lo)


def _count_reached(model, store: ZoneStore, symmetry: bool, budget: Budget,
                   stats: Statistics, reached: list | None, skipped: int) -> None:
    """A timed search's figures: the discrete states its symbolic ones reach (`reached`,
    if given, receives them), how many were covered by others and skipped."""
    stats.symbolic = True
    seen, width, cut = _count_discrete(model, store, symmetry, budget)
    stats.discrete_states = len(seen)    # a figure: if it is cut, no verdict changes
    stats.discrete_counted = not cut
    if reached is not None:
        reached.append(_distinct(seen.rows(0, len(seen))[:, :width]))
    stats.covered_states = int((store.covered_by[:len(store)] >= 0).sum())
    stats.skipped_states = skipped


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
