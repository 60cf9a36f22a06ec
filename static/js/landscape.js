// The loss landscape: the training loss over a plane through the weights (`landscape`, engine/views/landscape.py) as a heat
// map, with the optimizer's path (a race: every contestant's, from their common start) drawn on it; refreshed every
// few seconds while open, one request in flight. Beside it, each layer's effective step sizes (`optimizer_state`).
//
//   const landscape = mountLandscape(section, { send, lanes, laneColor, dark });
//   landscape.handleMessage(message) — true for its own answers and errors
//   lanes() — the race's lane labels, or null outside a race

import { h } from "./lesson-steps.js";

export const REFRESH_MS = 3000;
const PX = 328;
// Grey from low to high loss, so the paths in the lanes' colours (colors.js) stand out on it.
const LOW = [250, 250, 250];
const HIGH = [70, 70, 70];
const LOW_DARK = [30, 32, 36];
const HIGH_DARK = [205, 205, 205];
const fmt = (v) => (v === null || v === undefined ? "–" : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toPrecision(3));

export function mountLandscape(section, { send, lanes = () => null, laneColor, dark = () => false }) {
  let open = false;
  let pending = null;
  let count = 0;
  let timer = null;
  let answer = null;
  const stateIds = new Set();

  const plane = h("select", { id: "landscape-plane", "aria-label": "Plane of the slice" },
    h("option", { value: "pca" }, "Plane of the path (PCA)"), h("option", { value: "random" }, "Random, filter-normalised"));
  const toggle = h("button", { type: "button", id: "landscape-open", "aria-pressed": "false", onclick: () => setOpen(!open) }, "Show landscape");
  const status = h("p", { class: "small", id: "landscape-status", role: "status", "aria-live": "polite" }, "Closed.");
  const canvas = h("canvas", { id: "landscape-canvas", width: String(PX), height: String(PX), role: "img",
    "aria-label": "Loss landscape: darker is higher loss; the lines are the optimizers' paths, a ring at the start, a square where each is now" });
  const legend = h("p", { class: "small", id: "landscape-legend" });
  const steps = h("table", { class: "small", id: "layer-steps", "aria-label": "Effective step sizes per layer" });
  section.append(
    h("p", { class: "help small" }, "The training loss on a plane through the weights (41 × 41 points), computed by the server every few seconds. The path is where training went, projected on the plane; in a race every contestant's path starts at their common start."),
    h("div", { class: "tool-row" }, plane, toggle), status, canvas, legend,
    h("h3", {}, "Effective step per layer"),
    h("p", { class: "help small" }, "|Δw| of the last step and the rate each weight effectively got, |Δw|/|g|: the same η for every weight with plain SGD; spread over orders of magnitude with Adam, RMSprop and AdaGrad."),
    steps,
  );
  plane.addEventListener("change", () => { if (open) ask(true); });

  function setOpen(value) {
    open = value;
    toggle.setAttribute("aria-pressed", String(open));
    toggle.textContent = open ? "Hide landscape" : "Show landscape";
    clearTimeout(timer);
    if (open) ask(true);
    else status.textContent = "Closed.";
  }

  function ask(now = false) {
    clearTimeout(timer);
    if (!open) return;
    if (pending !== null) return;
    if (!now) { timer = setTimeout(() => ask(true), REFRESH_MS); return; }
    pending = `landscape-${++count}`;
    status.textContent = answer ? status.textContent : "Computing…";
    send({ type: "landscape", plane: plane.value, id: pending });
    const names = lanes();
    const which = names ? names.map((_, i) => i) : [null];
    for (const lane of which) {
      const id = `layer-steps-${count}-${lane}`;
      stateIds.add(id);
      send({ type: "optimizer_state", index: 0, ...(lane === null ? {} : { lane }), id });
    }
    stepRows.clear();
  }

  const stepRows = new Map();
  function showSteps(m) {
    stepRows.set(m.lane ?? -1, m);
    const names = lanes();
    const rows = [h("tr", {}, h("th", {}, names ? "contestant" : "optimizer"), h("th", {}, "layer"), h("th", {}, "mean |Δw|"),
      h("th", {}, "rate: median"), h("th", {}, "min – max"))];
    for (const [lane, state] of [...stepRows.entries()].sort((a, b) => a[0] - b[0])) {
      state.layers.forEach((layer, l) => {
        rows.push(h("tr", {}, h("td", {}, names && lane >= 0 ? names[lane] : state.optimizer), h("td", {}, String(l + 1)),
          h("td", {}, fmt(layer?.step_mean)), h("td", {}, fmt(layer?.rate_median)),
          h("td", {}, `${fmt(layer?.rate_min)} – ${fmt(layer?.rate_max)}`)));
      });
    }
    steps.replaceChildren(...rows);
  }

  function draw() {
    const m = answer;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, PX, PX);
    if (!m) return;
    const n = m.alphas.length;
    let lo = Infinity, hi = -Infinity;
    for (const row of m.loss) for (const v of row) if (v !== null && v > 0) { lo = Math.min(lo, Math.log(v)); hi = Math.max(hi, Math.log(v)); }
    const [a, b] = dark() ? [LOW_DARK, HIGH_DARK] : [LOW, HIGH];
    const cell = PX / n;
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        const v = m.loss[j][i];
        const t = v !== null && v > 0 && hi > lo ? (Math.log(v) - lo) / (hi - lo) : 1;
        ctx.fillStyle = `rgb(${a.map((c, k) => Math.round(c + (b[k] - c) * t)).join(",")})`;
        ctx.fillRect(i * cell, (n - 1 - j) * cell, cell + 0.5, cell + 0.5);  // row j is β: up the canvas
      }
    }
    const a0 = m.alphas[0], a1 = m.alphas[n - 1], b0 = m.betas[0], b1 = m.betas[n - 1];
    const px = (alpha) => ((alpha - a0) / (a1 - a0)) * (PX - cell) + cell / 2;
    const py = (beta) => PX - (((beta - b0) / (b1 - b0)) * (PX - cell) + cell / 2);
    const ink = dark() ? "#fff" : "#000";
    m.paths.forEach((path, k) => {  // each path, then a ring at its start and a square where it is now
      ctx.strokeStyle = laneColor(k);
      ctx.lineWidth = 2;
      ctx.beginPath();
      path.points.forEach(([alpha, beta], i) => (i ? ctx.lineTo(px(alpha), py(beta)) : ctx.moveTo(px(alpha), py(beta))));
      ctx.stroke();
    });
    ctx.strokeStyle = ink;
    ctx.lineWidth = 1.5;
    for (const path of m.paths) {
      const [sa, sb] = path.points[0];
      ctx.beginPath();
      ctx.arc(px(sa), py(sb), 5, 0, 2 * Math.PI);
      ctx.stroke();
    }
    m.paths.forEach((path, k) => {
      const [ea, eb] = path.points.at(-1);
      ctx.fillStyle = ink;
      ctx.fillRect(px(ea) - 4, py(eb) - 4, 8, 8);
      ctx.fillStyle = laneColor(k);
      ctx.fillRect(px(ea) - 3, py(eb) - 3, 6, 6);
    });
  }

  return {
    get open() { return open; },
    get answer() { return answer; },
    setOpen,
    redraw: draw,
    handleMessage(m) {
      if (m.type === "hello") { pending = null; stateIds.clear(); if (open) ask(); return false; }
      if (m.id && stateIds.has(m.id)) {
        stateIds.delete(m.id);
        if (m.type === "optimizer_state") showSteps(m);
        return true;
      }
      if (pending === null || m.id !== pending) return false;
      pending = null;
      if (m.type === "error") {
        status.textContent = m.message;
      } else {
        answer = m;
        const share = m.shares[0] === null ? "" : `; the plane holds ${Math.round(100 * (m.shares[0] + m.shares[1]))} % of the path's spread`;
        const mid = (m.alphas.length - 1) / 2;
        status.textContent = `${m.race ? "Race, from the common start" : `Through step ${m.centre_step}`}: loss ${fmt(m.loss[mid][mid])} at the centre${share}.`;
        legend.replaceChildren(...m.paths.map((p, k) => {
          const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
          swatch.style.background = laneColor(k);
          return h("span", { class: "landscape-path", "data-points": String(p.points.length) }, swatch, `${p.label} (${p.points.length} points) `);
        }));
        draw();
      }
      ask();
      return true;
    },
  };
}
