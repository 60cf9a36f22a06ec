"""The timeline over real uvicorn: the snapshots are the run's own frames, a past frame shows a kept moment without
touching the live run, and "continue from here" trains on bit for bit as the run did the first time."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from tests.app.test_protocol import Client, decode, weight_index

pytestmark = pytest.mark.timeout(90)
PAST = 2  # the header's flags bit for a past moment (docs/protocol.md)


def record(c: Client, steps: int) -> dict[int, dict]:
    """Train one step at a time; the frame of every step, by step."""
    frames = {0: c.frame(lambda f: f["step"] == 0)}
    for k in range(1, steps + 1):
        c.send(type="step", n=1)
        frames[k] = c.frame(lambda f, k=k: f["step"] == k)
    return frames


def test_the_timeline_keeps_the_runs_own_moments_and_shows_one_without_touching_the_live_run(server):
    with Client(server.ws_url) as c:
        c.send(type="config", optimizer="adam", batch_size=10)
        c.json("config")
        frames = record(c, 24)
        c.send(type="timeline", id="t")
        timeline = c.json("timeline")
        assert timeline["id"] == "t" and timeline["step"] == 24 and timeline["capacity"] >= 24
        assert [s["step"] for s in timeline["snapshots"]] == list(range(25)) and timeline["interval"] == 1
        assert timeline["complete"] is False and 0 < timeline["bytes"] <= 64 * 26_000
        while not timeline["complete"]:  # at most 16 evaluated per answer
            c.send(type="timeline")
            timeline = c.json("timeline")
        for s in timeline["snapshots"][1:]:
            frame = frames[s["step"]]
            for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
                assert s[key] == pytest.approx(frame[key], rel=1e-5)
        c.send(type="view_snapshot", step=12, id="v")
        answer = c.json("snapshot")
        past = decode(base64.b64decode(answer["frame"]), c.layout)
        assert (answer["id"], answer["step"], past["step"], past["flags"] & PAST) == ("v", 12, 12, PAST)
        assert np.array_equal(past["params"], frames[12]["params"]) and len(past["history"]) == 0
        assert past["train_loss"] == pytest.approx(frames[12]["train_loss"], rel=1e-5)
        assert not past["grads"].any()  # a snapshot keeps no gradients
        c.send(type="metrics", step=12)
        metrics = c.json("metrics")
        assert metrics["step"] == 12
        assert metrics["train"]["accuracy"] == pytest.approx(frames[12]["train_accuracy"], abs=1e-6)
        c.send(type="neuron", index=0, layer=1, neuron=2, step=12)
        card = c.json("neuron")
        assert card["step"] == 12
        assert card["weights"] == [float(frames[12]["params"][weight_index(c.layout, 0, 2, i)]) for i in range(2)]
        c.send(type="hidden_space", layer=1, step=12)
        assert c.json("hidden_space")["step"] == 12
        c.send(type="metrics", step=13_000)
        assert c.json("error")["field"] == "step"
        c.send(type="step", n=1)
        live = c.frame(lambda f: f["step"] == 25)
        assert not live["flags"] & PAST and not np.array_equal(live["params"], frames[12]["params"])


def test_continue_from_here_trains_on_bit_for_bit_as_the_first_time(server):
    with Client(server.ws_url) as c:
        c.send(type="config", optimizer="momentum", batch_size=7, dropout=0.1)
        rate = c.json("config")["config"]["learning_rate"]
        frames = record(c, 30)
        c.send(type="config", learning_rate=0.5)
        c.json("config")
        c.send(type="restore_snapshot", step=11, id="r")
        restored = c.json("restored")
        assert (restored["id"], restored["step"]) == ("r", 11)
        config = c.json("config")
        assert config["id"] == "r" and config["config"]["learning_rate"] == rate != 0.5  # its settings, too
        again = c.frame(lambda f: f["step"] == 11)
        assert np.array_equal(again["params"], frames[11]["params"])
        for k in range(12, 20):
            c.send(type="step", n=1)
            frame = c.frame(lambda f, k=k: f["step"] == k)
            assert np.array_equal(frame["params"], frames[k]["params"]), f"step {k} differs"
        c.send(type="timeline")
        assert max(s["step"] for s in c.json("timeline")["snapshots"]) == 19  # the old future is gone


@pytest.mark.parametrize(("message", "code"), [
    ({"type": "view_snapshot", "step": 9999}, "rejected"),
    ({"type": "restore_snapshot", "step": 9999}, "rejected"),
    ({"type": "view_snapshot", "step": -1}, "invalid"),
    ({"type": "restore_snapshot"}, "invalid"),
])  # fmt: skip
def test_a_step_the_timeline_does_not_keep_is_named(server, message, code):
    with Client(server.ws_url) as c:
        c.frame()
        c.send(**message, id=3)
        error = c.json("error")
        assert (error["code"], error["field"], error["id"]) == (code, "step", 3)
        if code == "rejected":
            assert "0 to 0" in error["message"]
        c.send(type="timeline", id=4)
        assert c.json("timeline")["id"] == 4
