"""NumPy optimizers: the course notes' update rules, written to equal Keras step for step.

Each class has ``step(params, grads)`` which updates a list of NumPy arrays in place
(and returns it). State (velocities, accumulators) is created on the first step.

Where Keras writes a rule differently from the notes, the class follows Keras (so the
two can be compared to 1e-6) and its docstring says what differs:

- Nesterov: the notes evaluate the gradient at the look-ahead point ``w - beta v``;
  Keras (and this class) keep the look-ahead point itself as the variable, which gives
  the algebraically equivalent ``v = beta v - lr g; w += beta v - lr g``.
- AdaGrad: Keras starts the accumulator at ``initial_accumulator_value=0.1`` (notes: 0)
  and puts epsilon inside the square root.
- RMSprop / Adadelta: epsilon inside the square root (``sqrt(v + eps)``).
- Adam: Keras folds both bias corrections into the step size,
  ``lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t)``, and adds epsilon to ``sqrt(v)``
  (not to ``sqrt(v_hat)``), i.e. its epsilon is "epsilon-hat" of the Adam paper.
  Keras's defaults are beta_2=0.999, epsilon=1e-7; the notes use beta_2=0.99.
"""

import numpy as np

from ..validation import check_bool, check_int, check_number


class NumpyOptimizer:
    """Base class: keeps per-parameter state and checks ``step``'s arguments.

    Args:
        learning_rate: step size ``eta`` (> 0).
    """

    def __init__(self, learning_rate):
        check_number("learning_rate", learning_rate, low=0, low_open=True)
        self.learning_rate = float(learning_rate)
        self.iterations = 0
        self._state = None

    def _slots(self, params):
        """Per-parameter state arrays; subclasses list their names in ``slot_names``."""
        return {}

    def step(self, params, grads):
        """Apply one update to ``params`` (list of float arrays, changed in place)."""
        single = isinstance(params, np.ndarray)
        if single:
            params, grads = [params], [grads]
        if len(params) != len(grads):
            raise ValueError(
                f"params and grads must have the same length; got {len(params)} and {len(grads)}.")
        for p, g in zip(params, grads):
            if np.shape(p) != np.shape(g):
                raise ValueError(f"param shape {np.shape(p)} != grad shape {np.shape(g)}.")
        if self._state is None:
            self._state = [self._init_state(p) for p in params]
        for i, (p, g) in enumerate(zip(params, grads)):
            p += self._update(np.asarray(g, dtype=p.dtype), self._state[i])
        self.iterations += 1
        return params[0] if single else params

    def _init_state(self, p):
        return {}

    def _update(self, g, state):
        raise NotImplementedError


class SGD(NumpyOptimizer):
    """Plain SGD, momentum, or Nesterov accelerated gradient (NAG).

    Notes' rules: SGD ``w <- w - eta g``; momentum ``v_t = beta v_{t-1} + eta g_t``,
    ``w <- w - v_t`` (Keras stores ``m = -v``: ``m = beta m - eta g; w += m``);
    NAG: gradient at the look-ahead ``w - beta v``. Like Keras, the Nesterov variant
    here tracks the look-ahead point, giving ``m = beta m - eta g; w += beta m - eta g``.

    Args:
        learning_rate: ``eta``; default 0.01 (Keras's default).
        momentum: ``beta`` in [0, 1); default 0.0 (plain SGD). The notes use 0.9.
        nesterov: use NAG; default False.

    Example:
        >>> w = np.array([1.0]); SGD(0.1).step(w, np.array([2.0])).tolist()
        [0.8]
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate)
        check_number("momentum", momentum, low=0, high=1, high_open=True)
        self.momentum = float(momentum)
        self.nesterov = check_bool("nesterov", nesterov)

    def _init_state(self, p):
        return {"m": np.zeros_like(p)}

    def _update(self, g, s):
        if self.momentum == 0:
            return -self.learning_rate * g
        s["m"] = self.momentum * s["m"] - self.learning_rate * g
        if self.nesterov:
            return self.momentum * s["m"] - self.learning_rate * g
        return s["m"]


class Momentum(SGD):
    """SGD with momentum (``nesterov=False``); see :class:`SGD`.

    Args:
        learning_rate: default 0.01.  momentum: default 0.9 (the notes' value).

    Example:
        >>> opt = Momentum(0.1, 0.9)
    """

    def __init__(self, learning_rate=0.01, momentum=0.9):
        super().__init__(learning_rate, momentum, nesterov=False)


class Nesterov(SGD):
    """Nesterov accelerated gradient (Keras form); see :class:`SGD`.

    Args:
        learning_rate: default 0.01.  momentum: default 0.9.

    Example:
        >>> opt = Nesterov(0.1, 0.9)
    """

    def __init__(self, learning_rate=0.01, momentum=0.9):
        super().__init__(learning_rate, momentum, nesterov=True)


class Adagrad(NumpyOptimizer):
    """AdaGrad: each weight's step shrinks with its summed squared gradients.

    Notes: ``alpha_t = sum g_i^2``, ``w <- w - c / sqrt(alpha + eps) * g`` with alpha
    starting at 0. Keras (followed here): ``a <- a + g^2`` starting at
    ``initial_accumulator_value`` (0.1), ``w <- w - lr g / sqrt(a + eps)``.

    Args:
        learning_rate: default 0.001.
        initial_accumulator_value: start of ``a``; default 0.1 (Keras). Use 0 for the notes.
        epsilon: default 1e-7.

    Example:
        >>> opt = Adagrad(0.1)
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
        super().__init__(learning_rate)
        check_number("initial_accumulator_value", initial_accumulator_value, low=0)
        check_number("epsilon", epsilon, low=0, low_open=True)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)

    def _init_state(self, p):
        return {"a": np.full_like(p, self.initial_accumulator_value)}

    def _update(self, g, s):
        s["a"] = s["a"] + g * g
        return -self.learning_rate * g / np.sqrt(s["a"] + self.epsilon)


class RMSprop(NumpyOptimizer):
    """RMSprop: AdaGrad with an EWMA of squared gradients instead of a sum.

    Rule (Keras, epsilon inside the root): ``v <- rho v + (1 - rho) g^2``,
    ``w <- w - lr g / sqrt(v + eps)``. The notes' Adadelta line
    ``alpha_t = (1 - gamma) g^2 + gamma alpha_{t-1}`` is this accumulator.

    Args:
        learning_rate: default 0.001.  rho: default 0.9.  epsilon: default 1e-7.

    Example:
        >>> opt = RMSprop(0.01)
    """

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        super().__init__(learning_rate)
        check_number("rho", rho, low=0, high=1, high_open=True)
        check_number("epsilon", epsilon, low=0, low_open=True)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def _init_state(self, p):
        return {"v": np.zeros_like(p)}

    def _update(self, g, s):
        s["v"] = self.rho * s["v"] + (1 - self.rho) * g * g
        return -self.learning_rate * g / np.sqrt(s["v"] + self.epsilon)


class Adadelta(NumpyOptimizer):
    """Adadelta: RMSprop whose step is rescaled by an EWMA of past squared steps.

    The notes describe Adadelta by its gradient accumulator (gamma 0.95). Full rule
    (Keras): ``a <- rho a + (1 - rho) g^2``;
    ``d = -sqrt(u + eps) / sqrt(a + eps) * g``; ``u <- rho u + (1 - rho) d^2``;
    ``w <- w + lr d``.

    Args:
        learning_rate: default 0.001 (Keras; the original paper uses 1.0).
        rho: default 0.95.  epsilon: default 1e-7.

    Example:
        >>> opt = Adadelta(1.0)
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7):
        super().__init__(learning_rate)
        check_number("rho", rho, low=0, high=1, high_open=True)
        check_number("epsilon", epsilon, low=0, low_open=True)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def _init_state(self, p):
        return {"a": np.zeros_like(p), "u": np.zeros_like(p)}

    def _update(self, g, s):
        s["a"] = self.rho * s["a"] + (1 - self.rho) * g * g
        d = -np.sqrt(s["u"] + self.epsilon) / np.sqrt(s["a"] + self.epsilon) * g
        s["u"] = self.rho * s["u"] + (1 - self.rho) * d * d
        return self.learning_rate * d


class Adam(NumpyOptimizer):
    """Adam: momentum (first moment) plus RMSprop (second moment), bias-corrected.

    Notes: ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g^2``;
    ``m_hat = m / (1 - b1^t)``; ``v_hat = v / (1 - b2^t)``;
    ``w <- w - lr m_hat / (sqrt(v_hat) + eps)``. Keras (followed here) computes
    ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)`` and ``w <- w - lr_t m / (sqrt(v) + eps)``:
    identical except that epsilon is not scaled by ``sqrt(1 - b2^t)``.

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.  beta_2: default 0.99 (the notes; Keras's default is 0.999).
        epsilon: default 1e-7 (Keras).

    Example:
        >>> opt = Adam(0.01)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, epsilon=1e-7):
        super().__init__(learning_rate)
        check_number("beta_1", beta_1, low=0, high=1, high_open=True)
        check_number("beta_2", beta_2, low=0, high=1, high_open=True)
        check_number("epsilon", epsilon, low=0, low_open=True)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _init_state(self, p):
        return {"m": np.zeros_like(p), "v": np.zeros_like(p)}

    def _update(self, g, s):
        t = self.iterations + 1
        s["m"] = s["m"] + (g - s["m"]) * (1 - self.beta_1)
        s["v"] = s["v"] + (g * g - s["v"]) * (1 - self.beta_2)
        lr_t = self.learning_rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        return -lr_t * s["m"] / (np.sqrt(s["v"]) + self.epsilon)


def clip_by_norm(g, threshold):
    """Rescale ``g`` so its L2 norm is at most ``threshold``.

    Notes: ``G_new = G * threshold / ||G||`` when ``||G|| > threshold``; otherwise ``G``
    is unchanged. Same as ``tf.clip_by_norm`` and Keras's per-variable ``clipnorm``.

    Args:
        g: gradient array.
        threshold: maximum norm (> 0).

    Example:
        >>> clip_by_norm(np.array([3.0, 4.0]), 1.0).tolist()
        [0.6000000000000001, 0.8]
    """
    threshold = check_number("threshold", threshold, low=0, low_open=True)
    g = np.asarray(g, dtype=np.float64)
    norm = np.sqrt(np.sum(g * g))
    return g * (threshold / norm) if norm > threshold else g.copy()


def clip_by_global_norm(grads, threshold):
    """Rescale a list of arrays together so their joint L2 norm is at most ``threshold``.

    Same as Keras's ``global_clipnorm``: every array is multiplied by
    ``threshold / max(global_norm, threshold)``.

    Args:
        grads: list of arrays.
        threshold: maximum global norm (> 0).

    Example:
        >>> [a.tolist() for a in clip_by_global_norm([np.array([3.0]), np.array([4.0])], 1.0)]
        [[0.6000000000000001], [0.8]]
    """
    threshold = check_number("threshold", threshold, low=0, low_open=True)
    grads = [np.asarray(g, dtype=np.float64) for g in grads]
    norm = np.sqrt(sum(np.sum(g * g) for g in grads))
    scale = threshold / max(norm, threshold)
    return [g * scale for g in grads]


def run_trajectory(optimizer, grad_fn, start, steps):
    """Run ``optimizer`` on a function of one parameter vector; return the path.

    Args:
        optimizer: a :class:`NumpyOptimizer`.
        grad_fn: ``grad_fn(w) -> gradient`` with the shape of ``w``.
        start: starting point, e.g. ``(-1.5, 1.0)``.
        steps: number of updates (>= 1).

    Returns:
        array of shape ``(steps + 1, len(start))``, first row ``start``.

    Example:
        >>> path = run_trajectory(SGD(0.1), lambda w: 2 * w, (1.0, 1.0), 10)
    """
    steps = check_int("steps", steps, low=1)
    w = np.array(start, dtype=np.float64)
    path = [w.copy()]
    for _ in range(steps):
        optimizer.step([w], [np.asarray(grad_fn(w), dtype=np.float64)])
        path.append(w.copy())
    return np.array(path)
