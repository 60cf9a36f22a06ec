"""L1/L2 penalties (gradient by finite differences) and clipping against their formulas."""

from __future__ import annotations

import numpy as np
import pytest

from engine.nn.regularization import add_penalty, clip, clip_by_norm, clip_by_value, penalty

PARAMS = np.array([0.5, -1.5, 2.0, 0.25, -0.75], dtype=np.float32)
MASK = np.array([1, 1, 1, 0, 0], dtype=np.float32)  # the last two are biases


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_penalty_gradient_matches_finite_differences(kind: str) -> None:
    rate, h = 0.3, 1e-4
    grads = np.zeros_like(PARAMS)
    value = add_penalty(PARAMS, grads, MASK, kind, rate, np.empty_like(PARAMS))
    assert value == pytest.approx(penalty(PARAMS, MASK, kind, rate), rel=1e-6)
    base = PARAMS.astype(np.float64)
    for i in range(len(base)):
        up, down = base.copy(), base.copy()
        up[i] += h
        down[i] -= h
        numeric = (penalty(up, MASK, kind, rate) - penalty(down, MASK, kind, rate)) / (2 * h)
        assert grads[i] == pytest.approx(numeric, abs=1e-5)
    assert grads[3] == grads[4] == 0, "biases are not penalised"


def test_penalty_values() -> None:
    assert penalty(PARAMS, MASK, "l1", 0.1) == pytest.approx(0.1 * (0.5 + 1.5 + 2.0))
    assert penalty(PARAMS, MASK, "l2", 0.1) == pytest.approx(0.1 * 0.5 * (0.25 + 2.25 + 4.0))
    assert penalty(PARAMS, MASK, "none", 0.1) == 0.0


def test_penalty_gradient_adds_to_existing_grads() -> None:
    grads = np.ones_like(PARAMS)
    add_penalty(PARAMS, grads, MASK, "l2", 0.5, np.empty_like(PARAMS))
    np.testing.assert_allclose(grads, [1.25, 0.25, 2.0, 1.0, 1.0])


def test_clip_by_value() -> None:
    g = np.array([3.0, -0.5, -7.0, 0.1], dtype=np.float32)
    clip_by_value(g, 1.0)
    np.testing.assert_array_equal(g, np.float32([1.0, -0.5, -1.0, 0.1]))


def test_clip_by_norm_scales_to_max_norm() -> None:
    g = np.array([3.0, 4.0], dtype=np.float32)  # norm 5
    assert clip_by_norm(g, 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(g, [0.6, 0.8], rtol=1e-5)
    small = np.array([0.3, 0.4], dtype=np.float32)
    clip_by_norm(small, 1.0)
    np.testing.assert_array_equal(small, np.float32([0.3, 0.4]))


def test_clip_modes() -> None:
    g = np.array([3.0, 4.0], dtype=np.float32)
    clip(g, "none", 1.0)
    np.testing.assert_array_equal(g, [3.0, 4.0])
    clip(g, "norm", 2.5)
    np.testing.assert_allclose(g, [1.5, 2.0], rtol=1e-5)
    clip(g, "value", 1.8)
    np.testing.assert_allclose(g, [1.5, 1.8], rtol=1e-6)
