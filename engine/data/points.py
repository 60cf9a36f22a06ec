"""TrainingData: the points a session trains on, their seeded split, and the user's edits (add, erase, CSV)."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable

import numpy as np

from engine.config import ConfigError
from engine.data.datasets import (
    DATASETS,
    DEFAULT_CLASSES,
    DOMAIN,
    MAX_CLASSES,
    MAX_NOISE,
    MAX_SEED,
    MAX_TRAIN_RATIO,
    MIN_CLASSES,
    MIN_POINTS,
    MIN_TRAIN_RATIO,
)
from engine.data.features import transform
from engine.schema import Limits

MAX_MESSAGES = 20
COLUMNS = ("x", "y", "label", "split")


class DataError(ConfigError):
    """Data that cannot be used: `field` names the input at fault, `messages` every problem found (for CSV, one per
    bad line)."""

    def __init__(self, messages: list[str] | str, field: str) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(field, "; ".join(self.messages))

    def __str__(self) -> str:
        return self.message


def streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Two independent generators from one seed: one draws the points, the other the train/test split."""
    points_seq, split_seq = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(points_seq), np.random.default_rng(split_seq)


def split_mask(labels: np.ndarray, classes: int, train_ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean (n,) train mask: round(train_ratio · size) of each class (of all points for regression)."""
    is_train = np.zeros(len(labels), dtype=bool)
    groups = [np.flatnonzero(labels == c) for c in range(classes)] if classes else [np.arange(len(labels))]
    for members in groups:
        chosen = rng.permutation(members)[: int(math.floor(train_ratio * len(members) + 0.5))]
        is_train[chosen] = True
    return is_train


def describe_labels(classes: int) -> str:
    """The labels a problem accepts, in words."""
    if classes == 0:
        return "a number from -1 to 1"
    return "0 or 1" if classes == 2 else f"a class from 0 to {classes - 1}"


def check_label(value: float, classes: int) -> str | None:
    """Why `value` is not a label of a problem with `classes` classes (0 = regression), or None if it is."""
    if not math.isfinite(value):
        return f"label {value} is not a finite number"
    if classes == 0:
        return None if -1.0 <= value <= 1.0 else f"target {value:g} is outside [-1, 1]"
    if value != int(value) or not 0 <= value < classes:
        return f"label {value:g} is not a class of this problem ({describe_labels(classes)})"
    return None


def check_point(x: float, y: float) -> str | None:
    """Why (x, y) is not a point of the domain [-DOMAIN, DOMAIN]², or None if it is."""
    for axis, value in (("x", x), ("y", y)):
        if not math.isfinite(value) or abs(value) > DOMAIN:
            return f"{axis} = {value:g} is outside the domain [-{DOMAIN:g}, {DOMAIN:g}]"
    return None


def _number(field: str) -> float | None:
    try:
        value = float(field)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _fields(line: str) -> list[str]:
    try:
        fields = next(csv.reader([line]))
    except csv.Error:  # e.g. a field over the csv module's size limit: read it unquoted
        fields = line.split(",")
    return [f.strip() for f in fields]


def _parse_row(fields: list[str], classes: int) -> tuple[tuple[float, float, float], bool] | list[str]:
    """((x, y, label), is_train) from one data row's fields, or the list of what is wrong with it."""
    values = [_number(f) for f in fields[:3]]
    bad = [f"{name} is not a number: {f!r}" for name, f, v in zip(COLUMNS, fields, values, strict=False) if v is None]
    if not bad:
        problem = check_point(values[0], values[1]) or check_label(values[2], classes)
        bad = [problem] if problem else []
    split = fields[3].lower() if len(fields) == 4 else "train"
    if split not in ("train", "test"):
        bad.append(f"split must be 'train' or 'test', got {fields[3]!r}")
    return bad or ((values[0], values[1], values[2]), split == "train")


def parse_csv(text: str, classes: int, max_points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Points, labels and train mask (None without a split column) from CSV text; DataError lists each bad line."""
    lines = [(i, line.strip()) for i, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1) if line.strip()]
    columns = None
    if lines and all(_number(f) is None for f in _fields(lines[0][1])):
        columns = len(_fields(lines[0][1]))
        if columns not in (3, 4):
            raise DataError(f"line {lines[0][0]}: the header must name 3 or 4 columns (x, y, label[, split])", "csv")
        lines = lines[1:]
    errors: list[str] = []
    rows: list[tuple[float, float, float]] = []
    splits: list[bool] = []
    for count, (number, line) in enumerate(lines, start=1):
        if count > max_points:
            errors.append(f"line {number}: more than {max_points} points (the limit)")
            break
        fields = _fields(line)
        columns = columns or (len(fields) if len(fields) in (3, 4) else 3)
        parsed = (
            _parse_row(fields, classes)
            if len(fields) == columns
            else [f"expected {columns} columns ({', '.join(COLUMNS[:columns])}), got {len(fields)}"]
        )
        if isinstance(parsed, list):
            errors.extend(f"line {number}: {problem}" for problem in parsed)
        else:
            rows.append(parsed[0])
            splits.append(parsed[1])
    if not rows and not errors:
        errors.append("no points: the CSV has no data rows (expected x, y, label)")
    if errors:
        more = len(errors) - MAX_MESSAGES
        raise DataError(errors[:MAX_MESSAGES] + ([f"... and {more} more"] if more > 0 else []), "csv")
    table = np.array(rows, dtype=np.float64)  # (n, 3): x, y, label
    return table[:, :2], table[:, 2], (np.array(splits) if columns == 4 else None)


class TrainingData:
    """Points (n, 2), labels (n,), the problem kind and a train mask; every change bumps `version`."""

    def __init__(
        self,
        points: np.ndarray,
        labels: np.ndarray,
        classes: int,
        *,
        train_ratio: float = 0.5,
        seed: int = 0,
        is_train: np.ndarray | None = None,
        max_points: int = Limits.max_points,
    ) -> None:
        self.classes = classes
        self.train_ratio, self.seed, self.max_points = train_ratio, seed, max_points
        self.version = 0
        self._set(points, labels, is_train)

    @classmethod
    def generate(
        cls,
        dataset: str = "circle",
        points: int | None = None,
        noise: float = 0.0,
        train_ratio: float = 0.5,
        seed: int = 0,
        classes: int = DEFAULT_CLASSES,
        max_points: int = Limits.max_points,
    ) -> TrainingData:
        """Draw a registered dataset from `seed` and split it, stratified, from the same seed."""
        if dataset not in DATASETS:
            raise DataError(f"unknown dataset {dataset!r}; choose from {', '.join(DATASETS)}", "dataset")
        spec = DATASETS[dataset]
        n = spec.default_points if points is None else points
        problems = [
            (name, f"{name} must be from {low} to {high}, got {value}")
            for name, value, low, high in [
                ("points", n, MIN_POINTS, max_points),
                ("noise", noise, 0.0, MAX_NOISE),
                ("train_ratio", train_ratio, MIN_TRAIN_RATIO, MAX_TRAIN_RATIO),
                ("seed", seed, 0, MAX_SEED),
                ("classes", classes, MIN_CLASSES, MAX_CLASSES),
            ]
            if not low <= value <= high
        ]
        if problems:
            raise DataError([text for _, text in problems], problems[0][0])
        xy, labels = spec(n, noise, streams(seed)[0], classes)
        return cls(xy, labels, spec.n_classes(classes), train_ratio=train_ratio, seed=seed, max_points=max_points)

    @property
    def kind(self) -> str:
        """binary, multiclass or regression."""
        return {0: "regression", 2: "binary"}.get(self.classes, "multiclass")

    def __len__(self) -> int:
        return len(self.points)

    @property
    def train_points(self) -> np.ndarray:
        """(n_train, 2) raw points of the training set."""
        return self.points[self.is_train]

    @property
    def train_labels(self) -> np.ndarray:
        """(n_train,) labels of the training set."""
        return self.labels[self.is_train]

    @property
    def test_points(self) -> np.ndarray:
        """(n_test, 2) raw points of the test set."""
        return self.points[~self.is_train]

    @property
    def test_labels(self) -> np.ndarray:
        """(n_test,) labels of the test set."""
        return self.labels[~self.is_train]

    def inputs(self, names: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """Feature matrices (train, test), float32, cached until the points change."""
        key = tuple(names)
        if key not in self._inputs:
            self._inputs = {key: (transform(self.train_points, key), transform(self.test_points, key))}
        return self._inputs[key]

    def resplit(self, train_ratio: float | None = None, seed: int | None = None) -> None:
        """Draw the stratified split again, e.g. for a new train_ratio; the points stay."""
        self.train_ratio = self.train_ratio if train_ratio is None else train_ratio
        self.seed = self.seed if seed is None else seed
        self._set(self.points, self.labels, None)

    def add_point(self, x: float, y: float, label: float) -> None:
        """Add one point to the training set; DataError if it is outside the domain, not a label, or too many."""
        try:
            x, y, label = float(x), float(y), float(label)
        except (TypeError, ValueError) as exc:
            raise DataError(f"x, y and label must be numbers, got ({x!r}, {y!r}, {label!r})", "point") from exc
        problem = check_point(x, y) or check_label(label, self.classes)
        if problem is None and len(self) >= self.max_points:
            problem = f"the set already holds {self.max_points} points (the limit)"
        if problem:
            raise DataError(problem, "point")
        self._set(
            np.vstack([self.points, [[x, y]]]),
            np.append(self.labels, np.asarray(label, dtype=self.labels.dtype)),
            np.append(self.is_train, True),
        )

    def erase(self, x: float, y: float, radius: float) -> int:
        """Remove every point within `radius` of (x, y); return how many were removed."""
        if not all(math.isfinite(v) for v in (x, y, radius)) or radius < 0:
            raise DataError(f"erase needs a finite point and radius >= 0, got ({x}, {y}) and {radius}", "radius")
        keep = np.hypot(self.points[:, 0] - x, self.points[:, 1] - y) > radius
        removed = int(len(keep) - keep.sum())
        if removed:
            self._set(self.points[keep], self.labels[keep], self.is_train[keep])
        return removed

    def load_csv(self, text: str) -> None:
        """Replace all points from CSV (x, y, label[, split]); DataError lists every bad line and nothing changes."""
        points, labels, is_train = parse_csv(text, self.classes, self.max_points)
        self._set(points, labels, is_train)

    def to_csv(self, decimals: int | None = 4) -> str:
        """The set as CSV (x, y, label, split), numbers to `decimals` places (None: exact); load_csv reads it back."""

        def number(value: float) -> str:
            if decimals is None:
                return repr(value)
            return np.format_float_positional(value, precision=decimals, unique=True, trim="-")

        rows = ["x,y,label,split"]
        columns = (self.points.tolist(), self.labels.tolist(), self.is_train.tolist())
        for (x, y), label, train in zip(*columns, strict=True):
            rows.append(f"{number(x)},{number(y)},{number(label)},{'train' if train else 'test'}")
        return "\n".join(rows) + "\n"

    def _set(self, points: np.ndarray, labels: np.ndarray, is_train: np.ndarray | None) -> None:
        self.points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        self.labels = np.asarray(labels, dtype=np.float64 if self.classes == 0 else np.int64)
        if is_train is None:
            is_train = split_mask(self.labels, self.classes, self.train_ratio, streams(self.seed)[1])
        self.is_train = np.asarray(is_train, dtype=bool)
        self.version += 1
        self._inputs: dict = {}
