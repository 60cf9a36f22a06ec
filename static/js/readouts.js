// The page's small readouts outside the canvases: the Play/Pause button's label, the hidden-layer count, and which
// charts apply (the learning-rate chart only with a schedule, the accuracy chart only when classifying).

export class Readouts {
  constructor(root = document) {
    this.play = root.querySelector("#play");
    this.layerCount = root.querySelector("#layer-count");
    this.rateFigure = root.querySelector("#rate-figure");
    this.accuracyFigure = root.querySelector("#accuracy-figure");
  }

  setState(state) {
    const playing = state === "training";
    this.play.textContent = playing ? "❚❚ Pause" : "▶ Play";
    this.play.setAttribute("aria-pressed", String(playing));
    this.play.setAttribute("aria-label", playing ? "Pause training" : "Start training");
  }

  setConfig(config) {
    this.rateFigure.hidden = config.schedule.name === "constant";
    const hidden = config.layers.length;
    this.layerCount.textContent = `${hidden} hidden layer${hidden === 1 ? "" : "s"}`;
  }

  setData(data) {
    this.accuracyFigure.hidden = data.problem === "regression";
  }
}
