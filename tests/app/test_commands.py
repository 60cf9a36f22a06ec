"""One validated message applied to a real TrainerView and a stand-in session: the answers and the errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from app import commands, protocol
from app.settings import Settings
from app.trainer_view import TrainerView


class FakeHost:
    """Records what a command asks of the session."""

    def __init__(self) -> None:
        self.id = 7
        self.speed: float | str = protocol.DEFAULT_SPEED
        self.fps: float = protocol.DEFAULT_FPS
        self.calls: list[str] = []
        self.events: list[dict[str, Any]] = []
        self.run = 1

    def config(self) -> dict[str, Any]:
        return {"speed": self.speed, "fps": self.fps}

    def changed(self) -> None:
        self.calls.append("changed")

    def play(self, out: list[dict[str, Any]]) -> None:
        self.calls.append("play")

    def pause(self, out: list[dict[str, Any]]) -> None:
        self.calls.append("pause")

    def resume_after_change(self, out: list[dict[str, Any]]) -> None:
        self.calls.append("resume_after_change")

    def announce(self, events: list[dict[str, Any]], out: list[dict[str, Any]]) -> bool:
        self.events += events
        return False

    def train_now(self, run: Callable[[], list[dict[str, Any]]], out: list[dict[str, Any]]) -> None:
        self.calls.append("train_now")
        self.announce(run(), out)

    def new_run(self) -> int:
        self.run += 1
        return self.run


@pytest.fixture
def trainer() -> TrainerView:
    return TrainerView.create(Settings())


def apply(host: FakeHost, trainer: TrainerView, **message: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    commands.apply(host, trainer, protocol.parse(json.dumps(message)), out)
    return out


def test_config_sets_speed_and_fps_answers_the_config_then_may_resume(trainer):
    host = FakeHost()
    out = apply(host, trainer, type="config", speed="max", fps=20, learning_rate=0.1)
    assert (host.speed, host.fps) == ("max", 20.0)
    assert out == [{"type": "config", "config": {"speed": "max", "fps": 20.0},
                    "changed": ["fps", "learning_rate", "speed"]}]
    assert trainer.config["learning_rate"] == 0.1
    assert host.calls == ["changed", "resume_after_change"]


def test_play_pause_step_epoch_go_to_the_session(trainer):
    host = FakeHost()
    for kind in ("play", "pause", "step", "epoch"):
        apply(host, trainer, type=kind)
    assert host.calls == ["changed", "play", "changed", "pause", "changed", "train_now", "changed", "train_now"]
    assert trainer.step > 1


def test_reset_starts_a_new_run(trainer):
    out = apply(FakeHost(), trainer, type="reset")
    assert out[0]["kind"] == "reset" and out[0]["run"] == 2


def test_read_only_messages_change_nothing_a_frame_shows(trainer):
    host = FakeHost()
    csv = apply(host, trainer, type="export_csv", id="a")
    trace = apply(host, trainer, type="trace", index=0, id="b")
    check = apply(host, trainer, type="gradcheck", id="c")
    assert host.calls == []
    assert csv[0]["type"] == "csv" and csv[0]["id"] == "a" and csv[0]["csv"]
    assert trace[0]["type"] == "trace" and trace[0]["id"] == "b" and trace[0]["step"] == 0
    assert check[0]["type"] == "gradcheck" and check[0]["passed"] is True and check[0]["threshold"] == 1e-4


def test_a_config_error_names_its_field(trainer):
    out = apply(FakeHost(), trainer, type="trace", index=10_000, id=3)
    assert out == [{"type": "error", "code": "rejected", "field": "index", "message": out[0]["message"], "id": 3}]


def test_bad_data_is_rejected_with_the_message_field(trainer):
    out = apply(FakeHost(), trainer, type="load_csv", csv="not,a,number\nx,y,z\n")
    assert out[0]["type"] == "error" and out[0]["code"] == "rejected" and out[0]["field"] == "csv"


def test_an_unexpected_failure_is_internal(trainer, monkeypatch):
    def broken(n: int) -> list[dict[str, Any]]:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(trainer, "train", broken)
    out = apply(FakeHost(), trainer, type="step", id=9)
    assert out == [{"type": "error", "code": "internal", "field": None,
                    "message": "the server failed: RuntimeError('engine bug')", "id": 9}]
