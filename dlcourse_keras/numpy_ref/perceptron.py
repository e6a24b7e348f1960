"""The perceptron in NumPy: unit step, update rule, the perceptron trick and the perceptron loss.

Notation (the course notes'): a neuron computes the weighted sum ``z = w . x + b`` and fires
``y_hat = step(z)``. Training visits the samples one at a time and applies the update rule
``w <- w + lr (y - y_hat) x``, ``b <- b + lr (y - y_hat)``, which changes nothing for a
correctly classified sample. In 2-D the decision boundary ``w1 x + w2 y + b = 0`` is a line,
in 3-D a plane, in more dimensions a hyperplane.

Example:
    >>> import numpy as np
    >>> from dlcourse_keras.numpy_ref.perceptron import Perceptron
    >>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    >>> p = Perceptron(learning_rate=0.1, max_epochs=50).fit(x, [0, 0, 0, 1])  # AND
    >>> p.predict(x).tolist(), p.converged_
    ([0, 0, 0, 1], True)
"""

import numpy as np

from ..validation import check_int, check_number


def step(z):
    """Unit step activation: ``step(z) = 1 if z > 0 else 0``, element-wise.

    Args:
        z: a number or array of weighted sums.

    Returns:
        An integer array (0-d for a scalar input) of 0s and 1s.

    Example:
        >>> step(np.array([-1.0, 0.0, 2.5])).tolist()
        [0, 0, 1]
    """
    return (np.asarray(z) > 0).astype(int)


def _check_finite(x, name="x"):
    bad = ~np.isfinite(x)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0]).tolist()
        raise ValueError(f"{name} must contain only finite numbers (NaN and inf are not allowed); "
                         f"found {int(bad.sum())} non-finite value(s) in row(s) {rows[:10]}"
                         f"{' ...' if len(rows) > 10 else ''}.")


def _check_x_y(x, y, labels, labels_text):
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"x must be a non-empty 2-D array (samples, features); got shape {x.shape}.")
    _check_finite(x)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"y must be 1-D with one label per row of x ({len(x)}); got shape {y.shape}.")
    bad = ~np.isin(y, labels)
    if bad.any():
        raise ValueError(f"y must contain only {labels_text}; found {np.unique(y[bad]).tolist()}.")
    return x, y.astype(float)


class Perceptron:
    """Rosenblatt's perceptron: a single step-function neuron trained by the perceptron rule.

    Prediction: ``y_hat = step(w . x + b)``. Training, one sample at a time for each epoch,
    with the label written as ``s = 2y - 1`` in {-1, +1}: whenever ``s (w . x + b) <= 0`` (the
    point is on the wrong side *or on the line*), ``w <- w + lr s x`` and ``b <- b + lr s``.
    Off the line this is the classic ``w <- w + lr (y - y_hat) x``: +1 for a missed positive
    (the boundary moves toward it), -1 for a false positive (it moves away). Counting a point on
    the line as a mistake means a converged boundary passes through no training point.
    Training stops after the first epoch without a mistake (``converged_`` becomes True) or
    after ``max_epochs``. By the perceptron convergence theorem this happens in finitely many
    updates when the classes are linearly separable; on XOR it never happens.

    Args:
        learning_rate: step size ``lr`` of the update rule, > 0. Default 0.1.
        max_epochs: maximum number of passes over the data, an integer >= 1. Default 100.
        seed: None (default) starts from zero weights and visits samples in the given order,
            so the result is fully deterministic; an integer draws the initial weights and
            bias uniformly from [-0.5, 0.5] and shuffles the samples every epoch with
            ``np.random.default_rng(seed)``.

    Raises:
        ValueError: a bad ``learning_rate``, ``max_epochs`` or ``seed``.

    Attributes:
        weights_: the learned ``w``, shape ``(features,)``; None before ``fit``.
        bias_: the learned ``b``, a float; None before ``fit``.
        history: dict of per-epoch lists, recorded by ``fit`` at the end of each epoch:
            ``"weights"`` (copies of ``w``), ``"bias"``, ``"errors"`` (mistakes, i.e. updates,
            made during the epoch).
        converged_: True once ``fit`` ends an epoch with zero mistakes.
        n_epochs_: number of epochs ``fit`` ran.

    Example:
        >>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
        >>> p = Perceptron(max_epochs=20).fit(x, [0, 1, 1, 1])  # OR
        >>> p.score(x, [0, 1, 1, 1]), p.history["errors"][-1]
        (1.0, 0)
    """

    def __init__(self, learning_rate=0.1, max_epochs=100, seed=None):
        self.learning_rate = check_number("learning_rate", learning_rate, low=0, low_open=True)
        self.max_epochs = check_int("max_epochs", max_epochs, low=1)
        self.seed = check_int("seed", seed, low=0, allow_none=True)
        self.weights_ = None
        self.bias_ = None
        self.history = {"weights": [], "bias": [], "errors": []}
        self.converged_ = False
        self.n_epochs_ = 0

    def fit(self, x, y):
        """Trains on ``x`` (shape ``(samples, features)``) and labels ``y`` in {0, 1}; returns self."""
        x, y = _check_x_y(x, y, (0, 1), "the labels 0 and 1")
        rng = np.random.default_rng(self.seed)
        if self.seed is None:
            self.weights_, self.bias_ = np.zeros(x.shape[1]), 0.0
        else:
            self.weights_ = rng.uniform(-0.5, 0.5, size=x.shape[1])
            self.bias_ = float(rng.uniform(-0.5, 0.5))
        self.history = {"weights": [], "bias": [], "errors": []}
        self.converged_ = False
        self.n_epochs_ = 0
        order = np.arange(len(x))
        for _ in range(self.max_epochs):
            if self.seed is not None:
                order = rng.permutation(len(x))
            errors = 0
            for i in order:
                sign = 2 * y[i] - 1  # the label as -1 / +1
                if sign * (x[i] @ self.weights_ + self.bias_) <= 0:  # wrong side, or on the line
                    self.weights_ = self.weights_ + self.learning_rate * sign * x[i]
                    self.bias_ = self.bias_ + self.learning_rate * sign
                    errors += 1
            self.n_epochs_ += 1
            self.history["weights"].append(self.weights_.copy())
            self.history["bias"].append(float(self.bias_))
            self.history["errors"].append(errors)
            if errors == 0:
                self.converged_ = True
                break
        return self

    def _check_fitted(self, x):
        if self.weights_ is None:
            raise RuntimeError("This Perceptron is not fitted yet; call fit(x, y) first.")
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != len(self.weights_):
            raise ValueError(f"x must have shape (samples, {len(self.weights_)}); got {x.shape}.")
        _check_finite(x)
        return x

    def decision_function(self, x):
        """The weighted sums ``z = x . w + b``, one per row of ``x``."""
        x = self._check_fitted(x)
        return x @ self.weights_ + self.bias_

    def predict(self, x):
        """Predicted labels ``step(z)`` in {0, 1}, one per row of ``x``."""
        return step(self.decision_function(x))

    def score(self, x, y):
        """Accuracy of ``predict(x)`` against labels ``y``, a float in [0, 1]."""
        y = np.asarray(y).reshape(-1)
        return float(np.mean(self.predict(x) == y))


def perceptron_trick_step(coefs, point, label, learning_rate=0.01):
    """Moves the line ``a x + b y + c = 0`` toward a misclassified point (the perceptron trick).

    The positive side of the line is ``a x + b y + c > 0`` (the same convention as ``step``).
    With ``p = (x, y, 1)``:
    a positive point on the negative side gives ``(a, b, c) + lr p``;
    a negative point on the positive side gives ``(a, b, c) - lr p``;
    a correctly classified point leaves the line unchanged.

    Args:
        coefs: the line's ``(a, b, c)``.
        point: the point ``(x, y)``.
        label: its class: 1 for positive, 0 or -1 for negative.
        learning_rate: the fraction ``lr`` of the point's coordinates moved, > 0. Default 0.01.

    Returns:
        The new ``(a, b, c)`` as a float array of shape ``(3,)``.

    Example:
        >>> perceptron_trick_step([2, 3, 5], [1, 3], label=0, learning_rate=0.01).round(2).tolist()
        [1.99, 2.97, 4.99]
        >>> perceptron_trick_step([2, 3, 5], [-3, -1], label=1, learning_rate=0.01).round(2).tolist()
        [1.97, 2.99, 5.01]
    """
    coefs = np.asarray(coefs, dtype=float)
    if coefs.shape != (3,):
        raise ValueError(f"coefs={coefs.tolist()!r} must be the three numbers (a, b, c).")
    point = np.asarray(point, dtype=float)
    if point.shape != (2,):
        raise ValueError(f"point={point.tolist()!r} must be the two coordinates (x, y).")
    if not np.all(np.isfinite(coefs)) or not np.all(np.isfinite(point)):
        raise ValueError(f"coefs={coefs.tolist()} and point={point.tolist()} must be finite numbers.")
    if isinstance(label, (bool, np.bool_)) or label not in (1, 0, -1):
        shown = label.item() if isinstance(label, np.generic) else label
        raise ValueError(f"label={shown!r} must be 1 (positive) or 0 / -1 (negative).")
    learning_rate = check_number("learning_rate", learning_rate, low=0, low_open=True)
    p = np.append(point, 1.0)
    on_positive_side = coefs @ p > 0
    if label == 1 and not on_positive_side:
        return coefs + learning_rate * p
    if label != 1 and on_positive_side:
        return coefs - learning_rate * p
    return coefs.copy()


def perceptron_loss(y, scores):
    """Perceptron loss ``L = (1/n) sum_i max(0, -y_i f(x_i))`` with labels ``y_i`` in {-1, +1}.

    A point on its correct side costs 0; a misclassified point costs its score's magnitude
    ``|f(x_i)|``, which grows with its distance from the boundary.

    Args:
        y: labels in {-1, +1}, shape ``(n,)``.
        scores: ``f(x_i)``, e.g. ``w . x_i + b``, shape ``(n,)``.

    Returns:
        The mean loss as a float.

    Example:
        >>> perceptron_loss([1, -1, 1], [2.0, 0.5, -1.0])  # (0 + 0.5 + 1) / 3
        0.5
    """
    y, scores = _check_signed(y, scores)
    return float(np.mean(np.maximum(0.0, -y * scores)))


def _check_signed(y, scores):
    y = np.asarray(y)
    scores = np.asarray(scores, dtype=float)
    if y.ndim != 1 or y.shape != scores.shape or len(y) == 0:
        raise ValueError(f"y and scores must be non-empty 1-D arrays of the same length; got "
                         f"shapes {y.shape} and {scores.shape}.")
    if not np.isin(y, (-1, 1)).all():
        raise ValueError(f"y must contain only -1 and +1; found {np.unique(y).tolist()}.")
    return y.astype(float), scores


def perceptron_loss_gradient(x, y, weights, bias):
    """Gradient of the perceptron loss for a linear ``f(x) = w . x + b``, w.r.t. ``w`` and ``b``.

    Per sample, ``d max(0, -y_i f(x_i)) / dw = -y_i x_i`` if ``-y_i f(x_i) > 0`` (misclassified)
    and 0 otherwise (0 also on the boundary, as in the notes); ``d/db`` is ``-y_i`` or 0.
    The loss is the mean, so the gradient is the mean of these terms.

    Args:
        x: inputs, shape ``(n, features)``.
        y: labels in {-1, +1}, shape ``(n,)``.
        weights: ``w``, shape ``(features,)``.
        bias: ``b``, a number.

    Returns:
        ``(dL/dw, dL/db)``: an array of shape ``(features,)`` and a float.

    Example:
        >>> x = np.array([[1.0, 2.0], [2.0, 0.0]])
        >>> dw, db = perceptron_loss_gradient(x, [1, -1], weights=np.array([-1.0, 0.0]), bias=0.0)
        >>> dw.tolist(), db  # only the first point is misclassified: -(1/2) * (+1) * (1, 2)
        ([-0.5, -1.0], -0.5)
    """
    x = np.asarray(x, dtype=float)
    weights = np.asarray(weights, dtype=float)
    if x.ndim != 2 or weights.shape != (x.shape[1],):
        raise ValueError(f"x must be 2-D (n, features) and weights of shape (features,); got "
                         f"shapes {x.shape} and {weights.shape}.")
    y, scores = _check_signed(y, x @ weights + float(bias))
    active = (-y * scores > 0).astype(float)  # misclassified samples
    coef = -y * active / len(y)
    return coef @ x, float(coef.sum())
