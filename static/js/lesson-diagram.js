// An SVG network diagram for the by-hand walk-through: weights on the edges, and every number a step has
// revealed so far (z, a, δ, gradients, updated weights) written where it belongs; the current step highlighted.

const SVG = "http://www.w3.org/2000/svg";
const SUB = "₀₁₂₃₄₅₆₇₈₉";
const sub = (n) => String(n).split("").map((d) => SUB[Number(d)]).join("");

function el(name, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  return node;
}

/** The key under which a step's number is stored: same target and field → same place on the diagram. */
export function targetKey(t) {
  if (t.kind === "loss") return `loss:${t.field || "value"}`;
  if (t.kind === "weight") return `w:${t.layer}:${t.from}:${t.to}:${t.field}`;
  return `${t.kind}:${t.layer}:${t.neuron}:${t.field}`;
}

export function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 5e-5) return v.toExponential(3);
  const text = v.toFixed(6).replace(/0+$/, "").replace(/\.$/, "");
  return text === "-0" ? "0" : text;
}

export class NetworkDiagram {
  constructor(container, { width = 860, height = 470 } = {}) {
    this.width = width;
    this.height = height;
    this.svg = el("svg", { viewBox: `0 0 ${width} ${height}`, class: "lesson-diagram", role: "img",
      "aria-label": "network diagram" });
    container.append(this.svg);
  }

  position(layer, j) {
    const layers = this.sizes.length;
    const x = 60 + layer * ((this.width - 260) / (layers - 1));
    const n = this.sizes[layer];
    const gap = Math.min(170, (this.height - 170) / Math.max(n - 1, 1));
    const y = (this.height - 60) / 2 + (j - (n - 1) / 2) * gap;
    return [x, y];
  }

  neuronName(layer, j) {
    const last = this.sizes.length - 1;
    if (layer === 0) return `x${sub(j + 1)}`;
    if (layer === last && this.sizes[last] === 1) return "ŷ";
    return `h${sub(layer)}${sub(j + 1)}`;
  }

  /** Draw `sizes` with weights {W, b}; `revealed` maps targetKey → value; `current` is the highlighted step. */
  render({ sizes, weights, revealed, current, inputs = null, target = null }) {
    this.sizes = sizes;
    this.height = Math.max(470, 170 + (Math.max(...sizes) - 1) * 150);
    this.svg.setAttribute("viewBox", `0 0 ${this.width} ${this.height}`);
    this.svg.replaceChildren();
    const curKey = current ? targetKey(current.target) : null;
    const small = sizes.reduce((s, n, i) => s + (i ? n * sizes[i - 1] : 0), 0) <= 8;
    const edges = el("g", { class: "edges" });
    const labels = el("g", { class: "edge-labels" });
    for (let layer = 1; layer < sizes.length; layer++) {
      for (let i = 0; i < sizes[layer - 1]; i++) {
        for (let j = 0; j < sizes[layer]; j++) {
          const [x1, y1] = this.position(layer - 1, i);
          const [x2, y2] = this.position(layer, j);
          const w = weights.W[layer - 1][i][j];
          const keys = ["grad", "new"].map((f) => `w:${layer}:${i}:${j}:${f}`);
          const active = keys.includes(curKey) || (current && current.target.kind === "neuron"
            && current.target.layer === layer && current.target.neuron === j && current.target.field === "z");
          const width = Math.min(6, 0.8 + 3 * Math.abs(w));
          edges.append(el("line", { x1, y1, x2, y2, "stroke-width": width,
            class: `edge ${w >= 0 ? "pos" : "neg"}${active ? " current" : ""}`, "data-edge": `${layer}:${i}:${j}` }));
          if (!small && !active) continue;
          const t = !small || i === j || sizes[layer] === 1 || sizes[layer - 1] === 1 ? 0.5 : 0.28;
          const lx = x1 + (x2 - x1) * t;
          const ly = y1 + (y2 - y1) * t - 6;
          const parts = [`w=${fmt(w)}`];
          if (revealed.has(keys[0])) parts.push(`∂=${fmt(revealed.get(keys[0]))}`);
          if (revealed.has(keys[1])) parts.push(`→${fmt(revealed.get(keys[1]))}`);
          labels.append(el("text", { x: lx, y: ly, class: `edge-label${active ? " current" : ""}`,
            "data-edge-label": `${layer}:${i}:${j}` }, parts.join("  ")));
        }
      }
    }
    this.svg.append(edges);
    const nodes = el("g", { class: "nodes" });
    for (let layer = 0; layer < sizes.length; layer++) {
      for (let j = 0; j < sizes[layer]; j++) {
        const [x, y] = this.position(layer, j);
        const mine = current && current.target.layer === layer && current.target.neuron === j;
        const g = el("g", { class: `node${mine ? " current" : ""}`, "data-node": `${layer}:${j}` });
        g.append(el("circle", { cx: x, cy: y, r: 24 }));
        g.append(el("text", { x, y: y + 5, class: "node-name" }, this.neuronName(layer, j)));
        const lines = [];
        if (layer === 0 && inputs) {
          g.append(el("text", { x, y: y - 32, class: "node-value" }, `= ${fmt(inputs[j])}`));
        }
        if (layer > 0) {
          lines.push(`b=${fmt(weights.b[layer - 1][j])}`);
          for (const [field, label] of [["z", "z"], ["a", "a"], ["delta", "δ"]]) {
            const key = `neuron:${layer}:${j}:${field}`;
            if (revealed.has(key)) lines.push(`${label}=${fmt(revealed.get(key))}`);
          }
          const gradKey = `bias:${layer}:${j}:grad`;
          const newKey = `bias:${layer}:${j}:new`;
          if (revealed.has(gradKey)) lines.push(`∂b=${fmt(revealed.get(gradKey))}`);
          if (revealed.has(newKey)) lines.push(`b′=${fmt(revealed.get(newKey))}`);
        }
        lines.forEach((line, k) => {
          const key = line.split("=")[0];
          const hot = mine && ({ z: "z", a: "a", δ: "delta", "∂b": "grad", "b′": "new" })[key] === current.target.field;
          g.append(el("text", { x, y: y + 40 + 14 * k, class: `node-value${hot ? " current" : ""}` }, line));
        });
        nodes.append(g);
      }
    }
    this.svg.append(nodes, labels);
    const [ox, oy] = this.position(sizes.length - 1, 0);
    const lossX = Math.min(this.width - 70, ox + 140);
    const lossCurrent = curKey && curKey.startsWith("loss:");
    const loss = el("g", { class: `loss${lossCurrent ? " current" : ""}`, "data-node": "loss" });
    loss.append(el("rect", { x: lossX - 40, y: oy - 22, width: 80, height: 44, rx: 6 }));
    loss.append(el("text", { x: lossX, y: oy + 5, class: "node-name" }, "L"));
    const lossLines = [];
    if (target !== null) lossLines.push(`y=${Array.isArray(target) ? target.map(fmt).join(",") : fmt(target)}`);
    if (revealed.has("loss:value")) lossLines.push(`L=${fmt(revealed.get("loss:value"))}`);
    if (revealed.has("loss:after")) lossLines.push(`L′=${fmt(revealed.get("loss:after"))}`);
    lossLines.forEach((line, k) => loss.append(el("text", { x: lossX, y: oy + 40 + 14 * k, class: "node-value" }, line)));
    this.svg.append(loss);
  }
}
