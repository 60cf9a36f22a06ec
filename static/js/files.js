// Files in and out: CSV of the data, PNG of the views, JSON of the run (config + weights) and loading it back.

export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** One PNG of the diagram, the heatmap and the charts, side by side. */
export function exportPng(canvases, background) {
  const gap = 8;
  const width = canvases.reduce((w, c) => w + c.width + gap, gap);
  const height = Math.max(...canvases.map((c) => c.height)) + 2 * gap;
  const out = document.createElement("canvas");
  out.width = width;
  out.height = height;
  const ctx = out.getContext("2d");
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, width, height);
  let x = gap;
  for (const c of canvases) {
    ctx.drawImage(c, x, gap);
    x += c.width + gap;
  }
  out.toBlob((blob) => download("backprop-playground.png", blob), "image/png");
}

/** The run as JSON: the applied config and the flat parameter vector with its layout. */
export function exportRun(config, layout, params, step, epoch) {
  const run = { format: "backprop-playground-run", version: 1, config, step, epoch, layers: layout?.layers, params: Array.from(params || []) };
  download("backprop-run.json", new Blob([JSON.stringify(run)], { type: "application/json" }));
}

/** Read a chosen file as text. */
export function readFile(input) {
  return new Promise((resolve, reject) => {
    const file = input.files?.[0];
    if (!file) { reject(new Error("no file chosen")); return; }
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsText(file);
    input.value = "";
  });
}

/** CSV text ready for `load_csv`: numbers rounded to 3 decimals; null if it still exceeds `limit` bytes. */
export function csvForUpload(text, limit) {
  const csv = text.replace(/(\d+\.\d{3})\d+/g, "$1");
  return new Blob([csv]).size > limit ? null : csv;
}
