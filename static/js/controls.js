// Every setting's control, built from the server's `hello` options: labels and help here, values and ranges there.

const PAGE = "page";

/** [section, config path, label, help for students, kind override]. Ranges and choices come from `hello`. */
const CONTROLS = [
  ["data", "dataset", "Dataset", "The pattern of points the network must learn to separate (or, for regression, to fit)."],
  ["data", "classes", "Classes", "How many colours (classes) the multi-class datasets use."],
  ["data", "points", "Points", "How many data points there are. More points show the pattern better but each epoch takes longer."],
  ["data", "noise", "Noise", "How much the points are scattered. With noise some points sit on the wrong side and cannot all be learnt.", "percent"],
  ["data", "train_ratio", "Training share", "Which share of the points the network trains on. The rest is test data it never learns from: it tells you how well the network generalises.", "percent"],
  ["data", "seed", "Seed", "The random seed: the same seed gives the same points and the same starting weights, so a run can be repeated exactly.", "number"],
  ["data", "features", "Input features", "What the network is given about each point. x₁ and x₂ are its coordinates; the others are ready-made curves that make some patterns easy.", "features"],
  ["network", "layers", "Hidden layers", "Neurons per hidden layer, separated by commas (for example 4,2). More layers and neurons can draw more complicated shapes.", "layers"],
  ["network", "activation", "Activation", "The function each hidden neuron applies to its weighted sum. It bends straight lines into curves; without it, many layers are no better than one."],
  ["network", "leaky_slope", "Leaky slope", "For leaky ReLU: how steep the line is for negative inputs, so the neuron never goes completely silent."],
  ["network", "loss", "Loss", "How wrongness is measured. Backpropagation starts from the derivative of this number with respect to the output."],
  ["network", "init", "Initialiser", "How the starting weights are chosen. Too big or too small starting weights make gradients explode or vanish."],
  ["network", "init_scale", "Init scale", "For the uniform initialiser: weights start between minus and plus this value."],
  ["training", "optimizer", "Optimizer", "The rule that turns gradients into weight changes. Plain SGD steps straight downhill; momentum and Adam remember earlier steps."],
  ["training", "learning_rate", "Learning rate", "How big a step each update takes. Too small: slow. Too big: the loss jumps around or blows up.", "number"],
  ["training", "schedule.name", "Rate schedule", "Changes the learning rate while training: for example smaller steps later on, to settle into a minimum."],
  ["training", "batch_size", "Batch size", "How many points are averaged for one gradient step. Small batches are noisy but quick; big ones are smooth but slow.", "number"],
  ["training", "shuffle", "Shuffle", "Mix the training points into new batches every epoch."],
  ["training", "order", "Order without shuffling", "Without shuffling, the points come in their stored order (random) or sorted by label: then every batch holds one class only, and training zig-zags."],
  ["regularisation", "regularization", "Regularisation", "Adds a penalty for big weights to the loss (L1 pushes weights to exactly zero, L2 makes them all smaller), which helps against overfitting."],
  ["regularisation", "regularization_rate", "Regularisation rate", "How strong the weight penalty is.", "number"],
  ["regularisation", "dropout", "Dropout", "While training, switch off this share of hidden neurons at random, so the network cannot rely on any single one."],
  ["regularisation", "clip.mode", "Gradient clipping", "Caps gradients before the update: each value (value) or their total length (norm). A cure for exploding gradients."],
  ["regularisation", "clip.value", "Clip at", "The largest gradient value or norm allowed when clipping is on.", "number"],
  ["regularisation", "early_stopping.enabled", "Early stopping", "Stop training by itself when the test loss has not improved for a while."],
  ["regularisation", "early_stopping.patience", "Patience (epochs)", "How many epochs without improvement early stopping waits.", "number"],
];

const PAGE_CONTROLS = [
  ["view", "show_test", "Show test data", "Draw the test points (with a dark ring) on the output map."],
  ["view", "discretize", "Discretize output", "Colour each region by the class the network would pick, instead of shading by confidence."],
  ["view", "flow", "Gradient flow", "Animate the gradients flowing backwards along the links: faster and brighter where ∂L/∂w is bigger."],
  ["view", "log_loss", "Log-scale loss", "Show the loss chart on a logarithmic scale, which makes small improvements late in training visible."],
];

const SPEED_HELP = "How many training steps per second: slow motion lets you watch single updates; full speed trains as fast as the server can.";

const idFor = (path) => path.replaceAll(".", "-");

export function getPath(config, path) {
  return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), config);
}

/** The config patch that sets one (possibly nested) path, keeping the object's other fields. */
function patchFor(config, path, value) {
  const [head, tail] = path.split(".");
  if (!tail) return { [head]: value };
  if (head === "schedule" && tail === "name") return { schedule: { name: value } };
  return { [head]: { ...(config[head] || {}), [tail]: value } };
}

function spec(options, path) {
  const table = options.config || {};
  if (path === "schedule.name") return { values: Object.keys(options.schedules || {}) };
  const [head, tail] = path.split(".");
  return (tail ? table[head]?.[tail] : table[path]) || options[path] || {};
}

function choices(s) {
  if (Array.isArray(s)) return s;
  const values = s.values || s.choices || s.names || s.options;
  if (Array.isArray(values)) return values;
  if (values && typeof values === "object") return Object.keys(values);
  return null;
}

export class Controls {
  constructor(root, { onConfig, onPage }) {
    this.root = root;
    this.onConfig = onConfig;
    this.onPage = onPage;
    this.inputs = new Map();
    this.config = {};
    this.page = { show_test: false, discretize: false, flow: true, log_loss: false };
  }

  section(name) {
    return document.querySelector(`[data-section=${name}]`);
  }

  wrapper(path, label, help) {
    const id = idFor(path);
    const box = document.createElement("div");
    box.className = "control";
    box.dataset.name = path;
    const head = document.createElement("div");
    head.className = "control-head";
    const lab = document.createElement("label");
    lab.htmlFor = id;
    lab.id = `label-${id}`;
    lab.textContent = label;
    const helpButton = document.createElement("button");
    helpButton.type = "button";
    helpButton.className = "help-toggle";
    helpButton.textContent = "?";
    helpButton.setAttribute("aria-label", `What is ${label}?`);
    helpButton.setAttribute("aria-expanded", "false");
    const text = document.createElement("p");
    text.className = "help";
    text.id = `help-${id}`;
    text.textContent = help;
    text.hidden = true;
    helpButton.addEventListener("click", () => {
      text.hidden = !text.hidden;
      helpButton.setAttribute("aria-expanded", String(!text.hidden));
    });
    const error = document.createElement("p");
    error.className = "control-error";
    error.id = `error-${id}`;
    error.setAttribute("role", "alert");
    head.append(lab, helpButton);
    box.append(head, text, error);
    return { box, id, head, help: text };
  }

  /** Build every control from `hello`: options give the choices and ranges, config the values. */
  build(options, config) {
    this.options = options;
    for (const [section, path, label, help, kind] of CONTROLS) {
      const s = spec(options, path);
      if (!(path in (options.config || {})) && getPath(config, path) === undefined && !Object.keys(s).length) continue;
      this.add(section, path, label, help, kind, s, getPath(config, path));
    }
    this.optimizerBox = this.group("training", "optimizer_params", "optimizer");
    this.scheduleBox = this.group("training", "schedule", "schedule-name");
    this.buildSpeed(spec(options, "speed"));
    for (const [section, key, label, help] of PAGE_CONTROLS) this.add(section, key, label, help, "checkbox", {}, this.page[key], PAGE);
    this.setConfig(config);
  }

  group(section, name, after) {
    const box = document.createElement("div");
    box.className = "control-group";
    box.id = `${name}-group`;
    box.dataset.name = name;
    const anchor = this.root.querySelector(`[data-name="${after.replace("-", ".")}"]`);
    if (anchor) anchor.after(box); else this.section(section).append(box);
    return box;
  }

  add(section, path, label, help, kind, s, value, scope = "config", container = null) {
    const { box, id } = this.wrapper(path, label, help);
    const values = choices(s);
    const type = kind || (values ? "select" : s.type === "bool" || typeof value === "boolean" ? "checkbox"
      : s.min !== undefined && s.max !== undefined && s.type !== "int" ? "range" : "number");
    let input;
    if (type === "select") {
      input = document.createElement("select");
      for (const v of values || []) input.add(new Option(this.title(path, v), v));
    } else if (type === "checkbox") {
      input = document.createElement("input");
      input.type = "checkbox";
      box.classList.add("control-check");
    } else if (type === "features") {
      input = this.featureBox(values || (this.options.features && choices(this.options.features)) || Object.keys(this.options.features || {}) || []);
    } else if (type === "layers") {
      input = document.createElement("input");
      input.type = "text";
      input.inputMode = "numeric";
      input.pattern = "[0-9, ]*";
      input.placeholder = "none: a straight line (try 4,2)";
    } else {
      input = document.createElement("input");
      input.type = type === "range" || type === "percent" ? "range" : "number";
      if (s.min !== undefined) input.min = s.min;
      if (s.max !== undefined) input.max = s.max;
      input.step = s.type === "int" ? "1" : "any";
    }
    input.id = id;
    if (path === "learning_rate") this.suggest(box, input, s);
    if (type === "features") input.setAttribute("aria-labelledby", `label-${id}`);
    input.setAttribute("aria-describedby", `help-${id} error-${id}`);
    input.title = help;
    box.append(input);
    if (input.type === "range") {
      const out = document.createElement("output");
      out.htmlFor = id;
      box.querySelector(".control-head").append(out);
      const show = () => { out.textContent = type === "percent" ? `${Math.round(input.value * 100)}%` : Number(input.value).toPrecision(3).replace(/\.?0+$/, ""); };
      input.addEventListener("input", show);
      input.show = show;
      input.output = out;
    }
    const read = () => {
      if (type === "checkbox") return input.checked;
      if (type === "select") return typeof value === "number" ? Number(input.value) : input.value;
      if (type === "layers") return input.value.split(/[ ,]+/).filter(Boolean).map(Number);
      if (type === "features") return [...input.querySelectorAll("input:checked")].map((c) => c.value);
      return Number(input.value);
    };
    input.addEventListener("change", () => {
      const v = read();
      if (scope === PAGE) { this.page[path] = v; this.onPage(path, v); return; }
      if (type === "number" && !Number.isFinite(v)) return;
      this.onConfig(patchFor(this.config, path, v), path);
    });
    this.inputs.set(path, { input, type, scope, box });
    (container || this.section(section)).append(box);
    if (scope === PAGE) this.write(path, value);
    return input;
  }

  /** Suggested values 1 and 3 × 10^k inside the allowed range, offered as a drop-down on a number field. */
  suggest(box, input, { min = 1e-5, max = 10 }) {
    const list = document.createElement("datalist");
    list.id = `${input.id}-suggestions`;
    for (let k = Math.ceil(Math.log10(Math.max(min, 1e-5))); 10 ** k <= max; k++) {
      for (const m of [1, 3]) if (m * 10 ** k >= min && m * 10 ** k <= max) list.append(new Option(String(Number((m * 10 ** k).toPrecision(1)))));
    }
    input.setAttribute("list", list.id);
    box.append(list);
  }

  /** A readable name for a choice: the registry's title when it has one. */
  title(path, value) {
    const registry = { dataset: "datasets", features: "features" }[path];
    return this.options[registry]?.[value]?.title || String(value).replaceAll("_", " ");
  }

  featureBox(names) {
    const box = document.createElement("fieldset");
    box.className = "features";
    for (const name of names) {
      const lab = document.createElement("label");
      const check = document.createElement("input");
      check.type = "checkbox";
      check.value = name;
      check.id = `feature-${name}`;
      lab.append(check, ` ${this.title("features", name)}`);
      box.append(lab);
    }
    return box;
  }

  buildSpeed(s) {
    const lo = s.min ?? 1;
    const hi = s.max ?? 1000;
    const speeds = [];
    for (let v = lo; v < hi * 1.001; v *= Math.sqrt(10)) speeds.push(Math.round(v * 100) / 100);
    speeds.push("max");
    this.speeds = speeds;
    const { box, id } = this.wrapper("speed", "Speed", SPEED_HELP);
    const input = document.createElement("input");
    input.type = "range";
    input.id = id;
    input.min = 0;
    input.max = speeds.length - 1;
    input.step = 1;
    input.value = speeds.length - 1;
    input.title = SPEED_HELP;
    input.setAttribute("aria-describedby", `help-${id}`);
    const out = document.createElement("output");
    out.htmlFor = id;
    const show = () => {
      const v = speeds[input.value];
      out.textContent = v === "max" ? "full speed" : `${v} steps/s`;
      input.setAttribute("aria-valuetext", out.textContent);
    };
    input.addEventListener("input", show);
    input.addEventListener("change", () => this.onConfig({ speed: speeds[input.value] }, "speed"));
    input.show = show;
    show();
    box.querySelector(".control-head").append(out);
    box.append(input);
    this.section("run").append(box);
    this.inputs.set("speed", { input, type: "speed", scope: "config", box });
  }

  /** A per-layer list in one control: its value when the layers agree, otherwise "mixed". */
  writeList(input, type, values) {
    const same = values.length > 0 && values.every((v) => v === values[0]);
    let mixed = input.querySelector?.("option.mixed");
    if (type === "select") {
      if (same) {
        mixed?.remove();
        input.value = values[0];
        return;
      }
      if (!mixed) {
        mixed = new Option("mixed (per layer)", "", true, true);
        mixed.className = "mixed";
        mixed.disabled = true;
        input.prepend(mixed);
      }
      mixed.selected = true;
      return;
    }
    input.value = same ? values[0] : Math.max(...values);
    input.show?.();
    if (!same && input.output) input.output.textContent = "mixed";
  }

  write(path, value) {
    const entry = this.inputs.get(path);
    if (!entry || value === undefined) return;
    const { input, type } = entry;
    if (document.activeElement === input && type !== "checkbox" && type !== "select" && input.type !== "range") return;
    if (type === "checkbox") input.checked = Boolean(value);
    else if (type === "features") for (const c of input.querySelectorAll("input")) c.checked = value.includes(c.value);
    else if (type === "layers") input.value = value.join(",");
    else if (type === "speed") {
      const k = this.speeds.indexOf(value);
      input.value = k >= 0 ? k : this.speeds.findIndex((v) => v === "max" || v >= value);
    } else if (Array.isArray(value)) {
      this.writeList(input, type, value);
      return;
    } else {
      input.value = value;
      if (type === "select") input.querySelector("option.mixed")?.remove();
    }
    input.show?.();
  }

  /** Show the applied config in every control; rebuild the optimizer's and the schedule's parameter rows. */
  setConfig(config) {
    const previous = this.config;
    this.config = config;
    for (const path of this.inputs.keys()) {
      if (this.inputs.get(path).scope === "config") this.write(path, getPath(config, path));
    }
    if (config.optimizer !== previous.optimizer || !this.optimizerBox.childElementCount) {
      this.params(this.optimizerBox, "optimizer_params", this.optimizerSpec(config.optimizer), config.optimizer_params || {});
    }
    if (config.schedule?.name !== previous.schedule?.name || !this.scheduleBox.childElementCount) {
      const { name, ...rest } = config.schedule || {};
      this.params(this.scheduleBox, "schedule", this.scheduleSpec(name), rest);
    }
    for (const [path, entry] of this.inputs) {
      if (entry.dynamic) this.write(path, getPath(config, path));
    }
    this.toggleRelevant(config);
  }

  optimizerSpec(name) {
    const table = this.options.optimizers || this.options.optimizer_params || {};
    return table[name] || {};
  }

  scheduleSpec(name) {
    const table = this.options.schedules || {};
    const s = table[name] || {};
    return s.params || s;
  }

  params(box, head, specs, values) {
    for (const path of [...this.inputs.keys()]) {
      if (path.startsWith(`${head}.`) && path !== "schedule.name") { this.inputs.get(path).box.remove(); this.inputs.delete(path); }
    }
    box.replaceChildren();
    for (const [name, s] of Object.entries(specs)) {
      if (typeof s !== "object" || s === null) continue;
      const label = name.replaceAll("_", " ");
      const help = s.help || `The ${label} of the chosen ${head === "schedule" ? "schedule" : "optimizer"} (default ${s.default}).`;
      this.add(null, `${head}.${name}`, label, help, "number", s, values[name], "config", box);
      this.inputs.get(`${head}.${name}`).dynamic = true;
      this.write(`${head}.${name}`, values[name] ?? s.default);
    }
    this.applyHidden();
  }

  toggleRelevant(config) {
    const show = (path, visible) => { const e = this.inputs.get(path); if (e) e.box.classList.toggle("irrelevant", !visible); };
    const activations = [config.activation].flat();
    show("leaky_slope", activations.includes("leaky_relu"));
    show("init_scale", config.init === "uniform");
    show("regularization_rate", config.regularization && config.regularization !== "none");
    show("clip.value", config.clip && config.clip.mode !== "none");
    show("early_stopping.patience", Boolean(config.early_stopping?.enabled));
    show("order", config.shuffle === false);
    const problem = this.problemOf(config.dataset);
    show("classes", problem === "multiclass");
    const losses = this.options.losses || {};
    const loss = this.inputs.get("loss")?.input;
    if (loss && problem) {
      for (const option of loss.options) {
        const suits = losses[option.value]?.problems || losses[option.value]?.suits;
        option.disabled = Array.isArray(suits) ? !suits.includes(problem) : false;
      }
    }
  }

  problemOf(dataset) {
    const d = (this.options.datasets || {})[dataset];
    return d?.problem || d?.kind || null;
  }

  /** Show a server error beside the control it names; clear it on the next applied change. */
  showError(field, message) {
    const path = this.inputs.has(field) ? field : [...this.inputs.keys()].find((p) => field && (p === field.split(".")[0] || field.startsWith(p)));
    const entry = this.inputs.get(path);
    if (!entry) return false;
    const error = entry.box.querySelector(".control-error");
    error.textContent = message;
    entry.input.setAttribute("aria-invalid", "true");
    entry.box.classList.add("has-error");
    return true;
  }

  clearErrors() {
    for (const { box, input } of this.inputs.values()) {
      if (!box.classList.contains("has-error")) continue;
      box.classList.remove("has-error");
      box.querySelector(".control-error").textContent = "";
      input.removeAttribute("aria-invalid");
    }
  }

  /** Hide the controls named in `?hide=` (a config key or its last part, a section or an element id), now and after every rebuild. */
  hide(names) {
    this.hidden = new Set(names);
    this.applyHidden();
  }

  applyHidden() {
    for (const name of this.hidden || []) {
      for (const [path, entry] of this.inputs) {
        if (path === name || path.split(".").pop() === name) entry.box.hidden = true;
      }
      for (const el of document.querySelectorAll(`[data-name="${name}"], [data-section="${name}"], #${CSS.escape(name)}`)) {
        const target = el.closest(".control, .control-group, section, button") || el;
        target.hidden = true;
      }
    }
  }
}
