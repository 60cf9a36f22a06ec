"""Lessons: the worked example, backprop as steps, one point traced through a live network, claims as code, gradient
checking.
"""
