// Wires the widgets together; draws nothing itself.
import { Charts } from "./charts.js";
import { Controls, getPath } from "./controls.js";
import { csvForUpload, download, exportPng, exportRun, readFile } from "./files.js";
import { GradientCheck } from "./gradcheck.js";
import { bindKeys } from "./keyboard.js";
import { Heatmap } from "./heatmap.js";
import { mountTrace } from "./lesson-trace.js";
import { NetworkDiagram } from "./network.js";
import { Notices } from "./notices.js";
import { mountPresets } from "./presets.js";
import { PlaygroundSocket } from "./socket.js";
import { DrawStats, FrameTimer, RateMeter } from "./timing.js";
import { decodeValue, hiddenNames, readHash, writeHash } from "./urlstate.js";

const $ = (selector) => document.querySelector(selector);
const PAGE_KEYS = ["show_test", "discretize", "flow", "log_loss", "presenter", "theme", "preset"];

/** A plain summary of the latest frame for tests, built only when read (frames themselves are views, never copied). */
const summary = (f) => f && {
  step: f.step, epoch: f.epoch, run: f.run, train_loss: f.train_loss, test_loss: f.test_loss, batch_loss: f.batch_loss,
  train_accuracy: f.train_accuracy, test_accuracy: f.test_accuracy, learning_rate: f.learning_rate,
  grad_norm: f.grad_norm ? Array.from(f.grad_norm) : [], delta_abs: f.delta_abs ? Array.from(f.delta_abs) : [],
  update_ratio: f.update_ratio ? Array.from(f.update_ratio) : [],
};

const playground = {
  connected: false, config: null, epoch: 0, step: 0, framesReceived: 0, drawStats: null, state: "idle",
  layout: null, data: null, options: null, events: [], gradcheck: null, preset: null,
  get lastFrame() { return summary(newest); },
  get lastParams() { return newest?.params ? Array.from(newest.params) : []; },
};
window.__playground = playground;

const view = { presenter: false, theme: matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light" };
let latest = null;
let newest = null;
let drawn = null;
let restoring = null;
let wantPlaying = false;
let pendingWeights = null;
let divergedAt = null;
const timer = new FrameTimer(["heatmap", "diagram", "charts"]);
const stepRate = new RateMeter();
const frameRate = new RateMeter();

const notices = new Notices($("#notices"), $("#status"));
const socket = new PlaygroundSocket({
  url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`,
  onMessage: receive,
  onFrame: frame,
  onState: connection,
});
const send = (message) => socket.send(message);

const controls = new Controls($("#controls"), {
  onConfig: (patch) => { playground.preset = null; send({ type: "config", ...patch }); },
  onPage: (key, value) => { setPage(key, value); saveHash(); },
});
const heatmap = new Heatmap($("#heatmap"), {
  onAdd: (x, y, label) => send({ type: "add_point", x, y, label }),
  onErase: (x, y, radius) => send({ type: "erase_points", x, y, radius }),
});
const diagram = new NetworkDiagram($("#diagram"), {
  onToggleFeature: (name) => {
    const active = playground.config.features;
    const next = active.includes(name) ? active.filter((f) => f !== name) : [...active, name];
    if (next.length) send({ type: "config", features: featureOrder().filter((f) => next.includes(f)) });
  },
  onLayers: (layers) => send({ type: "config", layers }),
  onActivation: (activation) => send({ type: "config", activation }),
  onDropout: (dropout) => send({ type: "config", dropout }),
  onSetWeight: (layer, row, col, value) => send({ type: "set_weight", layer, row, col, value }),
  onHoverNeuron: (neuron) => { heatmap.neuron = neuron; },
  maxNeurons: () => playground.limits?.max_neurons ?? 16,
});
const charts = new Charts($(".charts-panel"));
playground.probe = {
  linkPoint: (layer, row, col) => diagram.linkPoint(layer, row, col),
  value: (layer, row, col = null) => diagram.value(layer, row, col),
  nodePoint: (column, index) => diagram.nodePoint(column, index),
  sizes: () => diagram.sizes,
  marked: () => heatmap.marked,
  /** Draw the latest frame `n` times as if it were new; median and p95 in ms (for the performance report). */
  benchmark: (n = 200) => {
    const times = new DrawStats(n);
    for (let k = 0; k < n; k++) {
      const start = performance.now();
      heatmap.draw(latest, true);
      diagram.draw(latest, true, performance.now());
      for (const chart of charts.all) chart.urgent = true;
      charts.draw();
      times.add(performance.now() - start);
    }
    return times.summary();
  },
};
const gradcheck = new GradientCheck($("#tools"), { send });
const byHand = mountTrace($("#by-hand"), { send, pick: (callback) => heatmap.pick(callback), onTrace: (point) => heatmap.mark(point) });

function featureOrder() {
  const f = playground.options?.features;
  return Array.isArray(f) ? f : Object.keys(f || {}).length ? Object.keys(f) : playground.options?.config?.features?.values || playground.config.features;
}

function connection(state, detail) {
  playground.connected = state === "open";
  notices.connection(state, detail);
}

function receive(message) {
  byHand.handleMessage(message);
  switch (message.type) {
    case "hello": return hello(message);
    case "config": return applied(message.config);
    case "state": return training(message.state);
    case "layout": return layout(message);
    case "data": return data(message);
    case "event": return event(message);
    case "error": return error(message);
    case "gradcheck": playground.gradcheck = message; return gradcheck.show(message);
    case "csv": return download("backprop-data.csv", new Blob([message.csv], { type: "text/csv" }));
    default: return undefined;
  }
}

function hello(message) {
  playground.options = message.options || {};
  playground.limits = message.limits || {};
  playground.protocol = message.protocol;
  if (!controls.options) {
    controls.build(playground.options, message.config);
    controls.hide(hiddenNames());
  }
  applied(message.config, true);
  if (message.state) training(message.state);
  const hash = readHash();
  const patch = {};
  for (const [key, text] of Object.entries(hash)) {
    if (PAGE_KEYS.includes(key)) continue;
    const reference = message.config[key] ?? (key === "speed" ? 1 : undefined);
    if (reference === undefined) continue;
    const value = decodeValue(text, reference);
    if (JSON.stringify(value) !== JSON.stringify(message.config[key])) patch[key] = value;
  }
  for (const key of PAGE_KEYS) if (key in hash && key !== "preset") setPage(key, decodeValue(hash[key], key === "theme" ? "" : false));
  restoring = Object.keys(patch).length ? patch : null;
  if (restoring) send({ type: "config", ...patch });
  else saveHash();
  if (wantPlaying) send({ type: "play" });
  ready = true;
  for (const action of waiting.splice(0)) action();
}

function applied(config, fromHello = false) {
  playground.config = config;
  controls.setConfig(config);
  diagram.setDropout(config.dropout, playground.options.config?.dropout?.max ?? 0.9);
  if (!fromHello) {
    restoring = null;
    controls.clearErrors();
    saveHash();
  }
  if (pendingWeights) setTimeout(() => { if (pendingWeights) loadWeights(); }, 400);
  if (divergedAt !== null && config.learning_rate < divergedAt) {
    notices.dismiss("diverged");
    divergedAt = null;
  }
  $("#rate-figure").hidden = (config.schedule?.name || "constant") === "constant";
  const hidden = config.layers.length;
  $("#layer-count").textContent = `${hidden} hidden layer${hidden === 1 ? "" : "s"}`;
}

function training(state) {
  playground.state = state;
  const playing = state === "training";
  $("#play").textContent = playing ? "❚❚ Pause" : "▶ Play";
  $("#play").setAttribute("aria-pressed", String(playing));
  $("#play").setAttribute("aria-label", playing ? "Pause training" : "Start training");
}

function layout(message) {
  playground.layout = message;
  heatmap.setOutput(message.grids?.output || {});
  latest = null;
  drawn = null;
  layoutDiagram();
  if (pendingWeights) loadWeights();
}

function layoutDiagram() {
  const network = playground.layout.network || {};
  const hidden = (network.layers || []).slice(0, -1).map((l) => l.activation);
  const activationOptions = playground.options.config?.activation?.values || playground.options.activations || [];
  diagram.setLayout(playground.layout, featureOrder(), network.features || playground.config.features, hidden,
    activationOptions, playground.options.features);
}

function data(message) {
  playground.data = message;
  $("#accuracy-figure").hidden = message.problem === "regression";
  heatmap.setData(message);
}

const QUIET_EVENTS = new Set(["reset"]);

function event(message) {
  playground.events.push(message);
  if (playground.events.length > 100) playground.events.shift();
  if (!QUIET_EVENTS.has(message.kind)) notices.event(message);
  if (message.kind === "diverged") divergedAt = playground.config?.learning_rate ?? Infinity;
}

function error(message) {
  const field = message.field;
  if (restoring && field) {
    const { [field.split(".")[0]]: _, ...rest } = restoring;
    restoring = Object.keys(rest).length ? rest : null;
    notices.show("restore", `The link's setting "${field}" could not be used: ${message.message}`, "warning");
    if (restoring) send({ type: "config", ...restoring });
    return;
  }
  if (!field || !controls.showError(field, message.message)) notices.show(`error-${field || message.code}`, message.message, "error");
}

function frame(f, frameLayout) {
  latest = f;
  newest = f;
  playground.framesReceived += 1;
  playground.epoch = f.epoch;
  playground.step = f.step;
  charts.addFrame(f);
  stepRate.add(f.step);
  frameRate.add(playground.framesReceived);
  if (frameLayout !== playground.layout) playground.layout = frameLayout;
}

function setPage(key, value) {
  if (key === "presenter") {
    view.presenter = value === true || value === "true";
    document.body.classList.toggle("presenter", view.presenter);
    $("#presenter").setAttribute("aria-pressed", String(view.presenter));
  } else if (key === "theme") {
    view.theme = value === "dark" ? "dark" : "light";
    document.documentElement.dataset.theme = view.theme;
    $("#theme").setAttribute("aria-pressed", String(view.theme === "dark"));
    $("#theme").textContent = view.theme === "dark" ? "Light" : "Dark";
  } else {
    controls.page[key] = value;
    controls.write(key, value);
  }
  const dark = view.theme === "dark";
  heatmap.setOptions({ showTest: controls.page.show_test, discretize: controls.page.discretize, dark });
  diagram.flow = controls.page.flow;
  diagram.presenter = view.presenter;
  diagram.geometryDirty = true;
  if (diagram.dark !== dark) diagram.setTheme(dark);
  charts.setOptions({ log: controls.page.log_loss, dark, presenter: view.presenter });
  drawn = null;
}

function saveHash() {
  if (!playground.config || restoring) return;
  const values = { ...playground.config, ...controls.page, presenter: view.presenter, theme: view.theme, preset: playground.preset };
  writeHash(values);
}

function draw(time) {
  requestAnimationFrame(draw);
  const f = latest;
  if (!f || !playground.layout) return;
  const fresh = f !== drawn;
  if (!fresh && !(diagram.flow && playground.state === "training") && !diagram.hover && heatmap.neuron === heatmap.neuronShown) {
    if (heatmap.pointsDirty) heatmap.drawPoints(); // e.g. a point marked while idle
    charts.draw();
    return;
  }
  timer.measure("heatmap", () => heatmap.draw(f, fresh));
  timer.measure("diagram", () => diagram.draw(f, fresh, time));
  timer.measure("charts", () => charts.draw());
  if (fresh) {
    if (drawn !== null) timer.commit();
    drawn = f;
    if (timer.total.count % 10 === 0) playground.drawStats = timer.summary();
    notices.setStatus({
      epoch: f.epoch, step: f.step, steps_per_second: Math.round(stepRate.rate()), fps: Math.round(frameRate.rate()),
      loss: Number.isFinite(f.train_loss) ? f.train_loss.toFixed(4) : String(f.train_loss),
    });
  }
}
requestAnimationFrame(draw);

function loadWeights() {
  const run = pendingWeights;
  pendingWeights = null;
  const expected = playground.layout.blocks?.find((b) => b.name === "params")?.nbytes / 4;
  if (expected && expected !== run.params.length) {
    notices.show("run", "The saved weights do not fit this network, so only the settings were loaded.", "warning");
    return;
  }
  send({ type: "set_params", params: run.params });
  notices.show("run", "Loaded the saved run: its settings and weights.", "info");
}

const buttons = {
  "#play": () => { wantPlaying = playground.state !== "training"; send({ type: wantPlaying ? "play" : "pause" }); },
  "#step": () => send({ type: "step", n: 1 }),
  "#epoch": () => send({ type: "epoch" }),
  "#reset": () => { send({ type: "reset" }); charts.clear(); notices.dismiss("diverged"); divergedAt = null; },
  "#regenerate": () => send({ type: "regenerate" }),
  "#add-layer": () => {
    const layers = playground.config.layers;
    if (layers.length < (playground.limits.max_layers ?? 8)) send({ type: "config", layers: [...layers, layers.at(-1) ?? 2] });
  },
  "#remove-layer": () => send({ type: "config", layers: playground.config.layers.slice(0, -1) }),
  "#presenter": () => { setPage("presenter", !view.presenter); saveHash(); },
  "#theme": () => { setPage("theme", view.theme === "dark" ? "light" : "dark"); saveHash(); },
  "#export_csv": () => send({ type: "export_csv" }),
  "#export_png": () => exportPng([diagram.canvas, heatmap.snapshot(), ...charts.all.map((c) => c.canvas).filter((c) => c.width)],
    view.theme === "dark" ? "#1b1e24" : "#ffffff"),
  "#export_run": () => exportRun(playground.config, playground.layout, latest?.params, playground.step, playground.epoch),
};
for (const [selector, action] of Object.entries(buttons)) $(selector).addEventListener("click", action);

$("#import_csv").addEventListener("change", async (e) => {
  const limit = (playground.limits?.max_message_bytes ?? 65536) - 256;
  const csv = csvForUpload(await readFile(e.target), limit);
  if (csv === null) {
    notices.show("csv", `That CSV file is too big to send (at most about ${Math.floor(limit / 1024)} KB). Use fewer points.`, "error");
    return;
  }
  send({ type: "load_csv", csv });
});
$("#import_run").addEventListener("change", async (e) => {
  try {
    const run = JSON.parse(await readFile(e.target));
    pendingWeights = Array.isArray(run.params) ? run : null;
    send({ type: "config", ...run.config });
    send({ type: "reset" });
  } catch (err) {
    notices.show("run", `That file is not a saved run: ${err.message}`, "error");
  }
});

bindKeys({ play: buttons["#play"], step: buttons["#step"], reset: buttons["#reset"] });

setPage("theme", view.theme);
let ready = false;
let waiting = [];
const whenReady = (action) => { if (ready) action(); else waiting.push(action); };
mountPresets($("#presets"), {
  apply: (preset) => whenReady(() => {
    send({ type: "config", ...preset.config });
    send({ type: "reset" });
    send({ type: "play" });
    wantPlaying = true;
  }),
});

window.addEventListener("hashchange", () => {
  if (!playground.config || !socket.open) return;
  const patch = {};
  for (const [key, text] of Object.entries(readHash())) {
    if (key === "preset") continue;
    if (PAGE_KEYS.includes(key)) { setPage(key, decodeValue(text, key === "theme" ? "" : false)); continue; }
    const current = getPath(playground.config, key);
    if (current === undefined) continue;
    const value = decodeValue(text, current);
    if (JSON.stringify(value) !== JSON.stringify(current)) patch[key] = value;
  }
  if (Object.keys(patch).length) send({ type: "config", ...patch });
});

socket.connect();
