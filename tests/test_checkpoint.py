"""Checkpoints (issue 20): a run killed while it searches, resumed from its checkpoint
directory, ends with the counts, verdicts and traces of a run that was never stopped."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from hacheck.checker.checkpoint import FORMAT
from hacheck.tools.cli import main
from killed_runs import kill_once_saved

SPEC = "[cluster]\nnodes = 2\n[faults]\ncrashes = 1\n"
SAME = ("distinct_states", "transitions", "max_depth", "complete", "protocol_edges")


def run(capsys, *argv) -> tuple[int, dict]:
    code = main(["--untimed", "--keep-going", "-q", "--json", *map(str, argv)])
    out, _ = capsys.readouterr()
    return code, json.loads(out)


def outcome(report: dict, trace: Path) -> tuple:
    stats = {k: report["statistics"].get(k) for k in SAME}
    verdicts = [(p["name"], p["verdict"], p.get("violating_states")) for p in
                report["properties"]]
    stem = trace.name.split(".")[0]
    traces = {p.name: p.read_text() for p in sorted(trace.parent.glob(stem + "*.itf.json"))}
    return stats, verdicts, traces


@pytest.fixture
def spec(tmp_path) -> Path:
    path = tmp_path / "crash.toml"
    path.write_text(SPEC)
    return path


@pytest.mark.parametrize("mode", [[], ["--fingerprint"]], ids=["exact", "fingerprint"])
def test_a_killed_run_resumes_to_the_uninterrupted_result(mode, spec, tmp_path, capsys):
    (tmp_path / "ref").mkdir()
    code, report = run(capsys, spec, *mode, "--trace-out", tmp_path / "ref" / "t.itf.json")
    expected = outcome(report, tmp_path / "ref" / "t.itf.json")
    assert code == 12 and expected[0]["complete"] and len(expected[2]) == 2
    # the same run, saving at every level's end, killed once it has saved a level
    ck = tmp_path / "ck"
    code = kill_once_saved([str(spec), "--untimed", "--keep-going", "-q", *mode,
                            "--checkpoint", str(ck), "--checkpoint-every", "0",
                            "--trace-out", str(tmp_path / "killed.itf.json")], ck)
    assert code == -signal.SIGKILL
    saved = [json.loads(p.read_text()) for p in ck.glob("*/meta.json")]
    assert saved and all(m["hi"] > m["lo"] for m in saved)    # killed before the end
    (tmp_path / "resumed").mkdir()
    code, report = run(capsys, spec, *mode, "--resume", ck,
                       "--trace-out", tmp_path / "resumed" / "t.itf.json")
    assert code == 12
    assert outcome(report, tmp_path / "resumed" / "t.itf.json") == expected


def test_a_finished_run_resumes_at_once_to_the_same_result(spec, tmp_path, capsys):
    for name in ("first", "again"):
        (tmp_path / name).mkdir()
    code, report = run(capsys, spec, "--checkpoint", tmp_path / "ck",
                       "--trace-out", tmp_path / "first" / "t.itf.json")
    first = outcome(report, tmp_path / "first" / "t.itf.json")
    code, report = run(capsys, spec, "--resume", tmp_path / "ck",
                       "--trace-out", tmp_path / "again" / "t.itf.json")
    assert outcome(report, tmp_path / "again" / "t.itf.json") == first
    assert report["statistics"]["wall_seconds"] < 2


@pytest.mark.parametrize("argv, needles", [
    (["--resume", "{empty}"], ["no checkpoint to resume"]),
    (["--resume", "{other}"], ["another run", "`configuration`"]),
    (["--resume", "{older}"], ["not a checkpoint of this hacheck", f"format {FORMAT} expected"]),
    (["--checkpoint", "{ck}", "--resume", "{ck}"], ["--checkpoint", "no --resume"]),
    (["--checkpoint-every", "5"], ["--checkpoint-every", "--checkpoint DIR"]),
    (["--checkpoint", "{ck}", "--checkpoint-every", "-1"], ["--checkpoint-every", ">= 0"]),
    (["--checkpoint", "{notdir}"], ["cannot create it"]),
])
def test_checkpoint_options_that_cannot_work_are_one_line_errors(argv, needles, spec, tmp_path,
                                                                 capsys):
    other = tmp_path / "other"
    other.mkdir()
    (other / "run.json").write_text(json.dumps({"format": FORMAT, "run": {"configuration": {}}}))
    older = tmp_path / "older"       # written by a hacheck whose checkpoints differ
    older.mkdir()
    (older / "run.json").write_text(json.dumps({"format": FORMAT - 1, "run": {}}))
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("")
    places = {"empty": tmp_path / "empty", "other": other, "older": older, "ck": tmp_path / "ck",
              "notdir": tmp_path / "file" / "ck"}
    code = main([str(spec), "--untimed", "-q", *(a.format(**places) for a in argv)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    for needle in needles:
        assert needle in err, err


def test_the_timed_search_has_no_checkpoints(spec, tmp_path, capsys):
    code = main([str(spec), "-q", "--checkpoint", str(tmp_path / "ck")])
    _, err = capsys.readouterr()
    assert code == 2 and "--untimed as well" in err


def test_a_checkpoint_file_that_cannot_be_read_is_a_one_line_error(spec, tmp_path, capsys):
    run(capsys, spec, "--checkpoint", tmp_path / "ck", "--trace-out", tmp_path / "t.itf.json")
    damaged = sorted((tmp_path / "ck").glob("*/*.npy"))[0]
    damaged.write_bytes(b"not an array")
    code = main([str(spec), "--untimed", "--keep-going", "-q", "--resume", str(tmp_path / "ck")])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert damaged.name in err and "cannot read it" in err, err
