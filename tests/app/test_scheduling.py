"""Work a session asks for is done in chunks, charged to it, and stops when it should (issue 12), over real uvicorn.

The checks count work (steps done, messages answered), not wall time: on the largest network the limits allow, one
step takes milliseconds, so a `step n=1000` is seconds of work that a `pause`, a disconnect or another session must
not have to wait for.
"""

from __future__ import annotations

import threading
import time
from collections import deque

import pytest

from app.sessions import governor as governor_module
from app.sessions.governor import Governor
from app.sessions.scheduler import Again, Priority, Scheduler
from app.sessions.session import MAX_OWED, State
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


# -- the scheduler's rules (app.sessions.scheduler), as the order of work items ----------------------------------------


def test_jobs_start_in_priority_order_and_in_turn_within_one():
    scheduler = Scheduler(1, history=64)
    gate = threading.Event()
    try:
        blocker = scheduler.submit(Priority.ELASTIC, gate.wait, 10, label="blocker")
        while not scheduler.order or scheduler.order[-1][0] != "started":
            time.sleep(0.001)
        jobs = [scheduler.submit(priority, lambda: None, label=label) for priority, label in (
            (Priority.ELASTIC, "e1"), (Priority.NUMERIC, "n1"), (Priority.FRAME, "f1"), (Priority.ELASTIC, "e2"),
            (Priority.CONTROL, "c1"), (Priority.FRAME, "f2"))]  # fmt: skip
        assert scheduler.urgent(Priority.ELASTIC) and not scheduler.urgent(Priority.CONTROL)
        gate.set()
        for job in [blocker, *jobs]:
            job.future.result(10)
        started = [label for event, _, label in scheduler.order if event == "started"]
        assert started == ["blocker", "c1", "f1", "f2", "n1", "e1", "e2"]
    finally:
        gate.set()
        scheduler.shutdown()


def test_a_raised_job_runs_once_at_its_new_priority():
    scheduler = Scheduler(1, history=64)
    gate = threading.Event()
    runs: list[str] = []
    try:
        scheduler.submit(Priority.ELASTIC, gate.wait, 10, label="blocker")
        first = scheduler.submit(Priority.ELASTIC, runs.append, "first", label="first")
        late = scheduler.submit(Priority.ELASTIC, runs.append, "late", label="late")
        raised = scheduler.bump(late, Priority.FRAME)
        assert scheduler.bump(raised, Priority.ELASTIC) is raised  # never lowered
        gate.set()
        first.future.result(10)
        raised.future.result(10)
        scheduler.drain()
        assert runs == ["late", "first"]
        assert scheduler.bump(raised, Priority.CONTROL) is raised  # a job that ran stays as it was
    finally:
        gate.set()
        scheduler.shutdown()


def test_a_job_comes_again_behind_its_priority_or_at_the_one_it_was_raised_to_while_it_ran():
    """`Again` queues a job anew without ending it (its future stays pending); a raise that arrives while the job
    runs is kept for when it comes again, so a control message during a training turn does not wait a whole round."""
    scheduler = Scheduler(1, history=64)
    gate, running = threading.Event(), threading.Event()
    turns: list[str] = []
    state = {"a": 0}

    def a() -> Again | str:
        state["a"] += 1
        turns.append(f"a{state['a']}")
        if state["a"] == 1:
            return Again(Priority.ELASTIC)  # plain turn: behind b
        if state["a"] == 2:
            running.set()
            gate.wait(10)  # raised to CONTROL meanwhile
            return Again(Priority.ELASTIC)
        return "done"

    try:
        job = scheduler.submit(Priority.ELASTIC, a, label="a")
        scheduler.submit(Priority.ELASTIC, turns.append, "b", label="b")
        assert running.wait(10)
        scheduler.submit(Priority.ELASTIC, turns.append, "c", label="c")
        assert scheduler.bump(job, Priority.CONTROL) is job and not job.future.done()
        gate.set()
        assert job.future.result(10) == "done"
        scheduler.drain()
        assert turns == ["a1", "b", "a2", "a3", "c"]
        assert [(e, p) for e, p, label in scheduler.order if label == "a"] == [
            ("queued", Priority.ELASTIC), ("started", Priority.ELASTIC), ("queued", Priority.ELASTIC),
            ("started", Priority.ELASTIC), ("queued", Priority.CONTROL), ("started", Priority.CONTROL)]
    finally:
        gate.set()
        scheduler.shutdown()


def assert_frames_first(order) -> dict[tuple[str, Priority], int]:
    """No job starts while a more urgent one waits: checked over every event recorded. Returns how
    many of each (event, priority) were seen, so a test can show that the rules were exercised."""
    waiting: dict[str, Priority] = {}  # label -> priority of each job queued and not started
    seen: dict[tuple[str, Priority], int] = {}
    for event, priority, label in order:
        seen[event, priority] = seen.get((event, priority), 0) + 1
        if event in ("queued", "raised"):
            waiting[label] = min(priority, waiting.get(label, priority)) if event == "raised" else priority
        else:
            waiting.pop(label, None)
            more_urgent = [other for other, p in waiting.items() if p < priority]
            assert not more_urgent, f"{label} ({priority.name}) started while {more_urgent} waited"
    return seen


def test_frames_and_controls_never_wait_behind_training_slices(server):
    """Sixteen sessions train at full speed, one trains at 30 steps/s and one is paused and changes its learning
    rate: every due frame, control message and numeric-speed slice starts before any slice of less urgent work.
    With sixteen slices in turn, a session's next slice often waits past its frame's due time: the job is then
    queued, or raised, as a frame job instead of waiting for its turn."""
    scheduler = server.app.state.runtime.scheduler
    assert scheduler.threads >= 1  # the rule below holds for any number: every start takes the queue's head
    busy = [Client(server.ws_url) for _ in range(16)]
    numeric = Client(server.ws_url)
    quiet = Client(server.ws_url)
    kept = scheduler.order
    try:
        for c in busy:
            c.send(type="config", speed="max")
            c.send(type="play")
        numeric.send(type="config", speed=30)
        numeric.send(type="play")
        for c in busy:
            c.frame(lambda f: f["state"] == 1 and f["step"] > 0, timeout=60)
        scheduler.order = deque(maxlen=1_000_000)  # the server keeps the last 4,096 events; this window has more
        start = numeric.frame(lambda f: f["step"] > 0)
        for k in range(20):
            quiet.send(type="config", learning_rate=0.01 + 0.001 * k)
            quiet.json("config", timeout=30)
        end = numeric.frame(lambda f: f["step"] >= start["step"] + 30, timeout=60)
        seen = assert_frames_first(list(scheduler.order))
    finally:
        scheduler.order = kept
        for c in (*busy, numeric, quiet):
            c.close()
    assert seen.get(("started", Priority.FRAME), 0) > 0, "no frame job: frames were all built in training slices"
    assert seen.get(("raised", Priority.CONTROL), 0) + seen.get(("queued", Priority.CONTROL), 0) >= 20
    assert seen.get(("started", Priority.NUMERIC), 0) > 0 and seen.get(("started", Priority.ELASTIC), 0) > 0
    assert end["step"] > start["step"]


def test_a_gradient_check_on_the_largest_network_is_done_in_chunks(server):
    """A gradient check of the largest network is a second of work: it runs a parameter at a time in the
    session's turns, so other sessions' frames go on in between, and its answer is the same."""
    scheduler = server.app.state.runtime.scheduler
    with Client(server.ws_url) as big, Client(server.ws_url) as other:
        big.send(type="config", **BIG)
        big.json("config", timeout=60)
        other.send(type="config", speed="max")
        other.send(type="play")
        other.frame(lambda f: f["state"] == 1)
        scheduler.order.clear()
        big.send(type="gradcheck")
        answer = big.json("gradcheck", timeout=120)
        order = list(scheduler.order)
        session = server.app.state.sessions[big.hello["session"]]
        expected = [float(e) for e in session.trainer.gradcheck()]
    mine = f"{big.hello['session']} "
    started = [label.startswith(mine) for event, _, label in order if event == "started"]
    first, last = started.index(True), len(started) - 1 - started[::-1].index(True)
    assert sum(started) >= 3, "the check ran in one piece"
    assert not all(started[first:last + 1]), "no other session's job ran while the check did"
    assert answer["layers"] == expected  # same weights (nothing trained it), same arithmetic


def test_the_governor_thins_the_maps_first_then_caps_the_frame_rate_evenly_and_recovers():
    """Seconds in which the full-speed sessions got fewer frames than they want while training got little time make
    the governor degrade, in its order; seconds in which frames keep up undo it step by step. Frames that lag while
    training has time to spare (slow clients) change nothing. The thresholds and factors are the module's own."""
    governor = Governor()
    wanted = [60.0, 60.0]
    busy = governor_module.ROOMY / 2  # short of time
    roomy = (governor_module.ROOMY + 1) / 2
    trained = 0.0
    t = 0.0

    def second(frames_each: float, share: float) -> None:  # a second with `frames_each` per session, `share` trained
        nonlocal trained, t
        t += 1.0
        trained += share
        for _ in range(round(frames_each * len(wanted))):
            governor.frame_built()
        governor.tick(t, wanted, trained)

    governor.tick(0.0, wanted, trained)
    second(40, roomy)  # lagging, but with time to spare: not the server's doing
    assert (governor.maps_every, governor.fps_cap) == (1, None)
    second(40, busy)
    assert (governor.maps_every, governor.fps_cap) == (2, None)
    for _ in range(governor_module.SETTLE_TICKS):  # the second after a change is not judged
        second(40, busy)
        assert (governor.maps_every, governor.fps_cap) == (2, None)
    second(20, busy)  # still lagging with the maps thinned: the cap, a little above what they achieved
    cap = 20 * governor_module.HEADROOM
    assert governor.fps_cap == pytest.approx(cap)
    assert governor.applies(60.0) == {"fps": round(cap, 1), "maps_every": 2}
    assert governor.applies(10.0) == {"fps": None, "maps_every": 2}  # below the cap: its own rate
    for _ in range(governor_module.SETTLE_TICKS):
        second(cap, busy)
    for _ in range(governor_module.CALM_TICKS - 1):  # at the cap, frames keep up: calm seconds
        second(cap, busy)
        assert governor.fps_cap == pytest.approx(cap)
    second(cap, busy)
    assert governor.fps_cap == pytest.approx(cap * governor_module.RAISE)
    caps = []
    for _ in range(4 * (governor_module.CALM_TICKS + governor_module.SETTLE_TICKS)):  # the process makes 20 fps each
        second(min(governor.fps_cap, 20), busy)
        caps.append(governor.fps_cap)
    assert max(caps) > cap and min(caps) == pytest.approx(cap)  # raised, back to HEADROOM × what it can do
    assert min(caps) > 20, "the cap slows frames below what the process makes"
    settled = caps[caps.index(min(caps)):]  # back at HEADROOM × what the process makes, and there it stays
    assert len(settled) >= 2 and settled == pytest.approx([cap] * len(settled)), "the cap creeps down"
    for _ in range(governor_module.SETTLE_TICKS):
        second(governor.fps_cap, busy)
    second(5, busy)  # 5 fps each: the cap follows, still above what they get
    assert governor.fps_cap == pytest.approx(governor_module.HEADROOM * 5)
    cap = governor.fps_cap
    while governor.fps_cap is not None:
        for _ in range(governor_module.CALM_TICKS + governor_module.SETTLE_TICKS):
            second(governor.fps_cap, roomy)
        if governor.fps_cap is not None:
            cap *= governor_module.RAISE
            assert governor.fps_cap == pytest.approx(cap)
    assert cap * governor_module.RAISE >= 60.0 and governor.maps_every == 2
    for _ in range(governor_module.CALM_TICKS + governor_module.SETTLE_TICKS):
        second(60, roomy)
    assert governor.maps_every == 1
    governor.maps_every, governor.fps_cap = 2, 5.0
    governor.tick(t + 1.0, [], trained)  # nobody trains at full speed: nothing to degrade
    assert (governor.maps_every, governor.fps_cap) == (1, None)


def test_every_frame_of_a_session_training_at_full_speed_shows_new_steps(server):
    """A full-speed session's frames come at its fps, not at its turn for a training slice: a frame job trains a
    short slice first, so the first frame after `play` and every one after it shows steps the last did not."""
    with Client(server.ws_url) as c:
        c.frame()
        c.send(type="play")
        first = c.frame(lambda f: f["state"] == 1)
        steps = [c.frame()["step"] for _ in range(10)]
        c.send(type="pause")
    assert first["step"] > 0
    assert all(b > a for a, b in zip([first["step"], *steps], steps, strict=False))
