"""The backprop-by-hand page in Chromium: stepping, the delta switch, editing a weight, and the numbers it shows
agreeing with the engine's computation."""

from __future__ import annotations

import numpy as np
import pytest

from engine.lessons.lesson import fmt, worked_example
from tests.e2e.pixels import Screenshot, css_colour, document_box

READY = "window.__lesson && window.__lesson.ready"


def open_lesson(page, server):
    page.goto(server.url + "/lesson")
    page.wait_for_function(READY)


def next_step(page, times=1):
    for _ in range(times):
        page.click('#worked-walk [data-action="next"]')


def card(page, role):
    return page.locator(f'#worked-walk [data-role="{role}"]').inner_text()


def test_steps_forward_and_back_with_formula_numbers_and_result(page, server, artifacts):
    open_lesson(page, server)
    assert page.evaluate("window.__lesson.total") == len(worked_example()["steps"])
    next_step(page)
    assert "z₁₁" in card(page, "formula")
    assert "0.15×0.05 + 0.25×0.1 + 0.35" in card(page, "substituted")
    assert card(page, "result").endswith("0.3825")
    assert page.locator('[data-node="1:0"] .node-value.current').text_content() == "z=0.3825"
    next_step(page, 5)
    assert card(page, "result").endswith("0.751405")
    page.click('#worked-walk [data-action="back"]')
    assert page.evaluate("window.__lesson.index") == 4
    page.click('#worked-walk [data-action="run"]')
    page.wait_for_function("window.__lesson.done", timeout=15000)
    assert card(page, "result").endswith("0.18307")
    assert "0.27484" in page.locator("#worked-walk .loss-drop").inner_text()
    assert_the_picture_shows_the_diagram(page, Screenshot(page, artifacts / "lesson-page.png"))
    assert page.errors == []


def assert_the_picture_shows_the_diagram(page, shot: Screenshot) -> None:
    """After the last step: the loss box is highlighted as the current step, every neuron is drawn in its own fill,
    and the links in the colour of a positive weight (the tutorial's weights are all positive); colours are the
    page's own (computed from walkthrough.css)."""
    loss = "#worked-walk .loss.current rect"
    assert shot.of(loss, inset=5).near(css_colour(page, loss, "fill"), 8).mean() > 0.6, "loss box highlighted"
    assert shot.of(loss).near(css_colour(page, loss, "stroke"), 30).mean() > 0.04, "with the current step's border"
    nodes = page.evaluate("[...document.querySelectorAll('#worked-walk [data-node] circle')]"
                          ".map((c) => c.parentElement.dataset.node)")
    assert len(nodes) == 5  # 2-2-1
    for node in nodes:
        circle = f'#worked-walk [data-node="{node}"] circle'
        box = document_box(page, circle)
        above_name = {"x": box["x"] + 0.35 * box["width"], "y": box["y"] + 0.12 * box["height"],
                      "width": 0.3 * box["width"], "height": 0.15 * box["height"]}
        assert shot.region(above_name).near(css_colour(page, circle, "fill"), 8).mean() > 0.8, node
    edge = "#worked-walk line.edge.pos"
    opacity = float(page.evaluate(f"getComputedStyle(document.querySelector({edge!r})).opacity"))
    paper = np.asarray(css_colour(page, "#worked-walk .diagram-box", "background-color"), float)
    on_paper = opacity * np.asarray(css_colour(page, edge, "stroke"), float) + (1 - opacity) * paper
    assert shot.of("#worked-walk .lesson-diagram").near(on_paper, 12).sum() > 300, "links of positive weights"


def test_every_step_matches_the_engine(page, server):
    open_lesson(page, server)
    page.click('#worked-walk [data-action="run"]')
    page.wait_for_function("window.__lesson.done", timeout=15000)
    shown = page.locator("#worked-walk .step-list li .result").all_inner_texts()
    assert shown == [s["result"] for s in worked_example()["steps"]]


def test_delta_switch_changes_every_dependent_number_and_says_why(page, server):
    open_lesson(page, server)
    page.click('#worked-walk [data-action="run"]')
    page.wait_for_function("window.__lesson.done", timeout=15000)
    assert "cross-entropy" in page.locator("#delta-why").inner_text()
    page.check('input[name="delta"][value="mse"]')
    page.wait_for_function("window.__lesson.delta === 'mse'")
    assert "σ'(z)" in page.locator("#delta-why").inner_text()
    ce = {s["key"]: s["result"] for s in worked_example(delta="cross_entropy")["steps"]}
    mse = worked_example(delta="mse")["steps"]
    expected_changed = sorted(s["key"] for s in mse if s["result"] != ce[s["key"]])
    assert sorted(page.evaluate("window.__lesson.changedKeys")) == expected_changed
    assert len(expected_changed) > 20
    shown = page.locator("#worked-walk .step-list li .result").all_inner_texts()
    assert shown == [s["result"] for s in mse]
    assert page.locator("#worked-walk .step-list li.changed").count() == len(expected_changed)
    summary = page.locator('#delta-summary tr[data-key="delta2"]')
    assert summary.locator('td[data-delta="cross_entropy"]').inner_text() == "0.741405"
    assert summary.locator('td[data-delta="mse"]').inner_text() == "0.138491"
    assert "MSE" in page.locator("#tutorial-note").inner_text()
    assert page.errors == []


@pytest.mark.parametrize("delta", ["cross_entropy", "mse"])
def test_editing_a_weight_recomputes_downstream_like_the_engine(page, server, delta):
    open_lesson(page, server)
    page.check(f'input[name="delta"][value="{delta}"]')
    page.fill('input[data-field="w2_2"]', "0.9")
    page.fill('input[data-field="eta"]', "0.25")
    page.wait_for_function("window.__lesson.inputs && window.__lesson.inputs.eta === '0.25' "
                           "&& window.__lesson.inputs.w2_2 === '0.9'")
    page.click('#worked-walk [data-action="run"]')
    page.wait_for_function("window.__lesson.done", timeout=15000)
    expected = worked_example(w2=[[0.4], [0.9]], learning_rate=0.25, delta=delta)
    shown = page.locator("#worked-walk .step-list li .result").all_inner_texts()
    assert shown == [s["result"] for s in expected["steps"]]
    z2 = page.locator('#worked-walk .step-list li[data-key="z2[0]"] .result').inner_text()
    assert z2 == fmt(0.4 * expected["values"]["a1"][0] + 0.9 * expected["values"]["a1"][1] + 0.6)
    assert page.errors == []


def test_a_bad_input_is_reported_not_computed(page, server):
    open_lesson(page, server)
    page.fill('input[data-field="x1"]', "")
    page.wait_for_function("document.getElementById('input-error').textContent.length > 0")
    assert page.errors == []


def open_live(page, server, architecture="2-4-4-1"):
    open_lesson(page, server)
    page.click('#live [data-action="connect"]')
    page.wait_for_function("window.__lessonLive.connected")
    page.select_option('select[name="architecture"]', architecture)
    page.wait_for_function(f"document.querySelector('#live .live-status').textContent.includes('{architecture[:7]}')")


def request_trace(page, index):
    page.evaluate("window.__lessonLive.trace = null")
    page.fill('input[name="trace-index"]', str(index))
    page.click('#live [data-action="trace"]')
    page.wait_for_function("window.__lessonLive.trace || window.__lessonLive.error", timeout=10000)
    assert page.evaluate("window.__lessonLive.error") is None
    return page.evaluate("window.__lessonLive.trace")


def test_live_walkthrough_agrees_with_the_engine_network(page, server):
    import numpy as np

    from engine.nn.losses import get_loss
    from engine.nn.network import Network

    open_live(page, server)
    page.click('#live [data-action="epoch"]')
    trace = request_trace(page, 3)
    assert trace["sizes"] == [2, 4, 4, 1] and not trace["too_big"]
    net = Network(2, [4, 4], 1, trace["activations"][:-1], dtype=np.float64, rng=np.random.default_rng(0))
    for i, (W, b) in enumerate(zip(trace["weights"]["W"], trace["weights"]["b"], strict=True)):
        net.W[i][...] = W
        net.b[i][...] = b
    z_out = net.forward(np.array([trace["input"]])).copy()
    loss = get_loss(trace["loss_name"], "binary")
    net.backward(loss.delta(z_out, loss.encode(np.array([trace["label"]]), np.float64)))
    np.testing.assert_allclose(z_out[0], trace["values"]["z"][-1], atol=1e-9)
    for i in range(3):
        np.testing.assert_allclose(net.dW[i], trace["values"]["dW"][i], atol=1e-9)
        np.testing.assert_allclose(net.db[i], trace["values"]["db"][i], atol=1e-9)
    page.click('#live-walk [data-action="run"]')
    page.wait_for_function("document.querySelectorAll('#live-walk .step-list li').length === "
                           f"{len(trace['steps'])}", timeout=20000)
    shown = page.locator("#live-walk .step-list li .result").all_inner_texts()
    assert shown == [s["result"] for s in trace["steps"]]
    assert page.errors == []


def test_a_network_bigger_than_2_4_4_1_is_too_big_to_read(page, server):
    open_live(page, server, "2-8-8-1 (too big)")
    trace = request_trace(page, 0)
    assert trace["too_big"] is True
    assert "too big" in page.locator("#live .live-message").inner_text()
    assert page.locator("#live-walk").is_hidden()
    assert page.errors == []


def test_arrow_keys_step(page, server):
    open_lesson(page, server)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("window.__lesson.index") == 0
    assert page.errors == []
