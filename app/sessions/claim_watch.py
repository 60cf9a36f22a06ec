"""A session's watch over its own run for the loaded preset's claim (`watch_claim` → `claim` messages).

The watch starts on the preset's own run at step 0, sees every step through the trainer's `on_step` hook, and is
judged by the same code as the tests and `python -m app.presets check` once the run reaches the claim's horizon or
stops (diverged, early stopped). A change that makes the run no longer the preset's (a setting, the data, the
weights, a reset) drops the watch and says why; speed and fps are not the run's and do not.
"""

from __future__ import annotations

from typing import Any

from app.presets import PRESETS, Preset
from engine.config import DEFAULT_CONFIG, ConfigError, validate
from engine.lessons.claims import Watch
from engine.trainer import Trainer


class ClaimWatch:
    """One preset's claim watched over one trainer's run."""

    def __init__(self, preset: Preset, trainer: Trainer, pause: bool) -> None:
        self.preset, self.pause = preset, pause
        self.seed = trainer.config["seed"]
        self._watch = Watch(preset.claim, trainer, halt=pause)

    @classmethod
    def start(cls, preset_id: str, trainer: Trainer, pause: bool) -> ClaimWatch:
        """Watch `trainer` for the preset's claim; ConfigError on `preset` unless it is the preset's own run."""
        preset = PRESETS[preset_id]
        if trainer.step != 0:
            raise ConfigError("preset", f"the claim is judged on a run from step 0, and this one is at step "
                              f"{trainer.step}: load the preset again (it resets) or reset first")
        wanted = validate(DEFAULT_CONFIG, preset.trainer_config(trainer.config["seed"]), trainer.limits)
        differ = [key for key in wanted if wanted[key] != trainer.config.get(key)]
        if differ:
            key = differ[0]
            raise ConfigError("preset", f"the claim is about the preset's own settings: {key} is "
                              f"{trainer.config.get(key)!r} here and {wanted[key]!r} in preset {preset_id!r}")
        return cls(preset, trainer, pause)

    def _message(self, status: str, **fields: Any) -> dict[str, Any]:
        claim = self.preset.claim
        return {"type": "claim", "status": status, "preset": self.preset.id, "claim": claim.text,
                "horizon": claim.horizon, **fields}  # fmt: skip

    def started(self) -> dict[str, Any]:
        return self._message("watching", step=0, pause=self.pause)

    @property
    def decided(self) -> bool:
        return self._watch.done

    def verdict(self) -> dict[str, Any]:
        """The `claim` message with the verdict (runs the presets it is compared with, from the same seed)."""
        self._watch.detach()
        verdict = self.preset.verdict(self._watch.run(), self.seed)
        status = "shown" if verdict.held else "not_shown"
        extra = {} if verdict.held else {"try_instead": self.preset.claim.try_instead or self.preset.try_next}
        return self._message(status, **verdict.to_json(), **extra)

    def drop(self, reason: str) -> dict[str, Any]:
        """Stop watching: the run is no longer the preset's."""
        self._watch.detach()
        return self._message("dropped", reason=reason)
