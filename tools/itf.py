"""Traces as ITF, the Informal Trace Format of Apalache and Quint (`*.itf.json`, ADR-015:
https://apalache-mc.org/docs/adr/015adr-trace.html).

The file's types follow the typed values of a state (`checker.trace`): integers as
{"#bigint": "..."}, sequences as JSON arrays, tuples as {"#tup": [...]}, sets as
{"#set": [...]} (members in a fixed order), records as objects, maps with other keys
as {"#map": [[key, value], ...]}, and a case of a sum type as {"tag": ..., "value": ...}
(a case with no value has the empty tuple). Every field has one type across states, as
Quint and itf-py expect. Each state's `#meta` records its index and the action that led
to it (and, in a timed trace, its timestamp). In a lasso, `loop` is the index of the
state the run returns to: the last state of `states` equals `states[loop]`.
"""

from __future__ import annotations

import json
from pathlib import Path

from hacheck.checker.trace import Variant


def itf_value(value):
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, int):
        return {"#bigint": str(value)}
    if isinstance(value, Variant):
        return {"tag": value.tag, "value": itf_value(value.value)}
    if isinstance(value, list):
        return [itf_value(v) for v in value]
    if isinstance(value, tuple):
        return {"#tup": [itf_value(v) for v in value]}
    if isinstance(value, frozenset):
        try:
            members = sorted(value)
        except TypeError:           # members of several types: any fixed order will do
            members = sorted(value, key=lambda v: json.dumps(itf_value(v), sort_keys=True))
        return {"#set": [itf_value(v) for v in members]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: itf_value(v) for k, v in value.items()}
        return {"#map": [[itf_value(k), itf_value(v)] for k, v in value.items()]}
    raise TypeError(f"cannot write {value!r} to ITF")


def trace_to_itf(trace, variables, describe_action, meta: dict, times=None) -> dict:
    """`variables(state)` gives the plain values of a state; `describe_action(before, action)`
    the text of an action; `times`, for a timed trace, each step's timestamp (seconds since
    the first action), written to the state's `#meta` as `time` (a number) and
    `time_exact` (a fraction)."""
    states = [trace.initial] + [step.state for step in trace.steps]
    actions = [None] + [step.action for step in trace.steps]
    records = []
    for index, (state, action) in enumerate(zip(states, actions)):
        record_meta = {"index": index}
        if action is not None:
            record_meta["action"] = describe_action(states[index - 1], action)
            record_meta["action_name"] = action.name
            record_meta["node"] = action.node
            record_meta["args"] = list(action.args)
            if times is not None:
                record_meta["time"] = float(times[index - 1])
                record_meta["time_exact"] = str(times[index - 1])
        else:
            record_meta["action"] = "init"
        record = {"#meta": record_meta}
        record.update({k: itf_value(v) for k, v in variables(state).items()})
        records.append(record)
    names = list(variables(trace.initial))
    return {"#meta": {"format": "ITF",
                      "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
                      **meta},
            "vars": names, "states": records}


def write_itf(path: str | Path, document: dict) -> None:
    Path(path).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
