"""The Host header allowlist (against DNS rebinding), as rules parsed once at start-up, and the ASGI middleware.

A DNS-rebinding page makes the browser send `Host: evil.example:PORT` with `Origin: http://evil.example:PORT`:
same-origin as far as the browser knows. Only a Host allowlist refuses it. By default it holds the names this server
is really reached by: `localhost`, `127.0.0.1`, `[::1]` and the bind address with the bound port, the host of
PLAYGROUND_PUBLIC_URL, and, when bound to every interface (0.0.0.0 or ::, as in Docker), any IP address with the
port (a literal address cannot be rebound). PLAYGROUND_ALLOWED_HOSTS replaces the defaults (the public URL stays).
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("uvicorn.error")  # refusals go to the server log uvicorn configures, at info
WILDCARD_BINDS = {"0.0.0.0", "::", "[::]", ""}
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
UNGUARDED_PATHS = {"/healthz"}  # probes (Docker, Kubernetes) reach it by an address; it tells nothing worth stealing
_NAME = re.compile(r"^(\*|\*\.[a-z0-9-]+(\.[a-z0-9-]+)*|[a-z0-9_-]+(\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])$")
ENTRY_HELP = ("a host name or address, optionally with :port (e.g. 'playground.school.example', '127.0.0.1:8708', "
              "'[::1]:8000'), '*.example.org' for every subdomain, or '*' for any host; no scheme, no path")


@dataclass(frozen=True)
class HostRule:
    """One allowed Host: a name (or '*', '*.domain', or the internal 'ip' = any IP address) and a port (None: any)."""

    name: str
    port: int | None = None

    def matches(self, name: str, port: int | None) -> bool:
        """Whether a Host header's (name, port) is allowed; a Host without a port matches on the name alone."""
        if self.port is not None and port is not None and port != self.port:
            return False
        if self.name == "*":
            return True
        if self.name == "ip":
            return is_ip(name)
        if self.name.startswith("*."):
            return name.endswith(self.name[1:])
        return name == self.name


def split_host(value: str) -> tuple[str, int | None] | None:
    """'name[:port]' → (lower-case name, port or None); None when it is not a well-formed host."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[: end + 1], value[end + 1 :]
    else:
        name, sep, rest = value.partition(":")
        rest = sep + rest
    port = None
    if rest:
        if not rest.startswith(":") or not rest[1:].isdigit() or not 0 < int(rest[1:]) < 65536:
            return None
        port = int(rest[1:])
    if not _NAME.match(name):
        return None
    return name, port


def is_ip(name: str) -> bool:
    """Whether a Host name is a literal IPv4 or [IPv6] address."""
    try:
        ipaddress.ip_address(name[1:-1] if name.startswith("[") else name)
    except ValueError:
        return False
    return True


def parse_entry(entry: str) -> HostRule:
    """One PLAYGROUND_ALLOWED_HOSTS entry as a rule; ValueError with what is allowed when it is malformed."""
    parsed = split_host(entry)
    if parsed is None or "/" in entry:
        raise ValueError(f"{entry!r} is not a host: use {ENTRY_HELP}")
    return HostRule(*parsed)


def public_host(url: str) -> HostRule:
    """The Host rule of PLAYGROUND_PUBLIC_URL (its port if it names one, else any)."""
    parts = urlsplit(url)
    return HostRule(parts.hostname if ":" not in (parts.hostname or "") else f"[{parts.hostname}]", parts.port)


def host_rules(allowed_hosts: Iterable[str], bind_host: str, port: int, public_url: str | None) -> tuple[HostRule, ...]:
    """The allowlist: the configured entries, or else the defaults (module docstring); plus the public URL's host."""
    rules = [parse_entry(entry) for entry in allowed_hosts]
    if not rules:
        bound = port or None  # port 0: the kernel picks one, so any
        rules = [HostRule(name, bound) for name in LOOPBACK_NAMES]
        bind = bind_host.strip().lower()
        if bind in WILDCARD_BINDS:
            rules.append(HostRule("ip", bound))
        else:
            parsed = split_host(f"[{bind}]" if ":" in bind and not bind.startswith("[") else bind)
            if parsed is not None:
                rules.append(HostRule(parsed[0], bound))
    if public_url:
        rules.append(public_host(public_url))
    return tuple(dict.fromkeys(rules))


def host_allowed(host_header: str | None, rules: Iterable[HostRule]) -> bool:
    """Whether a request's Host header is on the allowlist (a missing or malformed one never is)."""
    parsed = split_host(host_header) if host_header else None
    if parsed is None:
        return False
    return any(rule.matches(*parsed) for rule in rules)


class HostGuard:
    """ASGI middleware: a request whose Host is not allowed gets 400 (HTTP) or 403 before accept (WebSocket, logged
    once at info with the reason). Replaces Starlette's TrustedHostMiddleware, which ignores ports in the allowlist's
    entries (so 'name:port' refused everything) and answers a WebSocket with a response uvicorn logs as an error."""

    def __init__(self, app: ASGIApp, rules: tuple[HostRule, ...]) -> None:
        self.app, self.rules = app, rules
        self.allow_any = any(rule.name == "*" and rule.port is None for rule in rules)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allow_any or scope["type"] not in ("http", "websocket") or scope["path"] in UNGUARDED_PATHS:
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
        if host_allowed(host, self.rules):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            client = scope.get("client") or ("?", 0)
            log.info("refused a WebSocket upgrade from %s: Host %r is not allowed (PLAYGROUND_ALLOWED_HOSTS, "
                     "PLAYGROUND_PUBLIC_URL)", client[0], host)
            await send({"type": "websocket.close", "code": 1008})  # before accept: uvicorn answers HTTP 403
            return
        await PlainTextResponse("Invalid host header", status_code=400)(scope, receive, send)
