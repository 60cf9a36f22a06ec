"""A live change in words: what happened to the weights when a setting changed, and what to try next."""

from __future__ import annotations

from typing import Any

from engine.config import layer_map
from engine.views.monitor import event

APPLIES_ON_RESET = ("init", "init_scale")  # they only choose starting weights


def _names(values: list[Any]) -> str:
    return ", ".join(str(v) for v in values)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _layers(old: list[int], new: list[int]) -> str:
    """What a change of the hidden layers did to the weights."""
    sources = layer_map(old, new)
    if sources is not None and len(new) > len(old):
        j = sources.index(None)
        return (f"Hidden layer {j + 1} ({new[j]} neurons) was added with fresh random weights into and out of it; "
                "every other weight was kept.")  # fmt: skip
    if sources is not None:
        j = next(k for k in range(len(old)) if k not in sources)
        return (f"Hidden layer {j + 1} was removed; the weights that now join its neighbours are fresh, every other "
                "weight was kept.")  # fmt: skip
    if len(old) == len(new):
        parts = []
        for j, (a, b) in enumerate(zip(old, new, strict=True)):
            if b > a:
                parts.append(f"layer {j + 1} gained {b - a} neuron{'s' if b - a > 1 else ''} with fresh random weights")
            elif b < a:
                parts.append(f"layer {j + 1} lost {a - b} neuron{'s' if a - b > 1 else ''} and their weights")
        return "Hidden " + "; ".join(parts) + "; every other weight was kept."
    return (f"The hidden layers went from {_names(old) or 'none'} to {_names(new) or 'none'}: weights between layers "
            "that kept their place were kept, the others are fresh random values.")  # fmt: skip


def describe(old: dict[str, Any], new: dict[str, Any], trained: bool) -> list[dict[str, Any]]:
    """`changed` events (field, message) for the settings that touch the weights, and `applies_on_reset` for the
    initialiser. Nothing when nothing was trained yet (`trained` False): then the page's Reset is no loss."""
    events: list[dict[str, Any]] = []
    if not trained:
        return events
    for key in APPLIES_ON_RESET:
        if new[key] != old[key]:
            events.append(event("applies_on_reset", f"The initialiser only chooses the starting weights: "
                                f"{new['init']} applies at the next Reset. The current weights were kept.",
                                field=key, action="reset"))  # fmt: skip
    if new["layers"] != old["layers"]:
        events.append(event("changed", _layers(old["layers"], new["layers"]), field="layers"))
    if new["features"] != old["features"]:
        added = [f for f in new["features"] if f not in old["features"]]
        removed = [f for f in old["features"] if f not in new["features"]]
        words = ([f"input {_names(added)} added with fresh weights"] if added else []) + (
            [f"input {_names(removed)} removed with its weights"] if removed else [])
        events.append(event("changed", "The " + " and ".join(words) + "; every other weight was kept.",
                            field="features"))
    if new["activation"] != old["activation"]:
        now, before = _names(_listed(new["activation"])), _names(_listed(old["activation"]))
        events.append(event("changed", f"The hidden units now use {now} instead of {before}. The weights were kept, "
                            "but they were learnt for the old function, so the loss can jump until the network adapts "
                            "(or press Reset).", field="activation"))  # fmt: skip
    if new["optimizer"] != old["optimizer"]:
        events.append(event("changed", f"The optimizer is now {new['optimizer']}: the weights were kept; its memory "
                            "(momentum, running averages) starts empty.", field="optimizer"))  # fmt: skip
    return events
