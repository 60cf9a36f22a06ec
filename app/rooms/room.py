"""One classroom room: its teacher, its students and its mode, and so whose frames each student's socket gets."""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app import protocol
from app.jsontext import dumps
from app.rooms import codes
from app.rooms.challenge import Challenge, Rules
from app.rooms.shared import ChannelOutbox, RemoteSession, show
from engine.schema import SETTINGS

if TYPE_CHECKING:
    from app.sessions.session import Session
    from engine.trainer import Trainer

log = logging.getLogger("playground.rooms")
ERRORS: dict[str, str] = {  # every `error` code a room message can get, with when
    "room_not_found": "no open room has this code (`field` `code`); counts as a wrong code",
    "room_bad_token": "the teacher token does not match the room's (`field` `teacher_token`); counts as a wrong code",
    "room_rate_limited": "this client address sent too many wrong codes in the last minute (`room_join_failures`); "
                         "every join from it is refused until the minute has passed",
    "room_nickname_required": "a student's `room_join` needs a `nickname`",
    "room_nickname_taken": "another student of the room has this nickname (compared without case)",
    "room_full": "the room has `room_max_students` students",
    "room_limit": "this server process has `max_rooms` rooms open",
    "room_member": "this connection is in a room already (`room_open`, `room_join`)",
    "room_not_member": "this connection is in no room",
    "room_not_teacher": "only the room's teacher may send this (`field` `type`)",
    "room_follow": "a student's control message while the room is in follow mode (`field` `type`): the teacher's "
                   "session is shown read-only",
    "room_not_hands_on": "`room_push` while the room is in follow mode (`field` `type`)",
    "room_locked": "in a challenge, a student's change of a locked setting (`field`: the setting) or of the data or "
                   "weights (`set_params`, `add_point`, `erase_points`, `load_csv`, `regenerate`: `field` `type`)",
    "room_unknown_student": "no student of the room has this nickname (`field` `student`)",
    "room_elsewhere": "with Redis: a spotlight on a student connected to another server process, or the teacher's "
                      "token sent to a process other than the room's (`field` `student` or `teacher_token`)",
    "room_unavailable": "with Redis: the shared store cannot be reached, so a room of another process cannot be "
                        "joined now; try again",
}


class Mode(enum.Enum):
    """What the students' sockets show: the teacher's session (follow), or each their own copy (hands-on)."""

    FOLLOW = "follow"
    HANDS_ON = "hands_on"
    CHALLENGE = "challenge"


DATA_SETTINGS = tuple(s.name for s in SETTINGS if {"data", "split"} & set(s.resets))  # locked in every challenge
LOCKED_MESSAGES = (protocol.SetParams, protocol.AddPoint, protocol.ErasePoints, protocol.LoadCsv, protocol.Regenerate)
SAMPLE_SECONDS = 0.1  # how often a challenge reads each student's last frame's metrics
DASHBOARD_SECONDS = 1.0  # how often the teacher gets `room_dashboard` (and students `room_leaderboard`)


def refusal(code: str, field: str | None, message: str, request_id: Any = None) -> protocol.ProtocolError:
    """An `error` with one of the room codes (ERRORS)."""
    assert code in ERRORS, code
    return protocol.ProtocolError(code, field, message, request_id)


@dataclass(eq=False)
class Member:
    """One connection's place in a room: the teacher's (nickname None) or a student's."""

    room: Room
    session: Session
    nickname: str | None = None

    def refusal(self, message: protocol.Message) -> protocol.ProtocolError | None:
        """Why a control message of this connection may not be applied now, or None."""
        if self.nickname is None or self is self.room.spotlight:
            return None
        challenge = self.room.challenge
        return student_refusal(message, self.room.mode is Mode.FOLLOW,
                               None if challenge is None else challenge.rules.locked)  # fmt: skip

    def left(self) -> None:
        """The connection is gone."""
        self.room.left(self)


@dataclass(frozen=True)
class Setup:
    """The teacher's run at one moment: what a hands-on student starts from."""

    config: dict[str, Any]
    params: list[float]
    step: int
    epoch: int


class Room:
    """A teacher's session and its students; only the event loop touches it."""

    def __init__(self, code: str, teacher: Session, grace: float, max_students: int,
                 on_end: Callable[[Room], None], channel: ChannelOutbox | None = None) -> None:
        self.code = code
        self.token = codes.new_token()
        self.mode = Mode.FOLLOW
        self.grace, self.max_students = grace, max_students
        self.teacher: Member | None = None
        self.students: dict[str, Member] = {}  # by nickname.casefold()
        self.gone: dict[str, str] = {}  # students whose connection is gone, by nickname.casefold() (the dashboard)
        self.challenge: Challenge | None = None
        self.spotlight: Member | None = None  # the student everyone follows instead of the teacher
        self.channel = channel  # with Redis: the followed session's frames onto the room's feed, for other processes
        self.closed = False
        self._on_end = on_end
        self._grace_timer: asyncio.TimerHandle | None = None
        self._ticker = asyncio.get_running_loop().create_task(self._tick(), name=f"room-{code}")
        self.set_teacher(teacher)

    # ---- membership -------------------------------------------------------------------------------------------

    def set_teacher(self, session: Session) -> None:
        """`session` is the teacher's (a room opened, or the teacher back with the token): students follow it."""
        if self._grace_timer is not None:
            self._grace_timer.cancel()
            self._grace_timer = None
        if self.teacher is not None and self.teacher.session is not session:
            old = self.teacher.session
            old.member = None
            old.tell({"type": "room_closed", "code": self.code, "reason": "the teacher joined from another connection"})
            show(old.outbox, old)
        self.teacher = Member(self, session)
        session.member = self.teacher
        self._route_all()
        self.tell_all()

    def add_student(self, session: Session, nickname: str, request_id: Any = None) -> None:
        """A student joins: follows the teacher, or starts a copy of the teacher's run (hands-on)."""
        key = nickname.casefold()
        if key in self.students:
            raise refusal("room_nickname_taken", "nickname", f"{nickname!r} is taken in this room: choose another",
                          request_id)
        if len(self.students) >= self.max_students:
            raise refusal("room_full", None, f"the room is full ({self.max_students} students)", request_id)
        member = Member(self, session, nickname)
        session.member = member
        self.students[key] = member
        self.gone.pop(key, None)
        if self.mode is Mode.FOLLOW:
            self._route(member)
        else:
            self._hands_on([member])
        self.tell_all()

    def remove(self, nickname: str, request_id: Any = None) -> None:
        """The teacher removes a student: its session goes on alone."""
        member = self.students.get(nickname.casefold())
        if member is None:
            raise refusal("room_unknown_student", "student", f"no student {nickname!r} in this room; the students: "
                          + (", ".join(m.nickname or "" for m in self.students.values()) or "none"), request_id)
        self._release(member, "removed by the teacher")
        self.tell_all()

    def left(self, member: Member) -> None:
        """A member's connection is gone: a student leaves; for the teacher the grace period starts."""
        if self.closed:
            return
        if member is self.spotlight:
            self.spotlight = None
            self._route_all()
        if member is self.teacher:
            self.teacher = None
            self._grace_timer = asyncio.get_running_loop().call_later(self.grace, self.close, "the teacher left")
        elif self.students.get((member.nickname or "").casefold()) is member:
            del self.students[(member.nickname or "").casefold()]
            self.gone[(member.nickname or "").casefold()] = member.nickname or ""
        self.tell_all()

    def close(self, reason: str) -> None:
        """End the room: every student's session goes on alone; everyone is told."""
        if self.closed:
            return
        self.closed = True
        self._ticker.cancel()
        show(self.channel, None)
        if self._grace_timer is not None:
            self._grace_timer.cancel()
        for member in list(self.students.values()):
            self._release(member, reason)
        if self.teacher is not None:
            teacher = self.teacher.session
            teacher.member = None
            teacher.tell({"type": "room_closed", "code": self.code, "reason": reason})
            show(teacher.outbox, teacher)
            self.teacher = None
        self._on_end(self)

    def _release(self, member: Member, reason: str) -> None:
        del self.students[(member.nickname or "").casefold()]
        session = member.session
        session.tell({"type": "room_closed", "code": self.code, "reason": reason})  # while a member: a remote
        session.member = None  # student's process forgets it on `released`, and would drop a `tell` behind it
        show(session.outbox, session)
        if member is self.spotlight:
            self.spotlight = None
            self._route_all()

    # ---- modes ------------------------------------------------------------------------------------------------

    def set_mode(self, mode: Mode) -> None:
        """Switch every student to `mode` (live); a spotlight ends."""
        if mode is self.mode and self.spotlight is None:
            self.tell_all()
            return
        previous, self.mode, self.challenge, self.spotlight = self.mode, mode, None, None
        members = list(self.students.values())
        if mode is Mode.FOLLOW:
            self._route_all()
        elif previous is Mode.FOLLOW:  # from a challenge, each goes on with its own run, unlocked
            self._hands_on(members)
        self.tell_all()

    def set_spotlight(self, nickname: str | None, request_id: Any = None) -> None:
        """Everyone (the teacher too) follows one student's session, whose controls stay its own; None: the
        teacher's again."""
        member = None
        if nickname is not None:
            member = self.students.get(nickname.casefold())
            if member is None:
                raise refusal("room_unknown_student", "student", f"no student {nickname!r} in this room", request_id)
            if isinstance(member.session, RemoteSession):
                raise refusal("room_elsewhere", "student", f"{nickname!r} is connected to another server process: "
                              "a spotlight needs a student of this one", request_id)
        self.spotlight, self.mode, self.challenge = member, Mode.FOLLOW, None
        self._route_all()
        self.tell_all()

    def start_challenge(self, rules: Rules) -> None:
        """Every student starts from the teacher's setup, ranked by what the server measures of each run."""
        self.spotlight = None
        self.mode = Mode.CHALLENGE
        self.challenge = Challenge(rules, time.monotonic())
        self._hands_on(list(self.students.values()))
        self.tell_all()

    def push(self, nickname: str | None, request_id: Any = None) -> None:
        """The teacher's current setup to every hands-on student, or to one."""
        if self.mode is Mode.FOLLOW:
            raise refusal("room_not_hands_on", "type", "push works in hands-on and challenge mode; in follow mode "
                          "every student already sees the teacher's session", request_id)
        if nickname is None:
            self._hands_on(list(self.students.values()))
            return
        member = self.students.get(nickname.casefold())
        if member is None:
            raise refusal("room_unknown_student", "student", f"no student {nickname!r} in this room", request_id)
        self._hands_on([member])

    def followed(self) -> Session | None:
        """The session everyone follows in follow mode: the spotlit student's, or the teacher's (None while the
        teacher is away)."""
        if self.spotlight is not None:
            return self.spotlight.session
        return None if self.teacher is None else self.teacher.session

    def _route(self, member: Member) -> None:
        """Point a member's socket at the session it shows now; a student's own session pauses while it follows."""
        session = member.session
        if self.mode is not Mode.FOLLOW or member is self.spotlight:
            show(session.outbox, session)
            return
        shown = self.followed()
        show(self.channel, shown)
        if member.nickname is not None and session.outbox.feed is session:
            session.queue(protocol.Pause(type="pause"))
        show(session.outbox, shown)

    def _route_all(self) -> None:
        show(self.channel, self.followed() if self.mode is Mode.FOLLOW else None)
        for member in [*([self.teacher] if self.teacher else []), *self.students.values()]:
            self._route(member)

    def _hands_on(self, members: list[Member]) -> None:
        """Each student's own session takes the teacher's settings and exact weights, and its socket shows it."""
        self.spotlight = None
        if self.teacher is None:
            for member in members:  # no teacher to copy: each goes on from where its own session is
                self._route(member)
            return
        teacher = self.teacher.session
        teacher.run_in_job(lambda trainer: _setup(teacher, trainer), lambda setup: self._load(members, setup))

    def _load(self, members: list[Member], setup: Setup) -> None:
        for member in members:
            if self.closed or self.students.get((member.nickname or "").casefold()) is not member:
                continue  # left or removed meanwhile
            session = member.session
            if isinstance(session, RemoteSession):
                pushed = {"type": "room_pushed", "code": self.code, "step": setup.step, "epoch": setup.epoch}
                session.load(setup, pushed, self.challenge is not None)
                self._route(member)
                continue
            session.queue(protocol.parse(dumps({"type": "config", **setup.config})))
            session.queue(protocol.SetParams.model_construct(type="set_params", id=None, params=setup.params,
                                                             step=setup.step, epoch=setup.epoch))
            self._route(member)  # its socket shows its own session: the snapshot, then `room_pushed`
            session.queue(self._pushed_job(member, setup))

    def _pushed_job(self, member: Member, setup: Setup) -> Callable[[Trainer, list[dict[str, Any]]], None]:
        """The student's job after the copy: `room_pushed`, and a challenge counts its frames from here on."""
        loop = asyncio.get_running_loop()
        pushed = {"type": "room_pushed", "code": self.code, "step": setup.step, "epoch": setup.epoch}
        challenge = self.challenge

        def job(trainer: Trainer, out: list[dict[str, Any]]) -> None:
            out.append(pushed)
            if challenge is not None:
                loop.call_soon_threadsafe(challenge.arm, member.nickname or "", member.session.frames_built)

        return job

    def republish(self) -> None:
        """Another process asks for a snapshot of the followed session on the feed (a new or recovered listener)."""
        show(self.channel, None)
        if self.mode is Mode.FOLLOW:
            show(self.channel, self.followed())

    # ---- what members are told --------------------------------------------------------------------------------

    def describe(self, member: Member) -> dict[str, Any]:
        """The `room` message for one member."""
        out: dict[str, Any] = {"type": "room", "code": self.code, "mode": self.mode.value,
                               "role": "student" if member.nickname else "teacher", "nickname": member.nickname,
                               "teacher_present": self.teacher is not None, "students": len(self.students)}
        if self.challenge is not None:
            out["challenge"] = self.challenge.rules.as_dict()
        out["spotlight"] = None if self.spotlight is None else self.spotlight.nickname
        if member.nickname is None:
            out["teacher_token"] = self.token
            out["max_students"] = self.max_students
            out["roster"] = [{"nickname": m.nickname, "session": m.session.id} for m in self.students.values()]
        return out

    def tell_all(self) -> None:
        """Send each member its `room` message."""
        for member in [*([self.teacher] if self.teacher else []), *self.students.values()]:
            member.session.tell(self.describe(member))

    def tell_everyone(self, message: dict[str, Any]) -> None:
        """The same message to every member."""
        for member in [*([self.teacher] if self.teacher else []), *self.students.values()]:
            member.session.tell(message)


    # ---- the dashboard and the leaderboard ---------------------------------------------------------------------

    async def _tick(self) -> None:
        """Sample every student's last frame for the challenge; once a second, the dashboard and the leaderboard."""
        last_sent = 0.0
        while True:
            await asyncio.sleep(SAMPLE_SECONDS)
            now = time.monotonic()
            try:
                if self.challenge is not None:
                    for member in self.students.values():
                        if member.session.progress:
                            self.challenge.observe(member.nickname or "", member.session.progress, now)
                if now - last_sent >= DASHBOARD_SECONDS:
                    last_sent = now
                    self._send_dashboard(now)
            except Exception:  # a bug here must not end the room's dashboard for good
                log.exception("room %s: the dashboard failed", self.code)

    def _send_dashboard(self, now: float) -> None:
        board = None
        if self.challenge is not None:
            seconds = self.challenge.rules.seconds
            board = {"type": "room_leaderboard", "code": self.code, "rules": self.challenge.rules.as_dict(),
                     "leaderboard": self.challenge.leaderboard(), "over": self.challenge.over(now),
                     "remaining": None if seconds is None else max(0.0, seconds - (now - self.challenge.started))}
            if self.challenge.rules.show_students:
                text = dumps(board)
                for member in self.students.values():
                    if isinstance(member.session, RemoteSession):
                        member.session.tell(board)
                    elif member.session.outbox is not None:
                        member.session.outbox.put_text(text)
        if self.teacher is not None:
            rows = [self._row(m) for m in self.students.values()]
            rows += [{"nickname": name, "connected": False} for name in self.gone.values()]
            self.teacher.session.tell({"type": "room_dashboard", "code": self.code, "mode": self.mode.value,
                                       "students": rows, "leaderboard": board})

    def _row(self, member: Member) -> dict[str, Any]:
        """One student on the teacher's dashboard: what its socket shows now."""
        shown = self.followed() if self.mode is Mode.FOLLOW and member is not self.spotlight else member.session
        progress = shown.progress if shown is not None else {}
        keys = ("step", "epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "summary")
        return {"nickname": member.nickname, "session": member.session.id, "connected": True,
                "mode": self.mode.value, **{k: progress.get(k) for k in keys}}


def _setup(teacher: Session, trainer: Trainer) -> Setup:
    """The teacher's settings and weights now (the teacher's pool job)."""
    return Setup(teacher.config(), trainer.network.params.tolist(), int(trainer.step), int(trainer.epoch))


def student_refusal(message: protocol.Message, following: bool,
                    locked: Collection[str] | None) -> protocol.ProtocolError | None:  # fmt: skip
    """Why a student's control message may not be applied, or None: the room follows the teacher, or a challenge
    (`locked`: its locked settings; None without a challenge) keeps the data, the weights and those settings."""
    kind = getattr(message, "type", "?")
    if following:
        return refusal("room_follow", "type", f"{kind!r} refused: the room is in follow mode, and the teacher's "
                       "session is shown read-only; your controls work again in hands-on mode", message.id)
    if locked is None:
        return None
    if isinstance(message, LOCKED_MESSAGES):
        return refusal("room_locked", "type", f"{kind!r} refused: in this challenge the data and the weights are "
                       "the server's to change", message.id)
    if isinstance(message, protocol.ConfigMsg):
        refused = [k for k in message.patch() if k in locked or k in DATA_SETTINGS]
        if refused:
            return refusal("room_locked", refused[0], f"{', '.join(refused)} locked in this challenge; locked: "
                           + ", ".join(dict.fromkeys([*locked, *DATA_SETTINGS])), message.id)
    return None
