"""The counterexample viewer: terminal and web page (tools/trace_view.py, view_text.py,
view_html.py), the page checked in a real browser (headless Chromium)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import time
from pathlib import Path

import pytest

from hacheck.model.spec import load
from hacheck.tools.cli import main
from hacheck.tools.run import check
from hacheck.tools.trace_view import load_trace
from hacheck.tools.view_text import render

ARTIFACTS = Path(os.environ.get("HACHECK_ARTIFACTS", Path(__file__).parent / "artifacts"))



@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch):
    """The terminal view wraps to the terminal's width; these tests read whole lines."""
    monkeypatch.setenv("COLUMNS", "1000")

@pytest.fixture(scope="module")
def timed_trace(tmp_path_factory) -> Path:
    """A real timed counterexample: 1.51, two nodes, no faults (a late boot's forced take)."""
    path = tmp_path_factory.mktemp("trace") / "s1.itf.json"
    spec = load("heartbeat-1.51")
    run = check(spec.with_options(crashes=0, restarts=0), timed=True, trace_out=str(path))
    assert run.trace_files, "the run found no counterexample to show"
    return path


def delivers(path: Path) -> int:
    states = json.loads(path.read_text())["states"]
    return sum(1 for s in states[1:] if s["#meta"]["action_name"] == "DELIVER")


def test_every_delivered_message_is_followed_from_its_send(timed_trace):
    view = load_trace(timed_trace)
    delivered = [m for m in view.messages if m.fate == "delivered"]
    assert len(delivered) == delivers(timed_trace) > 0
    for m in delivered:
        assert m.sent < m.end
        step = view.steps[m.end]
        assert step.name == "DELIVER" and step.args == [m.sender, m.receiver]
        assert m.label.split()[0] in step.action   # DELIVER(i, j) RES(i local stable)
    assert view.timed and view.nodes == 2 and not view.problems


def test_the_terminal_view_marks_the_violating_step_and_draws_the_chart(timed_trace):
    view = load_trace(timed_trace)
    text = render(view, colour=False)
    last = view.steps[-1]
    assert f"▶ {last.index:>4}" in text and "breaks S1" in text
    assert "\033[" not in text
    chart = text.split("message sequence chart")[1].split("\n", 1)[1]   # past its legend
    assert chart.count("▶") + chart.count("◀") == delivers(timed_trace)
    for name, old, new in last.changes:
        assert f"{name}: {old} -> {new}" in text
    assert "\033[" in render(view, colour=True)


def test_colour_only_on_a_terminal_and_never_with_no_color(timed_trace, capsys, monkeypatch):
    from hacheck.tools import view_text

    class Tty:
        def isatty(self):
            return True
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert view_text.use_colour(Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not view_text.use_colour(Tty())
    assert main(["view", str(timed_trace)]) == 0
    assert "\033[" not in capsys.readouterr().out   # pytest's stdout is not a terminal


def test_a_trace_from_another_tool_opens_with_what_cannot_be_drawn(tmp_path, capsys):
    other = tmp_path / "other.itf.json"
    other.write_text(json.dumps({"vars": ["x"], "states": [{"x": {"#bigint": "1"}},
                                                           {"x": {"#bigint": "2"}}]}))
    assert main(["view", str(other)]) == 0
    out = capsys.readouterr().out
    assert "x: 1 -> 2" in out and "nodes cannot be drawn as lanes" in out
    assert main(["view", str(other), "--html", str(tmp_path / "o.html")]) == 2
    assert "cannot draw this trace" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{")
    assert main(["view", str(tmp_path / "bad.json")]) == 2
    assert "not JSON" in capsys.readouterr().err


def _page_parts(page: str) -> tuple[str, dict, list[str]]:
    """The title, the step data and the classes of the step dots of a page."""
    title = re.search(r"<title>(.*?)</title>", page, re.S)[1]
    data = re.search(r'<script type="application/json" id="trace-data">(.*?)</script>',
                     page, re.S)[1]
    dots = re.findall(r'<circle id="step-\d+" class="(step[^"]*)"', page)
    return html.unescape(title), json.loads(data), dots


def test_hacheck_writes_the_page_of_the_counterexample_it_found(tmp_path, capsys):
    page, trace = tmp_path / "found.html", tmp_path / "t.itf.json"
    code = main(["--untimed", "--quiet", "--trace-out", str(trace), "--html", str(page)])
    assert code == 12
    report = capsys.readouterr().out
    # the counterexample the run reported: its property, its length, its actions
    found = re.search(r"shortest counterexample to (\w+) \((\d+) steps", report)
    prop, length = found[1], int(found[2])
    listed = re.findall(r"^ +(\d+)  (?:n\d+)? +(\S.*?)$",
                        report[found.end():report.index(f"violates {prop}")], re.M)
    assert [int(i) for i, _ in listed] == list(range(1, length + 1))
    assert f"trace written to {trace}" in report
    # the trace it wrote is that counterexample
    document = json.loads(trace.read_text())
    assert document["#meta"]["property"] == prop and document["#meta"]["verdict"] == "VIOLATED"
    actions = [s["#meta"]["action"] for s in document["states"]]
    assert len(actions) == length + 1 and actions[1:] == [a for _, a in listed]
    # and the page is the page of that trace
    text = page.read_text()
    title, data, dots = _page_parts(text)
    assert title == f"hacheck: {prop}: VIOLATED"
    assert f"<h1>{prop}: VIOLATED</h1>" in text
    assert [s["action"] for s in data["steps"]] == actions
    assert data["first"] == length                      # the violating step is shown first
    assert len(dots) == length and dots[-1] == "step violating" \
        and dots.count("step violating") == 1
    assert f"breaks {prop}: {html.escape(actions[-1])}" in text
    # self-contained: nothing to fetch
    assert not re.findall(r"https?://", text.replace("http://www.w3.org/2000/svg", ""))
    assert not re.search(r"\s(src|href)=", text)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's), its console log kept."""
    from selenium import webdriver
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1500"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


def _table(browser) -> dict:
    """The state panel's table: each row's name and its cells' texts."""
    return browser.execute_script("""
      const rows = {};
      document.querySelectorAll('#panel-state tbody tr').forEach(tr => {
        const cells = Array.from(tr.querySelectorAll('td'), td => td.textContent);
        if (cells.length) { rows[tr.querySelector('th').textContent] = cells; }
      });
      return rows;""")


def _open(browser, page: Path) -> list[str]:
    """Load the page; the messages it left on the console."""
    browser.get_log("browser")          # forget what earlier pages logged
    browser.get(page.as_uri())
    return [entry["message"] for entry in browser.get_log("browser")]


def test_the_page_in_a_real_browser(timed_trace, tmp_path, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    page = tmp_path / "trace.html"
    assert main(["view", str(timed_trace), "--html", str(page)]) == 0
    console = _open(browser, page)
    assert not [m for m in console if "Content Security Policy" in m], console
    view = load_trace(timed_trace)
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg .lane")) == view.nodes
    arrows = browser.find_elements(By.CSS_SELECTOR, "svg .msg.delivered line")
    assert len(arrows) == delivers(timed_trace)
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg .step.violating")) == 1
    # the violating step is shown first; a click shows another step's state
    title = browser.find_element(By.ID, "panel-title")
    assert title.text.startswith(f"step {view.violating_step}")
    browser.find_element(By.ID, "step-3").click()
    assert title.text.startswith(f"step 3 at {view.steps[3].time:g} s: {view.steps[3].action}")
    assert _table(browser)["ph"][0] == view.steps[3].state["ph"][0]
    changes = browser.find_element(By.ID, "panel-changes").text
    assert all(name in changes for name, _, _ in view.steps[3].changes)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_DOWN)
    assert title.text.startswith("step 4")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "trace-viewer.png"))


# Strings a hostile trace could carry; each would run script, add an element or end the
# page's data if written into the page unescaped.
PAYLOADS = {
    "property": "<script>window.__pwned='property';alert(1)</script>",
    "explanation": "<img src=x onerror=\"window.__pwned='explanation';alert(1)\">",
    "source": "</script><script>window.__pwned='source'</script><!--",
    "action": "\"><svg onload=\"window.__pwned='action'\"></svg><iframe src=\"javascript:alert(1)\">",
    "variable": "<img src=x onerror=alert(1)>",
    "own": "<img src=x onerror=alert(1)>",
    "message": "</script><script>document.title='pwned';window.__pwned='message'</script><!--",
}


def _inject(document: dict, strings: dict) -> dict:
    """The trace with `strings` in its #meta, the violating step's action, a variable's
    name, a node's `own` and a field of every RES message on the wire."""
    document = json.loads(json.dumps(document))
    meta = document["#meta"]
    meta["property"], meta["explanation"] = strings["property"], strings["explanation"]
    meta["source"] = strings["source"]
    states = document["states"]
    states[-1]["#meta"]["action"] = strings["action"]
    for k, state in enumerate(states):
        state[strings["variable"]] = {"#bigint": str(k)}
        for _, queue in state["ch"]["#map"]:
            for message in queue:
                if message["tag"] == "RES":
                    message["value"]["n"] = strings["message"]
    states[-1]["own"][0] = strings["own"]
    document["vars"].append(strings["variable"])
    return document


def test_a_hostile_trace_renders_as_text_and_runs_nothing(timed_trace, tmp_path, browser):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    document = json.loads(timed_trace.read_text())
    pages = {}
    for name, strings in (("plain", {k: f"harmless-{k}" for k in PAYLOADS}),
                          ("hostile", PAYLOADS)):
        trace, pages[name] = tmp_path / f"{name}.itf.json", tmp_path / f"{name}.html"
        trace.write_text(json.dumps(_inject(document, strings)))
        assert main(["view", str(trace), "--html", str(pages[name])]) == 0
        assert main(["view", str(trace)]) == 0
    view = load_trace(tmp_path / "hostile.itf.json")
    assert any(PAYLOADS["message"] in m.label for m in view.messages)
    text = pages["hostile"].read_text()
    # the data cannot end its <script> element or open a comment
    assert text.count("</script>") == text.count("<script") == 2 and "<!--" not in text
    assert "<img" not in text and "<iframe" not in text

    elements = "return Array.from(document.querySelectorAll('*'), e => e.tagName)"
    _open(browser, pages["plain"])
    plain_tags = sorted(browser.execute_script(elements))
    _open(browser, pages["hostile"])
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert            # no alert() ran
    assert browser.execute_script("return window.__pwned") is None
    assert browser.title == f"hacheck: {PAYLOADS['property']}: VIOLATED"
    tags = sorted(browser.execute_script(elements))
    assert tags == plain_tags              # no element added
    for tag in ("script", "img", "iframe", "svg"):
        assert tags.count(tag.upper()) == plain_tags.count(tag.upper())
    # each string is there as visible text
    body = browser.find_element(By.TAG_NAME, "body").text
    for key in ("property", "explanation", "source", "own", "message"):
        assert PAYLOADS[key] in body, key
    title = browser.find_element(By.ID, "panel-title").text
    assert title.endswith(PAYLOADS["action"])          # the violating step, shown first
    assert f"breaks {PAYLOADS['property']}: {PAYLOADS['action']}" in body
    assert _table(browser)[PAYLOADS["variable"]] == [str(view.violating_step)]
    browser.find_element(By.ID, "step-1").click()       # the panel still works
    assert browser.find_element(By.ID, "panel-title").text.startswith("step 1 at ")
    assert browser.execute_script("return window.__pwned") is None


def test_the_policy_allows_only_the_page_s_own_script_and_style(timed_trace, tmp_path, browser):
    from selenium.webdriver.common.by import By
    page = tmp_path / "trace.html"
    assert main(["view", str(timed_trace), "--html", str(page)]) == 0
    text = page.read_text()
    policy = html.unescape(re.search(
        r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', text)[1])
    assert text.index("Content-Security-Policy") < text.index("<style") < text.index("<script")
    assert "default-src 'none'" in policy and "unsafe" not in policy
    scripts = re.findall(r"<script>(.*?)</script>", text, re.S)
    styles = re.findall(r"<style>(.*?)</style>", text, re.S)
    assert len(scripts) == len(styles) == 1 and " style=" not in text
    for directive, source in (("script-src", scripts[0]), ("style-src", styles[0])):
        digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy
    # defence in depth: markup that did get into the page would not run
    smuggled = text.replace("<body>", "<body><script>window.__pwned='inline'</script>"
                            "<img src=x onerror=\"window.__pwned='img'\">"
                            "<div id=styled style=\"color: red\">x</div>", 1)
    (tmp_path / "smuggled.html").write_text(smuggled)
    console = _open(browser, tmp_path / "smuggled.html")
    assert browser.execute_script("return window.__pwned") is None
    # the browser reports a blocked script or style when it gets to it: on a loaded
    # machine that can be after the page has loaded
    deadline = time.monotonic() + 10
    while (not any("Content Security Policy" in m for m in console)
           and time.monotonic() < deadline):
        time.sleep(0.1)
        console += [entry["message"] for entry in browser.get_log("browser")]
    assert any("Content Security Policy" in m for m in console), console
    colour = browser.find_element(By.ID, "styled").value_of_css_property("color")
    assert colour != "rgba(255, 0, 0, 1)"
    # while the page's own script runs
    assert browser.find_element(By.ID, "panel-title").text.startswith("step ")


def test_a_lasso_shows_where_its_loop_starts(tmp_path, capsys):
    # two groupless nodes in 1.51 announce for ever (P5's L0 lasso)
    from hacheck.model import Config
    from hacheck.properties import all_properties
    from hacheck.tools.itf import write_itf
    from hacheck.tools.run import itf_document, search
    cfg = Config(N=2, home=())
    result = search(cfg, all_properties(cfg), keep_going=True, max_states=200_000).result
    result.mode, result.meta = "untimed", {"spec": "groupless"}
    l0 = next(p for p in result.properties if p.name == "L0")
    path = tmp_path / "lasso.itf.json"
    write_itf(path, itf_document(cfg, l0, result))
    assert main(["view", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = next(line for line in lines if "the loop starts here" in line)
    assert start.split()[0] == str(l0.loop + 1)
    assert main(["view", str(path), "--html", str(tmp_path / "l.html")]) == 0
    page = (tmp_path / "l.html").read_text()
    assert page.count('class="loop-band"') == 1 and "drawn evenly spaced" in capsys.readouterr().err
    assert f"returns to step {l0.loop + 1}" in page


def test_malformed_trace_fields_are_notes_or_one_line_errors_never_tracebacks(tmp_path, capsys):
    odd = tmp_path / "odd.itf.json"
    odd.write_text(json.dumps({"states": [
        {"ph": ["up"], "ch": {"0->1": "abc"}},
        {"ph": ["up"], "ch": {"0->1": 5}, "#meta": {"args": 3, "node": "x", "time": "t"}}]}))
    assert main(["view", str(odd)]) == 0
    assert 'channel "0->1" is not a list keyed by a pair of nodes' in capsys.readouterr().out
    listed = tmp_path / "listed.itf.json"
    listed.write_text(json.dumps({"states": [1, 2]}))
    assert main(["view", str(listed)]) == 2
    assert capsys.readouterr().err == (f"hacheck view: error: {listed}: states[0]: 1 is not a "
                                       "state (an object of variables)\n")


# --- the chart as its readers want it (issue 19) ------------------------------------------

@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict:
    """The traces the viewer was judged on: N = 3 timed S1 (the default spec), an untimed
    L0 lasso, an untimed L1 stuck state."""
    from hacheck.model import Config
    from hacheck.properties import all_properties
    from hacheck.tools.itf import write_itf
    from hacheck.tools.run import itf_document, search
    d = tmp_path_factory.mktemp("pages")
    assert main(["--nodes", "3", "-q", "--trace-out", str(d / "n3.itf.json")]) == 12
    cfg = Config(N=2, home=())          # two groupless nodes announce for ever
    result = search(cfg, all_properties(cfg), keep_going=True, max_states=200_000).result
    result.mode, result.meta = "untimed", {"spec": "groupless"}
    l0 = next(p for p in result.properties if p.name == "L0")
    write_itf(d / "lasso.itf.json", itf_document(cfg, l0, result))
    spec = d / "crash.toml"             # a stale request orphans a group (L1)
    spec.write_text("[cluster]\nnodes = 2\n[faults]\ncrashes = 1\n")
    assert main([str(spec), "--untimed", "--keep-going", "-q",
                 "--trace-out", str(d / "crash.itf.json")]) == 12
    return {"n3-timed-S1": d / "n3.itf.json", "lasso-L0": d / "lasso.itf.json",
            "stuck-L1": d / "crash-L1.itf.json"}


def _trace(name, pages, longest_trace_written, tmp_path) -> Path:
    if name != "longest":
        return pages[name]
    documents = [json.loads(p.read_text()) for p in pages.values()]   # these count too
    if longest_trace_written["document"] is not None:
        documents.append(longest_trace_written["document"])
    path = tmp_path / "longest.itf.json"
    path.write_text(json.dumps(max(documents, key=lambda d: len(d["states"]))))
    return path


def _at_1280_by_800(browser, page: Path, anchor: str = "") -> None:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    browser.get("about:blank")
    browser.get(page.as_uri() + anchor)


@pytest.fixture
def small_window(browser):
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


TEXT_BOXES = """
  const chart = document.getElementById('chart').getBoundingClientRect();
  const boxes = Array.from(document.querySelectorAll('#chart text'), t => {
    const r = t.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom, t.textContent];
  });
  return [[chart.left, chart.top, chart.right, chart.bottom], boxes];"""


def _in_view(browser, element_id: str) -> bool:
    return browser.execute_script("""
      const r = document.getElementById(arguments[0]).getBoundingClientRect();
      return r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight
        && innerWidth === 1280 && innerHeight === 800;""", element_id)


@pytest.mark.parametrize("name", ["n3-timed-S1", "lasso-L0", "stuck-L1", "longest"])
def test_every_event_is_labelled_and_no_two_labels_overlap(name, pages, longest_trace_written,
                                                           tmp_path, small_window):
    from selenium.webdriver.common.by import By
    browser = small_window
    trace = _trace(name, pages, longest_trace_written, tmp_path)
    page = tmp_path / f"{name}.html"
    assert main(["view", str(trace), "--html", str(page)]) == 0
    _at_1280_by_800(browser, page)
    view = load_trace(trace)
    chart, boxes = browser.execute_script(TEXT_BOXES)
    for left, top, right, bottom, text in boxes:
        assert chart[0] <= left and right <= chart[2] and chart[1] <= top \
            and bottom <= chart[3], f"{text!r} is outside the chart"
    for k, a in enumerate(boxes):
        for b in boxes[k + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), \
                f"{a[4]!r} overlaps {b[4]!r}"
    # every step and every message has its label
    labelled = browser.execute_script(
        "return Array.from(document.querySelectorAll('text.step-label'), t => t.dataset.index)")
    assert sorted(map(int, labelled)) == list(range(1, len(view.steps)))
    drawn = [m for m in view.messages if m.sender < view.nodes and m.receiver < view.nodes]
    assert len(browser.find_elements(By.CSS_SELECTOR, "text.msg-label")) == len(drawn)
    # the violating step is in view; the table has a column per node, changes marked
    assert _in_view(browser, f"step-{view.violating_step}")
    head = browser.find_elements(By.CSS_SELECTOR, "#panel-state thead th")
    assert [h.text for h in head] == [""] + [f"node {i}" for i in range(view.nodes)]
    assert _table(browser)["ph"] == view.steps[-1].state["ph"]
    changed = browser.find_elements(By.CSS_SELECTOR, "#panel-state td.changed")
    assert len(changed) == len(view.steps[-1].changes) > 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / f"viewer-{name}.png"))


def test_the_address_opens_the_page_at_its_step_and_follows_the_keys(pages, tmp_path,
                                                                     small_window):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
    browser = small_window
    page = tmp_path / "n3.html"
    assert main(["view", str(pages["n3-timed-S1"]), "--html", str(page)]) == 0
    _at_1280_by_800(browser, page, "#step-3")
    title = browser.find_element(By.ID, "panel-title")
    assert title.text.startswith("step 3 ") and _in_view(browser, "step-3")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_DOWN)
    assert title.text.startswith("step 4 ")
    assert browser.execute_script("return location.hash") == "#step-4"
    browser.find_element(By.CSS_SELECTOR, 'text.step-label[data-index="2"]').click()
    assert title.text.startswith("step 2 ")
    browser.execute_script("location.hash = '#step-5'")
    WebDriverWait(browser, 5).until(lambda b: title.text.startswith("step 5 "))
    _at_1280_by_800(browser, page, "#step-99999")      # no such step: the last one
    view = load_trace(pages["n3-timed-S1"])
    title = browser.find_element(By.ID, "panel-title")
    assert title.text.startswith(f"step {view.violating_step} ")


def test_long_waits_are_breaks_with_the_real_times_on_the_axis(pages, tmp_path, small_window):
    from hacheck.tools.view_layout import MAX_GAP, PX_PER_SECOND
    from selenium.webdriver.common.by import By
    browser = small_window
    view = load_trace(pages["n3-timed-S1"])
    times = [0.0] + [s.time for s in view.steps[1:]]
    long = [b - a for a, b in zip(times, times[1:]) if (b - a) * PX_PER_SECOND > MAX_GAP]
    assert long, "the trace has no long wait to compress"
    page = tmp_path / "n3.html"
    assert main(["view", str(pages["n3-timed-S1"]), "--html", str(page)]) == 0
    _at_1280_by_800(browser, page)
    breaks = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "text.break-label")]
    assert breaks == [f"+{g:g} s" for g in long]
    ticks = {t.text for t in browser.find_elements(By.CSS_SELECTOR, "text.tick")}
    assert ticks == {f"{t:g}" for t in times[1:]}
    # a wait takes no more room than a break, however long
    dots = {int(c.get_attribute("data-index")): float(c.get_attribute("cy"))
            for c in browser.find_elements(By.CSS_SELECTOR, "circle.step")}
    assert max(b - a for a, b in zip(sorted(dots.values()), sorted(dots.values())[1:])) < 120


def test_a_lasso_s_loop_is_a_band_that_says_where_it_returns(pages, tmp_path, small_window):
    from selenium.webdriver.common.by import By
    browser = small_window
    view = load_trace(pages["lasso-L0"])
    page = tmp_path / "lasso.html"
    assert main(["view", str(pages["lasso-L0"]), "--html", str(page)]) == 0
    _at_1280_by_800(browser, page)
    band = browser.find_element(By.CSS_SELECTOR, "rect.loop-band")
    top = float(band.get_attribute("y"))
    bottom = top + float(band.get_attribute("height"))
    for step in view.steps[1:]:
        cy = float(browser.find_element(By.ID, f"step-{step.index}").get_attribute("cy"))
        assert (top < cy < bottom) == (step.index > view.loop), step.index
    labels = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "text.loop-label")]
    assert f"<- returns to step {view.loop + 1}" in labels
