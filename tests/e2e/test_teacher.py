"""Issue 14, a page a teacher can trust: each test names the numbered problem it covers."""

from __future__ import annotations

import json
import math
import urllib.request

import pytest


def api_options(server) -> dict:
    with urllib.request.urlopen(server.url + "/api/options") as response:
        return json.load(response)


def other_value(key: str, spec: dict, options: dict):
    """A valid value of one setting that differs from its default, derived from its spec in /api/options."""
    default = spec["default"]
    kind = spec.get("type")
    if key == "dataset":
        return "moons"  # binary like the default, so the default loss still suits it
    if key == "loss":
        return "bce"
    if key == "layers":
        return [3, 5]
    if key == "optimizer_params":
        return {"weight_decay": 0.001}
    if key == "schedule":
        name = next(n for n in options["schedules"] if n != default["name"])
        return {"name": name}
    if key == "clip":
        return {"mode": spec["fields"]["mode"]["values"][-1], "value": 2.5}
    if key == "early_stopping":
        return {"enabled": not default["enabled"], "patience": default["patience"] + 25}
    if kind == "choice":
        return next(v for v in spec["values"] if v != default)
    if kind == "subset":
        return [*default, next(v for v in spec["values"] if v not in default)]
    if kind == "bool":
        return not default
    if kind == "int":
        return int(default + 1 if default + 1 <= spec["max"] else default - 1) if default else spec["min"] + 7
    value = default * 1.5 if default else (spec["min"] + spec["max"]) / 4
    return min(round(value, 4), spec["max"])


# -- #1 links keep every setting ----------------------------------------------------------------------------------


def test_issue14_1_every_setting_survives_the_link_reload_and_a_fresh_tab(playground, server, browser):
    """Every setting of the schema (and speed, fps) set to a non-default value, then the page reloaded and the link
    opened in another tab: the same applied config, and no "could not be used" notice."""
    options = api_options(server)["options"]
    patch = {key: other_value(key, spec, options) for key, spec in options["config"].items()}
    patch.update(speed=20, fps=25)
    pg = playground.open()
    pg.page.evaluate("(p) => __playground.send({type: 'config', ...p})", patch)
    pg.wait("__playground.config.fps === 25 && location.hash.includes('fps=25')")
    before = pg.get("__playground.config")
    for key, value in patch.items():
        assert before[key] == value or (isinstance(value, dict) and value.items() <= before[key].items()), key
    url = pg.get("location.href")
    pg.page.reload()
    pg.wait("__playground.connected && __playground.config && __playground.config.fps === 25")
    pg.wait("(c) => JSON.stringify(__playground.config) === JSON.stringify(c)", before)
    assert pg.get("document.querySelector('#notices').textContent") .find("could not be used") < 0
    other = browser.new_page()
    try:
        other.goto(url)
        other.wait_for_function("(c) => window.__playground && __playground.connected && "
                                "JSON.stringify(__playground.config) === JSON.stringify(c)", arg=before)
        assert "could not be used" not in other.locator("#notices").inner_text()
    finally:
        other.close()


def test_issue14_1_a_preset_link_reloads_at_the_presets_speed(playground):
    pg = playground.open("#preset=xor")
    pg.wait("__playground.preset !== null || location.hash.includes('speed=')")
    pg.wait("typeof __playground.config.speed === 'number' && location.hash.includes('speed=')")
    speed = pg.config("speed")
    pg.page.reload()
    pg.wait("window.__playground && __playground.connected && __playground.framesReceived > 0")
    pg.wait(f"__playground.config.speed === {speed}")
    assert "could not be used" not in pg.page.locator("#notices").inner_text()


# -- #2 a watchable default pace, the slider in real steps/s ------------------------------------------------------


def test_issue14_2_the_page_trains_at_a_watchable_pace_and_full_speed_is_one_step_away(playground, server):
    """A fresh page trains at the server's `page_default` pace (a number, not "max"); the slider's stops are round
    numbers of steps per second (1, 2, 5 × 10^k) and the last one is full speed."""
    speed_spec = api_options(server)["options"]["speed"]
    pace = speed_spec["page_default"]
    assert isinstance(pace, float) and speed_spec["min"] <= pace <= speed_spec["max"]
    pg = playground.open()
    pg.wait(f"__playground.config.speed === {pace}")
    assert pg.page.locator('output[for="speed"]').inner_text() == f"{pace:g} steps/s"
    assert f"speed={pace:g}" in pg.get("location.hash")
    labels = pg.get("""(() => {
        const s = document.querySelector('#speed'); const out = [];
        for (let k = Number(s.min); k <= Number(s.max); k++) {
            s.value = k; s.dispatchEvent(new Event('input'));
            out.push(document.querySelector('output[for="speed"]').textContent);
        }
        return out; })()""")
    assert labels[-1] == "full speed"
    values = [float(label.removesuffix(" steps/s")) for label in labels[:-1]]
    assert values == sorted(values) and values[0] >= speed_spec["min"] and values[-1] <= speed_spec["max"]
    for v in values:
        mantissa = v / 10 ** math.floor(math.log10(v) + 1e-9)
        assert round(mantissa, 6) in (1, 2, 5), v
    assert f"{pace:g} steps/s" in labels
    pg.page.focus("#speed")
    pg.page.keyboard.press("ArrowLeft")  # the loop above left the slider on its last stop
    pg.wait(f"__playground.config.speed === {values[-1]}")
    pg.page.keyboard.press("End")
    pg.wait("__playground.config.speed === 'max'")


# -- #3, #4 every live change explained where the user looks -------------------------------------------------------


def note_of(pg, field: str) -> str:
    return pg.get(f"document.querySelector('[data-name=\"{field}\"] .control-note')?.textContent || ''")


def test_issue14_3_live_changes_say_what_happened_to_the_weights_and_the_loss(playground):
    pg = playground.open("#speed=max")
    pg.page.click("#play")
    pg.wait("__playground.step > 500")
    pg.page.select_option("#activation", "relu")
    pg.wait("document.querySelector('#notices').textContent.includes('now use relu instead of tanh')")
    assert "The weights were kept" in note_of(pg, "activation")
    pg.wait("document.querySelector('#notices').textContent.includes('Loss ')")  # what the loss did after it
    assert "→" in note_of(pg, "activation")
    pg.page.click("#add-layer")
    pg.wait("document.querySelector('#notices').textContent.includes('Hidden layer 3 (2 neurons) was added')")
    assert "every other weight was kept" in note_of(pg, "layers")
    notices = pg.page.locator("#notices").inner_text()
    assert "weights were reset" not in notices and "fresh random values because" not in notices  # no contradiction
    pg.page.select_option("#init", "he")
    pg.wait("document.querySelector('#notices').textContent.includes('applies at the next Reset')")
    assert "applies at the next Reset" in note_of(pg, "init")
    pg.page.click("#notices .notice-action:text('Reset now')")
    pg.wait("__playground.events.some((e) => e.kind === 'reset')")
    pg.wait("!document.querySelector('#notices').textContent.includes('applies at the next Reset')")
    assert note_of(pg, "init") == ""


def test_issue14_3_a_fresh_multiclass_link_does_not_warn_about_reinitialising(playground):
    pg = playground.open("#dataset=spiral_k&loss=softmax_ce")
    pg.wait("__playground.config.dataset === 'spiral_k'")
    pg.page.wait_for_timeout(500)  # any event of the change has arrived with its config
    assert "re-initialised" not in pg.page.locator("#notices").inner_text()


def test_issue14_4_and_5_a_too_high_rate_is_explained_beside_it_in_view_and_can_be_rolled_back(playground):
    pg = playground.open("#speed=max")
    pg.page.click("#play")
    pg.wait("__playground.step > 3000")
    pg.page.locator("#learning_rate").scroll_into_view_if_needed()
    pg.set("learning_rate", "10")
    pg.wait("__playground.events.some((e) => e.kind === 'saturated_units' || e.kind === 'diverged')")
    pg.wait("document.querySelector('[data-name=\"learning_rate\"] .control-note')?.textContent.length > 0")
    viewport = pg.get("({w: innerWidth, h: innerHeight})")
    for selector in ("#notices li", '[data-name="learning_rate"] .control-note', "#learning_rate"):
        box = pg.page.locator(selector).first.bounding_box()
        assert box and 0 <= box["y"] and box["y"] + box["height"] <= viewport["h"], selector  # all in view at once
    back = pg.page.locator("#notices .notice-action", has_text="Back to step")
    back.first.wait_for()
    label = back.first.inner_text()
    step = int(label.split("Back to step ")[1].split(" ")[0])
    if pg.get("__playground.state") == "training":
        pg.page.click("#play")
    pg.wait("__playground.state !== 'training'")
    pg.set("learning_rate", "0.03")
    pg.wait("__playground.config.learning_rate === 0.03")
    back.first.click()
    pg.wait(f"__playground.lastFrame.step === {step}")  # the good weights are back, counters with them
    loss = float(label.split("(loss ")[1].rstrip(")"))
    assert pg.get("__playground.lastFrame.train_loss") == pytest.approx(loss, rel=1e-2)  # label shows 3 digits
    pg.page.click("#play")  # and the lower rate now works: the loss stays down, the warning clears itself
    pg.wait(f"__playground.lastFrame.step > {step + 500}")
    assert pg.get("__playground.lastFrame.train_loss") < 0.1
    pg.wait("!document.querySelector('#notices').textContent.includes('stuck at their limits')")


# -- #7 ?hide= ----------------------------------------------------------------------------------------------------

VISIBLE = "(s) => [...document.querySelectorAll(s)].some((e) => e.offsetParent !== null)"


def test_issue14_7_hide_names_match_what_they_hide_and_close_every_other_way(playground):
    pg = playground.open("?hide=layer-buttons")
    assert pg.page.is_visible("#diagram canvas.diagram") and not pg.page.is_visible("#add-layer")
    assert not pg.get(f"({VISIBLE})('.layer-box .layer-buttons')")  # the neurons' +/− too
    pg = playground.open("?hide=layers,activation,dropout")
    pg.wait("document.querySelectorAll('.layer-box').length === 2")
    assert not pg.page.is_visible("#layers") and not pg.page.is_visible("#add-layer")
    for selector in (".layer-box .layer-buttons", ".layer-activation", ".layer-dropout"):
        assert not pg.get(f"({VISIBLE})({selector!r})"), selector
    assert pg.page.is_visible("#diagram canvas.diagram") and pg.page.is_visible("#learning_rate")


def test_issue14_7_unknown_hide_names_are_reported_with_the_valid_ones(playground, server):
    valid = api_options(server)["hide"]
    assert {"learning_rate", "layers", "clip.value", "momentum", "tools", "layer-buttons"} <= set(valid)
    pg = playground.open("?hide=learning_rate,lerning_rate")
    text = pg.page.locator("#notices").inner_text()
    assert '"lerning_rate"' in text and all(name in text for name in valid)
    assert not pg.page.is_visible("#learning_rate")


def test_issue14_7_every_page_part_hide_lists_hides_something(playground):
    from app.http.pages import PAGE_PARTS

    pg = playground.open("?hide=" + ",".join(PAGE_PARTS))
    assert pg.page.locator("#notices").inner_text().find("does not have") < 0
    for name in PAGE_PARTS:
        found = pg.get(f"[...document.querySelectorAll('[data-name=\"{name}\"], [data-section=\"{name}\"]')]"
                       ".map((e) => e.hidden)")
        assert found and all(found), name


# -- #10 keyboard and outage --------------------------------------------------------------------------------------


def tabs_to(page, selector: str, limit: int = 200) -> int:
    """How many Tab presses from a freshly opened page until `selector` has the focus."""
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement === document.querySelector({selector!r})"):
            return n
    return limit + 1


def test_issue14_10_the_rate_steps_multiplicatively_and_help_is_no_tab_stop(playground):
    pg = playground.open()
    stops_before = tabs_to(pg.page, "#learning_rate")
    help_buttons = pg.get("document.querySelectorAll('.help-toggle').length")
    # Without the "?" stops, the rate is as many stops away as there are other focusable fields before it.
    others = pg.get("""(() => { const all = [...document.querySelectorAll(
        'a[href], button, input, select, canvas[tabindex], [tabindex="0"]')]
        .filter((e) => e.tabIndex >= 0 && !e.disabled && e.offsetParent !== null);
        return all.indexOf(document.querySelector('#learning_rate')) + 1; })()""")
    assert help_buttons > 10 and stops_before == others
    pg.wait("__playground.config.learning_rate === 0.03")
    pg.page.focus("#learning_rate")
    pg.page.keyboard.press("ArrowUp")
    pg.wait("__playground.config.learning_rate === 0.1")
    pg.page.keyboard.press("ArrowDown")
    pg.page.keyboard.press("ArrowDown")
    pg.wait("__playground.config.learning_rate === 0.01")
    assert pg.get("[...document.querySelectorAll('.help-toggle')].every((b) => b.tabIndex === -1)")
    pg.page.keyboard.press("F1")
    assert pg.page.is_visible("#help-learning_rate")


def test_issue14_10_a_skip_link_leads_to_the_settings(playground):
    pg = playground.open()
    pg.page.keyboard.press("Tab")
    assert pg.get("document.activeElement.textContent") == "Skip to the settings"
    pg.page.keyboard.press("Enter")
    pg.page.keyboard.press("Tab")
    assert pg.get("document.querySelector('#controls').contains(document.activeElement)")


def test_issue14_10_weights_and_neurons_can_be_reached_and_edited_from_the_keyboard(playground):
    pg = playground.open()
    pg.page.focus("#diagram canvas.diagram")
    pg.page.keyboard.press("ArrowRight")
    assert pg.get("document.querySelector('#diagram .hover-card').textContent").startswith("Neuron") or \
        "neuron" in pg.get("document.querySelector('#diagram .hover-card').textContent").lower()
    step = pg.get("__playground.step")
    pg.page.keyboard.press("ArrowRight")  # its bias
    pg.page.keyboard.press("ArrowRight")  # the link from input 1 into neuron 1 of layer 1
    assert pg.get("__playground.step") == step  # → walked the diagram, it did not train
    pg.page.keyboard.press("Enter")
    assert pg.get("document.activeElement.classList.contains('weight-editor')")
    pg.page.keyboard.press("Control+A")
    pg.page.keyboard.type("0.625")
    pg.page.keyboard.press("Enter")
    pg.wait("__playground.probe.value(0, 0, 0) === 0.625")  # exact in float32


def test_issue14_10_during_an_outage_play_is_remembered_and_the_rates_are_not_stale(make_server, page):
    from tests.e2e.conftest import Playground

    first = make_server()
    pg = Playground(page, first.url).open()
    first.stop()
    pg.wait("!__playground.connected")
    assert pg.page.locator("[data-status=steps_per_second]").inner_text() == "–"
    assert pg.page.locator("[data-status=fps]").inner_text() == "–"
    pg.page.click("#play")
    assert "Training starts as soon as the server is back" in pg.page.locator("#notices").inner_text()
    page.errors.clear()  # Chromium logs the refused reconnects


# -- #12 the first frame (its time is measured by bench/first_frame.py, not here) ----------------------------------


def test_issue14_12_the_page_preloads_every_module_it_loads_and_marks_its_first_frame(playground):
    pg = playground.open()
    pg.wait("performance.getEntriesByName('first-frame').length === 1")
    loaded = set(pg.get("performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname)"
                        ".filter((p) => p.endsWith('.js'))"))
    preloaded = set(pg.get("[...document.querySelectorAll('link[rel=modulepreload]')]"
                           ".map((l) => l.getAttribute('href'))"))
    assert len(loaded) > 20 and loaded <= preloaded  # fetched at once, not one import level at a time


# -- #9 /lesson states its loss convention up front --------------------------------------------------------------


def test_issue14_9_the_lesson_states_its_convention_first_and_explains_the_half_at_the_delta(page, server):
    from tests.e2e.test_lesson_page import open_lesson

    open_lesson(page, server)
    convention = page.locator("#convention")
    assert "L = ½(ŷ − y)²" in convention.inner_text() and "δ₂ = ŷ − y" in convention.inner_text()
    first = page.evaluate("""[...document.querySelector('#lesson').children]
        .findIndex((e) => e.id === 'convention' || e.querySelector?.('#convention'))""")
    walk = page.evaluate("[...document.querySelector('#lesson').children].findIndex((e) => e.contains("
                         "document.querySelector('#worked-walk')))")
    assert 0 <= first < walk  # before the first step
    while page.evaluate("document.querySelector('#worked-walk .step-card')?.dataset.key") != "delta2[0]":
        page.click('#worked-walk [data-action="next"]')
    card = page.locator("#worked-walk .step-card")
    assert "the ½ is there so that its derivative" in card.inner_text()
    card.locator('[data-action="other-delta"]').click()  # the alternative, one click away where δ is computed
    page.wait_for_function("window.__lesson.delta === 'mse'")
    assert "(ŷ − y) · ŷ(1 − ŷ)" in convention.inner_text()
    assert page.errors == []


# -- #8 the phone layout ------------------------------------------------------------------------------------------


def test_issue14_8_on_a_phone_the_map_stays_in_view_beside_the_rate_and_taps_are_44_px(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        page.goto(server.url + "/")
        page.wait_for_function("window.__playground && __playground.connected && __playground.framesReceived >= 1")
        page.locator("#learning_rate").scroll_into_view_if_needed()
        page.wait_for_timeout(100)
        height = page.evaluate("innerHeight")
        for selector in ("#heatmap canvas.points", "#learning_rate"):
            box = page.locator(selector).bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= height, selector  # on screen together
        rate, heatmap = (page.locator(s).bounding_box() for s in ("#learning_rate", "#heatmap"))
        assert rate["y"] >= heatmap["y"] + heatmap["height"]  # not under the map
        small = page.evaluate("""[...document.querySelectorAll(
            '.layer-box button, .layer-count button, .help-toggle, .runbar button')]
            .filter((b) => b.offsetParent !== null).map((b) => b.getBoundingClientRect())
            .filter((r) => r.width < 44 || r.height < 44).length""")
        assert small == 0
    finally:
        context.close()


def overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def test_issue14_12_the_weight_editor_leaves_the_card_readable_and_picking_shows_the_map(playground):
    pg = playground.open()
    point = pg.get("__playground.probe.linkPoint(0, 1, 0)")
    pg.page.mouse.move(point["x"], point["y"])
    card = pg.page.locator("#diagram .hover-card")
    card.wait_for(state="visible")
    pg.page.mouse.click(point["x"], point["y"])
    editor = pg.page.locator("#diagram .weight-editor")
    editor.wait_for(state="visible")
    assert not overlap(editor.bounding_box(), card.bounding_box())
    editor.press("Escape")
    pg.page.locator("#by-hand").scroll_into_view_if_needed()
    pg.page.click("#by-hand button:text('pick a point on the map')")
    box = pg.page.locator("#heatmap canvas.points").bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= pg.get("innerHeight")


# -- #6 presets show what they promise -----------------------------------------------------------------------------


def test_issue14_6_the_vanishing_preset_shows_the_first_layers_line_below_the_others(playground):
    """The card says the first layer's line lies far below the output's; each frame's norm jumps by orders of
    magnitude, so the chart averages in log space and the lines keep the order the claim measures."""
    from app.presets import PRESETS

    assert "line" in PRESETS["vanishing"].look_at and "bar" not in PRESETS["vanishing"].look_at
    pg = playground.open("#preset=vanishing")
    pg.wait("__playground.claim && __playground.claim.status === 'shown'", timeout=90_000)
    for _ in range(5):  # at several moments, not one lucky frame
        last = pg.get("__playground.probe.chartLast('gradients')")
        assert len(last) == 7 and last[0] < min(last[1:]) and last[0] < last[-1] / 100, last
        step = pg.get("__playground.step")
        pg.wait(f"__playground.step > {step + 30}")


def test_issue14_12_presenter_mode_shows_the_whole_diagram_at_1280x800_with_bigger_layer_controls(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(server.url + "/#presenter=true&layers=4,4,2")
        page.wait_for_function("window.__playground && __playground.connected && __playground.framesReceived >= 1 "
                               "&& document.querySelectorAll('.layer-box').length === 3")
        box = page.locator("#diagram canvas.diagram").bounding_box()
        assert box["y"] + box["height"] <= 800  # the whole diagram on the projected screen
        sizes = page.evaluate("[...document.querySelectorAll('.layer-box select, .layer-box input')]"
                              ".map((e) => parseFloat(getComputedStyle(e).fontSize))")
        base = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert base == 19 and min(sizes) >= 0.8 * base, sizes
    finally:
        context.close()


def test_issue14_12_the_walk_through_follows_the_dark_theme_and_stays_readable(playground):
    from tests.e2e.test_accessibility import violations

    pg = playground.open("#theme=dark")
    pg.page.locator("#by-hand").scroll_into_view_if_needed()
    pg.page.click("#by-hand button:text('walk through this point')")
    pg.page.locator("#by-hand .diagram-box").wait_for()
    pg.page.click('#by-hand [data-action="next"]')
    pg.page.locator("#by-hand .step-card").wait_for()
    for selector in ("#by-hand .diagram-box", "#by-hand .step-card"):
        assert pg.page.locator(selector).evaluate("(e) => getComputedStyle(e).backgroundColor") != "rgb(255, 255, 255)"
    assert violations(pg.page) == []  # every text of it keeps its contrast on the dark card


def test_issue14_6_the_too_large_rate_preset_keeps_the_loss_curve_that_shoots_up(playground):
    """The diverged step is rolled back, so the next frame's step is one less: that used to clear every chart, leaving
    one point ("step 4 … 5", no line). Now the charts drop only what came after the step the run went back to."""
    pg = playground.open("#preset=lr-too-large")
    pg.wait("__playground.events.some((e) => e.kind === 'diverged')", timeout=90_000)
    diverged = pg.get("__playground.events.find((e) => e.kind === 'diverged').step")
    pg.wait(f"__playground.lastFrame.step === {diverged - 1}")  # the rolled-back frame has arrived
    steps, train, _ = pg.get("__playground.probe.chartSeries('loss')")
    assert len(steps) >= 3 and steps[-1] == diverged - 1 and steps == sorted(steps)
    assert train[-1] > 100 * train[0]  # the line climbs by orders of magnitude: what the card promises


# -- #5 old notices go when they stop being true -------------------------------------------------------------------


def test_issue14_5_unit_warnings_go_when_no_longer_true_and_with_a_server_restart(make_server, page):
    """A saturation warning goes when fresh weights at a sane rate are no longer stuck (the server's
    `saturation_cleared`), beside the control too; a restarted server's new session judges the restored weights
    afresh, so the old session's warning goes with it."""
    from tests.conftest import start_server
    from tests.e2e.conftest import Playground

    saturated = "document.querySelector('#notices [data-kind=saturated_units]')"
    note = "document.querySelector('[data-name=\"learning_rate\"] .control-note')?.textContent || ''"
    first = make_server()
    pg = Playground(page, first.url).open("#speed=max&learning_rate=10")
    pg.page.click("#play")
    pg.wait(f"{saturated} !== null && ({note}).includes('stuck')")
    pg.set("learning_rate", "0.03")
    pg.page.click("#reset")  # fresh weights at a sane rate: no longer true, so it goes, beside the rate too
    pg.wait(f"{saturated} === null && !({note}).includes('stuck')")
    pg.set("learning_rate", "10")
    pg.wait(f"{saturated} !== null")
    pg.page.click("#play")
    pg.wait("__playground.state !== 'training'")
    frames = pg.get("__playground.framesReceived")
    first.stop()
    pg.wait("!__playground.connected")
    second = start_server(port=int(first.url.rsplit(":", 1)[1]))
    try:
        pg.wait(f"__playground.connected && __playground.framesReceived > {frames}", timeout=60_000)
        assert pg.get(f"{saturated} === null")  # the new session has not judged these weights yet
    finally:
        second.stop()
    page.errors.clear()  # Chromium logs the refused reconnects during the outage


def test_issue14_7_a_hidden_setting_is_kept_from_the_link_and_cannot_be_edited_through_the_hash(playground):
    """The teacher's link sets and hides the rate; a student editing the address bar changes nothing hidden."""
    pg = playground.open("?hide=learning_rate#learning_rate=0.3")
    pg.wait("__playground.config.learning_rate === 0.3")
    pg.page.evaluate("location.hash = location.hash.replace('learning_rate=0.3', 'learning_rate=5') + '&noise=0.2'")
    pg.wait("__playground.config.noise === 0.2")  # a visible setting still follows the hash
    assert pg.config("learning_rate") == 0.3
