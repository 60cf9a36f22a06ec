"""Divergence: a learning rate of 10 diverges, nothing non-finite reaches the page, a lower rate trains again."""

from __future__ import annotations

import numpy as np
import pytest

from tests.app.test_protocol import Client

pytestmark = pytest.mark.timeout(60)

FLOAT_BLOCKS = ("params", "grads", "delta_mean", "delta_abs", "grad_norm", "update_ratio")


def assert_finite(frame: dict) -> None:
    for name in FLOAT_BLOCKS:
        assert np.isfinite(frame[name]).all(), name
    assert np.isfinite(frame["history"]).all()
    for key in ("train_loss", "test_loss", "learning_rate"):
        assert np.isfinite(frame[key]), key


def test_learning_rate_10_diverges_and_a_lower_rate_resumes(server):
    with Client(server.ws_url) as c:
        c.send(type="config", dataset="plane", learning_rate=10.0, speed=200)
        assert c.json("config")["config"]["learning_rate"] == 10.0
        c.send(type="play")
        event = c.wait(lambda m: m["type"] == "event" and m["kind"] == "diverged", timeout=20)
        assert event["message"] and event["step"] is not None
        stopped = c.wait(lambda m: m["type"] == "state" and m["state"] == "idle")
        assert "diverged" in stopped["reason"]
        flagged = c.frame(lambda f: f["flags"] & 1)
        assert flagged["state"] == 0
        for frame in c.frames:
            assert_finite(frame)
        c.send(type="config", learning_rate=0.01)
        assert c.json("state")["state"] == "training"
        resumed = c.frame(lambda f: f["step"] > flagged["step"] + 50, timeout=20)
        assert resumed["state"] == 1 and not resumed["flags"] & 1
        assert not any(m["type"] == "event" and m["kind"] == "diverged" for m in c.messages[c.messages.index(stopped):])
        for frame in c.frames:
            assert_finite(frame)
