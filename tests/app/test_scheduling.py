"""Work a session asks for is done in chunks, charged to it, and stops when it should (issue 12), over real uvicorn.

The checks count work (steps done, messages answered), not wall time: on the largest network the limits allow, one
step takes milliseconds, so a `step n=1000` is seconds of work that a `pause`, a disconnect or another session must
not have to wait for.
"""

from __future__ import annotations

import time

from app.session import MAX_OWED, State
from tests.app.test_protocol import Client

BIG = {"layers": [16] * 8, "points": 5000, "batch_size": 5000,
       "features": ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]}  # fmt: skip


def test_a_pause_stops_a_long_step_request_within_a_chunk(server):
    with Client(server.ws_url) as c:
        c.send(type="config", **BIG)
        c.json("config", timeout=60)
        c.send(type="step", n=1000)
        c.send(type="pause")
        c.wait(lambda m: m["type"] == "state" and m["state"] == "idle", timeout=60)
        session = server.app.state.sessions[c.hello["session"]]
        server.app.state.runtime.scheduler.drain()
        stopped_at = session.trainer.step
        assert stopped_at < 1000, "the pause waited for the whole request"
        assert session._owed == 0  # what was left is dropped, not done later
        c.send(type="ping", id=1)
        c.json("pong")
        server.app.state.runtime.scheduler.drain()
        assert session.trainer.step == stopped_at


def test_a_long_step_request_is_trained_in_chunks_and_frames_show_the_way(server):
    with Client(server.ws_url) as c:
        c.send(type="config", layers=[16] * 8, points=2000, batch_size=2000)
        c.json("config", timeout=60)
        c.send(type="step", n=300)
        last = c.frame(lambda f: f["step"] == 300, timeout=120)
        steps = sorted({f["step"] for f in c.frames})
        assert last["state"] == 0  # `step` trains without starting training
        assert len([s for s in steps if 0 < s < 300]) >= 1, "no frame while the 300 steps were trained"


def test_a_disconnected_sessions_work_stops_within_a_chunk(server):
    c = Client(server.ws_url)
    c.send(type="config", **BIG)
    c.json("config", timeout=60)
    session = server.app.state.sessions[c.hello["session"]]
    c.send(type="step", n=1000)
    c.frame(lambda f: f["step"] > 0, timeout=60)  # the work is under way
    c.close()
    deadline = time.monotonic() + 30
    while session.state is not State.CLOSED:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    at_close = session.trainer.step
    server.app.state.runtime.scheduler.drain()
    # A chunk is about 2 ms of steps (one or two here); before, the whole request ran to its end after a close.
    assert session.trainer.step - at_close <= 10, "the server kept training a session nobody watches"
    assert session.trainer.step < 1000


def test_a_session_cannot_queue_more_work_than_its_share(server):
    with Client(server.ws_url) as c:
        c.send(type="config", **BIG)
        c.json("config", timeout=60)
        for _ in range(MAX_OWED // 1000 + 1):
            c.send(type="step", n=1000)
        refused = c.json("error", timeout=60)
        assert refused["code"] == "rejected" and refused["field"] == "n"
        assert f"at most {MAX_OWED}" in refused["message"] and "pause" in refused["message"]
        c.send(type="pause")
        c.wait(lambda m: m["type"] == "state" and m["state"] == "idle", timeout=60)
        c.send(type="ping", id=2)
        assert c.json("pong")["id"] == 2  # the session goes on


def test_an_epoch_request_trains_exactly_to_the_end_of_the_pass(server):
    with Client(server.ws_url) as c:
        c.send(type="config", points=200, train_ratio=0.5, batch_size=7)  # 100 training points: 15 steps a pass
        c.json("config")
        c.send(type="step", n=4)
        c.frame(lambda f: f["step"] == 4)
        c.send(type="epoch")
        done = c.frame(lambda f: f["epoch"] == 1)
        assert done["step"] == 15
        c.send(type="epoch")
        assert c.frame(lambda f: f["epoch"] == 2)["step"] == 30


def test_a_paused_session_answers_pings_while_twenty_others_train(server):
    others = [Client(server.ws_url) for _ in range(20)]
    try:
        for o in others:
            o.send(type="config", layers=[8] * 6, batch_size=10)
            o.send(type="play")
        for o in others:
            o.frame(lambda f: f["state"] == 1, timeout=60)
        with Client(server.ws_url) as quiet:
            for k in range(10):
                quiet.send(type="ping", id=k)
                assert quiet.json("pong", timeout=10)["id"] == k
    finally:
        for o in others:
            o.close()
