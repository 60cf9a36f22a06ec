"""Applying one validated client message to a session and its Trainer, and the answers it produces.

The engine's functions are called directly: a request the engine refuses raises a ConfigError (or a subclass:
ExportError, NeuronError, SpaceError, DataError) naming the field, which becomes a `rejected` error; anything else is
a bug, logged with its traceback and reported as `internal`."""

from __future__ import annotations

import base64
import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from app import protocol
from app.sessions import race
from engine.config import ConfigError
from engine.data.datasets import DATASETS
from engine.export import export, run_of
from engine.lessons.trace import trace
from engine.trainer import Trainer
from engine.views.hidden_space import hidden_space
from engine.views.metrics import metrics
from engine.views.neuron import neuron_math

if TYPE_CHECKING:
    from app.sessions.session import Session

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


def apply(host: Session, message: protocol.Message, out: list[dict[str, Any]]) -> None:
    """Apply one message to the session (in its pool job); its answers, or an `error` naming the field at fault, go
    to `out`."""
    trainer = host.trainer
    assert trainer is not None
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


def _dispatch(host: Session, trainer: Trainer, message: protocol.Message, out: list[dict[str, Any]]) -> None:
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
            removed = int(trainer.erase_points(message.x, message.y, message.radius))
            out.append({"type": "event", "kind": "points_erased", "message": f"Erased {removed} points.",
                        "count": removed})
        case protocol.LoadCsv():
            trainer.load_csv(message.csv)
        case protocol.ExportCsv():
            out.append({"type": "csv", "id": message.id, "csv": trainer.export_csv()})
        case protocol.ExportCode():
            filename, text = export(run_of(trainer), message.format)
            out.append({"type": "export", "id": message.id, "format": message.format, "filename": filename,
                        "text": text, "step": trainer.step})
        case protocol.SetWeight():
            trainer.set_weight(message.layer, message.row, message.col, message.value)
        case protocol.SetParams():
            trainer.set_params(message.params, message.step, message.epoch)
        case protocol.Trace():
            out.append({"type": "trace", "id": message.id, **trace(trainer, message.index, message.split),
                        "step": trainer.step})
        case protocol.Metrics():
            with host.timeline.at(trainer, message.step):
                out.append({"type": "metrics", "id": message.id, **metrics(trainer)})
        case protocol.Neuron():
            with host.timeline.at(trainer, message.step):
                card = neuron_math(trainer, message.index, message.split, message.layer, message.neuron)
                out.append({"type": "neuron", "id": message.id, **card, "step": trainer.step})
        case protocol.HiddenSpace():
            with host.timeline.at(trainer, message.step):
                domain = DATASETS[trainer.config["dataset"]].domain
                space = hidden_space(trainer, message.layer, message.neurons, domain)
            out.append({"type": "hidden_space", "id": message.id, **space})
        case protocol.TimelineMsg():
            out.append({"type": "timeline", "id": message.id, **host.timeline.listing(trainer)})
        case protocol.ViewSnapshot():
            frame = host.past_frame(message.step)
            out.append({"type": "snapshot", "id": message.id, "step": message.step,
                        "frame": base64.b64encode(frame).decode("ascii")})
        case protocol.RestoreSnapshot():
            events = host.timeline.go_back(trainer, message.step)
            host.announce(events, out)
            out.append({"type": "restored", "id": message.id, "step": trainer.step, "epoch": trainer.epoch})
            out.append({"type": "config", "config": host.config(), "changed": [], "id": message.id})
        case protocol.WatchClaim():
            if message.reset:
                _reset(host, trainer, out)
            host.watch_claim(message.preset, message.pause, out)
        case protocol.GradCheck():
            host.compute(trainer.gradcheck_steps(inject_bug=message.inject_bug), partial(_gradcheck_answer, message))


def _reset(host: Session, trainer: Trainer, out: list[dict[str, Any]]) -> None:
    trainer.reset()
    run = host.new_run()
    out.append({"type": "event", "kind": "reset", "message": "Fresh weights from the seed; "
                "counters and loss history start again.", "run": run})


def _gradcheck_answer(message: protocol.GradCheck, errors: list[float]) -> dict[str, Any]:
    errors = [float(e) for e in errors]
    worst = max(errors) if errors else 0.0
    return {"type": "gradcheck", "id": message.id, "layers": errors, "passed": bool(worst < GRADCHECK_THRESHOLD),
            "threshold": GRADCHECK_THRESHOLD, "inject_bug": message.inject_bug}
