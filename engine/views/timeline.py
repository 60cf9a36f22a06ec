"""A trainer's past in a bounded ring: snapshots at evenly spaced steps, each enough to go back and train on exactly.

A snapshot holds the parameters, the optimizer's state and counters, the step, epoch, place in the pass, the random
streams (the pass's shuffle, dropout, initialisation), the early-stopping memory and the settings. The ring keeps at
most CAPACITY: it starts with every step; when full it drops every other snapshot and doubles the spacing, so it
always covers the whole run evenly. It belongs to one network on one data set: a reset, an edit that builds a new
network or new data start it afresh.
"""

from __future__ import annotations

import copy
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.config import ConfigError
from engine.views.stats import measure

CAPACITY = 64  # snapshots kept: on the largest network (8 × 16 neurons, Adam) ~26 KB each, ~1.7 MB in all
STATE_OVERHEAD = 2048  # bytes a snapshot takes besides its arrays (random streams, counters, settings), at most
LISTING_METRICS = 16  # snapshots evaluated per `listing` (~0.1–0.9 ms each): the rest on the next ask


@dataclass
class Snapshot:
    """One moment of a run, enough to continue from it bit for bit."""

    step: int
    epoch: int
    params: np.ndarray  # (n,) float32, a copy
    optimizer: str
    state: np.ndarray | None  # (buffers, n) the optimizer's rows, a copy
    counters: dict[str, Any]
    groups: np.ndarray | None
    cursor: int
    in_pass: bool
    shuffle: dict[str, Any]  # the shuffle stream at the start of the current pass (or now, between passes)
    dropout: dict[str, Any]
    init: dict[str, Any]
    batch_loss: float
    early_stopping: Any
    config: dict[str, Any]
    metrics: dict[str, float] | None = field(default=None)  # filled in when first asked for (Timeline.metrics)

    @property
    def nbytes(self) -> int:
        """The arrays' bytes (the rest is at most STATE_OVERHEAD)."""
        arrays = [self.params, self.state, self.groups]
        return sum(a.nbytes for a in arrays if a is not None)


class Timeline:
    """The ring of snapshots of one trainer; `due(step)` is the one check a training step pays."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self.snapshots: list[Snapshot] = []
        self.interval = 1
        self._owner: tuple = ()

    def _key(self, trainer: Any) -> tuple:
        return (trainer.network, trainer.network.params.size, trainer.data_version, trainer.architecture_version)

    def follow(self, trainer: Any) -> None:
        """Start afresh if the trainer's network or data are no longer those of the snapshots; then make sure the
        current step is kept when the ring is empty (the run's start)."""
        key = self._key(trainer)
        if len(key) != len(self._owner) or any(a is not b and a != b for a, b in zip(key, self._owner, strict=True)):
            self.snapshots.clear()
            self.interval = 1
            self._owner = key
        if not self.snapshots:
            self.capture(trainer)

    def due(self, step: int) -> bool:
        """Whether the step just trained is one the ring keeps."""
        return step % self.interval == 0 and (not self.snapshots or step > self.snapshots[-1].step)

    def capture(self, trainer: Any) -> None:
        """Keep the trainer's state now; when the ring is full, every other snapshot goes and the spacing doubles."""
        self.snapshots.append(take(trainer))
        while len(self.snapshots) > self.capacity:
            self.interval *= 2
            self.snapshots = [s for s in self.snapshots if s.step % self.interval == 0 or s is self.snapshots[-1]]
            if len(self.snapshots) > self.capacity:  # steps that jumped (a restored counter): thin by position
                self.snapshots = self.snapshots[::2]

    @property
    def nbytes(self) -> int:
        """Bytes the ring holds: its arrays, plus at most STATE_OVERHEAD per snapshot for the rest."""
        return sum(s.nbytes + STATE_OVERHEAD for s in self.snapshots)

    def find(self, step: int) -> Snapshot | None:
        """The snapshot taken at `step`, if the ring has it."""
        return next((s for s in self.snapshots if s.step == step), None)

    def metrics(self, trainer: Any, snapshot: Snapshot) -> dict[str, float]:
        """Loss and accuracy on the training and test sets with the snapshot's weights (computed once, then kept)."""
        if snapshot.metrics is None:
            with swapped(trainer, snapshot):
                x_train, x_test = trainer.data.inputs(trainer.config["features"])
                data, loss, net = trainer.data, trainer.loss, trainer.network
                train = measure(net, loss, x_train, loss.encode(data.train_labels), data.train_labels)
                test = measure(net, loss, x_test, loss.encode(data.test_labels), data.test_labels)
            snapshot.metrics = {"train_loss": train[0], "test_loss": test[0], "train_accuracy": train[1],
                                "test_accuracy": test[1]}
        return snapshot.metrics

    def branch(self, snapshot: Snapshot) -> None:
        """Training goes on from `snapshot`: the snapshots after it were another future, and go."""
        self.snapshots = [s for s in self.snapshots if s.step <= snapshot.step]

    def kept(self, trainer: Any, step: int) -> Snapshot:
        """The snapshot of `trainer`'s run at `step` (ConfigError naming `step` and the steps kept, if none)."""
        self.follow(trainer)
        found = self.find(step)
        if found is None:
            kept = [s.step for s in self.snapshots]
            raise ConfigError("step", f"must be a step the timeline keeps: {kept[0]} to {kept[-1]}, every "
                                      f"{self.interval} (and the last, {kept[-1]})")  # fmt: skip
        return found

    def listing(self, trainer: Any, budget: int = LISTING_METRICS) -> dict[str, Any]:
        """The snapshots kept (step, epoch and, once computed, their loss and accuracy), the spacing, capacity and
        bytes. At most `budget` snapshots are evaluated per call: the rest say null until asked again."""
        self.follow(trainer)
        snapshots = []
        for snapshot in self.snapshots:
            if snapshot.metrics is None and budget:
                budget -= 1
                self.metrics(trainer, snapshot)
            snapshots.append({"step": snapshot.step, "epoch": snapshot.epoch, **(snapshot.metrics or {})})
        return {"snapshots": snapshots, "interval": self.interval, "capacity": self.capacity, "bytes": self.nbytes,
                "step": int(trainer.step), "complete": all(s.metrics is not None for s in self.snapshots)}

    def go_back(self, trainer: Any, step: int) -> list[dict[str, Any]]:
        """Continue from the snapshot at `step`: the trainer exactly as it was then; the later snapshots go."""
        snapshot = self.kept(trainer, step)
        events = restore(trainer, snapshot)
        self.branch(snapshot)
        return events

    def at(self, trainer: Any, step: int | None) -> AbstractContextManager[Any]:
        """Within the block, the trainer as the ring kept it at `step` (None: as it is now)."""
        return nullcontext() if step is None else swapped(trainer, self.kept(trainer, step))


def take(trainer: Any) -> Snapshot:
    """A snapshot of the trainer as it is now."""
    opt = trainer.optimizer
    state = None if opt.state is None else opt.state.copy()
    counters = {name: copy.copy(getattr(opt, name)) for name in opt.counters}
    in_pass = trainer._x_epoch is not None
    return Snapshot(
        step=int(trainer.step), epoch=int(trainer.epoch), params=trainer.network.params.copy(),
        optimizer=trainer.config["optimizer"], state=state, counters=counters,
        groups=None if opt.groups is None else opt.groups.copy(), cursor=int(trainer._cursor), in_pass=in_pass,
        shuffle=trainer._pass_start if in_pass else trainer._shuffle_rng.bit_generator.state,
        dropout=trainer._dropout_rng.bit_generator.state, init=trainer._init_rng.bit_generator.state,
        batch_loss=float(trainer.batch_loss), early_stopping=copy.copy(trainer._early_stopping),
        config=trainer.config,  # shared, not copied: a change replaces the trainer's config dict, never edits it
    )  # fmt: skip


def restore(trainer: Any, snapshot: Snapshot) -> list[dict[str, Any]]:
    """Put the trainer back exactly as it was at `snapshot` (its settings first, where they differ): training on
    from here repeats the run that passed through it, batch for batch. The trainer's events of the settings."""
    patch = {k: v for k, v in snapshot.config.items() if trainer.config.get(k) != v}
    events = trainer.apply(patch) if patch else []
    np.copyto(trainer.network.params, snapshot.params)
    opt = trainer.optimizer
    if snapshot.state is None:
        opt.state = None
        opt._fresh_counters()
    else:
        opt._allocate(snapshot.state.copy())
        for name, value in snapshot.counters.items():
            setattr(opt, name, copy.copy(value))
        opt.groups = None if snapshot.groups is None else snapshot.groups.copy()
    opt._saved = None
    trainer.step, trainer.epoch = snapshot.step, snapshot.epoch
    trainer._shuffle_rng.bit_generator.state = snapshot.shuffle
    trainer._dropout_rng.bit_generator.state = snapshot.dropout
    trainer._init_rng.bit_generator.state = snapshot.init
    trainer._x_epoch = trainer._t_epoch = None
    trainer._cursor = 0
    if snapshot.in_pass:
        trainer._new_pass()  # the same permutation, drawn again from the same state
        trainer._cursor = snapshot.cursor
    trainer.batch_loss = snapshot.batch_loss
    trainer._early_stopping = copy.copy(snapshot.early_stopping)
    np.copyto(trainer._prev, trainer.network.params)
    trainer._backup_valid = False
    trainer._have_backward = False
    trainer._version += 1
    return events


class swapped:
    """Within the block, the trainer's network holds the snapshot's parameters (and step); put back after."""

    def __init__(self, trainer: Any, snapshot: Snapshot) -> None:
        self.trainer, self.snapshot = trainer, snapshot

    def __enter__(self) -> None:
        t = self.trainer
        self.saved = (t.network.params.copy(), t.step, t.epoch, t.batch_loss)
        np.copyto(t.network.params, self.snapshot.params)
        t.step, t.epoch, t.batch_loss = self.snapshot.step, self.snapshot.epoch, self.snapshot.batch_loss

    def __exit__(self, *exc: object) -> None:
        t = self.trainer
        params, t.step, t.epoch, t.batch_loss = self.saved
        np.copyto(t.network.params, params)
        t._version += 1  # what was read inside (statistics, grids) is stale now
