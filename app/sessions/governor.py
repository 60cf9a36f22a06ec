"""Graceful degradation of one worker process under load: when even frames cannot keep up, the neuron maps are
refreshed every other frame first, then every session's frame rate is capped, evenly (issue 12).

Frames first: under load training slows down, never the picture. Frames run before every training slice
(app.sessions.scheduler) and a full-speed session's frame job trains a short slice of its own, so every frame shows
progress
however little time is left for the elastic training. The signal is therefore the frames themselves: the rate the
sessions training at full speed achieved, against the rate they want (their own fps, or the cap), while the process
is short of time: training (the scheduler's NUMERIC and ELASTIC jobs, which sessions at full speed always want more
of) got less than ROOMY of the second. (Frames that lag while training gets time to spare lag for another reason,
slow clients or a frame rate above what the page reads, and fewer frames would not help.) Once a second:
- below LAG × wanted and short of time: maps every other frame; if they are already, a cap on every session's fps
  at HEADROOM × the rate achieved. The cap sits above what the process achieves, so it never slows frames down: it
  keeps a session that asks for more frames from taking them from the others (every session gets the same rate; the
  queue serves due frames first come, first served, so none is starved), and it is what the page is told. While
  frames lag, it follows the rate achieved each second, down and up;
- otherwise, for CALM_TICKS seconds in a row: the cap rises by RAISE, and goes once it is above every session's
  own fps; then the maps are refreshed every frame again.
After a change it waits SETTLE_TICKS seconds before judging again: the second it was made in still shows the old
state.
(A cap below the rate achieved, 0.95 × it, was measured to spiral: frames paced at the cap come a little slower than
the cap, so the next second's rate was lower again, down to a floor; with 100 sessions on two processes it held them
at 15-20 fps where the same processes without a cap made 24-27.)
(An earlier version capped frames when training got under 5 % of a second, to keep training some time: that traded
the picture for steps, the opposite of frames first, and cost about a tenth of the frame rate under full load.)
Sessions read `fps_cap` and `maps_every` when they build a frame, and tell their page (`server_load`) when what
applies to them changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger("playground.governor")

LAG = 0.9  # frames achieved below this share of the rate wanted: frames cannot keep up
HEADROOM = 1.2  # the cap over the rate achieved: a ceiling for evenness, never below what the process does
ROOMY = 0.25  # share of a second that training got, above which the process has time to spare
RAISE = 1.15
CALM_TICKS = 3
SETTLE_TICKS = 1
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
    _settle: int = 0  # ticks to wait after a change before judging again (its effect shows a second later)

    def frame_built(self) -> None:
        self.frames += 1

    def tick(self, now: float, fps_wanted: list[float], trained: float) -> None:
        """Once a second: `fps_wanted` is the own fps of each session training at full speed (a numeric speed or a
        pause shows frames only when something changed, so they do not say whether frames keep up), `trained` the
        scheduler's seconds of training jobs so far (NUMERIC and ELASTIC)."""
        elapsed = now - self._last if self._last is not None else 0.0
        share = (trained - self._trained) / elapsed if elapsed > 0 else 1.0
        achieved = self.frames / elapsed / max(1, len(fps_wanted)) if elapsed > 0 else 0.0
        self._last, self._trained, self.frames = now, trained, 0
        before = (self.maps_every, self.fps_cap)
        if self._settle and fps_wanted:
            self._settle -= 1
            return
        self._decide(achieved, fps_wanted, share)
        if (self.maps_every, self.fps_cap) != before:
            self._settle = SETTLE_TICKS
            log.info("frames at %.1f fps per full-speed session: maps every %d frames, frame-rate cap %s", achieved,
                     self.maps_every, "none" if self.fps_cap is None else f"{self.fps_cap:.1f} fps")

    def _decide(self, achieved: float, fps_wanted: list[float], share: float) -> None:
        if not fps_wanted:
            self.fps_cap, self.maps_every, self._calm = None, 1, 0
            return
        wanted = sum(min(fps, self.fps_cap or fps) for fps in fps_wanted) / len(fps_wanted)
        if achieved < LAG * wanted and share < ROOMY:
            self._calm = 0
            if self.maps_every == 1:
                self.maps_every = 2
            elif achieved > 0:
                self.fps_cap = max(MIN_FPS, achieved * HEADROOM)  # from what was achieved, not the old cap
            return
        self._calm += 1
        if self._calm >= CALM_TICKS:
            self._calm = 0
            if self.fps_cap is not None:
                raised = self.fps_cap * RAISE
                self.fps_cap = None if raised >= max(fps_wanted) else raised
            else:
                self.maps_every = 1

    def applies(self, fps: float) -> dict[str, float | int | None]:
        """What a session at `fps` gets now: the message fields of `server_load`."""
        cap = self.fps_cap if self.fps_cap is not None and self.fps_cap < fps else None
        return {"fps": None if cap is None else round(cap, 1), "maps_every": self.maps_every}
