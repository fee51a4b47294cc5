"""checker/schema.py at its edges: the bounds, the kinds and the file checks that the
end-to-end tests (a spec or a gate configuration read through the CLI) reach only from
one side. Each test here was written against a mutant that the other tests let live
(MUTATION.md); all of them call the schema directly and take milliseconds."""

from __future__ import annotations

import os
from fractions import Fraction

import pytest

from hacheck.checker.schema import (
    Choice, ConfigError, Flag, Key, Number, Text, Whole, key_name, read_file, read_table,
    read_toml, show,
)


# --- kinds: both ends of a range are inside it ------------------------------------------------

def test_a_whole_number_at_either_bound_is_accepted_and_one_past_it_is_not():
    kind = Whole(1, 8)
    assert kind.check(1) == 1 and kind.check(8) == 8
    for bad in (0, 9, True, 2.0):
        with pytest.raises(ValueError, match="a whole number from 1 to 8"):
            kind.check(bad)


def test_a_number_at_either_bound_is_accepted_unless_the_low_bound_is_excluded():
    closed = Number(0, 10, "seconds")
    assert closed.check(0) == 0 and closed.check(10) == 10 and closed.check(2.5) == 2.5
    for bad in (-0.001, 10.001, float("nan"), float("inf"), "1", True):
        with pytest.raises(ValueError):
            closed.check(bad)
    above = Number(0, 10, "seconds", above=True)
    assert above.check(10) == 10 and above.check(0.001) == 0.001
    with pytest.raises(ValueError, match="> 0 and at most 10"):
        above.check(0)
    assert closed.expected == "a number of seconds from 0 to 10"


def test_an_exact_number_is_a_fraction_and_its_step_is_enforced():
    kind = Number(0, 10, "seconds", exact=True, denominator=4)
    assert kind.check(2.25) == Fraction(9, 4) and type(kind.check(2.25)) is Fraction
    assert kind.check(3) == Fraction(3) and type(kind.check(3)) is Fraction
    with pytest.raises(ValueError, match="a multiple of 0.25 seconds"):
        kind.check(0.1)
    assert Number(0, 10, exact=True).check(0.1) == Fraction(1, 10)   # no step: any value
    assert Number(0, 10).check(0.5) == 0.5 and type(Number(0, 10).check(0.5)) is float


def test_a_choice_compares_types_and_maps_each_value_to_what_it_stands_for():
    kind = Choice((False, True, "off"), ("no", "yes", "no"))
    assert kind.check(True) == "yes" and kind.check(False) == "no" and kind.check("off") == "no"
    with pytest.raises(ValueError):
        kind.check(1)          # true is not 1
    with pytest.raises(ValueError):
        kind.check(0)
    plain = Choice(("a", "b"), note="letters")
    assert plain.check("b") == "b"
    assert plain.expected == '"a" or "b" (letters)'
    assert Choice(("a",), text="the letter a").expected == "the letter a"


def test_flags_and_texts_take_only_their_own_type():
    assert Flag().check(False) is False and Flag().check(True) is True
    with pytest.raises(ValueError, match="true or false"):
        Flag().check(0)
    assert Text().check("") == ""
    with pytest.raises(ValueError, match="a path"):
        Text("a path").check(3)


# --- how values and keys are shown ------------------------------------------------------------

def test_a_long_value_is_cut_to_240_characters_and_a_key_is_quoted_only_when_it_must_be():
    assert show("x" * 238) == '"' + "x" * 238 + '"'            # 240: shown whole
    cut = show("x" * 300)
    assert len(cut) == 240 and cut.endswith("...")
    assert key_name("a_b-c1") == "a_b-c1"
    assert key_name("a b") == '"a b"' and key_name("") == '""' and key_name("é") == '"é"'


# --- tables --------------------------------------------------------------------------------

KEYS = (Key("top", Whole(0, 5), 1), Key("t.leaf", Flag(), False), Key("t.u.deep", Text(), "d"))


def test_a_table_gets_defaults_for_absent_keys_and_reaches_nested_tables():
    assert read_table({}, KEYS, "f") == {"top": 1, "t.leaf": False, "t.u.deep": "d"}
    got = read_table({"top": 5, "t": {"leaf": True, "u": {"deep": "x"}}}, KEYS, "f")
    assert got == {"top": 5, "t.leaf": True, "t.u.deep": "x"}


@pytest.mark.parametrize("document, key, words", [
    ({"t": 3}, "t", "expected a table, got 3"),
    ({"t": {"u": []}}, "t.u", "expected a table"),
    ({"t": {"nope": 1}}, "t.nope", "unknown key (value 1); expected one of: leaf, u"),
    ({"top": 6}, "top", "expected a whole number from 0 to 5, got 6"),
    ({"leaf": True}, "leaf", "expected one of: t, top"),      # a nested key at the top
])
def test_a_bad_table_names_the_dotted_key_and_what_was_expected(document, key, words):
    with pytest.raises(ConfigError) as e:
        read_table(document, KEYS, "f.toml", prefix="run[0].")
    assert str(e.value).startswith(f"f.toml: run[0].{key}: ") and words in str(e.value)
    assert e.value.key == f"run[0].{key}"


# --- files ---------------------------------------------------------------------------------

def test_a_file_at_the_size_limit_is_read_and_one_byte_more_is_refused(tmp_path):
    path = tmp_path / "c.toml"
    path.write_bytes(b"a" * 10)
    assert read_file(path, "c", "config", limit=10) == "a" * 10
    with pytest.raises(ConfigError, match="is 10 bytes, larger than a config may be"):
        read_file(path, "c", "config", limit=9)


def test_a_missing_file_a_directory_and_bad_utf8_are_each_named(tmp_path):
    with pytest.raises(ConfigError, match="no such config"):
        read_file(tmp_path / "absent", "c", "config")
    with pytest.raises(ConfigError, match="is a directory, not a config"):
        read_file(tmp_path, "c", "config")
    bad = tmp_path / "bad"
    bad.write_bytes(b"ab\xff")
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 2\)"):
        read_file(bad, "c", "config")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        read_file(fifo, "c", "config")


def test_a_toml_file_is_parsed_and_bad_toml_is_one_line(tmp_path):
    good = tmp_path / "g.toml"
    good.write_text('a = 1\n[t]\nb = "x"\n')
    assert read_toml(good, "g", "config") == {"a": 1, "t": {"b": "x"}}
    bad = tmp_path / "b.toml"
    bad.write_text("a = \n")
    with pytest.raises(ConfigError, match="^b: not valid TOML"):
        read_toml(bad, "b", "config")


def test_a_config_error_without_a_key_or_a_value_says_only_the_expectation():
    assert str(ConfigError("f", None, None, "no such file", has_value=False)) == "f: no such file"
    assert str(ConfigError("f", "k", [1], "a table")) == "f: k: expected a table, got [1]"
    assert str(ConfigError("f", "k", "a\nb", "x")) == 'f: k: expected x, got "a\\nb"'
