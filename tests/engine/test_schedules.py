"""Schedules against their formulas."""

from __future__ import annotations

import math

import pytest

from engine.optim.schedules import SCHEDULES


def test_constant() -> None:
    assert SCHEDULES["constant"](0, 0.1) == SCHEDULES["constant"](10_000, 0.1) == 0.1


def test_step_halves_every_step_size() -> None:
    s = SCHEDULES["step"]
    assert s(0, 0.1) == s(499, 0.1) == 0.1
    assert s(500, 0.1) == pytest.approx(0.05) and s(1000, 0.1) == pytest.approx(0.025)
    assert s(25, 1.0, step_size=10, gamma=0.1) == pytest.approx(0.01)


def test_exponential() -> None:
    assert SCHEDULES["exponential"](100, 0.2, gamma=0.99) == pytest.approx(0.2 * 0.99**100)


def test_cosine_goes_from_base_to_min_over_t_max() -> None:
    s = SCHEDULES["cosine"]
    assert s(0, 0.1, t_max=100) == pytest.approx(0.1)
    assert s(50, 0.1, t_max=100, min_lr=0.02) == pytest.approx(0.06)
    assert s(100, 0.1, t_max=100, min_lr=0.02) == pytest.approx(0.02)
    assert s(25, 0.1, t_max=100) == pytest.approx(0.05 * (1 + math.cos(math.pi / 4)))


def test_cyclical_triangle() -> None:
    s = SCHEDULES["cyclical"]
    kw = {"max_lr": 0.5, "step_size": 10}
    assert s(0, 0.1, **kw) == pytest.approx(0.1)
    assert s(5, 0.1, **kw) == pytest.approx(0.3)
    assert s(10, 0.1, **kw) == pytest.approx(0.5)
    assert s(15, 0.1, **kw) == pytest.approx(0.3)
    assert s(20, 0.1, **kw) == pytest.approx(0.1)
    assert s(30, 0.1, **kw) == pytest.approx(0.5)


def test_registry_defaults_in_range() -> None:
    for schedule in SCHEDULES.values():
        for p in schedule.params.values():
            assert p.low <= p.default <= p.high
        assert schedule(123, 0.1, **schedule.defaults()) > 0
