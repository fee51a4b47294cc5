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

A trace file is untrusted input. `load_trace` reads only a regular file of at most
MAX_BYTES, nested at most MAX_DEPTH deep, and checks every ITF value: what is malformed
(`{"#bigint": "abc"}`, `{"#set": 5}`, a state that is not an object, ...) is a
TraceFileError of one line naming the file and the place in it; what is merely unusual
but can be shown (a `#meta` field of the wrong type, a node number out of range, ...) is
a note in `problems`. Every string of the view is valid Unicode (lone surrogates, which
JSON can spell, are replaced); the views escape them for their medium.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from hacheck.checker.trace import Variant
from hacheck.model.notation import ABSENT, STABILITY, flat_text, notation, short_label

MAX_BYTES = 256 * 2**20     # a trace file larger than this is refused
MAX_DEPTH = 100             # JSON nesting: hacheck's traces have 7 levels
MAX_STATES = 100_000        # a longer trace is refused (hacheck's are shortest runs)
MAX_LANES = 64              # more nodes than this are not drawn as lanes
MAX_DIGITS = 4300           # longer integers are kept as their digits (Python's int limit)
MAX_PROBLEMS = 20           # notes shown; the rest are counted
META_TEXTS = ("property", "verdict", "description", "explanation", "condition", "source",
              "mode")        # the fields of the trace's `#meta` that the views show


class TraceFileError(ValueError):
    """A file that is not an ITF trace (the message is one line)."""


class _Malformed(Exception):
    """A malformed ITF value; `path` is filled in (innermost last) as it propagates."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
        self.path: list[str] = []

    def where(self, prefix: str) -> str:
        return prefix + "".join(reversed(self.path))


# --- reading the file -------------------------------------------------------------------

def shown(path) -> str:
    """A file name as one printable line."""
    name = str(path)
    return name if name.isprintable() else repr(name)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _limit() -> str:
    return f"{MAX_BYTES:,} bytes" + (f" ({MAX_BYTES / 2**20:g} MiB)" if MAX_BYTES >= 2**20 else "")


def _refuse_unless_regular(where: str, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise TraceFileError(f"{where}: not a regular file ({_kind(info.st_mode)}); a trace "
                             "is a JSON file")
    if info.st_size > MAX_BYTES:
        raise TraceFileError(f"{where}: too large ({info.st_size:,} bytes; a trace file may "
                             f"have at most {_limit()})")


def read_bytes(path) -> bytes:
    """The content of a regular file of at most MAX_BYTES: anything else (a directory, a
    FIFO, a device such as /dev/zero) is refused before it is read, and never read
    without end."""
    where = shown(path)
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise TraceFileError(f"{where}: no such file") from None
    except (OSError, ValueError) as e:      # ValueError: a NUL in the name
        raise TraceFileError(f"{where}: cannot read it ({getattr(e, 'strerror', None) or e})"
                             ) from None
    _refuse_unless_regular(where, info)
    try:
        # O_NONBLOCK: should the name be swapped for a FIFO after the stat, opening it
        # does not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        raise TraceFileError(f"{where}: cannot read it ({e.strerror or e})") from None
    try:
        _refuse_unless_regular(where, os.fstat(fd))
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as e:
        raise TraceFileError(f"{where}: cannot read it ({e.strerror or e})") from None
    finally:
        os.close(fd)
    if size > MAX_BYTES:
        raise TraceFileError(f"{where}: too large (more than {_limit()}, the most a trace "
                             "file may have)")
    return b"".join(chunks)


def _not_a_number(name: str):
    raise _Malformed(f"{name} is not JSON")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Malformed(f"the number {text[:40]} is out of range")
    return value


def _int(text: str):
    if len(text) > MAX_DIGITS:
        raise _Malformed(f"a number of {len(text):,} digits is out of range (ITF writes "
                         "large integers as {\"#bigint\": \"...\"})")
    return int(text)


def parse_json(data: bytes, where: str):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TraceFileError(f"{where}: not UTF-8 text ({e})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        document = json.loads(text, parse_constant=_not_a_number, parse_float=_float,
                              parse_int=_int)
    except _Malformed as e:
        raise TraceFileError(f"{where}: {e.message}") from None
    except RecursionError:
        raise TraceFileError(f"{where}: nested too deeply to read (the viewer reads at most "
                             f"{MAX_DEPTH} levels)") from None
    except MemoryError:
        raise TraceFileError(f"{where}: too large to read into memory") from None
    except ValueError as e:        # json.JSONDecodeError: one line, with the position
        raise TraceFileError(f"{where}: not JSON ({e})") from None
    deepest = _too_deep(document)
    if deepest is not None:
        raise TraceFileError(f"{where}: {deepest} is nested more than {MAX_DEPTH} levels "
                             "deep (the viewer reads at most that)")
    return document


def _too_deep(document) -> str | None:
    """Where the document is nested deeper than MAX_DEPTH (as a top-level part such as
    `states[3]`), without recursion; None if it is not."""
    parts = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "states" and isinstance(value, list):
                parts += [(f"states[{i}]", v, 3) for i, v in enumerate(value)]
            else:
                parts.append((key if _IDENTIFIER.fullmatch(key) else json.dumps(key), value, 2))
    else:
        parts.append(("the document", document, 1))
    for name, value, depth in parts:
        stack = [(value, depth)]
        while stack:
            value, depth = stack.pop()
            if depth > MAX_DEPTH:
                return name
            if isinstance(value, dict):
                stack += [(v, depth + 1) for v in value.values() if isinstance(v, (dict, list))]
            elif isinstance(value, list):
                stack += [(v, depth + 1) for v in value if isinstance(v, (dict, list))]
    return None


# --- ITF values ---------------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")
_INTEGER = re.compile(r"-?[0-9]+")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
WRAPPERS = ("#bigint", "#set", "#tup", "#map", "#unserializable")


def clean(text: str) -> str:
    """A JSON string as valid Unicode: a lone surrogate (`"\\ud800"`) becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _key_path(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if _IDENTIFIER.fullmatch(key) else f"{prefix}[{json.dumps(key)}]"


def brief(value, limit: int = 60) -> str:
    """A JSON value in a message: one ASCII line, cut at `limit` characters."""
    try:
        text = json.dumps(value, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def plain(value):
    """An ITF value as the typed values of `checker.trace`: big integers as int, sets as
    frozensets (as tuples if a member cannot be hashed), tuples as tuples, maps as dicts
    (a key that cannot be hashed as its JSON), records as dicts without `#meta`, a
    {"tag": ..., "value": ...} record as a Variant. A malformed value raises _Malformed."""
    if isinstance(value, str):
        return clean(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, list):
        out = []
        for i, v in enumerate(value):
            try:
                out.append(plain(v))
            except _Malformed as e:
                e.path.append(f"[{i}]")
                raise
        return out
    if not isinstance(value, dict):
        raise _Malformed(f"{brief(value)} is not an ITF value")
    kinds = [k for k in WRAPPERS if k in value]
    if not kinds and set(value) == {"tag", "value"} and isinstance(value["tag"], str):
        try:
            return Variant(clean(value["tag"]), plain(value["value"]))
        except _Malformed as e:
            e.path.append(".value")
            raise
    if not kinds:
        out = {}
        for k, v in value.items():
            if k == "#meta":
                continue
            try:
                out[clean(k)] = plain(v)
            except _Malformed as e:
                e.path.append(_key_path("", k))
                raise
        return out
    extra = [k for k in value if k not in (kinds[0], "#meta")]
    if extra:
        raise _Malformed(f"{brief(value)} is not an ITF value ({kinds[0]} with other "
                         f"fields: {brief(extra)})")
    kind, content = kinds[0], value[kinds[0]]
    if kind == "#bigint":
        if not isinstance(content, str) or not _INTEGER.fullmatch(content):
            raise _Malformed(f"{brief(value)} is not an integer")
        return int(content) if len(content) <= MAX_DIGITS else content
    if kind == "#unserializable":
        if not isinstance(content, str):
            raise _Malformed(f"{brief(value)} is not an ITF value (#unserializable holds "
                             "a string)")
        return clean(content)
    if kind in ("#set", "#tup"):
        if not isinstance(content, list):
            raise _Malformed(f"{brief(value)} is not a {'set' if kind == '#set' else 'tuple'}"
                             f" ({kind} holds a list)")
        try:
            members = tuple(plain(content))
        except _Malformed as e:
            e.path.append(f".{kind}")
            raise
        if kind == "#set" and all(_hashable(m) for m in members):
            return frozenset(members)
        return members
    if not isinstance(content, list):
        raise _Malformed(f"{brief(value)} is not a map (#map holds a list of [key, value])")
    out = {}
    for i, entry in enumerate(content):
        if not isinstance(entry, list) or len(entry) != 2:
            e = _Malformed(f"{brief(entry)} is not a map entry (a list [key, value])")
            e.path.append(f".#map[{i}]")
            raise e
        try:
            k, v = plain(entry[0]), plain(entry[1])
        except _Malformed as e:
            e.path.append(f".#map[{i}]")
            raise
        out[k if _hashable(k) else brief(k, 200)] = v
    return out


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
    except _Malformed:
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


def _variables(record: dict) -> dict:
    """A state's variables, each as a typed value (the state is a record of variables
    even when a variable is named like an ITF wrapper, `#set`)."""
    out = {}
    for name, value in record.items():
        if name == "#meta":
            continue
        try:
            out[clean(name)] = plain(value)
        except _Malformed as e:
            e.path.append(_key_path("", name))
            raise
    return out


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
            state = _old_messages(_variables(record))
        except _Malformed as e:
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
