// The gradient check: backprop's gradients against finite differences, per layer, with a switch that plants a bug.
// Green below 1e-6 (backprop is right), amber up to the server's pass mark (`threshold`, shown with the result), red above.

const THRESHOLD = 1e-6;

export class GradientCheck {
  constructor(root, { send }) {
    this.button = root.querySelector("#gradcheck");
    this.inject = root.querySelector("#inject_bug");
    this.result = root.querySelector("#gradcheck-result");
    this.button.addEventListener("click", () => {
      this.result.textContent = "Checking…";
      send({ type: "gradcheck", inject_bug: this.inject.checked });
    });
  }

  /** Show the server's answer: relative error per layer, green below 1e-6. */
  show({ layers = [], passed, inject_bug: injected, threshold = 1e-4 }) {
    const table = document.createElement("table");
    table.className = "gradcheck-table";
    table.innerHTML = "<caption></caption><thead><tr><th scope=col>Layer</th><th scope=col>Relative error</th></tr></thead>";
    table.caption.textContent = passed
      ? "Backprop agrees with finite differences."
      : `Backprop disagrees with finite differences${injected ? " (a bug was injected on purpose)" : ""}.`;
    const body = table.createTBody();
    layers.forEach((error, k) => {
      const row = body.insertRow();
      row.insertCell().textContent = k === layers.length - 1 ? `${k + 1} (output)` : `${k + 1}`;
      const cell = row.insertCell();
      cell.textContent = Number(error).toExponential(2);
      cell.className = error < THRESHOLD ? "ok" : error < threshold ? "fair" : "bad";
    });
    const mark = document.createElement("p");
    mark.className = "gradcheck-mark";
    mark.textContent = `Pass mark: relative error below ${Number(threshold).toExponential(0)} in every layer ` +
      "(a layer whose gradient is about 0 is judged by its absolute difference).";
    this.result.replaceChildren(table, mark);
  }
}
