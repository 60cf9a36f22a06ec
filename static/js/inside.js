// The views that look inside the network, beside the others: the metrics panel and one neuron's math.
// main.js passes every JSON message and every frame on; window.__playground.inside reads what they show (tests).
import { mountMetrics } from "./metrics.js";
import { mountNeuronCard } from "./neuron-card.js";

export function mountInside({ playground, send, heatmap }) {
  const metrics = mountMetrics(document.querySelector("#metrics"), { send });
  const neuron = mountNeuronCard(document.querySelector("#neuron"), {
    send,
    pick: (callback) => heatmap.pick(callback && ((picked) => { heatmap.mark(picked); callback(picked); })),
  });
  playground.inside = {
    get metrics() { return metrics.shown; },
    get neuron() { return neuron.shown; },
    chooseNeuron: (choice) => neuron.choose(choice),
  };
  return {
    /** True if the message was an answer to one of these views (nothing else needs it). */
    handleMessage: (message) => metrics.handleMessage(message) || neuron.handleMessage(message),
    frame() {
      metrics.frame();
      neuron.frame();
    },
  };
}
