"""What a session's next frame carries besides the trainer's arrays: run, metrics, loss history, flags, layout."""

from __future__ import annotations

import math
from typing import Any

from app.frames import FLAG_DIVERGED, FLAG_PAST, FrameBuilder, make_layout
from app.trainer_view import TrainerView


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
        self._grids: Any = None

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

    def record(self, trainer: TrainerView) -> list[dict[str, Any]]:
        """Evaluate once, append a loss-history point (since the last SENT frame); the unit events of that pass."""
        self._metrics = trainer.evaluate()
        self._metrics_stale = False
        events = trainer.unit_events()
        point = (float(trainer.step), self._metrics["train_loss"], self._metrics["test_loss"],
                 float(trainer.learning_rate))
        if all(math.isfinite(v) for v in point):
            self._history.append(point)  # the session records once per frame built, so at most one waits
        return events

    def past(self, trainer: TrainerView, step: int, training: bool) -> bytes:
        """A frame of the current layout showing the timeline's snapshot at `step`: its weights, their output and
        neuron maps, its step, epoch, loss and accuracy; no gradient statistics (zeros: a snapshot keeps none) and no
        loss history. Nothing of the live frames' bookkeeping changes."""
        snapshot = trainer.snapshot(step)
        if self._builder is None:
            raise trainer.config_error("step", "no frame has been built yet: ask again after the first frame")
        m = trainer.snapshot_metrics(snapshot)
        with trainer.viewing(snapshot):
            grids = trainer.grids()
            header = {
                "frame": self._number, "run": self.run, "step": trainer.step, "epoch": trainer.epoch,
                "train_loss": m["train_loss"], "test_loss": m["test_loss"], "train_accuracy": m["train_accuracy"],
                "test_accuracy": m["test_accuracy"], "learning_rate": trainer.learning_rate,
                "batch_loss": trainer.batch_loss(), "state": 1 if training else 0, "flags": FLAG_PAST,
            }
            return self._builder.build(header, {"params": snapshot.params}, grids.output, grids.neurons,
                                       grids.features, [])

    def build(self, trainer: TrainerView, training: bool, out: list[dict[str, Any]], reuse_maps: bool = False) -> bytes:
        """The next frame as bytes, built once for every subscriber; a new layout message goes to `out` first.
        With `reuse_maps` (a busy server, while training: the next frame follows) the neuron maps of the last frame
        are sent again instead of computed."""
        grids = trainer.grids(self._grids if reuse_maps and training else None)
        self._grids = grids
        shape = trainer.shape(grids)
        if shape != self._layout_key or self._builder is None:
            self._layout_key = shape
            self._layout_id += 1
            self._builder = FrameBuilder(make_layout(shape, self._layout_id))
            out.append(self._builder.layout.to_message())
        if self._metrics_stale:
            self._metrics = trainer.evaluate()
            self._metrics_stale = False
        self._number += 1
        m = self._metrics
        header = {
            "frame": self._number, "run": self.run, "step": trainer.step, "epoch": trainer.epoch,
            "train_loss": m["train_loss"], "test_loss": m["test_loss"], "train_accuracy": m["train_accuracy"],
            "test_accuracy": m["test_accuracy"], "learning_rate": trainer.learning_rate,
            "batch_loss": trainer.batch_loss(), "state": 1 if training else 0,
            "flags": self._flags,
        }
        frame = self._builder.build(header, trainer.frame_arrays(), grids.output, grids.neurons, grids.features,
                                    self._history)
        self._history.clear()
        self._flags = 0
        return frame
