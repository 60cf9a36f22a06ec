"""The presets on the page and over the wire: the page shows what the engine computed and what its claim check says.

Whether each claim holds is a property checked over seeds and BLAS kernels in tests/engine/test_claims.py. Here the
server runs the page's own run through the same check (`watch_claim` → `claim`), and the tests compare its verdict
with the engine's check of the same seed in this process (the server's thread uses the same NumPy, so the numbers
are the same), and the page's words with the verdict. Mechanisms (identical units, gradient check) are exact.
"""

from __future__ import annotations

import json

import pytest
from websockets.sync.client import connect

from app.presets import PRESETS
from engine.lessons.claims import Condition, Verdict, record
from engine.trainer import Trainer


def receive_until(ws, *kinds: str, limit: int = 2000) -> dict:
    for _ in range(limit):
        message = ws.recv(timeout=30)
        if isinstance(message, str) and json.loads(message)["type"] in kinds:
            return json.loads(message)
    raise AssertionError(f"no {kinds} message")


def open_preset(ws, preset_id: str, pause: bool = False) -> dict:
    """Load a preset as the page does (config, then watch_claim with reset); the `claim` answer."""
    receive_until(ws, "hello")
    ws.send(json.dumps({"type": "config", **PRESETS[preset_id].config()}))
    receive_until(ws, "config")
    ws.send(json.dumps({"type": "watch_claim", "preset": preset_id, "pause": pause, "reset": True}))
    return receive_until(ws, "claim", "error")


def engine_verdict(preset_id: str) -> dict:
    return PRESETS[preset_id].check().to_json()


def assert_same_verdict(got: dict, expected: dict) -> None:
    assert got["held"] == expected["held"] and got["step"] == expected["step"]
    assert [c["label"] for c in got["conditions"]] == [c["label"] for c in expected["conditions"]]
    for mine, theirs in zip(got["conditions"], expected["conditions"], strict=True):
        assert mine["value"] == pytest.approx(theirs["value"], rel=1e-9, abs=1e-12), mine["label"]


# -- over the wire ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["vanishing", "valley-momentum", "lr-too-large", "dead-relu"])
def test_the_server_judges_the_sessions_own_run_as_the_engine_does(server, preset):
    with connect(server.ws_url, origin=server.url, max_size=None) as ws:
        watching = open_preset(ws, preset, pause=True)
        assert watching == {"type": "claim", "status": "watching", "preset": preset, "step": 0, "pause": True,
                            "claim": PRESETS[preset].claim.text, "horizon": PRESETS[preset].claim.horizon}
        ws.send(json.dumps({"type": "config", "speed": "max"}))  # not the run's: the watch goes on
        ws.send(json.dumps({"type": "play"}))
        verdict = receive_until(ws, "claim")
        state = receive_until(ws, "state")
        while state["state"] != "idle":
            state = receive_until(ws, "state")
    assert verdict["status"] == ("shown" if verdict["held"] else "not_shown")
    assert_same_verdict(verdict, engine_verdict(preset))
    assert state.get("reason") in ("paused where the claim was decided", None) or "diverged" in state["reason"]


def test_the_watch_halts_training_exactly_at_the_horizon_when_asked(server):
    with connect(server.ws_url, origin=server.url, max_size=None) as ws:
        open_preset(ws, "xor", pause=True)
        ws.send(json.dumps({"type": "config", "speed": "max"}))
        ws.send(json.dumps({"type": "play"}))
        verdict = receive_until(ws, "claim")
        assert receive_until(ws, "state")["reason"] == "paused where the claim was decided"
        ws.send(json.dumps({"type": "export_csv", "id": 1}))  # any answer after the pause: the step stays
        receive_until(ws, "csv")
    assert verdict["step"] == PRESETS["xor"].claim.horizon


def test_a_watch_with_reset_starts_at_step_0_while_training_runs(server):
    """The page loads a preset while the previous one trains at full speed. A separate `reset` left room for a
    training slice before `watch_claim`, which then found the run past step 0 (a CI run caught it): with `reset`
    in the same message, the watch starts every time."""
    with connect(server.ws_url, origin=server.url, max_size=None) as ws:
        open_preset(ws, "lr-right")
        ws.send(json.dumps({"type": "config", "speed": "max"}))
        ws.send(json.dumps({"type": "play"}))
        for _ in range(20):
            while isinstance(ws.recv(timeout=30), str):  # a binary frame: training is under way again
                pass
            ws.send(json.dumps({"type": "watch_claim", "preset": "lr-right", "reset": True}))
            answer = receive_until(ws, "claim", "error")
            # The last watch may have been judged (its horizon is 2,000 steps: well within a frame at full speed)
            # before this one dropped it: skip what the earlier watches said.
            while answer["type"] == "claim" and answer["status"] in ("dropped", "shown", "not_shown"):
                answer = receive_until(ws, "claim", "error")
            assert answer["type"] == "claim" and answer["status"] == "watching" and answer["step"] == 0, answer


def test_a_change_to_the_run_drops_the_watch_and_says_what_changed(server):
    with connect(server.ws_url, origin=server.url, max_size=None) as ws:
        open_preset(ws, "valley-sgd")
        ws.send(json.dumps({"type": "config", "fps": 10, "speed": 50}))  # pacing is not the run: nothing dropped
        receive_until(ws, "config")
        ws.send(json.dumps({"type": "config", "learning_rate": 0.05}))
        dropped = receive_until(ws, "claim")
        assert dropped["status"] == "dropped" and dropped["reason"] == "learning_rate changed"
        ws.send(json.dumps({"type": "watch_claim", "preset": "valley-sgd"}))
        refused = receive_until(ws, "error", "claim")
        assert refused["type"] == "error" and refused["field"] == "preset"
        assert "learning_rate is 0.05 here and 0.3" in refused["message"]
        ws.send(json.dumps({"type": "config", "learning_rate": 0.3}))
        ws.send(json.dumps({"type": "watch_claim", "preset": "valley-sgd"}))
        assert receive_until(ws, "claim")["status"] == "watching"  # same settings, still at step 0
        ws.send(json.dumps({"type": "step", "n": 3}))
        ws.send(json.dumps({"type": "set_weight", "layer": 0, "row": 0, "col": 0, "value": 0.5}))
        assert receive_until(ws, "claim") | {"claim": None} == {
            "type": "claim", "status": "dropped", "preset": "valley-sgd", "reason": "a weight was edited",
            "claim": None, "horizon": PRESETS["valley-sgd"].claim.horizon}
        ws.send(json.dumps({"type": "watch_claim", "preset": "valley-sgd"}))
        late = receive_until(ws, "error", "claim")
        assert late["type"] == "error" and "at step 3" in late["message"]
        ws.send(json.dumps({"type": "watch_claim", "preset": "no-such-preset"}))
        unknown = receive_until(ws, "error")
        assert unknown["field"] == "preset" and "'valley-sgd'" in unknown["message"]  # names the allowed values


def test_new_data_keeps_the_claim_watchable_from_a_fresh_start(server):
    """A teacher's "New data" draws another seed: the same claim is then judged on that seed's run."""
    with connect(server.ws_url, origin=server.url, max_size=None) as ws:
        open_preset(ws, "vanishing-fixed")
        ws.send(json.dumps({"type": "regenerate"}))
        seed = receive_until(ws, "config")["config"]["seed"]  # the answer, then the watch ends
        assert receive_until(ws, "claim")["reason"] == "new data was drawn"
        ws.send(json.dumps({"type": "reset"}))
        ws.send(json.dumps({"type": "watch_claim", "preset": "vanishing-fixed"}))
        assert receive_until(ws, "claim")["status"] == "watching"
        ws.send(json.dumps({"type": "config", "speed": "max"}))
        ws.send(json.dumps({"type": "play"}))
        verdict = receive_until(ws, "claim")
    assert seed != PRESETS["vanishing-fixed"].config()["seed"]
    assert_same_verdict(verdict, PRESETS["vanishing-fixed"].check(seed).to_json())


@pytest.mark.parametrize("preset", ["xor", "vanishing", "valley-adam"])
def test_gradcheck_over_the_protocol(server, preset):
    with connect(server.ws_url, origin=server.url, max_size=None) as ws:
        receive_until(ws, "hello")
        config = PRESETS[preset].config()
        ws.send(json.dumps({"type": "config", **config}))
        applied = receive_until(ws, "config")["config"]
        assert applied["layers"] == config["layers"]
        ws.send(json.dumps({"type": "gradcheck"}))
        good = receive_until(ws, "gradcheck")
        ws.send(json.dumps({"type": "gradcheck", "inject_bug": True}))
        bad = receive_until(ws, "gradcheck")
    assert good["passed"] is True and len(good["layers"]) == len(config["layers"]) + 1
    assert bad["passed"] is False and bad["inject_bug"] is True


# -- the page -----------------------------------------------------------------------------------------------------


def open_page(page, server, preset_id: str):
    page.goto(f"{server.url}/#preset={preset_id}")
    page.wait_for_function(f"window.__playground && __playground.preset === '{preset_id}' && __playground.claim"
                           f" && __playground.claim.preset === '{preset_id}'")  # fmt: skip
    return page


def wait_verdict(page, timeout: float = 45_000) -> dict:
    page.wait_for_function("['shown', 'not_shown'].includes(__playground.claim.status)", timeout=timeout)
    return page.evaluate("__playground.claim")


@pytest.mark.parametrize("preset", ["vanishing", "lr-too-large", "valley-rmsprop", "dead-relu"])
def test_browser_the_preset_card_says_whether_its_claim_was_shown_with_the_numbers(page, server, preset):
    open_page(page, server, preset)
    box = page.locator("#preset-claim")
    assert PRESETS[preset].claim.text in box.inner_text()
    page.evaluate("__playground.send({type: 'config', speed: 'max'})")  # the preset's own pace is for watching
    verdict = wait_verdict(page)
    assert_same_verdict(verdict, engine_verdict(preset))
    text = box.inner_text()
    assert box.get_attribute("data-status") == verdict["status"]
    assert f"Claim shown at step {verdict['step']}" in text
    for condition in verdict["conditions"]:
        assert condition["label"] in text
    assert page.errors == []


def test_browser_a_claim_not_shown_says_so_and_what_to_try(page, server):
    """The card renders a real engine verdict that did not hold: the vanishing claim judged on the ReLU + He run."""
    open_page(page, server, "vanishing")
    claim = PRESETS["vanishing"].claim
    run = record(Trainer(PRESETS["vanishing-fixed"].trainer_config()), claim)
    verdict = PRESETS["vanishing"].verdict(run, PRESETS["vanishing"].config()["seed"])
    assert not verdict.held
    message = {"type": "claim", "status": "not_shown", "preset": "vanishing", "claim": claim.text,
               "horizon": claim.horizon, **verdict.to_json(), "try_instead": PRESETS["vanishing"].try_next}
    page.evaluate("(m) => __playground.presets.claim(m)", message)
    box = page.locator("#preset-claim")
    assert box.get_attribute("data-status") == "not_shown"
    text = box.inner_text()
    assert f"Claim not shown by step {claim.horizon}" in text and PRESETS["vanishing"].try_next in text
    assert box.locator("li.bad").count() == 1


def test_browser_changing_a_setting_drops_the_claim_and_the_student_can_watch_again(page, server):
    open_page(page, server, "valley-momentum")
    page.wait_for_function("__playground.claim.status === 'watching'")
    page.evaluate("__playground.send({type: 'config', learning_rate: 0.05})")
    page.wait_for_function("__playground.claim.status === 'dropped'")
    box = page.locator("#preset-claim")
    assert "learning_rate changed" in box.inner_text()
    page.evaluate("__playground.send({type: 'config', learning_rate: 0.3, speed: 'max'})")
    page.wait_for_function("__playground.config.learning_rate === 0.3")
    page.click("#claim-rewatch")
    verdict = wait_verdict(page)
    assert_same_verdict(verdict, engine_verdict("valley-momentum"))
    assert page.errors == []


def test_browser_pause_where_the_claim_is_decided(page, server):
    page.goto(f"{server.url}/")
    page.wait_for_function("window.__playground && __playground.connected"
                           " && document.querySelectorAll('#preset-select option').length > 20")
    page.select_option("#preset-select", "vanishing-fixed")
    page.check("#claim-pause")
    page.select_option("#preset-select", "vanishing")  # applied with the box ticked
    page.wait_for_function("__playground.claim && __playground.claim.preset === 'vanishing'")
    page.evaluate("__playground.send({type: 'config', speed: 'max'})")
    verdict = wait_verdict(page)
    page.wait_for_function("__playground.state === 'idle' && __playground.lastFrame"
                           f" && __playground.lastFrame.step === {verdict['step']}")
    assert verdict["step"] == PRESETS["vanishing"].claim.horizon
    assert page.errors == []


def test_browser_slow_motion_shows_every_single_step(page, server):
    open_page(page, server, "slow-motion")
    card = page.locator("#preset-card")
    preset = PRESETS["slow-motion"]
    assert card.locator("h3").inner_text() == preset.title
    assert preset.look_at in card.inner_text() and preset.try_next in card.inner_text()
    assert page.locator("#preset-select").input_value() == "slow-motion"
    page.evaluate("""() => { window.__steps = new Set(); window.__stepTimer = setInterval(() => {
        const f = __playground.lastFrame; if (f) __steps.add(f.step); }, 10); }""")
    verdict = wait_verdict(page)  # 5 steps at 2 a second
    # The verdict is sent just before the frame of the step that decided it: wait for that frame too.
    page.wait_for_function("__steps.has(5)")
    seen = page.evaluate("[...__steps].sort((a, b) => a - b)")
    assert verdict["held"] and verdict["step"] == 5
    first = min(s for s in seen if s > 0)
    assert first <= 3 and set(range(first, 6)) <= set(seen)  # from the first seen on, each single step had a frame


def test_browser_zero_init_units_stay_identical(page, server):
    open_page(page, server, "zero-init")
    page.wait_for_function("__playground.lastFrame && __playground.lastFrame.step >= 300")
    weights = page.evaluate("""() => {
      const probe = window.__playground.probe, sizes = probe.sizes(), out = [];
      for (let layer = 0; layer < sizes.length - 2; layer++) {
        const rows = [];
        for (let row = 0; row < sizes[layer + 1]; row++) {
          const incoming = [probe.value(layer, row, null)];
          for (let col = 0; col < sizes[layer]; col++) incoming.push(probe.value(layer, row, col));
          rows.push(incoming);
        }
        out.push(rows);
      }
      return {sizes, out, next: [...Array(sizes[2]).keys()].map((row) => probe.value(1, row, 0))};
    }""")
    assert weights["sizes"] == [2, 4, 4, 1]
    for layer in weights["out"]:
        assert all(row == layer[0] for row in layer), layer
    assert max(abs(v) for v in weights["next"]) > 0


@pytest.mark.parametrize("preset", ["xor", "vanishing", "zero-init"])
def test_browser_gradient_check_passes_on_the_preset_and_the_injected_bug_fails_visibly(page, server, preset):
    open_page(page, server, preset)
    result = page.locator("#gradcheck-result")
    page.evaluate("window.__playground.gradcheck = null")
    page.click("#gradcheck")
    page.wait_for_function("__playground.gradcheck !== null")
    assert page.evaluate("window.__playground.gradcheck.passed") is True
    assert "agrees" in result.inner_text() and result.locator(".bad").count() == 0
    page.evaluate("window.__playground.gradcheck = null")
    page.check("#inject_bug")
    page.click("#gradcheck")
    page.wait_for_function("__playground.gradcheck !== null")
    assert page.evaluate("window.__playground.gradcheck.passed") is False
    assert "disagrees" in result.inner_text() and result.locator(".bad").count() >= 1
    assert page.errors == []


def test_browser_menu_applies_a_preset_and_related_links_switch(page, server):
    page.goto(server.url + "/")
    page.wait_for_function("window.__playground.connected"
                           " && document.querySelectorAll('#preset-select option').length > 20")
    small = PRESETS["lr-too-small"].config()["learning_rate"]
    page.select_option("#preset-select", "lr-too-small")
    page.wait_for_function("window.__playground.preset === 'lr-too-small' && window.__playground.config"
                           f" && window.__playground.config.learning_rate === {small}")
    assert "preset=lr-too-small" in page.evaluate("location.hash")
    page.click('#preset-card a[data-preset="lr-right"]')
    right = PRESETS["lr-right"].config()["learning_rate"]
    page.wait_for_function("window.__playground.preset === 'lr-right'"
                           f" && window.__playground.config.learning_rate === {right}")
    assert page.locator("#preset-card h3").inner_text() == PRESETS["lr-right"].title
    page.wait_for_function("__playground.claim && __playground.claim.preset === 'lr-right'")
    page.click("#lesson-link")
    page.wait_for_url("**/lesson")
    page.wait_for_function("window.__lesson && window.__lesson.ready")
    assert page.errors == []


def test_verdict_conditions_are_what_the_page_renders():
    """The wire form of a verdict carries every number the card shows (no NaN: JSON has none)."""
    verdict = Verdict("x", (Condition("a", float("inf"), "<=", 50),), 3)
    assert verdict.to_json()["conditions"][0]["value"] is None and not verdict.held


def test_browser_a_presets_speed_is_labelled_as_applied_and_accuracy_stays_on_0_to_1(page, server):
    """Issue 14 #6: a preset speed between two slider stops was labelled with the next stop (2 → "3.16 steps/s"),
    and a constant accuracy (vanishing: 0.5 throughout) stretched the axis to 1.5."""
    open_page(page, server, "slow-motion")
    page.wait_for_function("__playground.config.speed === 2")
    assert page.locator('output[for="speed"]').inner_text() == "2 steps/s"
    open_page(page, server, "vanishing")
    page.wait_for_function("__playground.lastFrame && __playground.lastFrame.step > 20")
    assert page.evaluate("__playground.probe.chartRange('accuracy')") == [0, 1]
    assert page.evaluate("__playground.probe.chartRange('loss')")[1] != 1  # other charts still fit their data
    assert page.errors == []
