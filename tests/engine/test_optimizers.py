"""Optimizers against PyTorch's published algorithms.

The references below are straight-line, one-scalar-at-a-time transcriptions of the algorithm
boxes in the ``torch.optim`` documentation (2.x), written independently of the vectorised
implementation.  When torch is importable, the same runs are also compared with torch.optim.
"""

from __future__ import annotations

import math
import types

import numpy as np
import pytest

from simulator.engine import optimizers

STEPS = 5
# Gradient scales per step: growing then shrinking, so AMSGrad's running max matters.
GRAD_SCALES = (1.0, 3.0, 0.2, 0.5, 0.1)

# PyTorch's defaults, written out from the torch.optim documentation.
TORCH_DEFAULTS = {
    "SGD": dict(
        lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False
    ),
    "Adagrad": dict(
        lr=1e-2,
        lr_decay=0.0,
        weight_decay=0.0,
        initial_accumulator_value=0.0,
        eps=1e-10,
        maximize=False,
    ),
    "RMSprop": dict(
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0.0,
        momentum=0.0,
        centered=False,
        maximize=False,
    ),
    "Adam": dict(
        lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False
    ),
    "AdamW": dict(
        lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False
    ),
}


# ----------------------------------------------------------------------------- references
# Each box updates one scalar parameter theta at step t (1-based) and returns the new value;
# ``s`` is that scalar's state.
def sgd_box(theta, grad, t, s, *, lr, momentum, dampening, weight_decay, nesterov, maximize):
    if maximize:
        g = -grad
    else:
        g = grad
    if weight_decay != 0:
        g = g + weight_decay * theta
    if momentum != 0:
        if t > 1:
            s["b"] = momentum * s["b"] + (1 - dampening) * g
        else:
            s["b"] = g
        if nesterov:
            g = g + momentum * s["b"]
        else:
            g = s["b"]
    return theta - lr * g


def adagrad_box(
    theta, grad, t, s, *, lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize
):
    if maximize:
        g = -grad
    else:
        g = grad
    lr_t = lr / (1 + (t - 1) * lr_decay)
    if weight_decay != 0:
        g = g + weight_decay * theta
    if t == 1:
        s["sum"] = initial_accumulator_value
    s["sum"] = s["sum"] + g * g
    return theta - lr_t * g / (math.sqrt(s["sum"]) + eps)


def rmsprop_box(theta, grad, t, s, *, lr, alpha, eps, weight_decay, momentum, centered, maximize):
    if maximize:
        g = -grad
    else:
        g = grad
    if weight_decay != 0:
        g = g + weight_decay * theta
    if t == 1:
        s["v"], s["g_ave"], s["b"] = 0.0, 0.0, 0.0
    s["v"] = alpha * s["v"] + (1 - alpha) * g * g
    v_tilde = s["v"]
    if centered:
        s["g_ave"] = s["g_ave"] * alpha + (1 - alpha) * g
        v_tilde = v_tilde - s["g_ave"] ** 2
    if momentum > 0:
        s["b"] = momentum * s["b"] + g / (math.sqrt(v_tilde) + eps)
        return theta - lr * s["b"]
    return theta - lr * g / (math.sqrt(v_tilde) + eps)


def adam_box(
    theta, grad, t, s, *, lr, betas, eps, weight_decay, amsgrad, maximize, decoupled=False
):
    beta1, beta2 = betas
    if maximize:
        g = -grad
    else:
        g = grad
    if decoupled:
        theta = theta - lr * weight_decay * theta
    elif weight_decay != 0:
        g = g + weight_decay * theta
    if t == 1:
        s["m"], s["v"], s["v_max"] = 0.0, 0.0, 0.0
    s["m"] = beta1 * s["m"] + (1 - beta1) * g
    s["v"] = beta2 * s["v"] + (1 - beta2) * g**2
    m_hat = s["m"] / (1 - beta1**t)
    if amsgrad:
        s["v_max"] = max(s["v_max"], s["v"])
        v_hat = s["v_max"] / (1 - beta2**t)
    else:
        v_hat = s["v"] / (1 - beta2**t)
    return theta - lr * m_hat / (math.sqrt(v_hat) + eps)


def adamw_box(theta, grad, t, s, **hp):
    return adam_box(theta, grad, t, s, decoupled=True, **hp)


BOXES = {
    "SGD": sgd_box,
    "Adagrad": adagrad_box,
    "RMSprop": rmsprop_box,
    "Adam": adam_box,
    "AdamW": adamw_box,
}


def reference_run(name, hp, params, grad_steps):
    """Run the scalar reference; return per step the list of parameters (flat float lists)."""
    box = BOXES[name]
    full = {**TORCH_DEFAULTS[name], **hp}
    thetas = [[float(x) for x in np.ravel(p)] for p in params]
    states = [[{} for _ in theta] for theta in thetas]
    history = []
    for t, grads in enumerate(grad_steps, start=1):
        for theta, grad, state in zip(thetas, grads, states, strict=True):
            flat = [float(x) for x in np.ravel(grad)]
            for k in range(len(theta)):
                theta[k] = box(theta[k], flat[k], t, state[k], **full)
        history.append([list(theta) for theta in thetas])
    return history, states


# ----------------------------------------------------------------------------- fakes
def make_net(shapes=((2, 3), (3, 1)), dtype=np.float64, seed=0, use_bias=True):
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in shapes:
        layers.append(
            types.SimpleNamespace(
                weights=rng.normal(size=(fan_in, fan_out)).astype(dtype),
                bias=rng.normal(scale=0.5, size=fan_out).astype(dtype),
                mask=np.ones((fan_in, fan_out), dtype=bool),
                use_bias=use_bias,
            )
        )
    return types.SimpleNamespace(layers=layers)


def make_grads(net, seed=1, steps=STEPS, dtype=None):
    """A list of ``steps`` fake gradient objects (masked entries 0)."""
    rng = np.random.default_rng(seed)
    out = []
    for t in range(steps):
        scale = GRAD_SCALES[t % len(GRAD_SCALES)]
        weights, bias = [], []
        for layer in net.layers:
            dt = dtype or layer.weights.dtype
            weights.append((scale * rng.normal(size=layer.weights.shape) * layer.mask).astype(dt))
            bias.append((scale * rng.normal(size=layer.bias.shape)).astype(dt))
        out.append(types.SimpleNamespace(weights=weights, bias=bias))
    return out


def params_of(net):
    out = []
    for layer in net.layers:
        out.append(layer.weights)
        if layer.use_bias:
            out.append(layer.bias)
    return out


def grads_of(net, grads):
    out = []
    for i, layer in enumerate(net.layers):
        out.append(grads.weights[i])
        if layer.use_bias:
            out.append(grads.bias[i])
    return out


CASES = [
    ("SGD", {}),
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.2, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1, "nesterov": True, "maximize": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "dampening": 0.5, "weight_decay": 0.01}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "maximize": True, "eps": 1e-3, "lr_decay": 0.5}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"centered": True, "alpha": 0.3}),
    ("RMSprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1, "alpha": 0.9}),
    ("RMSprop", {"maximize": True, "eps": 1e-3, "weight_decay": 0.05}),
    ("Adam", {}),
    ("Adam", {"lr": 0.1}),
    ("Adam", {"amsgrad": True}),
    ("Adam", {"weight_decay": 0.1, "maximize": True}),
    ("Adam", {"betas": (0.3, 0.9), "eps": 1e-3}),
    ("Adam", {"amsgrad": True, "weight_decay": 0.05, "betas": (0.8, 0.99), "lr": 0.05}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.1}),
    ("AdamW", {"amsgrad": True, "maximize": True}),
    ("AdamW", {"weight_decay": 0.0, "betas": (0.5, 0.6)}),
]
CASE_IDS = [
    f"{name}-{'-'.join(f'{k}={v}' for k, v in hp.items()) or 'defaults'}" for name, hp in CASES
]


def run_ours(name, hp, net, grad_steps):
    opt = optimizers.make(name, **hp)
    history = []
    for grads in grad_steps:
        opt.step(net, grads)
        history.append([np.ravel(p).tolist() for p in params_of(net)])
    return opt, history


# ----------------------------------------------------------------------------- algorithms
@pytest.mark.parametrize(("name", "hp"), CASES, ids=CASE_IDS)
def test_steps_match_the_published_algorithm(name, hp):
    net = make_net()
    grad_steps = make_grads(net)
    expected, _ = reference_run(name, hp, params_of(net), [grads_of(net, g) for g in grad_steps])
    _, got = run_ours(name, hp, net, grad_steps)
    for step, (got_params, want_params) in enumerate(zip(got, expected, strict=True), start=1):
        for got_p, want_p in zip(got_params, want_params, strict=True):
            np.testing.assert_allclose(
                got_p, want_p, rtol=1e-12, atol=1e-14, err_msg=f"step {step}"
            )


@pytest.mark.parametrize(("name", "hp"), CASES, ids=CASE_IDS)
def test_steps_match_torch_optim(name, hp):
    torch = pytest.importorskip("torch")
    net = make_net()
    grad_steps = make_grads(net)
    tparams = [
        torch.tensor(p.copy(), dtype=torch.float64, requires_grad=True) for p in params_of(net)
    ]
    topt = getattr(torch.optim, name)(tparams, **hp, foreach=False)
    opt = optimizers.make(name, **hp)
    for grads in grad_steps:
        for tp, g in zip(tparams, grads_of(net, grads), strict=True):
            tp.grad = torch.tensor(g, dtype=torch.float64)
        topt.step()
        opt.step(net, grads)
        for tp, p in zip(tparams, params_of(net), strict=True):
            np.testing.assert_allclose(p, tp.detach().numpy(), rtol=0, atol=1e-12)


def test_adam_state_names_and_values():
    net = make_net()
    grad_steps = make_grads(net, steps=3)
    hp = {"amsgrad": True, "lr": 0.01}
    _, ref_states = reference_run(
        "Adam", hp, params_of(net), [grads_of(net, g) for g in grad_steps]
    )
    opt, _ = run_ours("Adam", hp, net, grad_steps)
    state = opt.state_for(0, "weights")
    assert list(state) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    assert type(state["step"]) is float and state["step"] == 3.0
    ref = ref_states[0]  # layer 0 weights, flat
    np.testing.assert_allclose(state["exp_avg"].ravel(), [s["m"] for s in ref], rtol=1e-13)
    np.testing.assert_allclose(state["exp_avg_sq"].ravel(), [s["v"] for s in ref], rtol=1e-13)
    np.testing.assert_allclose(
        state["max_exp_avg_sq"].ravel(), [s["v_max"] for s in ref], rtol=1e-13
    )
    assert set(opt.state_for(1, "bias")) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}


def test_rmsprop_and_adagrad_state_names_and_values():
    net = make_net()
    grad_steps = make_grads(net, steps=2)
    hp = {"centered": True, "momentum": 0.5}
    _, ref_states = reference_run(
        "RMSprop", hp, params_of(net), [grads_of(net, g) for g in grad_steps]
    )
    opt, _ = run_ours("RMSprop", hp, net, grad_steps)
    state = opt.state_for(0, "bias")
    assert set(state) == {"step", "square_avg", "momentum_buffer", "grad_avg"}
    assert state["step"] == 2.0
    ref = ref_states[1]  # layer 0 bias
    np.testing.assert_allclose(state["square_avg"], [s["v"] for s in ref], rtol=1e-13)
    np.testing.assert_allclose(state["grad_avg"], [s["g_ave"] for s in ref], rtol=1e-13)
    np.testing.assert_allclose(state["momentum_buffer"], [s["b"] for s in ref], rtol=1e-13)
    assert set(optimizers.RMSprop().state_for(0, "weights")) == set()

    net = make_net()
    (grads,) = make_grads(net, steps=1)
    opt = optimizers.Adagrad(initial_accumulator_value=0.25)
    opt.step(net, grads)
    state = opt.state_for(1, "weights")
    assert list(state) == ["step", "sum"]
    assert state["step"] == 1.0
    np.testing.assert_allclose(state["sum"], 0.25 + grads.weights[1] ** 2, rtol=1e-15)


def test_sgd_momentum_buffer_starts_as_a_copy_of_the_gradient():
    net = make_net()
    grads = make_grads(net, steps=1)[0]
    opt = optimizers.SGD(lr=0.1, momentum=0.9)
    assert opt.state_for(0, "weights") == {}
    opt.step(net, grads)
    buf = opt.state_for(0, "weights")["momentum_buffer"]
    np.testing.assert_array_equal(buf, grads.weights[0])
    assert not np.shares_memory(buf, grads.weights[0])
    plain = optimizers.SGD(lr=0.1)
    plain.step(net, grads)
    assert plain.state_for(0, "weights") == {}  # no state without momentum, like PyTorch


def test_state_for_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="weights"):
        optimizers.Adam().state_for(0, "kernel")


# ----------------------------------------------------------------------------- behaviour
def test_step_leaves_the_gradients_alone():
    net = make_net()
    grads = make_grads(net, steps=1)[0]
    before = [g.copy() for g in grads.weights + grads.bias]
    for name in optimizers.OPTIMIZERS:
        hp = {"maximize": True, "weight_decay": 0.1}
        if name == "SGD":
            hp.update(momentum=0.9, nesterov=True)
        optimizers.make(name, **hp).step(net, grads)
    for g, b in zip(grads.weights + grads.bias, before, strict=True):
        np.testing.assert_array_equal(g, b)


def test_reset_forgets_everything():
    net = make_net()
    grad_steps = make_grads(net, steps=3)
    opt = optimizers.Adam(lr=0.1)
    opt.step(net, grad_steps[0])
    opt.step(net, grad_steps[1])
    opt.reset()
    assert opt.state_for(0, "weights") == {}
    assert opt.last_update(0, "weights") is None
    twin = make_net()
    for a, b in zip(params_of(twin), params_of(net), strict=True):
        a[...] = b
    opt.step(net, grad_steps[2])
    optimizers.Adam(lr=0.1).step(twin, grad_steps[2])
    for a, b in zip(params_of(twin), params_of(net), strict=True):
        np.testing.assert_array_equal(a, b)
    assert opt.state_for(0, "weights")["step"] == 1.0


@pytest.mark.parametrize("name", list(optimizers.OPTIMIZERS))
def test_masked_weights_stay_exactly_zero(name):
    net = make_net(shapes=((3, 4), (4, 2)))
    net.layers[0].mask[0, 1] = net.layers[0].mask[2, 3] = net.layers[1].mask[1, 0] = False
    for layer in net.layers:
        layer.weights *= layer.mask
    net.layers[1].weights[1, 0] = 0.7  # even a stray value at a removed connection ends at 0
    hp = {"lr": 0.1, "weight_decay": 0.1}
    if name in ("SGD", "RMSprop"):
        hp["momentum"] = 0.9
    opt = optimizers.make(name, **hp)
    for grads in make_grads(net, steps=4):
        before = [layer.weights.copy() for layer in net.layers]
        opt.step(net, grads)
        for i, layer in enumerate(net.layers):
            removed = ~layer.mask
            assert np.all(layer.weights[removed] == 0.0)
            assert np.all(layer.weights[layer.mask] != before[i][layer.mask])
            np.testing.assert_allclose(
                opt.last_update(i, "weights"), layer.weights - before[i], rtol=0, atol=1e-15
            )


@pytest.mark.parametrize("name", list(optimizers.OPTIMIZERS))
def test_bias_without_use_bias_is_never_touched(name):
    net = make_net()
    net.layers[1].use_bias = False
    net.layers[1].bias[...] = 0.0
    bias = net.layers[1].bias
    opt = optimizers.make(name, lr=0.1)
    for grads in make_grads(net, steps=3):  # the fake gradient for that bias is non-zero
        opt.step(net, grads)
    assert net.layers[1].bias is bias
    assert np.all(bias == 0.0)
    assert opt.state_for(1, "bias") == {}
    assert opt.last_update(1, "bias") is None
    assert opt.last_update(0, "bias") is not None


def test_switching_use_bias_off_drops_that_state():
    net = make_net()
    grad_steps = make_grads(net, steps=2)
    opt = optimizers.Adam()
    opt.step(net, grad_steps[0])
    assert opt.state_for(1, "bias")
    net.layers[1].use_bias = False
    opt.step(net, grad_steps[1])
    assert opt.state_for(1, "bias") == {}


ALL_OPTIONS = {
    "SGD": {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1, "nesterov": True, "maximize": True},
    "Adagrad": {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.1},
    "RMSprop": {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1},
    "Adam": {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, "maximize": True},
    "AdamW": {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1},
}


@pytest.mark.parametrize("name", list(optimizers.OPTIMIZERS))
def test_float32_stays_float32(name):
    net = make_net(dtype=np.float32)
    net.layers[0].mask[1, 2] = False
    net.layers[0].weights[1, 2] = 0.0
    twin = make_net(dtype=np.float64)
    twin.layers[0].mask[1, 2] = False
    twin.layers[0].weights[1, 2] = 0.0
    for a, b in zip(params_of(twin), params_of(net), strict=True):
        a[...] = b
    opt = optimizers.make(name, **ALL_OPTIONS[name])
    opt64 = optimizers.make(name, **ALL_OPTIONS[name])
    grad_steps = make_grads(net, steps=4)
    for grads in grad_steps:
        opt.lr = np.float64(opt.lr)  # as a schedule might set it
        opt.step(net, grads)
        g64 = types.SimpleNamespace(
            weights=[g.astype(np.float64) for g in grads.weights],
            bias=[g.astype(np.float64) for g in grads.bias],
        )
        opt64.step(twin, g64)
    for i, layer in enumerate(net.layers):
        assert layer.weights.dtype == np.float32 and layer.bias.dtype == np.float32
        assert opt.last_update(i, "weights").dtype == np.float32
        for value in opt.state_for(i, "weights").values():
            assert isinstance(value, float) or value.dtype == np.float32
    for a, b in zip(
        params_of(net), params_of(twin), strict=True
    ):  # same algorithm, float32 precision
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_learning_rate_change_takes_effect_at_the_next_step():
    net = make_net()
    grad_steps = make_grads(net, steps=2)
    opt = optimizers.SGD(lr=0.1)
    opt.step(net, grad_steps[0])
    np.testing.assert_allclose(opt.last_update(0, "weights"), -0.1 * grad_steps[0].weights[0])
    opt.lr = 0.5
    opt.step(net, grad_steps[1])
    np.testing.assert_allclose(opt.last_update(0, "weights"), -0.5 * grad_steps[1].weights[0])


def test_adam_learning_rate_change_matches_the_reference():
    net = make_net()
    grad_steps = make_grads(net, steps=4)
    lrs = (0.1, 0.1, 0.02, 0.3)
    thetas = [[float(x) for x in np.ravel(p)] for p in params_of(net)]
    states = [[{} for _ in theta] for theta in thetas]
    opt = optimizers.Adam()
    for t, (lr, grads) in enumerate(zip(lrs, grad_steps, strict=True), start=1):
        opt.lr = lr
        opt.step(net, grads)
        hp = {**TORCH_DEFAULTS["Adam"], "lr": lr}
        for theta, g, state in zip(thetas, grads_of(net, grads), states, strict=True):
            flat = np.ravel(g).tolist()
            for k in range(len(theta)):
                theta[k] = adam_box(theta[k], flat[k], t, state[k], **hp)
        for p, theta in zip(params_of(net), thetas, strict=True):
            np.testing.assert_allclose(np.ravel(p), theta, rtol=1e-12)


def test_last_update_is_the_applied_delta_and_is_not_reused():
    net = make_net()
    grad_steps = make_grads(net, steps=2)
    opt = optimizers.RMSprop(momentum=0.9)
    assert opt.last_update(0, "weights") is None
    before = net.layers[0].weights.copy()
    opt.step(net, grad_steps[0])
    first = opt.last_update(0, "weights")
    np.testing.assert_allclose(first, net.layers[0].weights - before, rtol=0, atol=1e-15)
    kept = first.copy()
    opt.step(net, grad_steps[1])
    np.testing.assert_array_equal(first, kept)
    assert opt.last_update(0, "weights") is not first


def test_shape_change_recreates_that_parameters_state():
    net = make_net(shapes=((2, 3), (3, 1)))
    opt = optimizers.Adam(lr=0.1)
    for grads in make_grads(net, steps=2):
        opt.step(net, grads)
    # the network editor adds a hidden unit: layer 0 gets 4 outputs, layer 1 gets 4 inputs
    rng = np.random.default_rng(5)
    for layer, shape in zip(net.layers, ((2, 4), (4, 1)), strict=True):
        layer.weights = rng.normal(size=shape)
        layer.mask = np.ones(shape, dtype=bool)
    net.layers[0].bias = np.zeros(4)
    grads = make_grads(net, seed=9, steps=1)[0]
    opt.step(net, grads)
    for i in range(2):
        state = opt.state_for(i, "weights")
        assert state["step"] == 1.0
        np.testing.assert_allclose(state["exp_avg"], 0.1 * grads.weights[i], rtol=1e-13)
    assert opt.state_for(0, "bias")["step"] == 1.0
    assert opt.state_for(1, "bias")["step"] == 3.0  # unchanged shape: state carries on


def test_dtype_change_recreates_state():
    net = make_net()
    opt = optimizers.SGD(lr=0.1, momentum=0.9)
    opt.step(net, make_grads(net, steps=1)[0])
    for layer in net.layers:
        layer.weights = layer.weights.astype(np.float32)
        layer.bias = layer.bias.astype(np.float32)
    opt.step(net, make_grads(net, steps=1, seed=3)[0])
    assert opt.state_for(0, "weights")["momentum_buffer"].dtype == np.float32


def test_gradient_of_the_wrong_shape_is_an_error():
    net = make_net()
    grads = make_grads(net, steps=1)[0]
    grads.weights[1] = np.zeros(3)
    with pytest.raises(ValueError, match="shape"):
        optimizers.SGD().step(net, grads)


def test_removed_layers_lose_their_state():
    net = make_net(shapes=((2, 3), (3, 3), (3, 1)))
    opt = optimizers.Adam()
    opt.step(net, make_grads(net, steps=1)[0])
    del net.layers[2]
    net.layers[1].weights = np.zeros((3, 1))
    net.layers[1].mask = np.ones((3, 1), dtype=bool)
    net.layers[1].bias = np.zeros(1)
    opt.step(net, make_grads(net, steps=1)[0])
    assert opt.state_for(2, "weights") == {}


def test_toggling_optional_buffers_mid_run():
    net = make_net()
    grad_steps = make_grads(net, steps=3)
    opt = optimizers.RMSprop()
    opt.step(net, grad_steps[0])
    opt.centered = True
    opt.momentum = 0.9
    opt.step(net, grad_steps[1])
    assert {"grad_avg", "momentum_buffer"} <= set(opt.state_for(0, "weights"))
    adam = optimizers.Adam()
    adam.step(net, grad_steps[0])
    adam.amsgrad = True
    adam.step(net, grad_steps[1])
    state = adam.state_for(0, "weights")
    np.testing.assert_array_equal(state["max_exp_avg_sq"], state["exp_avg_sq"])


# ----------------------------------------------------------------------------- API
def test_defaults_are_pytorchs():
    for name, defaults in TORCH_DEFAULTS.items():
        cls = optimizers.OPTIMIZERS[name]
        assert cls().hyperparameters() == defaults
        assert cls.defaults() == defaults
        assert cls().name == name
        assert list(cls.HYPERPARAMETERS) == list(defaults)


def test_hyperparameters_repr_and_round_trip():
    opt = optimizers.Adam(lr=0.05, betas=[0.8, 0.9], amsgrad=True)
    hp = opt.hyperparameters()
    assert hp["lr"] == 0.05 and hp["betas"] == (0.8, 0.9) and hp["amsgrad"] is True
    text = repr(opt)
    assert text.startswith("Adam(") and "lr=0.05" in text and "amsgrad=True" in text
    again = optimizers.make(opt.name, **hp)
    assert type(again) is optimizers.Adam and again.hyperparameters() == hp
    opt.lr = 1  # ints are stored as floats, so float32 parameters stay float32
    assert type(opt.lr) is float


def test_make_finds_every_optimizer_and_ignores_case():
    assert set(optimizers.OPTIMIZERS) == {"SGD", "Adagrad", "RMSprop", "Adam", "AdamW"}
    assert type(optimizers.make("adamw")) is optimizers.AdamW
    assert type(optimizers.make("sgd", lr=0.1, momentum=0.9)) is optimizers.SGD


def test_make_rejects_unknown_names_and_parameters():
    with pytest.raises(ValueError, match="'Nadam'.*known: SGD"):
        optimizers.make("Nadam")
    with pytest.raises(ValueError, match="'momentum'"):
        optimizers.make("Adam", momentum=0.9)
    with pytest.raises(ValueError, match="'learning_rate'.*'beta'"):
        optimizers.make("SGD", learning_rate=0.1, beta=2)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("SGD", {"lr": -0.1}, "learning rate"),
        ("SGD", {"momentum": -0.5}, "momentum"),
        ("SGD", {"weight_decay": -1e-4}, "weight_decay"),
        ("SGD", {"nesterov": True}, "Nesterov"),
        ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov"),
        ("SGD", {"lr": float("nan")}, "learning rate"),
        ("SGD", {"lr": "0.1"}, "learning rate"),
        ("SGD", {"maximize": 1}, "maximize"),
        ("Adagrad", {"lr_decay": -1}, "lr_decay"),
        ("Adagrad", {"initial_accumulator_value": -1}, "initial_accumulator_value"),
        ("Adagrad", {"eps": -1e-10}, "epsilon"),
        ("RMSprop", {"alpha": -0.9}, "alpha"),
        ("RMSprop", {"momentum": -0.9}, "momentum"),
        ("RMSprop", {"eps": -1.0}, "epsilon"),
        ("Adam", {"betas": (1.0, 0.999)}, "index 0"),
        ("Adam", {"betas": (0.9, -0.1)}, "index 1"),
        ("Adam", {"betas": 0.9}, "betas"),
        ("Adam", {"lr": float("inf")}, "learning rate"),
        ("AdamW", {"weight_decay": -0.01}, "weight_decay"),
        ("AdamW", {"eps": -1e-8}, "epsilon"),
    ],
)
def test_invalid_arguments_are_rejected(name, params, message):
    with pytest.raises(ValueError, match=message):
        optimizers.make(name, **params)


def test_invalid_values_set_between_steps_are_rejected():
    opt = optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True)
    with pytest.raises(ValueError, match="learning rate"):
        opt.lr = -1.0
    assert opt.lr == 0.1
    with pytest.raises(AttributeError, match="learning_rate"):
        opt.learning_rate = 0.1
    opt.momentum = 0.0  # only checked with nesterov when stepping, so edits may pass through
    net = make_net()
    with pytest.raises(ValueError, match="Nesterov"):
        opt.step(net, make_grads(net, steps=1)[0])
