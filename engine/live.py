"""Live edits of a Trainer between steps: config patches, one weight, the whole vector, and the points."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from engine.changes import describe
from engine.config import ConfigError, Limits, layer_map, validate
from engine.data import TrainingData
from engine.datasets import DATASETS, MAX_SEED
from engine.edit import edited
from engine.losses import BoundLoss
from engine.monitor import event
from engine.network import Network
from engine.optimizers import Optimizer, make_optimizer
from engine.schema import SETTING, keys_resetting

MAX_WEIGHT = 1e3
MAX_COUNTER = 2**31 - 1  # step and epoch set by a restore: far from the frame header's u32 limit
DATA_KEYS = keys_resetting("data")
ARCHITECTURE_KEYS = keys_resetting("network")
PASS_KEYS = keys_resetting("pass")


class LiveEdits:
    """The Trainer's edits, none of which runs in the training step: a base class of `Trainer`.

    They change the state below and then rebuild what depends on it through the Trainer's own methods
    (`_generate`, `_bind_loss`, `_bind_data`, `_network_changed`, `_refresh`, `_activations`).
    """

    config: dict[str, Any]
    limits: Limits
    data: TrainingData
    data_version: int
    architecture_version: int
    loss: BoundLoss
    network: Network
    optimizer: Optimizer
    _init_rng: np.random.Generator
    _backup_valid: bool
    _version: int
    step: int
    epoch: int

    def apply(self, patch: dict[str, Any]) -> list[dict[str, Any]]:
        """Validate the whole patch (ConfigError: nothing applied), then apply it live; return the events."""
        old, new = self.config, validate(self.config, patch, self.limits)
        changed = {key for key in new if new[key] != old[key]}
        applying = [k for k in DATA_KEYS if SETTING[k].applies is None or SETTING[k].applies.holds(new)]
        data_changed = bool(changed.intersection(applying))
        if data_changed:
            data = self._generate(new)  # before anything changes: a DataError leaves the trainer as it was
        self.config = new
        events: list[dict[str, Any]] = []
        if data_changed:
            self.data = data
            self.data_version += 1
        elif "train_ratio" in changed:
            self.data.resplit(train_ratio=new["train_ratio"])
            self.data_version += 1
            data_changed = True
        if "loss" in changed and "loss" not in patch:
            kind = DATASETS[new["dataset"]].kind
            events.append(event("loss_changed", f"{old['loss']} does not suit a {kind} problem: the loss is now "
                                f"{new['loss']}.", old=old["loss"], new=new["loss"]))  # fmt: skip
        self.loss = self._bind_loss()
        if changed.intersection(ARCHITECTURE_KEYS) or self.loss.n_outputs != self.network.sizes[-1]:
            events += self._edit_network(old)
        if "optimizer" in changed:
            self.optimizer = make_optimizer(new["optimizer"], **new["optimizer_params"])
        elif "optimizer_params" in changed:
            self.optimizer.set_hyper(**new["optimizer_params"])
        if data_changed or changed.intersection(PASS_KEYS):
            self._bind_data()
        self._refresh()
        return events + describe(old, new, trained=self.step > 0)

    def _edit_network(self, old: dict[str, Any]) -> list[dict[str, Any]]:
        """Carry the network across an architecture edit, keeping every weight whose units survive."""
        c, net = self.config, self.network
        names = old["features"]
        input_map = [names.index(n) if n in names else None for n in c["features"]]
        n_out, old_out = self.loss.n_outputs, net.sizes[-1]
        new, pairs = edited(
            net, c["layers"], layer_map=layer_map(old["layers"], c["layers"]), input_map=input_map, n_outputs=n_out,
            activation=self._activations(), leaky_slope=c["leaky_slope"], init=c["init"], init_scale=c["init_scale"],
            rng=self._init_rng,
        )  # fmt: skip
        events = []
        if n_out != old_out:
            new.W[-1][...] = new.draw(*new.W[-1].shape, self._init_rng)
            new.b[-1][...] = 0.0
        if n_out != old_out and self.step > 0:  # before any training a fresh output layer is no news
            events.append(event("reinitialized", f"The output layer went from {old_out} to {n_out} units, so its "
                                "weights were re-initialised; the hidden layers were kept.", layer=len(new.W) - 1))
        if new.sizes != net.sizes:
            self.architecture_version += 1
        self.optimizer.remap(pairs, new.params.size)
        self.network = new
        self._network_changed()
        return events

    def regenerate(self) -> list[dict[str, Any]]:
        """New data from the next seed (config["seed"] changes), same settings; the network is kept."""
        return self.apply({"seed": (self.config["seed"] + 1) % (MAX_SEED + 1)})

    def set_weight(self, layer: int, row: int, col: int | None, value: float) -> None:
        """Set W[layer] from unit col to neuron row (stored at [col, row]), or neuron row's bias when col is None."""
        W = self.network.W
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < len(W):
            raise ConfigError("layer", f"must be a weight layer from 0 to {len(W) - 1}")
        fan_in, fan_out = W[layer].shape
        if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row < fan_out:
            raise ConfigError("row", f"must be a neuron of layer {layer}: 0 to {fan_out - 1}")
        if col is not None and (isinstance(col, bool) or not isinstance(col, int) or not 0 <= col < fan_in):
            raise ConfigError("col", f"must be null (the bias) or an input of layer {layer}: 0 to {fan_in - 1}")
        if not isinstance(value, int | float) or not math.isfinite(value) or abs(value) > MAX_WEIGHT:
            raise ConfigError("value", f"must be a number from {-MAX_WEIGHT:g} to {MAX_WEIGHT:g}")
        if col is None:
            self.network.b[layer][row] = value
        else:
            W[layer][col, row] = value
        self._backup_valid = False
        self._version += 1

    def set_params(self, values: Any, step: int | None = None, epoch: int | None = None) -> None:
        """Overwrite every parameter from a flat sequence in the params layout (e.g. a saved run), and optionally the
        step and epoch counters (a run restored after a server restart continues from its step). Everything is
        checked before anything changes."""
        params = self.network.params
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            array = np.zeros(0)
        if array.shape != params.shape:
            raise ConfigError("params", f"must be a list of {params.size} numbers (this network's parameters)")
        if not np.isfinite(array).all() or np.abs(array).max(initial=0.0) > MAX_WEIGHT:
            raise ConfigError("params", f"every value must be a finite number from {-MAX_WEIGHT:g} to {MAX_WEIGHT:g}")
        for name, value in (("step", step), ("epoch", epoch)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or not 0 <= value <= MAX_COUNTER):
                raise ConfigError(name, f"must be an integer from 0 to {MAX_COUNTER}")
        new_step = self.step if step is None else step
        new_epoch = self.epoch if epoch is None else epoch
        if new_epoch > new_step:
            raise ConfigError("epoch", f"must be at most the step ({new_step}): every epoch takes at least one step")
        params[...] = array
        self.step, self.epoch = new_step, new_epoch
        self._backup_valid = False
        self._version += 1

    def add_point(self, x: float, y: float, label: float) -> None:
        """Add a training point (DataError if it does not fit the problem)."""
        self.data.add_point(x, y, label)
        self.data_version += 1
        self._bind_data()

    def erase_points(self, x: float, y: float, radius: float) -> int:
        """Remove the points within radius of (x, y); return how many."""
        removed = self.data.erase(x, y, radius)
        if removed:
            self.data_version += 1
            self._bind_data()
        return removed

    def load_csv(self, text: str) -> None:
        """Replace the points from CSV text (DataError lists every bad line; nothing changes)."""
        self.data.load_csv(text)
        self.data_version += 1
        self._bind_data()

    def export_csv(self) -> str:
        """The points as CSV (x, y, label, split)."""
        return self.data.to_csv()
