"""Input features computed from the raw points, each scaled into [-1, 1], and the grids they are drawn on."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from engine.data.datasets import DOMAIN


@dataclass(frozen=True)
class Feature:
    """A named input column `fn(x, y)` of raw coordinates, with the label the page shows; `code` is the same
    column as a NumPy expression of x and y for an exported run (engine.export)."""

    name: str
    title: str
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray]
    code: str


FEATURES: dict[str, Feature] = {
    f.name: f
    for f in [
        Feature("x1", "X₁", lambda x, y: x / DOMAIN, "x / DOMAIN"),
        Feature("x2", "X₂", lambda x, y: y / DOMAIN, "y / DOMAIN"),
        Feature("x1_sq", "X₁²", lambda x, y: (x / DOMAIN) ** 2, "(x / DOMAIN) ** 2"),
        Feature("x2_sq", "X₂²", lambda x, y: (y / DOMAIN) ** 2, "(y / DOMAIN) ** 2"),
        Feature("x1_x2", "X₁X₂", lambda x, y: (x / DOMAIN) * (y / DOMAIN), "(x / DOMAIN) * (y / DOMAIN)"),
        Feature("sin_x1", "sin(X₁)", lambda x, y: np.sin(x), "np.sin(x)"),
        Feature("sin_x2", "sin(X₂)", lambda x, y: np.sin(y), "np.sin(y)"),
    ]
}


def canonical(names: Iterable[str]) -> list[str]:
    """The names in registry order; ValueError if empty, repeated or unknown."""
    names = list(names)
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise ValueError(f"unknown feature {unknown[0]!r}; choose from {', '.join(FEATURES)}")
    if not names:
        raise ValueError("choose at least one feature")
    if len(set(names)) != len(names):
        raise ValueError("a feature is listed twice")
    return [n for n in FEATURES if n in names]


def transform(points: np.ndarray, names: Iterable[str]) -> np.ndarray:
    """Feature matrix (n, k) float32 of raw (n, 2) points, one column per name in the order given."""
    names = list(names)
    points = np.asarray(points, dtype=np.float64)
    x, y = points[:, 0], points[:, 1]
    out = np.empty((len(points), len(names)), dtype=np.float32)
    for j, name in enumerate(names):
        out[:, j] = FEATURES[name].fn(x, y)
    return out


def grid_axes(g: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre coordinates of a g×g grid: xs left (−DOMAIN) to right (+DOMAIN), ys top to bottom."""
    centres = -DOMAIN + (np.arange(g) + 0.5) * (2 * DOMAIN / g)
    return centres, centres[::-1].copy()


@lru_cache(maxsize=8)
def grid_points(g: int) -> np.ndarray:
    """(g*g, 2) raw points of a g×g grid, row-major: row 0 is the top (y near +DOMAIN), column 0 the left."""
    xs, ys = grid_axes(g)
    gx, gy = np.meshgrid(xs, ys)  # (g, g): [row, col] = (xs[col], ys[row])
    points = np.column_stack([gx.ravel(), gy.ravel()])
    points.flags.writeable = False
    return points


@lru_cache(maxsize=32)
def grid_inputs(names: tuple[str, ...], g: int) -> np.ndarray:
    """(g*g, k) float32 features on the g×g grid (cached, read-only); names as a tuple."""
    out = transform(grid_points(g), names)
    out.flags.writeable = False
    return out


def feature_map(name: str, g: int = 25) -> np.ndarray:
    """(g*g,) float32 values of one feature on the g×g grid, row-major from the top-left corner."""
    return grid_inputs((name,), g)[:, 0]


def feature_maps(names: Iterable[str], g: int = 25) -> np.ndarray:
    """(k, g*g) float32, one row per feature: the small maps the page draws beside each input."""
    return np.ascontiguousarray(grid_inputs(tuple(names), g).T)
