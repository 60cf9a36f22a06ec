"""Hardening for a hosted instance (issue 11), over real uvicorn: gradient check near zero, validation of the server's
own settings and of request ids, close on shutdown, Host allowlist (DNS rebinding), security headers."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
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

    def __init__(self, host: str = "127.0.0.1", **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        environment = {**os.environ, "PLAYGROUND_LOG_LEVEL": "info", **{f"PLAYGROUND_{k.upper()}": v
                                                                         for k, v in env.items()}}
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "--host", host, "--port", str(self.port)],
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

    def start(host: str = "127.0.0.1", **env: str) -> Process:
        started.append(Process(host, **env))
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


# -- #5 DNS rebinding, #7 host entries with ports and refusal logs -----------------------------------------------


def upgrade(port: int, host: str, origin: str | None) -> str:
    """A raw WebSocket upgrade with any Host and Origin (as a rebinding page's browser sends them): the status line."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ["GET /ws HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"] + ([f"Origin: {origin}"] if origin else [])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = b""
        while b"\r\n" not in response:
            chunk = sock.recv(1024)
            if not chunk:
                break
            response += chunk
    return response.split(b"\r\n", 1)[0].decode()


def get(srv, path: str, host: str) -> httpx.Response:
    return httpx.get(srv.url + path, headers={"Host": host}, timeout=10)


def test_a_rebinding_request_is_refused_by_default(server):
    port = int(server.url.rsplit(":", 1)[1])
    assert " 403 " in upgrade(port, f"evil.example:{port}", f"http://evil.example:{port}")
    assert " 101 " in upgrade(port, f"127.0.0.1:{port}", f"http://127.0.0.1:{port}")
    for host in (f"evil.example:{port}", "evil.example", f"localhost.evil.example:{port}", f"127.0.0.1:{port + 1}"):
        assert get(server, "/", host).status_code == 400, host
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "localhost"):
        assert get(server, "/", host).status_code == 200, host
    assert get(server, "/healthz", "10.1.2.3:8000").status_code == 200  # probes reach it by an address


def test_static_without_a_slash_never_redirects_to_the_hosts_name(server, make_server):
    assert get(server, "/static", "evil.example").status_code == 400
    anyhost = make_server(allowed_hosts=["*"])
    r = get(anyhost, "/static", "evil.example")
    assert r.status_code == 404 and "location" not in r.headers


def test_host_entries_with_a_port_work(make_server):
    port = free_port()
    srv = make_server(port=port, allowed_hosts=[f"127.0.0.1:{port}", "*.school.example"])
    assert get(srv, "/", f"127.0.0.1:{port}").status_code == 200
    assert get(srv, "/", f"room1.school.example:{port}").status_code == 200
    assert get(srv, "/", f"localhost:{port}").status_code == 400  # the configured list replaces the defaults
    assert get(srv, "/", f"127.0.0.1:{port + 1}").status_code == 400
    with Client(srv.ws_url, origin=srv.url) as c:
        assert c.hello["type"] == "hello"


def test_a_bad_host_entry_stops_the_start_with_a_clear_message():
    env = {**os.environ, "PLAYGROUND_ALLOWED_HOSTS": '["http://school.example"]'}
    done = subprocess.run([sys.executable, "-m", "app", "--port", str(free_port())], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "PLAYGROUND_ALLOWED_HOSTS: 'http://school.example' is not a host" in done.stderr


def test_the_public_url_is_allowed_as_host_and_as_origin(make_server):
    srv = make_server(public_url="https://playground.school.example")
    port = int(srv.url.rsplit(":", 1)[1])
    assert get(srv, "/", "playground.school.example").status_code == 200
    # a TLS proxy that passes the public Host, and one that passes its own upstream address
    assert " 101 " in upgrade(port, "playground.school.example", "https://playground.school.example")
    assert " 101 " in upgrade(port, f"127.0.0.1:{port}", "https://playground.school.example")
    assert " 403 " in upgrade(port, f"127.0.0.1:{port}", "https://evil.example")


def test_bound_to_every_interface_as_in_docker_any_ip_address_with_the_port_is_allowed(process):
    srv = process("0.0.0.0")  # the Dockerfile's bind: students open http://<the machine's address>:PORT
    for host in (f"localhost:{srv.port}", f"127.0.0.1:{srv.port}", f"192.168.1.5:{srv.port}", f"[fe80::1]:{srv.port}"):
        assert get(srv, "/", host).status_code == 200, host
    for host in (f"evil.example:{srv.port}", f"192.168.1.5:{srv.port + 1}", "a b"):
        assert get(srv, "/", host).status_code == 400, host
    assert " 403 " in upgrade(srv.port, f"evil.example:{srv.port}", f"http://evil.example:{srv.port}")
    assert " 101 " in upgrade(srv.port, f"192.168.1.5:{srv.port}", f"http://192.168.1.5:{srv.port}")


def test_refused_upgrades_are_logged_once_at_info_with_the_reason(process):
    srv = process()
    assert " 403 " in upgrade(srv.port, f"evil.example:{srv.port}", f"http://evil.example:{srv.port}")
    assert " 403 " in upgrade(srv.port, f"127.0.0.1:{srv.port}", "https://evil.example")
    wait_until(lambda: srv.output().count("refused a WebSocket upgrade") == 2)
    lines = [line for line in srv.output().splitlines() if "refused a WebSocket upgrade" in line]
    assert lines[0].startswith("INFO") and "Host 'evil.example:" in lines[0] and "not allowed" in lines[0]
    assert lines[1].startswith("INFO") and "Origin 'https://evil.example' is not allowed" in lines[1]
    assert "ERROR" not in srv.output(), srv.output()


# -- #6 security headers, no CDN pages by default -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/lesson"])
def test_pages_have_a_strict_csp_nosniff_and_a_referrer_policy(server, path):
    port = int(server.url.rsplit(":", 1)[1])
    r = httpx.get(server.url + path, timeout=10)
    assert r.status_code == 200
    policy = dict(part.strip().split(" ", 1) for part in r.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["connect-src"] == f"'self' ws://127.0.0.1:{port} wss://127.0.0.1:{port}"
    assert policy["frame-ancestors"] == "'self'" and policy["object-src"] == "'none'"
    assert "unsafe" not in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "same-origin"
    html = r.text.lower()
    assert html.count("<script") == html.count("<script type=\"module\" src=\"/static/") and " style=" not in html


def test_frame_ancestors_is_a_setting(make_server):
    school = make_server(frame_ancestors="'self' https://lms.school.example")
    policy = httpx.get(school.url + "/", timeout=10).headers["content-security-policy"]
    assert "frame-ancestors 'self' https://lms.school.example" in policy


def test_the_cdn_api_pages_are_off_by_default_and_on_when_asked(server, make_server):
    assert httpx.get(server.url + "/docs", timeout=10).status_code == 404
    assert httpx.get(server.url + "/redoc", timeout=10).status_code == 404
    assert httpx.get(server.url + "/openapi.json", timeout=10).status_code == 200
    docs = make_server(api_docs=True)
    r = httpx.get(docs.url + "/docs", timeout=10)
    assert r.status_code == 200 and "content-security-policy" not in r.headers  # Swagger UI needs its CDN
