// The timeline under the charts: a scrubber over the snapshots the session keeps (`timeline`), a past moment shown
// on every view, recomputed by the server from its snapshot (`view_snapshot` → a frame), "continue from here"
// (`restore_snapshot`), and ←/→ through the snapshots (→ past the last one is live again; while live → trains a step).
//
//   const timeline = mountTimeline(section, { send, loop, charts, decoder, onView });
//   timeline.handleMessage(message); timeline.frame()
//   decoder() — a FrameDecoder for the current layout; onView(step | null) — the moment shown changed

import { h } from "./lesson-steps.js";
import { LiveRequest } from "./live-request.js";

export function mountTimeline(section, { send, loop, charts, decoder, onView = () => {} }) {
  const slider = h("input", { type: "range", min: "0", max: "0", step: "1", value: "0", name: "timeline",
    "aria-label": "Moment of training shown: the last position is live" });
  const label = h("span", { class: "timeline-label", "data-role": "timeline-label", "aria-live": "polite" }, "live");
  const branch = h("button", { type: "button", "data-action": "continue", disabled: "",
    title: "Go back to this moment and train on from it (the later snapshots are dropped)" }, "Continue from here");
  const live = h("button", { type: "button", "data-action": "live", disabled: "", title: "Show the live network again" }, "Live");
  const note = h("p", { class: "small", "data-role": "timeline-note" });
  section.append(h("div", { class: "timeline-row" }, h("span", { class: "timeline-title" }, "Timeline"), slider, label,
    branch, live), note);
  const state = { snapshots: [], viewing: null, shown: null, liveStep: 0, pending: null, wanted: null, count: 0 };

  const list = new LiveRequest({
    send, prefix: "timeline", message: () => ({ type: "timeline" }), shown: () => !section.hidden,
    onAnswer: (answer) => {
      state.snapshots = answer.snapshots;
      state.liveStep = answer.step;
      note.textContent = `${answer.snapshots.length} of at most ${answer.capacity} snapshots, one every ` +
        `${answer.interval} step${answer.interval === 1 ? "" : "s"} (${(answer.bytes / 1024).toFixed(0)} KB on the server)`;
      if (state.viewing !== null && !answer.snapshots.some((s) => s.step === state.viewing)) {
        const earlier = answer.snapshots.filter((s) => s.step <= state.viewing).at(-1) ?? answer.snapshots[0];
        view(earlier ? earlier.step : null);  // thinned away: the nearest earlier one kept
      }
      sync();
      if (!answer.complete) list.want();
    },
  });

  const index = () => (state.viewing === null ? state.snapshots.length : state.snapshots.findIndex((s) => s.step === state.viewing));

  function sync() {
    slider.max = String(state.snapshots.length);
    slider.value = String(index());
    const past = state.viewing !== null;
    branch.disabled = !past;
    live.disabled = !past;
    section.classList.toggle("viewing-past", past);
    const s = state.snapshots.find((x) => x.step === state.viewing);
    label.textContent = past
      ? `step ${state.viewing}${s?.epoch !== undefined ? `, epoch ${s.epoch}` : ""}` +
        (Number.isFinite(s?.train_loss) ? `, loss ${s.train_loss.toFixed(4)}` : "") + " (past)"
      : "live";
  }

  function ask() {
    if (state.pending !== null || state.wanted === null) return;
    state.pending = `snapshot-${++state.count}`;
    send({ type: "view_snapshot", step: state.wanted, id: state.pending });
    state.wanted = null;
  }

  /** Show the snapshot at `step` (null: live). */
  function view(step) {
    state.viewing = step;
    if (step === null) {
      state.wanted = null;
      state.shown = null;
      loop.hold(null);
      charts.setMarker(null);
    } else {
      state.wanted = step;
      charts.setMarker(step);
      ask();
    }
    sync();
    onView(step);
  }

  function move(by) {
    const n = state.snapshots.length;
    if (!n) return false;
    const at = Math.min(n, Math.max(0, index() + by));
    view(at === n ? null : state.snapshots[at].step);
    return true;
  }

  slider.addEventListener("input", () => {
    const at = Number(slider.value);
    view(at >= state.snapshots.length ? null : state.snapshots[at].step);
  });
  live.addEventListener("click", () => view(null));
  branch.addEventListener("click", () => {
    if (state.viewing !== null) send({ type: "restore_snapshot", step: state.viewing, id: `restore-${++state.count}` });
  });
  document.addEventListener("keydown", (event) => {  // before keyboard.js: ← always, → while a past moment is shown
    if (section.hidden || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, select, textarea, [contenteditable]")) return;
    const by = { ArrowLeft: -1, ArrowRight: 1 }[event.key];
    if (!by || (by > 0 && state.viewing === null)) return;
    if (move(by)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, { capture: true });

  return {
    state,
    frame: () => list.want(),
    view,
    handleMessage(message) {
      if (list.handle(message)) return true;
      if (message.type === "hello") { state.pending = null; view(null); return false; }
      if (typeof message.id !== "string") return false;
      if (message.id === state.pending) {
        state.pending = null;
        if (message.type === "snapshot" && message.step === state.viewing) {
          const bytes = Uint8Array.from(atob(message.frame), (c) => c.charCodeAt(0));
          state.shown = decoder().decode(bytes.buffer);
          loop.hold(state.shown);
        } else if (message.type === "error") {
          list.want();  // the moment was thinned away meanwhile: the next list moves to one kept
        }
        ask();
        return true;
      }
      if (message.id.startsWith("restore-") && message.type === "restored") {
        charts.truncate(message.step);
        view(null);
        list.want();
        return true;
      }
      return false;
    },
  };
}
