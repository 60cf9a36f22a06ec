"""After a server restart the page restores the student's run on the new session and says so: settings, the points
the student added, the weights (edited by hand or trained) bit for bit, and the step and epoch, which go on from there.
Real uvicorn stopped and started again on the same port; real Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import start_server
from tests.e2e.conftest import Playground

pytestmark = pytest.mark.timeout(240)

NOTICE = "#notices [data-kind=resume]"
# The page has drawn the newest frame: the status bar shows its step.
DRAWN = ("__playground.lastFrame && document.querySelector('#status [data-status=step]').textContent"
         " === String(__playground.lastFrame.step)")


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def add_points(pg: Playground, spots: list[tuple[float, float]]) -> list[list[float]]:
    """Click the map where a student would; the points the server added (from its `data` messages)."""
    pg.wait("__playground.data !== null")
    before = pg.get("__playground.data.train")
    box = pg.page.locator("#heatmap canvas.points").bounding_box()
    for n, (fx, fy) in enumerate(spots, start=1):
        pg.page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        pg.wait(f"__playground.data.train.length === {len(before) + n}")
    return [p for p in pg.get("__playground.data.train") if p not in before]


def only_socket_errors(page) -> None:
    """While the server is down Chromium logs failed WebSocket connections (and a failed page load); nothing else."""
    assert all("WebSocket" in e or "ERR_CONNECTION_REFUSED" in e for e in page.errors), page.errors


def test_after_a_restart_the_page_restores_weights_step_and_points_and_says_so(make_server, page):
    first = make_server()
    pg = Playground(page, first.url).open()
    pg.set("learning_rate", "0.1")
    pg.wait("__playground.config.learning_rate === 0.1")
    added = add_points(pg, [(0.1, 0.1), (0.85, 0.2)])
    assert len(added) == 2
    pg.page.click("#play")
    pg.wait("__playground.epoch >= 2")
    pg.page.click("#play")
    pg.wait(f"__playground.state === 'idle' && {DRAWN}")
    # A weight edited by hand is part of the weights the page keeps.
    pg.get("__playground.send({type: 'set_weight', layer: 0, row: 0, col: 1, value: 0.123})")
    pg.wait("__playground.probe.value(0, 0, 1) === Math.fround(0.123)")
    step, epoch = pg.get("__playground.lastFrame.step"), pg.get("__playground.lastFrame.epoch")
    params = pg.get("__playground.lastParams")
    assert step > 0 and epoch >= 2 and 0.123 in [round(v, 6) for v in params]
    frames = pg.get("__playground.framesReceived")

    first.stop()
    pg.wait("!__playground.connected")
    second = start_server(port=port_of(first.url))
    try:
        pg.wait(f"__playground.connected && __playground.framesReceived > {frames}", timeout=60_000)
        notice = pg.page.locator(NOTICE)
        notice.wait_for()
        text = notice.inner_text()
        assert f"The server restarted; your network was restored at step {step}." in text, text
        assert "The optimizer's memory (momentum, Adam's averages) starts afresh." in text, text
        # The first frame the page takes from the new session is the restored run: same weights, bit for bit
        # (float32 on the wire both ways), the same step and epoch, still paused.
        restored = pg.get("__playground.lastFrame")
        assert (restored["step"], restored["epoch"]) == (step, epoch)
        assert pg.get("__playground.lastParams") == params
        assert pg.get("__playground.state") == "idle"
        assert pg.config("learning_rate") == 0.1
        train = pg.get("__playground.data.train")
        assert all(p in train for p in added), (added, train[-5:])
        # Training goes on from there: the step counts on from N, not from 0.
        pg.page.click("#play")
        pg.wait(f"__playground.state === 'training' && __playground.lastFrame.step > {step}")
        assert pg.get("__playground.lastFrame.epoch") >= epoch
    finally:
        second.stop()
    only_socket_errors(page)


def test_a_run_training_at_the_restart_trains_on_and_a_reload_during_the_outage_restores_it(make_server, page):
    first = make_server()
    url = first.url
    pg = Playground(page, url).open()
    added = add_points(pg, [(0.15, 0.8)])
    pg.page.click("#play")
    pg.wait("__playground.epoch >= 1 && __playground.state === 'training'")

    first.stop()
    pg.wait("!__playground.connected")
    step = pg.get("__playground.lastFrame.step")  # the page's last frame: what it keeps
    assert step > 0
    # A reload while the server is down: the page cannot load, but the tab's sessionStorage keeps the run.
    with pytest.raises(Exception, match="ERR_CONNECTION_REFUSED"):
        pg.page.goto(url + "/")
    pg.page.wait_for_url("chrome-error://**")  # the browser's own error page has replaced the playground
    second = start_server(port=port_of(url))
    try:
        pg.page.goto(url + "/")
        pg.wait("__playground.connected && __playground.framesReceived > 0", timeout=60_000)
        pg.page.locator(NOTICE).wait_for()
        assert f"restored at step {step}." in pg.page.locator(NOTICE).inner_text()
        pg.wait(f"__playground.state === 'training' && __playground.lastFrame.step > {step}")
        train = pg.get("__playground.data.train")
        assert all(p in train for p in added), (added, train[-5:])
        # Restored once: a reload now (the server up) is a fresh start, with nothing stored.
        assert pg.get("sessionStorage.length") == 0
    finally:
        second.stop()
    only_socket_errors(page)
