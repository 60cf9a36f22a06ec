"""REST: /api/options (the same registries, limits and defaults as hello), /healthz, and the OpenAPI schema."""

from __future__ import annotations

import httpx
import pytest

from app.protocol import CONFIG_KEYS
from engine.trainer import DEFAULT_CONFIG
from tests.app.test_protocol import Client

pytestmark = pytest.mark.timeout(60)


def test_options_has_every_setting_with_its_range_or_values(server):
    body = httpx.get(server.url + "/api/options", timeout=10).json()
    assert body["protocol"] == 1
    config = body["options"]["config"]
    assert set(config) == set(DEFAULT_CONFIG)
    assert config["learning_rate"]["max"] == 10 and "relu" in config["activation"]["values"]
    assert body["options"]["speed"]["values"] == ["max"] and body["options"]["fps"]["max"] == 60
    assert body["defaults"] == {**DEFAULT_CONFIG, "speed": "max", "fps": 60.0}
    assert body["limits"]["max_layers"] == 8 and body["limits"]["max_message_bytes"] == 65536


def test_the_protocol_accepts_every_engine_setting():
    assert set(CONFIG_KEYS) == set(DEFAULT_CONFIG) | {"speed", "fps"}


def test_hello_carries_the_same_options(server):
    body = httpx.get(server.url + "/api/options", timeout=10).json()
    with Client(server.ws_url) as c:
        for key in ("protocol", "limits", "options", "defaults"):
            assert c.hello[key] == body[key]
        assert c.hello["config"] == body["defaults"]


def test_healthz_counts_live_sessions(server):
    with Client(server.ws_url), Client(server.ws_url):
        health = httpx.get(server.url + "/healthz", timeout=10).json()
        assert health["status"] == "ok" and health["sessions"] >= 2 and health["capacity"] == 200


def test_protocol_schema_lists_every_client_message(server):
    body = httpx.get(server.url + "/api/protocol", timeout=10).json()
    tags = set(body["client_messages"]["discriminator"]["mapping"])
    assert {"config", "play", "pause", "step", "set_weight", "ping", "gradcheck"} <= tags
    assert body["frame_header"]["size"] == 64 and body["close_codes"]["1013"]


def test_openapi_lists_the_routes(server):
    schema = httpx.get(server.url + "/openapi.json", timeout=10).json()
    assert {"/api/options", "/api/protocol", "/healthz"} <= set(schema["paths"])
    assert httpx.get(server.url + "/docs", timeout=10).status_code == 404  # CDN pages: off unless PLAYGROUND_API_DOCS
