"""Typed configuration files: one declaration per key, and one way to read a file.

A configuration (a spec file, the gate's configuration) is declared as a list of `Key`s:
the dotted name, the kind of value (`Whole`, `Number`, `Choice`, `Flag`, `Text`, or a
kind of the caller's), the default and a line of help. `read_table` checks a parsed
document against it before anything uses a value: unknown keys, wrong types and values
out of range are refused with one `ConfigError` that names the file, the dotted key,
the value found and what was expected, e.g.

    specs/two-node.toml: faults.crashes: expected a whole number from 0 to 10, got "ten"

`read_file` refuses what is not a regular file (a FIFO would block, /dev/zero would never
end), files larger than a limit, and bytes that are not UTF-8, in the same one-line form.
Nothing here knows what the keys mean.
"""

from __future__ import annotations

import json
import math
import os
import stat
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

MAX_CONFIG_BYTES = 1 << 20


class ConfigError(ValueError):
    """A configuration (or an option) that cannot be used: one line, naming where."""

    def __init__(self, where: str, key: str | None, value: Any, expected: str, *,
                 has_value: bool = True):
        self.where, self.key, self.value, self.expected = where, key, value, expected
        text = f"{where}: {key}: " if key else f"{where}: "
        text += f"expected {expected}, got {show(value)}" if has_value else expected
        super().__init__(one_line(text))


def one_line(text: str) -> str:
    """The text with control characters written as escapes, so that a message about a
    file stays one line whatever the file holds."""
    return "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in text)


def key_name(key: str) -> str:
    """A key as TOML writes it: bare if it can be, else quoted."""
    return key if key and all(c.isalnum() or c in "_-" for c in key) and key.isascii() \
        else json.dumps(key, ensure_ascii=False)


def show(value: Any) -> str:
    """A value as the file wrote it (JSON is close to TOML for the scalars and arrays)."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = "a nested value" if isinstance(value, (list, dict)) else str(value)
    return text if len(text) <= 240 else text[:237] + "..."


# --- kinds of values --------------------------------------------------------------------

class Kind:
    """What a key's value must be; `check` returns the value to use or raises ValueError
    with the expectation."""

    expected = "a value"

    def check(self, value: Any) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Whole(Kind):
    lo: int
    hi: int

    @property
    def expected(self) -> str:
        return f"a whole number from {self.lo:,} to {self.hi:,}".replace(",", "")

    def check(self, value):
        if type(value) is not int or not self.lo <= value <= self.hi:
            raise ValueError(self.expected)
        return value


@dataclass(frozen=True)
class Number(Kind):
    """A finite number in [lo, hi] (`above`: lo excluded); returned as an exact Fraction
    when `exact`, with at most `denominator` in its smallest form."""
    lo: float
    hi: float
    unit: str = ""
    above: bool = False
    exact: bool = False
    denominator: int | None = None

    @property
    def expected(self) -> str:
        what = f"a number{' of ' + self.unit if self.unit else ''}"
        if self.above:
            return f"{what} > {self.lo:g} and at most {self.hi:g}"
        return f"{what} from {self.lo:g} to {self.hi:g}"

    def check(self, value):
        if type(value) not in (int, float) or not math.isfinite(value):
            raise ValueError(self.expected)
        if value < self.lo or value > self.hi or (self.above and value == self.lo):
            raise ValueError(self.expected)
        if not self.exact:
            return value
        exact = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
        if self.denominator is not None and self.denominator % exact.denominator:
            raise ValueError(f"a multiple of {1 / self.denominator:g} {self.unit}".rstrip())
        return exact


@dataclass(frozen=True)
class Choice(Kind):
    """One of the listed values (compared with their types: true is not 1); `mapping`
    gives what each stands for, if not itself."""
    values: tuple
    mapping: tuple = ()
    note: str = ""
    text: str = ""     # the expectation in words, if the list of values does not say it

    @property
    def expected(self) -> str:
        text = self.text or " or ".join(show(v) for v in self.values)
        return text + (f" ({self.note})" if self.note else "")

    def check(self, value):
        for x, option in enumerate(self.values):
            if type(option) is type(value) and option == value:
                return self.mapping[x] if self.mapping else value
        raise ValueError(self.expected)


class Flag(Kind):
    expected = "true or false"

    def check(self, value):
        if type(value) is not bool:
            raise ValueError(self.expected)
        return value


@dataclass(frozen=True)
class Text(Kind):
    """A string; `expected` says what it names (a path, a spec)."""
    expected: str = "a string"

    def check(self, value):
        if not isinstance(value, str):
            raise ValueError(self.expected)
        return value


# --- keys and tables ---------------------------------------------------------------------

@dataclass(frozen=True)
class Key:
    """One key of a configuration: its dotted name (`table.key`, or `key` at the top),
    what its value must be, its default and what it means."""
    name: str
    kind: Kind
    default: Any
    help: str = ""

    @property
    def table(self) -> str:
        return self.name.rpartition(".")[0]

    @property
    def leaf(self) -> str:
        return self.name.rpartition(".")[2]


def tables_of(keys) -> dict[str, list[Key]]:
    out: dict[str, list[Key]] = {}
    for key in keys:
        out.setdefault(key.table, []).append(key)
    return out


def read_table(document: dict, keys, where: str, prefix: str = "",
               error=ConfigError) -> dict[str, Any]:
    """Every key's value (its default where absent), by dotted name, after checking the
    document: tables are tables, no key is unknown, every value has its kind. Problems
    are raised as `error` (ConfigError or a subclass)."""
    tables = tables_of(keys)
    values = {}

    def walk(table: dict, path: str):
        own = {k.leaf: k for k in tables.get(path, [])}
        subtables = {t.rpartition(".")[2] if path else t for t in tables
                     if t and t.rpartition(".")[0] == path}
        for name, value in table.items():
            dotted = f"{path}.{name}" if path else name
            shown = f"{prefix}{path + '.' if path else ''}{key_name(name)}"
            if name in subtables:
                if not isinstance(value, dict):
                    raise error(where, shown, value, "a table")
                walk(value, dotted)
            elif name in own:
                try:
                    values[dotted] = own[name].kind.check(value)
                except ValueError as e:
                    raise error(where, shown, value, str(e)) from None
            else:
                allowed = sorted(set(own) | subtables)
                raise error(where, shown, value,
                                  f"unknown key (value {show(value)}); expected one of: "
                                  f"{', '.join(allowed)}", has_value=False)

    walk(document, "")
    for key in keys:
        values.setdefault(key.name, key.default)
    return values


# --- reading files -------------------------------------------------------------------------

def read_file(path: str | Path, where: str, what: str, limit: int = MAX_CONFIG_BYTES,
              error=ConfigError) -> str:
    """The text of a regular file of at most `limit` bytes, in UTF-8; anything else is a
    ConfigError naming the file (`what` names the kind of file in the message)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error(where, None, None, f"no such {what}", has_value=False) from None
    except OSError as e:
        raise error(where, None, None, f"cannot read the {what} ({e.strerror})",
                          has_value=False) from None
    if stat.S_ISDIR(info.st_mode):
        raise error(where, None, None, f"is a directory, not a {what}", has_value=False)
    if not stat.S_ISREG(info.st_mode):
        raise error(where, None, None, f"is not a regular file (a device, FIFO or "
                          f"socket), so not a {what}", has_value=False)
    if info.st_size > limit:
        raise error(where, None, None, f"is {info.st_size:,} bytes, larger than a "
                          f"{what} may be ({limit:,} bytes)", has_value=False)
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise error(where, None, None, f"cannot read the {what} ({e.strerror})",
                          has_value=False) from None
    if len(data) > limit:
        raise error(where, None, None, f"is larger than a {what} may be "
                          f"({limit:,} bytes)", has_value=False)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise error(where, None, None, f"is not UTF-8 text (byte {e.start})",
                          has_value=False) from None


def read_toml(path: str | Path, where: str, what: str, error=ConfigError) -> dict:
    text = read_file(path, where, what, error=error)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise error(where, None, None, f"not valid TOML: {e}", has_value=False) from None
    except RecursionError:
        raise error(where, None, None, "not usable TOML: its values are nested too "
                          "deeply", has_value=False) from None
