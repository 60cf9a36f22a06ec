"""One training session: it owns a Trainer, applies commands to it (app.sessions.commands), and has a lifecycle, a
producer (train → frame) and its subscribers (every socket that shows it: a frame is built once and sent to all)."""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any

from app import protocol
from app.http.limits import default_fps
from app.jsontext import dumps
from app.sessions import commands
from app.sessions.claim_watch import ClaimWatch
from app.sessions.events import EventFilter, diverged, stop_reason, stops
from app.sessions.frame_state import FrameState, data_message
from app.sessions.outbox import Outbox, fan_out
from app.sessions.pacing import FRAME_SLICE, Pacer, cap_delay
from app.sessions.race import RaceHost
from app.sessions.runtime import Runtime
from app.sessions.scheduler import Again, Job, Priority, Scheduler
from app.settings import Settings
from engine.trainer import Limits, Trainer
from engine.views.timeline import Timeline

if TYPE_CHECKING:
    from app.rooms.room import Member

log = logging.getLogger("playground.session")
MAX_OWED = 10_000  # steps that `step` / `epoch` requests may queue up
MAX_INBOX = 64  # control messages queued and not yet applied
PRIVATE_ANSWERS = frozenset({"error", "csv", "export", "gradcheck", "trace"})  # to the requester only, not followers


class State(enum.Enum):
    """Session lifecycle: CONNECTING → IDLE ⇄ TRAINING → CLOSED."""

    CONNECTING = "connecting"
    IDLE = "idle"
    TRAINING = "training"
    CLOSED = "closed"


class Session:
    """Everything of one connection; only the producer's pool job touches the trainer (never two at once)."""

    def __init__(self, runtime: Runtime, client: str | None, close_socket: Callable[[int, str], Awaitable[None]]):
        self.runtime = runtime
        self.settings = runtime.settings
        self.id = runtime.new_id()
        self.client = client
        self.state = State.CONNECTING
        self.trainer: Trainer | None = None
        self.timeline = Timeline()  # the trainer's past (engine.views.timeline), kept as it trains
        self.inbox: deque[protocol.Message | Callable[[Trainer, list[dict[str, Any]]], None]] = deque()
        self.subscribers: list[Outbox] = []  # every socket this session's frames go to (a room's followers too)
        self.outbox: Outbox | None = None  # this connection's own socket (it may follow another session's frames)
        self.member: Member | None = None  # this connection's place in a classroom room (app.rooms)
        self._close_socket = close_socket
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._handler: asyncio.Task | None = None
        now = time.monotonic()
        self.started = now
        self.last_control = now
        self.pacer = Pacer(now, fps=default_fps(self.settings))
        self._dirty = True
        self._resume_on_config = False
        self._frames = FrameState()
        self._data_version: Any = None
        self._event_filter = EventFilter()
        self._claim: ClaimWatch | None = None
        self._owed = 0  # steps asked for by `step` / `epoch`, trained in chunks between other work
        self._computing: tuple[Generator[None, None, Any], Callable[[Any], dict[str, Any]]] | None = None
        self._trained = False  # steps ran since the last evaluation (metrics and history are read per frame)
        self._frames_built = 0
        self._load_told: dict[str, Any] = {"fps": None, "maps_every": 1}  # what the page knows of app.sessions.governor
        self._job: Job | None = None  # the producer's job while it is queued or running
        self._urgent: Callable[[], bool] = lambda: False  # a more urgent job waits: end the slice after this chunk
        self._state_lock = threading.Lock()  # a pool job's state change and the loop's shutdown never interleave
        self.race: RaceHost | None = None  # while a race runs (app.sessions.race), training and frames are its
        self.races_started = 0
        self.landscape_at = -math.inf  # when the last `landscape` started (app/sessions/race.py spaces them)
        self.progress: dict[str, Any] = {}  # what the last frame showed, for a room's dashboard (replaced whole)

    @property
    def speed(self) -> float | str:
        """Training steps per second, or "max" (the pacer's)."""
        return self.pacer.speed

    @speed.setter
    def speed(self, value: float | str) -> None:
        self.pacer.speed = value

    @property
    def fps(self) -> float:
        """The frame rate cap (the pacer's)."""
        return self.pacer.fps

    @fps.setter
    def fps(self, value: float) -> None:
        self.pacer.fps = value

    @property
    def frames_built(self) -> int:
        """How many frames this session has built (pool job only, or a value that may be one behind)."""
        return self._frames_built

    @property
    def max_fps(self) -> float:
        """The server's frame-rate cap for every session."""
        return self.settings.max_fps

    # ---- lifecycle (event loop) -------------------------------------------------------------------------------

    async def start(self, send_text: Callable[[str], Awaitable[None]], send_bytes: Callable[[bytes], Awaitable[None]],
                    hello_extra: dict[str, Any], flow: Mapping[str, Callable[..., Any]] | None = None) -> None:
        """Create the trainer in the pool, say hello, then start the producer and the sender (`flow`: the
        connection's flow extension when the server offers it, app.http.wsprotocol; app.sessions.outbox.Outbox)."""
        self._handler = asyncio.current_task()
        self.trainer = await self.runtime.scheduler.run(Priority.CONTROL, new_trainer, self.settings, self.timeline,
                                                        label=f"{self.id} start")  # fmt: skip
        if self.state is State.CLOSED:
            return
        outbox = Outbox(send_text, send_bytes, self.settings.send_timeout, self._sent, self._fail, self.runtime.backlog,
                        flow)
        self.outbox = outbox
        outbox.feed = self
        self.subscribers.append(outbox)
        self.state = State.IDLE
        self.publish({"type": "hello", **hello_extra, "session": self.id, "config": self.config(),
                      "state": self.state.value})
        self._tasks = [asyncio.create_task(outbox.run(), name=f"session-{self.id}-send"),
                       asyncio.create_task(self._produce(), name=f"session-{self.id}-produce")]
        for task in self._tasks:
            task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        """A task that dies of a bug ends the session with 1011 instead of leaving it half alive."""
        if task.cancelled() or task.exception() is None:
            return
        log.error("session %s: %s failed", self.id, task.get_name(), exc_info=task.exception())
        if self.state is not State.CLOSED:
            asyncio.get_running_loop().create_task(self.close(1011, "internal error"))

    def receive_text(self, text: str) -> None:
        """A control message from the client: pings are answered at once, the rest queued for the trainer."""
        self.last_control = time.monotonic()
        try:
            message = protocol.parse(text)
        except protocol.ProtocolError as exc:
            self.tell(exc.to_message())
            return
        if isinstance(message, protocol.Ping):
            if self.outbox is not None:
                self.outbox.put_first(dumps({"type": "pong", "id": message.id, "server_time": time.time()}))
            return
        if isinstance(message, protocol.ROOM_MESSAGES):
            self.runtime.rooms.handle(self, message)
            return
        if self.member is not None and (refusal := self.member.refusal(message)) is not None:
            self.tell(refusal.to_message())
            return
        if len(self.inbox) >= MAX_INBOX:  # the rate limit allows bursts; the work they ask for waits its turn
            self.tell(protocol.ProtocolError(
                "busy", None, f"{len(self.inbox)} messages are still waiting to be applied (at most {MAX_INBOX}): "
                "this one was dropped; wait for the answers", getattr(message, "id", None)).to_message())
            return
        self.queue(message)

    def queue(self, item: protocol.Message | Callable[[Trainer, list[dict[str, Any]]], None]) -> None:
        """Queue a message (or a call on the trainer, app.rooms) for the next job, raised to CONTROL priority."""
        self.inbox.append(item)
        self._wake.set()
        if self._job is not None:
            self.runtime.scheduler.bump(self._job, Priority.CONTROL)

    def receive_bytes(self) -> None:
        """Binary messages are not part of the protocol: say so and carry on."""
        self.last_control = time.monotonic()
        self.tell(protocol.ProtocolError("binary_not_allowed", None,
                                            "client messages must be JSON text; binary is not accepted").to_message())

    def tell(self, message: dict[str, Any]) -> None:
        """Send one JSON message to this connection's own socket only (not to the sockets following it)."""
        if self.outbox is not None and self.state is not State.CLOSED:
            self.outbox.put_text(dumps(message))

    def publish(self, message: dict[str, Any]) -> None:
        """Encode one JSON message once and queue it for every subscriber."""
        self.publish_text(dumps(message))

    def publish_text(self, text: str) -> None:
        """Queue one encoded JSON message for every subscriber."""
        for outbox in self.subscribers:
            outbox.put_text(text)

    async def close(self, code: int, reason: str) -> None:
        """End the session: stop its tasks, free its slot, and close the socket with `code`."""
        if self.state is State.CLOSED:
            return
        self._shutdown()
        try:
            async with asyncio.timeout(1.0):
                await self._close_socket(code, reason)
        except Exception as exc:  # already gone, or the client stopped reading
            log.debug("close(%s) failed: %r", code, exc)
        if self._handler is not None and self._handler is not asyncio.current_task():
            self._handler.cancel()  # its receive loop may wait forever on a client that sends nothing

    def disconnected(self) -> None:
        """The client went away (cleanly or not): release everything now."""
        self._shutdown()

    def _shutdown(self) -> None:
        with self._state_lock:
            self.state = State.CLOSED
            self.runtime.training.discard(self.id)
        self.runtime.leave(self.id)  # and its slot back to the server's caps
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        self.subscribers.clear()
        self.inbox.clear()
        member, self.member = self.member, None
        if member is not None:
            member.left()

    # ---- rooms (app.rooms): this session's frames to other sockets, calls on its trainer --------------------------

    def run_in_job(self, call: Callable[[Trainer], Any], then: Callable[[Any], None]) -> None:
        """Run `call(trainer)` in this session's next job, in order with the queued messages, then `then(result)` on
        the event loop (before the job's own messages and frame are sent). Not at all if the session closes first."""
        loop = asyncio.get_running_loop()

        def job(trainer: Trainer, out: list[dict[str, Any]]) -> None:
            try:
                result = call(trainer)
            except Exception:
                log.exception("session %s: a room's call failed", self.id)
                return
            loop.call_soon_threadsafe(then, result)

        self.queue(job)

    def snapshot(self, trainer: Trainer) -> list[str]:
        """What a socket joining this session's frames needs first: config, state, points, the frame layout and a
        running race (pool job only)."""
        messages = [{"type": "config", "config": self.config(), "changed": [], "id": None},
                    {"type": "state", "state": self.state.value}, data_message(trainer)]
        layout = self._frames.layout_message()
        if layout is not None:
            messages.append(layout)
        if self.race is not None:  # its frames are race frames: their layout is in the race message
            messages.append(self.race.message())
        return [dumps(message) for message in messages]

    def attach(self, outbox: Outbox) -> None:
        """Send this session's messages and frames to `outbox` too, starting with a snapshot and then a frame."""
        outbox.feed = self

        def attached(texts: list[str]) -> None:
            if self.state is State.CLOSED or outbox.feed is not self or outbox in self.subscribers:
                return  # detached or attached elsewhere meanwhile
            for text in texts:
                outbox.put_text(text)
            outbox.on_frame_sent = self._sent
            self.subscribers.append(outbox)
            self.queue(self._frame_due)

        self.run_in_job(self.snapshot, attached)

    def detach(self, outbox: Outbox) -> None:
        """Stop sending to `outbox` (a frame already in flight still goes)."""
        if outbox.feed is self:
            outbox.feed = None
        if outbox in self.subscribers:
            self.subscribers.remove(outbox)

    def _frame_due(self, trainer: Trainer, out: list[dict[str, Any]]) -> None:
        self._dirty = True

    async def _fail(self, reason: str) -> None:
        await self.close(1008, reason)

    # ---- producer (event loop) --------------------------------------------------------------------------------

    async def _produce(self) -> None:
        scheduler = self.runtime.scheduler
        while self.state is not State.CLOSED:
            now = time.monotonic()
            deadline = self._deadline(now)
            if deadline is not None:
                await self._close_for(deadline)
                return
            delay = self._delay(now)
            if delay is None or delay > 0:
                wake_by = min(self.last_control + self.settings.idle_timeout,
                              self.started + self.settings.max_session_seconds)
                try:
                    async with asyncio.timeout(cap_delay(delay, now, wake_by)):
                        await self._wake.wait()
                except TimeoutError:
                    pass
            self._wake.clear()
            if self.state is State.CLOSED:
                return
            now = time.monotonic()
            if not (self.inbox or self.state is State.TRAINING or self._dirty or self._owed or self._computing):
                continue
            messages, frame = await self._run_job(scheduler)
            if self.state is State.CLOSED:
                return
            for text, private in messages:
                if not private:
                    self.publish_text(text)
                elif self.outbox is not None:  # an answer to this connection's own request: not to its followers
                    self.outbox.put_text(text)
            if frame is not None:
                fan_out(frame, self.subscribers)

    def _deadline(self, now: float) -> str | None:
        if now - self.last_control > self.settings.idle_timeout:
            return "idle"
        if now - self.started > self.settings.max_session_seconds:
            return "lifetime"
        return None

    async def _close_for(self, deadline: str) -> None:
        if deadline == "idle":
            await self.close(1001, f"idle for {self.settings.idle_timeout:g} s without a control message")
        else:
            await self.close(1001, f"session lifetime of {self.settings.max_session_seconds:g} s reached")

    async def _run_job(self, scheduler: Scheduler) -> tuple[list[tuple[str, bool]], bytes | None]:
        """Queue this session's next job and await it. While it waits, a control message raises it to CONTROL
        (`receive_text`) and it rises to FRAME when its frame falls due (`due`, in the scheduler), so neither waits
        behind other sessions' training. At full speed it takes turn after turn in the elastic round and comes back
        only with something to send (`Again`)."""
        priority = self._priority()
        self._job = scheduler.submit(priority, self._work, label=f"{self.id} {priority.name.lower()}",
                                     due=self._frame_at() if priority > Priority.FRAME else None)
        try:
            return await scheduler.wait(self._job)
        finally:
            self._job = None

    def _sent(self) -> None:
        """A frame has left the server: the producer may build the next one (and its queued job may rise)."""
        self._wake.set()
        if self._job is not None and (due := self._frame_at()) is not None:
            self.runtime.scheduler.raise_at(self._job, due)  # at once if that time has come

    def _frame_at(self) -> float | None:
        """When this session's queued job should rise to a frame job: at its next frame time, if a frame would show
        something new then and a subscriber can take it (else `_sent` raises it once one has taken the last)."""
        if self._has_news() and not self._owed and self._a_subscriber_free():
            return self.pacer.next_frame_at
        return None

    def _has_news(self) -> bool:
        """A frame now would show something new: a change, or (training at full speed) the steps of a short slice
        its frame job trains first. So a session at full speed gets its frames at its fps whatever its turn for
        the longer training slices."""
        return self._dirty or (self.state is State.TRAINING and self.pacer.speed == "max")

    def _priority(self) -> Priority:
        """What the next job is for: controls first, then a due frame, then training by the clock, then the rest."""
        if self.inbox:
            return Priority.CONTROL
        if self._owed or self._computing:  # a `step`, `epoch` or `gradcheck`: the work first, then its frame
            return Priority.ELASTIC
        if self._has_news() and self._frame_allowed():
            return Priority.FRAME
        if self.state is State.TRAINING and self.pacer.speed != "max":
            return Priority.NUMERIC
        return Priority.ELASTIC

    def _delay(self, now: float) -> float | None:
        """Seconds until the producer has work (None: until a message or a finished send wakes it)."""
        if self.inbox or self._owed or self._computing:
            return 0.0
        if not self.subscribers:  # its socket follows another session's frames (app.rooms): nothing to show
            return None
        return self.pacer.delay(now, self.state is State.TRAINING, self._dirty, not self._a_subscriber_free())

    # ---- the pool job: the only code that touches the trainer -------------------------------------------------

    def _frame_allowed(self) -> bool:
        """A frame may be built: a subscriber has sent its previous one (it goes to each that has), and the fps cap
        allows it."""
        return self._a_subscriber_free() and self.pacer.frame_due(time.monotonic())

    def _a_subscriber_free(self) -> bool:
        """A subscriber has taken its last frame: a frame built now goes somewhere."""
        return any(not o.frame_in_flight for o in self.subscribers)

    def _work(self) -> tuple[list[tuple[str, bool]], bytes | None] | Again:
        """Apply queued controls in order, train this slice (a training job: NUMERIC or ELASTIC), and build a frame
        if one is due. Training yields after the chunk in hand when a more urgent job waits."""
        out: list[dict[str, Any]] = []
        trainer = self.trainer
        assert trainer is not None
        scheduler = self.runtime.scheduler
        priority = scheduler.current()
        now = time.monotonic()
        while self.inbox and self.state is not State.CLOSED:
            item = self.inbox.popleft()
            if isinstance(item, protocol.Message):
                commands.apply(self, item, out)
            else:
                item(trainer, out)
        frame = None
        try:
            if priority >= Priority.NUMERIC:
                self._urgent = lambda: scheduler.urgent(priority)
                if self._computing and priority is Priority.ELASTIC:
                    self._compute(out)
                if self._owed and self.state is not State.CLOSED and priority is Priority.ELASTIC:
                    self._train_owed(out)
                if self.state is State.TRAINING:
                    self._train_slice(now, out)
            elif self._has_news() and not self._trained and self.state is State.TRAINING \
                    and self.pacer.speed == "max" and self._frame_allowed():
                self._urgent = lambda: scheduler.urgent(priority)
                self._train_slice(now, out, FRAME_SLICE)  # a frame of a session at full speed shows a step or more
            if self._claim is not None and self._claim.decided:
                self._judge_claim(out)
            if trainer.data_version != self._data_version:
                self._data_version = trainer.data_version
                out.append(data_message(trainer))
            owed_next = self._owed and priority < Priority.NUMERIC  # the next job trains them: its frame shows them
            if self._dirty and not owed_next and self._frame_allowed():
                governor = self.runtime.governor
                self.pacer.frame_started(time.monotonic(), governor.fps_cap)
                frame = self._build_frame(trainer, out)
                governor.frame_built()
        except Exception as exc:  # an engine bug must not end the session: report it, stop training, carry on
            log.exception("session %s: training or frame failed", self.id)
            self._dirty = False
            out.append(protocol.ProtocolError("internal", None, f"the server failed: {exc!r}").to_message())
            if self.state is State.TRAINING:
                self._set_state(State.IDLE, out, "training stopped: the server failed")
        if frame is None and not out and priority is Priority.ELASTIC and self._elastic_again():
            return Again(Priority.ELASTIC, self._frame_at())  # its next turn, without a trip to the event loop
        return [(dumps(m), m.get("type") in PRIVATE_ANSWERS) for m in out], frame  # encoded here, off the event loop

    def _elastic_again(self) -> bool:
        """Nothing to send and training at full speed goes on: the job takes its next turn in the elastic round."""
        return self.state is State.TRAINING and self.pacer.speed == "max" and not (
            self.inbox or self._owed or self._computing or (self._claim is not None and self._claim.decided))

    def _set_state(self, state: State, out: list[dict[str, Any]], reason: str | None = None) -> None:
        self._resume_on_config = False
        with self._state_lock:
            if state is self.state or self.state is State.CLOSED:
                out.append({"type": "state", "state": self.state.value})
                return
            self.state = state
            if state is State.TRAINING:
                self.pacer.start(time.monotonic())
                self.runtime.training.add(self.id)
            else:
                self.runtime.training.discard(self.id)
        message = {"type": "state", "state": state.value}
        if reason:
            message["reason"] = reason
        out.append(message)

    def _train_slice(self, now: float, out: list[dict[str, Any]], budget: float | None = None) -> None:
        """Speed max: train for this session's share of a frame interval (or `budget` seconds). A numeric speed:
        the steps now owed, within the same share; what does not fit is owed to the next slice."""
        pacer = self.pacer
        if budget is None:
            budget = pacer.slice_budget(len(self.runtime.training))
        if pacer.speed == "max":
            self._train_chunks(None, budget, out)
            pacer.ran_at_max(now)
            return
        steps = pacer.steps_due(now)
        if steps > 0:
            done, stopped = self._train_chunks(steps, budget, out)
            if not stopped:
                pacer.give_back(steps - done)

    def _compute(self, out: list[dict[str, Any]]) -> None:
        """Advance the running computation (a `gradcheck`) for this session's share; its answer once it ends."""
        assert self._computing is not None
        steps, answer = self._computing
        deadline = time.perf_counter() + self.pacer.slice_budget(len(self.runtime.training) + 1)
        try:
            while True:
                next(steps)
                if time.perf_counter() > deadline or self.inbox or self._urgent() or self.state is State.CLOSED:
                    return
        except StopIteration as done:
            self._computing = None
            out.append(answer(done.value))
        except Exception:
            self._computing = None
            raise

    def _train_owed(self, out: list[dict[str, Any]]) -> None:
        """The steps a `step` or `epoch` asked for, a share of a frame interval at a time (a pause drops them)."""
        done, stopped = self._train_chunks(self._owed, self.pacer.slice_budget(len(self.runtime.training) + 1), out)
        self._owed = 0 if stopped else self._owed - done

    def _train_chunks(self, limit: int | None, budget: float, out: list[dict[str, Any]]) -> tuple[int, bool]:
        """Up to `limit` steps (None: as many as fit) in chunks of about CHUNK_SECONDS for at most `budget` seconds;
        a queued message, a closed session or a decided claim ends it after the chunk in hand. Returns (steps
        run, whether training stopped by itself: diverged, early stopping)."""
        trainer = self.trainer
        assert trainer is not None
        pacer = self.pacer
        deadline = time.perf_counter() + budget
        done = 0
        stopped = False
        while limit is None or done < limit:
            chunk = pacer.chunk(deadline - time.perf_counter())
            if limit is not None:
                chunk = min(chunk, limit - done)
            start = time.perf_counter()
            stopped = self.announce((self.race or trainer).train(chunk), out)
            pacer.chunk_done(chunk, time.perf_counter() - start)
            done += chunk
            decided = self._claim is not None and self._claim.decided
            if stopped or decided or self.inbox or self.state is State.CLOSED or self._urgent() \
                    or not pacer.room_for_step(deadline - time.perf_counter()):
                break
        if done:
            self._dirty = self._trained = True
        return done, stopped

    def _record(self, trainer: Trainer, out: list[dict[str, Any]]) -> None:
        """Evaluate once and append a loss-history point; announce the unit events of the same pass."""
        self.announce(self._frames.record(trainer), out)

    def _build_frame(self, trainer: Trainer, out: list[dict[str, Any]]) -> bytes:
        """The frame, with the metrics of one evaluation since the last training (never one per slice)."""
        start = time.perf_counter()
        if self._trained:
            self._trained = False
            if self.race is None:  # a race frame evaluates its lanes itself
                self._record(trainer, out)
        self._tell_load(out)
        self._frames_built += 1
        reuse_maps = self._frames_built % self.runtime.governor.maps_every != 0
        if self.race is not None:
            frame = self.race.frame(self.state is State.TRAINING)
        else:
            frame = self._frames.build(trainer, self.state is State.TRAINING, out, reuse_maps)
        self._dirty = False
        self.progress = {**_progress(trainer, self._frames.metrics), "frame": self._frames_built}
        self.pacer.frame_built(time.perf_counter() - start)
        return frame

    def _tell_load(self, out: list[dict[str, Any]]) -> None:
        """Tell the page when the server's degradation that applies to this session changes (`server_load`)."""
        load = self.runtime.governor.applies(self.fps)
        if load != self._load_told:
            self._load_told = load
            out.append({"type": "server_load", **load})

    # ---- what a command may do (app.sessions.commands), also pool job only -------------------------------------------

    def changed(self) -> None:
        """What a frame shows has changed: a frame is due, and the metrics are evaluated again."""
        self._dirty = True
        self._frames.changed()

    def play(self, out: list[dict[str, Any]]) -> None:
        """Start training (the answer is a `state` message)."""
        self._set_state(State.TRAINING, out)

    def pause(self, out: list[dict[str, Any]]) -> None:
        """Stop training, and drop the steps a `step` or `epoch` still owed (the answer is a `state` message)."""
        self._owed = 0
        self._set_state(State.IDLE, out)

    def resume_after_change(self, out: list[dict[str, Any]]) -> None:
        """Train again if divergence stopped training and nothing restarted or stopped it since."""
        if self._resume_on_config and self.state is State.IDLE:
            self._set_state(State.TRAINING, out, "resumed after a change")

    def announce(self, events: list[dict[str, Any]], out: list[dict[str, Any]]) -> bool:
        """Forward trainer events (repeats held back); True if training must stop (diverged, early stop)."""
        if diverged(events):
            self._frames.mark_diverged()
        out.extend(self._event_filter.announce(events, time.monotonic()))
        stop = stops(events)
        if stop and self.state is State.TRAINING:
            self._set_state(State.IDLE, out, stop_reason(events))
            self._resume_on_config = diverged(events)
        return stop

    def owe(self, steps: int, out: list[dict[str, Any]]) -> None:
        """Train `steps` more (a `step` or `epoch` asked for), in chunks between other work; the frames show them."""
        if self._owed + steps > MAX_OWED:
            raise commands.TooMuchWork(f"{self._owed} steps are still queued and at most {MAX_OWED} may wait: "
                                       "wait for them, or pause to drop them")  # fmt: skip
        self._owed += steps

    def compute(self, steps: Generator[None, None, Any], answer: Callable[[Any], dict[str, Any]]) -> None:
        """Run `steps` in chunks between other work (this session's share), then send `answer(result)`."""
        if self._computing is not None:
            raise commands.TooMuchWork("a gradient check is still running: wait for its answer", "type")
        self._computing = (steps, answer)

    def past_frame(self, step: int) -> bytes:
        """A frame of the timeline's snapshot at `step`, for the page to show beside the live run."""
        assert self.trainer is not None
        return self._frames.past(self.trainer, step, self.state is State.TRAINING)

    def new_run(self) -> int:
        """Start a new run after a reset: its number (the unsent loss history is dropped)."""
        return self._frames.new_run()

    def watch_claim(self, preset: str, pause: bool, out: list[dict[str, Any]]) -> None:
        """Watch this run for the preset's claim (ValueError if the run is not the preset's own from step 0)."""
        assert self.trainer is not None
        self.run_changed("a new watch started", out)
        self._claim = ClaimWatch.start(preset, self.trainer, pause)
        out.append(self._claim.started())

    def run_changed(self, reason: str, out: list[dict[str, Any]]) -> None:
        """The run is no longer what the claim watch started on: end the watch, saying why."""
        if self._claim is not None:
            out.append(self._claim.drop(reason))
            self._claim = None

    def _judge_claim(self, out: list[dict[str, Any]]) -> None:
        """The watched run reached its horizon or stopped: send the verdict, and pause if the student asked to."""
        claim, self._claim = self._claim, None
        assert claim is not None
        out.append(claim.verdict())
        if claim.pause and self.state is State.TRAINING:
            self._set_state(State.IDLE, out, "paused where the claim was decided")

    def config(self) -> dict[str, Any]:
        """The full applied config, plus the server's own keys speed and fps."""
        assert self.trainer is not None
        return {**self.trainer.config, "speed": self.speed, "fps": self.fps}


def new_trainer(settings: Settings, timeline: Timeline) -> Trainer:
    """A trainer with the default config and this server's limits, keeping its past in `timeline`."""
    limits = Limits(max_layers=settings.max_layers, max_neurons=settings.max_neurons, max_points=settings.max_points)
    trainer = Trainer(config=None, limits=limits)
    trainer.timeline = timeline
    return trainer


def _progress(trainer: Trainer, metrics: dict[str, float]) -> dict[str, Any]:
    """Counters, metrics and network of a frame just built, for a classroom room (app.rooms) to read."""
    config = trainer.config
    activation = config["activation"]
    network = "-".join(map(str, trainer.network.sizes)) + " " + (
        activation if isinstance(activation, str) else "/".join(activation))
    return {"step": int(trainer.step), "epoch": int(trainer.epoch), **metrics, "network": network,
            "weights": int(trainer.network.params.size),
            "summary": f"{config['dataset']}, {network}, {config['optimizer']} lr {config['learning_rate']:g}, "
                       f"batch {config['batch_size']}"}
