"""The loss landscape: the training loss over a plane through the weights, and the optimizer's path drawn on it.

The plane is `centre + α·d1 + β·d2` over a SIZE × SIZE grid of (α, β). Its directions are either
- "random": two Gaussian directions, filter-normalised as in Li et al. 2018 ("Visualizing the Loss Landscape of
  Neural Nets"): each neuron's incoming weights (a column of W, its "filter") are scaled to the norm of that neuron's
  weights in the centre, and the biases' directions are zero, as the paper does for biases; α, β run over ±1;
- "pca": the top two principal directions of the visited weights taken from the centre (the paper's §7: the SVD
  of [θ_i − θ_centre], not mean-centred), in which the path is seen best; α, β run over the path's reach with a margin.

A path is projected onto the plane by least squares (exact for points in it, as the PCA plane's own path nearly is).
The loss is the data loss without the penalty, as `Trainer.evaluate()` reports it, computed for a chunk of grid
points at once: the chunk's parameter vectors (B, n) are reshaped into each layer's stacked [W; b] (B, fan_in + 1,
fan_out) and the training set goes through all of them in one matmul per layer.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass

import numpy as np

from engine.nn.losses import BoundLoss
from engine.nn.network import Network

SIZE = 41
PLANES = ("random", "pca")
RANDOM_EXTENT = 1.0  # α, β ∈ [−1, 1] for filter-normalised directions, as in the paper
PCA_MARGIN = 1.25  # the PCA grid reaches this many times the path's largest coordinate
CHUNK = 64  # grid points per batched evaluation (and per step of the job)
PATH_CAPACITY = 200


class Path:
    """The weights a run visited: its start, then every `interval`-th step; when full, every other point goes and
    the interval doubles, so it always spans the whole run evenly from the start."""

    def __init__(self, params: np.ndarray, step: int = 0, capacity: int = PATH_CAPACITY) -> None:
        self.capacity, self.interval = capacity, 1
        self.steps = [step]
        self.points = [params.copy()]

    def due(self, step: int) -> bool:
        return step % self.interval == 0 and step > self.steps[-1]

    def add(self, step: int, params: np.ndarray) -> None:
        """Record the weights after `step` (call when `due`); a new size of network starts the path there."""
        if params.shape != self.points[0].shape:
            self.__init__(params, step, self.capacity)  # type: ignore[misc]
            return
        self.steps.append(step)
        self.points.append(params.copy())
        if len(self.points) > self.capacity:
            self.interval *= 2
            kept = [i for i, s in enumerate(self.steps) if i == 0 or (s - self.steps[0]) % self.interval == 0]
            self.steps = [self.steps[i] for i in kept]
            self.points = [self.points[i] for i in kept]

    def array(self, current: np.ndarray | None = None) -> np.ndarray:
        """(T, n) the recorded points, and the current weights last if given and of the same size."""
        points = self.points if current is None or current.shape != self.points[0].shape else [*self.points, current]
        return np.stack(points)


def filter_normalized(net: Network, rng: np.random.Generator, centre: np.ndarray | None = None) -> np.ndarray:
    """A Gaussian direction (n,) with each neuron's incoming weights scaled to the norm of that neuron's weights in
    `centre` (the network's own by default); bias entries 0. A neuron whose weights are all zero gets zero."""
    centre = net.params if centre is None else centre
    direction = np.zeros(net.params.size, np.float64)
    for s, W in zip(net.weight_slices, net.W, strict=True):
        fan_in, fan_out = W.shape
        d = rng.standard_normal((fan_in, fan_out))  # one column per neuron: its filter
        w = centre[s].astype(np.float64).reshape(fan_in, fan_out)
        norms_d = np.linalg.norm(d, axis=0)
        d *= np.linalg.norm(w, axis=0) / np.where(norms_d > 0, norms_d, 1.0)
        direction[s] = d.reshape(-1)
    return direction


def pca_directions(points: np.ndarray, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The top two principal directions (2, n) of the points taken from the centre, and the share of the variance
    each explains (2,). Fewer than two independent moves give a zero direction (and a zero share) in its place."""
    moves = points.astype(np.float64) - centre.astype(np.float64)  # (T, n)
    _, singular, vt = np.linalg.svd(moves, full_matrices=False)
    directions = np.zeros((2, points.shape[1]))
    shares = np.zeros(2)
    total = float(np.square(singular).sum())
    for k in range(min(2, len(singular))):
        if total > 0 and singular[k] > 1e-12 * singular[0]:
            directions[k] = vt[k]
            shares[k] = singular[k] ** 2 / total
    return directions, shares, singular


def project(points: np.ndarray, centre: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """(T, 2) least-squares (α, β) of each point minus the centre on the two directions (a zero one gives 0)."""
    moves = points.astype(np.float64) - centre.astype(np.float64)  # (T, n)
    basis = directions.T  # (n, 2)
    coords = np.zeros((len(points), 2))
    used = [k for k in range(2) if np.any(directions[k])]
    if used:
        solution = np.linalg.lstsq(basis[:, used], moves.T, rcond=None)[0]  # (len(used), T)
        coords[:, used] = solution.T
    return coords


def axis(extent: float, size: int = SIZE) -> np.ndarray:
    """size values from −extent to extent, exactly 0 in the middle."""
    mid = (size - 1) // 2
    return extent * (np.arange(size) - mid) / mid


def losses(net: Network, loss: BoundLoss, x: np.ndarray, target: np.ndarray, params: np.ndarray) -> np.ndarray:
    """The data loss at each of B parameter vectors (B, n), in one matmul per layer: (B,)."""
    batch, n_points = len(params), len(x)
    params = params.astype(net.dtype, copy=False)
    a = np.ones((n_points, x.shape[1] + 1), net.dtype)  # [x, 1] shared by every grid point
    a[:, :-1] = x
    for i, s in enumerate(net.layer_slices):
        fan_in, fan_out = net.sizes[i], net.sizes[i + 1]
        Wb = params[:, s].reshape(batch, fan_in + 1, fan_out)
        z = np.matmul(a, Wb)  # (B, N, fan_out)
        if i == len(net.activations):
            return np.array([loss.value(z[b], target) for b in range(batch)])
        a = np.ones((batch, n_points, fan_out + 1), net.dtype)
        net.activations[i].fn(z, a[..., :-1])
    raise AssertionError("unreachable")


@dataclass
class Landscape:
    """A slice: loss[j, i] at centre + alphas[i]·d1 + betas[j]·d2, and each path's (α, β) points."""

    plane: str
    alphas: np.ndarray  # (SIZE,)
    betas: np.ndarray  # (SIZE,)
    loss: np.ndarray  # (SIZE, SIZE) float64, rows are β
    paths: list[np.ndarray]  # (T, 2) per path
    shares: np.ndarray  # (2,) the variance each PCA direction explains (NaN for random directions)


def landscape_steps(
    net: Network, loss: BoundLoss, x: np.ndarray, target: np.ndarray, centre: np.ndarray,
    paths: Sequence[np.ndarray], plane: str = "pca", rng: np.random.Generator | None = None,
    size: int = SIZE, chunk: int = CHUNK,
) -> Generator[None, None, Landscape]:  # fmt: skip
    """The slice through `centre` with the paths (each (T, n)) on it, one chunk of grid points per step (yield), so
    a job can share the CPU; `net` gives the layout and activations (its weights are not read or changed)."""
    if plane not in PLANES:
        raise ValueError(f"plane must be one of {', '.join(PLANES)}")
    if plane == "random":
        rng = rng or np.random.default_rng(0)
        directions = np.stack([filter_normalized(net, rng, centre) for _ in range(2)])
        shares = np.full(2, np.nan)
    else:
        directions, shares, _ = pca_directions(np.concatenate(list(paths)), centre)
    yield  # the directions (an SVD for PCA) are one step, each path's projection one, the grid's chunks the others
    coords = []
    for p in paths:
        coords.append(project(p, centre, directions))
        yield
    if plane == "random":
        extent = RANDOM_EXTENT
    else:
        reach = max((float(np.abs(c).max()) for c in coords if c.size), default=0.0)
        extent = PCA_MARGIN * reach if reach > 0 else RANDOM_EXTENT
    alphas, betas = axis(extent, size), axis(extent, size)
    grid_a, grid_b = np.meshgrid(alphas, betas)  # (size, size), rows are β
    weights = np.stack([grid_a.reshape(-1), grid_b.reshape(-1)], axis=1)  # (size², 2)
    values = np.empty(size * size)
    base = centre.astype(np.float64)
    for start in range(0, size * size, chunk):
        params = base + weights[start : start + chunk] @ directions  # (B, n)
        values[start : start + chunk] = losses(net, loss, x, target, params)
        yield
    return Landscape(plane, alphas, betas, values.reshape(size, size), coords, shares)


def run(steps: Generator[None, None, Landscape]) -> Landscape:
    """Drive a landscape's steps to the end in one go."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def of_trainer(
    trainer, paths: Sequence[np.ndarray], plane: str = "pca", centre: np.ndarray | None = None, seed: int = 0,
    size: int = SIZE,
) -> Generator[None, None, Landscape]:  # fmt: skip
    """`landscape_steps` over a trainer's training set, through its current weights unless `centre` is given.

    Everything it needs is copied first, so the trainer may go on training between the steps."""
    x = trainer.data.inputs(trainer.config["features"])[0].copy()  # (n, k)
    target = trainer.loss.encode(trainer.data.train_labels)
    net = trainer.network
    centre = (net.params if centre is None else centre).copy()
    return landscape_steps(net.copy(), trainer.loss, x, target, centre, [p.copy() for p in paths], plane,
                           np.random.default_rng(seed), size)  # fmt: skip
