"""Tooltip texts that state what a control computes, formula first.

Combining accents (m̂) are drawn misplaced in a plain-text tooltip: hats are written m_hat.
The rules are the engine's (engine/optimizers.py's class docstrings, engine/network.py's
penalties and clipping, engine/initializers.py's distributions), written here for reading: η is
the learning rate (the lessons' symbol), g the gradient ∂L/∂w of a weight w, t the step count.
Losses and schedules carry their own formula texts in the engine and are read from there.
"""

from __future__ import annotations

import re
import textwrap

from simulator.engine import initializers as _initializers
from simulator.engine import losses as _losses
from simulator.engine import schedules as _schedules

TIP_WIDTH = 76  # characters: Qt does not wrap a plain-text tooltip
_OPERATOR = re.compile(r" ([=←−+·/~×≈<>≤]) ")


def wrapped(text: str, width: int = TIP_WIDTH) -> str:
    """``text`` with its prose lines wrapped at ``width``; indented lines (formulas) kept."""
    lines = []
    for line in text.split("\n"):
        if line.startswith(" ") or len(line) <= width:
            lines.append(line)
            continue
        # A formula is not split at its operators: their spaces are held while wrapping.
        held = _OPERATOR.sub("\u00a0\\1\u00a0", line)
        lines.extend(
            part.replace("\u00a0", " ")
            for part in textwrap.wrap(held, width, break_on_hyphens=False)
        )
    return "\n".join(lines)


# The update rule of each optimizer (engine.optimizers.OPTIMIZERS's names).
OPTIMIZER_RULES = {
    "SGD": (
        "Stochastic gradient descent:\n"
        "    w ← w − η·g\n"
        "With momentum μ: b ← μ·b + (1 − τ)·g (b = g at the first step), w ← w − η·b;\n"
        "Nesterov: w ← w − η·(g + μ·b)"
    ),
    "Adagrad": (
        "Adagrad: each weight's step shrinks with the sum of its squared gradients:\n"
        "    s ← s + g²\n"
        "    w ← w − η_t·g / (√s + ε),  η_t = η / (1 + (t − 1)·d)  (d: LR decay)"
    ),
    "RMSprop": (
        "RMSprop: steps divided by a running root mean square of the gradient:\n"
        "    v ← α·v + (1 − α)·g²\n"
        "    w ← w − η·g / (√v + ε)\n"
        "Centered: √(v − ḡ²) instead of √v, ḡ ← α·ḡ + (1 − α)·g;\n"
        "momentum μ: b ← μ·b + g / (√v + ε), w ← w − η·b"
    ),
    "Adam": (
        "Adam: steps from running means of the gradient and of its square:\n"
        "    m ← β₁·m + (1 − β₁)·g\n"
        "    v ← β₂·v + (1 − β₂)·g²\n"
        "    m_hat = m / (1 − β₁ᵗ),  v_hat = v / (1 − β₂ᵗ)\n"
        "    w ← w − η·m_hat / (√v_hat + ε)\n"
        "AMSGrad: v_hat from the largest v so far"
    ),
    "AdamW": (
        "AdamW: Adam with the weight decay λ taken out of the gradient:\n"
        "    w ← w·(1 − η·λ)\n"
        "    then Adam's step: w ← w − η·m_hat / (√v_hat + ε)"
    ),
}
# One line each, for a status tip.
SHORT_RULES = {
    "SGD": "w ← w − η·g",
    "Adagrad": "w ← w − η_t·g / (√s + ε)",
    "RMSprop": "w ← w − η·g / (√v + ε)",
    "Adam": "w ← w − η·m_hat / (√v_hat + ε)",
    "AdamW": "w ← w·(1 − η·λ) − η·m_hat / (√v_hat + ε)",
}
WEIGHT_DECAY_NOTE = "Weight decay λ adds λ·w to g first (AdamW: decoupled)."

# Optimizer parameter -> tooltip, where one reads the same in every optimizer.
PARAMETER_TIPS = {
    "lr": (
        "Learning rate η: the size of each step against the gradient (SGD: w ← w − η·g); "
        "the arrows step through Playground's values"
    ),
    "dampening": "Dampening τ: b ← μ·b + (1 − τ)·g scales down each new gradient in the buffer",
    "weight_decay": "Weight decay λ: g ← g + λ·w before the update, pulling every weight to 0",
    "beta1": "β₁: m ← β₁·m + (1 − β₁)·g, the running mean of the gradient (0.9: ~10 steps)",
    "beta2": "β₂: v ← β₂·v + (1 − β₂)·g², the running mean of its square (0.999: ~1000 steps)",
    "betas": "β₁, β₂: how long the running means m of g and v of g² remember",
    "alpha": "α: v ← α·v + (1 − α)·g², the smoothing of the running mean of g²",
    "lr_decay": "LR decay d: the step size shrinks as η_t = η / (1 + (t − 1)·d)",
    "initial_accumulator_value": "What the sum s starts at, before s ← s + g² at each step",
    "nesterov": (
        "Nesterov momentum: w ← w − η·(g + μ·b) instead of w ← w − η·b, a look ahead "
        "(needs μ > 0 and τ = 0)"
    ),
    "centered": (
        "Centered: divide by √(v − ḡ²) + ε, the gradient's spread, with "
        "ḡ ← α·ḡ + (1 − α)·g, instead of √v + ε"
    ),
    "amsgrad": "AMSGrad: v_hat is the largest v so far, so a step never grows back",
    "maximize": "Maximize: g → −g, climb the loss instead of descending it",
}
# Parameters whose rule depends on the optimizer: (optimizer, parameter) first, then parameter.
OPTIMIZER_PARAMETER_TIPS = {
    ("SGD", "momentum"): (
        "Momentum μ: b ← μ·b + (1 − τ)·g, w ← w − η·b; the share of the previous step "
        "carried into the next (0.9 is common)"
    ),
    ("RMSprop", "momentum"): "Momentum μ: b ← μ·b + g / (√v + ε), w ← w − η·b",
    ("Adam", "eps"): "ε in w ← w − η·m_hat / (√v_hat + ε): keeps the step finite where v_hat ≈ 0",
    ("AdamW", "eps"): "ε in w ← w − η·m_hat / (√v_hat + ε): keeps the step finite where v_hat ≈ 0",
    ("RMSprop", "eps"): "ε in w ← w − η·g / (√v + ε): keeps the step finite where v ≈ 0",
    ("Adagrad", "eps"): "ε in w ← w − η_t·g / (√s + ε): keeps the step finite where s ≈ 0",
    ("AdamW", "weight_decay"): (
        "Decoupled weight decay λ: w ← w·(1 − η·λ) before each Adam step (not through g)"
    ),
}

# Each initialiser's distribution (engine.initializers.initial_weights), n_in / n_out the
# layer's fan-in and fan-out.
INIT_RULES = {
    "xavier_uniform": "w ~ U(−a, a),  a = √(6 / (n_in + n_out))",
    "xavier_normal": "w ~ N(0, σ²),  σ² = 2 / (n_in + n_out)",
    "he_uniform": "w ~ U(−a, a),  a = √(6 / n_in)",
    "he_normal": "w ~ N(0, σ²),  σ² = 2 / n_in",
    "lecun_normal": "w ~ N(0, σ²),  σ² = 1 / n_in",
    "uniform": "w ~ U(−a, a), a chosen below",
    "zeros": "w = 0: every neuron of a layer stays the same as the others",
    "constant": "w = the value chosen below, for every weight",
}

BATCH_TIPS = {
    "full": "Full batch: g = (1/N)·Σ ∇ℓ over all N training samples; one step per epoch",
    "mini": (
        "Mini-batch: g = (1/B)·Σ ∇ℓ over B samples, reshuffled every epoch; ⌈N/B⌉ steps per epoch"
    ),
    "stochastic": "Stochastic: g = ∇ℓ of one sample (B = 1); N noisy steps per epoch",
}
BATCH_SIZE_TIP = "B, the samples in a mini-batch: g = (1/B)·Σ ∇ℓ over them"
L1_TIP = (
    "L1 rate λ₁: L = data loss + λ₁·Σ|w| over every weight (not the biases); the gradient "
    "gains λ₁·sign(w), pushing weights to exactly 0"
)
L2_TIP = (
    "L2 rate λ₂: L = data loss + (λ₂/2)·Σw² over every weight (not the biases); the gradient "
    "gains λ₂·w, keeping weights small"
)
DROPOUT_TIP = (
    "Dropout p (inverted): in each training step every hidden neuron's output is set to 0 "
    "with probability p and the others are multiplied by 1/(1 − p); evaluation uses them all"
)
CLIP_TIP = (
    "Clip the gradient's norm to c: g ← g·min(1, c / (‖g‖ + 10⁻⁶)), ‖g‖ over every weight "
    "and bias gradient together (PyTorch's clip_grad_norm_)"
)
SEED_TIP = (
    "Seed of the random numbers: the same seed gives the same initial weights, data, batch "
    "order and dropout"
)
SCHEDULE_PARAMETER_TIPS = {
    "step_size": "lr = lr₀ · γ^⌊t / step_size⌋: the rate is multiplied by γ every this many epochs",
    "gamma": "γ, what the learning rate is multiplied by at each decay",
    "T_max": "T_max in lr = η_min + (lr₀ − η_min)·(1 + cos(π t / T_max)) / 2: epochs to fall",
    "eta_min": "η_min, the lowest learning rate the cosine reaches",
}
EXPONENTIAL_GAMMA_TIP = "γ in lr = lr₀ · γᵗ: the rate is multiplied by γ every epoch"


def optimizer_tip(name: str) -> str:
    """The optimizer combo's tooltip: what it is for, then ``name``'s update rule."""
    rule = OPTIMIZER_RULES.get(name, name)
    return wrapped(
        "The rule that turns gradients into weight updates (η the learning rate, g = ∂L/∂w).\n\n"
        f"{rule}\n{WEIGHT_DECAY_NOTE}"
    )


def update_tip(name: str) -> str:
    """The Update phase's tooltip with ``name``'s rule."""
    rule = OPTIMIZER_RULES.get(name, name)
    return wrapped(
        f"Update: the optimizer moves every weight against its gradient g = ∂L/∂w.\n\n{rule}"
    )


def parameter_tip(optimizer: str, key: str) -> str:
    """The tooltip of optimizer parameter ``key`` as ``optimizer`` uses it."""
    return OPTIMIZER_PARAMETER_TIPS.get((optimizer, key)) or PARAMETER_TIPS.get(key, key)


def loss_tip(name: str) -> str:
    title = _losses.TITLES.get(name, name)
    return wrapped(
        "What the network minimises: how far its outputs o are from the targets y, "
        f"averaged over the batch.\n\n{title}:  {_losses.FORMULAS.get(name, '')}"
    )


def schedule_tip(name: str) -> str:
    cls = _schedules.SCHEDULES.get(name)
    formula = cls.formula if cls is not None else ""
    return wrapped(
        "How the learning rate changes from epoch to epoch (lr₀: the rate set above, "
        f"t: the epoch).\n\n{formula}"
    )


def schedule_parameter_tip(schedule: str, key: str) -> str:
    if schedule == "exponential" and key == "gamma":
        return EXPONENTIAL_GAMMA_TIP
    return SCHEDULE_PARAMETER_TIPS.get(key, key)


def init_tip(name: str) -> str:
    title = _initializers.TITLES.get(name, name)
    return wrapped(
        "How the starting weights are drawn (changing it redraws them); biases start at 0."
        f"\n\n{title}:  {INIT_RULES.get(name, '')}"
    )


# Every text above, wrapped for a tooltip.
OPTIMIZER_RULES = {key: wrapped(text) for key, text in OPTIMIZER_RULES.items()}
PARAMETER_TIPS = {key: wrapped(text) for key, text in PARAMETER_TIPS.items()}
OPTIMIZER_PARAMETER_TIPS = {key: wrapped(text) for key, text in OPTIMIZER_PARAMETER_TIPS.items()}
BATCH_TIPS = {key: wrapped(text) for key, text in BATCH_TIPS.items()}
SCHEDULE_PARAMETER_TIPS = {key: wrapped(text) for key, text in SCHEDULE_PARAMETER_TIPS.items()}
BATCH_SIZE_TIP, L1_TIP, L2_TIP, DROPOUT_TIP, CLIP_TIP, SEED_TIP, EXPONENTIAL_GAMMA_TIP = (
    wrapped(text)
    for text in (
        BATCH_SIZE_TIP,
        L1_TIP,
        L2_TIP,
        DROPOUT_TIP,
        CLIP_TIP,
        SEED_TIP,
        EXPONENTIAL_GAMMA_TIP,
    )
)
