// Where the network diagram puts things: columns of nodes, the thumbnail size, and what lies under the pointer.

/** The side of one neuron or feature map, in cells (the server streams MAP × MAP bytes per map). */
export const MAP = 25;
/** How many steps the line widths, ring sizes and flow speeds are quantised into. */
export const LEVELS = 8;

/** Level 0 … LEVELS−1 of a magnitude on a log scale from 10^lo to 10^hi. */
export function logLevel(value, lo, hi) {
  if (!(value > 0)) return 0;
  return Math.max(0, Math.min(LEVELS - 1, Math.floor(((Math.log10(value) - lo) / (hi - lo)) * LEVELS)));
}

function segmentDistance(px, py, x1, y1, x2, y2) {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const t = Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - x1 - t * dx, py - y1 - t * dy);
}

/**
 * Node positions in CSS pixels for a w × h canvas: column 0 holds every feature (`inputs`, with the index of the
 * active ones), `columns[0]` only the active features in their order, `columns[c]` the units of layer c; hidden
 * neurons get `map`, their slot in the atlas. `xs` are the column centres, `size` the thumbnail side, `ringRoom`
 * how far a δ ring may grow before it meets the next neuron.
 */
export function layoutGeometry(w, h, sizes, features, active, presenter) {
  const columns = sizes.length;
  const rows = Math.max(features.length, ...sizes.slice(1));
  const top = 8;
  const bottom = 16;
  const colGap = (w - 40) / Math.max(1, columns - 1);
  const s = Math.max(10, Math.min(presenter ? 64 : 48, ((h - top - bottom) / rows) * 0.72, colGap * 0.42));
  const left = 8 + s / 2;
  const right = w - 4 - s * 1.1;
  const xs = [...Array(columns).keys()].map((c) => left + c * ((right - left) / Math.max(1, columns - 1)));
  const column = (count, c) => {
    const step = Math.min((h - top - bottom) / Math.max(1, count), s * 2.2);
    const y0 = top + (h - top - bottom - step * count) / 2 + step / 2;
    return [...Array(count).keys()].map((i) => ({ x: xs[c], y: y0 + i * step }));
  };
  const spacing = Math.min(...sizes.slice(1).map((n) => (h - top - bottom) / Math.max(1, n)), s * 2.2);
  const ringRoom = Math.max(2, Math.min(s * 0.35, spacing / 2 - s * 0.72 - 1));
  const inputs = column(features.length, 0).map((p, i) => ({
    ...p, feature: features[i], active: active.indexOf(features[i]),
  }));
  const activeInputs = inputs.filter((p) => p.active >= 0).sort((a, b) => a.active - b.active);
  const nodes = [activeInputs];
  for (let c = 1; c < columns; c++) nodes.push(column(sizes[c], c));
  let k = 0;
  for (let c = 1; c < columns - 1; c++) for (const node of nodes[c]) node.map = k++;
  return { size: s, ringRoom, inputs, columns: nodes, xs };
}

/**
 * What is at (px, py): a feature (its box or its name below), a bias square, a neuron, or the nearest link within
 * 5 px; null for nothing. Bias squares come before neurons because they overlap a neuron's corner.
 */
export function hitTest(px, py, s, inputs, columns, layers) {
  for (const node of inputs || []) {
    if (Math.abs(px - node.x) <= s / 2 && Math.abs(py - node.y) <= s / 2 + 12) return { kind: "feature", node, px, py };
  }
  for (let c = 1; c < (columns || []).length; c++) {
    for (const [j, node] of columns[c].entries()) {
      const b = node.bias;
      if (b && px >= b.x - 2 && px <= b.x + b.s + 2 && py >= b.y - 2 && py <= b.y + b.s + 2) {
        return { kind: "bias", column: c, index: j, px, py };
      }
      if (Math.abs(px - node.x) <= s / 2 && Math.abs(py - node.y) <= s / 2) return { kind: "neuron", column: c, index: j, px, py };
    }
  }
  let best = null;
  layers.forEach((layer, l) => {
    const from = columns[l];
    const to = columns[l + 1];
    for (let i = 0; i < from.length; i++) {
      for (let j = 0; j < to.length; j++) {
        const dist = segmentDistance(px, py, from[i].x + s / 2, from[i].y, to[j].x - s / 2, to[j].y);
        if (dist < 5 && (!best || dist < best.dist)) best = { kind: "link", layer: l, from: i, to: j, dist, px, py };
      }
    }
  });
  return best;
}

/** The point of link `from` → `to` (between columns `layer` and `layer + 1`) farthest from the other links there. */
export function clearLinkPoint(columns, s, layer, from, to) {
  const segment = (i, j) => {
    const [a, b] = [columns[layer][i], columns[layer + 1][j]];
    return [a.x + s / 2, a.y, b.x - s / 2, b.y];
  };
  const [x1, y1, x2, y2] = segment(from, to);
  let best = { x: (x1 + x2) / 2, y: (y1 + y2) / 2, clear: -1 };
  for (let t = 0.1; t <= 0.9; t += 0.02) {
    const x = x1 + t * (x2 - x1);
    const y = y1 + t * (y2 - y1);
    let clear = Infinity;
    for (let i = 0; i < columns[layer].length; i++) {
      for (let j = 0; j < columns[layer + 1].length; j++) {
        if (i !== from || j !== to) clear = Math.min(clear, segmentDistance(x, y, ...segment(i, j)));
      }
    }
    if (clear > best.clear) best = { x, y, clear };
  }
  return best;
}
