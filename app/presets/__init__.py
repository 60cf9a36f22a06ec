"""The lessons' one-click presets: each a config that shows one claim about training, and words for students.

A preset's `config` is complete (the trainer's defaults overlaid with the preset's settings, plus `speed`), so
loading one never inherits a setting from whatever the student did before. Each preset's claim is code
(`app.presets.claims`): `check(id, seed)` trains the preset from that seed and says whether the claim was shown;
`python -m app.presets check` does it for every preset over several seeds.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from app.presets.claims import CLAIMS
from engine.config import DEFAULT_CONFIG
from engine.lessons.claims import Claim, Run, Verdict, record
from engine.trainer import Trainer


@dataclass(frozen=True)
class Preset:
    """One lesson: the settings that show it and what a student should read, watch and try."""

    id: str
    group: str
    title: str
    settings: dict
    explanation: str
    look_at: str
    try_next: str
    speed: float | str = 30
    related: tuple[str, ...] = field(default=())

    def config(self) -> dict:
        """The full config to send: defaults, then this preset's settings, then its speed."""
        return copy.deepcopy({**DEFAULT_CONFIG, **self.settings, "speed": self.speed})

    def trainer_config(self, seed: int | None = None) -> dict:
        """The trainer's config (no speed), from `seed` in place of the preset's own when given."""
        config = self.config()
        del config["speed"]
        return config if seed is None else {**config, "seed": seed}

    @property
    def claim(self) -> Claim:
        return CLAIMS[self.id]

    def verdict(self, own: Run, seed: int) -> Verdict:
        """Judge a run of this preset that reached its claim's horizon (or stopped); the presets it is compared with
        are run from the same seed, with this claim's probes."""
        claim = self.claim
        refs = {other: record(Trainer(PRESETS[other].trainer_config(seed)), claim) for other in claim.versus}
        return Verdict(claim.text, tuple(claim.judge(own, refs)), own.step)

    def check(self, seed: int | None = None) -> Verdict:
        """Run this preset from `seed` (its own by default) and say whether its claim was shown, with the numbers."""
        trainer = Trainer(self.trainer_config(seed))
        return self.verdict(record(trainer, self.claim), trainer.config["seed"])

    def to_json(self) -> dict:
        """What GET /api/presets serves."""
        return {"id": self.id, "group": self.group, "title": self.title, "config": self.config(),
                "explanation": self.explanation, "look_at": self.look_at, "try_next": self.try_next,
                "claim": self.claim.text, "try_instead": self.claim.try_instead, "horizon": self.claim.horizon,
                "related": list(self.related), "url": f"/#preset={self.id}"}


_SMALL_CIRCLE = {"dataset": "circle", "points": 200, "noise": 0.0, "layers": [4], "activation": "tanh", "seed": 1}
_RATE = {"dataset": "plane", "points": 200, "layers": [4], "activation": "tanh", "init": "xavier", "loss": "mse",
         "optimizer": "sgd", "batch_size": 10, "seed": 1}
_DEEP = {"dataset": "circle", "points": 300, "layers": [8, 8, 8, 8, 8, 8], "loss": "bce", "batch_size": 20}
_EXPLODE = {"dataset": "plane", "points": 300, "layers": [6, 6, 6, 6, 6, 6], "activation": "leaky_relu",
            "leaky_slope": 0.3, "init": "uniform", "init_scale": 1.8, "loss": "mse", "optimizer": "sgd",
            "learning_rate": 0.05, "batch_size": 20}
_BOUNCE = {**_SMALL_CIRCLE, "batch_size": 1, "loss": "bce", "optimizer": "sgd", "learning_rate": 0.6}
_VALLEY = {"dataset": "circle", "points": 400, "layers": [], "features": ["x1_sq", "x2_sq"], "loss": "mse",
           "batch_size": 200, "learning_rate": 0.3, "seed": 1}
_DYING = {"dataset": "circle", "points": 200, "layers": [8, 8], "init": "xavier", "loss": "bce", "optimizer": "sgd",
          "learning_rate": 2.5, "seed": 4}
_OVERFIT = {"dataset": "circle", "points": 60, "noise": 0.5, "train_ratio": 0.5, "layers": [16, 16, 16],
            "activation": "relu", "init": "he", "loss": "bce", "optimizer": "adam", "learning_rate": 0.01,
            "batch_size": 10, "seed": 3}

PRESETS: dict[str, Preset] = {
    p.id: p
    for p in (
        Preset(
            "slow-motion", "update-rule", "The update rule, one mini-batch at a time",
            {**_SMALL_CIRCLE, "points": 40, "batch_size": 4, "optimizer": "sgd", "learning_rate": 0.1},
            "Every step takes four training points, measures how the loss changes with each weight (the gradient), "
            "and moves every weight a little against it: w ← w − η·∂L/∂w. At two steps a second you can follow "
            "single weights change.",
            "Watch the edge thickness and colour in the network diagram and the boundary shifting after each batch.",
            "Press pause and step once at a time; then raise the learning rate and see each move get bigger.",
            speed=2,
        ),
        Preset(
            "lr-too-small", "learning-rate", "Learning rate too small",
            {**_RATE, "learning_rate": 0.0001},
            "With η = 0.0001 every step is tiny. The loss does go down, but so slowly that after thousands of steps "
            "the network has hardly started.",
            "The loss chart is almost flat; the output map barely changes.",
            "Load 'about right' and compare how far each gets in the same number of steps.",
            speed=500, related=("lr-right", "lr-too-large"),
        ),
        Preset(
            "lr-right", "learning-rate", "Learning rate about right",
            {**_RATE, "learning_rate": 0.3},
            "With η = 0.3 the same network fits the tilted plane within a few hundred steps. Big enough to make "
            "progress, small enough that no step overshoots.",
            "A smooth, quickly falling loss curve.",
            "Try 'too large' next, then look for the largest rate that still works.",
            speed=500, related=("lr-too-small", "lr-too-large"),
        ),
        Preset(
            "lr-too-large", "learning-rate", "Learning rate too large: divergence",
            {**_RATE, "learning_rate": 3.0},
            "With η = 3 each step overshoots the bottom of the valley by more than it was away from it, so the "
            "error grows every step until the numbers blow up. The trainer rolls back the last step and says that "
            "training diverged.",
            "The loss shoots up and training stops with a 'diverged' message.",
            "Lower the rate step by step until the loss falls instead: where does it start to work?",
            speed=5, related=("lr-too-small", "lr-right"),
        ),
        Preset(
            "lr-constant", "learning-rate", "One point at a time, constant rate: it never settles",
            {**_BOUNCE, "schedule": {"name": "constant"}},
            "With one random point per step and a large constant rate, every step is a big, noisy move. The network "
            "gets near a good fit quickly, but each new point kicks it away again, so the loss keeps jumping.",
            "The loss curve late in training: big spikes that never die down.",
            "Load the decaying version: the same run, with the rate cut to a tenth at step 1,000.",
            speed=400, related=("lr-step-decay",),
        ),
        Preset(
            "lr-step-decay", "learning-rate", "A decaying learning rate lets it settle",
            {**_BOUNCE, "schedule": {"name": "step", "step_size": 1000, "gamma": 0.1}},
            "Big steps early cover ground fast; small steps late stop the noise of single points from undoing the "
            "progress. Cutting the rate to a tenth at step 1,000 lets the same noisy run settle into a good fit.",
            "The learning-rate chart drops at step 1,000, and the loss calms down right after.",
            "Try the cosine or exponential schedule instead, or cut the rate later.",
            speed=400, related=("lr-constant",),
        ),
        Preset(
            "full-batch", "batch-size", "Batch gradient descent (all points per step)",
            {**_SMALL_CIRCLE, "batch_size": 100, "learning_rate": 0.1},
            "Each step averages the gradient over the whole training set, so every step points the same way the "
            "true loss falls. The loss curve is smooth, but each step costs a pass over all the data.",
            "The batch loss and the training loss move together and the curve is smooth.",
            "Compare with 'stochastic' (one point per step) and 'mini-batch'.",
            speed=200, related=("stochastic", "mini-batch"),
        ),
        Preset(
            "stochastic", "batch-size", "Stochastic gradient descent (one point per step)",
            {**_SMALL_CIRCLE, "batch_size": 1, "learning_rate": 0.1},
            "Each step uses a single random point, so the direction is a noisy guess of the true gradient. Steps are "
            "cheap and many, but the loss jumps around and never quite settles.",
            "A jagged loss curve: the batch loss swings from step to step.",
            "Lower the learning rate and see the noise shrink; try 'mini-batch' for the usual compromise.",
            speed=200, related=("full-batch", "mini-batch"),
        ),
        Preset(
            "mini-batch", "batch-size", "Mini-batch gradient descent (ten points per step)",
            {**_SMALL_CIRCLE, "batch_size": 10, "learning_rate": 0.1},
            "Each step averages ten points: far less noisy than one point, far cheaper than all of them. This is "
            "what almost all real training uses.",
            "A fairly smooth curve that still falls quickly per step.",
            "Change the batch size and watch the noise of the loss curve.",
            speed=200, related=("full-batch", "stochastic"),
        ),
        Preset(
            "vanishing", "depth", "Vanishing gradients: six sigmoid layers",
            {**_DEEP, "activation": "sigmoid", "init": "xavier", "optimizer": "sgd", "learning_rate": 0.1},
            "A sigmoid's slope is at most ¼, and backprop multiplies one such slope per layer. After six layers the "
            "gradient reaching the first layer is thousands of times smaller than at the last, so the first layers "
            "barely learn.",
            "The gradient-norm chart: the first layer's line (L1, blue) lies far below the output's.",
            "Load the ReLU + He fix and compare the lines.",
            speed=100, related=("vanishing-fixed",),
        ),
        Preset(
            "vanishing-fixed", "depth", "The fix: ReLU with He initialisation",
            {**_DEEP, "activation": "relu", "init": "he", "optimizer": "sgd", "learning_rate": 0.05},
            "ReLU's slope is exactly 1 wherever a unit is active, and He initialisation scales the weights so the "
            "signal keeps its size through each layer. The gradient reaches the first layer at a similar size.",
            "The gradient-norm lines of all layers lie close together.",
            "Switch back to sigmoid with the same initialisation and see which change mattered.",
            speed=100, related=("vanishing",),
        ),
        Preset(
            "exploding", "depth", "Exploding gradients",
            {**_EXPLODE},
            "Weights drawn too large multiply the signal by more than one at every layer, forwards and backwards. "
            "Six layers later the gradient norm is in the hundreds or thousands, the first steps throw the weights "
            "far away, and training diverges at once.",
            "The gradient-norm chart's lines high up, then the 'diverged' message.",
            "Load the clipped version: the same network, with gradient clipping.",
            speed=5, related=("exploding-clipped",),
        ),
        Preset(
            "exploding-clipped", "depth", "Exploding gradients tamed by clipping",
            {**_EXPLODE, "clip": {"mode": "norm", "value": 1.0}},
            "Clipping rescales the whole gradient whenever its norm exceeds 1, so no single step can be huge. The "
            "same badly initialised network now trains instead of blowing up.",
            "The loss stays finite and falls; no 'diverged' message.",
            "Try clipping by value instead of by norm; then fix the real cause with He initialisation.",
            speed=200, related=("exploding",),
        ),
        Preset(
            "valley-sgd", "optimizers", "A long narrow valley: plain SGD",
            {**_VALLEY, "optimizer": "sgd"},
            "With only x₁² and x₂² as inputs and no hidden layer, the circle needs w·(x₁² + x₂²) + b. Both inputs "
            "average about a third, so the weights and the bias are tangled: the loss surface is a long, narrow "
            "valley, steep across and nearly flat along. Plain gradient descent zig-zags across it and crawls along.",
            "The loss falls fast at first, then creeps.",
            "Load the momentum version: same learning rate, same start.",
            speed=100, related=("valley-momentum", "valley-adam"),
        ),
        Preset(
            "valley-momentum", "optimizers", "A long narrow valley: momentum",
            {**_VALLEY, "optimizer": "momentum", "optimizer_params": {"momentum": 0.9}},
            "Momentum keeps a running velocity: the back-and-forth across the valley cancels out, while the small "
            "steady pull along it adds up. Same learning rate, much faster progress.",
            "The loss keeps falling where plain SGD creeps.",
            "Compare with Adam, which also scales each weight's step by the recent size of its gradient.",
            speed=100, related=("valley-sgd", "valley-adam"),
        ),
        Preset(
            "valley-adam", "optimizers", "Adam: a sensible default",
            {**_VALLEY, "optimizer": "adam", "learning_rate": 0.03},
            "Adam combines momentum with a separate step size for every weight, taken from the recent size of its "
            "gradient, so flat and steep directions both move at a reasonable pace. With its usual small rate it "
            "works on most problems without tuning.",
            "A loss that falls steadily, ahead of plain SGD.",
            "Try Adam on the other presets, or raise its learning rate until it struggles too.",
            speed=100, related=("valley-sgd", "valley-momentum"),
        ),
        Preset(
            "valley-adagrad", "optimizers", "AdaGrad: steps that shrink for good",
            {**_VALLEY, "optimizer": "adagrad", "learning_rate": 0.3},
            "AdaGrad divides each weight's step by the square root of the sum of all its past squared gradients. "
            "That sum only grows, so every step is smaller than the one before: a fast start, then a crawl, even "
            "where there is still a long way to go.",
            "A loss that keeps pace with RMSprop at first, then falls behind.",
            "Load RMSprop: the same start, with a moving average that forgets old gradients.",
            speed=100, related=("valley-rmsprop",),
        ),
        Preset(
            "valley-rmsprop", "optimizers", "RMSprop: a moving average keeps the steps alive",
            {**_VALLEY, "optimizer": "rmsprop", "learning_rate": 0.03},
            "RMSprop divides each step by a moving average of recent squared gradients instead of their sum. Old "
            "gradients fade out, so the step size does not wither away and training keeps moving.",
            "The loss keeps falling where AdaGrad's flattens.",
            "Compare the update-size chart with AdaGrad's; then try Adam, which adds momentum to this.",
            speed=100, related=("valley-adagrad", "valley-adam"),
        ),
        Preset(
            "xor", "capacity", "XOR needs a hidden layer",
            {"dataset": "xor", "points": 400, "layers": [4], "activation": "tanh", "loss": "bce",
             "optimizer": "adam", "learning_rate": 0.03, "batch_size": 10, "seed": 2},
            "No straight line separates XOR's quadrants, so a network without hidden units cannot learn it. Four "
            "hidden units each draw a line, and the output combines them into the checkerboard.",
            "Each hidden unit's map in the diagram: one line each; the output combines them.",
            "Remove the hidden layer and watch the accuracy stall near 50%; try two hidden units.",
            speed=200,
        ),
        Preset(
            "no-shuffle", "data-order", "Not shuffling: the order of the data leaks in",
            {**_SMALL_CIRCLE, "shuffle": False, "order": "sorted", "batch_size": 10, "learning_rate": 0.3},
            "Here the training points are visited class by class and never reshuffled, so each epoch first shows "
            "only one class and then only the other. Every half-epoch the network swings towards whichever class it "
            "saw last, and it never settles on the circle.",
            "The batch loss saw-tooths once per epoch; the output map flips colour back and forth.",
            "Turn shuffling back on (or load 'shuffling each epoch') and watch the saw-tooth vanish.",
            speed=200, related=("shuffle",),
        ),
        Preset(
            "shuffle", "data-order", "Shuffling each epoch",
            {**_SMALL_CIRCLE, "shuffle": True, "order": "sorted", "batch_size": 10, "learning_rate": 0.3},
            "The same sorted data, but reshuffled before each epoch, so both classes are mixed into every "
            "mini-batch and each step is a fair sample of the whole problem. The loss curve loses its per-epoch "
            "rhythm and the circle is found.",
            "A loss curve without the per-epoch saw-tooth.",
            "Compare with 'not shuffling'.",
            speed=200, related=("no-shuffle",),
        ),
        Preset(
            "overfit", "generalisation", "Overfitting: few noisy points, big network",
            dict(_OVERFIT),
            "Thirty very noisy training points and three layers of sixteen units: the network has room to memorise "
            "every point, noise included. Training loss keeps falling while test loss turns and rises.",
            "The gap between the training and test loss curves; the boundary's wiggles around single points.",
            "Load the L2, dropout or early-stopping versions.",
            speed=500, related=("overfit-l2", "overfit-dropout", "overfit-early-stopping"),
        ),
        Preset(
            "overfit-l2", "generalisation", "Overfitting vs L2 regularisation",
            {**_OVERFIT, "regularization": "l2", "regularization_rate": 0.01},
            "L2 adds the sum of squared weights to the loss, so every step also shrinks each weight a little. Large "
            "weights are needed for wiggly boundaries, so the boundary stays smooth.",
            "A smaller gap between training and test loss; a rounder boundary.",
            "Raise the rate until the network underfits.",
            speed=500, related=("overfit",),
        ),
        Preset(
            "overfit-dropout", "generalisation", "Overfitting vs dropout",
            {**_OVERFIT, "dropout": 0.5},
            "Dropout switches off a random half of the hidden units in every training step, so no unit can rely on "
            "one particular partner, and memorising single points gets much harder. At test time all units are used.",
            "A training loss that stays higher than without dropout, and a test loss that often climbs less.",
            "Try 0.2, and compare with L2, which narrows the gap more reliably here.",
            speed=500, related=("overfit",),
        ),
        Preset(
            "overfit-early-stopping", "generalisation", "Overfitting vs early stopping",
            {**_OVERFIT, "early_stopping": {"enabled": True, "patience": 20}},
            "Early stopping watches the test loss and stops once it has not improved for twenty epochs, keeping the "
            "network before it starts to memorise. It costs nothing but a held-out set to watch.",
            "Training stops by itself with an 'early stopped' message.",
            "Change the patience and see where it stops.",
            speed=500, related=("overfit",),
        ),
        Preset(
            "dead-relu", "activations", "Dead ReLUs",
            {**_DYING, "activation": "relu"},
            "A ReLU whose input is negative for every point outputs zero and passes back zero gradient, so nothing "
            "can revive it. A too-large learning rate (here 2.5) throws many units there in the first steps, and "
            "they stay dead.",
            "The dead-unit count, and the flat, single-coloured neuron maps in the diagram.",
            "Load the leaky ReLU version, or lower the learning rate to 0.3.",
            speed=200, related=("leaky-relu",),
        ),
        Preset(
            "leaky-relu", "activations", "Leaky ReLU keeps units alive",
            {**_DYING, "activation": "leaky_relu", "leaky_slope": 0.1},
            "A leaky ReLU has a small slope below zero instead of none, so a unit pushed to the negative side still "
            "receives gradient and can come back. No unit is lost for good, though a rate this large still makes "
            "training jumpy.",
            "Every unit still gets gradient (no flat, single-coloured neuron maps), where plain ReLU has dead ones.",
            "Set the leaky slope to 0 and it is a plain ReLU again; lower the rate to 1 and the leaky network learns.",
            speed=200, related=("dead-relu",),
        ),
        Preset(
            "zero-init", "initialisation", "Zero initialisation: symmetry never breaks",
            {"dataset": "moons", "points": 200, "layers": [4, 4], "activation": "sigmoid", "init": "zeros",
             "loss": "bce", "optimizer": "sgd", "learning_rate": 0.3, "seed": 1},
            "If all weights start equal, every unit of a layer computes the same thing and receives the same "
            "gradient, so they stay identical forever. The weights do move, but in lockstep: four units are no "
            "better than one.",
            "All neuron maps of a layer look the same, and so do their weights.",
            "Switch the initialisation to Xavier and the units differ from the first step.",
            speed=200,
        ),
    )
}


def catalogue() -> list[dict]:
    """All presets as served, in teaching order."""
    return [p.to_json() for p in PRESETS.values()]
