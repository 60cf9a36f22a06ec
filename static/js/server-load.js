// The server's degradation under load (`server_load`, app/sessions/governor.py), shown beside the frame rate: when the
// server caps this session's frames or refreshes the neuron maps every other frame, the page says so.
//
//   const load = mountServerLoad(document.querySelector("#server-load"));
//   load.show(message)  — a `server_load` message: { fps: number | null, maps_every: 1 | 2 }

export function mountServerLoad(element) {
  return {
    show(message) {
      const parts = [];
      if (message.fps !== null) parts.push(`server busy: ${message.fps} fps`);
      if (message.maps_every > 1) parts.push(`neuron maps every ${message.maps_every} frames`);
      element.hidden = parts.length === 0;
      element.textContent = parts.join(", ");
      element.title = parts.length ? "Many sessions are training on this server: it sends fewer frames so that "
        + "every one of them still trains. Training is not lost; the picture updates less often." : "";
    },
  };
}
