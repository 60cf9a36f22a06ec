// The network diagram: features, neurons as heatmap thumbnails, links by weight, δ rings, gradient flow, editing.
// This module keeps the state and the public methods; geometry, painting, pop-ups and per-layer controls live in
// network-geometry.js, network-draw.js, network-cards.js and network-layers.js.
import { classLut, divergingLut, rangeLut } from "./colors.js";
import { HoverCard, WeightEditor } from "./network-cards.js";
import { drawHighlight, drawLinks, drawNodes, paintAtlas } from "./network-draw.js";
import { MAP, clearLinkPoint, hitTest, layoutGeometry } from "./network-geometry.js";
import { LayerControls } from "./network-layers.js";
import { weightLayers } from "./protocol.js";

export class NetworkDiagram {
  /**
   * `handlers`: onToggleFeature(name), onLayers(sizes), onActivation(names), onDropout(rates),
   * onSetWeight(layer, row, col, value), onHoverNeuron(neuron or null), maxNeurons().
   */
  constructor(root, handlers) {
    this.root = root;
    this.handlers = handlers;
    this.canvas = root.querySelector("canvas.diagram");
    this.ctx = this.canvas.getContext("2d");
    this.card = new HoverCard(root.querySelector(".hover-card"));
    this.editor = new WeightEditor(root.querySelector(".weight-editor"), (...args) => this.handlers.onSetWeight(...args));
    this.layerControls = new LayerControls(root.querySelector(".diagram-layers"), handlers);
    this.atlas = document.createElement("canvas");
    this.actx = this.atlas.getContext("2d");
    this.layers = [];
    this.features = [];
    this.active = [];
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
    this.canvas.tabIndex = 0;  // the keyboard's way in: arrows walk neurons, biases and links, Enter edits
    this.canvas.addEventListener("keydown", (e) => this.key(e));
    this.canvas.addEventListener("blur", (e) => {  // the keyboard's card goes with the focus (not to the editor)
      if (this.keyboard && e.relatedTarget !== this.editor.el) this.setHover(null);
    });
    this.canvas.addEventListener("mousemove", () => { this.keyboard = false; });
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
    const grids = this.layout?.grids;
    const hidden = this.sizes ? this.sizes.slice(1, -1) : [];
    this.neuronLuts = [];
    hidden.forEach((n, l) => {
      const [lo, hi] = grids.neurons.ranges[l];
      for (let k = 0; k < n; k++) this.neuronLuts.push(rangeLut(lo, hi, this.dark));
    });
    this.featureLuts = this.active.map((_, f) => {
      const [lo, hi] = grids.features.ranges[f];
      return rangeLut(lo, hi, this.dark);
    });
  }

  /** A new architecture: weight layers from the layout, feature names and which are active. */
  setLayout(layout, allFeatures, activeFeatures, activationNames, activationOptions, featureTitles) {
    this.featureTitles = featureTitles;
    this.layout = layout;
    const { output } = layout.grids;
    this.multi = output.bytes_per_cell === 2;
    this.classes = output.classes || 2;
    this.layers = weightLayers(layout);
    this.features = allFeatures;
    this.active = activeFeatures;
    const hidden = this.layers.slice(0, -1).map((l) => l.fanOut);
    this.sizes = [activeFeatures.length, ...hidden, this.layers.at(-1).fanOut];
    this.hiddenCount = hidden.reduce((a, b) => a + b, 0);
    this.atlas.width = MAP;
    this.atlas.height = MAP * (this.hiddenCount + allFeatures.length + 1);
    this.atlasImage = this.actx.createImageData(MAP, this.atlas.height);
    this.atlasPixels = new Uint32Array(this.atlasImage.data.buffer);
    this.setTheme(this.dark);
    this.geometryDirty = true;
    this.hover = null;
    this.card.hide();
    this.layerControls.build(hidden, activationNames, activationOptions);
    this.layerControls.setDropout(this.layerControls.dropout);
  }

  /** Show each hidden layer's dropout rate (one rate for all, or one per layer) in its box. */
  setDropout(dropout, max) {
    this.layerControls.setDropout(dropout, max);
  }

  /** Fit the diagram to the canvas's current size (CSS pixels, drawn at the device's pixel ratio). */
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
    const g = layoutGeometry(w, h, this.sizes, this.features, this.active, this.presenter);
    this.size = g.size;
    this.ringRoom = g.ringRoom;
    this.inputs = g.inputs;
    this.columns = g.columns;
    this.layerControls.place(g.xs);
  }

  draw(frame, fresh, time) {
    if (!this.sizes || !frame.params) return;
    if (this.geometryDirty) this.geometry();
    if (fresh) paintAtlas(this, frame);
    this.frame = frame;
    const ctx = this.ctx;
    const thick = this.presenter ? 1.8 : 1;
    ctx.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    ctx.clearRect(0, 0, this.w, this.h);
    drawLinks(this, frame, thick, time);
    drawNodes(this, frame, thick);
    drawHighlight(this, thick);
    if (this.hover) this.card.update(this);
  }

  /**
   * Viewport coordinates of a point on the link from unit `col` into neuron `row` (set_weight's convention) where a
   * pointer picks that link and no other: links between equal columns cross at their middles.
   */
  linkPoint(layer, row, col) {
    const rect = this.canvas.getBoundingClientRect();
    const point = clearLinkPoint(this.columns, this.size, layer, col, row);
    return { x: rect.left + point.x, y: rect.top + point.y };
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
    return hitTest(event.clientX - rect.left, event.clientY - rect.top, this.size, this.inputs, this.columns, this.layers);
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
    this.card.show(this);
  }

  /** Every neuron, its bias and the links into it, layer by layer, as the pointer's hits at their points. */
  targets() {
    const out = [];
    this.layers.forEach((_, l) => {
      this.columns[l + 1].forEach((node, j) => {
        out.push({ kind: "neuron", column: l + 1, index: j, px: node.x, py: node.y });
        if (node.bias) out.push({ kind: "bias", column: l + 1, index: j, px: node.bias.x, py: node.bias.y });
        for (let i = 0; i < this.columns[l].length; i++) {
          const p = clearLinkPoint(this.columns, this.size, l, i, j);
          out.push({ kind: "link", layer: l, from: i, to: j, px: p.x, py: p.y });
        }
      });
    });
    return out;
  }

  /** The keyboard on the focused diagram: arrows move the hover card over `targets()`, Enter edits a weight or bias. */
  key(event) {
    if (!this.columns || event.ctrlKey || event.metaKey || event.altKey) return;
    const move = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (move) {
      const list = this.targets();
      this.cursor = ((this.cursor ?? -1) + move + list.length) % list.length;
      this.keyboard = true;
      this.setHover(list[this.cursor]);
    } else if (event.key === "Enter" && (this.hover?.kind === "link" || this.hover?.kind === "bias")) {
      this.editor.open(this, this.hover);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();  // → is also the page's "train one step"
  }

  /** A feature toggles; a link or a bias square opens the value editor; a neuron does nothing. */
  click(event) {
    if (!this.columns) return;
    const hit = this.hit(event);
    if (!hit) return;
    if (hit.kind === "feature") { this.handlers.onToggleFeature(hit.node.feature); return; }
    if (hit.kind === "neuron") return;
    this.editor.open(this, hit);
  }
}
