"""The page reads frames from `layout` alone: a real frame decoded in Chromium by static/js/protocol.js matches the
server's own struct, a made-up layout with another header is read just as well, and a shape it does not know is an
error the page shows."""

from __future__ import annotations

import base64
import struct

import numpy as np

from app.sessions.frames import HEADER, HEADER_NAMES

DECODE_LIVE = """async (url) => {
  const { FrameDecoder } = await import('/static/js/protocol.js');
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  let layout = null;
  const frame = await new Promise((resolve, reject) => {
    ws.onmessage = (event) => {
      if (typeof event.data === 'string') {
        const message = JSON.parse(event.data);
        if (message.type === 'layout') layout = message;
      } else if (layout) resolve(event.data);
    };
    ws.onerror = () => reject(new Error('socket failed'));
  });
  ws.close();
  const decoded = new FrameDecoder(layout).decode(frame);
  const header = Object.fromEntries(layout.header.fields.map((f) => [f.name, decoded[f.name]]));
  const bytes = btoa(String.fromCharCode(...new Uint8Array(frame)));
  return { layout, header, bytes, params: [...decoded.params], history: [...decoded.history],
           output: [...decoded.output_grid.slice(0, 50)] };
}"""

DECODE = """async ([layout, bytes]) => {
  const { FrameDecoder } = await import('/static/js/protocol.js');
  const buffer = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0)).buffer;
  try {
    const frame = new FrameDecoder(layout).decode(buffer);
    const out = {};
    for (const [k, v] of Object.entries(frame)) if (k !== 'buffer') out[k] = ArrayBuffer.isView(v) ? [...v] : v;
    return out;
  } catch (err) { return { error: err.message }; }
}"""


def test_a_live_frame_read_in_chromium_from_layout_alone_matches_the_servers_struct(playground, server):
    pg = playground.open()
    got = pg.page.evaluate(DECODE_LIVE, server.ws_url)
    raw = base64.b64decode(got["bytes"])
    layout = got["layout"]
    expected = dict(zip(HEADER_NAMES, HEADER.unpack_from(raw), strict=True))
    expected["magic"] = expected["magic"].decode()
    assert got["header"].keys() == expected.keys()
    for name, value in expected.items():
        np.testing.assert_equal(got["header"][name], value, err_msg=name)  # NaN equals NaN here
    assert got["header"]["layout_id"] == layout["layout_id"]
    blocks = {b["name"]: b for b in layout["blocks"]}
    params = np.frombuffer(raw, np.float32, blocks["params"]["nbytes"] // 4, blocks["params"]["offset"])
    sizes = layout["network"]["sizes"]
    assert got["params"] == params.tolist()
    assert len(params) == sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False))
    output = np.frombuffer(raw, np.uint8, 50, blocks["output_grid"]["offset"])
    assert got["output"] == output.tolist()
    rows = expected["history_count"] * len(layout["history"]["columns"])
    assert got["history"] == np.frombuffer(raw, np.float32, rows, expected["history_offset"]).tolist()
    assert len(raw) == expected["history_offset"] + 4 * rows


def made_up_frame():
    """A layout the server never sends (its own header order, offsets and blocks) and a frame in it."""
    layout = {
        "header": {"magic": "TEST", "fields": [
            {"name": "magic", "format": "4s", "offset": 0}, {"name": "history_offset", "format": "I", "offset": 4},
            {"name": "step", "format": "I", "offset": 8}, {"name": "history_count", "format": "H", "offset": 12},
            {"name": "state", "format": "B", "offset": 14}, {"name": "train_loss", "format": "f", "offset": 16},
        ]},
        "blocks": [{"name": "params", "dtype": "float32", "shape": [3], "offset": 20, "nbytes": 12},
                   {"name": "maps", "dtype": "uint8", "shape": [5], "offset": 32, "nbytes": 5}],
        "history": {"dtype": "float32", "columns": ["step", "loss"]},
    }
    head = struct.pack("<4sIIHBxf", b"TEST", 40, 77, 2, 1, 0.25)
    body = np.array([1.5, -2.0, 3.25], np.float32).tobytes() + bytes([9, 8, 7, 6, 5]) + b"\0" * 3
    history = np.array([10, 0.5, 20, 0.25], np.float32).tobytes()
    return layout, head + body + history


def test_a_made_up_layout_is_read_as_it_says(playground):
    pg = playground.open()
    layout, frame = made_up_frame()
    got = pg.page.evaluate(DECODE, [layout, base64.b64encode(frame).decode()])
    assert "error" not in got, got
    header = (got["magic"], got["history_offset"], got["step"], got["history_count"], got["state"])
    assert header == ("TEST", 40, 77, 2, 1)
    assert got["train_loss"] == 0.25 and got["params"] == [1.5, -2.0, 3.25] and got["maps"] == [9, 8, 7, 6, 5]
    assert got["history"] == [10, 0.5, 20, 0.25] and got["historyWidth"] == 2


def test_a_shape_the_page_does_not_know_is_an_error_not_a_guess(playground):
    pg = playground.open()
    layout, frame = made_up_frame()
    encoded = base64.b64encode(frame).decode()
    cases = {
        "dtype float16": {**layout, "blocks": [{**layout["blocks"][0], "dtype": "float16"}]},
        "format d": {**layout, "header": {**layout["header"], "fields": [*layout["header"]["fields"],
                                                                        {"name": "x", "format": "d", "offset": 0}]}},
        "no history": {k: v for k, v in layout.items() if k != "history"},
        "bad frame magic": {**layout, "header": {**layout["header"], "magic": "BPPF"}},
    }
    for expected, broken in cases.items():
        got = pg.page.evaluate(DECODE, [broken, encoded])
        assert expected in got.get("error", ""), (expected, got)
