"""engine.activations: the public GELU constants and where each activation has a kink."""

import math

import numpy as np
import pytest

from simulator.engine import activations

EPS = 1e-4


def _jumps(fn, at) -> bool:
    """Whether f' or f'' jumps at ``at``: a quadratic through f' at 3, 2, 1 steps on one side,
    carried to 1 step on the other, misses f' there by more than a smooth f' allows (O(EPS³))."""
    z = at + EPS * np.array([[-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]])
    d = fn.derivative(z, fn.forward(z))[0]
    from_left = 3 * d[0] - 8 * d[1] + 6 * d[2]
    from_right = 3 * d[5] - 8 * d[4] + 6 * d[3]
    return max(abs(from_left - d[3]), abs(from_right - d[2])) > 1e-10


@pytest.mark.parametrize("name", [n for n, a in activations.ACTIVATIONS.items() if a.elementwise])
def test_kink_is_where_the_derivative_or_its_slope_jumps(name):
    fn = activations.get(name)
    if fn.kink is not None:
        assert _jumps(fn, fn.kink)
    for at in (0.0, activations.SOFTPLUS_THRESHOLD, -1.3, 2.7):
        if at != fn.kink:
            assert not _jumps(fn, at), at


def test_gelu_constants_are_public():
    assert activations.GELU_K == math.sqrt(2 / math.pi)
    assert activations.GELU_C == 0.044715
    assert (activations._GELU_K, activations._GELU_C) == (activations.GELU_K, activations.GELU_C)
