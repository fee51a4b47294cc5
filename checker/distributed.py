"""The breadth-first search on Ray: the visited set partitioned by hash across actors.

`docs/scale.md` is the design. Each of P shards (a Ray actor, one core) owns the states
whose hash is ≡ its number mod P: it stores them (`ExactStore`), checks the invariants on
the new ones, and expands them. A level: every shard expands its frontier in batches and
splits the successors by owner (P arrays per shard, kept in Ray's object store); every
owner then inserts what it received, from shard 0's first, so that what it stores does
not depend on timing; the driver waits for all (a barrier), sums the counts and stops
after the level in which an invariant was first violated (or goes on with
`keep_going`). The distinct-state count is therefore the single-process search's, and
so are the verdicts.

Ids are per shard, so the parent links do not give the single-process trace; the trace
comes from a single-process search that stops at the first violation, at the depth the
distributed search found it (for heartbeat's specs, a fraction of a second): the same
shortest trace as `explore`. Invariants (`always`) are checked on the new states of a
level, properties checked at quiescence (`at_quiescence`, L1) on the states a shard
expands (those with no protocol successor); a violation of the latter gets its trace
from a single-process search bounded at the depth where it was found. L0's cycle search
runs across the shards, each keeping the protocol edges out of the states it expands
(`checker.ray_cycles`).

With a `checkpoint` (`checker.checkpoint.SearchCheckpoint`), the driver saves the search
at level ends (when one is due, and when it finishes): every shard's visited set and
frontier, fetched and written one shard at a time, so the driver never holds more than
one shard's part, and the directory is the driver's (a cluster needs no shared disk).
A resumed search sends each shard its part back and goes on from that level; what each
shard stores does not depend on timing, so the counts and verdicts are those of an
uninterrupted run. A checkpoint is of one number of shards (states belong to a shard by
hash mod P).

The engine knows nothing of the model: `make` is a picklable function that builds
(model, invariants) in each actor and in the driver.
"""

from __future__ import annotations

import time

import numpy as np

from hacheck.checker.checkpoint import CheckpointError
from hacheck.checker.cycles import cut_short
from hacheck.checker.explorer import reduction_mode, settled_violations, violations
from hacheck.checker.model import FULL
from hacheck.checker.properties import ALWAYS, AT_QUIESCENCE, TERMINATES
from hacheck.checker.ray_cycles import CycleShard, deepest_cycle_level
from hacheck.checker.stopping import Budget, Stopped
from hacheck.checker.rows import row_hashes
from hacheck.checker.store import ExactStore
from hacheck.checker.verdict import CheckResult, PropertyResult, Statistics, Verdict

BATCH = 4096
PROGRESS_INTERVAL = 5.0      # seconds between progress reports, as the local search's
_now = time.perf_counter     # the driver's clock (a test sets it)


class RayUnavailable(RuntimeError):
    """Ray is not installed (it is an optional extra: pip install 'hacheck[ray]')."""


def _ray():
    try:
        import ray
    except ImportError:
        raise RayUnavailable("--backend ray needs Ray: pip install 'hacheck[ray]'") from None
    return ray


def owners(hashes: np.ndarray, shards: int) -> np.ndarray:
    """The shard that owns each state: its hash mod P (the hash's low half: the store's
    tag is the high half, so the table stays evenly filled in every shard)."""
    return ((hashes & np.uint64(0xFFFFFFFF)) % np.uint64(shards)).astype(np.int64)


def split_by_owner(rows: np.ndarray, shards: int) -> tuple[list, list]:
    """The rows each shard owns, with their hashes (hashed once, here: the owner inserts
    them with these): a (rows, hashes) pair per shard, in the rows' order; and, per
    shard, which of the rows it owns (a mask)."""
    rows = np.ascontiguousarray(rows)
    hashes = row_hashes(rows.view(np.uint64))
    owner = owners(hashes, shards)
    owned = [owner == q for q in range(shards)]
    return [(rows[mask], hashes[mask]) for mask in owned], owned


class Shard(CycleShard):
    """One part of the visited set, and the expansion of its states (a Ray actor)."""

    def __init__(self, make, number: int, shards: int, symmetry: bool, reduce: int,
                 checked: list):
        import numba
        numba.set_num_threads(1)          # one core per actor
        self.model, properties = make()
        chosen = [p for p in properties if p.name in checked]
        self.invariants = [p for p in chosen if p.kind == ALWAYS]
        self.settled = [p for p in chosen if p.kind == AT_QUIESCENCE]
        self.number, self.shards = number, shards
        self.symmetry, self.reduce = symmetry, reduce
        self.store = ExactStore(self.model.width)
        self.frontier = np.empty((0, self.model.width), dtype=np.uint8)
        self.frontier_ids = np.empty(0, dtype=np.int64)
        self.level_ends: list[int] = []   # the store's size after each level
        self.edges = None
        if any(p.kind == TERMINATES for p in chosen):
            self._start_edges()

    def expand(self) -> list:
        """How many successors this shard's frontier has and how many of its states were
        expanded with an ample set, how many violate each property checked at quiescence,
        then a batch of (rows, hashes) per owner:
        all of them, in the frontier's order. With a cycle search, it notes the source
        of each (`record_edges`)."""
        parts = [[] for _ in range(self.shards)]
        sent = [[] for _ in range(self.shards)]
        counts = {"transitions": 0, "reduced": 0, "chained": 0}
        settled = {p.name: 0 for p in self.settled}
        for start in range(0, len(self.frontier), BATCH):
            rows = self.frontier[start:start + BATCH]
            succ = self.model.successors(rows, self.symmetry, self.reduce)
            counts["transitions"] += len(succ)
            counts["reduced"] += int(succ.reduced.sum()) if self.reduce else 0
            counts["chained"] += succ.chained
            protocol = (~self.model.is_environment(succ.action)
                        if self.settled or self.edges is not None else None)
            for name, bad in settled_violations(self.model, self.settled, rows, succ,
                                                protocol).items():
                settled[name] += len(bad)
            split, owned = split_by_owner(succ.buffer[succ.index], self.shards)
            for q, part in enumerate(split):
                parts[q].append(part)
            if self.edges is not None:
                sources = self.frontier_ids[start:start + BATCH][succ.source]
                for q, mask in enumerate(owned):
                    sent[q].append((sources[mask], protocol[mask]))
        if self.edges is not None:
            self._note_sent(sent)
        return [counts, settled, *([np.concatenate([rows for rows, _ in p]),
                                np.concatenate([hashes for _, hashes in p])] if p else None
                               for p in parts)]

    def snapshot(self) -> dict:
        """This shard's part of a checkpoint: its visited set, its frontier (and their
        ids, the levels' ends and its edges)."""
        edges = {}
        if self.edges is not None:
            edges["edges_src"], edges["edges_dst"] = self.edges.edges()
        return {**{f"store_{k}": v for k, v in self.store.snapshot().items()},
                "frontier": self.frontier, "frontier_ids": self.frontier_ids,
                "level_ends": np.asarray(self.level_ends, dtype=np.int64), **edges}

    def restore(self, arrays: dict) -> dict:
        """Put a `snapshot` back; the report `insert` gives, its violations counted
        already (they are in the checkpoint's counters)."""
        self.store.restore({k[len("store_"):]: v for k, v in arrays.items()
                            if k.startswith("store_")})
        self.frontier = arrays["frontier"]
        self.frontier_ids = arrays["frontier_ids"]
        self.level_ends = [int(n) for n in arrays["level_ends"]]
        if self.edges is not None:
            self.edges.restore(arrays["edges_src"], arrays["edges_dst"])
        return {"new": len(self.frontier), "violating": {p.name: 0 for p in self.invariants},
                "stored": len(self.store), "bytes": self._bytes()}

    def insert(self, *batches) -> list:
        """Insert the (rows, hashes) batches sent by shards 0, 1, ... in that order; the
        new rows are the next frontier. A report (how many are new, how many violate
        each invariant), then, with a cycle search, the ids of each batch's rows (for the
        shard that sent it: `record_edges`)."""
        new_rows, new_ids, ids_by_sender = [], [], []
        for batch in batches:
            if batch is None or not len(batch[0]):
                ids_by_sender.append(None)
                continue
            rows, hashes = batch
            index = np.arange(len(rows), dtype=np.int64)
            ids, new, _ = self.store.insert(rows.view(np.uint64), index, hashes, 1 << 31)
            new_rows.append(rows[new])
            new_ids.append(ids[new])
            ids_by_sender.append(ids if self.edges is not None else None)
        self.frontier = (np.concatenate(new_rows) if new_rows
                         else np.empty((0, self.model.width), dtype=np.uint8))
        self.frontier_ids = (np.concatenate(new_ids) if new_ids
                             else np.empty(0, dtype=np.int64))
        self.level_ends.append(len(self.store))
        violating = {prop.name: int(violations(self.model, prop, self.frontier).sum())
                     for prop in self.invariants}
        return [{"new": len(self.frontier), "violating": violating,
                 "stored": len(self.store), "bytes": self._bytes()}, *ids_by_sender]

    def _bytes(self) -> float:
        """What this shard's visited set takes, in bytes (its edges are counted apart)."""
        return self.store.bytes_per_state() * len(self.store)


def _shard_arrays(ray, workers):
    """(name, array) for every shard's part of a checkpoint, fetched as they are read."""
    for q, worker in enumerate(workers):
        for name, array in ray.get(worker.snapshot.remote()).items():
            yield f"shard{q}_{name}", array


def _resume(ray, workers, restored, counters, violating, first_level):
    """Give each shard its part of the checkpoint `restored` (one shard at a time) and
    the driver its counters: (the level, the shards' reports)."""
    names, meta, read = restored
    if meta.get("shards") != len(workers):
        raise CheckpointError(f"the checkpoint is of a search on {meta.get('shards')} "
                              f"shards, this one has {len(workers)} (--workers)")
    counters.update(meta["counters"])
    violating.update(meta["violating"])
    first_level.update(meta["first_level"])
    reports = []
    for q, worker in enumerate(workers):
        prefix = f"shard{q}_"
        part = {name[len(prefix):]: read(name) for name in names if name.startswith(prefix)}
        reports.append(ray.get(worker.restore.remote(part)))
    return meta["level"], reports


def explore_on_ray(make, properties, *, symmetry: bool = True, reduce: bool = False,
                   keep_going: bool = False, shards: int = 2, address: str | None = None,
                   budget: Budget | None = None, progress=None,
                   progress_interval: float | None = None,
                   trace_search=None, checkpoint=None) -> CheckResult:
    """The invariants of `properties`, and those checked at quiescence, checked by a
    search partitioned over `shards` Ray actors (a local Ray of `shards` CPUs unless
    `address` names a cluster). `trace_search(prop, depth)`, if given, gives the
    single-process search's result for a property violated `depth` steps in (its
    trace). `checkpoint`: where the search saves itself at level ends, and, when
    resuming, what it starts from (module docstring). `progress` is told at a level's
    end, at most every `progress_interval` seconds (default `PROGRESS_INTERVAL`)."""
    ray = _ray()
    budget = budget if budget is not None else Budget()
    budget.start_clock()
    invariants = [p for p in properties if p.kind == ALWAYS]
    settled = [p for p in properties if p.kind == AT_QUIESCENCE]
    cycles = [p for p in properties if p.kind == TERMINATES]
    cycle = (None, "")             # the cycle search's deepest level, or why it stopped
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, logging_level="ERROR", log_to_driver=False)
        else:
            ray.init(num_cpus=shards, include_dashboard=False, logging_level="ERROR",
                     log_to_driver=False)
    started = last_report = _now()
    if progress_interval is None:
        progress_interval = PROGRESS_INTERVAL
    counters = {"transitions": 0, "depth": 0, "distinct": 0, "edges": 0, "reduced": 0,
                "chained": 0, "bytes": 0}
    violating = {p.name: 0 for p in invariants + settled}
    first_level: dict[str, int] = {}
    stop_reason = ""
    try:
        actor = ray.remote(num_cpus=1)(Shard)
        model, _ = make()
        mode = reduction_mode(model, properties) if reduce else FULL
        checked = [p.name for p in invariants + settled + cycles]
        workers = [actor.remote(make, q, shards, symmetry, mode, checked)
                   for q in range(shards)]
        restored = checkpoint.load_lazily() if checkpoint is not None else None
        if restored is None:
            initial = model.initial_rows()
            if symmetry:
                initial = model.canonical(initial)
            parts, _ = split_by_owner(initial, shards)
            reports = ray.get([w.insert.options(num_returns=2).remote(part)[0]
                               for w, part in zip(workers, parts)])
            level = 0
        else:
            level, reports = _resume(ray, workers, restored, counters, violating,
                                     first_level)
        def tally(counts: dict, depth: int) -> None:
            """Add a shard's violations, found `depth` steps in."""
            for name, count in counts.items():
                violating[name] += count
                if count:
                    first_level.setdefault(name, depth)

        try:
            while True:
                new = sum(r["new"] for r in reports)
                counters["distinct"] = sum(r["stored"] for r in reports)
                counters["bytes"] = sum(r["bytes"] for r in reports)
                if new:
                    counters["depth"] = level
                for r in reports:
                    tally(r["violating"], level)
                # an invariant's violation ends the search; one found at quiescence
                # does not, as in the local search
                stopped = not keep_going and any(p.name in first_level for p in invariants)
                finished = not new or stopped
                if (checkpoint is not None and restored is None
                        and (checkpoint.due() or finished)):
                    with budget.deferred():     # a signal waits until it is written
                        checkpoint.save(_shard_arrays(ray, workers), {
                            "level": level, "shards": shards, "counters": counters,
                            "violating": violating, "first_level": first_level})
                restored = None
                if stopped:
                    stop_reason = "violation found"
                    break
                if not new:
                    break
                budget.check()
                if (budget.max_states is not None
                        and counters["distinct"] >= budget.max_states):
                    raise Stopped(f"state budget of {budget.max_states:,} states reached")
                budget.check_depth(level)
                level += 1
                reports = _next_level(ray, workers, counters, tally, level, bool(cycles))
                now = _now()
                if progress is not None and now - last_report >= progress_interval:
                    last_report = now
                    progress({"generated": counters["transitions"],
                              "distinct": sum(r["stored"] for r in reports),
                              "queue": sum(r["new"] for r in reports), "depth": level,
                              "rate": counters["distinct"] / max(now - started, 1e-9),
                              "elapsed": now - started})
        except Stopped as stop:
            stop_reason = stop.reason
        if cycles:
            cycle = _cycle_phase(ray, workers, budget)
    except ray.exceptions.RayTaskError as error:      # the model's own errors, as raised
        cause = getattr(error, "cause", None)
        raise (cause if isinstance(cause, Exception) else error) from None
    finally:
        if started_here:
            ray.shutdown()
    stats = Statistics(distinct_states=counters["distinct"],
                       transitions=counters["transitions"], max_depth=counters["depth"],
                       wall_seconds=_now() - started,
                       complete=not stop_reason, stop_reason=stop_reason, workers=shards,
                       reduced_states=counters["reduced"],
                       chained_steps=counters["chained"],
                       bytes_per_state=counters["bytes"] / max(counters["distinct"], 1))
    if cycles:
        stats.protocol_edges, stats.bytes_per_edge = counters["edges"], 12.0
    results = []
    for prop in properties:
        if prop.kind == TERMINATES:
            results.append(_cycle_result(prop, cycle, stats, trace_search))
        elif prop.name in first_level:
            found = (trace_search(prop, first_level[prop.name]) if trace_search is not None
                     else None)
            results.append(PropertyResult(
                prop.name, prop.description, prop.kind, Verdict.VIOLATED,
                violating_states=violating[prop.name],
                trace=found.trace if found else None,
                explanation=found.explanation if found else "",
                notes=list(found.notes) if found else []))
        else:
            verdict = Verdict.HOLDS if stats.complete else Verdict.INCOMPLETE
            results.append(PropertyResult(prop.name, prop.description, prop.kind, verdict))
    return CheckResult(results, stats, symmetry=symmetry, reduction=mode != FULL,
                       mode="untimed")


def _next_level(ray, workers, counters: dict, tally, level: int, edges: bool) -> list:
    """Every shard expands its frontier, and every owner inserts what it was sent: the
    shards' reports on the new level. With `edges`, each shard then records its protocol
    edges of the level, now that their targets have ids."""
    shards = len(workers)
    expanded = [w.expand.options(num_returns=shards + 2).remote() for w in workers]
    for counts in ray.get([e[0] for e in expanded]):
        counters["transitions"] += counts["transitions"]
        counters["reduced"] += counts["reduced"]
        counters["chained"] += counts["chained"]
    for found in ray.get([e[1] for e in expanded]):
        tally(found, level - 1)           # quiescent states of the level before
    inserted = [w.insert.options(num_returns=shards + 1).remote(
        *(e[2 + q] for e in expanded)) for q, w in enumerate(workers)]
    reports = ray.get([i[0] for i in inserted])
    if edges:
        counters["edges"] = sum(ray.get([w.record_edges.remote(*(i[1 + p] for i in inserted))
                                         for p, w in enumerate(workers)]))
    return reports


def _cycle_phase(ray, workers, budget: Budget) -> tuple[int | None, str]:
    """The cycle search over the shards' edges, under the budget: the deepest level of a
    cycle (None: no cycle), or why it was cut short."""
    try:
        with budget.phase("cycle search for L0"):
            budget.check()
            return deepest_cycle_level(ray, workers, budget.check), ""
    except Stopped as stop:
        return None, stop.reason


def _cycle_result(prop, cycle, stats: Statistics, trace_search) -> PropertyResult:
    """A `terminates` property's result from the cycle search: a cycle among the edges
    recorded is real even if the search was cut short, so only HOLDS needs a complete
    one; the lasso is the local search's, bounded at the cycle's depth."""
    depth, stopped = cycle
    if stopped:
        stats.cut(stopped)
        return cut_short(prop, stopped, "the cycle search")
    if depth is None:
        verdict = Verdict.HOLDS if stats.complete else Verdict.INCOMPLETE
        return PropertyResult(prop.name, prop.description, prop.kind, verdict)
    found = trace_search(prop, depth) if trace_search is not None else None
    if found is not None and found.verdict is Verdict.VIOLATED:
        return found
    return PropertyResult(prop.name, prop.description, prop.kind, Verdict.VIOLATED,
                          explanation=f"a cycle of protocol steps within {depth} steps of "
                                      "the start (its lasso was not rebuilt)")
