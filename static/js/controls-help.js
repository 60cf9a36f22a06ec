// What each setting's control says: its section, config path, label and the help text a student reads.
// Ranges and choices are not here: they come from the server's `hello`.

/** [section, config path, label, help for students, kind override]. */
export const CONTROLS = [
  ["data", "dataset", "Dataset", "The pattern of points the network must learn to separate (or, for regression, to fit)."],
  ["data", "classes", "Classes", "How many colours (classes) the multi-class datasets use."],
  ["data", "points", "Points", "How many data points there are. More points show the pattern better but each epoch takes longer."],
  ["data", "noise", "Noise", "How much the points are scattered. With noise some points sit on the wrong side and cannot all be learnt.", "percent"],
  ["data", "train_ratio", "Training share", "Which share of the points the network trains on. The rest is test data it never learns from: it tells you how well the network generalises.", "percent"],
  ["data", "seed", "Seed", "The random seed: the same seed gives the same points and the same starting weights, so a run can be repeated exactly.", "number"],
  ["data", "features", "Input features", "What the network is given about each point. x₁ and x₂ are its coordinates; the others are ready-made curves that make some patterns easy.", "features"],
  ["network", "layers", "Hidden layers", "Neurons per hidden layer, separated by commas (for example 4,2). More layers and neurons can draw more complicated shapes.", "layers"],
  ["network", "activation", "Activation", "The function each hidden neuron applies to its weighted sum. It bends straight lines into curves; without it, many layers are no better than one."],
  ["network", "leaky_slope", "Leaky slope", "For leaky ReLU: how steep the line is for negative inputs, so the neuron never goes completely silent."],
  ["network", "loss", "Loss", "How wrongness is measured. Backpropagation starts from the derivative of this number with respect to the output."],
  ["network", "init", "Initialiser", "How the starting weights are chosen. Too big or too small starting weights make gradients explode or vanish."],
  ["network", "init_scale", "Init scale", "For the uniform initialiser: weights start between minus and plus this value."],
  ["training", "optimizer", "Optimizer", "The rule that turns gradients into weight changes. Plain SGD steps straight downhill; momentum and Adam remember earlier steps."],
  ["training", "learning_rate", "Learning rate", "How big a step each update takes. Too small: slow. Too big: the loss jumps around or blows up.", "number"],
  ["training", "schedule.name", "Rate schedule", "Changes the learning rate while training: for example smaller steps later on, to settle into a minimum."],
  ["training", "batch_size", "Batch size", "How many points are averaged for one gradient step. Small batches are noisy but quick; big ones are smooth but slow.", "number"],
  ["training", "shuffle", "Shuffle", "Mix the training points into new batches every epoch."],
  ["training", "order", "Order without shuffling", "Without shuffling, the points come in their stored order (random) or sorted by label: then every batch holds one class only, and training zig-zags."],
  ["regularisation", "regularization", "Regularisation", "Adds a penalty for big weights to the loss (L1 pushes weights to exactly zero, L2 makes them all smaller), which helps against overfitting."],
  ["regularisation", "regularization_rate", "Regularisation rate", "How strong the weight penalty is.", "number"],
  ["regularisation", "dropout", "Dropout", "While training, switch off this share of hidden neurons at random, so the network cannot rely on any single one."],
  ["regularisation", "clip.mode", "Gradient clipping", "Caps gradients before the update: each value (value) or their total length (norm). A cure for exploding gradients."],
  ["regularisation", "clip.value", "Clip at", "The largest gradient value or norm allowed when clipping is on.", "number"],
  ["regularisation", "early_stopping.enabled", "Early stopping", "Stop training by itself when the test loss has not improved for a while."],
  ["regularisation", "early_stopping.patience", "Patience (epochs)", "How many epochs without improvement early stopping waits.", "number"],
];

/** The page's own view options: [section, key, label, help]. They change the drawing, never the training. */
export const PAGE_CONTROLS = [
  ["view", "show_test", "Show test data", "Draw the test points (with a dark ring) on the output map."],
  ["view", "discretize", "Discretize output", "Colour each region by the class the network would pick, instead of shading by confidence."],
  ["view", "flow", "Gradient flow", "Animate the gradients flowing backwards along the links: faster and brighter where ∂L/∂w is bigger."],
  ["view", "log_loss", "Log-scale loss", "Show the loss chart on a logarithmic scale, which makes small improvements late in training visible."],
];

export const SPEED_HELP = "How many training steps per second: slow motion lets you watch single updates; full speed trains as fast as the server can.";
