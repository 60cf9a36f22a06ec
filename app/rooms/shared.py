"""Rooms across processes and hosts through Redis (PLAYGROUND_REDIS_URL).

A room lives in the process its teacher opened it in (its owner); Redis holds which process that is (a key with an
expiry, refreshed while the process lives). A student on another process is, to the owner's Room, a RemoteSession:
what the Room does to it (tell, follow, show its own session, copy the teacher's setup) goes to that process's
channel as an operation, and what the student does (join, leave, its progress) comes back on the owner's channel. The
followed session's messages and frames are published once on the room's feed channel, and every process with
followers relays them to its sockets: a frame is built once, published once, and sent by each process to its own
students. Solo sessions never touch Redis, so an outage cannot reach them; rooms report it (`room_shared`) and go on
when Redis is back: the listener resubscribes, the operations made meanwhile go out in order (they wait in
`_outgoing`), the owner writes its keys again and republishes each followed session's snapshot, and a process relaying
a feed asks the owner for one until it has a layout (pub/sub delivers to whoever is subscribed at that moment, so a
request published before the owner has resubscribed is asked again; until then a feed drops the frames, which its
pages could not read).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import secrets
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app import protocol
from app.jsontext import dumps
from app.sessions.outbox import fan_out

if TYPE_CHECKING:
    from app.rooms.broker import Broker
    from app.sessions.outbox import Outbox
    from app.sessions.session import Session

log = logging.getLogger("playground.rooms")
PREFIX = "playground:room:"
ROOM_TTL = 10  # seconds a room's key outlives its owner's last refresh
REFRESH_SECONDS = 2.0
PROGRESS_SECONDS = 0.1
RETRY_SECONDS = 0.5
REACH_SECONDS = 5.0  # how long a join to another process's room waits for this process to listen on Redis
FLEETING = ("room_leaderboard",)  # messages to a remote student that the next second's replaces: not kept in an outage
KEPT_OPERATIONS = 20_000  # operations kept while Redis is down (a push to 100 students is 100); beyond: dropped
SNAPSHOT_TYPES = ("config", "state", "data", "layout", "race")  # the last of each: what a late joiner needs first


def room_key(code: str) -> str:
    return f"{PREFIX}{code}"


def feed_channel(code: str) -> str:
    return f"{PREFIX}{code}:feed"


def process_channel(process: str) -> str:
    return f"playground:process:{process}"


def failures_key(client: str) -> str:
    return f"playground:join-failures:{client}"


class Link:
    """This process's connection to Redis: its own channel, the feeds it relays, and the operations between owners
    and the processes of their remote students."""

    def __init__(self, url: str, broker: Broker) -> None:
        import redis.asyncio as redis

        self.redis = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError, asyncio.TimeoutError)
        self.broker = broker
        self.me = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._reached = asyncio.Event()  # set while this process listens on Redis (`up`)
        self.feeds: dict[str, Feed] = {}  # code → the feed this process relays to its followers
        self.remotes: dict[str, RemoteSession] = {}  # owner side: ref → a student on another process
        self.proxies: dict[str, Session] = {}  # student side: ref → a local session in a room owned elsewhere
        self._outgoing: collections.deque[tuple[str, bytes]] = collections.deque()  # in order: ops and the feeds
        self._more = asyncio.Event()  # set when something was put in _outgoing
        self._subscriptions: set[str] = {process_channel(self.me)}
        self._changed = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._sent_progress: dict[str, int] = {}
        self._feed_sent: dict[str, Callable[[], None]] = {}  # feed channel → its publisher's frame-sent callback

    @property
    def up(self) -> bool:
        """This process listens on Redis (its channel and the feeds it relays), and publishes."""
        return self._reached.is_set()

    def start(self) -> None:
        """Start listening, sending and refreshing (on the event loop)."""
        self._tasks = [asyncio.create_task(coro, name=f"rooms-{name}") for name, coro in (
            ("listen", self._listen()), ("send", self._send()), ("refresh", self._refresh()),
            ("progress", self._progress()), ("resync", self._resync()))]

    async def close(self) -> None:
        """Stop every task and close the connection."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(*self.errors):
            await self.redis.aclose()

    # ---- sending ----------------------------------------------------------------------------------------------

    def send(self, process: str, op: dict[str, Any], keep: bool = True) -> None:
        """An operation for another process (or this one), in order with every other publish. While Redis is
        unreachable it waits, with the operations after it, and goes out once Redis is back: a mode switch, a push,
        the room's end or a student leaving reaches the other process after an outage, in the order it was made (at
        most KEPT_OPERATIONS wait; the ones beyond are dropped, and logged). `keep=False`: one that a newer one
        replaces soon (a leaderboard) is dropped instead."""
        if not self.up and not keep:
            return
        if not self.up and len(self._outgoing) >= KEPT_OPERATIONS:
            log.warning("rooms: Redis is unreachable and %d operations wait: %r dropped", len(self._outgoing), op["op"])
            return
        self._put(process_channel(process), dumps(op).encode())

    def publish(self, code: str, data: bytes) -> bool:
        """A message (b"J" + JSON) or a frame (b"F" + bytes) on a room's feed; False if dropped (Redis down: the
        owner republishes the snapshot on recovery, and frames are replaced by newer ones)."""
        if self.up:
            self._put(feed_channel(code), data)
        return self.up

    def _put(self, channel: str, data: bytes) -> None:
        self._outgoing.append((channel, data))
        self._more.set()

    async def _send(self) -> None:
        while True:
            if not self._outgoing:
                self._more.clear()
                await self._more.wait()
                continue
            channel, data = self._outgoing[0]
            try:
                await self.redis.publish(channel, data)
            except self.errors as exc:
                self._down(exc)
                if not channel.endswith(":feed"):  # an operation: first in line again once Redis is back
                    await self._reached.wait()
                    continue
            self._outgoing.popleft()
            if channel.endswith(":feed") and data[:1] == b"F":
                feed_sent = self._feed_sent.pop(channel, None)
                if feed_sent is not None:
                    feed_sent()

    # ---- receiving --------------------------------------------------------------------------------------------

    def follow_feed(self, code: str) -> None:
        """Listen to a room's feed (the listener subscribes between two reads)."""
        self._subscriptions.add(feed_channel(code))
        self._changed.set()

    def drop_feed(self, code: str) -> None:
        """Stop listening to a room's feed."""
        self._subscriptions.discard(feed_channel(code))
        self.feeds.pop(code, None)
        self._changed.set()

    async def _listen(self) -> None:
        while True:
            pubsub = self.redis.pubsub()
            try:
                subscribed: set[str] = set()
                while True:
                    wanted = set(self._subscriptions)
                    if wanted - subscribed:
                        await pubsub.subscribe(*(wanted - subscribed))
                        for channel in wanted - subscribed:  # now that its messages reach us: a snapshot
                            feed = self.feeds.get(channel[len(PREFIX):-len(":feed")])
                            if feed is not None:
                                feed.subscribed = True
                                feed.cache.clear()
                                self.ask_snapshot(feed)
                    if subscribed - wanted:
                        await pubsub.unsubscribe(*(subscribed - wanted))
                    if wanted != subscribed:
                        subscribed = wanted
                    if not self.up:
                        self._recovered()
                    self._changed.clear()
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)
                    if message is not None and message["type"] == "message":
                        self._receive(message["channel"].decode(), message["data"])
            except asyncio.CancelledError:
                raise
            except self.errors as exc:
                self._down(exc)
                for feed in self.feeds.values():
                    feed.subscribed = False
            except Exception:
                log.exception("rooms: the Redis listener failed")
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(RETRY_SECONDS)

    def _receive(self, channel: str, data: bytes) -> None:
        if channel.endswith(":feed"):
            feed = self.feeds.get(channel[len(PREFIX):-len(":feed")])
            if feed is not None:
                feed.receive(data)
            return
        op = json.loads(data)
        handler = getattr(self, f"_op_{op['op']}", None)
        if handler is None:
            log.warning("rooms: unknown operation %r", op["op"])
            return
        try:
            handler(op)
        except Exception:
            log.exception("rooms: operation %r failed", op["op"])

    def _down(self, exc: BaseException) -> None:
        if self.up:
            log.warning("rooms: Redis is unreachable (%r); rooms across processes wait for it", exc)
            self._reached.clear()
            self.broker.shared_state_changed(False)

    def _recovered(self) -> None:
        self._reached.set()
        log.info("rooms: Redis reached (%s)", self.me)
        self.broker.shared_state_changed(True)
        for room in self.broker.rooms.values():
            asyncio.get_running_loop().create_task(self.register(room.code))
            room.republish()  # what was published meanwhile was dropped: a layout, a config, a state

    def ask_snapshot(self, feed: Feed) -> None:
        """Ask the feed's owner to publish its snapshot (config, state, data, layout) again (even while `up` is
        not yet set: the listener asks right after subscribing)."""
        self._put(process_channel(feed.owner), dumps({"op": "snapshot", "code": feed.code}).encode())

    async def _resync(self) -> None:
        """Ask again for each snapshot that has not come: a feed with followers but no layout."""
        while True:
            await asyncio.sleep(RETRY_SECONDS)
            if self.up:
                for feed in list(self.feeds.values()):
                    if feed.subscribed and feed.outboxes and "layout" not in feed.cache:
                        self.ask_snapshot(feed)

    async def listening(self) -> None:
        """Until this process listens on Redis, so that an answer to what it sends reaches it (at start-up and for a
        moment after an outage it does not yet); raises TimeoutError after REACH_SECONDS."""
        async with asyncio.timeout(REACH_SECONDS):
            await self._reached.wait()

    # ---- keys ---------------------------------------------------------------------------------------------------

    async def register(self, code: str) -> None:
        """Write (or refresh) the key saying this process owns room `code`."""
        try:
            await self.redis.set(room_key(code), self.me, ex=ROOM_TTL)
        except self.errors as exc:
            self._down(exc)

    async def unregister(self, code: str) -> None:
        with contextlib.suppress(*self.errors):
            await self.redis.delete(room_key(code))

    async def owner(self, code: str) -> str | None:
        """The process that owns room `code`, or None (raises one of self.errors when Redis is down)."""
        value = await self.redis.get(room_key(code))
        return None if value is None else value.decode()

    async def failures(self, client: str) -> tuple[int, int]:
        """(wrong codes from `client` in the current minute, seconds left of it)."""
        key = failures_key(client)
        count, ttl = await self.redis.get(key), await self.redis.ttl(key)
        return int(count or 0), max(0, int(ttl))

    async def failed(self, client: str, window: int) -> None:
        key = failures_key(client)
        async with self.redis.pipeline(transaction=True) as pipe:
            await pipe.incr(key).expire(key, window, nx=True).execute()

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            if self.up:
                for code in list(self.broker.rooms):
                    await self.register(code)

    async def _progress(self) -> None:
        """Each remote student's last frame's metrics to its room's owner (only when a new frame was built)."""
        while True:
            await asyncio.sleep(PROGRESS_SECONDS)
            if not self.up:
                continue  # not kept for later: the next frame's metrics replace them
            batches: dict[str, dict[str, Any]] = {}
            for ref, session in list(self.proxies.items()):
                member = session.member
                progress = session.progress
                if isinstance(member, ProxyMember) and progress and self._sent_progress.get(ref) != progress["frame"]:
                    self._sent_progress[ref] = progress["frame"]
                    batches.setdefault(member.owner, {})[ref] = progress
            for owner, items in batches.items():
                self.send(owner, {"op": "progress", "items": items})

    # ---- operations on the owner's side -------------------------------------------------------------------------

    def _op_join(self, op: dict[str, Any]) -> None:
        room = self.broker.rooms.get(op["code"])
        if room is None:
            self.send(op["process"], {"op": "refused", "ref": op["ref"], "error": protocol.ProtocolError(
                "room_not_found", "code", "the room has just ended", op.get("id")).to_message()})
            return
        remote = RemoteSession(self, op["ref"], op["process"], op["code"])
        try:
            room.add_student(remote, op["nickname"], op.get("id"))
        except protocol.ProtocolError as exc:
            self.send(op["process"], {"op": "refused", "ref": op["ref"], "error": exc.to_message()})
            return
        self.remotes[op["ref"]] = remote

    def _op_left(self, op: dict[str, Any]) -> None:
        remote = self.remotes.pop(op["ref"], None)
        if remote is not None and remote.member is not None:
            member, remote.member = remote.member, None
            member.left()

    def _op_progress(self, op: dict[str, Any]) -> None:
        for ref, progress in op["items"].items():
            remote = self.remotes.get(ref)
            if remote is not None:
                remote.progress = progress

    def _op_armed(self, op: dict[str, Any]) -> None:
        remote = self.remotes.get(op["ref"])
        if remote is not None and remote.member is not None and remote.member.room.challenge is not None:
            remote.member.room.challenge.arm(remote.member.nickname or "", op["frames"])

    def _op_snapshot(self, op: dict[str, Any]) -> None:
        room = self.broker.rooms.get(op["code"])
        if room is not None:
            room.republish()

    # ---- operations on the remote student's side ----------------------------------------------------------------

    def _session(self, op: dict[str, Any]) -> Session | None:
        return self.proxies.get(op["ref"])

    def _op_joined(self, op: dict[str, Any]) -> None:
        session = self._session(op)
        if session is not None:
            session.member = ProxyMember(self, session, op["ref"], op["owner"], op["code"])

    def _op_refused(self, op: dict[str, Any]) -> None:
        session = self.proxies.pop(op["ref"], None)
        if session is not None:
            session.tell(op["error"])

    def _op_tell(self, op: dict[str, Any]) -> None:
        session = self._session(op)
        if session is None:
            return
        if isinstance(session.member, ProxyMember) and op["message"].get("type") == "room":
            session.member.view = op["message"]
        session.tell(op["message"])

    def _op_follow(self, op: dict[str, Any]) -> None:
        session = self._session(op)
        if session is None or session.outbox is None:
            return
        feed = self.feeds.get(op["code"])
        if feed is None:
            feed = self.feeds[op["code"]] = Feed(self, op["code"], op["owner"])
            self.follow_feed(op["code"])
        show(session.outbox, feed)

    def _op_own(self, op: dict[str, Any]) -> None:
        session = self._session(op)
        if session is not None and session.outbox is not None:
            show(session.outbox, session)

    def _op_pause(self, op: dict[str, Any]) -> None:
        session = self._session(op)
        if session is not None:
            session.queue(protocol.Pause(type="pause"))

    def _op_load(self, op: dict[str, Any]) -> None:
        session = self._session(op)
        if session is None:
            return
        session.queue(protocol.parse(dumps({"type": "config", **op["config"]})))
        session.queue(protocol.SetParams.model_construct(type="set_params", id=None, params=op["params"],
                                                         step=op["step"], epoch=op["epoch"]))
        loop = asyncio.get_running_loop()
        ref, owner, pushed, arm = op["ref"], op["owner"], op["pushed"], op["arm"]

        def job(trainer: Any, out: list[dict[str, Any]]) -> None:
            out.append(pushed)
            if arm:
                frames = session.frames_built
                loop.call_soon_threadsafe(self.send, owner, {"op": "armed", "ref": ref, "frames": frames})

        if session.outbox is not None:
            show(session.outbox, session)  # before `room_pushed`: the socket gets the snapshot, then the news
        session.queue(job)

    def _op_released(self, op: dict[str, Any]) -> None:
        session = self.proxies.pop(op["ref"], None)
        if session is not None:
            session.member = None
            if session.outbox is not None:
                show(session.outbox, session)


class ProxyMember:
    """A local session's place in a room owned by another process: refusals from the room's last `room` message,
    and its leaving reported to the owner."""

    nickname: str | None = "?"

    def __init__(self, link: Link, session: Session, ref: str, owner: str, code: str) -> None:
        self.link, self.session, self.ref, self.owner, self.code = link, session, ref, owner, code
        self.view: dict[str, Any] = {}

    def refusal(self, message: protocol.Message) -> protocol.ProtocolError | None:
        from app.rooms.room import student_refusal

        view = self.view
        if view.get("spotlight") is not None and view.get("spotlight") == view.get("nickname"):
            return None
        challenge = view.get("challenge")
        locked = None if challenge is None else challenge["locked"]
        return student_refusal(message, view.get("mode") == "follow", locked)

    def left(self) -> None:
        self.link.proxies.pop(self.ref, None)
        self.link.send(self.owner, {"op": "left", "ref": self.ref})
        if self.session.outbox is not None and isinstance(self.session.outbox.feed, Feed):
            self.session.outbox.feed.detach(self.session.outbox)

    @property
    def room_code(self) -> str:
        return self.code


class Feed:
    """A room's feed as one process relays it: the followed session's messages and frames to local sockets."""

    def __init__(self, link: Link, code: str, owner: str) -> None:
        self.link, self.code, self.owner = link, code, owner
        self.outboxes: list[Outbox] = []
        self.cache: dict[str, str] = {}  # the last config, state, data and layout: a joining socket's snapshot
        self.subscribed = False

    def attach(self, outbox: Outbox) -> None:
        outbox.feed = self
        outbox.on_frame_sent = _nothing
        for kind in SNAPSHOT_TYPES:
            if kind in self.cache:
                outbox.put_text(self.cache[kind])
        if outbox not in self.outboxes:
            self.outboxes.append(outbox)
        if self.subscribed and "layout" not in self.cache and self.link.up:
            self.link.ask_snapshot(self)

    def detach(self, outbox: Outbox) -> None:
        if outbox.feed is self:
            outbox.feed = None
        if outbox in self.outboxes:
            self.outboxes.remove(outbox)
        if not self.outboxes and self.link.feeds.get(self.code) is self:
            self.link.drop_feed(self.code)  # nobody here shows it any more: unsubscribe (a new follower asks again)

    def receive(self, data: bytes) -> None:
        if data[:1] == b"F":
            if "layout" not in self.cache:
                return  # a page cannot read a frame before its layout
            fan_out(data[1:], self.outboxes)
            return
        text = data[1:].decode()
        kind = json.loads(text).get("type")
        if kind in SNAPSHOT_TYPES:
            self.cache[kind] = text
        for outbox in self.outboxes:
            outbox.put_text(text)


class ChannelOutbox:
    """The owner's publisher of a followed session: a subscriber like a socket, whose frames and messages go once
    onto the room's feed channel."""

    def __init__(self, link: Link, code: str) -> None:
        self.link, self.code = link, code
        self.frame_in_flight = False
        self.feed: Any = None
        self.on_frame_sent: Callable[[], None] = _nothing

    def put_text(self, text: str) -> None:
        self.link.publish(self.code, b"J" + text.encode())

    put_first = put_text

    def put_frame(self, frame: bytes, wire: bytes | None = None) -> None:
        self.frame_in_flight = True
        self.link._feed_sent[feed_channel(self.code)] = self._sent
        if not self.link.publish(self.code, b"F" + frame):
            self.link._feed_sent.pop(feed_channel(self.code), None)
            self._sent()

    def _sent(self) -> None:
        self.frame_in_flight = False
        self.on_frame_sent()


class RemoteOutbox:
    """The owner's handle on a remote student's socket: showing a session there is an operation to its process."""

    def __init__(self, remote: RemoteSession) -> None:
        self.remote = remote
        self.feed: Any = remote
        self.frame_in_flight = False

    def show(self, session: Any) -> None:
        if session is self.feed:
            return
        self.feed = session
        remote = self.remote
        if session is remote:
            remote.link.send(remote.process, {"op": "own", "ref": remote.ref})
        else:  # the room's followed session (or none, while the teacher is away): its feed
            remote.link.send(remote.process, {"op": "follow", "ref": remote.ref, "code": remote.code,
                                              "owner": remote.link.me})


class RemoteSession:
    """A student's session on another process, as the owner's Room sees it."""

    def __init__(self, link: Link, ref: str, process: str, code: str) -> None:
        self.link, self.ref, self.process, self.code = link, ref, process, code
        self.id = ref
        self.outbox = RemoteOutbox(self)
        self.progress: dict[str, Any] = {}
        self.subscribers: list[Any] = []
        self._member: Any = None

    @property
    def member(self) -> Any:
        return self._member

    @member.setter
    def member(self, member: Any) -> None:
        if member is not None and self._member is None:
            self.link.send(self.process, {"op": "joined", "ref": self.ref, "owner": self.link.me, "code": self.code})
        elif member is None and self._member is not None:
            self.link.remotes.pop(self.ref, None)
            self.link.send(self.process, {"op": "released", "ref": self.ref})
        self._member = member

    def tell(self, message: dict[str, Any]) -> None:
        self.link.send(self.process, {"op": "tell", "ref": self.ref, "message": message},
                       keep=message.get("type") not in FLEETING)

    def queue(self, item: Any) -> None:
        if isinstance(item, protocol.Pause):
            self.link.send(self.process, {"op": "pause", "ref": self.ref})

    def load(self, setup: Any, pushed: dict[str, Any], arm: bool) -> None:
        self.link.send(self.process, {"op": "load", "ref": self.ref, "owner": self.link.me, "config": setup.config,
                                      "params": setup.params, "step": setup.step, "epoch": setup.epoch,
                                      "pushed": pushed, "arm": arm})

    def attach(self, outbox: Any) -> None:  # a spotlight on a remote student: not supported (Room refuses it)
        raise NotImplementedError

    def detach(self, outbox: Any) -> None:
        pass


def show(outbox: Any, session: Any) -> None:
    """Send `session`'s (or a feed's) frames to `outbox` from now on, instead of what it showed (None: nothing)."""
    if isinstance(outbox, RemoteOutbox):
        outbox.show(session)
        return
    if outbox is None or outbox.feed is session:
        return
    if outbox.feed is not None:
        outbox.feed.detach(outbox)
    if session is not None:
        session.attach(outbox)


def _nothing() -> None:
    pass
