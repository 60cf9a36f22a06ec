// Wires the widgets together; draws nothing itself.
window.__playground = { connected: false, config: null, epoch: 0, step: 0, framesReceived: 0, drawStats: null };
