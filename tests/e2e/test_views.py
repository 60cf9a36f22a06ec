"""Reconnection and how the page looks: screenshots of the main states, kept for a person to look at and checked
for what each must show (colours from colors.js and the theme's CSS variables)."""

from __future__ import annotations

import numpy as np

from tests.conftest import start_server
from tests.e2e.conftest import Playground
from tests.e2e.pixels import (
    Region,
    Screenshot,
    document_box,
    heatmap_cells,
    on_scales,
    page_colours,
    shown_cells,
)


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


# The page has drawn the newest frame: the status bar shows its step (it is set when a fresh frame is drawn).
DRAWN = ("__playground.lastFrame && document.querySelector('#status [data-status=step]').textContent"
         " === String(__playground.lastFrame.step)")


def train_then_pause(pg: Playground, epochs: int = 3) -> None:
    pg.page.click("#play")
    pg.wait(f"__playground.epoch >= {epochs}")
    pg.page.click("#play")
    pg.wait(f"__playground.state === 'idle' && {DRAWN}")


def assert_heatmap_shows_the_output(pg: Playground, shot: Screenshot, colours: dict) -> None:
    """The picture's output map is the one the page painted, cell by cell (points on top hide some cells), and
    every painted cell is on the theme's colour scale (colors.js: neutral to a class colour)."""
    cells = heatmap_cells(pg.page)
    shown = shown_cells(shot, cells.shape[0])
    same = np.linalg.norm(shown - cells, axis=-1) <= 12
    assert same.mean() > 0.6, f"only {same.mean():.0%} of the map's cells are in the picture"
    scales = [colours["negative"], colours["positive"], *colours["classes"]]
    assert on_scales(cells, colours["neutral"], scales).all(), "the map is painted off the theme's colour scales"


def assert_points_of_each_class(region: Region, class_colours: list) -> None:
    """Data points are drawn in full class colour (the map itself reaches only 70 % of the way to it)."""
    for colour in class_colours:
        assert region.near(colour, 12).sum() >= 200, f"no points of colour {colour} on the map"


def test_screenshot_desktop(playground, artifacts):
    pg = playground.open("#show_test=true&layers=5,4,3")
    pg.wait("__playground.probe.sizes() && __playground.probe.sizes().length === 5")
    train_then_pause(pg)
    # The whole page in the viewport: a full-page capture of a taller page resizes the viewport for a moment, and
    # that can end the hover (the card is gone in about one capture in six).
    pg.page.set_viewport_size({"width": 1400, "height": pg.get("document.documentElement.scrollHeight")})
    point = pg.get("__playground.probe.linkPoint(1, 0, 1)")
    pg.page.mouse.move(point["x"], point["y"])
    pg.page.locator("#diagram .hover-card").wait_for()
    shot = Screenshot(pg.page, artifacts / "playground-desktop.png")
    colours = page_colours(pg.page)
    assert_heatmap_shows_the_output(pg, shot, colours)
    heatmap = shot.of("#heatmap canvas.points")
    assert_points_of_each_class(heatmap, [colours["negative"], colours["positive"]])
    assert (heatmap.luminance() < 0.02).mean() > 0.02, "test points (black rings) are shown"
    diagram = shot.of("#diagram canvas.diagram")
    for colour in (colours["negative"], colours["positive"]):  # the input maps x1, x2 span both signs
        assert diagram.shade_of(colours["neutral"], colour, at_least=0.5).mean() > 0.01
    card = shot.of("#diagram .hover-card", inset=3)
    assert card.near(colours["panel"], 12).mean() > 0.5, "the hover card is an opaque card"
    assert (np.linalg.norm(card.rgb - colours["fg"], axis=-1) < 80).mean() > 0.01, "with text on it"


def test_screenshot_default_desktop_while_training(playground, artifacts):
    pg = playground.open()
    pg.page.click("#play")
    # The page trains at a watchable 500 steps/s (25 steps an epoch here): by epoch 20, a second in, the map has
    # taken its colours; at epoch 2 it could still be near white on a slow machine.
    pg.wait("__playground.state === 'training' && __playground.epoch >= 20")
    shot = Screenshot(pg.page, artifacts / "playground-training.png")
    assert pg.get("__playground.state") == "training"
    colours = page_colours(pg.page)
    heatmap = shot.of("#heatmap canvas.points")
    assert_points_of_each_class(heatmap, [colours["negative"], colours["positive"]])
    # The map changes with every frame, so it is not compared cell by cell here; by epoch 20 it is coloured (not
    # blank) in both of the light theme's colours, not only where the points are (about 2 % of it each).
    signs = (colours["negative"], colours["positive"])
    shades = [heatmap.shade_of(colours["neutral"], c, at_least=0.15) for c in signs]
    assert (shades[0] | shades[1]).mean() > 0.5 and min(s.mean() for s in shades) > 0.05


def test_screenshot_mobile(browser, server, artifacts):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    try:
        pg = Playground(page, server.url).open()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        train_then_pause(pg)
        shot = Screenshot(page, artifacts / "playground-mobile.png")
        assert shot.size()[0] == 360 * 2, "nothing sticks out sideways"
        boxes = [document_box(page, s) for s in ("#heatmap", ".controls", ".diagram-panel", ".charts-panel")]
        for above, below in zip(boxes, boxes[1:], strict=False):  # one column: map (sticky), settings, diagram, charts
            assert above["y"] + above["height"] <= below["y"]
        for box in boxes:
            assert box["x"] < 20 and box["width"] > 320
        colours = page_colours(page)
        assert_heatmap_shows_the_output(pg, shot, colours)
        assert_points_of_each_class(shot.of("#heatmap canvas.points"), [colours["negative"], colours["positive"]])
        assert page.errors == []
    finally:
        context.close()


def ink_height(shot: Screenshot, selector: str) -> float:
    """Height in CSS pixels of the dark (text) pixels of an element: how big its letters are drawn. The element's
    box is read now, so call it before the layout changes."""
    rows = np.flatnonzero((shot.of(selector).luminance() < 0.2).any(axis=1))
    assert rows.size, f"no text in {selector}"
    return (rows[-1] - rows[0] + 1) / shot.scale


def test_screenshot_presenter(playground, artifacts):
    pg = playground.open("#presenter=true&dataset=spiral_k&loss=softmax_ce&layers=8,8")
    assert pg.get("document.body.classList.contains('presenter')")
    train_then_pause(pg)
    shot = Screenshot(pg.page, artifacts / "playground-presenter.png")
    colours = page_colours(pg.page)
    assert_heatmap_shows_the_output(pg, shot, colours)
    classes = pg.config("classes")
    assert_points_of_each_class(shot.of("#heatmap canvas.points"), colours["classes"][:classes])
    titles = ("header.top h1", "#diagram-title")
    presenter = [ink_height(shot, selector) for selector in titles]
    pg.page.click("#presenter")  # the same page without presenter mode: its letters are smaller
    pg.wait("!document.body.classList.contains('presenter')")
    normal = Screenshot(pg.page)
    for selector, big in zip(titles, presenter, strict=True):
        assert big > 1.2 * ink_height(normal, selector), f"{selector} is not drawn larger in presenter mode"


def test_screenshot_dark(playground, artifacts):
    pg = playground.open("#theme=dark&dataset=plane&layers=4")
    assert pg.get("document.documentElement.dataset.theme") == "dark"
    pg.wait("__playground.config.dataset === 'plane'")
    train_then_pause(pg)
    shot = Screenshot(pg.page, artifacts / "playground-dark.png")
    colours = page_colours(pg.page)
    assert colours["dark"] and colours["neutral"] != [250, 250, 250]
    assert_heatmap_shows_the_output(pg, shot, colours)  # on the dark scale: its neutral is dark grey
    margin = shot.region({"x": 0, "y": document_box(pg.page, "main")["y"], "width": 10, "height": 400})
    assert margin.near(colours["bg"], 6).mean() > 0.95 and margin.luminance().mean() < 0.03, "dark background"
    panel = shot.of(".diagram-panel", inset=4)
    assert panel.near(colours["panel"], 6).mean() > 0.5, "dark panels"
    heading = shot.of("header.top h1")
    assert heading.luminance().max() > 0.6, "light text"


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
