"""`python -m engine.bench [--json]`: medians of one training step and one grid call, against a hand-tuned loop.

A step is forward + loss + backward + Adam on tanh networks with 500 training points (the Trainer's full step:
its divergence guard and bookkeeping included). The hand-tuned reference does the same arithmetic on one flat
buffer with nothing else, so the ratio between the two, measured interleaved in one run, is the engine's overhead.
The machine is shared and noisy: only medians and ratios within one run mean anything. By default the clock is
this process's CPU time, which other processes' load does not inflate (`--clock wall` for elapsed time).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time

import numpy as np

from engine.trainer import Trainer

ARCHITECTURES = {"2-4-2-1": [4, 2], "2-8-8-8-1": [8, 8, 8], "2-8x6-1": [8] * 6}
BATCHES = (1, 10, 32, 500)
REFERENCE = "2-8x6-1"
BETA1, BETA2, EPS, LR = 0.9, 0.999, 1e-8, 1e-3


class HandTuned:
    """The same step written flat: [a, 1] @ [W; b] per layer, tanh, MSE on a tanh output, Adam; nothing else."""

    def __init__(self, sizes: list[int], x: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> None:
        shapes = list(zip(sizes[:-1], sizes[1:], strict=True))
        ends = np.cumsum([0] + [(fi + 1) * fo for fi, fo in shapes])
        self.params = np.zeros(int(ends[-1]), np.float32)
        self.grads = np.zeros_like(self.params)
        self.Wb = [self.params[s:e].reshape(fi + 1, fo) for s, e, (fi, fo) in zip(ends, ends[1:], shapes, strict=False)]
        self.dWb = [self.grads[s:e].reshape(fi + 1, fo) for s, e, (fi, fo) in zip(ends, ends[1:], shapes, strict=False)]
        self.W = [Wb[:-1] for Wb in self.Wb]
        for Wb, (fi, fo) in zip(self.Wb, shapes, strict=True):
            limit = math.sqrt(6.0 / (fi + fo))
            Wb[:-1] = rng.uniform(-limit, limit, (fi, fo))
        self.m, self.v, self.s = (np.zeros_like(self.params) for _ in range(3))
        self.sizes, self.x, self.target, self.t = sizes, x, target, 0
        self.buffers: dict[int, tuple] = {}
        self.cursor = 0

    def _buffers(self, batch: int) -> tuple:
        if batch not in self.buffers:
            a = [np.ones((batch, n + 1), np.float32) for n in self.sizes[:-1]]  # layer inputs with a ones column
            z = [np.empty((batch, n), np.float32) for n in self.sizes[1:]]
            deltas = [np.empty((batch, n), np.float32) for n in self.sizes[1:]]
            self.buffers[batch] = (a, z, deltas, np.empty((batch, self.sizes[-1]), np.float32))
        return self.buffers[batch]

    def step(self, batch: int) -> float:
        """One mini-batch step; returns the batch loss."""
        n = len(self.x)
        if self.cursor >= n:
            self.cursor = 0
        start, stop = self.cursor, min(self.cursor + batch, n)
        self.cursor = stop
        a, z, deltas, work = self._buffers(stop - start)
        np.copyto(a[0][:, :-1], self.x[start:stop])
        last = len(self.Wb) - 1
        for i in range(last):
            np.dot(a[i], self.Wb[i], out=z[i])  # np.dot: a third of np.matmul's overhead on tiny matrices
            np.tanh(z[i], out=a[i + 1][:, :-1])
        y = np.tanh(np.dot(a[last], self.Wb[last], out=z[last]), out=z[last])
        d = deltas[last]
        np.subtract(y, self.target[start:stop], out=d)
        loss = 0.5 * float(np.vdot(d, d)) / len(d)
        np.multiply(y, y, out=work)
        np.subtract(1.0, work, out=work)
        d *= work
        d *= 1.0 / len(d)
        for i in range(last, 0, -1):
            np.dot(a[i].T, deltas[i], out=self.dWb[i])
            prev, h = deltas[i - 1], a[i][:, :-1]
            np.dot(deltas[i], self.W[i].T, out=prev)
            np.multiply(h, h, out=z[i - 1])
            np.subtract(1.0, z[i - 1], out=z[i - 1])
            prev *= z[i - 1]
        np.dot(a[0].T, deltas[0], out=self.dWb[0])
        self._adam()
        return loss

    def _adam(self) -> None:
        self.t += 1
        m, v, s, g = self.m, self.v, self.s, self.grads
        m *= BETA1
        np.multiply(g, 1 - BETA1, out=s)
        m += s
        v *= BETA2
        np.square(g, out=s)
        s *= 1 - BETA2
        v += s
        root_bc2 = math.sqrt(1 - BETA2**self.t)
        np.sqrt(v, out=s)
        s += EPS * root_bc2
        np.divide(m, s, out=s)
        s *= -LR * root_bc2 / (1 - BETA1**self.t)
        self.params += s


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]


def timed(fn, n: int) -> float:
    """Seconds per call of fn over n calls, on the chosen clock."""
    start = clock()
    for _ in range(n):
        fn()
    return (clock() - start) / n


def numpy_call_us(repeats: int = 21) -> float:
    """Median cost of one small in-place NumPy call (np.add over 100 floats), in µs."""
    a, b = np.ones(100, np.float32), np.ones(100, np.float32)
    return 1e6 * statistics.median(timed(lambda: np.add(a, b, out=a), 2000) for _ in range(repeats))


def trainer_for(layers: list[int], batch: int) -> Trainer:
    """A tanh network with Adam on 500 training points."""
    config = {"layers": layers, "batch_size": batch, "activation": "tanh", "optimizer": "adam",
              "learning_rate": LR, "points": 1000, "train_ratio": 0.5}  # fmt: skip
    return Trainer(config)


def run(repeats: int = 15, quick: bool = False) -> dict:
    """Every figure: step medians (µs) per architecture and batch, grid medians (ms), the reference and ratios."""
    steps = 20 if quick else 100
    result: dict = {"step_us": {}, "grid_ms": {}, "numpy_call_us": round(numpy_call_us(5 if quick else 21), 3),
                    "handtuned_step_us": {REFERENCE: {}}, "ratio": {REFERENCE: {}}}  # fmt: skip
    for name, layers in ARCHITECTURES.items():
        result["step_us"][name] = {}
        for batch in BATCHES:
            t = trainer_for(layers, batch)
            t.train(steps)
            engine, reference = [], []
            if name == REFERENCE:
                ref = HandTuned(t.network.sizes, t._x_train, t._t_train, np.random.default_rng(0))
                for _ in range(steps):
                    ref.step(batch)
            for _ in range(repeats):
                engine.append(timed(lambda t=t: t.train(1), steps))
                if name == REFERENCE:
                    reference.append(timed(lambda r=ref, b=batch: r.step(b), steps))
            result["step_us"][name][str(batch)] = round(1e6 * statistics.median(engine), 1)
            if name == REFERENCE:
                result["handtuned_step_us"][name][str(batch)] = round(1e6 * statistics.median(reference), 1)
                ratios = [e / r for e, r in zip(engine, reference, strict=True)]
                result["ratio"][name][str(batch)] = round(statistics.median(ratios), 2)
        t = trainer_for(layers, 10)
        t.grids(100, 25)
        grid = statistics.median(timed(lambda t=t: t.grids(100, 25), 3 if quick else 10) for _ in range(repeats))
        result["grid_ms"][name] = round(1e3 * grid, 2)
    return result


def render(result: dict) -> str:
    """The figures as a table."""
    header = f"{'step (µs, median)':<20}" + "".join(f"{'batch ' + str(b):>12}" for b in BATCHES) + f"{'grid (ms)':>12}"
    lines = [f"clock: {result.get('clock', 'cpu')}; one small NumPy call: {result['numpy_call_us']:.2f} µs", "", header]
    for name, row in result["step_us"].items():
        cells = "".join(f"{row[str(b)]:>12.1f}" for b in BATCHES)
        lines.append(f"{name:<20}{cells}{result['grid_ms'][name]:>12.2f}")
    for name, row in result["handtuned_step_us"].items():
        lines.append(f"{name + ' hand-tuned':<20}" + "".join(f"{row[str(b)]:>12.1f}" for b in BATCHES))
        ratio = result["ratio"][name]
        lines.append(f"{name + ' ratio':<20}" + "".join(f"{ratio[str(b)]:>11.2f}×" for b in BATCHES))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the figures (a table, or one JSON object with --json)."""
    parser = argparse.ArgumentParser(prog="python -m engine.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats per figure (medians are reported)")
    parser.add_argument("--quick", action="store_true", help="few steps per repeat: a smoke run, not figures")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu", help="process CPU time or elapsed time")
    args = parser.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    result = {**run(args.repeats, args.quick), "clock": args.clock}
    print(json.dumps(result) if args.json else render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
