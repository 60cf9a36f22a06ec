"""Rooms across two uvicorn processes through a real redis-server (Debian's, started here on a free loopback port):
follow-mode frames, a push, the leaderboard, refusals, shared join limits, and an outage of Redis."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.app.test_protocol import Client
from tests.conftest import free_port

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]
JOIN_FAILURES = 3


@dataclass
class Redis:
    """A redis-server process that can be stopped and started again on the same port."""

    port: int
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        path = shutil.which("redis-server") or "/usr/bin/redis-server"
        assert os.path.exists(path), "redis-server is missing: apt-get install -y redis-server (make test does it)"
        self.process = subprocess.Popen([path, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", str(self.folder)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        import redis

        while True:
            try:
                redis.Redis(port=self.port, socket_timeout=0.5).ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@dataclass
class Server:
    ws_url: str
    process: subprocess.Popen


def start_server(redis_url: str, folder: Path, name: str, **settings: str) -> Server:
    """`playground` in a process of its own, with one worker, sharing rooms through Redis (`settings`: more
    PLAYGROUND_* variables)."""
    import httpx

    port = free_port()
    env = {**os.environ, "PLAYGROUND_PORT": str(port), "PLAYGROUND_WORKERS": "1", "PLAYGROUND_REDIS_URL": redis_url,
           "PLAYGROUND_LOG_LEVEL": "warning", "PLAYGROUND_ROOM_JOIN_FAILURES": str(JOIN_FAILURES),
           "PLAYGROUND_SEND_TIMEOUT": "120",  # these clients read one socket at a time: no watchdog on the others
           **{f"PLAYGROUND_{key.upper()}": value for key, value in settings.items()}}
    log = open(folder / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return Server(f"ws://127.0.0.1:{port}/ws", process)
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"{name} did not start: {(folder / f'{name}.log').read_text()[-2000:]}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[tuple[Redis, Server, Server]]:
    folder = tmp_path_factory.mktemp("rooms-redis")
    redis = Redis(free_port(), folder)
    redis.start()
    servers = []
    try:
        servers = [start_server(redis.url, folder, name) for name in ("a", "b")]
        yield redis, servers[0], servers[1]
    finally:
        for server in servers:
            server.process.terminate()
        for server in servers:
            server.process.wait(15)
        redis.stop()


def open_class(a: Server, students: dict[str, Server]) -> tuple[Client, dict[str, Client], dict]:
    teacher = Client(a.ws_url)
    teacher.send(type="room_open")
    room = teacher.json("room")
    joined = {}
    for name, server in students.items():
        student = Client(server.ws_url)
        student.send(type="room_join", code=room["code"], nickname=name)
        assert student.json("room")["role"] == "student"
        joined[name] = student
    teacher.wait(lambda m: m["type"] == "room" and m["students"] == len(students))
    return teacher, joined, room


def close_class(teacher: Client, students: dict[str, Client]) -> None:
    """Close the room: every student, on either process, is told."""
    teacher.send(type="room_close")
    try:
        for student in students.values():
            assert student.json("room_closed")["reason"] == "closed by the teacher"
    finally:
        for client in [teacher, *students.values()]:
            client.close()


def test_follow_mode_frames_from_one_process_reach_students_on_both(cluster):
    _, a, b = cluster
    teacher, students, _ = open_class(a, {"ann": a, "bob": b, "cy": b})
    try:
        teacher.send(type="config", speed=100)
        teacher.send(type="play")
        teacher.frame(lambda f: f["step"] > 0)
        seen = {name: [s.frame(lambda f: f["step"] > 0) for _ in range(5)] for name, s in students.items()}
        teacher.send(type="pause")
        teacher.json("state")
        by_number = {f["frame"]: f for f in teacher.frames}
        for name, frames in seen.items():
            shared = [f for f in frames if f["frame"] in by_number]
            assert shared, name
            for frame in shared:  # the teacher's own frame, byte for byte in every weight
                assert frame["params"].tobytes() == by_number[frame["frame"]]["params"].tobytes()
                assert frame["step"] == by_number[frame["frame"]]["step"]
        assert students["bob"].layout["layout_id"] == teacher.layout["layout_id"]
    finally:
        close_class(teacher, students)


def test_a_student_on_the_other_process_cannot_control_the_room(cluster):
    _, a, b = cluster
    teacher, students, _ = open_class(a, {"bob": b})
    try:
        bob = students["bob"]
        bob.send(type="play", id=1)
        assert (bob.json("error")["code"], bob.messages[-1]["id"]) == ("room_follow", 1)
        bob.send(type="room_mode", mode="hands_on", id=2)
        error = bob.json("error")
        assert (error["code"], error["field"], error["id"]) == ("room_not_teacher", "type", 2)
        bob.send(type="ping", id="alive")
        assert bob.json("pong")["id"] == "alive"
    finally:
        close_class(teacher, students)


def test_a_push_reaches_hands_on_students_on_the_other_process_with_the_exact_weights(cluster):
    _, a, b = cluster
    teacher, students, _ = open_class(a, {"ann": a, "bob": b})
    try:
        teacher.send(type="config", layers=[5, 3], learning_rate=0.1)
        teacher.send(type="step", n=25)
        trained = teacher.frame(lambda f: f["step"] == 25)
        teacher.send(type="room_mode", mode="hands_on")
        for student in students.values():
            assert student.json("room_pushed")["step"] == 25
            frame = student.frame(lambda f: f["step"] == 25)
            assert frame["params"].tobytes() == trained["params"].tobytes()
        bob = students["bob"]
        bob.send(type="step", n=4)
        bob.frame(lambda f: f["step"] == 29)
        teacher.send(type="set_weight", layer=0, row=0, col=0, value=1.25)
        edited = teacher.frame(lambda f: f["params"][0] == np.float32(1.25))
        teacher.send(type="room_push", student="bob")
        assert bob.json("room_pushed")["step"] == 25
        assert bob.frame(lambda f: f["step"] == 25)["params"].tobytes() == edited["params"].tobytes()
    finally:
        close_class(teacher, students)


def test_the_leaderboard_ranks_students_of_both_processes_by_server_measured_metrics(cluster):
    _, a, b = cluster
    teacher, students, _ = open_class(a, {"ann": a, "bob": b})
    try:
        teacher.send(type="config", dataset="xor", layers=[4])
        teacher.send(type="room_challenge", metric="test_loss", locked=["layers"])
        for student in students.values():
            student.json("room_pushed")
        bob = students["bob"]
        bob.send(type="config", layers=[8], id="locked")
        assert bob.json("error")["code"] == "room_locked"
        bob.send(type="config", learning_rate=0.3)
        bob.send(type="step", n=200)
        last = bob.frame(lambda f: f["step"] == 200)  # bob's session rests here: its last frame is reported

        def settled(m):
            rows = m["type"] == "room_dashboard" and {r["nickname"]: r for r in m["students"]}
            return bool(rows) and rows["bob"]["step"] == 200 and m["leaderboard"] is not None

        teacher.wait(settled, timeout=30)
        dashboard = teacher.json("room_dashboard")
        entries = {e["nickname"]: e for e in dashboard["leaderboard"]["leaderboard"]}
        best = np.float32(entries["bob"]["best"])
        assert best <= last["test_loss"] and entries["ann"]["best"] is not None
        if not any(f["test_loss"] == best for f in bob.frames):
            bob.frame(lambda f: f["test_loss"] == best)
        rows = {r["nickname"]: r for r in dashboard["students"]}
        assert rows["bob"]["step"] == 200 and rows["bob"]["connected"]
        bests = [e["best"] for e in dashboard["leaderboard"]["leaderboard"]]
        assert bests == sorted(bests)
    finally:
        close_class(teacher, students)


def test_a_redis_outage_leaves_solo_sessions_alone_and_rooms_work_again_after_it(cluster):
    """Solo sessions never notice; what the teacher and the students did during the outage (a mode switch with its
    push, a student leaving) reaches the other process once Redis is back, and the feed flows again."""
    redis, a, b = cluster
    solos = [Client(a.ws_url), Client(b.ws_url)]
    teacher, students, room = open_class(a, {"bob": b, "cy": b})
    try:
        for solo in solos:
            solo.send(type="config", speed=100)
            solo.send(type="play")
            solo.frame(lambda f: f["step"] > 0)
        teacher.send(type="config", speed=100)
        teacher.send(type="play")
        bob = students["bob"]
        bob.frame(lambda f: f["step"] > 0)
        redis.stop()
        bob.wait(lambda m: m["type"] == "room_shared" and not m["up"], timeout=20)
        teacher.wait(lambda m: m["type"] == "room_shared" and not m["up"], timeout=20)
        for solo in solos:  # training and frames go on without Redis
            before = solo.frame()["step"]
            solo.frame(lambda f, before=before: f["step"] >= before + 50, timeout=10)
        teacher.send(type="pause")
        teacher.wait(lambda m: m["type"] == "state" and m["state"] == "idle")
        teacher.send(type="room_mode", mode="hands_on")  # during the outage: reaches bob after it
        students["cy"].close()  # cy leaves during the outage: the dashboard learns it after it
        teacher.wait(lambda m: m["type"] == "room" and m["mode"] == "hands_on")
        redis.start()
        bob.wait(lambda m: m["type"] == "room_shared" and m["up"], timeout=20)
        pushed = bob.json("room_pushed", timeout=20)
        assert pushed["step"] > 0
        assert bob.frame(lambda f: f["step"] == pushed["step"])["step"] == pushed["step"]
        assert [m for m in bob.messages if m["type"] == "room"][-1]["mode"] == "hands_on"

        def cy_gone(m):
            rows = m["type"] == "room_dashboard" and {r["nickname"]: r for r in m["students"]}
            return bool(rows) and not rows["cy"]["connected"] and rows["bob"]["connected"]

        teacher.wait(cy_gone, timeout=20)
        teacher.send(type="room_mode", mode="follow")
        teacher.send(type="play")
        recovered = teacher.frame(lambda f: f["step"] > pushed["step"])["step"]
        bob.frame(lambda f: f["step"] > recovered, timeout=20)  # the teacher's frames reach the other process again
    finally:
        close_class(teacher, {"bob": students["bob"]})
        for solo in solos:
            solo.close()


def test_the_teachers_race_reaches_students_on_the_other_process_and_a_late_joiner_there(cluster):
    """A race in follow mode through Redis: its `race` message and race frames reach a student on the other process
    byte for byte, and one who joins there during the race gets the race first (the relay's cached snapshot)."""
    from tests.app.test_race import RaceClient

    _, a, b = cluster
    teacher = RaceClient(a.ws_url)
    teacher.send(type="room_open")
    room = teacher.json("room")
    bob = RaceClient(b.ws_url)
    late = None
    try:
        bob.send(type="room_join", code=room["code"], nickname="bob")
        assert bob.json("room")["role"] == "student"
        teacher.wait(lambda m: m["type"] == "room" and m["students"] == 1)
        teacher.send(type="config", points=200, layers=[4], speed=50)
        teacher.send(type="race_start", id="r", values=["sgd", "adam"])
        teacher.json("race")
        teacher.send(type="play")
        sent: dict[int, dict] = {}

        def keep(f: dict) -> bool:
            sent[f["frame"]] = f
            return f["step"] > 0

        teacher.race_frame(keep)
        seen = bob.race_frame(lambda f: f["step"] > 0)
        assert bob.race is not None and bob.race["race"] == teacher.race["race"]
        while seen["frame"] not in sent:  # the teacher's own frame with that number
            teacher.race_frame(keep)
        mine = sent[seen["frame"]]
        assert repr(seen["lanes_"]) == repr(mine["lanes_"]) and seen["step"] == mine["step"]  # NaN: not finished
        assert seen["grids"].tobytes() == mine["grids"].tobytes()

        late = RaceClient(b.ws_url)
        late.send(type="room_join", code=room["code"], nickname="late")
        assert late.json("room")["role"] == "student"
        frame = late.race_frame(lambda f: f["step"] > seen["step"])
        assert late.race is not None and late.race["race"] == teacher.race["race"]
        assert [lane["label"] for lane in late.race["lanes"]] == ["sgd", "adam"] and len(frame["lanes_"]) == 2
    finally:
        teacher.send(type="room_close")
        for client in (teacher, bob, late):
            if client is not None:
                client.close()


def test_wrong_codes_are_counted_for_every_process(cluster):
    _, a, b = cluster
    with Client(a.ws_url) as teacher, Client(a.ws_url) as guesser, Client(b.ws_url) as other:
        teacher.send(type="room_open")
        code = teacher.json("room")["code"]
        wrong = "".join("A" if c != "A" else "B" for c in code)
        for n in range(JOIN_FAILURES):
            (guesser if n % 2 else other).send(type="room_join", code=wrong, nickname="g", id=n)
            error = (guesser if n % 2 else other).json("error")
            assert (error["code"], error["id"]) == ("room_not_found", n)
        other.send(type="room_join", code=code, nickname="g")  # the other process, the right code: refused
        assert other.json("error")["code"] == "room_rate_limited"
        guesser.send(type="room_join", code=code, nickname="g")  # the room's own process, the right code: refused
        assert guesser.json("error")["code"] == "room_rate_limited"
        teacher.send(type="room_close")


def test_a_relayed_feed_asks_its_owner_for_a_snapshot_until_the_layout_comes(tmp_path):
    """After an outage the processes resubscribe in any order, and pub/sub delivers only to who listens: a snapshot
    request published before the owner listens again is lost. The relaying process asks again until the layout has
    come (its frames are unreadable before it), then stops asking."""
    redis = Redis(free_port(), tmp_path)
    redis.start()
    try:
        asyncio.run(relay_a_feed_whose_owner_listens_late(redis.url))
    finally:
        redis.stop()


async def relay_a_feed_whose_owner_listens_late(url: str) -> None:
    import redis.asyncio as aioredis

    from app.rooms.broker import Broker
    from app.rooms.shared import RETRY_SECONDS, Feed, feed_channel, process_channel
    from app.sessions.outbox import Outbox
    from app.settings import Settings

    async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.01)

    received: list[str | bytes] = []

    async def deliver(item: str | bytes) -> None:
        received.append(item)

    async def failed(reason: str) -> None:
        raise AssertionError(reason)

    async def next_request(timeout: float) -> dict | None:
        """The next operation published to the owner's channel within `timeout` seconds, or None."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = await requests.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is not None:
                return json.loads(message["data"])
        return None

    broker = Broker(Settings(redis_url=url))
    broker.start()
    link = broker.link
    assert link is not None
    socket = Outbox(deliver, deliver, 10.0, lambda: None, failed)
    sender = asyncio.create_task(socket.run())
    owner = aioredis.Redis.from_url(url)
    requests = owner.pubsub()
    try:
        await until(lambda: link.up)
        feed = link.feeds["ROOM123"] = Feed(link, "ROOM123", "owner-process")
        feed.attach(socket)
        link.follow_feed("ROOM123")
        await until(lambda: feed.subscribed)  # its first request is published now, and nobody listens
        await asyncio.sleep(0.1)
        await requests.subscribe(process_channel("owner-process"))
        assert await next_request(10 * RETRY_SECONDS) == {"op": "snapshot", "code": "ROOM123"}

        await owner.publish(feed_channel("ROOM123"), b"F" + b"a frame before any layout")
        layout = json.dumps({"type": "layout", "layout_id": 7})
        await owner.publish(feed_channel("ROOM123"), b"J" + layout.encode())
        await owner.publish(feed_channel("ROOM123"), b"F" + b"a frame after it")
        await until(lambda: len(received) == 2)
        assert received == [layout, b"a frame after it"]

        while await next_request(0.1) is not None:  # a request on its way when the layout came
            pass
        assert await next_request(3 * RETRY_SECONDS) is None

        feed.detach(socket)  # the last socket here that showed the feed: the process stops listening to it
        assert "ROOM123" not in link.feeds

        async def listeners() -> int:
            return dict(await owner.pubsub_numsub(feed_channel("ROOM123")))[feed_channel("ROOM123").encode()]

        deadline = time.monotonic() + 10
        while await listeners() > 0:
            assert time.monotonic() < deadline, "still subscribed to a feed nobody here shows"
            await asyncio.sleep(0.02)
    finally:
        sender.cancel()
        await requests.aclose()
        await owner.aclose()
        await broker.stop()
