"""The search on Ray (issue 20): a local Ray of two workers, the visited set partitioned
by hash over two actors, gives the single-process search's counts, verdict and trace."""

from __future__ import annotations

import functools
import json
import signal
from pathlib import Path

import pytest

from hacheck.checker import explore
from hacheck.checker.checkpoint import CheckpointError, Checkpoints
from hacheck.checker.distributed import explore_on_ray, owners
from hacheck.checker.stopping import Budget
from hacheck.model import Config, HeartbeatModel
from hacheck.properties import all_properties, safety_properties
from hacheck.tools.cli import main
from hacheck.tools.run import heartbeat_parts, search
from killed_runs import kill_once_saved


@pytest.fixture(scope="module")
def local_ray():
    import ray
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield
    ray.shutdown()


def on_ray(cfg, symmetry, reduce, keep_going, shards=2, budget=None, checkpoint=None,
           progress=None):
    """As the command runs it: S1 alone when reduced (L0 and L1 get their own search)."""
    def trace_search(prop, depth):
        return search(cfg, [prop], symmetry=symmetry, reduce=reduce).result.properties[0]
    properties = safety_properties(cfg) if reduce else all_properties(cfg)
    return explore_on_ray(functools.partial(heartbeat_parts, cfg, 12), properties,
                          symmetry=symmetry, reduce=reduce, keep_going=keep_going,
                          shards=shards, trace_search=trace_search, budget=budget,
                          checkpoint=checkpoint, progress=progress, progress_interval=0)


@pytest.mark.parametrize("cfg, symmetry, reduce", [
    (Config(N=2, home=(0, 1)), False, False),
    (Config(N=2, home=(0, 1), crashes=1, restarts=1), True, True),
], ids=["n2-plain", "n2-crash-restart-reduced"])
def test_the_whole_space_on_two_actors_is_the_single_process_one(cfg, symmetry, reduce,
                                                                 local_ray):
    one = explore(HeartbeatModel(cfg), safety_properties(cfg), symmetry=symmetry,
                  reduce=reduce, keep_going=True)
    two = on_ray(cfg, symmetry, reduce, keep_going=True)
    assert two.statistics.complete and one.statistics.complete
    assert (two.statistics.distinct_states, two.statistics.transitions,
            two.statistics.max_depth, two.statistics.reduced_states) == (
        one.statistics.distinct_states, one.statistics.transitions,
        one.statistics.max_depth, one.statistics.reduced_states)
    assert (two.statistics.reduced_states > 0) == reduce
    # the same packed rows and tables, split in two: about the local figure (its parent
    # links aside, 4 bytes a state)
    assert 0.8 < two.statistics.bytes_per_state / (one.statistics.bytes_per_state - 4) < 1.5
    s1 = two.properties[0]
    assert s1.name == "S1" and s1.verdict.name == one.properties[0].verdict.name
    assert s1.violating_states == one.properties[0].violating_states
    assert s1.trace == one.properties[0].trace


@pytest.mark.parametrize("cfg", [Config(N=2, home=(0, 1), crashes=1),
                                 Config(N=2, home=(0, 1))], ids=["n2-crash", "n2-plain"])
def test_liveness_on_two_actors_is_the_single_process_verdict(cfg, local_ray):
    one = explore(HeartbeatModel(cfg), all_properties(cfg), symmetry=True, keep_going=True)
    two = on_ray(cfg, True, False, keep_going=True)
    local = {p.name: p for p in one.properties}
    ray = {p.name: p for p in two.properties}
    assert (ray["L1"].verdict, ray["L1"].violating_states, ray["L1"].trace) == (
        local["L1"].verdict, local["L1"].violating_states, local["L1"].trace)
    assert ray["L0"].verdict.name == local["L0"].verdict.name == "HOLDS"
    assert two.statistics.distinct_states == one.statistics.distinct_states
    # every protocol edge of the graph, held where its source was expanded
    assert two.statistics.protocol_edges == one.statistics.protocol_edges > 0


def test_an_l0_cycle_on_two_actors_has_the_single_process_lasso(local_ray):
    # two groupless nodes announce to each other for ever (heartbeat-2000.md P5); layer
    # D is infinite there, so both searches are bounded
    cfg = Config(N=2, home=())
    one = explore(HeartbeatModel(cfg), all_properties(cfg), symmetry=True, keep_going=True,
                  budget=Budget(max_depth=30))
    budget = Budget(max_depth=30)

    def trace_search(prop, depth):
        with budget.depth_bound(depth + 1):
            return search(cfg, [prop], budget=budget).result.properties[0]
    two = explore_on_ray(functools.partial(heartbeat_parts, cfg, 12), all_properties(cfg),
                         keep_going=True, trace_search=trace_search, budget=budget)
    local = next(p for p in one.properties if p.name == "L0")
    ray = next(p for p in two.properties if p.name == "L0")
    assert local.verdict.name == ray.verdict.name == "VIOLATED"
    assert (ray.trace, ray.loop) == (local.trace, local.loop)
    assert two.statistics.protocol_edges == one.statistics.protocol_edges


@pytest.mark.parametrize("cfg", [
    Config(N=2, home=(0, 1), crashes=1, restarts=1),
    Config(N=3, home=(0, 1, 2), crashes=1, link_toggles=1),
], ids=["n2-default", "n3-crash-link"])
def test_the_first_violation_on_ray_has_the_single_process_shortest_trace(cfg, local_ray):
    one = explore(HeartbeatModel(cfg), safety_properties(cfg), symmetry=True, reduce=True)
    two = on_ray(cfg, True, True, keep_going=False)
    assert two.properties[0].verdict.name == "VIOLATED"
    assert two.properties[0].trace == one.properties[0].trace
    assert two.statistics.stop_reason == "violation found"
    assert two.statistics.distinct_states >= one.statistics.distinct_states > 0


def test_a_depth_bound_on_ray_stores_the_single_process_states_within_it(local_ray):
    cfg = Config(N=3, home=(0, 1, 2))
    one = explore(HeartbeatModel(cfg), safety_properties(cfg), symmetry=True, reduce=True,
                  keep_going=True, budget=Budget(max_depth=7))
    two = on_ray(cfg, True, True, keep_going=True, budget=Budget(max_depth=7))
    for stats in (one.statistics, two.statistics):
        assert stats.stop_reason == "depth bound of 7 steps reached" and not stats.complete
    assert (two.statistics.distinct_states, two.statistics.transitions,
            two.statistics.max_depth) == (one.statistics.distinct_states,
                                          one.statistics.transitions, 7)
    assert two.properties[0].violating_states == one.properties[0].violating_states > 0


def test_every_state_has_one_owner_and_the_owners_share_the_states():
    import numpy as np
    hashes = np.random.default_rng(3).integers(0, 2**63, size=10_000).astype(np.uint64)
    for shards in (1, 2, 3, 8):
        owner = owners(hashes, shards)
        assert owner.min() >= 0 and owner.max() < shards
        assert np.bincount(owner, minlength=shards).min() > 10_000 / shards * 0.8


def test_the_command_on_ray_reports_the_local_counts(tmp_path, capsys, local_ray):
    spec = tmp_path / "crash.toml"
    spec.write_text("[cluster]\nnodes = 2\n[faults]\ncrashes = 1\n")
    reports = {}
    for backend in ("local", "ray"):
        code = main([str(spec), "--untimed", "--keep-going", "-q", "--json", "--workers", "2",
                     "--backend", backend, "--trace-out", str(tmp_path / f"{backend}.itf.json")])
        reports[backend] = (code, json.loads(capsys.readouterr().out))
    (local_code, local), (ray_code, ray_report) = reports["local"], reports["ray"]
    assert local_code == ray_code == 12
    for key in ("distinct_states", "transitions", "max_depth"):
        assert ray_report["statistics"][key] == local["statistics"][key]
    for name in ("", "-L1"):          # S1's trace and L1's, as the local search gives them
        assert ((tmp_path / f"ray{name}.itf.json").read_text()
                == (tmp_path / f"local{name}.itf.json").read_text())
    verdicts = {p["name"]: (p["verdict"], p.get("violating_states"))
                for p in ray_report["properties"]}
    assert verdicts == {"S1": ("VIOLATED", 9240), "L0": ("HOLDS", 0), "L1": ("VIOLATED", 3)}
    assert {p["name"]: p["verdict"] for p in local["properties"]}["L0"] == "HOLDS"


@pytest.mark.parametrize("argv, needles", [
    (["--backend", "ray"], ["--backend", "--untimed as well"]),
    (["--untimed", "--backend", "ray", "--fingerprint"], ["--fingerprint", "local backend"]),
    (["--untimed", "--ray-address", "h:6379"], ["--ray-address", "--backend ray"]),
])
def test_what_the_ray_backend_cannot_do_is_a_one_line_error(argv, needles, capsys):
    code = main(["-q", *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    for needle in needles:
        assert needle in err, err


def figures(result) -> tuple:
    stats = result.statistics
    return (stats.distinct_states, stats.transitions, stats.max_depth, stats.complete,
            [(p.name, p.verdict.name, p.violating_states, p.trace) for p in result.properties])


@pytest.mark.parametrize("keep_going", [True, False], ids=["whole-space", "first-violation"])
def test_a_ray_search_stopped_part_way_resumes_to_the_uninterrupted_result(keep_going,
                                                                          tmp_path, local_ray):
    cfg = Config(N=2, home=(0, 1), crashes=1, restarts=1)
    expected = figures(on_ray(cfg, True, True, keep_going=keep_going))
    saving = Checkpoints(tmp_path / "ck", {"test": 1}, every=0)
    stopped = on_ray(cfg, True, True, keep_going=keep_going, budget=Budget(max_states=900),
                     checkpoint=saving.search({"search": 1}))
    assert not stopped.statistics.complete and "state budget" in stopped.statistics.stop_reason
    meta = json.loads(next((tmp_path / "ck").glob("*/meta.json")).read_text())
    assert meta["shards"] == 2 and 0 < meta["level"] < expected[2]
    assert any(name.startswith("shard1_") for name in meta["arrays"])
    resuming = Checkpoints(tmp_path / "ck", {"test": 1}, resume=True)
    levels = []
    resumed = on_ray(cfg, True, True, keep_going=keep_going,
                     checkpoint=resuming.search({"search": 1}),
                     progress=lambda report: levels.append(report["depth"]))
    assert figures(resumed) == expected
    assert levels[0] == meta["level"] + 1       # it went on from there, not from the start
    # and the finished search, resumed, is finished at once with the same figures
    again = on_ray(cfg, True, True, keep_going=keep_going,
                   checkpoint=Checkpoints(tmp_path / "ck", {"test": 1}, resume=True).search(
                       {"search": 1}))
    assert figures(again) == expected


def test_a_ray_checkpoint_is_refused_by_another_number_of_shards(tmp_path, local_ray):
    cfg = Config(N=2, home=(0, 1))
    on_ray(cfg, True, True, keep_going=True,
           checkpoint=Checkpoints(tmp_path / "ck", {}, every=0).search({}))
    with pytest.raises(CheckpointError, match="on 2 shards, this one has 1"):
        on_ray(cfg, True, True, keep_going=True, shards=1,
               checkpoint=Checkpoints(tmp_path / "ck", {}, resume=True).search({}))


def test_the_command_on_ray_resumes_its_checkpoint(tmp_path, capsys, local_ray):
    spec = tmp_path / "crash.toml"
    spec.write_text("[cluster]\nnodes = 2\n[faults]\ncrashes = 1\nrestarts = 1\n")
    ray_args = ["--untimed", "--keep-going", "-q", "--json", "--backend", "ray",
                "--workers", "2"]

    def run(*argv):
        code = main([str(spec), *ray_args, *argv])
        return code, json.loads(capsys.readouterr().out)
    code, whole = run("--trace-out", str(tmp_path / "whole.itf.json"))
    ck = tmp_path / "ck"
    code_cut, cut = run("--checkpoint", str(ck), "--checkpoint-every", "0", "--max-depth", "4",
                        "--trace-out", str(tmp_path / "cut.itf.json"))
    assert code_cut == 3 and not cut["statistics"]["complete"]
    code_on, resumed = run("--resume", str(ck), "--trace-out", str(tmp_path / "on.itf.json"))
    assert code_on == code == 12
    for key in ("distinct_states", "transitions", "max_depth", "complete"):
        assert resumed["statistics"][key] == whole["statistics"][key], key
    assert ([(p["name"], p["verdict"], p.get("violating_states")) for p in resumed["properties"]]
            == [(p["name"], p["verdict"], p.get("violating_states")) for p in whole["properties"]])
    for name in ("", "-L1"):          # S1's trace and L1's (one search decides both)
        assert ((tmp_path / f"on{name}.itf.json").read_text()
                == (tmp_path / f"whole{name}.itf.json").read_text())
    assert len(list(ck.glob("*/meta.json"))) == 1      # one search, of S1, L0 and L1
    # a checkpoint of two shards, resumed with one, or by the local search: refused
    for argv in (["--workers", "1"], ["--backend", "local"]):
        code = main([str(spec), *ray_args, "--resume", str(ck), *argv])
        out, err = capsys.readouterr()
        assert code == 2 and out == "" and err.count("\n") == 1, err
        assert "another run" in err and "`ray_shards`" in err, err


def test_a_ray_search_resumed_keeps_the_edges_of_the_levels_before(tmp_path, local_ray):
    # the cycle of two groupless nodes needs edges from before and after the checkpoint
    cfg = Config(N=2, home=())

    def bounded(max_states=None, checkpoint=None):
        budget = Budget(max_depth=30, max_states=max_states)

        def trace_search(prop, depth):
            with budget.depth_bound(depth + 1):
                return search(cfg, [prop], budget=budget).result.properties[0]
        result = explore_on_ray(functools.partial(heartbeat_parts, cfg, 12),
                                all_properties(cfg), keep_going=True, budget=budget,
                                trace_search=trace_search, checkpoint=checkpoint)
        l0 = next(p for p in result.properties if p.name == "L0")
        return result.statistics.protocol_edges, l0.verdict.name, l0.trace, l0.loop
    expected = bounded()
    assert expected[1] == "VIOLATED"
    cut = bounded(max_states=2000,
                  checkpoint=Checkpoints(tmp_path / "ck", {}, every=0).search({}))
    assert cut[0] < expected[0]
    resumed = bounded(checkpoint=Checkpoints(tmp_path / "ck", {}, resume=True).search({}))
    assert resumed == expected


def test_a_killed_ray_run_resumes_to_the_uninterrupted_result(tmp_path, capsys, local_ray):
    spec = tmp_path / "crash.toml"
    spec.write_text("[cluster]\nnodes = 2\n[faults]\ncrashes = 1\n")
    argv = [str(spec), "--untimed", "--keep-going", "-q", "--backend", "ray", "--workers", "2"]

    def finished(*more) -> tuple:
        code = main([*argv, "--json", *more])
        report = json.loads(capsys.readouterr().out)
        traces = sorted(p.read_text() for p in Path(more[-1]).parent.glob("*.itf.json"))
        return (code, {k: report["statistics"][k] for k in
                       ("distinct_states", "transitions", "max_depth", "complete")},
                [(p["name"], p["verdict"], p.get("violating_states"))
                 for p in report["properties"]], traces)
    (tmp_path / "ref").mkdir()
    expected = finished("--trace-out", str(tmp_path / "ref" / "t.itf.json"))
    assert expected[0] == 12 and expected[1]["complete"] and len(expected[3]) == 2
    # the same run in a process of its own (its own local Ray), saving at every level's
    # end, killed once it has saved one
    ck = tmp_path / "ck"
    code = kill_once_saved([*argv, "--checkpoint", str(ck), "--checkpoint-every", "0"], ck)
    assert code == -signal.SIGKILL
    levels = [json.loads(p.read_text())["level"] for p in ck.glob("*/meta.json")]
    assert levels and min(levels) < expected[1]["max_depth"]       # killed before the end
    (tmp_path / "resumed").mkdir()
    assert finished("--resume", str(ck),
                    "--trace-out", str(tmp_path / "resumed" / "t.itf.json")) == expected


def test_a_stop_during_the_ray_search_names_the_phase_it_ended(local_ray, monkeypatch):
    from hacheck.tools.run import search_on_ray
    monkeypatch.setattr("hacheck.checker.distributed.PROGRESS_INTERVAL", 0)
    cfg = Config(N=2, home=(0, 1))
    budget = Budget()
    done = search_on_ray(cfg, safety_properties(cfg), budget=budget,
                         progress=lambda report: budget.request("interrupted (SIGINT)"))
    stats = done.result.statistics
    assert not stats.complete and stats.max_depth == 1
    assert stats.stop_reason == "interrupted (SIGINT) during the state search"


def test_the_ray_search_reports_progress_at_most_every_interval(local_ray, monkeypatch):
    cfg = Config(N=2, home=(0, 1))
    seen = []
    clock = iter(range(0, 10_000, 2))        # every level's end two seconds after the last
    monkeypatch.setattr("hacheck.checker.distributed._now", lambda: next(clock))
    explore_on_ray(functools.partial(heartbeat_parts, cfg, 12), safety_properties(cfg),
                   keep_going=True, progress=seen.append, progress_interval=5)
    depths = [report["depth"] for report in seen]
    assert depths and len(depths) < 20 and depths == sorted(depths)
    assert all(b - a == 3 for a, b in zip(depths, depths[1:]))    # every third level
