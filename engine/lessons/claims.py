"""A lesson's claim as code: what to record while a run trains, and the conditions that say the claim was shown.

A `Claim` names the steps it needs (`horizon`), the readings it takes after each step (`probes`), and a `judge`
that turns the finished run (and, for a comparison, the same seed's run of each preset it is compared with) into
`Condition`s: a measured number, a comparison and its threshold. The same code serves the tests, the command line
(`python -m app.presets check`) and the page, whose session watches the student's own run with a `Watch`.

    watch = Watch(claim, trainer)          # before the first step; hooks trainer.on_step
    trainer.train(claim.horizon)           # or any number of slices: every step is seen
    watch.done  →  Verdict via judge(watch.run(), references)  (what Preset.verdict does)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.views.monitor import finite_or_none

if TYPE_CHECKING:
    from engine.trainer import Trainer

Reading = Callable[["Trainer"], Any]
STOPS = ("diverged", "early_stopped")


@dataclass(frozen=True)
class Probe:
    """A reading taken after every `every`-th step from `start` to `stop` (inclusive); step 0 is before training."""

    read: Reading
    start: int = 0
    stop: int | None = None  # None: up to the horizon
    every: int = 1

    def due(self, step: int, horizon: int) -> bool:
        stop = horizon if self.stop is None else self.stop
        return self.start <= step <= stop and (step - self.start) % self.every == 0


@dataclass(frozen=True)
class Condition:
    """One measured number against its threshold: `value op limit`, e.g. 2.4e-4 < 1e-3."""

    label: str
    value: float
    op: str  # "<", ">", "<=", ">=" or "=="
    limit: float

    @property
    def held(self) -> bool:
        v, lim = self.value, self.limit
        return bool({"<": v < lim, ">": v > lim, "<=": v <= lim, ">=": v >= lim, "==": v == lim}[self.op])

    @property
    def margin(self) -> float:
        """How far inside the threshold the value is, as a ratio (> 1 held, < 1 missed); NaN where no ratio fits."""
        v, lim = abs(self.value), abs(self.limit)
        if self.op in ("<", "<="):
            return lim / v if v else math.inf
        if self.op in (">", ">="):
            return v / lim if lim else math.nan
        return math.inf if self.held else 0.0

    def text(self) -> str:
        return f"{self.label} {fmt(self.value)} {self.op} {fmt(self.limit)}"

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "value": finite_or_none(float(self.value)), "op": self.op,
                "limit": finite_or_none(float(self.limit)), "held": self.held,
                "margin": finite_or_none(float(self.margin))}  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """Whether a run showed its claim, with the numbers: every condition must hold."""

    claim: str
    conditions: tuple[Condition, ...]
    step: int

    @property
    def held(self) -> bool:
        return all(c.held for c in self.conditions)

    @property
    def values(self) -> dict[str, float]:
        return {c.label: c.value for c in self.conditions}

    def summary(self) -> str:
        numbers = "; ".join(c.text() for c in self.conditions)
        return f"{'Claim shown' if self.held else 'Claim not shown'}: {self.claim} ({numbers})."

    def to_json(self) -> dict[str, Any]:
        return {"claim": self.claim, "held": self.held, "step": self.step, "summary": self.summary(),
                "conditions": [c.to_json() for c in self.conditions]}  # fmt: skip


@dataclass
class Run:
    """What one run showed: its readings by probe name as (step, value) pairs, its events, and where it ended."""

    readings: dict[str, list[tuple[int, Any]]]
    events: list[dict[str, Any]]
    step: int
    epoch: int
    final: dict[str, float]  # evaluate() at the end

    def series(self, name: str) -> np.ndarray:
        return np.array([v for _, v in self.readings[name]], dtype=np.float64)

    def at(self, name: str, step: int) -> Any:
        """The reading taken at `step`, or the last one before it if the run stopped earlier; NaN if none was."""
        taken = [v for s, v in self.readings[name] if s <= step]
        return taken[-1] if taken else math.nan

    def first(self, kind: str) -> dict[str, Any] | None:
        return next((e for e in self.events if e["kind"] == kind), None)


Judge = Callable[[Run, Mapping[str, Run]], list[Condition]]


@dataclass(frozen=True)
class Claim:
    """A preset's claim: its words, the steps it needs, what to record, and how to judge a finished run.

    `versus` names presets whose run from the same seed the judge compares with (their own claim's probes are
    recorded for them; give them probes of the same names)."""

    text: str
    horizon: int
    judge: Judge
    probes: Mapping[str, Probe] = field(default_factory=dict)
    versus: tuple[str, ...] = ()
    try_instead: str = ""  # what to do when the claim was not shown by the horizon


class Watch:
    """Records one trainer's run for a claim, step by step through `trainer.on_step`, until the horizon or a stop.

    With `halt`, the step that decides the claim also ends the trainer's current `train` call there."""

    def __init__(self, claim: Claim, trainer: Trainer, halt: bool = False) -> None:
        self.claim, self.trainer, self.halt = claim, trainer, halt
        self.readings: dict[str, list[tuple[int, Any]]] = {name: [] for name in claim.probes}
        self.events: list[dict[str, Any]] = []
        self.done = False
        self._end: tuple[int, int, dict[str, float]] | None = None
        self._take()
        trainer.on_step = self._after_step

    def _take(self) -> None:
        step = self.trainer.step
        for name, probe in self.claim.probes.items():
            if probe.due(step, self.claim.horizon) and (not self.readings[name] or self.readings[name][-1][0] != step):
                self.readings[name].append((step, probe.read(self.trainer)))

    def _after_step(self, events: list[dict[str, Any]]) -> bool:
        """Record this step; True (halt) when it decided the claim and the watch was asked to halt there."""
        if self.done:
            return False
        self.events += events
        self._take()
        t = self.trainer
        self.done = any(e["kind"] in STOPS for e in events) or t.step >= self.claim.horizon
        if self.done:
            self._end = (t.step, t.epoch, t.evaluate())
        return self.done and self.halt

    def detach(self) -> None:
        if self.trainer.on_step == self._after_step:
            self.trainer.on_step = None

    def run(self) -> Run:
        """The run as recorded; where it ended (the horizon or the stop), even if the trainer went on since."""
        t = self.trainer
        step, epoch, final = self._end or (t.step, t.epoch, t.evaluate())
        return Run(self.readings, self.events, step, epoch, final)


def record(trainer: Trainer, claim: Claim) -> Run:
    """Train `trainer` from where it is to the claim's horizon (or a stop), recording what the claim reads."""
    watch = Watch(claim, trainer, halt=True)
    try:
        while not watch.done:
            trainer.train(min(100, claim.horizon - trainer.step))
    finally:
        watch.detach()
    return watch.run()


def fmt(x: float) -> str:
    if isinstance(x, bool) or (isinstance(x, int | np.integer)):
        return str(int(x))
    if not math.isfinite(x):
        return str(x)
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.3g}"


# -- readings the presets use -------------------------------------------------------------------------------------


def train_loss(t: Trainer) -> float:
    return t.evaluate()["train_loss"]


def test_loss(t: Trainer) -> float:
    return t.evaluate()["test_loss"]


def test_accuracy(t: Trainer) -> float:
    return t.evaluate()["test_accuracy"]


def batch_loss(t: Trainer) -> float:
    return float(t.batch_loss)


def grad_norms(t: Trainer) -> np.ndarray:
    return t.stats["grad_norm"].astype(np.float64)


def mean_test_output(t: Trainer) -> float:
    """The network's mean prediction over the test set: it swings when the network chases the last class seen."""
    x_test = t.data.inputs(t.config["features"])[1]
    z = t.network.infer(x_test, neurons=False)[0].T
    return float(np.mean(t.loss.predict(z)))


def noise(series: np.ndarray) -> float:
    """Mean step-to-step change of a series relative to its mean."""
    return float(np.abs(np.diff(series)).mean() / series.mean())
