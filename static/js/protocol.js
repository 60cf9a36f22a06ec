// Reads binary frames as the last `layout` message describes them: typed-array views, no per-value copying.
// Everything comes from `layout`; a shape this page does not know is an error, never a guess.

const READERS = {
  B: (view, offset) => view.getUint8(offset),
  H: (view, offset) => view.getUint16(offset, true),
  I: (view, offset) => view.getUint32(offset, true),
  f: (view, offset) => view.getFloat32(offset, true),
};
const ARRAY_TYPES = { float32: Float32Array, uint8: Uint8Array };

/** `value`, or an error naming what the layout lacks. */
function need(value, what) {
  if (value === undefined || value === null) throw new Error(`the layout has no ${what}`);
  return value;
}

function arrayType(dtype, what) {
  const Type = ARRAY_TYPES[dtype];
  if (!Type) throw new Error(`${what} has dtype ${dtype}, which this page cannot read`);
  return Type;
}

/** One header field's reader: a fixed-length string ("4s") or one little-endian number. */
function headerField({ name, format, offset }) {
  const text = /^(\d+)s$/.exec(format);
  if (!text && !READERS[format]) throw new Error(`header field ${name} has format ${format}, which this page cannot read`);
  return { name, offset: need(offset, `offset for header field ${name}`), length: text ? Number(text[1]) : 0, read: READERS[format] };
}

/** A decoder built once per `layout` message; `decode(buffer)` returns a frame of views into that buffer. */
export class FrameDecoder {
  constructor(layout) {
    this.layout = layout;
    const header = need(layout.header, "header");
    this.magic = need(header.magic, "header magic");
    this.fields = need(header.fields, "header fields").map(headerField);
    this.blocks = need(layout.blocks, "blocks").map((b) => ({ ...b, Type: arrayType(b.dtype, `block ${b.name}`) }));
    const history = need(layout.history, "history");
    this.History = arrayType(history.dtype, "the history");
    this.historyWidth = need(history.columns, "history columns").length;
  }

  /** Decode one binary frame; throws if it does not match this layout. */
  decode(buffer) {
    const view = new DataView(buffer);
    const frame = { buffer };
    for (const f of this.fields) {
      frame[f.name] = f.length ? String.fromCharCode(...new Uint8Array(buffer, f.offset, f.length)) : f.read(view, f.offset);
    }
    if (frame.magic !== this.magic) throw new Error(`bad frame magic ${frame.magic}`);
    for (const b of this.blocks) frame[b.name] = new b.Type(buffer, b.offset, b.nbytes / b.Type.BYTES_PER_ELEMENT);
    const rows = Math.floor((buffer.byteLength - frame.history_offset) / this.History.BYTES_PER_ELEMENT / this.historyWidth);
    if (frame.history_count > rows) throw new Error(`the frame holds ${rows} history rows, its header says ${frame.history_count}`);
    frame.history = new this.History(buffer, frame.history_offset, frame.history_count * this.historyWidth);
    frame.historyWidth = this.historyWidth;
    return frame;
  }
}

/** Per weight layer: {fanIn, fanOut, wOffset, bOffset, activation}, as `layout.network.layers` gives them. */
export function weightLayers(layout) {
  return need(layout.network?.layers, "network layers").map((l) => ({
    fanIn: l.weights.shape[0], fanOut: l.weights.shape[1], wOffset: l.weights.offset, bOffset: l.biases.offset,
    activation: l.activation,
  }));
}
