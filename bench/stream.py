"""One session end to end: frames/s received, epochs/s trained, bytes per frame, frame build time (median).

    .venv/bin/python bench/stream.py                  # starts its own server process on a free port
    .venv/bin/python bench/stream.py --url ws://127.0.0.1:8000/ws --seconds 10 --json

The network is 2-8x6-1 (2 inputs, six hidden layers of 8 neurons, 1 output), batch 10, 500 points, speed "max",
grids on. Frame build time (header, float blocks, quantised grids) and grid time (the two forward passes) are timed
in this process on the same network, with the server's own builder. Figures, not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import HeaderReader  # noqa: E402  (a frame is read through its layout, as load.py does)

CONFIG = {"layers": [8] * 6, "batch_size": 10, "points": 500, "speed": "max"}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    """`python -m app` on 127.0.0.1:port, waiting until it accepts connections."""
    env = {**os.environ, "PLAYGROUND_PORT": str(port), "PLAYGROUND_LOG_LEVEL": "warning"}
    process = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


async def stream(url: str, seconds: float, warmup: float) -> dict:
    """Connect, configure, play; count frames and bytes and read step/epoch from the headers."""
    from websockets.asyncio.client import connect

    async with connect(url, max_size=None, compression=None) as ws:
        await ws.send(json.dumps({"type": "config", **CONFIG}))
        await ws.send(json.dumps({"type": "play"}))
        start = end = None
        header = HeaderReader("step", "epoch")
        frames = 0
        sizes: list[int] = []
        rtts: list[float] = []
        pings: dict[int, float] = {}
        next_ping = 0.0
        t_warm = time.monotonic() + warmup
        while True:
            message = await ws.recv()
            if time.monotonic() >= next_ping:
                next_ping = time.monotonic() + 0.2
                pings[len(pings)] = time.perf_counter()
                await ws.send(json.dumps({"type": "ping", "id": len(pings) - 1}))
            if not isinstance(message, bytes):
                reply = json.loads(message)
                if reply["type"] == "pong" and start is not None:
                    rtts.append(time.perf_counter() - pings[reply["id"]])
                elif reply["type"] == "layout":
                    header.learn(reply)
                continue
            counters = header.read(message)
            if counters is None:
                continue
            now = time.monotonic()
            if start is None:
                if now < t_warm:
                    continue
                start = (now, *counters)
                continue
            frames += 1
            sizes.append(len(message))
            end = (now, *counters)
            if now - start[0] >= seconds:
                break
    elapsed = end[0] - start[0]
    return {
        "frames_per_s": frames / elapsed,
        "steps_per_s": (end[1] - start[1]) / elapsed,
        "epochs_per_s": (end[2] - start[2]) / elapsed,
        "bytes_per_frame": statistics.median(sizes),
        "ping_ms_median": statistics.median(rtts) * 1e3 if rtts else float("nan"),
    }


def build_times(repeats: int = 2000) -> dict:
    """Median frame build and grid times on a 2-8x6-1 trainer, with the server's builder."""
    from app.sessions.frame_state import MAP_GRID, OUTPUT_GRID, frame_arrays, frame_shape
    from app.sessions.frames import FrameBuilder, make_layout
    from app.sessions.session import new_trainer
    from app.settings import Settings
    from engine.views.timeline import Timeline

    view = new_trainer(Settings(), Timeline())
    view.apply({k: v for k, v in CONFIG.items() if k != "speed"})
    view.train(50)
    grids = view.grids(OUTPUT_GRID, MAP_GRID)
    builder = FrameBuilder(make_layout(frame_shape(view, grids), 1))
    header = {"frame": 1, "run": 1, "step": view.step, "epoch": view.epoch, "train_loss": 0.1, "test_loss": 0.1,
              "train_accuracy": 1.0, "test_accuracy": 1.0, "learning_rate": 0.03, "batch_loss": 0.1, "state": 1,
              "flags": 0}
    history = [(1.0, 0.1, 0.1, 0.03)]
    build, grid = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        frame = builder.build(header, frame_arrays(view), grids.output, grids.neurons, grids.features, history)
        build.append(time.perf_counter() - t0)
    for _ in range(repeats // 10):
        t0 = time.perf_counter()
        grids = view.grids(OUTPUT_GRID, MAP_GRID)
        grid.append(time.perf_counter() - t0)
    return {"frame_build_ms": statistics.median(build) * 1e3, "grids_ms": statistics.median(grid) * 1e3,
            "frame_bytes": len(frame)}


@contextmanager
def serving(url: str | None, path: str = "/ws") -> Iterator[str]:
    """`url`, or for the block a server of its own on a free port (its `path`: "/ws" or "" for the page)."""
    if url is not None:
        yield url
        return
    port = free_port()
    process = start_server(port)
    try:
        yield f"{'ws' if path else 'http'}://127.0.0.1:{port}{path}"
    finally:
        process.terminate()
        process.wait(timeout=15)


def report(result: dict, as_json: bool, width: int) -> None:
    """A bench's figures: one JSON object, or a line each (floats to 3 places)."""
    if as_json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>{width}}: {value:.3f}" if isinstance(value, float) else f"{key:>{width}}: {value}")


def arguments(doc: str) -> argparse.Namespace:
    """The command line of a bench that streams one session: --url, --seconds, --warmup, --json."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--url", help="ws://host:port/ws of a running server (default: start one)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement time (default %(default)s)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds ignored first (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args()


def main() -> None:
    """Run the benchmark and print the figures."""
    args = arguments(__doc__)
    with serving(args.url) as url:
        result = asyncio.run(stream(url, min(args.seconds, 60.0), args.warmup))
    result.update(build_times())
    result["network"] = "2-8x6-1, batch 10, 500 points, speed max, grids on"
    report(result, args.json, 16)


if __name__ == "__main__":
    main()
