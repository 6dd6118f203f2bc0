"""2-D loss surfaces with exact gradients, and optimizers racing on them.

Each :class:`Surface` is a function f(x, y) of two parameters with its analytic gradient, the
region worth drawing, a default start and its minima (saddles for the surfaces without one).
The optimizers that race on it are the engine's own (``engine.optimizers``): each steps a
:class:`Point`, two parameters held as a one-layer "network" (``point.layers[0].weights`` is
the (2,) array [x, y]), exactly as it steps a network's weights::

    surface = SURFACES["rosenbrock"]
    race = Race(surface, start=(-1.5, 2.0))
    race.add("Adam", optimizers.Adam(lr=0.05))
    race.add("SGD + momentum", optimizers.SGD(lr=1e-3, momentum=0.9))
    race.run(500)
    race.racers[0].trail          # (steps + 1, 2): every point visited
    race.racers[0].explain()      # the optimizer's explanation of its last step, per axis

``value`` and ``gradient`` take scalars or arrays of the same shape (a grid for the contour
plot).  No Qt here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# A racer whose point leaves this box, or whose value or gradient is not finite, diverged.
DIVERGENCE_LIMIT = 1e6


# ----------------------------------------------------------------------------- surfaces
@dataclass(frozen=True)
class Surface:
    """A function of two parameters with its exact gradient.

    ``bounds`` ((x0, x1), (y0, y1)) is the region to draw; ``start`` a start that makes a good
    race; ``minima`` the global minima (``kind`` "minimum") or the saddle points (``kind``
    "saddle": the function has no minimum); ``minimum`` the least value (None: unbounded).
    """

    key: str
    name: str
    formula: str
    value_fn: Callable = field(repr=False)
    gradient_fn: Callable = field(repr=False)
    bounds: tuple[tuple[float, float], tuple[float, float]]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    minimum: float | None
    kind: str = "minimum"
    note: str = ""

    def value(self, x, y):
        """f(x, y) (scalars, or arrays of one shape); inf or NaN where it overflows."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self.value_fn(np.asarray(x, dtype=float), np.asarray(y, dtype=float))

    def gradient(self, x, y) -> tuple:
        """(∂f/∂x, ∂f/∂y) at (x, y), exact; inf or NaN where it overflows."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self.gradient_fn(np.asarray(x, dtype=float), np.asarray(y, dtype=float))

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(xs (n,), ys (n,), values (n, n) with values[i, j] = f(xs[j], ys[i]))."""
        (x0, x1), (y0, y1) = self.bounds
        xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
        gx, gy = np.meshgrid(xs, ys)
        return xs, ys, self.value(gx, gy)

    def gap(self, value: float) -> float | None:
        """How far ``value`` is above the minimum (None for a surface without one)."""
        return None if self.minimum is None else float(value) - self.minimum


def _bowl(x, y):
    return x * x + y * y


def _bowl_grad(x, y):
    return 2 * x, 2 * y


_RAVINE_A, _RAVINE_B = 0.1, 2.0  # curvatures 0.2 and 4: a condition number of 20


def _ravine(x, y):
    return _RAVINE_A * x * x + _RAVINE_B * y * y


def _ravine_grad(x, y):
    return 2 * _RAVINE_A * x, 2 * _RAVINE_B * y


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _rosenbrock_grad(x, y):
    inner = y - x * x
    return -2 * (1 - x) - 400 * x * inner, 200 * inner


_BEALE_C = (1.5, 2.25, 2.625)


def _beale(x, y):
    return sum((c - x + x * y ** (k + 1)) ** 2 for k, c in enumerate(_BEALE_C))


def _beale_grad(x, y):
    gx = gy = 0.0
    for k, c in enumerate(_BEALE_C):
        term = c - x + x * y ** (k + 1)
        gx = gx + 2 * term * (y ** (k + 1) - 1)
        gy = gy + 2 * term * x * (k + 1) * y**k
    return gx, gy


def _himmelblau(x, y):
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def _himmelblau_grad(x, y):
    a, b = x * x + y - 11, x + y * y - 7
    return 4 * x * a + 2 * b, 2 * a + 4 * y * b


def _saddle(x, y):
    return x * x - y * y


def _saddle_grad(x, y):
    return 2 * x, -2 * y


def _monkey(x, y):
    return x**3 - 3 * x * y * y


def _monkey_grad(x, y):
    return 3 * x * x - 3 * y * y, -6 * x * y


def _rastrigin(x, y):
    tau = 2 * math.pi
    return 20 + x * x - 10 * np.cos(tau * x) + y * y - 10 * np.cos(tau * y)


def _rastrigin_grad(x, y):
    tau = 2 * math.pi
    return 2 * x + 10 * tau * np.sin(tau * x), 2 * y + 10 * tau * np.sin(tau * y)


SURFACES: dict[str, Surface] = {
    s.key: s
    for s in (
        Surface(
            "bowl", "Convex bowl", "x² + y²", _bowl, _bowl_grad,
            ((-3.0, 3.0), (-3.0, 3.0)), (-2.5, 2.0), ((0.0, 0.0),), 0.0,
            note="One minimum, the same curvature everywhere: every method gets there.",
        ),
        Surface(
            "ravine", "Ravine (ill-conditioned)", "0.1·x² + 2·y²", _ravine, _ravine_grad,
            ((-5.0, 5.0), (-3.0, 3.0)), (-4.5, 2.0), ((0.0, 0.0),), 0.0,
            note="Steep across, shallow along: plain SGD zig-zags, momentum and Adam do not.",
        ),
        Surface(
            "rosenbrock", "Rosenbrock", "(1 − x)² + 100·(y − x²)²", _rosenbrock,
            _rosenbrock_grad, ((-2.0, 2.0), (-1.0, 3.0)), (-1.5, 2.0), ((1.0, 1.0),), 0.0,
            note="A curved, flat-bottomed valley: easy to find, slow to follow.",
        ),
        Surface(
            "beale", "Beale", "Σₖ (cₖ − x + x·yᵏ)²,  c = 1.5, 2.25, 2.625", _beale, _beale_grad,
            ((-4.5, 4.5), (-4.5, 4.5)), (1.0, 1.5), ((3.0, 0.5),), 0.0,
            note="Flat plateaus and sharp ridges: the gradient's size varies by orders.",
        ),
        Surface(
            "himmelblau", "Himmelblau (four minima)", "(x² + y − 11)² + (x + y² − 7)²",
            _himmelblau, _himmelblau_grad, ((-5.0, 5.0), (-5.0, 5.0)), (-0.3, -0.9),
            (
                (3.0, 2.0),
                (-2.805118086952745, 3.131312518250573),
                (-3.779310253377747, -3.283185991286170),
                (3.584428340330492, -1.848126526964404),
            ),
            0.0,
            note="Four equal minima: which one a method finds depends on its path.",
        ),
        Surface(
            "saddle", "Saddle", "x² − y²", _saddle, _saddle_grad,
            ((-2.0, 2.0), (-2.0, 2.0)), (-1.8, 0.05), ((0.0, 0.0),), None, kind="saddle",
            note="No minimum: downhill along y for ever. Methods differ in how fast they "
            "leave the saddle point.",
        ),
        Surface(
            "monkey", "Monkey saddle", "x³ − 3·x·y²", _monkey, _monkey_grad,
            ((-1.5, 1.5), (-1.5, 1.5)), (0.9, 0.3), ((0.0, 0.0),), None, kind="saddle",
            note="A flat saddle (the gradient and the curvature vanish at 0): slow to cross.",
        ),
        Surface(
            "rastrigin", "Rastrigin (many local minima)",
            "20 + x² − 10·cos 2πx + y² − 10·cos 2πy", _rastrigin, _rastrigin_grad,
            ((-5.12, 5.12), (-5.12, 5.12)), (-4.3, 3.6), ((0.0, 0.0),), 0.0,
            note="A bowl under a grid of bumps: most methods stop in the nearest dip.",
        ),
    )
}  # fmt: skip


# ----------------------------------------------------------------------------- the point
class PointLayer:
    """The two parameters as a layer the optimizers step: ``weights`` the (2,) array [x, y],
    no bias, no mask."""

    def __init__(self, xy):
        self.weights = np.array(xy, dtype=float).reshape(2)
        self.bias = np.zeros(0)
        self.mask = None
        self.use_bias = False


class Point:
    """Two parameters as a one-layer network for ``optimizer.step(point, grads)``."""

    def __init__(self, xy):
        self.layers = [PointLayer(xy)]

    @property
    def xy(self) -> np.ndarray:
        return self.layers[0].weights


@dataclass
class PointGradients:
    """The gradient of a :class:`Point` as the optimizers read it (``weights[0]``: (2,))."""

    weights: list
    bias: list


# ----------------------------------------------------------------------------- the race
class Racer:
    """One optimizer descending a surface from a start: its trail, values and outcome.

    ``trail`` (steps + 1, 2) and ``values`` (steps + 1,) hold every point visited and f there;
    ``reached_at`` is the first step whose value is within ``tolerance`` of the minimum (None
    until then); ``diverged_at`` the step at which the point left ±DIVERGENCE_LIMIT or a value
    or gradient stopped being finite (it then stops).
    """

    def __init__(self, label: str, optimizer, surface: Surface, start, tolerance: float = 1e-3):
        self.label = label
        self.optimizer = optimizer
        self.surface = surface
        self.tolerance = float(tolerance)
        self.start = (float(start[0]), float(start[1]))
        self.reset()

    def reset(self, start=None) -> None:
        """Back to the start (``start`` if given), the optimizer's state forgotten."""
        if start is not None:
            self.start = (float(start[0]), float(start[1]))
        self.optimizer.reset()
        self.point = Point(self.start)
        self._trail = np.empty((64, 2))
        self._values = np.empty(64)
        self._trail[0] = self.start
        self._values[0] = float(self.surface.value(*self.start))
        self.steps = 0
        self.gradient: np.ndarray | None = None  # the gradient of the last step
        self.reached_at: int | None = None
        self.diverged_at: int | None = None
        self._check_reached()
        if not math.isfinite(self._values[0]):
            self.diverged_at = 0

    @property
    def trail(self) -> np.ndarray:
        return self._trail[: self.steps + 1]

    @property
    def values(self) -> np.ndarray:
        return self._values[: self.steps + 1]

    @property
    def value(self) -> float:
        return float(self._values[self.steps])

    @property
    def done(self) -> bool:
        """Diverged: it takes no more steps."""
        return self.diverged_at is not None

    def step(self) -> bool:
        """One optimizer step from the gradient at the current point; False once diverged."""
        if self.done:
            return False
        xy = self.point.xy
        g = np.array(self.surface.gradient(xy[0], xy[1]), dtype=float)
        if not np.isfinite(g).all():
            self.diverged_at = self.steps
            return False
        self.gradient = g
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging step: caught below
            self.optimizer.step(self.point, PointGradients([g], [np.zeros(0)]))
        self.steps += 1
        if self.steps >= len(self._values):
            self._trail = np.concatenate([self._trail, np.empty_like(self._trail)])
            self._values = np.concatenate([self._values, np.empty_like(self._values)])
        value = float(self.surface.value(xy[0], xy[1]))
        self._trail[self.steps] = xy
        self._values[self.steps] = value
        if not (math.isfinite(value) and np.abs(xy).max() <= DIVERGENCE_LIMIT):
            self.diverged_at = self.steps
            return False
        self._check_reached()
        return True

    def _check_reached(self) -> None:
        gap = self.surface.gap(self._values[self.steps])
        if self.reached_at is None and gap is not None and gap <= self.tolerance:
            self.reached_at = self.steps

    def set_tolerance(self, tolerance: float) -> None:
        """Changes ``tolerance`` and ``reached_at`` to the first step of the run so far within
        it, as if the run had been made with it (a point that left the box does not count)."""
        self.tolerance = float(tolerance)
        self.reached_at = None
        if self.surface.minimum is None:
            return
        values, trail = self.values, self.trail
        counted = np.isfinite(values) & (np.abs(trail).max(axis=1) <= DIVERGENCE_LIMIT)
        within = np.flatnonzero(counted & (values - self.surface.minimum <= self.tolerance))
        if len(within):
            self.reached_at = int(within[0])

    def explain(self) -> tuple | None:
        """The optimizer's explanation of its last step for x and for y
        (``engine.optimizers.UpdateExplanation`` each), or None before the first step."""
        if self.steps == 0 or self.gradient is None or self.done:
            return None
        before = self._trail[self.steps - 1]
        return tuple(
            self.optimizer.explain_update(0, "weights", (axis,), self.gradient[axis], before[axis])
            for axis in (0, 1)
        )


class Race:
    """Optimizers racing on one surface from one start (each with its own :class:`Racer`)."""

    def __init__(self, surface: Surface, start=None, tolerance: float = 1e-3):
        self.surface = surface
        self.start = tuple(start) if start is not None else surface.start
        self.tolerance = float(tolerance)
        self.racers: list[Racer] = []

    def add(self, label: str, optimizer) -> Racer:
        racer = Racer(label, optimizer, self.surface, self.start, self.tolerance)
        self.racers.append(racer)
        return racer

    def remove(self, racer: Racer) -> None:
        self.racers.remove(racer)

    def set_tolerance(self, tolerance: float) -> None:
        """The tolerance of every racer (and of those added later); ``reached_at`` follows."""
        self.tolerance = float(tolerance)
        for racer in self.racers:
            racer.set_tolerance(self.tolerance)

    def reset(self, start=None, surface: Surface | None = None) -> None:
        """Every racer back to the start (a new ``start`` or ``surface`` if given)."""
        if surface is not None:
            self.surface = surface
            for racer in self.racers:
                racer.surface = surface
            if start is None:
                start = surface.start
        if start is not None:
            self.start = (float(start[0]), float(start[1]))
        for racer in self.racers:
            racer.reset(self.start)

    def step(self) -> int:
        """One step of every racer still running; the number that stepped."""
        return sum(racer.step() for racer in self.racers)

    def run(self, steps: int) -> None:
        for _ in range(steps):
            if not self.step():
                break

    @property
    def steps(self) -> int:
        return max((racer.steps for racer in self.racers), default=0)
