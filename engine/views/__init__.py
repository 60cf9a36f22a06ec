"""Readings of a run: metrics, one neuron's math, hidden-layer space, the timeline, the loss landscape, step
statistics and the monitor.
"""
