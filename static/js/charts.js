// Line charts over training steps: loss, accuracy, per-layer gradient norms and update sizes, learning rate.
// Hover shows values.

const MAX_POINTS = 2048;
const LAYER_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

const fmt = (v) => (!Number.isFinite(v) ? String(v) : Math.abs(v) >= 1e3 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(2) : v.toPrecision(3));

class Series {
  constructor(name, color) {
    this.name = name;
    this.color = color;
    this.ys = new Float32Array(256);
  }
}

/** One chart: a growable x axis and named series, linear or log y, redrawn only when something changed. */
export class LineChart {
  constructor(canvas, { series = [], log = false, legend = false, bounds = null } = {}) {
    this.bounds = bounds;  // a fixed [lo, hi] for a quantity with a known range (accuracy is 0 … 1)
    this.canvas = canvas;
    this.legend = legend;
    this.ctx = canvas.getContext("2d");
    this.log = log;
    this.setSeries(series);
    this.hoverX = null;
    this.marker = null;  // a step to mark with a vertical line, or null
    this.dark = false;
    this.presenter = false;
    this.urgent = true;
    this.last = -Infinity;
    canvas.addEventListener("mousemove", (e) => {
      this.hoverX = e.clientX - canvas.getBoundingClientRect().left;
      this.urgent = true;
    });
    canvas.addEventListener("mouseleave", () => { this.hoverX = null; this.urgent = true; });
    new ResizeObserver(() => { this.urgent = true; }).observe(canvas);
  }

  setSeries(series) {
    this.series = series.map(([name, color, short]) => Object.assign(new Series(name, color), { short }));
    this.clear();
  }

  clear() {
    this.urgent = true;
    this.xs = new Float64Array(MAX_POINTS);
    for (const s of this.series) s.ys = new Float32Array(MAX_POINTS);
    this.n = 0;
    this.every = 1;
    this.seen = 0;
    this.dirty = true;
  }

  /** Forget the points after step `x` (the run went back: a rolled-back step, weights restored from a snapshot). */
  truncate(x) {
    while (this.n > 0 && this.xs[this.n - 1] > x) this.n -= 1;
    this.dirty = true;
    this.urgent = true;
  }

  /** Halve the stored points (keep every other one) and from now on keep every other pushed point too. */
  compact() {
    const keep = (a) => { for (let i = 0; 2 * i < this.n; i++) a[i] = a[2 * i]; };
    keep(this.xs);
    for (const s of this.series) keep(s.ys);
    this.n = Math.ceil(this.n / 2);
    this.every *= 2;
  }

  /** Append one point (values in series order); long runs are thinned so memory and drawing stay bounded. */
  push(x, values) {
    if (this.seen++ % this.every !== 0) return;
    if (this.n === MAX_POINTS) this.compact();
    this.xs[this.n] = x;
    for (let k = 0; k < this.series.length; k++) this.series[k].ys[this.n] = values[k];
    this.n += 1;
    this.dirty = true;
  }

  range() {
    if (this.bounds) return this.bounds;
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of this.series) {
      for (let i = 0; i < this.n; i++) {
        const v = s.ys[i];
        if (!Number.isFinite(v) || (this.log && v <= 0)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (lo === Infinity) return [this.log ? 1e-3 : 0, 1];
    if (this.log) return [Math.log10(lo), Math.log10(hi) + (hi === lo ? 1 : 0)];
    return [Math.min(0, lo), hi === lo ? lo + 1 : hi];
  }

  /** Redraw at once after a hover, resize or option change; after new data at most every `interval` ms. */
  draw(now = performance.now(), interval = 0) {
    if (!this.urgent && !(this.dirty && now - this.last >= interval)) return;
    this.dirty = false;
    this.urgent = false;
    this.last = now;
    const ratio = window.devicePixelRatio || 1;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    if (!w || !h) return;
    if (this.canvas.width !== Math.round(w * ratio) || this.canvas.height !== Math.round(h * ratio)) {
      this.canvas.width = Math.round(w * ratio);
      this.canvas.height = Math.round(h * ratio);
    }
    const ctx = this.ctx;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const font = this.presenter ? 17 : 10;  // about the page's presenter type (19 px) on a projector
    ctx.font = `${font}px system-ui, sans-serif`;
    const left = font * 4.2;
    const right = 6;
    const top = 6;
    const bottom = font + 6;
    const pw = w - left - right;
    const ph = h - top - bottom;
    const fg = this.dark ? "#bbb" : "#555";
    const [lo, hi] = this.range();
    const x0 = this.n ? this.xs[0] : 0;
    const x1 = this.n > 1 ? this.xs[this.n - 1] : x0 + 1;
    const sx = (x) => left + ((x - x0) / (x1 - x0 || 1)) * pw;
    const sy = (v) => {
      const t = this.log ? Math.log10(v) : v;
      return top + ph - ((t - lo) / (hi - lo)) * ph;
    };
    ctx.strokeStyle = this.dark ? "#444" : "#ddd";
    ctx.fillStyle = fg;
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (let k = 0; k <= 3; k++) {
      const t = lo + ((hi - lo) * k) / 3;
      const y = top + ph - (ph * k) / 3;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(w - right, y);
      ctx.stroke();
      ctx.fillText(fmt(this.log ? 10 ** t : t), left - 3, y);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillText(`step ${Math.round(x0)} … ${Math.round(x1)}`, left + pw / 2, top + ph + 3);
    const stride = Math.max(1, Math.floor(this.n / (pw * 1.5)));
    ctx.lineWidth = this.presenter ? 3 : 1.5;
    for (const s of this.series) {
      ctx.strokeStyle = s.color;
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < this.n; i += stride) {
        const v = s.ys[i];
        if (!Number.isFinite(v) || (this.log && v <= 0)) { pen = false; continue; }
        const x = sx(this.xs[i]);
        const y = sy(v);
        if (pen) ctx.lineTo(x, y); else ctx.moveTo(x, y);
        pen = true;
      }
      ctx.stroke();
    }
    if (this.marker !== null && this.marker >= x0 && this.marker <= x1) {  // the moment the timeline shows
      ctx.strokeStyle = this.dark ? "#ffd400" : "#6a00c8";
      ctx.lineWidth = 2;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(sx(this.marker), top);
      ctx.lineTo(sx(this.marker), top + ph);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (this.legend) this.drawLegend(ctx, left + pw, top, font);
    if (this.hoverX !== null && this.n) this.drawHover(ctx, sx, sy, left, pw, top, ph, x0, x1, font);
  }

  drawLegend(ctx, right, top, font) {
    ctx.textAlign = "right";
    ctx.textBaseline = "top";
    const labels = this.series.map((s) => s.short || s.name);
    const width = labels.reduce((w, l) => w + ctx.measureText(l).width + font * 0.6, 0);
    ctx.fillStyle = this.dark ? "rgba(31,35,42,0.8)" : "rgba(255,255,255,0.8)";
    ctx.fillRect(right - width - 2, top, width + 2, font + 3);
    let x = right - 2;
    for (let k = this.series.length - 1; k >= 0; k--) {
      const label = this.series[k].short || this.series[k].name;
      ctx.fillStyle = this.series[k].color;
      ctx.fillText(label, x, top + 1);
      x -= ctx.measureText(label).width + font * 0.6;
    }
  }

  drawHover(ctx, sx, sy, left, pw, top, ph, x0, x1, font) {
    const target = x0 + ((this.hoverX - left) / pw) * (x1 - x0);
    let a = 0;
    let b = this.n - 1;
    while (a < b) {
      const m = (a + b) >> 1;
      if (this.xs[m] < target) a = m + 1; else b = m;
    }
    const x = sx(this.xs[a]);
    ctx.strokeStyle = this.dark ? "#888" : "#999";
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + ph);
    ctx.stroke();
    const lines = [`step ${this.xs[a]}`, ...this.series.map((s) => `${s.name}: ${fmt(s.ys[a])}`)];
    const boxW = Math.max(...lines.map((l) => ctx.measureText(l).width)) + 10;
    const bx = x + boxW + 8 > left + pw ? x - boxW - 6 : x + 6;
    ctx.fillStyle = this.dark ? "rgba(30,30,36,0.92)" : "rgba(255,255,255,0.92)";
    ctx.fillRect(bx, top, boxW, lines.length * (font + 3) + 4);
    ctx.textAlign = "left";
    lines.forEach((line, k) => {
      ctx.fillStyle = k === 0 ? (this.dark ? "#ddd" : "#333") : this.series[k - 1].color;
      ctx.fillText(line, bx + 5, top + 3 + k * (font + 3));
    });
  }
}

const GRADIENT_FRAMES = 10;

/** All the charts of the page, fed from frames (header values) and their history blocks. */
export class Charts {
  constructor(root) {
    this.root = root;
    const canvas = (name) => root.querySelector(`canvas[data-chart=${name}]`);
    this.loss = new LineChart(canvas("loss"), { series: [["train loss", "#0877bd"], ["test loss", "#e0702a"]] });
    this.accuracy = new LineChart(canvas("accuracy"), { series: [["train accuracy", "#0877bd", "train"], ["test accuracy", "#e0702a", "test"]], legend: true, bounds: [0, 1] });
    this.gradients = new LineChart(canvas("gradients"), { log: true, legend: true });
    this.updates = new LineChart(canvas("updates"), { log: true, legend: true });
    this.rate = new LineChart(canvas("rate"), { series: [["learning rate", "#2ca02c"]] });
    this.all = [this.loss, this.accuracy, this.gradients, this.updates, this.rate];
    this.lastStep = -1;
    this.layerCount = 0;
  }

  setLayerCount(count) {
    if (count === this.layerCount) return;
    this.layerCount = count;
    this.gradientMean = null;
    const series = [...Array(count).keys()].map((k) => [
      k === count - 1 ? `layer ${k + 1} (output)` : `layer ${k + 1}`, LAYER_COLORS[k % LAYER_COLORS.length],
      k === count - 1 ? "out" : `L${k + 1}`,
    ]);
    this.gradients.setSeries(series);
    this.updates.setSeries(series);
  }

  clear() {
    for (const chart of this.all) chart.clear();
    this.lastStep = -1;
    this.gradientMean = null;
  }

  /** Each layer's gradient norm averaged in log space over about GRADIENT_FRAMES frames: one batch's norm jumps by
   *  orders of magnitude, and the layers' noisy lines would cross; their averages keep their order. */
  smoothed(norms) {
    const previous = this.gradientMean?.length === norms.length ? this.gradientMean : null;
    const weight = 1 / GRADIENT_FRAMES;
    this.gradientMean = Array.from(norms, (v, l) => {
      const p = previous?.[l];
      return v > 0 && p > 0 ? Math.exp((1 - weight) * Math.log(p) + weight * Math.log(v)) : v;
    });
    return this.gradientMean;
  }

  /** Mark `step` on every chart (the moment the timeline shows), or null for none. */
  setMarker(step) {
    for (const chart of this.all) {
      chart.marker = step;
      chart.urgent = true;
    }
  }

  /** Training went back to `step` ("continue from here"): the lines end there and go on from it. */
  truncate(step) {
    for (const chart of this.all) chart.truncate(step);
    this.lastStep = step;
  }

  /** A run restored on a new session (after a server restart): its frames go on with the same lines. */
  continueRun() {
    this.continuing = true;
  }

  /** Take in one frame: its history rows, accuracy, gradient norms and update-to-weight ratios. */
  addFrame(frame) {
    if (this.continuing) {
      this.continuing = false;
      this.run = frame.run;
    }
    if (frame.run !== this.run) {
      this.clear();
      this.run = frame.run;
    } else if (frame.step < this.lastStep) {  // the same run went back: keep what led there
      for (const chart of this.all) chart.truncate(frame.step);
      this.lastStep = frame.step;
    }
    const history = frame.history;
    const width = frame.historyWidth;
    for (let i = 0; i + width <= history.length; i += width) {
      if (history[i] <= this.lastStep) continue;
      this.loss.push(history[i], [history[i + 1], history[i + 2]]);
      this.rate.push(history[i], [history[i + 3]]);
      this.lastStep = history[i];
    }
    if (frame.step > (this.accuracy.n ? this.accuracy.xs[this.accuracy.n - 1] : -1)) {
      if (Number.isFinite(frame.train_accuracy)) this.accuracy.push(frame.step, [frame.train_accuracy, frame.test_accuracy]);
      if (frame.grad_norm) {
        this.setLayerCount(frame.grad_norm.length);
        this.gradients.push(frame.step, this.smoothed(frame.grad_norm));
      }
      if (frame.update_ratio) this.updates.push(frame.step, frame.update_ratio); // log scale: a ratio of 0 is not drawn
    }
  }

  setOptions({ log, dark, presenter }) {
    this.loss.log = log;
    for (const chart of this.all) {
      chart.dark = dark;
      chart.presenter = presenter;
      chart.urgent = true;
    }
  }

  /** Charts need no more than 10 redraws a second for new points; hovering answers at once. */
  draw(now = performance.now()) {
    for (const chart of this.all) if (chart.canvas.offsetParent !== null) chart.draw(now, 100);
  }
}
