"""Latest frame wins, end to end (issue 11 #3), over real uvicorn: a slow reader gets fresh frames at a lower rate, and
a reader too slow to serve is closed with 1008 and a reason."""

from __future__ import annotations

import json
import socket
import struct

import pytest
from websockets.exceptions import ConnectionClosed

from tests.app.test_limits import masked_text, raw_handshake
from tests.app.test_protocol import HEADER_FORMAT, HEADER_NAMES, Client, poll_until

pytestmark = pytest.mark.timeout(90)

SLOW_SPEED = 200  # steps a second: the server's step is the reader's clock
SLOW_READS = 8


def slow_reader(url: str, port: int) -> Client:
    """A client that holds little of its own: a small receive buffer and a library queue of one."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    sock.connect(("127.0.0.1", port))
    return Client(url, max_queue=1, sock=sock)


def read_message(sock: socket.socket) -> tuple[int, bytes]:
    """Exactly one server → client WebSocket message from a raw socket (unmasked, unfragmented): opcode, payload."""

    def exactly(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            assert chunk, "the server closed the connection"
            data += chunk
        return data

    first, length = exactly(2)
    length &= 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", exactly(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", exactly(8))
    return first & 0x0F, exactly(length)


def test_a_reader_of_one_frame_a_second_gets_fresh_frames(server):
    # A bare socket that reads exactly one message at a time: what it receives is what the server let through.
    sock = raw_handshake(int(server.url.rsplit(":", 1)[1]), rcvbuf=8192)
    sock.sendall(masked_text(json.dumps({"type": "config", "speed": SLOW_SPEED, "layers": [8] * 6})))  # 45 KB frames
    sock.sendall(masked_text(json.dumps({"type": "play"})))
    opcode, payload = read_message(sock)
    session = server.app.state.sessions[json.loads(payload)["session"]]
    while not (opcode == 2 and struct.unpack_from(HEADER_FORMAT, payload)[HEADER_NAMES.index("state")] == 1):
        opcode, payload = read_message(sock)  # at full speed up to the first training frame
    ages = []
    while len(ages) < SLOW_READS:
        mark = session.trainer.step
        poll_until(lambda m=mark: session.trainer.step >= m + SLOW_SPEED, timeout=30)  # "a second" later
        opcode, payload = read_message(sock)
        header = dict(zip(HEADER_NAMES, struct.unpack_from(HEADER_FORMAT, payload), strict=True)) \
            if opcode == 2 else None
        if header and header["state"] == 1:
            ages.append((session.trainer.step - header["step"]) / SLOW_SPEED)  # vs the server's newest state
    sock.close()
    # Before frames waited for the peer to take them, every read was a second older than the last (8 s here).
    assert max(ages) <= 1.6, ages


def test_a_reader_too_slow_to_serve_gets_1008_with_a_reason(make_server):
    srv = make_server(send_timeout=1.0)
    with slow_reader(srv.ws_url, int(srv.url.rsplit(":", 1)[1])) as c:
        c.frame()
        c.send(type="config", speed="max", layers=[8] * 6)
        c.send(type="play")
        c.frame(lambda f: f["state"] == 1)
        poll_until(lambda: not srv.app.state.sessions, timeout=30)  # not reading: no frame is taken for 1 s
        with pytest.raises(ConnectionClosed) as closed:
            while True:  # a client that reads again finds the close frame behind the frames it missed
                c.receive(timeout=10)
    assert closed.value.rcvd is not None, "a close frame, not a reset"
    assert closed.value.rcvd.code == 1008 and "too slow" in closed.value.rcvd.reason


def test_sockets_send_at_once_behind_uvicorns_own_listening_socket():
    """With `--workers` 2 or more uvicorn binds the listening socket itself, with protocol number 0, and asyncio then
    leaves Nagle's algorithm on: a pong waited for the client's (delayed) ACK of the frame before it. Served here from
    uvicorn's own socket (Config.bind_socket, as its multi-worker path does), the server's end of a WebSocket has
    TCP_NODELAY set."""
    import gc
    import threading

    import uvicorn

    from app.cli import uvicorn_options
    from app.http.wsprotocol import PlaygroundWebSocketProtocol
    from app.main import create_app
    from app.settings import Settings
    from tests.conftest import free_port

    settings = Settings(host="127.0.0.1", port=free_port(), log_level="warning")
    options = uvicorn_options(settings)
    for key in ("factory", "workers", "reload"):
        options.pop(key)
    config = uvicorn.Config(create_app(settings), **options)
    listening = config.bind_socket()
    assert listening.proto == 0  # what makes asyncio skip TCP_NODELAY
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        poll_until(lambda: server.started, timeout=15)
        with Client(f"ws://127.0.0.1:{settings.port}/ws") as c:
            c.send(type="ping", id=1)
            assert c.json("pong")["id"] == 1
            ends = [o for o in gc.get_objects() if type(o) is PlaygroundWebSocketProtocol and not o.disconnected
                    and o.transport.get_extra_info("sockname")[1] == settings.port]  # this server's, not others
            assert len(ends) == 1
            sock = ends[0].transport.get_extra_info("socket")
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        server.should_exit = True
        thread.join(timeout=15)
