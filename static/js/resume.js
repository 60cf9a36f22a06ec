// Resuming after a server restart (or any reconnect): a session lives as long as its WebSocket, so a new one starts
// with default settings, fresh weights and step 0. The page keeps the student's run — the applied settings, its own
// points if the student changed them, and the last frame's weights, step and epoch — and replays it on the new
// session: config, load_csv (edited points only: otherwise the seed draws the same points), set_params with step and
// epoch, then an empty config whose answer ends the restore (the server applies messages in order), then play if it
// was training. Until that answer the new session's own frames (step 0, fresh weights) are not shown.
// Session ids are per process and repeat after a restart, so they are not compared: every hello after a lost
// connection is a new session at step 0. The run is also written to sessionStorage when the connection is lost, so a
// reload during the outage restores it too.
//
//   const resume = new Resume({ playground, send, notices, frame, onDone });
//   resume.sent(message)          — every message the page sends: notes edits of the points and weights
//   resume.applied(old, config)   — a config the server applied: new points drawn from the settings are not edited
//   resume.lost(detail)           — the connection closed: keep the run as it was (once per outage)
//   resume.hello(message)         — a new session: true if the run is being restored (then play waits for onDone)
//   resume.active                 — a restore is under way: the page drops frames
//   resume.answer(message)        — config and error replies: true for an error of the restore (handled here)

const KEY = "backprop-playground-resume";
const DATA_KEYS = ["dataset", "points", "noise", "seed"];

function readStored() {
  try {
    const run = JSON.parse(sessionStorage.getItem(KEY) || "null");
    return run && typeof run.config === "object" && Array.isArray(run.params) ? run : null;
  } catch {
    return null;
  }
}

/** The points of a `data` message as CSV for load_csv (x, y, label, split). */
function pointsCsv(data) {
  const rows = ["x,y,label,split"];
  for (const [split, points] of [["train", data.train], ["test", data.test]]) {
    for (const [x, y, label] of points) rows.push(`${x},${y},${label},${split}`);
  }
  return rows.join("\n") + "\n";
}

export class Resume {
  /** `frame()` is the newest frame received (its params, step and epoch); `onDone(run)` runs when a restore ends. */
  constructor({ playground, send, notices, frame, onDone }) {
    Object.assign(this, { playground, send, notices, frame, onDone });
    /** The run to restore on the next session (from a lost connection, or sessionStorage after a reload). */
    this.run = readStored();
    /** The page shows a live session's run (so a lost connection takes a new snapshot). */
    this.live = false;
    this.active = null;
    this.pointsEdited = this.run?.pointsEdited ?? false;
    this.weightsEdited = this.run?.weightsEdited ?? false;
    this.restores = 0;
    this.leaving = false;
    window.addEventListener("pagehide", () => { this.leaving = true; });
    window.addEventListener("pageshow", () => { this.leaving = false; });
  }

  sent(message) {
    if (typeof message.id === "string" && message.id.startsWith("resume-")) return;
    switch (message.type) {
      case "add_point": case "erase_points": case "load_csv": this.pointsEdited = true; break;
      case "regenerate": this.pointsEdited = false; break;
      case "set_weight": case "set_params": this.weightsEdited = true; break;
      case "reset": this.weightsEdited = false; break;
      default: break;
    }
  }

  applied(old, config) {
    if (!old || this.active) return;
    const multiclass = this.playground.options?.datasets?.[config.dataset]?.kind === "multiclass";
    const keys = multiclass ? [...DATA_KEYS, "classes"] : DATA_KEYS;
    if (keys.some((key) => JSON.stringify(old[key]) !== JSON.stringify(config[key]))) this.pointsEdited = false;
  }

  lost(detail = {}) {
    this.active = null;  // a restore cut short keeps its run for the next session
    if (!this.live) return;
    this.live = false;
    const f = this.frame();
    const { config, data, state } = this.playground;
    if (!f?.params?.length || !config) return;
    const { pointsEdited, weightsEdited } = this;
    this.run = {
      config, step: f.step, epoch: f.epoch, params: Array.from(f.params), training: state === "training",
      pointsEdited, weightsEdited, data: pointsEdited && data ? { train: data.train, test: data.test } : null,
      restart: detail.code === 1012,
    };
    if (this.leaving) return;
    try {
      sessionStorage.setItem(KEY, JSON.stringify(this.run));
    } catch {
      // storage full or off: the run is still kept in memory
    }
  }

  hello(message) {
    const run = this.run;
    if (!run || !(run.step > 0 || run.pointsEdited || run.weightsEdited)) {
      this.finish();
      return false;
    }
    const id = `resume-${++this.restores}`;
    this.active = { id, run, errors: [] };
    const config = { ...run.config };
    const maxFps = message.limits?.max_fps;
    if (typeof config.fps === "number" && maxFps && config.fps > maxFps) config.fps = maxFps;
    this.send({ type: "config", id: `${id}-config`, ...config });
    if (run.pointsEdited && run.data) {
      const limit = message.limits.max_message_bytes - 256;
      let csv = pointsCsv(run.data);
      if (new Blob([csv]).size > limit) csv = csv.replace(/(\d+\.\d{3})\d+/g, "$1");
      if (new Blob([csv]).size > limit) this.active.errors.push("your points are too many to send back");
      else this.send({ type: "load_csv", id: `${id}-data`, csv });
    }
    this.send({ type: "set_params", id: `${id}-params`, params: run.params, step: run.step, epoch: run.epoch });
    this.send({ type: "config", id: `${id}-done` });
    return true;
  }

  answer(message) {
    const restore = this.active;
    const id = typeof message.id === "string" ? message.id : "";
    if (!restore || !id.startsWith(`${restore.id}-`)) return false;
    if (message.type === "error") {
      const part = id.endsWith("-params") ? "the weights" : id.endsWith("-data") ? "your points" : "a setting";
      restore.errors.push(`${part} (${message.field ?? message.code}: ${message.message})`);
      return true;
    }
    if (id === `${restore.id}-done`) this.done(restore);
    return false;
  }

  done({ run, errors }) {
    this.active = null;
    this.pointsEdited = run.pointsEdited;
    this.weightsEdited = run.weightsEdited;
    this.finish();
    const cause = run.restart ? "The server restarted" : "The connection was lost";
    if (errors.length) {
      this.notices.show("resume", `${cause}; your network could not be restored as it was: ${errors.join("; ")}.`, "warning");
    } else {
      this.notices.show("resume", `${cause}; your network was restored at step ${run.step}. The optimizer's memory `
        + "(momentum, Adam's averages) starts afresh.", "info", 30);
    }
    this.onDone(run);
  }

  /** The page follows a live session again: nothing is left to restore. */
  finish() {
    this.run = null;
    this.live = true;
    try {
      sessionStorage.removeItem(KEY);
    } catch {
      // nothing stored
    }
  }
}
