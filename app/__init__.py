"""Backprop Playground server: FastAPI app that streams a NumPy trainer over WebSockets."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("backprop-playground")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
