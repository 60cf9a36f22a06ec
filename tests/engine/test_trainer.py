"""Trainer: live edits keep what was learnt, seeds reproduce runs, divergence rolls back, validation is atomic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.trainer import DEFAULT_CONFIG, ConfigError, Limits, Trainer, options
from engine.views.monitor import LOSS_CEILING, PARAM_CEILING

SMALL = {"points": 200, "batch_size": 10}


def test_defaults_train_and_report() -> None:
    t = Trainer(SMALL)
    assert t.config == {**DEFAULT_CONFIG, **SMALL}
    before = t.evaluate()["train_loss"]
    assert t.train(300) == []
    after = t.evaluate()
    assert t.step == 300 and t.epoch == 300 * 10 // 100
    assert after["train_loss"] < before and 0.0 <= after["test_accuracy"] <= 1.0
    stats = t.stats
    assert stats["delta_mean"].shape == stats["delta_abs"].shape == (4 + 2 + 1,)
    assert stats["grad_norm"].shape == stats["update_ratio"].shape == (3,)
    assert np.isfinite(stats["batch_loss"]) and (stats["update_ratio"] > 0).all()
    grids = t.grids(20, 5)
    assert grids.output.shape == (400,) and grids.neurons.shape == (6, 25) and grids.features.shape == (2, 25)


def params_of(t: Trainer) -> list[np.ndarray]:
    net = t.network
    return [a.copy() for pair in zip(net.W, net.b, strict=True) for a in pair]


def trains(t: Trainer, steps: int = 200) -> bool:
    before = t.evaluate()["train_loss"]
    events = t.train(steps)
    return not any(e["kind"] == "diverged" for e in events) and t.evaluate()["train_loss"] < before


def test_same_seed_same_run_bit_identical() -> None:
    config = {**SMALL, "optimizer": "adam", "learning_rate": 0.01, "dropout": 0.2, "noise": 0.2, "seed": 7}
    a, b = Trainer(config), Trainer(config)
    a.train(150)
    b.train(150)
    assert np.array_equal(a.network.params, b.network.params)
    assert np.array_equal(a.optimizer.state, b.optimizer.state)
    assert a.batch_loss == b.batch_loss
    c = Trainer({**config, "seed": 8})
    c.train(150)
    assert not np.array_equal(a.network.params, c.network.params)


def test_reset_is_a_fresh_start_from_the_seed() -> None:
    t = Trainer(SMALL)
    fresh = t.network.params.copy()
    t.train(50)
    t.reset()
    assert t.step == t.epoch == 0 and np.array_equal(t.network.params, fresh)


def test_adding_a_neuron_keeps_every_other_weight_and_the_optimizer_state() -> None:
    t = Trainer({**SMALL, "optimizer": "adam", "learning_rate": 0.01})
    t.train(30)
    W0, b0, W1, b1, W2, b2 = params_of(t)
    state2 = t.optimizer.state[:, t.network.layer_slices[2]].copy()
    version = t.architecture_version
    assert [(e["kind"], e["field"]) for e in t.apply({"layers": [5, 2]})] == [("changed", "layers")]  # said, not reset
    net = t.network
    assert t.architecture_version == version + 1
    assert np.array_equal(net.W[0][:, :4], W0) and np.array_equal(net.b[0][:4], b0) and net.b[0][4] == 0
    assert np.array_equal(net.W[1][:4], W1) and np.array_equal(net.b[1], b1)
    assert np.array_equal(net.W[2], W2) and np.array_equal(net.b[2], b2)
    assert not t.optimizer.state[:, net.layer_slices[0]].any(), "a tensor whose shape changed starts fresh"
    assert np.array_equal(t.optimizer.state[:, net.layer_slices[2]], state2), "an unchanged tensor keeps its state"
    assert trains(t)


def test_removing_a_neuron_and_adding_a_layer_keep_untouched_weights() -> None:
    t = Trainer(SMALL)
    t.train(30)
    W0, b0, W1, b1, W2, b2 = params_of(t)
    t.apply({"layers": [3, 2]})
    assert np.array_equal(t.network.W[0], W0[:, :3]) and np.array_equal(t.network.W[1], W1[:3])
    assert np.array_equal(t.network.W[2], W2) and np.array_equal(t.network.b[2], b2)
    W0, b0, W1, b1, W2, b2 = params_of(t)
    t.apply({"layers": [3, 2, 3]})
    assert t.network.sizes == [2, 3, 2, 3, 1]
    for old, new in zip((W0, b0, W1, b1), params_of(t), strict=False):
        assert np.array_equal(old, new)
    W0, b0, *_ = params_of(t)
    t.apply({"layers": [3, 6, 2, 3]})  # a layer inserted in the middle: its neighbours keep their weights
    assert np.array_equal(t.network.W[0], W0) and np.array_equal(t.network.W[3], params_of(t)[6])
    assert trains(t)


def test_feature_edit_keeps_the_weights_of_kept_inputs() -> None:
    t = Trainer(SMALL)
    t.train(30)
    W0, *rest = params_of(t)
    t.apply({"features": ["x1", "x2", "x1_sq", "x2_sq"]})
    assert t.network.sizes[0] == 4
    assert np.array_equal(t.network.W[0][:2], W0)
    assert all(np.array_equal(a, b) for a, b in zip(rest, params_of(t)[1:], strict=True))
    t.apply({"features": ["x2", "x2_sq"]})
    assert np.array_equal(t.network.W[0][0], W0[1])
    assert trains(t)


def test_activation_and_optimizer_changes_keep_all_weights() -> None:
    t = Trainer(SMALL)
    t.train(30)
    params = t.network.params.copy()
    t.apply({"activation": ["relu", "tanh"]})
    assert np.array_equal(t.network.params, params) and t.network.activation_names == ["relu", "tanh"]
    t.apply({"optimizer": "adam", "learning_rate": 0.01})
    assert np.array_equal(t.network.params, params)
    assert t.optimizer.state is None and t.config["optimizer_params"]["beta1"] == 0.9
    assert trains(t)


def test_divergence_is_rolled_back_and_a_lower_rate_resumes() -> None:
    t = Trainer({"dataset": "plane", "points": 200, "activation": "relu", "init": "he", "learning_rate": 10.0})
    events = t.train(100)
    diverged = [e for e in events if e["kind"] == "diverged"]
    assert len(diverged) == 1 and events[-1] is diverged[0], "training stops at the divergence"
    assert diverged[0]["cause"] in ("learning_rate", "exploding_gradient") and diverged[0]["step"] == t.step + 1
    assert np.isfinite(t.network.params).all() and np.isfinite(t.optimizer.state).all()
    assert "learning rate" in diverged[0]["message"]
    t.apply({"learning_rate": 0.003})
    assert trains(t, 300)


def snapshot(t: Trainer) -> dict:
    """Everything a rolled-back step must give back: weights, optimizer buffers and counters, step, epoch, loss."""
    opt = t.optimizer
    return {"params": t.network.params.copy(), "state": opt.state.copy(),
            "counters": {name: np.copy(getattr(opt, name)) for name in opt.counters},
            "step": t.step, "epoch": t.epoch, "batch_loss": t.batch_loss}


def assert_restored(t: Trainer, before: dict) -> None:
    now = snapshot(t)
    assert np.array_equal(now["params"], before["params"]), "weights not restored exactly"
    assert np.array_equal(now["state"], before["state"]), "optimizer state not restored exactly"
    for name, value in before["counters"].items():
        assert np.array_equal(now["counters"][name], value), f"optimizer counter {name} not restored"
    assert (now["step"], now["epoch"], now["batch_loss"]) == (before["step"], before["epoch"], before["batch_loss"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_divergence_restores_params_and_optimizer_state_exactly(seed) -> None:
    """One step at a time, a snapshot before each: the divergence leaves exactly the snapshot of the undone step."""
    t = Trainer({"dataset": "plane", "points": 200, "optimizer": "momentum", "learning_rate": 0.01, "seed": seed})
    t.train(20)
    t.apply({"learning_rate": 10.0})
    before_step: dict[int, dict] = {}
    for _ in range(50):
        before_step[t.step] = snapshot(t)
        called_at = t.step
        events = t.train(1)
        if events:
            break
    else:
        pytest.fail("a learning rate of 10 did not diverge in 50 steps")
    assert [e["kind"] for e in events] == ["diverged"] and events[0]["rolled_back"]
    loss = events[0]["loss"]
    if loss is None or loss > LOSS_CEILING:
        # The loss at the current weights blew up: the update that made them (the previous call's) is undone.
        assert t.step == called_at - 1
    else:
        # The update itself took the weights past the ceiling: it is undone and not counted.
        assert t.step == called_at
    assert events[0]["step"] == t.step + 1
    assert_restored(t, before_step[t.step])


def test_an_update_past_the_weight_ceiling_is_undone_exactly() -> None:
    """The other path: the loss is fine but the update would blow up the weights (a huge momentum velocity)."""
    t = Trainer({"dataset": "plane", "points": 200, "optimizer": "momentum", "learning_rate": 0.01})
    t.train(20)
    t.optimizer.state[0, 0] = 1e9  # lr 0.01 · 0.9 · 1e9: one weight jumps by ~9e6, ‖params‖² far past 1e12
    before = snapshot(t)
    events = t.train(5)
    assert [e["kind"] for e in events] == ["diverged"] and events[0]["rolled_back"]
    assert events[0]["loss"] is not None and events[0]["loss"] <= LOSS_CEILING
    assert events[0]["step"] == t.step + 1 == before["step"] + 1
    assert_restored(t, before)
    assert np.dot(before["params"], before["params"]) <= PARAM_CEILING


def test_xor_is_learnt() -> None:
    t = Trainer({"dataset": "xor", "points": 300, "layers": [8], "optimizer": "adam", "learning_rate": 0.03})
    t.train(1500)
    assert t.evaluate()["test_accuracy"] > 0.9


def test_validation_names_field_and_allowed_values_and_changes_nothing() -> None:
    t = Trainer(SMALL)
    config, params = t.config, t.network.params.copy()
    cases = [
        ({"layers": [3], "optimizer": "bogus"}, "optimizer", "adam"),
        ({"learning_rate": 20}, "learning_rate", "10"),
        ({"activation": "cube"}, "activation", "relu"),
        ({"activation": ["relu"]}, "activation", "one entry per hidden layer"),
        ({"layers": [4] * 9}, "layers", "8"),
        ({"layers": [40]}, "layers", "16"),
        ({"loss": "softmax_ce", "dataset": "plane"}, "loss", "mse"),
        ({"optimizer_params": {"beta1": 0.9}}, "optimizer_params.beta1", "weight_decay"),
        ({"schedule": {"name": "step", "gamma": 3}}, "schedule.gamma", "1"),
        ({"features": []}, "features", "x1_sq"),
        ({"batch_size": 0}, "batch_size", "1"),
        ({"shuffle": "yes"}, "shuffle", "true"),
        ({"clip": {"mode": "max"}}, "clip.mode", "norm"),
        ({"colour": "red"}, "colour", "learning_rate"),
    ]
    for patch, field, hint in cases:
        with pytest.raises(ConfigError) as caught:
            t.apply(patch)
        assert caught.value.field == field and hint in caught.value.message, (patch, caught.value)
        assert t.config == config and np.array_equal(t.network.params, params)


def test_batch_size_from_stochastic_to_full_batch() -> None:
    t = Trainer({**SMALL, "batch_size": 1})
    n_train = len(t.data.train_points)
    t.train(n_train)
    assert t.epoch == 1 and t.step == n_train
    t.apply({"batch_size": 5000})  # clamped to the training set: one step is one epoch
    t.train(2)
    assert t.epoch == 3 and t.step == n_train + 2


def test_shuffle_off_keeps_a_fixed_order() -> None:
    runs = []
    for seed in (1, 2):
        t = Trainer({**SMALL, "shuffle": False, "init": "zeros", "seed": 0})
        t._shuffle_rng = np.random.default_rng(seed)  # a different shuffling stream must not matter
        t.train(40)
        runs.append(t.network.params.copy())
    assert np.array_equal(*runs)
    t = Trainer({**SMALL, "shuffle": True, "init": "zeros"})
    t._shuffle_rng = np.random.default_rng(5)
    t.train(40)
    assert not np.array_equal(runs[0], t.network.params)


def test_dataset_of_another_kind_switches_loss_and_reinitialises_the_output() -> None:
    t = Trainer({**SMALL, "loss": "bce"})
    t.train(20)
    W0 = t.network.W[0].copy()
    version = t.data_version
    events = t.apply({"dataset": "blobs_k", "points": 150})
    kinds = [e["kind"] for e in events]
    assert kinds == ["loss_changed", "reinitialized"] and t.config["loss"] == "softmax_ce"
    assert t.network.sizes[-1] == 3 and np.array_equal(t.network.W[0], W0) and t.data_version > version
    assert trains(t)
    assert t.apply({"dataset": "plane"})[0]["new"] == "mse" and t.config["points"] == 150


def test_early_stopping_on_test_loss() -> None:
    config = {"dataset": "circle", "points": 40, "noise": 0.5, "layers": [16, 16], "optimizer": "adam",
              "learning_rate": 0.05, "batch_size": 40, "early_stopping": {"enabled": True, "patience": 5}}
    t = Trainer(config)
    events = t.train(2000)
    assert events and events[-1]["kind"] == "early_stopped" and t.step < 2000


def test_set_weight_and_data_edits() -> None:
    t = Trainer(SMALL)
    t.set_weight(1, 1, 3, 0.25)  # layer 1: from hidden neuron 3 to neuron 1
    assert t.network.W[1][3, 1] == np.float32(0.25)
    t.set_weight(0, 2, None, -1.5)
    assert t.network.b[0][2] == np.float32(-1.5)
    with pytest.raises(ConfigError) as caught:
        t.set_weight(0, 9, 0, 1.0)
    assert caught.value.field == "row"
    version = t.data_version
    t.add_point(1.0, 2.0, 1)
    assert t.data_version == version + 1 and len(t.data.train_points) == 101
    assert t.erase_points(0.0, 0.0, 100.0) == 201 and t.train(1)[0]["kind"] == "no_data"
    t.load_csv("x,y,label\n1,1,1\n-1,-1,0\n2,2,1\n-2,-2,0\n")
    assert t.train(3) == [] and t.export_csv().startswith("x,y,label,split")


def test_options_cover_every_setting_and_registry() -> None:
    opts = options(Limits(max_layers=4, max_neurons=8, max_points=1000))
    assert set(opts["config"]) == set(DEFAULT_CONFIG)
    assert opts["config"]["layers"]["max_layers"] == 4 and opts["config"]["points"]["max"] == 1000
    assert opts["config"]["optimizer"]["values"] == list(opts["optimizers"])
    assert opts["optimizers"]["nadam"]["momentum_decay"]["default"] == 4e-3
    assert "max_lr" in opts["schedules"]["cyclical"] and opts["datasets"]["plane"]["kind"] == "regression"
    assert "multiclass" in opts["losses"]["softmax_ce"]["problems"]
    for key, spec in opts["config"].items():
        if "min" in spec and not isinstance(DEFAULT_CONFIG[key], list):
            assert spec["min"] <= DEFAULT_CONFIG[key] <= spec["max"], key


def test_gradcheck_passes_and_catches_an_injected_bug() -> None:
    t = Trainer({**SMALL, "regularization": "l2", "regularization_rate": 0.01})
    t.train(20)
    params = t.network.params.copy()
    errors = t.gradcheck()
    assert len(errors) == 3 and max(errors) < 1e-6
    assert max(t.gradcheck(inject_bug=True)) > 1e-3
    assert np.array_equal(t.network.params, params)


def test_bench_reference_does_the_same_arithmetic() -> None:
    from engine.bench import LR, HandTuned

    t = Trainer({"layers": [8, 8], "optimizer": "adam", "learning_rate": LR, "shuffle": False})
    ref = HandTuned(t.network.sizes, t._x_train, t._t_train, np.random.default_rng(0))
    ref.params[:] = t.network.params
    for _ in range(30):
        t.train(1)
        loss = ref.step(10)
    np.testing.assert_allclose(ref.params, t.network.params, atol=1e-6)
    assert loss == pytest.approx(t.batch_loss, rel=1e-5)


def test_sorted_order_without_shuffling_visits_one_class_then_the_other() -> None:
    t = Trainer({**SMALL, "shuffle": False, "order": "sorted", "batch_size": 25})
    t.train(1)
    first = t._t_epoch[:25]
    assert (first == first[0]).all(), "the first mini-batch holds only one class"


def test_set_params() -> None:
    t = Trainer(SMALL)
    values = np.linspace(-1, 1, t.network.params.size)
    t.set_params(values.tolist())
    np.testing.assert_allclose(t.network.params, values, rtol=1e-6)
    for bad in ([0.0], [float("nan")] * values.size, "x"):
        with pytest.raises(ConfigError) as caught:
            t.set_params(bad)
        assert caught.value.field == "params"


def test_per_layer_settings_follow_an_inserted_or_removed_layer() -> None:
    t = Trainer({**SMALL, "activation": ["relu", "sigmoid"], "dropout": [0.1, 0.2]})
    t.apply({"layers": [3, 4, 2]})  # a layer inserted in front: the old layers keep their own settings
    assert t.config["activation"] == ["relu", "relu", "sigmoid"]
    assert t.network.activation_names[1:] == ["relu", "sigmoid"]
    assert t.config["dropout"] == [0.1, 0.1, 0.2]
    t.apply({"layers": [3, 2]})  # the middle layer removed
    assert t.config["activation"] == ["relu", "sigmoid"] and t.config["dropout"] == [0.1, 0.2]


def test_dead_and_saturated_units_match_the_networks_own_definition() -> None:
    t = Trainer({**SMALL, "activation": ["relu", "tanh"], "layers": [8, 4], "learning_rate": 3.0, "loss": "bce"})
    t.train(100)
    dead, saturated = t.network.unit_health(t._x_train)
    stats = t.stats
    assert np.array_equal(stats["dead_units"], np.concatenate(dead)) and stats["dead"] == sum(d.sum() for d in dead)
    assert np.array_equal(stats["saturated_units"], np.concatenate(saturated))
    assert stats["dead"] + stats["saturated"] > 0


VALUES = {
    "dataset": ["circle", "xor", "plane", "blobs_k", "spiral", "nope", 3],
    "points": [10, 150, 5, 10**6, 2.5, "many"],
    "noise": [0.0, 0.3, 0.6, -1],
    "features": [["x1"], ["x2", "x1_x2", "sin_x1"], [], ["x1", "x1"], ["z"]],
    "layers": [[], [3], [2, 5, 2], [0], [4] * 9, "4,2"],
    "activation": ["relu", "sigmoid", ["relu", "tanh"], "cube", 1],
    "loss": ["mse", "bce", "softmax_ce", "huber", "hinge"],
    "optimizer": ["adam", "rmsprop", "nadam", "sgd", "lbfgs"],
    "optimizer_params": [{"weight_decay": 0.1}, {"beta1": 0.5}, {"momentum": 2.0}, {}],
    "learning_rate": [0.001, 0.3, 0.0, 11, float("nan")],
    "schedule": [{"name": "cosine"}, {"name": "step", "gamma": 0.9}, {"gamma": 5}, {"name": "warp"}],
    "batch_size": [1, 7, 1000, 0],
    "dropout": [0.0, 0.5, [0.1, 0.2], 0.95],
    "clip": [{"mode": "value", "value": 0.5}, {"mode": "norm"}, {"value": -1}],
    "regularization": ["l1", "l2", "l3"],
    "seed": [1, 2**31, -1],
    "shuffle": [True, False, 1],
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(st.sampled_from(sorted(VALUES)), st.integers(0, 9), max_size=4), max_size=3))
def test_any_patch_applies_whole_or_not_at_all(patches: list[dict[str, int]]) -> None:
    t = Trainer({"points": 60, "layers": [3, 2]})
    for choice in patches:
        patch = {key: VALUES[key][i % len(VALUES[key])] for key, i in choice.items()}
        config, params = t.config, t.network.params.copy()
        try:
            t.apply(patch)
        except ConfigError:
            assert t.config == config and np.array_equal(t.network.params, params)
            continue
        net = t.network
        assert net.sizes[1:-1] == t.config["layers"] and net.sizes[0] == len(t.config["features"])
        assert net.sizes[-1] == t.loss.n_outputs
        t.train(3)
        assert np.isfinite(net.params).all()


def test_schedule_drives_the_learning_rate_by_step() -> None:
    t = Trainer({**SMALL, "learning_rate": 0.1, "schedule": {"name": "step", "step_size": 10, "gamma": 0.5}})
    assert t.learning_rate == 0.1
    t.train(25)
    assert t.learning_rate == pytest.approx(0.025)
    t.apply({"schedule": {"name": "constant"}})
    assert t.learning_rate == 0.1


def observe(t: Trainer, steps: int, every: int = 25) -> list[dict]:
    """Train as the server does: slices of steps, each followed by evaluate() and unit_events()."""
    events: list[dict] = []
    for start in range(0, steps, every):
        events += t.train(min(every, steps - start))
        t.evaluate()
        events += t.unit_events()
    return events


def test_dead_relu_units_are_reported() -> None:
    t = Trainer({**SMALL, "activation": "relu", "layers": [8, 8], "learning_rate": 3.0, "loss": "bce"})
    events = observe(t, 200)
    dead = [e for e in events if e["kind"] == "dead_units"]
    assert dead and dead[-1]["count"] > 0 and "dead" in dead[-1]["message"]


def test_unit_checks_stay_out_of_the_training_step() -> None:
    t = Trainer({"learning_rate": 10.0, "optimizer": "sgd"})
    assert not [e for e in t.train(200) if e["kind"] in ("saturated_units", "dead_units")]
    assert "saturated_units" in [e["kind"] for e in t.unit_events()]
    assert t.unit_events() == []  # checks are at least DEAD_CHECK_STEPS steps apart


def test_saturated_tanh_units_are_reported_and_cleared_after_a_reset() -> None:
    t = Trainer({"learning_rate": 10.0, "optimizer": "sgd"})  # the default circle, tanh, mse network
    events = observe(t, 200)
    saturated = [e for e in events if e["kind"] == "saturated_units"]
    assert saturated and "stuck at their limits" in saturated[0]["message"]
    assert saturated[0]["output"] or 2 * saturated[0]["count"] > sum(t.network.hidden)
    assert len(saturated) == 1  # not repeated while the condition holds
    t.apply({"learning_rate": 0.03})
    t.reset()
    assert [e["kind"] for e in observe(t, 200)] == ["saturation_cleared"]


def test_a_saturation_warning_clears_only_after_two_clear_checks_in_a_row() -> None:
    t = Trainer({"learning_rate": 10.0, "optimizer": "sgd"})
    assert "saturated_units" in [e["kind"] for e in observe(t, 200)]
    t.apply({"learning_rate": 0.03})
    t.reset()
    assert observe(t, 25) == []  # one clear check: the warning stays, so it cannot flicker
    assert [e["kind"] for e in observe(t, 25)] == ["saturation_cleared"]


def test_weights_set_too_large_are_reported_not_rolled_back() -> None:
    t = Trainer({"dataset": "plane", "points": 100})
    t.set_params([900.0] * t.network.params.size)
    event = t.train(3)[-1]
    assert event["kind"] == "diverged" and event["cause"] == "weights" and not event["rolled_back"]
    assert t.step == 0 and (t.network.params == 900.0).all()


def test_penalties_and_clipping_act_in_the_step() -> None:
    def weight_norm(config: dict) -> float:
        t = Trainer({**SMALL, "learning_rate": 0.1, **config})
        t.train(200)
        return float(np.linalg.norm(t.network.params[t.network.weight_mask]))

    plain = weight_norm({})
    assert weight_norm({"regularization": "l2", "regularization_rate": 0.05}) < plain
    assert weight_norm({"regularization": "l1", "regularization_rate": 0.05}) < plain
    t = Trainer({**SMALL, "clip": {"mode": "value", "value": 1e-4}})
    before = t.network.params.copy()
    t.train(1)
    assert np.abs(t.network.params - before).max() <= 0.03 * 1e-4 + 2e-7  # lr · clip bound, plus float32 rounding


def test_stats_norms_match_their_definitions() -> None:
    t = Trainer({**SMALL, "optimizer": "adam", "learning_rate": 0.01})
    t.train(5)
    before = t.network.params.copy()
    t.train(1)
    net, stats = t.network, t.stats
    for i, (w, b) in enumerate(zip(net.weight_slices, net.bias_slices, strict=True)):
        grad = np.concatenate([net.grads[w], net.grads[b]]).astype(np.float64)
        assert stats["grad_norm"][i] == pytest.approx(np.linalg.norm(grad), rel=1e-5)
        ratio = np.linalg.norm(net.params[w] - before[w].astype(np.float64)) / np.linalg.norm(net.params[w])
        assert stats["update_ratio"][i] == pytest.approx(ratio, rel=1e-4)
    assert np.allclose(stats["delta_mean"][-1], net.db[-1]), "the output neuron's mean δ is its bias gradient"


def test_bench_prints_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from engine import bench

    assert bench.main(["--json", "--quick", "--repeats", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= {"step_us", "grid_ms", "numpy_call_us", "handtuned_step_us"}
    assert set(result["step_us"]) == {"2-4-2-1", "2-8-8-8-1", "2-8x6-1"}
    assert set(result["step_us"]["2-8x6-1"]) == {"1", "10", "32", "500"}
    assert set(result["handtuned_step_us"]["2-8x6-1"]) == {"1", "10", "32", "500"}

