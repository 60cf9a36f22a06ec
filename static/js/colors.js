// Colour scales shared by the views: byte → packed RGBA lookup tables, built once per theme.

export const NEGATIVE = [245, 147, 34];
export const POSITIVE = [8, 119, 189];
export const CLASS_COLORS = [
  [8, 119, 189], [245, 147, 34], [46, 160, 67], [214, 39, 40], [148, 103, 189], [140, 86, 75], [227, 119, 194],
  [127, 127, 127],
];

const pack = ([r, g, b], a = 255) => ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
const mix = (a, b, t) => a.map((v, i) => Math.round(v + (b[i] - v) * t));

/** The neutral middle of the scales: white in light theme, dark grey in dark theme. */
export function neutral(dark) {
  return dark ? [40, 44, 52] : [250, 250, 250];
}

/** 256 packed colours from orange (byte 0, value −1) through neutral to blue (byte 255, value +1). */
export function divergingLut(dark, discrete = false, strength = 1) {
  const lut = new Uint32Array(256);
  const mid = neutral(dark);
  for (let i = 0; i < 256; i++) {
    let t = (i / 127.5 - 1) * strength;
    if (discrete) t = t >= 0 ? 0.8 * strength : -0.8 * strength;
    lut[i] = pack(t < 0 ? mix(mid, NEGATIVE, -t) : mix(mid, POSITIVE, t));
  }
  return lut;
}

/** K × 256 packed colours: class k at confidence byte c → lut[k * 256 + c]. */
export function classLut(dark, classes, discrete = false) {
  const lut = new Uint32Array(Math.max(1, classes) * 256);
  const mid = neutral(dark);
  for (let k = 0; k < classes; k++) {
    for (let c = 0; c < 256; c++) {
      const confidence = discrete ? 0.75 : Math.max(0, (c / 255 - 1 / classes) / (1 - 1 / classes));
      lut[k * 256 + c] = pack(mix(mid, CLASS_COLORS[k % CLASS_COLORS.length], 0.1 + 0.6 * confidence));
    }
  }
  return lut;
}

/** CSS colour of a signed value, alpha by magnitude in [0, 1]. */
export function signColor(value, alpha = 1) {
  const [r, g, b] = value < 0 ? NEGATIVE : POSITIVE;
  return `rgba(${r},${g},${b},${alpha})`;
}

/** CSS colour of class k. */
export function classColor(k) {
  const [r, g, b] = CLASS_COLORS[k % CLASS_COLORS.length];
  return `rgb(${r},${g},${b})`;
}

const rangeCache = new Map();

/** 256 packed colours for bytes quantised from [lo, hi]: value 0 is neutral, ±max(|lo|, |hi|) full colour. */
export function rangeLut(lo, hi, dark) {
  const key = `${lo},${hi},${dark}`;
  if (rangeCache.has(key)) return rangeCache.get(key);
  const lut = new Uint32Array(256);
  const mid = neutral(dark);
  const scale = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  for (let i = 0; i < 256; i++) {
    const t = (lo + (i / 255) * (hi - lo)) / scale;
    lut[i] = pack(t < 0 ? mix(mid, NEGATIVE, -t) : mix(mid, POSITIVE, t));
  }
  rangeCache.set(key, lut);
  return lut;
}
