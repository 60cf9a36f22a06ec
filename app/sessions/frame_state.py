"""A session's frames, read off its Trainer: the arrays and grids, the run, metrics, loss history, flags and the
layout (built again when the architecture changes), and the `data` message."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from app.sessions.frames import FLAG_DIVERGED, FLAG_PAST, FrameBuilder, Shape, make_layout, shown_range
from engine.config import ConfigError
from engine.data.datasets import DATASETS
from engine.nn.grid import Grids
from engine.nn.losses import LOSSES
from engine.trainer import Trainer
from engine.views.timeline import swapped

OUTPUT_GRID = 100
MAP_GRID = 25


class FrameState:
    """One session's frame bookkeeping; like the trainer, only the session's pool job touches it."""

    def __init__(self) -> None:
        self.run = 1
        self._number = 0
        self._flags = 0
        self._history: list[tuple[float, float, float, float]] = []
        self._metrics = {"train_loss": math.nan, "test_loss": math.nan,
                         "train_accuracy": math.nan, "test_accuracy": math.nan}
        self._metrics_stale = True
        self._layout_key: Any = None
        self._layout_id = 0
        self._builder: FrameBuilder | None = None
        self._grids: Grids | None = None
        self._shape_key: tuple | None = None
        self._shape: Shape | None = None

    @property
    def metrics(self) -> dict[str, float]:
        """The losses and accuracies the last frame carried."""
        return dict(self._metrics)

    def layout_message(self) -> dict[str, Any] | None:
        """The `layout` message of the frames built now (None before the first frame)."""
        return None if self._builder is None else self._builder.layout.to_message()

    def changed(self) -> None:
        """The trainer changed outside training: evaluate again before the next frame."""
        self._metrics_stale = True

    def new_run(self) -> int:
        """Fresh weights: the run number moves on and the loss history not yet sent is dropped."""
        self.run += 1
        self._history.clear()
        return self.run

    def mark_diverged(self) -> None:
        """Raise the diverged flag in the next frame."""
        self._flags |= FLAG_DIVERGED

    def record(self, trainer: Trainer) -> list[dict[str, Any]]:
        """Evaluate once, append a loss-history point (since the last SENT frame); the unit events of that pass."""
        self._metrics = _floats(trainer.evaluate())
        self._metrics_stale = False
        events = trainer.unit_events()
        point = (float(trainer.step), self._metrics["train_loss"], self._metrics["test_loss"],
                 float(trainer.learning_rate))
        if all(math.isfinite(v) for v in point):
            self._history.append(point)  # the session records once per frame built, so at most one waits
        return events

    def past(self, trainer: Trainer, step: int, training: bool) -> bytes:
        """A frame of the current layout showing the timeline's snapshot at `step`: its weights, their output and
        neuron maps, its step, epoch, loss and accuracy; no gradient statistics (zeros: a snapshot keeps none) and no
        loss history. Nothing of the live frames' bookkeeping changes."""
        timeline = trainer.timeline
        assert timeline is not None
        snapshot = timeline.kept(trainer, step)
        if self._builder is None:
            raise ConfigError("step", "no frame has been built yet: ask again after the first frame")
        m = timeline.metrics(trainer, snapshot)
        with swapped(trainer, snapshot):
            grids = trainer.grids(OUTPUT_GRID, MAP_GRID)
            header = {
                "frame": self._number, "run": self.run, "step": trainer.step, "epoch": trainer.epoch,
                "train_loss": m["train_loss"], "test_loss": m["test_loss"], "train_accuracy": m["train_accuracy"],
                "test_accuracy": m["test_accuracy"], "learning_rate": trainer.learning_rate,
                "batch_loss": trainer.batch_loss, "state": 1 if training else 0, "flags": FLAG_PAST,
            }
            return self._builder.build(header, {"params": snapshot.params}, grids.output, grids.neurons,
                                       grids.features, [])

    def build(self, trainer: Trainer, training: bool, out: list[dict[str, Any]], reuse_maps: bool = False) -> bytes:
        """The next frame as bytes, built once for every subscriber; a new layout message goes to `out` first.
        With `reuse_maps` (a busy server, while training: the next frame follows) the neuron maps of the last frame
        are sent again instead of computed."""
        grids = trainer.grids(OUTPUT_GRID, MAP_GRID, self._grids if reuse_maps and training else None)
        self._grids = grids
        shape = self._shape_of(trainer, grids)
        if shape != self._layout_key or self._builder is None:
            self._layout_key = shape
            self._layout_id += 1
            self._builder = FrameBuilder(make_layout(shape, self._layout_id))
            out.append(self._builder.layout.to_message())
        if self._metrics_stale:
            self._metrics = _floats(trainer.evaluate())
            self._metrics_stale = False
        self._number += 1
        m = self._metrics
        header = {
            "frame": self._number, "run": self.run, "step": trainer.step, "epoch": trainer.epoch,
            "train_loss": m["train_loss"], "test_loss": m["test_loss"], "train_accuracy": m["train_accuracy"],
            "test_accuracy": m["test_accuracy"], "learning_rate": trainer.learning_rate,
            "batch_loss": trainer.batch_loss, "state": 1 if training else 0,
            "flags": self._flags,
        }
        frame = self._builder.build(header, frame_arrays(trainer), grids.output, grids.neurons, grids.features,
                                    self._history)
        self._history.clear()
        self._flags = 0
        return frame

    def _shape_of(self, trainer: Trainer, grids: Grids) -> Shape:
        """Everything the frame layout depends on, from the live network and config (cached until they change)."""
        c = trainer.config
        key = (trainer.architecture_version, trainer.data_version, c["loss"], tuple(c["features"]),
               str(c["activation"]), id(trainer.network))
        if key != self._shape_key or self._shape is None:
            self._shape_key, self._shape = key, frame_shape(trainer, grids)
        return self._shape


def data_message(trainer: Trainer) -> dict[str, Any]:
    """The `data` message: every train and test point with its label."""
    data = trainer.data
    return {
        "type": "data",
        "train": _points(data.train_points, data.train_labels),
        "test": _points(data.test_points, data.test_labels),
        "problem": str(data.kind),
        "classes": int(data.classes),
        "version": trainer.data_version,
    }


def frame_arrays(trainer: Trainer) -> dict[str, Any]:
    """The float blocks: params, grads and the last step's per-neuron and per-layer statistics."""
    stats = trainer.stats
    return {"params": trainer.network.params, "grads": trainer.network.grads, "delta_mean": stats.get("delta_mean"),
            "delta_abs": stats.get("delta_abs"), "grad_norm": stats.get("grad_norm"),
            "update_ratio": stats.get("update_ratio")}


def _floats(metrics: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items()}


def frame_shape(trainer: Trainer, grids: Grids) -> Shape:
    """Everything the frame layout depends on: sizes, where each layer sits in the flat vector, activations,
    features, the problem, ranges, extent and grid sizes."""
    net = trainer.network
    sizes = tuple(int(s) for s in net.sizes)
    slices = tuple((ws.start, tuple(int(d) for d in w.shape), bs.start, int(b.size))
                   for w, b, ws, bs in zip(net.W, net.b, net.weight_slices, net.bias_slices, strict=True))
    hidden = len(sizes) - 2
    activation = trainer.config["activation"]
    activations = tuple([activation] * hidden if isinstance(activation, str) else activation)
    kind, classes = str(trainer.data.kind), int(trainer.data.classes)
    output = LOSSES[trainer.config["loss"]].outputs[kind]
    softmax = int(sizes[-1]) if output == "softmax" else 0
    features = tuple(trainer.config["features"])
    feature_ranges = tuple(_round_range(row) for row in np.asarray(grids.features).reshape(len(features), -1))
    return Shape(
        sizes=sizes, param_slices=slices, activations=activations, features=features, kind=kind,
        classes=classes, output_activation=output, softmax=softmax,
        output_range=shown_range(output), map_ranges=tuple(shown_range(a) for a in activations),
        feature_ranges=feature_ranges, extent=DATASETS[trainer.config["dataset"]].domain, output_grid=OUTPUT_GRID,
        map_grid=MAP_GRID,
    )


def _round_range(values: np.ndarray) -> tuple[float, float]:
    """[min, max] widened outward to 3 decimals (stable from frame to frame, never narrower than the data)."""
    lo, hi = math.floor(float(np.min(values)) * 1000) / 1000, math.ceil(float(np.max(values)) * 1000) / 1000
    return (lo, hi) if hi > lo else (lo - 1.0, lo + 1.0)


def _points(points: np.ndarray, labels: np.ndarray) -> list[list[float]]:
    rows = np.column_stack([np.asarray(points, dtype=np.float64).reshape(-1, 2),
                            np.asarray(labels, dtype=np.float64).reshape(-1)])
    return np.round(rows, 4).tolist()
