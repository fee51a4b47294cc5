"""A counterexample as the viewer sees it: read from an ITF file (hacheck's or another
tool's), with the messages of the `ch` queues followed from send to delivery.

The viewer needs nothing of the model: it reads the ITF states. What it can draw depends
on what the trace has; what it cannot draw is listed in `TraceView.problems`, in words.

- steps: each state's `#meta` (`action`, `node`, `time`); without `time`, steps are
  evenly spaced;
- lanes: one per node, from a per-node list variable `ph` (its length is the node count),
  with `rs` and `own` shown when present;
- messages: from a variable `ch` mapping "i->j" to the list of messages on the way from
  i to j. A message is sent at the step where it appears at the tail of its queue, and
  delivered at the DELIVER(i, j) step that removes it from the head; LOSE removes it
  without delivery, a crash or restart that empties the queue drops it.

A trace file is untrusted input. `load_trace` reads it through `tools.trace_file`: only
a regular file of at most MAX_BYTES, nested at most MAX_DEPTH deep, with every ITF value
checked. What is malformed
(`{"#bigint": "abc"}`, `{"#set": 5}`, a state that is not an object, ...) is a
TraceFileError of one line naming the file and the place in it; what is merely unusual
but can be shown (a `#meta` field of the wrong type, a node number out of range, ...) is
a note in `problems`. Every string of the view is valid Unicode (lone surrogates, which
JSON can spell, are replaced); the views escape them for their medium.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from hacheck.checker.trace import Variant
from hacheck.model.notation import ABSENT, STABILITY, flat_text, notation, short_label
from hacheck.tools.trace_file import (
    Malformed, TraceFileError, brief, clean, parse_json, plain, plain_record, read_bytes,
    shown,
)

MAX_STATES = 100_000        # a longer trace is refused (hacheck's are shortest runs)
MAX_LANES = 64              # more nodes than this are not drawn as lanes
MAX_PROBLEMS = 20           # notes shown; the rest are counted
META_TEXTS = ("property", "verdict", "description", "explanation", "condition", "source",
              "mode")        # the fields of the trace's `#meta` that the views show


# --- the view ---------------------------------------------------------------------------

@dataclass
class Step:
    index: int              # 0 is the initial state
    action: str             # "init" for the initial state
    name: str | None        # the action's name (DELIVER, ...), if the trace says
    node: int | None        # the node that takes it (>= 0), if the trace says
    args: list
    time: float | None
    state: dict
    changes: list = field(default_factory=list)   # (variable, old text, new text)
    flat: dict = field(default_factory=dict)      # variable (`ph[0]`, ...): its text


@dataclass
class Message:
    sender: int
    receiver: int
    label: str
    sent: int                      # step index
    end: int | None = None         # step index of its delivery, loss or drop
    fate: str = "in flight"        # delivered, lost, dropped, in flight


@dataclass
class TraceView:
    meta: dict              # the fields META_TEXTS of the trace's `#meta`, as strings
    variables: list
    steps: list
    nodes: int | None
    messages: list
    loop: int | None
    problems: list

    @property
    def timed(self) -> bool:
        return all(s.time is not None for s in self.steps[1:]) and len(self.steps) > 1

    @property
    def violating_step(self) -> int:
        """The step that breaks the property: the last one (a lasso's too: its loop is
        what breaks a liveness property, and it ends there)."""
        return len(self.steps) - 1

    @property
    def title(self) -> str:
        prop = self.meta.get("property")
        verdict = self.meta.get("verdict", "")
        return (f"{prop}: {verdict}" if prop else self.meta.get("description", "trace")).strip()


def load_trace(path: str | Path) -> TraceView:
    """The view of an ITF file; TraceFileError (one line, naming the file and the place in
    it) for a file it cannot use."""
    where = shown(path)
    document = parse_json(read_bytes(path), where)
    if not isinstance(document, dict) or not isinstance(document.get("states"), list) \
            or not document["states"]:
        raise TraceFileError(f"{where}: not an ITF trace (expected an object with a "
                             "non-empty list `states`)")
    if len(document["states"]) > MAX_STATES:
        raise TraceFileError(f"{where}: too many states to show ({len(document['states']):,}"
                             f"; the viewer shows at most {MAX_STATES:,})")
    try:
        return view_of(document)
    except TraceFileError as e:
        raise TraceFileError(f"{where}: {e}") from None


class _Notes:
    """Notes on unusual fields, one per kind of oddity, naming the first states."""

    def __init__(self):
        self.seen: dict[str, list[int]] = {}

    def add(self, what: str, index: int) -> None:
        self.seen.setdefault(what, []).append(index)

    def lines(self) -> list[str]:
        out = []
        for what, where in self.seen.items():
            first = ", ".join(f"states[{i}]" for i in where[:3])
            more = f" and {len(where) - 3} more" if len(where) > 3 else ""
            out.append(f"{first}{more}: {what}")
        return out


def _meta_texts(meta, problems: list) -> dict:
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        problems.append(f"`#meta` is not an object ({brief(meta, 40)}): ignored")
        return {}
    out = {}
    for key in META_TEXTS:
        value = meta.get(key)
        if value is None:
            if key in meta:
                problems.append(f"`#meta.{key}` is null: ignored")
            continue
        if isinstance(value, str):
            out[key] = clean(value)
        else:
            problems.append(f"`#meta.{key}` is not a string: shown as its JSON")
            out[key] = brief(value, 200)
    return out


def _step_meta(record: dict, index: int, notes: _Notes) -> tuple:
    """(action, name, node, args, time) of a state's `#meta`; odd fields are notes."""
    default = "init" if index == 0 else f"step {index}"
    m = record.get("#meta")
    if m is None:
        return default, None, None, [], None
    if not isinstance(m, dict):
        notes.add("`#meta` is not an object: ignored", index)
        return default, None, None, [], None
    action = m.get("action", default)
    if not isinstance(action, str):
        notes.add("`#meta.action` is not a string: shown as its JSON", index)
        action = brief(action, 200)
    name = m.get("action_name")
    if name is not None and not isinstance(name, str):
        notes.add("`#meta.action_name` is not a string: ignored", index)
        name = None
    node = m.get("node")
    if node is not None and not (type(node) is int and node >= 0):
        notes.add("`#meta.node` is not a node number: ignored", index)
        node = None
    args = m.get("args", [])
    try:
        args = plain(args) if isinstance(args, list) else None
    except Malformed:
        args = None
    if args is None:
        notes.add("`#meta.args` is not a list of ITF values: ignored", index)
        args = []
    time = m.get("time")
    if time is not None:
        if isinstance(time, (int, float)) and not isinstance(time, bool) \
                and abs(time) < 1e15:
            time = float(time)
        else:
            notes.add("`#meta.time` is not a number of seconds: ignored", index)
            time = None
    return clean(action), clean(name) if name else None, node, args, time


def view_of(document: dict) -> TraceView:
    problems = []
    meta = _meta_texts(document.get("#meta"), problems)
    notes = _Notes()
    steps = []
    for index, record in enumerate(document["states"]):
        if not isinstance(record, dict):
            raise TraceFileError(f"states[{index}]: {brief(record, 40)} is not a state (an "
                                 "object of variables)")
        try:
            state = _old_messages(plain_record(record))
        except Malformed as e:
            raise TraceFileError(f"{e.where(f'states[{index}]')}: {e.message}") from None
        steps.append(Step(index, *_step_meta(record, index, notes), state))
    for step in steps:
        step.flat = flat_state(step.state)
    for before, step in zip(steps, steps[1:]):
        step.changes = _diff(before.flat, step.flat)
    variables = document.get("vars")
    if variables is not None and not (isinstance(variables, list)
                                      and all(isinstance(v, str) for v in variables)):
        problems.append("`vars` is not a list of names: ignored")
        variables = None
    variables = [clean(v) for v in variables] if variables else list(steps[0].state)
    if len(steps) > 1 and any(s.time is None for s in steps[1:]):
        problems.append("the trace has no timestamps (an untimed trace): steps are drawn "
                        "evenly spaced, not to a time axis")
    ph = steps[0].state.get("ph")
    nodes = len(ph) if isinstance(ph, list) and ph else None
    if nodes is None:
        problems.append("no per-node variable `ph`: nodes cannot be drawn as lanes")
    elif nodes > MAX_LANES:
        problems.append(f"`ph` has {nodes} entries: more nodes than the {MAX_LANES} the "
                        "viewer draws as lanes")
        nodes = None
    if nodes is not None:
        for step in steps:
            if step.node is not None and step.node >= nodes:
                notes.add(f"`#meta.node` is not one of the {nodes} nodes: ignored",
                          step.index)
                step.node = None
    problems += notes.lines()
    messages = []
    if "ch" in steps[0].state and isinstance(steps[0].state["ch"], dict):
        messages = follow_messages(steps, problems)
    else:
        problems.append("no variable `ch` of channels: messages cannot be drawn")
    loop = document.get("loop")
    if loop is not None and not (type(loop) is int and 0 <= loop < len(steps)):
        problems.append(f"`loop` is not the index of a state ({brief(loop, 40)}): ignored")
        loop = None
    if len(problems) > MAX_PROBLEMS:
        problems[MAX_PROBLEMS:] = [f"and {len(problems) - MAX_PROBLEMS} more notes"]
    return TraceView(meta, variables, steps, nodes, messages, loop, problems)


def old_message(value):
    """A message of the ITF files hacheck wrote before ADR-015 types ({"t": "RES", "s": 0,
    "n": "local", "st": 1 or "absent", "md": 0}) as the variant it writes now; any other
    value as it is."""
    if not (isinstance(value, dict) and isinstance(value.get("t"), str)):
        return value
    fields = {k: v for k, v in value.items() if k != "t"}
    if "st" in fields:
        st = fields["st"]
        fields["st"] = STABILITY.get(st, ABSENT) if type(st) is int else ABSENT
    return Variant(value["t"], fields)


def _old_messages(state: dict) -> dict:
    """Old files: their messages, in `ch` and `selfq`, as variants."""
    for name in ("ch", "selfq"):
        value = state.get(name)
        if isinstance(value, dict):
            state[name] = {k: [old_message(m) for m in q] if isinstance(q, list) else q
                           for k, q in value.items()}
        elif isinstance(value, list):
            state[name] = [[old_message(m) for m in q] if isinstance(q, list) else q
                           for q in value]
    return state


def flat_state(state: dict) -> dict:
    """Every variable's text, split by node, group or pair (`model.notation`)."""
    return flat_text(state)


def _diff(old: dict, new: dict) -> list:
    return [(k, old.get(k, "-"), v) for k, v in new.items() if old.get(k) != v]


def changes(before: dict, after: dict) -> list:
    return _diff(flat_state(before), flat_state(after))


# a node's number in a key: ASCII digits (str.isdigit also takes '¹'), few enough for
# int(), which refuses more than 4,300 (a trace is untrusted input)
NODE_NUMBER = "[0-9]{1,9}"
_CHANNEL = re.compile(f"({NODE_NUMBER})->({NODE_NUMBER})")


def _channel(key):
    """(i, j) of a channel: the key (i, j) of the map `ch` (node numbers, >= 0), or in an
    old file the name "i->j"; None for anything else."""
    if isinstance(key, tuple) and len(key) == 2 and all(
            type(x) is int and 0 <= x < 10 ** 9 for x in key):
        return key
    match = _CHANNEL.fullmatch(key) if isinstance(key, str) else None
    return (int(match[1]), int(match[2])) if match else None


def _labels(queue: list) -> list[str]:
    return [short_label(m) if isinstance(m, Variant) else notation(m) for m in queue]


def follow_messages(steps: list, problems: list) -> list:
    """Every message of the `ch` queues, from the step that sent it to the step that
    delivered, lost or dropped it."""
    messages = []
    queues = {}
    for key, content in steps[0].state["ch"].items():
        pair = _channel(key)
        if pair is None or not isinstance(content, list):
            problems.append(f"channel {brief(key, 40)} is not a list keyed by a pair of "
                            "nodes: its messages are not drawn")
            continue
        queues[key] = [Message(*pair, label, 0) for label in _labels(content)]
        messages += queues[key]
    for step in steps[1:]:
        channels = step.state.get("ch")
        for key, content in (channels.items() if isinstance(channels, dict) else ()):
            if key not in queues:
                continue
            if not isinstance(content, list):
                problems.append(f"step {step.index}: channel {brief(key, 40)} is not a list; "
                                "its messages are not drawn from here on")
                del queues[key]
                continue
            pending = queues[key]
            labels = _labels(content)
            here = step.args == list(_channel(key)) if step.args else False
            if here and step.name in ("DELIVER", "LOSE") and pending:
                head = pending.pop(0)
                head.end, head.fate = step.index, "delivered" if step.name == "DELIVER" else "lost"
            old = [m.label for m in pending]
            if labels[:len(old)] == old:
                fresh = labels[len(old):]
            elif not labels:
                for m in pending:
                    m.end, m.fate = step.index, "dropped"
                pending.clear()
                fresh = []
            elif here and step.name == "DUPLICATE" and labels == old[:1] + old:
                copy = Message(pending[0].sender, pending[0].receiver, pending[0].label,
                               pending[0].sent)
                pending.insert(1, copy)
                messages.append(copy)
                fresh = []
            else:
                problems.append(f"step {step.index}: queue {brief(key, 40)} changed in a way "
                                "the viewer cannot follow; its messages are drawn from here on")
                for m in pending:
                    m.end, m.fate = step.index, "dropped"
                pending.clear()
                fresh = labels
            sender, receiver = _channel(key)
            for label in fresh:
                m = Message(sender, receiver, label, step.index)
                pending.append(m)
                messages.append(m)
    return messages
