// Painting the network diagram from one frame: the thumbnail atlas, links by weight, gradient flow, δ rings,
// neurons with their bias squares, and the hover highlight. `d` is the NetworkDiagram, whose geometry is current.
// Strokes are batched into one Path2D per colour level, so a frame costs a few dozen canvas calls.
import { classColor, signColor } from "./colors.js";
import { LEVELS, MAP, logLevel } from "./network-geometry.js";

const HIGHLIGHT = "#e0a000";

/** Paint every neuron map, feature map and the output into the atlas with one putImageData. */
export function paintAtlas(d, frame) {
  const pixels = d.atlasPixels;
  const lut = d.lut;
  const multi = d.multi;
  const copy = (bytes, start, slot, lut) => {
    for (let row = 0; row < MAP; row++) {
      const src = start + (d.rowZeroIsTop ? row : MAP - 1 - row) * MAP;
      const dst = (slot * MAP + row) * MAP;
      for (let col = 0; col < MAP; col++) pixels[dst + col] = lut[bytes[src + col]];
    }
  };
  const maps = frame.neuron_maps;
  if (maps) for (let n = 0; n < d.hiddenCount && (n + 1) * MAP * MAP <= maps.length; n++) copy(maps, n * MAP * MAP, n, d.neuronLuts[n] || lut);
  const features = frame.feature_maps;
  if (features) for (let f = 0; f < d.active.length && (f + 1) * MAP * MAP <= features.length; f++) copy(features, f * MAP * MAP, d.hiddenCount + f, d.featureLuts[f] || lut);
  const grid = frame.output_grid;
  if (grid) {
    const G = Math.round(Math.sqrt(grid.length / (multi ? 2 : 1)));
    const slot = d.hiddenCount + d.features.length;
    const stride = G / MAP;
    for (let row = 0; row < MAP; row++) {
      const r = Math.floor((d.rowZeroIsTop ? row : MAP - 1 - row) * stride + stride / 2);
      const dst = (slot * MAP + row) * MAP;
      for (let col = 0; col < MAP; col++) {
        const i = r * G + Math.floor(col * stride + stride / 2);
        pixels[dst + col] = multi ? d.outputLut[grid[2 * i] * 256 + grid[2 * i + 1]] : lut[grid[i]];
      }
    }
  }
  d.actx.putImageData(d.atlasImage, 0, 0);
}

/** Every link, coloured by the sign of its weight and thicker for bigger |w|; with flow on, dashes that move faster where |∂L/∂w| is bigger. */
export function drawLinks(d, frame, thick, time) {
  const ctx = d.ctx;
  const s = d.size;
  const params = frame.params;
  const grads = frame.grads;
  const weightPaths = Array.from({ length: 2 * LEVELS }, () => new Path2D());
  const flowPaths = Array.from({ length: LEVELS }, () => new Path2D());
  d.layers.forEach((layer, l) => {
    const from = d.columns[l];
    const to = d.columns[l + 1];
    for (let i = 0; i < layer.fanIn && i < from.length; i++) {
      const a = from[i];
      for (let j = 0; j < layer.fanOut && j < to.length; j++) {
        const b = to[j];
        const index = layer.wOffset + i * layer.fanOut + j;
        const w = params[index];
        const level = Math.min(LEVELS - 1, Math.floor(Math.abs(w) * 3));
        const path = weightPaths[(w < 0 ? 0 : LEVELS) + (Number.isFinite(w) ? level : LEVELS - 1)];
        path.moveTo(a.x + s / 2, a.y);
        path.lineTo(b.x - s / 2, b.y);
        if (d.flow && grads) {
          const g = logLevel(Math.abs(grads[index]), -5, 0);
          if (g > 0) {
            flowPaths[g].moveTo(a.x + s / 2, a.y);
            flowPaths[g].lineTo(b.x - s / 2, b.y);
          }
        }
      }
    }
  });
  for (let k = 0; k < 2 * LEVELS; k++) {
    const level = k % LEVELS;
    ctx.strokeStyle = signColor(k < LEVELS ? -1 : 1, 0.25 + 0.75 * (level / (LEVELS - 1)));
    ctx.lineWidth = (0.6 + level * 0.9) * thick;
    ctx.stroke(weightPaths[k]);
  }
  if (d.flow && grads) {
    ctx.setLineDash([3 * thick, 9 * thick]);
    for (let g = 1; g < LEVELS; g++) {
      ctx.lineDashOffset = (time / 1000) * (6 + g * 10);
      ctx.strokeStyle = d.dark ? `rgba(255,240,120,${0.1 + g * 0.08})` : `rgba(200,30,30,${0.08 + g * 0.08})`;
      ctx.lineWidth = (1 + g * 0.3) * thick;
      ctx.stroke(flowPaths[g]);
    }
    ctx.setLineDash([]);
    ctx.lineDashOffset = 0;
  }
}

/** The feature column (active features as maps, inactive ones as dashed boxes), δ rings, then neurons and output. */
export function drawNodes(d, frame, thick) {
  const text = d.dark ? "#ddd" : "#333";
  drawInputs(d, text, thick);
  drawRings(d, frame, thick);
  drawUnits(d, frame, text, thick);
}

function drawInputs(d, text, thick) {
  const ctx = d.ctx;
  const s = d.size;
  ctx.font = `${d.presenter ? 15 : 11}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const node of d.inputs) {
    const x = node.x - s / 2;
    const y = node.y - s / 2;
    if (node.active >= 0) {
      ctx.drawImage(d.atlas, 0, (d.hiddenCount + node.active) * MAP, MAP, MAP, x, y, s, s);
      ctx.strokeStyle = text;
      ctx.lineWidth = thick;
      ctx.strokeRect(x, y, s, s);
    } else {
      ctx.setLineDash([3, 3]);
      ctx.strokeStyle = d.dark ? "#666" : "#aaa";
      ctx.lineWidth = 1;
      ctx.strokeRect(x, y, s, s);
      ctx.setLineDash([]);
    }
    ctx.fillStyle = node.active >= 0 ? text : (d.dark ? "#777" : "#999");
    ctx.fillText(d.featureTitles?.[node.feature]?.title || node.feature, node.x, y + s + 1);
  }
}

/** A ring around each neuron: wider for a bigger mean |δ| (log scale), coloured by the sign of the mean δ. */
function drawRings(d, frame, thick) {
  const ctx = d.ctx;
  const s = d.size;
  const deltaMean = frame.delta_mean;
  const deltaAbs = frame.delta_abs;
  const rings = Array.from({ length: 2 * LEVELS }, () => new Path2D());
  let n = 0;
  for (let c = 1; c < d.columns.length; c++) {
    for (const node of d.columns[c]) {
      const mag = deltaAbs ? deltaAbs[n] : 0;
      if (mag > 0) {
        const level = logLevel(mag, -6, 0);
        const r = s * 0.72 + (level / (LEVELS - 1)) * d.ringRoom;
        const path = rings[(deltaMean && deltaMean[n] < 0 ? 0 : LEVELS) + level];
        path.moveTo(node.x + r, node.y);
        path.arc(node.x, node.y, r, 0, 2 * Math.PI);
      }
      n += 1;
    }
  }
  for (let k = 0; k < 2 * LEVELS; k++) {
    const level = k % LEVELS;
    ctx.strokeStyle = signColor(k < LEVELS ? -1 : 1, 0.3 + level * 0.08);
    ctx.lineWidth = Math.min(d.ringRoom, (0.8 + level * 0.45) * thick);
    ctx.stroke(rings[k]);
  }
}

/** Hidden neurons and the output as maps (a multi-class output as class swatches), each with its bias square; sets node.bias for hit tests. */
function drawUnits(d, frame, text, thick) {
  const ctx = d.ctx;
  const s = d.size;
  const borders = new Path2D();
  const biases = [new Path2D(), new Path2D()];
  const outputColumn = d.columns.length - 1;
  for (let c = 1; c < d.columns.length; c++) {
    const layer = d.layers[c - 1];
    d.columns[c].forEach((node, j) => {
      const x = node.x - s / 2;
      const y = node.y - s / 2;
      if (c === outputColumn && d.sizes.at(-1) > 1) {
        ctx.fillStyle = classColor(j);
        ctx.globalAlpha = 0.55;
        ctx.fillRect(x, y, s, s);
        ctx.globalAlpha = 1;
      } else {
        const slot = c === outputColumn ? d.hiddenCount + d.features.length : node.map;
        ctx.drawImage(d.atlas, 0, slot * MAP, MAP, MAP, x, y, s, s);
      }
      borders.rect(x, y, s, s);
      const bias = frame.params[layer.bOffset + j];
      const bs = Math.max(4, s * 0.22) * (0.5 + 0.5 * Math.min(1, Math.abs(bias)));
      node.bias = { x: x - bs * 0.6, y: y + s - bs * 0.4, s: Math.max(bs, 8) };
      biases[bias < 0 ? 0 : 1].rect(node.bias.x, node.bias.y, bs, bs);
    });
  }
  ctx.strokeStyle = text;
  ctx.lineWidth = thick;
  ctx.stroke(borders);
  ctx.fillStyle = signColor(-1, 0.95);
  ctx.fill(biases[0]);
  ctx.fillStyle = signColor(1, 0.95);
  ctx.fill(biases[1]);
}

/** Outline the hovered neuron, bias or link. */
export function drawHighlight(d, thick) {
  const ctx = d.ctx;
  const s = d.size;
  const h = d.hover;
  if (h && h.kind !== "link" && h.kind !== "feature") {
    const node = d.columns[h.column][h.index];
    ctx.strokeStyle = HIGHLIGHT;
    ctx.lineWidth = 3 * thick;
    ctx.strokeRect(node.x - s / 2, node.y - s / 2, s, s);
  }
  if (h && h.kind === "link") {
    const a = d.columns[h.layer][h.from];
    const b = d.columns[h.layer + 1][h.to];
    ctx.strokeStyle = HIGHLIGHT;
    ctx.lineWidth = 3 * thick;
    ctx.beginPath();
    ctx.moveTo(a.x + s / 2, a.y);
    ctx.lineTo(b.x - s / 2, b.y);
    ctx.stroke();
  }
}
