"""What a loss-landscape slice costs: the 41×41 grid over the training set, per plane, and a 4-contestant race's.

    .venv/bin/python bench/landscape.py            # add --json for one JSON object

The network is 2-8x6-1 (six hidden layers of 8, tanh) on 500 points (250 of them training points), trained 300
steps with Adam so the path has somewhere to go. Each figure is the median over runs of this thread's CPU time (a
shared machine's load moves wall-clock figures by tens of per cent): the whole slice, its largest step (one chunk of
grid points: what a job holds the CPU for at once), and the same on 500 training points. Figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path as FilePath

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(FilePath(__file__).resolve().parent.parent))

from engine.race import Race  # noqa: E402
from engine.trainer import Trainer  # noqa: E402
from engine.views.landscape import CHUNK, SIZE, Path, of_trainer  # noqa: E402

NETWORK = {"layers": [8] * 6, "batch_size": 10, "optimizer": "adam", "learning_rate": 0.01}
RUNS = 5


def timed(steps) -> tuple[float, float]:
    """(whole, largest step) in ms of thread CPU time."""
    largest, start = 0.0, time.thread_time()
    while True:
        before = time.thread_time()
        try:
            next(steps)
        except StopIteration:
            return (time.thread_time() - start) * 1e3, max(largest, (time.thread_time() - before) * 1e3)
        largest = max(largest, (time.thread_time() - before) * 1e3)


def solo(points: int) -> dict:
    t = Trainer({**NETWORK, "points": points})
    path = Path(t.network.params)
    for _ in range(300):
        t.train(1)
        if path.due(t.step):
            path.add(t.step, t.network.params)
    out = {"training_points": len(t.data.train_labels), "params": int(t.network.params.size)}
    for plane in ("random", "pca"):
        runs = [timed(of_trainer(t, [path.array(t.network.params)], plane)) for _ in range(RUNS)]
        out[plane] = {"ms": statistics.median(r[0] for r in runs), "largest_step_ms": max(r[1] for r in runs)}
    return out


def race() -> dict:
    r = Race({**NETWORK, "points": 500}, "optimizer", ["sgd", "momentum", "rmsprop", "adam"])
    r.train(300)
    runs = [timed(r.landscape("pca")) for _ in range(RUNS)]
    return {"ms": statistics.median(x[0] for x in runs), "largest_step_ms": max(x[1] for x in runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = {"grid": f"{SIZE}x{SIZE}", "chunk": CHUNK, "500 points": solo(500), "1000 points": solo(1000),
              "race of 4, pca, 500 points": race(), "load": os.getloadavg()[0]}  # fmt: skip
    if args.json:
        print(json.dumps(report))
        return
    for key, value in report.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
