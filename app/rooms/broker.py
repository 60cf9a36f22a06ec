"""The rooms of one process: opening, joining (with a guard against guessed codes), and the teacher's commands."""

from __future__ import annotations

import hmac
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from app import protocol
from app.rooms import codes
from app.rooms.challenge import Rules
from app.rooms.room import Mode, Room, refusal
from app.settings import Settings

if TYPE_CHECKING:
    from app.session import Session

log = logging.getLogger("playground.rooms")
GUARD_WINDOW = 60.0  # seconds over which wrong codes are counted per client address
GUARD_MAX_ADDRESSES = 10_000  # forget addresses with no recent failure beyond this many


class JoinGuard:
    """Counts wrong join codes per client address over the last GUARD_WINDOW seconds."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.clock = limit, clock
        self._failures: dict[str, deque[float]] = {}

    def wait(self, client: str) -> float:
        """Seconds until `client` may try again (0: now)."""
        failures = self._failures.get(client)
        if failures is None:
            return 0.0
        now = self.clock()
        while failures and now - failures[0] >= GUARD_WINDOW:
            failures.popleft()
        if len(failures) < self.limit:
            return 0.0
        return GUARD_WINDOW - (now - failures[0])

    def failed(self, client: str) -> None:
        """`client` sent a wrong code."""
        if len(self._failures) >= GUARD_MAX_ADDRESSES:
            now = self.clock()
            self._failures = {k: v for k, v in self._failures.items() if v and now - v[-1] < GUARD_WINDOW}
        self._failures.setdefault(client, deque()).append(self.clock())


class Broker:
    """The rooms of this process (in memory); only the event loop touches it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rooms: dict[str, Room] = {}
        self.guard = JoinGuard(settings.room_join_failures)

    def handle(self, session: Session, message: protocol.Message) -> None:
        """Apply one room message from `session`; a refusal is an `error` to that connection alone."""
        try:
            match message:
                case protocol.RoomOpen():
                    self._open(session, message)
                case protocol.RoomJoin():
                    self._join(session, message)
                case _:
                    self._teacher_command(session, message)
        except protocol.ProtocolError as exc:
            session.tell(exc.to_message())

    def _open(self, session: Session, message: protocol.RoomOpen) -> None:
        if session.member is not None:
            raise refusal("room_member", "type", f"this connection is in room {session.member.room.code} already",
                          message.id)
        if len(self.rooms) >= self.settings.max_rooms:
            raise refusal("room_limit", None, f"this server has {self.settings.max_rooms} rooms open: try again later",
                          message.id)
        code = codes.new_code()
        while code in self.rooms:
            code = codes.new_code()
        self.rooms[code] = Room(code, session, self.settings.room_grace, self.settings.room_max_students, self._ended)
        log.info("room %s opened by session %s", code, session.id)

    def _join(self, session: Session, message: protocol.RoomJoin) -> None:
        client = session.client or "?"
        wait = self.guard.wait(client)
        if wait > 0:
            raise refusal("room_rate_limited", "code", f"too many wrong codes from this address: try again in "
                          f"{wait:.0f} s", message.id)
        if session.member is not None:
            raise refusal("room_member", "type", f"this connection is in room {session.member.room.code} already",
                          message.id)
        room = self.rooms.get(codes.normalize(message.code) or "")
        if room is None:
            self.guard.failed(client)
            raise refusal("room_not_found", "code", f"no open room has the code {message.code!r} (a code is "
                          f"{codes.CODE_LENGTH} letters and digits)", message.id)
        if message.teacher_token is not None:
            if not hmac.compare_digest(message.teacher_token.encode(), room.token.encode()):
                self.guard.failed(client)
                raise refusal("room_bad_token", "teacher_token", "this is not the room's teacher token", message.id)
            room.set_teacher(session)
            return
        if message.nickname is None:
            raise refusal("room_nickname_required", "nickname", "a student joins with a nickname (1 to 24 "
                          "characters)", message.id)
        room.add_student(session, " ".join(message.nickname.split()), message.id)

    def _teacher_command(self, session: Session, message: protocol.Message) -> None:
        member = session.member
        if member is None:
            raise refusal("room_not_member", "type", "this connection is in no room: room_open or room_join first",
                          message.id)
        room = member.room
        if member is not room.teacher:
            raise refusal("room_not_teacher", "type", f"{message.type!r}: only the room's teacher controls the "  # type: ignore[attr-defined]
                          "room", message.id)
        match message:
            case protocol.RoomMode():
                room.set_mode(Mode(message.mode))
            case protocol.RoomChallenge():
                room.start_challenge(Rules(message.metric, message.target, message.max_weights, message.seconds,
                                           tuple(message.locked), message.show_students))
            case protocol.RoomSpotlight():
                room.set_spotlight(message.student, message.id)
            case protocol.RoomPush():
                room.push(message.student, message.id)
            case protocol.RoomRemove():
                room.remove(message.student, message.id)
            case protocol.RoomClose():
                room.close("closed by the teacher")

    def _ended(self, room: Room) -> None:
        self.rooms.pop(room.code, None)
        log.info("room %s closed", room.code)

    def close_all(self, reason: str) -> None:
        """Shutdown: end every room."""
        for room in list(self.rooms.values()):
            room.close(reason)
