// The diagram's two pop-ups: the hover card (a weight's or a neuron's numbers, live while training) and the
// field that edits one weight or bias after a click. `d` is the NetworkDiagram they belong to.

const fmt = (v) => (Number.isFinite(v) ? (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(4)) : String(v));

export class HoverCard {
  constructor(el) {
    this.el = el;
    this.html = null;
    this.extra = null;  // (parameter index) → more HTML lines for a weight (the optimizer's state: optimizer-card.js)
  }

  hide() {
    this.el.hidden = true;
  }

  /** Place the card beside the pointer for the diagram's hover (none for a feature) and fill it in. */
  show(d) {
    const hover = d.hover;
    if (!hover || hover.kind === "feature") { this.hide(); return; }
    this.el.hidden = false;
    this.el.style.left = `${Math.min(hover.px + 14, d.w - 200)}px`;
    this.el.style.top = `${Math.max(0, hover.py - 10)}px`;
    this.update(d);
  }

  /** The card's text from the latest frame, so it keeps changing while training. */
  update(d) {
    const h = d.hover;
    const f = d.frame;
    if (!h || !f || h.kind === "feature") return;
    let html;
    if (h.kind === "link") {
      const layer = d.layers[h.layer];
      const index = layer.wOffset + h.from * layer.fanOut + h.to;
      html = `<b>Weight</b> layer ${h.layer + 1}: unit ${h.from + 1} → neuron ${h.to + 1}<br>value <output class="card-value">${fmt(f.params[index])}</output>`
        + `<br>gradient ∂L/∂w ${fmt(f.grads ? f.grads[index] : NaN)}${this.extra ? this.extra(index) : ""}<br><small>Click to edit</small>`;
    } else {
      const layer = d.layers[h.column - 1];
      let n = 0;
      for (let c = 1; c < h.column; c++) n += d.sizes[c];
      n += h.index;
      const name = h.column === d.columns.length - 1 ? "Output" : `Neuron ${h.index + 1}, layer ${h.column}`;
      html = `<b>${name}</b><br>bias <output class="card-value">${fmt(f.params[layer.bOffset + h.index])}</output>`
        + `<br>bias gradient ${fmt(f.grads ? f.grads[layer.bOffset + h.index] : NaN)}`
        + `<br>δ mean ${fmt(f.delta_mean ? f.delta_mean[n] : NaN)}<br>|δ| mean ${fmt(f.delta_abs ? f.delta_abs[n] : NaN)}`
        + (h.kind === "bias" ? "<br><small>Click to edit the bias</small>" : "");
    }
    if (html !== this.html) {
      this.el.innerHTML = html;
      this.html = html;
    }
  }
}

export class WeightEditor {
  /** `onSet(layer, row, col, value)` sends the new value (col null for a bias); Enter commits, Escape or blur cancels. */
  constructor(el, onSet) {
    this.el = el;
    this.onSet = onSet;
    this.target = null;
    el.addEventListener("keydown", (e) => this.key(e));
    el.addEventListener("blur", () => { el.hidden = true; });
  }

  /** Open the field at a clicked link or bias square, holding its value in the diagram's latest frame. */
  open(d, hit) {
    const f = d.frame;
    let target;
    if (hit.kind === "link") {
      const layer = d.layers[hit.layer];
      target = { layer: hit.layer, row: hit.to, col: hit.from, value: f.params[layer.wOffset + hit.from * layer.fanOut + hit.to] };
    } else {
      const layer = d.layers[hit.column - 1];
      target = { layer: hit.column - 1, row: hit.index, col: null, value: f.params[layer.bOffset + hit.index] };
    }
    const el = this.el;
    this.target = target;
    el.hidden = false;
    el.value = target.value.toFixed(4);
    el.style.left = `${Math.max(0, hit.px - el.offsetWidth - 8)}px`;  // left of the point: the hover card is to its right
    el.style.top = `${Math.max(0, hit.py - el.offsetHeight / 2)}px`;
    el.setAttribute("aria-label", target.col === null ? "New bias value" : "New weight value");
    el.focus();
    el.select();
  }

  key(event) {
    if (event.key === "Escape") { this.el.hidden = true; return; }
    if (event.key !== "Enter") return;
    const value = Number(this.el.value);
    if (Number.isFinite(value)) {
      const { layer, row, col } = this.target;
      this.onSet(layer, row, col, value);
    }
    this.el.hidden = true;
  }
}
