"""Generators: shapes, domain, balance, determinism, and noise measured as class overlap."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data.datasets import DATASETS, DOMAIN, MAX_CLASSES, MIN_CLASSES, class_sizes, multi_gauss_target

CLASSIFIERS = [name for name, d in DATASETS.items() if d.kind != "regression"]
REGRESSORS = [name for name, d in DATASETS.items() if d.kind == "regression"]


def draw(name: str, n: int = 400, noise: float = 0.0, seed: int = 0, classes: int = 3):
    return DATASETS[name](n, noise, np.random.default_rng(seed), classes)


def nearest_neighbour(points: np.ndarray) -> np.ndarray:
    """Index of each point's nearest other point (plain numpy, all pairs)."""
    d2 = ((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(d2, np.inf)
    return d2.argmin(axis=1)


def test_registry_entries_are_complete():
    assert set(CLASSIFIERS) == {"circle", "xor", "gauss", "spiral", "moons", "spiral_k", "blobs_k"}
    assert set(REGRESSORS) == {"plane", "multi_gauss"}
    for name, d in DATASETS.items():
        assert d.name == name and d.title and d.description and d.kind in ("binary", "multiclass", "regression")
        assert d.default_points == (1200 if d.kind == "regression" else 500)
    assert DATASETS["spiral_k"].n_classes(4) == 4 and DATASETS["xor"].n_classes(4) == 2
    assert DATASETS["plane"].n_classes() == 0


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_shapes_dtypes_and_domain(name, noise):
    points, labels = draw(name, n=301, noise=noise)
    assert points.shape == (301, 2) and labels.shape == (301,)
    assert np.all(np.abs(points) < DOMAIN)  # inside, and never piled up on the border by clipping
    if DATASETS[name].kind == "regression":
        assert labels.dtype == np.float64 and np.all(np.abs(labels) <= 1.0)
    else:
        assert labels.dtype == np.int64


@pytest.mark.parametrize("name", CLASSIFIERS)
@pytest.mark.parametrize("classes", range(MIN_CLASSES, MAX_CLASSES + 1))
def test_classes_are_balanced_without_noise(name, classes):
    k = DATASETS[name].n_classes(classes)
    _, labels = draw(name, n=503, classes=classes)
    counts = np.bincount(labels, minlength=k)
    assert len(counts) == k
    assert counts.max() - counts.min() <= 1 and counts.sum() == 503


@pytest.mark.parametrize("name", ["circle", "xor"])
def test_label_noise_keeps_rough_balance(name):
    _, labels = draw(name, n=2000, noise=0.5)
    assert 0.3 < labels.mean() < 0.7


@pytest.mark.parametrize("name", list(DATASETS))
def test_same_seed_same_data_other_seed_other_data(name):
    a, b, c = draw(name, noise=0.3, seed=7), draw(name, noise=0.3, seed=7), draw(name, noise=0.3, seed=8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_generators_leave_global_random_state_alone():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    for name in DATASETS:
        draw(name, noise=0.3)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_more_noise_more_class_overlap(name):
    """Disagreement of a 1-nearest-neighbour classifier rises with noise (mean of 3 seeds)."""

    def disagreement(noise: float) -> float:
        rates = []
        for seed in range(3):
            points, labels = draw(name, n=400, noise=noise, seed=seed)
            rates.append(np.mean(labels != labels[nearest_neighbour(points)]))
        return float(np.mean(rates))

    clean, some, lots = disagreement(0.0), disagreement(0.25), disagreement(0.5)
    assert clean < 0.05
    assert clean < some < lots
    assert lots - clean > 0.03


@pytest.mark.parametrize("name", REGRESSORS)
def test_more_noise_more_neighbour_disagreement_regression(name):
    def mean_gap(noise: float) -> float:
        points, target = draw(name, n=600, noise=noise)
        return float(np.mean(np.abs(target - target[nearest_neighbour(points)])))

    assert mean_gap(0.0) < mean_gap(0.25) < mean_gap(0.5)


def test_targets_follow_their_formulas_without_noise():
    points, target = draw("plane", n=200)
    np.testing.assert_allclose(target, (points[:, 0] + points[:, 1]) / 12.0)
    points, target = draw("multi_gauss", n=200)
    np.testing.assert_allclose(target, multi_gauss_target(points))
    assert multi_gauss_target(np.array([[-4.0, 2.5], [0.0, 2.5], [0.0, -1.0], [6.0, 0.0]])) == pytest.approx(
        [1.0, -1.0, 0.25, 0.0]
    )


def test_circle_and_xor_labels_follow_geometry_without_noise():
    points, labels = draw("circle", n=300)
    np.testing.assert_array_equal(labels, np.hypot(points[:, 0], points[:, 1]) < 2.5)
    points, labels = draw("xor", n=300)
    np.testing.assert_array_equal(labels, points[:, 0] * points[:, 1] > 0)
    assert np.all(np.abs(points) >= 0.3)


def test_class_sizes():
    assert class_sizes(10, 3).tolist() == [4, 3, 3]
    assert class_sizes(9, 3).tolist() == [3, 3, 3]
