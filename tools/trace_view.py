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
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


class TraceFileError(ValueError):
    """A file that is not an ITF trace."""


def plain(value):
    """An ITF value as plain Python: big integers as int, sets and tuples as lists, maps
    as dicts."""
    if isinstance(value, dict):
        if "#bigint" in value:
            return int(value["#bigint"])
        if "#set" in value:
            return [plain(v) for v in value["#set"]]
        if "#tup" in value:
            return [plain(v) for v in value["#tup"]]
        if "#map" in value:
            return {json.dumps(plain(k)) if not isinstance(plain(k), str) else plain(k): plain(v)
                    for k, v in value["#map"]}
        return {k: plain(v) for k, v in value.items() if k != "#meta"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@dataclass
class Step:
    index: int              # 0 is the initial state
    action: str             # "init" for the initial state
    name: str | None        # the action's name (DELIVER, ...), if the trace says
    node: int | None        # the node that takes it, if the trace says
    args: list
    time: float | None
    state: dict
    changes: list = field(default_factory=list)   # (variable, old text, new text)


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
    meta: dict
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
    where = str(path)
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TraceFileError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise TraceFileError(f"{where}: cannot read it ({e})") from None
    except json.JSONDecodeError as e:
        raise TraceFileError(f"{where}: not JSON ({e})") from None
    if not isinstance(document, dict) or not isinstance(document.get("states"), list) \
            or not document["states"]:
        raise TraceFileError(f"{where}: not an ITF trace (expected an object with a "
                             "non-empty list `states`)")
    try:
        return view_of(document)
    except TraceFileError as e:
        raise TraceFileError(f"{where}: {e}") from None


def view_of(document: dict) -> TraceView:
    meta = document.get("#meta", {}) if isinstance(document.get("#meta"), dict) else {}
    problems = []
    steps = []
    for index, record in enumerate(document["states"]):
        if not isinstance(record, dict):
            raise TraceFileError(f"state {index} is not an object")
        m = record.get("#meta", {}) if isinstance(record.get("#meta"), dict) else {}
        state = plain({k: v for k, v in record.items() if k != "#meta"})
        time = m.get("time")
        name, node, args = m.get("action_name"), m.get("node"), m.get("args")
        steps.append(Step(index, str(m.get("action", "init" if index == 0 else f"step {index}")),
                          name if isinstance(name, str) else None,
                          node if type(node) is int else None,
                          args if isinstance(args, list) else [],
                          float(time) if isinstance(time, (int, float)) else None, state))
    for before, step in zip(steps, steps[1:]):
        step.changes = changes(before.state, step.state)
    variables = document.get("vars") or list(steps[0].state)
    if len(steps) > 1 and any(s.time is None for s in steps[1:]):
        problems.append("the trace has no timestamps (an untimed trace): steps are drawn "
                        "evenly spaced, not to a time axis")
    ph = steps[0].state.get("ph")
    nodes = len(ph) if isinstance(ph, list) else None
    if nodes is None:
        problems.append("no per-node variable `ph`: nodes cannot be drawn as lanes")
    messages = []
    if "ch" in steps[0].state and isinstance(steps[0].state["ch"], dict):
        messages = follow_messages(steps, problems)
    else:
        problems.append("no variable `ch` of channels: messages cannot be drawn")
    loop = document.get("loop")
    return TraceView(meta, variables, steps, nodes, messages,
                     loop if isinstance(loop, int) else None, problems)


def flatten(value, prefix: str, out: dict) -> None:
    if isinstance(value, dict) and value and not {"t", "s"} <= set(value):
        for k, v in value.items():
            flatten(v, f"{prefix}[{k}]", out)
    elif isinstance(value, list) and value and all(isinstance(v, (list, dict, int, str, bool))
                                                   for v in value) \
            and not all(isinstance(v, dict) and "t" in v for v in value) \
            and prefix.count("[") == 0:
        for k, v in enumerate(value):
            flatten(v, f"{prefix}[{k}]", out)
    else:
        out[prefix] = text(value)


def text(value) -> str:
    if isinstance(value, dict) and "t" in value:
        return message_label(value)
    if isinstance(value, list):
        return "[" + ", ".join(text(v) for v in value) + "]"
    return str(value)


def changes(before: dict, after: dict) -> list:
    old, new = {}, {}
    for name, value in before.items():
        flatten(value, name, old)
    for name, value in after.items():
        flatten(value, name, new)
    return [(k, old.get(k, "-"), v) for k, v in new.items() if old.get(k) != v]


def message_label(m: dict) -> str:
    """`STARTING`, `RES local stable`, `IPREQ g1`, `IPRESP g1 to 0`; other tools'
    messages as their JSON."""
    kind = m.get("t")
    if kind == "STARTING":
        return "STARTING"
    if kind == "RES":
        st = m.get("st")
        flag = {1: " stable", 0: " unstable"}.get(st, "")
        return f"RES {m.get('n')}{flag}{' mach_down' if m.get('md') else ''}"
    if kind == "IPREQ":
        return f"IPREQ g{m.get('g')}"
    if kind == "IPRESP":
        return f"IPRESP g{m.get('g')} to {m.get('d')}"
    return json.dumps({k: v for k, v in m.items() if k != "s"})


def _channel(key: str):
    try:
        i, j = key.split("->")
        return int(i), int(j)
    except ValueError:
        return None


def _labels(queue: list) -> list[str]:
    return [message_label(m) if isinstance(m, dict) else text(m) for m in queue]


def follow_messages(steps: list, problems: list) -> list:
    """Every message of the `ch` queues, from the step that sent it to the step that
    delivered, lost or dropped it."""
    messages = []
    queues = {}
    for key, content in steps[0].state["ch"].items():
        pair = _channel(key)
        if pair is None or not isinstance(content, list):
            problems.append(f"channel {key!r} is not a list named `i->j`: its messages are "
                            "not drawn")
            continue
        queues[key] = [Message(*pair, label, 0) for label in _labels(content)]
        messages += queues[key]
    for step in steps[1:]:
        channels = step.state.get("ch")
        for key, content in (channels.items() if isinstance(channels, dict) else ()):
            if key not in queues:
                continue
            if not isinstance(content, list):
                problems.append(f"step {step.index}: channel {key!r} is not a list; its "
                                "messages are not drawn from here on")
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
                problems.append(f"step {step.index}: queue {key} changed in a way the viewer "
                                "cannot follow; its messages are drawn from here on")
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
