"""docker-compose.yml's reverse proxy for real: Debian's nginx runs deploy/nginx.conf in front of two `playground`
processes that share rooms through a real redis-server, the way the compose file sets them up (proxy headers on,
one client address to one replica). The file is used as it is but for two lines that Docker would fill in: its
upstream `app:8000` (Docker's DNS name for the replicas) becomes the two processes' loopback ports, and its port a
free one. Clients connect from different loopback addresses (127.0.N.1), as students on different machines would.
What only Docker itself can show (the images, its DNS, `deploy.replicas`) is not covered here: no Docker Hub."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.app.test_protocol import Client
from tests.app.test_rooms_redis import JOIN_FAILURES, Redis, Server, start_server
from tests.conftest import free_port

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "nginx.conf"


def nginx_config(folder: Path, port: int, replicas: list[int]) -> Path:
    """deploy/nginx.conf with the upstream and the port filled in, inside the main context nginx needs."""
    site = CONFIG.read_text()
    upstream = re.compile(r"^(\s*)server app:8000;.*$", re.MULTILINE)
    assert len(upstream.findall(site)) == 1 and site.count("listen 8080;") == 1, "deploy/nginx.conf changed shape"
    site = upstream.sub(lambda m: "\n".join(f"{m.group(1)}server 127.0.0.1:{p};" for p in replicas), site)
    site = site.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    (folder / "site.conf").write_text(site)
    main = folder / "nginx.conf"
    main.write_text(f"""daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    include {folder}/site.conf;
}}
""")
    return main


def port_of(server: Server) -> int:
    return int(server.ws_url.rsplit(":", 1)[1].split("/")[0])


def client_from(proxy: str, address: str) -> Client:
    """A WebSocket client whose connection comes from `address` (a loopback address of its own)."""
    host, port = proxy.removeprefix("ws://").split("/")[0].split(":")
    sock = socket.create_connection((host, int(port)), timeout=10, source_address=(address, 0))
    return Client(proxy, sock=sock)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory) -> Iterator[str]:
    """ws:// URL of nginx in front of two processes sharing Redis."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: apt-get install -y nginx-light (make test does it)"
    folder = tmp_path_factory.mktemp("proxy")
    redis = Redis(free_port(), folder)
    redis.start()
    servers: list[Server] = []
    process = None
    try:
        port = free_port()
        # as docker-compose.yml sets them (the address people open, the proxy's headers trusted), but the proxy's
        # address is the only one trusted (here it is loopback)
        servers = [start_server(redis.url, folder, name, public_url=f"http://127.0.0.1:{port}", proxy_headers="true",
                                forwarded_allow_ips="127.0.0.1") for name in ("a", "b")]
        config = nginx_config(folder, port, [port_of(s) for s in servers])
        process = subprocess.Popen([nginx, "-c", str(config), "-p", str(folder)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            log = folder / "error.log"
            assert process.poll() is None and time.monotonic() < deadline, (
                f"nginx did not serve: {log.read_text()[-2000:] if log.exists() else 'no log'}")
            time.sleep(0.1)
        yield f"ws://127.0.0.1:{port}/ws"
    finally:
        if process is not None:
            process.terminate()
            process.wait(10)
        for server in servers:
            server.process.terminate()
        for server in servers:
            server.process.wait(15)
        redis.stop()


def test_a_class_through_the_proxy_spreads_over_both_replicas_and_the_teacher_comes_back_to_its_own(proxy):
    """WebSockets pass nginx both ways (frames and JSON); students from twelve addresses land on both replicas (the
    teacher's roster names a student of the other process by its process); the teacher's reconnection from the same
    address reaches the replica that owns the room (ip_hash), three times (a token presented to the other replica
    would get `room_elsewhere`)."""
    teacher = client_from(proxy, "127.0.1.1")
    students: list[Client] = []
    try:
        teacher.send(type="room_open")
        room = teacher.json("room")
        for n in range(12):
            student = client_from(proxy, f"127.0.{10 + n}.1")
            students.append(student)
            student.send(type="room_join", code=room["code"], nickname=f"s{n}")
            assert student.json("room")["role"] == "student"
        roster = teacher.wait(lambda m: m["type"] == "room" and m["students"] == 12)["roster"]
        remote = [entry for entry in roster if isinstance(entry["session"], str)]  # the other process's: its ref
        assert 0 < len(remote) < 12, roster
        teacher.send(type="config", speed=100)
        teacher.send(type="play")
        seen = teacher.frame(lambda f: f["step"] > 0)
        for student in students:
            assert student.frame(lambda f: f["step"] > seen["step"])["layout_id"] == teacher.layout["layout_id"]
        for _ in range(3):
            teacher.close()
            teacher = client_from(proxy, "127.0.1.1")
            teacher.send(type="room_join", code=room["code"], teacher_token=room["teacher_token"])
            assert teacher.json("room")["role"] == "teacher"
        teacher.send(type="room_close")
        for student in students:
            assert student.json("room_closed")["code"] == room["code"]
    finally:
        for client in [teacher, *students]:
            client.close()


def test_the_replicas_see_each_clients_own_address_through_the_proxy(proxy):
    """X-Forwarded-For reaches the app: wrong join codes are counted per client address (in Redis, for both
    replicas), so a guesser is refused while a student from another address joins. Were the proxy's own address
    counted, the student would be refused too."""
    with client_from(proxy, "127.0.2.1") as teacher, client_from(proxy, "127.0.3.1") as guesser:
        teacher.send(type="room_open")
        code = teacher.json("room")["code"]
        wrong = "".join("A" if c != "A" else "B" for c in code)
        for n in range(JOIN_FAILURES):
            guesser.send(type="room_join", code=wrong, nickname="g", id=n)
            assert guesser.json("error")["code"] == "room_not_found"
        guesser.send(type="room_join", code=code, nickname="g")
        assert guesser.json("error")["code"] == "room_rate_limited"
        with client_from(proxy, "127.0.4.1") as student:
            student.send(type="room_join", code=code, nickname="s")
            assert student.json("room")["role"] == "student"
        teacher.send(type="room_close")
