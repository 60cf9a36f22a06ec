"""The worked 2-2-1 example: every number, both output deltas, the CLI, and agreement with the engine's Network."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from engine.lessons.lesson import NOTE, worked_example

FORWARD = {  # the forward pass and the loss before the step do not depend on the output delta
    "z1": [0.3825, 0.39],
    "a1": [0.594476, 0.596283],
    "z2": 1.106118,
    "y_hat": 0.751405,
    "loss": 0.274840,
}

CROSS_ENTROPY = {
    **FORWARD,
    "delta2": 0.741405,
    "dW2": [0.440747, 0.442087],
    "db2": 0.741405,
    "delta1": [0.071493, 0.080315],
    "dW1": [[0.003575, 0.004016], [0.007149, 0.008032]],
    "db1": [0.071493, 0.080315],
    "W2_new": [0.179626, 0.228957],
    "b2_new": 0.229298,
    "W1_new": [[0.148213, 0.197992], [0.246425, 0.295984]],
    "b1_new": [0.314253, 0.309842],
    "loss_after": 0.183070,
}

MSE = {
    **FORWARD,
    "delta2": 0.138491,
    "dW2": [0.082330, 0.082580],
    "db2": 0.138491,
    "delta1": [0.013355, 0.015003],
    "W2_new": [0.358835, 0.408710],
}


@pytest.mark.parametrize(("delta", "expected"), [("cross_entropy", CROSS_ENTROPY), ("mse", MSE)])
def test_every_number_to_six_decimals(delta, expected):
    values = worked_example(delta=delta)["values"]
    for key, want in expected.items():
        np.testing.assert_allclose(values[key], want, rtol=0, atol=5e-7, err_msg=key)


def test_the_step_lowers_the_loss_for_both_deltas():
    for delta in ("cross_entropy", "mse"):
        values = worked_example(delta=delta)["values"]
        assert values["loss_after"] < values["loss"]


def test_steps_carry_formula_numbers_result_and_place():
    lesson = worked_example()
    steps = lesson["steps"]
    assert [s["phase"] for s in steps[:6]] == ["forward"] * 6
    assert {s["phase"] for s in steps} == {"forward", "loss", "backward", "update", "after"}
    for step in steps:
        assert step["formula"] and step["substituted"] and step["result"]
        assert step["target"]["kind"] in {"neuron", "weight", "bias", "loss"}
    first = steps[0]
    assert first["key"] == "z1[0]" and first["substituted"] == "0.15×0.05 + 0.25×0.1 + 0.35"
    assert first["result"] == "0.3825"
    by_key = {s["key"]: s for s in steps}
    assert by_key["dW1[1][0]"]["target"] == {"kind": "weight", "layer": 1, "from": 1, "to": 0, "field": "grad"}
    assert by_key["dW1[1][0]"]["result"] == "0.007149"
    assert len(steps) == len(by_key)


def test_only_steps_after_the_output_delta_change_with_the_delta():
    ce = {s["key"]: s for s in worked_example(delta="cross_entropy")["steps"]}
    mse = {s["key"]: s for s in worked_example(delta="mse")["steps"]}
    for key, step in ce.items():
        changed = step["result"] != mse[key]["result"]
        assert changed == bool(step.get("depends_on_delta")), key
    assert "cross-entropy" in ce["delta2[0]"]["why"] and "σ'(z)" in mse["delta2[0]"]["why"]


def test_note_says_the_tutorial_mixes_the_loss_and_the_delta():
    assert "MSE" in NOTE and "cross-entropy" in NOTE and "rounds" in NOTE


def test_editing_a_weight_recomputes_downstream_numbers():
    base = worked_example()["values"]
    edited = worked_example(w2=[[0.40], [0.90]])["values"]
    assert edited["z1"] == base["z1"] and edited["a1"] == base["a1"]
    expected_z2 = 0.40 * base["a1"][0] + 0.90 * base["a1"][1] + 0.60
    assert edited["z2"] == pytest.approx(expected_z2, abs=1e-12)
    assert edited["delta1"][1] == pytest.approx(0.90 * edited["delta2"] * base["a1"][1] * (1 - base["a1"][1]))


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        worked_example(delta="hinge")
    with pytest.raises(ValueError):
        worked_example(x=[float("nan"), 0.1])
    with pytest.raises(ValueError):
        worked_example(w1=[0.1, 0.2, 0.3])


def test_cli_prints_text_and_json():
    command = [sys.executable, "-m", "engine.lessons.lesson"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    for number in ("0.751405", "0.741405", "0.138491", "0.27484", "0.18307", "0.148213", "0.358835"):
        assert number in text
    out = subprocess.run([sys.executable, "-m", "engine.lessons.lesson", "--json"], capture_output=True, text=True,
                         check=True).stdout
    both = json.loads(out)
    assert set(both) == {"cross_entropy", "mse"}
    assert both["mse"]["values"]["delta2"] == pytest.approx(0.138491, abs=5e-7)


@pytest.mark.parametrize("delta", ["cross_entropy", "mse"])
def test_the_engine_network_gives_the_same_numbers(delta):
    from engine.nn.losses import get_loss
    from engine.nn.network import Network

    net = Network(2, [2], 1, "sigmoid", dtype=np.float64, rng=np.random.default_rng(0))
    net.W[0][...] = [[0.15, 0.20], [0.25, 0.30]]
    net.b[0][...] = [0.35, 0.35]
    net.W[1][...] = [[0.40], [0.45]]
    net.b[1][...] = [0.60]
    z_out = net.forward(np.array([[0.05, 0.10]])).copy()
    target = np.array([[0.01]])
    y_hat = 1 / (1 + np.exp(-z_out))
    if delta == "cross_entropy":
        delta_out = get_loss("bce", "binary").delta(z_out, target)
    else:
        delta_out = (y_hat - target) * y_hat * (1 - y_hat)
    net.backward(delta_out)
    values = worked_example(delta=delta)["values"]
    assert z_out[0, 0] == pytest.approx(values["z2"], abs=1e-12)
    assert y_hat[0, 0] == pytest.approx(values["y_hat"], abs=1e-12)
    np.testing.assert_allclose(net.dW[1][:, 0], values["dW2"], atol=1e-12)
    np.testing.assert_allclose(net.db[1], [values["delta2"]], atol=1e-12)
    np.testing.assert_allclose(net.db[0], values["delta1"], atol=1e-12)
    expected_dW1 = [[0.003575, 0.004016], [0.007149, 0.008032]] if delta == "cross_entropy" else None
    if expected_dW1:
        np.testing.assert_allclose(net.dW[0], expected_dW1, atol=5e-7)
    np.testing.assert_allclose(net.dW[0], values["dW1"], atol=1e-12)

