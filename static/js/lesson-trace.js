// The by-hand walk-through on a live session's network: pick a training point, the server sends a `trace` with
// every z, a, δ and gradient of that point (engine.lessons.lesson.trace), and it is stepped like the worked example.
//
// In the playground: const trace = mountTrace(el, { send, pick, onTrace }); then pass every JSON message to
// trace.handleMessage(message). `pick(callback)` lets the student click a point on the output heatmap and calls
// back with { split, index }; `onTrace({ split, index } | null)` marks the point walked through. On /lesson
// (standalone) it opens its own session through `connect`.
import { Walkthrough, h } from "./lesson-steps.js";

const ARCHITECTURES = { "2-2-1": [2], "2-3-1": [3], "2-4-1": [4], "2-2-2-1": [2, 2], "2-4-4-1": [4, 4], "2-8-8-1 (too big)": [8, 8] };
const REPLY_TIMEOUT_MS = 4000;

export function mountTrace(container, { send = null, connect = null, standalone = false, pick = null, onTrace = null } = {}) {
  const live = { connected: false, trace: null, error: null, waiting: false, trainCount: null, epoch: 0 };
  window.__lessonLive = live;
  let timer = null;
  const status = h("p", { class: "live-status", "data-role": "live-status" });
  const index = h("input", { type: "number", min: "0", value: "0", step: "1", name: "trace-index", "data-field": "trace-index" });
  const split = h("select", { name: "trace-split", "aria-label": "Pick from the training or the test points" }, h("option", { value: "train" }, "training point"),
    h("option", { value: "test" }, "test point"));
  const message = h("p", { class: "live-message", "data-role": "live-message", role: "status" });
  const walkBox = h("div", {});
  const request = () => {
    const n = Number(index.value);
    if (!Number.isInteger(n) || n < 0) { message.textContent = "The point number is a whole number from 0."; return; }
    live.waiting = true;
    message.textContent = "Asking the server for this point's numbers…";
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!live.waiting) return;
      live.waiting = false;
      live.error = "timeout";
      message.textContent = "The server did not answer the trace request (it may not support `trace` yet).";
    }, REPLY_TIMEOUT_MS);
    api.send({ type: "trace", index: n, split: split.value });
  };
  const controls = [h("label", {}, "Point ", index), " ", split, " ",
    h("button", { type: "button", "data-action": "trace", onclick: request }, "walk through this point")];
  if (pick) {
    const pickButton = h("button", { type: "button", "data-action": "pick", "aria-pressed": "false", onclick: () => {
      const on = pickButton.getAttribute("aria-pressed") !== "true";
      pickButton.setAttribute("aria-pressed", String(on));
      message.textContent = on ? "Click a point on the output map." : "";
      pick(on ? (picked) => {
        pickButton.setAttribute("aria-pressed", "false");
        split.value = picked.split;
        index.value = String(picked.index);
        request();
      } : null);
    } }, "pick a point on the map");
    controls.push(" ", pickButton);
  }
  let archSelect = null;
  if (standalone) {
    archSelect = h("select", { name: "architecture", onchange: () => {
      api.send({ type: "config", layers: ARCHITECTURES[archSelect.value] });
    } }, ...Object.keys(ARCHITECTURES).map((k) => h("option", { value: k, ...(k === "2-4-4-1" ? { selected: "" } : {}) }, k)));
    controls.unshift(h("label", {}, "Network ", archSelect), " ",
      h("button", { type: "button", "data-action": "epoch", onclick: () => api.send({ type: "epoch" }) }, "train one epoch"), " ");
  }
  container.append(...(standalone ? [h("h2", {}, "The same steps on a live network")] : []),
    ...(standalone ? [h("p", {}, "This page runs its own small training session. Train it a little, pick a point, and "
      + "every number of that point's forward and backward pass is shown the same way. Networks up to 2-4-4-1 fit on "
      + "the page. The playground's own \"Backprop by hand\" panel does the same on the network you train there.")] : []),
    h("div", { class: "live-controls" }, ...controls), status, message, walkBox);
  const walk = new Walkthrough(walkBox, { id: "live-walk", runDelay: 60 });
  walkBox.hidden = true;

  const api = {
    send: (m) => (send ? send(m) : socket?.send(m)),
    handleMessage(m) {
      if (m.type === "hello") {
        live.connected = true;
        if (standalone) {
          status.textContent = "Connected to a training session.";
          api.send({ type: "config", layers: ARCHITECTURES[archSelect.value] });
        }
      } else if (m.type === "data" && Array.isArray(m.train)) {
        live.trainCount = m.train.length;
        onTrace?.(null); // the data changed: the index may now name another point
        index.max = String(Math.max(0, (split.value === "train" ? m.train.length : (m.test || []).length) - 1));
      } else if (m.type === "trace") {
        live.waiting = false;
        clearTimeout(timer);
        live.trace = m;
        if (m.too_big) {
          walkBox.hidden = true;
          onTrace?.(null);
          message.textContent = m.message || "This network is too big to read step by step (2-4-4-1 at most).";
          return;
        }
        walkBox.hidden = false;
        onTrace?.({ split: m.split, index: m.index });
        const label = Array.isArray(m.label) ? m.label.join(",") : m.label;
        const when = m.step === undefined ? "" : ` The weights are those of step ${m.step}`
          + (standalone ? "." : "; training goes on, so ask again to see the numbers now.");
        message.textContent = `Point ${m.index} (${m.split}) at (${m.point.map((v) => v.toFixed(2)).join(", ")}), `
          + `label ${label}, loss ${m.loss_name}: ${m.steps.length} steps.${when}`;
        walk.load({ ...m, target: null });
        walk.go(-1);
      } else if (m.type === "error" && live.waiting) {
        live.waiting = false;
        clearTimeout(timer);
        live.error = m.message;
        message.textContent = `The server refused: ${m.message}`;
      } else if (m.type === "config" && standalone) {
        const layers = m.config?.layers;
        const inputs = m.config.features?.length ?? 2;
        if (layers) status.textContent = `Connected: network ${[inputs, ...layers, 1].join("-")}, dataset ${m.config.dataset}.`;
      }
    },
    handleFrame(frame) {
      if (frame.epoch !== undefined) live.epoch = frame.epoch;
    },
  };
  let socket = null;
  const open = () => {
    if (socket) return;
    socket = connect({
      onMessage: (m) => api.handleMessage(m),
      onFrame: (f) => api.handleFrame(f),
      onState: (s) => { if (s !== "open") { live.connected = false; status.textContent = `Connection: ${s}`; } },
    });
    status.textContent = "Connecting…";
  };
  if (connect) {
    const start = h("button", { type: "button", "data-action": "connect", onclick: () => { start.remove(); open(); } },
      "open a live session");
    status.replaceChildren(start);
  }
  return api;
}
