"""Optimizers (each only its update rule), what they share, the state a student can read, learning-rate schedules."""
