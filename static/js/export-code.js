// The run as code: Tools' "Export as Python", "Export as notebook" and "Export model" ask the server for the
// session's run (`export_code` with the button's `data-export-format`) and download its answer (`export`).
//
//   const exporter = new ExportCode(root, { send });
//   exporter.show(message)     — the server's `export`: download `text` as `filename`, say what it holds
//   exporter.refused(message)  — an `error`: true (and shown here) when it answers one of these requests

import { download } from "./files.js";

const ID_PREFIX = "export-code-";
const MEDIA_TYPES = { python: "text/x-python", notebook: "application/x-ipynb+json", model: "application/json" };

export class ExportCode {
  constructor(root, { send }) {
    this.result = root.querySelector("#export-code-result");
    this.requests = 0;
    for (const button of root.querySelectorAll("[data-export-format]")) {
      button.addEventListener("click", () => {
        this.result.textContent = "Writing the run…";
        send({ type: "export_code", format: button.dataset.exportFormat, id: `${ID_PREFIX}${++this.requests}` });
      });
    }
  }

  show({ filename, text, format, step }) {
    download(filename, new Blob([text], { type: MEDIA_TYPES[format] || "text/plain" }));
    this.result.textContent = format === "model"
      ? `${filename}: the weights at step ${step}.`
      : `${filename}: the run from step 0 to ${step}; it needs only NumPy and says how close it lands.`;
  }

  refused(message) {
    if (!String(message.id ?? "").startsWith(ID_PREFIX)) return false;
    this.result.textContent = `Could not export: ${message.message}`;
    return true;
  }
}
