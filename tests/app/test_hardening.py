"""Hardening for a hosted instance (issue 11), over real uvicorn: gradient check near zero, validation of the server's
own settings and of request ids, close on shutdown, Host allowlist (DNS rebinding), security headers."""

from __future__ import annotations

import json

import pytest

from tests.app.test_protocol import Client

pytestmark = pytest.mark.timeout(90)


# -- #9 the gradient check on a trained-out network --------------------------------------------------------------


def test_gradcheck_passes_where_the_gradient_is_about_zero(server):
    """One point, 500 steps: the gradients are ~1e-8, central differences are noise there; the check must pass."""
    with Client(server.ws_url) as c:
        c.send(type="config", dataset="plane", id="plane")
        c.wait(lambda m: m["type"] == "config" and m.get("id") == "plane")
        c.send(type="load_csv", csv="1,1,0.5")
        c.json("data")
        c.send(type="step", n=500)
        c.send(type="gradcheck", id="check")
        result = c.wait(lambda m: m["type"] == "gradcheck", timeout=30)
    assert result["id"] == "check" and result["threshold"] == 1e-4
    assert result["passed"] is True and max(result["layers"]) < result["threshold"], result


# -- #10 validation: null speed and fps, bounded ids -------------------------------------------------------------


@pytest.mark.parametrize(("key", "allowed"), [("speed", "from 0.1 to 100000"), ("fps", "from 1 to 60")])
def test_null_speed_and_fps_are_refused_naming_the_field(server, key, allowed):
    with Client(server.ws_url) as c:
        c.send(type="config", id=7, **{key: None})
        error = c.json("error")
        assert error["code"] == "invalid" and error["field"] == key and error["id"] == 7
        assert allowed in error["message"] and "null" in error["message"]
        c.send(type="config", id=8)
        applied = c.wait(lambda m: m["type"] == "config" and m.get("id") == 8)["config"]
        assert applied["speed"] == "max" and applied["fps"] == 60  # nothing changed


@pytest.mark.parametrize("bad", [10**4299, 2**53, -(2**53), "x" * 65, True, 1.5],
                         ids=["4300-digits", "2^53", "-2^53", "65-chars", "true", "float"])
def test_request_ids_are_bounded(server, bad):
    with Client(server.ws_url) as c:
        c.ws.send(json.dumps({"type": "ping", "id": bad}))
        error = c.json("error")
        assert error["field"] == "id" and "9007199254740991" in error["message"] and "64 characters" in error["message"]
        assert "id" not in error  # an id out of bounds is not echoed
        for good in (2**53 - 1, -(2**53 - 1), "y" * 64):
            c.send(type="ping", id=good)
            assert c.json("pong")["id"] == good
