"""Activation functions and their derivatives in NumPy, the course's reference versions.

Each activation ``f`` has a derivative ``f_prime`` of the same signature (element-wise
derivative, except ``softmax_prime`` which returns the Jacobian). ``ACTIVATIONS`` maps a
name to the pair ``(f, f_prime)``; ``get_activation(name)`` looks one up with a clear error.
Every function equals ``keras.activations`` (tests check it to 1e-6), and every derivative
equals what ``tf.GradientTape`` computes.

Example:
    >>> from dlcourse_keras.numpy_ref.activations import softmax, softplus
    >>> softmax([2.0, 1.0, 0.1]).round(2)
    array([0.66, 0.24, 0.1 ])
    >>> softplus([-2.0, 0.0, 2.0]).round(2)
    array([0.13, 0.69, 2.13])
"""

import numpy as np

from ..validation import check_number

# SELU constants (Klambauer et al., 2017), the same values Keras uses.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _as_float(x):
    """Floats keep their precision; integers, booleans and lists become float64."""
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


# --- identity and step -------------------------------------------------------

def linear(x):
    """Identity activation: ``f(x) = x`` (regression outputs).

    Args:
        x: array-like input.

    Example:
        >>> linear([-1.0, 2.0])
        array([-1.,  2.])
    """
    return _as_float(x).copy()


def linear_prime(x):
    """Derivative of ``linear``: ``f'(x) = 1`` everywhere."""
    return np.ones_like(_as_float(x))


def step(x):
    """Unit step of the perceptron: ``g(z) = 1 if z > 0 else 0`` (the notes' convention).

    Args:
        x: array-like input.

    Example:
        >>> step([-1.0, 0.0, 2.0])
        array([0., 0., 1.])
    """
    x = _as_float(x)
    return (x > 0).astype(x.dtype)


def step_prime(x):
    """Derivative of ``step``: 0 wherever it exists (undefined at 0; 0 is returned there).

    The zero gradient is why the step unit cannot be trained by gradient descent.
    """
    return np.zeros_like(_as_float(x))


# --- sigmoid family ----------------------------------------------------------

def sigmoid(x):
    """Logistic sigmoid ``f(x) = 1 / (1 + exp(-x))``, computed without overflow.

    Args:
        x: array-like input.

    Example:
        >>> sigmoid([0.0]).item()
        0.5
    """
    x = _as_float(x)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def sigmoid_prime(x):
    """Derivative of the sigmoid: ``f'(x) = f(x) (1 - f(x))`` (at most 0.25, at x = 0)."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x):
    """Hyperbolic tangent ``f(x) = (e^x - e^-x) / (e^x + e^-x)``, zero-centred, in (-1, 1).

    Example:
        >>> tanh([0.0]).item()
        0.0
    """
    return np.tanh(_as_float(x))


def tanh_prime(x):
    """Derivative of tanh: ``f'(x) = 1 - tanh(x)^2`` (at most 1, at x = 0)."""
    t = np.tanh(_as_float(x))
    return 1.0 - t * t


# --- ReLU family -------------------------------------------------------------

def relu(x):
    """Rectified linear unit ``f(x) = max(0, x)``.

    Example:
        >>> relu([-2.0, 3.0])
        array([0., 3.])
    """
    x = _as_float(x)
    return np.maximum(x, 0).astype(x.dtype)


def relu_prime(x):
    """Derivative of ReLU: 1 for x > 0, 0 for x < 0 (0 is used at x = 0, as TensorFlow does)."""
    x = _as_float(x)
    return (x > 0).astype(x.dtype)


def leaky_relu(x, alpha=0.01):
    """Leaky ReLU ``f(x) = x if x > 0 else alpha * x`` (the notes' ``max(0.01 z, z)``).

    Keras calls ``alpha`` ``negative_slope`` and defaults it to 0.2; the notes use 0.01.

    Args:
        x: array-like input.
        alpha: slope for negative inputs, default 0.01.

    Example:
        >>> leaky_relu([-2.0, 3.0])
        array([-0.02,  3.  ])
    """
    alpha = check_number("alpha", alpha, low=0)
    x = _as_float(x)
    return np.where(x > 0, x, alpha * x).astype(x.dtype)


def leaky_relu_prime(x, alpha=0.01):
    """Derivative of leaky ReLU: 1 for x > 0, ``alpha`` otherwise (never exactly 0)."""
    alpha = check_number("alpha", alpha, low=0)
    x = _as_float(x)
    return np.where(x > 0, 1.0, alpha).astype(x.dtype)


def elu(x, alpha=1.0):
    """Exponential linear unit ``f(x) = x if x > 0 else alpha (e^x - 1)``.

    Args:
        x: array-like input.
        alpha: saturation value for large negative inputs is ``-alpha``; default 1.0.

    Example:
        >>> elu([0.0, 1.0]).tolist()
        [0.0, 1.0]
    """
    alpha = check_number("alpha", alpha, low=0)
    x = _as_float(x)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype)


def elu_prime(x, alpha=1.0):
    """Derivative of ELU: 1 for x > 0, ``alpha e^x`` otherwise."""
    alpha = check_number("alpha", alpha, low=0)
    x = _as_float(x)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype)


def selu(x):
    """Scaled ELU ``f(x) = scale * (x if x > 0 else alpha (e^x - 1))`` with the fixed
    self-normalizing constants ``alpha ~ 1.6733`` and ``scale ~ 1.0507``.

    Example:
        >>> round(selu([1.0]).item(), 4)
        1.0507
    """
    return (SELU_SCALE * elu(x, SELU_ALPHA)).astype(_as_float(x).dtype)


def selu_prime(x):
    """Derivative of SELU: ``scale`` for x > 0, ``scale * alpha * e^x`` otherwise."""
    return (SELU_SCALE * elu_prime(x, SELU_ALPHA)).astype(_as_float(x).dtype)


def softplus(x):
    """Softplus ``f(x) = ln(1 + e^x)``, a smooth ReLU, computed stably.

    Example:
        >>> softplus([-2.0, 0.0, 2.0]).round(2)
        array([0.13, 0.69, 2.13])
    """
    x = _as_float(x)
    # ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|) never overflows.
    return (np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))).astype(x.dtype)


def softplus_prime(x):
    """Derivative of softplus: the sigmoid, ``f'(x) = 1 / (1 + e^-x)``."""
    return sigmoid(x)


def swish(x):
    """Swish / SiLU ``f(x) = x * sigmoid(x)``.

    Example:
        >>> swish([0.0]).item()
        0.0
    """
    x = _as_float(x)
    return x * sigmoid(x)


def swish_prime(x):
    """Derivative of swish: ``f'(x) = s(x) + x s(x) (1 - s(x))`` with ``s`` the sigmoid."""
    x = _as_float(x)
    s = sigmoid(x)
    return s + x * s * (1.0 - s)


# --- softmax -----------------------------------------------------------------

def softmax(x, axis=-1):
    """Softmax ``f(x)_i = e^{x_i} / sum_j e^{x_j}``, stable (the row maximum is subtracted).

    Args:
        x: array-like input (a vector or a batch of rows).
        axis: axis to normalise over, default -1.

    Example:
        >>> softmax([2.0, 1.0, 0.1]).round(2)
        array([0.66, 0.24, 0.1 ])
    """
    x = _as_float(x)
    z = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_prime(x):
    """Jacobian of softmax over the last axis: ``J_ij = s_i (delta_ij - s_j)``.

    Returns an array of shape ``x.shape + (n,)``. Multiply an upstream gradient ``g`` as
    ``g @ J`` (for a row) to backpropagate; with cross-entropy the product simplifies
    to ``s - y``.

    Example:
        >>> softmax_prime([0.0, 0.0]).tolist()
        [[0.25, -0.25], [-0.25, 0.25]]
    """
    s = softmax(x)
    return s[..., :, None] * (np.eye(s.shape[-1], dtype=s.dtype) - s[..., None, :])


# --- registry ----------------------------------------------------------------

ACTIVATIONS = {
    "linear": (linear, linear_prime),
    "step": (step, step_prime),
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "leaky_relu": (leaky_relu, leaky_relu_prime),
    "elu": (elu, elu_prime),
    "selu": (selu, selu_prime),
    "softplus": (softplus, softplus_prime),
    "swish": (swish, swish_prime),
    "softmax": (softmax, softmax_prime),
}
"""Name -> ``(f, f_prime)``. ``softmax``'s derivative is a Jacobian; the rest are element-wise."""


def get_activation(name):
    """Return ``(f, f_prime)`` for an activation name.

    Args:
        name: one of ``ACTIVATIONS`` (``"linear"``, ``"step"``, ``"sigmoid"``, ``"tanh"``,
            ``"relu"``, ``"leaky_relu"``, ``"elu"``, ``"selu"``, ``"softplus"``, ``"swish"``,
            ``"softmax"``).

    Example:
        >>> f, df = get_activation("tanh")
        >>> df(0.0).item()
        1.0
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"name={name!r} is not a known activation; choose one of {sorted(ACTIVATIONS)}.")
    return ACTIVATIONS[name]
