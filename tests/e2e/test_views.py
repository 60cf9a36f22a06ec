"""Reconnection and how the page looks: screenshots of the main states for a person to check."""

from __future__ import annotations

from tests.conftest import start_server
from tests.e2e.conftest import Playground


def test_reconnects_after_the_server_restarts_and_restores_the_setup(make_server, page):
    first = make_server()
    port = int(first.url.rsplit(":", 1)[1])
    pg = Playground(page, first.url).open()
    pg.set("learning_rate", "0.3")
    pg.wait("__playground.config.learning_rate === 0.3 && location.hash.includes('learning_rate=0.3')")
    first.stop()
    pg.wait("!__playground.connected")
    pg.page.locator("#notices [data-kind=connection]").wait_for()
    second = start_server(port=port)
    try:
        pg.wait("__playground.connected && __playground.config.learning_rate === 0.3", timeout=60_000)
        pg.page.click("#play")
        pg.wait("__playground.epoch >= 1")
        pg.page.locator("#notices [data-kind=connection]").wait_for(state="detached")
    finally:
        second.stop()
    assert all("WebSocket" in e for e in page.errors), page.errors


def shoot(pg: Playground, artifacts, name: str, hover: bool = False) -> None:
    pg.page.click("#play")
    pg.wait("__playground.epoch >= 3")
    pg.page.click("#play")
    pg.wait("__playground.state === 'idle'")
    if hover:
        point = pg.get("__playground.probe.linkPoint(1, 0, 1)")
        pg.page.mouse.move(point["x"], point["y"])
        pg.page.locator("#diagram .hover-card").wait_for()
    pg.page.wait_for_timeout(200)
    pg.page.screenshot(path=str(artifacts / f"playground-{name}.png"), full_page=True)


def test_screenshot_desktop(playground, artifacts):
    shoot(playground.open("#show_test=true&layers=5,4,3"), artifacts, "desktop", hover=True)


def test_screenshot_default_desktop_while_training(playground, artifacts):
    pg = playground.open()
    pg.page.click("#play")
    pg.wait("__playground.state === 'training' && __playground.epoch >= 2")
    pg.page.screenshot(path=str(artifacts / "playground-training.png"), full_page=True)
    assert pg.get("__playground.state") == "training"


def test_screenshot_mobile(browser, server, artifacts):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    try:
        pg = Playground(page, server.url).open()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        shoot(pg, artifacts, "mobile")
        assert page.errors == []
    finally:
        context.close()


def test_screenshot_presenter(playground, artifacts):
    pg = playground.open("#presenter=true&dataset=spiral_k&loss=softmax_ce&layers=8,8")
    assert pg.get("document.body.classList.contains('presenter')")
    shoot(pg, artifacts, "presenter")


def test_screenshot_dark(playground, artifacts):
    pg = playground.open("#theme=dark&dataset=plane&layers=4")
    assert pg.get("document.documentElement.dataset.theme") == "dark"
    pg.wait("__playground.config.dataset === 'plane'")
    shoot(pg, artifacts, "dark")


def test_touch_on_a_phone(browser, server):
    """A phone-sized touch screen: taps play and pause, add a point on the map and open a weight's editor."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, has_touch=True,
                                  is_mobile=True)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    try:
        pg = Playground(page, server.url).open("#layers=3")
        pg.wait("__playground.probe.sizes() && __playground.probe.sizes().length === 3 && __playground.data !== null")
        page.tap("#play")
        pg.wait("__playground.state === 'training' && __playground.epoch >= 1")
        page.tap("#play")
        pg.wait("__playground.state === 'idle'")
        count = pg.get("__playground.data.train.length")
        points = page.locator("#heatmap canvas.points")
        points.scroll_into_view_if_needed()
        box = points.bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
        pg.wait(f"__playground.data.train.length === {count + 1}")
        page.locator("#diagram").scroll_into_view_if_needed()
        point = pg.get("__playground.probe.linkPoint(0, 1, 0)")
        page.touchscreen.tap(point["x"], point["y"])
        editor = page.locator("#diagram .weight-editor")
        editor.wait_for(state="visible")
        editor.fill("-1.5")
        editor.press("Enter")
        pg.wait("Math.abs(__playground.probe.value(0, 1, 0) + 1.5) < 1e-6")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.errors == []
    finally:
        context.close()
