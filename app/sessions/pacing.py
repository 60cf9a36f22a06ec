"""Pacing: how many training steps a session's slice runs, and when its next slice or frame is due."""

from __future__ import annotations

from app import protocol

MIN_SLICE = 0.00005  # s: the least an elastic slice gets (one chunk: at least one step)
FRAME_SLICE = 0.00005  # s: what a frame job of a session at full speed trains before its frame (a step or a few)
CHUNK_SECONDS = 0.002
MAX_CHUNK = 10_000
BURST_FRAMES = 4


def cap_delay(delay: float | None, now: float, wake_by: float) -> float:
    """A wait of `delay` seconds (None: indefinite) that never sleeps past `wake_by` (plus 10 ms)."""
    cap = max(0.0, wake_by - now) + 0.01
    return cap if delay is None else min(delay, cap)


class Pacer:
    """One session's rates (speed, fps) and the clock of its slices and frames; no I/O, `now` is passed in.

    At a numeric speed, steps are owed at `speed` per second since the last slice, with the fraction carried over.
    At speed "max", a slice trains for a time budget in chunks sized by the measured time of one step.
    """

    def __init__(self, now: float, speed: float | str = protocol.DEFAULT_SPEED,
                 fps: float = protocol.DEFAULT_FPS) -> None:
        self.speed = speed
        self.fps = fps
        self.next_frame_at = now
        self.last_train = now
        self.carry = 0.0
        self.step_time = 1e-4
        self.frame_cost = 0.0

    def start(self, now: float) -> None:
        """Training starts at `now`: the first step is due at once."""
        self.last_train = now
        self.carry = 1.0

    def delay(self, now: float, training: bool, dirty: bool, in_flight: bool) -> float | None:
        """Seconds until the next slice or frame is due (None: nothing is, until something wakes the producer)."""
        frame_gate = now + 1.0 / self.fps if in_flight else self.next_frame_at
        if training:
            if self.speed == "max":
                return 0.0
            step_due = self.last_train + max(0.0, 1.0 - self.carry) / float(self.speed)
            return max(step_due, frame_gate) - now
        if dirty and not in_flight:
            return self.next_frame_at - now
        return None

    def steps_due(self, now: float) -> int:
        """At a numeric speed: the steps owed at `now`, at most BURST_FRAMES frames' worth; they count as run."""
        speed = float(self.speed)
        owed = self.carry + speed * (now - self.last_train)
        steps = min(int(owed), max(1, int(speed / self.fps) * BURST_FRAMES))
        self.carry = min(owed - steps, 1.0)
        self.last_train = now
        return steps

    def give_back(self, steps: int) -> None:
        """`steps` of those `steps_due` counted as run did not fit in the slice: they are owed again."""
        if steps > 0 and self.speed != "max":
            self.carry = min(self.carry + steps, max(1.0, float(self.speed) / self.fps * BURST_FRAMES))

    def ran_at_max(self, now: float) -> None:
        """A speed-max slice started at `now`: a switch to a numeric speed owes steps from here, not from earlier."""
        self.last_train = now
        self.carry = 0.0

    def slice_budget(self, training_sessions: int) -> float:
        """At speed max: one frame interval shared by the sessions training now, less this session's frame cost.

        Training threads share one interpreter lock, so the share is of one core, not of `pool_threads` cores.
        """
        interval = 1.0 / self.fps
        share = interval / max(1, training_sessions) - self.frame_cost
        return max(MIN_SLICE, min(interval - self.frame_cost, share))

    def chunk(self, remaining: float) -> int:
        """Steps for the next chunk of a slice with `remaining` seconds left: at most CHUNK_SECONDS' worth, ≥ 1."""
        return max(1, min(MAX_CHUNK, int(min(remaining, CHUNK_SECONDS) / self.step_time)))

    def chunk_done(self, steps: int, seconds: float) -> None:
        """`steps` took `seconds`: update the running estimate of one step's time."""
        self.step_time = 0.7 * self.step_time + 0.3 * max(seconds / steps, 1e-7)

    def room_for_step(self, remaining: float) -> bool:
        """Another step fits in the `remaining` seconds of this slice."""
        return remaining > self.step_time

    def frame_due(self, now: float) -> bool:
        """The fps cap allows a frame at `now`."""
        return now >= self.next_frame_at

    def frame_started(self, now: float, cap: float | None = None) -> None:
        """A frame is built at `now`: the next one is due one frame interval later (at the server's `cap` on the
        frame rate, when it has one below this session's fps: app.sessions.governor)."""
        self.next_frame_at = now + 1.0 / (self.fps if cap is None else min(self.fps, cap))

    def frame_built(self, seconds: float) -> None:
        """Building a frame took `seconds`: update the running estimate of a frame's cost."""
        self.frame_cost = 0.8 * self.frame_cost + 0.2 * seconds
