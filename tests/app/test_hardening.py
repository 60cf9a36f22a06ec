"""Hardening for a hosted instance (issue 11), over real uvicorn: gradient check near zero, validation of the server's
own settings and of request ids, close on shutdown, Host allowlist (DNS rebinding), security headers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.app.test_limits import masked_text, raw_handshake, wait_until
from tests.app.test_protocol import Client
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]

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


# -- #8 / #1 SIGTERM: the documented close, and an exit within the grace period ---------------------------------


class Process:
    """`python -m app` in its own process (the CLI, as `make run` and Docker start it), on a free port."""

    def __init__(self, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        environment = {**os.environ, "PLAYGROUND_LOG_LEVEL": "info", **{f"PLAYGROUND_{k.upper()}": v
                                                                         for k, v in env.items()}}
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(self.port)],
                                     env=environment, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self.ready, timeout=30)

    def ready(self) -> bool:
        assert self.proc.poll() is None, self.output()
        try:
            return httpx.get(self.url + "/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def sessions(self) -> int:
        return httpx.get(self.url + "/healthz", timeout=5).json()["sessions"]

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def process():
    started: list[Process] = []

    def start(**env: str) -> Process:
        started.append(Process(**env))
        return started[-1]

    yield start
    for running in started:
        running.stop()


def test_sigterm_closes_clients_with_the_documented_code_and_reason(process):
    srv = process()
    with Client(srv.ws_url) as c:
        c.send(type="play")
        c.frame(lambda f: f["state"] == 1)
        srv.proc.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                c.receive(timeout=15)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1012, "server restarting")
    assert srv.proc.wait(timeout=15) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
    assert "Application shutdown complete" in srv.output()


def send_queue(server_port: int, client_port: int) -> int | None:
    """Bytes the kernel holds for the server's side of one loopback connection (Linux: /proc/net/tcp tx_queue)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(f.split(":")[1], 16) for f in fields[1:3])
        if (local, remote) == (server_port, client_port):
            return int(fields[4].split(":")[0], 16)
    return None


def kernel_buffers_full(server_port: int, client_port: int, polls: int = 4) -> bool:
    """The server's kernel send queue holds bytes and has stopped growing while frames keep coming (60 per second):
    the kernel takes no more, so what the server sends from now on waits in its own transport buffer."""
    queues = []
    for _ in range(polls):
        queues.append(send_queue(server_port, client_port))
        time.sleep(0.1)
    return queues[0] is not None and queues[0] > 0 and len(set(queues)) == 1


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the kernel's send queue from /proc/net/tcp")
def test_sigterm_with_a_client_that_never_reads_exits_within_the_grace_period(process):
    srv = process(shutdown_grace="1", send_timeout="600")
    sock = raw_handshake(srv.port, rcvbuf=4096)
    sock.sendall(masked_text(json.dumps({"type": "config", "layers": [8] * 6, "speed": "max"})))
    sock.sendall(masked_text(json.dumps({"type": "play"})))
    wait_until(lambda: srv.sessions() == 1)
    wait_until(lambda: kernel_buffers_full(srv.port, sock.getsockname()[1]), timeout=30)
    sent = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    try:
        srv.proc.wait(timeout=15)  # the deadline; the grace period is 1 s
    except subprocess.TimeoutExpired:
        raise AssertionError("the server did not exit after SIGTERM:\n" + srv.output()[-2000:]) from None
    assert time.monotonic() - sent < 10 and "Application shutdown complete" in srv.output()
    assert "timeout graceful shutdown exceeded" not in srv.output()  # the stuck transport was cut, not the tasks
    sock.close()


# -- #2 after the send watchdog, the connection itself is gone ---------------------------------------------------


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the kernel's connections from /proc/net/tcp")
def test_after_the_watchdog_the_connection_is_gone_and_the_cap_admits_a_new_session(make_server):
    srv = make_server(send_timeout=0.5, max_sessions_per_client=1)
    port = int(srv.url.rsplit(":", 1)[1])
    sock = raw_handshake(port, rcvbuf=4096)
    client_port = sock.getsockname()[1]
    sock.sendall(masked_text(json.dumps({"type": "config", "layers": [8] * 6, "speed": "max"})))
    sock.sendall(masked_text(json.dumps({"type": "play"})))
    wait_until(lambda: len(srv.app.state.sessions) == 1)
    wait_until(lambda: not srv.app.state.sessions, timeout=30)  # the watchdog ended the session
    wait_until(lambda: send_queue(port, client_port) is None, timeout=1.0)  # and its TCP connection within a second
    with Client(srv.ws_url) as again:
        assert again.hello["type"] == "hello"
    sock.close()
