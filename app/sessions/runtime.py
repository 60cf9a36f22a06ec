"""What all sessions of one process share: settings, the work scheduler (app.sessions.scheduler), the live-session
registry and the server's session slots (app.slots: shared by every worker process)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from app.http.api import describe
from app.protocol import SHUTDOWN_CODE, SHUTDOWN_REASON
from app.rooms.broker import Broker
from app.sessions.governor import Governor
from app.sessions.outbox import Backlog
from app.sessions.scheduler import Priority, Scheduler
from app.settings import Settings
from app.slots import Slot, Slots, open_slots

if TYPE_CHECKING:
    from app.sessions.session import Session


@dataclass
class Runtime:
    """One per process: the shared `scheduler`, the `description` every hello carries, the live `sessions`, the
    `slots` they hold (the caps count the whole server's sessions, app.slots) and the classroom `rooms`."""

    settings: Settings
    scheduler: Scheduler
    slots: Slots
    description: dict[str, Any] = field(default_factory=dict)
    sessions: dict[int, Session] = field(default_factory=dict)
    held: dict[int, Slot] = field(default_factory=dict)
    training: set[int] = field(default_factory=set)
    governor: Governor = field(default_factory=Governor)
    backlog: Backlog = field(default_factory=Backlog)  # sockets with a frame still to send (app.sessions.outbox)
    next_id: int = 0
    rooms: Broker = field(init=False)

    def __post_init__(self) -> None:
        self.rooms = Broker(self.settings)

    def leave(self, session_id: int) -> None:
        """A session has ended: out of the registry, and its slot back to the server (a second call does nothing)."""
        self.sessions.pop(session_id, None)
        slot = self.held.pop(session_id, None)
        if slot is not None:
            self.slots.release(slot)

    def new_id(self) -> int:
        """A process-unique session id."""
        self.next_id += 1
        return self.next_id


@asynccontextmanager
async def runtime_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Create the shared scheduler and registry at startup; close every session and the scheduler at shutdown."""
    settings: Settings = app.state.settings
    scheduler = Scheduler(settings.pool_threads, history=4096)
    runtime = Runtime(settings, scheduler, open_slots(settings), describe(settings))
    scheduler.hold = runtime.backlog.__bool__  # elastic training waits while frames wait for the event loop
    app.state.runtime = runtime
    app.state.sessions = runtime.sessions
    governing = asyncio.create_task(_govern(runtime), name="governor")
    runtime.rooms.start()
    try:
        yield
    finally:
        governing.cancel()
        await runtime.rooms.stop()
        await asyncio.gather(*(s.close(SHUTDOWN_CODE, SHUTDOWN_REASON) for s in list(runtime.sessions.values())))
        await asyncio.to_thread(scheduler.shutdown)
        runtime.slots.close()


async def _govern(runtime: Runtime) -> None:
    """Once a second, let the governor look at the frames built and the time training got (app.sessions.governor)."""
    while True:
        await asyncio.sleep(1.0)
        wanted = [s.fps for s in list(runtime.sessions.values()) if s.id in runtime.training and s.speed == "max"]
        busy = runtime.scheduler.busy
        runtime.governor.tick(time.monotonic(), wanted, busy[Priority.NUMERIC] + busy[Priority.ELASTIC])
