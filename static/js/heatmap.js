// The output heatmap: a 100×100 ImageData canvas scaled up by CSS, the data points on top, click to add or erase
// (or, once, to pick the nearest point for the by-hand walk-through).
import { classColor, classLut, divergingLut, signColor } from "./colors.js";

export class Heatmap {
  constructor(root, { onAdd, onErase }) {
    this.root = root;
    this.onAdd = onAdd;
    this.onErase = onErase;
    this.grid = root.querySelector("canvas.grid");
    this.points = root.querySelector("canvas.points");
    this.caption = root.querySelector(".heatmap-caption");
    this.legend = root.querySelector(".legend");
    this.gctx = this.grid.getContext("2d");
    this.pctx = this.points.getContext("2d");
    this.images = {};
    this.data = { train: [], test: [], problem: "binary", classes: 2 };
    this.output = { kind: "binary", classes: 2, bytes: 1 };
    this.extent = null;  // the grid covers [-extent, extent]², from the layout
    this.showTest = false;
    this.discretize = false;
    this.dark = false;
    this.rowZeroIsTop = true;
    this.mode = "add";
    this.label = 1;
    this.neuron = null;
    this.picking = null;
    this.marked = null;
    this.pointsDirty = true;
    this.luts();
    this.picker = root.querySelector("#point-label");
    this.picker.addEventListener("change", () => { this.label = Number(this.picker.value); });
    root.querySelector("#erase").addEventListener("change", (e) => { this.mode = e.target.checked ? "erase" : "add"; });
    this.points.addEventListener("click", (event) => this.click(event));
    new ResizeObserver(() => { this.pointsDirty = true; }).observe(this.points);
  }

  luts() {
    const { kind, classes, bytes } = this.output;
    this.lut = bytes === 2 ? classLut(this.dark, classes, this.discretize)
      : divergingLut(this.dark, this.discretize && kind !== "regression", 0.7);
    this.neuronLut = divergingLut(this.dark, false);
    this.drawLegend();
  }


  /** Labels a student can pick for a new point. */
  classLabels() {
    const c = this.data.classes;
    if (this.data.problem === "multiclass") return [...Array(c).keys()];
    const labels = new Set(this.data.train.map((p) => p[2]));
    return labels.has(-1) ? [-1, 1] : [0, 1];
  }

  setOptions({ showTest, discretize, dark }) {
    const lutChange = discretize !== this.discretize || dark !== this.dark;
    this.showTest = showTest;
    this.discretize = discretize;
    this.dark = dark;
    if (lutChange) this.luts();
    this.pointsDirty = true;
  }

  setData(data) {
    this.data = { ...this.data, ...data };
    this.labelRange = Math.max(1e-9, ...this.data.train.map((p) => Math.abs(p[2])));
    this.pointsDirty = true;
    this.fillPicker();
  }

  /** The labels a click can add: the classes, or a few target values for regression. */
  fillPicker() {
    const current = this.picker.value;
    const { problem } = this.data;
    const options = problem === "regression" ? [-1, -0.5, 0, 0.5, 1].map((v) => new Option(`value ${v}`, v))
      : this.classLabels().map((v, k) => new Option(problem === "multiclass" ? `class ${k + 1}` : (k ? "blue" : "orange"), v));
    this.picker.replaceChildren(...options);
    if (options.some((o) => o.value === current)) this.picker.value = current;
    else this.picker.value = options.at(-1).value;
    this.label = Number(this.picker.value);
  }

  image(size) {
    if (!this.images[size]) this.images[size] = this.gctx.createImageData(size, size);
    return this.images[size];
  }

  /** Paint a grid of bytes (one or two per cell) through a lookup table into the small canvas. */
  paint(bytes, size, lut, stride) {
    if (this.grid.width !== size) { this.grid.width = size; this.grid.height = size; }
    const image = this.image(size);
    const pixels = new Uint32Array(image.data.buffer);
    const n = size * size;
    for (let row = 0; row < size; row++) {
      const src = (this.rowZeroIsTop ? row : size - 1 - row) * size;
      const dst = row * size;
      if (stride === 2) {
        for (let col = 0; col < size; col++) {
          const i = (src + col) * 2;
          pixels[dst + col] = lut[bytes[i] * 256 + bytes[i + 1]];
        }
      } else {
        for (let col = 0; col < size; col++) pixels[dst + col] = lut[bytes[src + col]];
      }
    }
    if (n) this.gctx.putImageData(image, 0, 0);
  }

  draw(frame, fresh) {
    if (this.neuron !== null && frame.neuron_maps) {
      const size = 25;
      const start = this.neuron.index * size * size;
      if (fresh || this.neuronShown !== this.neuron.index) {
        this.paint(frame.neuron_maps.subarray(start, start + size * size), size, this.neuron.lut || this.neuronLut, 1);
        this.neuronShown = this.neuron.index;
        this.caption.textContent = `Showing ${this.neuron.label}: what this neuron computes at every point`;
      }
    } else if (frame.output_grid && (fresh || this.neuronShown !== null)) {
      const bytes = this.output.bytes;
      this.paint(frame.output_grid, Math.round(Math.sqrt(frame.output_grid.length / bytes)), this.lut, bytes);
      this.neuronShown = null;
      this.caption.textContent = "The network's output over the whole plane";
    }
    if (this.pointsDirty) this.drawPoints();
  }

  drawPoints() {
    this.pointsDirty = false;
    const ratio = window.devicePixelRatio || 1;
    const w = this.points.clientWidth;
    const h = this.points.clientHeight;
    if (this.points.width !== Math.round(w * ratio)) {
      this.points.width = Math.round(w * ratio);
      this.points.height = Math.round(h * ratio);
    }
    const ctx = this.pctx;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const r = Math.max(2.5, w / 110);
    const paint = (points, test) => {
      for (const [x, y, label] of points) {
        const px = ((x + this.extent) / (2 * this.extent)) * w;
        const py = ((this.extent - y) / (2 * this.extent)) * h;
        ctx.beginPath();
        ctx.arc(px, py, r, 0, 2 * Math.PI);
        ctx.fillStyle = this.pointColor(label);
        ctx.fill();
        ctx.lineWidth = test ? 2 : 1;
        ctx.strokeStyle = test ? (this.dark ? "#fff" : "#000") : (this.dark ? "rgba(0,0,0,0.55)" : "rgba(255,255,255,0.85)");
        ctx.stroke();
      }
    };
    paint(this.data.train, false);
    if (this.showTest) paint(this.data.test, true);
    const mark = this.marked && this.data[this.marked.split]?.[this.marked.index];
    if (mark) {
      ctx.beginPath();
      ctx.arc(((mark[0] + this.extent) / (2 * this.extent)) * w, ((this.extent - mark[1]) / (2 * this.extent)) * h, r * 2.6, 0, 2 * Math.PI);
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = this.dark ? "#ffd400" : "#6a00c8";
      ctx.stroke();
    }
  }

  /** The next click picks the nearest shown point instead of adding one: callback({ split, index }). */
  pick(callback) {
    this.picking = callback;
    this.points.classList.toggle("picking", Boolean(callback));
  }

  /** Ring one point ({ split, index }, or null for none). */
  mark(point) {
    this.marked = point;
    this.pointsDirty = true;
  }

  nearest(x, y) {
    let best = null;
    for (const split of this.showTest ? ["train", "test"] : ["train"]) {
      this.data[split].forEach(([px, py], index) => {
        const d = (px - x) ** 2 + (py - y) ** 2;
        if (!best || d < best.d) best = { split, index, d };
      });
    }
    return best && { split: best.split, index: best.index };
  }

  pointColor(label) {
    if (this.data.problem === "multiclass") return classColor(label);
    if (this.data.problem === "regression") return signColor(label, 0.3 + 0.7 * Math.min(1, Math.abs(label) / this.labelRange));
    return signColor(label > 0 ? 1 : -1);
  }

  /** What the output grid holds, from the layout: its kind, classes, bytes a cell and value range (for the legend). */
  setOutput({ kind, classes, bytes_per_cell: bytes, range }, extent) {
    this.output = { kind, classes, bytes };
    [, this.extent] = extent;
    this.pointsDirty = true;
    const [left, right] = this.legend.querySelectorAll("span");
    left.textContent = String(range[0]);
    right.textContent = String(range[1]);
    this.luts();
  }

  drawLegend() {
    if (!this.legend) return;
    const regression = this.output.kind === "regression";
    this.legend.hidden = !regression;
    if (!regression) return;
    const bar = this.legend.querySelector("canvas");
    const ctx = bar.getContext("2d");
    const image = ctx.createImageData(256, 1);
    new Uint32Array(image.data.buffer).set(this.lut);
    bar.width = 256;
    bar.height = 1;
    ctx.putImageData(image, 0, 0);
  }

  click(event) {
    const rect = this.points.getBoundingClientRect();
    const x = ((event.clientX - rect.left) / rect.width) * 2 * this.extent - this.extent;
    const y = this.extent - ((event.clientY - rect.top) / rect.height) * 2 * this.extent;
    if (this.picking) {
      const picked = this.nearest(x, y);
      const callback = this.picking;
      this.pick(null);
      if (picked) callback(picked);
    } else if (this.mode === "erase") this.onErase(x, y, 0.6);
    else this.onAdd(x, y, this.label);
  }

  /** A copy of both layers as one canvas for the PNG export. */
  snapshot() {
    const out = document.createElement("canvas");
    out.width = this.points.width;
    out.height = this.points.height;
    const ctx = out.getContext("2d");
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.grid, 0, 0, out.width, out.height);
    ctx.drawImage(this.points, 0, 0);
    return out;
  }
}
