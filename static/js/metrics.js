// The metrics people expect, computed by the server (`metrics`, engine/views/metrics.py) and shown live: a confusion matrix
// for train and test (precision and recall per class on hover), or R², RMSE and a predicted-vs-true scatter.
//
//   const metrics = mountMetrics(section, { send });
//   metrics.handleMessage(message)  — every JSON message (answers, and hello after a reconnect)
//   metrics.frame()                 — a new frame arrived: ask again (live-request.js: one in flight, 4 a second)
import { classColor } from "./colors.js";
import { h } from "./lesson-steps.js";
import { LiveRequest } from "./live-request.js";

const SCATTER_SIZE = 180;
const percent = (v) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(1)} %`);
const number = (v, digits = 4) => (v === null || v === undefined ? "–" : Number(v).toFixed(digits));

export function mountMetrics(section, { send, at }) {
  const body = h("div", { class: "metrics-body", "data-role": "metrics", "aria-live": "off" });
  const note = h("p", { class: "help small" }, "Counted by the server over every point, with the weights of the step shown.");
  section.append(note, body);
  let shown = null;
  const live = new LiveRequest({
    send, at, prefix: "metrics", message: () => ({ type: "metrics" }), shown: () => !section.hidden,
    onAnswer: (message) => {
      shown = message;
      note.textContent = message.classes
        ? "Counted by the server over every point, with the weights of the step shown. Rows are the true class, " +
          "columns the class the network predicts; hover a class for its precision and recall."
        : "R² = 1 − Σ(ŷ − y)² / Σ(y − ȳ)² (1 is a perfect fit, 0 no better than the mean), RMSE = √mean (ŷ − y)². " +
          "Each dot is a point: its true value across, the prediction up; a perfect fit lies on the diagonal.";
      const caption = h("p", { class: "metrics-step small" }, `step ${message.step}`);
      const splits = ["train", "test"].map((split) => (message.classes
        ? confusion(split, message[split], message.classes)
        : regression(split, message[split])));
      body.replaceChildren(caption, ...splits);
    },
  });
  return {
    get shown() { return shown; },
    frame: () => live.want(),
    handleMessage: (message) => live.handle(message),
  };
}

function confusion(split, reading, classes) {
  const table = h("table", { class: "confusion", "data-split": split });
  const label = split === "train" ? "Training" : "Test";
  table.createCaption().textContent = `${label}: accuracy ${percent(reading.accuracy)} of ${reading.count} points`;
  const head = table.createTHead().insertRow();
  head.append(h("th", { scope: "col", class: "corner" }, "true ↓ predicted →"));
  for (let k = 0; k < classes; k++) {
    head.append(h("th", { scope: "col", title: `predicted ${k}: precision ${percent(reading.precision[k])}` },
      swatch(k), String(k)));
  }
  const rows = table.createTBody();
  const total = Math.max(1, reading.count);
  reading.confusion.forEach((counts, truth) => {
    const row = rows.insertRow();
    row.append(h("th", { scope: "row", title: `class ${truth}: recall ${percent(reading.recall[truth])}` }, swatch(truth), String(truth)));
    counts.forEach((n, predicted) => {
      const cell = row.insertCell();
      cell.textContent = String(n);
      cell.className = `${truth === predicted ? "hit" : "miss"} level-${Math.min(4, Math.ceil((4 * n * classes) / total))}`;
      cell.title = `true ${truth}, predicted ${predicted}: ${n} points` +
        ` · precision of ${predicted} ${percent(reading.precision[predicted])} · recall of ${truth} ${percent(reading.recall[truth])}`;
    });
  });
  return table;
}

function swatch(k) {
  const mark = h("span", { class: "swatch", "aria-hidden": "true" });
  mark.style.background = classColor(k);
  return mark;
}

function regression(split, reading) {
  const label = split === "train" ? "Training" : "Test";
  const canvas = h("canvas", { class: "scatter", width: String(SCATTER_SIZE), height: String(SCATTER_SIZE), role: "img",
    "aria-label": `${label} points: predicted against true value` });
  drawScatter(canvas, reading.scatter);
  return h("figure", { class: "regression", "data-split": split },
    h("figcaption", {}, `${label}: R² ${number(reading.r2, 3)} · RMSE ${number(reading.rmse)} (${reading.count} points)`),
    canvas);
}

/** Predicted (up) against true (across) on the same scale, with the line ŷ = y a perfect fit would sit on. */
function drawScatter(canvas, pairs) {
  const ctx = canvas.getContext("2d");
  const size = canvas.width;
  const values = pairs.flat();
  const lo = Math.min(-1, ...values);
  const hi = Math.max(1, ...values);
  const at = (v) => ((v - lo) / (hi - lo)) * (size - 8) + 4;
  ctx.clearRect(0, 0, size, size);
  ctx.strokeStyle = "rgba(128, 128, 128, 0.8)";
  ctx.beginPath();
  ctx.moveTo(at(lo), size - at(lo));
  ctx.lineTo(at(hi), size - at(hi));
  ctx.stroke();
  ctx.fillStyle = "rgba(8, 119, 189, 0.7)";
  for (const [y, yHat] of pairs) ctx.fillRect(at(y) - 1.5, size - at(yHat) - 1.5, 3, 3);
}
