"""What the readers of ITF expect of a trace file, checked on every trace the tests write.

- `itf-py` (PyPI, the Python reader of Apalache and Quint traces) loads the document and
  writes it back to the same values (`round_trips`);
- every variable has one type in every state, and so does every element of a list, a set
  or a map, every field of a record and the value of each tag of a variant, as a typed
  reader (Quint's) requires (`one_type_per_field`).
"""

from __future__ import annotations

import itf_py


def round_trips(document: dict) -> None:
    trace = itf_py.trace_from_json(document)
    again = itf_py.trace_from_json(itf_py.trace_to_json(trace))
    assert again == trace, "itf-py does not write the trace back to the same values"
    assert len(trace.states) == len(document["states"])
    if document.get("loop") is not None:     # a lasso returns to states[loop]
        assert trace.states[-1].values == trace.states[document["loop"]].values


# --- types ------------------------------------------------------------------------------------

ANY = "?"     # the element type of an empty list, set or map: fits every type


def type_of(value):
    """The ITF type of a JSON value, as a hashable description."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (int, float)):
        raise AssertionError(f"a bare number {value!r}: ITF writes integers as #bigint")
    if isinstance(value, list):
        return ("list", unify_all(type_of(v) for v in value))
    assert isinstance(value, dict), value
    if set(value) == {"#bigint"}:
        return "int"
    if set(value) == {"#tup"}:
        return ("tup", tuple(type_of(v) for v in value["#tup"]))
    if set(value) == {"#set"}:
        return ("set", unify_all(type_of(v) for v in value["#set"]))
    if set(value) == {"#map"}:
        return ("map", unify_all(type_of(k) for k, _ in value["#map"]),
                unify_all(type_of(v) for _, v in value["#map"]))
    if set(value) == {"tag", "value"}:
        return ("variant", ((value["tag"], type_of(value["value"])),))
    return ("record", tuple(sorted((k, type_of(v)) for k, v in value.items())))


def unify(a, b):
    """The common type of a and b; AssertionError if they have none."""
    if a == ANY:
        return b
    if b == ANY or a == b:
        return a
    assert isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0], (a, b)
    kind = a[0]
    if kind in ("list", "set"):
        return (kind, unify(a[1], b[1]))
    if kind == "map":
        return ("map", unify(a[1], b[1]), unify(a[2], b[2]))
    if kind == "tup":
        assert len(a[1]) == len(b[1]), (a, b)
        return ("tup", tuple(unify(x, y) for x, y in zip(a[1], b[1])))
    if kind == "record":
        assert [k for k, _ in a[1]] == [k for k, _ in b[1]], f"records with other fields: {a} {b}"
        return ("record", tuple((k, unify(x, y)) for (k, x), (_, y) in zip(a[1], b[1])))
    if kind == "variant":       # each tag keeps one value type
        tags = dict(a[1])
        for tag, t in b[1]:
            tags[tag] = unify(tags[tag], t) if tag in tags else t
        return ("variant", tuple(sorted(tags.items())))
    raise AssertionError((a, b))


def unify_all(types):
    out = ANY
    for t in types:
        out = unify(out, t)
    return out


def one_type_per_field(document: dict) -> dict:
    """Each variable's type across all states (AssertionError naming the variable if one
    has two)."""
    types = {}
    for index, state in enumerate(document["states"]):
        for name, value in state.items():
            if name == "#meta":
                continue
            try:
                types[name] = unify(types.get(name, ANY), type_of(value))
            except AssertionError as e:
                raise AssertionError(f"states[{index}].{name} has another type than before: "
                                     f"{e}") from None
    assert set(types) == set(document["vars"]), "the variables are not `vars`"
    return types


def check(document: dict) -> None:
    one_type_per_field(document)
    round_trips(document)
