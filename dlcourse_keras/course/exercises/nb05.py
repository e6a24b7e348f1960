"""Exercises of notebook 05, activations and initialization: the derivative of swish, a stable
softmax, the Xavier-uniform limit of a kernel, the dead fraction of a ReLU layer, and two
numbers about vanishing signals (a chain of sigmoids, ReLU layers with LeCun's variance).

References are the package's (:mod:`dlcourse_keras.numpy_ref.activations`,
:mod:`dlcourse_keras.initializers`, :func:`dlcourse_keras.callbacks.dead_fraction`); the one
small function below only combines ``compute_fans`` and ``XavierUniform.limit``.
"""

import math

import numpy as np

from ...callbacks.monitors import dead_fraction
from ...initializers import XavierUniform, compute_fans
from ...numpy_ref import activations as act
from .kinds import ChoiceExercise, FunctionExercise

# --- q1: the derivative of swish ------------------------------------------------------------------


def _swish_cases(rng):
    return {"z": rng.normal(scale=3.0, size=(int(rng.integers(2, 5)), int(rng.integers(3, 7))))}


def _swish_prime_sigmoid_only(z):
    return act.sigmoid(z)


def _swish_prime_chain_only(z):
    return z * act.sigmoid_prime(z)


_PRODUCT_RULE = ("swish is the product z * sigmoid(z): the product rule gives two terms, sigmoid(z) and "
                 "z * sigmoid'(z).")


# --- q2: a stable softmax -------------------------------------------------------------------------


def _softmax_cases(rng):
    n, k = int(rng.integers(3, 6)), int(rng.integers(3, 6))
    offsets = rng.choice([0.0, 800.0, -800.0, 2000.0], size=(n, 1))  # some rows overflow exp, some underflow
    return {"z": offsets + rng.normal(scale=3.0, size=(n, k))}


def _softmax_naive(z):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


def _softmax_global_max(z):
    with np.errstate(invalid="ignore"):
        e = np.exp(z - z.max())
        return e / e.sum(axis=-1, keepdims=True)


def _softmax_columns(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


# --- q3: the Xavier-uniform limit of a kernel -----------------------------------------------------


def xavier_uniform_limit(shape):
    """The limit ``a`` of ``U(-a, a)`` that ``XavierUniform`` draws from for a kernel of ``shape``."""
    fan_in, fan_out = compute_fans(shape)
    return XavierUniform().limit(fan_in, fan_out)


def _kernel_shape_cases(rng):
    units = (int(rng.integers(2, 300)), int(rng.integers(2, 300)))
    kind = int(rng.integers(3))
    if kind == 0:  # a Dense kernel
        return {"shape": units}
    window = tuple(int(s) for s in rng.integers(1, 6, size=kind))  # Conv1D or Conv2D kernel
    return {"shape": window + units}


def _grow_kernel(shape, rng):
    return tuple(int(s) + int(rng.integers(1, 4)) for s in shape)


def _limit_ignoring_window(shape):
    return math.sqrt(6.0 / (shape[-2] + shape[-1]))


def _limit_he(shape):
    return math.sqrt(6.0 / compute_fans(shape)[0])


def _limit_normal_std(shape):
    return math.sqrt(2.0 / sum(compute_fans(shape)))


# --- q4: the dead fraction of a ReLU layer --------------------------------------------------------


def _relu_activation_cases(rng):
    units = int(rng.integers(5, 12))
    shape = (int(rng.integers(6, 12)),) + ((int(rng.integers(2, 5)),) if rng.random() < 0.4 else ()) + (units,)
    bias = np.where(rng.random(units) < 0.4, -6.0, rng.normal(scale=0.5, size=units))  # some units dead
    return {"activations": np.maximum(rng.normal(size=shape) + bias, 0.0)}


def _dead_entries(activations):
    return float(np.mean(activations <= 0))


def _dead_sometimes(activations):
    a = activations.reshape(-1, activations.shape[-1])
    return float(np.mean(a.min(axis=0) <= 0))


def _dead_first_axis_only(activations):
    return np.mean(activations.max(axis=0) <= 0, axis=-1)


EXERCISES = [
    FunctionExercise(
        "The derivative of swish", act.swish_prime, _swish_cases,
        hints=["swish(z) = z * sigmoid(z) is a product: use the product rule.",
               "With `s = 1 / (1 + np.exp(-z))` and sigmoid' = s (1 - s): the derivative is `s + z * s * (1 - s)`."],
        prose="Product rule on z * sigmoid(z).",
        mistakes=[(_swish_prime_sigmoid_only, _PRODUCT_RULE), (_swish_prime_chain_only, _PRODUCT_RULE)]),
    FunctionExercise(
        "A stable softmax", act.softmax, _softmax_cases,
        hints=["Over the last axis (one distribution per row): `np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)` "
               "is right mathematically but overflows for scores near 1000.",
               "Subtract each row's maximum first, `z - z.max(axis=-1, keepdims=True)`: every exponent is then <= 0 "
               "and the result is unchanged."],
        prose="Subtract each row's maximum, exponentiate, normalise the row.",
        mistakes=[(_softmax_naive, "exp overflows for large scores (e^710 is inf in float64) and inf / inf is NaN: "
                                   "subtract each row's maximum before exponentiating."),
                  (_softmax_global_max, "subtract each row's own maximum, not the maximum of the whole array: a row "
                                        "far below it underflows to 0 / 0."),
                  (_softmax_columns, "one distribution per row: take the maximum and the sum over the last axis, "
                                     "`axis=-1`.")]),
    FunctionExercise(
        "The Xavier-uniform limit of a kernel", xavier_uniform_limit, _kernel_shape_cases,
        hints=["A Dense kernel `(fan_in, fan_out)`; a convolution kernel `(*window, c_in, c_out)` has "
               "`fan_in = prod(window) * c_in` and `fan_out = prod(window) * c_out` (`math.prod`).",
               "The limit is `sqrt(6 / (fan_in + fan_out))`."],
        prose="Keras's fans, then sqrt(6 / (fan_in + fan_out)).",
        mistakes=[(_limit_ignoring_window, "for a convolution kernel (*window, c_in, c_out) each fan is multiplied "
                                           "by the window size, prod(window)."),
                  (_limit_he, "that is He's limit: Xavier/Glorot uses both fans, 6 / (fan_in + fan_out)."),
                  (_limit_normal_std, "that is Xavier normal's standard deviation: the uniform limit carries a 6, "
                                      "since U(-a, a) has standard deviation a / sqrt(3).")],
        perturb={"shape": _grow_kernel},
        solution_objects=(xavier_uniform_limit, compute_fans, XavierUniform)),
    FunctionExercise(
        "The dead fraction of a ReLU layer", dead_fraction, _relu_activation_cases,
        hints=["The last axis indexes the units; every other axis counts as an example: "
               "`a.reshape(-1, a.shape[-1])`.",
               "A unit is dead when it is never positive: its maximum over the examples is <= 0. Return the "
               "fraction of such units as one number."],
        prose="The fraction of units whose largest output over all examples is 0 (DeadReLUMonitor's measure).",
        mistakes=[(_dead_entries, "count units (the last axis), not zero entries: a live ReLU unit is 0 on many "
                                  "examples and still learns from the others."),
                  (_dead_sometimes, "a unit is dead only when it is 0 on EVERY example: use its maximum over the "
                                    "examples, not its minimum.")]),
    ChoiceExercise(
        "A chain of ten sigmoids", "05-sigmoid-chain-factor",
        "1753621a2b53dc37f487a1b7e6d437882c89f01c0d94a142915ac6413891faa1",
        hints=["Each sigmoid multiplies the gradient by sigmoid'(z) times a weight of 1. How large can sigmoid' be?",
               "sigmoid'(z) = s (1 - s) <= 0.25. Answer with the shrink factor, a number at least 1 (an integer)."],
        explanation=("**4^10 = 1,048,576.** Each sigmoid multiplies the gradient by sigma'(z) <= 0.25, so after ten "
                     "of them it is at most 0.25^10 = 9.5e-7 of what it was: it shrinks by a factor of at least "
                     "4^10, more wherever a unit saturates. tanh' reaches 1 at z = 0, so tanh alone forces no "
                     "shrink (saturated units still shrink it)."),
        digits=0,
        prose="Ten factors of at most 1/4."),
    ChoiceExercise(
        "ReLU layers with LeCun's variance", "05-lecun-relu-variance-ratio",
        "36ac1815838180ff8341292e2161ecd1669409d62e0af335dc7fd18973d77b4d",
        hints=["Var(z_{k+1}) = fan_in Var(w) E[a_k^2] for independent zero-mean weights.",
               "For a = relu(z) with z symmetric about 0, E[a^2] = Var(z) / 2. Put in Var(w) = 1 / fan_in and answer "
               "with Var(z_{k+1}) / Var(z_k), to 2 decimals."],
        explanation=("**0.5.** Var(z_{k+1}) = fan_in Var(w) E[a_k^2] and E[relu(z)^2] = Var(z) / 2 for z symmetric "
                     "about 0, so Var(z_{k+1}) = (fan_in Var(w) / 2) Var(z_k). With LeCun's Var(w) = 1 / fan_in the "
                     "variance halves every layer (2^-10 after ten layers); He's 2 / fan_in keeps it constant."),
        digits=2,
        prose="ReLU zeroes half the signal's second moment; LeCun does not make up for it."),
]
