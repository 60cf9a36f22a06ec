"""Limits over real uvicorn: Origin allowlist, message size, rate, caps, idle, send watchdog, clean-up, no deflate."""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import os
import socket
import struct
import threading
import time

import httpx
import psutil
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from app.http.limits import TokenBucket, origin_allowed
from app.sessions.session import Session
from app.settings import Settings
from tests.app.test_protocol import Client

pytestmark = pytest.mark.timeout(90)


def close_code(ws, timeout: float = 15.0) -> int:
    """Read until the server closes the connection; the close code it sent."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ws.recv(timeout=deadline - time.monotonic())
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else 1006
    raise AssertionError("the server did not close the connection")


def wait_until(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def raw_handshake(port: int, rcvbuf: int | None = None) -> socket.socket:
    """A bare TCP WebSocket client (so the test controls reading and how the socket ends)."""
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1)
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


def masked_text(text: str) -> bytes:
    """One client → server text frame (clients must mask)."""
    payload = text.encode()
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    return struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + body


def port_of(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


@pytest.mark.parametrize("origin", ["http://127.0.0.1.evil.example", "null", "https://evil.example",
                                    "http://127.0.0.1", "HTTP://127.0.0.1:{port}", "http://127.0.0.1:{port}/"])
def test_foreign_origins_get_403_before_accept(server, origin):
    with pytest.raises(InvalidStatus) as info:
        connect(server.ws_url, origin=origin.format(port=port_of(server)), open_timeout=10)
    assert info.value.response.status_code == 403


def test_own_origin_and_configured_origins(server, make_server):
    with connect(server.ws_url, origin=server.url, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
    school = make_server(allowed_origins=["https://playground.school.example"])
    with connect(school.ws_url, origin="https://playground.school.example", open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
    with pytest.raises(InvalidStatus):
        connect(school.ws_url, origin=school.url, open_timeout=10)


def test_handshake_has_no_permessage_deflate(server):
    with connect(server.ws_url, compression="deflate", open_timeout=10) as ws:
        assert "Sec-WebSocket-Extensions" not in ws.response.headers


def test_oversize_message_closes_1009(server):
    with Client(server.ws_url) as c:
        c.ws.send(json.dumps({"type": "load_csv", "csv": "1,1,1\n" * 12_000}))
        assert close_code(c.ws) == 1009


def test_flood_closes_1008(server):
    with Client(server.ws_url) as c:
        try:
            for i in range(400):
                c.send(type="ping", id=i)
        except ConnectionClosed:
            pass
        assert close_code(c.ws) == 1008


def test_over_the_cap_gets_1013_while_http_serves(make_server):
    small = make_server(max_sessions=2)
    with Client(small.ws_url), Client(small.ws_url):
        with connect(small.ws_url, open_timeout=10) as third:
            assert close_code(third) == 1013
        assert httpx.get(small.url + "/", timeout=10).status_code == 200
        assert httpx.get(small.url + "/healthz", timeout=10).json()["sessions"] == 2
    wait_until(lambda: not small.app.state.sessions)
    with Client(small.ws_url) as again:
        assert again.hello["type"] == "hello"


def test_sessions_per_client_address(make_server):
    small = make_server(max_sessions_per_client=1)
    with Client(small.ws_url):
        with connect(small.ws_url, open_timeout=10) as second:
            assert close_code(second) == 1013


def test_idle_session_is_closed_1001(make_server):
    quick = make_server(idle_timeout=0.6)
    with Client(quick.ws_url) as c:
        assert close_code(c.ws) == 1001
    wait_until(lambda: not quick.app.state.sessions)


def test_session_lifetime_is_bounded(make_server):
    short = make_server(max_session_seconds=0.6)
    with Client(short.ws_url) as c:
        c.send(type="play")
        assert close_code(c.ws) == 1001
    wait_until(lambda: not short.app.state.sessions)


def test_the_servers_frame_rate_cap_bounds_every_session(make_server):
    capped = make_server(max_fps=5)
    options = httpx.get(capped.url + "/api/options", timeout=10).json()
    assert options["limits"]["max_fps"] == 5 and options["options"]["fps"]["max"] == 5
    assert options["defaults"]["fps"] == 5
    with Client(capped.ws_url) as c:
        assert c.hello["config"]["fps"] == 5 and c.hello["limits"]["max_fps"] == 5
        learning_rate = c.hello["config"]["learning_rate"]
        c.send(type="config", fps=30, learning_rate=learning_rate * 2)
        error = c.json("error")
        assert error["field"] == "fps" and "from 1 to 5" in error["message"]
        c.send(type="config", fps=4, speed="max")
        applied = c.json("config")["config"]
        assert applied["fps"] == 4 and applied["learning_rate"] == learning_rate  # the refused patch changed nothing
        c.send(type="play")
        c.frame(lambda f: f["state"] == 1)
        start, first = time.monotonic(), len(c.frames)
        while time.monotonic() - start < 2.0:
            c.receive(timeout=3.0)
        assert len(c.frames) - first <= 4 * (time.monotonic() - start) + 2  # at most 4 a second (one may be queued)


def test_a_client_that_never_reads_is_freed_by_the_watchdog(make_server):
    srv = make_server(send_timeout=0.5)
    process = psutil.Process()
    rss_before = process.memory_info().rss
    sock = raw_handshake(port_of(srv), rcvbuf=4096)
    sock.sendall(masked_text(json.dumps({"type": "config", "layers": [6] * 8, "speed": "max"})))
    sock.sendall(masked_text(json.dumps({"type": "play"})))
    wait_until(lambda: len(srv.app.state.sessions) == 1)
    wait_until(lambda: not srv.app.state.sessions, timeout=30)
    assert process.memory_info().rss - rss_before < 100 * 2**20
    sock.close()


def server_tasks(srv) -> int:
    loop = srv.server.servers[0].get_loop()

    async def count() -> int:
        return len(asyncio.all_tasks())

    return asyncio.run_coroutine_threadsafe(count(), loop).result(timeout=10)


def test_abrupt_disconnects_leave_nothing_behind(make_server):
    srv = make_server(max_sessions_per_client=300, max_sessions=300)
    threads, tasks = threading.active_count(), server_tasks(srv)
    for _ in range(10):
        sockets = [raw_handshake(port_of(srv)) for _ in range(20)]
        for sock in sockets:
            sock.sendall(masked_text('{"type":"play"}'))
            sock.recv(1)  # the hello has started to arrive: the session exists
        for sock in sockets:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, no close frame
            sock.close()
    wait_until(lambda: not srv.app.state.sessions, timeout=30)
    wait_until(lambda: server_tasks(srv) <= tasks, timeout=15)
    wait_until(lambda: threading.active_count() <= threads, timeout=10)
    assert not srv.app.state.runtime.training
    gc.collect()
    wait_until(lambda: gc.collect() >= 0 and not any(isinstance(o, Session) for o in gc.get_objects()), timeout=10)


def test_origin_rule_is_exact_string_equality():
    own = Settings()
    assert origin_allowed("http://127.0.0.1:8000", "127.0.0.1:8000", own)
    assert origin_allowed("https://127.0.0.1:8000", "127.0.0.1:8000", own)
    assert origin_allowed(None, "127.0.0.1:8000", own)  # not a browser
    for bad in ("http://127.0.0.1:8000.evil.example", "http://evil.example/127.0.0.1:8000", "null", "",
                "http://127.0.0.1:8000/", "ws://127.0.0.1:8000", "http://127.0.0.1:80000"):
        assert not origin_allowed(bad, "127.0.0.1:8000", own), bad
    school = Settings(allowed_origins=["https://playground.school.example"])
    assert origin_allowed("https://playground.school.example", "127.0.0.1:8000", school)
    assert not origin_allowed("http://127.0.0.1:8000", "127.0.0.1:8000", school)


def test_token_bucket_allows_the_burst_then_the_rate():
    now = [0.0]
    bucket = TokenBucket(rate=50, burst=100, clock=lambda: now[0])
    assert all(bucket.take() for _ in range(100)) and not bucket.take()
    now[0] += 0.1  # 5 tokens back
    assert sum(bucket.take() for _ in range(10)) == 5
