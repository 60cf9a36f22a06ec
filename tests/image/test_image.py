"""The Docker image, built from the real Dockerfile and run as a real container (podman), checked over its port.

`make test-image` builds the image (tests/image/build.sh) and runs this file with PLAYGROUND_TEST_IMAGE set; without
it (plain `make test`) every test here is skipped. Each container publishes its port on 127.0.0.1 only, the way
README's Docker section says (`-p <port>:<port>` with the same port inside, or another port and
PLAYGROUND_PUBLIC_URL), and every request goes to loopback. Sizes and times go to test-artifacts/image.json.
"""

from __future__ import annotations

import json
import math
import os
import re
import resource
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.conftest import ARTIFACTS, free_port

IMAGE = os.environ.get("PLAYGROUND_TEST_IMAGE", "")
if not IMAGE:
    pytest.skip("the image tests run under `make test-image` (PLAYGROUND_TEST_IMAGE names the image)",
                allow_module_level=True)

pytestmark = pytest.mark.timeout(180)
# runc and cgroupfs: what works on a machine without systemd as PID 1 (podman's defaults want crun and systemd).
PODMAN = os.environ.get("PLAYGROUND_TEST_PODMAN", "podman --runtime runc --cgroup-manager=cgroupfs").split()
# podman asks for a higher open-files limit than a sandbox's hard limit may allow (runc: "error setting rlimits"):
# ask for what this process may have. nproc likewise (4096 is plenty: the server runs a few threads per worker).
NOFILE = min(resource.getrlimit(resource.RLIMIT_NOFILE)[1], 65536)
ULIMITS = ["--ulimit", f"nofile={NOFILE}:{NOFILE}", "--ulimit", "nproc=4096:4096"]
GRACE = 5.0  # PLAYGROUND_SHUTDOWN_GRACE's default, which README promises `docker stop` is within
REPORT: dict[str, object] = {}
# The binary frame's header as docs/protocol.md documents it (magic "BPPF", 64 bytes); state 1 is training.
HEADER = struct.Struct("<4sHHIIIIIffffffIIBBH")
HEADER_NAMES = ("magic", "protocol", "header_size", "frame", "layout_id", "run", "step", "epoch", "train_loss",
                "test_loss", "train_accuracy", "test_accuracy", "learning_rate", "batch_loss", "history_count",
                "history_offset", "state", "flags", "reserved")


def podman(*args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*PODMAN, *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and result.returncode:
        raise AssertionError(f"podman {' '.join(args)} → {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def inspect(name: str, template: str) -> str:
    return podman("inspect", "--format", template, name).stdout.strip()


@dataclass
class Container:
    """One `podman run -d` of the image, its port published on 127.0.0.1, and an HTTP client for it."""

    name: str
    port: int
    started: float
    http: httpx.Client = field(init=False)
    healthy_after: float = 0.0

    def __post_init__(self) -> None:
        self.url = f"http://127.0.0.1:{self.port}"
        self.http = httpx.Client(base_url=self.url, timeout=10, trust_env=False)  # never through a proxy

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if inspect(self.name, "{{.State.Running}}") != "true":
                raise AssertionError(f"the container stopped before /healthz answered:\n{self.logs()}")
            try:
                if self.http.get("/healthz", timeout=2).status_code == 200:
                    self.healthy_after = time.monotonic() - self.started
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"/healthz did not answer within {timeout} s:\n{self.logs()}")

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr

    def websocket(self, origin: str | None = None) -> ClientConnection:
        """A session as the page opens it: ws://<the address in the browser>/ws with that page's Origin."""
        return connect(f"ws://127.0.0.1:{self.port}/ws", origin=origin or self.url, proxy=None, max_size=None,
                       open_timeout=10)

    def remove(self) -> None:
        self.http.close()
        podman("rm", "-f", "-t", "0", self.name, check=False)


@pytest.fixture(scope="module")
def start() -> Iterator:
    """Start containers of the image, `start(*command, network=..., **settings)`; all are removed at the end.

    network "host" (the default): the container shares the machine's network and binds 127.0.0.1 on a free port.
    "bridge": its own network namespace with the image's own bind (0.0.0.0), its port published on 127.0.0.1, as
    `docker run -p` does: the same port inside (PLAYGROUND_PORT), or `inside`, with `public` setting
    PLAYGROUND_PUBLIC_URL to the published address. "none": no network at all. A bridge adds a network interface to
    the machine, and a headless Chromium loading a page then aborts its requests (ERR_NETWORK_CHANGED): so only the
    tests that are about publishing use one, after the browser test."""
    containers: list[Container] = []

    def run(*command: str, network: str = "host", inside: int | None = None, public: bool = False,
            wait: bool = True, **env: str) -> Container:
        port = free_port()
        if public:
            env["public_url"] = f"http://127.0.0.1:{port}"
        if inside is None:
            env["port"] = str(port)
        if network == "host":
            env["host"] = "127.0.0.1"
            options = ["--network=host"]
        elif network == "bridge":
            options = ["-p", f"127.0.0.1:{port}:{inside or port}"]
        else:
            options = [f"--network={network}"]
        name = f"playground-test-{os.getpid()}-{len(containers)}"
        environment = [f"--env=PLAYGROUND_{key.upper()}={value}" for key, value in env.items()]
        begun = time.monotonic()
        # --health-interval=disable: no systemd timer here to run the health check every 30 s; `podman healthcheck
        # run` still runs the image's HEALTHCHECK, and the image keeps it (test_image_config).
        podman("run", "-d", "--name", name, *options, *ULIMITS, "--health-interval=disable", *environment,
               IMAGE, *command)
        container = Container(name, port, begun)
        containers.append(container)
        if wait:
            container.wait_healthy()
        return container

    yield run
    for container in containers:
        container.remove()


@pytest.fixture(scope="module")
def served(start) -> Container:
    """The image's own command, on the machine's network, bound to 127.0.0.1 on a free port."""
    container = start()
    REPORT["seconds_to_healthy"] = round(container.healthy_after, 2)
    return container


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    ARTIFACTS.mkdir(exist_ok=True)
    build = ARTIFACTS / "image-build.json"
    if build.exists():
        REPORT["build"] = json.loads(build.read_text())
    (ARTIFACTS / "image.json").write_text(json.dumps(REPORT, indent=2) + "\n")
    print("\nimage report:", json.dumps(REPORT))


def frame_header(raw: bytes) -> dict:
    return dict(zip(HEADER_NAMES, HEADER.unpack_from(raw), strict=True))


def receive_until_frames(ws: ClientConnection, count: int, timeout: float = 30) -> list[dict]:
    """Binary frames until `count` of them show training (state 1); the JSON messages in between are skipped."""
    frames: list[dict] = []
    deadline = time.monotonic() + timeout
    while len([f for f in frames if f["state"] == 1]) < count:
        raw = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
        if isinstance(raw, bytes):
            frames.append(frame_header(raw))
    return [f for f in frames if f["state"] == 1]


# -- the image ------------------------------------------------------------------------------------------------------


def test_image_config():
    """Non-root user, the HEALTHCHECK kept (`--format docker`), port 8000 on every interface, size reported."""
    image = json.loads(podman("image", "inspect", IMAGE).stdout)[0]
    config = image["Config"]
    user = config["User"]
    assert user and user.split(":")[0] not in ("", "0", "root"), user
    health = image.get("Healthcheck") or {}  # an OCI image (podman build's default format) has none
    assert health.get("Test", [None])[0] == "CMD" and "/healthz" in " ".join(health["Test"]), health
    assert "8000/tcp" in config["ExposedPorts"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["PLAYGROUND_HOST"] == "0.0.0.0" and env["PLAYGROUND_PORT"] == "8000"
    size = image["Size"]
    REPORT["image_bytes"] = size
    base = (image.get("Labels") or {}).get("playground.test-base")
    if base:
        base_size = int(podman("image", "inspect", "--format", "{{.Size}}", base).stdout)
        REPORT["base_bytes"] = base_size
        REPORT["added_bytes"] = size - base_size
        # The app's own layers: NumPy (~40 MB), pydantic-core, the rest and the wheel. A build tool or a pip cache
        # left behind would show here.
        assert size - base_size < 130e6, f"the image adds {(size - base_size) / 1e6:.0f} MB to its base"


def test_no_sources_pip_or_compilers_in_the_image(served):
    """Only the installed app: no build-stage sources, no pip in the app's environment, no compiler."""
    result = podman("exec", served.name, "sh", "-c",
                    "ls -d /src /srv/app /opt/venv/bin/pip* 2>/dev/null; "
                    "command -v gcc cc make 2>/dev/null; python -c 'import app, engine; print(app.__file__)'",
                    check=False)
    lines = result.stdout.split()
    assert lines and lines[-1].startswith("/opt/venv/lib/"), result
    assert lines[:-1] == [], f"found in the image: {lines[:-1]}"


# -- the running container -----------------------------------------------------------------------------------------


def test_healthz_answers_and_reports_the_workers(served):
    # One worker per CPU the container may use (nproc), unless PLAYGROUND_WORKERS says otherwise; /healthz counts
    # the workers that have started, so the first answer may come before the last one is up.
    cpus = int(podman("exec", served.name, "nproc").stdout)
    deadline = time.monotonic() + 30
    while True:
        health = served.http.get("/healthz").json()
        assert health["status"] == "ok"
        if health["workers"] == cpus or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert health["workers"] == cpus, (health, cpus)
    assert served.healthy_after < 45, f"{served.healthy_after:.1f} s to a healthy /healthz"


def test_the_page_trains_in_chromium(served, page):
    """The page from the container in headless Chromium: it connects, trains when Play is pressed and draws, with no
    console error and nothing fetched from anywhere else; a screenshot goes to test-artifacts/image-page.png. It runs
    before any other container starts (a new network interface makes Chromium abort its loads: ERR_NETWORK_CHANGED)."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.set_default_timeout(45_000)
    page.on("websocket", lambda ws: requests.append(ws.url))
    page.goto(served.url + "/")

    def wait(expression: str) -> None:
        try:
            page.wait_for_function(expression)
        except Exception as exc:
            state = page.evaluate("window.__playground ? JSON.stringify({connected: __playground.connected, "
                                  "frames: __playground.framesReceived}) : 'no window.__playground'")
            raise AssertionError(f"{expression}: {exc}\npage state {state}, errors {page.errors}, requests "
                                 f"{requests}\n{served.logs()[-3000:]}") from None

    wait("window.__playground && __playground.connected && __playground.framesReceived >= 1")
    page.click("#play")
    wait("__playground.framesReceived >= 30")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "image-page.png"))
    assert page.errors == [], page.errors
    own = (served.url, f"ws://127.0.0.1:{served.port}/", "data:")
    assert all(url.startswith(own) for url in requests), requests


def test_the_server_runs_as_a_non_root_user(served):
    """Every process of the container, seen from the host (/proc of the container's PID 1 and its children)."""
    pid = int(inspect(served.name, "{{.State.Pid}}"))
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert len(children) >= 1  # uvicorn's workers (and multiprocessing's resource tracker)
    for process in [pid, *map(int, children)]:
        status = Path(f"/proc/{process}/status").read_text()
        uids = re.search(r"^Uid:\s+(.*)$", status, re.M).group(1).split()
        assert set(uids) == {"10001"}, (process, uids)
    assert podman("exec", served.name, "id", "-un").stdout.strip() == "playground"
    assert "playground --workers" in Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")


def test_logs_go_to_stdout(served):
    out = podman("logs", served.name).stdout + podman("logs", served.name).stderr
    assert f"Uvicorn running on http://127.0.0.1:{served.port}" in out
    assert "Application startup complete" in out


def test_the_healthcheck_passes_and_can_fail(served, start):
    result = podman("healthcheck", "run", served.name, check=False)
    assert result.returncode == 0, result
    assert inspect(served.name, "{{.State.Health.Status}}") == "healthy"
    # The same image with nothing listening: the health check must say so.
    idle = start("sleep", "120", wait=False, network="none")
    assert podman("healthcheck", "run", idle.name, check=False).returncode != 0


def test_the_page_and_its_assets_are_served(served):
    page = served.http.get("/")
    assert page.status_code == 200 and "<title>Backprop Playground</title>" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets), assets
    for asset in assets:
        response = served.http.get(asset)
        assert response.status_code == 200 and response.content, asset
    assert served.http.get("/lesson").status_code == 200


def test_another_host_port_is_refused_without_a_public_url(served):
    """Published on another port, the Host carries that port: refused (DNS-rebinding guard) until it is allowed."""
    other = f"127.0.0.1:{served.port + 1 if served.port < 65535 else served.port - 1}"
    assert served.http.get("/", headers={"Host": other}).status_code == 400
    assert served.http.get("/", headers={"Host": f"evil.example:{served.port}"}).status_code == 400
    assert served.http.get("/healthz", headers={"Host": other}).status_code == 200  # probes use any address


def test_a_websocket_session_trains_and_streams_frames(served):
    with served.websocket() as ws:
        hello = json.loads(ws.recv(timeout=15))
        assert hello["type"] == "hello" and hello["state"] == "idle"
        ws.send(json.dumps({"type": "play"}))
        frames = receive_until_frames(ws, 20)
        assert all(f["magic"] == b"BPPF" and f["header_size"] == HEADER.size for f in frames)
        assert frames[-1]["step"] > frames[0]["step"] > 0
        assert all(math.isfinite(f["train_loss"]) for f in frames)
        assert served.http.get("/healthz").json()["sessions"] == 1


def test_published_on_another_port_with_the_public_url(start):
    """`docker run -p 8080:8000 -e PLAYGROUND_PUBLIC_URL=http://<name>:8080`, the image's own bind (0.0.0.0:8000):
    the page and a session work on the published port, the health check passes inside."""
    container = start(network="bridge", inside=8000, public=True)
    assert "Uvicorn running on http://0.0.0.0:8000" in container.logs()
    assert container.http.get("/").status_code == 200
    with container.websocket() as ws:
        assert json.loads(ws.recv(timeout=15))["type"] == "hello"
        ws.send(json.dumps({"type": "play"}))
        assert receive_until_frames(ws, 3)
    assert podman("healthcheck", "run", container.name, check=False).returncode == 0
    container.remove()


def test_published_on_the_same_port(start):
    """`docker run -p P:P -e PLAYGROUND_PORT=P`: any IP address with that port is an allowed Host; another port is
    not (the browser would send it if the port were published as another)."""
    container = start(network="bridge")
    assert container.http.get("/").status_code == 200
    assert container.http.get("/", headers={"Host": f"10.1.2.3:{container.port}"}).status_code == 200
    assert container.http.get("/", headers={"Host": f"10.1.2.3:{container.port + 1}"}).status_code == 400
    with container.websocket() as ws:
        assert json.loads(ws.recv(timeout=15))["type"] == "hello"
    container.remove()


def test_sigterm_closes_sessions_with_1012_and_stops_within_the_grace(start):
    """`podman stop` (SIGTERM, then SIGKILL after 10 s): a training session gets 1012 `server restarting`, and every
    process ends on its own within PLAYGROUND_SHUTDOWN_GRACE, well before the SIGKILL."""
    container = start()
    with container.websocket() as ws:
        ws.send(json.dumps({"type": "play"}))
        receive_until_frames(ws, 3)
        stopped: dict[str, float] = {}

        def stop() -> None:
            begun = time.monotonic()
            podman("stop", "-t", "10", container.name, timeout=30)
            stopped["seconds"] = time.monotonic() - begun

        stopper = threading.Thread(target=stop)
        stopper.start()
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=15)
        stopper.join(timeout=30)
    assert closed.value.rcvd is not None, "the connection was cut without a close frame"
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1012, "server restarting")
    REPORT["seconds_to_stop"] = round(stopped["seconds"], 2)
    assert stopped["seconds"] < GRACE + 2.5, f"podman stop took {stopped['seconds']:.1f} s"
    # 0, or 143 if uvicorn's re-raised SIGTERM ends it; 137 would be the SIGKILL of a server that did not stop.
    REPORT["exit_code_on_stop"] = code = inspect(container.name, "{{.State.ExitCode}}")
    assert code in ("0", "143"), container.logs()
    logs = container.logs()
    assert logs.count("Application shutdown complete") >= 1 and "Stopping parent process" in logs, logs[-2000:]
