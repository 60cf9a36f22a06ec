"""Every server setting, read from PLAYGROUND_* environment variables (one BaseSettings)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.http.hosts import parse_entry
from engine.schema import Limits


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
    public_url: str | None = Field(
        None, description="The address people open, e.g. https://playground.school.example (a hosted instance): its "
        "host is allowed as Host and its origin as WebSocket Origin."
    )
    allowed_hosts: list[str] = Field(
        [], description="Host header allowlist against DNS rebinding: 'name', 'name:port', '*.domain' or '*' (any). "
        "Empty: localhost, 127.0.0.1, [::1] and the bind address with the port (any IP address with the port when "
        "bound to 0.0.0.0 or ::), plus the public URL's host."
    )
    frame_ancestors: str = Field(
        "'self'", description="Who may show the pages in a frame (CSP frame-ancestors), e.g. "
        "\"'self' https://lms.school.example\" to embed the playground in a school's site; 'none' forbids it."
    )
    api_docs: bool = Field(
        False, description="Serve /docs and /redoc (Swagger UI and ReDoc load their scripts from public CDNs, so they "
        "are off by default); /openapi.json is always served."
    )
    allowed_origins: list[str] = Field(
        [], description="Exact WebSocket Origin allowlist; empty means the request's own (allowed) host and the "
        "public URL."
    )
    max_sessions: int = Field(
        200, ge=1, description="WebSocket sessions in the whole server (every worker process together); more get "
        "close 1013."
    )
    max_sessions_per_client: int = Field(
        100, ge=1, description="Sessions per client address in the whole server (a classroom behind one NAT shares "
        "an address)."
    )
    max_layers: int = Field(Limits.max_layers, ge=0, le=32, description="Most hidden layers a network may have.")
    max_neurons: int = Field(Limits.max_neurons, ge=1, le=256, description="Most neurons in one hidden layer.")
    max_points: int = Field(Limits.max_points, ge=10, description="Most data points in a session.")
    max_message_bytes: int = Field(65536, ge=1024, description="Largest WebSocket message accepted (1009 above).")
    rate_per_second: float = Field(50.0, gt=0, description="Control messages per second (token bucket refill).")
    rate_burst: int = Field(100, ge=1, description="Control-message burst (token bucket size); abuse → 1008.")
    idle_timeout: float = Field(1800.0, gt=0, description="Seconds without a control message before close 1001.")
    max_session_seconds: float = Field(4 * 3600.0, gt=0, description="Longest a session may live.")
    send_timeout: float = Field(10.0, gt=0, description="A frame that has not left the server this long after it "
                                "was sent (a reader too slow to serve), or a longer send, ends the session with 1008.")
    shutdown_grace: float = Field(
        5.0, ge=0, le=600, description="On SIGTERM: seconds clients get to take the close frame (1012) before their "
        "connections are cut and the process exits."
    )
    max_fps: float = Field(
        60.0, ge=1, le=60, description="Frame-rate cap of every session; lower it on a slow network "
        "(a 2-8x6-1 frame is ~45 KB: 60 fps is ~2.7 MB/s per student)."
    )
    pool_threads: int = Field(
        2, ge=1, le=64, description="Threads of each worker process's scheduler (training, frames, controls). They "
        "share one interpreter lock, but NumPy lets it go in the larger array operations, so a second thread overlaps "
        "one frame's arithmetic with another's Python (measured: 100 sessions on 2 workers, 2 threads make about a "
        "fifth more frames than 1, and ping stays within 50 ms). Use more --workers to use more cores."
    )
    redis_url: str | None = Field(
        None, description="Redis for classroom rooms across worker processes and hosts, e.g. redis://redis:6379/0 "
        "(the `redis` package: `pip install backprop-playground[redis]`); unset: rooms live in one process."
    )
    room_grace: float = Field(
        120.0, ge=0, le=86400, description="Seconds a classroom room stays open after its teacher's connection is "
        "gone (a reload, a dropped network); the teacher's token joins it again meanwhile."
    )
    room_max_students: int = Field(100, ge=1, le=1000, description="Students in one classroom room.")
    max_rooms: int = Field(50, ge=1, description="Classroom rooms open in one worker process.")
    room_join_failures: int = Field(
        10, ge=1, description="Join attempts with a wrong code a client address may make per minute; then every join "
        "from it is refused until the minute has passed (against guessing codes)."
    )

    @field_validator("allowed_hosts")
    @classmethod
    def _host_entries(cls, entries: list[str]) -> list[str]:
        """Every entry must parse (a port is allowed): refused at start-up, not by a 400 on every request."""
        for entry in entries:
            parse_entry(entry)
        return entries

    @field_validator("frame_ancestors")
    @classmethod
    def _frame_ancestors(cls, value: str) -> str:
        """CSP source expressions separated by spaces: nothing that would end the directive or the header."""
        if not value.strip() or any(c in value for c in ";,\r\n"):
            raise ValueError(f"{value!r} must be CSP sources separated by spaces, e.g. \"'self' https://school.example\"")
        return value.strip()

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, url: str | None) -> str | None:
        """http(s)://host[:port] and nothing more (an empty value means unset)."""
        if not url:
            return None
        url = url.rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
            raise ValueError(f"{url!r} must be http(s)://host[:port], e.g. https://playground.school.example")
        _ = parts.port  # a bad port raises ValueError here
        return url


def get_settings() -> Settings:
    """Settings as the environment gives them now."""
    return Settings()
