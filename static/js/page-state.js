// The page's state in the URL hash, on top of urlstate.js: restoring a shared setup on load (and when the hash is
// edited), writing the applied setup back on every change, and the page's own options (theme, presenter mode, show
// test data, …) that live in the hash but never reach the server.
//
//   const page = new PageState({ playground, controls, heatmap, diagram, charts, notices, send, onRedraw, extra });
//   extra() — other views' own keys for the hash (inside.js: the neuron card's and the hidden space's choices)
//   page.restore(config)      — on hello: apply the hash's page options, ask the server for the hash's settings
//   page.applied()            — a config the server applied: the restore is over, the hash follows
//   page.restoreFailed(msg)   — an error for a setting being restored: drop it, retry the rest (true if handled)
//   page.set(key, value) / page.save() / page.toggle("presenter" | "theme") / page.followHash(isOpen)

import { getPath } from "./controls.js";
import { decodeValue, readHash, writeHash } from "./urlstate.js";

const PAGE_KEYS = ["show_test", "discretize", "flow", "log_loss", "presenter", "theme", "preset"];

/** A page option's value as read from the hash. */
const pageValue = (key, text) => decodeValue(text, key === "theme" ? "" : false);

/**
 * The settings of `hash` that differ from `config`, as one config patch. A dotted key (`optimizer_params.momentum`)
 * sets one field of a nested setting; unknown keys and page options are left out.
 */
function hashPatch(hash, config) {
  const patch = {};
  for (const [key, text] of Object.entries(hash)) {
    if (PAGE_KEYS.includes(key)) continue;
    const [head, ...rest] = key.split(".");
    const current = getPath(config, key);
    // A nested field the current setting lacks may belong to the optimizer or schedule the same link switches to.
    if (current === undefined && !(rest.length && typeof config[head] === "object")) continue;
    const value = decodeValue(text, current);
    if (JSON.stringify(value) === JSON.stringify(current)) continue;
    if (rest.length) patch[head] = { ...patch[head], [rest.join(".")]: value };
    else patch[head] = value;
  }
  return patch;
}

export class PageState {
  constructor({ playground, controls, heatmap, diagram, charts, send, notices, onRedraw, extra = () => ({}) }) {
    Object.assign(this, { playground, controls, heatmap, diagram, charts, send, notices, onRedraw, extra });
    this.view = { presenter: false, theme: matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light" };
    /** The settings from the hash still being asked of the server; the hash is not written meanwhile. */
    this.restoring = null;
  }

  get dark() {
    return this.view.theme === "dark";
  }

  /** On hello: set the hash's page options and send its settings that differ from the server's `config`. */
  restore(config) {
    const hash = readHash();
    const patch = hashPatch(hash, config);
    const pace = this.playground.options?.speed?.page_default;  // a watchable pace unless the link says otherwise
    if (!("speed" in hash) && pace !== undefined && config.speed !== pace) patch.speed = pace;
    for (const key of PAGE_KEYS) if (key in hash && key !== "preset") this.set(key, pageValue(key, hash[key]));
    this.restoring = Object.keys(patch).length ? patch : null;
    if (this.restoring) this.send({ type: "config", ...patch });
    else this.save();
  }

  /** A config applied by the server (not the hello's): whatever was being restored is settled. */
  applied() {
    this.restoring = null;
    this.controls.clearErrors();
    this.save();
  }

  /** An error while restoring: note it, drop the field and send the rest again. False if nothing was being restored. */
  restoreFailed(message) {
    const field = message.field;
    if (!this.restoring || !field) return false;
    const { [field.split(".")[0]]: _, ...rest } = this.restoring;
    this.restoring = Object.keys(rest).length ? rest : null;
    this.notices.show("restore", `The link's setting "${field}" could not be used: ${message.message}`, "warning");
    if (this.restoring) this.send({ type: "config", ...this.restoring });
    return true;
  }

  /** Set one page option and pass the page options on to the views. */
  set(key, value) {
    const { view, controls, heatmap, diagram, charts } = this;
    if (key === "presenter") {
      view.presenter = value === true || value === "true";
      document.body.classList.toggle("presenter", view.presenter);
      document.querySelector("#presenter").setAttribute("aria-pressed", String(view.presenter));
    } else if (key === "theme") {
      view.theme = value === "dark" ? "dark" : "light";
      document.documentElement.dataset.theme = view.theme;
      const button = document.querySelector("#theme");
      button.setAttribute("aria-pressed", String(view.theme === "dark"));
      button.textContent = view.theme === "dark" ? "Light" : "Dark";
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
    this.onRedraw();
  }

  /** Flip presenter mode or the theme, and note it in the hash. */
  toggle(key) {
    if (key === "presenter") this.set("presenter", !this.view.presenter);
    else this.set("theme", this.view.theme === "dark" ? "light" : "dark");
    this.save();
  }

  /** Write the applied config and the page options into the hash (not while a restore is under way). */
  save() {
    const { playground, controls, view } = this;
    if (!playground.config || this.restoring) return;
    const values = { ...playground.config, ...controls.page, presenter: view.presenter, theme: view.theme, preset: playground.preset,
      ...this.extra() };
    writeHash(values);
  }

  /** Follow edits of the hash: page options at once, changed settings sent to the server while `isOpen()`. */
  followHash(isOpen) {
    window.addEventListener("hashchange", () => {
      if (!this.playground.config || !isOpen()) return;
      const hash = readHash();
      for (const key of PAGE_KEYS) if (key in hash && key !== "preset") this.set(key, pageValue(key, hash[key]));
      const patch = hashPatch(hash, this.playground.config);
      for (const key of Object.keys(patch)) if (this.controls.hidden?.has(key)) delete patch[key];  // hidden: fixed
      if (Object.keys(patch).length) this.send({ type: "config", ...patch });
    });
  }
}
