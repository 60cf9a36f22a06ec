// One setting's field: the box with its label, "?" help toggle and error line, and the input its kind calls for
// (select, checkbox, slider, number, feature checkboxes, layer list, the speed slider).

export const idFor = (path) => path.replaceAll(".", "-");

/** The choices a `hello` spec offers; null when it is not a choice. */
export function choices(s) {
  return s.values ?? null;
}

/** A readable name for a choice: the registry's title when it has one. */
export function choiceTitle(options, path, value) {
  const registry = { dataset: "datasets", features: "features" }[path];
  return registry ? options[registry][value].title : String(value).replaceAll("_", " ");
}

/** The box around one control: its label, a "?" button that shows the help text, and a line for a server error. */
export function wrapper(path, label, help) {
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
  helpButton.tabIndex = -1;  // not a tab stop each: the field reads its help (aria-describedby), ? or F1 shows it
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
  box.addEventListener("keydown", (e) => {
    if (e.key !== "F1" && !(e.key === "?" && e.target.type !== "text")) return;
    e.preventDefault();
    helpButton.click();
  });
  return { box, id, head, help: text };
}

/** The table's kind, else: a select for choices, a checkbox for a boolean, a slider for a bounded float, a number. */
export function fieldType(kind, values, s, value) {
  return kind || (values ? "select" : s.type === "bool" || typeof value === "boolean" ? "checkbox"
    : s.min !== undefined && s.max !== undefined && s.type !== "int" ? "range" : "number");
}

/** The bare input for a field of `type` (a checkbox also marks its `box`); `options` is `hello`'s, for titles. */
export function createInput(path, type, s, values, box, options) {
  let input;
  if (type === "select") {
    input = document.createElement("select");
    for (const v of values) input.add(new Option(choiceTitle(options, path, v), v));
  } else if (type === "checkbox") {
    input = document.createElement("input");
    input.type = "checkbox";
    box.classList.add("control-check");
  } else if (type === "features") {
    input = featureBox(values, options);
  } else if (type === "layers") {
    input = document.createElement("input");
    input.type = "text";
    input.inputMode = "numeric";
    input.pattern = "[0-9, ]*";
    input.placeholder = "none: a straight line (try 4,2)";
  } else {
    input = document.createElement("input");
    input.type = type === "range" || type === "percent" ? "range" : "number";
    input.min = s.min;
    input.max = s.max;
    input.step = s.type === "int" ? "1" : "any";
  }
  return input;
}

/** A slider's value beside its label, kept up to date while it moves (`input.show` redraws it). */
export function rangeOutput(box, input, type) {
  const out = document.createElement("output");
  out.htmlFor = input.id;
  box.querySelector(".control-head").append(out);
  const show = () => { out.textContent = type === "percent" ? `${Math.round(input.value * 100)}%` : Number(input.value).toPrecision(3).replace(/\.?0+$/, ""); };
  input.addEventListener("input", show);
  input.show = show;
  input.output = out;
}

/** Suggested values 1 and 3 × 10^k inside the allowed range, offered as a drop-down on a number field. */
export function suggest(box, input, { min, max }) {
  const list = document.createElement("datalist");
  list.id = `${input.id}-suggestions`;
  for (let k = Math.ceil(Math.log10(Math.max(min, 1e-5))); 10 ** k <= max; k++) {
    for (const m of [1, 3]) if (m * 10 ** k >= min && m * 10 ** k <= max) list.append(new Option(String(Number((m * 10 ** k).toPrecision(1)))));
  }
  input.setAttribute("list", list.id);
  box.append(list);
  input.addEventListener("keydown", (e) => {  // ↑/↓ step along the same 1, 3 × 10^k ladder, not by ±1
    if ((e.key !== "ArrowUp" && e.key !== "ArrowDown") || e.altKey) return;
    e.preventDefault();
    const stops = [...list.options].map((o) => Number(o.value));
    const v = Number(input.value);
    const next = e.key === "ArrowUp" ? stops.find((x) => x > v * 1.001) : stops.findLast((x) => x < v / 1.001);
    if (next === undefined) return;
    input.value = String(next);
    input.dispatchEvent(new Event("change"));
  });
}

function featureBox(names, options) {
  const box = document.createElement("fieldset");
  box.className = "features";
  for (const name of names) {
    const lab = document.createElement("label");
    const check = document.createElement("input");
    check.type = "checkbox";
    check.value = name;
    check.id = `feature-${name}`;
    lab.append(check, ` ${choiceTitle(options, "features", name)}`);
    box.append(lab);
  }
  return box;
}

/** The speed slider: round steps/s (1, 2, 5 × 10^k) from the spec's min to max, then "full speed"; `onChange(speed)` on release. */
export function speedField(s, onChange) {
  const { min: lo, max: hi, help } = s;
  const speeds = [];
  for (let k = Math.floor(Math.log10(lo)); 10 ** k <= hi; k++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** k).toPrecision(1));
      if (v >= lo && v <= hi) speeds.push(v);
    }
  }
  speeds.push("max");
  const { box, id } = wrapper("speed", s.label, help);
  const input = document.createElement("input");
  input.type = "range";
  input.id = id;
  input.min = 0;
  input.max = speeds.length - 1;
  input.step = 1;
  input.value = speeds.length - 1;
  input.title = help;
  input.setAttribute("aria-describedby", `help-${id}`);
  const out = document.createElement("output");
  out.htmlFor = id;
  let exact = null;  // the applied speed when it lies between two stops (a preset's 2 steps/s)
  const show = () => {
    const v = exact ?? speeds[input.value];
    out.textContent = v === "max" ? "full speed" : `${Number(v.toPrecision(3))} steps/s`;
    input.setAttribute("aria-valuetext", out.textContent);
  };
  input.addEventListener("input", () => { exact = null; show(); });
  input.addEventListener("change", () => onChange(speeds[input.value]));
  input.show = (value) => { exact = value ?? null; show(); };
  show();
  box.querySelector(".control-head").append(out);
  box.append(input);
  return { box, input, speeds };
}
