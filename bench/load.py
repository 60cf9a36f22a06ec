"""A classroom of sessions against a running server: per-session frames/s and steps/s, ping round trips, server memory.

    .venv/bin/playground --workers 2 &
    .venv/bin/python bench/load.py --url ws://127.0.0.1:8000/ws --sessions 100 --seconds 20
    .venv/bin/python bench/load.py --sessions 30 --layers 8,8,8,8,8,8 --batch-size 10 --points 500
    .venv/bin/python bench/load.py --mix classroom --seconds 20

Every session connects, configures its network (--layers, --batch-size, --points; the server's defaults when left
out), presses play (speed "max" unless --speed) and pings every --ping-interval seconds. Frames are counted per
session over the measurement window (after all sessions are up and --warmup seconds); a session's steps/s is the
`step` of the last frame of the window less that of the first, over the time between those two frames. The `step`
field is found through the `layout` message's header field list (docs/protocol.md "Binary frame").

`--mix classroom` is 30 sessions in four groups, opened interleaved: 10 of the default network at speed max, 10 of
2-8x6-1 (layers 8,8,8,8,8,8) with batch 10 and 500 points at speed max, 5 of the default network at 10 steps/s,
and 5 that never press play and only ping. It ignores --sessions, --layers, --batch-size, --points and --speed.
Per group: frames/s and steps/s (median, minimum), fairness (the slowest speed-max session's steps/s over the
fastest's), a numeric speed group's steps/s over its set speed, ping p50/p95/max. The top-level frame and steps
figures are over the sessions that train (all of them without --mix); ping figures over every session.

`--abusers N --abuse step|gradcheck|epoch` adds N sessions on the largest network the limits allow that send
`step n=1000`, `gradcheck` or `epoch` (at batch 1) every 50 ms without waiting: compare the other sessions' figures
with and without them. Their own group is reported like a paused one (they never press play).

Loopback only, bounded in sessions and time. Figures, not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import struct
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import psutil

MAX_SESSIONS = 500
ABUSE_INTERVAL = 0.05
BIGGEST = {"layers": [16] * 8, "points": 5000, "batch_size": 5000,
           "features": ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]}  # the largest the limits allow
ABUSES = {"step": ({"type": "step", "n": 1000}, {}), "gradcheck": ({"type": "gradcheck"}, {}),
          "epoch": ({"type": "epoch"}, {"batch_size": 1})}  # fmt: skip
MAX_SECONDS = 300.0



@dataclass
class Group:
    """Sessions alike: their config patch, whether they press play, the speed they are set to."""

    name: str
    sessions: int
    config: dict = field(default_factory=dict)
    play: bool = True
    abuse: dict | None = None  # a message sent every ABUSE_INTERVAL seconds, never waiting for its answer

    @property
    def speed(self) -> float | str | None:
        """The set speed: a number, "max", or None for the server's default (paused groups: None)."""
        return self.config.get("speed") if self.play else None


def classroom() -> list[Group]:
    """The --mix classroom groups (30 sessions)."""
    deep = {"layers": [8] * 6, "batch_size": 10, "points": 500}
    return [
        Group("default_max", 10, {"speed": "max"}),
        Group("8x6_max", 10, {**deep, "speed": "max"}),
        Group("default_10", 5, {"speed": 10.0}),
        Group("paused", 5, {}, play=False),
    ]


def header_field(layout: dict, name: str) -> tuple[int, struct.Struct]:
    """Byte offset and struct of one header field, from a layout's header field list (the contract: a frame is read
    only through it; a race's layout has the same shape)."""
    header = layout["header"]
    byte_order = header["format"][0]
    for item in header["fields"]:
        if item["name"] == name:
            return item["offset"], struct.Struct(byte_order + item["format"])
    raise ValueError(f"the layout's header has no {name!r} field")


class HeaderReader:
    """Named header fields of a frame, read where the last layout said they are (every bench reads frames so)."""

    def __init__(self, *names: str) -> None:
        self.names = names
        self.fields: list[tuple[int, struct.Struct]] | None = None

    def learn(self, layout: dict) -> None:
        """A (new) layout: where the fields are from now on."""
        self.fields = [header_field(layout, name) for name in self.names]

    def read(self, frame: bytes) -> tuple | None:
        """The fields' values in the order named, or None before the first layout."""
        if self.fields is None:
            return None
        return tuple(field.unpack_from(frame, offset)[0] for offset, field in self.fields)

class Probe:
    """One session: counts frames and steps in the window, measures ping round trips."""

    def __init__(self, group: Group) -> None:
        self.group = group
        self.frames = 0
        self.counting = False
        self.first: tuple[float, int] | None = None  # (time, step) of the window's first frame
        self.last: tuple[float, int] | None = None
        self.header = HeaderReader("step")
        self.rtts: list[float] = []
        self.sent: dict[int, float] = {}
        self.closed: str | None = None
        self.error: str | None = None

    @property
    def steps_per_s(self) -> float | None:
        """Steps trained between the window's first and last frame, per second between them."""
        if self.first is None or self.last is None or self.last[0] <= self.first[0]:
            return None
        return (self.last[1] - self.first[1]) / (self.last[0] - self.first[0])

    async def run(self, url: str, ready: asyncio.Event, stop: asyncio.Event, interval: float):
        """Connect, configure, play, and read until stopped (ready is set once connected or refused)."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        try:
            async with connect(url, max_size=None, compression=None, open_timeout=30) as ws:
                if self.group.config:
                    await ws.send(json.dumps({"type": "config", **self.group.config}))
                if self.group.play:
                    await ws.send(json.dumps({"type": "play"}))
                ready.set()
                pinger = asyncio.create_task(self.ping(ws, stop, interval))
                if self.group.abuse:
                    abuser = asyncio.create_task(self.flood(ws, stop, self.group.abuse))
                    pinger.add_done_callback(lambda _: abuser.cancel())
                try:
                    while not stop.is_set():
                        try:
                            message = await asyncio.wait_for(ws.recv(), timeout=1.0)
                        except TimeoutError:
                            continue
                        if isinstance(message, bytes):
                            if self.counting:
                                self.frame(message)
                        else:
                            self.text(json.loads(message))
                finally:
                    pinger.cancel()
        except (ConnectionClosed, OSError, TimeoutError) as exc:
            self.closed = repr(exc)
            ready.set()

    def frame(self, message: bytes) -> None:
        """Count a frame of the window and keep its step."""
        now = time.monotonic()
        counters = self.header.read(message)
        if counters is None:
            raise ValueError("a frame came before its layout")
        (step,) = counters
        self.frames += 1
        if self.first is None:
            self.first = (now, step)
        self.last = (now, step)

    def text(self, reply: dict) -> None:
        """A JSON message: a layout (where `step` is), an error (kept), a pong (timed when counting)."""
        kind = reply.get("type")
        if kind == "layout":
            self.header.learn(reply)
        elif kind == "error" and self.error is None:
            self.error = f"{reply.get('field')}: {reply.get('message')}"
        elif kind == "pong" and self.counting and reply.get("id") in self.sent:
            self.rtts.append(time.perf_counter() - self.sent.pop(reply["id"]))

    async def flood(self, ws, stop: asyncio.Event, message: dict) -> None:
        """Send `message` every ABUSE_INTERVAL seconds (answers and refusals are read and not waited for)."""
        text = json.dumps(message)
        while not stop.is_set():
            await ws.send(text)
            await asyncio.sleep(ABUSE_INTERVAL)

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


def group_figures(group: Group, probes: list[Probe], elapsed: float) -> dict:
    """Frames/s, steps/s, fairness, speed ratio and ping figures of one group's sessions."""
    live = [p for p in probes if p.closed is None]
    fps = [p.frames / elapsed for p in live]
    steps = [s for s in (p.steps_per_s for p in live) if s is not None]
    rtts = [r * 1e3 for p in live for r in p.rtts]
    result = {
        "sessions": len(probes),
        "closed": len(probes) - len(live),
        "errors": sum(p.error is not None for p in probes),
        "config": {**group.config, "play": group.play},
        "frames_per_s_median": statistics.median(fps) if fps else 0.0,
        "frames_per_s_min": min(fps) if fps else 0.0,
        "steps_per_s_median": statistics.median(steps) if steps else None,
        "steps_per_s_min": min(steps) if steps else None,
        "steps_per_s_max": max(steps) if steps else None,
        "fairness_min_over_max": None,
        "speed_set": None,
        "speed_ratio_median": None,
        "speed_ratio_min": None,
        "speed_ratio_max": None,
        "ping_ms_p50": percentile(rtts, 0.5),
        "ping_ms_p95": percentile(rtts, 0.95),
        "ping_ms_max": max(rtts) if rtts else float("nan"),
        "pings": len(rtts),
    }
    if group.play and group.speed in (None, "max") and steps and max(steps) > 0:
        result["fairness_min_over_max"] = min(steps) / max(steps)
    if isinstance(group.speed, float) and steps:
        ratios = [s / group.speed for s in steps]
        result.update(
            speed_set=group.speed,
            speed_ratio_median=statistics.median(ratios),
            speed_ratio_min=min(ratios),
            speed_ratio_max=max(ratios),
        )
    first_error = next((p.error for p in probes if p.error), None)
    if first_error:
        result["first_error"] = first_error
    return result


async def load(args: argparse.Namespace, groups: list[Group]) -> dict:
    """Open the sessions (a few at a time, groups interleaved), measure, close them all."""
    order: list[Group] = []
    left = {g.name: g.sessions for g in groups}
    while any(left.values()):
        for g in groups:
            if left[g.name]:
                order.append(g)
                left[g.name] -= 1
    probes = [Probe(g) for g in order]
    stop = asyncio.Event()
    tasks = []
    for i, probe in enumerate(probes):
        ready = asyncio.Event()
        tasks.append(asyncio.create_task(probe.run(args.url, ready, stop, args.ping_interval)))
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
    training = [p for p in live if p.group.play]
    fps = [p.frames / elapsed for p in training]
    steps = [s for s in (p.steps_per_s for p in training) if s is not None]
    rtts = [r * 1e3 for p in live for r in p.rtts]
    frames = sum(p.frames for p in live)
    figures = {g.name: group_figures(g, [p for p in probes if p.group is g], elapsed) for g in groups}
    fairness = [f["fairness_min_over_max"] for f in figures.values() if f["fairness_min_over_max"] is not None]
    return {
        "sessions": len(probes),
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
        "mix": args.mix,
        "steps_per_s_median": statistics.median(steps) if steps else None,
        "steps_per_s_min": min(steps) if steps else None,
        "fairness_min_over_max": min(fairness) if fairness else None,
        "sessions_with_errors": sum(p.error is not None for p in probes),
        "groups": figures,
    }


def layers(text: str) -> list[int]:
    """ "8,8,8" → [8, 8, 8]; "" → [] (no hidden layer)."""
    try:
        return [int(n) for n in text.replace(" ", "").split(",") if n]
    except ValueError:
        raise argparse.ArgumentTypeError(f"comma-separated neuron counts, not {text!r}") from None


def speed(text: str) -> float | str:
    """ "max" or a number of steps per second."""
    if text == "max":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'steps/s or "max", not {text!r}') from None


def show(value) -> str:
    """A figure for the text output."""
    if isinstance(value, float):
        return f"{value:.2f}"
    if value is None:
        return "-"
    return str(value)


def print_text(result: dict) -> None:
    """Top-level figures as `key: value` lines, then one column per group."""
    for key, value in result.items():
        if key != "groups":
            print(f"{key:>28}: {show(value)}")
    groups = result["groups"]
    names = list(groups)
    rows = [k for k in next(iter(groups.values())) if k != "config"]
    rows += sorted({k for g in groups.values() for k in g if k not in rows and k != "config"})
    width = max(12, *(len(n) for n in names))
    print()
    print(f"{'group':>28}  " + "  ".join(f"{n:>{width}}" for n in names))
    for key in rows:
        if key == "first_error":
            continue
        print(f"{key:>28}  " + "  ".join(f"{show(groups[n].get(key)):>{width}}" for n in names))
    for name in names:
        config = ", ".join(f"{k}={v}" for k, v in groups[name]["config"].items())
        print(f"{name:>28}: {config}")
        if groups[name].get("first_error"):
            print(f"{'':>28}  error: {groups[name]['first_error']}")


def main() -> None:
    """Parse options, run the load, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="ws://127.0.0.1:8000/ws", help="the server's /ws URL (loopback)")
    parser.add_argument("--sessions", type=int, default=100, help="concurrent sessions (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measurement window (default %(default)s)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring (default %(default)s)")
    parser.add_argument("--speed", type=speed, default=None, help='steps/s or "max" (default: the server default)')
    parser.add_argument(
        "--layers",
        type=layers,
        default=None,
        help='hidden layer sizes, e.g. "8,8,8,8,8,8" (default: the server default)',
    )
    parser.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: the server default)")
    parser.add_argument("--points", type=int, default=None, help="data set points (default: the server default)")
    parser.add_argument(
        "--mix",
        choices=["classroom"],
        default=None,
        help="classroom: 30 sessions in four groups (see above); ignores the network options",
    )
    parser.add_argument("--abusers", type=int, default=0,
                        help="extra sessions on the largest network that send --abuse every 50 ms (default 0)")
    parser.add_argument("--abuse", choices=sorted(ABUSES), default="step",
                        help="what abusers send: step n=1000, gradcheck, or epoch at batch 1 (default %(default)s)")
    parser.add_argument("--ping-interval", type=float, default=0.5, help="seconds between pings per session")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    host = urlparse(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("loopback only: the URL must point at 127.0.0.1 or localhost")
    args.sessions = max(1, min(args.sessions, MAX_SESSIONS))
    args.seconds = max(1.0, min(args.seconds, MAX_SECONDS))
    args.ping_interval = max(0.05, args.ping_interval)
    if args.mix == "classroom":
        groups = classroom()
    else:
        config = {
            key: value
            for key, value in (
                ("layers", args.layers),
                ("batch_size", args.batch_size),
                ("points", args.points),
                ("speed", args.speed),
            )
            if value is not None
        }
        groups = [Group("all", args.sessions, config)]
    if args.abusers > 0:
        message, extra = ABUSES[args.abuse]
        groups.append(Group(f"abuse_{args.abuse}", args.abusers, {**BIGGEST, **extra}, play=False, abuse=message))
    assert sum(g.sessions for g in groups) <= MAX_SESSIONS
    result = asyncio.run(load(args, groups))
    if args.json:
        print(json.dumps(result))
        return
    print_text(result)


if __name__ == "__main__":
    main()
