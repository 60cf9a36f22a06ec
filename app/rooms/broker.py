"""The rooms of one process: opening, joining (with a guard against guessed codes), and the teacher's commands."""

from __future__ import annotations

import asyncio
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
from app.rooms.shared import ChannelOutbox, Link, ProxyMember
from app.settings import Settings

if TYPE_CHECKING:
    from app.sessions.session import Session

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
        self.link: Link | None = None  # with PLAYGROUND_REDIS_URL: rooms across processes (app.rooms.shared)

    def start(self) -> None:
        """Connect to Redis when configured (on the event loop)."""
        if self.settings.redis_url:
            self.link = Link(self.settings.redis_url, self)
            self.link.start()

    async def stop(self) -> None:
        """Shutdown: end every room, then close the Redis connection."""
        self.close_all("the server is shutting down")
        if self.link is not None:
            await asyncio.sleep(0.05)  # the closing operations go out first
            await self.link.close()

    def shared_state_changed(self, up: bool) -> None:
        """Redis went away or came back: every member of a room in this process is told (`room_shared`)."""
        message = {"type": "room_shared", "up": up}
        for room in self.rooms.values():
            room.tell_everyone(message)
        if self.link is not None:
            for session in self.link.proxies.values():
                session.tell(message)
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
        self._may_open(session, message)
        code = codes.new_code()
        while code in self.rooms:
            code = codes.new_code()
        if self.link is None:
            self._open_here(session, code)
        else:
            asyncio.get_running_loop().create_task(self._open_shared(session, message, code))

    def _may_open(self, session: Session, message: protocol.RoomOpen) -> None:
        if session.member is not None:
            raise refusal("room_member", "type", "this connection is in a room already",
                          message.id)
        if len(self.rooms) >= self.settings.max_rooms:
            raise refusal("room_limit", None, f"this server has {self.settings.max_rooms} rooms open: try again later",
                          message.id)

    async def _open_shared(self, session: Session, message: protocol.RoomOpen, code: str) -> None:
        """With Redis: the room's key is written before the teacher learns the code, so that a student who joins
        through another process at once finds it (while Redis is down the room opens without waiting; its key is
        written when Redis is back)."""
        link = self.link
        assert link is not None
        if link.up:  # else the key is written on recovery, with every room's
            await link.register(code)
        try:
            self._may_open(session, message)  # again: another room_open may have been taken meanwhile
        except protocol.ProtocolError as exc:
            session.tell(exc.to_message())
            asyncio.get_running_loop().create_task(link.unregister(code))
            return
        if session.state.value == "closed":
            asyncio.get_running_loop().create_task(link.unregister(code))
            return
        self._open_here(session, code)

    def _open_here(self, session: Session, code: str) -> None:
        channel = None if self.link is None else ChannelOutbox(self.link, code)
        self.rooms[code] = Room(code, session, self.settings.room_grace, self.settings.room_max_students, self._ended,
                                channel)
        log.info("room %s opened by session %s", code, session.id)

    def _join(self, session: Session, message: protocol.RoomJoin) -> None:
        client = session.client or "?"
        if self.link is not None:
            asyncio.get_running_loop().create_task(self._join_shared(session, message, client))
            return
        wait = self.guard.wait(client)
        if wait > 0:
            raise refusal("room_rate_limited", "code", f"too many wrong codes from this address: try again in "
                          f"{wait:.0f} s", message.id)
        if session.member is not None:
            raise refusal("room_member", "type", "this connection is in a room already", message.id)
        self._join_here(session, message, lambda: self.guard.failed(client))

    def _join_here(self, session: Session, message: protocol.RoomJoin, failed: Callable[[], None]) -> None:
        """Join a room of this process; a wrong code or token is counted by `failed`."""
        room = self.rooms.get(codes.normalize(message.code) or "")
        if room is None:
            failed()
            raise refusal("room_not_found", "code", f"no open room has the code {message.code!r} (a code is "
                          f"{codes.CODE_LENGTH} letters and digits)", message.id)
        if message.teacher_token is not None:
            if not hmac.compare_digest(message.teacher_token.encode(), room.token.encode()):
                failed()
                raise refusal("room_bad_token", "teacher_token", "this is not the room's teacher token", message.id)
            room.set_teacher(session)
            return
        if message.nickname is None:
            raise refusal("room_nickname_required", "nickname", "a student joins with a nickname (1 to 24 "
                          "characters)", message.id)
        room.add_student(session, " ".join(message.nickname.split()), message.id)

    async def _join_shared(self, session: Session, message: protocol.RoomJoin, client: str) -> None:
        """With Redis: wrong codes are counted there for every process (this process's own count while it is
        down); a room of this process is joined here, one of another process through its owner."""
        link = self.link
        assert link is not None
        code = codes.normalize(message.code) or ""
        try:
            try:
                failures, left = await link.failures(client)
            except link.errors:
                left = round(self.guard.wait(client))
                failures = self.settings.room_join_failures if left > 0 else 0
            if failures >= self.settings.room_join_failures:
                raise refusal("room_rate_limited", "code", f"too many wrong codes from this address: try again in "
                              f"{left} s", message.id)
            if session.state.value == "closed":
                return
            if session.member is not None:
                raise refusal("room_member", "type", "this connection is in a room already", message.id)
            if code in self.rooms:
                self._join_here(session, message, lambda: self._count_failure(client))
                return
            owner = await link.owner(code) if code else None
            if owner is None:
                self._count_failure(client)
                raise refusal("room_not_found", "code", f"no open room has the code {message.code!r} (a code is "
                              f"{codes.CODE_LENGTH} letters and digits)", message.id)
            if message.teacher_token is not None:
                raise refusal("room_elsewhere", "teacher_token", "the room is run by another server process: the "
                              "teacher reconnects to that one", message.id)
            if message.nickname is None:
                raise refusal("room_nickname_required", "nickname", "a student joins with a nickname (1 to 24 "
                              "characters)", message.id)
            await link.listening()  # else the join goes nowhere (Link.send drops it), or the owner's answer does
        except protocol.ProtocolError as exc:
            session.tell(exc.to_message())
            return
        except link.errors:
            session.tell(refusal("room_unavailable", None, "rooms of other server processes cannot be reached now "
                                 "(their shared store is down): try again in a moment", message.id).to_message())
            return
        if session.state.value == "closed" or session.member is not None:
            return
        ref = f"{link.me}:{session.id}"
        link.proxies[ref] = session
        link.send(owner, {"op": "join", "code": code, "nickname": " ".join(message.nickname.split()), "ref": ref,
                          "process": link.me, "id": message.id})

    def _count_failure(self, client: str) -> None:
        """A wrong code or token: counted here, and in Redis for every process."""
        self.guard.failed(client)
        link = self.link
        if link is not None:
            async def count() -> None:
                try:
                    await link.failed(client, int(GUARD_WINDOW))
                except link.errors:
                    pass

            asyncio.get_running_loop().create_task(count())

    def _teacher_command(self, session: Session, message: protocol.Message) -> None:
        member = session.member
        if member is None:
            raise refusal("room_not_member", "type", "this connection is in no room: room_open or room_join first",
                          message.id)
        if isinstance(member, ProxyMember) or member is not member.room.teacher:
            raise refusal("room_not_teacher", "type", f"{message.type!r}: only the room's teacher controls the "  # type: ignore[attr-defined]
                          "room", message.id)
        room = member.room
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
        if self.link is not None:
            asyncio.get_running_loop().create_task(self.link.unregister(room.code))
        log.info("room %s closed", room.code)

    def close_all(self, reason: str) -> None:
        """Shutdown: end every room."""
        for room in list(self.rooms.values()):
            room.close(reason)
