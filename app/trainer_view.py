"""A thin adapter over engine.trainer.Trainer: what the session needs, in the shapes the frame builder takes."""

from __future__ import annotations

import math
from collections.abc import Generator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np

from app.frames import Shape, shown_range
from app.settings import Settings
from engine.datasets import DATASETS
from engine.export import ExportError, export, run_of
from engine.hidden_space import SpaceError, hidden_space
from engine.lesson import trace
from engine.losses import LOSSES
from engine.metrics import metrics
from engine.neuron import NeuronError, neuron_math
from engine.timeline import Snapshot, Timeline, restore, swapped
from engine.trainer import ConfigError, Limits, Trainer

OUTPUT_GRID = 100
MAP_GRID = 25
TIMELINE_METRICS = 16  # snapshots evaluated per `timeline` answer (~0.1–0.9 ms each): the rest on the next ask


class TrainerView:
    """Wraps one Trainer; never shared between sessions, only used from the session's pool job."""

    config_error = ConfigError

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self._shape_key: tuple | None = None
        self._shape: Shape | None = None

    @classmethod
    def create(cls, settings: Settings) -> TrainerView:
        """A trainer with the default config and this server's limits."""
        limits = Limits(max_layers=settings.max_layers, max_neurons=settings.max_neurons,
                        max_points=settings.max_points)
        trainer = Trainer(config=None, limits=limits)
        trainer.timeline = Timeline()
        return cls(trainer)

    # -- passthrough ---------------------------------------------------------------------------------------------

    @property
    def config(self) -> dict[str, Any]:
        """The full applied engine config."""
        return self.trainer.config

    @property
    def step(self) -> int:
        """Mini-batches done."""
        return int(self.trainer.step)

    @property
    def epoch(self) -> int:
        """Full epochs done."""
        return int(self.trainer.epoch)

    @property
    def learning_rate(self) -> float:
        """The current rate after the schedule."""
        return float(self.trainer.learning_rate)

    @property
    def data_version(self) -> int:
        """Bumps whenever the points change."""
        return int(self.trainer.data_version)

    def apply(self, patch: dict[str, Any]) -> list[dict[str, Any]]:
        """Validate and apply a config patch live."""
        return list(self.trainer.apply(patch) or [])

    def train(self, n: int) -> list[dict[str, Any]]:
        """n mini-batch steps."""
        return list(self.trainer.train(n) or [])

    def steps_left_in_epoch(self) -> int:
        """Steps to the end of the current pass (engine.trainer.Trainer.steps_left_in_epoch)."""
        return self.trainer.steps_left_in_epoch()

    def unit_events(self) -> list[dict[str, Any]]:
        """Dead and saturated-unit events, judged on the pass evaluate() just made."""
        return self.trainer.unit_events()

    def evaluate(self) -> dict[str, float]:
        """Train/test loss and accuracy as floats (NaN where not applicable)."""
        return {k: float(v) for k, v in self.trainer.evaluate().items()}

    def reset(self) -> None:
        """Fresh weights from the seed."""
        self.trainer.reset()

    def regenerate(self) -> list[dict[str, Any]]:
        """New points from the next data seed (config["seed"] changes); the network is kept."""
        return list(self.trainer.regenerate() or [])

    def add_point(self, x: float, y: float, label: float) -> None:
        """Add one training point."""
        self.trainer.add_point(x, y, label)

    def erase_points(self, x: float, y: float, radius: float) -> int:
        """Remove points near (x, y); how many went."""
        return int(self.trainer.erase_points(x, y, radius))

    def load_csv(self, text: str) -> None:
        """Replace the points from CSV text."""
        self.trainer.load_csv(text)

    def export_csv(self) -> str:
        """The points as CSV text."""
        return self.trainer.export_csv()

    def export_code(self, fmt: str) -> dict[str, Any]:
        """The run as code (engine.export): `filename`, `text` and the `step` it was exported at."""
        try:
            filename, text = export(run_of(self.trainer), fmt)
        except ExportError as exc:
            raise ConfigError(exc.field, exc.message) from exc
        return {"filename": filename, "text": text, "step": self.trainer.step}

    def set_weight(self, layer: int, row: int, col: int | None, value: float) -> None:
        """Set one weight (or a bias when col is None)."""
        self.trainer.set_weight(layer, row, col, value)

    def gradcheck_steps(self, inject_bug: bool) -> Generator[None, None, list[float]]:
        """Relative error per layer between backprop and finite differences, a parameter at a time."""
        return self.trainer.gradcheck_steps(inject_bug=inject_bug)

    # -- frame material ------------------------------------------------------------------------------------------

    def grids(self, maps_from: Any = None) -> Any:
        """Output grid (100²) and the 25² neuron and feature maps (reused from `maps_from` when given and fitting)."""
        return self.trainer.grids(OUTPUT_GRID, MAP_GRID, maps_from)

    def batch_loss(self) -> float:
        """Loss of the last mini-batch (NaN before the first step)."""
        value = self.trainer.batch_loss
        return float("nan") if value is None else float(value)

    def set_params(self, values: list[float], step: int | None = None, epoch: int | None = None) -> None:
        """Replace the whole flat parameter vector (same order as the frame's `params` block), and optionally the
        step and epoch counters (a restore after a server restart)."""
        self.trainer.set_params(values, step=step, epoch=epoch)

    def trace(self, index: int, split: str) -> dict[str, Any]:
        """One point through the live network (engine.lesson.trace): every z, a, δ and gradient."""
        points = self.trainer.data.train_points if split == "train" else self.trainer.data.test_points
        if not 0 <= index < len(points):
            raise ConfigError("index", f"must be a {split} point from 0 to {len(points) - 1}")
        return {**trace(self.trainer, index, split), "step": int(self.trainer.step)}

    def metrics(self) -> dict[str, Any]:
        """The metrics on the training and test sets now (engine.metrics), with the step they were read at."""
        return metrics(self.trainer)

    def neuron(self, index: int, split: str, layer: int, neuron: int) -> dict[str, Any]:
        """One neuron's math for one data point (engine.neuron), with the step whose weights it used."""
        try:
            return {**neuron_math(self.trainer, index, split, layer, neuron), "step": int(self.trainer.step)}
        except NeuronError as exc:
            raise ConfigError(exc.field, exc.message) from exc

    def hidden_space(self, layer: int, neurons: list[int]) -> dict[str, Any]:
        """The points and the input grid's lines at two hidden neurons' activations (engine.hidden_space)."""
        try:
            return hidden_space(self.trainer, layer, neurons, DATASETS[self.config["dataset"]].domain)
        except SpaceError as exc:
            raise ConfigError(exc.field, exc.message) from exc

    def timeline(self) -> dict[str, Any]:
        """The snapshots kept (step, epoch and, once computed, their loss and accuracy), the ring's spacing, capacity
        and bytes. At most TIMELINE_METRICS snapshots are evaluated per answer: the rest say null until asked again."""
        ring = self.trainer.timeline
        assert ring is not None
        ring.follow(self.trainer)
        todo = TIMELINE_METRICS
        snapshots = []
        for snapshot in ring.snapshots:
            if snapshot.metrics is None and todo:
                todo -= 1
                ring.metrics(self.trainer, snapshot)
            snapshots.append({"step": snapshot.step, "epoch": snapshot.epoch, **(snapshot.metrics or {})})
        return {"snapshots": snapshots, "interval": ring.interval, "capacity": ring.capacity, "bytes": ring.nbytes,
                "step": int(self.trainer.step), "complete": all(s.metrics is not None for s in ring.snapshots)}

    def snapshot(self, step: int) -> Snapshot:
        """The snapshot kept at `step` (ConfigError naming `step` and the steps kept, if none)."""
        ring = self.trainer.timeline
        assert ring is not None
        ring.follow(self.trainer)
        found = ring.find(step)
        if found is None:
            kept = [s.step for s in ring.snapshots]
            raise ConfigError("step", f"must be a step the timeline keeps: {kept[0]} to {kept[-1]}, every "
                                      f"{ring.interval} (and the last, {kept[-1]})")  # fmt: skip
        return found

    def snapshot_metrics(self, snapshot: Snapshot) -> dict[str, float]:
        """Loss and accuracy with the snapshot's weights."""
        assert self.trainer.timeline is not None
        return self.trainer.timeline.metrics(self.trainer, snapshot)

    def viewing(self, snapshot: Snapshot) -> swapped:
        """Within the block the network holds the snapshot's weights and the counters its step (for its frame)."""
        return swapped(self.trainer, snapshot)

    def at(self, step: int | None) -> AbstractContextManager[Any]:
        """Within the block, the network as the timeline kept it at `step` (None: as it is now)."""
        return nullcontext() if step is None else self.viewing(self.snapshot(step))

    def restore_snapshot(self, step: int) -> list[dict[str, Any]]:
        """Continue from the snapshot at `step`: the trainer exactly as it was then; the later snapshots go."""
        snapshot = self.snapshot(step)
        events = restore(self.trainer, snapshot)
        assert self.trainer.timeline is not None
        self.trainer.timeline.branch(snapshot)
        return events

    def frame_arrays(self) -> dict[str, Any]:
        """The float blocks: params, grads and the last step's per-neuron and per-layer statistics."""
        net = self.trainer.network
        stats = self.trainer.stats
        return {
            "params": net.params,
            "grads": net.grads,
            "delta_mean": stats.get("delta_mean"),
            "delta_abs": stats.get("delta_abs"),
            "grad_norm": stats.get("grad_norm"),
            "update_ratio": stats.get("update_ratio"),
        }

    def problem(self) -> tuple[str, int]:
        """(problem kind, classes: 0 for regression, 2 for binary, K for multi-class)."""
        data = self.trainer.data
        return str(data.kind), int(data.classes)

    def output_activation(self) -> str:
        """The output activation the loss implies for this problem: tanh, sigmoid, linear or softmax."""
        kind, _ = self.problem()
        return LOSSES[self.config["loss"]].outputs[kind]

    def shape(self, grids: Any) -> Shape:
        """Everything the frame layout depends on, from the live network and config (cached until they change)."""
        c = self.config
        key = (self.trainer.architecture_version, self.data_version, c["loss"], tuple(c["features"]),
               str(c["activation"]), id(self.trainer.network))
        if key != self._shape_key:
            self._shape_key, self._shape = key, self._make_shape(grids)
        return self._shape

    def _make_shape(self, grids: Any) -> Shape:
        net = self.trainer.network
        sizes = tuple(int(s) for s in net.sizes)
        base = net.params.__array_interface__["data"][0]
        item = net.params.itemsize
        slices = tuple(
            ((w.__array_interface__["data"][0] - base) // item, tuple(int(d) for d in w.shape),
             (b.__array_interface__["data"][0] - base) // item, int(b.size))
            for w, b in zip(net.W, net.b, strict=True)
        )
        hidden = len(sizes) - 2
        activation = self.config["activation"]
        activations = tuple([activation] * hidden if isinstance(activation, str) else activation)
        kind, classes = self.problem()
        output = self.output_activation()
        softmax = int(sizes[-1]) if output == "softmax" else 0
        features = tuple(self.config["features"])
        feature_ranges = tuple(_round_range(row) for row in np.asarray(grids.features).reshape(len(features), -1))
        return Shape(
            sizes=sizes, param_slices=slices, activations=activations, features=features, kind=kind,
            classes=classes, output_activation=output, softmax=softmax,
            output_range=shown_range(output), map_ranges=tuple(shown_range(a) for a in activations),
            feature_ranges=feature_ranges, extent=DATASETS[self.config["dataset"]].domain, output_grid=OUTPUT_GRID,
            map_grid=MAP_GRID,
        )

    def data_message(self) -> dict[str, Any]:
        """The `data` message: every train and test point with its label."""
        data = self.trainer.data
        kind, classes = self.problem()
        return {
            "type": "data",
            "train": _points(data.train_points, data.train_labels),
            "test": _points(data.test_points, data.test_labels),
            "problem": kind,
            "classes": classes,
            "version": self.data_version,
        }


def _round_range(values: np.ndarray) -> tuple[float, float]:
    """[min, max] widened outward to 3 decimals (stable from frame to frame, never narrower than the data)."""
    lo, hi = math.floor(float(np.min(values)) * 1000) / 1000, math.ceil(float(np.max(values)) * 1000) / 1000
    return (lo, hi) if hi > lo else (lo - 1.0, lo + 1.0)


def _points(points: np.ndarray, labels: np.ndarray) -> list[list[float]]:
    rows = np.column_stack([np.asarray(points, dtype=np.float64).reshape(-1, 2),
                            np.asarray(labels, dtype=np.float64).reshape(-1)])
    return np.round(rows, 4).tolist()
