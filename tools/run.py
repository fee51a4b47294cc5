"""One check, end to end: spec -> model -> explorer -> CheckResult (+ trace files)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from hacheck.checker import CheckResult, PropertyResult, Verdict, explore
from hacheck.checker.properties import ALWAYS, FAIRNESS
from hacheck.checker.trace import Step, Trace
from hacheck.model import HeartbeatModel
from hacheck.model.heartbeat import SERIAL_BELOW, QueueCapacityExceeded
from hacheck.model.render import describe_action, variables
from hacheck.model.state import DEFAULT_CAPACITY, MAX_CAPACITY
from hacheck.model.spec import Spec
from hacheck.properties import all_properties, liveness_properties, safety_properties
from hacheck.tools.itf import trace_to_itf, write_itf

UNTIMED_CAVEAT = (
    "This counterexample is possible in the discrete model (layer D of model.md), where every "
    "timer may fire at any moment; it is not yet shown to be possible with real timers "
    "(keepalive, deadtime, RQSTDELAY, message delays)."
)


@dataclass
class Run:
    spec: Spec
    cfg: object
    model: HeartbeatModel
    result: CheckResult
    trace_files: dict[str, str]
    trace_errors: dict[str, str]


@dataclass
class Search:
    result: CheckResult
    model: HeartbeatModel
    compile_seconds: float   # compiling (or loading) the model's code before the search


def with_room(attempt, notice, capacity=DEFAULT_CAPACITY):
    """attempt(capacity), run again with twice the room while its queues overflow the rows
    (`capacity` messages each; `notice` is told): the encoding, not the model, ran out of
    room."""
    while True:
        try:
            return attempt(capacity)
        except QueueCapacityExceeded:
            if capacity * 2 > MAX_CAPACITY:
                raise
            capacity *= 2
            if notice is not None:
                notice(f"queues need more than {capacity // 2} messages; "
                       f"running again with room for {capacity}")


def search(cfg, properties, *, symmetry=True, notice=None, capacity=DEFAULT_CAPACITY,
           **options) -> Search:
    """Compile the model, then explore it (`checker.explore` with `options`), with room
    enough in the rows (`with_room`)."""
    def attempt(room):
        model = HeartbeatModel(cfg, capacity=room)
        started = time.perf_counter()
        compile_model(model, symmetry, notice)   # its warm-up search may overflow too
        compiled = time.perf_counter() - started
        return Search(explore(model, properties, symmetry=symmetry, **options), model,
                      compiled)
    return with_room(attempt, notice, capacity)


TIMED_NOTE = (
    "This run is real: its timestamps satisfy every timing rule of model.md section 7 "
    "(keepalive, deadtime, RQSTDELAY, req_resource's timeout, message delays, script run "
    "times); Z3 chose them, and an independent replay of the rules checked them."
)


def check(spec: Spec, *, nodes=None, symmetry=True, reduce=True, keep_going=False,
          max_states=None, time_limit=None, progress=None, trace_out=None, fingerprint=False,
          workers=1, notice=None, timed=False, explain=False) -> Run:
    """Check the spec's configuration for S1, and write the trace files. `timed` checks
    layer T (the command's default, `hacheck` passes it); otherwise layer D."""
    cfg = spec.config(nodes)
    if timed:
        result, model = timed_search(cfg, spec.timing, symmetry=symmetry, keep_going=keep_going,
                                     max_states=max_states, time_limit=time_limit,
                                     progress=progress, notice=notice, explain=explain)
    else:
        options = dict(symmetry=symmetry, notice=notice, max_states=max_states,
                       time_limit=time_limit, progress=progress, fingerprint=fingerprint,
                       workers=workers)
        first = safety_properties(cfg) if reduce else all_properties(cfg)
        done = search(cfg, first, reduce=reduce, keep_going=keep_going, **options)
        result, model = done.result, done.model
        if reduce:
            _add_liveness(cfg, result, keep_going, options)
        result.mode = "untimed"
    result.meta = {"spec": spec.path, "name": spec.name, "nodes": cfg.N, "home": list(cfg.home),
                   "nice_failback": cfg.nice_failback, "version": cfg.version,
                   "transport": cfg.transport, "losses": cfg.losses,
                   "email_timer": cfg.email_timer, "starting_repeats": cfg.starting_repeats,
                   "stonith": cfg.stonith, "heal": cfg.heal, "broken": cfg.broken,
                   "crashes": cfg.crashes,
                   "restarts": cfg.restarts, "link_toggles": cfg.link_toggles,
                   "symmetry_group_size": model.symmetry_group_size if symmetry else 1,
                   "queue_capacity": model.capacity,
                   **({"timing": spec.timing.as_dict()} if timed else {})}
    files, errors = {}, {}
    traced = [p for p in result.properties if p.trace is not None]
    for prop in traced:
        if trace_out is not False:
            path = default_trace_path(spec, cfg, prop.name)
            if trace_out:      # the first trace there, the others beside it, named by property
                path = trace_out if prop is traced[0] else _beside(trace_out, prop.name)
            try:
                write_itf(path, itf_document(cfg, prop, result))
                files[prop.name] = str(path)
            except OSError as e:   # keep the verdict; say what could not be written
                errors[prop.name] = str(e)
    return Run(spec, cfg, model, result, files, errors)


COMPILE_NOTICE_AFTER = 2.0   # seconds
WARM_UP_STATES = 2000


def compile_model(model, symmetry: bool, notice) -> None:
    """Run a tiny search, so that numba compiles the code now (once per installation;
    later runs load it from the cache, which takes a moment too). If that takes a while,
    say why."""
    timer = None
    if notice is not None:
        timer = threading.Timer(COMPILE_NOTICE_AFTER, notice,
                                ("compiling the model (first run after installing; about "
                                 "half a minute, then cached)",))
        timer.daemon = True
        timer.start()
    try:
        for batch in (1, SERIAL_BELOW):   # the serial and the parallel kernels
            rows = np.repeat(model.initial_rows(), batch, axis=0)
            model.successors(model.canonical(rows) if symmetry else rows, symmetry, True)
        # big enough to grow the hash tables once
        explore(model, safety_properties(model.cfg), symmetry=symmetry, reduce=True,
                keep_going=True, max_states=WARM_UP_STATES)
        explore(model, [], symmetry=symmetry, max_states=WARM_UP_STATES, fingerprint=True)
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
    meta = {"source": result.meta.get("spec", ""), "property": prop.name,
            "description": f"hacheck counterexample to {prop.name}: {prop.description}",
            "verdict": prop.verdict.value, "mode": result.mode, "explanation": prop.explanation,
            "config": {k: result.meta[k] for k in ("nodes", "home", "nice_failback", "version",
                                                    "transport", "crashes", "restarts",
                                                    "link_toggles", "losses",
                                                    "email_timer", "starting_repeats",
                                                    "stonith", "heal")
                       if k in result.meta}}
    if prop.times is not None:
        meta["timing"] = result.meta.get("timing")
        meta["condition"] = prop.condition
    if prop.kind != ALWAYS:
        meta["assumption"] = FAIRNESS
    document = trace_to_itf(prop.trace, lambda s: variables(cfg, s),
                            lambda before, a: describe_action(cfg, before, a), meta, prop.times)
    if prop.loop is not None:
        document["loop"] = prop.loop    # ITF: the index of the state the last one returns to
    return document


NOT_CHECKED = ("not checked: the search stopped at the first violation of S1; "
               "--keep-going explores the whole space and checks it")


def _add_liveness(cfg, result, keep_going, options) -> None:
    """L0 and L1 need every interleaving, so partial-order reduction (which keeps S1's
    verdict only) does not apply: they get a search of their own, over the whole space,
    once S1's search has covered it too (or was asked to keep going)."""
    liveness = liveness_properties(cfg)
    if not (keep_going or result.statistics.complete):
        result.properties += [PropertyResult(p.name, p.description, p.kind, Verdict.INCOMPLETE,
                                             explanation=NOT_CHECKED) for p in liveness]
        return
    done = search(cfg, liveness, reduce=False, keep_going=True, **options)
    result.properties += done.result.properties
    result.statistics.liveness_states = done.result.statistics.distinct_states
    result.statistics.protocol_edges = done.result.statistics.protocol_edges
    result.statistics.bytes_per_edge = done.result.statistics.bytes_per_edge
    if not done.result.statistics.complete:
        result.statistics.stop_reason = result.statistics.stop_reason or (
            "liveness search: " + done.result.statistics.stop_reason)


def timed_search(cfg, params, *, symmetry=True, keep_going=False, max_states=None,
                 time_limit=None, progress=None, notice=None, explain=False,
                 capacity=DEFAULT_CAPACITY):
    """The timed search (layer T), then for each violation: timestamps from Z3, checked by
    the independent replay (a trace that fails it is an internal error, never shown), and
    with `explain` the condition on the parameters under which the run exists."""
    from hacheck.checker.timed import VIOLATION_FOUND, explore_timed
    from hacheck.model.timed_heartbeat import TimedHeartbeat
    from hacheck.properties import timing
    from hacheck.properties.timing_check import check_timed_run

    def confirm_cycle(trace, loop_index):
        steps = [(step.action, step.state) for step in trace.steps]
        return timing.periodic_times(cfg, trace.initial, steps, loop_index, params)

    def attempt(room):
        model = TimedHeartbeat(cfg, params, capacity=room)
        compile_model(model.untimed, symmetry, notice)
        return model, explore_timed(model, all_properties(cfg), symmetry=symmetry,
                                    keep_going=keep_going, max_states=max_states,
                                    time_limit=time_limit, progress=progress,
                                    confirm_cycle=confirm_cycle)
    model, result = with_room(attempt, notice, capacity)
    for prop in result.properties:
        if prop.trace is None:
            if (prop.kind != ALWAYS and prop.verdict is Verdict.INCOMPLETE
                    and not prop.explanation and result.statistics.stop_reason == VIOLATION_FOUND):
                prop.explanation = NOT_CHECKED
            continue
        steps = [(step.action, step.state) for step in prop.trace.steps]
        if prop.loop is not None:       # a lasso: its two turns were timed by periodic_times
            run = steps + steps[prop.loop:]
            times = prop.times
        else:
            run = steps
            constraints = timing.run_constraints(cfg, prop.trace.initial, steps)
            times = timing.timestamps(constraints, len(steps), params)
        states = [prop.trace.initial.state] + [ts.state for _, ts in run]
        problems = (["Z3 found no timestamps for a run the timed search reached"]
                    if times is None else
                    check_timed_run(cfg, params, states, [a for a, _ in run], times))
        if problems:
            prop.verdict = Verdict.ERROR
            prop.explanation = ("internal error: the counterexample failed the independent "
                                "timing check, so it is not shown: " + "; ".join(problems[:3]))
            prop.trace = None
            continue
        prop.trace = Trace(prop.trace.initial.state, tuple(Step(a, ts.state) for a, ts in steps))
        prop.times = times[:len(steps)]
        if explain and prop.loop is None:
            prop.condition = timing.condition_text(timing.condition(constraints, len(steps)))
    result.mode = "timed"
    return result, model
