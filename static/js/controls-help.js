// The page's own view options: what each says and the help text a student reads. The settings' controls (labels,
// help, ranges, choices, when they apply) come from the server's `hello` (engine.schema), not from here.

/** The page's own view options: [section, key, label, help]. They change the drawing, never the training. */
export const PAGE_CONTROLS = [
  ["view", "show_test", "Show test data", "Draw the test points (with a dark ring) on the output map."],
  ["view", "discretize", "Discretize output", "Colour each region by the class the network would pick, instead of shading by confidence."],
  ["view", "flow", "Gradient flow", "Animate the gradients flowing backwards along the links: faster and brighter where ∂L/∂w is bigger."],
  ["view", "log_loss", "Log-scale loss", "Show the loss chart on a logarithmic scale, which makes small improvements late in training visible."],
];
