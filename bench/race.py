"""A 4-contestant race of 2-8x6-1 on one session: race frames/s received, lockstep steps/s, bytes per frame, and the
race frame's build time (median), with and without a finish line (a line makes every lane evaluate its training
loss after every step until it crosses).

    .venv/bin/python bench/race.py                  # starts its own server process on a free port
    .venv/bin/python bench/race.py --url ws://127.0.0.1:8000/ws --seconds 10 --json

The lanes are SGD, momentum, RMSprop and Adam on 2-8x6-1 (six hidden layers of 8), batch 10, 500 points, speed
"max". The build time is timed in this process with the server's own RaceHost (every lane's evaluation, its 40²
output map and the packing), once with one history row and once with the history full (512 rows). Figures, not a
pass/fail test.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import HeaderReader  # noqa: E402  (a race frame is read through the `race` message's layout)
from bench.stream import arguments, report, serving  # noqa: E402

CONFIG = {"layers": [8] * 6, "batch_size": 10, "points": 500, "speed": "max"}
LANES = ["sgd", "momentum", "rmsprop", "adam"]
RECV_TIMEOUT = 10.0
TARGET = 0.01  # below what 2-8x6-1 reaches in the run: every lane evaluates after every step throughout


async def stream(url: str, seconds: float, warmup: float, target: float | None) -> dict:
    """Connect, configure, start the race, play; count race frames and bytes, read the lockstep step."""
    from websockets.asyncio.client import connect

    async with connect(url, max_size=None, compression=None) as ws:
        await ws.send(json.dumps({"type": "config", **CONFIG}))
        await ws.send(json.dumps({"type": "race_start", "values": LANES, "target": target}))
        await ws.send(json.dumps({"type": "play"}))
        start = end = None
        header = HeaderReader("step")
        frames = 0
        sizes: list[int] = []
        t_warm = time.monotonic() + warmup
        while True:
            message = await asyncio.wait_for(ws.recv(), RECV_TIMEOUT)  # no frame for that long: say so, do not hang
            if not isinstance(message, bytes):
                reply = json.loads(message)
                if reply["type"] == "error":
                    raise RuntimeError(f"the server refused a message: {reply}")
                if reply["type"] == "race" and reply["active"]:
                    header.learn(reply["layout"])
                continue
            counters = header.read(message) if message[:4] == b"BPPR" else None
            if counters is None:
                continue
            (step,) = counters
            now = time.monotonic()
            if start is None:
                if now >= t_warm:
                    start = (now, step)
                continue
            frames += 1
            sizes.append(len(message))
            end = (now, step)
            if now - start[0] >= seconds:
                break
    elapsed = end[0] - start[0]
    return {"frames_per_s": frames / elapsed, "lockstep_steps_per_s": (end[1] - start[1]) / elapsed,
            "bytes_per_frame": statistics.median(sizes)}


def build_times(repeats: int = 300) -> dict:
    """Median race frame build time with one history row and with a full history, and the frames' sizes."""
    from app.sessions.race import RaceHost
    from app.sessions.race_frames import RACE_HISTORY
    from engine.race import Race
    from engine.trainer import Trainer

    config = {**Trainer().config, **{k: v for k, v in CONFIG.items() if k != "speed"}}
    host = RaceHost(Race(config, "optimizer", LANES), 1)
    host.race.train(50)
    out = {}
    for label, rows in (("one_row", 1), ("full_history", RACE_HISTORY)):
        while len(host.history.rows) < rows:
            host.race.train(1)
            host.frame(True)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            frame = host.frame(True)
            times.append(time.perf_counter() - t0)
        out[f"build_ms_{label}"] = statistics.median(times) * 1e3
        out[f"bytes_{label}"] = len(frame)
    return out


def main() -> None:
    """Run the benchmark and print the figures."""
    args = arguments(__doc__)
    result: dict = {"lanes": ", ".join(LANES), "network": "2-8x6-1, batch 10, 500 points, speed max"}
    with serving(args.url) as url:
        for label, target in (("no_line", None), ("line", TARGET)):
            got = asyncio.run(stream(url, min(args.seconds, 60.0), args.warmup, target))
            result.update({f"{key}_{label}": value for key, value in got.items()})
    result.update(build_times())
    report(result, args.json, 32)


if __name__ == "__main__":
    main()
