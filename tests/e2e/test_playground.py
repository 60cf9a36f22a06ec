"""The playground page in real headless Chromium against the real server."""

from __future__ import annotations

import json

import pytest


def test_play_counts_epochs_and_the_heatmap_moves(playground):
    pg = playground.open()
    before = pg.heatmap_signature()
    pg.page.click("#play")
    pg.wait("__playground.state === 'training' && __playground.epoch >= 2")
    pg.wait_heatmap_change(before)
    assert pg.get("document.querySelector('[data-status=epoch]').textContent") != "0"


def test_live_changes_keep_training_and_the_views_follow(playground):
    pg = playground.open()
    pg.page.click("#play")
    pg.wait("__playground.epoch >= 1")

    def still_counting():
        epoch = pg.get("__playground.epoch")
        pg.wait(f"__playground.epoch > {epoch} && __playground.state === 'training'")

    # A rate low enough that Adam with ReLU does not kill every unit: a dead network's map never changes, and the
    # heatmap check below would then fail for a reason that has nothing to do with the views following.
    pg.set("learning_rate", "0.01")
    pg.wait("__playground.config.learning_rate === 0.01")
    still_counting()
    pg.page.select_option("#activation", "relu")
    pg.wait("__playground.config.activation === 'relu' || __playground.config.activation[0] === 'relu'")
    pg.wait("[...document.querySelectorAll('.layer-activation')].every((s) => s.value === 'relu')")
    still_counting()
    pg.page.select_option("#optimizer", "adam")
    pg.wait("__playground.config.optimizer === 'adam'")
    pg.wait("document.querySelector('#optimizer_params-beta1') !== null")
    still_counting()
    layers = pg.config("layers")
    pg.page.click("#add-layer")
    pg.wait(f"__playground.config.layers.length === {len(layers) + 1}")
    pg.wait(f"__playground.probe.sizes() && __playground.probe.sizes().length === {len(layers) + 3}")
    pg.wait(f"document.querySelectorAll('.layer-box').length === {len(layers) + 1}")
    still_counting()
    pg.wait_heatmap_change(pg.heatmap_signature())
    assert not pg.page.is_visible("#rate-figure canvas")
    pg.page.select_option("#schedule-name", "cosine")
    pg.wait("__playground.config.schedule.name === 'cosine'")
    pg.page.locator("#rate-figure canvas").wait_for()
    pg.wait("document.querySelector('#schedule-t_max') !== null")
    still_counting()


def test_step_epoch_reset_play_pause_and_keys(playground):
    pg = playground.open()
    pg.page.click("#step")
    pg.wait("__playground.step === 1")
    pg.page.click("#epoch")
    pg.wait("__playground.epoch === 1")
    pg.page.click("#reset")
    pg.wait("__playground.step === 0 && __playground.epoch === 0")
    pg.page.evaluate("document.activeElement.blur()")
    pg.page.keyboard.press("ArrowRight")
    pg.wait("__playground.step === 1")
    pg.page.keyboard.press("r")
    pg.wait("__playground.step === 0")
    pg.page.click("#play")
    pg.wait("__playground.state === 'training' && __playground.step > 0")
    pg.page.click("#play")
    pg.wait("__playground.state === 'idle'")
    pg.page.evaluate("document.activeElement.blur()")
    pg.page.keyboard.press("Space")
    pg.wait("__playground.state === 'training'")
    pg.page.keyboard.press("Space")
    pg.wait("__playground.state === 'idle'")


def test_clicking_the_heatmap_adds_a_point_and_erase_removes_it(playground):
    pg = playground.open()
    pg.wait("__playground.data !== null")
    count = pg.get("__playground.data.train.length")
    box = pg.page.locator("#heatmap canvas.points").bounding_box()
    pg.page.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
    pg.wait(f"__playground.data.train.length === {count + 1}")
    pg.page.check("#erase")
    pg.page.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
    pg.wait(f"__playground.data.train.length <= {count}")


def test_hover_card_shows_a_weight_and_editing_it_changes_the_next_frame(playground):
    pg = playground.open()
    pg.wait("__playground.probe.sizes() !== undefined")
    point = pg.get("__playground.probe.linkPoint(0, 1, 0)")
    pg.page.mouse.move(point["x"], point["y"])
    card = pg.page.locator("#diagram .hover-card")
    card.wait_for(state="visible")
    assert "Weight" in card.inner_text()
    assert "unit 1 → neuron 2" in card.inner_text()
    value = float(pg.get("__playground.probe.value(0, 1, 0)"))
    assert f"{value:.4f}" in card.inner_text()
    pg.page.mouse.click(point["x"], point["y"])
    editor = pg.page.locator("#diagram .weight-editor")
    editor.wait_for(state="visible")
    editor.fill("2.5")
    editor.press("Enter")
    pg.wait("Math.abs(__playground.probe.value(0, 1, 0) - 2.5) < 1e-6")
    pg.wait("document.querySelector('#diagram .hover-card').textContent.includes('2.5000')")


def test_every_link_between_equal_layers_can_be_pointed_at(playground):
    """Between two hidden layers of 6 the links cross at their middles; each one can still be hovered and named."""
    pg = playground.open("#layers=6,6")
    pg.wait("__playground.probe.sizes() && __playground.probe.sizes().join('-') === '2-6-6-1'")
    pg.page.locator("#diagram").scroll_into_view_if_needed()
    card = pg.page.locator("#diagram .hover-card")
    for row in range(6):
        for col in range(6):
            point = pg.get(f"__playground.probe.linkPoint(1, {row}, {col})")
            pg.page.mouse.move(point["x"], point["y"])
            pg.wait(f"document.querySelector('#diagram .hover-card').textContent.includes("
                    f"'layer 2: unit {col + 1} → neuron {row + 1}')", timeout=5000)
    assert card.is_visible()


def test_a_copied_url_restores_the_setup(playground, browser):
    pg = playground.open()
    pg.set("learning_rate", "0.3")
    pg.page.select_option("#activation", "sigmoid")
    pg.set("layers", "3,5")
    pg.page.check("#show_test")
    pg.wait("__playground.config.learning_rate === 0.3 && __playground.config.layers.join() === '3,5'")
    pg.wait("location.hash.includes('layers=3,5') && location.hash.includes('show_test=true')")
    url = pg.page.url
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    other = context.new_page()
    try:
        other.goto(url)
        other.wait_for_function("window.__playground && __playground.config"
                                " && __playground.config.layers.join() === '3,5'"
                                " && __playground.config.learning_rate === 0.3", timeout=45_000)
        assert other.evaluate("[__playground.config.activation].flat()[0]") == "sigmoid"
        assert other.is_checked("#show_test")
        assert other.input_value("#learning_rate") == "0.3"
    finally:
        context.close()


def test_a_link_or_a_hash_edit_may_set_one_field_of_a_nested_setting(playground):
    pg = playground.open("#optimizer=momentum&optimizer_params.momentum=0.5&schedule.name=step")
    pg.wait("__playground.config.optimizer === 'momentum' && __playground.config.optimizer_params.momentum === 0.5"
            " && __playground.config.schedule.name === 'step'")
    pg.wait("location.hash.includes('optimizer_params=')")  # written back whole
    pg.page.evaluate("location.hash += '&optimizer_params.momentum=0.8&learning_rate=0.2&theme=dark'")
    pg.wait("__playground.config.optimizer_params.momentum === 0.8 && __playground.config.learning_rate === 0.2")
    assert pg.get("document.documentElement.dataset.theme") == "dark"
    assert pg.get("__playground.config.optimizer") == "momentum"


def test_hide_parameter_hides_controls(playground):
    pg = playground.open("?hide=learning_rate,optimizer,tools")
    pg.wait("document.querySelector('#learning_rate') !== null")
    assert not pg.page.is_visible("#learning_rate")
    assert not pg.page.is_visible("#optimizer")
    assert not pg.page.is_visible("#gradcheck")
    assert pg.page.is_visible("#activation")


def test_hidden_fields_stay_hidden_when_the_optimizer_and_schedule_rebuild_them(playground):
    pg = playground.open("?hide=momentum,t_max")
    pg.page.select_option("#optimizer", "momentum")
    pg.wait("__playground.config.optimizer === 'momentum'")
    field = pg.page.locator("[data-name='optimizer_params.momentum']")
    field.wait_for(state="attached")
    assert not field.is_visible()
    assert pg.page.is_visible("[data-name='optimizer_params.weight_decay']")
    pg.page.select_option("#schedule-name", "cosine")
    pg.wait("__playground.config.schedule.name === 'cosine'")
    period = pg.page.locator("[data-name='schedule.t_max']")
    period.wait_for(state="attached")
    assert not period.is_visible()
    pg.page.select_option("#optimizer", "sgd")
    pg.wait("__playground.config.optimizer === 'sgd'")
    pg.page.select_option("#optimizer", "momentum")
    pg.wait("__playground.config.optimizer === 'momentum'")
    pg.page.locator("[data-name='optimizer_params.momentum']").wait_for(state="attached")
    assert not pg.page.is_visible("[data-name='optimizer_params.momentum']")


def test_saturation_notice_appears_at_rate_10_and_goes_after_a_lower_rate_and_reset(playground):
    pg = playground.open()
    assert pg.config("activation") == "tanh" and pg.config("dataset") == "circle"
    pg.set("learning_rate", "10")
    pg.wait("__playground.config.learning_rate === 10")
    pg.page.click("#play")
    notice = pg.page.locator("#notices [data-kind=saturated_units]")
    notice.wait_for(state="visible", timeout=60_000)
    text = notice.inner_text().lower()
    assert "stuck at their limits" in text and "learning rate" in text
    pg.set("learning_rate", "0.03")
    pg.wait("__playground.config.learning_rate === 0.03")
    pg.page.click("#reset")
    notice.wait_for(state="detached", timeout=60_000)
    assert pg.get("__playground.state") == "training"


def test_dropout_per_layer_in_the_diagram_and_the_global_slider_sets_all(playground):
    pg = playground.open()
    layer_rates = "[...document.querySelectorAll('.layer-dropout')].map((i) => Number(i.value))"
    pg.wait(f"JSON.stringify({layer_rates}) === '[0,0]'")
    second = pg.page.locator(".layer-dropout").nth(1)
    second.fill("0.2")
    second.dispatch_event("change")
    pg.wait("JSON.stringify(__playground.config.dropout) === '[0,0.2]'")
    pg.wait("document.querySelector('[data-name=dropout] output').textContent === 'mixed'")
    pg.page.evaluate("(() => { const r = document.querySelector('#dropout'); r.value = '0.3'; "
                     "r.dispatchEvent(new Event('change')); })()")
    pg.wait("__playground.config.dropout === 0.3 || "
            "JSON.stringify(__playground.config.dropout) === '[0.3,0.3]'")
    pg.wait(f"JSON.stringify({layer_rates}) === '[0.3,0.3]'")
    assert pg.page.locator("[data-name=dropout] output").inner_text() == "0.3"


def test_the_activation_menu_says_mixed_when_layers_differ(playground):
    pg = playground.open()
    pg.page.locator(".layer-activation").nth(1).select_option("relu")
    pg.wait("JSON.stringify(__playground.config.activation) === '[\"tanh\",\"relu\"]'")
    pg.wait("document.querySelector('#activation').selectedOptions[0]?.textContent.startsWith('mixed')")
    assert pg.page.locator("#activation option:checked").inner_text().startswith("mixed")
    pg.page.select_option("#activation", "sigmoid")
    pg.wait("[__playground.config.activation].flat().every((a) => a === 'sigmoid')")
    pg.wait("document.querySelector('#activation option.mixed') === null")
    assert pg.page.input_value("#activation") == "sigmoid"
    assert pg.page.locator(".layer-activation").nth(0).input_value() == "sigmoid"


def test_divergence_notice_appears_and_goes_when_the_rate_is_lowered(playground):
    pg = playground.open("#dataset=plane&layers=4&learning_rate=0.03")
    pg.wait("__playground.config.dataset === 'plane'")
    pg.set("learning_rate", "10")
    pg.wait("__playground.config.learning_rate === 10")
    pg.page.click("#play")
    notice = pg.page.locator("#notices [data-kind=diverged]")
    notice.wait_for(state="visible", timeout=60_000)
    assert "diverged" in notice.inner_text().lower()
    assert "learning rate" in notice.inner_text().lower()
    pg.set("learning_rate", "0.03")
    notice.wait_for(state="detached")
    pg.wait("__playground.state === 'training'")


def test_gradient_check_shows_errors_per_layer(playground):
    pg = playground.open()
    pg.page.click("#gradcheck")
    pg.page.locator("#gradcheck-result td.ok").first.wait_for()
    assert "below 1e-4 in every layer" in pg.page.inner_text("#gradcheck-result .gradcheck-mark")  # the pass mark
    pg.page.check("#inject_bug")
    pg.page.click("#gradcheck")
    pg.page.locator("#gradcheck-result td.bad").first.wait_for()


COLOUR_PIXELS = """([selector, colour]) => {
    const c = document.querySelector(selector);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
    let n = 0;
    for (let i = 0; i < d.length; i += 4) n += Math.hypot(d[i] - r, d[i + 1] - g, d[i + 2] - b) < 20;
    return n; }"""


def colour_pixels(pg, selector: str, colour: str) -> int:
    """How many pixels of a canvas are within a small distance of a colour."""
    return pg.get(f"({COLOUR_PIXELS})({[selector, colour]!r})")


def test_the_update_size_chart_draws_every_layers_ratio(playground):
    """Each layer's ‖Δw‖/‖w‖ is plotted in its own colour (layer 1 blue, layer 2 orange, output green)."""
    pg = playground.open("#layers=4,4&optimizer=sgd&learning_rate=0.03&speed=100")
    pg.wait("__playground.config.layers.length === 2 && __playground.probe.sizes().length === 4")
    colours = ("#1f77b4", "#ff7f0e", "#2ca02c")
    chart = "canvas[data-chart=updates]"
    pg.wait(" && ".join(f"({COLOUR_PIXELS})({[chart, c]!r}) > 0" for c in colours))  # the legend, before any update
    legend_only = {c: colour_pixels(pg, chart, c) for c in colours}
    pg.page.click("#play")
    pg.wait("__playground.step >= 60")
    ratios = pg.get("__playground.lastFrame.update_ratio")
    assert len(ratios) == 3 and all(0 < r < 1 for r in ratios)
    for colour in colours:
        pg.wait(f"({COLOUR_PIXELS})({[chart, colour]!r}) > {legend_only[colour] + 40}")


def test_draw_time_of_a_deep_network(playground, artifacts):
    """2-8x6-1: diagram with 48 thumbnails, the 100² heatmap and the charts; the figure is reported, not asserted."""
    pg = playground.open("#layers=6,6,6,6,6,6,6,6&speed=100")
    pg.wait("__playground.config.layers.length === 8 && __playground.probe.sizes().length === 10")
    pg.page.click("#play")
    pg.wait("__playground.drawStats && __playground.drawStats.samples >= 100", timeout=90_000)
    live = pg.get("__playground.drawStats")
    pg.page.click("#play")
    pg.wait("__playground.state === 'idle'")
    bench = pg.get("__playground.probe.benchmark(300)")
    (artifacts / "draw-stats.json").write_text(json.dumps({"live": live, "redraw": bench}, indent=2))
    for name, stats in (("live", live), ("redraw", bench)):
        print(f"draw 2-8x6-1 {name}: median {stats['median']:.2f} ms, p95 {stats['p95']:.2f} ms ({stats['samples']})")
    for view, stats in live["views"].items():
        print(f"  live {view}: median {stats['median']:.2f} ms, p95 {stats['p95']:.2f} ms")
    assert live["samples"] >= 100 and bench["samples"] == 300


def test_a_saved_run_loads_back_its_weights(playground, tmp_path):
    pg = playground.open()
    pg.wait("__playground.probe.sizes() !== undefined")
    point = pg.get("__playground.probe.linkPoint(0, 0, 1)")
    pg.page.mouse.click(point["x"], point["y"])
    pg.page.locator("#diagram .weight-editor").fill("-1.75")
    pg.page.locator("#diagram .weight-editor").press("Enter")
    pg.wait("Math.abs(__playground.probe.value(0, 0, 1) + 1.75) < 1e-6")
    with pg.page.expect_download() as download:
        pg.page.click("#export_run")
    saved = json.loads(open(download.value.path()).read())
    assert saved["config"]["layers"] == pg.config("layers") and len(saved["params"]) > 0
    pg.set("layers", "3")  # another network: the saved weights must meet the network the saved settings build
    pg.wait("__playground.config.layers.length === 1 && __playground.probe.sizes().join('-') === '2-3-1'")
    path = tmp_path / "run.json"
    path.write_text(json.dumps(saved))
    pg.page.set_input_files("#import_run", str(path))
    layers = json.dumps(saved["config"]["layers"], separators=(",", ":"))
    pg.wait(f"JSON.stringify(__playground.config.layers) === '{layers}'")
    pg.wait("Math.abs(__playground.probe.value(0, 0, 1) + 1.75) < 1e-6")
    pg.wait("document.querySelector('#notices').textContent.includes('Loaded the saved run')")
    assert pg.get("__playground.lastParams") == pytest.approx(saved["params"], abs=1e-6)


def test_a_saved_run_whose_weights_do_not_fit_says_so(playground, tmp_path):
    pg = playground.open()
    pg.wait("__playground.probe.sizes() !== undefined")
    with pg.page.expect_download() as download:
        pg.page.click("#export_run")
    saved = json.loads(open(download.value.path()).read())
    saved["params"] = saved["params"][:-1]
    path = tmp_path / "run.json"
    path.write_text(json.dumps(saved))
    pg.page.set_input_files("#import_run", str(path))
    pg.wait("document.querySelector('#notices').textContent.includes('do not fit')")
    pg.page.set_input_files("#import_csv", [])  # a change with no file chosen
    pg.wait("document.querySelector('#notices').textContent.includes('Could not read that file')")


def test_a_refused_value_is_explained_beside_its_control(playground):
    pg = playground.open()
    pg.set("batch_size", "0")
    error = pg.page.locator("#error-batch_size")
    error.wait_for(state="visible")
    assert "5000" in error.inner_text()
    assert pg.page.get_attribute("#batch_size", "aria-invalid") == "true"
    pg.set("batch_size", "20")
    pg.wait("__playground.config.batch_size === 20")
    error.wait_for(state="hidden")


def test_csv_export_and_import_and_png_export(playground, tmp_path):
    pg = playground.open()
    with pg.page.expect_download() as download:
        pg.page.click("#export_csv")
    text = open(download.value.path()).read()
    assert text.splitlines()[0].startswith("x,y,label")
    assert len(text.splitlines()) > 100
    path = tmp_path / "few.csv"
    path.write_text("\n".join(text.splitlines()[:41]) + "\n")
    pg.page.set_input_files("#import_csv", str(path))
    pg.wait("__playground.data.train.length + __playground.data.test.length === 40")
    with pg.page.expect_download() as download:
        pg.page.click("#export_png")
    assert open(download.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"


NODE_PLACED = """([column, index]) => { try { const p = __playground.probe.nodePoint(column, index);
    return p && Number.isFinite(p.x) && Number.isFinite(p.y); } catch (e) { return false; } }"""


def test_hovering_a_neuron_shows_its_map_in_the_big_heatmap(playground):
    pg = playground.open()
    pg.wait(NODE_PLACED, [1, 0])  # the diagram has laid out that neuron, not merely heard of the sizes
    point = pg.get("__playground.probe.nodePoint(1, 0)")
    pg.page.mouse.move(point["x"], point["y"])
    pg.wait("document.querySelector('.heatmap-caption').textContent.includes('neuron 1 of hidden layer 1')")
    pg.wait("document.querySelector('#heatmap canvas.grid').width === 25")
    assert "bias" in pg.page.locator("#diagram .hover-card").inner_text()
    pg.page.mouse.move(5, 5)
    pg.wait("document.querySelector('#heatmap canvas.grid').width === 100")
    pg.wait("document.querySelector('.heatmap-caption').textContent.includes('output')")


def test_every_control_has_a_name_for_screen_readers(playground):
    pg = playground.open()
    pg.wait("document.querySelectorAll('.layer-box select').length > 0")
    unnamed = pg.get("""[...document.querySelectorAll('input, select, button, textarea')]
        .filter((el) => el.type !== 'file' || el.labels.length === 0)
        .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                        && !el.getAttribute('aria-labelledby') && !el.textContent.trim())
        .map((el) => el.outerHTML.slice(0, 80))""")
    assert unnamed == []
    assert pg.get("document.querySelectorAll('[aria-describedby^=help-]').length") >= 20


def test_clicking_a_feature_in_the_diagram_toggles_it(playground):
    pg = playground.open()
    names = pg.get("__playground.options.config.features.values")
    index = names.index("x1_sq")
    pg.wait(NODE_PLACED, [0, index])
    point = pg.get(f"__playground.probe.nodePoint(0, {index})")
    pg.page.mouse.click(point["x"], point["y"])
    pg.wait("__playground.config.features.includes('x1_sq')")
    pg.wait("__playground.layout.network.features.includes('x1_sq') && __playground.probe.sizes()[0] === 3")
    assert pg.page.is_checked("#feature-x1_sq")
    pg.page.mouse.click(point["x"], point["y"])
    pg.wait("!__playground.config.features.includes('x1_sq') && __playground.probe.sizes()[0] === 2")


def test_backprop_by_hand_on_a_point_picked_on_the_map(playground):
    """The by-hand walk-through on the playground's own network: pick a point by clicking near it; the trace is that
    point (the nearest one), its weights are the live network's (the frame's params), and the point is ringed."""
    import numpy as np

    pg = playground.open("#layers=4,4&features=x1,x2")
    pg.wait("__playground.probe.sizes() && __playground.probe.sizes().join('-') === '2-4-4-1'")
    for _ in range(3):
        pg.page.click("#step")
    pg.wait("__playground.step === 3")
    train = np.array(pg.get("__playground.data.train"))[:, :2]
    target = train[7] + 0.05  # near point 7, not on it: the page must find the nearest
    nearest = int(np.argmin(((train - target) ** 2).sum(axis=1)))
    pg.page.click('#by-hand [data-action="pick"]')
    pg.wait("document.querySelector('#heatmap canvas.points').classList.contains('picking')")
    points = pg.page.locator("#heatmap canvas.points")
    points.scroll_into_view_if_needed()
    box = points.bounding_box()
    pg.page.mouse.click(box["x"] + (target[0] + 6) / 12 * box["width"], box["y"] + (6 - target[1]) / 12 * box["height"])
    pg.wait("window.__lessonLive.trace !== null")
    trace = pg.get("window.__lessonLive.trace")
    assert (trace["split"], trace["index"], trace["step"]) == ("train", nearest, 3)
    assert trace["sizes"] == [2, 4, 4, 1] and not trace["too_big"]
    np.testing.assert_allclose(pg.get("__playground.data.train")[nearest][:2], trace["point"], atol=1e-4)  # 4 decimals
    params = pg.get("__playground.lastParams")
    flat = np.concatenate([np.ravel(a) for W, b in zip(*trace["weights"].values(), strict=True) for a in (W, b)])
    np.testing.assert_allclose(flat, params, rtol=1e-6, atol=1e-7)
    assert pg.get("__playground.probe.marked()") == {"split": "train", "index": nearest}
    pg.wait(f"({COLOUR_PIXELS})({['#heatmap canvas.points', '#6a00c8']!r}) > 20")  # the ring
    assert not pg.get("document.querySelector('#heatmap canvas.points').classList.contains('picking')")
    pg.page.click('#by-hand [data-action="run"]')
    pg.wait(f"document.querySelectorAll('#by-hand .step-list li').length === {len(trace['steps'])}")
    shown = pg.page.locator("#by-hand .step-list li .result").all_inner_texts()
    assert shown == [s["result"] for s in trace["steps"]]
    assert "step 3" in pg.page.locator("#by-hand .live-message").inner_text()


def test_backprop_by_hand_says_a_bigger_network_is_too_big(playground):
    pg = playground.open("#layers=8,8&features=x1,x2")
    pg.wait("__playground.probe.sizes() && __playground.probe.sizes().join('-') === '2-8-8-1'")
    pg.page.click('#by-hand [data-action="trace"]')
    pg.wait("window.__lessonLive.trace !== null")
    assert pg.get("window.__lessonLive.trace.too_big") is True
    assert "too big" in pg.page.locator("#by-hand .live-message").inner_text()
