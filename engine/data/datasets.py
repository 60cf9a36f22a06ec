"""Data generators `(n, noise, rng) -> (points, labels)` over the domain [-6, 6]², registered by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DOMAIN = 6.0
MAX_NOISE = 0.5
MIN_CLASSES, MAX_CLASSES, DEFAULT_CLASSES = 3, 5, 3
MIN_POINTS = 10
MIN_TRAIN_RATIO, MAX_TRAIN_RATIO = 0.1, 0.9
MAX_SEED = 2**31 - 1
DEFAULT_LOSS = {"binary": "mse", "multiclass": "softmax_ce", "regression": "mse"}  # per kind

Points = np.ndarray  # (n, 2) float64
Labels = np.ndarray  # (n,) int64 class index, or float64 target in [-1, 1]


def class_sizes(n: int, classes: int) -> np.ndarray:
    """Split n into `classes` counts that differ by at most one (the first classes get the remainder)."""
    return n // classes + (np.arange(classes) < n % classes)


def _class_labels(n: int, classes: int) -> np.ndarray:
    return np.repeat(np.arange(classes), class_sizes(n, classes))


def _gaussian_around(centres: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """centres (n, 2) plus N(0, std²) noise, drawn again wherever a point falls outside the domain."""
    points = centres + rng.normal(0.0, std, centres.shape)
    outside = np.any(np.abs(points) > DOMAIN, axis=1)
    while outside.any():
        points[outside] = centres[outside] + rng.normal(0.0, std, (int(outside.sum()), 2))
        outside = np.any(np.abs(points) > DOMAIN, axis=1)
    return points


def circle(n: int, noise: float, rng: np.random.Generator) -> tuple[Points, Labels]:
    """Class 1 inside radius 2.5, class 0 on the ring 3.5–5; noise moves where a point is judged, not where it sits."""
    labels = 1 - _class_labels(n, 2)
    r = np.where(labels == 1, rng.uniform(0.0, 2.5, n), rng.uniform(3.5, 5.0, n))
    angle = rng.uniform(0.0, 2 * np.pi, n)
    points = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    judged = points + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    return points, (np.hypot(judged[:, 0], judged[:, 1]) < 2.5).astype(np.int64)


def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[Points, Labels]:
    """Class 1 where x·y > 0 (quadrants I and III), class 0 elsewhere; a 0.3 gap along the axes."""
    labels = 1 - _class_labels(n, 2)
    sign_x = rng.choice([-1.0, 1.0], n)
    sign_y = np.where(labels == 1, sign_x, -sign_x)
    points = np.column_stack([sign_x, sign_y]) * (rng.uniform(0.0, 5.0, (n, 2)) + 0.3)
    judged = points + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    return points, (judged[:, 0] * judged[:, 1] > 0).astype(np.int64)


def _blob_std(noise: float, low: float, high: float) -> float:
    return float(np.sqrt(low + (high - low) * noise / MAX_NOISE))


def gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[Points, Labels]:
    """Two Gaussian blobs, class 1 around (2, 2) and class 0 around (-2, -2); noise widens them."""
    labels = 1 - _class_labels(n, 2)
    centres = np.where(labels[:, None] == 1, 2.0, -2.0) * np.ones((n, 2))
    return _gaussian_around(centres, _blob_std(noise, 0.5, 4.0), rng), labels


def _spiral_arms(n: int, noise: float, rng: np.random.Generator, classes: int, turns: float) -> tuple[Points, Labels]:
    labels = _class_labels(n, classes)
    sizes = class_sizes(n, classes)
    position = np.concatenate([np.arange(m) / m for m in sizes])  # 0 … 1 along each arm
    r = 5.0 * position
    t = 2 * np.pi * (turns * position + labels / classes)
    points = np.column_stack([r * np.sin(t), r * np.cos(t)]) + rng.uniform(-1.0, 1.0, (n, 2)) * noise  # |x| ≤ 5.5
    return points, labels


def spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[Points, Labels]:
    """Two interleaved spiral arms of 1.75 turns, one per class; noise jitters each point by up to ±noise."""
    points, labels = _spiral_arms(n, noise, rng, 2, 1.75)
    return points, 1 - labels


def moons(n: int, noise: float, rng: np.random.Generator) -> tuple[Points, Labels]:
    """Two interleaving half-moons (class 1 the upper arc); noise adds Gaussian jitter of std 2·noise."""
    labels = 1 - _class_labels(n, 2)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
    unit = np.where(labels[:, None] == 1, upper, lower)
    return _gaussian_around(3.5 * (unit - [0.5, 0.25]), 2.0 * noise, rng), labels


def spiral_k(n: int, noise: float, rng: np.random.Generator, classes: int = DEFAULT_CLASSES) -> tuple[Points, Labels]:
    """K spiral arms of one turn each, arm k is class k; noise jitters each point by up to ±noise."""
    return _spiral_arms(n, noise, rng, classes, 1.0)


def blobs_k(n: int, noise: float, rng: np.random.Generator, classes: int = DEFAULT_CLASSES) -> tuple[Points, Labels]:
    """K Gaussian blobs on a circle of radius 3.5, blob k is class k; noise widens them."""
    labels = _class_labels(n, classes)
    angle = np.pi / 2 + 2 * np.pi * labels / classes
    centres = 3.5 * np.column_stack([np.cos(angle), np.sin(angle)])
    return _gaussian_around(centres, _blob_std(noise, 0.3, 2.5), rng), labels


def plane(n: int, noise: float, rng: np.random.Generator) -> tuple[Points, Labels]:
    """Target (x + y) / 12, a tilted plane; noise shifts where the target is read by up to ±6·noise per axis."""
    points = rng.uniform(-DOMAIN, DOMAIN, (n, 2))
    judged = points + rng.uniform(-DOMAIN, DOMAIN, (n, 2)) * noise
    return points, np.clip(judged.sum(axis=1) / (2 * DOMAIN), -1.0, 1.0)


GAUSSIANS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]])


def multi_gauss_target(points: np.ndarray) -> np.ndarray:
    """Six signed bumps (±1 at the centre, 0 beyond distance 2); the strongest one at each point wins."""
    distance = np.hypot(points[:, None, 0] - GAUSSIANS[:, 0], points[:, None, 1] - GAUSSIANS[:, 1])  # (n, 6)
    bumps = GAUSSIANS[:, 2] * np.clip(1.0 - distance / 2.0, 0.0, 1.0)
    strongest = np.argmax(np.abs(bumps), axis=1)
    return bumps[np.arange(len(points)), strongest]


def multi_gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[Points, Labels]:
    """Six positive and negative bumps in a 3×2 grid; noise shifts where the target is read by up to ±6·noise."""
    points = rng.uniform(-DOMAIN, DOMAIN, (n, 2))
    judged = points + rng.uniform(-DOMAIN, DOMAIN, (n, 2)) * noise
    return points, multi_gauss_target(judged)


@dataclass(frozen=True)
class Dataset:
    """A named generator with its problem kind, a title and a one-line description for students."""

    name: str
    kind: str
    title: str
    description: str
    generate: Callable[..., tuple[Points, Labels]]
    domain: float = DOMAIN  # points lie in [-domain, domain]²

    @property
    def default_loss(self) -> str:
        """The loss a problem of this kind starts with (and falls back to when the chosen one does not suit it)."""
        return DEFAULT_LOSS[self.kind]

    @property
    def default_points(self) -> int:
        """500 points for classification, 1,200 for regression."""
        return 1200 if self.kind == "regression" else 500

    def n_classes(self, classes: int = DEFAULT_CLASSES) -> int:
        """Number of classes: 2 for binary, `classes` (K) for multiclass, 0 for regression."""
        return {"binary": 2, "multiclass": classes, "regression": 0}[self.kind]

    def __call__(
        self, n: int, noise: float, rng: np.random.Generator, classes: int = DEFAULT_CLASSES
    ) -> tuple[Points, Labels]:
        """Draw n points and their labels in random order; `classes` only matters for multiclass datasets."""
        extra = (classes,) if self.kind == "multiclass" else ()
        points, labels = self.generate(n, noise, rng, *extra)
        order = rng.permutation(n)
        return points[order], labels[order]


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset("circle", "binary", "Circle", "One class inside a circle, the other on a ring around it.", circle),
        Dataset("xor", "binary", "Exclusive or", "Same-sign quadrants against opposite-sign quadrants.", xor),
        Dataset("gauss", "binary", "Two blobs", "Two Gaussian clouds, one per class: a straight line splits them.",
                gauss),
        Dataset("spiral", "binary", "Spiral", "Two arms winding round each other: hard for a small network.", spiral),
        Dataset("moons", "binary", "Two moons", "Two interleaving half-circles: the boundary has to bend.", moons),
        Dataset("spiral_k", "multiclass", "K spirals", "K spiral arms, one class each (K from `classes`).", spiral_k),
        Dataset("blobs_k", "multiclass", "K blobs", "K Gaussian clouds on a circle, one class each (K from `classes`).",
                blobs_k),
        Dataset("plane", "regression", "Plane", "Predict a tilted plane, (x + y) / 12: a linear target.", plane),
        Dataset("multi_gauss", "regression", "Six bumps", "Predict six positive and negative bumps.", multi_gauss),
    ]
}
