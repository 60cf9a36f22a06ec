// The controls above each hidden layer of the diagram: − count + for its neurons, its activation, its dropout rate.
// They send whole per-layer lists, so changing one layer keeps the others' values.

function button(text, label, action) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.title = label;
  b.addEventListener("click", action);
  return b;
}

export class LayerControls {
  /** `handlers`: onLayers(sizes), onActivation(names), onDropout(rates), maxNeurons() — the diagram's own handlers. */
  constructor(overlay, handlers) {
    this.overlay = overlay;
    this.handlers = handlers;
    this.boxes = [];
    this.activations = [];
    this.dropout = 0;
    this.maxDropout = 0.9;
  }

  /** One box per hidden layer (`hidden` lists their sizes) with the layers' activation names and the choices. */
  build(hidden, activations, activationOptions) {
    this.activations = activations;
    this.overlay.replaceChildren();
    this.boxes = hidden.map((n, l) => {
      const box = document.createElement("div");
      box.className = "layer-box";
      const minus = button("−", `Remove a neuron from hidden layer ${l + 1}`, () => this.changeNeurons(hidden, l, -1));
      const plus = button("+", `Add a neuron to hidden layer ${l + 1}`, () => this.changeNeurons(hidden, l, +1));
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
      for (const name of activationOptions || []) select.add(new Option(name, name));
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

  /** Centre each layer's box over its column (`xs` are the diagram's column centres, inputs first). */
  place(xs) {
    this.boxes.forEach((box, l) => {
      box.style.left = `${xs[l + 1]}px`;
    });
  }

  /** Show each hidden layer's dropout rate (one rate for all, or one per layer) in its box. */
  setDropout(dropout, max = this.maxDropout) {
    this.dropout = dropout;
    this.maxDropout = max;
    for (const [l, box] of this.boxes.entries()) {
      const input = box.querySelector(".layer-dropout");
      input.max = String(max);
      input.value = String(this.dropoutOf(l));
    }
  }

  dropoutOf(l) {
    const d = this.dropout ?? 0;
    return Array.isArray(d) ? d[l] ?? d.at(-1) ?? 0 : d;
  }

  changeNeurons(hidden, l, delta) {
    const sizes = hidden.slice();
    sizes[l] = Math.max(1, Math.min(this.handlers.maxNeurons(), sizes[l] + delta));
    this.handlers.onLayers(sizes);
  }
}
