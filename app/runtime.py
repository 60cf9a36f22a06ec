"""What all sessions of one process share: settings, the bounded training pool, the live-session registry and the
server's session slots (app.slots: shared by every worker process)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from app.api import describe
from app.protocol import SHUTDOWN_CODE, SHUTDOWN_REASON
from app.settings import Settings
from app.slots import Slot, Slots, open_slots

if TYPE_CHECKING:
    from app.session import Session


@dataclass
class Runtime:
    """One per process: the shared `pool`, the `description` every hello carries, the live `sessions` and the
    `slots` they hold (the caps count the whole server's sessions, app.slots)."""

    settings: Settings
    pool: ThreadPoolExecutor
    slots: Slots
    description: dict[str, Any] = field(default_factory=dict)
    sessions: dict[int, Session] = field(default_factory=dict)
    held: dict[int, Slot] = field(default_factory=dict)
    training: set[int] = field(default_factory=set)
    next_id: int = 0

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
    """Create the shared pool and registry at startup; close every session and the pool at shutdown."""
    settings: Settings = app.state.settings
    pool = ThreadPoolExecutor(max_workers=settings.pool_threads, thread_name_prefix="playground-train")
    runtime = Runtime(settings, pool, open_slots(settings), describe(settings))
    app.state.runtime = runtime
    app.state.sessions = runtime.sessions
    try:
        yield
    finally:
        await asyncio.gather(*(s.close(SHUTDOWN_CODE, SHUTDOWN_REASON) for s in list(runtime.sessions.values())))
        pool.shutdown(wait=True, cancel_futures=True)
        runtime.slots.close()
