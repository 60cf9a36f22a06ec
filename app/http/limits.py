"""Admission and abuse limits: the Origin allowlist and the control-message token bucket (session caps: app.slots)."""

from __future__ import annotations

import time
from collections.abc import Mapping

from app.protocol import DEFAULT_FPS, FPS_RANGE
from app.settings import Settings


def allowed_origins(settings: Settings, host: str | None) -> frozenset[str]:
    """The exact origins allowed: the configured list, or else the request's own host over http and https (the Host
    allowlist has vetted it: app.http.hosts) and the public URL's origin (a proxy may pass another Host)."""
    if settings.allowed_origins:
        return frozenset(settings.allowed_origins)
    own = {f"http://{host}", f"https://{host}"} if host else set()
    if settings.public_url:
        own.add(settings.public_url)
    return frozenset(own)


def origin_allowed(origin: str | None, host: str | None, settings: Settings) -> bool:
    """Exact string match against the allowlist; a request without Origin (not a browser) is allowed."""
    if origin is None:
        return True
    return origin in allowed_origins(settings, host)


class TokenBucket:
    """Allows `rate` events per second on average and bursts of `burst`."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, float(burst), clock
        self.tokens = float(burst)
        self.stamp = clock()

    def take(self) -> bool:
        """Spend one token; False when the bucket is empty."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


def default_fps(settings: Settings) -> float:
    """A new session's frame-rate cap: the protocol's default, or the server's cap if that is lower."""
    return min(DEFAULT_FPS, settings.max_fps)


def limits_summary(settings: Settings) -> Mapping[str, float | int]:
    """The limits a client should know about (sent in `hello` and /api/options)."""
    return {
        "max_layers": settings.max_layers,
        "max_neurons": settings.max_neurons,
        "max_points": settings.max_points,
        "max_message_bytes": settings.max_message_bytes,
        "rate_per_second": settings.rate_per_second,
        "rate_burst": settings.rate_burst,
        "idle_timeout": settings.idle_timeout,
        "max_session_seconds": settings.max_session_seconds,
        "max_fps": min(FPS_RANGE[1], settings.max_fps),
    }
