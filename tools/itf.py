"""Traces as ITF, the Informal Trace Format of Apalache and Quint (`*.itf.json`).

Integers are written as {"#bigint": "..."}, lists as JSON arrays, records as objects; each
state's `#meta` records its index and the action that led to it.
"""

from __future__ import annotations

import json
from pathlib import Path


def itf_value(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return {"#bigint": str(value)}
    if isinstance(value, (list, tuple)):
        return [itf_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): itf_value(v) for k, v in value.items()}
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
