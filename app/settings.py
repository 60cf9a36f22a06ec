"""Every server setting, read from PLAYGROUND_* environment variables (one BaseSettings)."""

from __future__ import annotations

import os

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Server configuration; each field is also the environment variable PLAYGROUND_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="PLAYGROUND_", extra="ignore")

    host: str = Field("127.0.0.1", description="Address to bind.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port to bind.")
    workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes.")
    reload: bool = Field(False, description="Restart on source changes (development only).")
    log_level: str = Field("info", description="uvicorn log level.")
    proxy_headers: bool = Field(False, description="Trust X-Forwarded-* headers (behind a reverse proxy).")
    forwarded_allow_ips: str = Field("127.0.0.1", description="Proxies whose X-Forwarded-* headers are trusted.")
    allowed_hosts: list[str] = Field(["*"], description="Host header allowlist (TrustedHostMiddleware).")
    allowed_origins: list[str] = Field(
        [], description="Exact WebSocket Origin allowlist; empty means only the request's own host."
    )
    max_sessions: int = Field(200, ge=1, description="WebSocket sessions per process; more get close 1013.")
    max_sessions_per_client: int = Field(
        100, ge=1, description="Sessions per client address (a classroom behind one NAT shares an address)."
    )
    max_layers: int = Field(8, ge=0, le=32, description="Most hidden layers a network may have.")
    max_neurons: int = Field(16, ge=1, le=256, description="Most neurons in one hidden layer.")
    max_points: int = Field(5000, ge=10, description="Most data points in a session.")
    max_message_bytes: int = Field(65536, ge=1024, description="Largest WebSocket message accepted (1009 above).")
    rate_per_second: float = Field(50.0, gt=0, description="Control messages per second (token bucket refill).")
    rate_burst: int = Field(100, ge=1, description="Control-message burst (token bucket size); abuse → 1008.")
    idle_timeout: float = Field(1800.0, gt=0, description="Seconds without a control message before close 1001.")
    max_session_seconds: float = Field(4 * 3600.0, gt=0, description="Longest a session may live.")
    send_timeout: float = Field(10.0, gt=0, description="A send that takes longer ends the session (watchdog).")
    shutdown_grace: float = Field(
        5.0, ge=0, le=600, description="On SIGTERM: seconds clients get to take the close frame (1012) before their "
        "connections are cut and the process exits."
    )
    max_fps: float = Field(
        60.0, ge=1, le=60, description="Frame-rate cap of every session; lower it on a slow network "
        "(a 2-8x6-1 frame is ~45 KB: 60 fps is ~2.7 MB/s per student)."
    )
    pool_threads: int = Field(
        max(2, min(8, os.cpu_count() or 2)), ge=1, description="Training threads shared by all sessions."
    )


def get_settings() -> Settings:
    """Settings as the environment gives them now."""
    return Settings()
