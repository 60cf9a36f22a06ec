"""A classroom of sessions against a running server: per-session frames/s, ping round trips, server memory.

    .venv/bin/playground --workers 2 &
    .venv/bin/python bench/load.py --url ws://127.0.0.1:8000/ws --sessions 100 --seconds 20

Every session connects, keeps the default network, presses play (speed "max" unless --speed) and pings every
--ping-interval seconds. Frames are counted per session over the measurement window (after all sessions are up
and --warmup seconds). Loopback only, bounded in sessions and time. Figures, not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from urllib.parse import urlparse

import psutil

MAX_SESSIONS = 500
MAX_SECONDS = 300.0


class Probe:
    """One session: counts frames in the window, measures ping round trips."""

    def __init__(self) -> None:
        self.frames = 0
        self.counting = False
        self.rtts: list[float] = []
        self.sent: dict[int, float] = {}
        self.closed: str | None = None

    async def run(self, url: str, config: dict, ready: asyncio.Event, stop: asyncio.Event, interval: float):
        """Connect, configure, play, and read until stopped (ready is set once connected or refused)."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        try:
            async with connect(url, max_size=None, compression=None, open_timeout=30) as ws:
                await ws.send(json.dumps({"type": "config", **config}))
                await ws.send(json.dumps({"type": "play"}))
                ready.set()
                pinger = asyncio.create_task(self.ping(ws, stop, interval))
                try:
                    while not stop.is_set():
                        try:
                            message = await asyncio.wait_for(ws.recv(), timeout=1.0)
                        except TimeoutError:
                            continue
                        if isinstance(message, bytes):
                            self.frames += self.counting
                        elif self.counting:
                            reply = json.loads(message)
                            if reply["type"] == "pong" and reply["id"] in self.sent:
                                self.rtts.append(time.perf_counter() - self.sent.pop(reply["id"]))
                finally:
                    pinger.cancel()
        except (ConnectionClosed, OSError, TimeoutError) as exc:
            self.closed = repr(exc)
            ready.set()

    async def ping(self, ws, stop: asyncio.Event, interval: float) -> None:
        """Send a numbered ping every `interval` seconds."""
        n = 0
        while not stop.is_set():
            await asyncio.sleep(interval)
            n += 1
            self.sent[n] = time.perf_counter()
            await ws.send(json.dumps({"type": "ping", "id": n}))


def server_processes(url: str) -> list[psutil.Process]:
    """The process listening on the URL's port and its children (uvicorn workers)."""
    port = urlparse(url).port or 80
    for conn in psutil.net_connections(kind="tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
            parent = psutil.Process(conn.pid)
            while parent.parent() and parent.parent().name().startswith(("python", "playground", "uvicorn")):
                parent = parent.parent()
            return [parent, *parent.children(recursive=True)]
    return []


def rss_mb(processes: list[psutil.Process]) -> float:
    """Resident memory of the server's processes together, in MiB."""
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """CPU time (user + system) the server's processes have used so far."""
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of values; NaN if there are none."""
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def load(args: argparse.Namespace) -> dict:
    """Open the sessions (a few at a time), measure, close them all."""
    config = {} if args.speed is None else {"speed": args.speed if args.speed == "max" else float(args.speed)}
    probes = [Probe() for _ in range(args.sessions)]
    stop = asyncio.Event()
    tasks = []
    for i, probe in enumerate(probes):
        ready = asyncio.Event()
        tasks.append(asyncio.create_task(probe.run(args.url, config, ready, stop, args.ping_interval)))
        await ready.wait()
        if i % 10 == 9:
            await asyncio.sleep(0.05)
    processes = server_processes(args.url)
    await asyncio.sleep(args.warmup)
    for probe in probes:
        probe.counting = True
    start = time.monotonic()
    cpu_start, own_start = cpu_seconds(processes), time.process_time()
    load_start = psutil.getloadavg()[0]
    rss = [rss_mb(processes)]
    while time.monotonic() - start < args.seconds:
        await asyncio.sleep(1.0)
        rss.append(rss_mb(processes))
    elapsed = time.monotonic() - start
    cpu = cpu_seconds(processes) - cpu_start
    own_cpu = time.process_time() - own_start
    for probe in probes:
        probe.counting = False
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    live = [p for p in probes if p.closed is None]
    fps = [p.frames / elapsed for p in live]
    rtts = [r * 1e3 for p in live for r in p.rtts]
    frames = sum(p.frames for p in live)
    return {
        "sessions": args.sessions,
        "sessions_refused_or_closed": len(probes) - len(live),
        "seconds": round(elapsed, 1),
        "frames_per_s_median": statistics.median(fps) if fps else 0.0,
        "frames_per_s_min": min(fps) if fps else 0.0,
        "ping_ms_p50": percentile(rtts, 0.5),
        "ping_ms_p95": percentile(rtts, 0.95),
        "ping_ms_max": max(rtts) if rtts else float("nan"),
        "pings": len(rtts),
        "server_rss_mb_max": max(rss) if processes else None,
        "server_processes": len(processes),
        "server_cpu_cores": cpu / elapsed if processes else None,
        "server_cpu_ms_per_frame": cpu / frames * 1e3 if processes and frames else None,
        "client_cpu_ms_per_frame": own_cpu / frames * 1e3 if frames else None,
        "machine_load_average": round(max(load_start, psutil.getloadavg()[0]), 1),
        "cpus": psutil.cpu_count(),
    }


def main() -> None:
    """Parse options, run the load, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="ws://127.0.0.1:8000/ws", help="the server's /ws URL (loopback)")
    parser.add_argument("--sessions", type=int, default=100, help="concurrent sessions (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measurement window (default %(default)s)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring (default %(default)s)")
    parser.add_argument("--speed", default=None, help='steps/s or "max" (default: the server default)')
    parser.add_argument("--ping-interval", type=float, default=0.5, help="seconds between pings per session")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    host = urlparse(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("loopback only: the URL must point at 127.0.0.1 or localhost")
    args.sessions = max(1, min(args.sessions, MAX_SESSIONS))
    args.seconds = max(1.0, min(args.seconds, MAX_SECONDS))
    result = asyncio.run(load(args))
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>28}: {value:.2f}" if isinstance(value, float) else f"{key:>28}: {value}")


if __name__ == "__main__":
    main()
