"""The notes' toy CNN, forward and backward by hand in NumPy.

Architecture (a 6x6 grey image in, one probability out)::

    z1 = conv(x, w1) + b1      w1: 3x3, one filter      -> 4x4
    A1 = relu(z1)
    P1 = maxpool(A1)           2x2 windows, stride 2    -> 2x2
    F  = flatten(P1)                                    -> 4
    z2 = F w2 + b2             w2: 4x1
    A2 = sigmoid(z2)
    L  = (1/m) sum_i [-y_i log A2_i - (1 - y_i) log(1 - A2_i)]

Trainable parameters: 9 (w1) + 1 (b1) + 4 (w2) + 1 (b2) = 15, as the notes count.
Backward, by the chain rule: ``dL/dz2 = (A2 - y) / m``; ``dL/dw2 = F^T dL/dz2``;
``dL/db2 = sum dL/dz2``; ``dL/dF = dL/dz2 w2^T``; reshape to ``dL/dP1``; max-pool
routes it to the arg-max of each window; ReLU passes it where ``z1 > 0``; then
``dL/dw1 = valid-conv(x, dL/dz1)`` and ``dL/db1 = sum(dL/dz1)``.

Taught in ``notebooks/08_convolutions.ipynb`` and checked there against
``tf.GradientTape`` on the same Keras model (Conv2D, MaxPooling2D, Flatten, Dense).
"""

import numpy as np

from dlcourse_keras.numpy_ref.conv import conv2d_backward, conv2d_forward
from dlcourse_keras.numpy_ref.pooling import pool2d_backward, pool2d_forward

from ..validation import check_int, check_number

INPUT_SHAPE = (6, 6, 1)
"""One grey 6x6 image, channels last."""


def init_toy_cnn(seed=0):
    """Random initial parameters of the toy CNN: ``w1 (3, 3, 1, 1)``, ``b1 (1,)``, ``w2 (4, 1)``, ``b2 (1,)``.

    ``w1`` is normal with standard deviation 0.5, ``w2`` with 0.1 (a small head keeps the
    first steps gentle); ``b1`` starts at 0.5 so that the single ReLU filter starts alive.
    With ``b1 = 0.1`` or a larger ``w2``, one or two seeds in eight of our edge-image runs
    stayed at chance.

    Example:

    >>> sorted(init_toy_cnn().items())[0][0]
    'b1'
    """
    rng = np.random.default_rng(check_int("seed", seed, low=0, allow_none=True))
    return {"w1": rng.normal(0, 0.5, size=(3, 3, 1, 1)), "b1": np.array([0.5]),
            "w2": rng.normal(0, 0.1, size=(4, 1)), "b2": np.array([0.0])}


def count_toy_cnn_parameters(params):
    """Number of trainable parameters (15 for the notes' toy CNN).

    Example:

    >>> count_toy_cnn_parameters(init_toy_cnn())
    15
    """
    return int(sum(np.size(params[k]) for k in ("w1", "b1", "w2", "b2")))


def toy_cnn_forward(x, params):
    """Forward pass; returns every intermediate (``z1, A1, P1, F, z2, A2``) in a dict.

    Args:
        x: images ``(m, 6, 6, 1)``.
        params: dict with ``w1, b1, w2, b2`` (see :func:`init_toy_cnn`).

    Returns:
        A dict with ``x`` and the intermediates; ``A2`` has shape ``(m, 1)``.
    """
    z1 = conv2d_forward(x, params["w1"], params["b1"])
    a1 = np.maximum(z1, 0.0)
    p1 = pool2d_forward(a1, 2, mode="max")
    f = p1.reshape(len(p1), -1)
    z2 = f @ params["w2"] + params["b2"]
    a2 = 1.0 / (1.0 + np.exp(-z2))
    return {"x": np.asarray(x, float), "z1": z1, "A1": a1, "P1": p1, "F": f, "z2": z2, "A2": a2}


def binary_cross_entropy(y, a2):
    """Mean binary cross-entropy ``(1/m) sum [-y log a - (1-y) log(1-a)]``."""
    y = np.asarray(y, float).reshape(a2.shape)
    return float(np.mean(-y * np.log(a2) - (1 - y) * np.log(1 - a2)))


def toy_cnn_backward(cache, y, params):
    """Backward pass by the chain rule; returns the gradients of the mean BCE loss.

    Args:
        cache: the dict from :func:`toy_cnn_forward`.
        y: labels ``(m,)`` or ``(m, 1)`` in {0, 1}.
        params: the parameters used in the forward pass.

    Returns:
        A dict with ``w1, b1, w2, b2`` (gradients, shapes of the parameters) and the
        intermediate gradients ``dz2, dF, dP1, dA1, dz1``.

    Example:

    >>> p = init_toy_cnn()
    >>> x = np.random.default_rng(1).normal(size=(2, 6, 6, 1))
    >>> g = toy_cnn_backward(toy_cnn_forward(x, p), [0, 1], p)
    >>> g["w1"].shape, g["w2"].shape
    ((3, 3, 1, 1), (4, 1))
    """
    a2 = cache["A2"]
    m = len(a2)
    y = np.asarray(y, float).reshape(a2.shape)
    # sigmoid + BCE: dL/dA2 * dA2/dz2 = (a2 - y) / (a2 (1 - a2)) * a2 (1 - a2)
    dz2 = (a2 - y) / m
    dw2 = cache["F"].T @ dz2
    db2 = dz2.sum(axis=0)
    d_f = dz2 @ params["w2"].T
    dp1 = d_f.reshape(cache["P1"].shape)
    da1 = pool2d_backward(dp1, cache["A1"], 2, mode="max")
    dz1 = da1 * (cache["z1"] > 0)
    _, dw1, db1 = conv2d_backward(dz1, cache["x"], params["w1"])
    return {"w1": dw1, "b1": db1, "w2": dw2, "b2": db2,
            "dz2": dz2, "dF": d_f, "dP1": dp1, "dA1": da1, "dz1": dz1}


def make_edge_images(n, noise=0.1, seed=0):
    """``n`` noisy 6x6 images with one edge: label 1 horizontal (dark above bright), 0 vertical.

    The edge sits after a random row (or column) 1-5; pixels are 0 (dark) or 1 (bright)
    plus Gaussian noise of standard deviation ``noise``.

    Returns:
        ``(x, y)``: images ``(n, 6, 6, 1)`` and labels ``(n,)``.

    Example:

    >>> x, y = make_edge_images(4)
    >>> x.shape, y.shape
    ((4, 6, 6, 1), (4,))
    """
    n = check_int("n", n, low=1)
    noise = check_number("noise", noise, low=0)
    rng = np.random.default_rng(check_int("seed", seed, low=0, allow_none=True))
    x = np.zeros((n, 6, 6, 1))
    y = rng.integers(0, 2, n)
    cut = rng.integers(1, 6, n)
    for i in range(n):
        if y[i] == 1:
            x[i, cut[i]:, :, 0] = 1.0
        else:
            x[i, :, cut[i]:, 0] = 1.0
    return x + rng.normal(0, noise, x.shape), y


def train_toy_cnn(x, y, params, learning_rate=0.5, steps=300):
    """Full-batch gradient descent on the toy CNN: ``theta <- theta - lr dL/dtheta``, every step.

    Args:
        x, y: images ``(m, 6, 6, 1)`` and labels ``(m,)``.
        params: initial parameters (not modified).
        learning_rate: Default 0.5.
        steps: Default 300.

    Returns:
        ``(params, losses)``: the trained parameters and the loss before each step.
    """
    learning_rate = check_number("learning_rate", learning_rate, low=0, low_open=True)
    steps = check_int("steps", steps, low=1)
    params = {k: np.array(v, dtype=float) for k, v in params.items()}
    losses = []
    for _ in range(steps):
        cache = toy_cnn_forward(x, params)
        losses.append(binary_cross_entropy(y, cache["A2"]))
        grads = toy_cnn_backward(cache, y, params)
        for name in ("w1", "b1", "w2", "b2"):
            params[name] -= learning_rate * grads[name]
    return params, np.array(losses)
