"""The trainer's configuration, derived from engine.schema: defaults, whole-patch validation, the options UIs read."""

from __future__ import annotations

import copy
import math
from dataclasses import asdict
from typing import Any

from engine.data.datasets import DATASETS
from engine.data.features import FEATURES
from engine.nn.activations import ACTIVATIONS
from engine.nn.initializers import INITIALIZERS
from engine.nn.losses import LOSSES
from engine.optim.optimizers import OPTIMIZER_PARAMS, Param
from engine.optim.schedules import SCHEDULES
from engine.schema import FIELD, RESETS, SETTING, SETTINGS, Limits, Setting, When, defaults

__all__ = ["DEFAULT_CONFIG", "RESETS", "SETTINGS", "ConfigError", "Limits", "Setting", "When", "options", "validate"]

DEFAULT_CONFIG: dict[str, Any] = defaults()


class ConfigError(ValueError):
    """A setting that cannot be applied: `field` names it, `message` says what is allowed."""

    def __init__(self, field: str | None, message: str) -> None:
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}" if field else message)


def as_param(setting: Setting, limits: Limits) -> Param:
    """A numeric setting's default and range as a Param, limit names resolved."""
    low, high = setting.bounds(limits)
    return Param(setting.default, low, high, setting.type == "int")


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


def _scalar(key: str, setting: Setting, value: Any, limits: Limits) -> Any:
    """One plain value (number, choice or bool) checked against its setting."""
    if setting.type in ("float", "int"):
        return check_number(key, value, as_param(setting, limits))
    if setting.type == "choice":
        return check_choice(key, value, setting.values)
    if not isinstance(value, bool):
        raise ConfigError(key, "must be true or false")
    return value


def validate(config: dict[str, Any], patch: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """The full config after patch, every field checked first; ConfigError (nothing applied) on the first bad one."""
    if not isinstance(patch, dict):
        raise ConfigError("config", "must be an object of settings")
    unknown = [k for k in patch if k not in SETTING]
    if unknown:
        raise ConfigError(unknown[0], f"is not a setting; settings are {', '.join(SETTING)}")
    new = copy.deepcopy(config)
    for setting in SETTINGS:  # in the table's order, so the first error is stable
        key = setting.name
        if key in patch and setting.type in ("float", "int", "choice", "bool") and not setting.per_layer:
            new[key] = _scalar(key, setting, patch[key], limits)
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
    for setting in (s for s in SETTINGS if s.per_layer):
        key = setting.name
        value = patch[key] if key in patch else follow_layers(key, new[key], config["layers"], new["layers"])
        new[key] = per_layer(key, value, len(new["layers"]), lambda f, v, s=setting: _scalar(f, s, v, limits))
    dataset = DATASETS[new["dataset"]]
    if new["dataset"] != config["dataset"] and "points" not in patch:
        if config["points"] == DATASETS[config["dataset"]].default_points:
            new["points"] = dataset.default_points
    if dataset.kind not in LOSSES[new["loss"]].problems:
        suits = [name for name, loss in LOSSES.items() if dataset.kind in loss.problems]
        if "loss" in patch:
            raise ConfigError("loss", f"{new['loss']} does not suit a {dataset.kind} problem; choose from "
                              f"{', '.join(suits)}")
        new["loss"] = dataset.default_loss
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
        name = _scalar("schedule.name", FIELD["schedule.name"], given.get("name", config["schedule"]["name"]), limits)
        schedule = SCHEDULES[name]
        base = config["schedule"] if name == config["schedule"]["name"] else {"name": name, **schedule.defaults()}
        rest = {k: v for k, v in given.items() if k != "name"}
        new["schedule"] = {"name": name, **check_params("schedule", rest, schedule.params, base)}
    for setting in (s for s in SETTINGS if s.type == "object" and s.name != "schedule" and s.name in patch):
        key, given = setting.name, patch[setting.name]
        names = [f.name for f in setting.fields]
        if not isinstance(given, dict) or not set(given) <= set(names):
            raise ConfigError(key, "must be an object {" + ", ".join(f"{f.name}: {_shape(f)}" for f in setting.fields)
                              + "}")
        new[key] = {f.name: _scalar(f"{key}.{f.name}", f, given.get(f.name, config[key][f.name]), limits)
                    for f in setting.fields}  # fmt: skip
    return new


def _shape(setting: Setting) -> str:
    """A field's allowed values in a few words, for an object's error message."""
    if setting.type == "choice":
        return " | ".join(setting.values)
    return "true | false" if setting.type == "bool" else setting.unit or "number"


def options(limits: Limits | None = None) -> dict[str, Any]:
    """Every setting with its allowed values or range and default, and every registry: the single source for UIs."""
    limits = limits or Limits()
    return {
        "config": {s.name: s.as_dict(limits) for s in SETTINGS},
        "resets": dict(RESETS),
        "datasets": {name: {"kind": d.kind, "title": d.title, "description": d.description, "domain": d.domain,
                            "default_points": d.default_points, "default_loss": d.default_loss}
                     for name, d in DATASETS.items()},  # fmt: skip
        "features": {name: {"title": f.title} for name, f in FEATURES.items()},
        "activations": {name: {"range": list(a.range) if a.range else None, "can_die": a.can_die, "leaky": a.leaky}
                        for name, a in ACTIVATIONS.items()},  # fmt: skip
        "losses": {name: {"problems": list(loss.problems), "outputs": dict(loss.outputs),
                          "default_for": sorted({d.kind for d in DATASETS.values() if d.default_loss == name})}
                   for name, loss in LOSSES.items()},  # fmt: skip
        "initializers": list(INITIALIZERS),
        "optimizers": {name: {k: p.as_dict() for k, p in specs.items()} for name, specs in OPTIMIZER_PARAMS.items()},
        "schedules": {name: {k: p.as_dict() for k, p in s.params.items()} for name, s in SCHEDULES.items()},
        "regularization": list(SETTING["regularization"].values),
        "clip_modes": list(FIELD["clip.mode"].values),
        "limits": asdict(limits),
    }
