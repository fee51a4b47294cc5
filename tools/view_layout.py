"""Where everything of the web page's sequence chart goes, with no two labels overlapping.

Every step has a row: its dot on the lane of the node that takes it, at the row's first
line, and a label beside it; the labels of the messages it sends, and of the lanes whose
state it changes, go on the same row, each on the first line where it overlaps nothing
(a row grows by a line when it must). Between rows, time: a gap in proportion to the
seconds between two steps, and a break (a zigzag, with the seconds skipped) where that
would be taller than MAX_GAP, so that a 10 s wait does not push the interesting part
below the fold. The axis keeps the real times.

Widths are estimated from the character count in the chart's monospace font (wide
characters count twice), with room to spare; the browser tests measure the real boxes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from hacheck.model.notation import notation
from hacheck.tools.trace_view import TraceView

FONT = 11           # px: the chart's labels (monospace)
CHAR = 0.64 * FONT  # px per character, a little more than DejaVu Sans Mono's 0.602 em
LINE = 16           # px between lines of a row
LEFT = 110          # px: the time axis column
LANE = 240          # px per node
TOP = 70
PX_PER_SECOND = 24  # a gap in proportion to time, up to MAX_GAP
MAX_GAP = 36
BREAK = 34          # px: a compressed gap
SPACE = 10          # px between two labels on a line
IN_FLIGHT_GAP = 18  # px between the ends of messages still in flight at the end


def text_width(text: str) -> float:
    columns = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        columns += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return columns * CHAR + 2


def lane_x(i: int) -> float:
    return LEFT + LANE * i + LANE / 2


@dataclass(frozen=True)
class Label:
    x: float            # start of the text
    y: float            # its baseline
    text: str
    cls: str
    step: int | None = None     # the step a click on it shows


@dataclass
class Chart:
    ys: list = field(default_factory=list)          # the first line of each step's row
    bottoms: list = field(default_factory=list)     # the last line of each step's row
    labels: list = field(default_factory=list)
    breaks: list = field(default_factory=list)      # (y of the break, seconds skipped)
    message_ends: list = field(default_factory=list)   # y where each message arrow ends
    width: float = 0
    height: float = 0
    bottom: float = 0                               # where the lanes end


class _Row:
    """The lines of one row and what is already on each."""

    def __init__(self):
        self.lines: list[list[tuple[float, float]]] = []

    def place(self, width: float, candidates: list[float]) -> tuple[float, int]:
        """The first line, and on it the first candidate x, where a label of this width
        overlaps nothing placed before it and stays right of the axis."""
        line = 0
        while True:
            if line == len(self.lines):
                self.lines.append([])
            for x in candidates:
                x = max(x, LEFT)
                if all(x + width + SPACE <= a or x >= b + SPACE for a, b in self.lines[line]):
                    self.lines[line].append((x, x + width))
                    return x, line
            line += 1


def _lane_text(view: TraceView, step, i: int, shown: dict) -> str:
    """What changed in node i's lane at this step, as the lane shows it ("" if nothing)."""
    ph, rs = per_node(step.state, "ph", i), per_node(step.state, "rs", i)
    label = ph if ph != "up" else rs
    own = per_node(step.state, "own", i)
    parts = []
    if label is not None and label != shown.get(("rs", i)):
        parts.append(str(label))
        shown[("rs", i)] = label
    if own is not None and own != shown.get(("own", i)):
        parts.append(f"owns {notation(own, groups=True)}")
        shown[("own", i)] = own
    return ", ".join(parts)


def per_node(state: dict, name: str, i: int):
    """Node i's value of a per-node variable, None if the trace has no such value."""
    value = state.get(name)
    return value[i] if isinstance(value, list) and i < len(value) else None


def step_x(view: TraceView, step) -> float:
    """Where a step's dot is: its node's lane, or left of the lanes if it has none."""
    if isinstance(step.node, int) and 0 <= step.node < view.nodes:
        return lane_x(step.node)
    return LEFT + 8


def _gap(view: TraceView, k: int) -> tuple[float, float | None]:
    """The space between row k and row k + 1, and the seconds a break there skips."""
    if not view.timed or k + 1 >= len(view.steps):
        return 6, None
    before = view.steps[k].time if k > 0 else 0.0
    seconds = view.steps[k + 1].time - (before or 0.0)
    if seconds * PX_PER_SECOND <= MAX_GAP:
        return 6 + max(0.0, seconds) * PX_PER_SECOND, None
    return BREAK, seconds


def layout(view: TraceView) -> Chart:
    chart = Chart()
    bad, loop = view.violating_step, view.loop
    what = view.meta.get("property", "the property")
    by_sender: dict[int, list] = {}
    for m in view.messages:
        by_sender.setdefault(m.sent, []).append(m)
    shown: dict = {}
    y = TOP
    for k, step in enumerate(view.steps):
        row, placed = _Row(), []

        def put(text, cls, candidates, index=None):
            x, line = row.place(text_width(text), candidates)
            placed.append((x, line, text, cls, index))

        if k > 0:
            text = f"{k} breaks {what}: {step.action}" if k == bad else f"{k} {step.action}"
            put(text, "step-label violation" if k == bad else "step-label",
                [step_x(view, step) + 10], k)
        for i in range(view.nodes):
            text = _lane_text(view, step, i, shown)
            if text:
                w = text_width(text)
                put(text, "lane-label", [lane_x(i) - 12 - w, lane_x(i) + 12])
        for m in by_sender.get(k, []):
            if m.sender < view.nodes and m.receiver < view.nodes:
                fate = "" if m.fate == "delivered" else f" ({m.fate})"
                put(f"{m.label} -> {m.receiver}{fate}", f"msg-label {m.fate.replace(' ', '-')}",
                    [lane_x(m.sender) + 10])
        if loop is not None and k == loop + 1:
            put(f"loop: steps {loop + 1}-{bad}, again and again", "loop-label",
                [LEFT + LANE * view.nodes + 10])
        if loop is not None and k == bad:
            put(f"<- returns to step {loop + 1}", "loop-label", [LEFT + LANE * view.nodes + 10])
        chart.ys.append(y)
        lines = max(1, len(row.lines))
        chart.bottoms.append(y + (lines - 1) * LINE)
        chart.labels += [Label(x, y + line * LINE + 4, text, cls, index)
                         for x, line, text, cls, index in placed]
        gap, skipped = _gap(view, k)
        y = chart.bottoms[-1] + LINE + gap
        if skipped is not None:
            chart.breaks.append((y - LINE / 2 - BREAK / 2, skipped))
    end = chart.bottoms[-1] + LINE + 8
    for m in view.messages:
        if m.end is not None:
            chart.message_ends.append(chart.ys[m.end])
        else:               # still on the wire at the end: fanned out below the last row
            chart.message_ends.append(end)
            end += IN_FLIGHT_GAP
    chart.bottom = end + 12
    chart.height = chart.bottom + 24
    right = max((lab.x + text_width(lab.text) for lab in chart.labels), default=0)
    chart.width = max(LEFT + LANE * view.nodes + 20, right + 16)
    return chart
