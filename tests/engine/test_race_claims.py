"""Every race preset's claim over eight seeds (at least 7 of 8, under every BLAS kernel: marker `claims`), and
failing when the lanes trade places, so that it measures the difference between the contestants."""

from __future__ import annotations

import pytest

from app.presets.races import RACES
from engine.race import Race, judge_race

SEEDS = range(8)
NEED = 7


@pytest.mark.claims
@pytest.mark.parametrize("preset", list(RACES))
def test_the_race_claim_holds_on_at_least_7_of_8_seeds(preset: str) -> None:
    verdicts = [RACES[preset].check(seed) for seed in SEEDS]
    missed = [f"seed {seed}: {v.summary()}" for seed, v in zip(SEEDS, verdicts, strict=True) if not v.held]
    assert sum(v.held for v in verdicts) >= NEED, missed


@pytest.mark.claims
@pytest.mark.parametrize("preset", list(RACES))
def test_the_claim_fails_when_the_lanes_trade_places(preset: str) -> None:
    p = RACES[preset]
    swapped = [*p.values[1:], p.values[0]]  # every lane now holds another contestant
    shown = [judge_race(Race({**p.config(), "seed": seed}, p.varied, swapped, p.target), p.claim).held
             for seed in range(3)]  # fmt: skip
    assert not any(shown), shown


def test_race_presets_are_complete_and_start_a_race() -> None:
    for p in RACES.values():
        race = p.race()
        assert [c.value for c in race.contestants] == list(p.values) and race.target == p.target
        assert p.to_json()["config"] == p.config() and p.id.startswith("race-")
