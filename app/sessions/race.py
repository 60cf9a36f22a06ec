"""A session's race (engine/race.py) and its requests: start, stop, rematch, finish line, landscape, optimizer state.

The session keeps its own trainer; while a race runs, the session's training slices train the race instead and its
frames are race frames (app/sessions/race_frames.py), one per frame with every lane. Shared changes (settings,
points, new
data) go to every lane and to the session's trainer too, so stopping the race leaves the page's settings true.
Everything here runs in the session's pool job, like the rest of a session's work; a landscape is a stepwise
computation (`Host.compute`), a chunk of grid points at a time between other work.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from app import protocol
from app.sessions.frames import shown_range
from app.sessions.race_frames import NO_WINNER, RACE_GRID, STATUS_CODES, History, build, finite, race_layout
from engine.config import ConfigError
from engine.optim.optimizer_state import layer_steps, weight_state
from engine.race import Race
from engine.trainer import Trainer
from engine.views.landscape import Landscape, Path, of_trainer
from engine.views.monitor import event, finite_or_none

if TYPE_CHECKING:
    from app.sessions.session import Session as Host

READ_ONLY = (protocol.Landscape, protocol.OptimizerState)  # answered without changing what a frame shows
RACE_REQUESTS = (protocol.RaceStart, protocol.RaceStop, protocol.RaceRematch, protocol.RaceTarget,
                 protocol.Landscape, protocol.OptimizerState)  # fmt: skip
SHARED = (protocol.ConfigMsg, protocol.AddPoint, protocol.ErasePoints, protocol.LoadCsv, protocol.Regenerate)
NOT_IN_A_RACE = (protocol.SetWeight, protocol.SetParams, protocol.RestoreSnapshot, protocol.WatchClaim,
                 protocol.Step, protocol.Epoch)  # fmt: skip
LANDSCAPE_DECIMALS = 6
LANDSCAPE_SPACING = 1.0  # seconds from one landscape's start to the next's, per session: its CPU budget (README)


class RaceHost:
    """One session's race: the engine's Race, its frames' bookkeeping and its history."""

    def __init__(self, race: Race, number: int) -> None:
        self.race, self.number = race, number
        self.history = History()
        self.frames = 0
        self._layout_key: Any = None
        self.layout: dict[str, Any] = {}

    # -- training ---------------------------------------------------------------------------------------------------

    def train(self, n: int) -> list[dict[str, Any]]:
        """n steps for every lane still running; `race_over` (stops training) once every lane is out."""
        self.race.train(n)
        if all(c.status != "running" for c in self.race.contestants):
            return [event("race_over", "Every contestant is out of the race (diverged or stopped early).")]
        return []

    # -- messages and frames ------------------------------------------------------------------------------------------

    def message(self, request_id: Any = None) -> dict[str, Any]:
        """The `race` message: who races, the finish line, and the layout of the race frames."""
        r = self.race
        lanes = []
        for c in r.contestants:
            lanes.append({"value": c.value, "label": c.label, "status": c.status, "finish": c.finish,
                          "config": {r.varied: c.trainer.config[r.varied]}})  # fmt: skip
        return {"type": "race", "active": True, "race": self.number, "varied": r.varied, "lanes": lanes,
                "target": r.target, "round": r.round, "winner": r.winner, "layout": self._layout(), "id": request_id}

    def _layout(self) -> dict[str, Any]:
        first = self.race.contestants[0].trainer
        softmax = first.loss.n_outputs if first.loss.output == "softmax" else 0
        key = (len(self.race.contestants), softmax, first.loss.output)
        if key != self._layout_key:
            self._layout_key = key
            self.layout = race_layout(len(self.race.contestants), softmax, shown_range(first.loss.output))
        return self.layout

    def frame(self, training: bool) -> bytes:
        """Every lane's numbers, output map and the history, in one binary frame."""
        r = self.race
        layout = self._layout()
        lanes, grids, row = [], [], []
        for c in r.contestants:
            t = c.trainer
            m = t.evaluate()
            lanes.append({"status": STATUS_CODES[c.status], "finished": int(c.finish is not None),
                          "finish": c.finish or 0, "step": t.step, "train_loss": finite(m["train_loss"]),
                          "test_loss": finite(m["test_loss"]), "train_accuracy": finite(m["train_accuracy"]),
                          "test_accuracy": finite(m["test_accuracy"]), "finish_loss": finite(c.finish_loss),
                          "learning_rate": finite(t.learning_rate)})  # fmt: skip
            grids.append(t.grids(RACE_GRID, 1).output)
            row.append((float(t.step), m["train_loss"], m["test_loss"]))
        self.history.add(r.step, row)
        self.frames += 1
        winner = r.winner
        header = {"frame": self.frames, "race": self.number, "round": r.round, "step": r.step,
                  "target": math.nan if r.target is None else r.target,
                  "winner": NO_WINNER if winner is None else winner, "state": int(training)}  # fmt: skip
        return build(header, lanes, grids, self.history, layout)

    def restart(self, round_: int | None = None) -> None:
        """Back to step 0 (a rematch: the next round's weights); the history starts again."""
        if round_ is None:
            self.race.restart()
        else:
            self.race.restart(round_)
        self.history = History()


def handle(host: Host, trainer: Trainer, message: protocol.Message, out: list[dict[str, Any]]) -> bool:
    """Apply a race request, or a shared change to every lane first; True when the message is fully handled here
    (the caller then does nothing more), False when the session's own trainer should apply it too."""
    race: RaceHost | None = getattr(host, "race", None)
    match message:
        case protocol.RaceStart():
            new = Race(dict(trainer.config), message.varied, list(message.values), message.target, trainer.limits)
            host.races_started += 1
            host.race = RaceHost(new, host.races_started)
            host.changed()
            out.append(host.race.message(message.id))
            return True
        case protocol.Landscape():
            now = time.monotonic()
            wait = host.landscape_at + LANDSCAPE_SPACING - now
            if wait > 0:
                raise ConfigError("type", f"at most one landscape every {LANDSCAPE_SPACING:g} s: ask again in "
                                  f"{wait:.1f} s")  # fmt: skip
            steps, answer = _landscape(host, trainer, message)
            host.compute(steps, answer)
            host.landscape_at = now
            return True
        case protocol.OptimizerState():
            out.append(_optimizer_state(race, trainer, message))
            return True
    if isinstance(message, RACE_REQUESTS):  # the rest need a race
        if race is None:
            raise ConfigError("type", f"{message.type} needs a race: start one with race_start")
        match message:
            case protocol.RaceStop():
                host.race = None
                host.changed()
                out.append({"type": "race", "active": False, "race": race.number, "id": message.id})
            case protocol.RaceRematch():
                race.restart(race.race.round + 1)
                out.append(race.message(message.id))
            case protocol.RaceTarget():
                race.race.set_target(message.target)
                out.append(race.message(message.id))
        return True
    if race is None:
        return False
    if isinstance(message, NOT_IN_A_RACE):
        raise ConfigError("type", f"{message.type} does not apply during a race (its lanes have their own weights); "
                          "stop the race first")  # fmt: skip
    if isinstance(message, protocol.Reset):
        race.restart()
        out.append(race.message(message.id))
        return True
    if isinstance(message, protocol.ConfigMsg):
        patch = message.patch()
        patch.pop("speed", None), patch.pop("fps", None)
        if patch:
            race.race.apply(patch)  # every lane checked first: a refused patch changes nothing anywhere
    elif isinstance(message, protocol.AddPoint):
        race.race.each("add_point", message.x, message.y, message.label)
    elif isinstance(message, protocol.ErasePoints):
        race.race.each("erase_points", message.x, message.y, message.radius)
    elif isinstance(message, protocol.LoadCsv):
        race.race.each("load_csv", message.csv)
    elif isinstance(message, protocol.Regenerate):
        race.race.each("regenerate")
    return False


def _landscape(host: Host, trainer: Trainer, message: protocol.Landscape):
    """The steps of a landscape (of the race from its common start, or of the session's run through its timeline's
    snapshots and the current weights) and the function that turns the result into the answer."""
    race: RaceHost | None = getattr(host, "race", None)
    if race is not None:
        steps = race.race.landscape(message.plane, message.seed)
        labels = [c.label for c in race.race.contestants]
        centre_step = 0
    else:
        t = trainer
        ring = t.timeline
        if ring is not None:
            ring.follow(t)
        snapshots = [s for s in (ring.snapshots if ring else []) if s.params.shape == t.network.params.shape]
        path = Path(snapshots[0].params, snapshots[0].step) if snapshots else Path(t.network.params, t.step)
        for s in snapshots[1:]:
            path.steps.append(s.step)
            path.points.append(s.params)
        steps = of_trainer(t, [path.array(t.network.params)], message.plane, seed=message.seed)
        labels = [t.config["optimizer"]]
        centre_step = t.step

    def answer(result: Landscape) -> dict[str, Any]:
        loss = np.round(result.loss, LANDSCAPE_DECIMALS)
        return {"type": "landscape", "id": message.id, "plane": result.plane, "race": race is not None,
                "alphas": np.round(result.alphas, LANDSCAPE_DECIMALS).tolist(),
                "betas": np.round(result.betas, LANDSCAPE_DECIMALS).tolist(),
                "loss": [[finite_or_none(float(v)) for v in row] for row in loss],
                "paths": [{"label": label, "points": np.round(p, LANDSCAPE_DECIMALS).tolist()}
                          for label, p in zip(labels, result.paths, strict=True)],
                "shares": [finite_or_none(float(s)) for s in result.shares], "centre_step": centre_step}  # fmt: skip

    return steps, answer


def _optimizer_state(race: RaceHost | None, own: Trainer, message: protocol.OptimizerState) -> dict[str, Any]:
    """The `optimizer_state` answer for the session's trainer, or a race lane's."""
    if message.lane is not None:
        if race is None or message.lane >= len(race.race.contestants):
            lanes = len(race.race.contestants) if race else 0
            raise ConfigError("lane", f"must be a lane of the race: 0 to {lanes - 1}" if lanes else
                              "needs a race: start one with race_start, or leave lane out")  # fmt: skip
        t = race.race.contestants[message.lane].trainer
    else:
        t = own
    try:
        card = weight_state(t, message.index)
    except IndexError as exc:
        raise ConfigError("index", str(exc)) from exc
    layers = [None if layer is None else {k: finite_or_none(v) for k, v in layer.items()} for layer in layer_steps(t)]
    return {"type": "optimizer_state", "id": message.id, "lane": message.lane, "index": message.index,
            "step": t.step, **card, "layers": layers}  # fmt: skip
