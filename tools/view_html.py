"""`hacheck view TRACE --html OUT.html`: a counterexample as one self-contained web page.

An SVG message sequence chart on a time axis: one lane per node, coloured by its phase
and rstate, with the groups it owns; each message an arrow from its send to its delivery;
the violating step marked. Clicking a step (or the arrow keys) shows the full state at
that step and what changed. No network access, no server: the page carries its data.

The time axis follows the timestamps; where several steps share an instant it stretches,
so that each stays visible (the tick labels give the real times).
"""

from __future__ import annotations

import html
import json

from hacheck.tools.trace_view import TraceView, flatten

LANE = 260          # px per node
LEFT = 90           # px: the time axis
TOP = 70
MIN_GAP = 16        # px between consecutive steps
IN_FLIGHT_GAP = 18  # px between the ends of messages still in flight at the end
RS_COLOURS = {"INIT": "#e5e7eb", "STARTING": "#fde68a", "BOTHSTARTING": "#fdba74",
              "RSCRCVD": "#93c5fd", "STABLE": "#86efac"}
DOWN, PRE = "#9ca3af", "#ffffff"


def _ys(view: TraceView) -> list[float]:
    """The y of every step (index 0: the initial state, at the top)."""
    times = [s.time for s in view.steps[1:]]
    timed = view.timed
    span = (max(times) - min(times)) if timed and times else 0
    per_second = min(40.0, 700.0 / span) if span else 0
    ys = [TOP]
    for k, step in enumerate(view.steps[1:], 1):
        gap = MIN_GAP
        if timed and k > 1:
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
        out.append(f'<g class="lane" data-node="{i}">'
                   f'<text x="{x}" y="{TOP - 40}" class="lane-name">node {i}</text>'
                   f'<line x1="{x}" y1="{TOP - 28}" x2="{x}" y2="{bottom}" class="lane-line"/>')
        last_rs, last_own = None, None
        for k, step in enumerate(view.steps):
            y0 = ys[k]
            y1 = ys[k + 1] if k + 1 < len(ys) else bottom
            ph, rs = _get(step.state, "ph", i), _get(step.state, "rs", i)
            fill = (PRE if ph == "pre" else DOWN if ph == "down"
                    else RS_COLOURS.get(rs, "#e5e7eb"))
            out.append(f'<rect class="band" x="{x - 22}" y="{y0}" width="44" height="{y1 - y0}" '
                       f'fill="{fill}"><title>node {i}: {html.escape(str(ph))}'
                       f'{", " + html.escape(str(rs)) if rs is not None else ""}</title></rect>')
            label = ph if ph != "up" else rs
            if label is not None and label != last_rs:
                out.append(f'<text x="{x - 26}" y="{y0 + 11}" class="band-label" '
                           f'text-anchor="end">{html.escape(str(label))}</text>')
                last_rs = label
            own = _get(step.state, "own", i)
            if own is not None and own != last_own:
                groups = " ".join(f"g{g}" for g in own) if isinstance(own, list) else str(own)
                out.append(f'<text x="{x + 26}" y="{y0 + 11}" class="own">'
                           f'{"owns " + groups if groups else "owns nothing"}</text>')
                last_own = own
        out.append("</g>")
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
        cls = f"msg {m.fate.replace(' ', '-')}"
        marker = ' marker-end="url(#arrow)"' if m.fate == "delivered" else ""
        k = seen[m.sent] = seen.get(m.sent, -1) + 1
        f = 0.3 + 0.4 * (k % 2)
        out.append(f'<g class="{cls}" data-sent="{m.sent}" data-end="{m.end}">'
                   f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"{marker}/>'
                   f'<text x="{x1 + f * (x2 - x1)}" y="{y1 + f * (y2 - y1) - 4}" '
                   f'text-anchor="middle">'
                   f'{html.escape(m.label)}{"" if m.fate == "delivered" else " (" + m.fate + ")"}'
                   f'</text></g>')
    return out


def _steps(view: TraceView, ys: list[float]) -> list[str]:
    out = []
    bad = view.violating_step
    for step in view.steps[1:]:
        x = _x(step.node) if isinstance(step.node, int) and step.node < view.nodes else LEFT - 20
        y = ys[step.index]
        cls = "step violating" if step.index == bad else "step"
        out.append(f'<circle id="step-{step.index}" class="{cls}" data-index="{step.index}" '
                   f'cx="{x}" cy="{y}" r="{7 if step.index == bad else 5}">'
                   f'<title>{step.index}: {html.escape(step.action)}</title></circle>')
        if view.loop is not None and step.index == view.loop + 1:
            out.append(f'<text x="{x + 12}" y="{y + 4}" class="loop">the loop starts here '
                       f'and returns after step {bad}</text>')
        if step.index == bad:
            what = view.meta.get("property", "the property")
            out.append(f'<text x="{x + 12}" y="{y + 4}" class="violation">breaks {what}: '
                       f'{html.escape(step.action)}</text>')
    return out


def _axis(view: TraceView, ys: list[float]) -> list[str]:
    out = [f'<line x1="{LEFT - 40}" y1="{TOP}" x2="{LEFT - 40}" y2="{ys[-1] + 20}" class="axis"/>',
           f'<text x="{LEFT - 44}" y="{TOP - 40}" text-anchor="end" class="axis-label">'
           f'{"time (s)" if view.timed else "step"}</text>']
    shown = None
    for step in view.steps[1:]:
        value = step.time if view.timed else step.index
        if value == shown:
            continue
        shown = value
        out.append(f'<text x="{LEFT - 46}" y="{ys[step.index] + 4}" text-anchor="end" '
                   f'class="tick">{value:g}</text>')
    return out


def _step_data(view: TraceView) -> list[dict]:
    data = []
    for step in view.steps:
        flat = {}
        for name, value in step.state.items():
            flatten(value, name, flat)
        data.append({"index": step.index, "action": step.action, "time": step.time,
                     "node": step.node, "changes": step.changes, "state": flat})
    return data


def render(view: TraceView) -> str:
    if not view.nodes:
        raise ValueError("; ".join(view.problems) or "nothing to draw")
    ys = _ys(view)
    width = LEFT + LANE * view.nodes + 160
    in_flight = sum(1 for m in view.messages if m.end is None)
    bottom = ys[-1] + 30 + IN_FLIGHT_GAP * in_flight   # below the messages still in flight
    height = bottom + 30
    svg = [f'<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"/>'
           '</marker></defs>',
           *_axis(view, ys), *_lanes(view, ys, bottom), *_messages(view, ys), *_steps(view, ys),
           "</svg>"]
    meta = view.meta
    facts = [html.escape(x) for x in (meta.get("explanation", ""),
                                      f"possible when: {meta['condition']}"
                                      if meta.get("condition") else "",
                                      *(f"note: {p}" for p in view.problems)) if x]
    legend = "".join(f'<span class="key" style="background:{c}"></span>{n} '
                     for n, c in RS_COLOURS.items())
    legend += f'<span class="key" style="background:{DOWN}"></span>down'
    return PAGE.format(
        title=html.escape(view.title), source=html.escape(str(meta.get("source", ""))),
        facts="".join(f"<p>{f}</p>" for f in facts), legend=legend, svg="\n".join(svg),
        data=json.dumps(_step_data(view)).replace("</", "<\\/"),
        first=view.violating_step)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>hacheck: {title}</title>
<style>
body {{ font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #111827; }}
h1 {{ font-size: 18px; margin: 0 0 4px; }}
.layout {{ display: flex; gap: 16px; align-items: flex-start; }}
#chart-box {{ overflow: auto; border: 1px solid #d1d5db; }}
#panel {{ min-width: 360px; max-width: 460px; position: sticky; top: 8px; }}
#panel pre {{ background: #f9fafb; border: 1px solid #e5e7eb; padding: 6px; max-height: 60vh;
             overflow: auto; font-size: 12px; }}
#panel-changes li {{ color: #92400e; font-family: monospace; }}
.key {{ display: inline-block; width: 12px; height: 12px; margin: 0 3px 0 10px;
        vertical-align: middle; border: 1px solid #9ca3af; }}
.lane-name {{ font-weight: 600; text-anchor: middle; }}
.lane-line {{ stroke: #9ca3af; stroke-dasharray: 3 3; }}
.band {{ stroke: none; opacity: .9; }}
.band-label {{ font-size: 10px; fill: #374151; }}
.own {{ font-size: 10px; fill: #065f46; font-weight: 600; }}
.msg line {{ stroke: #1f2937; stroke-width: 1.2; }}
.msg text {{ font-size: 10px; fill: #1f2937; paint-order: stroke; stroke: #fff;
            stroke-width: 3px; }}
.msg.lost line, .msg.dropped line {{ stroke: #dc2626; stroke-dasharray: 4 3; }}
.msg.in-flight line {{ stroke-dasharray: 2 3; }}
.step {{ fill: #1f2937; cursor: pointer; }}
.step.selected {{ fill: #2563eb; stroke: #93c5fd; stroke-width: 4; }}
.step.violating {{ fill: #dc2626; }}
.violation {{ fill: #dc2626; font-weight: 700; font-size: 12px; }}
.loop {{ fill: #7c3aed; font-weight: 700; font-size: 11px; }}
.axis {{ stroke: #6b7280; }} .tick, .axis-label {{ font-size: 10px; fill: #4b5563; }}
</style></head>
<body>
<h1>{title}</h1>
<div>{source}</div>
{facts}
<div>rstate: {legend}</div>
<p>Click a step (a dot), or use the arrow keys, to see the state after it.</p>
<div class="layout">
<div id="chart-box">
{svg}
</div>
<div id="panel"><h2 id="panel-title"></h2><ul id="panel-changes"></ul>
<pre id="panel-state"></pre></div>
</div>
<script>
const STEPS = {data};
let current = {first};
function show(k) {{
  current = Math.max(0, Math.min(STEPS.length - 1, k));
  const s = STEPS[current];
  document.querySelectorAll('.step.selected').forEach(e => e.classList.remove('selected'));
  const dot = document.getElementById('step-' + current);
  if (dot) {{ dot.classList.add('selected'); }}
  const when = s.time === null ? '' : ' at ' + s.time + ' s';
  document.getElementById('panel-title').textContent =
    'step ' + s.index + when + ': ' + s.action;
  const list = document.getElementById('panel-changes');
  list.innerHTML = '';
  for (const [name, before, after] of s.changes) {{
    const li = document.createElement('li');
    li.textContent = name + ': ' + before + ' \\u2192 ' + after;
    list.appendChild(li);
  }}
  document.getElementById('panel-state').textContent =
    Object.entries(s.state).map(([k, v]) => k + ' = ' + v).join('\\n');
}}
document.querySelectorAll('.step').forEach(e =>
  e.addEventListener('click', () => show(Number(e.dataset.index))));
document.addEventListener('keydown', e => {{
  if (e.key === 'ArrowDown' || e.key === 'ArrowRight') {{ show(current + 1); e.preventDefault(); }}
  if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') {{ show(current - 1); e.preventDefault(); }}
}});
show(current);
</script>
</body></html>
"""
