"""Backprop Lab: a desktop simulator that shows backpropagation and gradient descent at work."""

__version__ = "0.1.0"
