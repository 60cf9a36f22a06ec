// Reads binary frames as the last `layout` message describes them: typed-array views, no per-value copying.

const STRUCT_SIZES = { x: 1, c: 1, b: 1, B: 1, "?": 1, h: 2, H: 2, i: 4, I: 4, l: 4, L: 4, q: 8, Q: 8, e: 2, f: 4, d: 8, s: 1 };
const DOCUMENTED_HEADER = {
  format: "<4sHHIIIIffffffI",
  fields: ["magic", "protocol", "header_size", "frame", "step", "epoch", "layout_id", "train_loss", "test_loss",
    "train_accuracy", "test_accuracy", "learning_rate", "batch_loss", "history_count"],
};

/** Offsets and readers of each named field of a little-endian Python struct format. */
export function parseStruct(format, fields) {
  const out = [];
  let offset = 0;
  let index = 0;
  const tokens = format.replace(/^[<>=!@]/, "").match(/\d*[a-zA-Z?]/g) || [];
  for (const token of tokens) {
    const code = token.at(-1);
    const count = token.length > 1 ? Number(token.slice(0, -1)) : 1;
    if (code === "x") { offset += count; continue; }
    if (code === "s") {
      out.push({ name: fields[index++], code, offset, count });
      offset += count;
      continue;
    }
    for (let k = 0; k < count; k++) {
      out.push({ name: fields[index++], code, offset });
      offset += STRUCT_SIZES[code];
    }
  }
  return { fields: out, size: offset };
}

function readField(view, { code, offset, count }) {
  switch (code) {
    case "s": return String.fromCharCode(...new Uint8Array(view.buffer, view.byteOffset + offset, count));
    case "b": return view.getInt8(offset);
    case "B": case "?": return view.getUint8(offset);
    case "h": return view.getInt16(offset, true);
    case "H": return view.getUint16(offset, true);
    case "i": case "l": return view.getInt32(offset, true);
    case "I": case "L": return view.getUint32(offset, true);
    case "q": return Number(view.getBigInt64(offset, true));
    case "Q": return Number(view.getBigUint64(offset, true));
    case "f": return view.getFloat32(offset, true);
    case "d": return view.getFloat64(offset, true);
    default: return undefined;
  }
}

const ARRAY_TYPES = {
  float32: Float32Array, f4: Float32Array, "<f4": Float32Array, float64: Float64Array, "<f8": Float64Array,
  uint8: Uint8Array, u1: Uint8Array, "|u1": Uint8Array, int32: Int32Array, "<i4": Int32Array, uint32: Uint32Array,
  "<u4": Uint32Array, uint16: Uint16Array, "<u2": Uint16Array,
};

/** A decoder built once per `layout` message; `decode(buffer)` returns a frame of views into that buffer. */
export class FrameDecoder {
  constructor(layout) {
    this.layout = layout;
    const header = layout.header || DOCUMENTED_HEADER;
    const format = header.format || header.struct || DOCUMENTED_HEADER.format;
    const fields = header.fields || DOCUMENTED_HEADER.fields;
    this.header = parseStruct(format, fields.map((f) => (typeof f === "string" ? f : f.name)));
    this.blocks = (layout.blocks || []).map((b) => ({ ...b, Type: ARRAY_TYPES[b.dtype] || Float32Array }));
    const fixed = this.blocks.filter((b) => b.name !== "history");
    this.historyOffset = layout.history?.offset ?? this.blocks.find((b) => b.name === "history")?.offset
      ?? Math.max(this.header.size, ...fixed.map((b) => b.offset + Math.ceil(b.nbytes / 4) * 4));
    this.historyWidth = layout.history?.columns?.length || this.blocks.find((b) => b.name === "history")?.shape?.at(-1) || 4;
  }

  /** Decode one binary frame; throws if it does not match this layout. */
  decode(buffer) {
    const view = new DataView(buffer);
    const frame = { buffer };
    for (const field of this.header.fields) frame[field.name] = readField(view, field);
    if (frame.magic !== undefined && frame.magic !== "BPPF") throw new Error(`bad frame magic ${frame.magic}`);
    for (const b of this.blocks) {
      if (b.name === "history") continue;
      frame[b.name] = new b.Type(buffer, b.offset, b.nbytes / b.Type.BYTES_PER_ELEMENT);
    }
    const count = frame.history_count || 0;
    const offset = frame.history_offset || this.historyOffset;
    const available = Math.floor((buffer.byteLength - offset) / 4 / this.historyWidth);
    frame.history = new Float32Array(buffer, offset, Math.max(0, Math.min(count, available)) * this.historyWidth);
    frame.historyWidth = this.historyWidth;
    return frame;
  }
}

/** Per weight layer: {fanIn, fanOut, wOffset, bOffset, activation} from whatever `layout.layers` carries. */
export function weightLayers(layout) {
  const info = layout.network?.layers || layout.layers;
  if (Array.isArray(info) && info.length && typeof info[0] === "object") {
    return info.map((l) => {
      const shape = l.weights?.shape || l.W?.shape || [l.fan_in, l.fan_out];
      return {
        fanIn: shape[0], fanOut: shape[1],
        wOffset: l.weights?.offset ?? l.W?.offset, bOffset: l.biases?.offset ?? l.b?.offset,
        activation: l.activation,
      };
    });
  }
  const sizes = info?.sizes || layout.sizes || [];
  const activations = info?.activations || layout.activations || [];
  const out = [];
  let offset = 0;
  for (let i = 0; i + 1 < sizes.length; i++) {
    const fanIn = sizes[i];
    const fanOut = sizes[i + 1];
    out.push({ fanIn, fanOut, wOffset: offset, bOffset: offset + fanIn * fanOut, activation: activations[i] });
    offset += fanIn * fanOut + fanOut;
  }
  return out;
}
