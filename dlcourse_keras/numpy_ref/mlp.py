"""A multilayer perceptron in NumPy: forward pass, backpropagation, gradient check, plain GD.

Notation (the course notes'): layer ``k = 1..L`` has weights ``W^k`` and biases ``b^k``;
``W^k_ij`` is the weight on the link from unit ``i`` of layer ``k-1`` to unit ``j`` of layer
``k``. In code ``weights[k-1][i, j] == W^k_ij``, which is exactly the layout of a Keras
``Dense`` kernel ``(inputs, units)``, so weights move between the two unchanged.

Example:
    >>> import numpy as np
    >>> from dlcourse_keras.numpy_ref.mlp import MLP, count_parameters
    >>> count_parameters([4, 3, 2, 1])
    26
    >>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    >>> y = np.array([[0], [1], [1], [0]], dtype=float)
    >>> net = MLP([2, 4, 1], ["tanh", "sigmoid"], loss="bce", seed=0)
    >>> history = net.fit(x, y, epochs=2000, learning_rate=1.0)
    >>> bool((net.predict(x).round() == y).all())
    True
"""

import numpy as np

from dlcourse_keras.numpy_ref import activations as _act
from dlcourse_keras.numpy_ref import losses as _losses

from ..validation import check_bool, check_int, check_number

HIDDEN_ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu")
OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "softmax")
LOSSES = ("mse", "bce", "cce")
KERAS_LOSSES = {"mse": "mean_squared_error", "bce": "binary_crossentropy",
                "cce": "categorical_crossentropy"}
"""Our loss name -> the Keras loss identifier computing the same number."""



def count_parameters(layer_sizes):
    """Number of trainable parameters of a fully connected net: ``sum_k (n_{k-1} + 1) n_k``.

    Args:
        layer_sizes: units per layer, input first, e.g. ``[4, 3, 2, 1]``.

    Example:
        >>> count_parameters([4, 3, 2, 1])  # 20 weights + 6 biases
        26
    """
    sizes = _check_layer_sizes(layer_sizes)
    return int(sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])))


def _check_layer_sizes(layer_sizes):
    if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__iter__"):
        raise ValueError(f"layer_sizes={layer_sizes!r} must be a list of positive integers.")
    layer_sizes = list(layer_sizes)
    if len(layer_sizes) < 2:
        raise ValueError(
            f"layer_sizes={layer_sizes!r} must list at least 2 positive integers (input and output).")
    return [check_int(f"layer_sizes[{i}]", n, low=1) for i, n in enumerate(layer_sizes)]


class MLP:
    """A fully connected network trained by backpropagation and plain gradient descent.

    Forward pass, layer ``k``: ``Z^k = A^{k-1} W^k + b^k`` and ``A^k = g_k(Z^k)`` with ``A^0 = X``.
    Backward pass (chain rule, each ``delta`` computed once and reused, i.e. memoized):
    ``delta^L = dL/dZ^L``; ``dL/dW^k = (A^{k-1})^T delta^k``; ``dL/db^k = sum_rows delta^k``;
    ``delta^{k-1} = (delta^k (W^k)^T) * g'_{k-1}(Z^{k-1})``. For sigmoid + BCE and softmax + CCE
    ``delta^L`` simplifies to ``(A^L - Y) / N``. Update: ``W <- W - lr * dL/dW``.

    Args:
        layer_sizes: units per layer, input first, e.g. ``[2, 4, 1]``.
        activations: one name for every layer, or a list with one name per weight layer.
            Hidden layers: ``"linear"``, ``"sigmoid"``, ``"tanh"``, ``"relu"``; the output layer
            may also be ``"softmax"``. Default ``"sigmoid"``.
        loss: ``"mse"`` (mean squared error), ``"bce"`` (binary cross-entropy, needs a sigmoid
            output) or ``"cce"`` (categorical cross-entropy, needs a softmax output). Default ``"mse"``.
        seed: seed for the Glorot-uniform weight initialization (biases start at 0). Default 0.
        dtype: float dtype of the parameters, default ``"float64"`` (exact gradient checks).

    Example:
        >>> net = MLP([4, 3, 2, 1], "sigmoid", loss="mse", seed=1)
        >>> net.count_params()
        26
        >>> [w.shape for w, b in net.get_weights_pairs()]
        [(4, 3), (3, 2), (2, 1)]
    """

    def __init__(self, layer_sizes, activations="sigmoid", loss="mse", seed=0, dtype="float64"):
        self.layer_sizes = _check_layer_sizes(layer_sizes)
        n_layers = len(self.layer_sizes) - 1
        if isinstance(activations, str):
            activations = [activations] * n_layers
        activations = list(activations)
        if len(activations) != n_layers:
            raise ValueError(f"activations={activations!r} must have one name per weight layer "
                             f"({n_layers} for layer_sizes={self.layer_sizes}).")
        for k, name in enumerate(activations):
            allowed = OUTPUT_ACTIVATIONS if k == n_layers - 1 else HIDDEN_ACTIVATIONS
            if name not in allowed:
                where = "output" if k == n_layers - 1 else f"hidden layer {k + 1}"
                raise ValueError(f"activations[{k}]={name!r} is not allowed for the {where}; "
                                 f"choose one of {allowed}.")
        if loss not in LOSSES:
            raise ValueError(f"loss={loss!r} must be one of {LOSSES}.")
        if loss == "bce" and activations[-1] != "sigmoid":
            raise ValueError(f"loss='bce' needs a 'sigmoid' output, got activations[-1]={activations[-1]!r}.")
        if loss == "cce" and activations[-1] != "softmax":
            raise ValueError(f"loss='cce' needs a 'softmax' output, got activations[-1]={activations[-1]!r}.")
        if activations[-1] == "softmax" and self.layer_sizes[-1] < 2:
            raise ValueError("a 'softmax' output needs at least 2 units, "
                             f"got layer_sizes[-1]={self.layer_sizes[-1]}.")
        self.activations = activations
        self.loss = loss
        self.seed = seed = check_int("seed", seed, low=0, allow_none=True)
        self.dtype = np.dtype(dtype)
        if not np.issubdtype(self.dtype, np.floating):
            raise ValueError(f"dtype={dtype!r} must be a float dtype.")
        rng = np.random.default_rng(seed)
        self.weights, self.biases = [], []
        for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            limit = np.sqrt(6.0 / (n_in + n_out))  # Glorot uniform, as Keras's Dense default
            self.weights.append(rng.uniform(-limit, limit, size=(n_in, n_out)).astype(self.dtype))
            self.biases.append(np.zeros(n_out, dtype=self.dtype))

    # --- parameters ----------------------------------------------------------

    def count_params(self):
        """Number of trainable parameters (weights plus biases)."""
        return count_parameters(self.layer_sizes)

    def get_weights(self):
        """Parameters in Keras order ``[kernel_1, bias_1, kernel_2, ...]``, kernels ``(in, out)``."""
        out = []
        for w, b in zip(self.weights, self.biases):
            out += [w.copy(), b.copy()]
        return out

    def get_weights_pairs(self):
        """Parameters as a list of ``(kernel, bias)`` pairs, one per layer."""
        return [(w.copy(), b.copy()) for w, b in zip(self.weights, self.biases)]

    def set_weights(self, weights):
        """Set parameters from Keras order ``[kernel_1, bias_1, ...]`` (e.g. ``model.get_weights()``)."""
        weights = list(weights)
        if len(weights) != 2 * len(self.weights):
            raise ValueError(f"weights has {len(weights)} arrays; expected {2 * len(self.weights)} "
                             "(kernel and bias per layer).")
        for k in range(len(self.weights)):
            w, b = np.asarray(weights[2 * k]), np.asarray(weights[2 * k + 1])
            if w.shape != self.weights[k].shape or b.shape != self.biases[k].shape:
                raise ValueError(f"layer {k + 1}: got kernel {w.shape} and bias {b.shape}; expected "
                                 f"{self.weights[k].shape} and {self.biases[k].shape}.")
            self.weights[k] = w.astype(self.dtype)
            self.biases[k] = b.astype(self.dtype)

    def to_keras(self, dtype=None):
        """A Keras ``Sequential`` model with the same layers, activations and current weights.

        Args:
            dtype: layer dtype, default this net's dtype.
        """
        import keras

        dtype = str(dtype or self.dtype)
        model = keras.Sequential([keras.Input(shape=(self.layer_sizes[0],), dtype=dtype)] + [
            keras.layers.Dense(n, activation=a, dtype=dtype)
            for n, a in zip(self.layer_sizes[1:], self.activations)])
        model.set_weights(self.get_weights())
        return model

    # --- forward / backward --------------------------------------------------

    def _prepare(self, x, y=None):
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 2 or x.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"x has shape {x.shape}; expected (n_samples, {self.layer_sizes[0]}).")
        if y is None:
            return x, None
        y = np.asarray(y)
        n_out = self.layer_sizes[-1]
        if self.loss == "cce" and y.ndim == 1:  # integer labels -> one-hot (sparse CCE)
            y = np.eye(n_out, dtype=self.dtype)[y.astype(int)]
        y = y.astype(self.dtype)
        if y.ndim == 1 and n_out == 1:
            y = y[:, None]
        if y.shape != (x.shape[0], n_out):
            raise ValueError(f"y has shape {y.shape}; expected ({x.shape[0]}, {n_out}).")
        return x, y

    def forward(self, x):
        """Forward pass; returns the output and the caches ``[(A^{k-1}, Z^k, A^k), ...]``."""
        a, _ = self._prepare(x)
        caches = []
        for w, b, name in zip(self.weights, self.biases, self.activations):
            z = a @ w + b
            a_next = _act.ACTIVATIONS[name][0](z)
            caches.append((a, z, a_next))
            a = a_next
        return a, caches

    def predict(self, x):
        """Network output ``A^L`` for inputs ``x`` of shape ``(n, layer_sizes[0])``."""
        return self.forward(x)[0]

    def loss_value(self, x, y):
        """Mean loss over the batch (the same number Keras's loss of the same name gives)."""
        x, y = self._prepare(x, y)
        return self._loss(self.predict(x), y)

    def _loss(self, a, y):
        if self.loss == "mse":
            return float(np.mean(_losses.squared_error(a - y)))
        if self.loss == "bce":
            return float(np.mean(_losses.binary_crossentropy_terms(y, a)))
        return float(np.mean(_losses.categorical_crossentropy_terms(y, a)))

    def _output_delta(self, a, z, y):
        """``delta^L = dL/dZ^L`` for the mean loss over ``N`` samples."""
        n, m = y.shape
        if self.loss in ("bce", "cce"):  # fused: sigmoid+BCE and softmax+CCE give (A - Y)
            return (a - y) / (n * m if self.loss == "bce" else n)
        grad_a = _losses.squared_error_grad(a - y) / (n * m)  # MSE
        name = self.activations[-1]
        if name == "softmax":
            jac = _act.softmax_prime(z)  # (n, m, m); row vector times Jacobian
            return np.einsum("ni,nij->nj", grad_a, jac)
        return grad_a * self._derivative(name, z)

    @staticmethod
    def _derivative(name, z):
        return _act.ACTIVATIONS[name][1](z)

    def gradients(self, x, y):
        """Backpropagation: loss and ``[(dL/dW^1, dL/db^1), ...]`` for the batch ``(x, y)``."""
        x, y = self._prepare(x, y)
        a, caches = self.forward(x)
        delta = self._output_delta(a, caches[-1][1], y)
        grads = [None] * len(self.weights)
        for k in range(len(self.weights) - 1, -1, -1):
            a_prev = caches[k][0]
            grads[k] = (a_prev.T @ delta, delta.sum(axis=0))
            if k > 0:  # memoized: delta^{k-1} reuses delta^k instead of redoing every path
                delta = (delta @ self.weights[k].T) * self._derivative(self.activations[k - 1], caches[k - 1][1])
        return self._loss(a, y), grads

    # --- training ------------------------------------------------------------

    def fit(self, x, y, epochs=100, learning_rate=0.1, batch_size=None, shuffle=False, seed=None):
        """Train with gradient descent; returns ``{"loss": [...]}`` like ``History.history``.

        Each entry is the mean of the batch losses seen during the epoch (weighted by batch
        size), each measured before its update, which is what Keras reports.

        Args:
            x, y: training data (``y`` may be integer labels when ``loss="cce"``).
            epochs: passes over the data, default 100.
            learning_rate: step size ``eta`` in ``W <- W - eta dL/dW``, default 0.1.
            batch_size: ``None`` (default) for full-batch GD, else mini-batch size.
            shuffle: shuffle before each epoch (mini-batch only), default False.
            seed: seed for shuffling; default None draws it from NumPy's global generator,
                so ``dl.seed_everything`` makes the order reproducible.
        """
        epochs = check_int("epochs", epochs, low=0)
        learning_rate = check_number("learning_rate", learning_rate, low=0, low_open=True)
        batch_size = check_int("batch_size", batch_size, low=1, allow_none=True)
        shuffle = check_bool("shuffle", shuffle)
        seed = check_int("seed", seed, low=0, allow_none=True)
        x, y = self._prepare(x, y)
        n = x.shape[0]
        if batch_size is None:
            batch_size = n
        if shuffle and seed is None:  # follow the course seed (dl.seed_everything seeds NumPy's global state)
            seed = np.random.randint(0, 2**31 - 1)
        rng = np.random.default_rng(seed)
        history = {"loss": []}
        for _ in range(epochs):
            order = rng.permutation(n) if shuffle else np.arange(n)
            losses, sizes = [], []
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                loss, grads = self.gradients(x[idx], y[idx])
                for k, (dw, db) in enumerate(grads):
                    self.weights[k] -= learning_rate * dw
                    self.biases[k] -= learning_rate * db
                losses.append(loss)
                sizes.append(len(idx))
            history["loss"].append(float(np.average(losses, weights=sizes)))
        return history

    def accuracy(self, x, y):
        """Fraction correct: threshold 0.5 for one output unit, arg-max for several."""
        x, y = self._prepare(x, y)
        a = self.predict(x)
        if a.shape[1] == 1:
            return float(np.mean((a >= 0.5) == (y >= 0.5)))
        return float(np.mean(a.argmax(axis=1) == y.argmax(axis=1)))


def gradient_check(model, x, y, epsilon=1e-6, grads=None):
    """Compare backprop gradients with central differences; returns the max relative error.

    Numerical gradient of each parameter ``p``: ``(L(p + eps) - L(p - eps)) / (2 eps)``;
    relative error of each weight or bias array ``||g_num - g_bp|| / (||g_num|| + ||g_bp||)``,
    and the maximum over the arrays is returned. Below ~1e-7 (float64) the backpropagation is
    right; above ~1e-3 something is wrong.

    Args:
        model: an ``MLP`` (use ``dtype="float64"``).
        x, y: a small batch.
        epsilon: finite-difference step, default 1e-6.
        grads: gradients to check, ``[(dW, db), ...]``; default ``model.gradients(x, y)``.
            Pass deliberately broken ones to see the check fail.

    Example:
        >>> import numpy as np
        >>> net = MLP([3, 4, 2], ["tanh", "softmax"], loss="cce", seed=0)
        >>> x = np.random.default_rng(0).normal(size=(5, 3))
        >>> gradient_check(net, x, [0, 1, 1, 0, 1]) < 1e-6
        True
    """
    epsilon = check_number("epsilon", epsilon, low=0, high=1, low_open=True, high_open=True)
    if grads is None:
        _, grads = model.gradients(x, y)
    worst = 0.0
    params = [p for pair in zip(model.weights, model.biases) for p in pair]
    analytic = [g for pair in grads for g in pair]
    for p, g in zip(params, analytic):
        g = np.asarray(g)
        if g.shape != p.shape:
            raise ValueError(f"a gradient has shape {g.shape}; the parameter has shape {p.shape}.")
        num = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + epsilon
            up = model.loss_value(x, y)
            p[idx] = old - epsilon
            down = model.loss_value(x, y)
            p[idx] = old
            num[idx] = (up - down) / (2 * epsilon)
        scale = np.linalg.norm(num) + np.linalg.norm(g)
        if scale > 0:
            worst = max(worst, float(np.linalg.norm(num - g) / scale))
    return worst
