// The draw loop: once per animation frame, redraw the views from the latest frame if anything changed, time each
// view's share, and keep the status line (epoch, step, rates, loss) up to date.
//
//   const loop = new RenderLoop({ playground, heatmap, diagram, charts, notices });
//   loop.receive(frame, framesReceived)  — a new frame from the socket
//   loop.invalidate()                    — redraw even if no new frame arrived (page options changed)
//   loop.forget()                        — drop the current frame (a new layout: its frames no longer fit)
//   loop.hold(frame | null)              — draw a past frame (the timeline) instead of the live ones, or stop
//   loop.start()

import { DrawStats, FrameTimer, RateMeter } from "./timing.js";

/** A plain summary of a frame for tests, built only when read (frames themselves are views, never copied). */
export const frameSummary = (f) => f && {
  step: f.step, epoch: f.epoch, run: f.run, train_loss: f.train_loss, test_loss: f.test_loss, batch_loss: f.batch_loss,
  train_accuracy: f.train_accuracy, test_accuracy: f.test_accuracy, learning_rate: f.learning_rate,
  grad_norm: f.grad_norm ? Array.from(f.grad_norm) : [], delta_abs: f.delta_abs ? Array.from(f.delta_abs) : [],
  update_ratio: f.update_ratio ? Array.from(f.update_ratio) : [],
};

export class RenderLoop {
  constructor({ playground, heatmap, diagram, charts, notices }) {
    this.playground = playground;
    this.heatmap = heatmap;
    this.diagram = diagram;
    this.charts = charts;
    this.notices = notices;
    /** The frame to draw (null after a new layout until the next frame). */
    this.latest = null;
    /** The last frame received, kept across layouts (for window.__playground). */
    this.newest = null;
    /** A past frame shown instead of the live ones (the timeline), or null. */
    this.held = null;
    this.drawn = null;
    this.timer = new FrameTimer(["heatmap", "diagram", "charts"]);
    this.stepRate = new RateMeter();
    this.frameRate = new RateMeter();
    this.draw = this.draw.bind(this);
  }

  receive(f, framesReceived) {
    this.latest = f;
    this.newest = f;
    this.stepRate.add(f.step);
    this.frameRate.add(framesReceived);
  }

  invalidate() {
    this.drawn = null;
  }

  forget() {
    this.latest = null;
    this.held = null;
    this.drawn = null;
  }

  /** Draw `frame` instead of the live frames (a past moment from the timeline); null follows the live ones again. */
  hold(frame) {
    this.held = frame;
    this.drawn = null;
  }

  start() {
    requestAnimationFrame(this.draw);
  }

  draw(time) {
    requestAnimationFrame(this.draw);
    const f = this.held || this.latest;
    const { playground, heatmap, diagram, charts, timer } = this;
    if (!f || !playground.layout) return;
    const fresh = f !== this.drawn;
    if (!fresh && !(diagram.flow && playground.state === "training") && !diagram.hover && heatmap.neuron === heatmap.neuronShown) {
      if (heatmap.pointsDirty) heatmap.drawPoints(); // e.g. a point marked while idle
      charts.draw();
      return;
    }
    timer.measure("heatmap", () => heatmap.draw(f, fresh));
    timer.measure("diagram", () => diagram.draw(f, fresh, time));
    timer.measure("charts", () => charts.draw());
    if (fresh) {
      if (this.drawn !== null) timer.commit();
      else if (!performance.getEntriesByName("first-frame").length) performance.mark("first-frame");  // bench/first_frame.py
      this.drawn = f;
      if (timer.total.count % 10 === 0) playground.drawStats = timer.summary();
      this.notices.setStatus({
        epoch: f.epoch, step: f.step, steps_per_second: Math.round(this.stepRate.rate()), fps: Math.round(this.frameRate.rate()),
        loss: Number.isFinite(f.train_loss) ? f.train_loss.toFixed(4) : String(f.train_loss),
      });
    }
  }

  /** Draw the latest frame `n` times as if it were new; median and p95 in ms (for the performance report). */
  benchmark(n = 200) {
    const times = new DrawStats(n);
    for (let k = 0; k < n; k++) {
      const start = performance.now();
      this.heatmap.draw(this.latest, true);
      this.diagram.draw(this.latest, true, performance.now());
      for (const chart of this.charts.all) chart.urgent = true;
      this.charts.draw();
      times.add(performance.now() - start);
    }
    return times.summary();
  }
}
