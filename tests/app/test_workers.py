"""Session caps across worker processes (issue 11 #4): `python -m app --workers 2` in its own process, clients from
several loopback addresses; and the shared slots themselves, two owners in one test process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import httpx
import psutil
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from app.settings import Settings
from app.slots import Refusal, SharedSlots, Slot, prepare
from tests.app.test_limits import wait_until
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(120)

CAPS = {"max_sessions": "5", "max_sessions_per_client": "3"}


class Workers:
    """`python -m app --workers N` on a free port; ready when /healthz answers and every worker has started."""

    def __init__(self, workers: int = 2, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        environment = {**os.environ, "PLAYGROUND_LOG_LEVEL": "info",
                       **{f"PLAYGROUND_{k.upper()}": v for k, v in env.items()}}
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "--port", str(self.port), "--workers", str(workers)],
                                     env=environment, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        self.workers = workers
        wait_until(self.ready, timeout=60)

    def ready(self) -> bool:
        assert self.proc.poll() is None, self.output()
        try:
            health = self.health()
        except httpx.TransportError:
            return False
        return health["workers"] == self.workers and len(self.worker_pids()) == self.workers

    def health(self) -> dict:
        return httpx.get(self.url + "/healthz", timeout=5).json()

    def sessions(self, asks: int = 8) -> set[int]:
        """/healthz's `sessions` as several requests saw them (each may be answered by another worker)."""
        return {self.health()["sessions"] for _ in range(asks)}

    def worker_pids(self) -> list[int]:
        """The worker processes: the children that listen on the port."""
        pids = []
        for child in psutil.Process(self.proc.pid).children():
            try:
                if any(c.laddr.port == self.port and c.status == psutil.CONN_LISTEN for c in child.net_connections()):
                    pids.append(child.pid)
            except psutil.NoSuchProcess:
                pass
        return pids

    def serving(self, clients: list[ClientConnection]) -> dict[int, int]:
        """Worker pid → how many of these client connections it serves."""
        ends = {ws.socket.getsockname()[:2] for ws in clients}  # (address, port): a port may repeat across addresses
        served = {}
        for pid in self.worker_pids():
            conns = psutil.Process(pid).net_connections()
            served[pid] = sum(c.laddr.port == self.port and bool(c.raddr) and (c.raddr.ip, c.raddr.port) in ends
                              and c.status == psutil.CONN_ESTABLISHED for c in conns)
        return served

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                for child in psutil.Process(self.proc.pid).children(recursive=True):
                    child.kill()
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def workers():
    started: list[Workers] = []

    def start(count: int = 2, **env: str) -> Workers:
        started.append(Workers(count, **env))
        return started[-1]

    yield start
    for running in started:
        running.stop()


def open_session(url: str, source: str) -> tuple[ClientConnection, int | None, str]:
    """Connect from `source` (any 127.x.y.z is this machine on Linux): the connection and, if the server refused
    it, the close code and reason; (connection, None, "") when it sent hello (admitted)."""
    ws = connect(url, source_address=(source, 0), open_timeout=10, max_size=None).__enter__()
    try:
        first = json.loads(ws.recv(timeout=15))
    except ConnectionClosed as closed:
        ws.close()
        return ws, closed.rcvd.code if closed.rcvd else 1006, closed.rcvd.reason if closed.rcvd else ""
    assert first["type"] == "hello"
    return ws, None, ""


def open_many(url: str, sources: list[str]) -> tuple[list[tuple[str, ClientConnection]], list[tuple[str, int, str]]]:
    admitted, refused = [], []
    for source in sources:
        ws, code, reason = open_session(url, source)
        if code is None:
            admitted.append((source, ws))
        else:
            refused.append((source, code, reason))
    return admitted, refused


def still_open(ws: ClientConnection) -> bool:
    """Whether the server still holds this session (a killed worker's connections were reset by the kernel)."""
    try:
        return ws.ping().wait(timeout=5)  # a pong came back (False: none in 5 s)
    except ConnectionClosed:
        return False


def test_one_address_gets_exactly_its_cap_across_two_workers(workers):
    srv = workers(2, **CAPS)
    admitted, refused = open_many(srv.ws_url, ["127.0.0.1"] * 9)
    try:
        served = srv.serving([ws for _, ws in admitted])
        assert len(admitted) == 3, (refused, served)
        assert [code for _, code, _ in refused] == [1013] * 6
        assert all("too many sessions from this address (at most 3)" == reason for _, _, reason in refused)
        assert sum(served.values()) == 3, served
        assert srv.sessions() == {3}
    finally:
        for _, ws in admitted:
            ws.close()
    wait_until(lambda: srv.sessions() == {0})
    again, refused = open_many(srv.ws_url, ["127.0.0.1"] * 4)
    assert len(again) == 3 and [code for _, code, _ in refused] == [1013]
    for _, ws in again:
        ws.close()


def test_several_addresses_get_exactly_the_total_cap_across_two_workers(workers):
    srv = workers(2, **CAPS)
    sources = ["127.0.0.1", "127.0.0.2", "127.0.0.3"] * 4
    admitted, refused = open_many(srv.ws_url, sources)
    try:
        per_source = {s: sum(a == s for a, _ in admitted) for s in set(sources)}
        served = srv.serving([ws for _, ws in admitted])
        assert len(admitted) == 5 and max(per_source.values()) <= 3, (per_source, refused, served)
        assert len(refused) == 7 and {code for _, code, _ in refused} == {1013}
        assert {reason for _, _, reason in refused} == {"server full: 5 sessions in use"}
        assert srv.sessions() == {5}
        assert {h["capacity"] for h in (srv.health() for _ in range(4))} == {5}
        # one session ends: its slot is free for any address, and only one
        source, first = admitted.pop(0)
        first.close()
        wait_until(lambda: srv.sessions() == {4})
        later, refused = open_many(srv.ws_url, ["127.0.0.3", "127.0.0.2"])
        admitted += later
        assert len(later) == 1 and [code for _, code, _ in refused] == [1013], refused
        assert srv.sessions() == {5}
    finally:
        for _, ws in admitted:
            ws.close()
    wait_until(lambda: srv.sessions() == {0})


def test_a_killed_worker_does_not_keep_its_slots(workers):
    srv = workers(2, **CAPS)
    sources = ["127.0.0.1", "127.0.0.2", "127.0.0.3"] * 2
    admitted, _ = open_many(srv.ws_url, sources[:5])
    assert len(admitted) == 5
    served = srv.serving([ws for _, ws in admitted])
    victim = max(served, key=served.get)  # the worker holding the most sessions
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: not psutil.pid_exists(victim) or psutil.Process(victim).status() == psutil.STATUS_ZOMBIE)
    survivors = [(s, ws) for s, ws in admitted if still_open(ws)]
    assert len(survivors) == 5 - served[victim], served
    # uvicorn starts a new worker; the dead one's slots come back, the living ones' stay held
    wait_until(lambda: srv.sessions() == {len(survivors)}, timeout=30)
    wait_until(srv.ready, timeout=60)
    fresh, refused = open_many(srv.ws_url, ["127.0.0.3", "127.0.0.2", "127.0.0.1"] * 3)
    try:
        assert len(fresh) == served[victim] and {code for _, code, _ in refused} == {1013}, (served, refused)
        assert srv.sessions() == {5}
    finally:
        for _, ws in survivors + fresh:
            ws.close()
    wait_until(lambda: srv.sessions() == {0})


def test_sigterm_removes_the_slots_directory(workers):
    before = set(Path(tempfile.gettempdir()).glob("playground-slots-*"))
    srv = workers(2, **CAPS)
    created = set(Path(tempfile.gettempdir()).glob("playground-slots-*")) - before
    assert len(created) == 1 and (created.pop() / "slots.sqlite3").exists()
    with connect(srv.ws_url, open_timeout=10):
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(timeout=30) in (0, -signal.SIGTERM)
    assert set(Path(tempfile.gettempdir()).glob("playground-slots-*")) <= before


# -- the shared slots in one process: two owners, as two workers would be ------------------------------------------


def test_shared_slots_admit_exactly_the_caps_under_concurrent_owners(tmp_path):
    settings = Settings(max_sessions=20, max_sessions_per_client=8)
    path = prepare(tmp_path)
    owners = [SharedSlots(path, settings) for _ in range(4)]
    results: list[Slot | Refusal] = []
    lock = threading.Lock()
    start = threading.Barrier(len(owners))

    def hammer(slots: SharedSlots, index: int) -> None:
        start.wait()
        for i in range(15):
            got = slots.admit(f"10.0.0.{(index + i) % 3}")
            with lock:
                results.append(got)

    threads = [threading.Thread(target=hammer, args=(s, i)) for i, s in enumerate(owners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    slots = [r for r in results if isinstance(r, Slot)]
    assert len(results) == 60 and len(slots) == 20
    assert max(sum(s.client == c for s in slots) for c in {s.client for s in slots}) <= 8
    assert owners[0].counts().sessions == 20 and owners[0].counts().workers == 4
    for owner in owners:
        owner.close()


def test_shared_slots_of_a_dead_owner_are_reclaimed_and_a_living_ones_are_not(tmp_path):
    settings = Settings(max_sessions=3, max_sessions_per_client=3)
    path = prepare(tmp_path)
    living, dying = SharedSlots(path, settings), SharedSlots(path, settings)
    kept = living.admit("a")
    assert isinstance(kept, Slot)
    assert all(isinstance(dying.admit("b"), Slot) for _ in range(2))
    assert isinstance(living.admit("c"), Refusal) and living.counts().sessions == 3
    os.close(dying._lock_fd)  # what the kernel does when a worker process dies: its lock is gone, its rows stay
    dying.db.close()
    assert isinstance(living.admit("c"), Slot)  # the refusal path reclaimed the dead owner's two slots
    assert living.counts().sessions == 2 and living.counts().workers == 1
    living.release(kept)
    living.release(kept)  # twice is harmless
    assert living.counts().sessions == 1
    living.close()
