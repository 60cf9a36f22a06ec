"""Graceful degradation of one worker process under load: when even frames cannot keep up, the neuron maps are
refreshed every other frame first, then every session's frame rate is capped, evenly (issue 12).

Frames run before every training slice (app.scheduler), so when frames, their sending and control messages fill
the process, training starves: the signal is the share of the last second that went to training (the scheduler's
NUMERIC and ELASTIC jobs) while sessions want to train. Once a second:
- below STARVED: maps every other frame, or if they are already, a cap on every session's fps at LOWER × the frame
  rate the training sessions achieved, so that training keeps some of the time (it is the elastic part, not nothing);
- above ROOMY for CALM_TICKS seconds in a row: the cap rises by RAISE, and goes once it is above every session's
  own fps; then the maps are refreshed every frame again.
The cap never goes below FLOOR × the frame rate achieved when capping began: when the time goes to sending frames
on the event loop (which the scheduler does not see), fewer frames may not give training more, and the cap must not
spiral down. After a change it waits SETTLE_TICKS seconds before judging again: the second it was made in still
shows the old state, and judging it would lower the cap again and again.
(Neither the frame jobs' queue wait, since frames that fall due together wait for each other with time to spare,
nor the time inside frame builds, since sending a frame costs as much again on the event loop, told overload.)
Sessions read `fps_cap` and `maps_every` when they build a frame, and tell their page (`server_load`) when what
applies to them changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger("playground.governor")

STARVED = 0.05  # share of a second that training got, below which frames have crowded it out
ROOMY = 0.25  # above this, there is room for more frames again
LOWER = 0.9
RAISE = 1.15
CALM_TICKS = 3
SETTLE_TICKS = 1
FLOOR = 0.75
MIN_FPS = 2.0


@dataclass
class Governor:
    """The process's current degradation: `fps_cap` (None: none) and `maps_every` (1 or 2)."""

    fps_cap: float | None = None
    maps_every: int = 1
    frames: int = 0  # frames built since the last tick (sessions count them)
    _calm: int = 0
    _last: float | None = None
    _trained: float = 0.0
    _floor: float = 0.0  # the cap never goes below FLOOR × the frame rate achieved when capping began
    _settle: int = 0  # ticks to wait after a change before judging again (its effect shows a second later)

    def frame_built(self) -> None:
        self.frames += 1

    def tick(self, now: float, fps_wanted: list[float], trained: float) -> None:
        """Once a second: `fps_wanted` is the own fps of each session training at full speed (they always want more
        training, so a small share of it means frames crowded it out), `trained` the scheduler's seconds of training
        jobs so far (NUMERIC and ELASTIC)."""
        elapsed = now - self._last if self._last is not None else 0.0
        share = (trained - self._trained) / elapsed if elapsed > 0 else 1.0
        achieved = self.frames / elapsed / max(1, len(fps_wanted)) if elapsed > 0 else 0.0
        self._last, self._trained, self.frames = now, trained, 0
        before = (self.maps_every, self.fps_cap)
        if self._settle and fps_wanted:
            self._settle -= 1
            return
        self._decide(share, achieved, fps_wanted)
        if (self.maps_every, self.fps_cap) != before:
            self._settle = SETTLE_TICKS
            log.info("training got %.0f %% of the last second (%.1f fps per training session): maps every %d frames, "
                     "frame-rate cap %s", 100 * share, achieved, self.maps_every,
                     "none" if self.fps_cap is None else f"{self.fps_cap:.1f} fps")

    def _decide(self, share: float, achieved: float, fps_wanted: list[float]) -> None:
        if not fps_wanted:
            self.fps_cap, self.maps_every, self._calm = None, 1, 0
        elif share < STARVED:
            self._calm = 0
            if self.maps_every == 1:
                self.maps_every = 2
            elif achieved > 0:
                if self.fps_cap is None:
                    self._floor = max(MIN_FPS, FLOOR * achieved)
                self.fps_cap = max(self._floor, min(self.fps_cap or achieved, achieved) * LOWER)
        elif share > ROOMY:
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
