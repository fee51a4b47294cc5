"""Generated spec files and gate configurations never reach a traceback (Hypothesis).

Whatever the document, `hacheck SPEC` ends with a verdict (0, 3, 12, 13) or with exactly
one line on stderr and exit code 2; so does `hacheck gate --config FILE`. The documents
are of three kinds: random text, random TOML built from the keys the readers know (with
values of any type, in range or not), and shipped files with one value replaced.

The gate's runs themselves are the gate tests' business (each is a real check of a
second or more); here the gate is run up to the point where its configuration, its
specs and its expectations have all been read, and `run_gate` then returns no
outcomes, so that 500 configurations take seconds.
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hacheck.model.spec import KEYS, shipped_specs
from hacheck.tools.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = settings(max_examples=500, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


# --- writing TOML (tomllib only reads it) ----------------------------------------------------

def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def toml_document(document: dict) -> str:
    lines = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in document.items()
             if not (isinstance(v, dict) and v.get("__table__"))]
    for name, table in document.items():
        if isinstance(table, dict) and table.get("__table__"):
            lines.append(f"[{json.dumps(name)}]")
            lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in table.items()
                      if k != "__table__"]
    return "\n".join(lines) + "\n"


scalars = st.one_of(st.booleans(), st.integers(-3, 12), st.integers(),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from(["", "1.51", "1.65", "off", "split", "combined", "race",
                                     "gated", "sequenced", "unsequenced", "one-per-node",
                                     "untimed", "timed", "quick", "full"]),
                    st.text(max_size=8))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6)


def keys_of(known: list[str]):
    """A dotted key: mostly one the reader knows, sometimes not."""
    return st.one_of(st.sampled_from(known), st.sampled_from(known),
                     st.text(min_size=1, max_size=6))


def plausible(key) -> st.SearchStrategy:
    """A value of the kind the key declares (in range, mostly), so that many documents
    are valid and reach a search."""
    from hacheck.checker.schema import Choice, Flag, Number, Text, Whole
    kind = key.kind
    if key.name == "cluster.nodes":
        return st.integers(1, 3)
    if key.name == "cluster.home":
        return st.one_of(st.just("one-per-node"), st.lists(st.integers(0, 2), max_size=3))
    if isinstance(kind, Whole):
        return st.integers(kind.lo, min(kind.hi, kind.lo + 3))
    if isinstance(kind, Choice):
        return st.sampled_from(kind.values)
    if isinstance(kind, Flag):
        return st.booleans()
    if isinstance(kind, Number):
        return st.one_of(st.just(float(key.default)),
                         st.floats(kind.lo, min(kind.hi, 30.0)))
    if isinstance(kind, Text):
        return st.text(max_size=10)
    return values


@st.composite
def spec_documents(draw) -> str:
    kind = draw(st.sampled_from(["text", "keys", "shipped", "valid keys"]))
    declared = {k.name: k for k in KEYS}
    if kind == "text":
        return draw(st.text(max_size=200))
    if kind == "shipped":
        name = draw(st.sampled_from(shipped_specs()))
        document = tomllib.loads((ROOT / "specs" / f"{name}.toml").read_text())
        key = draw(st.sampled_from(list(declared)))
        table, _, leaf = key.rpartition(".")
        target = document.setdefault(table, {}) if table else document
        target[leaf] = draw(st.one_of(values, plausible(declared[key])))
    else:   # "valid keys": only declared keys, with values of their kind (in range, mostly)
        document = {}
        names = st.sampled_from(list(declared)) if kind == "valid keys" else keys_of(list(declared))
        for key in draw(st.lists(names, min_size=1, max_size=8)):
            table, _, leaf = key.rpartition(".")
            value = draw(plausible(declared[key]) if key in declared and (
                kind == "valid keys" or draw(st.integers(0, 4))) else values)
            if table:
                document.setdefault(table, {})
                if isinstance(document[table], dict):
                    document[table][leaf] = value
            else:
                document[leaf] = value
        if draw(st.booleans()):   # keep the runs small
            document.setdefault("cluster", {})
            if isinstance(document["cluster"], dict):
                document["cluster"]["nodes"] = draw(st.integers(1, 3))
    for value in document.values():
        if isinstance(value, dict):
            value["__table__"] = True
    return toml_document(document)


def outcome(capsys, code: int, prefix: str) -> None:
    event(f"exit code {code}")
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if code == 2:
        assert err.count("\n") == 1 and err.startswith(prefix), err
    else:
        assert code in (0, 3, 4, 12, 13), (code, out, err)


@EXAMPLES
@given(text=spec_documents())
def test_any_spec_document_gives_a_verdict_or_one_line(tmp_path, capsys, text):
    path = tmp_path / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    code = main([str(path), "--untimed", "--max-states", "30", "-q", "--trace-out",
                 str(tmp_path / "t.itf.json")])
    outcome(capsys, code, "hacheck: error: ")


RUN_KEYS = ["spec", "nodes", "mode", "tier", "time_limit"]


@st.composite
def gate_documents(draw) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=200))
    lines = []
    if draw(st.booleans()):
        lines.append(f"expectations = {toml_value(draw(st.one_of(values, st.just('expected'))))}")
    for key in draw(st.lists(st.text(min_size=1, max_size=5), max_size=1)):
        lines.append(f"{json.dumps(key)} = {toml_value(draw(values))}")
    for _ in range(draw(st.integers(0, 3))):
        lines.append("[[run]]")
        for key in draw(st.lists(keys_of(RUN_KEYS), max_size=5, unique=True)):
            likely = {"spec": st.sampled_from(["heartbeat-1.51", "no-such", "spec.toml"]),
                      "nodes": st.integers(0, 9), "mode": st.sampled_from(["untimed", "timed"]),
                      "tier": st.sampled_from(["quick", "full", "slow"]),
                      "time_limit": st.floats(allow_nan=True)}.get(key, values)
            value = draw(likely if draw(st.integers(0, 3)) else values)
            lines.append(f"{json.dumps(key)} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


@EXAMPLES
@given(text=gate_documents(), expectation=st.one_of(st.none(), st.text(max_size=50),
                                                    values.map(json.dumps)))
def test_any_gate_configuration_gives_a_result_or_one_line(tmp_path, capsys, monkeypatch,
                                                           text, expectation):
    import hacheck.tools.gate as gate
    monkeypatch.setattr(gate, "run_gate", lambda *args, **kwargs: [])
    (tmp_path / "spec.toml").write_text("[cluster]\nnodes = 1\n")
    expected = tmp_path / "expected"
    expected.mkdir(exist_ok=True)
    for name in ("heartbeat-1.51-n2-untimed.json", "spec-n2-untimed.json"):
        if expectation is None:
            (expected / name).unlink(missing_ok=True)
        else:
            (expected / name).write_text(expectation)
    path = tmp_path / "gate.toml"
    path.write_text(text, encoding="utf-8")
    code = main(["gate", "--config", str(path), "--out", str(tmp_path / "report")])
    outcome(capsys, code, "hacheck gate: error: ")
