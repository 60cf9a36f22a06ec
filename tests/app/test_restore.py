"""Restoring a run on a new session (the page does it after a server restart): `set_params` with `step` and `epoch`,
over real uvicorn. Valid counters continue from where they were set; bad ones are refused naming the field, and
change nothing (neither the weights nor the counters)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.app.test_protocol import Client

pytestmark = pytest.mark.timeout(60)

MAX_COUNTER = 2**31 - 1  # as docs/protocol.md states it


def float32_values(n: int, seed: int) -> list[float]:
    """n float32 weights as the page sends them: each float32 written out as the float64 that equals it."""
    return np.random.default_rng(seed).uniform(-2, 2, n).astype(np.float32).astype(np.float64).tolist()


def test_set_params_with_step_and_epoch_restores_the_counters_and_training_continues_from_them(server):
    with Client(server.ws_url) as c:
        first = c.frame()
        assert first["step"] == 0 and first["epoch"] == 0
        values = float32_values(first["params"].size, 1)
        c.send(type="set_params", id="restore", params=values, step=1234, epoch=5)
        c.send(type="config", id="done")
        c.wait(lambda m: m.get("id") == "done")
        assert not [m for m in c.messages if m["type"] == "error"]
        restored = c.frame(lambda f: f["frame"] > first["frame"] and f["step"] > 0)
        assert (restored["step"], restored["epoch"]) == (1234, 5)
        assert restored["params"].tobytes() == np.asarray(values, np.float32).tobytes()  # bit for bit
        c.send(type="step", n=3)
        trained = c.frame(lambda f: f["step"] > 1234)
        assert trained["step"] == 1237 and trained["epoch"] >= 5
        assert [row[0] for row in trained["history"]] == [1237.0]  # the loss chart goes on from the restored step


@pytest.mark.parametrize(
    ("extra", "code", "field"),
    [
        ({"step": -1}, "invalid", "step"),
        ({"step": MAX_COUNTER + 1}, "invalid", "step"),
        ({"step": None}, "invalid", "step"),
        ({"step": 7.5}, "invalid", "step"),
        ({"step": True}, "invalid", "step"),
        ({"epoch": "2"}, "invalid", "epoch"),
        ({"epoch": -3, "step": 10}, "invalid", "epoch"),
        ({"step": 10, "epoch": 11}, "rejected", "epoch"),  # an epoch takes at least one step
        ({"step": 10, "epoch": 2, "params": [0.5]}, "rejected", "params"),  # weights that do not fit: counters kept
    ],
)
def test_bad_counters_are_refused_naming_the_field_and_change_nothing(server, extra, code, field):
    with Client(server.ws_url) as c:
        first = c.frame()
        values = float32_values(first["params"].size, 2)
        c.send(type="set_params", params=values, step=100, epoch=3)
        before = c.frame(lambda f: f["step"] == 100)
        message = {"params": float32_values(first["params"].size, 3), **extra}
        c.send(type="set_params", id="bad", **message)
        error = c.wait(lambda m: m["type"] == "error")
        assert (error["code"], error["field"], error["id"]) == (code, field, "bad"), error
        c.send(type="set_weight", id="probe", layer=0, row=0, col=0, value=0.5)  # a change: the next frame shows it
        after = c.frame(lambda f: f["frame"] > before["frame"] and f["params"][0] == np.float32(0.5))
        assert (after["step"], after["epoch"]) == (100, 3)
        assert after["params"][1:].tobytes() == before["params"][1:].tobytes()
