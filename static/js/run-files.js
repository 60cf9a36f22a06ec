// The file buttons: the data as CSV (out and in), a PNG of the views, and the run (settings + weights) saved as JSON
// and loaded back. A loaded run is sent as its settings, a reset and its weights, in that order: the server applies
// its messages in order, so the weights meet the network the settings built (or are refused, naming the count).
// The messages carry request ids, and a last, empty `config` is answered only after all of them: its answer ends the
// load, with the errors collected on the way.
//
//   const files = new RunFiles({ playground, send, notices, canvases, background, params });
//   files.bind()            — hook #export_csv, #export_png, #export_run, #import_csv, #import_run
//   files.csv(message)      — the server's "csv" reply: download it
//   files.answer(message)   — every error and config: true for an error of a run being loaded (then it is handled
//                             here); the config that ends a load says how it went

import { csvForUpload, download, exportPng, exportRun, readFile } from "./files.js";

const $ = (selector) => document.querySelector(selector);

export class RunFiles {
  /**
   * `canvases()` lists the views to put in the PNG, `background()` its colour, `params()` the latest weights.
   */
  constructor({ playground, send, notices, canvases, background, params }) {
    Object.assign(this, { playground, send, notices, canvases, background, params });
    /** The run being loaded: its request-id prefix and the errors its messages got. */
    this.loading = null;
    this.loads = 0;
  }

  bind() {
    $("#export_csv").addEventListener("click", () => this.send({ type: "export_csv" }));
    $("#export_png").addEventListener("click", () => exportPng(this.canvases(), this.background()));
    $("#export_run").addEventListener("click", () => {
      const { config, layout, step, epoch } = this.playground;
      const params = this.params();
      if (!params?.length) {
        this.notices.show("run", "The network has just changed: save the run again once it is drawn.", "warning");
        return;
      }
      exportRun(config, layout, params, step, epoch);
    });
    $("#import_csv").addEventListener("change", (e) => this.importCsv(e.target));
    $("#import_run").addEventListener("change", (e) => this.importRun(e.target));
  }

  csv(message) {
    download("backprop-data.csv", new Blob([message.csv], { type: "text/csv" }));
  }

  async importCsv(input) {
    const limit = this.playground.limits.max_message_bytes - 256;
    let text;
    try {
      text = await readFile(input);
    } catch (err) {
      this.notices.show("csv", `Could not read that file: ${err.message}`, "error");
      return;
    }
    const csv = csvForUpload(text, limit);
    if (csv === null) {
      this.notices.show("csv", `That CSV file is too big to send (at most about ${Math.floor(limit / 1024)} KB). Use fewer points.`, "error");
      return;
    }
    this.send({ type: "load_csv", csv });
  }

  /** Send the run's settings, a reset and its weights, then an empty config whose answer says all were applied. */
  async importRun(input) {
    let run;
    try {
      run = JSON.parse(await readFile(input));
      if (!run || typeof run.config !== "object" || !Array.isArray(run.params)) throw new Error("it has no settings and weights");
    } catch (err) {
      this.notices.show("run", `That file is not a saved run: ${err.message}`, "error");
      return;
    }
    const id = `run-${++this.loads}`;
    this.loading = { id, errors: [] };
    this.send({ type: "config", id: `${id}-config`, ...run.config });
    this.send({ type: "reset", id: `${id}-reset` });
    this.send({ type: "set_params", id: `${id}-params`, params: run.params });
    this.send({ type: "config", id: `${id}-done` });
  }

  answer(message) {
    const load = this.loading;
    const id = typeof message.id === "string" ? message.id : "";
    if (!load || !id.startsWith(`${load.id}-`)) return false;
    if (message.type === "error") {
      load.errors.push(id.endsWith("-params") ? "its weights do not fit the network its settings build"
        : `a setting was refused (${message.field}: ${message.message})`);
      return true;
    }
    if (id === `${load.id}-done`) {
      this.loading = null;
      if (load.errors.length) this.notices.show("run", `The saved run was not loaded as it was: ${load.errors.join("; ")}.`, "warning");
      else this.notices.show("run", "Loaded the saved run: its settings and weights.", "info");
    }
    return false;
  }
}
