"""A challenge's leaderboard: what counts and in which order (app/rooms/challenge.py)."""

from __future__ import annotations

import math

from app.rooms.challenge import Challenge, Rules


def progress(frame: int, value: float, weights: int = 9, metric: str = "test_loss") -> dict:
    return {"frame": frame, metric: value, "weights": weights, "network": "2-2-1 tanh", "step": frame}


def test_target_reached_first_ranks_first_then_best_value_then_nothing():
    c = Challenge(Rules("test_loss", target=0.1), started=100.0)
    for name in ("ann", "bob", "cy", "dee"):
        c.arm(name, 0)
    c.observe("ann", progress(1, 0.3), 101.0)
    c.observe("bob", progress(1, 0.09), 105.0)  # reached at 5 s
    c.observe("cy", progress(1, 0.05), 103.0)  # reached at 3 s
    c.observe("ann", progress(2, 0.2), 104.0)
    c.observe("ann", progress(3, 0.25), 106.0)  # worse: the best stays 0.2 at 4 s
    board = c.leaderboard()
    assert [e["nickname"] for e in board] == ["cy", "bob", "ann", "dee"]
    assert (board[2]["best"], board[2]["at"], board[2]["reached"]) == (0.2, 4.0, None)
    assert board[3]["best"] is None


def test_accuracy_ranks_highest_first_and_frames_before_the_copy_or_over_the_limits_do_not_count():
    c = Challenge(Rules("test_accuracy", max_weights=9, seconds=10.0), started=0.0)
    c.arm("ann", 5)
    c.arm("bob", 0)
    c.observe("ann", progress(5, 0.99, metric="test_accuracy"), 1.0)  # built before the copy
    c.observe("ann", progress(6, 0.7, metric="test_accuracy"), 2.0)
    c.observe("bob", progress(1, 0.95, weights=10, metric="test_accuracy"), 2.0)  # too many weights
    c.observe("bob", progress(2, 0.8, metric="test_accuracy"), 3.0)
    c.observe("bob", progress(3, 0.9, metric="test_accuracy"), 10.5)  # after the time limit
    c.observe("cy", progress(9, 1.0, metric="test_accuracy"), 4.0)  # never copied
    c.observe("ann", progress(7, math.nan, metric="test_accuracy"), 5.0)
    assert [(e["nickname"], e["best"]) for e in c.leaderboard()] == [("bob", 0.8), ("ann", 0.7)]
    assert c.over(10.5) and not c.over(9.9)
