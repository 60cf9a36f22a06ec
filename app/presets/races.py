"""The tutorial's comparisons as races (engine.race): one start, one setting varied, a finish line, a claim as code.

Each race preset is a complete shared config (the trainer's defaults overlaid with its settings), the setting it
varies with 2–4 values, the finish line (a training loss) and its claim, judged over seeds like the other presets'
(`python -m app.presets check` runs both kinds; each holds on at least 7 of 8 seeds).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.config import DEFAULT_CONFIG
from engine.lessons.claims import Condition, Probe, Run, Verdict, noise, train_loss
from engine.race import Race, RaceClaim, judge_race, steps_to_line


@dataclass(frozen=True)
class RacePreset:
    """One race: the shared settings, what varies and its values, the finish line, and words for students."""

    id: str
    title: str
    settings: dict
    varied: str
    values: tuple[Any, ...]
    target: float
    claim: RaceClaim
    explanation: str
    look_at: str
    speed: float | str = 100

    def config(self) -> dict:
        """The shared trainer config: defaults, then this race's settings."""
        return copy.deepcopy({**DEFAULT_CONFIG, **self.settings})

    def race(self, seed: int | None = None) -> Race:
        config = self.config() if seed is None else {**self.config(), "seed": seed}
        return Race(config, self.varied, list(self.values), target=self.target)

    def check(self, seed: int | None = None) -> Verdict:
        """Race from `seed` (its own by default) to the claim's horizon and say whether the claim was shown."""
        return judge_race(self.race(seed), self.claim)

    def to_json(self) -> dict:
        """What the page needs to start it (the `race` message's fields) and to explain it."""
        return {"id": self.id, "title": self.title, "config": self.config(), "varied": self.varied,
                "values": list(self.values), "target": self.target, "speed": self.speed,
                "claim": self.claim.text, "horizon": self.claim.horizon, "try_instead": self.claim.try_instead,
                "explanation": self.explanation, "look_at": self.look_at}  # fmt: skip


def _finish(race: Race, lane: int) -> float:
    return steps_to_line(race.contestants[lane])


def _step_size(t) -> float:
    """Mean |Δp| of the last step (0 before any)."""
    update = t.last_update()
    return 0.0 if update is None else float(np.abs(update.astype(np.float64)).mean())


def _noise_after(run: Run, start: int) -> float:
    return noise(np.array([v for s, v in run.readings["loss"] if s >= start]))


_VALLEY = {"dataset": "circle", "points": 400, "layers": [], "features": ["x1_sq", "x2_sq"], "loss": "mse",
           "batch_size": 200, "seed": 1}  # fmt: skip
_RATE = {"dataset": "plane", "points": 200, "layers": [4], "activation": "tanh", "init": "xavier", "loss": "mse",
         "optimizer": "sgd", "batch_size": 10, "seed": 1}  # fmt: skip
_SMALL_CIRCLE = {"dataset": "circle", "points": 200, "noise": 0.0, "layers": [4], "activation": "tanh",
                 "learning_rate": 0.1, "seed": 1}  # fmt: skip

MOMENTUM = RaceClaim(
    "momentum and Nesterov cross the line within 100 steps; plain SGD has not crossed it after 300", 300,
    lambda runs, race: [Condition("momentum's steps to the line", _finish(race, 1), "<", 100),
                        Condition("Nesterov's steps to the line", _finish(race, 2), "<", 100),
                        Condition("plain SGD's steps to the line", _finish(race, 0), ">", 300)],
)  # fmt: skip
ADAPTIVE = RaceClaim(
    "RMSprop and Adam cross the line; AdaGrad's steps wither (its last under a tenth of its first) and it does not",
    600,
    lambda runs, race: [Condition("RMSprop's steps to the line", _finish(race, 1), "<", 300),
                        Condition("Adam's steps to the line", _finish(race, 2), "<", 500),
                        Condition("AdaGrad's steps to the line", _finish(race, 0), ">", 600),
                        Condition("AdaGrad's step at 600 / at 1", runs[0].at("step", 600) / runs[0].at("step", 1),
                                  "<", 0.1)],
    {"step": Probe(_step_size, 1, 600, 599)},
)  # fmt: skip
RATES = RaceClaim(
    "η = 0.3 crosses the line within 200 steps; η = 0.0001 keeps over half its starting loss for 1,000 steps; "
    "η = 3 diverges", 1000,
    lambda runs, race: [Condition("η = 0.3: steps to the line", _finish(race, 1), "<", 200),
                        Condition("η = 0.0001: loss at 1,000 / at start", runs[0].at("loss", 1000) /
                                  runs[0].at("loss", 0), ">", 0.5),
                        Condition("η = 3: diverged (1 yes, 0 no)", float(race.contestants[2].status == "diverged"),
                                  "==", 1)],
    {"loss": Probe(train_loss, 0, 1000, 1000)},
)  # fmt: skip
BATCHES = RaceClaim(
    "after step 200 the training loss is smoothest with the whole batch and noisiest with one point per step", 1000,
    lambda runs, race: [Condition("noise: 10 points / all", _noise_after(runs[1], 200) / _noise_after(runs[0], 200),
                                  ">", 1.5),
                        Condition("noise: 1 point / 10 points",
                                  _noise_after(runs[2], 200) / _noise_after(runs[1], 200), ">", 1.5)],
    {"loss": Probe(train_loss, 200)},
)  # fmt: skip

RACES: dict[str, RacePreset] = {
    p.id: p
    for p in (
        RacePreset(
            "race-momentum", "Race: SGD vs momentum vs Nesterov in a valley", {**_VALLEY, "learning_rate": 0.3},
            "optimizer", ("sgd", "momentum", "nesterov"), 0.05, MOMENTUM,
            "The same long narrow valley from the same start: plain SGD zig-zags across it and crawls along, while "
            "momentum's velocity adds up the steady pull along the valley. Nesterov looks one step ahead.",
            "The loss curves and, on the landscape, SGD's short zig-zag against momentum's long swing.",
        ),
        RacePreset(
            "race-adaptive", "Race: AdaGrad vs RMSprop vs Adam", {**_VALLEY, "learning_rate": 0.1},
            "optimizer", ("adagrad", "rmsprop", "adam"), 0.02, ADAPTIVE,
            "All three scale each weight's step by its gradients' size. AdaGrad divides by the sum of every squared "
            "gradient so far, which only grows; RMSprop and Adam use a moving average that forgets.",
            "The per-layer step sizes: AdaGrad's shrink step after step while the others' stay.",
        ),
        RacePreset(
            "race-rates", "Race: three learning rates", _RATE, "learning_rate", (0.0001, 0.3, 3.0), 0.01, RATES,
            "One network, one start, one order of batches; only the step size differs. Too small crawls, about "
            "right arrives, too large overshoots further each step until it blows up.",
            "The finish line: one crosses it, one never gets close, one is out of the race.",
        ),
        RacePreset(
            "race-batches", "Race: batch vs mini-batch vs stochastic", _SMALL_CIRCLE, "batch_size", (100, 10, 1),
            0.2, BATCHES,
            "All the points, ten, or one per step, from the same start and in the same order. Per step the full "
            "batch and ten points go about as fast; one point is a noisy guess of the gradient.",
            "The training-loss curves: smooth, a little rough, jagged.",
        ),
    )
}
assert all(p.target > 0 and not math.isnan(p.target) for p in RACES.values())
