"""Every preset demonstrates its claim.

Three layers of evidence: the engine's Trainer run directly on each preset's config (fast, exact numbers); the
server's `gradcheck` over the wire; and the playground page in Chromium loading `/#preset=<id>` and reading the
streamed numbers from window.__playground.
"""

from __future__ import annotations

import json
import statistics

import numpy as np
import pytest

from app.presets import PRESETS
from engine.trainer import Trainer

GRADCHECK_THRESHOLD = 1e-4  # the server's pass mark


def trainer_for(preset_id: str, **override) -> Trainer:
    config = PRESETS[preset_id].config()
    config.pop("speed")
    return Trainer({**config, **override})


def train_until(trainer: Trainer, steps: int) -> list[dict]:
    events = []
    while trainer.step < steps:
        happened = trainer.train(min(100, steps - trainer.step))
        events += happened
        if any(e["kind"] in ("diverged", "early_stopped") for e in happened):
            break
    return events


def noise(losses: list[float]) -> float:
    """Mean step-to-step change of the batch loss relative to its mean."""
    series = np.asarray(losses)
    return float(np.abs(np.diff(series)).mean() / series.mean())


# -- the engine, run on each preset's config ----------------------------------------------------------------------


def test_every_claim_has_a_check():
    checked = {
        "slow-motion", "lr-too-small", "lr-right", "lr-too-large", "lr-constant", "lr-step-decay", "full-batch",
        "stochastic", "mini-batch", "vanishing", "vanishing-fixed", "exploding", "exploding-clipped", "valley-sgd",
        "valley-momentum", "valley-adam", "valley-adagrad", "valley-rmsprop", "xor", "no-shuffle", "shuffle",
        "overfit", "overfit-l2", "overfit-dropout", "overfit-early-stopping", "dead-relu", "leaky-relu", "zero-init",
    }  # fmt: skip
    assert set(PRESETS) == checked


def test_slow_motion_each_step_moves_every_parameter_by_minus_eta_times_its_gradient():
    trainer = trainer_for("slow-motion")
    lr = trainer.config["learning_rate"]
    assert trainer.config["batch_size"] == 4 and PRESETS["slow-motion"].speed <= 2
    for _ in range(5):
        before = trainer.network.params.copy()
        trainer.train(1)
        np.testing.assert_allclose(trainer.network.params, before - lr * trainer.network.grads, atol=1e-6)


def test_learning_rate_too_small_about_right_and_too_large():
    losses = {}
    for preset in ("lr-too-small", "lr-right"):
        trainer = trainer_for(preset)
        start = trainer.evaluate()["train_loss"]
        assert train_until(trainer, 2000) == []
        losses[preset] = trainer.evaluate()["train_loss"] / start
    assert losses["lr-too-small"] > 0.4
    assert losses["lr-right"] < 0.05
    trainer = trainer_for("lr-too-large")
    events = train_until(trainer, 50)
    assert [e["kind"] for e in events] == ["diverged"]
    assert trainer.step < 50 and "diverged" in events[0]["message"]


def test_batch_size_full_batch_is_smooth_one_point_is_noisiest():
    measured = {}
    for preset in ("full-batch", "mini-batch", "stochastic"):
        trainer = trainer_for(preset)
        losses = []
        for _ in range(1000):
            trainer.train(1)
            losses.append(trainer.batch_loss)
        measured[preset] = noise(losses[200:])
    assert measured["full-batch"] < 0.01
    assert measured["full-batch"] * 10 < measured["mini-batch"] < measured["stochastic"] / 2


def test_vanishing_gradients_starve_the_first_layer_and_relu_he_fixes_it():
    trainer = trainer_for("vanishing")
    trainer.train(200)
    norms = trainer.stats["grad_norm"]
    assert len(norms) == 7
    assert norms[0] < 1e-3 * norms[-1] and norms[0] < 1e-3 * norms[-2]
    fixed = trainer_for("vanishing-fixed")
    fixed.train(200)
    norms = fixed.stats["grad_norm"]
    assert norms[0] > 1e-2 * norms[-1]
    assert fixed.evaluate()["train_loss"] < 0.5 * trainer.evaluate()["train_loss"]


def test_exploding_gradients_diverge_and_clipping_tames_them():
    events = train_until(trainer_for("exploding"), 20)
    assert [e["kind"] for e in events] == ["diverged"]
    assert events[0]["grad_norm"] > 100 and events[0]["cause"] == "exploding_gradient"
    clipped = trainer_for("exploding-clipped")
    start = clipped.evaluate()["train_loss"]
    events = train_until(clipped, 500)
    assert "diverged" not in [e["kind"] for e in events]
    assert clipped.evaluate()["train_loss"] < 0.05 * start


def test_momentum_runs_along_the_valley_and_adam_beats_plain_sgd():
    loss = {}
    for preset in ("valley-sgd", "valley-momentum", "valley-adam"):
        trainer = trainer_for(preset)
        train_until(trainer, 300)
        loss[preset] = trainer.evaluate()["train_loss"]
    assert loss["valley-momentum"] * 3 < loss["valley-sgd"]
    assert loss["valley-adam"] < loss["valley-sgd"]


def test_adagrad_keeps_pace_with_rmsprop_then_falls_behind():
    loss = {}
    for preset in ("valley-adagrad", "valley-rmsprop"):
        trainer = trainer_for(preset)
        loss[preset] = []
        for steps in (50, 600):
            train_until(trainer, steps)
            loss[preset].append(trainer.evaluate()["train_loss"])
    (ada_50, ada_600), (rms_50, rms_600) = loss["valley-adagrad"], loss["valley-rmsprop"]
    assert abs(ada_50 - rms_50) < 0.25 * rms_50
    assert ada_600 > 3 * rms_600


def test_adagrad_steps_only_shrink_because_its_sum_of_squares_only_grows():
    trainer = trainer_for("valley-adagrad")
    lr = trainer.config["learning_rate"]
    eps = trainer.config["optimizer_params"]["eps"]
    total = np.zeros_like(trainer.network.params, dtype=np.float64)
    for _ in range(200):
        before = trainer.network.params.astype(np.float64)
        trainer.train(1)
        g = trainer.network.grads.astype(np.float64)
        total += g * g
        np.testing.assert_allclose(trainer.network.params, before - lr * g / (np.sqrt(total) + eps), rtol=1e-4,
                                   atol=1e-6)


def late_losses(preset: str, start: int = 1500, end: int = 2000) -> np.ndarray:
    """The training loss after every step from `start` to `end`."""
    trainer = trainer_for(preset)
    train_until(trainer, start)
    losses = []
    while trainer.step < end:
        trainer.train(1)
        losses.append(trainer.evaluate()["train_loss"])
    return np.array(losses)


def test_a_step_decay_lets_one_point_at_a_time_settle():
    constant, decayed = late_losses("lr-constant"), late_losses("lr-step-decay")
    assert constant.max() > 20 * constant.min()
    assert decayed.mean() < 0.5 * constant.mean() and decayed.max() < 5 * decayed.min()
    trainer = trainer_for("lr-step-decay")
    base = trainer.config["learning_rate"]
    train_until(trainer, 999)
    assert trainer.learning_rate == pytest.approx(base)
    trainer.train(1)
    assert trainer.learning_rate == pytest.approx(base * 0.1)


def test_xor_is_learned_by_one_hidden_layer_within_30_epochs():
    trainer = trainer_for("xor")
    assert len(trainer.config["layers"]) == 1 and 2 <= trainer.config["layers"][0] <= 4
    while trainer.epoch < 30 and trainer.evaluate()["test_accuracy"] < 0.95:
        trainer.train_epoch()
    assert trainer.evaluate()["test_accuracy"] >= 0.95
    flat = trainer_for("xor", layers=[])
    for _ in range(30):
        flat.train_epoch()
    assert flat.evaluate()["test_accuracy"] < 0.7


def _output_swing(trainer: Trainer, epochs: int = 30) -> float:
    """Mean change of the average test output between the middle and the end of each epoch (after 10 epochs)."""
    x_test = trainer.data.inputs(trainer.config["features"])[1]
    half = len(trainer.data.train_labels) // trainer.config["batch_size"] // 2
    swings = []
    for epoch in range(epochs):
        trainer.train(half)
        middle = trainer.loss.predict(trainer.network.infer(x_test)[0].T).mean()
        trainer.train_epoch()
        end = trainer.loss.predict(trainer.network.infer(x_test)[0].T).mean()
        if epoch >= 10:
            swings.append(abs(middle - end))
    return float(np.mean(swings))


def test_not_shuffling_class_sorted_data_makes_the_network_swing():
    measured = {}
    for preset in ("no-shuffle", "shuffle"):
        trainer = trainer_for(preset)
        losses = []
        for _ in range(1000):
            trainer.train(1)
            losses.append(trainer.batch_loss)
        measured[preset] = (noise(losses[200:]), _output_swing(trainer_for(preset)), trainer.evaluate())
    assert measured["no-shuffle"][0] > 1.5 * measured["shuffle"][0]
    assert measured["no-shuffle"][1] > max(0.5, 3 * measured["shuffle"][1])
    assert measured["no-shuffle"][2]["test_accuracy"] < 0.6
    assert measured["shuffle"][2]["test_accuracy"] > 0.8


def _gap_after(preset: str, epochs: int = 300) -> tuple[float, list[dict], dict]:
    trainer = trainer_for(preset)
    events = []
    while trainer.epoch < epochs:
        happened = trainer.train_epoch()
        events += happened
        if any(e["kind"] == "early_stopped" for e in happened):
            break
    result = trainer.evaluate()
    return result["test_loss"] - result["train_loss"], events, result


def test_overfitting_and_its_three_fixes():
    gap, _, plain = _gap_after("overfit")
    assert gap > 1.0 and plain["train_loss"] < 0.05
    for fix in ("overfit-l2", "overfit-dropout"):
        assert _gap_after(fix)[0] < gap / 2, fix
    _, events, stopped = _gap_after("overfit-early-stopping")
    assert "early_stopped" in [e["kind"] for e in events]
    assert stopped["test_loss"] < plain["test_loss"] / 2


def test_dead_relus_pass_no_gradient_and_leaky_ones_do():
    relu = trainer_for("dead-relu")
    relu.train(600)
    n_hidden = sum(relu.config["layers"])
    dead = relu.stats["dead_units"]
    assert dead.sum() >= 5
    assert np.all(relu.stats["delta_abs"][:n_hidden][dead] == 0)
    leaky = trainer_for("leaky-relu")
    leaky.train(600)
    assert np.all(leaky.stats["delta_abs"][:n_hidden] > 0)
    assert leaky.evaluate()["train_loss"] < relu.evaluate()["train_loss"] / 2


def test_zero_initialisation_keeps_the_units_of_a_layer_identical():
    trainer = trainer_for("zero-init")
    trainer.train(1000)
    net = trainer.network
    for W, b in zip(net.W[:-1], net.b[:-1], strict=True):
        np.testing.assert_array_equal(W, W[:, :1].repeat(W.shape[1], axis=1))
        np.testing.assert_array_equal(b, np.full_like(b, b[0]))
    assert np.abs(net.W[1]).max() > 0.01  # the weights did move, in lockstep
    xavier = trainer_for("zero-init", init="xavier")
    xavier.train(1000)
    assert xavier.evaluate()["train_loss"] < trainer.evaluate()["train_loss"] - 0.1


@pytest.mark.parametrize("preset", list(PRESETS))
def test_gradient_check_passes_on_every_preset_and_fails_with_the_injected_bug(preset):
    trainer = trainer_for(preset)
    trainer.train(50)
    assert max(trainer.gradcheck()) < GRADCHECK_THRESHOLD
    assert max(trainer.gradcheck(inject_bug=True)) > 10 * GRADCHECK_THRESHOLD


# -- the server: gradcheck over the wire --------------------------------------------------------------------------


def _receive_until(ws, kind: str, limit: int = 200) -> dict:
    for _ in range(limit):
        message = ws.recv(timeout=10)
        if isinstance(message, str) and json.loads(message)["type"] == kind:
            return json.loads(message)
    raise AssertionError(f"no {kind} message")


@pytest.mark.parametrize("preset", ["xor", "vanishing", "valley-adam"])
def test_gradcheck_over_the_protocol(server, preset):
    from websockets.sync.client import connect

    with connect(server.ws_url, origin=server.url, max_size=None) as ws:
        _receive_until(ws, "hello")
        config = PRESETS[preset].config()
        ws.send(json.dumps({"type": "config", **config}))
        applied = _receive_until(ws, "config")["config"]
        assert applied["layers"] == config["layers"]
        ws.send(json.dumps({"type": "gradcheck"}))
        good = _receive_until(ws, "gradcheck")
        ws.send(json.dumps({"type": "gradcheck", "inject_bug": True}))
        bad = _receive_until(ws, "gradcheck")
    assert good["passed"] is True and len(good["layers"]) == len(config["layers"]) + 1
    assert bad["passed"] is False and bad["inject_bug"] is True


# -- the playground page in Chromium: /#preset=<id>, numbers read from the streamed frames -----------------------

RECORD = """() => {
  window.__rec = [];
  let last = null;
  window.__recTimer = setInterval(() => {
    const f = window.__playground.lastFrame;
    if (f && f !== last && window.__playground.state === "training") { last = f; window.__rec.push(f); }
  }, 4);
}"""


class PresetPage:
    """One playground tab that loaded /#preset=<id> and records every frame it draws from then on."""

    def __init__(self, context, server, preset_id: str):
        self.id = preset_id
        self.preset = PRESETS[preset_id]
        self.page = context.new_page()
        self.page.errors = []
        self.page.on("console", lambda m: m.type == "error" and self.page.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.page.errors.append(str(e)))
        self.page.goto(f"{server.url}/#preset={preset_id}")

    def start(self) -> PresetPage:
        lr = self.preset.config()["learning_rate"]
        self.page.wait_for_function(
            f"window.__playground.preset === '{self.id}' && window.__playground.config"
            f" && Math.abs(window.__playground.config.learning_rate - {lr}) < 1e-12", timeout=15000)
        self.page.evaluate(RECORD)
        return self

    def wait(self, condition: str, timeout: float = 15000) -> None:
        """Wait until a JS condition over `rec` (the recorded frames) and `pg` (window.__playground) holds."""
        self.page.wait_for_function(f"(() => {{ const rec = window.__rec, pg = window.__playground; "
                                    f"return {condition}; }})()", timeout=timeout)

    def wait_step(self, steps: int, timeout: float = 15000) -> None:
        self.wait(f"rec.length > 0 && rec[rec.length - 1].step >= {steps}", timeout)

    @property
    def frames(self) -> list[dict]:
        return self.page.evaluate("window.__rec")

    def events(self, kind: str) -> list[dict]:
        return self.page.evaluate(f"window.__playground.events.filter((e) => e.kind === '{kind}')")

    @property
    def start_loss(self) -> float:
        """The training loss before the first step (the server's trainer starts from the same seed)."""
        return trainer_for(self.id).evaluate()["train_loss"]

    def first_at(self, steps: int) -> dict:
        return next(f for f in self.frames if f["step"] >= steps)

    def close(self) -> None:
        assert self.page.errors == [], self.page.errors
        self.page.close()


@pytest.fixture
def open_presets(page, server):
    opened: list[PresetPage] = []

    def open_(*ids: str) -> list[PresetPage]:
        tabs = [PresetPage(page.context, server, i) for i in ids]
        opened.extend(tabs)
        return [tab.start() for tab in tabs]

    yield open_
    for tab in opened:
        tab.close()


def test_browser_menu_shows_the_preset_card_and_slow_motion_is_slow(open_presets):
    (tab,) = open_presets("slow-motion")
    card = tab.page.locator("#preset-card")
    assert card.locator("h3").inner_text() == tab.preset.title
    assert tab.preset.look_at in card.inner_text() and tab.preset.try_next in card.inner_text()
    assert tab.page.locator("#preset-select").input_value() == "slow-motion"
    tab.page.wait_for_timeout(2500)
    steps = [f["step"] for f in tab.frames]
    assert steps and 1 <= max(steps) <= 10


def test_browser_learning_rate_small_right_large(open_presets):
    small, right, large = open_presets("lr-too-small", "lr-right", "lr-too-large")
    large.wait("pg.events.some((e) => e.kind === 'diverged')")
    assert large.events("diverged")[0]["step"] <= 50
    assert "diverged" in large.page.locator("#notices").inner_text().lower()
    for tab in (small, right):
        tab.wait_step(2000)
    ratio = {tab.id: tab.first_at(2000)["train_loss"] / tab.start_loss for tab in (small, right)}
    assert ratio["lr-too-small"] > 0.4 and ratio["lr-right"] < 0.05


def test_browser_a_step_decay_settles_the_loss(open_presets):
    constant, decayed = open_presets("lr-constant", "lr-step-decay")
    for tab in (constant, decayed):
        tab.wait_step(2000, timeout=30000)
    late = {t.id: np.array([f["train_loss"] for f in t.frames if 1500 <= f["step"] <= 2000])
            for t in (constant, decayed)}
    spread = {k: v.max() / v.min() for k, v in late.items()}
    assert spread["lr-constant"] > 20 and spread["lr-step-decay"] < 5, spread
    assert late["lr-step-decay"].mean() < 0.5 * late["lr-constant"].mean()
    rates = {f["step"]: f["learning_rate"] for f in decayed.frames}
    base = decayed.preset.config()["learning_rate"]
    assert all(r == pytest.approx(base * 0.1 ** (s // 1000), rel=1e-6) for s, r in rates.items())


def test_browser_batch_size_noise(open_presets):
    tabs = open_presets("full-batch", "mini-batch", "stochastic")
    for tab in tabs:
        tab.wait_step(600)
    measured = {t.id: noise([f["batch_loss"] for f in t.frames if f["step"] >= 100]) for t in tabs}
    assert measured["full-batch"] < measured["mini-batch"] / 5
    assert measured["mini-batch"] < measured["stochastic"]


def test_browser_vanishing_gradients_and_the_relu_he_fix(open_presets):
    vanishing, fixed = open_presets("vanishing", "vanishing-fixed")
    for tab in (vanishing, fixed):
        tab.wait_step(150)
    assert len(vanishing.frames[-1]["grad_norm"]) == 7
    # Each frame's norms are one mini-batch's, and about one batch in ten has a near-zero last-layer gradient that
    # lifts the ratio for that frame alone; the claim is about the typical frame, so it is checked on the median.
    ratio = {t.id: statistics.median(f["grad_norm"][0] / f["grad_norm"][-1] for f in t.frames if f["step"] >= 50)
             for t in (vanishing, fixed)}
    assert ratio["vanishing"] < 1e-3 and ratio["vanishing-fixed"] > 1e-2


def test_browser_exploding_gradients_and_clipping(open_presets):
    exploding, clipped = open_presets("exploding", "exploding-clipped")
    exploding.wait("pg.events.some((e) => e.kind === 'diverged')")
    assert exploding.events("diverged")[0]["grad_norm"] > 100
    clipped.wait_step(500)
    assert clipped.events("diverged") == []
    assert clipped.frames[-1]["train_loss"] < 0.05 * clipped.start_loss


def test_browser_adagrad_falls_behind_rmsprop(open_presets):
    adagrad, rmsprop = open_presets("valley-adagrad", "valley-rmsprop")
    for tab in (adagrad, rmsprop):
        tab.wait_step(600)
    # A tab's recorder may lag some steps behind (the step-50 half of the claim is checked on the engine above).
    at_600 = {t.id: t.first_at(600) for t in (adagrad, rmsprop)}
    assert at_600["valley-adagrad"]["train_loss"] > 3 * at_600["valley-rmsprop"]["train_loss"], at_600


def test_browser_momentum_and_adam_in_the_valley(open_presets):
    tabs = open_presets("valley-sgd", "valley-momentum", "valley-adam")
    for tab in tabs:
        tab.wait_step(300)
    loss = {t.id: t.first_at(300)["train_loss"] for t in tabs}
    assert loss["valley-momentum"] * 3 < loss["valley-sgd"]
    assert loss["valley-adam"] < loss["valley-sgd"]


def test_browser_xor_within_30_epochs(open_presets):
    (tab,) = open_presets("xor")
    tab.wait("rec.some((f) => f.test_accuracy >= 0.95) || (rec.length && rec[rec.length - 1].epoch > 30)")
    assert any(f["test_accuracy"] >= 0.95 and f["epoch"] <= 30 for f in tab.frames)


def test_browser_not_shuffling(open_presets):
    unshuffled, shuffled = open_presets("no-shuffle", "shuffle")
    for tab in (unshuffled, shuffled):
        tab.wait_step(800)
    late = {t.id: [f["test_accuracy"] for f in t.frames if f["step"] >= 400] for t in (unshuffled, shuffled)}
    assert np.median(late["no-shuffle"]) < 0.65
    assert np.median(late["shuffle"]) > np.median(late["no-shuffle"]) + 0.15


def test_browser_overfitting_and_its_fixes(open_presets):
    plain, l2 = open_presets("overfit", "overfit-l2")
    for tab in (plain, l2):
        tab.wait("rec.length > 0 && rec[rec.length - 1].epoch >= 300", timeout=20000)
    dropout, early = open_presets("overfit-dropout", "overfit-early-stopping")
    dropout.wait("rec.length > 0 && rec[rec.length - 1].epoch >= 300", timeout=20000)
    early.wait("pg.events.some((e) => e.kind === 'early_stopped')", timeout=20000)
    at_300 = {t.id: next(f for f in t.frames if f["epoch"] >= 300) for t in (plain, l2, dropout)}
    gap = {key: f["test_loss"] - f["train_loss"] for key, f in at_300.items()}
    assert gap["overfit"] > 1.0
    assert gap["overfit-l2"] < gap["overfit"] / 2 and gap["overfit-dropout"] < gap["overfit"] / 2


def test_browser_dead_relus_and_leaky_relus(open_presets):
    relu, leaky = open_presets("dead-relu", "leaky-relu")
    for tab in (relu, leaky):
        tab.wait_step(600)
    n_hidden = sum(PRESETS["dead-relu"].config()["layers"])
    assert relu.events("dead_units")
    assert sum(d == 0 for d in relu.frames[-1]["delta_abs"][:n_hidden]) >= 5
    assert all(d > 0 for d in leaky.frames[-1]["delta_abs"][:n_hidden])


def test_browser_zero_init_units_stay_identical(open_presets):
    (tab,) = open_presets("zero-init")
    tab.wait_step(300)
    weights = tab.page.evaluate("""() => {
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
def test_browser_gradient_check_passes_on_the_preset_and_the_injected_bug_fails_visibly(open_presets, preset):
    (tab,) = open_presets(preset)
    page = tab.page
    result = page.locator("#gradcheck-result")
    page.evaluate("window.__playground.gradcheck = null")
    page.click("#gradcheck")
    tab.wait("pg.gradcheck !== null")
    assert page.evaluate("window.__playground.gradcheck.passed") is True
    assert "agrees" in result.inner_text() and result.locator(".bad").count() == 0
    page.evaluate("window.__playground.gradcheck = null")
    page.check("#inject_bug")
    page.click("#gradcheck")
    tab.wait("pg.gradcheck !== null")
    assert page.evaluate("window.__playground.gradcheck.passed") is False
    assert "disagrees" in result.inner_text() and result.locator(".bad").count() >= 1


def test_browser_menu_applies_a_preset_and_related_links_switch(page, server):
    page.goto(server.url + "/")
    page.wait_for_function("window.__playground.connected"
                           " && document.querySelectorAll('#preset-select option').length > 20")
    page.select_option("#preset-select", "lr-too-small")
    page.wait_for_function("window.__playground.preset === 'lr-too-small' && window.__playground.config"
                           " && window.__playground.config.learning_rate === 0.0003")
    assert "preset=lr-too-small" in page.evaluate("location.hash")
    page.click('#preset-card a[data-preset="lr-right"]')
    page.wait_for_function("window.__playground.preset === 'lr-right'"
                           " && window.__playground.config.learning_rate === 0.1")
    assert page.locator("#preset-card h3").inner_text() == PRESETS["lr-right"].title
    page.click("#lesson-link")
    page.wait_for_url("**/lesson")
    page.wait_for_function("window.__lesson && window.__lesson.ready")
    assert page.errors == []
