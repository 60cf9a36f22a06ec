// The views that look inside the network, beside the others: the metrics panel, one neuron's math, the
// hidden-layer space and the timeline under the charts.
// main.js passes every JSON message and every frame on; window.__playground.inside reads what they show (tests).
import { mountHiddenSpace } from "./hidden-space.js";
import { mountMetrics } from "./metrics.js";
import { mountNeuronCard } from "./neuron-card.js";
import { mountTimeline } from "./timeline.js";
import { readHash } from "./urlstate.js";

export function mountInside({ playground, send, heatmap, loop, charts, decoder, save }) {
  const timeline = mountTimeline(document.querySelector("#timeline"), {
    send, loop, charts, decoder, onView: () => { for (const view of [metrics, neuron, space]) view.frame(); },
  });
  const at = () => timeline.state.viewing;  // the past moment shown (its snapshot's step), or null: live
  const metrics = mountMetrics(document.querySelector("#metrics"), { send, at });
  const neuron = mountNeuronCard(document.querySelector("#neuron"), {
    send, at, onChoice: save,
    pick: (callback) => heatmap.pick(callback && ((picked) => { heatmap.mark(picked); callback(picked); })),
  });
  const space = mountHiddenSpace(document.querySelector("#hidden-space"), {
    send, at, onChoice: save,
    hiddenSizes: () => playground.layout?.network.sizes.slice(1, -1),
    color: (label) => heatmap.pointColor(label),
  });
  playground.timeline = timeline.state;
  playground.inside = {
    hiddenSpace: space.state,
    chooseSpace: (layer, neurons) => space.choose(layer, neurons),
    get metrics() { return metrics.shown; },
    get neuron() { return neuron.shown; },
    chooseNeuron: (choice) => neuron.choose(choice),
  };
  return {
    /** True if the message was an answer to one of these views (nothing else needs it). */
    handleMessage(message) {
      if (message.type === "hello") {  // the link's choices, before the first requests
        const hash = readHash();
        neuron.fromUrl(hash.neuron);
        space.fromUrl(hash.space);
      }
      return [timeline, metrics, neuron, space].some((view) => view.handleMessage(message));
    },
    /** The views' own keys for the URL hash (undefined: left out). */
    urlState: () => ({ neuron: neuron.urlValue, space: space.urlValue }),
    frame() {
      for (const view of [timeline, metrics, neuron, space]) view.frame();
    },
  };
}
