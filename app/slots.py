"""Session slots: the caps on sessions (PLAYGROUND_MAX_SESSIONS in total, PLAYGROUND_MAX_SESSIONS_PER_CLIENT per
client address) held for the whole server, however many worker processes serve it.

One small interface, `Slots`: `admit(client)` gives a `Slot` or a `Refusal`, `release(slot)` gives it back (twice is
harmless), `counts()` says how many are in use and the capacity. Admission runs once per connection, never per frame.

- `LocalSlots`: one process (no `--workers`): a dict, nothing shared.
- `SharedSlots`: the worker processes of one server on one host. `playground --workers N` creates a SQLite database in
  a temporary directory of its own before the workers start (`prepare`) and names it in PLAYGROUND_SLOTS_DB; each
  worker admits and releases in one `BEGIN IMMEDIATE` transaction, so two workers never both take the last slot.
  Each worker holds an exclusive flock on a lock file of its own while it lives; the kernel drops that lock when the
  process dies however it dies (SIGKILL, OOM), so a lock anyone else can take marks a dead owner, whose slots are
  reclaimed (at a worker's start, before a refusal, and whenever the counts are read). A reused pid cannot fool it.
- Across hosts a shared store would take `SharedSlots`' place behind the same interface (Redis: admit and release as
  one Lua script over a total counter and per-client counters, each owner a key with a TTL it keeps renewing).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Protocol

from app.settings import Settings

SLOTS_DB_ENV = "PLAYGROUND_SLOTS_DB"  # set by the CLI for its workers; not a setting of its own
OWNER_PREFIX, OWNER_SUFFIX = "owner-", ".lock"


@dataclass(frozen=True)
class Slot:
    """One session's place, held until `release`."""

    id: int
    client: str | None


@dataclass(frozen=True)
class Refusal:
    """Why a session may not start (the reason of close 1013)."""

    reason: str


@dataclass(frozen=True)
class Counts:
    """Sessions in use in the whole server, the most it admits, and the worker processes serving it."""

    sessions: int
    capacity: int
    workers: int


class Slots(Protocol):
    def admit(self, client: str | None) -> Slot | Refusal: ...

    def release(self, slot: Slot) -> None: ...

    def counts(self) -> Counts: ...

    def close(self) -> None: ...


def refusal_reason(total: int, from_client: int, settings: Settings) -> str | None:
    """The reason a new session is refused when `total` are in use, `from_client` of them from its address."""
    if total >= settings.max_sessions:
        return f"server full: {settings.max_sessions} sessions in use"
    if from_client >= settings.max_sessions_per_client:
        return f"too many sessions from this address (at most {settings.max_sessions_per_client})"
    return None


class LocalSlots:
    """The slots of one process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.held: dict[int, str | None] = {}
        self._ids = count(1)

    def admit(self, client: str | None) -> Slot | Refusal:
        from_client = 0 if client is None else sum(c == client for c in self.held.values())
        reason = refusal_reason(len(self.held), from_client, self.settings)
        if reason is not None:
            return Refusal(reason)
        slot = Slot(next(self._ids), client)
        self.held[slot.id] = client
        return slot

    def release(self, slot: Slot) -> None:
        self.held.pop(slot.id, None)

    def counts(self) -> Counts:
        return Counts(len(self.held), self.settings.max_sessions, 1)

    def close(self) -> None:
        self.held.clear()


SCHEMA = """
CREATE TABLE IF NOT EXISTS slots (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, client TEXT);
CREATE INDEX IF NOT EXISTS slots_client ON slots (client);
CREATE INDEX IF NOT EXISTS slots_owner ON slots (owner);
"""


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA synchronous=OFF")  # the slots mean nothing after the server stops: no fsync
    return db


def prepare(directory: Path) -> Path:
    """Create the slots database in `directory` (the CLI does this once, before any worker starts)."""
    path = directory / "slots.sqlite3"
    db = _connect(path)
    try:
        db.execute("PRAGMA journal_mode=WAL")  # writers append; a reader (counts) never waits
        db.executescript(SCHEMA)
    finally:
        db.close()
    return path


class SharedSlots:
    """The slots of every worker process of one server: one SQLite database, one lock file per living worker."""

    def __init__(self, path: Path, settings: Settings) -> None:
        self.settings = settings
        self.path = Path(path)
        self.directory = self.path.parent
        self.owner = f"{os.getpid()}-{secrets.token_hex(4)}"  # the pid for people reading it; the lock for liveness
        self._lock = threading.Lock()
        self._lock_fd = self._hold_lock_file()
        self.db = _connect(self.path)
        self.db.executescript(SCHEMA)
        self.reclaim()

    def _hold_lock_file(self) -> int:
        """Lock a file under a temporary name, then rename it: no one ever sees this owner's file unlocked."""
        final = self.directory / f"{OWNER_PREFIX}{self.owner}{OWNER_SUFFIX}"
        draft = self.directory / f"draft-{self.owner}"
        fd = os.open(draft, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(draft, final)
        return fd

    @contextlib.contextmanager
    def _transaction(self):
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def _try_admit(self, client: str | None) -> Slot | Refusal:
        with self._transaction() as db:
            (total,) = db.execute("SELECT count(*) FROM slots").fetchone()
            from_client = 0 if client is None else db.execute(
                "SELECT count(*) FROM slots WHERE client = ?", (client,)).fetchone()[0]
            reason = refusal_reason(total, from_client, self.settings)
            if reason is not None:
                return Refusal(reason)
            slot_id = db.execute("INSERT INTO slots (owner, client) VALUES (?, ?)", (self.owner, client)).lastrowid
        return Slot(slot_id, client)

    def admit(self, client: str | None) -> Slot | Refusal:
        admitted = self._try_admit(client)
        if isinstance(admitted, Refusal) and self.reclaim():  # a dead worker's slots were in the way
            admitted = self._try_admit(client)
        return admitted

    def release(self, slot: Slot) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM slots WHERE id = ? AND owner = ?", (slot.id, self.owner))

    def counts(self) -> Counts:
        self.reclaim()
        with self._lock:
            (total,) = self.db.execute("SELECT count(*) FROM slots").fetchone()
        return Counts(total, self.settings.max_sessions, len(self._owner_files()))

    def _owner_files(self) -> list[os.DirEntry]:
        return [entry for entry in os.scandir(self.directory)
                if entry.name.startswith(OWNER_PREFIX) and entry.name.endswith(OWNER_SUFFIX)]

    def dead_owners(self) -> list[tuple[str, int]]:
        """Owners whose lock file anyone can lock: their process is gone. Each comes with the fd holding its lock."""
        dead = []
        for entry in self._owner_files():
            owner = entry.name[len(OWNER_PREFIX):-len(OWNER_SUFFIX)]
            if owner == self.owner:
                continue
            try:
                fd = os.open(entry.path, os.O_RDWR | os.O_CLOEXEC)
            except FileNotFoundError:  # another worker is reclaiming it
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # alive
                os.close(fd)
                continue
            dead.append((owner, fd))
        return dead

    def reclaim(self) -> int:
        """Free the slots of dead worker processes; how many were freed."""
        freed = 0
        for owner, fd in self.dead_owners():
            try:
                with self._transaction() as db:
                    freed += db.execute("DELETE FROM slots WHERE owner = ?", (owner,)).rowcount
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.directory / f"{OWNER_PREFIX}{owner}{OWNER_SUFFIX}")
            finally:
                os.close(fd)
        return freed

    def close(self) -> None:
        """Give back this process's slots and its lock file (at shutdown)."""
        with contextlib.suppress(sqlite3.Error):
            with self._transaction() as db:
                db.execute("DELETE FROM slots WHERE owner = ?", (self.owner,))
        self.db.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.directory / f"{OWNER_PREFIX}{self.owner}{OWNER_SUFFIX}")
        os.close(self._lock_fd)


def open_slots(settings: Settings) -> Slots:
    """The server's slots: shared by every worker when the CLI started several, else this process's own."""
    path = os.environ.get(SLOTS_DB_ENV)
    return SharedSlots(Path(path), settings) if path else LocalSlots(settings)
