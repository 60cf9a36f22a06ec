"""The views inside the network in Chromium: the metrics panel and one neuron's math, read back from the page and
compared with what the frame, the data and the by-hand trace say; screenshots in test-artifacts/ to look at."""

from __future__ import annotations

import numpy as np
import pytest

from tests.e2e.conftest import Playground

# The metrics shown are those of the newest frame's step (asked again after each frame).
METRICS_CURRENT = "__playground.inside.metrics && __playground.inside.metrics.step === __playground.step"


def steps(pg: Playground, n: int) -> None:
    step = pg.get("__playground.step")
    pg.get(f"__playground.send({{type: 'step', n: {n}}})")
    pg.wait(f"__playground.step === {step + n} && {METRICS_CURRENT}")


def test_a_confusion_matrix_per_split_counts_every_point(playground, artifacts):
    pg = playground.open("#dataset=spiral_k&classes=3&loss=softmax_ce&layers=6,6&features=x1,x2")
    pg.wait("__playground.data && __playground.data.classes === 3")
    steps(pg, 40)
    shown = pg.get("__playground.inside.metrics")
    frame = pg.get("__playground.lastFrame")
    data = pg.get("__playground.data")
    assert shown["step"] == frame["step"] and shown["classes"] == 3
    for split in ("train", "test"):
        labels = [int(p[2]) for p in data[split]]
        table = pg.page.locator(f"#metrics table.confusion[data-split={split}]")
        cells = [[int(t) for t in row.locator("td").all_inner_texts()] for row in table.locator("tbody tr").all()]
        assert cells == shown[split]["confusion"]
        assert [sum(row) for row in cells] == [labels.count(k) for k in range(3)]
        assert abs(sum(cells[k][k] for k in range(3)) / len(labels) - frame[f"{split}_accuracy"]) < 1e-6  # float32
        recall = table.locator("tbody th").first.get_attribute("title")
        column = sum(row[0] for row in cells)
        assert recall.endswith(f"recall {100 * cells[0][0] / sum(cells[0]):.1f} %")
        precision = table.locator("thead th").nth(1).get_attribute("title")
        assert precision.endswith(f"precision {100 * cells[0][0] / column:.1f} %" if column else "precision –")
    pg.page.locator("#metrics").screenshot(path=str(artifacts / "metrics-confusion.png"))


def test_regression_shows_r2_rmse_and_a_scatter_live(playground, artifacts):
    pg = playground.open("#dataset=plane&loss=mse&layers=4")
    pg.wait("__playground.data && __playground.data.problem === 'regression'")
    steps(pg, 30)
    first = pg.get("__playground.inside.metrics")
    frame = pg.get("__playground.lastFrame")
    caption = pg.page.locator("#metrics figure[data-split=train] figcaption").inner_text()
    assert f"R² {first['train']['r2']:.3f}" in caption and f"RMSE {first['train']['rmse']:.4f}" in caption
    assert abs(first["train"]["rmse"] ** 2 / 2 - frame["train_loss"]) <= 1e-4 * frame["train_loss"]  # mse = mean ½r²
    dots = pg.get("""() => { const c = document.querySelector('#metrics figure[data-split=train] canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 150 && d[i] < 60 && d[i + 3] > 100) n++;
        return n; }""")
    assert dots > 20  # the blue dots, one 3×3 square per point (some overlap)
    steps(pg, 200)
    later = pg.get("__playground.inside.metrics")
    assert later["step"] == first["step"] + 200 and later["train"]["rmse"] != first["train"]["rmse"]
    pg.page.locator("#metrics").screenshot(path=str(artifacts / "metrics-regression.png"))


def test_the_neuron_card_shows_the_numbers_of_the_servers_trace(playground, artifacts):
    pg = playground.open("#layers=4,4&features=x1,x2")
    pg.wait("__playground.probe.sizes() && __playground.probe.sizes().join('-') === '2-4-4-1'")
    steps(pg, 5)
    pg.get("__playground.inside.chooseNeuron({layer: 2, neuron: 1, index: 6, split: 'train'})")
    pg.wait("__playground.inside.neuron && __playground.inside.neuron.layer === 2"
            " && __playground.inside.neuron.index === 6 && __playground.inside.neuron.step === __playground.step")
    pg.page.fill('#by-hand input[name="trace-index"]', "6")
    pg.page.click('#by-hand [data-action="trace"]')
    pg.wait("window.__lessonLive.trace !== null && window.__lessonLive.trace.index === 6")
    trace = pg.get("window.__lessonLive.trace")
    values = trace["values"]
    card = pg.page.locator("#neuron [data-role=neuron-card]")

    def shown(key: str) -> list[float]:
        return [float(v) for v in card.locator(f"[data-key={key}] .num").evaluate_all(
            "nodes => nodes.map(n => n.dataset.value)")]

    assert shown("input") == values["a"][1]
    assert shown("weight") == [row[1] for row in trace["weights"]["W"][1]]
    assert shown("grad") == [row[1] for row in values["dW"][1]]
    assert shown("bias") == [trace["weights"]["b"][1][1]]
    assert shown("a") == [values["a"][2][1]]
    assert shown("delta") == [values["delta"][1][1]]
    z = float(card.locator(".substituted").first.locator(".num").get_attribute("data-value"))
    assert z == values["z"][1][1]
    assert card.locator(".check.ok").count() == 3 and card.locator(".check.bad").count() == 0
    pg.page.locator("#neuron").screenshot(path=str(artifacts / "neuron-card.png"))


def test_the_neuron_card_follows_training_and_a_point_picked_on_the_map(playground):
    pg = playground.open("#layers=8,8,8&features=x1,x2")
    pg.wait("__playground.probe.sizes() && __playground.probe.sizes().join('-') === '2-8-8-8-1'")
    pg.get("__playground.inside.chooseNeuron({layer: 4, neuron: 0, index: 0, split: 'train'})")
    pg.wait("__playground.inside.neuron && __playground.inside.neuron.output")
    train = np.array(pg.get("__playground.data.train"))[:, :2]
    target = train[11] + 0.05
    nearest = int(np.argmin(((train - target) ** 2).sum(axis=1)))
    pg.page.click('#neuron [data-action="neuron-pick"]')
    points = pg.page.locator("#heatmap canvas.points")
    points.scroll_into_view_if_needed()
    box = points.bounding_box()
    pg.page.mouse.click(box["x"] + (target[0] + 6) / 12 * box["width"], box["y"] + (6 - target[1]) / 12 * box["height"])
    pg.wait(f"__playground.inside.neuron.index === {nearest}")
    assert pg.get("__playground.probe.marked()") == {"split": "train", "index": nearest}
    before = pg.get("__playground.inside.neuron")
    pg.page.click("#play")
    pg.wait(f"__playground.inside.neuron.step > {before['step'] + 50}")
    pg.page.click("#play")
    after = pg.get("__playground.inside.neuron")
    assert after["index"] == nearest and after["weights"] != before["weights"]
    pg.get("__playground.inside.chooseNeuron({layer: 7, neuron: 0})")
    status = "document.querySelector('#neuron [data-role=neuron-status]').textContent"
    pg.wait(f"{status}.includes('must be a layer from 1')")


def test_the_views_choices_are_in_the_url_and_a_link_restores_them(playground, browser):
    pg = playground.open("#layers=4,4&neuron=2-3-test-5&space=1-4-2")
    pg.wait("__playground.inside.neuron && __playground.inside.neuron.layer === 2")
    card = pg.get("__playground.inside.neuron")
    assert (card["layer"], card["neuron"], card["split"], card["index"]) == (2, 2, "test", 5)
    pg.wait(f"{SPACE}.message && {SPACE}.message.layer === 1 && {SPACE}.message.neurons.join() === '3,1'")
    pg.page.fill("#neuron input[name=neuron-neuron]", "4")
    pg.page.dispatch_event("#neuron input[name=neuron-neuron]", "change")
    pg.wait("location.hash.includes('neuron=2-4-test-5') && location.hash.includes('space=1-4-2')"
            " && location.hash.includes('layers=4,4')")
    other = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    try:
        other.goto(pg.get("location.href"))
        other.wait_for_function("window.__playground && __playground.inside.neuron"
                                " && __playground.inside.neuron.neuron === 3 && __playground.inside.neuron.layer === 2")
    finally:
        other.context.close()


def test_hide_removes_the_panels_and_their_requests(playground):
    pg = playground.open("?hide=metrics,neuron,hidden-space,timeline#layers=3")
    pg.wait("__playground.config.layers.join() === '3'")
    steps_done = pg.get("__playground.step")
    pg.get("__playground.send({type: 'step', n: 5})")
    pg.wait(f"__playground.step === {steps_done + 5}")
    for panel in ("metrics", "neuron", "hidden-space", "timeline"):
        assert pg.get(f"document.querySelector('#{panel}').hidden"), panel
    assert pg.get("__playground.inside.metrics") is None and pg.get("__playground.inside.neuron") is None
    assert pg.get(f"{SPACE}.message") is None and pg.get("__playground.timeline.snapshots.length") == 0
    assert not pg.get("document.querySelector('.charts-panel').hidden")  # the charts stay


SPACE = "__playground.inside.hiddenSpace"


def test_the_hidden_space_draws_each_point_where_its_activations_put_it(playground, artifacts):
    pg = playground.open("#layers=4,2&dataset=xor")
    pg.wait(f"{SPACE}.message && {SPACE}.message.layer === 2")  # the 2-neuron layer, chosen by itself
    steps(pg, 300)
    pg.wait(f"{SPACE}.message.step === __playground.step")
    state = pg.get(SPACE)
    message = state["message"]
    assert message["neurons"] == [0, 1]
    size = pg.get("document.querySelector('#hidden-space canvas').width")
    every = np.array([p[:2] for split in ("train", "test") for p in message["points"][split]]
                     + [q for line in message["lines"] for q in line])
    u0, v0 = every.min(axis=0)
    u1, v1 = every.max(axis=0)
    assert state["bounds"] == [u0, u1, v0, v1]
    train = np.array(message["points"]["train"])
    pad = 10
    expected = np.column_stack([pad + (train[:, 0] - u0) / (u1 - u0) * (size - 2 * pad),
                                size - pad - (train[:, 1] - v0) / (v1 - v0) * (size - 2 * pad)])
    np.testing.assert_allclose(state["drawn"], expected, atol=1e-9)
    colours = pg.page.evaluate("""async (drawn) => {
        const { signColor } = await import('/static/js/colors.js');
        const ctx = document.querySelector('#hidden-space canvas').getContext('2d');
        return drawn.map(([x, y]) => Array.from(ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data)); }""",
                               state["drawn"])
    wanted = {1: (8, 119, 189), 0: (245, 147, 34)}  # colors.js: POSITIVE and NEGATIVE
    right = [max(abs(a - b) for a, b in zip(c[:3], wanted[int(label)], strict=True)) <= 40
             for c, label in zip(colours, train[:, 2], strict=True)]
    assert np.mean(right) > 0.8  # a point drawn later may cover another
    pg.page.locator("#hidden-space").screenshot(path=str(artifacts / "hidden-space-2-neuron-layer.png"))
    pg.page.fill("#hidden-space input[name=space-layer]", "1")
    pg.page.fill("#hidden-space input[name=space-u]", "4")
    pg.page.fill("#hidden-space input[name=space-v]", "2")
    pg.page.dispatch_event("#hidden-space input[name=space-v]", "change")
    pg.wait(f"{SPACE}.message.layer === 1 && {SPACE}.message.neurons.join() === '3,1'")
    pg.page.locator("#hidden-space").screenshot(path=str(artifacts / "hidden-space-layer-1.png"))
    pg.page.fill("#hidden-space input[name=space-layer]", "9")
    pg.page.dispatch_event("#hidden-space input[name=space-layer]", "change")
    pg.wait("document.querySelector('#hidden-space [data-role=space-caption]').textContent"
            ".includes('hidden layers have 4, 2 neurons (layer 9')")  # the choice is kept; nothing is asked


def test_scrub_back_shows_that_moment_and_continue_from_here_trains_on_from_it(playground, artifacts):
    pg = playground.open("#layers=4,2&optimizer=adam")
    params = {0: pg.get("__playground.lastParams")}
    for k in range(1, 16):
        pg.get("__playground.send({type: 'step', n: 1})")
        pg.wait(f"__playground.step === {k} && __playground.lastFrame.step === {k}")
        params[k] = pg.get("__playground.lastParams")
    pg.get("__playground.send({type: 'step', n: 25})")
    pg.wait("__playground.step === 40 && __playground.timeline.snapshots.length === 41")
    layers = pg.get("__playground.layout.network.layers")

    def diagram_params() -> list[float]:
        """Every weight and bias as the diagram holds them, in the params block's order."""
        values = []
        for k, layer in enumerate(layers):
            fan_in, fan_out = layer["weights"]["shape"]
            values += [pg.get(f"__playground.probe.value({k}, {row}, {col})") for col in range(fan_in)
                       for row in range(fan_out)]
            values += [pg.get(f"__playground.probe.value({k}, {row}, null)") for row in range(fan_out)]
        return values

    slider = pg.page.locator("#timeline input[type=range]")
    slider.fill("12")  # the 13th snapshot: step 12
    pg.wait("__playground.timeline.shown && __playground.timeline.shown.step === 12")
    pg.wait("document.querySelector('#status [data-status=step]').textContent === '12'")
    assert diagram_params() == params[12]
    assert "step 12" in pg.page.locator("#timeline [data-role=timeline-label]").inner_text()
    pg.wait("__playground.inside.metrics.step === 12 && __playground.inside.neuron.step === 12"
            " && __playground.inside.hiddenSpace.message.step === 12")  # the other views show that moment too
    assert pg.get("__playground.inside.metrics.train.accuracy") == pytest.approx(
        pg.get("__playground.timeline.shown.train_accuracy"), abs=1e-6)
    pg.page.locator("body").click(position={"x": 5, "y": 5})
    pg.page.keyboard.press("ArrowLeft")
    pg.wait("__playground.timeline.shown.step === 11 && __playground.timeline.viewing === 11")
    pg.wait("document.querySelector('#status [data-status=step]').textContent === '11'")
    assert diagram_params() == params[11]
    pg.page.keyboard.press("ArrowRight")
    pg.wait("__playground.timeline.shown.step === 12")
    assert pg.get("__playground.step") == 40  # the arrows moved the view, trained nothing
    pg.get("__playground.send({type: 'step', n: 150})")  # trained while the past is shown; the ring keeps every
    pg.wait("__playground.step === 190 && __playground.timeline.snapshots.at(-1).step === 188")  # 4th step by now
    assert pg.get("__playground.timeline.viewing") == 12 and diagram_params() == params[12]  # held while training
    pg.page.locator(".charts-panel").screenshot(path=str(artifacts / "timeline-past.png"))
    pg.page.click("#timeline [data-action=continue]")
    pg.wait("__playground.timeline.viewing === null && __playground.lastFrame.step === 12")
    assert pg.get("__playground.lastParams") == params[12]
    for k in (13, 14, 15):
        pg.get("__playground.send({type: 'step', n: 1})")
        pg.wait(f"__playground.lastFrame.step === {k}")
        assert pg.get("__playground.lastParams") == params[k]  # the same run again, bit for bit
    pg.wait("__playground.timeline.snapshots.at(-1).step === 12")  # the old future went; every 4th step is kept
    pg.wait("document.querySelector('#status [data-status=step]').textContent === '15'")  # drawn, not only received
    assert diagram_params() == params[15]
