// Small meters: draw-time percentiles and per-second rates.

/** Median and p95 of the last `size` draw times in ms. */
export class DrawStats {
  constructor(size = 240) {
    this.times = new Float64Array(size);
    this.count = 0;
  }

  add(ms) {
    this.times[this.count % this.times.length] = ms;
    this.count += 1;
  }

  summary() {
    const n = Math.min(this.count, this.times.length);
    if (!n) return null;
    const sorted = Array.from(this.times.subarray(0, n)).sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(n - 1, Math.floor(q * n))];
    return { median: at(0.5), p95: at(0.95), max: sorted[n - 1], samples: n };
  }
}

/** A rate (per second) of a growing counter, smoothed over about one second. */
export class RateMeter {
  constructor() {
    this.samples = [];
  }

  add(value, now = performance.now()) {
    this.samples.push([now, value]);
    while (this.samples.length > 2 && now - this.samples[0][0] > 1500) this.samples.shift();
  }

  rate() {
    if (this.samples.length < 2) return 0;
    const [t0, v0] = this.samples[0];
    const [t1, v1] = this.samples[this.samples.length - 1];
    return t1 > t0 ? ((v1 - v0) * 1000) / (t1 - t0) : 0;
  }
}

/** Times each view's share of a frame's draw and the whole draw. */
export class FrameTimer {
  constructor(names) {
    this.total = new DrawStats();
    this.views = Object.fromEntries(names.map((name) => [name, new DrawStats()]));
    this.pending = Object.fromEntries(names.map((name) => [name, 0]));
  }

  /** Run one view's draw and note how long it took. */
  measure(name, draw) {
    const start = performance.now();
    draw();
    this.pending[name] = performance.now() - start;
  }

  /** Record the frame just drawn (the sum of its views). */
  commit() {
    let sum = 0;
    for (const [name, ms] of Object.entries(this.pending)) {
      this.views[name].add(ms);
      sum += ms;
    }
    this.total.add(sum);
  }

  summary() {
    const out = this.total.summary();
    if (out) out.views = Object.fromEntries(Object.entries(this.views).map(([name, s]) => [name, s.summary()]));
    return out;
  }
}
