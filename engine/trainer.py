"""Trainer: one network, its data, optimizer and schedule, trained a mini-batch at a time, with live edits."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from engine.activations import CAN_DIE, RAILS
from engine.config import DEFAULT_CONFIG, MAX_SEED, ConfigError, Limits, layer_map, options, validate
from engine.data import DataError, DataSet
from engine.datasets import DATASETS
from engine.edit import edited
from engine.grid import Grids, compute_grids
from engine.losses import BoundLoss, get_loss
from engine.network import Network
from engine.optimizers import make_optimizer
from engine.regularization import add_penalty, clip
from engine.schedules import SCHEDULES

__all__ = ["DEFAULT_CONFIG", "ConfigError", "Limits", "Trainer", "options"]

LOSS_CEILING = 1e4  # a batch loss above this counts as diverged: targets are in [-1, 1], no sane run gets near it
PARAM_CEILING = 1e12  # ‖params‖² above this counts as diverged (NaN and Inf fail the comparison too)
EXPLODING = 1e2  # a gradient norm above this names exploding gradients as the cause
MAX_WEIGHT = 1e3
DATA_KEYS = ("dataset", "points", "noise", "seed", "classes")
ARCHITECTURE_KEYS = ("features", "layers", "activation", "leaky_slope", "init", "init_scale")
STOPS = ("diverged", "early_stopped")
DEAD_CHECK_STEPS = 20
CLEAR_CHECKS = 2  # clear checks in a row before a saturation warning is withdrawn


def event(kind: str, message: str, **details: Any) -> dict[str, Any]:
    """An event for the server to forward: kind, a sentence for people, and details."""
    return {"kind": kind, "message": message, **details}


def finite_or_none(x: float) -> float | None:
    """x, or None when it is NaN or infinite (JSON has no NaN)."""
    return x if math.isfinite(x) else None


class Trainer:
    """What a server session wraps: config in, training steps, statistics, grids and events out."""

    def __init__(self, config: dict[str, Any] | None = None, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.config = validate(DEFAULT_CONFIG, config or {}, self.limits)
        self.architecture_version = 0
        self._version = 0  # bumps on every change, so cached readings know when to recompute
        self._stats_key = self._train_pass_key = None
        self.data = self._generate(self.config)
        self.data_version = 1
        self._saturation_reported = False
        self._clear_checks = 0
        self.reset()

    # -- building ---------------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Fresh initialisation from the seed (same data): new weights, optimizer state and counters."""
        c = self.config
        streams = np.random.SeedSequence(c["seed"]).spawn(5)[2:]  # children 0 and 1 draw the data's points and split
        self._init_rng, self._shuffle_rng, self._dropout_rng = (np.random.default_rng(s) for s in streams)
        self.loss = self._bind_loss()
        self.network = Network(
            len(c["features"]), c["layers"], self.loss.n_outputs, self._activations(), leaky_slope=c["leaky_slope"],
            init=c["init"], init_scale=c["init_scale"], rng=self._init_rng,
            max_layers=self.limits.max_layers, max_neurons=self.limits.max_neurons,
        )  # fmt: skip
        self.optimizer = make_optimizer(c["optimizer"], **c["optimizer_params"])
        self.step = self.epoch = 0
        self.batch_loss = math.nan
        self._bind_data()
        self._network_changed()

    def _activations(self) -> list[str]:
        act = self.config["activation"]
        return [act] * len(self.config["layers"]) if isinstance(act, str) else list(act)

    def _bind_loss(self) -> BoundLoss:
        return get_loss(self.config["loss"], DATASETS[self.config["dataset"]].kind, self.data.classes or 2)

    def _generate(self, c: dict[str, Any]) -> DataSet:
        """The data a config describes; a DataError becomes a ConfigError."""
        try:
            return DataSet.generate(
                c["dataset"], c["points"], c["noise"], c["train_ratio"], c["seed"], c["classes"], self.limits.max_points
            )
        except DataError as exc:
            raise ConfigError(next((k for k in DATA_KEYS if k in str(exc)), "dataset"), str(exc)) from exc

    def _bind_data(self) -> None:
        """Feature matrices and encoded targets for the current data, features and loss; a new pass starts."""
        self._x_train, self._x_test = self.data.inputs(self.config["features"])  # (n, k) float32
        self._t_train = self.loss.encode(self.data.train_labels)  # (n, n_out)
        self._t_test = self.loss.encode(self.data.test_labels)
        self._x_epoch = self._t_epoch = None
        self._cursor = 0
        self._best_test, self._bad_epochs = math.inf, 0
        self._version += 1

    def _network_changed(self) -> None:
        """Buffers that follow the parameter vector; any saved step is no longer valid."""
        net = self.network
        self._prev = net.params.copy()
        self._scratch = np.empty_like(net.params)
        self._bounds = np.array([[w.start, b.start] for w, b in zip(net.weight_slices, net.bias_slices, strict=True)])
        self._bounds = self._bounds.reshape(-1)  # W0, b0, W1, b1, ... starts
        self._weight_mask = net.weight_mask.astype(net.params.dtype)
        self._deltas: dict[tuple[int, int], np.ndarray] = {}
        self._backup_valid = False
        self._have_backward = False
        self._dead_reported, self._units_checked = 0, -DEAD_CHECK_STEPS
        self._refresh()

    def _refresh(self) -> None:
        """Per-step settings read from the config once, not on every step."""
        c = self.config
        self._batch = c["batch_size"]
        self._base_lr = c["learning_rate"]
        self._schedule = SCHEDULES[c["schedule"]["name"]]
        self._schedule_params = {k: v for k, v in c["schedule"].items() if k != "name"}
        self._dropout = c["dropout"]
        self._dropout_on = any(c["dropout"]) if isinstance(c["dropout"], list) else c["dropout"] > 0
        self._reg = c["regularization"] if c["regularization_rate"] > 0 else "none"
        self._reg_rate = c["regularization_rate"]
        self._clip_mode, self._clip_value = c["clip"]["mode"], c["clip"]["value"]
        self._can_die = any(a in CAN_DIE for a in self._activations())
        self._can_saturate = any(a in RAILS for a in self._activations()) or self.loss.output == "tanh"
        self._version += 1

    @property
    def learning_rate(self) -> float:
        """The rate the next step uses: the base rate through the schedule at the current step."""
        return self._lr(self.step)

    def _lr(self, step: int) -> float:
        if not self._schedule_params:
            return self._base_lr
        return self._schedule.fn(step, self._base_lr, **self._schedule_params)

    # -- live edits -------------------------------------------------------------------------------------------------

    def apply(self, patch: dict[str, Any]) -> list[dict[str, Any]]:
        """Validate the whole patch (ConfigError: nothing applied), then apply it live; return the events."""
        old, new = self.config, validate(self.config, patch, self.limits)
        changed = {key for key in new if new[key] != old[key]}
        data_keys = DATA_KEYS if DATASETS[new["dataset"]].kind == "multiclass" else DATA_KEYS[:-1]  # K: multiclass only
        data_changed = bool(changed.intersection(data_keys))
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
        if data_changed or changed.intersection(("loss", "features", "shuffle", "order", "early_stopping")):
            self._bind_data()
        self._refresh()
        return events

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

    def set_params(self, values: Any) -> None:
        """Overwrite every parameter from a flat sequence in the params layout (e.g. a saved run)."""
        params = self.network.params
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            array = np.zeros(0)
        if array.shape != params.shape:
            raise ConfigError("params", f"must be a list of {params.size} numbers (this network's parameters)")
        if not np.isfinite(array).all() or np.abs(array).max(initial=0.0) > MAX_WEIGHT:
            raise ConfigError("params", f"every value must be a finite number from {-MAX_WEIGHT:g} to {MAX_WEIGHT:g}")
        params[...] = array
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

    # -- training ---------------------------------------------------------------------------------------------------

    def train(self, n: int = 1) -> list[dict[str, Any]]:
        """n mini-batch steps; stops early on divergence (rolled back) or early stopping."""
        if not len(self._x_train):
            return [event("no_data", "There are no training points: add some or regenerate the data.")]
        return self._run(lambda done: done < n)

    def train_epoch(self) -> list[dict[str, Any]]:
        """The rest of the current pass over the training set (a whole pass from its start)."""
        if not len(self._x_train):
            return self.train(1)
        epoch = self.epoch
        return self._run(lambda done: self.epoch == epoch)

    def _run(self, more: Callable[[int], bool]) -> list[dict[str, Any]]:
        """Steps while more(steps done so far) holds; stops at divergence or early stopping."""
        events: list[dict[str, Any]] = []
        done = 0
        while more(done):
            happened = self._train_step()
            done += 1
            if happened:
                events += happened
                if any(e["kind"] in STOPS for e in happened):
                    break
        return events

    def _new_pass(self) -> None:
        if self.config["shuffle"]:
            order = self._shuffle_rng.permutation(len(self._x_train))
            self._x_epoch, self._t_epoch = self._x_train[order], self._t_train[order]
        elif self.config["order"] == "sorted":
            order = np.argsort(self.data.train_labels, kind="stable")
            self._x_epoch, self._t_epoch = self._x_train[order], self._t_train[order]
        else:
            self._x_epoch, self._t_epoch = self._x_train, self._t_train
        self._cursor = 0

    def _train_step(self) -> list[dict[str, Any]] | None:
        """One mini-batch: forward, loss, backward, penalty, clipping, update; divergence rolls the update back."""
        if self._x_epoch is None or self._cursor >= len(self._x_epoch):
            self._new_pass()
        start = self._cursor
        stop = min(start + self._batch, len(self._x_epoch))
        x, target = self._x_epoch[start:stop], self._t_epoch[start:stop]  # (batch, k), (batch, n_out)
        net = self.network
        params, grads = net.params, net.grads
        z = net.forward(x, self._dropout_on, self._dropout, self._dropout_rng)  # (batch, n_out); train only drops out
        delta = self._deltas.get(z.shape)
        if delta is None:
            delta = self._deltas[z.shape] = np.empty_like(z)
        loss, delta = self.loss.value_and_delta(z, target, out=delta)  # ∂L/∂z_out (batch, n_out)
        if not loss <= LOSS_CEILING:
            return self._diverged(loss, undo_last=True)
        net.backward(delta)
        self._have_backward = True
        if self._reg != "none":
            loss += add_penalty(params, grads, self._weight_mask, self._reg, self._reg_rate, self._scratch)
        if self._clip_mode != "none":
            clip(grads, self._clip_mode, self._clip_value)
        lr = self._lr(self.step)
        np.copyto(self._prev, params)
        self.optimizer.snapshot(params)
        self._counters = (self.step, self.epoch, start, self.batch_loss)
        self.optimizer.step(params, grads, lr)
        if not float(np.dot(params, params)) <= PARAM_CEILING:
            np.copyto(params, self._prev)
            self.optimizer.restore()
            return self._diverged(loss, undo_last=False)
        self._backup_valid = True
        self.step += 1
        self._cursor = stop
        self.batch_loss = loss
        if stop == len(self._x_epoch):
            self.epoch += 1
            return self._end_of_epoch()
        return None

    def _diverged(self, loss: float, undo_last: bool) -> list[dict[str, Any]]:
        """Roll back the update that blew up (params and optimizer state) and say why it probably happened."""
        net = self.network
        grad_norm = float(np.sqrt(np.dot(net.grads.astype(np.float64), net.grads)))  # the gradient of that update
        rolled_back = not undo_last or self._backup_valid
        if undo_last and self._backup_valid:
            np.copyto(net.params, self._prev)
            self.optimizer.restore()
            self.step, self.epoch, self._cursor, self.batch_loss = self._counters
        if not np.isfinite(net.grads).all():
            net.grads.fill(0.0)
        self._backup_valid = False
        self._version += 1
        lr = self._lr(self.step)
        exploding = not grad_norm <= EXPLODING
        if not rolled_back:
            cause, message = "weights", (f"The loss is {loss:.3g} at these weights, before any step: reset, or set "
                                         "smaller weights, to train from here.")  # fmt: skip
        else:
            cause = "exploding_gradient" if exploding else "learning_rate"
            advice = (f"exploding gradients (norm {grad_norm:.3g}): lower the learning rate or turn on clipping"
                      if exploding else f"the learning rate {lr:g} is too high: lower it to continue")  # fmt: skip
            message = (f"Training diverged at step {self.step + 1} (loss {loss:.3g}); the step that caused it was "
                       f"rolled back. Likely cause: {advice}.")  # fmt: skip
        return [event("diverged", message, step=self.step + 1, loss=finite_or_none(loss), cause=cause,
                      learning_rate=lr, grad_norm=finite_or_none(grad_norm), rolled_back=rolled_back)]  # fmt: skip

    def _end_of_epoch(self) -> list[dict[str, Any]] | None:
        events = []
        stopping = self.config["early_stopping"]
        if stopping["enabled"] and len(self._x_test):
            test_loss = self._measure(self._x_test, self._t_test, None)[0]
            if test_loss < self._best_test:
                self._best_test, self._bad_epochs = test_loss, 0
            else:
                self._bad_epochs += 1
            if self._bad_epochs >= stopping["patience"]:
                self._bad_epochs = 0
                events.append(event("early_stopped", f"The test loss has not improved for {stopping['patience']} "
                                    f"epochs (best {self._best_test:.4g}): training stopped at epoch {self.epoch}.",
                                    epoch=self.epoch, best_test_loss=self._best_test))  # fmt: skip
        return events or None

    def unit_events(self) -> list[dict[str, Any]]:
        """`dead_units` and `saturated_units` / `saturation_cleared`, judged on the training-set pass.

        Call it when observing (the server does, once per training slice, right after `evaluate()`, whose pass it
        shares): the checks never run inside the training step. Checks are at least DEAD_CHECK_STEPS steps apart.
        """
        if self.step - self._units_checked < DEAD_CHECK_STEPS or not (self._can_die or self._can_saturate):
            return []
        self._units_checked = self.step
        events = []
        if self._can_die:
            dead = int(self._train_pass()[2].sum())
            if dead > self._dead_reported:
                events.append(event("dead_units", f"{dead} ReLU unit{'s are' if dead > 1 else ' is'} dead: never "
                                    "active on any training point, so no gradient flows through.", count=dead))
            self._dead_reported = dead
        if self._can_saturate:
            events += self._saturation_events()
        return events

    def _saturation_events(self) -> list[dict[str, Any]]:
        """`saturated_units` when the output or most tanh/sigmoid units sit at a rail; `saturation_cleared` after."""
        _, _, _, saturated, output = self._train_pass()
        count = int(saturated.sum())
        net = self.network
        railed = sum(width for act, width in zip(net.activations, net.hidden, strict=True) if act.name in RAILS)
        stuck = output or 2 * count > railed > 0
        self._clear_checks = 0 if stuck else self._clear_checks + 1
        if stuck == self._saturation_reported or (not stuck and self._clear_checks < CLEAR_CHECKS):
            return []  # a warning clears only after CLEAR_CHECKS clear checks in a row, so it does not flicker
        self._saturation_reported = stuck
        if not stuck:
            return [event("saturation_cleared", "The units are no longer stuck at their limits.")]
        plural = "s" if count != 1 else ""
        who = (f"The output unit and {count} hidden unit{plural} are" if output and count
               else "The output unit is" if output else f"{count} of {railed} hidden units are")  # fmt: skip
        message = (f"{who} stuck at their limits (like −1 or +1 for tanh) on every training point, so the gradient "
                   "through them is near zero and the network has stopped learning. Likely cause: a learning rate "
                   "that is too high, or weights that are too large: lower the learning rate, or reset.")
        return [event("saturated_units", message, count=count, output=output)]

    # -- reading ----------------------------------------------------------------------------------------------------

    def _measure(self, x: np.ndarray, target: np.ndarray, labels: np.ndarray | None) -> tuple[float, float]:
        if not len(x):
            return math.nan, math.nan
        z = self.network.infer(x, neurons=False)[0].T  # (n, n_out)
        accuracy = self.loss.accuracy(z, labels) if labels is not None else math.nan
        return self.loss.value(z, target), accuracy

    def _train_pass(self) -> tuple[float, float, np.ndarray, np.ndarray, bool]:
        """Loss, accuracy, dead and saturated hidden units, a saturated tanh output, over the training set (cached)."""
        key = (self.step, self._version)
        if self._train_pass_key != key:
            net, n_hidden = self.network, sum(self.network.hidden)
            dead, saturated = np.zeros(n_hidden, bool), np.zeros(n_hidden, bool)
            if not len(self._x_train):
                self._train_pass_cache = (math.nan, math.nan, dead, saturated, False)
            else:
                z, hidden = net.infer(self._x_train)  # (n_out, n), (n_hidden, n) neuron-major
                start = 0
                for act, width in zip(net.activations, net.hidden, strict=True):
                    rows, units = hidden[start : start + width], slice(start, start + width)
                    if act.name in CAN_DIE:
                        dead[units] = (rows <= 0.0).all(axis=1)  # a ReLU-family unit never active
                    if act.name in RAILS:
                        low, high = RAILS[act.name]
                        margin = 0.01 * (high - low)
                        saturated[units] = ((rows < low + margin) | (rows > high - margin)).all(axis=1)
                    start += width
                loss = self.loss.value(z.T, self._t_train)
                accuracy = self.loss.accuracy(z.T, self.data.train_labels)
                output = self.loss.output == "tanh" and bool((np.abs(np.tanh(z)) > 0.98).all())  # its δ vanishes too
                self._train_pass_cache = (loss, accuracy, dead, saturated, output)
            self._train_pass_key = key
        return self._train_pass_cache

    def evaluate(self) -> dict[str, float]:
        """Loss (without the penalty) and accuracy on the training and test sets; accuracy is NaN for regression."""
        train_loss, train_accuracy, *_ = self._train_pass()
        test_loss, test_accuracy = self._measure(self._x_test, self._t_test, self.data.test_labels)
        return {"train_loss": train_loss, "test_loss": test_loss,
                "train_accuracy": train_accuracy, "test_accuracy": test_accuracy}  # fmt: skip

    @property
    def stats(self) -> dict[str, Any]:
        """The last step's statistics (computed when first read, then cached until something changes)."""
        key = (self.step, self._version)
        if self._stats_key != key:
            self._stats, self._stats_key = self._compute_stats(), key
        return self._stats

    def _compute_stats(self) -> dict[str, Any]:
        net = self.network
        n_neurons = sum(net.sizes[1:])
        if self._have_backward:
            means, absolutes = net.delta_stats()
            delta_mean = np.concatenate(means).astype(np.float32)  # (n_neurons,) hidden then output, layer by layer
            delta_abs = np.concatenate(absolutes).astype(np.float32)
        else:
            delta_mean = delta_abs = np.zeros(n_neurons, np.float32)
        squares, bounds = self._scratch, self._bounds  # bounds: where each W and each b starts in the flat vector
        np.square(net.grads, out=squares)
        grad_norm = np.sqrt(np.add.reduceat(squares, bounds).reshape(-1, 2).sum(axis=1))  # (n_layers,) W and b
        np.subtract(net.params, self._prev, out=squares)
        np.square(squares, out=squares)
        update = np.add.reduceat(squares, bounds)[0::2]  # ‖ΔW‖² per layer
        np.square(net.params, out=squares)
        weight = np.add.reduceat(squares, bounds)[0::2]  # ‖W‖² per layer
        _, _, dead_units, saturated_units, _ = self._train_pass()
        return {
            "batch_loss": self.batch_loss,
            "delta_mean": delta_mean,
            "delta_abs": delta_abs,
            "grad_norm": grad_norm.astype(np.float32),  # (n_layers,)
            "update_ratio": np.sqrt(update / (weight + 1e-24)).astype(np.float32),  # (n_layers,) ‖ΔW‖ / ‖W‖
            "dead": int(dead_units.sum()),
            "saturated": int(saturated_units.sum()),
            "dead_units": dead_units,  # (n_hidden_neurons,) bool
            "saturated_units": saturated_units,
        }

    def grids(self, size: int = 100, neuron_size: int = 25) -> Grids:
        """Output map (size², probabilities or values), each hidden neuron's map and each feature's (neuron_size²)."""
        return compute_grids(self.network, self.loss.predict, self.config["features"], size, neuron_size)

    def gradcheck(self, inject_bug: bool = False) -> list[float]:
        """Relative error of backprop against finite differences per layer, on a float64 copy (live net untouched)."""
        from engine.gradcheck import check_network

        n = min(len(self._x_train), 64)
        target = self.loss.encode(self.data.train_labels[:n], np.float64)
        return check_network(
            self.network.copy(np.float64), self._x_train[:n].astype(np.float64), target, self.loss,
            regularization=self._reg, rate=self._reg_rate, inject_bug=inject_bug,
        )  # fmt: skip
