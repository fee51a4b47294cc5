"""`hacheck view TRACE --html OUT.html`: a counterexample as one self-contained web page.

An SVG message sequence chart on a time axis: one lane per node, coloured by its phase
and rstate; every step a dot on its node's lane with its action beside it, every
message an arrow from its send to its delivery with its label at the send, the lanes'
changes (rstate, groups owned) labelled where they happen, a lasso's loop as a band,
long waits compressed into breaks (`view_layout` places it all, no two labels
overlapping). The page opens at the violating step, or at the step its address names
(`#step-12`); clicking a step, or the arrow keys, shows the state after it as a table
(a column per node, changed cells highlighted) and what changed. No network access, no
server: the page carries its data.

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
import re

from hacheck.tools.trace_view import NODE_NUMBER, TraceView, flat_state
from hacheck.tools.view_layout import LEFT, LINE, TOP, Chart, per_node, lane_x, layout, step_x

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


def _fill(step, i: int) -> str:
    ph, rs = per_node(step.state, "ph", i), per_node(step.state, "rs", i)
    return (PRE if ph == "pre" else DOWN if ph == "down"
            else RS_COLOURS.get(rs, "#e5e7eb") if isinstance(rs, str) else "#e5e7eb")


def _lanes(view: TraceView, chart: Chart) -> list[str]:
    out = []
    for i in range(view.nodes):
        x = lane_x(i)
        parts = [el("text", {"x": x, "y": TOP - 40, "class": "lane-name"}, f"node {i}"),
                 el("line", {"x1": x, "y1": TOP - 28, "x2": x, "y2": chart.bottom,
                             "class": "lane-line"})]
        for k, step in enumerate(view.steps):
            y0 = chart.ys[k] - LINE / 2
            y1 = chart.ys[k + 1] - LINE / 2 if k + 1 < len(chart.ys) else chart.bottom
            ph, rs = per_node(step.state, "ph", i), per_node(step.state, "rs", i)
            tip = f"node {i}: {ph}" + (f", {rs}" if rs is not None else "")
            parts.append(el("rect", {"class": "band", "x": x - 6, "y": y0, "width": 12,
                                     "height": y1 - y0, "fill": _fill(step, i)},
                            el("title", {}, tip)))
        out.append(el("g", {"class": "lane", "data-node": i}, *parts))
    return out


def _messages(view: TraceView, chart: Chart) -> list[str]:
    out = []
    for m, y2 in zip(view.messages, chart.message_ends):
        if m.sender >= view.nodes or m.receiver >= view.nodes:
            continue
        x1, y1, x2 = lane_x(m.sender), chart.ys[m.sent], lane_x(m.receiver)
        if m.fate == "lost":
            x2, y2 = (x1 + x2) / 2, (y1 + y2) / 2
        marker = "url(#arrow)" if m.fate == "delivered" else None
        out.append(el("g", {"class": f"msg {m.fate.replace(' ', '-')}", "data-sent": m.sent,
                            "data-end": m.end},
                      el("line", {"x1": x1, "y1": y1, "x2": x2, "y2": y2,
                                  "marker-end": marker}),
                      el("title", {}, f"{m.label}: {m.sender} -> {m.receiver}, {m.fate}")))
    return out


def _steps(view: TraceView, chart: Chart) -> list[str]:
    out = []
    bad = view.violating_step
    for step in view.steps[1:]:
        out.append(el("circle", {"id": f"step-{step.index}",
                                 "class": "step violating" if step.index == bad else "step",
                                 "data-index": step.index, "cx": step_x(view, step),
                                 "cy": chart.ys[step.index],
                                 "r": 7 if step.index == bad else 5},
                      el("title", {}, f"{step.index}: {step.action}")))
    return out


def _labels(chart: Chart) -> list[str]:
    return [el("text", {"x": f"{lab.x:.1f}", "y": f"{lab.y:.1f}", "class": lab.cls,
                        "data-index": lab.step}, lab.text) for lab in chart.labels]


def _loop_band(view: TraceView, chart: Chart) -> list[str]:
    """A lasso's loop: a band behind the rows it repeats."""
    if view.loop is None or view.loop + 1 > view.violating_step:
        return []
    top = chart.ys[view.loop + 1] - LINE / 2
    bottom = chart.bottoms[view.violating_step] + LINE / 2
    return [el("rect", {"class": "loop-band", "x": LEFT - 4, "y": top,
                        "width": chart.width - LEFT, "height": bottom - top},
               el("title", {}, f"the loop: steps {view.loop + 1} to {view.violating_step}, "
                               f"then step {view.loop + 1} again"))]


def _axis(view: TraceView, chart: Chart) -> list[str]:
    out = [el("line", {"x1": LEFT - 6, "y1": TOP - 8, "x2": LEFT - 6, "y2": chart.bottom,
                       "class": "axis"}),
           el("text", {"x": LEFT - 12, "y": TOP - 40, "text-anchor": "end",
                       "class": "axis-label"}, "time (s)" if view.timed else "step")]
    shown = None
    for step in view.steps[1:]:
        value = step.time if view.timed else step.index
        if value == shown:
            continue
        shown = value
        out.append(el("text", {"x": LEFT - 12, "y": chart.ys[step.index] + 4,
                               "text-anchor": "end", "class": "tick"}, f"{value:g}"))
    for y, seconds in chart.breaks:
        zigzag = f"M 0 {y - 3} l 8 -4 l 8 8 l 8 -4"
        out.append(el("path", {"class": "break", "d": zigzag,
                               "transform": f"translate({LEFT - 18} 0)"}))
        out.append(el("line", {"class": "break-line", "x1": LEFT, "y1": y,
                               "x2": chart.width - 8, "y2": y}))
        out.append(el("text", {"x": LEFT - 22, "y": y + 4, "text-anchor": "end",
                               "class": "break-label"}, f"+{seconds:g} s"))
    return out


_FLAT_KEY = re.compile(r"(?P<name>.*?)\[(?P<key>[^\[\]]*)\]")
_NODE_NUMBER = re.compile(NODE_NUMBER)


def _state_table(view: TraceView, step, changed: set) -> list:
    """The state after a step as table rows [section, name, cells, changed flags]: per-node
    variables first (a cell per node), then per-group ones, channels and globals (one
    cell). From the flat texts, so a trace from another tool gets a table too."""
    nodes: dict[str, list] = {}
    rows: dict[str, list] = {"group": [], "channel": [], "global": []}
    for key, text in (step.flat or flat_state(step.state)).items():
        match = _FLAT_KEY.fullmatch(key)
        index = match["key"] if match else None
        if index is not None and _NODE_NUMBER.fullmatch(index) and int(index) < view.nodes:
            cells = nodes.setdefault(match["name"], [["", False] for _ in range(view.nodes)])
            cells[int(index)] = [text, key in changed]
            continue
        section = ("global" if index is None else
                   "group" if index.startswith("g") else "channel")
        rows[section].append(["", key, [text], [key in changed]])
    table = [["node", name, [c[0] for c in cells], [c[1] for c in cells]]
             for name, cells in nodes.items()]
    for section in ("group", "channel", "global"):
        table += [[section, *row[1:]] for row in rows[section]]
    return table


def _step_data(view: TraceView) -> list[dict]:
    data = []
    for step in view.steps:
        changed = {name for name, _, _ in step.changes}
        data.append({"index": step.index, "action": step.action, "time": step.time,
                     "node": step.node, "changes": step.changes,
                     "table": _state_table(view, step, changed)})
    return data


def render(view: TraceView) -> str:
    if not view.nodes:
        raise ValueError("; ".join(view.problems) or "nothing to draw")
    chart = layout(view)
    width, height = chart.width, chart.height
    defs = el("defs", {}, el("marker", {"id": "arrow", "viewBox": "0 0 10 10", "refX": 10,
                                        "refY": 5, "markerWidth": 7, "markerHeight": 7,
                                        "orient": "auto-start-reverse"},
                             el("path", {"d": "M 0 0 L 10 5 L 0 10 z"})))
    parts = (*_axis(view, chart), *_lanes(view, chart), *_messages(view, chart),
             *_loop_band(view, chart), *_steps(view, chart), *_labels(chart))
    svg = el("svg", {"id": "chart", "xmlns": "http://www.w3.org/2000/svg", "width": width,
                     "height": height, "viewBox": f"0 0 {width} {height}"},
             Markup("\n"), defs, *(Markup(part + "\n") for part in parts))
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
            el("p", {}, "Click a step (a dot or its label), or use the arrow keys, to see "
                        "the state after it; the address (#step-N) links to that step."),
            el("div", {"class": "layout"},
               el("div", {"id": "chart-box"}, Markup("\n"), svg, Markup("\n")),
               el("div", {"id": "panel"}, el("h2", {"id": "panel-title"}),
                  el("ul", {"id": "panel-changes"}),
                  el("table", {"id": "panel-state"}, el("thead", {}), el("tbody", {})))),
            el("script", {"type": "application/json", "id": "trace-data"},
               Markup(script_json({"first": view.violating_step, "nodes": view.nodes,
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
p { margin: 4px 0; }
.layout { display: flex; gap: 16px; align-items: flex-start; }
#chart-box { overflow: auto; border: 1px solid #d1d5db; flex: 1 1 auto; min-width: 0; }
#panel { flex: 0 0 440px; overflow: auto; }
#panel h2 { font-size: 14px; margin: 0 0 4px; }
#panel-changes { margin: 0 0 6px; padding-left: 18px; }
#panel-changes li { color: #92400e; font-family: monospace; }
#panel-state { border-collapse: collapse; font: 12px/1.3 monospace; width: 100%;
               table-layout: fixed; }
#panel-state th:first-child { width: 96px; }
#panel-state th, #panel-state td { border: 1px solid #e5e7eb; padding: 2px 4px;
                                   text-align: left; vertical-align: top;
                                   overflow-wrap: anywhere; }
#panel-state thead th { background: #f3f4f6; }
#panel-state th.section { background: #f9fafb; font-style: italic; font-weight: 400; }
#panel-state td.changed { background: #fef3c7; font-weight: 700; }
.key { display: inline-block; width: 12px; height: 12px; margin: 0 3px 0 10px;
       vertical-align: middle; border: 1px solid #9ca3af; }
svg text { font-family: "DejaVu Sans Mono", monospace; font-size: 11px; }
.lane-name { font-weight: 600; text-anchor: middle; font-size: 12px; }
.lane-line { stroke: #9ca3af; stroke-dasharray: 3 3; }
.band { stroke: #6b7280; stroke-width: .5; }
.lane-label { fill: #065f46; }
.step-label { fill: #111827; cursor: pointer; }
.msg-label { fill: #1d4ed8; }
.msg-label.lost, .msg-label.dropped { fill: #dc2626; }
svg text.step-label, svg text.msg-label, svg text.lane-label, svg text.loop-label {
  paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.msg line { stroke: #1d4ed8; stroke-width: 1.2; }
.msg.lost line, .msg.dropped line { stroke: #dc2626; stroke-dasharray: 4 3; }
.msg.in-flight line { stroke-dasharray: 2 3; }
.step { fill: #1f2937; cursor: pointer; }
.step.selected { fill: #2563eb; stroke: #93c5fd; stroke-width: 4; }
.step.violating { fill: #dc2626; }
text.violation { fill: #dc2626; font-weight: 700; }
text.selected { text-decoration: underline; }
.loop-band { fill: #7c3aed; fill-opacity: .08; stroke: #7c3aed; stroke-dasharray: 6 3;
             pointer-events: none; }
.loop-label { fill: #6d28d9; font-weight: 700; }
.break { fill: none; stroke: #6b7280; stroke-width: 1.5; }
.break-line { stroke: #d1d5db; stroke-dasharray: 2 4; }
.break-label { fill: #6b7280; font-style: italic; }
.axis { stroke: #6b7280; } .tick, .axis-label { fill: #4b5563; }
"""

# Constant: the data comes from the inert JSON element, and reaches the page only as
# textContent. Its hash is in the page's Content-Security-Policy.
SCRIPT = r"""
"use strict";
const DATA = JSON.parse(document.getElementById('trace-data').textContent);
const STEPS = DATA.steps;
let current = DATA.first;
function cell(tag, text, cls) {
  const c = document.createElement(tag);
  c.textContent = text;
  if (cls) { c.className = cls; }
  return c;
}
function table(rows) {
  const head = document.querySelector('#panel-state thead');
  const body = document.querySelector('#panel-state tbody');
  const top = document.createElement('tr');
  top.appendChild(cell('th', ''));
  for (let i = 0; i < DATA.nodes; i++) { top.appendChild(cell('th', 'node ' + i)); }
  head.replaceChildren(top);
  body.replaceChildren();
  let section = 'node';
  for (const [kind, name, cells, changed] of rows) {
    if (kind !== section) {
      section = kind;
      const tr = document.createElement('tr');
      const th = cell('th', {group: 'groups', channel: 'channels and links',
                             global: 'global'}[kind] || kind, 'section');
      th.colSpan = DATA.nodes + 1;
      tr.appendChild(th);
      body.appendChild(tr);
    }
    const tr = document.createElement('tr');
    tr.appendChild(cell('th', name));
    cells.forEach((text, i) => {
      const td = cell('td', text, changed[i] ? 'changed' : '');
      if (cells.length === 1) { td.colSpan = DATA.nodes; }
      tr.appendChild(td);
    });
    body.appendChild(tr);
  }
}
function show(k, scroll) {
  if (!Number.isInteger(k)) { return; }
  current = Math.max(0, Math.min(STEPS.length - 1, k));
  const s = STEPS[current];
  document.querySelectorAll('.selected').forEach(e => e.classList.remove('selected'));
  const dot = document.getElementById('step-' + current);
  if (dot) { dot.classList.add('selected'); }
  document.querySelectorAll('text[data-index="' + current + '"]').forEach(
    e => e.classList.add('selected'));
  const when = s.time === null ? '' : ' at ' + s.time + ' s';
  document.getElementById('panel-title').textContent =
    'step ' + s.index + when + ': ' + s.action;
  const list = document.getElementById('panel-changes');
  list.replaceChildren();
  for (const [name, before, after] of s.changes) {
    list.appendChild(cell('li', name + ': ' + before + ' \u2192 ' + after));
  }
  table(s.table);
  if (location.hash !== '#step-' + current) {
    try { history.replaceState(null, '', '#step-' + current); } catch (e) { /* file: */ }
  }
  if (dot && scroll) { reveal(dot); }
}
// The chart scrolls in its own box, as tall as the window leaves it, so that the page's
// heading stays in view; a step is brought to the middle of the box when it is outside.
function fit() {
  for (const id of ['chart-box', 'panel']) {
    const box = document.getElementById(id);
    const top = box.getBoundingClientRect().top;
    box.style.maxHeight = Math.max(240, innerHeight - top - 12) + 'px';
  }
}
function reveal(dot) {
  const box = document.getElementById('chart-box');
  const b = box.getBoundingClientRect();
  let r = dot.getBoundingClientRect();
  if (r.top < b.top + 24 || r.bottom > b.bottom - 24) {
    box.scrollTop += (r.top + r.bottom) / 2 - (b.top + b.bottom) / 2;
  }
  if (r.left < b.left || r.right > b.right) {
    box.scrollLeft += (r.left + r.right) / 2 - (b.left + b.right) / 2;
  }
  r = dot.getBoundingClientRect();
  if (r.top < 0 || r.bottom > innerHeight) { dot.scrollIntoView({block: 'center'}); }
}
function fromHash() {
  const m = /^#step-([0-9]+)$/.exec(location.hash);
  return m ? Number(m[1]) : null;
}
document.querySelectorAll('.step, text[data-index]').forEach(e =>
  e.addEventListener('click', () => show(Number(e.dataset.index), false)));
document.addEventListener('keydown', e => {
  if (e.key === 'ArrowDown' || e.key === 'ArrowRight') { show(current + 1, true); e.preventDefault(); }
  if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') { show(current - 1, true); e.preventDefault(); }
});
window.addEventListener('hashchange', () => {
  const k = fromHash();
  if (k !== null && k !== current) { show(k, true); }
});
window.addEventListener('resize', fit);
fit();
const linked = fromHash();
show(linked === null ? current : linked, false);
// after the browser's own scroll to the address's #step-N (it aligns the dot with the
// box's top edge, hiding the lanes' names): the box from its top, the step in view
window.addEventListener('load', () => setTimeout(() => {
  fit();
  document.getElementById('chart-box').scrollTop = 0;
  reveal(document.getElementById('step-' + current));
}, 0));
"""
