"""Features against direct computation; grid orientation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.data.features import FEATURES, canonical, feature_map, feature_maps, grid_inputs, grid_points, transform

POINTS = np.array([[0.0, 0.0], [6.0, -6.0], [-3.0, 1.5], [np.pi / 2, -np.pi]])

EXPECTED = {
    "x1": [0.0, 1.0, -0.5, np.pi / 12],
    "x2": [0.0, -1.0, 0.25, -np.pi / 6],
    "x1_sq": [0.0, 1.0, 0.25, (np.pi / 12) ** 2],
    "x2_sq": [0.0, 1.0, 0.0625, (np.pi / 6) ** 2],
    "x1_x2": [0.0, -1.0, -0.125, -(np.pi**2) / 72],
    "sin_x1": [0.0, np.sin(6.0), np.sin(-3.0), 1.0],
    "sin_x2": [0.0, np.sin(-6.0), np.sin(1.5), 0.0],
}


def test_registry_order_is_canonical():
    assert list(FEATURES) == ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]
    assert all(f.title for f in FEATURES.values())


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_feature_against_direct_values(name):
    column = transform(POINTS, [name])
    assert column.shape == (4, 1) and column.dtype == np.float32
    np.testing.assert_allclose(column[:, 0], EXPECTED[name], atol=1e-6)


def test_transform_keeps_the_order_given_and_stays_in_unit_range():
    names = ["sin_x2", "x1", "x1_x2"]
    out = transform(POINTS, names)
    np.testing.assert_allclose(out, np.column_stack([EXPECTED[n] for n in names]), atol=1e-6)
    everywhere = transform(grid_points(50), list(FEATURES))
    assert np.all(np.abs(everywhere) <= 1.0)


def test_canonical_sorts_and_rejects():
    assert canonical(["sin_x1", "x1"]) == ["x1", "sin_x1"]
    for bad, words in [([], "at least one"), (["x3"], "unknown feature 'x3'"), (["x1", "x1"], "twice")]:
        with pytest.raises(ValueError, match=words):
            canonical(bad)


def test_grid_is_row_major_from_top_left_at_cell_centres():
    g = 4
    points = grid_points(g)
    step = 12 / g
    assert points.shape == (16, 2)
    np.testing.assert_allclose(points[0], [-6 + step / 2, 6 - step / 2])  # top-left
    np.testing.assert_allclose(points[g - 1], [6 - step / 2, 6 - step / 2])  # top-right
    np.testing.assert_allclose(points[-1], [6 - step / 2, -6 + step / 2])  # bottom-right
    rows = points.reshape(g, g, 2)
    assert np.all(np.diff(rows[:, :, 0], axis=1) > 0)  # x grows to the right
    assert np.all(np.diff(rows[:, :, 1], axis=0) < 0)  # y falls going down


def test_feature_maps_match_transform_of_the_grid():
    maps = feature_maps(list(FEATURES), 25)
    assert maps.shape == (7, 625) and maps.dtype == np.float32
    expected = transform(grid_points(25), list(FEATURES)).T
    np.testing.assert_array_equal(maps, expected)
    np.testing.assert_array_equal(feature_map("x2", 25), expected[1])
    assert feature_map("x2", 25)[0] > 0 > feature_map("x2", 25)[-1]  # top row is y > 0


def test_grid_arrays_are_cached_and_read_only():
    a = grid_inputs(("x1", "x2"), 100)
    assert a is grid_inputs(("x1", "x2"), 100)
    assert a.shape == (10000, 2)
    with pytest.raises(ValueError):
        a[0, 0] = 1.0


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(-6, 6), st.floats(-6, 6)), min_size=1, max_size=20))
def test_all_features_against_their_formulas_at_any_points(rows):
    points = np.array(rows)
    x, y = points[:, 0], points[:, 1]
    expected = np.column_stack([x / 6, y / 6, x * x / 36, y * y / 36, x * y / 36, np.sin(x), np.sin(y)])
    np.testing.assert_allclose(transform(points, list(FEATURES)), expected, atol=1e-6)
