"""A challenge's rules and its leaderboard, computed from what the server measured of each student's run."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

METRICS = {"test_loss": "lowest", "test_accuracy": "highest", "train_loss": "lowest", "train_accuracy": "highest"}


@dataclass(frozen=True)
class Rules:
    """What counts: `metric`, a `target` that counts as reached, at most `max_weights` parameters (weights and
    biases), within `seconds` of the start; `locked` settings students may not change."""

    metric: str
    target: float | None = None
    max_weights: int | None = None
    seconds: float | None = None
    locked: tuple[str, ...] = ()
    show_students: bool = True

    def better(self, value: float, than: float | None) -> bool:
        """Whether `value` beats `than` (None: nothing yet)."""
        if than is None:
            return True
        return value < than if METRICS[self.metric] == "lowest" else value > than

    def reached(self, value: float) -> bool:
        """Whether `value` meets the target."""
        if self.target is None:
            return False
        return value <= self.target if METRICS[self.metric] == "lowest" else value >= self.target

    def as_dict(self) -> dict[str, Any]:
        """The rules as the `room` message states them."""
        return {"metric": self.metric, "best": METRICS[self.metric], "target": self.target,
                "max_weights": self.max_weights, "seconds": self.seconds, "locked": list(self.locked),
                "show_students": self.show_students}


@dataclass
class Entry:
    """One student's best so far."""

    nickname: str
    best: float | None = None
    at: float | None = None  # seconds after the start when the best was measured
    reached: float | None = None  # seconds after the start when the target was first met
    network: str = ""
    weights: int = 0
    step: int = 0

    def as_dict(self) -> dict[str, Any]:
        """One leaderboard row."""
        return {"nickname": self.nickname, "best": self.best, "at": self.at, "reached": self.reached,
                "network": self.network, "weights": self.weights, "step": self.step}


@dataclass
class Challenge:
    """A running challenge: its rules, when it started, every student's entry."""

    rules: Rules
    started: float
    entries: dict[str, Entry] = field(default_factory=dict)
    armed: dict[str, int] = field(default_factory=dict)  # per student: the frames its session had built at the copy

    def arm(self, nickname: str, frames_built: int) -> None:
        """The student's session now holds the challenge's starting point: count its frames built after this one."""
        self.armed[nickname] = frames_built
        self.entries.setdefault(nickname, Entry(nickname))

    def over(self, now: float) -> bool:
        """Whether the time limit has passed."""
        return self.rules.seconds is not None and now - self.started > self.rules.seconds

    def observe(self, nickname: str, progress: dict[str, Any], now: float) -> None:
        """A frame the server built for this student's session: count it if it is within the rules."""
        if nickname not in self.armed or progress["frame"] <= self.armed[nickname]:
            return  # a frame of the run before the copy
        entry = self.entries[nickname]
        value = progress.get(self.rules.metric)
        if self.over(now) or value is None or not math.isfinite(value):
            return
        if self.rules.max_weights is not None and progress["weights"] > self.rules.max_weights:
            return
        elapsed = now - self.started
        if self.rules.better(value, entry.best):
            entry.best, entry.at = float(value), elapsed
            entry.network, entry.weights, entry.step = progress["network"], progress["weights"], progress["step"]
        if entry.reached is None and self.rules.reached(value):
            entry.reached = elapsed

    def leaderboard(self) -> list[dict[str, Any]]:
        """Those who met the target, earliest first; then by best metric, earlier first; then those with none."""
        sign = 1.0 if METRICS[self.rules.metric] == "lowest" else -1.0

        def key(entry: Entry) -> tuple:
            if entry.reached is not None:
                return (0, entry.reached, 0.0)
            if entry.best is not None:
                return (1, sign * entry.best, entry.at)
            return (2, 0.0, 0.0)

        return [e.as_dict() for e in sorted(self.entries.values(), key=key)]
