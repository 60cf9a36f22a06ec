// The math of one neuron with the live numbers: pick a neuron and a point, and the server (`neuron`,
// engine/views/neuron.py) sends its inputs, weights, bias, z, a = f(z), δ and every gradient aᵢ·δ, for any network size.
// The card writes each formula out term by term and checks the arithmetic it shows (Σ wᵢ·aᵢ + b = z, δ = f′·Σ w·δ).
//
//   const card = mountNeuronCard(section, { send, pick });  — pick(callback) lets the student click the output map
//   card.handleMessage(message); card.frame()

import { h } from "./lesson-steps.js";
import { LiveRequest } from "./live-request.js";

const SUB = "₀₁₂₃₄₅₆₇₈₉";
const sub = (n) => String(n).replace(/\d/g, (d) => SUB[d]);
/** A number as the by-hand walk-through shows it: six decimals, trailing zeros dropped, tiny values in e-notation. */
export const fmt = (v) => {
  if (v !== 0 && Math.abs(v) < 5e-5) return v.toExponential(4);
  const text = v.toFixed(6).replace(/\.?0+$/, "");
  return text === "-0" || text === "" ? "0" : text;
};
const num = (v) => h("span", { class: "num", "data-value": String(v) }, fmt(v));
const signed = (v) => (v < 0 ? `(${fmt(v)})` : fmt(v));
const TOLERANCE = 1e-9;

export function mountNeuronCard(section, { send, pick, at, onChoice = () => {} }) {
  const choice = { layer: 1, neuron: 0, index: 0, split: "train" };
  let chosen = false;  // by the student (or the link): only then is it in the URL
  const shift = { layer: 0, neuron: 1, index: 0 };  // neurons are numbered from 1 here, as in the formulas' names
  const field = (name, label, min) => {
    const input = h("input", { type: "number", min: String(min), step: "1", value: String(choice[name] + shift[name]),
      name: `neuron-${name}`, "data-field": `neuron-${name}`, onchange: () => {
        const n = Number(input.value);
        if (Number.isInteger(n) && n >= min) { choice[name] = n - shift[name]; chose(); }
      } });
    return [h("label", {}, `${label} `, input), input];
  };
  const [layerLabel, layerInput] = field("layer", "Layer", 1);
  const [neuronLabel, neuronInput] = field("neuron", "Neuron", 1);
  const [indexLabel, indexInput] = field("index", "Point", 0);
  const chose = () => { chosen = true; onChoice(); live.want(); };
  const split = h("select", { name: "neuron-split", "aria-label": "Training or test point", onchange: () => { choice.split = split.value; chose(); } },
    h("option", { value: "train" }, "training"), h("option", { value: "test" }, "test"));
  const pickButton = h("button", { type: "button", "data-action": "neuron-pick", "aria-pressed": "false", onclick: () => {
    const on = pickButton.getAttribute("aria-pressed") !== "true";
    pickButton.setAttribute("aria-pressed", String(on));
    pick(on ? (picked) => {
      pickButton.setAttribute("aria-pressed", "false");
      Object.assign(choice, { index: picked.index, split: picked.split });
      indexInput.value = String(picked.index);
      split.value = picked.split;
      chose();
    } : null);
  } }, "pick a point on the map");
  const status = h("p", { class: "small", "data-role": "neuron-status", role: "status" });
  const body = h("div", { class: "neuron-card", "data-role": "neuron-card" });
  section.append(h("div", { class: "tool-row" }, layerLabel, neuronLabel), h("div", { class: "tool-row" }, indexLabel, split, pickButton),
    status, body);
  let shown = null;
  const live = new LiveRequest({
    send, at, prefix: "neuron", shown: () => !section.hidden,
    message: () => ({ type: "neuron", ...choice }),
    onAnswer: (card) => {
      shown = card;
      status.textContent = "";
      layerInput.max = String(card.sizes.length - 1);
      neuronInput.max = String(card.sizes[card.layer]);
      body.replaceChildren(...render(card));
    },
    onError: (error) => {
      shown = null;
      status.textContent = error.message;
      body.replaceChildren();
    },
  });
  return {
    get shown() { return shown; },
    frame: () => live.want(),
    handleMessage: (message) => live.handle(message),
    choose(next) {
      Object.assign(choice, next);
      layerInput.value = String(choice.layer);
      neuronInput.value = String(choice.neuron + 1);
      indexInput.value = String(choice.index);
      split.value = choice.split;
      chose();
    },
    /** The choice as the URL keeps it, `layer-neuron-split-point` (neuron from 1), or undefined before any. */
    get urlValue() { return chosen ? `${choice.layer}-${choice.neuron + 1}-${choice.split}-${choice.index}` : undefined; },
    /** Take a choice from the URL; false if `text` is not one. */
    fromUrl(text) {
      const m = /^(\d+)-(\d+)-(train|test)-(\d+)$/.exec(text || "");
      if (!m || Number(m[2]) < 1) return false;
      this.choose({ layer: Number(m[1]), neuron: Number(m[2]) - 1, split: m[3], index: Number(m[4]) });
      return true;
    },
  };
}

function render(card) {
  const L = card.sizes.length - 1;
  const where = card.output ? `the output (layer ${card.layer})` : `hidden layer ${card.layer}`;
  const names = card.inputs.map((_, i) => (card.input_names ? card.input_names[i] : `a${sub(card.layer - 1)},${sub(i + 1)}`));
  const head = h("p", { class: "neuron-head" },
    `Neuron ${card.neuron + 1} of ${where} (${card.activation}), ${card.split} point ${card.index} at ` +
    `(${card.point.map((v) => v.toFixed(2)).join(", ")}), label ${card.label} · step ${card.step}`);
  const table = h("table", { class: "neuron-terms" });
  const top = table.createTHead().insertRow();
  for (const title of ["input", "aᵢ", "wᵢ", "wᵢ·aᵢ", "∂L/∂wᵢ = aᵢ·δ"]) top.append(h("th", { scope: "col" }, title));
  const rows = table.createTBody();
  card.inputs.forEach((a, i) => {
    const row = rows.insertRow();
    row.dataset.term = String(i);
    row.append(h("th", { scope: "row" }, names[i]));
    for (const [key, v] of [["input", a], ["weight", card.weights[i]], ["term", card.terms[i]], ["grad", card.grads[i]]]) {
      row.insertCell().append(num(v));
      row.lastChild.dataset.key = key;
    }
  });
  const bias = rows.insertRow();
  bias.append(h("th", { scope: "row" }, "bias b"), h("td", {}, "1"), h("td", { "data-key": "bias" }, num(card.bias)),
    h("td", {}, num(card.bias)), h("td", { "data-key": "bias_grad" }, num(card.bias_grad)));
  const sum = card.terms.reduce((s, t) => s + t, 0) + card.bias;
  const zOk = Math.abs(sum - card.z) <= TOLERANCE * (1 + card.terms.reduce((s, t) => s + Math.abs(t), Math.abs(card.bias)));
  const lines = [
    head,
    h("p", { class: "formula" }, "z = Σ wᵢ·aᵢ + b"),
    h("p", { class: "substituted" }, `z = ${card.terms.map(signed).join(" + ")} + ${signed(card.bias)} = `, num(card.z),
      check(zOk, "the terms add up to z")),
    table,
    h("p", { class: "formula" }, card.formula),
    h("p", { class: "substituted", "data-key": "a" }, `a = ${card.activation}(${fmt(card.z)}) = `, num(card.a)),
  ];
  const back = card.backward;
  if (card.output) {
    lines.push(h("p", { class: "formula" }, `δ = ${back.rule}  (loss ${back.loss}, ŷ = ${back.y_hat.map(fmt).join(", ")}, ` +
      `y = ${back.target.map(fmt).join(", ")})`), h("p", { class: "substituted", "data-key": "delta" }, "δ = ", num(card.delta)));
  } else {
    const terms = back.next_weights.map((w, k) => `${signed(w)}×${signed(back.next_deltas[k])}`).join(" + ");
    const deltaOk = Math.abs(back.slope * back.sum - card.delta) <= TOLERANCE * (1 + Math.abs(card.delta));
    const sumOk = Math.abs(back.terms.reduce((s, t) => s + t, 0) - back.sum) <=
      TOLERANCE * (1 + back.terms.reduce((s, t) => s + Math.abs(t), 0));
    lines.push(
      h("p", { class: "formula" }, `δ = f′(z) · Σₖ wₖ·δₖ over the ${card.layer + 1 === L ? "output" : `layer ${card.layer + 1}`} neurons it feeds`),
      h("p", { class: "substituted" }, `Σₖ wₖ·δₖ = ${terms} = `, num(back.sum), check(sumOk, "the terms add up")),
      h("p", { class: "substituted", "data-key": "delta" }, `δ = ${fmt(back.slope)} × ${signed(back.sum)} = `, num(card.delta),
        check(deltaOk, "f′(z) times the sum")),
    );
  }
  lines.push(h("p", { class: "small" }, "Each weight's gradient for this point is aᵢ·δ (last column), the bias's is δ; " +
    "a mini-batch averages these over its points."));
  return lines;
}

function check(ok, what) {
  return h("span", { class: ok ? "check ok" : "check bad", title: ok ? `checked: ${what}` : `does not check: ${what}` },
    ok ? " ✓" : " ✗");
}
