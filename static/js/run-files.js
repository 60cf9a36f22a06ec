// The file buttons: the data as CSV (out and in), a PNG of the views, and the run (settings + weights) saved as JSON
// and loaded back. A loaded run's weights wait until the server has applied its settings and sent the new layout,
// and are sent only if their count fits that network.
//
//   const files = new RunFiles({ playground, send, notices, canvases, background, params });
//   files.bind()            — hook #export_csv, #export_png, #export_run, #import_csv, #import_run
//   files.csv(message)      — the server's "csv" reply: download it
//   files.applied()         — a config was applied;  files.layout() — a new layout arrived

import { csvForUpload, download, exportPng, exportRun, readFile } from "./files.js";

const $ = (selector) => document.querySelector(selector);

export class RunFiles {
  /**
   * `canvases()` lists the views to put in the PNG, `background()` its colour, `params()` the latest weights.
   */
  constructor({ playground, send, notices, canvases, background, params }) {
    Object.assign(this, { playground, send, notices, canvases, background, params });
    /** A loaded run whose weights are still to be sent. */
    this.pendingWeights = null;
  }

  bind() {
    $("#export_csv").addEventListener("click", () => this.send({ type: "export_csv" }));
    $("#export_png").addEventListener("click", () => exportPng(this.canvases(), this.background()));
    $("#export_run").addEventListener("click", () => {
      const { config, layout, step, epoch } = this.playground;
      exportRun(config, layout, this.params(), step, epoch);
    });
    $("#import_csv").addEventListener("change", (e) => this.importCsv(e.target));
    $("#import_run").addEventListener("change", (e) => this.importRun(e.target));
  }

  csv(message) {
    download("backprop-data.csv", new Blob([message.csv], { type: "text/csv" }));
  }

  async importCsv(input) {
    const limit = (this.playground.limits?.max_message_bytes ?? 65536) - 256;
    const csv = csvForUpload(await readFile(input), limit);
    if (csv === null) {
      this.notices.show("csv", `That CSV file is too big to send (at most about ${Math.floor(limit / 1024)} KB). Use fewer points.`, "error");
      return;
    }
    this.send({ type: "load_csv", csv });
  }

  /** Send the run's settings and a reset; its weights follow once the new layout is known. */
  async importRun(input) {
    try {
      const run = JSON.parse(await readFile(input));
      this.pendingWeights = Array.isArray(run.params) ? run : null;
      this.send({ type: "config", ...run.config });
      this.send({ type: "reset" });
    } catch (err) {
      this.notices.show("run", `That file is not a saved run: ${err.message}`, "error");
    }
  }

  /** A config was applied: if no new layout follows soon (same shape), send the waiting weights anyway. */
  applied() {
    if (this.pendingWeights) setTimeout(() => { if (this.pendingWeights) this.loadWeights(); }, 400);
  }

  layout() {
    if (this.pendingWeights) this.loadWeights();
  }

  /** Send the waiting weights if their count matches the network's parameter block; otherwise say why not. */
  loadWeights() {
    const run = this.pendingWeights;
    this.pendingWeights = null;
    const expected = this.playground.layout.blocks?.find((b) => b.name === "params")?.nbytes / 4;
    if (expected && expected !== run.params.length) {
      this.notices.show("run", "The saved weights do not fit this network, so only the settings were loaded.", "warning");
      return;
    }
    this.send({ type: "set_params", params: run.params });
    this.notices.show("run", "Loaded the saved run: its settings and weights.", "info");
  }
}
