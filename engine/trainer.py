"""Trainer: one network, its data, optimizer and schedule, trained a mini-batch at a time, and edited live between
steps (a config patch, one weight, the whole vector, the points)."""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import numpy as np

from engine.changes import describe
from engine.config import DEFAULT_CONFIG, ConfigError, Limits, layer_map, options, validate
from engine.data.datasets import DATASETS, MAX_SEED
from engine.data.points import TrainingData
from engine.nn.activations import CAN_DIE, RAILS
from engine.nn.edit import edited
from engine.nn.grid import Grids, compute_grids
from engine.nn.losses import BoundLoss, get_loss
from engine.nn.network import Network
from engine.nn.regularization import add_penalty, clip
from engine.optim.optimizers import make_optimizer
from engine.optim.schedules import SCHEDULES
from engine.schema import SETTING, keys_resetting
from engine.views.monitor import LOSS_CEILING, PARAM_CEILING, EarlyStopping, UnitMonitor, diverged, event
from engine.views.stats import TrainPass, layer_bounds, measure, step_stats, train_pass
from engine.views.timeline import Timeline

__all__ = ["DEFAULT_CONFIG", "MAX_COUNTER", "MAX_WEIGHT", "ConfigError", "Limits", "Trainer", "options"]

STOPS = ("diverged", "early_stopped")
INIT_STREAM, SHUFFLE_STREAM, DROPOUT_STREAM = 2, 3, 4  # children of SeedSequence(seed); 0 and 1 draw the data
MAX_WEIGHT = 1e3
MAX_COUNTER = 2**31 - 1  # step and epoch set by a restore: far from the frame header's u32 limit
DATA_KEYS = keys_resetting("data")
ARCHITECTURE_KEYS = keys_resetting("network")
PASS_KEYS = keys_resetting("pass")



class Trainer:
    """What a server session owns: config in, training steps, statistics, grids and events out, and the live edits
    between steps, none of which runs in the training step."""

    def __init__(self, config: dict[str, Any] | None = None, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.config = validate(DEFAULT_CONFIG, config or {}, self.limits)
        self.architecture_version = 0
        self._version = 0  # bumps on every change, so cached readings know when to recompute
        self._stats_key = self._train_pass_key = None
        self.data = self._generate(self.config)
        self.data_version = 1
        self._early_stopping = EarlyStopping()
        self._units = UnitMonitor()
        # Called after every step with its events (a claim's watch); returning True ends the current train call.
        self.on_step: Callable[[list[dict[str, Any]]], bool | None] | None = None
        self.timeline: Timeline | None = None  # the ring of past snapshots (engine.views.timeline), when kept
        self.reset()

    # -- building ---------------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Fresh initialisation from the seed (same data): new weights, optimizer state and counters."""
        c = self.config
        streams = np.random.SeedSequence(c["seed"]).spawn(DROPOUT_STREAM + 1)
        self._init_rng, self._shuffle_rng, self._dropout_rng = (
            np.random.default_rng(streams[i]) for i in (INIT_STREAM, SHUFFLE_STREAM, DROPOUT_STREAM)
        )
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

    def _generate(self, c: dict[str, Any]) -> TrainingData:
        """The data a config describes (a DataError, naming the setting at fault, if it cannot be drawn)."""
        return TrainingData.generate(
            c["dataset"], c["points"], c["noise"], c["train_ratio"], c["seed"], c["classes"], self.limits.max_points
        )

    def _bind_data(self) -> None:
        """Feature matrices and encoded targets for the current data, features and loss; a new pass starts."""
        self._x_train, self._x_test = self.data.inputs(self.config["features"])  # (n, k) float32
        self._t_train = self.loss.encode(self.data.train_labels)  # (n, n_out)
        self._t_test = self.loss.encode(self.data.test_labels)
        self._x_epoch = self._t_epoch = None
        self._cursor = 0
        self._early_stopping.restart()
        self._version += 1

    def _network_changed(self) -> None:
        """Buffers that follow the parameter vector; any saved step is no longer valid."""
        net = self.network
        self._prev = net.params.copy()
        self._scratch = np.empty_like(net.params)
        self._bounds = layer_bounds(net)
        self._weight_mask = net.weight_mask.astype(net.params.dtype)
        self._deltas: dict[tuple[int, int], np.ndarray] = {}
        self._backup_valid = False
        self._have_backward = False
        self._units.network_changed()
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

    def steps_left_in_epoch(self) -> int:
        """The mini-batch steps that `train_epoch` would run now (a whole pass when one is about to start)."""
        n = len(self._x_train)
        if not n:
            return 1
        if self._x_epoch is None or self._cursor >= len(self._x_epoch):
            return math.ceil(n / self._batch)
        return math.ceil((len(self._x_epoch) - self._cursor) / self._batch)

    def _run(self, more: Callable[[int], bool]) -> list[dict[str, Any]]:
        """Steps while more(steps done so far) holds; stops at divergence or early stopping."""
        events: list[dict[str, Any]] = []
        done = 0
        timeline = self.timeline
        if timeline is not None:
            timeline.follow(self)
        while more(done):
            happened = self._train_step()
            done += 1
            if timeline is not None and timeline.due(self.step):
                timeline.capture(self)
            if self.on_step is not None and self.on_step(happened or []) is True:
                break
            if happened:
                events += happened
                if any(e["kind"] in STOPS for e in happened):
                    break
        return events

    def _new_pass(self) -> None:
        self._pass_start = self._shuffle_rng.bit_generator.state  # a timeline snapshot draws this pass again from it
        if self.config["shuffle"]:
            order = self._shuffle_rng.permutation(len(self._x_train))
            self._x_epoch, self._t_epoch = self._x_train[order], self._t_train[order]
        elif self.config["order"] == "sorted":
            order = np.argsort(self.data.train_labels, kind="stable")
            self._x_epoch, self._t_epoch = self._x_train[order], self._t_train[order]
        else:
            order = np.arange(len(self._x_train))
            self._x_epoch, self._t_epoch = self._x_train, self._t_train
        self._order = order  # (n,) training-point indices in this pass's order
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
        return [diverged(loss, grad_norm, self._lr(self.step), self.step + 1, rolled_back)]

    def _end_of_epoch(self) -> list[dict[str, Any]] | None:
        stopping = self.config["early_stopping"]
        if not (stopping["enabled"] and len(self._x_test)):
            return None
        test_loss = measure(self.network, self.loss, self._x_test, self._t_test, None)[0]
        return self._early_stopping.epoch_end(test_loss, self.epoch, stopping["patience"]) or None

    def unit_events(self) -> list[dict[str, Any]]:
        """`dead_units` and `saturated_units` / `saturation_cleared`, judged on the training-set pass.

        Call it when observing (the server does, once per training slice, right after `evaluate()`, whose pass it
        shares): the checks never run inside the training step. Checks are at least DEAD_CHECK_STEPS steps apart.
        """
        return self._units.events(self.step, self.network, self._train_pass, self._can_die, self._can_saturate)

    # -- reading ----------------------------------------------------------------------------------------------------

    def _train_pass(self) -> TrainPass:
        """Loss, accuracy and unit health over the training set, cached until the next step or change."""
        key = (self.step, self._version)
        if self._train_pass_key != key:
            self._train_pass_cache = train_pass(self.network, self.loss, self._x_train, self._t_train,
                                                self.data.train_labels)  # fmt: skip
            self._train_pass_key = key
        return self._train_pass_cache

    def train_loss(self) -> float:
        """The training-set loss (without the penalty) of the weights as they are now, cached like `evaluate`."""
        return self._train_pass()[0]

    def last_update(self) -> np.ndarray | None:
        """Δp (n,) of the last step (the update the optimizer made), or None when no step since the last change."""
        if not self._backup_valid:
            return None
        return self.network.params - self._prev

    def last_batch(self) -> np.ndarray:
        """The training-point indices (into data.train_points) of the last step's mini-batch, in batch order."""
        if not self._backup_valid or self._x_epoch is None:
            return np.zeros(0, np.intp)
        start = self._counters[2]
        return self._order[start : min(start + self._batch, len(self._order))].copy()

    def evaluate(self) -> dict[str, float]:
        """Loss (without the penalty) and accuracy on the training and test sets; accuracy is NaN for regression."""
        train_loss, train_accuracy, *_ = self._train_pass()
        test_loss, test_accuracy = measure(self.network, self.loss, self._x_test, self._t_test, self.data.test_labels)
        return {"train_loss": train_loss, "test_loss": test_loss,
                "train_accuracy": train_accuracy, "test_accuracy": test_accuracy}  # fmt: skip

    @property
    def stats(self) -> dict[str, Any]:
        """The last step's statistics (computed when first read, then cached until something changes)."""
        key = (self.step, self._version)
        if self._stats_key != key:
            self._stats = step_stats(self.network, self._prev, self._scratch, self._bounds, self._have_backward,
                                     self.batch_loss, self._train_pass())  # fmt: skip
            self._stats_key = key
        return self._stats

    def grids(self, size: int = 100, neuron_size: int = 25, maps_from: Grids | None = None) -> Grids:
        """Output map (size², probabilities or values), each hidden neuron's map and each feature's (neuron_size²);
        with `maps_from`, the neuron and feature maps are reused from there (engine.nn.grid.compute_grids)."""
        return compute_grids(self.network, self.loss.predict, self.config["features"], size, neuron_size, maps_from)

    def gradcheck(self, inject_bug: bool = False) -> list[float]:
        """Relative error of backprop against finite differences per layer, on a float64 copy (live net untouched)."""
        from engine.lessons.gradcheck import run_to_end

        return run_to_end(self.gradcheck_steps(inject_bug))

    def gradcheck_steps(self, inject_bug: bool = False) -> Generator[None, None, list[float]]:
        """`gradcheck` one parameter at a time, on the network and data as they are now (copied here), so the
        trainer may go on training between the steps."""
        from engine.lessons.gradcheck import check_network_steps

        n = min(len(self._x_train), 64)
        target = self.loss.encode(self.data.train_labels[:n], np.float64)
        return check_network_steps(
            self.network.copy(np.float64), self._x_train[:n].astype(np.float64), target, self.loss,
            regularization=self._reg, rate=self._reg_rate, inject_bug=inject_bug,
        )  # fmt: skip

    # -- live edits, between steps --------------------------------------------------------------------------------

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
