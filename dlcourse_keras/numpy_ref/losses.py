"""Loss functions in NumPy, each with its gradient, computing the same numbers as ``keras.losses``.

Every loss takes ``(y_true, y_pred)`` and returns one value per sample (the mean or sum over
the last axis, exactly as the Keras function of the same name). The cost minimised in training
is the mean of these per-sample losses over the batch; every ``*_grad`` function returns the
gradient of that cost with respect to ``y_pred`` (same shape as ``y_pred``).

Probabilities are clipped to ``[EPSILON, 1 - EPSILON]`` before the logarithm, like Keras
(``keras.config.epsilon()`` is ``1e-7``); where clipping is active the gradient is zero.

Example:
    >>> import numpy as np
    >>> from dlcourse_keras.numpy_ref.losses import mse, binary_crossentropy
    >>> mse(np.array([[1.0, 2.0]]), np.array([[1.5, 2.0]]))
    array([0.125])
    >>> round(float(binary_crossentropy(np.array([[1.0]]), np.array([[0.5]]))[0]), 4)
    0.6931
"""

import numpy as np

from ..validation import check_number

EPSILON = 1e-7
"""Keras's fuzz factor for clipping probabilities (``keras.config.epsilon()``)."""

LOSSES = ("mse", "mae", "huber", "binary_crossentropy", "categorical_crossentropy",
          "sparse_categorical_crossentropy", "hinge")

OUTPUT_ACTIVATION = {
    "mse": "linear",
    "mae": "linear",
    "huber": "linear",
    "binary_crossentropy": "sigmoid",
    "categorical_crossentropy": "softmax",
    "sparse_categorical_crossentropy": "softmax",
    "hinge": "linear (tanh also works); labels in {-1, 1} or {0, 1}",
}
"""Loss name -> the output activation whose outputs it expects."""


def _pair(y_true, y_pred, same_shape=True):
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if y_pred.ndim < 1:
        raise ValueError(f"y_pred must be at least 1-D (samples or samples x outputs); got shape {y_pred.shape}.")
    if same_shape and y_true.shape != y_pred.shape:
        raise ValueError(f"y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape} must be equal.")
    if not (np.all(np.isfinite(y_true)) and np.all(np.isfinite(y_pred))):
        raise ValueError("y_true and y_pred must contain only finite numbers.")
    return y_true, y_pred


def _n_samples(y_pred):
    """Number of per-sample losses (all axes but the last)."""
    return max(1, int(np.prod(y_pred.shape[:-1])))


def _check_probabilities(name, p):
    if np.any(p < 0) or np.any(p > 1):
        raise ValueError(f"{name} must hold probabilities in [0, 1]; got values in "
                         f"[{p.min():.4g}, {p.max():.4g}]. Apply a sigmoid/softmax first.")


def _clip(p):
    return np.clip(p, EPSILON, 1.0 - EPSILON)


def _inside(p):
    """1 where clipping to [EPSILON, 1 - EPSILON] leaves p unchanged (gradient passes), else 0."""
    return ((p >= EPSILON) & (p <= 1.0 - EPSILON)).astype(float)


# --- the formulas ------------------------------------------------------------
# Element-wise, unchecked: the one definition of each loss that every part of the
# package computes through (the checked functions below, numpy_ref.mlp, and the line
# fits of numpy_ref.gradient_descent, which must tolerate overflow in a diverging run).

def squared_error(err):
    """``e^2`` element-wise, for errors ``e = yhat - y``."""
    return err ** 2


def squared_error_grad(err):
    """``d(e^2)/de = 2 e``."""
    return 2.0 * err


def absolute_error(err):
    """``|e|`` element-wise."""
    return np.abs(err)


def absolute_error_grad(err):
    """``d|e|/de = sign(e)`` (0 at 0, as TensorFlow)."""
    return np.sign(err)


def huber_error(err, delta):
    """``e^2 / 2`` where ``|e| <= delta``, else ``delta (|e| - delta / 2)``."""
    abs_err = np.abs(err)
    return np.where(abs_err <= delta, 0.5 * err ** 2, delta * abs_err - 0.5 * delta ** 2)


def huber_error_grad(err, delta):
    """``e`` clipped to ``[-delta, delta]``."""
    return np.where(np.abs(err) <= delta, err, delta * np.sign(err))


def binary_crossentropy_terms(y_true, p):
    """``-[y log p + (1 - y) log(1 - p)]`` element-wise, ``p`` clipped to ``[EPSILON, 1 - EPSILON]``."""
    p = _clip(p)
    return -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))


def categorical_crossentropy_terms(y_true, p):
    """``-sum_k y_k log q_k`` per row, ``q = p / sum_k p_k`` clipped (as Keras)."""
    q = p / np.sum(p, axis=-1, keepdims=True)
    return -np.sum(y_true * np.log(_clip(q)), axis=-1)


# --- regression losses -------------------------------------------------------

def mse(y_true, y_pred):
    """Mean squared error: ``mean_j (y_j - yhat_j)^2`` per sample (``keras.losses.mean_squared_error``).

    Args:
        y_true: targets, shape ``(..., d)``.
        y_pred: predictions, same shape.

    Example:
        >>> mse([[0.0, 0.0]], [[1.0, 3.0]])
        array([5.])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return np.mean(squared_error(y_pred - y_true), axis=-1)


def mse_grad(y_true, y_pred):
    """Gradient of the batch mean of :func:`mse` w.r.t. ``y_pred``: ``2 (yhat - y) / (N d)``.

    Args:
        y_true: targets, shape ``(..., d)``.
        y_pred: predictions, same shape.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return squared_error_grad(y_pred - y_true) / y_pred.size


def mae(y_true, y_pred):
    """Mean absolute error: ``mean_j |y_j - yhat_j|`` per sample (``keras.losses.mean_absolute_error``).

    Args:
        y_true: targets, shape ``(..., d)``.
        y_pred: predictions, same shape.

    Example:
        >>> mae([[0.0, 0.0]], [[1.0, -3.0]])
        array([2.])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return np.mean(absolute_error(y_pred - y_true), axis=-1)


def mae_grad(y_true, y_pred):
    """Gradient of the batch mean of :func:`mae`: ``sign(yhat - y) / (N d)`` (0 where equal, like TF).

    Args:
        y_true: targets, shape ``(..., d)``.
        y_pred: predictions, same shape.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return absolute_error_grad(y_pred - y_true) / y_pred.size


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: ``e^2 / 2`` where ``|e| <= delta`` else ``delta (|e| - delta / 2)``, ``e = yhat - y``.

    Quadratic (like MSE) for small errors, linear (like MAE) for large ones, so outliers pull
    less. Mean over the last axis, as ``keras.losses.huber``.

    Args:
        y_true: targets, shape ``(..., d)``.
        y_pred: predictions, same shape.
        delta: where the quadratic part turns linear. Default 1.0.

    Example:
        >>> huber([[0.0, 0.0]], [[0.5, 3.0]], delta=1.0)  # (0.125 + 2.5) / 2
        array([1.3125])
    """
    delta = check_number("delta", delta, low=0, low_open=True)
    y_true, y_pred = _pair(y_true, y_pred)
    return np.mean(huber_error(y_pred - y_true, delta), axis=-1)


def huber_grad(y_true, y_pred, delta=1.0):
    """Gradient of the batch mean of :func:`huber`: ``e`` clipped to ``[-delta, delta]``, over ``N d``.

    Args:
        y_true: targets, shape ``(..., d)``.
        y_pred: predictions, same shape.
        delta: where the quadratic part turns linear. Default 1.0.
    """
    delta = check_number("delta", delta, low=0, low_open=True)
    y_true, y_pred = _pair(y_true, y_pred)
    return huber_error_grad(y_pred - y_true, delta) / y_pred.size


# --- classification losses ---------------------------------------------------

def binary_crossentropy(y_true, y_pred):
    """Binary cross-entropy from probabilities: ``-[y log p + (1 - y) log(1 - p)]``, mean over the last axis.

    ``p`` is clipped to ``[EPSILON, 1 - EPSILON]`` first, as ``keras.losses.binary_crossentropy``.

    Args:
        y_true: labels in [0, 1] (usually 0 or 1), shape ``(..., d)``.
        y_pred: predicted probabilities (sigmoid outputs), same shape.

    Example:
        >>> np.round(binary_crossentropy([[1.0], [0.0]], [[0.9], [0.2]]), 4)
        array([0.1054, 0.2231])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    _check_probabilities("y_true", y_true)
    _check_probabilities("y_pred", y_pred)
    return np.mean(binary_crossentropy_terms(y_true, y_pred), axis=-1)


def binary_crossentropy_grad(y_true, y_pred):
    """Gradient of the batch mean of :func:`binary_crossentropy`: ``(p - y) / (p (1 - p)) / (N d)``.

    Zero where ``p`` is clipped. Times the sigmoid's derivative ``p (1 - p)`` this becomes
    ``(p - y) / (N d)`` with respect to the logit.

    Args:
        y_true: labels in [0, 1], shape ``(..., d)``.
        y_pred: predicted probabilities, same shape.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    _check_probabilities("y_true", y_true)
    _check_probabilities("y_pred", y_pred)
    p = _clip(y_pred)
    return (-(y_true / p) + (1.0 - y_true) / (1.0 - p)) * _inside(y_pred) / y_pred.size


def _check_distribution_rows(name, p):
    if p.ndim < 2:
        raise ValueError(f"{name} must have shape (samples, classes); got shape {p.shape}.")
    if np.any(np.sum(p, axis=-1) <= 0):
        raise ValueError(f"every row of {name} must have a positive sum.")


def categorical_crossentropy(y_true, y_pred):
    """Categorical cross-entropy: ``-sum_k y_k log p_k`` per sample (``keras.losses.categorical_crossentropy``).

    Like Keras, each row of ``y_pred`` is first divided by its sum (so it adds up to 1) and
    then clipped to ``[EPSILON, 1 - EPSILON]``.

    Args:
        y_true: one-hot (or soft) labels, shape ``(samples, classes)``.
        y_pred: class probabilities (softmax outputs), same shape.

    Example:
        >>> np.round(categorical_crossentropy([[0, 1, 0]], [[0.2, 0.7, 0.1]]), 4)
        array([0.3567])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    _check_probabilities("y_pred", y_pred)
    _check_distribution_rows("y_pred", y_pred)
    return categorical_crossentropy_terms(y_true, y_pred)


def categorical_crossentropy_grad(y_true, y_pred):
    """Gradient of the batch mean of :func:`categorical_crossentropy` w.r.t. ``y_pred``.

    With ``S = sum_k p_k``, ``q = p / S`` and ``g = -y / q`` (0 where clipped):
    ``dL/dp = (g - sum_k g_k q_k) / S / N``. For rows summing to 1 and one-hot ``y`` this is
    ``-y / p + 1`` over ``N``; times the softmax Jacobian it becomes ``(p - y) / N`` for the logits.

    Args:
        y_true: one-hot (or soft) labels, shape ``(samples, classes)``.
        y_pred: class probabilities, same shape.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    _check_probabilities("y_pred", y_pred)
    _check_distribution_rows("y_pred", y_pred)
    s = np.sum(y_pred, axis=-1, keepdims=True)
    q = y_pred / s
    g = -y_true / _clip(q) * _inside(q)
    return (g - np.sum(g * q, axis=-1, keepdims=True)) / s / _n_samples(y_pred)


def _sparse_labels(y_true, y_pred):
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred, dtype=float)
    if y_pred.ndim < 2:
        raise ValueError(f"y_pred must have shape (samples, classes); got shape {y_pred.shape}.")
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError(f"y_true.shape={y_true.shape} must equal y_pred.shape[:-1]={y_pred.shape[:-1]} "
                         "(one integer class per sample).")
    labels = y_true.astype(np.int64)
    if not np.all(labels == y_true) or np.any(labels < 0) or np.any(labels >= y_pred.shape[-1]):
        raise ValueError(f"y_true must hold integer class ids in [0, {y_pred.shape[-1] - 1}].")
    if not np.all(np.isfinite(y_pred)):
        raise ValueError("y_pred must contain only finite numbers.")
    _check_probabilities("y_pred", y_pred)
    return labels, y_pred


def sparse_categorical_crossentropy(y_true, y_pred):
    """Categorical cross-entropy with integer labels: ``-log p_y`` per sample.

    Computed like ``keras.losses.sparse_categorical_crossentropy``: clip ``p`` to
    ``[EPSILON, 1 - EPSILON]``, then ``-log(c_y / sum_k c_k)`` (a softmax of ``log c``), which is
    ``-log p_y`` whenever the row sums to 1.

    Args:
        y_true: integer class ids, shape ``(samples,)`` or ``(samples, 1)``.
        y_pred: class probabilities (softmax outputs), shape ``(samples, classes)``.

    Example:
        >>> np.round(sparse_categorical_crossentropy([1], [[0.2, 0.7, 0.1]]), 4)
        array([0.3567])
    """
    labels, y_pred = _sparse_labels(y_true, y_pred)
    c = _clip(y_pred)
    picked = np.take_along_axis(c, labels[..., None], axis=-1)[..., 0]
    return -np.log(picked / np.sum(c, axis=-1))


def sparse_categorical_crossentropy_grad(y_true, y_pred):
    """Gradient of the batch mean of :func:`sparse_categorical_crossentropy`: ``(1/S - onehot/c) / N``.

    ``c`` is the clipped ``p`` and ``S = sum_k c_k``; zero where ``p`` is clipped.

    Args:
        y_true: integer class ids, shape ``(samples,)`` or ``(samples, 1)``.
        y_pred: class probabilities, shape ``(samples, classes)``.
    """
    labels, y_pred = _sparse_labels(y_true, y_pred)
    c = _clip(y_pred)
    onehot = np.zeros_like(c)
    np.put_along_axis(onehot, labels[..., None], 1.0, axis=-1)
    grad = 1.0 / np.sum(c, axis=-1, keepdims=True) - onehot / c
    return grad * _inside(y_pred) / _n_samples(y_pred)


def _hinge_labels(y_true):
    """Labels in {0, 1} become {-1, 1} (as Keras does); other labels are used unchanged."""
    if np.all((y_true == 0) | (y_true == 1)):
        return 2.0 * y_true - 1.0
    return y_true


def hinge(y_true, y_pred):
    """Hinge loss: ``mean_j max(0, 1 - y_j yhat_j)`` with labels ``y`` in {-1, 1} (``keras.losses.hinge``).

    Labels given as {0, 1} are mapped to {-1, 1} first, as Keras does. ``yhat`` is a raw score
    (linear output): the loss is zero once the sign is right with a margin of at least 1.

    Args:
        y_true: labels in {-1, 1} (or {0, 1}), shape ``(..., d)``.
        y_pred: scores, same shape.

    Example:
        >>> hinge([[1.0, -1.0]], [[2.0, 0.5]])  # (0 + 1.5) / 2
        array([0.75])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y = _hinge_labels(y_true)
    return np.mean(np.maximum(1.0 - y * y_pred, 0.0), axis=-1)


def hinge_grad(y_true, y_pred):
    """Gradient of the batch mean of :func:`hinge`: ``-y / (N d)`` where the margin ``y yhat < 1``, else 0.

    Args:
        y_true: labels in {-1, 1} (or {0, 1}), shape ``(..., d)``.
        y_pred: scores, same shape.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y = _hinge_labels(y_true)
    return np.where(1.0 - y * y_pred > 0, -y, 0.0) / y_pred.size


_FUNCTIONS = {
    "mse": (mse, mse_grad),
    "mae": (mae, mae_grad),
    "huber": (huber, huber_grad),
    "binary_crossentropy": (binary_crossentropy, binary_crossentropy_grad),
    "categorical_crossentropy": (categorical_crossentropy, categorical_crossentropy_grad),
    "sparse_categorical_crossentropy": (sparse_categorical_crossentropy, sparse_categorical_crossentropy_grad),
    "hinge": (hinge, hinge_grad),
}


def get(name):
    """Returns ``(loss_fn, grad_fn)`` for a loss name from :data:`LOSSES`.

    Args:
        name: one of ``LOSSES``.

    Example:
        >>> loss_fn, grad_fn = get("mse")
    """
    if name not in _FUNCTIONS:
        raise ValueError(f"name={name!r} must be one of {LOSSES}.")
    return _FUNCTIONS[name]
