"""A soak: many sessions for a long time against a running server; server memory and frame rate, minute by minute.

    .venv/bin/playground --workers 2 --port 8000 &
    .venv/bin/python bench/soak.py --url ws://127.0.0.1:8000/ws                  # 50 sessions, 600 s
    .venv/bin/python bench/soak.py --url ws://127.0.0.1:8000/ws --sessions 10 --seconds 60 --interval 10 --json

Every session connects (a few at a time), keeps the default network, plays at speed "max" and reads every frame.
Once all are up, each interval (a minute by default) prints the server's RSS — the sum over the processes that hold
the listening socket (uvicorn's main process and its workers, found through /proc by the URL's port, or --pid and
its children) — the frames per second of each session in that interval (median and minimum over sessions), and the
machine's load average. At the end: RSS growth after the first interval (the largest RSS of any later interval
against the first interval's, in %), and how steady the frame rate was (the largest deviation of an interval's
median from the median over intervals, in %). Loopback only, bounded in sessions and time. Figures, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from pathlib import Path
from urllib.parse import urlparse

MAX_SESSIONS = 200
MAX_SECONDS = 3600.0


def listening_inodes(port: int) -> set[str]:
    """Inodes of the TCP sockets listening on `port` (IPv4 and IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(fields[9])
    return inodes


def server_pids(port: int, pid: int | None) -> list[int]:
    """--pid and its descendants, or the processes that hold the socket listening on `port` and theirs."""
    parents: dict[int, int] = {}
    roots: set[int] = {pid} if pid else set()
    targets = {f"socket:[{inode}]" for inode in listening_inodes(port)} if not pid else set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if targets and any(os.readlink(fd) in targets for fd in (entry / "fd").iterdir()):
                roots.add(int(entry.name))
        except OSError:
            continue
    found = set(roots)
    grew = True
    while grew:
        children = {child for child, parent in parents.items() if parent in found} - found
        found |= children
        grew = bool(children)
    return sorted(found)


def rss_mb(pids: list[int]) -> float:
    """The resident memory of the processes together, in MiB (shared pages count once per process)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class Reader:
    """One session: plays at speed max and counts every frame it reads."""

    def __init__(self) -> None:
        self.frames = 0
        self.closed: str | None = None

    async def run(self, url: str, ready: asyncio.Event, stop: asyncio.Event) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        try:
            async with connect(url, max_size=None, compression=None, open_timeout=30) as ws:
                await ws.send(json.dumps({"type": "config", "speed": "max"}))
                await ws.send(json.dumps({"type": "play"}))
                ready.set()
                while not stop.is_set():
                    try:
                        message = await asyncio.wait_for(ws.recv(), timeout=1.0)
                    except TimeoutError:
                        continue
                    if isinstance(message, bytes):
                        self.frames += 1
        except (ConnectionClosed, OSError, TimeoutError) as exc:
            self.closed = repr(exc)
        finally:
            ready.set()


async def soak(args: argparse.Namespace) -> dict:
    """Open the sessions, sample every interval, close them all."""
    port = urlparse(args.url).port or 80
    readers = [Reader() for _ in range(args.sessions)]
    stop = asyncio.Event()
    tasks = []
    for i, reader in enumerate(readers):
        ready = asyncio.Event()
        tasks.append(asyncio.create_task(reader.run(args.url, ready, stop)))
        await ready.wait()
        if i % 10 == 9:
            await asyncio.sleep(0.05)
    pids = server_pids(port, args.pid)
    if not args.json:
        print(f"{len(readers)} sessions up; server processes {pids}", flush=True)
    start = time.monotonic()
    intervals: list[dict] = []
    counts = [r.frames for r in readers]
    while time.monotonic() - start < args.seconds - 1e-6:
        begun = time.monotonic()
        await asyncio.sleep(min(args.interval, args.seconds - (begun - start)))
        elapsed = time.monotonic() - begun
        now = [r.frames for r in readers]
        fps = [(b - a) / elapsed for a, b, r in zip(counts, now, readers, strict=True) if r.closed is None]
        counts = now
        row = {"t_s": round(time.monotonic() - start), "rss_mb": round(rss_mb(pids), 1),
               "fps_median": round(statistics.median(fps), 2) if fps else 0.0,
               "fps_min": round(min(fps), 2) if fps else 0.0,
               "sessions_open": len(fps), "load_average": round(os.getloadavg()[0], 2)}
        intervals.append(row)
        if not args.json:
            print(f"{row['t_s']:>5} s  RSS {row['rss_mb']:7.1f} MiB  fps median {row['fps_median']:6.2f}  "
                  f"min {row['fps_min']:6.2f}  open {row['sessions_open']}  load {row['load_average']}", flush=True)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    first, later = intervals[0], intervals[1:]
    medians = [row["fps_median"] for row in intervals]
    overall = statistics.median(medians)
    return {
        "sessions": args.sessions,
        "seconds": args.seconds,
        "interval_s": args.interval,
        "server_pids": pids,
        "intervals": intervals,
        "rss_growth_after_first_pct": round(100 * (max(r["rss_mb"] for r in later) - first["rss_mb"])
                                            / first["rss_mb"], 1) if later and first["rss_mb"] else None,
        "fps_median_over_intervals": overall,
        "fps_max_deviation_pct": round(100 * max(abs(m - overall) for m in medians) / overall, 1) if overall else None,
        "sessions_closed": sum(r.closed is not None for r in readers),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    """Parse options, run the soak, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="ws://127.0.0.1:8000/ws", help="the server's /ws URL (loopback)")
    parser.add_argument("--sessions", type=int, default=50, help="concurrent sessions (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=600.0, help="soak time (default %(default)s)")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds per sample (default %(default)s)")
    parser.add_argument("--pid", type=int, help="the server's process id (default: found by the URL's port)")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    args = parser.parse_args()
    if urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("loopback only: the URL must point at 127.0.0.1 or localhost")
    args.sessions = max(1, min(args.sessions, MAX_SESSIONS))
    args.seconds = max(1.0, min(args.seconds, MAX_SECONDS))
    args.interval = max(1.0, min(args.interval, args.seconds))
    result = asyncio.run(soak(args))
    if args.json:
        print(json.dumps(result))
        return
    print(f"RSS growth after the first interval: {result['rss_growth_after_first_pct']} % (largest later RSS vs the "
          f"first interval's)")
    print(f"fps: median over intervals {result['fps_median_over_intervals']}, largest deviation of an interval's "
          f"median {result['fps_max_deviation_pct']} %; sessions closed early: {result['sessions_closed']}")


if __name__ == "__main__":
    main()
