"""The trainer's configuration: defaults, limits, validation of a whole patch, and the options every UI reads."""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass
from typing import Any

from engine.activations import ACTIVATIONS
from engine.datasets import DATASETS, MAX_CLASSES, MAX_NOISE, MIN_CLASSES
from engine.features import FEATURES
from engine.initializers import INITIALIZERS
from engine.losses import LOSSES
from engine.optimizers import OPTIMIZER_PARAMS, Param
from engine.regularization import CLIP_MODES, REGULARIZERS
from engine.schedules import SCHEDULES

DEFAULT_LOSS = {"binary": "mse", "multiclass": "softmax_ce", "regression": "mse"}
MAX_SEED = 2**31 - 1

DEFAULT_CONFIG: dict[str, Any] = {
    "dataset": "circle",
    "points": 500,
    "noise": 0.0,
    "train_ratio": 0.5,
    "seed": 0,
    "classes": 3,
    "features": ["x1", "x2"],
    "layers": [4, 2],
    "activation": "tanh",
    "leaky_slope": 0.01,
    "loss": "mse",
    "init": "xavier",
    "init_scale": 0.5,
    "optimizer": "sgd",
    "optimizer_params": {"weight_decay": 0.0},
    "learning_rate": 0.03,
    "schedule": {"name": "constant"},
    "batch_size": 10,
    "shuffle": True,
    "order": "random",
    "regularization": "none",
    "regularization_rate": 0.0,
    "dropout": 0.0,
    "clip": {"mode": "none", "value": 1.0},
    "early_stopping": {"enabled": False, "patience": 50},
}


@dataclass(frozen=True)
class Limits:
    """What one session may ask for."""

    max_layers: int = 8
    max_neurons: int = 16
    max_points: int = 5000


class ConfigError(ValueError):
    """A setting that cannot be applied: `field` names it, `message` says what is allowed."""

    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


def numbers(limits: Limits) -> dict[str, Param]:
    """Every plain numeric setting with its default and range."""
    return {
        "points": Param(500, 10, limits.max_points, True),
        "noise": Param(0.0, 0.0, MAX_NOISE),
        "train_ratio": Param(0.5, 0.1, 0.9),
        "seed": Param(0, 0, MAX_SEED, True),
        "classes": Param(3, MIN_CLASSES, MAX_CLASSES, True),
        "leaky_slope": Param(0.01, 0.0, 1.0),
        "init_scale": Param(0.5, 0.001, 5.0),
        "learning_rate": Param(0.03, 1e-6, 10.0),
        "batch_size": Param(10, 1, limits.max_points, True),
        "regularization_rate": Param(0.0, 0.0, 1.0),
    }


CHOICES: dict[str, tuple[str, ...]] = {
    "dataset": tuple(DATASETS),
    "activation": tuple(ACTIVATIONS),
    "loss": tuple(LOSSES),
    "init": tuple(INITIALIZERS),
    "optimizer": tuple(OPTIMIZER_PARAMS),
    "regularization": REGULARIZERS,
    "order": ("random", "sorted"),  # the fixed order of a pass when shuffle is off: as stored, or sorted by label
}
DROPOUT = Param(0.0, 0.0, 0.9)
CLIP_VALUE = Param(1.0, 1e-6, 1000.0)
PATIENCE = Param(50, 1, 10_000, True)


def check_number(field: str, value: Any, spec: Param) -> int | float:
    """value as an int or float inside spec's range, else ConfigError naming the range."""
    kind = "an integer" if spec.integer else "a number"
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (spec.integer and value != int(value)):
        raise ConfigError(field, f"must be {kind} from {spec.low:g} to {spec.high:g}, got {value!r}")
    if not spec.low <= value <= spec.high:
        raise ConfigError(field, f"must be from {spec.low:g} to {spec.high:g}, got {value!r}")
    return int(value) if spec.integer else float(value)


def check_choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    """value if it is one of the allowed names, else ConfigError listing them."""
    if not isinstance(value, str) or value not in allowed:
        raise ConfigError(field, f"must be one of {', '.join(allowed)}; got {value!r}")
    return value


def check_params(field: str, given: Any, specs: dict[str, Param], base: dict[str, Any]) -> dict[str, Any]:
    """An object of named numbers: base updated from given, each checked against its spec."""
    if not isinstance(given, dict):
        raise ConfigError(field, f"must be an object with keys from {', '.join(specs) or '(none)'}")
    out = dict(base)
    for key, value in given.items():
        if key not in specs:
            raise ConfigError(f"{field}.{key}", f"is not a parameter here; allowed: {', '.join(specs) or '(none)'}")
        out[key] = check_number(f"{field}.{key}", value, specs[key])
    return out


def per_layer(field: str, value: Any, n_layers: int, check) -> Any:
    """One value for all hidden layers, or a list with one per hidden layer."""
    if isinstance(value, list):
        if len(value) != n_layers:
            raise ConfigError(field, f"a list needs one entry per hidden layer ({n_layers}), got {len(value)}")
        return [check(field, v) for v in value]
    return check(field, value)


def layer_map(old: list[int], new: list[int]) -> list[int | None] | None:
    """Which old hidden layer each new one comes from when exactly one layer was inserted or removed, else None."""
    if len(new) == len(old) + 1:
        at = [i for i in range(len(new)) if new[:i] + new[i + 1 :] == old]
        if at:
            return [*range(at[-1]), None, *range(at[-1], len(old))]
    if len(new) == len(old) - 1:
        at = [i for i in range(len(old)) if old[:i] + old[i + 1 :] == new]
        if at:
            return [j for j in range(len(old)) if j != at[-1]]
    return None


def follow_layers(field: str, value: Any, old: list[int], new: list[int]) -> Any:
    """A per-layer list carried across a layers change: kept layers keep their entry, a new one copies a neighbour's.

    With no hidden layer left the list becomes its last entry, a single value for whatever layers come next.
    """
    if not isinstance(value, list) or old == new:
        return value
    if not new or not value:
        return value[-1] if value else DEFAULT_CONFIG[field]
    sources = layer_map(old, new) or [j if j < len(old) else None for j in range(len(new))]
    out, last = [], value[0]
    for j, source in enumerate(sources):
        if source is None:
            later = [s for s in sources[j:] if s is not None]
            out.append(last if j or not later else value[later[0]])
        else:
            last = value[source]
            out.append(last)
    return out


def validate(config: dict[str, Any], patch: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """The full config after patch, every field checked first; ConfigError (nothing applied) on the first bad one."""
    if not isinstance(patch, dict):
        raise ConfigError("config", "must be an object of settings")
    unknown = [k for k in patch if k not in DEFAULT_CONFIG]
    if unknown:
        raise ConfigError(unknown[0], f"is not a setting; settings are {', '.join(DEFAULT_CONFIG)}")
    new = copy.deepcopy(config)
    specs = numbers(limits)
    for key in [k for k in DEFAULT_CONFIG if k in patch]:  # in the table's order, so the first error is stable
        if key in specs:
            new[key] = check_number(key, patch[key], specs[key])
        elif key in CHOICES and key != "activation":
            new[key] = check_choice(key, patch[key], CHOICES[key])
    if "shuffle" in patch:
        if not isinstance(patch["shuffle"], bool):
            raise ConfigError("shuffle", "must be true or false")
        new["shuffle"] = patch["shuffle"]
    if "features" in patch:
        names = patch["features"]
        valid = isinstance(names, list) and names and all(isinstance(n, str) and n in FEATURES for n in names)
        if not valid or len(set(names)) < len(names):
            raise ConfigError("features", f"must be a non-empty list of distinct names from {', '.join(FEATURES)}")
        new["features"] = [n for n in FEATURES if n in names]
    if "layers" in patch:
        layers = patch["layers"]
        width = Param(4, 1, limits.max_neurons, True)
        if not isinstance(layers, list) or len(layers) > limits.max_layers:
            raise ConfigError("layers", f"must be a list of 0 to {limits.max_layers} layer widths")
        new["layers"] = [check_number("layers", n, width) for n in layers]
    checks = {"activation": lambda f, v: check_choice(f, v, CHOICES["activation"]),
              "dropout": lambda f, v: check_number(f, v, DROPOUT)}  # fmt: skip
    for key, check in checks.items():
        value = patch[key] if key in patch else follow_layers(key, new[key], config["layers"], new["layers"])
        new[key] = per_layer(key, value, len(new["layers"]), check)
    kind = DATASETS[new["dataset"]].kind
    if new["dataset"] != config["dataset"] and "points" not in patch:
        if config["points"] == DATASETS[config["dataset"]].default_points:
            new["points"] = DATASETS[new["dataset"]].default_points
    if kind not in LOSSES[new["loss"]].problems:
        suits = [name for name, loss in LOSSES.items() if kind in loss.problems]
        if "loss" in patch:
            raise ConfigError("loss", f"{new['loss']} does not suit a {kind} problem; choose from {', '.join(suits)}")
        new["loss"] = DEFAULT_LOSS[kind]
    optimizer_specs = OPTIMIZER_PARAMS[new["optimizer"]]
    if new["optimizer"] != config["optimizer"]:
        new["optimizer_params"] = {k: p.default for k, p in optimizer_specs.items()}
    if "optimizer_params" in patch:
        new["optimizer_params"] = check_params(
            "optimizer_params", patch["optimizer_params"], optimizer_specs, new["optimizer_params"]
        )
    if "schedule" in patch:
        given = patch["schedule"]
        if not isinstance(given, dict):
            raise ConfigError("schedule", f"must be an object with a name from {', '.join(SCHEDULES)}")
        name = check_choice("schedule.name", given.get("name", config["schedule"]["name"]), tuple(SCHEDULES))
        schedule = SCHEDULES[name]
        base = config["schedule"] if name == config["schedule"]["name"] else {"name": name, **schedule.defaults()}
        rest = {k: v for k, v in given.items() if k != "name"}
        new["schedule"] = {"name": name, **check_params("schedule", rest, schedule.params, base)}
    if "clip" in patch:
        given = patch["clip"] if isinstance(patch["clip"], dict) else None
        if given is None or not set(given) <= {"mode", "value"}:
            raise ConfigError("clip", f"must be an object {{mode: {' | '.join(CLIP_MODES)}, value: number}}")
        mode = check_choice("clip.mode", given.get("mode", config["clip"]["mode"]), CLIP_MODES)
        value = check_number("clip.value", given.get("value", config["clip"]["value"]), CLIP_VALUE)
        new["clip"] = {"mode": mode, "value": value}
    if "early_stopping" in patch:
        given = patch["early_stopping"] if isinstance(patch["early_stopping"], dict) else None
        if given is None or not set(given) <= {"enabled", "patience"}:
            raise ConfigError("early_stopping", "must be an object {enabled: true | false, patience: epochs}")
        enabled = given.get("enabled", config["early_stopping"]["enabled"])
        if not isinstance(enabled, bool):
            raise ConfigError("early_stopping.enabled", "must be true or false")
        patience = check_number("early_stopping.patience", given.get("patience", config["early_stopping"]["patience"]),
                                PATIENCE)  # fmt: skip
        new["early_stopping"] = {"enabled": enabled, "patience": patience}
    return new


def options(limits: Limits | None = None) -> dict[str, Any]:
    """Every setting with its allowed values or range and default, and every registry: the single source for UIs."""
    limits = limits or Limits()
    config: dict[str, Any] = {key: {"type": "choice", "values": list(values), "default": DEFAULT_CONFIG[key]}
                              for key, values in CHOICES.items()}  # fmt: skip
    config.update({key: {**spec.as_dict(), "default": DEFAULT_CONFIG[key]} for key, spec in numbers(limits).items()})
    config["activation"]["per_layer"] = True
    config["shuffle"] = {"type": "bool", "default": True}
    config["features"] = {"type": "subset", "values": list(FEATURES), "default": DEFAULT_CONFIG["features"]}
    config["layers"] = {"type": "layers", "max_layers": limits.max_layers, "min_neurons": 1,
                        "max_neurons": limits.max_neurons, "default": DEFAULT_CONFIG["layers"]}  # fmt: skip
    config["dropout"] = {**DROPOUT.as_dict(), "per_layer": True}
    config["optimizer_params"] = {"type": "object", "see": "optimizers", "default": DEFAULT_CONFIG["optimizer_params"]}
    config["schedule"] = {"type": "object", "see": "schedules", "default": DEFAULT_CONFIG["schedule"]}
    config["clip"] = {"type": "object", "mode": {"values": list(CLIP_MODES), "default": "none"},
                      "value": CLIP_VALUE.as_dict(), "default": DEFAULT_CONFIG["clip"]}  # fmt: skip
    config["early_stopping"] = {"type": "object", "enabled": {"type": "bool", "default": False},
                                "patience": PATIENCE.as_dict(), "default": DEFAULT_CONFIG["early_stopping"]}
    return {
        "config": {key: config[key] for key in DEFAULT_CONFIG},
        "datasets": {name: {"kind": d.kind, "title": d.title, "description": d.description,
                            "default_points": d.default_points} for name, d in DATASETS.items()},  # fmt: skip
        "features": {name: {"title": f.title} for name, f in FEATURES.items()},
        "activations": list(ACTIVATIONS),
        "losses": {name: {"problems": list(loss.problems), "outputs": dict(loss.outputs),
                          "default_for": [k for k, v in DEFAULT_LOSS.items() if v == name]}
                   for name, loss in LOSSES.items()},  # fmt: skip
        "initializers": list(INITIALIZERS),
        "optimizers": {name: {k: p.as_dict() for k, p in specs.items()} for name, specs in OPTIMIZER_PARAMS.items()},
        "schedules": {name: {k: p.as_dict() for k, p in s.params.items()} for name, s in SCHEDULES.items()},
        "regularization": list(REGULARIZERS),
        "clip_modes": list(CLIP_MODES),
        "limits": asdict(limits),
    }
