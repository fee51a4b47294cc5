"""`hacheck view` on trace files that are malformed, odd or hostile: a one-line error and
exit 2 (never a traceback, exit 1), or the trace shown with notes; never a read without
end. Both the terminal view and `--html`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hacheck.tools import trace_file, trace_view
from hacheck.tools.cli import main

STATE = {"ph": ["up", "up"], "rs": ["STABLE", "STABLE"], "own": [[{"#bigint": "0"}], []],
         "ch": {"0->1": [], "1->0": []}}



@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch):
    """The terminal view wraps to the terminal's width; these tests read whole lines."""
    monkeypatch.setenv("COLUMNS", "1000")

def trace(states=None, **top) -> dict:
    """A small well-formed trace of four states, with `states` (index: state) put in."""
    records = [dict(STATE, **{"#meta": {"index": k, "action": "init" if k == 0 else f"A({k})",
                                        "action_name": "A", "node": k % 2, "args": [k % 2]}})
               for k in range(4)]
    for k, state in (states or {}).items():
        records[k] = dict(records[k], **state)
    return {"#meta": {"property": "S1", "verdict": "VIOLATED"}, "states": records, **top}


def view(capsys, path, *html) -> tuple[int, str, str]:
    code = main(["view", str(path), *html])
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(capsys, path, tmp_path, message: str) -> None:
    """Both views: exit 2 and exactly `hacheck view: error: <path>: <message>`."""
    for html in ((), ("--html", str(tmp_path / "out.html"))):
        code, out, err = view(capsys, path, *html)
        assert (code, out, err) == (2, "", f"hacheck view: error: {path}: {message}\n"), html
    assert not (tmp_path / "out.html").exists()


def write(tmp_path, document, name="t.itf.json") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


@pytest.mark.parametrize("value, message", [
    ({"#bigint": "abc"}, '{"#bigint": "abc"} is not an integer'),
    ({"#bigint": 5}, '{"#bigint": 5} is not an integer'),
    ({"#bigint": "1 "}, '{"#bigint": "1 "} is not an integer'),
    ({"#bigint": "1", "x": 2},
     '{"#bigint": "1", "x": 2} is not an ITF value (#bigint with other fields: ["x"])'),
    ({"#set": 5}, '{"#set": 5} is not a set (#set holds a list)'),
    ({"#tup": "ab"}, '{"#tup": "ab"} is not a tuple (#tup holds a list)'),
    ({"#map": 7}, '{"#map": 7} is not a map (#map holds a list of [key, value])'),
    ({"#unserializable": 7},
     '{"#unserializable": 7} is not an ITF value (#unserializable holds a string)'),
])
def test_a_malformed_value_is_one_line_naming_the_file_and_the_place(
        tmp_path, capsys, value, message):
    path = write(tmp_path, trace({3: {"own": value}}))
    assert_refused(capsys, path, tmp_path, f"states[3].own: {message}")


def test_the_place_of_a_malformed_value_deep_inside_a_state(tmp_path, capsys):
    message = {"t": "RES", "s": {"#bigint": "0"}, "n": {"#set": [{"#map": [[1]]}]}}
    path = write(tmp_path, trace({2: {"ch": {"0->1": [message], "my var": {"#tup": [1, {"#bigint": []}]}}}}))
    assert_refused(capsys, path, tmp_path,
                   'states[2].ch["0->1"][0].n.#set[0].#map[0]: [1] is not a map entry (a '
                   'list [key, value])')
    path = write(tmp_path, trace({2: {"my var": {"#tup": [1, {"#bigint": []}]}}}))
    assert_refused(capsys, path, tmp_path,
                   'states[2]["my var"].#tup[1]: {"#bigint": []} is not an integer')


def test_a_long_value_is_cut_in_the_message(tmp_path, capsys):
    path = write(tmp_path, trace({1: {"x": {"#bigint": "x" * 1000}}}))
    code, _, err = view(capsys, path)
    assert code == 2 and err.count("\n") == 1 and len(err) < 200 and "..." in err


@pytest.mark.parametrize("text, message", [
    ("", "not JSON (Expecting value: line 1 column 1 (char 0))"),
    ('{"states": [', "not JSON (Expecting value: line 1 column 13 (char 12))"),
    ('{"states": [{"x": NaN}]}', "NaN is not JSON"),
    ('{"states": [{"x": -Infinity}]}', "-Infinity is not JSON"),
    ('{"states": [{"x": 1e400}]}', "the number 1e400 is out of range"),
    ('{"states": [{"x": ' + "7" * 5000 + "}]}",
     'a number of 5,000 digits is out of range (ITF writes large integers as '
     '{"#bigint": "..."})'),
    ("[1, 2]", "not an ITF trace (expected an object with a non-empty list `states`)"),
    ('{"states": []}', "not an ITF trace (expected an object with a non-empty list `states`)"),
    ('{"states": {"0": {}}}', "not an ITF trace (expected an object with a non-empty list "
                              "`states`)"),
    ('{"states": [{}, "x"]}', 'states[1]: "x" is not a state (an object of variables)'),
])
def test_what_is_not_an_itf_trace(tmp_path, capsys, text, message):
    assert_refused(capsys, write(tmp_path, text), tmp_path, message)


def test_a_file_that_is_not_utf8(tmp_path, capsys):
    path = tmp_path / "t.itf.json"
    path.write_bytes(b'{"states": [{"x": "\xff"}]}')
    assert_refused(capsys, path, tmp_path, "not UTF-8 text ('utf-8' codec can't decode byte "
                                           "0xff in position 19: invalid start byte)")


def test_a_byte_order_mark_is_allowed(tmp_path, capsys):
    path = tmp_path / "t.itf.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(trace()).encode())
    assert view(capsys, path)[0] == 0


def test_nesting_too_deep_to_parse(tmp_path, capsys):
    path = write(tmp_path, '{"states": [{"x": ' + "[" * 100_000 + "]" * 100_000 + "}]}")
    assert_refused(capsys, path, tmp_path, "nested too deeply to read (the viewer reads at "
                                           "most 100 levels)")
    path = write(tmp_path, '{"states": [{"x": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000
                 + "}]}")
    assert_refused(capsys, path, tmp_path, "nested too deeply to read (the viewer reads at "
                                           "most 100 levels)")


def test_nesting_that_parses_but_is_deeper_than_the_viewer_reads(tmp_path, capsys):
    # deep enough for a recursive walk of the value to fail, were it tried
    for depth in (120, 600):
        deep = "[" * depth + "]" * depth
        path = write(tmp_path, '{"states": [{"ph": ["up"]}, {"x": ' + deep + "}]}")
        assert_refused(capsys, path, tmp_path,
                       "states[1] is nested more than 100 levels deep (the viewer reads at "
                       "most that)")
    # as deep as the viewer reads: shown
    deep = {"#bigint": "1"}
    for _ in range(90):
        deep = [deep]
    path = write(tmp_path, trace({1: {"x": deep}}))
    assert view(capsys, path)[0] == 0
    assert view(capsys, path, "--html", str(tmp_path / "deep.html"))[0] == 0


def test_a_directory_is_refused(tmp_path, capsys):
    assert_refused(capsys, tmp_path, tmp_path,
                   "not a regular file (a directory); a trace is a JSON file")


def test_a_missing_file(tmp_path, capsys):
    assert_refused(capsys, tmp_path / "none.itf.json", tmp_path, "no such file")
    assert_refused(capsys, tmp_path / "none" / "t.itf.json", tmp_path, "no such file")
    code, _, err = view(capsys, "t\x00.json")          # a name no system call takes
    assert (code, err) == (2, "hacheck view: error: 't\\x00.json': cannot read it (embedded "
                              "null byte)\n")
    code, _, err = view(capsys, "line\nbreak.json")     # the message stays one line
    assert (code, err) == (2, "hacheck view: error: 'line\\nbreak.json': no such file\n")


def _hacheck(*args, timeout=20) -> subprocess.CompletedProcess:
    """hacheck in a process of its own: what blocks is killed by the timeout."""
    return subprocess.run([sys.executable, "-c", "import sys; from hacheck.tools.cli import "
                           "main; sys.exit(main(sys.argv[1:]))", *args],
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "symlink to /dev/zero"])
def test_a_fifo_or_a_device_is_refused_without_reading_it(tmp_path, kind):
    if kind == "fifo":
        path, what = tmp_path / "t.itf.json", "a FIFO"
        os.mkfifo(path)           # no writer: opening it for reading would block
    elif kind == "/dev/zero":
        path, what = Path("/dev/zero"), "a character device"   # reading it never ends
    else:
        path, what = tmp_path / "z.itf.json", "a character device"
        path.symlink_to("/dev/zero")
    for html in ((), ("--html", str(tmp_path / "out.html"))):
        done = _hacheck("view", str(path), *html)
        assert (done.returncode, done.stdout) == (2, "")
        assert done.stderr == (f"hacheck view: error: {path}: not a regular file ({what}); "
                               "a trace is a JSON file\n")


def test_a_file_larger_than_the_limit_is_refused_unread(tmp_path, capsys):
    path = tmp_path / "big.itf.json"
    with open(path, "wb") as f:
        f.truncate(trace_file.MAX_BYTES + 1)          # sparse: nothing is written
    assert_refused(capsys, path, tmp_path,
                   f"too large ({trace_file.MAX_BYTES + 1:,} bytes; a trace file may have at "
                   "most 268,435,456 bytes (256 MiB))")


def test_reading_stops_at_the_limit_when_the_size_is_not_known(tmp_path, capsys, monkeypatch):
    # a /proc file is a regular file of size 0 whose content is made as it is read
    monkeypatch.setattr(trace_file, "MAX_BYTES", 64)
    path = Path("/proc/self/maps")
    assert_refused(capsys, path, tmp_path,
                   "too large (more than 64 bytes, the most a trace file may have)")


def test_a_trace_longer_than_the_viewer_shows(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(trace_view, "MAX_STATES", 3)
    assert_refused(capsys, write(tmp_path, trace()), tmp_path,
                   "too many states to show (4; the viewer shows at most 3)")


def test_meta_fields_of_the_wrong_type_are_notes(tmp_path, capsys):
    document = trace({2: {"#meta": {"action": ["X"], "action_name": 7, "node": "n1",
                                    "args": {"#set": 3}, "time": "noon"}},
                      3: {"#meta": {"node": 9, "time": True}}},
                     vars="ph", loop=17)
    document["#meta"] = {"property": 5, "verdict": ["VIOLATED"], "source": {"a": 1},
                         "explanation": None, "condition": {"#bigint": "1"}}
    path = write(tmp_path, document)
    code, out, err = view(capsys, path)
    assert code == 0 and err == ""
    assert out.startswith('5: ["VIOLATED"] ({"a": 1})\n')
    for note in ("`#meta.property` is not a string: shown as its JSON",
                 "`#meta.explanation` is null: ignored",
                 "states[2]: `#meta.action` is not a string: shown as its JSON",
                 "states[2]: `#meta.action_name` is not a string: ignored",
                 "states[2]: `#meta.node` is not a node number: ignored",
                 "states[2]: `#meta.args` is not a list of ITF values: ignored",
                 "states[2], states[3]: `#meta.time` is not a number of seconds: ignored",
                 "states[3]: `#meta.node` is not one of the 2 nodes: ignored",
                 "`vars` is not a list of names: ignored",
                 "`loop` is not the index of a state (17): ignored"):
        assert f"note: {note}\n" in out, note
    assert '["X"]' in out and 'possible when: {"#bigint": "1"}' in out
    page = tmp_path / "odd.html"
    code, _, err = view(capsys, path, "--html", str(page))
    assert code == 0 and "note: `#meta.property` is not a string" in err
    assert "<title>hacheck: 5: [&quot;VIOLATED&quot;]</title>" in page.read_text()
    document["#meta"] = "a string"
    document["states"][1]["#meta"] = 12
    code, out, _ = view(capsys, write(tmp_path, document))
    assert code == 0 and "note: `#meta` is not an object (\"a string\"): ignored" in out
    assert "note: states[1]: `#meta` is not an object: ignored" in out


def test_odd_but_readable_values_are_shown(tmp_path, capsys):
    # floats, nulls, maps with compound keys, a #bigint too long for int(), odd channels,
    # rstates and own values of any shape, nodes out of range
    odd = {"f": 1.5, "z": None, "m": {"#map": [[{"#tup": [1, 2]}, "x"], ["k", {"#set": []}]]},
           "huge": {"#bigint": "9" * 5000}, "u": {"#unserializable": "<fn>"},
           "rs": [["STABLE"], {"a": 1}], "own": ["all", {"#set": [{"#bigint": "1"}]}],
           "ch": {"0->1": [{"t": "RES", "st": [1], "n": {"x": 1}}], "-1->0": [],
                  "5->0": [{"t": 1}], "x": 3}}
    path = write(tmp_path, trace({0: odd, 1: dict(odd, ch={"0->1": 4}),
                                  2: {"ph": [], "huge": {"#bigint": "-" + "8" * 5000}}},
                                 loop=True))
    code, out, err = view(capsys, path)
    assert code == 0 and err == ""
    assert 'channel "-1->0" is not a list keyed by a pair of nodes' in out
    assert "`loop` is not the index of a state (true): ignored" in out
    assert f"huge: {'9' * 5000} -> -{'8' * 5000}" in " ".join(out.split())   # wrapped at spaces
    assert view(capsys, path, "--html", str(tmp_path / "odd.html"))[0] == 0


def test_too_many_nodes_to_draw(tmp_path, capsys):
    path = write(tmp_path, {"states": [{"ph": ["up"] * 1000}]})
    code, out, _ = view(capsys, path)
    assert code == 0 and "more nodes than the 64 the viewer draws as lanes" in out
    code, _, err = view(capsys, path, "--html", str(tmp_path / "many.html"))
    assert code == 2 and err.startswith("hacheck view: error: cannot draw this trace: ")
    assert err.count("\n") == 1


def test_lone_surrogates_and_control_characters(tmp_path, capsys):
    # JSON can spell a lone surrogate; it cannot be written as UTF-8, so it is replaced
    hostile = "\ud800 \x1b[2J\x1b]0;title\x07 \r\n \u202eevil"
    path = write(tmp_path, trace({3: {"#meta": {"action": hostile, "node": 1}, "x": hostile}},
                                 vars=["ph", hostile]))
    code, out, _ = view(capsys, path)
    assert code == 0
    assert "\x1b" not in out and "\r" not in out and "\u202e" not in out and "\ud800" not in out
    assert "\ufffd \\x1b[2J\\x1b]0;title\\x07 \\r\\n \\u202eevil" in out
    page = tmp_path / "s.html"
    assert view(capsys, path, "--html", str(page))[0] == 0
    assert "\ufffd" in page.read_text(encoding="utf-8")

