"""The metrics people expect: accuracy and a confusion matrix for classes, R² and RMSE for a regression."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from engine.nn.losses import BoundLoss
from engine.nn.network import Network

MAX_SCATTER = 250  # predicted-vs-true pairs sent per split: evenly spaced over the points, enough to see the fit


def predicted_classes(z: np.ndarray) -> np.ndarray:
    """The class each row of z_out (n, n_out) votes for: z > 0 for one output unit, the argmax for K (as accuracy)."""
    return z.argmax(axis=1) if z.shape[1] > 1 else (z[:, 0] > 0.0).astype(np.intp)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """(classes, classes) counts: row = the true class, column = the predicted one."""
    index = np.asarray(labels).astype(np.intp) * classes + np.asarray(predicted).astype(np.intp)
    return np.bincount(index, minlength=classes * classes).reshape(classes, classes)


def per_class(matrix: np.ndarray) -> tuple[list[float | None], list[float | None]]:
    """Precision (of each predicted column) and recall (of each true row); None where nothing was counted."""
    correct = np.diag(matrix).astype(np.float64)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    precision = [float(c / p) if p else None for c, p in zip(correct, predicted, strict=True)]
    recall = [float(c / t) if t else None for c, t in zip(correct, actual, strict=True)]
    return precision, recall


def r2_rmse(target: np.ndarray, prediction: np.ndarray) -> tuple[float, float]:
    """R² = 1 − Σ(ŷ − y)² / Σ(y − ȳ)² (NaN when y is constant) and RMSE = √mean (ŷ − y)², in float64."""
    y, y_hat = np.asarray(target, np.float64).reshape(-1), np.asarray(prediction, np.float64).reshape(-1)
    if not len(y):
        return math.nan, math.nan
    residual = float(np.sum((y_hat - y) ** 2))
    spread = float(np.sum((y - y.mean()) ** 2))
    return (1.0 - residual / spread if spread > 0 else math.nan), math.sqrt(residual / len(y))


def split_metrics(net: Network, loss: BoundLoss, x: np.ndarray, labels: np.ndarray, classes: int) -> dict[str, Any]:
    """One split's metrics from one inference pass: `count`, then `accuracy`, `confusion`, `precision` and `recall`
    for classes (`classes` 2 or K), or `r2`, `rmse` and `scatter` ([[y, ŷ], …], at most MAX_SCATTER) for a
    regression (`classes` 0)."""
    n = len(x)
    out: dict[str, Any] = {"count": n}
    z = net.infer(x, neurons=False)[0].T if n else np.zeros((0, loss.n_outputs), np.float32)  # (n, n_out)
    if classes:
        matrix = confusion_matrix(labels, predicted_classes(z), classes)
        precision, recall = per_class(matrix)
        accuracy = float(np.trace(matrix) / n) if n else math.nan
        return {**out, "accuracy": accuracy, "confusion": matrix.tolist(), "precision": precision, "recall": recall}
    y_hat = loss.predict(z)[:, 0] if n else np.zeros(0, np.float32)
    r2, rmse = r2_rmse(labels, y_hat)
    shown = np.unique(np.linspace(0, n - 1, min(n, MAX_SCATTER)).round().astype(np.intp)) if n else []
    scatter = [[round(float(labels[i]), 4), round(float(y_hat[i]), 4)] for i in shown]
    return {**out, "r2": r2, "rmse": rmse, "scatter": scatter}


def metrics(trainer: Any) -> dict[str, Any]:
    """A trainer's metrics on its training and test sets as they are now (`split_metrics` each), with its step."""
    data = trainer.data
    x_train, x_test = data.inputs(trainer.config["features"])
    net, loss, classes = trainer.network, trainer.loss, int(data.classes)
    return {"problem": data.kind, "classes": classes, "step": int(trainer.step), "epoch": int(trainer.epoch),
            "train": split_metrics(net, loss, x_train, data.train_labels, classes),
            "test": split_metrics(net, loss, x_test, data.test_labels, classes)}
