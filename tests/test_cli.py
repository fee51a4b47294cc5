"""The `hacheck` command, driven through `hacheck.tools.cli.main(argv)`.

Every test runs in its own temporary directory (the autouse fixture below), so the default
trace files land there and never in the repository.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from hacheck import __version__
from hacheck.model.spec import shipped_specs
from hacheck.tools.cli import main

TIMING_FIELDS = ("wall_seconds", "states_per_second", "peak_memory")   # measurements
STEP_LINE = re.compile(r"^\s+(\d+)\s+(n\d+|-)\s+\S")


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def hacheck(capsys, *argv: str, timed: bool = False) -> tuple[int, str, str]:
    """Run the command; its exit code, stdout and stderr. These tests are about the
    command and the untimed search, so they add --untimed unless `timed` (tests/
    test_timing.py checks the timed search)."""
    code = main(list(argv) + ([] if timed or "--help" in argv else ["--untimed"]))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_default_check_is_timed_and_shows_timestamps(capsys):
    code, out, _ = hacheck(capsys, "--nodes", "3", "-q", timed=True)
    assert code == 12
    assert "mode: timed (layer T of model.md: real runs only)" in out
    assert "time in seconds since the first step" in out
    assert re.search(r"^\s+5\s+10 n[01]\s+DEAD\(", out, re.M)   # deadtime after its boot
    assert "Z3 chose them, and an independent replay of the rules checked them" in out
    code, out, _ = hacheck(capsys, "--nodes", "3", "-q", "--json", timed=True)
    document = json.loads(out)
    assert document["mode"] == "timed"
    assert [step["time"] for step in document["properties"][0]["trace"]][:2] == [0, 0]


@pytest.mark.parametrize("argv, key", [(["--fingerprint"], "--fingerprint"),
                                       (["--untimed", "--explain"], "--explain")])
def test_options_of_the_other_mode_are_refused(capsys, argv, key):
    code, _, err = hacheck(capsys, *argv, timed=True)
    assert code == 2 and err.startswith(f"hacheck: error: {key}:")


def numbered_trace(out: str, prop: str = "S1") -> tuple[int, list[int], str]:
    """From a text report: the announced step count, the numbers of the step lines, and
    the first line after the last step that is not a change of that step."""
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines)
                  if line.startswith(f"shortest counterexample to {prop} "))
    announced = int(re.search(r"\((\d+) steps?[,)]", lines[header]).group(1))
    numbers, after = [], ""
    for line in lines[header + 1:]:
        match = STEP_LINE.match(line)
        if match:
            numbers.append(int(match.group(1)))
        elif line.startswith(" " * 14):   # a change under the current step
            continue
        else:
            after = line.strip()
            break
    return announced, numbers, after


def without_timing(document: dict) -> dict:
    document = json.loads(json.dumps(document))
    for key in TIMING_FIELDS:
        document["statistics"].pop(key)
    return document


def write_spec(tmp_path, text: str | bytes, name: str = "spec.toml") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


# --- help and version -------------------------------------------------------------------

def test_help_exits_zero_and_explains_every_option_and_every_exit_code(capsys):
    code, out, _ = hacheck(capsys, "--help")
    assert code == 0
    text = " ".join(out.split())
    for option in ("--nodes", "--untimed", "--explain", "--no-symmetry", "--no-por", "--keep-going", "--max-states",
                   "--max-depth", "--time-limit", "--workers", "--fingerprint", "--json", "--trace-out",
                   "--quiet", "--version", "--checkpoint", "--checkpoint-every", "--resume"):
        assert option in text
    for code_meaning in ("0 every property holds", "12 a safety property is violated",
                         "13 a liveness property is violated", "3 the search was cut short",
                         "2 usage or configuration error", "1 internal error"):
        assert code_meaning in text
    for name in shipped_specs():
        assert name in text


def console_script() -> str:
    """The installed `hacheck` script: beside this interpreter (a venv used without
    activating it, as the README does), else on PATH."""
    beside = Path(sys.executable).parent / "hacheck"
    script = str(beside) if beside.is_file() else shutil.which("hacheck")
    assert script is not None, "the hacheck console script is not installed (pip install -e .)"
    return script


def test_the_installed_console_script_prints_the_package_version(tmp_path):
    script = console_script()
    done = subprocess.run([script, "--version"], capture_output=True, text=True, cwd=tmp_path,
                          timeout=60)
    assert done.returncode == 0
    assert done.stdout.strip() == f"hacheck {__version__}"


def test_the_console_script_passes_the_exit_code_of_main_to_the_shell(tmp_path):
    script = console_script()
    done = subprocess.run([script, "--nodes", "0"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


# --- the default spec: S1 is violated ---------------------------------------------------

@pytest.mark.parametrize("nodes", ["2", "3"])
def test_the_default_spec_violates_s1_with_exit_code_12_and_a_numbered_trace(capsys, nodes):
    code, out, _ = hacheck(capsys, "--nodes", nodes, "-q")
    assert code == 12
    assert re.search(r"^S1 .*: VIOLATED$", out, re.M)
    assert f"cluster: {nodes} nodes" in out
    announced, numbers, after = numbered_trace(out)
    assert announced > 0
    assert numbers == list(range(1, announced + 1))
    assert after.startswith("violates S1: group g")
    assert out.rstrip().endswith("result: VIOLATED (exit code 12)")


@pytest.mark.parametrize("nodes", ["2", "3"])
def test_the_counterexample_is_an_itf_file_with_one_state_per_step_plus_one(capsys, tmp_path,
                                                                            nodes):
    code, out, _ = hacheck(capsys, "--nodes", nodes, "-q")
    assert code == 12
    path = tmp_path / f"heartbeat-1.51-n{nodes}-S1.itf.json"   # the default name
    assert f"trace written to {path.name} (ITF)" in out
    document = json.loads(path.read_text(encoding="utf-8"))
    announced, _, _ = numbered_trace(out)

    assert {"#meta", "vars", "states"} <= set(document)
    assert document["#meta"]["format"] == "ITF"
    assert document["#meta"]["property"] == "S1"
    states = document["states"]
    assert len(states) == announced + 1
    bigints = 0
    for index, state in enumerate(states):
        assert state["#meta"]["index"] == index
        assert isinstance(state["#meta"]["action"], str) and state["#meta"]["action"]
        assert set(state) == {"#meta", *document["vars"]}
        bigints += _check_itf_values([state[v] for v in document["vars"]])
    assert states[0]["#meta"]["action"] == "init"
    assert all(s["#meta"]["action"] != "init" for s in states[1:])
    assert bigints > 0


def _check_itf_values(value) -> int:
    """Asserts that every integer is written as {"#bigint": "<digits>"}; counts them."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return 0
    assert not isinstance(value, (int, float)), f"bare number {value!r} in an ITF state"
    if isinstance(value, list):
        return sum(_check_itf_values(v) for v in value)
    assert isinstance(value, dict)
    if "#bigint" in value:
        assert set(value) == {"#bigint"} and re.fullmatch(r"-?\d+", value["#bigint"])
        return 1
    return sum(_check_itf_values(v) for v in value.values())


def test_the_itf_actions_are_the_actions_of_the_reported_trace(capsys, tmp_path):
    target = tmp_path / "out" / "s1.itf.json"
    target.parent.mkdir()
    code, out, _ = hacheck(capsys, "--json", "--trace-out", str(target), "-q")
    assert code == 12
    report = json.loads(out)
    trace = report["properties"][0]["trace"]
    states = json.loads(target.read_text(encoding="utf-8"))["states"]
    assert [s["#meta"]["action"] for s in states[1:]] == [step["action"] for step in trace]
    assert [s["#meta"]["node"] for s in states[1:]] == [step["node"] for step in trace]


def test_trace_out_writes_the_trace_there_and_no_file_in_the_current_directory(capsys,
                                                                               tmp_path):
    target = tmp_path / "traces" / "mine.json"
    target.parent.mkdir()
    code, out, _ = hacheck(capsys, "--trace-out", str(target), "-q")
    assert code == 12
    assert target.is_file()
    assert f"trace written to {target} (ITF)" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["traces"]


# --- JSON report ------------------------------------------------------------------------

def test_json_output_parses_and_has_the_verdict_the_statistics_and_the_trace(capsys):
    code, out, _ = hacheck(capsys, "--json", "-q")
    assert code == 12
    report = json.loads(out)
    assert report["result"] == "VIOLATED" and report["exit_code"] == 12
    s1, l0, l1 = report["properties"]
    assert (s1["name"], s1["kind"], s1["verdict"]) == ("S1", "always", "VIOLATED")
    # the search stopped at S1's violation: liveness is reported as not checked
    assert [(p["name"], p["verdict"]) for p in (l0, l1)] == [("L0", "INCOMPLETE"),
                                                            ("L1", "INCOMPLETE")]
    assert l1["explanation"].startswith("not checked")
    assert report["assumption"].startswith("assuming every enabled protocol action")
    stats = report["statistics"]
    assert stats["distinct_states"] > 0 and stats["transitions"] >= stats["distinct_states"] - 1
    assert stats["complete"] is False and stats["stop_reason"] == "violation found"
    assert [step["step"] for step in s1["trace"]] == list(range(1, len(s1["trace"]) + 1))
    assert stats["max_depth"] == len(s1["trace"])
    assert all(step["action"] and isinstance(step["changes"], list) for step in s1["trace"])
    assert s1["trace_file"] == "heartbeat-1.51-n2-S1.itf.json"
    assert report["spec"]["nodes"] == 2 and report["symmetry"] is True


# --- budgets: a cut search is never HOLDS -----------------------------------------------

def test_a_budget_of_ten_states_gives_incomplete_and_exit_code_3(capsys):
    code, out, _ = hacheck(capsys, "--max-states", "10", "-q")
    assert code == 3
    assert re.search(r"^S1 .*: INCOMPLETE$", out, re.M)
    assert "state budget of 10 states reached" in out
    assert out.rstrip().endswith("result: INCOMPLETE (exit code 3)")
    assert "HOLDS" not in out


@pytest.mark.parametrize("argv", [
    ["--max-states", "10"],
    ["--max-states", "10", "--nodes", "3"],
    ["--max-states", "10", "--no-symmetry"],
    ["--max-states", "10", "--keep-going"],
    ["--max-states", "10", "active-passive"],
    ["--max-states", "2", "--nodes", "1"],   # the whole space of one node (4 states) holds
], ids=lambda argv: " ".join(argv))
def test_a_search_cut_by_the_state_budget_is_incomplete_never_holds(capsys, argv):
    code, out, _ = hacheck(capsys, *argv, "--json", "-q")
    assert code == 3
    report = json.loads(out)
    budget = int(argv[1])
    assert report["statistics"]["complete"] is False
    assert report["statistics"]["distinct_states"] == budget
    assert [p["verdict"] for p in report["properties"]] == ["INCOMPLETE"] * 3   # S1, L0, L1
    assert report["result"] == "INCOMPLETE"
    assert "HOLDS" not in out


def test_one_node_with_no_budget_holds_s1_and_never_takes_its_group(capsys):
    # The counterpart of the budgeted run above: the answer that a cut search must not
    # give. A lone node is linked up at boot (model.md section 2), so it never announces
    # itself, never processes a message and never asks for its group: L1 fails (exit 13).
    code, out, _ = hacheck(capsys, "--nodes", "1", "-q")
    assert code == 13
    assert re.search(r"^S1 .*: HOLDS$", out, re.M)
    assert re.search(r"^L0 .*: HOLDS$", out, re.M)
    assert re.search(r"^L1 .*: VIOLATED$", out, re.M)
    assert "search: complete" in out


# --- determinism and symmetry -----------------------------------------------------------

def test_two_runs_give_identical_json_except_timing(capsys, tmp_path):
    reports, itf = [], []
    for _ in range(2):
        code, out, _ = hacheck(capsys, "--json", "--nodes", "3", "-q")
        assert code == 12
        reports.append(without_timing(json.loads(out)))
        itf.append((tmp_path / "heartbeat-1.51-n3-S1.itf.json").read_bytes())
    assert reports[0] == reports[1]
    assert itf[0] == itf[1]


@pytest.mark.parametrize("mode", [["--no-symmetry", "--untimed"], ["--nodes", "3"]],
                         ids=["untimed", "timed"])
def test_runs_in_processes_with_different_hash_seeds_give_identical_json(tmp_path, mode):
    script = console_script()
    reports = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([script, "--json", "-q", *mode], capture_output=True,
                              text=True, cwd=tmp_path, env=env, timeout=300)
        assert done.returncode == 12, done.stderr
        reports.append(without_timing(json.loads(done.stdout)))
    assert reports[0] == reports[1]


@pytest.mark.parametrize("nodes", ["2", "3"])
def test_no_symmetry_finds_a_shortest_trace_of_the_same_length(capsys, nodes):
    lengths, states = {}, {}
    for symmetry, flag in ((True, []), (False, ["--no-symmetry"])):
        code, out, _ = hacheck(capsys, "--json", "--nodes", nodes, "-q", *flag)
        assert code == 12
        report = json.loads(out)
        assert report["symmetry"] is symmetry
        lengths[symmetry] = len(report["properties"][0]["trace"])
        states[symmetry] = report["statistics"]["distinct_states"]
    assert lengths[True] == lengths[False]
    assert states[True] < states[False]   # the reduction did store fewer states


# --- shipped specs ----------------------------------------------------------------------

def test_the_shipped_active_passive_spec_is_found_by_name(capsys):
    code, out, _ = hacheck(capsys, "active-passive", "--nodes", "2", "-q")
    assert code == 12
    first = out.splitlines()[0]
    assert first.endswith("active-passive.toml)")
    assert "heartbeat 1.51, nice_failback, active/passive" in first
    assert "cluster: 2 nodes, home [0]," in out
    assert (resources.files("hacheck.specs") / "active-passive.toml").is_file()


@pytest.mark.parametrize("name", shipped_specs())
def test_every_shipped_spec_name_loads_the_shipped_file(capsys, name):
    shipped = resources.files("hacheck.specs") / f"{name}.toml"
    data = tomllib.loads(shipped.read_text(encoding="utf-8"))
    code, out, _ = hacheck(capsys, name, "--json", "--max-states", "50", "-q")
    assert code == 3
    spec = json.loads(out)["spec"]
    assert spec["spec"] == str(shipped)
    assert spec["name"] == data["name"]
    assert spec["nodes"] == data["cluster"]["nodes"]
    assert spec["crashes"] == data["faults"]["crashes"]
    assert spec["link_toggles"] == data["faults"]["link_toggles"]


def test_there_are_shipped_specs_including_the_default():
    assert {"heartbeat-1.51", "active-passive"} <= set(shipped_specs())


# --- bad input: one line on stderr, exit code 2, no traceback ---------------------------

def assert_one_line_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("hacheck: error: ") or err.startswith("hacheck gate: error: ")
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"


# (spec file text, extra arguments, what the one line must contain besides the file name)
BAD_SPECS = {
    "malformed TOML": ('name = "unterminated\n', [], ["not valid TOML", "line 1"]),
    "malformed TOML in a table": ('[faults]\ncrashes = \n', [], ["not valid TOML", "line 2"]),
    "unknown top-level key": ('colour = "red"\n', [],
                              ["colour", '"red"', "unknown key", "expected one of",
                               "cluster", "faults"]),
    "unknown key in [faults]": ('[faults]\ncrashes = 1\nbogus = 3\n', [],
                                ["faults.bogus", "3", "unknown key", "crashes", "restarts",
                                 "link_toggles"]),
    "wrong type": ('[faults]\ncrashes = "ten"\n', [],
                   ["faults.crashes", 'got "ten"', "expected a whole number"]),
    "negative budget": ('[faults]\nrestarts = -1\n', [],
                        ["faults.restarts", "got -1", "expected a whole number from 0"]),
    "home index >= nodes": ('[cluster]\nnodes = 2\nhome = [0, 2]\n', [],
                            ["cluster.home", "got [0, 2]", "node indices 0..1"]),
    "--nodes 1 with home [0, 1]": ('[cluster]\nnodes = 2\nhome = [0, 1]\n', ["--nodes", "1"],
                                   ["cluster.home", "got [0, 1]", "node count 1"]),
    "a version that is a list": ('[protocol]\nversion = ["1.51"]\n', [],
                                 ["protocol.version", 'got ["1.51"]', '"1.51" or "1.65"']),
    "a version that is a table": ('[protocol]\nversion = { rev = "1.51" }\n', [],
                                  ["protocol.version", 'got {"rev": "1.51"}', '"1.51" or']),
    "an email timer that is a list": ('[protocol]\nemail_timer = ["off"]\n', [],
                                      ["protocol.email_timer", 'got ["off"]', '"off" or']),
    "an empty spec": ("", [], ["the spec sets nothing"]),
    "a comment-only spec": ("# nothing here\n\n", [], ["the spec sets nothing", "[cluster]"]),
    "unsequenced without losses": ('[protocol]\ntransport = "unsequenced"\n', [],
                                   ["faults.losses", "got 0", "at least 1 with the unsequenced"]),
    "starting_repeats without email_timer": ("[protocol]\nstarting_repeats = 2\n", [],
                                             ["protocol.starting_repeats", "got 2",
                                              "0 without an email_timer"]),
    "keepalive 0": ("[timing]\nkeepalive = 0\n", [],
                    ["timing.keepalive", "got 0", "> 0"]),
    "a table where a number belongs": ("[faults]\ncrashes = { n = 1 }\n", [],
                                       ["faults.crashes", 'got {"n": 1}']),
    "a number where a table belongs": ("faults = 3\n", [], ["faults", "got 3", "a table"]),
    "nan seconds": ("[timing]\ndmax = nan\n", [], ["timing.dmax", "got NaN"]),
    "invalid UTF-8": (b"name = \"\xff\"\n", [], ["not UTF-8"]),
    "values nested too deeply": ("x = " + "[" * 5000 + "]" * 5000 + "\n", [],
                                 ["nested too deeply"]),
}


def states_within(cfg, depth: int) -> int:
    """model.md's states within `depth` steps of the initial one, by a plain breadth-first
    walk over the model's own successors (no engine, no reduction)."""
    from hacheck.model import HeartbeatModel
    model = HeartbeatModel(cfg)
    level = {model.encode(s): s for s in model.init_states()}
    seen = set(level)
    for _ in range(depth):
        following = {}
        for state in level.values():
            for _, after in model.successors_of(state):
                key = model.encode(after)
                if key not in seen:
                    seen.add(key)
                    following[key] = after
        level = following
    return len(seen)


def test_a_depth_bound_counts_the_states_within_it_and_is_incomplete(capsys):
    from hacheck.model.spec import load
    code, out, _ = hacheck(capsys, "--no-symmetry", "--no-por", "--keep-going",
                           "--max-depth", "6", "--json", "-q")
    report = json.loads(out)
    assert code == 3
    assert report["statistics"]["distinct_states"] == states_within(load(None).config(None), 6)
    assert report["statistics"]["max_depth"] == 6 and not report["statistics"]["complete"]
    assert report["statistics"]["stop_reason"] == "depth bound of 6 steps reached"
    assert [p["verdict"] for p in report["properties"]] == ["INCOMPLETE"] * 3
    # S1's shortest counterexample at two nodes with the default faults has 9 steps
    code, out, _ = hacheck(capsys, "--max-depth", "9", "-q")
    assert code == 12 and re.search(r"^S1 .*: VIOLATED$", out, re.M)
    code, out, _ = hacheck(capsys, "--max-depth", "8", "-q")
    assert code == 3 and "depth bound of 8 steps reached" in out


@pytest.mark.parametrize("text, extra, needles", BAD_SPECS.values(), ids=BAD_SPECS.keys())
def test_a_bad_spec_file_gives_one_line_naming_file_key_value_and_expectation(
        capsys, tmp_path, text, extra, needles):
    path = write_spec(tmp_path, text)
    code, out, err = hacheck(capsys, path, *extra)
    assert_one_line_error(code, out, err, f"{path}: ", *needles)
    assert [p.name for p in tmp_path.iterdir()] == ["spec.toml"]   # no trace was written


BAD_OPTIONS = {
    "--nodes 0": (["--nodes", "0"], ["--nodes", "got 0", "from 1 to 8"]),
    "--nodes 99": (["--nodes", "99"], ["--nodes", "got 99", "from 1 to 8"]),
    "--max-states 0": (["--max-states", "0"], ["--max-states", "got 0", ">= 1"]),
    "--max-states -5": (["--max-states", "-5"], ["--max-states", "got -5", ">= 1"]),
    "--time-limit 0": (["--time-limit", "0"], ["--time-limit", "got 0", "> 0"]),
    "--max-depth -1": (["--max-depth", "-1"], ["--max-depth", "got -1", ">= 0"]),
    "--max-states 2**63": (["--max-states", "9223372036854775808"],
                           ["--max-states", "got 9223372036854775808", "at most 2,147,483,647"]),
    "--workers 1000": (["--workers", "1000"], ["--workers", "got 1000", "from 1 to"]),
    "--workers 0": (["--workers", "0"], ["--workers", "got 0", "from 1 to"]),
    "--memory-limit 0": (["--memory-limit", "0"], ["--memory-limit", "got 0", "GB > 0"]),
    "--memory-limit nan": (["--memory-limit", "nan"], ["--memory-limit", "got NaN"]),
}


@pytest.mark.parametrize("argv, needles", BAD_OPTIONS.values(), ids=BAD_OPTIONS.keys())
def test_a_bad_option_value_gives_one_line_naming_option_value_and_expectation(
        capsys, tmp_path, argv, needles):
    code, out, err = hacheck(capsys, *argv)
    assert_one_line_error(code, out, err, *needles)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_spec_file_gives_one_line_naming_it_and_the_shipped_specs(capsys, tmp_path):
    missing = str(tmp_path / "nowhere" / "absent.toml")
    code, out, err = hacheck(capsys, missing)
    assert_one_line_error(code, out, err, f"{missing}: ", "no such spec file",
                          *shipped_specs())


def test_an_unknown_spec_name_is_reported_as_a_missing_file(capsys):
    code, out, err = hacheck(capsys, "heartbeat-9.99")
    assert_one_line_error(code, out, err, "heartbeat-9.99: ", "no such spec file")


def test_an_unwritable_trace_path_is_a_usage_error_without_traceback(capsys, tmp_path):
    target = tmp_path / "no" / "such" / "dir" / "t.itf.json"
    code, out, err = hacheck(capsys, "--trace-out", str(target), "-q")
    assert_one_line_error(code, out, err, "--trace-out", "existing directory", str(target))


@pytest.mark.parametrize("option", ["--trace-out", "--html"])
def test_an_output_path_that_cannot_be_written_is_refused_before_the_search(capsys, tmp_path,
                                                                           option):
    code, out, err = hacheck(capsys, option, str(tmp_path), "-q")
    assert_one_line_error(code, out, err, option, "not a directory")
    code, out, err = hacheck(capsys, option, "/proc/hacheck-trace.json", "-q")
    assert_one_line_error(code, out, err, option, "a file we can write")


def test_a_default_trace_that_cannot_be_written_after_the_search_keeps_the_verdict(capsys,
                                                                                  tmp_path):
    (tmp_path / "heartbeat-1.51-n2-S1.itf.json").mkdir()   # where the trace would go
    code, out, err = hacheck(capsys, "--nodes", "2", "-q")
    assert code == 12
    assert "S1  no resource group is held by two nodes at once: VIOLATED" in out
    assert "cannot write the S1 trace file" in err and "Traceback" not in err


def test_an_option_of_the_untimed_search_is_refused_in_timed_mode(capsys):
    code, out, err = hacheck(capsys, "--fingerprint", timed=True)
    assert_one_line_error(code, out, err, "--fingerprint", "--untimed as well")


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_spec_that_is_not_a_regular_file_is_refused_without_reading_it(capsys, tmp_path,
                                                                          kind):
    path = tmp_path / "spec.toml"
    if kind == "fifo":
        os.mkfifo(path)       # reading it would block for ever
    else:
        path = Path("/dev/zero")   # reading it would never end
    code, out, err = hacheck(capsys, str(path))
    assert_one_line_error(code, out, err, f"{path}: ", "not a regular file")


def test_the_time_limit_is_honoured_between_progress_lines(capsys):
    code, out, err = hacheck(capsys, "--nodes", "2", "--keep-going", "--time-limit", "0.3",
                             "--workers", "1", "-q", "--json")
    assert code == 12   # violations seen before the limit still count
    stats = json.loads(out)["statistics"]
    assert "time limit" in stats["stop_reason"] and not stats["complete"]
    assert stats["wall_seconds"] < 4.0   # the progress interval is 5 s


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_a_time_limit_that_is_not_a_positive_finite_number_is_refused(capsys, value):
    code, out, err = hacheck(capsys, f"--time-limit={value}")
    assert_one_line_error(code, out, err, "--time-limit")


def test_a_reader_that_closes_the_pipe_early_causes_no_traceback():
    hacheck = shlex.quote(console_script())
    proc = subprocess.run(f"{hacheck} --nodes 3 --untimed -q --json --trace-out /dev/null | head -c 10",
                          shell=True, capture_output=True, text=True,
                          executable="/bin/bash")
    assert "Traceback" not in proc.stderr
    code = subprocess.run(f"set -o pipefail; {hacheck} --nodes 3 --untimed -q --trace-out /dev/null | true",
                          shell=True, capture_output=True, text=True, executable="/bin/bash")
    assert code.returncode == 12 and "Traceback" not in code.stderr


NO_FAULTS = """
[cluster]
nodes = 2
[faults]
crashes = 0
restarts = 0
"""


def test_partial_order_reduction_is_on_by_default_and_off_with_no_por(capsys, tmp_path):
    spec = write_spec(tmp_path, NO_FAULTS)
    reports = {}
    for flags in ((), ("--no-por",)):
        code, out, _ = hacheck(capsys, spec, "--keep-going", "-q", "--json", "--no-symmetry",
                               "--trace-out", "/dev/null", *flags)
        assert code == 12
        reports[flags] = json.loads(out)
    default, off = reports[()], reports[("--no-por",)]
    assert default["reduction"] and not off["reduction"]
    assert off["statistics"]["distinct_states"] == 165_598      # model.md 6a
    assert default["statistics"]["distinct_states"] == 929     # docs/reduction.md
    assert [len(p["trace"] or ()) for p in default["properties"]] == \
        [len(p["trace"] or ()) for p in off["properties"]]
    assert default["statistics"]["chained_steps"] > 0 == off["statistics"]["chained_steps"]


def test_one_reduced_search_decides_l0_and_l1_as_the_unreduced_one_does(capsys, tmp_path):
    # docs/reduction.md, "Liveness": with one crash, L1 fails (a dead node's stale request);
    # the reduced search finds it, and its trace is the unreduced search's shortest one
    spec = write_spec(tmp_path, NO_FAULTS.replace("crashes = 0", "crashes = 1"))
    reports = {}
    for flags in ((), ("--no-por",)):
        code, out, _ = hacheck(capsys, spec, "--keep-going", "-q", "--json",
                               "--trace-out", str(tmp_path / "t.itf.json"), *flags)
        reports[flags] = json.loads(out)
    default, off = reports[()], reports[("--no-por",)]
    assert default["reduction"] and default["statistics"]["complete"]
    assert default["statistics"]["distinct_states"] < off["statistics"]["distinct_states"]
    assert default["statistics"]["protocol_edges"] > 0       # L0 on the reduced graph
    verdicts = {flags: [(p["name"], p["verdict"], len(p["trace"] or ()))
                        for p in report["properties"]] for flags, report in reports.items()}
    assert verdicts[()] == verdicts[("--no-por",)]
    assert ("L1", "VIOLATED", 17) in verdicts[()] and ("L0", "HOLDS", 0) in verdicts[()]


def test_the_text_report_says_whether_partial_order_reduction_was_used(capsys):
    _, out, _ = hacheck(capsys, "--nodes", "2", "-q", "--trace-out", "/dev/null")
    assert "partial-order reduction: on" in out
    assert re.search(r"states expanded with an ample set, [\d,]+ single ample steps passed "
                     r"in chains\)", out)
    _, out, _ = hacheck(capsys, "--nodes", "2", "-q", "--no-por", "--trace-out", "/dev/null")
    assert "partial-order reduction: off" in out
