"""`hacheck view TRACE`: a counterexample in the terminal.

The steps with time, node and action and the variables each step changed (in the
model's notation, as the report shows them: `own[0]: {} -> {g2}`), wrapped to the
terminal's width at spaces, never inside a word; the violating step marked; then a
compact message sequence chart, one column per node. Colour only on a terminal, and
never when NO_COLOR is set to a non-empty value (https://no-color.org).

Every string from the trace goes through `safe` first: a trace is untrusted input, and
its control characters (escape sequences, carriage returns, bidirectional overrides) are
shown as escapes, never sent to the terminal.
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap

from hacheck.tools.trace_view import TraceView

COLUMN = 14
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                      "\u2066-\u2069]")


def safe(text) -> str:
    """A string of the trace as printable text of one line: control characters as
    escapes (`\\x1b`, `\\n`, `\\u202e`)."""
    return _CONTROL.sub(_escape, str(text))


def _escape(match) -> str:
    c = match[0]
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(
        c, f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


class Style:
    def __init__(self, colour: bool):
        self.colour = colour

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def bad(self, text):
        return self._wrap("1;31", text)

    def changed(self, text):
        return self._wrap("33", text)

    def dim(self, text):
        return self._wrap("2", text)

    def bold(self, text):
        return self._wrap("1", text)


def use_colour(stream) -> bool:
    """Colour on a terminal, unless NO_COLOR is set to a non-empty value (an empty one,
    by no-color.org, does not count)."""
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()


CHANGE_INDENT = 24
NBSP = "\xa0"    # textwrap breaks at ASCII spaces only


def _keep_together(text: str) -> str:
    """Spaces inside parentheses made unbreakable: a message `RES(0 local stable)` is
    one word to the wrapping."""
    out, depth = [], 0
    for c in text:
        depth += (c == "(") - (c == ")")
        out.append(NBSP if c == " " and depth > 0 else c)
    return "".join(out)


def terminal_width() -> int:
    """The terminal's columns (COLUMNS if set, else the terminal's, else 80)."""
    return max(40, shutil.get_terminal_size((80, 24)).columns)


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(text, width=width, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [text]


def wrapped_change(name: str, old: str, new: str, st, width: int) -> list[str]:
    """`name: old -> new`, wrapped at spaces to `width` columns, continued under the
    old value; styled after wrapping, so that escape codes take no room."""
    text = _keep_together(f"{name}: {old} -> {new}")
    lines = [line.replace(NBSP, " ") for line in textwrap.wrap(
        text, width=max(20, width - CHANGE_INDENT), subsequent_indent=" " * (len(name) + 2),
        break_long_words=False, break_on_hyphens=False)] or [text]
    first = lines[0]
    if first.startswith(name + ":"):
        first = st.changed(name) + first[len(name):]
    return [" " * CHANGE_INDENT + first] + [" " * CHANGE_INDENT + line for line in lines[1:]]


def _time(step) -> str:
    return f"{step.time:9.3f}" if step.time is not None else f"{'':>9}"


def render(view: TraceView, colour: bool = False, width: int | None = None) -> str:
    st = Style(colour)
    width = width or terminal_width()
    meta = {k: safe(v) for k, v in view.meta.items()}
    out = [st.bold(safe(view.title) + (f" ({meta['source']})" if meta.get("source") else ""))]
    if view.meta.get("explanation"):     # its lines kept, each line made safe
        out += [w for line in view.meta["explanation"].splitlines()
                for w in _wrap(safe(line), width)]
    if view.meta.get("condition"):
        out += [w for line in f"possible when: {view.meta['condition']}".splitlines()
                for w in _wrap(safe(line), width, "    ")]
    out += [w for p in view.problems for w in _wrap(f"note: {safe(p)}", width, "      ")]
    out += ["", f"{'':2}{'#':>4} {'time (s)' if view.timed else '':>9}  node  action"]
    bad = view.violating_step
    for step in view.steps[1:]:
        node = f"n{step.node}" if isinstance(step.node, int) else "  "
        mark = st.bad("▶ ") if step.index == bad else "  "
        loop = st.dim("  <- the loop starts here") if view.loop is not None \
            and step.index == view.loop + 1 else ""
        action = st.bad(safe(step.action)) if step.index == bad else safe(step.action)
        out.append(f"{mark}{step.index:>4} {_time(step)}  {node:<4}  {action}{loop}")
        for name, old, new in step.changes:
            out += wrapped_change(safe(name), safe(old), safe(new), st, width)
        if step.index == bad and meta.get("property"):
            out.append(f"{'':24}{st.bad('breaks ' + meta['property'])}")
    if view.nodes:
        out += ["", "message sequence chart (one column per node; ● the node acts, "
                "─▶ a message delivered)", ""] + chart(view, st)
    return "\n".join(out) + "\n"


def _phase(step, i) -> str:
    ph = step.state.get("ph")
    return ph[i] if isinstance(ph, list) and i < len(ph) else "up"


def chart(view: TraceView, st: Style) -> list[str]:
    N = view.nodes
    head = f"{'':4} {'':>9}  " + "".join(f"n{i}".center(COLUMN) for i in range(N))
    rows = [head]
    delivered = {m.end: m for m in view.messages if m.fate == "delivered"}
    for step in view.steps[1:]:
        cells = [("│" if _phase(step, i) == "up" else "·").center(COLUMN) for i in range(N)]
        label = safe(step.action)
        m = delivered.get(step.index)
        if m is not None and m.sender < N and m.receiver < N:
            lo, hi = sorted((m.sender, m.receiver))
            line = list("".join(cells))
            centre = (COLUMN - 1) // 2      # where str.center puts a lane's mark
            start, end = lo * COLUMN + centre, hi * COLUMN + centre
            for x in range(start, end + 1):
                line[x] = "─"
            line[start if m.receiver == lo else end] = "◀" if m.receiver == lo else "▶"
            line[end if m.receiver == lo else start] = "┤" if m.receiver == lo else "├"
            text = "".join(line)
            label = f"{safe(m.label)}  (sent at step {m.sent})"
        else:
            if isinstance(step.node, int) and step.node < N:
                cells[step.node] = "●".center(COLUMN)
            text = "".join(cells)
        if step.index == view.violating_step:
            label = st.bad(label + "  <- breaks " + safe(view.meta.get("property", "the property")))
        rows.append(f"{step.index:>4} {_time(step)}  {text}  {label}")
    return rows
