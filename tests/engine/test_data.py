"""TrainingData: stratified seeded split, user edits, CSV in and out with precise errors and nothing half-applied."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.data.features import transform
from engine.data.points import DataError, TrainingData, parse_csv


def snapshot(data: TrainingData) -> tuple:
    return data.points.copy(), data.labels.copy(), data.is_train.copy(), data.version


def assert_unchanged(data: TrainingData, before: tuple) -> None:
    np.testing.assert_array_equal(data.points, before[0])
    np.testing.assert_array_equal(data.labels, before[1])
    np.testing.assert_array_equal(data.is_train, before[2])
    assert data.version == before[3]


@pytest.mark.parametrize("dataset,classes", [("circle", 2), ("spiral_k", 4), ("blobs_k", 5)])
@pytest.mark.parametrize("ratio", [0.1, 0.3, 0.5, 0.9])
def test_split_is_stratified(dataset, classes, ratio):
    data = TrainingData.generate(dataset, points=503, train_ratio=ratio, classes=max(classes, 3), noise=0.2)
    assert data.classes == classes
    for c in range(classes):
        size = int(np.sum(data.labels == c))
        in_train = int(np.sum(data.train_labels == c))
        assert abs(in_train - ratio * size) <= 0.5
    assert len(data.train_points) + len(data.test_points) == 503


def test_regression_split_takes_the_ratio_of_all_points():
    data = TrainingData.generate("plane", train_ratio=0.3)
    assert data.kind == "regression" and len(data) == 1200 and len(data.train_points) == 360


def test_split_is_reproducible_from_the_seed_and_ratio_only_resplits():
    a, b = TrainingData.generate("xor", seed=5), TrainingData.generate("xor", seed=5)
    np.testing.assert_array_equal(a.is_train, b.is_train)
    assert not np.array_equal(a.is_train, TrainingData.generate("xor", seed=6).is_train)
    points = a.points.copy()
    a.resplit(train_ratio=0.8)
    np.testing.assert_array_equal(a.points, points)
    assert a.is_train.sum() == 400
    np.testing.assert_array_equal(a.is_train, TrainingData.generate("xor", seed=5, train_ratio=0.8).is_train)


def test_generate_defaults_and_limits():
    assert len(TrainingData.generate("circle")) == 500
    assert TrainingData.generate("moons").kind == "binary" and TrainingData.generate("blobs_k").kind == "multiclass"
    with pytest.raises(DataError) as caught:
        TrainingData.generate("circle", points=101, noise=0.6, train_ratio=0.95, seed=-1, classes=6, max_points=100)
    assert caught.value.messages == [
        "points must be from 10 to 100, got 101",
        "noise must be from 0.0 to 0.5, got 0.6",
        "train_ratio must be from 0.1 to 0.9, got 0.95",
        "seed must be from 0 to 2147483647, got -1",
        "classes must be from 3 to 5, got 6",
    ]
    with pytest.raises(DataError, match="unknown dataset 'nope'"):
        TrainingData.generate("nope")


def test_add_point_joins_training_set_and_bumps_version():
    data = TrainingData.generate("circle", points=20)
    version = data.version
    data.add_point(1.5, -2.0, 1)
    assert len(data) == 21 and data.version == version + 1
    assert data.train_points[-1].tolist() == [1.5, -2.0] and data.train_labels[-1] == 1


@pytest.mark.parametrize(
    "x,y,label,message",
    [
        (6.5, 0.0, 1, "x = 6.5 is outside the domain [-6, 6]"),
        (0.0, -7.0, 1, "y = -7 is outside the domain [-6, 6]"),
        (0.0, 0.0, 2, "label 2 is not a class of this problem (0 or 1)"),
        (0.0, 0.0, -1, "label -1 is not a class of this problem (0 or 1)"),
        (0.0, 0.0, 0.5, "label 0.5 is not a class"),
        (0.0, 0.0, "one", "x, y and label must be numbers, got (0.0, 0.0, 'one')"),
        (None, 0.0, 1, "x, y and label must be numbers"),
        (math.nan, 0.0, 1, "x = nan is outside the domain"),
    ],
)
def test_add_point_rejects_bad_points(x, y, label, message):
    data = TrainingData.generate("circle", points=20)
    before = snapshot(data)
    with pytest.raises(DataError) as caught:
        data.add_point(x, y, label)
    assert message in caught.value.messages[0]
    assert_unchanged(data, before)


def test_add_point_regression_range_and_point_limit():
    data = TrainingData.generate("plane", points=10, max_points=10)
    with pytest.raises(DataError, match="already holds 10 points"):
        data.add_point(0.0, 0.0, 0.5)
    data.erase(0.0, 0.0, 100.0)
    with pytest.raises(DataError, match=r"target 1.5 is outside \[-1, 1\]"):
        data.add_point(0.0, 0.0, 1.5)
    data.add_point(0.0, 0.0, -0.25)
    assert data.labels.tolist() == [-0.25]


def test_erase_removes_exactly_the_points_in_the_radius():
    data = TrainingData.generate("gauss", points=300, noise=0.3)
    points = data.points.copy()
    inside = np.sqrt((points[:, 0] - 1.0) ** 2 + (points[:, 1] - 2.0) ** 2) <= 1.5
    assert data.erase(1.0, 2.0, 1.5) == inside.sum() > 0
    np.testing.assert_array_equal(data.points, points[~inside])
    assert data.erase(1.0, 2.0, 1.5) == 0
    for bad in [(math.nan, 0.0, 1.0), (0.0, 0.0, -1.0)]:
        with pytest.raises(DataError, match="erase needs"):
            data.erase(*bad)


@pytest.mark.parametrize("dataset,classes", [("circle", 2), ("spiral_k", 5), ("multi_gauss", 0)])
def test_csv_round_trip_is_exact(dataset, classes):
    data = TrainingData.generate(dataset, points=200, noise=0.3, seed=4, classes=max(classes, 3))
    data.add_point(-6.0, 6.0, 1 if classes else 0.75)
    copy = TrainingData.generate(dataset, points=10, seed=9, classes=max(classes, 3))
    copy.load_csv(data.to_csv(decimals=None))
    np.testing.assert_array_equal(copy.points, data.points)
    np.testing.assert_array_equal(copy.labels, data.labels)
    np.testing.assert_array_equal(copy.is_train, data.is_train)
    assert copy.labels.dtype == data.labels.dtype


@pytest.mark.parametrize("dataset", ["spiral", "multi_gauss"])
def test_csv_with_four_decimals_is_compact_close_and_stable(dataset):
    data = TrainingData.generate(dataset, noise=0.3, seed=2)
    text = data.to_csv()
    copy = TrainingData.generate(dataset, seed=9)
    copy.load_csv(text)
    np.testing.assert_allclose(copy.points, data.points, rtol=0, atol=0.5e-4)
    np.testing.assert_allclose(copy.labels, data.labels, rtol=0, atol=0.5e-4)
    np.testing.assert_array_equal(copy.is_train, data.is_train)
    assert copy.to_csv() == text
    assert len(text) < 30 * (len(data) + 1)  # 1,200 regression points fit a 64 KiB message
    assert data.to_csv().splitlines()[0] == "x,y,label,split"


coordinate = st.floats(-6.0, 6.0, allow_nan=False)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(coordinate, coordinate, st.integers(0, 3), st.booleans()), min_size=1, max_size=30))
def test_csv_round_trip_of_any_valid_set(rows):
    points = np.array([r[:2] for r in rows])
    data = TrainingData(points, [r[2] for r in rows], 4, is_train=[r[3] for r in rows])
    copy = TrainingData(np.zeros((1, 2)), [0], 4)
    copy.load_csv(data.to_csv(decimals=None))
    np.testing.assert_array_equal(copy.points, points)
    assert copy.labels.tolist() == [r[2] for r in rows] and copy.is_train.tolist() == [r[3] for r in rows]


def test_csv_accepts_a_byte_order_mark_quotes_and_spaces():
    data = TrainingData.generate("circle", points=10)
    data.load_csv('\ufeffx,y,label,split\n"1.5", 2 ,"1",Train\n')
    assert data.points.tolist() == [[1.5, 2.0]] and data.labels.tolist() == [1] and data.is_train.tolist() == [True]


CSV_PIECES = st.sampled_from([*"0123456789.,-+e \n\"xylabtrainest;\t", "nan", "inf", "1e309", "\ufeff", "\x00"])


@settings(max_examples=100, deadline=None)
@given(st.lists(CSV_PIECES, max_size=60).map("".join))
def test_any_text_either_loads_a_valid_set_or_changes_nothing(text):
    data = TrainingData.generate("circle", points=12, seed=1)
    before = snapshot(data)
    try:
        data.load_csv(text)
    except DataError as error:
        assert error.messages and all(isinstance(m, str) for m in error.messages)
        assert_unchanged(data, before)
    else:
        assert np.all(np.abs(data.points) <= 6.0) and set(data.labels.tolist()) <= {0, 1}
        assert len(data.is_train) == len(data) > 0


def test_csv_header_optional_and_split_drawn_when_missing():
    data = TrainingData.generate("circle", points=10, train_ratio=0.5)
    data.load_csv("1,2,1\n-1, -2 ,0\n\n3.5,0,1\n0,0,0\n")
    assert data.points.tolist() == [[1, 2], [-1, -2], [3.5, 0], [0, 0]]
    assert data.labels.tolist() == [1, 0, 1, 0]
    assert [int(np.sum(data.train_labels == c)) for c in (0, 1)] == [1, 1]
    data.load_csv("X, Y, Label\n1,1,1.0\n")
    assert data.labels.tolist() == [1] and data.is_train.tolist() == [True]


@pytest.mark.parametrize(
    "text,messages",
    [
        ("x,y,label\n1,2,1\n1,abc,0\n", ["line 3: y is not a number: 'abc'"]),
        ("1,2,1\n1,2\n", ["line 2: expected 3 columns (x, y, label), got 2"]),
        ("x,y,label,split\n1,2,1,train\n1,2,1\n", ["line 3: expected 4 columns (x, y, label, split), got 3"]),
        ("0,0,1\n0,0,3\n", ["line 2: label 3 is not a class of this problem (0 or 1)"]),
        ("0,0,1\n0,6.01,0\n", ["line 2: y = 6.01 is outside the domain [-6, 6]"]),
        ("0,0,nan\n", ["line 1: label is not a number: 'nan'"]),
        ("0,0,1,maybe\n", ["line 1: split must be 'train' or 'test', got 'maybe'"]),
        ("x,y\n1,2\n", ["line 1: the header must name 3 or 4 columns (x, y, label[, split])"]),
        ("", ["no points: the CSV has no data rows (expected x, y, label)"]),
        ("x,y,label\n\n", ["no points: the CSV has no data rows (expected x, y, label)"]),
        ("a,1,2\nb,1,1,1\n", ["line 1: x is not a number: 'a'", "line 2: expected 3 columns (x, y, label), got 4"]),
    ],
)
def test_csv_errors_are_precise_and_leave_data_unchanged(text, messages):
    data = TrainingData.generate("circle", points=30, seed=3)
    before = snapshot(data)
    with pytest.raises(DataError) as caught:
        data.load_csv(text)
    assert caught.value.messages == messages
    assert_unchanged(data, before)


def test_csv_too_many_rows():
    data = TrainingData(np.zeros((2, 2)), [0, 1], 2, max_points=5)
    before = snapshot(data)
    text = "x,y,label\n" + "0,0,1\n" * 6
    with pytest.raises(DataError) as caught:
        data.load_csv(text)
    assert caught.value.messages == ["line 7: more than 5 points (the limit)"]
    assert_unchanged(data, before)
    data.load_csv("x,y,label\n" + "0,0,1\n" * 5)
    assert len(data) == 5


def test_csv_regression_targets_and_error_cap():
    points, labels, split = parse_csv("0,0,-0.5\n1,1,1\n", classes=0, max_points=10)
    assert labels.tolist() == [-0.5, 1.0] and split is None
    with pytest.raises(DataError) as caught:
        parse_csv("0,0,2\n" * 30, classes=0, max_points=100)
    assert len(caught.value.messages) == 21
    assert caught.value.messages[0] == "line 1: target 2 is outside [-1, 1]"
    assert caught.value.messages[-1] == "... and 10 more"


def test_inputs_are_feature_matrices_of_each_split_cached_until_a_change():
    data = TrainingData.generate("spiral", points=100)
    train, test = data.inputs(["x1", "sin_x2"])
    np.testing.assert_array_equal(train, transform(data.train_points, ["x1", "sin_x2"]))
    np.testing.assert_array_equal(test, transform(data.test_points, ["x1", "sin_x2"]))
    assert data.inputs(["x1", "sin_x2"])[0] is train
    data.add_point(0.0, 0.0, 1)
    assert len(data.inputs(["x1", "sin_x2"])[0]) == len(train) + 1
    assert math.isclose(float(data.inputs(["x1"])[0][-1, 0]), 0.0)
