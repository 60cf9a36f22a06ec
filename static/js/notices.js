// Status line (epoch, step, rates, connection) and plain-language notices from server events and errors.

const ADVICE = {
  diverged: "Training has stopped: lower the learning rate or turn on gradient clipping, and it carries on.",
  loss_changed: "This dataset needs another kind of loss, so the loss was changed.",
  dead_units: "Some ReLU neurons never switch on any more. Try a smaller learning rate, leaky ReLU or another initialiser.",
  early_stopped: "The test loss stopped improving, so training stopped on its own.",
};

export class Notices {
  constructor(list, status) {
    this.list = list;
    this.status = status;
    this.byKind = new Map();
    this.fields = {};
    for (const el of status.querySelectorAll("[data-status]")) this.fields[el.dataset.status] = el;
  }

  /** Show (or replace) the notice of one kind; plain information fades after a while, warnings stay.
   *  `actions`: [[label, run], …] offered as buttons (a Reset, a roll-back); each also dismisses the notice. */
  show(kind, text, level = "info", seconds = level === "info" ? 12 : 0, actions = []) {
    this.dismiss(kind);
    const item = document.createElement("li");
    item.className = `notice notice-${level}`;
    item.dataset.kind = kind;
    const body = document.createElement("span");
    body.textContent = text;
    for (const [label, run] of actions) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "notice-action";
      button.textContent = label;
      button.addEventListener("click", () => { this.dismiss(kind); run(); });
      body.append(" ", button);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", "Dismiss this notice");
    close.addEventListener("click", () => this.dismiss(kind));
    item.append(body, close);
    this.list.prepend(item);
    this.byKind.set(kind, item);
    if (seconds) setTimeout(() => { if (this.byKind.get(kind) === item) this.dismiss(kind); }, seconds * 1000);
    while (this.list.children.length > 5) this.list.lastElementChild.remove();
  }

  dismiss(kind) {
    this.byKind.get(kind)?.remove();
    this.byKind.delete(kind);
    this.onDismiss?.(kind);
  }

  /** The text of the notice of one kind, or null. */
  text(kind) {
    return this.has(kind) ? this.byKind.get(kind).firstElementChild.firstChild.textContent : null;
  }

  /** Add a sentence to a notice that is still up (the loss after a change). */
  append(kind, sentence) {
    const body = this.has(kind) && this.byKind.get(kind).firstElementChild;
    if (body) body.firstChild.textContent += ` ${sentence}`;
  }

  has(kind) {
    return this.byKind.has(kind) && this.byKind.get(kind).isConnected;
  }

  /** A server `event` in words a student can act on; `saturated_units` stays until `saturation_cleared`. */
  event(message, actions = []) {
    const kind = message.kind;
    if (kind === "saturation_cleared") return this.dismiss("saturated_units");
    let text = message.message || kind;
    if (kind === "diverged" && !message.message) {
      const step = message.step !== undefined ? ` at step ${message.step}` : "";
      text = `Training diverged${step}: the loss became infinite. ${ADVICE.diverged}`;
    } else if (ADVICE[kind] && !text.includes(ADVICE[kind])) {
      text = `${text} ${ADVICE[kind]}`;
    }
    const level = kind === "diverged" ? "error" : kind === "reinitialized" || kind === "loss_changed" || kind === "dead_units" || kind === "saturated_units" || kind === "applies_on_reset" ? "warning" : "info";
    const seconds = kind === "saturated_units" || kind === "applies_on_reset" ? 0 : level === "warning" ? 20 : kind.startsWith("changed") ? 30 : undefined;
    this.show(kind, text, level, seconds, actions);
    return text;
  }

  /** The socket's state in the status line, and a notice while it is down. */
  connection(state, detail = {}) {
    const words = { open: "connected", connecting: "connecting…", reconnecting: "reconnecting…", closed: "disconnected" };
    this.setStatus({ connection: words[state] || state });
    this.fields.connection.dataset.state = state;
    if (state !== "open") this.setStatus({ steps_per_second: "–", fps: "–" });  // no stale rates during an outage
    if (state === "closed") {
      const why = detail.reason ? ` (${detail.reason})` : "";
      const wait = Math.round(detail.delay / 100) / 10;
      this.show("connection", `Lost the connection to the server${why}; trying again in ${wait} s. Your setup is kept in the address bar.`, "warning", 0);
    } else if (state === "open") {
      this.dismiss("connection");
    }
  }

  setStatus(values) {
    for (const [key, value] of Object.entries(values)) {
      const el = this.fields[key];
      if (el && el.textContent !== String(value)) el.textContent = value;
    }
  }
}
