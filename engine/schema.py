"""Every setting declared once: type, default, range or registry, when it applies, what a change resets, label, help.

`engine.config` validates against this table, `options()` serialises it for every UI (the page builds its controls
from it), the app derives its protocol model from it and docs/protocol.md's settings table is generated from it
(`python -m app.docs`). Adding a setting is one entry here plus its behaviour in the trainer.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from engine.data.datasets import (
    DATASETS,
    DEFAULT_CLASSES,
    MAX_CLASSES,
    MAX_NOISE,
    MAX_SEED,
    MAX_TRAIN_RATIO,
    MIN_CLASSES,
    MIN_POINTS,
    MIN_TRAIN_RATIO,
)
from engine.data.features import FEATURES
from engine.nn.activations import ACTIVATIONS
from engine.nn.initializers import INITIALIZERS, SCALED
from engine.nn.losses import LOSSES
from engine.nn.regularization import CLIP_MODES, REGULARIZERS
from engine.optim.optimizers import OPTIMIZER_PARAMS
from engine.optim.schedules import SCHEDULES

# What a change to a setting does to the run beyond the setting itself (an empty tuple: nothing else changes).
RESETS = {
    "data": "new points are drawn and a new pass starts (the network keeps its weights)",
    "split": "the train/test split is drawn again",
    "network": "the network is rebuilt: every unit that stays keeps its weights, a new one is initialised",
    "optimizer": "the optimizer starts afresh (momentum, Adam's averages)",
    "pass": "the current pass over the training data starts again",
    "output": "the output layer is initialised afresh if the number of outputs changes (hidden layers are kept)",
}
GROUPS = ("data", "network", "training", "regularisation")


@dataclass(frozen=True)
class Limits:
    """What one session may ask for."""

    max_layers: int = 8
    max_neurons: int = 16
    max_points: int = 5000


@dataclass(frozen=True)
class When:
    """A setting applies only while the setting `key` (any entry, for a per-layer list) is one of `values`."""

    key: str
    values: tuple[Any, ...]

    def holds(self, config: dict[str, Any]) -> bool:
        """Whether the condition holds for a full config (dotted keys reach into objects)."""
        value: Any = config
        for part in self.key.split("."):
            value = value[part]
        return any(v in self.values for v in (value if isinstance(value, list) else [value]))

    def as_dict(self) -> dict[str, Any]:
        """JSON form: {key, values}."""
        return {"key": self.key, "values": list(self.values)}


@dataclass(frozen=True)
class Setting:
    """One setting. `low`/`high` may name a field of Limits; `fields` are an object setting's own settings."""

    name: str
    type: str  # float | int | choice | bool | subset | layers | object | params
    default: Any
    label: str
    help: str
    group: str
    unit: str = ""
    low: float | str | None = None
    high: float | str | None = None
    values: tuple[Any, ...] = ()
    registry: str | None = None  # the options' registry the values (or, for params, the parameters) come from
    per_layer: bool = False
    applies: When | None = None
    resets: tuple[str, ...] = ()
    widget: str | None = None  # how the page shows it when the type alone does not say (percent, number)
    fields: tuple[Setting, ...] = ()

    def bounds(self, limits: Limits) -> tuple[float, float]:
        """(low, high) with limit names resolved."""
        return tuple(getattr(limits, b) if isinstance(b, str) else b for b in (self.low, self.high))  # type: ignore[return-value]

    def as_dict(self, limits: Limits) -> dict[str, Any]:
        """The JSON form every UI reads (`options.config`)."""
        out: dict[str, Any] = {"type": self.type, "default": self.default, "label": self.label, "help": self.help}
        if self.group:
            out["group"] = self.group
        if self.unit:
            out["unit"] = self.unit
        if self.low is not None:
            out["min"], out["max"] = self.bounds(limits)
        if self.type in ("choice", "subset"):
            out["values"] = list(self.values)
        if self.registry:
            out["registry"] = self.registry
        if self.per_layer:
            out["per_layer"] = True
        if self.applies:
            out["applies"] = self.applies.as_dict()
        out["resets"] = list(self.resets)
        if self.widget:
            out["widget"] = self.widget
        if self.type == "layers":
            out.update(max_layers=limits.max_layers, min_neurons=1, max_neurons=limits.max_neurons)
        if self.fields:
            out["fields"] = {f.name: f.as_dict(limits) for f in self.fields}
        return out


def _multiclass() -> tuple[str, ...]:
    return tuple(name for name, d in DATASETS.items() if d.kind == "multiclass")


SETTINGS: tuple[Setting, ...] = (
    Setting("dataset", "choice", "circle", "Dataset", "The pattern of points the network must learn to separate (or, "
            "for regression, to fit).", "data", values=tuple(DATASETS), registry="datasets", resets=("data", "output")),
    Setting("classes", "int", DEFAULT_CLASSES, "Classes", "How many colours (classes) the multi-class datasets use.",
            "data", "classes", MIN_CLASSES, MAX_CLASSES, applies=When("dataset", _multiclass()),
            resets=("data", "output")),
    Setting("points", "int", 500, "Points", "How many data points there are. More points show the pattern better but "
            "each epoch takes longer.", "data", "points", MIN_POINTS, "max_points", resets=("data",)),
    Setting("noise", "float", 0.0, "Noise", "How much the points are scattered. With noise some points sit on the "
            "wrong side and cannot all be learnt.", "data", "share", 0.0, MAX_NOISE, resets=("data",),
            widget="percent"),
    Setting("train_ratio", "float", 0.5, "Training share", "Which share of the points the network trains on. The rest "
            "is test data it never learns from: it tells you how well the network generalises.", "data", "share",
            MIN_TRAIN_RATIO, MAX_TRAIN_RATIO, resets=("split", "pass"), widget="percent"),
    Setting("seed", "int", 0, "Seed", "The random seed: the same seed gives the same points and the same starting "
            "weights, so a run can be repeated exactly.", "data", "", 0, MAX_SEED, resets=("data",), widget="number"),
    Setting("features", "subset", ["x1", "x2"], "Input features", "What the network is given about each point. x₁ "
            "and x₂ are its coordinates; the others are ready-made curves that make some patterns easy.", "data",
            values=tuple(FEATURES), registry="features", resets=("network", "pass")),
    Setting("layers", "layers", [4, 2], "Hidden layers", "Neurons per hidden layer, separated by commas (for example "
            "4,2). More layers and neurons can draw more complicated shapes.", "network", "neurons per layer",
            resets=("network",)),
    Setting("activation", "choice", "tanh", "Activation", "The function each hidden neuron applies to its weighted "
            "sum. It bends straight lines into curves; without it, many layers are no better than one.", "network",
            values=tuple(ACTIVATIONS), registry="activations", per_layer=True, resets=("network",)),
    Setting("leaky_slope", "float", 0.01, "Leaky slope", "For leaky ReLU: how steep the line is for negative inputs, "
            "so the neuron never goes completely silent.", "network", "", 0.0, 1.0,
            applies=When("activation", tuple(n for n, a in ACTIVATIONS.items() if a.leaky)), resets=("network",)),
    Setting("loss", "choice", "mse", "Loss", "How wrongness is measured. Backpropagation starts from the derivative "
            "of this number with respect to the output.", "network", values=tuple(LOSSES), registry="losses",
            resets=("pass", "output")),
    Setting("init", "choice", "xavier", "Initialiser", "How the starting weights are chosen. Too big or too small "
            "starting weights make gradients explode or vanish.", "network", values=tuple(INITIALIZERS),
            registry="initializers", resets=("network",)),
    Setting("init_scale", "float", 0.5, "Init scale", "For the uniform initialiser: weights start between minus and "
            "plus this value.", "network", "", 0.001, 5.0, applies=When("init", SCALED), resets=("network",)),
    Setting("optimizer", "choice", "sgd", "Optimizer", "The rule that turns gradients into weight changes. Plain SGD "
            "steps straight downhill; momentum and Adam remember earlier steps.", "training",
            values=tuple(OPTIMIZER_PARAMS), registry="optimizers", resets=("optimizer",)),
    Setting("optimizer_params", "params", {k: p.default for k, p in OPTIMIZER_PARAMS["sgd"].items()},
            "Optimizer parameters", "The chosen optimizer's own hyper-parameters: each applies only with its "
            "optimizer, and choosing another optimizer sets them to its defaults.", "training",
            registry="optimizers"),
    Setting("learning_rate", "float", 0.03, "Learning rate", "How big a step each update takes. Too small: slow. Too "
            "big: the loss jumps around or blows up.", "training", "", 1e-6, 10.0, widget="number"),
    Setting("schedule", "object", {"name": "constant"}, "Rate schedule", "Changes the learning rate while training "
            "(its other keys are the chosen schedule's parameters).", "training", registry="schedules", fields=(
                Setting("name", "choice", "constant", "Rate schedule", "Changes the learning rate while training: for "
                        "example smaller steps later on, to settle into a minimum.", "", values=tuple(SCHEDULES),
                        registry="schedules"),
            )),
    Setting("batch_size", "int", 10, "Batch size", "How many points are averaged for one gradient step. Small "
            "batches are noisy but quick; big ones are smooth but slow.", "training", "points", 1, "max_points",
            widget="number"),
    Setting("shuffle", "bool", True, "Shuffle", "Mix the training points into new batches every epoch.", "training",
            resets=("pass",)),
    Setting("order", "choice", "random", "Order without shuffling", "Without shuffling, the points come in their "
            "stored order (random) or sorted by label: then every batch holds one class only, and training "
            "zig-zags.", "training", values=("random", "sorted"), applies=When("shuffle", (False,)),
            resets=("pass",)),
    Setting("regularization", "choice", "none", "Regularisation", "Adds a penalty for big weights to the loss (L1 "
            "pushes weights to exactly zero, L2 makes them all smaller), which helps against overfitting.",
            "regularisation", values=REGULARIZERS),
    Setting("regularization_rate", "float", 0.0, "Regularisation rate", "How strong the weight penalty is.",
            "regularisation", "", 0.0, 1.0, applies=When("regularization", REGULARIZERS[1:]), widget="number"),
    Setting("dropout", "float", 0.0, "Dropout", "While training, switch off this share of hidden neurons at random, "
            "so the network cannot rely on any single one.", "regularisation", "share", 0.0, 0.9, per_layer=True),
    Setting("clip", "object", {"mode": "none", "value": 1.0}, "Gradient clipping", "Caps gradients before the "
            "update.", "regularisation", fields=(
                Setting("mode", "choice", "none", "Gradient clipping", "Caps gradients before the update: each value "
                        "(value) or their total length (norm). A cure for exploding gradients.", "", values=CLIP_MODES),
                Setting("value", "float", 1.0, "Clip at", "The largest gradient value or norm allowed when clipping "
                        "is on.", "", "", 1e-6, 1000.0, applies=When("clip.mode", CLIP_MODES[1:]), widget="number"),
            )),
    Setting("early_stopping", "object", {"enabled": False, "patience": 50}, "Early stopping", "Stop training when the "
            "test loss has not improved for a while.", "regularisation", resets=("pass",), fields=(
                Setting("enabled", "bool", False, "Early stopping", "Stop training by itself when the test loss has "
                        "not improved for a while.", ""),
                Setting("patience", "int", 50, "Patience (epochs)", "How many epochs without improvement early "
                        "stopping waits.", "", "epochs", 1, 10_000, applies=When("early_stopping.enabled", (True,)),
                        widget="number"),
            )),
)
SETTING: dict[str, Setting] = {s.name: s for s in SETTINGS}
FIELD: dict[str, Setting] = {f"{s.name}.{f.name}": f for s in SETTINGS for f in s.fields}


def keys_resetting(what: str) -> tuple[str, ...]:
    """The settings whose change resets `what` (a RESETS key), in table order."""
    return tuple(s.name for s in SETTINGS if what in s.resets)


def defaults() -> dict[str, Any]:
    """A fresh copy of every setting's default: the config a new trainer starts from."""
    return {s.name: copy.deepcopy(s.default) for s in SETTINGS}
