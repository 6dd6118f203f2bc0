"""The Backprop Lab engine: pure NumPy, no Qt.

from simulator.engine import Network, optimizers
net = Network([2, 4, 1], ["tanh", "sigmoid"], loss="bce", seed=0)
grads = net.backward(net.forward(X), Y)
optimizers.Adam(lr=1e-3).step(net, grads)
"""

from simulator.engine import activations, datasets, initializers, losses, optimizers, schedules
from simulator.engine.gradcheck import GradCheckResult, gradient_check
from simulator.engine.network import Gradients, Layer, LayerTrace, Network, Trace

__all__ = [
    "Network",
    "Layer",
    "Trace",
    "LayerTrace",
    "Gradients",
    "GradCheckResult",
    "gradient_check",
    "activations",
    "datasets",
    "initializers",
    "losses",
    "optimizers",
    "schedules",
]
