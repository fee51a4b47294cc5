"""The TChecker encoding of bench/peers/tchecker.py (issue 18), checked without TChecker.

CI cannot build TChecker in its time, so layer D of the encoding is run by a small
interpreter of TChecker's language (bench/peers/tck_layer_d.py) and compared with
hacheck's untimed search; the timed text is read by the same interpreter (every
statement parses, every name is declared); and compare_timed's handling of tck-reach's
output is driven by a stand-in script."""

from __future__ import annotations

import os
from dataclasses import replace
import re
import stat
import sys
from fractions import Fraction

import pytest

from hacheck.model import Config
from hacheck.model.timing import TimingParameters
from hacheck.tools.run import search

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, os.pardir, "bench", "peers")
sys.path.insert(0, PEERS)

from tchecker import Encoding, Timing, when  # noqa: E402
from tck_layer_d import ModelError, compile_edges, discrete_states  # noqa: E402

import compare_timed  # noqa: E402

SMALL = Timing.of(TimingParameters(**{k: Fraction(v) for k, v in compare_timed.SMALL.items()}))[0]


def Cfg(N, home, **faults) -> Config:
    return Config(N=N, home=home, **faults)


def hacheck_untimed(config: Config) -> tuple[int, bool]:
    """hacheck's untimed count without reductions, and whether S1 is violated."""
    from hacheck.properties import all_properties
    s1 = [p for p in all_properties(config) if p.name == "S1"]
    result = search(config, s1, symmetry=False, keep_going=True).result
    assert result.statistics.complete
    return result.statistics.distinct_states, result.properties[0].verdict.name == "VIOLATED"


@pytest.mark.parametrize("cfg", [
    Cfg(2, (0, 1), nice_failback=False, crashes=1, restarts=1),
    Cfg(2, (0, 1), nice_failback=False, link_toggles=1),
    Cfg(2, (0, 1)),
], ids=["nonice-crash-restart", "nonice-link1", "nofaults"])
def test_layer_d_of_the_encoding_has_hacheck_untimed_states(cfg):
    """Written from model.md apart from hacheck's code, the encoding's layer D reaches as
    many states as hacheck's untimed search (165,598 without faults: model.md's check
    value), and its watcher labels a state s1 iff hacheck finds S1 violated."""
    count, violating = discrete_states(Encoding(cfg, None, cap=8).text())
    expected, violated = hacheck_untimed(cfg)
    assert count == expected
    assert (violating > 0) == violated


@pytest.mark.parametrize("cfg", [
    Cfg(2, (0, 1), crashes=1, restarts=1),
    Cfg(3, (0, 1, 2), crashes=1, link_toggles=1),
    Cfg(2, (0, 0), nice_failback=False, link_toggles=2),
])
def test_timed_encoding_reads_and_uses_one_clock_array(cfg):
    """Every guard, statement and the invariant of the timed text parse, and name only
    declared variables; the clocks are one array with one spare slot, sized by the rules
    of section 7 (a period clock, a MACHDOWN clock per ordered pair, one clock per
    message slot, per RSCRCVD node, per pending child, per group)."""
    enc = Encoding(cfg, SMALL, cap=4)
    text = enc.text()
    ints, edges, watch = compile_edges(text, clocks_as_ints=True)
    pairs = cfg.N * (cfg.N - 1)
    clocks = 2 * pairs + 4 * pairs + (cfg.N if cfg.nice_failback else 0) + 3 * cfg.N
    clocks += len(cfg.home)
    assert ints["x"][0] == clocks + 1 and ints["z"][0] == 1
    assert len(watch) == len(cfg.home) and edges


def test_an_overflow_can_end_the_path_instead_of_the_search():
    """With `overflow_stops`, a FIFO that would outgrow its room ends the path (nothing
    runs after it) instead of being an error: with room enough, the same states as
    without it; with too little, fewer, and no error."""
    cfg = Cfg(2, (0, 1), nice_failback=False, crashes=1, restarts=1)
    full = discrete_states(Encoding(cfg, None, cap=8).text())
    assert discrete_states(Encoding(cfg, None, cap=8, overflow_stops=True).text()) \
        == full
    with pytest.raises(ModelError, match="out-of-bounds"):
        discrete_states(Encoding(cfg, None, cap=1).text())
    short, _ = discrete_states(Encoding(cfg, None, cap=1, overflow_stops=True).text())
    assert 0 < short < full[0]


def test_every_edge_is_straight_line_code():
    """No statement-level `if` in any edge: TChecker's clock-bounds analysis follows each
    path through an edge's `if`s and its memory doubles with every one in a row (the
    three-node model ran out of memory before its search began)."""
    for cfg in (Cfg(3, (0, 1, 2)), Cfg(2, (0, 1), crashes=1, restarts=1, link_toggles=1)):
        for timing in (SMALL, None):
            for line in Encoding(cfg, timing, cap=4).text().splitlines():
                if line.startswith("edge:P:"):
                    effect = line.partition(" : do: ")[2]
                    assert not re.search(r"(^|; )if ", effect), line[:120]


def test_straight_line_code_keeps_the_meaning_of_if():
    """`straight` on nested `if`s with an `else`, an indexed write and a local that would
    be negative on the branch not taken: the same final values as the `if`s, run by the
    interpreter for every start value, and a local under a false guard reads nothing."""
    enc = Encoding(Cfg(2, (0, 1)), None)
    program = [when("n < 2", "local d = n - 1",
                    when("d == 0", "a[n] = 2", other=["a[n + 1] = 1"]), "n = n + 2"),
               when("n == 3", "n = 0")]
    flat = "; ".join(enc.straight(program))
    assert " then a[" not in flat and not flat.startswith("if ")

    def run(effect, n0):
        text = "\n".join(["system:s", "event:E", "int:1:0:3:0:n", "int:3:0:2:0:a",
                          "process:P", "location:P:l{initial:}",
                          f"edge:P:l:l:E{{provided: n == {n0} : do: {effect}}}"])
        ints, edges, _ = compile_edges(text)
        v = {"n": [n0], "a": [0, 0, 0]}
        edges[0][1](v)
        return v
    nested = ("if n < 2 then local d = n - 1; if d == 0 then a[n] = 2 else a[n + 1] = 1 end;"
              " n = n + 2 end; if n == 3 then n = 0 end")
    for n0 in range(4):
        if n0 == 0:
            with pytest.raises(ModelError, match="local"):      # d = -1 taken
                run(nested, n0)
            with pytest.raises(ModelError, match="local"):
                run(flat, n0)
            continue
        assert run(flat, n0) == run(nested, n0)


def test_the_interpreter_refuses_what_tchecker_refuses():
    """An assignment out of a variable's declared range is an error, as in tck-reach
    (compare_timed doubles the FIFOs' room on it), and a timed model is refused."""
    text = "\n".join(["system:s", "event:E", "int:1:0:2:0:n", "process:P",
                      "location:P:l{initial:}", "edge:P:l:l:E{provided: n < 5 : do: n = n + 1}"])
    with pytest.raises(ModelError, match="out-of-bounds value: 3"):
        discrete_states(text)
    with pytest.raises(ModelError, match="undeclared"):
        discrete_states(text.replace("n = n + 1", "m = 1"))
    with pytest.raises(ModelError, match="timed model"):
        discrete_states(Encoding(Cfg(2, (0, 1)), SMALL).text())
    assert discrete_states(text.replace("n < 5", "n < 2")) == (3, 0)
    with pytest.raises(ModelError, match="local v = -1"):     # a local is never negative
        discrete_states(text.replace("n = n + 1", "local v = n - 1; n = n + 1"))


STAND_IN = """#!/bin/sh
# tck-reach's output, as the model asks: FIFOs of 8 overflow, 'sleep' sleeps
for last; do :; done
if grep -q 'int:8:' "$last"; then echo "ERROR: out-of-bounds value: 8 out of [0, 7]"; exit 1; fi
if [ -e "$(dirname "$last")/sleep" ]; then sleep 5; fi
if [ -e "$(dirname "$last")/oom" ]; then echo "terminate called: std::bad_alloc"; exit 134; fi
case "$*" in *"-l s1"*) reach=true ;; *) reach=false ;; esac
case "$*" in *"-l bound"*) [ -e "$(dirname "$last")/fifo" ] && reach=true ;; esac
echo "COVERED_STATES 7"; echo "REACHABLE $reach"; echo "RUNNING_TIME_SECONDS 0.5"
echo "STORED_STATES 40"; echo "VISITED_STATES 42"
"""


@pytest.fixture
def stand_in(tmp_path):
    path = tmp_path / "tck-reach"
    path.write_text(STAND_IN)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    work = tmp_path / "work"
    work.mkdir()
    return str(path), work


def test_compare_reads_tck_reach_and_grows_the_fifos(stand_in):
    binary, work = stand_in
    case = compare_timed.CASES[0]
    run = compare_timed.run_tchecker(binary, case, str(work), 30)
    assert run["verdict"] == "VIOLATED" and run["cap"] == 16
    assert (run["visited"], run["stored"], run["covered"], run["search"]) == (42, 40, 7, 0.5)
    whole = compare_timed.run_tchecker(binary, case, str(work), 30, whole=True)
    assert whole["verdict"] == "COMPLETE"


def test_a_whole_space_with_short_fifos_counts_only_if_none_fills(stand_in):
    """With overflow_stops, a whole space (or a HOLDS) stands for model.md's only if no
    path fills a FIFO: tck-reach is asked for the label `bound`."""
    binary, work = stand_in
    case = replace(compare_timed.CASES[0], cap=4, overflow_stops=True)
    assert compare_timed.run_tchecker(binary, case, str(work), 30, whole=True)["verdict"] \
        == "COMPLETE"
    (work / "fifo").write_text("")
    run = compare_timed.run_tchecker(binary, case, str(work), 30, whole=True)
    assert run["verdict"] == "INCOMPLETE" and run["why"] == "fifo"
    assert compare_timed.unfinished(run, 30) == "undecided: a FIFO of 4 overflows"
    assert compare_timed.run_tchecker(binary, case, str(work), 30)["verdict"] == "VIOLATED"


def test_compare_reports_a_time_out_as_undecided(stand_in):
    binary, work = stand_in
    (work / "sleep").write_text("")
    run = compare_timed.run_tchecker(binary, compare_timed.CASES[0], str(work), 1)
    assert run["verdict"] == "INCOMPLETE" and run["why"] == "time" and run["wall"] < 5


def test_compare_reports_running_out_of_memory_as_undecided(stand_in):
    binary, work = stand_in
    (work / "oom").write_text("")
    run = compare_timed.run_tchecker(binary, compare_timed.CASES[0], str(work), 30)
    assert run["verdict"] == "INCOMPLETE" and run["why"] == "memory"
    assert compare_timed.unfinished(run, 30).startswith("out of memory after")


def test_the_table_flags_a_disagreement_and_bounds_an_undecided_ratio():
    case = compare_timed.CASES[0]
    tck = {"verdict": "HOLDS", "visited": 1, "stored": 1, "search": 2.0, "wall": 2.0, "rss": 1}
    hacheck = {"verdict": "VIOLATED", "stored": 1, "search": 1.0, "wall": 1.0, "rss": 1}
    lines, agree = compare_timed.first_violation_table([(case, tck, None, hacheck, hacheck)], 9)
    assert not agree and "(DISAGREE)" in lines[-1] and "0.5000" in lines[-1]
    undecided = {"verdict": "INCOMPLETE", "wall": 9.0, "rss": 1}
    dfs = {**tck, "verdict": "VIOLATED"}
    lines, agree = compare_timed.first_violation_table(
        [(case, undecided, dfs, hacheck, hacheck)], 9)
    assert agree and "VIOLATED (DFS) / VIOLATED" in lines[-1] and "≤ 0.1111" in lines[-1]


def test_a_whole_space_neither_side_finished_has_no_ratio():
    case = compare_timed.CASES[-1]
    tck = {"verdict": "INCOMPLETE", "wall": 37.0, "rss": 1, "why": "memory"}
    hacheck = {"verdict": "VIOLATED", "stored": 9, "search": 300.0, "wall": 300.0, "rss": 1,
               "complete": False, "whole": True}
    line = compare_timed.whole_space_table([(case, tck, hacheck, hacheck)], 300)[-1]
    assert "out of memory after 37 s / unfinished in 300 s" in line and "| - / - |" in line
    done = {**hacheck, "complete": True}
    line = compare_timed.whole_space_table([(case, tck, done, done)], 300)[-1]
    assert "≤ 8.1081 / ≤ 8.1081" in line
