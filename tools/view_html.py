"""`hacheck view TRACE --html OUT.html`: a counterexample as one self-contained web page.

An SVG message sequence chart on a time axis: one lane per node, coloured by its phase
and rstate, with the groups it owns; each message an arrow from its send to its delivery;
the violating step marked. Clicking a step (or the arrow keys) shows the full state at
that step and what changed. No network access, no server: the page carries its data.

The time axis follows the timestamps; where several steps share an instant it stretches,
so that each stays visible (the tick labels give the real times).

The trace is untrusted input, and the page treats it as data:
- every value reaches the markup through `esc` (HTML-escaped, quotes too), as the text of
  an element or the value of an attribute; the markup itself is built by `el`, which
  escapes whatever is not markup it built, and the template has no other holes;
- the steps go to the script as JSON in an inert `<script type="application/json">`
  (`<`, `>` and `&` as \\u escapes, so no `</script>` or `<!--` can end it), read with
  JSON.parse; the script is the constant SCRIPT, and builds the panel with textContent;
- a Content-Security-Policy allows nothing but that script and the STYLE sheet, by their
  SHA-256 hashes: no other script, style, image, frame, font or connection.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math

from hacheck.tools.trace_view import TraceView, flat_state

LANE = 260          # px per node
LEFT = 90           # px: the time axis
TOP = 70
MIN_GAP = 16        # px between consecutive steps
IN_FLIGHT_GAP = 18  # px between the ends of messages still in flight at the end
RS_COLOURS = {"INIT": "#e5e7eb", "STARTING": "#fde68a", "BOTHSTARTING": "#fdba74",
              "RSCRCVD": "#93c5fd", "STABLE": "#86efac"}
DOWN, PRE = "#9ca3af", "#ffffff"


class Markup(str):
    """Markup that `el` built: it goes into the page as it is."""


def esc(value) -> str:
    """The one way a value reaches the page: as text, `<>&"'` escaped, fit for the
    content of an element and for a quoted attribute alike."""
    return html.escape(str(value), quote=True)


def el(tag: str, attrs: dict | None = None, *content) -> Markup:
    """`<tag attr="...">content</tag>`: attribute values and every content item that is
    not Markup go through `esc`. Tags and attribute names are this module's constants."""
    a = "".join(f' {name}="{esc(value)}"' for name, value in (attrs or {}).items()
                if value is not None)
    if tag == "meta":       # a void element: no content, no end tag
        return Markup(f"<{tag}{a}>")
    body = "".join(c if isinstance(c, Markup) else esc(c) for c in content)
    return Markup(f"<{tag}{a}>{body}</{tag}>")


def script_json(value) -> str:
    """JSON to be the content of a <script> element: ASCII, and `<`, `>`, `&` as \\u
    escapes (they can only occur inside strings), so that nothing in it can end the
    element or open a comment."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()
                                         ).decode("ascii") + "'"


def _ys(view: TraceView) -> list[float]:
    """The y of every step (index 0: the initial state, at the top)."""
    times = [s.time for s in view.steps[1:]]
    timed = view.timed
    span = (max(times) - min(times)) if timed and times else 0
    per_second = min(40.0, 700.0 / span) if span and math.isfinite(span) else 0
    ys = [TOP]
    for k, step in enumerate(view.steps[1:], 1):
        gap = MIN_GAP
        if timed and k > 1 and per_second:
            gap = max(MIN_GAP, (step.time - view.steps[k - 1].time) * per_second)
        ys.append(ys[-1] + gap)
    return ys


def _x(i: int) -> float:
    return LEFT + LANE * i + LANE / 2


def _get(state: dict, name: str, i: int):
    value = state.get(name)
    return value[i] if isinstance(value, list) and i < len(value) else None


def _lanes(view: TraceView, ys: list[float], bottom: float) -> list[str]:
    out = []
    for i in range(view.nodes):
        x = _x(i)
        parts = [el("text", {"x": x, "y": TOP - 40, "class": "lane-name"}, f"node {i}"),
                 el("line", {"x1": x, "y1": TOP - 28, "x2": x, "y2": bottom,
                             "class": "lane-line"})]
        last_rs, last_own = None, None
        for k, step in enumerate(view.steps):
            y0 = ys[k]
            y1 = ys[k + 1] if k + 1 < len(ys) else bottom
            ph, rs = _get(step.state, "ph", i), _get(step.state, "rs", i)
            fill = (PRE if ph == "pre" else DOWN if ph == "down"
                    else RS_COLOURS.get(rs, "#e5e7eb") if isinstance(rs, str) else "#e5e7eb")
            tip = f"node {i}: {ph}" + (f", {rs}" if rs is not None else "")
            parts.append(el("rect", {"class": "band", "x": x - 22, "y": y0, "width": 44,
                                     "height": y1 - y0, "fill": fill}, el("title", {}, tip)))
            label = ph if ph != "up" else rs
            if label is not None and label != last_rs:
                parts.append(el("text", {"x": x - 26, "y": y0 + 11, "class": "band-label",
                                         "text-anchor": "end"}, label))
                last_rs = label
            own = _get(step.state, "own", i)
            if own is not None and own != last_own:
                groups = " ".join(f"g{g}" for g in own) if isinstance(own, list) else str(own)
                parts.append(el("text", {"x": x + 26, "y": y0 + 11, "class": "own"},
                                "owns " + groups if groups else "owns nothing"))
                last_own = own
        out.append(el("g", {"class": "lane", "data-node": i}, *parts))
    return out


def _messages(view: TraceView, ys: list[float]) -> list[str]:
    out = []
    end_y = ys[-1] + 24
    seen = {}   # messages sent at the same step: their labels are spread along the arrows
    for m in view.messages:
        if m.sender >= view.nodes or m.receiver >= view.nodes:
            continue
        x1, y1 = _x(m.sender), ys[m.sent]
        x2 = _x(m.receiver)
        if m.end is not None:
            y2 = ys[m.end]
        else:               # still on the wire at the end: fanned out below the last step
            y2 = end_y
            end_y += IN_FLIGHT_GAP
        if m.fate == "lost":
            x2, y2 = (x1 + x2) / 2, (y1 + y2) / 2
        marker = "url(#arrow)" if m.fate == "delivered" else None
        k = seen[m.sent] = seen.get(m.sent, -1) + 1
        f = 0.3 + 0.4 * (k % 2)
        label = m.label + ("" if m.fate == "delivered" else f" ({m.fate})")
        out.append(el("g", {"class": f"msg {m.fate.replace(' ', '-')}", "data-sent": m.sent,
                            "data-end": m.end},
                      el("line", {"x1": x1, "y1": y1, "x2": x2, "y2": y2,
                                  "marker-end": marker}),
                      el("text", {"x": x1 + f * (x2 - x1), "y": y1 + f * (y2 - y1) - 4,
                                  "text-anchor": "middle"}, label)))
    return out


def _steps(view: TraceView, ys: list[float]) -> list[str]:
    out = []
    bad = view.violating_step
    for step in view.steps[1:]:
        x = _x(step.node) if isinstance(step.node, int) and step.node < view.nodes else LEFT - 20
        y = ys[step.index]
        out.append(el("circle", {"id": f"step-{step.index}",
                                 "class": "step violating" if step.index == bad else "step",
                                 "data-index": step.index, "cx": x, "cy": y,
                                 "r": 7 if step.index == bad else 5},
                      el("title", {}, f"{step.index}: {step.action}")))
        if view.loop is not None and step.index == view.loop + 1:
            out.append(el("text", {"x": x + 12, "y": y + 4, "class": "loop"},
                          f"the loop starts here and returns after step {bad}"))
        if step.index == bad:
            what = view.meta.get("property", "the property")
            out.append(el("text", {"x": x + 12, "y": y + 4, "class": "violation"},
                          f"breaks {what}: {step.action}"))
    return out


def _axis(view: TraceView, ys: list[float]) -> list[str]:
    out = [el("line", {"x1": LEFT - 40, "y1": TOP, "x2": LEFT - 40, "y2": ys[-1] + 20,
                       "class": "axis"}),
           el("text", {"x": LEFT - 44, "y": TOP - 40, "text-anchor": "end",
                       "class": "axis-label"}, "time (s)" if view.timed else "step")]
    shown = None
    for step in view.steps[1:]:
        value = step.time if view.timed else step.index
        if value == shown:
            continue
        shown = value
        out.append(el("text", {"x": LEFT - 46, "y": ys[step.index] + 4, "text-anchor": "end",
                               "class": "tick"}, f"{value:g}"))
    return out


def _step_data(view: TraceView) -> list[dict]:
    data = []
    for step in view.steps:
        flat = step.flat or flat_state(step.state)
        data.append({"index": step.index, "action": step.action, "time": step.time,
                     "node": step.node, "changes": step.changes,
                     "state": list(flat.items())})   # pairs: the order of the trace
    return data


def render(view: TraceView) -> str:
    if not view.nodes:
        raise ValueError("; ".join(view.problems) or "nothing to draw")
    ys = _ys(view)
    width = LEFT + LANE * view.nodes + 160
    in_flight = sum(1 for m in view.messages if m.end is None)
    bottom = ys[-1] + 30 + IN_FLIGHT_GAP * in_flight   # below the messages still in flight
    height = bottom + 30
    defs = el("defs", {}, el("marker", {"id": "arrow", "viewBox": "0 0 10 10", "refX": 10,
                                        "refY": 5, "markerWidth": 7, "markerHeight": 7,
                                        "orient": "auto-start-reverse"},
                             el("path", {"d": "M 0 0 L 10 5 L 0 10 z"})))
    svg = el("svg", {"id": "chart", "xmlns": "http://www.w3.org/2000/svg", "width": width,
                     "height": height, "viewBox": f"0 0 {width} {height}"},
             Markup("\n"), defs,
             *(Markup(part + "\n") for part in (*_axis(view, ys), *_lanes(view, ys, bottom),
                                                *_messages(view, ys), *_steps(view, ys))))
    meta = view.meta
    facts = [x for x in (meta.get("explanation", ""),
                         f"possible when: {meta['condition']}" if meta.get("condition") else "",
                         *(f"note: {p}" for p in view.problems)) if x]
    legend = [Markup(el("span", {"class": f"key rs-{n}"}) + esc(n) + " ")
              for n in RS_COLOURS]
    legend.append(Markup(el("span", {"class": "key rs-down"}) + "down"))
    body = [el("h1", {}, view.title),
            el("div", {}, meta.get("source", "")),
            *(el("p", {}, f) for f in facts),
            el("div", {}, "rstate: ", *legend),
            el("p", {}, "Click a step (a dot), or use the arrow keys, to see the state "
                        "after it."),
            el("div", {"class": "layout"},
               el("div", {"id": "chart-box"}, Markup("\n"), svg, Markup("\n")),
               el("div", {"id": "panel"}, el("h2", {"id": "panel-title"}),
                  el("ul", {"id": "panel-changes"}), el("pre", {"id": "panel-state"}))),
            el("script", {"type": "application/json", "id": "trace-data"},
               Markup(script_json({"first": view.violating_step,
                                   "steps": _step_data(view)}))),
            el("script", {}, Markup(SCRIPT))]
    style = STYLE + "".join(f".rs-{n} {{ background: {c}; }}\n"
                            for n, c in (*RS_COLOURS.items(), ("down", DOWN)))
    policy = (f"default-src 'none'; script-src {csp_hash(SCRIPT)}; "
              f"style-src {csp_hash(style)}; base-uri 'none'; form-action 'none'")
    head = [el("meta", {"charset": "utf-8"}),
            el("meta", {"http-equiv": "Content-Security-Policy", "content": policy}),
            el("title", {}, f"hacheck: {view.title}"),
            el("style", {}, Markup(style))]
    return ("<!DOCTYPE html>\n" + el("html", {"lang": "en"},
                                      el("head", {}, *(Markup(h + "\n") for h in head)),
                                      el("body", {}, *(Markup(b + "\n") for b in body)))
            + "\n")


STYLE = """
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #111827; }
h1 { font-size: 18px; margin: 0 0 4px; }
.layout { display: flex; gap: 16px; align-items: flex-start; }
#chart-box { overflow: auto; border: 1px solid #d1d5db; }
#panel { min-width: 360px; max-width: 460px; position: sticky; top: 8px; }
#panel pre { background: #f9fafb; border: 1px solid #e5e7eb; padding: 6px; max-height: 60vh;
             overflow: auto; font-size: 12px; }
#panel-changes li { color: #92400e; font-family: monospace; }
.key { display: inline-block; width: 12px; height: 12px; margin: 0 3px 0 10px;
       vertical-align: middle; border: 1px solid #9ca3af; }
.lane-name { font-weight: 600; text-anchor: middle; }
.lane-line { stroke: #9ca3af; stroke-dasharray: 3 3; }
.band { stroke: none; opacity: .9; }
.band-label { font-size: 10px; fill: #374151; }
.own { font-size: 10px; fill: #065f46; font-weight: 600; }
.msg line { stroke: #1f2937; stroke-width: 1.2; }
.msg text { font-size: 10px; fill: #1f2937; paint-order: stroke; stroke: #fff;
            stroke-width: 3px; }
.msg.lost line, .msg.dropped line { stroke: #dc2626; stroke-dasharray: 4 3; }
.msg.in-flight line { stroke-dasharray: 2 3; }
.step { fill: #1f2937; cursor: pointer; }
.step.selected { fill: #2563eb; stroke: #93c5fd; stroke-width: 4; }
.step.violating { fill: #dc2626; }
.violation { fill: #dc2626; font-weight: 700; font-size: 12px; }
.loop { fill: #7c3aed; font-weight: 700; font-size: 11px; }
.axis { stroke: #6b7280; } .tick, .axis-label { font-size: 10px; fill: #4b5563; }
"""

# Constant: the data comes from the inert JSON element, and reaches the page only as
# textContent. Its hash is in the page's Content-Security-Policy.
SCRIPT = r"""
"use strict";
const DATA = JSON.parse(document.getElementById('trace-data').textContent);
const STEPS = DATA.steps;
let current = DATA.first;
function show(k) {
  current = Math.max(0, Math.min(STEPS.length - 1, k));
  const s = STEPS[current];
  document.querySelectorAll('.step.selected').forEach(e => e.classList.remove('selected'));
  const dot = document.getElementById('step-' + current);
  if (dot) { dot.classList.add('selected'); }
  const when = s.time === null ? '' : ' at ' + s.time + ' s';
  document.getElementById('panel-title').textContent =
    'step ' + s.index + when + ': ' + s.action;
  const list = document.getElementById('panel-changes');
  list.replaceChildren();
  for (const [name, before, after] of s.changes) {
    const li = document.createElement('li');
    li.textContent = name + ': ' + before + ' \u2192 ' + after;
    list.appendChild(li);
  }
  document.getElementById('panel-state').textContent =
    s.state.map(([k, v]) => k + ' = ' + v).join('\n');
}
document.querySelectorAll('.step').forEach(e =>
  e.addEventListener('click', () => show(Number(e.dataset.index))));
document.addEventListener('keydown', e => {
  if (e.key === 'ArrowDown' || e.key === 'ArrowRight') { show(current + 1); e.preventDefault(); }
  if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') { show(current - 1); e.preventDefault(); }
});
show(current);
"""
