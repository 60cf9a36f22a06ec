"""Applying one validated client message to the trainer and the session, and the answers it produces."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Generator
from functools import partial
from typing import Any, Protocol

from app import protocol, race
from app.trainer_view import TrainerView
from engine.config import ConfigError

log = logging.getLogger("playground.session")

# Answered without changing what a frame shows.
READ_ONLY = (protocol.ExportCsv, protocol.ExportCode, protocol.Trace, protocol.GradCheck, protocol.Metrics,
             protocol.Neuron, protocol.HiddenSpace, protocol.TimelineMsg, protocol.ViewSnapshot, *race.READ_ONLY)
RUN_CHANGES = {  # what makes the run no longer a preset's own, so a claim watch on it ends
    protocol.Reset: "the network was reset", protocol.Regenerate: "new data was drawn",
    protocol.AddPoint: "a point was added", protocol.ErasePoints: "points were erased",
    protocol.LoadCsv: "other data was loaded", protocol.SetWeight: "a weight was edited",
    protocol.SetParams: "the weights were replaced", protocol.RestoreSnapshot: "an earlier moment was restored",
}
GRADCHECK_THRESHOLD = 1e-4


class TooMuchWork(ConfigError):
    """A request for more work than a session may queue (`field`: `n` for steps asked for, `type` for a second
    `gradcheck` while one runs)."""

    def __init__(self, message: str, field: str = "n") -> None:
        super().__init__(field, message)


class Host(Protocol):
    """The session as a command sees it: its rates, its run state, and where trainer events go (pool job only)."""

    id: int
    speed: float | str
    fps: float
    max_fps: float

    def config(self) -> dict[str, Any]:
        """The full applied config, plus the server's own keys speed and fps."""
        ...

    def changed(self) -> None:
        """What a frame shows has changed: a frame is due."""
        ...

    def play(self, out: list[dict[str, Any]]) -> None:
        """Start training."""
        ...

    def pause(self, out: list[dict[str, Any]]) -> None:
        """Stop training."""
        ...

    def resume_after_change(self, out: list[dict[str, Any]]) -> None:
        """Train again if training stopped on divergence and is waiting for a config change."""
        ...

    def announce(self, events: list[dict[str, Any]], out: list[dict[str, Any]]) -> bool:
        """Forward trainer events; True if training must stop."""
        ...

    def owe(self, steps: int, out: list[dict[str, Any]]) -> None:
        """Train `steps` more, in chunks between other work (TooMuchWork if too many are queued already)."""
        ...

    def compute(self, steps: Generator[None, None, Any], answer: Callable[[Any], dict[str, Any]]) -> None:
        """Run a stepwise computation in chunks between other work, then send `answer(result)` (TooMuchWork if one
        is still running)."""
        ...

    def past_frame(self, step: int) -> bytes:
        """A frame of the timeline's snapshot at `step` (ConfigError on `step` if the timeline has none)."""
        ...

    def new_run(self) -> int:
        """Start a new run after a reset; its number."""
        ...

    def watch_claim(self, preset: str, pause: bool, out: list[dict[str, Any]]) -> None:
        """Watch this run for the preset's claim (ConfigError on `preset` unless it is the preset's own from step 0)."""
        ...

    def run_changed(self, reason: str, out: list[dict[str, Any]]) -> None:
        """The run is no longer what a claim watch started on: end the watch, saying why."""
        ...


def apply(host: Host, trainer: TrainerView, message: protocol.Message, out: list[dict[str, Any]]) -> None:
    """Apply one message; its answers, or an `error` naming the field at fault, go to `out`."""
    if not isinstance(message, READ_ONLY):
        host.changed()
    try:
        if race.handle(host, trainer, message, out):  # a race request, or a shared change already given to its lanes
            return
        before = trainer.config
        _dispatch(host, trainer, message, out)
        if type(message) in RUN_CHANGES:
            host.run_changed(RUN_CHANGES[type(message)], out)
        elif isinstance(message, protocol.ConfigMsg) and (changed := [k for k in before if before[k] !=
                                                                      trainer.config[k]]):  # fmt: skip
            host.run_changed(f"{', '.join(changed)} changed", out)
    except ConfigError as exc:  # the only refusal: a value the engine or the session does not accept, and its field
        out.append(protocol.ProtocolError("rejected", exc.field, exc.message, message.id).to_message())
    except Exception as exc:  # anything else is a bug: logged with its traceback, reported as internal
        log.exception("session %s: %s failed", host.id, type(message).__name__)
        out.append(protocol.ProtocolError("internal", None, f"the server failed: {exc!r}", message.id).to_message())


def _dispatch(host: Host, trainer: TrainerView, message: protocol.Message, out: list[dict[str, Any]]) -> None:
    match message:
        case protocol.ConfigMsg():
            patch = message.patch()
            speed, fps = patch.pop("speed", None), patch.pop("fps", None)
            if fps is not None and fps > host.max_fps:  # before anything changes: a refused patch changes nothing
                raise ConfigError("fps", f"must be from 1 to {host.max_fps:g} frames per second on this "
                                           "server (its PLAYGROUND_MAX_FPS)")
            events = trainer.apply(patch) if patch else []
            if speed is not None:
                host.speed = speed
            if fps is not None:
                host.fps = float(fps)
            host.announce(events, out)
            out.append({"type": "config", "config": host.config(), "changed": sorted(message.patch()),
                        "id": message.id})
            host.resume_after_change(out)
        case protocol.Play():
            host.play(out)
        case protocol.Pause():
            host.pause(out)
        case protocol.Step():
            host.owe(message.n, out)
        case protocol.Epoch():
            host.owe(trainer.steps_left_in_epoch(), out)
        case protocol.Reset():
            _reset(host, trainer, out)
        case protocol.Regenerate():
            host.announce(trainer.regenerate(), out)
            out.append({"type": "config", "config": host.config(), "changed": ["seed"], "id": message.id})
        case protocol.AddPoint():
            trainer.add_point(message.x, message.y, message.label)
        case protocol.ErasePoints():
            removed = trainer.erase_points(message.x, message.y, message.radius)
            out.append({"type": "event", "kind": "points_erased", "message": f"Erased {removed} points.",
                        "count": removed})
        case protocol.LoadCsv():
            trainer.load_csv(message.csv)
        case protocol.ExportCsv():
            out.append({"type": "csv", "id": message.id, "csv": trainer.export_csv()})
        case protocol.ExportCode():
            out.append({"type": "export", "id": message.id, "format": message.format,
                        **trainer.export_code(message.format)})
        case protocol.SetWeight():
            trainer.set_weight(message.layer, message.row, message.col, message.value)
        case protocol.SetParams():
            trainer.set_params(message.params, message.step, message.epoch)
        case protocol.Trace():
            out.append({"type": "trace", "id": message.id, **trainer.trace(message.index, message.split)})
        case protocol.Metrics():
            with trainer.at(message.step):
                out.append({"type": "metrics", "id": message.id, **trainer.metrics()})
        case protocol.Neuron():
            with trainer.at(message.step):
                card = trainer.neuron(message.index, message.split, message.layer, message.neuron)
            out.append({"type": "neuron", "id": message.id, **card})
        case protocol.HiddenSpace():
            with trainer.at(message.step):
                space = trainer.hidden_space(message.layer, message.neurons)
            out.append({"type": "hidden_space", "id": message.id, **space})
        case protocol.TimelineMsg():
            out.append({"type": "timeline", "id": message.id, **trainer.timeline()})
        case protocol.ViewSnapshot():
            frame = host.past_frame(message.step)
            out.append({"type": "snapshot", "id": message.id, "step": message.step,
                        "frame": base64.b64encode(frame).decode("ascii")})
        case protocol.RestoreSnapshot():
            events = trainer.restore_snapshot(message.step)
            host.announce(events, out)
            out.append({"type": "restored", "id": message.id, "step": trainer.step, "epoch": trainer.epoch})
            out.append({"type": "config", "config": host.config(), "changed": [], "id": message.id})
        case protocol.WatchClaim():
            if message.reset:
                _reset(host, trainer, out)
            host.watch_claim(message.preset, message.pause, out)
        case protocol.GradCheck():
            host.compute(trainer.gradcheck_steps(message.inject_bug), partial(_gradcheck_answer, message))


def _reset(host: Host, trainer: TrainerView, out: list[dict[str, Any]]) -> None:
    trainer.reset()
    run = host.new_run()
    out.append({"type": "event", "kind": "reset", "message": "Fresh weights from the seed; "
                "counters and loss history start again.", "run": run})


def _gradcheck_answer(message: protocol.GradCheck, errors: list[float]) -> dict[str, Any]:
    errors = [float(e) for e in errors]
    worst = max(errors) if errors else 0.0
    return {"type": "gradcheck", "id": message.id, "layers": errors, "passed": bool(worst < GRADCHECK_THRESHOLD),
            "threshold": GRADCHECK_THRESHOLD, "inject_bug": message.inject_bug}
