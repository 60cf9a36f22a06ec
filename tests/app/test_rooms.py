"""Classroom rooms over real uvicorn (in-process broker): follow mode fans one session's frames out to every
student, hands-on copies the teacher's exact weights, students cannot control the room, wrong codes are limited."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import numpy as np
import pytest

from tests.app.test_protocol import Client

pytestmark = pytest.mark.timeout(90)


@contextmanager
def classroom(ws_url: str, nicknames: tuple[str, ...] = ("ann", "bob", "cy")) -> Iterator[tuple[Client, dict]]:
    """A teacher with an open room and students that joined it; the room is closed at the end."""
    with ExitStack() as stack:
        teacher = stack.enter_context(Client(ws_url))
        teacher.send(type="room_open")
        room = teacher.json("room")
        students = {}
        for name in nicknames:
            student = stack.enter_context(Client(ws_url))
            student.send(type="room_join", code=room["code"], nickname=name)
            assert student.json("room")["role"] == "student"
            students[name] = student
        teacher.wait(lambda m: m["type"] == "room" and m["students"] == len(nicknames))
        try:
            yield teacher, students
        finally:
            teacher.send(type="room_close")


def session_of(server, client: Client):
    return server.app.state.runtime.sessions[client.hello["session"]]


def test_a_join_code_is_short_and_has_at_least_30_bits(server):
    with Client(server.ws_url) as teacher:
        teacher.send(type="room_open")
        room = teacher.json("room")
        teacher.send(type="room_close")
    assert room["role"] == "teacher" and room["mode"] == "follow" and len(room["teacher_token"]) >= 16
    from app.rooms.codes import ALPHABET, CODE_LENGTH

    assert re.fullmatch(f"[{ALPHABET}]{{{CODE_LENGTH}}}", room["code"])
    assert CODE_LENGTH * math.log2(len(set(ALPHABET))) >= 30


def test_follow_mode_sends_the_teachers_frames_built_once_to_every_student(server):
    with classroom(server.ws_url) as (teacher, students):
        built_by_students = {n: session_of(server, s)._frames_built for n, s in students.items()}
        teacher.send(type="play")
        teacher.frame(lambda f: f["step"] > 0)
        seen = {}
        for name, student in students.items():
            frames = [student.frame(lambda f: f["step"] > 0) for _ in range(5)]
            seen[name] = {f["frame"]: f for f in frames}
        teacher.send(type="pause")
        teacher.json("state")
        by_number = {f["frame"]: f for f in teacher.frames}
        for name, frames in seen.items():
            shared = [n for n in frames if n in by_number]
            assert shared, f"{name} saw none of the teacher's frame numbers"
            for number in shared:  # the same frame: same step, same bytes of every weight
                assert frames[number]["step"] == by_number[number]["step"]
                assert frames[number]["params"].tobytes() == by_number[number]["params"].tobytes()
        assert all(s.layout["layout_id"] == teacher.layout["layout_id"] for s in students.values())
        # one trainer: the students' own sessions built no frame while they followed
        assert {n: session_of(server, s)._frames_built for n, s in students.items()} == built_by_students
        assert session_of(server, teacher).subscribers.__len__() == 1 + len(students)


def test_a_student_cannot_control_the_room_or_the_teachers_session(server):
    with classroom(server.ws_url, ("ann",)) as (teacher, students):
        ann = students["ann"]
        for message in ({"type": "play", "id": 1}, {"type": "config", "learning_rate": 3.0, "id": 2},
                        {"type": "set_weight", "layer": 0, "row": 0, "value": 9.0, "id": 3}):
            ann.send(**message)
            error = ann.json("error")
            assert (error["code"], error["field"], error["id"]) == ("room_follow", "type", message["id"])
        for kind in ("room_mode", "room_push", "room_remove", "room_close"):
            extra = {"mode": "hands_on"} if kind == "room_mode" else {"student": "ann"} if kind == "room_remove" else {}
            ann.send(type=kind, id=kind, **extra)
            error = ann.json("error")
            assert (error["code"], error["field"], error["id"]) == ("room_not_teacher", "type", kind)
        ann.send(type="ping", id="alive")
        assert ann.json("pong")["id"] == "alive"  # the student's session carries on
        teacher.send(type="config", id="probe")
        config = teacher.wait(lambda m: m.get("id") == "probe")["config"]
        assert config["learning_rate"] != 3.0
        assert session_of(server, teacher).state.value == "idle"
        assert not [m for m in teacher.messages if m["type"] == "error"]


def test_hands_on_starts_every_student_from_the_teachers_exact_weights_and_a_push_reaches_one(server):
    with classroom(server.ws_url, ("ann", "bob")) as (teacher, students):
        teacher.send(type="config", layers=[5, 3], learning_rate=0.1)
        teacher.send(type="step", n=25)
        trained = teacher.frame(lambda f: f["step"] == 25)
        teacher.send(type="room_mode", mode="hands_on")
        for student in students.values():
            pushed = student.json("room_pushed")
            assert pushed["step"] == 25
            frame = student.frame(lambda f: f["step"] == 25)
            assert frame["params"].tobytes() == trained["params"].tobytes()  # bit for bit
            assert [layer["weights"]["shape"] for layer in student.layout["network"]["layers"]] == \
                [layer["weights"]["shape"] for layer in teacher.layout["network"]["layers"]]
        # hands-on: a student's controls are its own
        ann, bob = students["ann"], students["bob"]
        ann.send(type="step", n=5)
        assert ann.frame(lambda f: f["step"] == 30)["step"] == 30
        teacher.send(type="set_weight", layer=0, row=0, col=0, value=1.5)
        edited = teacher.frame(lambda f: f["frame"] > trained["frame"] and f["params"][0] == np.float32(1.5))
        teacher.send(type="room_push", student="ANN")  # nicknames compare without case
        assert ann.json("room_pushed")["step"] == 25
        again = ann.frame(lambda f: f["step"] == 25)
        assert again["params"].tobytes() == edited["params"].tobytes()
        bob.send(type="config", id="mark")
        bob.wait(lambda m: m.get("id") == "mark")
        assert sum(m["type"] == "room_pushed" for m in bob.messages) == 1
        teacher.send(type="room_push", student="zed", id="who")
        error = teacher.json("error")
        assert (error["code"], error["field"], error["id"]) == ("room_unknown_student", "student", "who")
        # back to follow: the students see the teacher's session again
        teacher.send(type="room_mode", mode="follow")
        back = ann.frame(lambda f: f["params"].tobytes() == edited["params"].tobytes() and f["step"] == 25)
        assert back["params"][0] == np.float32(1.5)
        ann.send(type="play", id="no")
        assert ann.json("error")["code"] == "room_follow"


def test_closing_the_room_gives_each_student_its_own_session_back(server):
    with classroom(server.ws_url, ("ann",)) as (teacher, students):
        ann = students["ann"]
        teacher.send(type="step", n=40)
        teacher.frame(lambda f: f["step"] == 40)
        ann.frame(lambda f: f["step"] == 40)
        teacher.send(type="room_close")
        assert ann.json("room_closed")["reason"] == "closed by the teacher"
        assert teacher.json("room_closed")["code"]
        ann.frame(lambda f: f["step"] == 0)  # its own session, untrained
        ann.send(type="step", n=2)
        ann.frame(lambda f: f["step"] == 2)
        assert not [m for m in ann.messages if m["type"] == "error"]


def test_nicknames_are_required_and_unique_in_a_room(server):
    with classroom(server.ws_url, ("Ann",)) as (teacher, _), Client(server.ws_url) as other:
        code = next(m["code"] for m in teacher.messages if m["type"] == "room")
        other.send(type="room_join", code=code.lower(), nickname="  aNN ", id=1)
        error = other.json("error")
        assert (error["code"], error["field"]) == ("room_nickname_taken", "nickname")
        other.send(type="room_join", code=code, id=2)
        assert other.json("error")["code"] == "room_nickname_required"
        other.send(type="room_join", code=code, nickname="a\nb", id=3)
        assert (other.json("error")["field"]) == "nickname"
        other.send(type="room_join", code=code, nickname="Dee")
        assert other.json("room")["nickname"] == "Dee"


def test_guessing_join_codes_is_rate_limited_per_address_and_the_session_carries_on(make_server):
    server = make_server(room_join_failures=3)
    with Client(server.ws_url) as teacher, Client(server.ws_url) as guesser, Client(server.ws_url) as friend:
        teacher.send(type="room_open")
        code = teacher.json("room")["code"]
        wrong = "".join("A" if c != "A" else "B" for c in code)
        for n in range(3):
            guesser.send(type="room_join", code=wrong, nickname="g", id=n)
            error = guesser.json("error")
            assert (error["code"], error["field"], error["id"]) == ("room_not_found", "code", n)
        guesser.send(type="room_join", code=code, nickname="g", id="right")  # even the right code, for a minute
        error = guesser.json("error")
        assert (error["code"], error["field"]) == ("room_rate_limited", "code")
        friend.send(type="room_join", code=code, nickname="f")  # the same address, another connection
        assert friend.json("error")["code"] == "room_rate_limited"
        guesser.send(type="ping", id="alive")
        assert guesser.json("pong")["id"] == "alive"
        teacher.send(type="room_join", code=code, teacher_token="not-it")
        assert teacher.json("error")["code"] == "room_rate_limited"


def test_the_teacher_comes_back_with_the_token_within_the_grace_period(make_server):
    server = make_server(room_grace=30.0)
    with Client(server.ws_url) as ann:
        with Client(server.ws_url) as teacher:
            teacher.send(type="room_open")
            room = teacher.json("room")
            ann.send(type="room_join", code=room["code"], nickname="ann")
            ann.json("room")
        assert not ann.wait(lambda m: m["type"] == "room" and not m["teacher_present"])["teacher_present"]
        with Client(server.ws_url) as back:
            back.send(type="config", id="lr", learning_rate=0.123)
            back.wait(lambda m: m.get("id") == "lr")
            back.send(type="room_join", code=room["code"], teacher_token=room["teacher_token"])
            again = back.json("room")
            assert again["role"] == "teacher" and again["students"] == 1
            ann.wait(lambda m: m["type"] == "config" and m["config"]["learning_rate"] == 0.123)
            back.send(type="step", n=3)
            ann.frame(lambda f: f["step"] == 3)
            back.send(type="room_close")
            ann.json("room_closed")


def test_the_room_closes_when_the_teacher_stays_away_past_the_grace_period(make_server):
    server = make_server(room_grace=0.5)
    with Client(server.ws_url) as ann:
        with Client(server.ws_url) as teacher:
            teacher.send(type="room_open")
            code = teacher.json("room")["code"]
            ann.send(type="room_join", code=code, nickname="ann")
            ann.json("room")
        start = time.monotonic()
        assert ann.json("room_closed", timeout=10)["reason"] == "the teacher left"
        assert time.monotonic() - start >= 0.4
        assert server.app.state.runtime.rooms.rooms == {}
        ann.frame()  # its own session again


def test_every_room_message_is_documented():
    from app.docs import PROTOCOL_DOC
    from app.protocol import ROOM_MESSAGES

    text = PROTOCOL_DOC.read_text()
    for model in ROOM_MESSAGES:
        kind = model.model_fields["type"].annotation.__args__[0]
        assert f"| `{kind}` |" in text, kind
    for kind in ("room", "room_pushed", "room_closed", "room_dashboard", "room_leaderboard", "room_shared"):
        assert f"| `{kind}` |" in text, kind
    from app.rooms.room import DATA_SETTINGS

    challenge = text[text.index("- **Challenge.**"):text.index("- **Ending.**")]
    assert all(f"`{name}`" in challenge for name in DATA_SETTINGS)


def test_a_challenge_locks_settings_and_ranks_students_by_what_the_server_measured(server):
    with classroom(server.ws_url, ("ann", "bob")) as (teacher, students):
        ann, bob = students["ann"], students["bob"]
        teacher.send(type="config", dataset="xor", layers=[4], learning_rate=0.05, batch_size=10)
        teacher.send(type="room_challenge", metric="test_loss", locked=["layers"], seconds=600)
        for student in (ann, bob):
            room = student.wait(lambda m: m["type"] == "room" and m["mode"] == "challenge")
            assert room["challenge"]["locked"] == ["layers"] and room["challenge"]["best"] == "lowest"
            student.json("room_pushed")
        for message, field in (({"type": "config", "layers": [8]}, "layers"),
                               ({"type": "config", "seed": 5}, "seed"),  # the data is always locked
                               ({"type": "set_params", "params": [0.0]}, "type"),
                               ({"type": "add_point", "x": 0.0, "y": 0.0, "label": 1}, "type")):
            ann.send(**message, id=field)
            error = ann.json("error")
            assert (error["code"], error["field"], error["id"]) == ("room_locked", field, field)
        ann.send(type="config", learning_rate=0.3, id="lr")  # not locked
        assert ann.wait(lambda m: m.get("id") == "lr")["type"] == "config"
        ann.send(type="step", n=300)
        last = ann.frame(lambda f: f["step"] == 300)  # the session rests here: its last frame is sampled
        for _ in range(2):
            board = ann.json("room_leaderboard")
        entries = {e["nickname"]: e for e in board["leaderboard"]}
        assert np.float32(entries["ann"]["best"]) <= last["test_loss"]  # the best of what was measured
        for name, student in students.items():  # each best is a test loss the student's own frames showed
            best = np.float32(entries[name]["best"])
            if not any(f["test_loss"] == best for f in student.frames):
                student.frame(lambda f, best=best: f["test_loss"] == best)
            assert entries[name]["weights"] == student.frames[-1]["params"].size
            assert entries[name]["network"].startswith("2-4-1")
        bests = [e["best"] for e in board["leaderboard"]]
        assert bests == sorted(bests)  # lowest test loss first
        assert 0 < board["remaining"] <= 600 and not board["over"]
        dashboard = teacher.wait(lambda m: m["type"] == "room_dashboard" and m["leaderboard"] is not None)
        rows = {r["nickname"]: r for r in dashboard["students"]}
        assert rows["ann"]["mode"] == "challenge" and rows["ann"]["connected"]
        assert "xor" in rows["ann"]["summary"]


def test_a_challenge_counts_only_networks_within_the_weight_limit_and_times_a_target(server):
    with classroom(server.ws_url, ("ann",)) as (teacher, students):
        ann = students["ann"]
        teacher.send(type="config", layers=[3])
        teacher.send(type="room_challenge", metric="test_accuracy", max_weights=1, target=0.0)
        ann.json("room_pushed")
        ann.send(type="step", n=20)
        ann.frame(lambda f: f["step"] == 20)
        for _ in range(2):
            board = ann.json("room_leaderboard")
        assert board["leaderboard"][0]["best"] is None and board["leaderboard"][0]["reached"] is None
        teacher.send(type="room_challenge", metric="test_accuracy", target=0.0)  # any accuracy meets it
        ann.json("room_pushed")
        board = ann.wait(lambda m: m["type"] == "room_leaderboard" and m["leaderboard"]
                         and m["leaderboard"][0]["reached"] is not None)
        assert board["rules"]["target"] == 0.0 and board["leaderboard"][0]["reached"] >= 0


def test_spotlight_puts_one_students_session_on_every_screen_and_removal_sends_a_student_home(server):
    with classroom(server.ws_url, ("ann", "bob")) as (teacher, students):
        ann, bob = students["ann"], students["bob"]
        teacher.send(type="room_spotlight", student="Ann")
        assert ann.wait(lambda m: m["type"] == "room" and m["spotlight"] == "ann")["mode"] == "follow"
        ann.send(type="config", layers=[6], id="own")  # the spotlit student's controls are its own
        ann.wait(lambda m: m.get("id") == "own")
        ann.send(type="step", n=7)
        shown = ann.frame(lambda f: f["step"] == 7)
        for viewer in (bob, teacher):
            seen = viewer.frame(lambda f: f["step"] == 7)
            assert seen["params"].tobytes() == shown["params"].tobytes()
            assert viewer.layout["network"]["layers"][0]["weights"]["shape"][1] == 6
        bob.send(type="step", n=1, id="no")
        assert bob.json("error")["code"] == "room_follow"
        teacher.send(type="room_spotlight")  # back to the teacher's session
        for viewer in (ann, bob, teacher):
            viewer.frame(lambda f: f["step"] == 0 and f["params"].tobytes() != shown["params"].tobytes())
        ann.send(type="play", id="again")
        assert ann.json("error")["code"] == "room_follow"
        teacher.send(type="room_remove", student="bob")
        assert bob.json("room_closed")["reason"] == "removed by the teacher"
        bob.send(type="step", n=2)
        bob.frame(lambda f: f["step"] == 2)
        room = teacher.wait(lambda m: m["type"] == "room" and m["students"] == 1)
        assert [r["nickname"] for r in room["roster"]] == ["ann"]


def test_answers_to_the_teachers_own_requests_go_to_the_teacher_alone(server):
    with classroom(server.ws_url, ("ann",)) as (teacher, students):
        ann = students["ann"]
        teacher.send(type="export_csv", id="csv")
        assert teacher.json("csv")["id"] == "csv"
        teacher.send(type="config", learning_rate=-1.0, id="bad")
        assert teacher.json("error")["id"] == "bad"
        teacher.send(type="gradcheck", id="check")
        assert teacher.json("gradcheck")["id"] == "check"
        teacher.send(type="config", learning_rate=0.2, id="good")
        teacher.wait(lambda m: m.get("id") == "good")
        assert ann.wait(lambda m: m["type"] == "config" and m["config"]["learning_rate"] == 0.2)  # shared: config
        assert not [m for m in ann.messages if m["type"] in ("csv", "error", "gradcheck", "export", "trace")]


def test_a_student_who_joins_during_the_teachers_race_gets_the_race_and_reads_its_frames(server):
    """A late joiner's snapshot carries the running race (its `race` message, with the race frames' layout): without
    it the first race frame arrives before any race message and cannot be read."""
    from tests.app.test_race import RaceClient

    with RaceClient(server.ws_url) as teacher:
        teacher.send(type="room_open")
        room = teacher.json("room")
        teacher.send(type="race_start", id="r", values=["sgd", "adam"])
        teacher.json("race")
        teacher.send(type="play")
        seen = teacher.race_frame(lambda f: f["step"] > 0)
        with RaceClient(server.ws_url) as student:
            student.send(type="room_join", code=room["code"], nickname="late")
            assert student.json("room")["role"] == "student"
            frame = student.race_frame(lambda f: f["step"] > seen["step"])
            assert student.race is not None and student.race["race"] == teacher.race["race"]
            assert [lane["label"] for lane in student.race["lanes"]] == ["sgd", "adam"] and len(frame["lanes_"]) == 2
        teacher.send(type="room_close")
