// One WebSocket to /ws: JSON control messages out, JSON and binary frames in; reconnects with backoff.
import { FrameDecoder } from "./protocol.js";

export class PlaygroundSocket {
  constructor({ url, onMessage, onFrame, onState, onRaceFrame = () => {} }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onFrame = onFrame;
    this.onRaceFrame = onRaceFrame;  // a race frame (magic BPPR), read with the `race` message's layout
    this.onState = onState;
    this.ws = null;
    this.decoder = null;
    this.layoutId = null;
    this.retry = 0;
    this.timer = null;
    this.state = "connecting";
  }

  connect() {
    clearTimeout(this.timer);
    this.setState(this.retry ? "reconnecting" : "connecting");
    const ws = new WebSocket(this.url);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => { this.retry = 0; this.setState("open"); };
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.decoder = null;
      this.retry += 1;
      const delay = Math.min(8000, 250 * 2 ** Math.min(this.retry, 6)) * (0.75 + Math.random() / 2);
      this.setState("closed", { code: event.code, reason: event.reason, delay });
      this.timer = setTimeout(() => this.connect(), delay);
    };
    ws.onerror = () => {};
    this.ws = ws;
  }

  setState(state, detail = {}) {
    this.state = state;
    this.onState(state, detail);
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send one control message; dropped silently while disconnected (the URL state is replayed on reconnect). */
  send(message) {
    if (this.open) this.ws.send(JSON.stringify(message));
  }

  receive(data) {
    if (typeof data === "string") {
      const message = JSON.parse(data);
      if (message.type === "layout") {
        this.decoder = null;
        this.layoutId = message.layout_id;
        try { this.decoder = new FrameDecoder(message); } catch (err) { this.unreadable(err); }
      }
      this.onMessage(message);
      return;
    }
    if (data.byteLength >= 4 && String.fromCharCode(...new Uint8Array(data, 0, 4)) === "BPPR") {
      this.onRaceFrame(data);
      return;
    }
    if (!this.decoder) return;
    let frame;
    try { frame = this.decoder.decode(data); } catch (err) { this.unreadable(err); return; }
    if (frame.layout_id !== this.layoutId) return;
    this.onFrame(frame, this.decoder.layout);
  }

  /** A layout or frame this page cannot read: shown as an error, not guessed at. */
  unreadable(err) {
    this.onMessage({ type: "error", code: "unreadable_frame", field: null, message: `This page cannot read the server's frames: ${err.message}` });
  }
}
