"""The metrics people expect, against independent computations: a float64 forward pass written out here, and
counting, sums and means done plainly in Python."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.trainer import Trainer
from engine.views.metrics import MAX_SCATTER, confusion_matrix, metrics, per_class, r2_rmse, split_metrics

HIDDEN = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}


def logits(trainer: Trainer, x: np.ndarray) -> np.ndarray:
    """z_out (n, n_out) in float64, one layer after another, from the trainer's weights."""
    a = np.asarray(x, np.float64)
    net = trainer.network
    names = net.activation_names
    for layer, (W, b) in enumerate(zip(net.W, net.b, strict=True)):
        z = a @ np.asarray(W, np.float64) + np.asarray(b, np.float64).reshape(-1)
        a = HIDDEN[names[layer]](z) if layer < len(names) else z
    return a


def trained(config: dict, steps: int = 60) -> Trainer:
    trainer = Trainer(config)
    trainer.train(steps)
    return trainer


def counted(labels, predicted, k: int) -> list[list[int]]:
    rows = [[0] * k for _ in range(k)]
    for t, p in zip(labels, predicted, strict=True):
        rows[int(t)][int(p)] += 1
    return rows


@pytest.mark.parametrize("config", [
    {"dataset": "circle", "layers": [4], "activation": "tanh", "loss": "mse", "seed": 3},
    {"dataset": "xor", "layers": [5, 3], "activation": "relu", "loss": "bce", "seed": 4},
    {"dataset": "spiral_k", "classes": 4, "layers": [6], "activation": "tanh", "loss": "softmax_ce", "seed": 5},
])  # fmt: skip
def test_the_confusion_matrix_and_accuracy_equal_an_independent_count(config):
    trainer = trained(config)
    data = trainer.data
    x_train, x_test = data.inputs(trainer.config["features"])
    got = metrics(trainer)
    k = data.classes
    assert got["classes"] == k and got["problem"] == data.kind and got["step"] == 60
    for split, x, labels in (("train", x_train, data.train_labels), ("test", x_test, data.test_labels)):
        z = logits(trainer, x)
        if k > 2 or z.shape[1] > 1:
            ranked = np.sort(z, axis=1)
            margin = ranked[:, -1] - ranked[:, -2]
            predicted = [int(np.argmax(row)) for row in z]
        else:
            margin = np.abs(z[:, 0])
            predicted = [int(v > 0) for v in z[:, 0]]
        assert margin.min() > 1e-4, "a point on the boundary: float32 and float64 may vote differently"
        expected = counted(labels, predicted, k)
        reading = got[split]
        assert reading["confusion"] == expected
        assert reading["count"] == len(labels)
        right = sum(int(t) == p for t, p in zip(labels, predicted, strict=True))
        assert reading["accuracy"] == pytest.approx(right / len(labels), abs=0)
        for c in range(k):
            column = sum(row[c] for row in expected)
            row = sum(expected[c])
            assert reading["precision"][c] == (expected[c][c] / column if column else None)
            assert reading["recall"][c] == (expected[c][c] / row if row else None)
    assert got["train"]["accuracy"] == pytest.approx(trainer.evaluate()["train_accuracy"], abs=0)


def test_a_confusion_matrix_puts_truth_in_rows_and_predictions_in_columns():
    matrix = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    precision, recall = per_class(np.array([[2, 0], [3, 0]]))
    assert precision == [2 / 5, None] and recall == [1.0, 0.0]


@pytest.mark.parametrize("dataset", ["plane", "multi_gauss"])
def test_r2_and_rmse_equal_their_definitions(dataset):
    trainer = trained({"dataset": dataset, "layers": [6, 4], "activation": "tanh", "loss": "mse", "seed": 2}, 200)
    data = trainer.data
    x_train, x_test = data.inputs(trainer.config["features"])
    got = metrics(trainer)
    assert got["classes"] == 0 and "confusion" not in got["train"]
    for split, x, labels in (("train", x_train, data.train_labels), ("test", x_test, data.test_labels)):
        y = [float(v) for v in labels]
        y_hat = [float(v) for v in logits(trainer, x)[:, 0]]
        mean = sum(y) / len(y)
        residual = sum((p - t) ** 2 for p, t in zip(y_hat, y, strict=True))
        spread = sum((t - mean) ** 2 for t in y)
        reading = got[split]
        assert reading["r2"] == pytest.approx(1 - residual / spread, rel=1e-5, abs=1e-6)
        assert reading["rmse"] == pytest.approx(math.sqrt(residual / len(y)), rel=1e-5)
        assert 0 < len(reading["scatter"]) <= MAX_SCATTER
        pairs = list(zip(y, y_hat, strict=True))
        for t, p in reading["scatter"]:
            assert any(abs(t - pt) < 2e-4 and abs(p - pp) < 2e-4 for pt, pp in pairs)
    assert got["train"]["rmse"] ** 2 / 2 == pytest.approx(trainer.evaluate()["train_loss"], rel=1e-4)


def test_r2_of_a_perfect_fit_is_one_and_of_the_mean_is_zero():
    y = np.array([0.5, -0.25, 0.75, 0.0])
    assert r2_rmse(y, y) == (1.0, 0.0)
    r2, rmse = r2_rmse(y, np.full(4, y.mean()))
    assert r2 == pytest.approx(0.0, abs=1e-15) and rmse == pytest.approx(float(np.std(y)))
    assert math.isnan(r2_rmse(np.ones(3), np.zeros(3))[0]) and all(math.isnan(v) for v in r2_rmse([], []))


def test_an_empty_split_reads_as_nothing_counted():
    trainer = Trainer({"dataset": "circle", "seed": 1})
    empty = np.zeros((0, len(trainer.config["features"])), np.float32)
    reading = split_metrics(trainer.network, trainer.loss, empty, np.zeros(0, int), 2)
    assert reading["count"] == 0 and math.isnan(reading["accuracy"])
    assert reading["confusion"] == [[0, 0], [0, 0]] and reading["precision"] == [None, None]
    reading = split_metrics(trainer.network, trainer.loss, empty, np.zeros(0), 0)
    assert reading["scatter"] == [] and math.isnan(reading["r2"])
