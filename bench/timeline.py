"""What the timeline costs a session: training steps and frame cycles with the ring on and off, alternated.

    .venv/bin/python bench/timeline.py            # add --json for one JSON object

For each network: µs per training step (500 steps a run), and µs per frame cycle (the session's pool job at speed
max: a slice of training steps, then the frame built by the server's own FrameState), on and off alternated run by
run and timed in this thread's CPU time (a shared machine's load moves wall-clock figures by tens of per cent), the
median over runs; the timeline's own parts timed alone (the per-step check, one capture); what its requests cost when
asked (`timeline` with every snapshot's metrics, a `view_snapshot` frame, `restore_snapshot`); the ring's bytes.
Figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.sessions.frame_state import FrameState  # noqa: E402
from app.sessions.session import new_trainer  # noqa: E402
from app.settings import Settings  # noqa: E402
from engine.trainer import Trainer  # noqa: E402
from engine.views.timeline import Timeline  # noqa: E402

NETWORKS = {
    "2-8x6-1, batch 10, 500 points": {"layers": [8] * 6, "batch_size": 10, "points": 500, "optimizer": "adam"},
    "2-4-2-1, batch 1, 500 points": {"layers": [4, 2], "batch_size": 1, "points": 500},
}
STEPS_PER_RUN = 500
CYCLES = 20
STEPS_PER_CYCLE = 50  # about what one 60 fps slice trains on the larger network here


def session(config: dict, timeline: bool) -> Trainer:
    trainer = new_trainer(Settings(), Timeline())
    trainer.apply(config)
    trainer.timeline = Timeline() if timeline else None
    return trainer


def step_us(view: Trainer) -> float:
    start = time.thread_time()
    view.train(STEPS_PER_RUN)
    return (time.thread_time() - start) / STEPS_PER_RUN * 1e6


def cycle_us(view: Trainer, frames: FrameState) -> float:
    start = time.thread_time()
    for _ in range(CYCLES):
        view.train(STEPS_PER_CYCLE)
        frames.record(view)
        frames.build(view, True, [])
    return (time.thread_time() - start) / CYCLES * 1e6


def parts_us(config: dict) -> dict:
    view = session(config, True)
    view.train(100_000)  # a ring that has thinned a few times, as in a long session
    ring, trainer = view.timeline, view
    interval = ring.interval
    n = 100_000
    start = time.thread_time()
    for step in range(n):
        ring.due(step)
    check = (time.thread_time() - start) / n * 1e6
    start = time.thread_time()
    for _ in range(200):
        ring.capture(trainer)
    capture = (time.thread_time() - start) / 200 * 1e6
    return {"check per step µs": check, "capture µs": capture, "interval after 100,000 steps": interval,
            "amortised µs per step after 100,000 steps": check + capture / interval}


def requests_ms(config: dict) -> dict:
    view = session(config, True)
    view.train(20_000)
    frames = FrameState()
    frames.build(view, True, [])
    timed = {}
    start = time.perf_counter()
    while not view.timeline.listing(view)["complete"]:
        pass
    timed["timeline, every metric computed"] = (time.perf_counter() - start) * 1e3
    start = time.perf_counter()
    view.timeline.listing(view)
    timed["timeline, metrics known"] = (time.perf_counter() - start) * 1e3
    step = view.timeline.snapshots[len(view.timeline.snapshots) // 2].step
    start = time.perf_counter()
    frames.past(view, step, True)
    timed["view_snapshot frame"] = (time.perf_counter() - start) * 1e3
    start = time.perf_counter()
    view.timeline.go_back(view, step)
    timed["restore_snapshot"] = (time.perf_counter() - start) * 1e3
    view.train(20_000)
    timed["ring bytes"] = view.timeline.nbytes
    timed["snapshots"] = len(view.timeline.snapshots)
    return timed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=41)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = {}
    for name, config in NETWORKS.items():
        on, off = session(config, True), session(config, False)
        steps = {True: [], False: []}
        cycles = {True: [], False: []}
        frames = {True: FrameState(), False: FrameState()}
        for _ in range(args.runs):
            for flag, view in ((True, on), (False, off)):
                steps[flag].append(step_us(view))
                cycles[flag].append(cycle_us(view, frames[flag]))
        report[name] = {
            "step µs on / off": [statistics.median(steps[True]), statistics.median(steps[False])],
            "frame cycle µs on / off": [statistics.median(cycles[True]), statistics.median(cycles[False])],
            "step ratio": statistics.median(steps[True]) / statistics.median(steps[False]),
            "frame cycle ratio": statistics.median(cycles[True]) / statistics.median(cycles[False]),
            "timeline parts": parts_us(config),
            "requests": requests_ms(config),
        }
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for name, row in report.items():
            print(name)
            for key, value in row.items():
                print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
