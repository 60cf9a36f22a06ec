"""trace(): one point of a live trainer through its network, checked against the engine's own backward pass."""

from __future__ import annotations

import numpy as np
import pytest

from engine.config import ConfigError
from engine.lessons.trace import trace
from engine.trainer import Trainer


def test_trace_walks_one_point_of_a_live_trainer_like_its_network():
    trainer = Trainer({"layers": [3, 2], "activation": "relu", "loss": "bce", "dataset": "xor", "points": 60})
    trainer.train(20)
    result = trace(trainer, 5)
    assert result["sizes"] == [2, 3, 2, 1] and result["too_big"] is False
    x = trainer.data.inputs(trainer.config["features"])[0][5:6].astype(np.float64)
    net = trainer.network.copy(np.float64)
    z_out = net.forward(x).copy()
    target = trainer.loss.encode(trainer.data.train_labels[5:6], np.float64)
    net.backward(trainer.loss.delta(z_out, target))
    np.testing.assert_allclose(result["values"]["z"][-1], z_out[0], atol=1e-12)
    for i in range(3):
        np.testing.assert_allclose(result["values"]["dW"][i], net.dW[i], atol=1e-12)
    assert result["loss"] == pytest.approx(trainer.loss.value(z_out, target), abs=1e-12)
    keys = [s["key"] for s in result["steps"]]
    assert keys[:2] == ["z1[0]", "a1[0]"] and "delta1[2]" in keys and len(keys) == len(set(keys))


def test_trace_refuses_big_networks_and_bad_indices():
    assert trace(Trainer({"layers": [5]}), 0)["too_big"] is True
    assert trace(Trainer({"layers": [4, 4, 4]}), 0)["too_big"] is True
    assert trace(Trainer({"layers": [4, 4], "features": ["x1", "x2", "x1_sq"]}), 0)["too_big"] is True
    with pytest.raises(ConfigError) as caught:
        trace(Trainer({"layers": [2]}), 10_000)
    assert caught.value.field == "index"
    with pytest.raises(ConfigError) as caught:  # a bad index is refused before the size is judged
        trace(Trainer({"layers": [5]}), -1, "test")
    assert caught.value.field == "index" and "test point" in caught.value.message
