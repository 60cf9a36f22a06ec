// A step-by-step walk-through: next / back / run all over a list of steps (formula, numbers substituted, result),
// drawing each revealed number on a NetworkDiagram and listing the steps done so far.
import { NetworkDiagram, targetKey } from "./lesson-diagram.js";

const PHASES = { forward: "Forward pass", loss: "Loss", backward: "Backward pass", update: "Update", after: "One more step" };

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export { h };

export class Walkthrough {
  /** `container` gets the buttons, the diagram, the current step and the list; `onChange` hears every move. */
  /** `extra(step)`: more for a step's card (the lesson's switch to the other output delta), or null. */
  constructor(container, { id, runDelay = 120, onChange = () => {}, extra = () => null }) {
    this.extra = extra;
    this.lesson = null;
    this.index = -1;
    this.timer = null;
    this.runDelay = runDelay;
    this.onChange = onChange;
    this.changed = new Map();
    const button = (name, label, action) => h("button", { type: "button", "data-action": name, onclick: action }, label);
    this.counter = h("span", { class: "step-counter", "data-role": "counter" });
    this.buttons = h("div", { class: "stepper" },
      button("reset", "⟲ start", () => this.go(-1)),
      button("back", "◀ back", () => this.go(this.index - 1)),
      button("next", "next ▶", () => this.go(this.index + 1)),
      button("run", "run all ▶▶", () => this.runAll()),
      this.counter);
    this.diagramBox = h("div", { class: "diagram-box" });
    this.diagram = new NetworkDiagram(this.diagramBox);
    this.current = h("section", { class: "current-step", "data-role": "current", "aria-live": "polite" });
    this.list = h("ol", { class: "step-list", "data-role": "list" });
    container.append(h("div", { class: "walkthrough", id },
      this.buttons, h("div", { class: "walk-body" }, this.diagramBox,
        h("div", { class: "walk-side" }, this.current, this.list))));
  }

  /** Show a new lesson (same shape of steps), keeping the step index; `changed` marks steps a switch changed. */
  load(lesson, { changed = new Map() } = {}) {
    this.stop();
    this.lesson = lesson;
    this.changed = changed;
    this.index = Math.min(this.index, lesson.steps.length - 1);
    this.draw();
  }

  go(index) {
    if (!this.lesson) return;
    if (index !== this.index + 1 || this.index + 1 >= this.lesson.steps.length) this.stop();
    this.index = Math.max(-1, Math.min(index, this.lesson.steps.length - 1));
    this.draw();
  }

  runAll() {
    this.stop();
    const tick = () => {
      if (this.index + 1 >= this.lesson.steps.length) { this.stop(); return; }
      this.index += 1;
      this.draw();
      this.timer = setTimeout(tick, this.runDelay);
    };
    tick();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  get done() {
    return this.lesson !== null && this.index === this.lesson.steps.length - 1;
  }

  revealed() {
    const map = new Map();
    for (const step of this.lesson.steps.slice(0, this.index + 1)) map.set(targetKey(step.target), step.value);
    return map;
  }

  draw() {
    const { steps } = this.lesson;
    const step = this.index >= 0 ? steps[this.index] : null;
    this.counter.textContent = `step ${this.index + 1} of ${steps.length}`;
    this.buttons.querySelector('[data-action="back"]').disabled = this.index < 0;
    this.buttons.querySelector('[data-action="next"]').disabled = this.index + 1 >= steps.length;
    this.diagram.render({ sizes: this.lesson.sizes, weights: this.lesson.weights, revealed: this.revealed(),
      current: step, inputs: this.lesson.input || this.lesson.inputs?.x, target: this.lesson.target ?? this.lesson.inputs?.y });
    this.current.replaceChildren(step ? this.stepCard(step) : h("p", { class: "hint" },
      "Press “next” to take the first step: the weighted sum of the first hidden neuron."));
    this.list.replaceChildren(...steps.slice(0, this.index + 1).map((s) => h("li",
      { class: `${s.phase}${this.changed.has(s.key) ? " changed" : ""}`, "data-key": s.key },
      h("span", { class: "formula" }, s.formula), " = ", h("span", { class: "result" }, s.result))));
    this.list.lastElementChild?.scrollIntoView?.({ block: "nearest" });
    this.onChange(this);
  }

  stepCard(step) {
    const before = this.changed.get(step.key);
    return h("div", { class: `step-card ${step.phase}`, "data-key": step.key },
      h("div", { class: "phase" }, PHASES[step.phase] || step.phase),
      h("h3", {}, step.title),
      h("p", { class: "formula", "data-role": "formula" }, step.formula),
      h("p", { class: "substituted", "data-role": "substituted" }, "= ", step.substituted),
      h("p", { class: "result", "data-role": "result" }, "= ", h("strong", {}, step.result)),
      step.slope_formula ? h("p", { class: "aside" }, `where ${step.slope_formula}`) : null,
      step.why ? h("p", { class: "why", "data-role": "why" }, step.why) : null,
      step.before !== undefined ? h("p", { class: "aside loss-drop" },
        `The loss went from ${this.lesson.steps.find((s) => s.key === "loss").result} to ${step.result}.`) : null,
      before !== undefined ? h("p", { class: "aside changed-note", "data-role": "changed" },
        `Changed by the delta switch: it was ${before}.`) : null,
      this.extra(step));
  }
}
