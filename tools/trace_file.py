"""A trace file as untrusted input: read only if it is a regular file of at most
MAX_BYTES, parsed as JSON nested at most MAX_DEPTH deep, and every ITF value checked
(`plain`). What is malformed is a TraceFileError of one line naming the file and the
place in it. `tools.trace_view` builds the viewer's view from what this returns."""

from __future__ import annotations

import json
import math
import os
import re
import stat

from hacheck.checker.trace import Variant

MAX_BYTES = 256 * 2**20     # a trace file larger than this is refused
MAX_DEPTH = 100             # JSON nesting: hacheck's traces have 7 levels
MAX_DIGITS = 4300           # longer integers are kept as their digits (Python's int limit)


class TraceFileError(ValueError):
    """A file that is not an ITF trace (the message is one line)."""


class Malformed(Exception):
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
    raise Malformed(f"{name} is not JSON")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Malformed(f"the number {text[:40]} is out of range")
    return value


def _int(text: str):
    if len(text) > MAX_DIGITS:
        raise Malformed(f"a number of {len(text):,} digits is out of range (ITF writes "
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
    except Malformed as e:
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


def plain_record(record: dict) -> dict:
    """A record's fields, each as a typed value (`plain`), without `#meta`; a field is
    a field even when it is named like an ITF wrapper (a state's variable `#set`)."""
    out = {}
    for name, value in record.items():
        if name == "#meta":
            continue
        try:
            out[clean(name)] = plain(value)
        except Malformed as e:
            e.path.append(_key_path("", name))
            raise
    return out


def plain(value):
    """An ITF value as the typed values of `checker.trace`: big integers as int, sets as
    frozensets (as tuples if a member cannot be hashed), tuples as tuples, maps as dicts
    (a key that cannot be hashed as its JSON), records as dicts without `#meta`, a
    {"tag": ..., "value": ...} record as a Variant. A malformed value raises Malformed."""
    if isinstance(value, str):
        return clean(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, list):
        out = []
        for i, v in enumerate(value):
            try:
                out.append(plain(v))
            except Malformed as e:
                e.path.append(f"[{i}]")
                raise
        return out
    if not isinstance(value, dict):
        raise Malformed(f"{brief(value)} is not an ITF value")
    kinds = [k for k in WRAPPERS if k in value]
    if not kinds and set(value) == {"tag", "value"} and isinstance(value["tag"], str):
        try:
            return Variant(clean(value["tag"]), plain(value["value"]))
        except Malformed as e:
            e.path.append(".value")
            raise
    if not kinds:
        return plain_record(value)
    extra = [k for k in value if k not in (kinds[0], "#meta")]
    if extra:
        raise Malformed(f"{brief(value)} is not an ITF value ({kinds[0]} with other "
                         f"fields: {brief(extra)})")
    kind, content = kinds[0], value[kinds[0]]
    if kind == "#bigint":
        if not isinstance(content, str) or not _INTEGER.fullmatch(content):
            raise Malformed(f"{brief(value)} is not an integer")
        return int(content) if len(content) <= MAX_DIGITS else content
    if kind == "#unserializable":
        if not isinstance(content, str):
            raise Malformed(f"{brief(value)} is not an ITF value (#unserializable holds "
                             "a string)")
        return clean(content)
    if kind in ("#set", "#tup"):
        if not isinstance(content, list):
            raise Malformed(f"{brief(value)} is not a {'set' if kind == '#set' else 'tuple'}"
                             f" ({kind} holds a list)")
        try:
            members = tuple(plain(content))
        except Malformed as e:
            e.path.append(f".{kind}")
            raise
        if kind == "#set" and all(_hashable(m) for m in members):
            return frozenset(members)
        return members
    if not isinstance(content, list):
        raise Malformed(f"{brief(value)} is not a map (#map holds a list of [key, value])")
    out = {}
    for i, entry in enumerate(content):
        if not isinstance(entry, list) or len(entry) != 2:
            e = Malformed(f"{brief(entry)} is not a map entry (a list [key, value])")
            e.path.append(f".#map[{i}]")
            raise e
        try:
            k, v = plain(entry[0]), plain(entry[1])
        except Malformed as e:
            e.path.append(f".#map[{i}]")
            raise
        out[k if _hashable(k) else brief(k, 200)] = v
    return out
