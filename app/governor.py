"""Graceful degradation of one worker process under load: when even frames cannot keep up, the neuron maps are
refreshed every other frame first, then every session's frame rate is capped, evenly (issue 12).

The signal is the share of the process's time spent building frames. Frames run before every training slice, so
when they take most of the time, training has almost none left and the frames themselves start to fall behind.
Once a second the governor looks at the seconds spent in frame builds over the last second:
- above OVERLOADED: maps every other frame, or if they are already, a cap on every session's fps at LOWER × the
  frame rate the training sessions achieved (the rest of the time goes to training, the elastic part);
- below RELAXED for CALM_TICKS seconds in a row: the cap rises by RAISE, and goes once it is above every session's
  own fps; then the maps are refreshed every frame again.
(The queue wait of frame jobs is no signal: frames that fall due together wait for each other a few milliseconds
even when there is plenty of time.) Sessions read `fps_cap` and `maps_every` when they build a frame, and tell their
page (`server_load`) when what applies to them changes.
"""

from __future__ import annotations

from dataclasses import dataclass

OVERLOADED = 0.6  # share of the time spent building frames above which frames crowd training out
RELAXED = 0.35  # below this, there is room again
LOWER = 0.8
RAISE = 1.15
CALM_TICKS = 3
MIN_FPS = 2.0


@dataclass
class Governor:
    """The process's current degradation: `fps_cap` (None: none) and `maps_every` (1 or 2)."""

    fps_cap: float | None = None
    maps_every: int = 1
    frames: int = 0  # frames built since the last tick (sessions count them)
    frame_seconds: float = 0.0  # and the time they took
    _calm: int = 0
    _last: float | None = None

    def frame_built(self, seconds: float) -> None:
        self.frames += 1
        self.frame_seconds += seconds

    def tick(self, now: float, fps_wanted: list[float]) -> None:
        """Once a second: `fps_wanted` is each training session's own fps."""
        elapsed = now - self._last if self._last is not None else 0.0
        share = self.frame_seconds / elapsed if elapsed > 0 else 0.0
        achieved = self.frames / elapsed / max(1, len(fps_wanted)) if elapsed > 0 else 0.0
        self._last, self.frames, self.frame_seconds = now, 0, 0.0
        if not fps_wanted:
            self.fps_cap, self.maps_every, self._calm = None, 1, 0
        elif share > OVERLOADED:
            self._calm = 0
            if self.maps_every == 1:
                self.maps_every = 2
            elif achieved > 0:
                self.fps_cap = max(MIN_FPS, min(self.fps_cap or achieved, achieved) * LOWER)
        elif share < RELAXED:
            self._calm += 1
            if self._calm >= CALM_TICKS:
                self._calm = 0
                if self.fps_cap is not None:
                    raised = self.fps_cap * RAISE
                    self.fps_cap = None if raised >= max(fps_wanted) else raised
                else:
                    self.maps_every = 1
        else:
            self._calm = 0

    def applies(self, fps: float) -> dict[str, float | int | None]:
        """What a session at `fps` gets now: the message fields of `server_load`."""
        cap = self.fps_cap if self.fps_cap is not None and self.fps_cap < fps else None
        return {"fps": None if cap is None else round(cap, 1), "maps_every": self.maps_every}
