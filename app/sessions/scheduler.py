"""The process's work queue: jobs run in priority order, first in first out within a priority, on a few threads.

Frames first (issue 12): a session's control messages come before frames that are due, frames before the steps a
numeric speed owes, and those before the elastic part, speed "max" and the work a `step`, `epoch` or `gradcheck`
asked for, which sessions share in turn. Training runs in chunks of a few milliseconds and asks `urgent()` after
each one, so a more urgent job waits for one chunk at most, not for every other session's slice.

A job may carry a time (`due`) at which it rises to FRAME by itself: a session's training job becomes its frame job
when its frame falls due, without a timer on the event loop. And a job may end by returning `Again`: it goes back in
the queue, behind the jobs of its priority, without completing, so a session training at full speed takes its turns
in the elastic round without a trip to the event loop and back for each one; the trip is what a frame costs most of
on a busy process, not the arithmetic.

The threads share one interpreter lock, but NumPy releases it in its larger array operations (grids of 10,000 points),
so two threads per process, the default (`pool_threads`), overlap one job's arithmetic with another's Python; BLAS
itself runs single-threaded. Measured with 100 sessions on 2 workers: about a fifth more frames than one thread.
While the event loop has frames to send (`hold`), elastic jobs wait: the loop's thread needs the lock to send, and a
training thread that has it keeps it for up to the switch interval.
"""

from __future__ import annotations

import asyncio
import enum
import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from typing import Any

HOLD_WAIT = 0.0005  # s: how long an elastic job waits before it looks again whether the event loop has sent


class Priority(enum.IntEnum):
    """What a job is for; a lower value runs first."""

    CONTROL = 0  # a session's control messages (and a new session's trainer)
    FRAME = 1  # a frame that is due
    NUMERIC = 2  # the steps a numeric speed owes by the clock
    ELASTIC = 3  # speed "max", and the work `step`, `epoch` and `gradcheck` ask for: equal shares of what is left


class Again:
    """What a job returns to be queued again at `priority` (rising to FRAME at `due`, if given) instead of ending."""

    __slots__ = ("priority", "due")

    def __init__(self, priority: Priority, due: float | None = None) -> None:
        self.priority, self.due = priority, due


class Job:
    """One queued call; `priority` is where it stands now (a queued job can be raised, see Scheduler.bump), `due`
    the time.monotonic() at which it rises to FRAME by itself (None: it does not).

    The queue holds (priority, seq, job) entries; only the one whose seq is the job's current `seq` counts, so raising
    or requeueing a job pushes a new entry and the old one is skipped when it comes up."""

    __slots__ = ("priority", "seq", "fn", "args", "future", "label", "queued", "since", "due", "waiter", "asked")

    def __init__(self, priority: Priority, seq: int, fn: Callable[..., Any], args: tuple[Any, ...], future: Future,
                 label: str) -> None:  # fmt: skip
        self.priority, self.seq, self.fn, self.args, self.future, self.label = priority, seq, fn, args, future, label
        self.queued = True  # False while it runs and once it is done
        self.since = time.perf_counter()  # queued (or raised) at
        self.due: float | None = None
        self.asked: Priority | None = None  # raised while it ran: the priority it comes Again at, at the least
        self.waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future] | None = None  # Scheduler.wait's


class Scheduler:
    """A priority queue served by `threads` threads; `busy` is the seconds of work done per priority, `waited` the
    seconds jobs waited to start and `started` how many did (app.sessions.governor reads the frame jobs' wait).

    `order`, when `history` > 0, keeps the last `history` scheduling events as (event, priority, label), event one
    of "queued", "raised", "started", in the order they happened (each is recorded under the queue's lock): tests
    read the order of work items from it, not the clock.
    """

    def __init__(self, threads: int, name: str = "playground-train", history: int = 0) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[Priority, int, Job]] = []
        self._dues: list[tuple[float, int, Job]] = []  # queued jobs that rise to FRAME at a time, soonest first
        self._seq = itertools.count()
        self._closed = False
        self._local = threading.local()
        self.busy = dict.fromkeys(Priority, 0.0)
        self.waited = dict.fromkeys(Priority, 0.0)  # seconds jobs waited in the queue, per priority they ran at
        self.started = dict.fromkeys(Priority, 0)
        self.order: deque[tuple[str, Priority, str]] | None = deque(maxlen=history) if history else None
        self.hold: Callable[[], bool] = lambda: False  # True: ELASTIC jobs wait (the event loop has frames to send)
        self._done: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Future]]] = {}  # for Scheduler.wait
        self._threads = [threading.Thread(target=self._serve, name=f"{name}-{i}", daemon=True)
                         for i in range(threads)]  # fmt: skip
        for thread in self._threads:
            thread.start()

    @property
    def threads(self) -> int:
        return len(self._threads)

    def submit(self, priority: Priority, fn: Callable[..., Any], *args: Any, label: str = "",
               due: float | None = None) -> Job:  # fmt: skip
        """Queue `fn(*args)` at `priority` (rising to FRAME at `due`); the job (its `future` has the result).

        `fn` may return `Again(...)`: the job is queued again instead of ending (see the module's docstring)."""
        job = Job(priority, next(self._seq), fn, args, Future(), label)
        with self._cond:
            if self._closed:
                raise RuntimeError("the scheduler is shut down")
            self._push(job, due)
            self._record("queued", job)
            self._cond.notify()
        return job

    def _push(self, job: Job, due: float | None) -> None:
        """Queue `job` under its current seq (the lock is held)."""
        heapq.heappush(self._heap, (job.priority, job.seq, job))
        job.queued, job.due = True, None
        if due is not None:
            self._due(job, due)

    def _due(self, job: Job, due: float) -> None:
        """The lock is held: a queued job below FRAME rises to it at `due` (its old due entry is skipped)."""
        if job.priority > Priority.FRAME:
            job.due = due
            heapq.heappush(self._dues, (due, job.seq, job))

    def _requeue(self, job: Job, priority: Priority, due: float | None, event: str) -> None:
        """The lock is held: queue `job` again at `priority`, behind the jobs there now."""
        job.priority, job.seq, job.since = priority, next(self._seq), time.perf_counter()
        self._push(job, due)
        self._record(event, job)

    async def run(self, priority: Priority, fn: Callable[..., Any], *args: Any, label: str = "") -> Any:
        """Queue `fn(*args)` and await its result on the running loop."""
        return await self.wait(self.submit(priority, fn, *args, label=label))

    def wait(self, job: Job) -> asyncio.Future:
        """The job's result as a future of the running loop; cancelling it cancels a job that has not started.

        Like asyncio.wrap_future, except that the jobs that end while the loop is busy wake it once, not once each:
        every wake-up is a write to the loop's self-pipe, a system call that lets the loop's thread take the
        interpreter lock from this one, and the hand-over back and forth costs more than a small job."""
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        with self._cond:
            pending = not job.future.done()
            if pending:
                job.waiter = (loop, waiter)
        if not pending:
            _copy(job.future, waiter)
        waiter.add_done_callback(lambda w: _forget(job) if w.cancelled() else None)
        return waiter

    def _ended(self, job: Job) -> None:
        """The job's future is done: hand it to the loop that waits for it, waking the loop if no wake-up is due."""
        with self._cond:
            waiter, job.waiter = job.waiter, None
            if waiter is None:
                return
            loop, future = waiter
            pending = self._done.get(loop)
            wake = not pending
            if wake:
                pending = self._done[loop] = []
            pending.append((future, job.future))
        if wake:
            try:
                loop.call_soon_threadsafe(self._deliver, loop)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

    def _deliver(self, loop: asyncio.AbstractEventLoop) -> None:
        """On `loop`: every job that ended since the last wake-up, to its waiter."""
        with self._cond:
            pending = self._done.pop(loop, [])
        for waiter, done in pending:
            if not waiter.done():
                _copy(done, waiter)

    def bump(self, job: Job, priority: Priority) -> Job:
        """Raise a queued job to `priority` (a control message arrived, a frame fell due); the job (the same object).

        A job that runs already, or stands as high, is left as it is."""
        with self._cond:
            self._raise(job, priority)
            return job

    def raise_at(self, job: Job, due: float) -> None:
        """Let a queued job rise to FRAME at `due` (time.monotonic()), or now if that has passed."""
        with self._cond:
            if job.queued and (job.due is None or due < job.due):
                self._due(job, due)
                self._cond.notify()

    def _raise(self, job: Job, priority: Priority) -> None:
        """The lock is held: requeue `job` at `priority` if it waits at a lower one (its old entry is skipped). A job
        running now keeps the request for when it comes Again (a control message that arrives during its turn)."""
        if not job.queued:
            if job.future.running():
                job.asked = priority if job.asked is None else min(job.asked, priority)
            return
        if job.priority <= priority:
            return
        self._requeue(job, priority, job.due, "raised")
        self._cond.notify()

    def _rise_due(self) -> None:
        """The lock is held: jobs whose time has come rise to FRAME."""
        dues = self._dues
        if not dues:
            return
        now = time.monotonic()
        while dues and dues[0][0] <= now:
            due, seq, job = heapq.heappop(dues)
            if job.queued and job.due == due:
                self._raise(job, Priority.FRAME)

    def _top(self) -> Job | None:
        """The lock is held: the most urgent live job, stale entries dropped (not popped)."""
        self._rise_due()
        heap = self._heap
        while heap:
            _, seq, job = heap[0]
            if job.queued and job.seq == seq:
                return job
            heapq.heappop(heap)
        return None

    def current(self) -> Priority:
        """The priority of the job running on this thread (as raised, if it was)."""
        return self._local.job.priority

    def urgent(self, than: Priority) -> bool:
        """A job more urgent than `than` waits: a job running at `than` should end after its chunk in hand."""
        with self._cond:
            top = self._top()
            return top is not None and top.priority < than or than >= Priority.ELASTIC and self.hold()

    def drain(self, timeout: float = 60.0) -> None:
        """Return once every job queued before the call has finished (each thread meets a barrier job queued last)."""
        barrier = threading.Barrier(len(self._threads) + 1)
        for _ in self._threads:
            self.submit(Priority.ELASTIC, barrier.wait, timeout, label="drain")
        barrier.wait(timeout)

    def shutdown(self, cancel_futures: bool = True, timeout: float = 30.0) -> None:
        """Stop taking jobs, cancel the queued ones (or run them first), and wait for the threads to end."""
        with self._cond:
            self._closed = True
            if cancel_futures:
                for _, _, job in self._heap:
                    _cancel(job)
                    self._ended(job)
                self._heap.clear()
                self._dues.clear()
            self._cond.notify_all()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout)

    def _record(self, event: str, job: Job) -> None:
        if self.order is not None:
            self.order.append((event, job.priority, job.label))

    def _serve(self) -> None:
        while (job := self._next()) is not None:
            self._run(job)
            del job  # an idle thread keeps nothing alive (the job's session)

    def _next(self) -> Job | None:
        """The next live job, waiting for one; None once shut down and empty."""
        with self._cond:
            while True:
                job = self._top()
                if job is not None and job.priority >= Priority.ELASTIC and self.hold():
                    self._cond.wait(HOLD_WAIT)  # the event loop sends frames first (the lock is free meanwhile)
                    continue
                if job is not None:
                    heapq.heappop(self._heap)
                    job.queued, job.asked = False, None
                    self.waited[job.priority] += time.perf_counter() - job.since
                    self.started[job.priority] += 1
                    self._record("started", job)
                    return job
                if self._closed:
                    return None
                self._cond.wait()

    def _run(self, job: Job) -> None:
        if not job.future.running() and not job.future.set_running_or_notify_cancel():  # running: it came Again
            job.fn, job.args = _nothing, ()
            return
        self._local.job = job
        start = time.perf_counter()
        try:
            result = job.fn(*job.args)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting side, as an executor does
            job.future.set_exception(exc)
            result = None
        finally:
            self._local.job = None
            self.busy[job.priority] += time.perf_counter() - start
        if isinstance(result, Again):
            with self._cond:
                if not self._closed:
                    priority = result.priority if job.asked is None else min(result.priority, job.asked)
                    self._requeue(job, priority, result.due, "queued")
                    return
            _cancel(job)  # shut down meanwhile: as a queued job is
        elif not job.future.done():
            job.future.set_result(result)
        job.fn, job.args = _nothing, ()  # its old queue entries keep nothing alive (the session of a bound method)
        self._ended(job)


def _nothing(*args: Any) -> None:
    return None


def _forget(job: Job) -> None:
    """Its waiter was cancelled: cancel the job if it has not started, and let go of what it would have called."""
    if job.future.cancel():
        job.fn, job.args = _nothing, ()


def _cancel(job: Job) -> None:
    """Cancel a job's future, also one that ran before and came Again (a running future cannot be cancelled)."""
    if not job.future.cancel() and not job.future.done():
        job.future.set_exception(CancelledError())


def _copy(done: Future, waiter: asyncio.Future) -> None:
    """The state of a finished concurrent future onto an asyncio one."""
    if done.cancelled():
        waiter.cancel()
    elif (exc := done.exception()) is not None:
        waiter.set_exception(exc)
    else:
        waiter.set_result(done.result())
