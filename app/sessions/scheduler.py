"""The process's work queue: jobs run in priority order, first in first out within a priority, on a few threads.

Frames first (issue 12): a session's control messages come before frames that are due, frames before the steps a
numeric speed owes, and those before the elastic part, speed "max" and the work a `step`, `epoch` or `gradcheck`
asked for, which sessions share in turn. Training runs in chunks of a few milliseconds and asks `urgent()` after
each one, so a more urgent job waits for one chunk at most, not for every other session's slice.

The threads share one interpreter lock, so one thread per process is the default (`pool_threads`): a second one
only interleaves the same core's work, unless large matrix products release the lock (BLAS runs single-threaded).
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
from concurrent.futures import Future
from typing import Any


class Priority(enum.IntEnum):
    """What a job is for; a lower value runs first."""

    CONTROL = 0  # a session's control messages (and a new session's trainer)
    FRAME = 1  # a frame that is due
    NUMERIC = 2  # the steps a numeric speed owes by the clock
    ELASTIC = 3  # speed "max", and the work `step`, `epoch` and `gradcheck` ask for: equal shares of what is left


class Job:
    """One queued call; `priority` is where it stands now (a queued job can be raised, see Scheduler.bump)."""

    __slots__ = ("priority", "seq", "fn", "args", "future", "label", "queued", "since")

    def __init__(self, priority: Priority, seq: int, fn: Callable[..., Any], args: tuple[Any, ...], future: Future,
                 label: str) -> None:  # fmt: skip
        self.priority, self.seq, self.fn, self.args, self.future, self.label = priority, seq, fn, args, future, label
        self.queued = True  # False once it runs, or once a raised copy replaced it in the queue
        self.since = time.perf_counter()  # queued (or raised) at

    def __lt__(self, other: Job) -> bool:
        return (self.priority, self.seq) < (other.priority, other.seq)


class Scheduler:
    """A priority queue served by `threads` threads; `busy` is the seconds of work done per priority, `waited` the
    seconds jobs waited to start and `started` how many did (app.sessions.governor reads the frame jobs' wait).

    `order`, when `history` > 0, keeps the last `history` scheduling events as (event, priority, label), event one
    of "queued", "raised", "started", in the order they happened (each is recorded under the queue's lock): tests
    read the order of work items from it, not the clock.
    """

    def __init__(self, threads: int, name: str = "playground-train", history: int = 0) -> None:
        self._cond = threading.Condition()
        self._heap: list[Job] = []
        self._seq = itertools.count()
        self._closed = False
        self._local = threading.local()
        self.busy = dict.fromkeys(Priority, 0.0)
        self.waited = dict.fromkeys(Priority, 0.0)  # seconds jobs waited in the queue, per priority they ran at
        self.started = dict.fromkeys(Priority, 0)
        self.order: deque[tuple[str, Priority, str]] | None = deque(maxlen=history) if history else None
        self._threads = [threading.Thread(target=self._serve, name=f"{name}-{i}", daemon=True)
                         for i in range(threads)]  # fmt: skip
        for thread in self._threads:
            thread.start()

    @property
    def threads(self) -> int:
        return len(self._threads)

    def submit(self, priority: Priority, fn: Callable[..., Any], *args: Any, label: str = "") -> Job:
        """Queue `fn(*args)` at `priority`; the job (its `future` has the result)."""
        job = Job(priority, next(self._seq), fn, args, Future(), label)
        with self._cond:
            if self._closed:
                raise RuntimeError("the scheduler is shut down")
            heapq.heappush(self._heap, job)
            self._record("queued", job)
            self._cond.notify()
        return job

    async def run(self, priority: Priority, fn: Callable[..., Any], *args: Any, label: str = "") -> Any:
        """Queue `fn(*args)` and await its result on the running loop."""
        return await asyncio.wrap_future(self.submit(priority, fn, *args, label=label).future)

    def bump(self, job: Job, priority: Priority) -> Job:
        """Raise a queued job to `priority` (a control message arrived, a frame fell due); the job as now queued.

        A job that runs already, or stands as high, is left as it is."""
        with self._cond:
            if not job.queued or job.priority <= priority:
                return job
            job.queued = False  # the old entry stays in the heap and is skipped when popped
            raised = Job(priority, next(self._seq), job.fn, job.args, job.future, job.label)
            heapq.heappush(self._heap, raised)
            self._record("raised", raised)
            self._cond.notify()
            return raised

    def current(self) -> Priority:
        """The priority of the job running on this thread (as raised, if it was)."""
        return self._local.job.priority

    def urgent(self, than: Priority) -> bool:
        """A job more urgent than `than` waits: a job running at `than` should end after its chunk in hand."""
        with self._cond:
            while self._heap and not self._heap[0].queued:
                heapq.heappop(self._heap)
            return bool(self._heap) and self._heap[0].priority < than

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
                for job in self._heap:
                    job.future.cancel()
                self._heap.clear()
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
                while not self._heap and not self._closed:
                    self._cond.wait()
                if not self._heap:
                    return None
                job = heapq.heappop(self._heap)
                if job.queued:  # else a raised copy replaced it
                    job.queued = False
                    self.waited[job.priority] += time.perf_counter() - job.since
                    self.started[job.priority] += 1
                    self._record("started", job)
                    return job
                del job  # not kept alive while this thread waits

    def _run(self, job: Job) -> None:
        if not job.future.set_running_or_notify_cancel():
            return
        self._local.job = job
        start = time.perf_counter()
        try:
            job.future.set_result(job.fn(*job.args))
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting side, as an executor does
            job.future.set_exception(exc)
        finally:
            self._local.job = None
            self.busy[job.priority] += time.perf_counter() - start
