// The hidden-layer space, as ConvNetJS's classifier demo draws it: every point at two hidden neurons' activations,
// with the input plane's grid lines mapped into that space, so the bent mesh shows how the layer untangles the data.
// The server computes it (`hidden_space`, engine/views/hidden_space.py), asked again after each frame (live-request.js).
//
//   const space = mountHiddenSpace(section, { send, hiddenSizes, color });
//   space.handleMessage(message); space.frame()
//   hiddenSizes() — the hidden layers' sizes now (from the layout); color(label) — a point's colour (the heatmap's)

import { h } from "./lesson-steps.js";
import { LiveRequest } from "./live-request.js";

const SIZE = 300;
const PAD = 10;

/** Where (u, v) lands on the canvas: u across, v up, each axis over [lo, hi] of what is drawn, PAD pixels inside. */
export function toPixel([u0, u1, v0, v1], u, v) {
  return [PAD + ((u - u0) / (u1 - u0)) * (SIZE - 2 * PAD), SIZE - PAD - ((v - v0) / (v1 - v0)) * (SIZE - 2 * PAD)];
}

/** [u0, u1, v0, v1]: the extent of every point and line, never narrower than 1e-6. */
export function bounds(message) {
  let u0 = Infinity, u1 = -Infinity, v0 = Infinity, v1 = -Infinity;
  const add = ([u, v]) => { u0 = Math.min(u0, u); u1 = Math.max(u1, u); v0 = Math.min(v0, v); v1 = Math.max(v1, v); };
  for (const line of message.lines) line.forEach(add);
  for (const split of ["train", "test"]) message.points[split].forEach(add);
  const widen = (lo, hi) => (hi - lo < 1e-6 ? [lo - 0.5, hi + 0.5] : [lo, hi]);
  return [...widen(u0, u1), ...widen(v0, v1)];
}

export function mountHiddenSpace(section, { send, at, hiddenSizes, color, onChoice = () => {} }) {
  const choice = { layer: 1, neurons: [0, 1], auto: true };
  const input = (label, name, read, write) => {
    const box = h("input", { type: "number", min: "1", step: "1", name: `space-${name}`, "data-field": `space-${name}`,
      onchange: () => {
        const n = Number(box.value);
        if (!Number.isInteger(n) || n < 1) return;
        choice.auto = false;
        write(n);
        onChoice();
        live.want();
      } });
    return { label: h("label", {}, `${label} `, box), box, read };
  };
  const fields = [
    input("Layer", "layer", () => choice.layer, (n) => { choice.layer = n; }),
    input("Neuron across", "u", () => choice.neurons[0] + 1, (n) => { choice.neurons = [n - 1, choice.neurons[1]]; }),
    input("up", "v", () => choice.neurons[1] + 1, (n) => { choice.neurons = [choice.neurons[0], n - 1]; }),
  ];
  const sync = () => { for (const f of fields) f.box.value = String(f.read()); };
  const caption = h("p", { class: "small", "data-role": "space-caption", role: "status" });
  const canvas = h("canvas", { class: "hidden-space", width: String(SIZE), height: String(SIZE), role: "img",
    "aria-label": "The data points at two hidden neurons' activations, with the input plane's grid lines mapped there" });
  section.append(h("div", { class: "tool-row" }, ...fields.map((f) => f.label)), canvas, caption);
  const state = { message: null, bounds: null, drawn: null };

  /** The layer and neurons to ask for: the first 2-neuron hidden layer until the student chooses; null with none,
   * or while the choice does not fit the network (it is kept: the network may be about to change). */
  const current = () => {
    const sizes = hiddenSizes();
    if (!sizes || !sizes.length) return null;
    if (choice.auto) {
      const two = sizes.indexOf(2);
      Object.assign(choice, { layer: two >= 0 ? two + 1 : 1, neurons: [0, Math.min(1, sizes[two >= 0 ? two : 0] - 1)] });
      sync();
    }
    const [u, v] = choice.neurons;
    if (choice.layer > sizes.length || u >= sizes[choice.layer - 1] || v >= sizes[choice.layer - 1] || u === v) {
      caption.textContent = `Choose two different neurons of one hidden layer: this network's hidden layers have ` +
        `${sizes.join(", ")} neurons (layer ${choice.layer}, neurons ${u + 1} and ${v + 1} asked for).`;
      return null;
    }
    return { layer: choice.layer, neurons: choice.neurons };
  };

  const live = new LiveRequest({
    send, at, prefix: "space", shown: () => !section.hidden,
    message: () => { const c = current(); return c && { type: "hidden_space", ...c }; },
    onAnswer: (message) => {
      state.message = message;
      state.bounds = bounds(message);
      state.drawn = draw(canvas, message, state.bounds, color);
      const [u, v] = message.neurons.map((j) => j + 1);
      caption.textContent = `Neuron ${u} (across) and neuron ${v} (up) of hidden layer ${message.layer} ` +
        `(${message.activation}), step ${message.step}. Grey lines: the input plane's grid, bent by the layers up to here.`;
    },
    onError: (error) => { caption.textContent = error.message; },
  });
  sync();
  return {
    state,
    frame: () => live.want(),
    handleMessage: (message) => live.handle(message),
    choose(layer, neurons) {
      Object.assign(choice, { layer, neurons, auto: false });
      sync();
      onChoice();
      live.want();
    },
    /** The choice as the URL keeps it, `layer-across-up` (neurons from 1), or undefined while chosen by itself. */
    get urlValue() { return choice.auto ? undefined : `${choice.layer}-${choice.neurons[0] + 1}-${choice.neurons[1] + 1}`; },
    /** Take a choice from the URL; false if `text` is not one. */
    fromUrl(text) {
      const m = /^(\d+)-(\d+)-(\d+)$/.exec(text || "");
      if (!m || Number(m[2]) < 1 || Number(m[3]) < 1) return false;
      this.choose(Number(m[1]), [Number(m[2]) - 1, Number(m[3]) - 1]);
      return true;
    },
  };
}

/** Grid lines, then the test points as rings and the training points as dots; the training points' pixels. */
function draw(canvas, message, view, color) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, SIZE, SIZE);
  ctx.lineWidth = 1;
  ctx.strokeStyle = "rgba(128, 128, 128, 0.55)";
  for (const line of message.lines) {
    ctx.beginPath();
    line.forEach(([u, v], k) => { const [x, y] = toPixel(view, u, v); if (k) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
    ctx.stroke();
  }
  for (const [u, v, label] of message.points.test) {
    const [x, y] = toPixel(view, u, v);
    ctx.strokeStyle = color(label);
    ctx.beginPath();
    ctx.arc(x, y, 3, 0, 2 * Math.PI);
    ctx.stroke();
  }
  return message.points.train.map(([u, v, label]) => {
    const [x, y] = toPixel(view, u, v);
    ctx.fillStyle = color(label);
    ctx.beginPath();
    ctx.arc(x, y, 3, 0, 2 * Math.PI);
    ctx.fill();
    return [x, y];
  });
}
