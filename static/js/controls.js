// Every setting's control, built from the server's `hello` options (engine.schema): widget, range, label, help and
// when it applies all come from there. The page's own view options are in controls-help.js, building one field in
// controls-fields.js, reading and showing a value in controls-values.js; this module keeps the controls' registry,
// config patches and what is shown when.
import { choices, createInput, fieldType, rangeOutput, speedField, suggest, wrapper } from "./controls-fields.js";
import { PAGE_CONTROLS } from "./controls-help.js";
import { readInput, writeInput } from "./controls-values.js";

const PAGE = "page";

/** The value at a dotted path ("clip.mode") of a config, or undefined. */
export function getPath(config, path) {
  return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), config);
}

/** The config patch that sets one (possibly nested) path, keeping the object's other fields. */
function patchFor(config, path, value) {
  const [head, tail] = path.split(".");
  if (!tail) return { [head]: value };
  if (head === "schedule" && tail === "name") return { schedule: { name: value } };
  return { [head]: { ...config[head], [tail]: value } };
}

/** The widget a setting's type calls for when the schema names none (null: from its values and range). */
const WIDGETS = { subset: "features", layers: "layers" };

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

  /** Build every control from `hello`: options give the choices and ranges, config the values. */
  build(options, config) {
    this.options = options;
    const settings = Object.entries(options.config).flatMap(([key, s]) => (s.fields
      ? Object.entries(s.fields).map(([name, f]) => [`${key}.${name}`, { ...f, group: s.group }])
      : s.type === "params" ? [] : [[key, s]]));
    for (const [path, s] of settings) {
      this.add(s.group, path, s.label, s.help, s.widget ?? WIDGETS[s.type] ?? null, s, getPath(config, path));
    }
    this.optimizerBox = this.group(options.config.optimizer_params.group, "optimizer_params", "optimizer");
    this.scheduleBox = this.group(options.config.schedule.group, "schedule", "schedule-name");
    this.buildSpeed(options.speed);
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

  /** One field: registered under `path`, sending a config patch (or, for the page's own options, onPage) on change. */
  add(section, path, label, help, kind, s, value, scope = "config", container = null) {
    const { box, id } = wrapper(path, label, help);
    const values = choices(s);
    const type = fieldType(kind, values, s, value);
    const input = createInput(path, type, s, values, box, this.options);
    input.id = id;
    if (path === "learning_rate") suggest(box, input, s);
    if (type === "features") input.setAttribute("aria-labelledby", `label-${id}`);
    input.setAttribute("aria-describedby", `help-${id} error-${id}`);
    input.title = help;
    box.append(input);
    if (input.type === "range") rangeOutput(box, input, type);
    input.addEventListener("change", () => {
      const v = readInput(input, type, value);
      if (scope === PAGE) { this.page[path] = v; this.onPage(path, v); return; }
      if (type === "number" && !Number.isFinite(v)) return;
      this.onConfig(patchFor(this.config, path, v), path);
    });
    this.inputs.set(path, { input, type, scope, box, applies: s.applies });
    (container || this.section(section)).append(box);
    if (scope === PAGE) this.write(path, value);
    return input;
  }

  buildSpeed(s) {
    const { box, input, speeds } = speedField(s, (speed) => this.onConfig({ speed }, "speed"));
    this.speeds = speeds;
    this.section("run").append(box);
    this.inputs.set("speed", { input, type: "speed", scope: "config", box });
  }

  write(path, value) {
    const entry = this.inputs.get(path);
    if (!entry || value === undefined) return;
    const { input, type } = entry;
    if (document.activeElement === input && type !== "checkbox" && type !== "select" && input.type !== "range") return;
    writeInput(input, type, value, this.speeds);
  }

  /** Show the applied config in every control; rebuild the optimizer's and the schedule's parameter rows. */
  setConfig(config) {
    const previous = this.config;
    this.config = config;
    for (const path of this.inputs.keys()) {
      if (this.inputs.get(path).scope === "config") this.write(path, getPath(config, path));
    }
    if (config.optimizer !== previous.optimizer || !this.optimizerBox.childElementCount) {
      this.params(this.optimizerBox, "optimizer_params", this.options.optimizers[config.optimizer], config.optimizer_params);
    }
    if (config.schedule.name !== previous.schedule?.name || !this.scheduleBox.childElementCount) {
      const { name, ...rest } = config.schedule;
      this.params(this.scheduleBox, "schedule", this.options.schedules[name], rest);
    }
    for (const [path, entry] of this.inputs) {
      if (entry.dynamic) this.write(path, getPath(config, path));
    }
    this.toggleRelevant(config);
  }

  params(box, head, specs, values) {
    for (const path of [...this.inputs.keys()]) {
      if (path.startsWith(`${head}.`) && path !== "schedule.name") { this.inputs.get(path).box.remove(); this.inputs.delete(path); }
    }
    box.replaceChildren();
    for (const [name, s] of Object.entries(specs)) {
      const label = name.replaceAll("_", " ");
      const help = s.help || `The ${label} of the chosen ${head === "schedule" ? "schedule" : "optimizer"} (default ${s.default}).`;
      this.add(null, `${head}.${name}`, label, help, "number", s, values[name], "config", box);
      this.inputs.get(`${head}.${name}`).dynamic = true;
      this.write(`${head}.${name}`, values[name]);
    }
    this.applyHidden();
  }

  toggleRelevant(config) {
    for (const { box, applies } of this.inputs.values()) {
      if (applies) box.classList.toggle("irrelevant", ![getPath(config, applies.key)].flat().some((v) => applies.values.includes(v)));
    }
    const problem = this.options.datasets[config.dataset].kind;
    const loss = this.inputs.get("loss")?.input;
    if (loss) {
      for (const option of loss.options) option.disabled = !this.options.losses[option.value].problems.includes(problem);
    }
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

  /** A short line beside the control `field` names (what a live change did, a warning about it); null clears it. */
  note(field, text) {
    const entry = this.inputs.get(field);
    if (!entry) return false;
    let line = entry.box.querySelector(".control-note");
    if (!line) {
      line = Object.assign(document.createElement("p"), { className: "control-note" });
      entry.box.append(line);
    }
    line.textContent = text || "";
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

  /** Hide what `?hide=` names (a setting, a field of one or its last part, a part of the page: `valid`, from
   *  hello), now and after every rebuild; the page's CSS hides a setting's other controls (body[data-hide]).
   *  Returns the names that are not valid. */
  hide(names, valid = null) {
    const known = valid ? names.filter((n) => valid.includes(n)) : names;
    this.hidden = new Set(known);
    document.body.dataset.hide = known.join(" ");
    this.applyHidden();
    return names.filter((n) => !known.includes(n));
  }

  applyHidden() {
    for (const name of this.hidden || []) {
      for (const [path, entry] of this.inputs) {
        const parts = path.split(".");
        if (path === name || parts[0] === name || parts.at(-1) === name) entry.box.hidden = true;
      }
      for (const el of document.querySelectorAll(`[data-name="${CSS.escape(name)}"], [data-section="${CSS.escape(name)}"]`)) el.hidden = true;
    }
  }
}
