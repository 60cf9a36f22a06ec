// The optimizer's state for the weight under the pointer, for the diagram's hover card: asked with
// `optimizer_state` (engine/optim/optimizer_state.py) when the hovered weight changes and again while it stays, one request
// in flight, at most one every MIN_INTERVAL_MS.
//
//   const card = mountOptimizerCard({ send, onAnswer });  onAnswer() — redraw the card (no frame comes while paused)
//   card.lines(index) — HTML lines for parameter `index` (asks for them when not yet known); card.handleMessage(m)

import { MIN_INTERVAL_MS } from "./live-request.js";

const fmt = (v) => (v === null || v === undefined ? "–" : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(4));
const ESCAPE = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };
const esc = (text) => String(text).replace(/[&<>]/g, (c) => ESCAPE[c]);

export function mountOptimizerCard({ send, onAnswer = () => {} }) {
  let index = null;
  let answer = null;
  let pending = null;
  let last = -Infinity;
  let count = 0;
  let timer = null;

  function ask() {
    clearTimeout(timer);
    if (index === null || pending !== null) return;
    const wait = last + MIN_INTERVAL_MS - performance.now();
    if (wait > 0) { timer = setTimeout(ask, wait); return; }
    last = performance.now();
    pending = `optimizer-card-${++count}`;
    send({ type: "optimizer_state", index, id: pending });
  }

  return {
    lines(i) {
      if (i !== index) { index = i; answer = null; }
      ask();
      if (!answer || answer.index !== i) return "<br><small>optimizer state…</small>";
      const state = Object.entries(answer.state).map(([name, v]) => `${esc(name)} ${fmt(v)}`).join(" · ");
      return `<br><b>${esc(answer.optimizer)}</b>${answer.t !== undefined ? ` t ${answer.t}` : ""}`
        + (state ? `<br><span class="card-optimizer">${state}</span>` : "")
        + `<br>last step Δw ${fmt(answer.update)}`;
    },
    handleMessage(m) {
      if (m.type === "hello") { pending = null; return false; }
      if (pending === null || m.id !== pending) return false;
      pending = null;
      if (m.type === "optimizer_state") { answer = m; onAnswer(); }
      return true;
    },
    leave() { index = null; clearTimeout(timer); },
  };
}
