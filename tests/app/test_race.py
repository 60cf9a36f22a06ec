"""Races, landscapes and optimizer state over real uvicorn: race frames decoded independently (from the documented
layout), each lane equal to a solo engine run, a finish and a winner, every bad field named, the session going on."""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np
import pytest

from engine.trainer import Trainer
from tests.app.test_protocol import Client

pytestmark = pytest.mark.timeout(90)

# The race frame's header and lane record as docs/protocol.md gives them (written out here, not imported).
RACE_HEADER = "<4sHHIIIIfBBBBII"
RACE_HEADER_NAMES = ("magic", "protocol", "header_size", "frame", "race", "round", "step", "target", "lanes",
                     "winner", "state", "grid", "history_rows", "history_offset")  # fmt: skip
RACE_LANE = "<BBHIIffffff"
RACE_LANE_NAMES = ("status", "finished", "reserved", "finish", "step", "train_loss", "test_loss", "train_accuracy",
                   "test_accuracy", "finish_loss", "learning_rate")  # fmt: skip


def decode_race(frame: bytes, race: dict[str, Any]) -> dict[str, Any]:
    header = dict(zip(RACE_HEADER_NAMES, struct.unpack_from(RACE_HEADER, frame, 0), strict=True))
    assert header["magic"] == b"BPPR" and header["header_size"] == struct.calcsize(RACE_HEADER)
    n = header["lanes"]
    layout = race["layout"]
    assert layout["lane"]["offset"] == header["header_size"] and layout["lane"]["size"] == struct.calcsize(RACE_LANE)
    size = struct.calcsize(RACE_LANE)
    lanes = [dict(zip(RACE_LANE_NAMES, struct.unpack_from(RACE_LANE, frame, layout["lane"]["offset"] + i * size),
                      strict=True)) for i in range(n)]  # fmt: skip
    g = header["grid"]
    grids = np.frombuffer(frame, np.uint8, n * g * g, layout["grids"]["offset"]).reshape(n, g, g)
    rows = header["history_rows"]
    assert len(frame) == header["history_offset"] + rows * n * 3 * 4
    history = np.frombuffer(frame, "<f4", rows * n * 3, header["history_offset"]).reshape(rows, n, 3)
    return {**header, "lanes_": lanes, "grids": grids, "history": history, "type": "race_frame"}


class RaceClient(Client):
    """Decodes main frames with the layout and race frames with the last `race` message."""

    race: dict[str, Any] | None = None

    def read(self, raw: str | bytes) -> dict[str, Any]:
        if isinstance(raw, bytes) and raw[:4] == b"BPPR":
            assert self.race is not None, "a race frame arrived before any race message"
            return decode_race(raw, self.race)
        message = super().read(raw)
        if message["type"] == "race" and message.get("active"):
            self.race = message
        return message

    def race_frame(self, predicate=lambda f: True, timeout: float = 30.0) -> dict[str, Any]:
        return self.wait(lambda m: m["type"] == "race_frame" and predicate(m), timeout)

    def error(self, request_id: str) -> dict[str, Any]:
        return self.wait(lambda m: m["type"] == "error" and m.get("id") == request_id)


CONFIG = {"points": 200, "layers": [5, 3], "learning_rate": 0.05, "batch_size": 10}


def test_a_race_streams_every_lane_each_equal_to_a_solo_run(server):
    with RaceClient(server.ws_url) as c:
        c.frame()
        c.send(type="config", **CONFIG)
        config = c.json("config")["config"]
        c.send(type="race_start", id="r", values=["sgd", "momentum", "adam"])
        race = c.json("race")
        assert race["id"] == "r" and race["active"] and [lane["label"] for lane in race["lanes"]] == [
            "sgd", "momentum", "adam"]
        c.send(type="step", n=5)  # not during a race: the lanes have their own weights
        assert c.json("error")["field"] == "type"
        c.send(type="play")
        frame = c.race_frame(lambda f: f["step"] >= 40)
        c.send(type="pause")
        c.json("state")
        frame = c.race_frame(lambda f: f["state"] == 0)
        steps = [lane["step"] for lane in frame["lanes_"]]
        assert len(set(steps)) == 1, steps  # lockstep
        engine_config = {k: v for k, v in config.items() if k not in ("speed", "fps")}
        for lane, optimizer in zip(frame["lanes_"], ["sgd", "momentum", "adam"], strict=True):
            solo = Trainer({**engine_config, "optimizer": optimizer})
            solo.train(lane["step"])
            m = solo.evaluate()
            assert lane["train_loss"] == np.float32(m["train_loss"]) and lane["test_loss"] == np.float32(m["test_loss"])
            assert lane["status"] == 0 and math.isnan(lane["finish_loss"])
        assert frame["grids"].shape == (3, 40, 40) and frame["history"].shape[1:] == (3, 3)
        assert frame["history"][-1, 0, 0] == steps[0]


def test_a_finish_line_and_a_winner(server):
    with RaceClient(server.ws_url) as c:
        c.frame()
        c.send(type="config", **CONFIG)
        c.json("config")
        c.send(type="race_start", values=["sgd", "adam"], target=0.3)
        c.json("race")
        c.send(type="play")
        frame = c.race_frame(lambda f: f["winner"] != 255, timeout=60)
        c.send(type="pause")
        winner = frame["lanes_"][frame["winner"]]
        assert winner["finished"] == 1 and winner["finish_loss"] <= np.float32(0.3)
        others = [lane for lane in frame["lanes_"] if lane is not winner and lane["finished"]]
        assert all(lane["finish"] >= winner["finish"] for lane in others)
        assert frame["target"] == np.float32(0.3)
        c.send(type="race_target", id="t", target=None)
        race = c.json("race")
        assert race["target"] is None and race["winner"] is None
        c.send(type="race_rematch", id="m")
        race = c.json("race")
        assert race["round"] == 1
        assert c.race_frame(lambda f: f["round"] == 1)["step"] == 0
        c.send(type="race_stop", id="s")
        assert c.json("race")["active"] is False
        c.frame()  # the main frames come back


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"type": "race_start", "values": ["sgd"]}, "values"),
        ({"type": "race_start", "values": ["sgd", "warp"]}, "values[1]"),
        ({"type": "race_start", "varied": "speed", "values": [1, 2]}, "varied"),
        ({"type": "race_start", "varied": "learning_rate", "values": [0.1, 50]}, "values[1]"),
        ({"type": "race_start", "values": ["sgd", "adam"], "target": -1}, "target"),
        ({"type": "race_rematch"}, "type"),
        ({"type": "race_target", "target": 0.1}, "type"),
        ({"type": "landscape", "plane": "tilted"}, "plane"),
        ({"type": "optimizer_state", "index": 10_000}, "index"),
        ({"type": "optimizer_state", "index": 0, "lane": 1}, "lane"),
    ],
)
def test_bad_requests_name_the_field_and_the_session_goes_on(server, message, field):
    with RaceClient(server.ws_url) as c:
        c.frame()
        c.send(**message, id="bad")
        error = c.error("bad")
        assert error["field"] == field, error
        c.send(type="ping", id="p")
        c.json("pong")


def test_during_a_race_shared_changes_reach_every_lane_and_the_varied_one_is_refused(server):
    with RaceClient(server.ws_url) as c:
        c.frame()
        c.send(type="race_start", values=["sgd", "adam"])
        c.json("race")
        c.send(type="config", id="v", optimizer="nesterov")
        assert c.error("v")["field"] == "optimizer"
        c.send(type="set_weight", id="w", layer=0, row=0, col=0, value=1.0)
        assert c.error("w")["field"] == "type"
        c.send(type="config", id="c", layers=[3], learning_rate=0.1)
        assert c.json("config")["config"]["layers"] == [3]
        c.send(type="step", id="s", n=1)
        c.error("s")
        c.send(type="optimizer_state", id="o", index=0, lane=1)
        state = c.json("optimizer_state")
        assert state["optimizer"] == "adam" and len(state["layers"]) == 2  # 2-3-1: the lanes took the new layers


def test_landscape_centre_is_the_training_loss_and_the_path_starts_at_the_start(server):
    with RaceClient(server.ws_url) as c:
        c.frame()
        c.send(type="config", **CONFIG, optimizer="adam")
        c.json("config")
        c.send(type="step", n=60)
        frame = c.frame(lambda f: f["step"] == 60)
        c.send(type="landscape", id="l", plane="pca")
        got = c.json("landscape", timeout=60)
        assert got["id"] == "l" and got["plane"] == "pca" and not got["race"]
        loss = np.array(got["loss"], dtype=float)
        assert loss.shape == (41, 41) and got["alphas"][20] == 0.0 and got["betas"][20] == 0.0
        assert loss[20, 20] == pytest.approx(frame["train_loss"], rel=1e-5)
        (path,) = got["paths"]
        assert path["points"][-1] == pytest.approx([0.0, 0.0], abs=1e-6)  # the current weights are the centre
        assert len(path["points"]) >= 3
        c.send(type="optimizer_state", id="o", index=3)
        state = c.json("optimizer_state")
        assert state["id"] == "o" and state["t"] == state["step"] == 60 and set(state["state"]) == {"m", "v", "m̂", "v̂"}
        m, v = state["state"]["m"], state["state"]["v"]
        assert state["state"]["m̂"] == pytest.approx(m / (1 - 0.9**60)) and state["state"]["v̂"] == pytest.approx(
            v / (1 - 0.999**60))
        assert state["w"] == pytest.approx(float(frame["params"][3]))


def test_a_race_landscape_has_every_path_from_the_common_start(server):
    with RaceClient(server.ws_url) as c:
        c.frame()
        c.send(type="config", **CONFIG)
        c.json("config")
        c.send(type="race_start", values=["sgd", "momentum", "adam"])
        c.json("race")
        c.send(type="play")
        c.race_frame(lambda f: f["step"] >= 50)
        c.send(type="landscape", id="l")
        got = c.json("landscape", timeout=60)
        c.send(type="pause")
        assert got["race"] and [p["label"] for p in got["paths"]] == ["sgd", "momentum", "adam"]
        for p in got["paths"]:
            assert p["points"][0] == pytest.approx([0.0, 0.0], abs=1e-9)


def test_race_presets_are_served_and_start_as_they_say(server):
    import urllib.request

    with urllib.request.urlopen(server.url + "/api/races", timeout=10) as response:
        info = json.load(response)
    assert info["min_lanes"] == 2 and info["max_lanes"] == 4 and "optimizer" in info["varied"]
    assert [p["id"] for p in info["presets"]] == ["race-momentum", "race-adaptive", "race-rates", "race-batches"]
    preset = info["presets"][2]
    with RaceClient(server.ws_url) as c:
        c.frame()
        c.send(type="config", **{k: v for k, v in preset["config"].items()})
        c.json("config")
        c.send(type="race_start", varied=preset["varied"], values=preset["values"], target=preset["target"])
        race = c.json("race")
        assert [lane["config"][preset["varied"]] for lane in race["lanes"]] == preset["values"]
        assert race["target"] == preset["target"]


def test_landscapes_are_spaced_a_second_apart(server):
    with RaceClient(server.ws_url) as c:
        c.frame()
        c.send(type="landscape", id="a")
        c.send(type="landscape", id="b")
        refused = c.error("b")
        assert refused["field"] == "type" and "at most one landscape every 1 s" in refused["message"]
        assert c.json("landscape", timeout=60)["id"] == "a"


def test_a_race_at_full_speed_keeps_streaming_new_steps(server):
    """A full-speed race keeps streaming, and every race frame shows new steps."""
    with RaceClient(server.ws_url) as c:
        c.frame()
        c.send(type="config", **CONFIG, speed="max")
        c.json("config")
        c.send(type="race_start", values=["sgd", "adam"], target=0.01)
        c.json("race")
        c.send(type="play")
        steps = [c.race_frame()["step"] for _ in range(40)]
        c.send(type="pause")
        assert all(a < b for a, b in zip(steps, steps[1:], strict=False)), steps  # every frame shows new steps
