// The backprop-by-hand page: the worked 2-2-1 example (numbers from GET /api/lesson, computed by the engine),
// a switch between the two output deltas, editable inputs, and the same walk-through on a live network.
import { Walkthrough, h } from "./lesson-steps.js";
import { fmt } from "./lesson-diagram.js";
import { mountTrace } from "./lesson-trace.js";
import { PlaygroundSocket } from "./socket.js";

const TUTORIAL = { w1_11: 0.15, w1_12: 0.2, w1_21: 0.25, w1_22: 0.3, b1_1: 0.35, b1_2: 0.35, w2_1: 0.4, w2_2: 0.45,
  b2: 0.6, x1: 0.05, x2: 0.1, y: 0.01, eta: 0.5 };
const FIELDS = [
  ["W₁ (row = input, column = hidden unit)", [["w1_11", "W₁[1,1]"], ["w1_12", "W₁[1,2]"], ["w1_21", "W₁[2,1]"],
    ["w1_22", "W₁[2,2]"]]],
  ["b₁", [["b1_1", "b₁₁"], ["b1_2", "b₁₂"]]],
  ["W₂", [["w2_1", "W₂[1,1]"], ["w2_2", "W₂[2,1]"]]],
  ["b₂", [["b2", "b₂"]]],
  ["Input and target", [["x1", "x₁"], ["x2", "x₂"], ["y", "y"]]],
  ["Learning rate", [["eta", "η"]]],
];
const DELTA_LABELS = {
  cross_entropy: "Cross-entropy delta: δ₂ = ŷ − y (the tutorial's table)",
  mse: "Exact ½(ŷ − y)² delta: δ₂ = (ŷ − y)·ŷ(1 − ŷ)",
};
const SUMMARY = [["ŷ", "y_hat"], ["δ₂", "delta2"], ["∂L/∂W₂", "dW2"], ["δ₁", "delta1"], ["∂L/∂W₁", "dW1"],
  ["W₂′", "W2_new"], ["b₂′", "b2_new"], ["W₁′", "W1_new"], ["b₁′", "b1_new"], ["loss before", "loss"],
  ["loss after one step", "loss_after"]];

const state = { delta: "cross_entropy", both: null, request: 0, ready: false };
window.__lesson = state;

const show = (v) => (Array.isArray(v) ? `[${v.map(show).join(", ")}]` : fmt(v));

function query(values) {
  const p = new URLSearchParams({
    w1: [values.w1_11, values.w1_12, values.w1_21, values.w1_22].join(","),
    b1: [values.b1_1, values.b1_2].join(","), w2: [values.w2_1, values.w2_2].join(","), b2: String(values.b2),
    x: [values.x1, values.x2].join(","), y: String(values.y), learning_rate: String(values.eta), delta: "both",
  });
  return `/api/lesson?${p}`;
}

function build(root) {
  const intro = h("section", { class: "intro" },
    h("p", {}, "One training step of a tiny network, done by hand: two inputs, two sigmoid hidden units and one ",
      "sigmoid output. Each press of “next” does one multiplication-and-add, one activation, one chain-rule link or ",
      "one weight update, writes the formula, fills in the numbers and puts the result on the diagram. ",
      "The arrow keys → and ← step too."));
  const deltaBox = h("fieldset", { class: "delta-switch" }, h("legend", {}, "Output delta"),
    ...Object.entries(DELTA_LABELS).map(([value, label]) => h("label", {},
      h("input", { type: "radio", name: "delta", value, ...(value === state.delta ? { checked: "" } : {}),
        onchange: () => setDelta(value) }), " ", label)));
  const convention = h("p", { class: "convention", id: "convention" });
  const why = h("p", { class: "why", id: "delta-why", "aria-live": "polite" });
  const note = h("p", { class: "note", id: "tutorial-note" });
  const form = h("form", { class: "inputs", id: "lesson-inputs", onsubmit: (e) => e.preventDefault() },
    ...FIELDS.map(([legend, fields]) => h("fieldset", {}, h("legend", {}, legend),
      ...fields.map(([name, label]) => h("label", {}, label, " ",
        h("input", { type: "number", step: "any", name, value: String(TUTORIAL[name]), "data-field": name }))))),
    h("button", { type: "button", "data-action": "tutorial", onclick: resetInputs }, "tutorial's numbers"),
    h("span", { class: "input-error", id: "input-error", role: "alert" }));
  form.addEventListener("input", () => recompute());
  const walkBox = h("div", {});
  const summary = h("table", { class: "summary", id: "delta-summary" });
  root.append(intro, convention, h("div", { class: "lesson-controls" }, deltaBox, form), why, walkBox,
    h("h2", {}, "Both deltas side by side"), summary, note);
  const live = h("section", { class: "live", id: "live" });
  root.append(live);
  return { convention, why, note, form, walkBox, summary, live };
}

const ui = build(document.getElementById("lesson"));
const walk = new Walkthrough(ui.walkBox, { id: "worked-walk", onChange: (w) => {
  state.index = w.index;
  state.total = w.lesson.steps.length;
  state.done = w.done;
}, extra: (step) => {  // where δ₂ is computed, the other convention is one click away
  if (!step.why || step.why !== state.lesson?.why) return null;
  const other = state.delta === "cross_entropy" ? "mse" : "cross_entropy";
  return h("button", { type: "button", "data-action": "other-delta", onclick: () => {
    document.querySelector(`input[name=delta][value=${other}]`).checked = true;
    setDelta(other);
  } }, `Use the ${DELTA_LABELS[other].split(":")[0].toLowerCase()} instead`);
} });

function formValues() {
  const values = {};
  for (const input of ui.form.querySelectorAll("input[data-field]")) values[input.name] = input.value.trim();
  return values;
}

function resetInputs() {
  for (const input of ui.form.querySelectorAll("input[data-field]")) input.value = String(TUTORIAL[input.name]);
  recompute();
}

async function recompute() {
  const values = formValues();
  const error = document.getElementById("input-error");
  if (Object.values(values).some((v) => v === "" || !Number.isFinite(Number(v)))) {
    error.textContent = "Every field needs a number.";
    return;
  }
  const request = ++state.request;
  const response = await fetch(query(values));
  if (request !== state.request) return;
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    error.textContent = typeof body.detail === "string" ? body.detail : "Those numbers were refused.";
    return;
  }
  error.textContent = "";
  state.both = await response.json();
  state.inputs = values;
  render(new Map());
}

function render(changed) {
  const lesson = state.both[state.delta];
  state.values = lesson.values;
  state.lesson = lesson;
  ui.convention.textContent = lesson.convention;
  ui.why.textContent = lesson.why;
  ui.note.textContent = lesson.note;
  walk.load(lesson, { changed });
  const [ce, mse] = [state.both.cross_entropy.values, state.both.mse.values];
  ui.summary.replaceChildren(
    h("tr", {}, h("td", {}, ""), h("th", {}, "cross-entropy δ₂ = ŷ − y"), h("th", {}, "exact ½(ŷ − y)² δ₂")),
    ...SUMMARY.map(([label, key]) => h("tr", { "data-key": key, class: show(ce[key]) === show(mse[key]) ? "" : "differs" },
      h("th", {}, label), h("td", { "data-delta": "cross_entropy" }, show(ce[key])),
      h("td", { "data-delta": "mse" }, show(mse[key])))));
  for (const td of ui.summary.querySelectorAll("td")) td.classList.toggle("active", td.dataset.delta === state.delta);
  state.ready = true;
}

function setDelta(delta) {
  const old = new Map(state.both[state.delta].steps.map((s) => [s.key, s.result]));
  state.delta = delta;
  const changed = new Map();
  for (const step of state.both[delta].steps) if (old.get(step.key) !== step.result) changed.set(step.key, old.get(step.key));
  state.changedKeys = [...changed.keys()];
  render(changed);
}

mountTrace(ui.live, {
  connect: (handlers) => {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const socket = new PlaygroundSocket({ url: `${proto}://${location.host}/ws`, onMessage: handlers.onMessage,
      onFrame: handlers.onFrame, onState: handlers.onState });
    socket.connect();
    return socket;
  },
  standalone: true,
});

document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, select, textarea") || e.ctrlKey || e.metaKey || e.altKey || !state.ready) return;
  if (e.key === "ArrowRight") { e.preventDefault(); walk.go(walk.index + 1); }
  else if (e.key === "ArrowLeft") { e.preventDefault(); walk.go(walk.index - 1); }
});

recompute();
