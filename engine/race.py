"""A race: 2–4 trainers that differ in one setting, from the same initial weights and the same batches, in lockstep.

Each contestant is an ordinary `Trainer` built from the shared config with the varied setting replaced, so its run
is bit for bit the run a solo trainer with that setting makes: the seed draws the same data, the same initial
weights (unless the initialiser is what varies) and the same permutation of the training points for every pass.
A rematch draws new shared weights from `SeedSequence(seed, spawn_key=(RACE_STREAM, round))` for every contestant
(`initial_params`); a solo trainer given those (`Trainer.set_params`) runs the same again.

A finish line is a training loss: a contestant finishes at the first step after which its training-set loss is at
or below it; the winner is the one that finished in the fewest steps (a tie goes to the lower loss at the finish).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.config import ConfigError, Limits
from engine.lessons.claims import Condition, Probe, Run, Verdict
from engine.trainer import STOPS, Trainer
from engine.views.landscape import Landscape, Path, of_trainer

VARIED = ("optimizer", "learning_rate", "batch_size", "activation", "init", "regularization")
MIN_CONTESTANTS, MAX_CONTESTANTS = 2, 4
RACE_STREAM = 5  # a child of SeedSequence(seed) past the trainer's own streams (0-4)
STATUSES = ("running", "diverged", "stopped")  # a contestant that diverged or stopped early trains no further


@dataclass
class Contestant:
    """One lane: the varied setting's value, its trainer and where it stands against the finish line."""

    value: Any
    trainer: Trainer
    status: str = "running"
    finish: int | None = None  # the step after which its training loss first reached the target
    finish_loss: float = math.nan
    events: list[dict[str, Any]] = field(default_factory=list)
    path: Path | None = None  # the weights it visited (engine.views.landscape), from the shared start

    @property
    def label(self) -> str:
        """The value as the page shows it."""
        return self.value if isinstance(self.value, str) else f"{self.value:g}"


def initial_params(trainer: Trainer, round_: int) -> np.ndarray:
    """The weights of rematch `round_` for this trainer's network: each W drawn from the round's stream with the
    network's own initialiser (as Network draws them), biases 0. Round 0 is the trainer's own draw from its seed."""
    net = trainer.network
    if round_ == 0:
        fresh = Trainer({**trainer.config}, trainer.limits)
        return fresh.network.params.copy()
    rng = np.random.default_rng(np.random.SeedSequence(trainer.config["seed"], spawn_key=(RACE_STREAM, round_)))
    params = np.zeros_like(net.params)
    for s, W in zip(net.weight_slices, net.W, strict=True):
        params[s] = net.draw(W.shape[0], W.shape[1], rng).reshape(-1)
    return params


class Race:
    """Contestants from one config that differ only in `varied`; trained together, `n` steps each per call."""

    def __init__(self, config: dict[str, Any], varied: str, values: list[Any], target: float | None = None,
                 limits: Limits | None = None) -> None:  # fmt: skip
        if varied not in VARIED:
            raise ConfigError("varied", f"must be one of {', '.join(VARIED)}; got {varied!r}")
        if not isinstance(values, list) or not MIN_CONTESTANTS <= len(values) <= MAX_CONTESTANTS:
            raise ConfigError("values", f"must be a list of {MIN_CONTESTANTS} to {MAX_CONTESTANTS} values of {varied}")
        if len({repr(v) for v in values}) < len(values):
            raise ConfigError("values", "must be distinct: two lanes with the same setting race for nothing")
        if varied == "activation" and any(not isinstance(v, str) for v in values):
            raise ConfigError("values", "activation: one name per contestant (it applies to every hidden layer)")
        self.varied, self.limits = varied, limits or Limits()
        self.round = 0
        self.target = self._check_target(target)
        self.contestants: list[Contestant] = []
        for i, value in enumerate(values):
            try:
                trainer = Trainer({**config, varied: value}, self.limits)
            except ConfigError as error:
                raise ConfigError(f"values[{i}]", f"{varied}: {error.message}") from error
            self.contestants.append(Contestant(value, trainer))
        self._hook_all()

    @staticmethod
    def _check_target(target: Any) -> float | None:
        if target is None:
            return None
        if isinstance(target, bool) or not isinstance(target, int | float) or not (0 < target < math.inf):
            raise ConfigError("target", f"must be a positive number (a training loss) or null; got {target!r}")
        return float(target)

    @property
    def values(self) -> list[Any]:
        return [c.value for c in self.contestants]

    @property
    def config(self) -> dict[str, Any]:
        """The shared settings (the first contestant's config; the varied key differs per contestant)."""
        return self.contestants[0].trainer.config

    @property
    def step(self) -> int:
        """The lockstep count: the steps of the contestants still running (the most any contestant took)."""
        return max(c.trainer.step for c in self.contestants)

    # -- training -----------------------------------------------------------------------------------------------------

    def train(self, n: int = 1) -> list[list[dict[str, Any]]]:
        """n steps for every running contestant; a contestant that diverges or stops early is out of the race."""
        out = []
        for c in self.contestants:
            events = c.trainer.train(n) if c.status == "running" else []
            c.events += events
            for e in events:
                if e["kind"] in STOPS:
                    c.status = "diverged" if e["kind"] == "diverged" else "stopped"
            out.append(events)
        return out

    def _hook_all(self) -> None:
        for c in self.contestants:
            c.path = Path(c.trainer.network.params, c.trainer.step)
            c.trainer.on_step = self._after_step(c)

    def _after_step(self, c: Contestant):
        def after_step(_: list[dict[str, Any]]) -> None:
            t = c.trainer
            if c.path.due(t.step):  # type: ignore[union-attr]
                c.path.add(t.step, t.network.params)  # type: ignore[union-attr]
            if self.target is not None and c.finish is None:
                self._check(c)

        return after_step

    def landscape(self, plane: str = "pca", seed: int = 0) -> Generator[None, None, Landscape]:
        """The slice through the shared start with every contestant's path on it, a chunk a step
        (engine.views.landscape)."""
        first = self.contestants[0]
        paths = [c.path.array(c.trainer.network.params) for c in self.contestants]  # type: ignore[union-attr]
        return of_trainer(first.trainer, paths, plane, centre=paths[0][0], seed=seed)

    def _check(self, c: Contestant) -> None:
        loss = c.trainer.train_loss()
        if loss <= self.target:  # type: ignore[operator]
            c.finish, c.finish_loss = c.trainer.step, loss

    def set_target(self, target: float | None) -> None:
        """A new finish line: every finish is judged afresh; one already at or below it finishes where it is now."""
        self.target = self._check_target(target)
        for c in self.contestants:
            c.finish, c.finish_loss = None, math.nan
            if self.target is not None:
                self._check(c)

    @property
    def winner(self) -> int | None:
        """The index of the contestant that finished in the fewest steps (ties: the lower loss there), or None."""
        done = [(c.finish, c.finish_loss, i) for i, c in enumerate(self.contestants) if c.finish is not None]
        return min(done)[2] if done else None

    # -- changes ------------------------------------------------------------------------------------------------------

    def apply(self, patch: dict[str, Any]) -> list[list[dict[str, Any]]]:
        """A live change of shared settings for every contestant (checked for all before any applies)."""
        locked = {self.varied} | ({"optimizer_params"} if self.varied == "optimizer" else set())
        for key in patch if isinstance(patch, dict) else ():
            if key in locked:
                raise ConfigError(key, f"differs between the contestants ({self.varied} is what this race varies); "
                                  "start a new race to change it")  # fmt: skip
        from engine.config import validate

        for c in self.contestants:
            validate(c.trainer.config, patch, self.limits)
        return [c.trainer.apply(patch) for c in self.contestants]

    def each(self, method: str, *args: Any) -> list[Any]:
        """Call one of the trainers' own edits (add_point, erase_points, load_csv, regenerate) on every contestant."""
        return [getattr(c.trainer, method)(*args) for c in self.contestants]

    def rematch(self) -> None:
        """Start again from new shared initial weights (the next round's draw), same data and settings."""
        self.restart(self.round + 1)

    def restart(self, round_: int | None = None) -> None:
        """Every contestant back to step 0 with round `round_`'s weights (the current round by default)."""
        self.round = self.round if round_ is None else round_
        for c in self.contestants:
            c.trainer.reset()
            if self.round:
                c.trainer.set_params(initial_params(c.trainer, self.round), step=0, epoch=0)
            c.status, c.events = "running", []
        self._hook_all()
        self.set_target(self.target)


# -- a race's claim -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RaceClaim:
    """A race preset's claim: its words, the steps it needs, what to record of every contestant (engine.lessons.claims
    probes), and a judge of the finished race given each contestant's run (in lane order) and the race itself."""

    text: str
    horizon: int
    judge: Callable[[list[Run], Race], list[Condition]]
    probes: Mapping[str, Probe] = field(default_factory=dict)
    try_instead: str = ""


def record_race(race: Race, claim: RaceClaim) -> list[Run]:
    """Train the race from where it is to the claim's horizon (a contestant that is out stays where it stopped),
    recording each contestant's readings after every step."""
    lanes = [{name: [] for name in claim.probes} for _ in race.contestants]

    def take(c: Contestant, readings: dict[str, list]) -> None:
        t = c.trainer
        for name, probe in claim.probes.items():
            if probe.due(t.step, claim.horizon) and (not readings[name] or readings[name][-1][0] != t.step):
                readings[name].append((t.step, probe.read(t)))

    for c, readings in zip(race.contestants, lanes, strict=True):
        take(c, readings)
    while race.step < claim.horizon and any(c.status == "running" for c in race.contestants):
        race.train(1)
        for c, readings in zip(race.contestants, lanes, strict=True):
            take(c, readings)
    return [Run(readings, c.events, c.trainer.step, c.trainer.epoch, c.trainer.evaluate())
            for c, readings in zip(race.contestants, lanes, strict=True)]  # fmt: skip


def judge_race(race: Race, claim: RaceClaim) -> Verdict:
    """Run the race to its claim's horizon and judge it."""
    runs = record_race(race, claim)
    return Verdict(claim.text, tuple(claim.judge(runs, race)), race.step)


def steps_to_line(c: Contestant) -> float:
    """The contestant's finish step, infinity if it has not crossed the line."""
    return math.inf if c.finish is None else float(c.finish)
