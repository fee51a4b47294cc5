"""The counterexample viewer: terminal and web page (tools/trace_view.py, view_text.py,
view_html.py), the page checked in a real browser (headless Chromium)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hacheck.model.spec import load
from hacheck.tools.cli import main
from hacheck.tools.run import check
from hacheck.tools.trace_view import load_trace
from hacheck.tools.view_text import render

ARTIFACTS = Path(os.environ.get("HACHECK_ARTIFACTS", Path(__file__).parent / "artifacts"))


@pytest.fixture(scope="module")
def timed_trace(tmp_path_factory) -> Path:
    """A real timed counterexample: 1.51, two nodes, no faults (a late boot's forced take)."""
    path = tmp_path_factory.mktemp("trace") / "s1.itf.json"
    spec = load("heartbeat-1.51")
    from dataclasses import replace
    run = check(replace(spec, crashes=0, restarts=0), timed=True, trace_out=str(path))
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


def test_hacheck_writes_the_page_of_the_counterexample_it_found(tmp_path):
    page = tmp_path / "found.html"
    code = main(["--untimed", "--quiet", "--trace-out", str(tmp_path / "t.itf.json"),
                 "--html", str(page)])
    assert code == 12 and page.exists()
    text = page.read_text()
    assert "<svg" in text and "http" not in text.replace(
        "http://www.w3.org/2000/svg", "")   # self-contained: nothing fetched


def test_the_page_in_a_real_browser(timed_trace, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    page = tmp_path / "trace.html"
    assert main(["view", str(timed_trace), "--html", str(page)]) == 0
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1500"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver")
    browser = webdriver.Chrome(options=options, service=service)
    try:
        browser.get(page.as_uri())
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
        state = browser.find_element(By.ID, "panel-state").text
        assert f"ph[0] = {view.steps[3].state['ph'][0]}" in state
        changes = browser.find_element(By.ID, "panel-changes").text
        assert all(name in changes for name, _, _ in view.steps[3].changes)
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_DOWN)
        assert title.text.startswith("step 4")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(ARTIFACTS / "trace-viewer.png"))
    finally:
        browser.quit()


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
    assert page.count('class="loop"') == 1 and "drawn evenly spaced" in capsys.readouterr().err


def test_malformed_trace_fields_are_notes_or_one_line_errors_never_tracebacks(tmp_path, capsys):
    odd = tmp_path / "odd.itf.json"
    odd.write_text(json.dumps({"states": [
        {"ph": ["up"], "ch": {"0->1": "abc"}},
        {"ph": ["up"], "ch": {"0->1": 5}, "#meta": {"args": 3, "node": "x", "time": "t"}}]}))
    assert main(["view", str(odd)]) == 0
    assert "channel '0->1' is not a list" in capsys.readouterr().out
    listed = tmp_path / "listed.itf.json"
    listed.write_text(json.dumps({"states": [1, 2]}))
    assert main(["view", str(listed)]) == 2
    assert capsys.readouterr().err == f"hacheck view: error: {listed}: state 0 is not an object\n"
