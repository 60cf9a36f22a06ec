// The race panel: 2–4 contestants from one start that differ in one setting (`race_start`, engine/race.py), their
// loss curves overlaid, each one's output map as a small multiple, the finish line and the winner. Race frames
// (magic BPPR) are decoded from the `race` message's layout alone (docs/protocol.md, "Race frame").
//
//   const race = mountRace(section, { send, dark, fetchRaces });
//   race.handleMessage(message) — true for `race` (and errors of its own requests); race.frame(buffer)

import { classColor, classLut, rangeLut } from "./colors.js";
import { h } from "./lesson-steps.js";

const READERS = {
  B: (v, o) => v.getUint8(o), H: (v, o) => v.getUint16(o, true), I: (v, o) => v.getUint32(o, true),
  f: (v, o) => v.getFloat32(o, true),
};
const CHART_W = 420;
const CHART_H = 200;
const MULTIPLE_PX = 120;

/** A struct of the layout (`{fields}`) read at byte `base` of a DataView: {name: value}; strings for "4s". */
function readStruct(view, base, { fields }) {
  const out = {};
  for (const { name, format, offset } of fields) {
    const text = /^(\d+)s$/.exec(format);
    if (text) out[name] = String.fromCharCode(...new Uint8Array(view.buffer, base + offset, Number(text[1])));
    else if (READERS[format]) out[name] = READERS[format](view, base + offset);
    else throw new Error(`race field ${name} has format ${format}, which this page cannot read`);
  }
  return out;
}

/** One race frame → header fields, `lanes` records, `grids` (per lane, uint8) and `history` (rows × lanes × 3). */
export function decodeRace(buffer, layout) {
  const view = new DataView(buffer);
  const frame = readStruct(view, 0, layout.header);
  if (frame.magic !== layout.magic) throw new Error(`bad race frame magic ${frame.magic}`);
  frame.lanes_ = [];
  for (let i = 0; i < frame.lanes; i++) frame.lanes_.push(readStruct(view, layout.lane.offset + i * layout.lane.size, layout.lane));
  const cell = layout.grids.classes ? 2 : 1;
  const per = frame.grid * frame.grid * cell;
  frame.grids = frame.lanes_.map((_, i) => new Uint8Array(buffer, layout.grids.offset + i * per, per));
  const width = layout.history.columns.length;
  frame.history = new Float32Array(buffer, frame.history_offset, frame.history_rows * frame.lanes * width);
  frame.width = width;
  return frame;
}

const laneColor = (i) => classColor(i);
/** A small square of lane i's colour (the colour alone never carries the meaning: the label is beside it). */
export function swatch(i) {
  const el = h("span", { class: "swatch", "aria-hidden": "true" });
  el.style.background = laneColor(i);
  return el;
}
const fmt = (v) => (Number.isFinite(v) ? (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toPrecision(3)) : "–");
/** A value typed into the values field: a number where it reads as one, else the name. */
const parseValue = (text) => (text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text.trim());

export function mountRace(section, { send, dark = () => false, fetchRaces = () => fetch("/api/races").then((r) => r.json()) }) {
  let race = null;  // the last `race` message while one is active
  let latest = null;
  let split = "train";
  let pending = 0;
  const ids = new Set();
  const ask = (message) => { const id = `race-${++pending}`; ids.add(id); send({ ...message, id }); };

  const varied = h("select", { id: "race-varied", "aria-label": "Setting the contestants differ in" });
  const values = h("input", { id: "race-values", type: "text", value: "sgd, momentum, adam", "aria-describedby": "race-help",
    "aria-label": "Values, one per contestant, separated by commas" });
  const target = h("input", { id: "race-target", type: "number", min: "0", step: "any", value: "0.2", "aria-label": "Finish line: a training loss" });
  const presets = h("select", { id: "race-preset", "aria-label": "Race presets" }, h("option", { value: "" }, "Presets…"));
  const start = h("button", { type: "button", id: "race-start", class: "primary", onclick: () => {
    const list = values.value.split(",").map(parseValue).filter((v) => v !== "");
    const line = Number(target.value);
    ask({ type: "race_start", varied: varied.value, values: list, target: target.value !== "" && line > 0 ? line : null });
  } }, "Start race");
  const rematch = h("button", { type: "button", id: "race-rematch", disabled: "", onclick: () => ask({ type: "race_rematch" }) }, "Rematch");
  const stop = h("button", { type: "button", id: "race-stop", disabled: "", onclick: () => ask({ type: "race_stop" }) }, "Stop race");
  const setLine = h("button", { type: "button", id: "race-set-target", disabled: "", onclick: () => {
    const line = Number(target.value);
    ask({ type: "race_target", target: target.value !== "" && line > 0 ? line : null });
  } }, "Set finish line");
  const testToggle = h("input", { type: "checkbox", id: "race-test", onchange: () => { split = testToggle.checked ? "test" : "train"; draw(); } });
  const result = h("p", { id: "race-result", role: "status", "aria-live": "polite" }, "No race yet.");
  const message = h("p", { class: "small", "data-role": "race-message", "aria-live": "polite" });
  const chart = h("canvas", { id: "race-chart", width: String(CHART_W), height: String(CHART_H), role: "img",
    "aria-label": "Every contestant's loss over steps, with the finish line" });
  const multiples = h("div", { class: "race-multiples", id: "race-multiples" });
  const table = h("table", { class: "race-table small", id: "race-table" });
  section.append(
    h("p", { class: "help small", id: "race-help" }, "Contestants start from the same weights and see the same batches; only the setting you vary differs. Give 2–4 values separated by commas (names or numbers). Play, Pause and the speed drive the race; meanwhile the views above keep your own network as it was, and Stop race returns to it."),
    h("div", { class: "tool-row" }, h("label", {}, "Vary ", varied), presets),
    h("div", { class: "tool-row" }, h("label", { class: "grow" }, "Values ", values)),
    h("div", { class: "tool-row" }, h("label", {}, "Finish line (training loss) ", target), setLine),
    h("div", { class: "tool-row" }, start, rematch, stop, h("label", { class: "inline" }, testToggle, " test loss")),
    result, message, chart, multiples, table,
  );

  const catalogue = new Map();
  Promise.resolve(fetchRaces()).then((info) => {
    for (const name of info.varied) varied.append(h("option", { value: name }, name.replace("_", " ")));
    for (const p of info.presets) {
      catalogue.set(p.id, p);
      presets.append(h("option", { value: p.id }, p.title));
    }
  }).catch(() => { message.textContent = "The race presets could not be loaded."; });
  presets.addEventListener("change", () => {
    const p = catalogue.get(presets.value);
    if (!p) return;
    varied.value = p.varied;
    values.value = p.values.join(", ");
    target.value = String(p.target);
    message.textContent = `${p.title}: ${p.explanation} Claim: ${p.claim}.`;
    send({ type: "config", ...p.config, speed: p.speed });
  });

  function showRace(m) {
    race = m.active ? m : null;
    for (const b of [rematch, stop, setLine]) b.disabled = !race;
    if (!race) { result.textContent = "The race was stopped."; return; }
    if (latest && latest.race !== race.race) latest = null;
    multiples.replaceChildren(...race.lanes.map((lane, i) => {
      const canvas = h("canvas", { width: String(race.layout.grids.shape[1]), height: String(race.layout.grids.shape[2]),
        class: "race-map", role: "img", "aria-label": `Output map of ${lane.label}` });
      return h("figure", { class: "race-lane" }, canvas, h("figcaption", {}, swatch(i), lane.label));
    }));
    describe();
  }

  function describe() {
    if (!race) return;
    const f = latest;
    const winner = f ? f.winner : 255;
    const line = f && Number.isFinite(f.target) ? `finish line ${fmt(f.target)}` : "no finish line";
    if (f && winner !== 255) {
      const lane = f.lanes_[winner];
      result.textContent = `Winner: ${race.lanes[winner].label}, at the line after ${lane.finish} steps (${line}).`;
    } else {
      result.textContent = `Racing ${race.lanes.map((l) => l.label).join(" vs ")} (${race.varied.replace("_", " ")}), ${line}${f ? `, step ${f.step}` : ""}.`;
    }
    result.dataset.winner = f && winner !== 255 ? race.lanes[winner].label : "";
    const rows = [h("tr", {}, h("th", {}, "contestant"), h("th", {}, "step"), h("th", {}, "train loss"), h("th", {}, "test loss"), h("th", {}, "finish"))];
    race.lanes.forEach((lane, i) => {
      const r = f?.lanes_[i];
      const status = r ? (r.status === 1 ? "diverged" : r.status === 2 ? "stopped" : r.finished ? `step ${r.finish}` : "—") : "—";
      rows.push(h("tr", { "data-lane": String(i) }, h("td", {}, swatch(i), lane.label), h("td", {}, r ? String(r.step) : "0"),
        h("td", {}, r ? fmt(r.train_loss) : "–"), h("td", {}, r ? fmt(r.test_loss) : "–"), h("td", {}, status)));
    });
    table.replaceChildren(...rows);
  }

  function draw() {
    const ctx = chart.getContext("2d");
    ctx.clearRect(0, 0, CHART_W, CHART_H);
    const f = latest;
    if (!f || !race || !f.history_rows) return;
    const col = split === "train" ? 1 : 2;
    const n = f.history_rows, lanes = f.lanes, w = f.width;
    let x1 = 1, lo = Infinity, hi = -Infinity;
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < lanes; i++) {
        const base = (r * lanes + i) * w;
        x1 = Math.max(x1, f.history[base]);
        const v = f.history[base + col];
        if (Number.isFinite(v) && v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      }
    }
    if (Number.isFinite(f.target)) { lo = Math.min(lo, f.target); hi = Math.max(hi, f.target); }
    if (!(hi > lo)) { hi = lo * 2 || 1; lo = hi / 4; }
    const ly0 = Math.log(lo), ly1 = Math.log(hi);
    const px = (s) => 30 + (s / x1) * (CHART_W - 40);
    const py = (v) => CHART_H - 20 - ((Math.log(v) - ly0) / (ly1 - ly0 || 1)) * (CHART_H - 40);
    ctx.font = "11px sans-serif";
    ctx.fillStyle = dark() ? "#ccc" : "#444";
    ctx.fillText(`${split} loss (log)`, 32, 12);
    ctx.fillText(`step ${Math.round(x1)}`, CHART_W - 70, CHART_H - 5);
    for (let i = 0; i < lanes; i++) {
      ctx.strokeStyle = laneColor(i);
      ctx.lineWidth = 2;
      ctx.beginPath();
      let started = false;
      for (let r = 0; r < n; r++) {
        const base = (r * lanes + i) * w;
        const v = f.history[base + col];
        if (!(Number.isFinite(v) && v > 0)) continue;
        const x = px(f.history[base]), y = py(v);
        if (started) ctx.lineTo(x, y); else ctx.moveTo(x, y);
        started = true;
      }
      ctx.stroke();
    }
    if (Number.isFinite(f.target)) {
      ctx.setLineDash([5, 4]);
      ctx.strokeStyle = dark() ? "#eee" : "#222";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(30, py(f.target));
      ctx.lineTo(CHART_W - 10, py(f.target));
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillText("finish", CHART_W - 45, py(f.target) - 3);
    }
  }

  function drawMaps() {
    const f = latest;
    const canvases = multiples.querySelectorAll("canvas");
    const g = race.layout.grids;
    const lut = g.classes ? classLut(dark(), g.classes) : rangeLut(g.range[0], g.range[1], dark());
    canvases.forEach((canvas, i) => {
      const bytes = f.grids[i];
      if (!bytes) return;
      const ctx = canvas.getContext("2d");
      const image = ctx.createImageData(f.grid, f.grid);
      const pixels = new Uint32Array(image.data.buffer);
      for (let c = 0; c < f.grid * f.grid; c++) pixels[c] = g.classes ? lut[bytes[2 * c] * 256 + bytes[2 * c + 1]] : lut[bytes[c]];
      ctx.putImageData(image, 0, 0);
    });
  }

  return {
    get active() { return race !== null; },
    get latest() { return latest; },
    get race() { return race; },
    handleMessage(m) {
      if (m.type === "race") { if (m.id) ids.delete(m.id); showRace(m); return true; }
      if (m.type === "error" && ids.has(m.id)) {
        ids.delete(m.id);
        message.textContent = m.message;
        return true;
      }
      if (m.type === "hello") { race = null; latest = null; for (const b of [rematch, stop, setLine]) b.disabled = true; }
      return false;
    },
    frame(buffer) {
      if (!race) return;
      try {
        latest = decodeRace(buffer, race.layout);
      } catch (err) {
        message.textContent = `This page cannot read the race frames: ${err.message}`;
        return;
      }
      describe();
      draw();
      drawMaps();
    },
    laneColor,
  };
}
