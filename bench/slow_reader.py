"""A slow reader's view: how old is each frame a client reading one frame a second receives?

    .venv/bin/python bench/slow_reader.py                       # starts its own server process on a free port
    .venv/bin/python bench/slow_reader.py --url ws://127.0.0.1:8000/ws --reads 30 --max-queue 16

The session trains the 2-8x6-1 network (~45 KB frames) at a fixed speed, so its step is a clock: a frame built at
time t carries step ≈ speed · t. The first frame is read at once (it is fresh) and fixes the clock's offset; then the
client reads one message a second and a frame's age is (now − start) − step / speed − offset. `--max-queue` is the
client library's own queue of received messages (websockets' default is 16: a client that reads slowly with it holds
up to 16 old frames itself, whatever the server does); `--rcvbuf` its socket's receive buffer, which holds frames too;
`--raw` reads from a bare socket exactly one message at a time, so the ages are what the server let through.
Loopback only, bounded in reads. Figures, not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import struct
import time
from urllib.parse import urlparse

from load import HeaderReader
from stream import serving

MAX_READS = 120


def counters(header: HeaderReader, opcode_text: bool, payload: bytes | str) -> tuple[int, int] | None:
    """(step, state) of a frame, or None for a text message (a `layout` teaches `header` where they are)."""
    if opcode_text:
        reply = json.loads(payload)
        if reply.get("type") == "layout":
            header.learn(reply)
        return None
    return header.read(payload)


async def read_slowly(url: str, speed: float, reads: int, interval: float, max_queue: int,
                      rcvbuf: int | None) -> dict:
    """Play at `speed` steps/s, read one message every `interval` s; each frame's age and how the session ended."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    ages: list[float] = []
    closed = None
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    parts = urlparse(url)
    sock.connect((parts.hostname, parts.port or 80))
    sock.setblocking(False)
    async with connect(url, max_size=None, compression=None, max_queue=max_queue, sock=sock) as ws:
        await ws.send(json.dumps({"type": "config", "layers": [8] * 6, "batch_size": 10, "speed": speed}))
        await ws.send(json.dumps({"type": "play"}))
        header = HeaderReader("step", "state")
        offset = None
        start = time.monotonic()
        try:
            while offset is None:  # read at full speed until the first training frame: it is fresh
                message = await ws.recv()
                if (read := counters(header, isinstance(message, str), message)) and read[1] == 1:
                    offset = (time.monotonic() - start) - read[0] / speed
            while len(ages) < reads:
                await asyncio.sleep(interval)
                message = await ws.recv()
                if read := counters(header, isinstance(message, str), message):
                    ages.append((time.monotonic() - start) - read[0] / speed - offset)
        except ConnectionClosed as exc:
            closed = {"code": exc.rcvd.code, "reason": exc.rcvd.reason} if exc.rcvd else {"code": 1006, "reason": ""}
    return {
        "reads": len(ages),
        "age_s_median": statistics.median(ages) if ages else None,
        "age_s_max": max(ages) if ages else None,
        "ages_s": [round(a, 2) for a in ages],
        "closed": closed,
    }


def read_raw(url: str, speed: float, reads: int, interval: float, rcvbuf: int | None) -> dict:
    """As read_slowly, from a bare socket that reads exactly one WebSocket message at a time (no library buffers)."""
    import base64
    import os

    parts = urlparse(url)
    sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=30)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1)

    def exactly(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def message() -> tuple[int, bytes]:
        first, length = exactly(2)
        length &= 0x7F
        if length >= 126:
            (length,) = struct.unpack("!H" if length == 126 else "!Q", exactly(2 if length == 126 else 8))
        return first & 0x0F, exactly(length)

    def send(obj: dict) -> None:
        payload, mask = json.dumps(obj).encode(), os.urandom(4)
        sock.sendall(struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask
                     + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    send({"type": "config", "layers": [8] * 6, "batch_size": 10, "speed": speed})
    send({"type": "play"})
    header = HeaderReader("step", "state")
    start = time.monotonic()
    ages: list[float] = []
    closed = None
    try:
        while True:  # at full speed up to the first training frame: it is fresh
            opcode, payload = message()
            if opcode in (1, 2) and (read := counters(header, opcode == 1, payload)) and read[1] == 1:
                offset = (time.monotonic() - start) - read[0] / speed
                break
        while len(ages) < reads:
            time.sleep(interval)
            opcode, payload = message()
            if opcode == 8:
                closed = {"code": struct.unpack("!H", payload[:2])[0], "reason": payload[2:].decode()}
                break
            if opcode in (1, 2) and (read := counters(header, opcode == 1, payload)):
                ages.append((time.monotonic() - start) - read[0] / speed - offset)
    except (ConnectionError, OSError) as exc:
        closed = {"code": 1006, "reason": repr(exc)}
    sock.close()
    return {"reads": len(ages), "age_s_median": statistics.median(ages) if ages else None,
            "age_s_max": max(ages) if ages else None, "ages_s": [round(a, 2) for a in ages], "closed": closed}


def main() -> None:
    """Run the reader and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="ws://127.0.0.1:port/ws of a running server (default: start one)")
    parser.add_argument("--reads", type=int, default=20, help="frames to read (default %(default)s)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between reads (default %(default)s)")
    parser.add_argument("--speed", type=float, default=200.0, help="training steps/s (default %(default)s)")
    parser.add_argument("--max-queue", type=int, default=1, help="the client library's message queue (default 1)")
    parser.add_argument("--rcvbuf", type=int, help="the client socket's SO_RCVBUF (default: the system's)")
    parser.add_argument("--raw", action="store_true", help="a bare socket reading one message at a time")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.url is not None and urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("loopback only: the URL must point at 127.0.0.1 or localhost")
    with serving(args.url) as url:
        reads = max(1, min(args.reads, MAX_READS))
        if args.raw:
            result = read_raw(url, args.speed, reads, args.interval, args.rcvbuf)
        else:
            result = asyncio.run(read_slowly(url, args.speed, reads, args.interval, args.max_queue, args.rcvbuf))
    client = "raw socket" if args.raw else f"websockets, max_queue {args.max_queue}"
    result.update(interval_s=args.interval, client=client, rcvbuf=args.rcvbuf,
                  network="2-8x6-1 (~45 KB frames)")
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>14}: {value:.2f}" if isinstance(value, float) else f"{key:>14}: {value}")


if __name__ == "__main__":
    main()
