"""The /ws protocol over real uvicorn: hello, layout, data, binary frames decoded independently, live changes."""

from __future__ import annotations

import json
import math
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from websockets.sync.client import ClientConnection, connect

pytestmark = pytest.mark.timeout(60)

# The frame header exactly as docs/protocol.md documents it (written out here, not imported from app/).
HEADER_FORMAT = "<4sHHIIIIIffffffIIBBH"
HEADER_NAMES = (
    "magic", "protocol", "header_size", "frame", "layout_id", "run", "step", "epoch", "train_loss", "test_loss",
    "train_accuracy", "test_accuracy", "learning_rate", "batch_loss", "history_count", "history_offset", "state",
    "flags", "reserved",
)
HISTORY_COLUMNS = 4


def decode(frame: bytes, layout: dict[str, Any]) -> dict[str, Any]:
    """One binary frame → header fields, each block as a NumPy array, and the history rows."""
    header = dict(zip(HEADER_NAMES, struct.unpack_from(HEADER_FORMAT, frame, 0), strict=True))
    assert header["magic"] == b"BPPF"
    assert header["header_size"] == struct.calcsize(HEADER_FORMAT) == 64
    assert header["layout_id"] == layout["layout_id"]
    blocks = {}
    for block in layout["blocks"]:
        dtype = np.dtype(block["dtype"]).newbyteorder("<")
        count = int(np.prod(block["shape"]))
        assert count * dtype.itemsize == block["nbytes"]
        assert block["offset"] % 4 == 0
        blocks[block["name"]] = np.frombuffer(frame, dtype, count=count, offset=block["offset"]).reshape(block["shape"])
    count = header["history_count"]
    assert header["history_offset"] == layout["history"]["offset"]
    assert len(frame) == header["history_offset"] + count * HISTORY_COLUMNS * 4
    history = np.frombuffer(frame, "<f4", count=count * HISTORY_COLUMNS, offset=header["history_offset"])
    return {**header, **blocks, "history": history.reshape(count, HISTORY_COLUMNS)}


class Client:
    """A test client: sends JSON, decodes frames with the last layout, remembers every message."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.ws: ClientConnection = connect(url, max_size=None, open_timeout=10, **kwargs).__enter__()
        self.layout: dict[str, Any] | None = None
        self.messages: list[dict[str, Any]] = []
        self.frames: list[dict[str, Any]] = []
        self.hello = self.wait(lambda m: m.get("type") == "hello")

    def send(self, **message: Any) -> None:
        self.ws.send(json.dumps(message))

    def receive(self, timeout: float) -> dict[str, Any]:
        return self.read(self.ws.recv(timeout=timeout))

    def read(self, raw: str | bytes) -> dict[str, Any]:
        """One received message: a frame decoded with the last layout, or a JSON message (kept)."""
        if isinstance(raw, bytes):
            assert self.layout is not None, "a frame arrived before any layout"
            frame = decode(raw, self.layout)
            frame["type"] = "frame"
            self.frames.append(frame)
            return frame
        message = json.loads(raw)
        if message["type"] == "layout":
            self.layout = message
        self.messages.append(message)
        return message

    def wait(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no matching message")
            message = self.receive(remaining)
            if predicate(message):
                return message

    def json(self, kind: str, timeout: float = 15.0) -> dict[str, Any]:
        return self.wait(lambda m: m["type"] == kind, timeout)

    def frame(self, predicate: Callable[[dict[str, Any]], bool] = lambda f: True, timeout: float = 15.0):
        return self.wait(lambda m: m["type"] == "frame" and predicate(m), timeout)

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def weight_index(layout: dict[str, Any], layer: int, row: int, col: int | None) -> int:
    """Index into `params` of W[layer] from unit col to neuron row (stored (fan_in, fan_out)), or of bias[row]."""
    info = layout["network"]["layers"][layer]
    if col is None:
        return info["biases"]["offset"] + row
    fan_out = info["weights"]["shape"][1]
    return info["weights"]["offset"] + col * fan_out + row


def test_hello_then_data_layout_and_a_first_frame(server):
    with Client(server.ws_url) as c:
        hello = c.hello
        assert hello["protocol"] == 1 and hello["state"] == "idle"
        assert {"max_layers", "max_neurons", "max_points", "max_message_bytes"} <= hello["limits"].keys()
        assert hello["config"]["learning_rate"] == 0.03 and hello["config"]["speed"] == "max"
        assert "circle" in hello["options"]["config"]["dataset"]["values"]
        assert hello["options"]["fps"]["max"] == 60
        frame = c.frame()
        data = next(m for m in c.messages if m["type"] == "data")
        layout = c.layout
        assert layout is not None and frame["state"] == 0
        sizes = layout["network"]["sizes"]
        assert sizes == [2, 4, 2, 1]
        n_params = sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False))
        assert frame["params"].shape == frame["grads"].shape == (n_params,)
        assert frame["delta_mean"].shape == (sum(sizes[1:]),) and frame["grad_norm"].shape == (3,)
        assert frame["output_grid"].shape == (100, 100) and frame["neuron_maps"].shape == (6, 25, 25)
        assert len(data["train"]) + len(data["test"]) == 500 and data["problem"] == "binary"
        ends = sorted((b["offset"], b["offset"] + b["nbytes"]) for b in layout["blocks"])
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(ends, ends[1:], strict=False))
        x1, x2 = frame["feature_maps"].astype(int)
        assert (np.diff(x1, axis=1) >= 0).all() and x1[:, -1].min() > x1[:, 0].max()  # x grows to the right
        assert (np.diff(x2, axis=0) <= 0).all() and x2[0].min() > x2[-1].max()  # row 0 is the top (y = +6)


def test_play_streams_frames_with_every_history_point(server):
    with Client(server.ws_url) as c:
        c.frame()
        c.send(type="config", speed=300)
        c.send(type="play")
        assert c.json("state")["state"] == "training"
        steps: list[float] = []
        last = c.frame(lambda f: f["step"] > 60, timeout=20)
        for frame in c.frames:
            steps.extend(frame["history"][:, 0].tolist())
        assert steps == sorted(set(steps)), "each history point is sent once, in order"
        assert last["state"] == 1 and steps[-1] <= last["step"]
        assert np.isfinite(last["history"]).all() and last["train_loss"] > 0


def test_slow_motion_shows_every_step(server):
    with Client(server.ws_url) as c:
        c.frame()
        c.send(type="config", speed=4)
        c.send(type="play")
        frames = [c.frame(lambda f: f["state"] == 1 and f["step"] > 0) for _ in range(4)]
        steps = [int(s) for f in frames for s in f["history"][:, 0]]
        assert steps == list(range(steps[0], steps[0] + len(steps))) and len(steps) >= 4
        assert frames[-1]["step"] == steps[-1]


def poll_until(condition: Callable[[], bool], timeout: float) -> None:
    """Check `condition` every 10 ms until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


STALLED_STEPS = 300  # steps trained while one frame cannot be delivered: several training slices' history points


def test_a_slow_reader_misses_frames_and_each_frame_carries_one_evaluation(server):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)  # so the server feels the stall at once
    sock.connect(("127.0.0.1", int(server.url.rsplit(":", 1)[1])))
    with Client(server.ws_url, max_queue=1, sock=sock) as c:
        c.frame()
        c.send(type="config", speed=3000, layers=[6] * 8)
        c.send(type="play")
        c.frame(lambda f: f["state"] == 1)
        # Stop reading until the stall is real: a frame stuck in flight while the trainer keeps going, for long
        # enough that several loss-history points wait for the next frame (well inside the 10 s send watchdog).
        session = server.app.state.sessions[c.hello["session"]]
        stuck_at: list[int] = []  # the trainer's step when the frame now in flight was first seen stuck

        def stalled() -> bool:
            if not session.subscribers[0].frame_in_flight:
                stuck_at.clear()
                return False
            step = session.trainer.step
            stuck_at[:] = stuck_at or [step]
            return step >= stuck_at[0] + STALLED_STEPS

        poll_until(stalled, timeout=15)
        last = c.frame(lambda f: f["step"] > 0)
        c.send(type="pause")
        c.wait(lambda m: m["type"] == "state" and m["state"] == "idle")
        c.frame(lambda f: f["state"] == 0)
        rows = np.concatenate([f["history"] for f in c.frames])
        assert (np.diff(rows[:, 0]) > 0).all(), "every point once, in order"
        # The metrics are evaluated for a frame, never per training slice (issue 12): however many slices the stall
        # lasted, the next frame carries one point, taken at its own step.
        assert max(f["history_count"] for f in c.frames) == 1
        assert all(f["history"][-1][0] == f["step"] for f in c.frames if f["history_count"])
        assert rows[-1, 0] >= last["step"]


def test_live_changes_keep_the_epoch_counting(server):
    with Client(server.ws_url) as c:
        c.send(type="config", speed=2000)
        c.send(type="play")
        before = c.frame(lambda f: f["epoch"] >= 2, timeout=20)
        changes = [
            {"learning_rate": 0.1},
            {"activation": "relu"},
            {"optimizer": "adam"},
            {"layers": [3, 3, 3]},
        ]
        for patch in changes:
            c.send(type="config", **patch)
            config = c.json("config")["config"]
            for key, value in patch.items():
                assert config[key] == value
            after = c.frame(lambda f, e=before["epoch"]: f["epoch"] > e + 1, timeout=20)
            assert after["run"] == before["run"] and after["step"] > before["step"]
            before = after
        assert c.layout["network"]["sizes"] == [2, 3, 3, 3, 1]
        assert after["params"].size == 2 * 3 + 3 + 3 * 3 + 3 + 3 * 3 + 3 + 3 + 1
        assert math.isclose(after["learning_rate"], 0.1, rel_tol=1e-6)


def test_every_dataset_and_output_kind_streams_decodable_frames(server):
    with Client(server.ws_url) as c:
        c.frame()
        datasets = c.hello["options"]["datasets"]
        cases = [{"dataset": name} for name in datasets] + [
            {"dataset": "circle", "loss": "bce", "activation": "relu"},
            {"dataset": "xor", "loss": "softmax_ce", "layers": []},
            {"dataset": "spiral_k", "classes": 5, "features": ["x1", "x2", "sin_x1"], "activation": "sigmoid"},
        ]
        for patch in cases:
            c.send(type="config", **patch)
            config = c.json("config")["config"]
            c.send(type="step", n=2)
            frame = c.frame(lambda f: f["step"] == 2 and f["layout_id"] == c.layout["layout_id"])
            out = c.layout["grids"]["output"]
            kind = datasets[config["dataset"]]["kind"]
            assert out["kind"] == kind, patch
            sizes = c.layout["network"]["sizes"]
            assert sizes[0] == len(config["features"]) and sizes[1:-1] == config["layers"]
            if out["activation"] == "softmax":
                assert frame["output_grid"].shape == (100, 100, 2) and out["bytes_per_cell"] == 2
                assert frame["output_grid"][..., 0].max() < sizes[-1]
            else:
                assert frame["output_grid"].shape == (100, 100) and sizes[-1] == 1
            assert frame["neuron_maps"].shape == (sum(sizes[1:-1]), 25, 25)
            assert frame["feature_maps"].shape == (len(config["features"]), 25, 25)
            assert np.isfinite(frame["params"]).all() and np.isfinite(frame["train_loss"])
            c.send(type="reset")


def test_step_epoch_pause_and_reset(server):
    with Client(server.ws_url) as c:
        first = c.frame()
        c.send(type="step", n=5)
        assert c.frame(lambda f: f["step"] == 5)["epoch"] == 0
        c.send(type="epoch")
        after_epoch = c.frame(lambda f: f["epoch"] == 1)
        assert after_epoch["step"] == 25  # the rest of the pass: 250 training points / batch 10
        c.send(type="play")
        c.frame(lambda f: f["step"] > 40)
        c.send(type="pause")
        assert c.json("state")["state"] == "idle"
        paused = c.frame(lambda f: f["state"] == 0)
        c.send(type="ping", id="settle")
        c.json("pong")
        assert all(f["step"] == paused["step"] for f in c.frames[c.frames.index(paused):])
        c.send(type="reset")
        assert c.json("event")["kind"] == "reset"
        fresh = c.frame(lambda f: f["run"] == first["run"] + 1)
        assert fresh["step"] == 0 and fresh["epoch"] == 0
        np.testing.assert_array_equal(fresh["params"], first["params"])


def test_regenerate_sends_new_points_and_the_new_seed(server):
    with Client(server.ws_url) as c:
        c.frame()
        old = next(m for m in c.messages if m["type"] == "data")
        c.send(type="regenerate")
        assert c.json("config")["config"]["seed"] == 1
        new = c.json("data")
        assert len(new["train"]) == len(old["train"]) and new["train"] != old["train"]


def test_set_weight_and_bias_show_in_the_next_frame(server):
    with Client(server.ws_url) as c:
        c.frame()
        c.send(type="set_weight", layer=0, row=1, col=0, value=0.75)
        frame = c.frame(lambda f: f["frame"] > 1)
        assert frame["params"][weight_index(c.layout, 0, 1, 0)] == np.float32(0.75)
        c.send(type="set_weight", layer=1, row=0, col=None, value=-2.5)
        frame = c.frame(lambda f: f["params"][weight_index(c.layout, 1, 0, None)] == np.float32(-2.5))
        c.send(type="set_weight", layer=9, row=0, col=0, value=1.0)
        error = c.json("error")
        assert error["field"] == "layer" and "0 to 2" in error["message"]
        values = (np.arange(frame["params"].size) / 100).tolist()
        c.send(type="set_params", params=values)
        frame = c.frame(lambda f: f["params"][3] == np.float32(0.03))
        np.testing.assert_allclose(frame["params"], values, rtol=1e-6)
        c.send(type="set_params", params=[1.0])
        assert c.json("error")["field"] == "params"


def test_point_edits_csv_round_trip(server):
    with Client(server.ws_url) as c:
        c.frame()
        start = next(m for m in c.messages if m["type"] == "data")
        c.send(type="add_point", x=1.5, y=-2.0, label=1)
        data = c.json("data")
        assert len(data["train"]) == len(start["train"]) + 1 and [1.5, -2.0, 1.0] in data["train"]
        c.send(type="erase_points", x=1.5, y=-2.0, radius=0.01)
        assert c.json("event")["count"] == 1
        assert len(c.json("data")["train"]) == len(start["train"])
        c.send(type="load_csv", csv="x,y,label\n1,1,1\n-1,-1,0\n2,2,1\n-2,-2,0\n")
        loaded = c.json("data")
        assert sorted(loaded["train"] + loaded["test"]) == [[-2, -2, 0], [-1, -1, 0], [1, 1, 1], [2, 2, 1]]
        c.send(type="export_csv", id=4)
        csv = c.json("csv")
        assert csv["id"] == 4 and csv["csv"].count("\n") >= 5
        c.send(type="load_csv", csv="x,y,label\n1,1,7\n")
        error = c.json("error")
        assert error["code"] == "rejected" and error["field"] == "csv" and "label" in error["message"]


def test_gradcheck_passes_and_catches_the_injected_bug(server):
    with Client(server.ws_url) as c:
        c.send(type="gradcheck")
        good = c.json("gradcheck", timeout=30)
        assert good["passed"] and len(good["layers"]) == 3 and good["inject_bug"] is False
        c.send(type="gradcheck", inject_bug=True)
        bad = c.json("gradcheck", timeout=30)
        assert not bad["passed"] and max(bad["layers"]) > 1e-3


def test_ping_is_answered_with_the_id_and_server_time(server):
    with Client(server.ws_url) as c:
        c.send(type="ping", id=42)
        pong = c.json("pong")
        assert pong["id"] == 42 and abs(pong["server_time"] - time.time()) < 5


def test_messages_are_answered_in_order_and_a_bare_config_marks_where_they_end(server):
    """A saved run's load: settings, reset and weights in order; a config with only an id answers after all three."""
    with Client(server.ws_url) as c:
        first = c.frame()
        layers = [3]
        n_params = (2 * 3 + 3) + (3 * 1 + 1)
        c.send(type="config", id="settings", layers=layers)
        c.send(type="reset", id="reset")
        c.send(type="set_params", id="weights", params=[0.25] * n_params)
        c.send(type="set_params", id="too-few", params=[0.5] * (n_params - 1))
        c.send(type="ping", id="ping")
        c.send(type="config", id="done")
        answers = []
        while not answers or answers[-1] != ("config", "done"):
            m = c.wait(lambda m: m["type"] in ("config", "error", "pong") or m.get("kind") == "reset")
            answers.append((m["type"], m.get("id")))
        assert ("pong", "ping") in answers  # answered at once, ahead of what is still queued: its place varies
        in_order = [a for a in answers if a[0] != "pong"]
        assert in_order == [("config", "settings"), ("event", None), ("error", "too-few"), ("config", "done")]
        settings = next(m for m in c.messages if m.get("id") == "settings")
        assert settings["changed"] == ["layers"]
        done = c.messages[-1]
        assert done["changed"] == [] and done["config"]["layers"] == layers
        frame = c.frame(lambda f: f["run"] > first["run"])
        assert np.allclose(frame["params"], 0.25)
        c.send(type="regenerate", id=5)
        assert c.json("config")["id"] == 5


def test_trace_walks_one_point(server):
    with Client(server.ws_url) as c:
        c.send(type="trace", index=0, split="train")
        trace = c.json("trace", timeout=20)
        assert trace["too_big"] is False and trace["index"] == 0 and trace["step"] == 0
        c.send(type="trace", index=10_000)
        assert c.json("error")["field"] == "index"


def test_sessions_share_nothing(server):
    with Client(server.ws_url) as a, Client(server.ws_url) as b:
        a.send(type="config", learning_rate=0.5, layers=[5])
        assert a.json("config")["config"]["layers"] == [5]
        b.send(type="ping", id=1)
        b.json("pong")
        assert b.hello["config"]["layers"] == [4, 2] and b.hello["session"] != a.hello["session"]
        assert not any(m["type"] == "config" for m in b.messages)


def test_an_engine_failure_is_reported_and_the_session_carries_on(server):
    with Client(server.ws_url) as c:
        c.frame()
        view = server.app.state.sessions[c.hello["session"]].trainer
        real = view.grids

        def broken(*_):
            raise RuntimeError("grid bug")

        view.grids = broken
        c.send(type="step", n=1)
        error = c.json("error")
        assert error["code"] == "internal" and "grid bug" in error["message"]
        view.grids = real
        c.send(type="step", n=1)
        assert c.frame(lambda f: f["step"] == 2)["run"] == 1


def frames_within(c: Client, seconds: float) -> list[dict[str, Any]]:
    """Every frame that arrives in a bounded wait of `seconds` (other messages are kept in c.messages)."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            message = c.receive(remaining)
        except TimeoutError:
            break
        if message["type"] == "frame":
            frames.append(message)
    return frames


def test_an_idle_session_sends_no_frames_until_something_changes(server):
    with Client(server.ws_url) as c:
        c.frame()
        assert frames_within(c, 1.0) == [], "nothing changed: no frame is built"
        for message, reply in (({"type": "export_csv", "id": 1}, "csv"), ({"type": "trace", "index": 0}, "trace"),
                               ({"type": "gradcheck"}, "gradcheck")):
            c.send(**message)
            c.json(reply, timeout=30)
            assert frames_within(c, 0.5) == [], f"{message['type']} changes nothing: no frame"
        changes = [
            ({"type": "set_weight", "layer": 0, "row": 0, "col": 0, "value": 0.5},
             lambda f: f["params"][weight_index(c.layout, 0, 0, 0)] == 0.5),
            ({"type": "config", "learning_rate": 0.2}, lambda f: math.isclose(f["learning_rate"], 0.2, rel_tol=1e-6)),
            ({"type": "add_point", "x": 1.0, "y": 1.0, "label": 1}, lambda f: True),
            ({"type": "step", "n": 3}, lambda f: f["step"] == 3),
            ({"type": "reset"}, lambda f: f["step"] == 0 and f["run"] == 2),
        ]
        for message, shows_it in changes:
            c.send(**message)
            assert shows_it(c.frame()), message  # the next frame shows the change
            assert frames_within(c, 0.5) == [], message  # and is the only one
