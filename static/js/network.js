// The network diagram: features, neurons as heatmap thumbnails, links by weight, δ rings, gradient flow, editing.
import { classColor, classLut, divergingLut, rangeLut, signColor } from "./colors.js";
import { weightLayers } from "./protocol.js";

const MAP = 25;
const LEVELS = 8;

const fmt = (v) => (Number.isFinite(v) ? (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(4)) : String(v));

function segmentDistance(px, py, x1, y1, x2, y2) {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const t = Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - x1 - t * dx, py - y1 - t * dy);
}

/** Level 0 … LEVELS−1 of a magnitude on a log scale from 10^lo to 10^hi. */
function logLevel(value, lo, hi) {
  if (!(value > 0)) return 0;
  return Math.max(0, Math.min(LEVELS - 1, Math.floor(((Math.log10(value) - lo) / (hi - lo)) * LEVELS)));
}

export class NetworkDiagram {
  constructor(root, handlers) {
    this.root = root;
    this.handlers = handlers;
    this.canvas = root.querySelector("canvas.diagram");
    this.ctx = this.canvas.getContext("2d");
    this.overlay = root.querySelector(".diagram-layers");
    this.card = root.querySelector(".hover-card");
    this.editor = root.querySelector(".weight-editor");
    this.atlas = document.createElement("canvas");
    this.actx = this.atlas.getContext("2d");
    this.layers = [];
    this.features = [];
    this.active = [];
    this.activations = [];
    this.dropout = 0;
    this.maxDropout = 0.9;
    this.options = {};
    this.flow = true;
    this.presenter = false;
    this.dark = false;
    this.rowZeroIsTop = true;
    this.multi = false;
    this.classes = 2;
    this.hover = null;
    this.frame = null;
    this.geometryDirty = true;
    this.setTheme(false);
    this.canvas.addEventListener("mousemove", (e) => this.pointer(e));
    this.canvas.addEventListener("mouseleave", () => this.setHover(null));
    this.canvas.addEventListener("click", (e) => this.click(e));
    this.editor.addEventListener("keydown", (e) => this.editKey(e));
    this.editor.addEventListener("blur", () => { this.editor.hidden = true; });
    new ResizeObserver(() => { this.geometryDirty = true; }).observe(this.canvas);
  }

  setTheme(dark) {
    this.dark = dark;
    this.lut = divergingLut(dark);
    this.outputLut = this.multi ? classLut(dark, this.classes) : this.lut;
    this.rangeLuts();
  }

  /** One lookup table per hidden neuron and per feature, from the value ranges the layout gives. */
  rangeLuts() {
    const grids = this.layout?.grids || {};
    const hidden = this.sizes ? this.sizes.slice(1, -1) : [];
    this.neuronLuts = [];
    hidden.forEach((n, l) => {
      const [lo, hi] = grids.neurons?.ranges?.[l] || [-1, 1];
      for (let k = 0; k < n; k++) this.neuronLuts.push(rangeLut(lo, hi, this.dark));
    });
    this.featureLuts = this.active.map((_, f) => {
      const [lo, hi] = grids.features?.ranges?.[f] || [-1, 1];
      return rangeLut(lo, hi, this.dark);
    });
  }


  /** A new architecture: weight layers from the layout, feature names and which are active. */
  setLayout(layout, allFeatures, activeFeatures, activationNames, activationOptions, featureTitles) {
    this.featureTitles = featureTitles;
    this.layout = layout;
    const output = layout.grids?.output || {};
    this.multi = output.bytes_per_cell === 2;
    this.classes = output.classes || 2;
    this.layers = weightLayers(layout);
    this.features = allFeatures;
    this.active = activeFeatures;
    this.activations = activationNames;
    this.activationOptions = activationOptions;
    const hidden = this.layers.slice(0, -1).map((l) => l.fanOut);
    this.sizes = [activeFeatures.length, ...hidden, this.layers.at(-1)?.fanOut || 1];
    this.hiddenCount = hidden.reduce((a, b) => a + b, 0);
    this.atlas.width = MAP;
    this.atlas.height = MAP * (this.hiddenCount + allFeatures.length + 1);
    this.atlasImage = this.actx.createImageData(MAP, this.atlas.height);
    this.atlasPixels = new Uint32Array(this.atlasImage.data.buffer);
    this.setTheme(this.dark);
    this.geometryDirty = true;
    this.hover = null;
    this.card.hidden = true;
    this.buildOverlay(hidden);
    this.setDropout(this.dropout);
  }

  buildOverlay(hidden) {
    this.overlay.replaceChildren();
    this.layerControls = hidden.map((n, l) => {
      const box = document.createElement("div");
      box.className = "layer-box";
      const minus = this.button("−", `Remove a neuron from hidden layer ${l + 1}`, () => this.changeNeurons(l, -1));
      const plus = this.button("+", `Add a neuron to hidden layer ${l + 1}`, () => this.changeNeurons(l, +1));
      const count = document.createElement("span");
      count.textContent = `${n}`;
      count.title = `${n} neurons in hidden layer ${l + 1}`;
      const row = document.createElement("div");
      row.className = "layer-buttons";
      row.append(minus, count, plus);
      const select = document.createElement("select");
      select.className = "layer-activation";
      select.setAttribute("aria-label", `Activation of hidden layer ${l + 1}`);
      select.title = "Activation of this layer only";
      for (const name of this.activationOptions || []) select.add(new Option(name, name));
      select.value = this.activations[l] || this.activations[0] || "";
      select.addEventListener("change", () => {
        const list = hidden.map((_, k) => (k === l ? select.value : this.activations[k] || this.activations[0]));
        this.handlers.onActivation(list);
      });
      const dropout = document.createElement("input");
      dropout.type = "number";
      dropout.className = "layer-dropout";
      dropout.min = "0";
      dropout.max = String(this.maxDropout);
      dropout.step = "0.05";
      dropout.setAttribute("aria-label", `Dropout of hidden layer ${l + 1}`);
      dropout.title = "Dropout of this layer only: the share of its neurons switched off at random while training";
      dropout.addEventListener("change", () => {
        const rate = Number(dropout.value);
        if (dropout.value === "" || !(rate >= 0 && rate <= this.maxDropout)) return this.setDropout(this.dropout);
        this.handlers.onDropout(hidden.map((_, k) => (k === l ? rate : this.dropoutOf(k))));
      });
      const dropoutLabel = document.createElement("label");
      dropoutLabel.className = "layer-dropout-label";
      dropoutLabel.append("drop ", dropout);
      box.append(row, select, dropoutLabel);
      this.overlay.append(box);
      return box;
    });
  }

  /** Show each hidden layer's dropout rate (one rate for all, or one per layer) in its box. */
  setDropout(dropout, max = this.maxDropout) {
    this.dropout = dropout;
    this.maxDropout = max;
    for (const [l, box] of (this.layerControls || []).entries()) {
      const input = box.querySelector(".layer-dropout");
      input.max = String(max);
      input.value = String(this.dropoutOf(l));
    }
  }

  dropoutOf(l) {
    const d = this.dropout ?? 0;
    return Array.isArray(d) ? d[l] ?? d.at(-1) ?? 0 : d;
  }

  button(text, label, action) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.title = label;
    b.addEventListener("click", action);
    return b;
  }

  changeNeurons(l, delta) {
    const hidden = this.sizes.slice(1, -1);
    hidden[l] = Math.max(1, Math.min(this.handlers.maxNeurons(), hidden[l] + delta));
    this.handlers.onLayers(hidden);
  }

  geometry() {
    this.geometryDirty = false;
    const ratio = window.devicePixelRatio || 1;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    this.canvas.width = Math.round(w * ratio);
    this.canvas.height = Math.round(h * ratio);
    this.ratio = ratio;
    this.w = w;
    this.h = h;
    const columns = this.sizes.length;
    const rows = Math.max(this.features.length, ...this.sizes.slice(1));
    const top = 8;
    const bottom = 16;
    const colGap = (w - 40) / Math.max(1, columns - 1);
    const s = Math.max(10, Math.min(this.presenter ? 64 : 48, ((h - top - bottom) / rows) * 0.72, colGap * 0.42));
    const left = 8 + s / 2;
    const right = w - 4 - s * 1.1;
    const xs = [...Array(columns).keys()].map((c) => left + c * ((right - left) / Math.max(1, columns - 1)));
    const column = (count, c) => {
      const step = Math.min((h - top - bottom) / Math.max(1, count), s * 2.2);
      const y0 = top + (h - top - bottom - step * count) / 2 + step / 2;
      return [...Array(count).keys()].map((i) => ({ x: xs[c], y: y0 + i * step }));
    };
    this.size = s;
    const spacing = Math.min(...this.sizes.slice(1).map((n) => (h - top - bottom) / Math.max(1, n)), s * 2.2);
    this.ringRoom = Math.max(2, Math.min(s * 0.35, spacing / 2 - s * 0.72 - 1));
    this.inputs = column(this.features.length, 0).map((p, i) => ({
      ...p, feature: this.features[i], active: this.active.indexOf(this.features[i]),
    }));
    const activeInputs = this.inputs.filter((p) => p.active >= 0).sort((a, b) => a.active - b.active);
    this.columns = [activeInputs];
    for (let c = 1; c < columns; c++) this.columns.push(column(this.sizes[c], c));
    let k = 0;
    for (let c = 1; c < columns - 1; c++) for (const node of this.columns[c]) node.map = k++;
    this.layerControls.forEach((box, l) => {
      box.style.left = `${xs[l + 1]}px`;
    });
  }

  /** Paint every neuron map, feature map and the output into the atlas with one putImageData. */
  paintAtlas(frame) {
    const pixels = this.atlasPixels;
    const lut = this.lut;
    const multi = this.multi;
    const copy = (bytes, start, slot, lut) => {
      for (let row = 0; row < MAP; row++) {
        const src = start + (this.rowZeroIsTop ? row : MAP - 1 - row) * MAP;
        const dst = (slot * MAP + row) * MAP;
        for (let col = 0; col < MAP; col++) pixels[dst + col] = lut[bytes[src + col]];
      }
    };
    const maps = frame.neuron_maps;
    if (maps) for (let n = 0; n < this.hiddenCount && (n + 1) * MAP * MAP <= maps.length; n++) copy(maps, n * MAP * MAP, n, this.neuronLuts[n] || lut);
    const features = frame.feature_maps;
    if (features) for (let f = 0; f < this.active.length && (f + 1) * MAP * MAP <= features.length; f++) copy(features, f * MAP * MAP, this.hiddenCount + f, this.featureLuts[f] || lut);
    const grid = frame.output_grid;
    if (grid) {
      const G = Math.round(Math.sqrt(grid.length / (multi ? 2 : 1)));
      const slot = this.hiddenCount + this.features.length;
      const stride = G / MAP;
      for (let row = 0; row < MAP; row++) {
        const r = Math.floor((this.rowZeroIsTop ? row : MAP - 1 - row) * stride + stride / 2);
        const dst = (slot * MAP + row) * MAP;
        for (let col = 0; col < MAP; col++) {
          const i = r * G + Math.floor(col * stride + stride / 2);
          pixels[dst + col] = multi ? this.outputLut[grid[2 * i] * 256 + grid[2 * i + 1]] : lut[grid[i]];
        }
      }
    }
    this.actx.putImageData(this.atlasImage, 0, 0);
  }

  draw(frame, fresh, time) {
    if (!this.sizes || !frame.params) return;
    if (this.geometryDirty) this.geometry();
    if (fresh) this.paintAtlas(frame);
    this.frame = frame;
    const ctx = this.ctx;
    const s = this.size;
    const thick = this.presenter ? 1.8 : 1;
    ctx.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    ctx.clearRect(0, 0, this.w, this.h);
    const params = frame.params;
    const grads = frame.grads;
    const weightPaths = Array.from({ length: 2 * LEVELS }, () => new Path2D());
    const flowPaths = Array.from({ length: LEVELS }, () => new Path2D());
    this.layers.forEach((layer, l) => {
      const from = this.columns[l];
      const to = this.columns[l + 1];
      for (let i = 0; i < layer.fanIn && i < from.length; i++) {
        const a = from[i];
        for (let j = 0; j < layer.fanOut && j < to.length; j++) {
          const b = to[j];
          const index = layer.wOffset + i * layer.fanOut + j;
          const w = params[index];
          const level = Math.min(LEVELS - 1, Math.floor(Math.abs(w) * 3));
          const path = weightPaths[(w < 0 ? 0 : LEVELS) + (Number.isFinite(w) ? level : LEVELS - 1)];
          path.moveTo(a.x + s / 2, a.y);
          path.lineTo(b.x - s / 2, b.y);
          if (this.flow && grads) {
            const g = logLevel(Math.abs(grads[index]), -5, 0);
            if (g > 0) {
              flowPaths[g].moveTo(a.x + s / 2, a.y);
              flowPaths[g].lineTo(b.x - s / 2, b.y);
            }
          }
        }
      }
    });
    for (let k = 0; k < 2 * LEVELS; k++) {
      const level = k % LEVELS;
      ctx.strokeStyle = signColor(k < LEVELS ? -1 : 1, 0.25 + 0.75 * (level / (LEVELS - 1)));
      ctx.lineWidth = (0.6 + level * 0.9) * thick;
      ctx.stroke(weightPaths[k]);
    }
    if (this.flow && grads) {
      ctx.setLineDash([3 * thick, 9 * thick]);
      for (let g = 1; g < LEVELS; g++) {
        ctx.lineDashOffset = (time / 1000) * (6 + g * 10);
        ctx.strokeStyle = this.dark ? `rgba(255,240,120,${0.1 + g * 0.08})` : `rgba(200,30,30,${0.08 + g * 0.08})`;
        ctx.lineWidth = (1 + g * 0.3) * thick;
        ctx.stroke(flowPaths[g]);
      }
      ctx.setLineDash([]);
    }
    this.drawNodes(frame, s, thick);
  }

  drawNodes(frame, s, thick) {
    const ctx = this.ctx;
    const text = this.dark ? "#ddd" : "#333";
    ctx.font = `${this.presenter ? 15 : 11}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const node of this.inputs) {
      const x = node.x - s / 2;
      const y = node.y - s / 2;
      if (node.active >= 0) {
        ctx.drawImage(this.atlas, 0, (this.hiddenCount + node.active) * MAP, MAP, MAP, x, y, s, s);
        ctx.strokeStyle = text;
        ctx.lineWidth = thick;
        ctx.strokeRect(x, y, s, s);
      } else {
        ctx.setLineDash([3, 3]);
        ctx.strokeStyle = this.dark ? "#666" : "#aaa";
        ctx.lineWidth = 1;
        ctx.strokeRect(x, y, s, s);
        ctx.setLineDash([]);
      }
      ctx.fillStyle = node.active >= 0 ? text : (this.dark ? "#777" : "#999");
      ctx.fillText(this.featureTitles?.[node.feature]?.title || node.feature, node.x, y + s + 1);
    }
    const deltaMean = frame.delta_mean;
    const deltaAbs = frame.delta_abs;
    const rings = Array.from({ length: 2 * LEVELS }, () => new Path2D());
    let d = 0;
    for (let c = 1; c < this.columns.length; c++) {
      for (const node of this.columns[c]) {
        const mag = deltaAbs ? deltaAbs[d] : 0;
        if (mag > 0) {
          const level = logLevel(mag, -6, 0);
          const r = s * 0.72 + (level / (LEVELS - 1)) * this.ringRoom;
          const path = rings[(deltaMean && deltaMean[d] < 0 ? 0 : LEVELS) + level];
          path.moveTo(node.x + r, node.y);
          path.arc(node.x, node.y, r, 0, 2 * Math.PI);
        }
        d += 1;
      }
    }
    for (let k = 0; k < 2 * LEVELS; k++) {
      const level = k % LEVELS;
      ctx.strokeStyle = signColor(k < LEVELS ? -1 : 1, 0.3 + level * 0.08);
      ctx.lineWidth = Math.min(this.ringRoom, (0.8 + level * 0.45) * thick);
      ctx.stroke(rings[k]);
    }
    const borders = new Path2D();
    const biases = [new Path2D(), new Path2D()];
    const outputColumn = this.columns.length - 1;
    for (let c = 1; c < this.columns.length; c++) {
      const layer = this.layers[c - 1];
      this.columns[c].forEach((node, j) => {
        const x = node.x - s / 2;
        const y = node.y - s / 2;
        if (c === outputColumn && this.sizes.at(-1) > 1) {
          ctx.fillStyle = classColor(j);
          ctx.globalAlpha = 0.55;
          ctx.fillRect(x, y, s, s);
          ctx.globalAlpha = 1;
        } else {
          const slot = c === outputColumn ? this.hiddenCount + this.features.length : node.map;
          ctx.drawImage(this.atlas, 0, slot * MAP, MAP, MAP, x, y, s, s);
        }
        borders.rect(x, y, s, s);
        const bias = frame.params[layer.bOffset + j];
        const bs = Math.max(4, s * 0.22) * (0.5 + 0.5 * Math.min(1, Math.abs(bias)));
        node.bias = { x: x - bs * 0.6, y: y + s - bs * 0.4, s: Math.max(bs, 8) };
        biases[bias < 0 ? 0 : 1].rect(node.bias.x, node.bias.y, bs, bs);
      });
    }
    ctx.strokeStyle = text;
    ctx.lineWidth = thick;
    ctx.stroke(borders);
    ctx.fillStyle = signColor(-1, 0.95);
    ctx.fill(biases[0]);
    ctx.fillStyle = signColor(1, 0.95);
    ctx.fill(biases[1]);
    const h = this.hover;
    if (h && h.kind !== "link" && h.kind !== "feature") {
      const node = this.columns[h.column][h.index];
      ctx.strokeStyle = "#e0a000";
      ctx.lineWidth = 3 * thick;
      ctx.strokeRect(node.x - s / 2, node.y - s / 2, s, s);
    }
    if (h && h.kind === "link") {
      const a = this.columns[h.layer][h.from];
      const b = this.columns[h.layer + 1][h.to];
      ctx.strokeStyle = "#e0a000";
      ctx.lineWidth = 3 * thick;
      ctx.beginPath();
      ctx.moveTo(a.x + s / 2, a.y);
      ctx.lineTo(b.x - s / 2, b.y);
      ctx.stroke();
    }
    if (this.hover) this.updateCard();
  }

  /** Viewport coordinates of the middle of the link from unit `col` into neuron `row` (set_weight's convention). */
  linkPoint(layer, row, col) {
    const rect = this.canvas.getBoundingClientRect();
    const a = this.columns[layer][col];
    const b = this.columns[layer + 1][row];
    return { x: rect.left + (a.x + b.x) / 2, y: rect.top + (a.y + b.y) / 2 };
  }

  /** Viewport coordinates of node `index` of diagram column `column` (0 = every input feature; a hook for tests). */
  nodePoint(column, index) {
    const rect = this.canvas.getBoundingClientRect();
    const node = column === 0 ? this.inputs[index] : this.columns[column][index];
    return { x: rect.left + node.x, y: rect.top + node.y };
  }

  /** The weight from unit `col` into neuron `row` (or bias `row` when col is null) in the latest frame. */
  value(layer, row, col) {
    const l = this.layers[layer];
    return this.frame.params[col === null ? l.bOffset + row : l.wOffset + col * l.fanOut + row];
  }

  hit(event) {
    const rect = this.canvas.getBoundingClientRect();
    const px = event.clientX - rect.left;
    const py = event.clientY - rect.top;
    const s = this.size;
    for (const node of this.inputs || []) {
      if (Math.abs(px - node.x) <= s / 2 && Math.abs(py - node.y) <= s / 2 + 12) return { kind: "feature", node, px, py };
    }
    for (let c = 1; c < (this.columns || []).length; c++) {
      for (const [j, node] of this.columns[c].entries()) {
        const b = node.bias;
        if (b && px >= b.x - 2 && px <= b.x + b.s + 2 && py >= b.y - 2 && py <= b.y + b.s + 2) {
          return { kind: "bias", column: c, index: j, px, py };
        }
        if (Math.abs(px - node.x) <= s / 2 && Math.abs(py - node.y) <= s / 2) return { kind: "neuron", column: c, index: j, px, py };
      }
    }
    let best = null;
    this.layers.forEach((layer, l) => {
      const from = this.columns[l];
      const to = this.columns[l + 1];
      for (let i = 0; i < from.length; i++) {
        for (let j = 0; j < to.length; j++) {
          const dist = segmentDistance(px, py, from[i].x + s / 2, from[i].y, to[j].x - s / 2, to[j].y);
          if (dist < 5 && (!best || dist < best.dist)) best = { kind: "link", layer: l, from: i, to: j, dist, px, py };
        }
      }
    });
    return best;
  }

  pointer(event) {
    if (!this.columns) return;
    this.setHover(this.hit(event));
  }

  setHover(hover) {
    this.hover = hover;
    this.canvas.style.cursor = hover ? "pointer" : "default";
    const neuron = hover && hover.kind === "neuron" && hover.column < this.columns.length - 1
      ? {
        index: this.columns[hover.column][hover.index].map,
        label: `neuron ${hover.index + 1} of hidden layer ${hover.column}`,
        lut: this.neuronLuts[this.columns[hover.column][hover.index].map],
      }
      : null;
    this.handlers.onHoverNeuron(neuron);
    if (!hover || hover.kind === "feature") { this.card.hidden = true; return; }
    this.card.hidden = false;
    this.card.style.left = `${Math.min(hover.px + 14, this.w - 200)}px`;
    this.card.style.top = `${Math.max(0, hover.py - 10)}px`;
    this.updateCard();
  }

  /** The hover card's text from the latest frame, so it keeps changing while training. */
  updateCard() {
    const h = this.hover;
    const f = this.frame;
    if (!h || !f || h.kind === "feature") return;
    let html;
    if (h.kind === "link") {
      const layer = this.layers[h.layer];
      const index = layer.wOffset + h.from * layer.fanOut + h.to;
      html = `<b>Weight</b> layer ${h.layer + 1}: unit ${h.from + 1} → neuron ${h.to + 1}<br>value <output class="card-value">${fmt(f.params[index])}</output>`
        + `<br>gradient ∂L/∂w ${fmt(f.grads ? f.grads[index] : NaN)}<br><small>Click to edit</small>`;
    } else {
      const layer = this.layers[h.column - 1];
      let d = 0;
      for (let c = 1; c < h.column; c++) d += this.sizes[c];
      d += h.index;
      const name = h.column === this.columns.length - 1 ? "Output" : `Neuron ${h.index + 1}, layer ${h.column}`;
      html = `<b>${name}</b><br>bias <output class="card-value">${fmt(f.params[layer.bOffset + h.index])}</output>`
        + `<br>bias gradient ${fmt(f.grads ? f.grads[layer.bOffset + h.index] : NaN)}`
        + `<br>δ mean ${fmt(f.delta_mean ? f.delta_mean[d] : NaN)}<br>|δ| mean ${fmt(f.delta_abs ? f.delta_abs[d] : NaN)}`
        + (h.kind === "bias" ? "<br><small>Click to edit the bias</small>" : "");
    }
    if (html !== this.cardHtml) {
      this.card.innerHTML = html;
      this.cardHtml = html;
    }
  }

  click(event) {
    const hit = this.hit(event);
    if (!hit) return;
    if (hit.kind === "feature") { this.handlers.onToggleFeature(hit.node.feature); return; }
    if (hit.kind === "neuron") return;
    const f = this.frame;
    let target;
    if (hit.kind === "link") {
      const layer = this.layers[hit.layer];
      target = { layer: hit.layer, row: hit.to, col: hit.from, value: f.params[layer.wOffset + hit.from * layer.fanOut + hit.to] };
    } else {
      const layer = this.layers[hit.column - 1];
      target = { layer: hit.column - 1, row: hit.index, col: null, value: f.params[layer.bOffset + hit.index] };
    }
    this.editTarget = target;
    this.editor.hidden = false;
    this.editor.value = target.value.toFixed(4);
    this.editor.style.left = `${Math.min(hit.px, this.w - 100)}px`;
    this.editor.style.top = `${hit.py}px`;
    this.editor.setAttribute("aria-label", target.col === null ? "New bias value" : "New weight value");
    this.editor.focus();
    this.editor.select();
  }

  editKey(event) {
    if (event.key === "Escape") { this.editor.hidden = true; return; }
    if (event.key !== "Enter") return;
    const value = Number(this.editor.value);
    if (Number.isFinite(value)) {
      const { layer, row, col } = this.editTarget;
      this.handlers.onSetWeight(layer, row, col, value);
    }
    this.editor.hidden = true;
  }
}
