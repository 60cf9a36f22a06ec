"""Trainer: live edits keep what was learnt, seeds reproduce runs, divergence rolls back, validation is atomic."""

from __future__ import annotations

import numpy as np

from engine.trainer import DEFAULT_CONFIG, Trainer

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
