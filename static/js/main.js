// Wires the widgets together; draws nothing itself.
import { Charts } from "./charts.js";
import { Controls } from "./controls.js";
import { ExportCode } from "./export-code.js";
import { GradientCheck } from "./gradcheck.js";
import { bindKeys } from "./keyboard.js";
import { Heatmap } from "./heatmap.js";
import { mountInside } from "./inside.js";
import { mountLandscape } from "./landscape.js";
import { mountTrace } from "./lesson-trace.js";
import { NetworkDiagram } from "./network.js";
import { Notices } from "./notices.js";
import { mountOptimizerCard } from "./optimizer-card.js";
import { PageState } from "./page-state.js";
import { mountPresets } from "./presets.js";
import { mountRace } from "./race.js";
import { Readouts } from "./readouts.js";
import { frameSummary, RenderLoop } from "./render-loop.js";
import { Resume } from "./resume.js";
import { mountRoom } from "./room.js";
import { RunFiles } from "./run-files.js";
import { mountServerLoad } from "./server-load.js";
import { PlaygroundSocket } from "./socket.js";
import { hiddenNames } from "./urlstate.js";

const $ = (selector) => document.querySelector(selector);

const playground = {
  connected: false, config: null, epoch: 0, step: 0, framesReceived: 0, drawStats: null, state: "idle",
  layout: null, data: null, options: null, events: [], gradcheck: null, preset: null, claim: null,
  get lastFrame() { return frameSummary(loop.newest); },
  get lastParams() { return loop.newest?.params ? Array.from(loop.newest.params) : []; },
};
window.__playground = playground;

let wantPlaying = false;
let divergedAt = null;

const notices = new Notices($("#notices"), $("#status"));
const socket = new PlaygroundSocket({
  url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`,
  onMessage: receive,
  onFrame: frame,
  onState: connection,
  onRaceFrame: (buffer) => race.frame(buffer),
});
const send = (message) => { resume.sent(message); socket.send(message); };
playground.send = send;  // the page's own socket, for tests and the console
const resume = new Resume({  // the run restored on a new session after a restart (the views below, when it is done)
  playground, send, notices,
  frame: () => loop.newest,
  onDone: (run) => {
    charts.continueRun();
    if (run.training) send({ type: "play" });
  },
});

const controls = new Controls($("#controls"), {
  onConfig: (patch) => { playground.preset = null; send({ type: "config", ...patch }); },
  onPage: (key, value) => { page.set(key, value); page.save(); },
});
const heatmap = new Heatmap($("#heatmap"), {
  onAdd: (x, y, label) => send({ type: "add_point", x, y, label }),
  onErase: (x, y, radius) => send({ type: "erase_points", x, y, radius }),
});
const diagram = new NetworkDiagram($("#diagram"), {
  onToggleFeature: (name) => {
    if (controls.hidden?.has("features")) return;  // hidden for the class: no other way to change them either
    const active = playground.config.features;
    const next = active.includes(name) ? active.filter((f) => f !== name) : [...active, name];
    if (next.length) send({ type: "config", features: featureOrder().filter((f) => next.includes(f)) });
  },
  onLayers: (layers) => send({ type: "config", layers }),
  onActivation: (activation) => send({ type: "config", activation }),
  onDropout: (dropout) => send({ type: "config", dropout }),
  onSetWeight: (layer, row, col, value) => send({ type: "set_weight", layer, row, col, value }),
  onHoverNeuron: (neuron) => { heatmap.neuron = neuron; },
  maxNeurons: () => playground.limits.max_neurons,
});
const charts = new Charts($(".charts-panel"));
const readouts = new Readouts();
const loop = new RenderLoop({ playground, heatmap, diagram, charts, notices });
const page = new PageState({ playground, controls, heatmap, diagram, charts, send, notices, onRedraw: () => loop.invalidate(),
  extra: () => inside.urlState() });
const files = new RunFiles({
  playground, send, notices,
  canvases: () => [diagram.canvas, heatmap.snapshot(), ...charts.all.map((c) => c.canvas).filter((c) => c.width)],
  background: () => (page.dark ? "#1b1e24" : "#ffffff"),
  params: () => loop.latest?.params,
});
playground.probe = {
  linkPoint: (layer, row, col) => diagram.linkPoint(layer, row, col),
  value: (layer, row, col = null) => diagram.value(layer, row, col),
  nodePoint: (column, index) => diagram.nodePoint(column, index),
  sizes: () => diagram.sizes,
  marked: () => heatmap.marked,
  chartRange: (name) => charts[name].range(),
  chartLast: (name) => charts[name].series.map((s) => s.ys[charts[name].n - 1]),
  chartSeries: (name) => {  // [steps, values of each series] as plotted
    const c = charts[name];
    return [Array.from(c.xs.subarray(0, c.n)), ...c.series.map((s) => Array.from(s.ys.subarray(0, c.n)))];
  },
  benchmark: (n = 200) => loop.benchmark(n),
};
const gradcheck = new GradientCheck($("#tools"), { send });
const serverLoad = mountServerLoad($("#server-load"));
const exportCode = new ExportCode($("#tools"), { send });
const inside = mountInside({ playground, send, heatmap, loop, charts, decoder: () => socket.decoder, save: () => page.save() });
const race = mountRace($("#race"), { send, dark: () => page.dark });
const landscape = mountLandscape($("#landscape"), {
  send, dark: () => page.dark, laneColor: race.laneColor,
  lanes: () => (race.active ? race.race.lanes.map((l) => l.label) : null),
});
const optimizerCard = mountOptimizerCard({ send, onAnswer: () => { if (diagram.hover) diagram.card.update(diagram); } });
diagram.card.extra = (index) => optimizerCard.lines(index);
playground.race = race;
playground.landscape = landscape;
const room = mountRoom($("#room"), {  // a classroom room: a student following the teacher sees the controls read-only
  send,
  readOnly: (on) => {
    document.body.classList.toggle("room-read-only", on);
    for (const selector of ["#controls", ".runbar", ".layer-count", "#diagram", "#heatmap .heatmap-wrap"]) $(selector).inert = on;
  },
});
playground.room = room;
const byHand = mountTrace($("#by-hand"), {
  send,
  pick: (callback) => {
    $("#heatmap").scrollIntoView({ block: "nearest" });  // the map the student is asked to click, in view
    heatmap.pick(callback);
  },
  onTrace: (point) => heatmap.mark(point),
});

function featureOrder() {
  return playground.options.config.features.values;
}

function connection(state, detail) {
  playground.connected = state === "open";
  if (state === "closed") resume.lost(detail);
  notices.connection(state, detail);
}

function receive(message) {
  if (room.handle(message)) return;
  if (inside.handleMessage(message)) return;
  if (race.handleMessage(message) || landscape.handleMessage(message) || optimizerCard.handleMessage(message)) return;
  byHand.handleMessage(message);
  switch (message.type) {
    case "hello": return hello(message);
    case "config": files.answer(message); resume.answer(message); return applied(message.config);
    case "state": return training(message.state);
    case "layout": return layout(message);
    case "data": return data(message);
    case "event": return event(message);
    case "error": return files.answer(message) || resume.answer(message) || exportCode.refused(message) || error(message);
    case "gradcheck": playground.gradcheck = message; return gradcheck.show(message);
    case "csv": return files.csv(message);
    case "export": return exportCode.show(message);
    case "claim": playground.claim = message; return presets.claim(message);
    case "server_load": playground.serverLoad = message; return serverLoad.show(message);
    default: return undefined;
  }
}

function hello(message) {
  playground.options = message.options;
  playground.limits = message.limits;
  for (const kind of [...noted.keys(), ...RECOVERABLE, ...STALE_AFTER_RESET]) notices.dismiss(kind);  // a new session: old news
  playground.protocol = message.protocol;
  if (!controls.options) {
    controls.build(playground.options, message.config);
    const unknown = controls.hide(hiddenNames(), message.hide);
    if (unknown.length) {
      notices.show("hide", `The link's ?hide= names ${unknown.map((n) => `"${n}"`).join(", ")}, which the page does not have; it can hide: ${message.hide.join(", ")}.`, "warning");
    }
  }
  applied(message.config, true);
  if (message.state) training(message.state);
  page.restore(message.config);
  const restoring = resume.hello(message);  // after the hash's settings: the saved run's own config comes last
  if (wantPlaying && !restoring) send({ type: "play" });
  ready = true;
  for (const action of waiting.splice(0)) action();
  room.hello();
}

function applied(config, fromHello = false) {
  if (!fromHello) resume.applied(playground.config, config);
  playground.config = config;
  controls.setConfig(config);
  diagram.setDropout(config.dropout, playground.options.config.dropout.max);
  if (!fromHello) page.applied();
  if (divergedAt !== null && config.learning_rate < divergedAt) {
    notices.dismiss("diverged");
    divergedAt = null;
  }
  readouts.setConfig(config);
}

function training(state) {
  playground.state = state;
  readouts.setState(state);
}

function layout(message) {
  playground.layout = message;
  heatmap.setOutput(message.grids.output, message.grids.extent);
  loop.forget();
  good = null;  // another network shape: its old weights cannot come back
  layoutDiagram();
}

function layoutDiagram() {
  const { network } = playground.layout;
  const hidden = network.layers.slice(0, -1).map((l) => l.activation);
  const activationOptions = playground.options.config.activation.values;
  diagram.setLayout(playground.layout, featureOrder(), network.features, hidden,
    activationOptions, playground.options.features);
}

function data(message) {
  playground.data = message;
  readouts.setData(message);
  heatmap.setData(message);
}

const QUIET_EVENTS = new Set(["reset"]);
const FIELD_OF = { diverged: "learning_rate", saturated_units: "learning_rate", dead_units: "learning_rate", loss_changed: "loss", reinitialized: "layers" };
const RECOVERABLE = ["diverged", "saturated_units", "dead_units"];  // notices that offer a way back
// Reset ends these (the server counts dead units afresh; a saturation it clears itself with `saturation_cleared`).
const STALE_AFTER_RESET = ["diverged", "dead_units", "applies_on_reset"];
const noted = new Map();  // notice kind → the control it is also shown beside
let pendingLoss = [];  // changes whose notice gets the loss a few frames later
let good = null;  // the lowest-loss weights of this network shape so far: a roll-back after a divergence

/** The one-click ways out a notice offers. */
function actionsFor(kind) {
  if (kind === "applies_on_reset") return [["Reset now", buttons["#reset"]]];
  if (!RECOVERABLE.includes(kind)) return [];
  const out = [["Fresh weights", buttons["#reset"]]];
  const snapshot = good;
  if (snapshot) {  // the event comes before the frame of the steps that caused it
    out.unshift([`Back to step ${snapshot.step} (loss ${snapshot.loss.toPrecision(3)})`, () => {
      send({ type: "set_params", params: Array.from(snapshot.params), step: snapshot.step, epoch: snapshot.epoch });
      for (const k of STALE_AFTER_RESET) notices.dismiss(k);  // a saturation: the server says when it has cleared
    }]);
  }
  return out;
}

function event(message) {
  playground.events.push(message);
  if (playground.events.length > 100) playground.events.shift();
  if (message.kind === "diverged") divergedAt = playground.config?.learning_rate ?? Infinity;
  if (QUIET_EVENTS.has(message.kind)) return;
  const kind = message.kind === "changed" ? `changed-${message.field}` : message.kind;
  const text = notices.event({ ...message, kind }, actionsFor(kind));
  const field = message.field || FIELD_OF[kind];
  if (field && text && controls.note(field, text)) noted.set(kind, field);
  if (message.kind === "changed") {
    const before = playground.lastFrame?.train_loss;
    if (Number.isFinite(before)) pendingLoss.push({ kind, before, at: playground.framesReceived + 1 });  // the frame right after the change
  }
}

notices.onDismiss = (kind) => {
  const field = noted.get(kind);
  noted.delete(kind);
  if (field && ![...noted.values()].includes(field)) controls.note(field, null);
};

/** A change's notice gets what the loss did after it. */
function followLoss(f) {
  pendingLoss = pendingLoss.filter(({ kind, before, at }) => {
    if (playground.framesReceived < at) return true;
    const sentence = `Loss ${before.toPrecision(2)} → ${f.train_loss.toPrecision(2)}.`;
    notices.append(kind, sentence);
    const field = noted.get(kind);
    if (field && notices.has(kind)) controls.note(field, notices.text(kind));
    return false;
  });
}

function error(message) {
  if (page.restoreFailed(message)) return;
  const field = message.field;
  if (!field || !controls.showError(field, message.message)) notices.show(`error-${field || message.code}`, message.message, "error");
}

const SUMMARY_SECONDS = 5;  // a screen reader hears the run every few seconds, not at the frame rate
let summarised = { at: 0, state: null };

/** The canvases' text alternative, read politely: the state, step, loss, accuracy and the network's shape. */
function summarise(f, force = false) {
  const now = performance.now() / 1000;
  if (!force && now - summarised.at < SUMMARY_SECONDS && summarised.state === playground.state) return;
  summarised = { at: now, state: playground.state };
  const shape = diagram.sizes?.length ? diagram.sizes.join("-") : "";
  const accuracy = Number.isFinite(f.train_accuracy) ? `, accuracy ${Math.round(f.train_accuracy * 100)} %` : "";
  $("#summary").textContent = `${playground.state === "training" ? "Training" : "Paused"} at step ${f.step}: `
    + `loss ${Number.isFinite(f.train_loss) ? f.train_loss.toPrecision(3) : "not a number"}${accuracy}; network ${shape}.`;
}

function frame(f, frameLayout) {
  if (resume.active) return;  // the new session's fresh state, about to be replaced by the restored run
  playground.framesReceived += 1;
  playground.epoch = f.epoch;
  playground.step = f.step;
  charts.addFrame(f);
  loop.receive(f, playground.framesReceived);
  if (f.params && Number.isFinite(f.train_loss) && (!good || good.params.length !== f.params.length || f.train_loss <= good.loss)) {
    good = { step: f.step, epoch: f.epoch, loss: f.train_loss, params: Float32Array.from(f.params) };
  }
  if (pendingLoss.length) followLoss(f);
  summarise(f);
  inside.frame();
  if (frameLayout !== playground.layout) playground.layout = frameLayout;
}

loop.start();

const buttons = {
  "#play": () => {
    if (!playground.connected) {  // an outage: remember the wish, the new session's hello acts on it
      wantPlaying = !wantPlaying;
      notices.show("play-later", wantPlaying ? "Training starts as soon as the server is back." : "Training stays paused when the server is back.", "info");
      return;
    }
    wantPlaying = playground.state !== "training";
    send({ type: wantPlaying ? "play" : "pause" });
  },
  "#step": () => send({ type: "step", n: 1 }),
  "#epoch": () => send({ type: "epoch" }),
  "#reset": () => {
    send({ type: "reset" });
    charts.clear();
    for (const kind of STALE_AFTER_RESET) notices.dismiss(kind);
    divergedAt = null;
    good = null;
  },
  "#regenerate": () => send({ type: "regenerate" }),
  "#add-layer": () => {
    const layers = playground.config.layers;
    if (layers.length < playground.limits.max_layers) send({ type: "config", layers: [...layers, layers.at(-1) ?? 2] });
  },
  "#remove-layer": () => send({ type: "config", layers: playground.config.layers.slice(0, -1) }),
  "#presenter": () => page.toggle("presenter"),
  "#theme": () => page.toggle("theme"),
};
for (const [selector, action] of Object.entries(buttons)) $(selector).addEventListener("click", action);
files.bind();

bindKeys({ play: buttons["#play"], step: buttons["#step"], reset: buttons["#reset"] });

page.set("theme", page.view.theme);
let ready = false;
let waiting = [];
const whenReady = (action) => { if (ready) action(); else waiting.push(action); };
const presets = mountPresets($("#presets"), {
  apply: (preset) => whenReady(() => {
    send({ type: "config", ...preset.config });
    send({ type: "watch_claim", preset: preset.id, pause: presets.pauseWanted, reset: true });
    send({ type: "play" });
    wantPlaying = true;
  }),
  rewatch: (preset) => {  // same data seed as now ("New data" keeps its draw); the server refuses other changes
    send({ type: "watch_claim", preset: preset.id, pause: presets.pauseWanted, reset: true });
    send({ type: "play" });
    wantPlaying = true;
  },
});
playground.presets = presets;
page.followHash(() => socket.open);

socket.connect();
