"""Gradient descent in NumPy: the notes' intercept example and batch / stochastic / mini-batch GD.

The notes fit ``height = intercept + slope * weight`` to three points with the slope fixed at
0.64, minimising the sum of squared residuals (SSR)
``SSR(I) = sum_i (y_i - (I + 0.64 x_i))^2`` whose derivative is
``dSSR/dI = -2 sum_i (y_i - (I + 0.64 x_i))``. Each step moves
``I <- I - learning_rate * dSSR/dI``.

Example:
    >>> from dlcourse_keras.numpy_ref.gradient_descent import intercept_descent, NOTES_EXAMPLE
    >>> steps = intercept_descent(**NOTES_EXAMPLE, steps=2)
    >>> [round(s.derivative, 2) for s in steps]
    [-5.7, -2.28]
    >>> [round(s.new_intercept, 2) for s in steps]
    [0.57, 0.8]
"""

import time
from dataclasses import dataclass, field

import numpy as np

from ..validation import check_bool, check_int, check_number
from . import losses as _losses

NOTES_EXAMPLE = {"x": (0.5, 2.3, 2.9), "y": (1.4, 1.9, 3.2), "slope": 0.64, "learning_rate": 0.1}
"""The notes' data (weight, height), fixed slope and learning rate; the intercept starts at 0."""

NOTES_INTERCEPTS = (0.57, 0.8, 0.89, 0.92, 0.94, 0.95)
"""The intercepts the notes print after steps 1-6."""

NOTES_DERIVATIVES = (-5.7, -2.3, -0.9)
"""The derivatives the notes print at the start of steps 1-3."""

NOTES_LEAST_SQUARES = 0.95
"""The notes' least-squares intercept."""

METHODS = ("batch", "stochastic", "minibatch")


def _xy(x, y):
    x = np.asarray(x, dtype=float).reshape(-1)
    y = np.asarray(y, dtype=float).reshape(-1)
    if len(x) == 0 or x.shape != y.shape:
        raise ValueError(f"x and y must be non-empty and of equal length; got {len(x)} and {len(y)}.")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must contain only finite numbers.")
    return x, y


def sum_squared_residuals(intercept, x, y, slope):
    """Sum of squared residuals ``sum_i (y_i - (intercept + slope x_i))^2`` (vectorised over ``intercept``).

    Args:
        intercept: a number or an array of intercepts.
        x: inputs (the notes' weights).
        y: targets (the notes' heights).
        slope: the fixed slope.

    Example:
        >>> round(float(sum_squared_residuals(0.0, **{k: NOTES_EXAMPLE[k] for k in ("x", "y", "slope")})), 3)
        3.156
    """
    x, y = _xy(x, y)
    intercept = np.asarray(intercept, dtype=float)
    residuals = y - (intercept[..., None] + slope * x)
    return np.sum(residuals ** 2, axis=-1)


def ssr_derivative(intercept, x, y, slope):
    """Derivative of the SSR with respect to the intercept: ``-2 sum_i (y_i - (intercept + slope x_i))``.

    Args:
        intercept: a number or an array of intercepts.
        x: inputs.
        y: targets.
        slope: the fixed slope.
    """
    x, y = _xy(x, y)
    intercept = np.asarray(intercept, dtype=float)
    return -2.0 * np.sum(y - (intercept[..., None] + slope * x), axis=-1)


@dataclass(frozen=True)
class InterceptStep:
    """One gradient-descent step on the intercept."""

    step: int
    intercept: float
    derivative: float
    step_size: float
    new_intercept: float
    ssr: float


def intercept_descent(x, y, slope, learning_rate=0.1, intercept=0.0, steps=6):
    """Runs gradient descent on the intercept alone (slope fixed), one record per step.

    Step: ``step_size = learning_rate * dSSR/dI``; ``new_intercept = intercept - step_size``.

    Args:
        x: inputs (the notes' weights).
        y: targets (the notes' heights).
        slope: the fixed slope (0.64 in the notes).
        learning_rate: positive step multiplier. Default 0.1.
        intercept: starting intercept. Default 0.0.
        steps: number of steps, >= 1. Default 6.

    Returns:
        A list of :class:`InterceptStep` (``ssr`` is the SSR at the old intercept).

    Example:
        >>> s = intercept_descent(**NOTES_EXAMPLE, steps=1)[0]
        >>> round(s.step_size, 3), round(s.new_intercept, 3)
        (-0.57, 0.57)
    """
    x, y = _xy(x, y)
    learning_rate = check_number("learning_rate", learning_rate, low=0, low_open=True)
    steps = check_int("steps", steps, low=1)
    slope = check_number("slope", slope)
    records, current = [], check_number("intercept", intercept)
    for k in range(1, steps + 1):
        derivative = float(ssr_derivative(current, x, y, slope))
        step_size = learning_rate * derivative
        new = current - step_size
        records.append(InterceptStep(k, current, derivative, step_size, new,
                                     float(sum_squared_residuals(current, x, y, slope))))
        current = new
    return records


def least_squares_intercept(x, y, slope):
    """Intercept minimising the SSR for a fixed slope: ``mean(y) - slope * mean(x)``.

    Args:
        x: inputs.
        y: targets.
        slope: the fixed slope.

    Example:
        >>> round(least_squares_intercept(**{k: NOTES_EXAMPLE[k] for k in ("x", "y", "slope")}), 4)
        0.9507
    """
    x, y = _xy(x, y)
    return float(np.mean(y) - slope * np.mean(x))


def least_squares_line(x, y):
    """Closed-form least-squares line ``y = w x + b``: ``w = cov(x, y) / var(x)``, ``b = mean(y) - w mean(x)``.

    Args:
        x: inputs (at least two distinct values).
        y: targets.

    Returns:
        ``(w, b)``.

    Example:
        >>> least_squares_line([0, 1, 2], [1, 3, 5])
        (2.0, 1.0)
    """
    x, y = _xy(x, y)
    dx = x - x.mean()
    if np.sum(dx ** 2) == 0:
        raise ValueError("x must contain at least two distinct values for a least-squares line.")
    w = float(np.sum(dx * (y - y.mean())) / np.sum(dx ** 2))
    return w, float(y.mean() - w * x.mean())


LINE_LOSSES = ("mse", "mae", "huber")


def _check_line_loss(loss, delta):
    if loss not in LINE_LOSSES:
        raise ValueError(f"loss={loss!r} must be one of {LINE_LOSSES}.")
    check_number("delta", delta, low=0, low_open=True)


def _line_loss_and_grad(w, b, x, y, loss="mse", delta=1.0):
    """Loss of the line ``w x + b`` and its gradient ``(dL/dw, dL/db)`` by the chain rule.

    Uses the unchecked formulas of :mod:`numpy_ref.losses` (the validating loss functions
    reject the overflow a diverging run produces).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        e = w * x + b - y
        if loss == "mse":
            value, g = np.mean(_losses.squared_error(e)), _losses.squared_error_grad(e)
        elif loss == "mae":
            value, g = np.mean(_losses.absolute_error(e)), _losses.absolute_error_grad(e)
        else:
            value, g = np.mean(_losses.huber_error(e, delta)), _losses.huber_error_grad(e, delta)
        g = g / len(e)  # dL/d(prediction_i) for the mean loss
        return float(value), float(np.sum(g * x)), float(np.sum(g))


def line_loss(w, b, x, y, loss="mse", delta=1.0):
    """Mean loss of the line ``w x + b`` on ``(x, y)``: MSE, MAE or Huber (``delta``).

    Args:
        w: slope.
        b: intercept.
        x: inputs.
        y: targets.
        loss: ``"mse"``, ``"mae"`` or ``"huber"``. Default ``"mse"``.
        delta: Huber threshold. Default 1.0.

    Example:
        >>> line_loss(1.0, 0.0, [1.0, 2.0], [1.0, 4.0])  # errors 0 and -2
        2.0
    """
    x, y = _xy(x, y)
    _check_line_loss(loss, delta)
    return _line_loss_and_grad(w, b, x, y, loss, delta)[0]


def line_loss_grad(w, b, x, y, loss="mse", delta=1.0):
    """Gradient ``(dL/dw, dL/db) = (sum_i g_i x_i, sum_i g_i)`` of :func:`line_loss`.

    ``g_i`` is the derivative of the mean loss with respect to prediction ``i``
    (``2 e_i / n`` for MSE, ``sign(e_i) / n`` for MAE, ``clip(e_i, -delta, delta) / n`` for Huber,
    ``e = w x + b - y``).

    Args:
        w: slope.
        b: intercept.
        x: inputs.
        y: targets.
        loss: ``"mse"``, ``"mae"`` or ``"huber"``. Default ``"mse"``.
        delta: Huber threshold. Default 1.0.
    """
    x, y = _xy(x, y)
    _check_line_loss(loss, delta)
    return _line_loss_and_grad(w, b, x, y, loss, delta)[1:]


@dataclass
class GDHistory:
    """What :func:`gradient_descent` records: one row per update, row 0 the start.

    Attributes:
        params: array ``(updates + 1, 2)`` of ``(w, b)``.
        loss: array ``(updates + 1,)``, the loss on the whole data set after each update.
        time: array ``(updates + 1,)``, cumulative wall time (seconds) spent computing updates
            (the full-data loss evaluation for the record is not counted).
        epoch: array ``(updates + 1,)``, the epoch each update belongs to (0 for the start).
        method: ``"batch"``, ``"stochastic"`` or ``"minibatch"``.
        batch_size: examples per update.
    """

    params: np.ndarray
    loss: np.ndarray
    time: np.ndarray
    epoch: np.ndarray
    method: str
    batch_size: int
    extra: dict = field(default_factory=dict)

    @property
    def updates(self):
        """Number of parameter updates made."""
        return len(self.loss) - 1

    @property
    def diverged(self):
        """True when the loss became non-finite or ended above where it started."""
        final = self.loss[-1]
        return bool(not np.isfinite(final) or final > self.loss[0])


def gradient_descent(x, y, method="batch", learning_rate=0.1, epochs=50, batch_size=None,
                     w0=0.0, b0=0.0, shuffle=True, seed=0, loss="mse", delta=1.0, decay=0.0):
    """Fits ``y = w x + b`` with batch, stochastic or mini-batch gradient descent on MSE, MAE or Huber.

    Each update: ``(w, b) <- (w, b) - lr_t * grad`` where ``grad`` is the loss gradient on
    the whole data set (``"batch"``: one update per epoch), on one example (``"stochastic"``:
    ``n`` updates per epoch) or on ``batch_size`` examples (``"minibatch"``). Stops early if
    the parameters overflow (divergence is recorded, not raised). The step size of update
    ``t = 0, 1, ...`` is ``lr_t = learning_rate / (1 + decay * t)`` (constant when ``decay=0``).

    Args:
        x: inputs, shape ``(n,)``.
        y: targets, shape ``(n,)``.
        method: ``"batch"``, ``"stochastic"`` or ``"minibatch"``. Default ``"batch"``.
        learning_rate: positive step size. Default 0.1.
        epochs: passes over the data, >= 1. Default 50.
        batch_size: examples per update for ``"minibatch"`` (default 32, capped at ``n``); must be
            None for the other methods.
        w0: starting slope. Default 0.0.
        b0: starting intercept. Default 0.0.
        shuffle: visit examples in a new random order each epoch (stochastic and mini-batch).
            Default True.
        seed: seed of the shuffling. Default 0.
        loss: ``"mse"``, ``"mae"`` or ``"huber"``. Default ``"mse"``.
        delta: Huber threshold. Default 1.0.
        decay: non-negative inverse-time decay of the step size. Default 0.0.

    Returns:
        A :class:`GDHistory` (``loss`` holds the chosen loss on the whole data set).

    Example:
        >>> import numpy as np
        >>> x = np.linspace(0, 1, 20); y = 3 * x + 1
        >>> h = gradient_descent(x, y, "batch", learning_rate=0.5, epochs=500)
        >>> np.round(h.params[-1], 3)
        array([3., 1.])
    """
    x, y = _xy(x, y)
    if method not in METHODS:
        raise ValueError(f"method={method!r} must be one of {METHODS}.")
    learning_rate = check_number("learning_rate", learning_rate, low=0, low_open=True)
    epochs = check_int("epochs", epochs, low=1)
    _check_line_loss(loss, delta)
    decay = check_number("decay", decay, low=0)
    n = len(x)
    if method == "minibatch":
        batch_size = min(n, 32 if batch_size is None else check_int("batch_size", batch_size, low=1))
    elif batch_size is not None:
        raise ValueError(f"batch_size={batch_size!r} is only used by method='minibatch'; "
                         f"leave it None for method={method!r}.")
    else:
        batch_size = n if method == "batch" else 1
    shuffle = check_bool("shuffle", shuffle)
    rng = np.random.default_rng(check_int("seed", seed, low=0, allow_none=True))
    w, b = check_number("w0", w0), check_number("b0", b0)
    params, losses, times, epoch_ids = [(w, b)], [_line_loss_and_grad(w, b, x, y, loss, delta)[0]], [0.0], [0]
    elapsed = 0.0
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n) if (shuffle and method != "batch") else np.arange(n)
        for start in range(0, n, batch_size):
            t0 = time.perf_counter()
            idx = order[start:start + batch_size]
            _, gw, gb = _line_loss_and_grad(w, b, x[idx], y[idx], loss, delta)
            lr = learning_rate / (1.0 + decay * (len(losses) - 1))
            w, b = w - lr * gw, b - lr * gb
            elapsed += time.perf_counter() - t0
            params.append((w, b))
            losses.append(_line_loss_and_grad(w, b, x, y, loss, delta)[0])
            times.append(elapsed)
            epoch_ids.append(epoch)
            if not (np.isfinite(w) and np.isfinite(b)):
                break
        else:
            continue
        break
    return GDHistory(np.array(params), np.array(losses), np.array(times), np.array(epoch_ids),
                     method, batch_size)
