"""Training state as plain data: a trainer's state_dict, through JSON, loaded into a fresh
trainer, trains on bit for bit as the run that never stopped; malformed states are refused
with a ValueError naming the key, and change nothing."""

import json
import math

import numpy as np
import pytest

from simulator.engine import Network, datasets, optimizers, schedules
from simulator.engine.datasets import BatchIterator
from simulator.engine.state import copy_state, to_plain
from simulator.engine.trainer import Trainer

OPTIMIZERS = {
    "sgd": ("SGD", {"lr": 0.05}),
    "momentum": ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 1e-3}),
    "nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", {"lr": 0.05, "lr_decay": 1e-3, "initial_accumulator_value": 0.1}),
    "rmsprop": ("RMSprop", {"lr": 0.01}),
    "rmsprop-momentum": ("RMSprop", {"lr": 0.01, "momentum": 0.5}),
    "rmsprop-centered": ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    "adam": ("Adam", {"lr": 0.01}),
    "amsgrad": ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 1e-3}),
    "adamw": ("AdamW", {"lr": 0.01}),
}
BATCHES = {"full": None, "mini-batch": 5, "stochastic": 1}


def make_trainer(optimizer="adam", batch_size=5, dropout=0.0, dtype="float64", **kw):
    """A small net on 24 spiral points: 5 mini-batches an epoch, a step schedule, an L2
    penalty and an evaluation every 7 steps (so the history has evaluation rows)."""
    data = datasets.generate("spiral", n_samples=24, noise=0.1, seed=4)
    net = Network(
        [2, 5, 4, 1], ["tanh", "relu", "sigmoid"], loss="bce", seed=4, dropout=dropout, dtype=dtype
    )
    net.l2 = 1e-3
    name, params = OPTIMIZERS[optimizer]
    kw.setdefault("schedule", schedules.make("step", step_size=2, gamma=0.7))
    return Trainer(
        net,
        optimizers.make(name, **params),
        data.X,
        data.y[:, None],
        task="binary",
        batch_size=batch_size,
        eval_every=7,
        seed=4,
        **kw,
    )


def through_json(state: dict) -> dict:
    """The state as a project file holds it: plain lists and numbers, written and read back."""
    return json.loads(json.dumps(to_plain(state), allow_nan=False))


def assert_same_run(a: Trainer, b: Trainer) -> None:
    for la, lb in zip(a.net.layers, b.net.layers, strict=True):
        np.testing.assert_array_equal(la.weights, lb.weights)
        np.testing.assert_array_equal(la.bias, lb.bias)
        assert la.weights.dtype == lb.weights.dtype
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    assert_same_state(sa, sb)
    for name in (*a.history.SCALARS, "grad_norms"):
        np.testing.assert_array_equal(a.history.column(name), b.history.column(name))
    assert a.epoch == b.epoch and a.current_lr() == b.current_lr()


def assert_same_state(x, y, key="state") -> None:
    """Equal nested states: same keys and types, arrays equal bit for bit (NaN equal)."""
    if isinstance(x, dict):
        assert isinstance(y, dict) and x.keys() == y.keys(), key
        for k in x:
            assert_same_state(x[k], y[k], f"{key}.{k}")
    elif isinstance(x, list):
        assert isinstance(y, list) and len(x) == len(y), key
        for i, (u, v) in enumerate(zip(x, y)):
            assert_same_state(u, v, f"{key}.{i}")
    elif isinstance(x, np.ndarray):
        assert isinstance(y, np.ndarray) and x.dtype == y.dtype, key
        np.testing.assert_array_equal(x, y, err_msg=key)
    elif isinstance(x, float) and math.isnan(x):
        assert isinstance(y, float) and math.isnan(y), key
    else:
        assert type(x) is type(y) and x == y, (key, x, y)


# --------------------------------------------------------------------------- exact resume


@pytest.mark.parametrize("dropout", [0.0, 0.3], ids=["no-dropout", "dropout"])
@pytest.mark.parametrize("batch", list(BATCHES))
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_resume_from_json_is_bit_identical(optimizer, batch, dropout):
    k, m = 31, 29  # across epochs in every batch mode (24 samples)
    whole = make_trainer(optimizer, BATCHES[batch], dropout)
    whole.run(steps=k + m)

    first = make_trainer(optimizer, BATCHES[batch], dropout)
    first.run(steps=k)
    state = through_json(first.state_dict())
    resumed = make_trainer(optimizer, BATCHES[batch], dropout)
    resumed.load_state_dict(state)
    assert resumed.step_count == k and len(resumed.history) == k
    resumed.run(steps=m)
    assert_same_run(resumed, whole)


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_float32_state_round_trips_exactly(optimizer):
    whole = make_trainer(optimizer, dtype="float32", dropout=0.2)
    whole.run(steps=40)
    first = make_trainer(optimizer, dtype="float32", dropout=0.2)
    first.run(steps=15)
    resumed = make_trainer(optimizer, dtype="float32", dropout=0.2)
    resumed.load_state_dict(through_json(first.state_dict()))
    resumed.run(steps=25)
    assert_same_run(resumed, whole)
    slot = resumed.optimizer.state_for(0, "weights")
    assert all(v.dtype == np.float32 for v in slot.values() if isinstance(v, np.ndarray))


def test_state_in_the_middle_of_a_step_is_that_of_the_last_whole_step():
    whole = make_trainer("adam", dropout=0.3)
    whole.run(steps=12)
    t = make_trainer("adam", dropout=0.3)
    t.run(steps=9)
    t.forward_phase()
    t.backward_phase()  # batch drawn, dropout masks drawn, gradients ready
    state = through_json(t.state_dict())
    assert state["step_count"] == 9
    resumed = make_trainer("adam", dropout=0.3)
    resumed.load_state_dict(state)
    resumed.run(steps=3)
    t.update_phase()
    t.run(steps=2)
    assert_same_run(resumed, whole)
    assert_same_run(t, whole)


def test_state_after_a_batch_size_change_keeps_the_epoch_count():
    whole = make_trainer("momentum", batch_size=5)
    whole.run(steps=8)
    whole.batch_size = 3
    whole.run(steps=20)
    first = make_trainer("momentum", batch_size=5)
    first.run(steps=8)
    first.batch_size = 3
    first.run(steps=6)
    resumed = make_trainer("momentum", batch_size=3)
    resumed.load_state_dict(through_json(first.state_dict()))
    resumed.run(steps=14)
    assert_same_run(resumed, whole)


def test_a_compacted_history_compacts_on_as_before():
    budget = 8 * (9 + 3) * 200  # 200 rows of a 3-layer history
    whole = make_trainer("sgd", batch_size=1)
    whole.history = type(whole.history)(3, budget_bytes=budget)
    whole.run(steps=900)
    first = make_trainer("sgd", batch_size=1)
    first.history = type(first.history)(3, budget_bytes=budget)
    first.run(steps=500)
    assert first.history.bucket_steps > 0  # compacted
    resumed = make_trainer("sgd", batch_size=1)
    resumed.load_state_dict(through_json(first.state_dict()))
    assert resumed.history.budget_bytes == budget
    resumed.run(steps=400)
    assert_same_run(resumed, whole)


def test_a_diverged_state_stays_diverged_and_goes_on_alike():
    def diverging():
        t = make_trainer("sgd")
        t.optimizer.lr = t.base_lr = 1e6
        t.run(steps=50)
        assert t.diverged
        return t

    a, b = diverging(), make_trainer("sgd")
    b.load_state_dict(through_json(a.state_dict()))
    assert b.diverged == a.diverged and b.diverged_at_step == a.diverged_at_step
    for t in (a, b):
        t.clear_divergence()
        t.base_lr = 0.05
        t.run(steps=10)
    assert_same_run(a, b)


def test_divergence_right_after_an_edit_keeps_the_edited_weights():
    # last_good holds the old shapes until the next update: it cannot come back (it raised).
    t = make_trainer("sgd")
    t.run(steps=3)
    t.net.add_neuron(1)
    t.net.layers[1].weights[:] = 1e308
    t.step()
    assert t.diverged and t.net.sizes == [2, 6, 4, 1]
    assert t.state_dict()["last_good"] is None  # not of this network's shapes


def test_state_dict_is_a_copy_and_loading_copies_in():
    t = make_trainer("adam")
    t.run(steps=5)
    state = t.state_dict()
    kept = copy_state(state)
    t.run(steps=5)
    assert_same_state(state, kept)  # training does not change a state taken before
    other = make_trainer("adam")
    other.load_state_dict(state)
    other.run(steps=3)
    assert_same_state(state, kept)  # nor does training what was loaded from it


def test_history_is_optional_when_loading():
    t = make_trainer("adam")
    t.run(steps=6)
    state = t.state_dict(history=False)
    assert "history" not in state and "history_compaction" not in state
    other = make_trainer("adam")
    other.run(steps=2)
    other.load_state_dict(state)
    assert other.step_count == 6 and len(other.history) == 2  # the history is left alone


def test_components_round_trip_on_their_own():
    t = make_trainer("rmsprop-centered", dropout=0.3)
    t.run(steps=13)
    opt = optimizers.RMSprop()
    opt.load_state_dict(through_json(t.optimizer.state_dict()))  # no network: shapes as given
    assert_same_state(opt.state_dict(), t.optimizer.state_dict())
    assert opt.hyperparameters() == t.optimizer.hyperparameters()

    batches = BatchIterator(24, 5, seed=99)
    batches.load_state_dict(through_json(t.batches.state_dict()))
    assert [batches.next().tolist() for _ in range(12)] == [
        t.batches.next().tolist() for _ in range(12)
    ]
    net = Network([2, 5, 4, 1], ["tanh", "relu", "sigmoid"], dropout=0.3, seed=77)
    net.set_rng_state(through_json(t.net.rng_state()))
    x = np.ones((3, 2))
    np.testing.assert_array_equal(net.forward(x).layers[0].keep, t.net.forward(x).layers[0].keep)


def test_stale_optimizer_state_of_an_edited_layer_is_left_out():
    t = make_trainer("adam")
    t.run(steps=4)
    t.net.add_neuron(1)  # layer 0's weights and bias, layer 1's weights change shape
    layers = t.optimizer.state_dict(t.net)["state"]["layers"]
    assert layers[0] == {} and set(layers[1]) == {"bias"} and set(layers[2]) == {"weights", "bias"}
    assert len(t.optimizer.state_dict()["state"]["layers"][0]) == 2  # without net: all of it


# --------------------------------------------------------------------------- malformed states


def _state():
    t = make_trainer("adam", dropout=0.3)
    t.run(steps=7)
    return through_json(t.state_dict())


def at(state, path: str) -> tuple[object, object]:
    """(container, key) of the dotted ``path`` in a plain state: "optimizer.state.layers.0"."""
    *keys, last = path.split(".")
    node = state
    for key in keys:
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node, int(last) if isinstance(node, list) else last


def _set(path: str, value):
    """A change of a state: the value at ``path`` becomes ``value`` (``...``: deleted)."""

    def change(state):
        node, key = at(state, path)
        if value is ...:
            del node[key]
        else:
            node[key] = value
        return state

    return change


MALFORMED = [
    (
        "wrong shape",
        _set("optimizer.state.layers.0.weights.exp_avg", [[0.0] * 5] * 3),
        "optimizer.state.layers.0.weights.exp_avg: shape (3, 5) does not fit the layer's (2, 5)",
    ),
    (
        "NaN in a slot",
        _set("optimizer.state.layers.1.bias.exp_avg_sq", [math.nan] * 4),
        "optimizer.state.layers.1.bias.exp_avg_sq: holds nan at [0]",
    ),
    (
        "infinite weight",
        _set("weights.2.bias", [math.inf]),
        "weights.2.bias: holds inf at [0]",
    ),
    (
        "negative step",
        _set("optimizer.state.layers.0.bias.step", -1.0),
        "optimizer.state.layers.0.bias.step: must be at least 0",
    ),
    (
        "fractional step",
        _set("optimizer.state.layers.0.bias.step", 2.5),
        "optimizer.state.layers.0.bias.step: must be a whole number",
    ),
    (
        "missing slot",
        _set("optimizer.state.layers.2.weights.exp_avg", ...),
        "optimizer.state.layers.2.weights.exp_avg: missing",
    ),
    (
        "unknown slot",
        _set("optimizer.state.layers.2.weights.momentum_buffer", [[0.0]] * 4),
        "optimizer.state.layers.2.weights.momentum_buffer: unknown key",
    ),
    (
        "slot of the wrong type",
        _set("optimizer.state.layers.1.weights.exp_avg", "zeros"),
        "optimizer.state.layers.1.weights.exp_avg: must be an array, not 'zeros'",
    ),
    (
        "strings in a slot",
        _set("optimizer.state.layers.1.bias.exp_avg", ["0", "1", "2", "3"]),
        "optimizer.state.layers.1.bias.exp_avg: must hold numbers",
    ),
    (
        "ragged slot",
        _set("optimizer.state.layers.0.weights.exp_avg", [[0.0] * 5, [0.0]]),
        "optimizer.state.layers.0.weights.exp_avg: must be an array of numbers",
    ),
    (
        "state for a missing layer",
        lambda s: s["optimizer"]["state"]["layers"].append({}) or s,
        "optimizer.state.layers: holds 4 layers; the network has 3",
    ),
    (
        "other optimizer",
        _set("optimizer.name", "SGD"),
        "optimizer.name: the state is of 'SGD', not Adam",
    ),
    (
        "bad hyper-parameter",
        _set("optimizer.hyperparameters.lr", -0.1),
        "optimizer.hyperparameters.lr: Invalid learning rate",
    ),
    (
        "negative optimizer steps",
        _set("optimizer.steps", -3),
        "optimizer.steps: must be at least 0",
    ),
    ("negative step count", _set("step_count", -1), "step_count: must be at least 0"),
    ("step count as text", _set("step_count", "7"), "step_count: must be a whole number"),
    ("step count as bool", _set("step_count", True), "step_count: must be a whole number"),
    (
        "huge step count",
        _set("step_count", 10**400),
        "step_count: must be at most 9,223,372,036,854,775,807, got a 401-digit number",
    ),
    ("NaN epoch", _set("epoch_base", math.nan), "epoch_base: must be a finite number"),
    (
        "epoch base after the step",
        _set("epoch_base_step", 8),
        "epoch_base_step: must be at most 7",
    ),
    ("missing weights", _set("weights", ...), "weights: missing"),
    ("unknown key", _set("momentum", 0.9), "momentum: unknown key"),
    ("not a dict", lambda s: [s], "the state: must be a dict, not a list"),
    (
        "other batch size",
        _set("batches.batch_size", 4),
        "batches.batch_size: the state has 4; this iterator 5",
    ),
    (
        "position past the epoch",
        _set("batches.step_in_epoch", 5),
        "batches.step_in_epoch: must be at most 4",
    ),
    (
        "order not a permutation",
        _set("batches.order", [0] * 24),
        "batches.order: must hold each index 0 to 23 once",
    ),
    (
        "order out of range",
        _set("batches.order", list(range(1, 25))),
        "batches.order: must hold indices 0 to 23",
    ),
    (
        "fractional order",
        _set("batches.order", [float(i) for i in range(24)]),
        "batches.order: must hold whole numbers",
    ),
    (
        "RNG state too large",
        _set("batches.rng.state.state", 2**128),
        "batches.rng.state.state: must be a whole number from 0 to 2**128 - 1",
    ),
    (
        "RNG of another kind",
        _set("dropout_rng.bit_generator", "MT19937"),
        "dropout_rng.bit_generator: must be 'PCG64', not 'MT19937'",
    ),
    ("RNG without increment", _set("dropout_rng.state.inc", ...), "dropout_rng.state.inc: missing"),
    (
        "history column too short",
        _set("history.batch_loss", [0.5]),
        "history.batch_loss: must be a list of 7 values",
    ),
    (
        "text in the history",
        _set("history.lr.0", "fast"),
        "history.lr: must hold numbers or None, not str",
    ),
    (
        "last_good of another shape",
        _set("last_good.1.bias", [0.0]),
        "last_good.1.bias: shape (1,) does not fit the layer's (4,)",
    ),
    ("diverged as a number", _set("diverged", 3), "diverged: must be a string, not 3"),
]


@pytest.mark.parametrize(
    ("change", "message"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_state_is_refused_naming_the_key_and_changes_nothing(change, message):
    t = make_trainer("adam", dropout=0.3)
    t.run(steps=3)
    before = t.state_dict()
    with pytest.raises(ValueError) as info:
        t.load_state_dict(change(_state()))
    assert str(info.value).startswith(message), str(info.value)
    assert_same_state(t.state_dict(), before)


def test_optimizer_refuses_a_bias_state_for_a_layer_without_bias():
    t = make_trainer("adam")
    t.run(steps=2)
    state = t.optimizer.state_dict(t.net)
    t.net.set_use_bias(1, False)
    with pytest.raises(ValueError, match=r"^optimizer\.state\.layers\.1\.bias: the layer has no"):
        t.optimizer.load_state_dict(state, t.net)
    assert "bias" not in t.optimizer.state_dict(t.net)["state"]["layers"][1]


def test_nesterov_without_momentum_is_refused():
    opt = optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True)
    state = opt.state_dict()
    state["hyperparameters"]["momentum"] = 0.0
    with pytest.raises(ValueError, match=r"^optimizer\.hyperparameters: Nesterov"):
        opt.load_state_dict(state)
    assert opt.momentum == 0.9
