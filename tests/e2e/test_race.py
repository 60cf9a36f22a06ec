"""The race and the loss landscape in Chromium: a 3-optimizer race to a finish line whose winner is read from the
page, and a landscape opened with every path drawn (screenshots in test-artifacts/ for a person to look at)."""

from __future__ import annotations

import numpy as np

from tests.conftest import ARTIFACTS
from tests.e2e.conftest import Playground
from tests.e2e.test_accessibility import violations

SMALL = "#points=200&layers=5,3&learning_rate=0.05&batch_size=10"


def start_race(pg: Playground, values: str, target: str) -> None:
    pg.page.select_option("#race-varied", "optimizer")
    pg.page.fill("#race-values", values)
    pg.page.fill("#race-target", target)
    pg.page.click("#race-start")
    pg.wait("__playground.race.active")
    pg.page.click("#play")


def test_a_three_optimizer_race_to_a_finish_line_names_its_winner(playground):
    pg = playground.open(SMALL)
    pg.wait("__playground.config.layers.join() === '5,3'")
    start_race(pg, "sgd, momentum, adam", "0.3")
    pg.page.locator("#race-result[data-winner]:not([data-winner=''])").wait_for(timeout=60_000)
    pg.page.click("#play")
    winner = pg.page.get_attribute("#race-result", "data-winner")
    text = pg.page.text_content("#race-result")
    frame = pg.get("""(() => { const f = __playground.race.latest;
        return { winner: f.winner, lanes: f.lanes_.map((l) => ({ finish: l.finish, finished: l.finished,
                 loss: l.finish_loss })), target: f.target }; })()""")
    labels = ["sgd", "momentum", "adam"]
    assert winner == labels[frame["winner"]] and text.startswith(f"Winner: {winner}")
    finishes = [lane["finish"] for lane in frame["lanes"] if lane["finished"]]
    assert frame["lanes"][frame["winner"]]["finish"] == min(finishes)
    assert f"after {min(finishes)} steps" in text
    assert frame["lanes"][frame["winner"]]["loss"] <= np.float32(0.3)
    rows = pg.page.locator("#race-table tr[data-lane]")
    assert rows.count() == 3
    assert pg.page.locator(".race-map").count() == 3
    pg.page.locator("#race").screenshot(path=str(ARTIFACTS / "race.png"))
    chart = pg.get("""(() => { const c = document.querySelector('#race-chart');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let painted = 0; for (let i = 3; i < d.length; i += 4) painted += d[i] > 0; return painted; })()""")
    assert chart > 500  # the curves and the finish line were drawn


def test_the_landscape_opens_with_every_path_drawn(playground):
    pg = playground.open(SMALL)
    pg.wait("__playground.config.layers.join() === '5,3'")
    start_race(pg, "sgd, momentum, adam", "")
    pg.wait("__playground.race.latest && __playground.race.latest.step >= 60")
    pg.page.click("#play")
    pg.page.click("#landscape-open")
    pg.wait("__playground.landscape.answer !== null", timeout=60_000)
    answer = pg.get("__playground.landscape.answer")
    assert answer["race"] and [p["label"] for p in answer["paths"]] == ["sgd", "momentum", "adam"]
    assert pg.page.locator("#landscape-legend .landscape-path").count() == 3
    pg.page.locator("#layer-steps tr td").first.wait_for()
    pg.page.locator("#landscape").screenshot(path=str(ARTIFACTS / "landscape.png"))
    pixels = pg.get("""(() => { const c = document.querySelector('#landscape-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return Array.from(d); })()""")
    image = np.array(pixels, dtype=np.uint8).reshape(328, 328, 4)[..., :3].astype(int)
    lane_colours = pg.get("[0, 1, 2].map((i) => __playground.race.laneColor(i))")
    for colour in lane_colours:  # every path is on the canvas in its lane's colour
        rgb = np.array([int(x) for x in colour.removeprefix("rgb(").removesuffix(")").split(",")])
        assert (np.abs(image - rgb).sum(axis=-1) < 30).sum() >= 9, colour  # at least its marker
    assert violations(pg.page) == []  # axe, with the race's lanes and the landscape on the page
    pg.page.click("#race-stop")
    pg.wait("!__playground.race.active")


def test_the_hover_card_shows_the_optimizers_state_for_the_weight(playground):
    pg = playground.open("#optimizer=adam")
    pg.wait("__playground.config.optimizer === 'adam' && __playground.probe.sizes() !== undefined")
    pg.get("__playground.send({type: 'step', n: 5})")
    pg.wait("__playground.step === 5")
    point = pg.get("__playground.probe.linkPoint(0, 1, 0)")
    pg.page.mouse.move(point["x"], point["y"])
    card = pg.page.locator("#diagram .hover-card")
    card.wait_for(state="visible")
    pg.wait("document.querySelector('#diagram .hover-card').textContent.includes('v̂')")
    text = card.inner_text()
    assert "adam t 5" in text and "m̂" in text and "last step Δw" in text
