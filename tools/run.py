"""One check, end to end: spec -> model -> explorer -> CheckResult (+ trace files).

A run goes through phases: start-up (building and compiling the model), the state
search (every property, reduced or not: the untimed model's reduced graph keeps L0's
cycles and L1's quiescent states, docs/reduction.md), the search for each shortest
counterexample (when the reduction was used), the timestamps of each timed
counterexample, and writing the trace files. One `Budget` (`checker.stopping`) decides
for all of them whether the run must end early (a signal, the time limit, the state
budget, memory); whichever phase it ends in, `check` returns a `Run` with what was
found: each undecided property INCOMPLETE with the reason, every counterexample already
found kept, and its trace file written.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass
from typing import NamedTuple

from hacheck.checker import CheckResult, PropertyResult, Verdict
from hacheck.checker.properties import ALWAYS, AT_QUIESCENCE, FAIRNESS, TERMINATES
from hacheck.checker.stopping import Budget, Stopped
from hacheck.checker.verdict import Statistics
from hacheck.model.assumptions import assumptions
from hacheck.model.spec import Spec
from hacheck.tools.itf import trace_to_itf, write_itf
from hacheck.tools.notes import NOT_CHECKED

DEFAULT_CAPACITY = 12    # model.state.DEFAULT_CAPACITY, without loading the compiler


@dataclass
class Run:
    spec: Spec
    cfg: object
    model: object | None          # None if the run stopped before the model was built
    result: CheckResult
    trace_files: dict[str, str]
    trace_errors: dict[str, str]


@dataclass
class Search:
    result: CheckResult
    model: object
    compile_seconds: float   # compiling (or loading) the model's code before the search


class Room(NamedTuple):
    """How much the rows of a model hold: messages per queue and (timed) clocks per
    state. Bounds of the encoding, not of the model: more room, the same states."""
    capacity: int = DEFAULT_CAPACITY
    clocks: int | None = None       # to begin with (it grows); None: the model's default


def with_room(attempt, notice, room: Room = Room()):
    """attempt(room), run again with twice the room for messages while the queues
    overflow (`notice` is told): the encoding, not the model, ran out of room. (A timed
    model gives its rows room for more clocks itself, and goes on.)"""
    from hacheck.model.heartbeat import QueueCapacityExceeded
    from hacheck.model.state import MAX_CAPACITY
    while True:
        try:
            return attempt(room)
        except QueueCapacityExceeded:
            if room.capacity * 2 > MAX_CAPACITY:
                raise
            room = room._replace(capacity=room.capacity * 2)
            if notice is not None:
                notice(f"queues need more than {room.capacity // 2} messages; "
                       f"running again with room for {room.capacity}")


def search(cfg, properties, *, symmetry=True, notice=None, room: Room = Room(),
           budget: Budget | None = None, max_states=None, time_limit=None,
           phase="state search", checkpoints=None, **options) -> Search:
    """Compile the model, then explore it (`checker.explore` with `options`), with room
    enough in the rows (`with_room`). `Stopped` escapes only from start-up. With
    `checkpoints` (`checker.checkpoint.Checkpoints`), the search saves itself there, in
    the place named by what it explores, and resumes from it if asked to."""
    from hacheck.checker import explore
    from hacheck.checker.explorer import budget_of
    budget = budget_of(budget, max_states, time_limit)

    def attempt(room):
        model, compiled = compiled_model(cfg, room, symmetry, notice, budget)
        checkpoint = None
        if checkpoints is not None:
            checkpoint = checkpoints.search({
                "phase": phase, "properties": [p.name for p in properties],
                "width": model.width, "symmetry": symmetry,
                **{k: options.get(k) for k in ("reduce", "keep_going", "fingerprint")}})
        return Search(explore(model, properties, symmetry=symmetry, budget=budget,
                              max_states=max_states, phase=phase, checkpoint=checkpoint,
                              **options),
                      model, compiled)
    return with_room(attempt, notice, room)


def compiled_model(cfg, room: Room, symmetry: bool, notice, budget):
    """The configuration's model with this room in its rows, compiled (its warm-up may
    overflow the room too), and the seconds that took."""
    from hacheck.model import HeartbeatModel
    model = HeartbeatModel(cfg, capacity=room.capacity)
    started = time.perf_counter()
    compile_model(model, symmetry, notice, budget)
    return model, time.perf_counter() - started


def heartbeat_parts(cfg, capacity: int):
    """(the model, its properties): what each shard of the Ray search builds for itself
    (it checks those the search names)."""
    from hacheck.model import HeartbeatModel
    from hacheck.properties import all_properties
    return HeartbeatModel(cfg, capacity=capacity), all_properties(cfg)


def search_on_ray(cfg, properties, *, symmetry=True, reduce=True, keep_going=False,
                  workers=2, address=None, budget: Budget | None = None, progress=None,
                  notice=None, checkpoints=None, phase="state search") -> Search:
    """The untimed search on Ray (`checker.distributed`) over `workers` shards, with
    room enough in the rows; each violated invariant's trace from a single-process
    search, as `search` finds it. With `checkpoints`, the search saves itself there and
    resumes from it, as `search`; `phase` names it, as `search`'s does."""
    from hacheck.checker.distributed import explore_on_ray
    from hacheck.checker.stopping import MAX_STATES
    budget = budget if budget is not None else Budget()

    def attempt(room):
        model, compiled = compiled_model(cfg, room, symmetry, notice, budget)  # shards load it

        def trace_search(prop, depth):
            """The local search's result for `prop`, violated `depth` steps in: an
            invariant's search stops at its first violation, and so does L1's (its first
            bad quiescent state); L0's is searched no deeper than the Ray search found
            it (every state of its cycle, and their edges), and only that bounds it (the
            Ray search checks the state budget at level ends, so it may store more)."""
            if prop.kind == TERMINATES:
                bound, states = depth + 1, MAX_STATES
            else:
                bound, states = None, None
            with budget.depth_bound(bound):
                return search(cfg, [prop], symmetry=symmetry, reduce=reduce, room=room,
                              budget=budget, max_states=states,
                              stop_at_settled=prop.kind == AT_QUIESCENCE,
                              phase="search for a counterexample").result.properties[0]
        checkpoint = None
        if checkpoints is not None:
            checkpoint = checkpoints.search({
                "backend": "ray", "shards": workers, "properties": [p.name for p in properties],
                "width": model.width, "symmetry": symmetry, "reduce": reduce,
                "keep_going": keep_going})
        with budget.phase(phase):
            result = explore_on_ray(
                functools.partial(heartbeat_parts, cfg, room.capacity), properties,
                symmetry=symmetry, reduce=reduce, keep_going=keep_going, shards=workers,
                address=address, budget=budget, progress=progress,
                trace_search=trace_search, checkpoint=checkpoint)
        return Search(result, model, compiled)
    return with_room(attempt, notice)


def check(spec: Spec, *, nodes=None, symmetry=True, reduce=None, keep_going=False,
          max_states=None, time_limit=None, progress=None, trace_out=None, fingerprint=False,
          workers=1, notice=None, timed=False, explain=False,
          budget: Budget | None = None, checkpoints=None, backend: str = "local",
          ray_address: str | None = None, random_runs: int | None = None,
          seed: int = 0) -> Run:
    """Check the spec's configuration for S1, L0 and L1, and write the trace files.
    `timed` checks layer T (the command's default, `hacheck` passes it); otherwise layer
    D. `budget` (else one of `max_states` and `time_limit`) is what may end it early.
    `reduce` (partial-order reduction) defaults to on untimed and off timed: under time
    it leaves states out of the figure of discrete states real runs reach. `checkpoints`
    (untimed only): where the searches save themselves, and resume from. `backend` "ray"
    (untimed only): the search on Ray, `workers` shards, with checkpoints too.
    `random_runs`: instead of a search, that many random runs from `seed`
    (`checker.simulation`), for counterexamples deeper than a search can go; timed, they
    walk the zone graph and their counterexamples get timestamps."""
    from hacheck.properties import all_properties
    cfg = spec.config(nodes)
    if budget is None:
        budget = Budget(time_limit=time_limit, max_states=max_states)
    model = None
    if reduce is None:
        reduce = not timed
    try:
        if random_runs:
            result, model = random_search(cfg, spec.timing, timed, random_runs, seed, budget,
                                          progress, notice, explain)
        elif timed:
            result, model = timed_search(cfg, spec.timing, symmetry=symmetry, reduce=reduce,
                                         keep_going=keep_going, progress=progress,
                                         notice=notice, explain=explain, budget=budget,
                                         workers=workers)
        else:
            options = dict(symmetry=symmetry, notice=notice, progress=progress,
                           workers=workers, budget=budget, checkpoints=checkpoints)
            if backend == "ray":
                untimed = functools.partial(search_on_ray, cfg, address=ray_address, **options)
            else:
                untimed = functools.partial(search, cfg, fingerprint=fingerprint, **options)
            done = untimed(all_properties(cfg), reduce=reduce, keep_going=keep_going)
            result, model = done.result, done.model
            explain_unchecked(result)
            result.mode = "untimed"
    except Stopped as stop:          # start-up was cut short: nothing was searched
        result = undecided(all_properties(cfg), stop.reason, timed)
    except MemoryError as error:
        result = undecided(all_properties(cfg), budget.out_of_memory(error), timed)
    result.meta = run_meta(spec, cfg, model, symmetry, timed)
    files, errors = write_traces(spec, cfg, result, trace_out, budget)
    return Run(spec, cfg, model, result, files, errors)


def undecided(properties, reason: str, timed: bool) -> CheckResult:
    """The result of a run that stopped before its search began."""
    stats = Statistics(stop_reason=reason)
    return CheckResult([PropertyResult(p.name, p.description, p.kind, Verdict.INCOMPLETE)
                        for p in properties], stats, mode="timed" if timed else "untimed")


def run_meta(spec, cfg, model, symmetry: bool, timed: bool) -> dict:
    """What the reports say about the configuration checked."""
    return {"spec": spec.path, "name": spec.name, **cfg.described(),
            "symmetry_group_size": (model.symmetry_group_size
                                    if symmetry and model is not None else None
                                    if symmetry else 1),
            "queue_capacity": model.capacity if model is not None else DEFAULT_CAPACITY,
            "assumptions": [a._asdict() for a in assumptions(cfg, spec.timing)],
            **({"timing": spec.timing.with_environment(cfg).as_dict()} if timed else {})}


def write_traces(spec, cfg, result, trace_out, budget) -> tuple[dict, dict]:
    """Write every counterexample's ITF file (not cut short by a stop: the files are what
    a stopped run leaves); (files written, errors by property)."""
    files, errors = {}, {}
    traced = [p for p in result.properties if p.trace is not None]
    with budget.phase("writing the trace files"):
        for prop in traced:
            if trace_out is False:
                break
            path = default_trace_path(spec, cfg, prop.name)
            if trace_out:      # the first trace there, the others beside it, named by property
                path = trace_out if prop is traced[0] else _beside(trace_out, prop.name)
            try:
                write_itf(path, itf_document(cfg, prop, result))
                files[prop.name] = str(path)
            except (OSError, MemoryError) as e:   # keep the verdict; say what was not written
                errors[prop.name] = str(e) or type(e).__name__
    return files, errors


COMPILE_NOTICE_AFTER = 2.0   # seconds
WARM_UP_STATES = 2000


def compile_model(model, symmetry: bool, notice, budget: Budget | None = None) -> None:
    """Run a tiny search, so that numba compiles the code now (once per installation;
    later runs load it from the cache, which takes a moment too). If that takes a while,
    say why. A stop requested meanwhile ends start-up (`Stopped`): while the kernels
    compile, at once."""
    import numpy as np
    from hacheck.checker import explore
    from hacheck.model.heartbeat import SERIAL_BELOW
    from hacheck.properties import safety_properties
    budget = budget if budget is not None else Budget()
    timer = None
    if notice is not None:
        timer = threading.Timer(COMPILE_NOTICE_AFTER, notice,
                                ("compiling the model (first run after installing; about "
                                 "half a minute, then cached)",))
        timer.daemon = True
        timer.start()
    try:
        with budget.phase("start-up", interruptible=True):
            for batch in (1, SERIAL_BELOW):   # the serial and the parallel kernels
                rows = np.repeat(model.initial_rows(), batch, axis=0)
                model.successors(model.canonical(rows) if symmetry else rows, symmetry, True)
        with budget.phase("start-up"):
            # big enough to grow the hash tables once; its own budget, so that the run's
            # clock and state budget are the search's
            explore(model, safety_properties(model.cfg), symmetry=symmetry, reduce=True,
                    keep_going=True, max_states=WARM_UP_STATES)
            budget.raise_if_requested()
            if model.zone_layout is None:      # a timed model has no fingerprint mode
                explore(model, [], symmetry=symmetry, max_states=WARM_UP_STATES,
                        fingerprint=True)
                budget.raise_if_requested()
    finally:
        if timer is not None:
            timer.cancel()


def _beside(path: str, prop_name: str) -> str:
    base = str(path)
    for suffix in (".itf.json", ".json"):
        if base.endswith(suffix):
            return f"{base[:-len(suffix)]}-{prop_name}{suffix}"
    return f"{base}-{prop_name}"


def default_trace_path(spec: Spec, cfg, prop_name: str) -> str:
    stem = spec.path.rsplit("/", 1)[-1].removesuffix(".toml")
    return f"{stem}-n{cfg.N}-{prop_name}.itf.json"


def itf_document(cfg, prop, result) -> dict:
    from hacheck.model.render import describe_action, variables
    meta = {"source": result.meta.get("spec", ""), "property": prop.name,
            "description": f"hacheck counterexample to {prop.name}: {prop.description}",
            "verdict": prop.verdict.value, "mode": result.mode, "explanation": prop.explanation,
            "config": cfg.described()}
    if prop.times is not None:
        meta["timing"] = result.meta.get("timing")
        meta["condition"] = prop.condition
    if prop.notes:
        meta["notes"] = list(prop.notes)
    if prop.kind != ALWAYS:
        meta["assumption"] = FAIRNESS
    document = trace_to_itf(prop.trace, lambda s: variables(cfg, s),
                            lambda before, a: describe_action(cfg, before, a), meta, prop.times)
    if prop.loop is not None:
        document["loop"] = prop.loop    # ITF: the index of the state the last one returns to
    return document


def random_search(cfg, params, timed: bool, runs: int, seed: int, budget: Budget, progress,
                  notice, explain: bool = False):
    """S1, L0 and L1 on `runs` random runs (`checker.simulation`) of layer T (`timed`:
    walks of the zone graph, each counterexample timed by Z3 and checked by the
    independent replay, as the timed search's are) or of layer D."""
    from hacheck.checker.simulation import MAX_STEPS, simulate
    from hacheck.model import HeartbeatModel
    from hacheck.model.timed_model import TimedHeartbeatModel
    from hacheck.properties import all_properties
    from hacheck.witness import timestamps

    def attempt(room):
        if timed:
            model = TimedHeartbeatModel(cfg, params, capacity=room.capacity, notice=notice)
        else:
            model = HeartbeatModel(cfg, capacity=room.capacity)
        return simulate(model, all_properties(cfg), runs=runs, seed=seed, budget=budget,
                        progress=progress, max_steps=budget.max_depth
                        if budget.max_depth is not None else MAX_STEPS,
                        witness=timestamps.witness(cfg, params, explain) if timed else None
                        ), model
    return with_room(attempt, notice)


def explain_unchecked(result) -> None:
    """Say why L0 and L1 are undecided when the search stopped at S1's first violation."""
    from hacheck.checker.explorer import VIOLATION_FOUND
    if result.statistics.stop_reason == VIOLATION_FOUND:
        for prop in result.properties:
            if prop.kind != ALWAYS and prop.verdict is Verdict.INCOMPLETE and not prop.explanation:
                prop.explanation = NOT_CHECKED


def timed_search(cfg, params, *, symmetry=True, reduce=False, keep_going=False,
                 max_states=None, time_limit=None, progress=None, notice=None, explain=False,
                 room: Room = Room(), budget: Budget | None = None, workers=1):
    """The timed search (layer T) by the engine, over the compiled symbolic model
    (`model.timed_model`). Each counterexample is timed by Z3 and checked by the
    independent replay within the search (`witness.timestamps.witness`), so the verdicts
    are final when it returns."""
    from hacheck.checker import explore
    from hacheck.checker.explorer import budget_of
    from hacheck.model.timed_model import TimedHeartbeatModel
    from hacheck.properties import all_properties
    from hacheck.witness import timestamps
    budget = budget_of(budget, max_states, time_limit)

    def attempt(room):
        model = TimedHeartbeatModel(cfg, params, capacity=room.capacity, kmax=room.clocks,
                                    notice=notice)
        compile_model(model, symmetry, notice, budget)
        return model, explore(model, all_properties(cfg), symmetry=symmetry, reduce=reduce,
                              keep_going=keep_going, max_states=max_states,
                              progress=progress, budget=budget, workers=workers,
                              witness=timestamps.witness(cfg, params, explain))
    model, result = with_room(attempt, notice, room)
    explain_unchecked(result)
    return result, model
