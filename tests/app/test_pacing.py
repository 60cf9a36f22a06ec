"""Pacing arithmetic on a bare Pacer: steps owed per slice, slice budgets at speed max, and when work is due."""

from __future__ import annotations

import pytest

from app.sessions.pacing import BURST_FRAMES, CHUNK_SECONDS, MAX_CHUNK, MIN_SLICE, Pacer, cap_delay

T0 = 1000.0


def pacer(speed: float | str = 100.0, fps: float = 60.0) -> Pacer:
    return Pacer(T0, speed=speed, fps=fps)


def test_a_quarter_second_at_100_steps_per_second_owes_25_steps():
    p = pacer(speed=100.0, fps=10.0)
    assert p.steps_due(T0 + 0.25) == 25
    assert p.last_train == T0 + 0.25
    assert p.carry == pytest.approx(0.0)


def test_the_fraction_of_a_step_is_carried_to_the_next_slice():
    p = pacer(speed=10.0, fps=1.0)
    assert p.steps_due(T0 + 0.15) == 1
    assert p.carry == pytest.approx(0.5)
    assert p.steps_due(T0 + 0.20) == 1
    assert p.carry == pytest.approx(0.0)


def test_play_makes_the_first_step_due_at_once():
    p = pacer(speed=2.0)
    p.start(T0 + 5.0)
    assert p.delay(T0 + 5.0, training=True, dirty=False, in_flight=False) == 0.0
    assert p.steps_due(T0 + 5.0) == 1
    assert p.delay(T0 + 5.0, training=True, dirty=False, in_flight=False) == pytest.approx(0.5)


def test_slow_motion_runs_two_steps_per_second():
    p = pacer(speed=2.0, fps=60.0)
    p.start(T0)
    now, steps = T0, 0
    while now < T0 + 10.0:
        now += 1.0 / 60.0
        steps += p.steps_due(now)
    assert steps in (20, 21)


def test_a_late_wake_runs_at_most_four_frames_worth_and_carries_at_most_one_step():
    p = pacer(speed=600.0, fps=60.0)
    assert p.steps_due(T0 + 10.0) == BURST_FRAMES * 600 // 60
    assert p.carry == 1.0


def test_below_one_step_per_frame_a_late_wake_runs_one_step():
    p = pacer(speed=30.0, fps=60.0)
    assert p.steps_due(T0 + 10.0) == 1
    assert p.carry == 1.0


def test_the_next_step_is_due_when_one_whole_step_is_owed_and_the_frame_gate_is_open():
    p = pacer(speed=4.0, fps=60.0)
    p.steps_due(T0)
    assert p.delay(T0 + 0.1, training=True, dirty=False, in_flight=False) == pytest.approx(0.15)
    p.frame_started(T0 + 0.24)
    assert p.delay(T0 + 0.1, training=True, dirty=False, in_flight=False) == pytest.approx(0.14 + 1.0 / 60.0)


def test_a_frame_in_flight_holds_training_back_one_frame_interval():
    p = pacer(speed=1000.0, fps=20.0)
    assert p.delay(T0 + 1.0, training=True, dirty=True, in_flight=True) == pytest.approx(1.0 / 20.0)


def test_at_speed_max_a_training_session_always_has_work():
    p = pacer(speed="max")
    assert p.delay(T0, training=True, dirty=False, in_flight=True) == 0.0


def test_idle_a_changed_view_waits_for_the_frame_gate_and_otherwise_nothing_is_due():
    p = pacer(fps=10.0)
    p.frame_started(T0)
    assert p.delay(T0 + 0.04, training=False, dirty=True, in_flight=False) == pytest.approx(0.06)
    assert p.delay(T0 + 0.04, training=False, dirty=True, in_flight=True) is None
    assert p.delay(T0 + 0.04, training=False, dirty=False, in_flight=False) is None


def test_the_fps_cap_allows_one_frame_per_interval():
    p = pacer(fps=50.0)
    assert p.frame_due(T0)
    p.frame_started(T0)
    assert not p.frame_due(T0 + 0.019)
    assert p.frame_due(T0 + 0.02)


def test_at_speed_max_one_session_gets_the_frame_interval_less_its_frame_cost():
    p = pacer(speed="max", fps=50.0)
    p.frame_cost = 0.004
    assert p.slice_budget(training_sessions=1) == pytest.approx(0.02 - 0.004)
    assert p.slice_budget(training_sessions=0) == pytest.approx(0.02 - 0.004)


def test_at_speed_max_the_frame_interval_is_shared_by_the_sessions_training_now():
    p = pacer(speed="max", fps=50.0)
    p.frame_cost = 0.001
    assert p.slice_budget(training_sessions=4) == pytest.approx(0.02 / 4 - 0.001)


def test_a_slice_never_gets_less_than_min_slice():
    p = pacer(speed="max", fps=60.0)
    p.frame_cost = 0.5
    assert p.slice_budget(training_sessions=1) == MIN_SLICE
    p.frame_cost = 0.0
    assert p.slice_budget(training_sessions=10_000) == MIN_SLICE


def test_a_chunk_is_at_most_chunk_seconds_of_steps_and_at_least_one_step():
    p = pacer(speed="max")
    p.step_time = 1e-4
    assert p.chunk(1.0) == round(CHUNK_SECONDS / 1e-4)
    assert p.chunk(0.0005) == 5
    assert p.chunk(-0.01) == 1
    p.step_time = 1e-9
    assert p.chunk(1.0) == MAX_CHUNK


def test_the_step_time_estimate_follows_measured_chunks():
    p = pacer(speed="max")
    p.step_time = 1e-4
    p.chunk_done(100, 0.02)
    assert p.step_time == pytest.approx(0.7 * 1e-4 + 0.3 * 2e-4)
    assert p.room_for_step(2e-4)
    assert not p.room_for_step(p.step_time)


def test_the_frame_cost_estimate_follows_measured_frames():
    p = pacer()
    p.frame_built(0.01)
    p.frame_built(0.01)
    assert p.frame_cost == pytest.approx(0.2 * 0.01 + 0.8 * 0.2 * 0.01)


def test_a_wait_never_passes_the_wake_by_time():
    assert cap_delay(None, T0, T0 + 30.0) == pytest.approx(30.01)
    assert cap_delay(0.5, T0, T0 + 30.0) == 0.5
    assert cap_delay(60.0, T0, T0 + 30.0) == pytest.approx(30.01)
    assert cap_delay(None, T0, T0 - 5.0) == pytest.approx(0.01)


def test_switching_from_max_to_a_numeric_speed_owes_steps_from_the_last_max_slice_only():
    p = pacer(speed="max", fps=60.0)
    p.start(T0)
    p.ran_at_max(T0 + 5.0)
    p.speed = 600.0
    dt = 1 / 32  # exact in binary, so T0 + 5 + dt - (T0 + 5) == dt
    assert p.steps_due(T0 + 5.0 + dt) == int(600.0 * dt) < int(600.0 / 60.0) * BURST_FRAMES  # not the whole cap
