"""A class in follow mode against a running server: one teacher training, N students following its frames.

    PLAYGROUND_MAX_SESSIONS_PER_CLIENT=300 .venv/bin/playground &
    .venv/bin/python bench/room.py --url ws://127.0.0.1:8000/ws --students 100 --seconds 15

    # two processes sharing rooms through Redis: the teacher on the first, students spread over both
    redis-server --port 6390 --save "" &
    PLAYGROUND_REDIS_URL=redis://127.0.0.1:6390 PLAYGROUND_PORT=8001 .venv/bin/playground &
    PLAYGROUND_REDIS_URL=redis://127.0.0.1:6390 PLAYGROUND_PORT=8002 .venv/bin/playground &
    .venv/bin/python bench/room.py --url ws://127.0.0.1:8001/ws,ws://127.0.0.1:8002/ws --students 100

The teacher opens a room, sets its speed (--speed steps/s, a number so that its training costs the same CPU in every
phase) and plays. Phase 1 measures the server's CPU with the teacher alone for --seconds; then --students students
join with nicknames and follow, and phase 2 measures again. Per student: frames/s over the window (median,
minimum); ping round trips (every --ping-interval s, p50/p95/max); the server's CPU per extra student frame =
(CPU seconds of phase 2 − phase 1, per second) / (student frames per second). Each frame is built once for all, so
that figure is the cost of sending one more copy. The students run in this one process: its own CPU is reported
(`client_cpu_cores`), and near 1.0 the figures are the client's limit, not the server's. Rooms live in one process:
run the server with one worker, or give several servers sharing Redis to --url (comma-separated: the teacher on
the first, students round-robin over all; the CPU is their sum). Loopback only, bounded in students and time.
Figures, not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import statistics
import time

import psutil
from load import HeaderReader, cpu_seconds, percentile, server_processes

MAX_STUDENTS = 300
MAX_SECONDS = 120.0
JOIN_SECONDS = 60.0


class Student:
    """One follower: counts frames in the window, times its pings."""

    def __init__(self, nickname: str) -> None:
        self.nickname = nickname
        self.frames = 0
        self.counting = False
        self.rtts: list[float] = []
        self.sent: dict[int, float] = {}
        self.joined = asyncio.Event()
        self.error: str | None = None
        self.steps: list[int] = []
        self.header = HeaderReader("step")
        self.seen: collections.Counter[str] = collections.Counter()  # messages by type (frames: "frame")

    async def run(self, url: str, code: str, stop: asyncio.Event, interval: float) -> None:
        from websockets.asyncio.client import connect

        async with connect(url, max_size=None, compression=None, open_timeout=30) as ws:
            await ws.send(json.dumps({"type": "room_join", "code": code, "nickname": self.nickname}))
            pinger = asyncio.create_task(self.ping(ws, stop, interval))
            try:
                while not stop.is_set():
                    try:
                        message = await asyncio.wait_for(ws.recv(), timeout=1.0)
                    except TimeoutError:
                        continue
                    if isinstance(message, bytes):
                        self.seen["frame"] += 1
                        if self.counting:
                            self.frames += 1
                            if (counters := self.header.read(message)) is not None:
                                self.steps.append(counters[0])
                        continue
                    reply = json.loads(message)
                    self.seen[reply["type"]] += 1
                    if reply["type"] == "room":
                        self.joined.set()
                    elif reply["type"] == "layout":
                        self.header.learn(reply)
                    elif reply["type"] == "error" and self.error is None:
                        self.error = f"{reply['code']}: {reply['message']}"
                        self.joined.set()
                    elif reply["type"] == "pong" and self.counting and reply.get("id") in self.sent:
                        self.rtts.append(time.perf_counter() - self.sent.pop(reply["id"]))
            finally:
                pinger.cancel()

    async def ping(self, ws, stop: asyncio.Event, interval: float) -> None:
        n = 0
        while not stop.is_set():
            await asyncio.sleep(interval)
            n += 1
            self.sent[n] = time.perf_counter()
            await ws.send(json.dumps({"type": "ping", "id": n}))


async def teacher_frames(ws, seconds: float, stop: asyncio.Event | None = None) -> int:
    """Read the teacher's own socket for `seconds`, or until `stop` is set; the frames it got. (Stopped by the event,
    not by cancelling: Python 3.11's wait_for swallows a cancel that comes as a message arrives, and the reader then
    went on for its whole `seconds`.)"""
    frames = 0
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0 and not (stop is not None and stop.is_set()):
        try:
            message = await asyncio.wait_for(ws.recv(), timeout=min(left, 1.0))
        except TimeoutError:
            continue
        frames += isinstance(message, bytes)
    return frames


async def bench(args: argparse.Namespace) -> dict:
    from websockets.asyncio.client import connect

    urls = args.url.split(",")
    processes = [p for url in urls for p in server_processes(url)]
    async with connect(urls[0], max_size=None, compression=None) as teacher:
        await teacher.send(json.dumps({"type": "room_open"}))
        while True:
            message = await teacher.recv()
            if isinstance(message, str) and (reply := json.loads(message))["type"] == "room":
                code = reply["code"]
                break
        network = {"layers": args.layers} if args.layers else {}
        await teacher.send(json.dumps({"type": "config", "speed": args.speed, **network}))
        await teacher.send(json.dumps({"type": "play"}))
        await teacher_frames(teacher, args.warmup)
        cpu0, t0 = cpu_seconds(processes), time.monotonic()
        alone_frames = await teacher_frames(teacher, args.seconds)
        alone_cpu = (cpu_seconds(processes) - cpu0) / (time.monotonic() - t0)

        stop = asyncio.Event()
        students = [Student(f"s{i:03d}") for i in range(args.students)]
        tasks = [asyncio.create_task(s.run(urls[i % len(urls)], code, stop, args.ping_interval))
                 for i, s in enumerate(students)]
        reader = asyncio.create_task(teacher_frames(teacher, 10 * MAX_SECONDS, stop))
        try:
            await asyncio.wait_for(asyncio.gather(*(s.joined.wait() for s in students)), timeout=JOIN_SECONDS)
        except TimeoutError:
            missing = [f"{s.nickname} on {urls[i % len(urls)]} (got {dict(s.seen) or 'nothing'})"
                       for i, s in enumerate(students) if not s.joined.is_set()]
            raise SystemExit(f"{len(missing)} students had no answer to room_join within {JOIN_SECONDS:g} s: "
                             + "; ".join(missing[:5])) from None
        errors = [s.error for s in students if s.error]
        await asyncio.sleep(args.warmup)
        for s in students:
            s.counting = True
        me = psutil.Process()
        cpu1, own1, t1 = cpu_seconds(processes), cpu_seconds([me]), time.monotonic()
        await asyncio.sleep(args.seconds)
        elapsed = time.monotonic() - t1
        class_cpu = (cpu_seconds(processes) - cpu1) / elapsed
        client_cpu = (cpu_seconds([me]) - own1) / elapsed
        for s in students:
            s.counting = False
        stop.set()
        await asyncio.gather(*tasks, reader, return_exceptions=True)
        await teacher.send(json.dumps({"type": "room_close"}))

    fps = [s.frames / elapsed for s in students if not s.error]
    rtts = [1000 * r for s in students for r in s.rtts]
    student_frames_per_s = sum(fps)
    return {
        "students": args.students, "joined": len(fps), "errors": errors[:3], "seconds": args.seconds,
        "speed": args.speed, "teacher_alone_fps": round(alone_frames / args.seconds, 1),
        "fps_median": round(statistics.median(fps), 1) if fps else None, "fps_min": round(min(fps), 1) if fps else None,
        "ping_ms": {"p50": round(percentile(rtts, 0.5), 1), "p95": round(percentile(rtts, 0.95), 1),
                    "max": round(max(rtts), 1) if rtts else None},
        "ping_p95_ms_per_server": [round(percentile([1000 * r for s in students[i::len(urls)] for r in s.rtts], 0.95),
                                         1) for i in range(len(urls))],
        "fps_median_per_server": [round(statistics.median([s.frames / elapsed for s in students[i::len(urls)]]), 1)
                                  for i in range(len(urls))],
        "server_cpu_cores": {"teacher_alone": round(alone_cpu, 3), "with_class": round(class_cpu, 3)},
        "client_cpu_cores": round(client_cpu, 3),
        "cpu_ms_per_extra_student_frame": round(1000 * (class_cpu - alone_cpu) / student_frames_per_s, 4)
        if student_frames_per_s else None,
        "machine_load_average": round(psutil.getloadavg()[0], 1), "server_processes": len(processes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="ws://127.0.0.1:8000/ws")
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--speed", type=float, default=200.0, help="the teacher's training steps per second")
    parser.add_argument("--layers", type=lambda t: [int(n) for n in t.split(",") if n], default=None)
    parser.add_argument("--ping-interval", type=float, default=0.5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.students <= MAX_STUDENTS or not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--students 1…{MAX_STUDENTS}, --seconds up to {MAX_SECONDS:g}")
    result = asyncio.run(bench(args))
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
