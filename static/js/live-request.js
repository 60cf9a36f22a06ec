// A request the page repeats while the network changes: asked again after each new frame, one in flight at a time,
// at most one every MIN_INTERVAL_MS, and only while its panel is shown (`metrics`, `neuron`).
//
//   const live = new LiveRequest({ send, prefix: "metrics", message: () => ({ type: "metrics" }), shown: () => true,
//                                  onAnswer, onError, at });
//   at() — a step of the timeline to ask about (a past moment shown), or null for the live network
//   live.want()           — something changed (a frame, a new choice): ask when allowed
//   live.handle(message)  — every JSON message: its answer or error (by id); a hello (a new session) ends a wait

export const MIN_INTERVAL_MS = 250;

export class LiveRequest {
  constructor({ send, prefix, message, shown, onAnswer, onError = () => {}, at = () => null }) {
    Object.assign(this, { send, prefix, message, shown, onAnswer, onError, at });
    this.pending = null;
    this.last = -Infinity;
    this.wanted = false;
    this.timer = null;
    this.count = 0;
  }

  want() {
    this.wanted = true;
    this.ask();
  }

  ask() {
    clearTimeout(this.timer);
    this.timer = null;
    const message = this.message();
    if (!this.wanted || this.pending !== null || !message || !this.shown()) return;
    const wait = this.last + MIN_INTERVAL_MS - performance.now();
    if (wait > 0) { this.timer = setTimeout(() => this.ask(), wait); return; }
    this.wanted = false;
    this.last = performance.now();
    this.pending = `${this.prefix}-${++this.count}`;
    const step = this.at();
    this.send({ ...message, ...(step === null ? {} : { step }), id: this.pending });
  }

  /** True if the message was this request's answer or refusal. */
  handle(message) {
    if (message.type === "hello") { this.pending = null; return false; }  // a new session: its frames ask
    if (this.pending === null || message.id !== this.pending) return false;
    this.pending = null;
    if (message.type === "error") this.onError(message);
    else this.onAnswer(message);
    this.ask();
    return true;
  }
}
