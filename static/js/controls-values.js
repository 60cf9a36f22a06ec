// Reading a field's value as the config wants it, and showing a config value in a field, by the field's type.

/** The field's value: a boolean, a number, a choice (a number when the config's value is one), a list. */
export function readInput(input, type, value) {
  if (type === "checkbox") return input.checked;
  if (type === "select") return typeof value === "number" ? Number(input.value) : input.value;
  if (type === "layers") return input.value.split(/[ ,]+/).filter(Boolean).map(Number);
  if (type === "features") return [...input.querySelectorAll("input:checked")].map((c) => c.value);
  return Number(input.value);
}

/** Show `value` in the field; `speeds` are the speed slider's stops. */
export function writeInput(input, type, value, speeds) {
  if (type === "checkbox") input.checked = Boolean(value);
  else if (type === "features") for (const c of input.querySelectorAll("input")) c.checked = value.includes(c.value);
  else if (type === "layers") input.value = value.join(",");
  else if (type === "speed") {
    const k = speeds.indexOf(value);
    input.value = k >= 0 ? k : speeds.findIndex((v) => v === "max" || v >= value);
    input.show?.(value);  // the label says the applied speed, not the nearest stop
    return;
  } else if (Array.isArray(value)) {
    writeList(input, type, value);
    return;
  } else {
    input.value = value;
    if (type === "select") input.querySelector("option.mixed")?.remove();
  }
  input.show?.();
}

/** A per-layer list in one control: its value when the layers agree, otherwise "mixed". */
function writeList(input, type, values) {
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
