"""Weight initializers written from the course notes' formulas.

Each initializer is a registered Keras ``Initializer``: it can be passed to
any layer (``Dense(..., kernel_initializer=HeNormal())``) and survives
``model.save`` / ``keras.models.load_model``.

Fans follow Keras: for a ``Dense`` kernel of shape ``(fan_in, fan_out)``;
for a convolution kernel ``(*window, in_channels, out_channels)`` each fan is
multiplied by the window size.

Seeding. ``seed=None`` draws fresh numbers on every call, so two layers that
share one unseeded instance still get different weights (reproducible from
run to run after ``dl.seed_everything``, because the fresh seeds come from
Python's seeded ``random`` module). An integer seed gives the same numbers on
every call, like Keras's own initializers.

The normal initializers default to a plain (untruncated) normal, as in the
notes. Keras's ``GlorotNormal`` / ``HeNormal`` draw from a normal truncated at
two standard deviations whose stddev is divided by 0.87962566 so that the
*result* has the formula's standard deviation; pass
``distribution="truncated_normal"`` to get exactly that behaviour.
"""

import math
import random as _py_random

import keras

from .validation import check_int, check_number

# Standard deviation of a unit normal truncated to [-2, 2]; Keras divides by it.
TRUNCATED_NORMAL_STD = 0.87962566103423978

_DISTRIBUTIONS = ("normal", "truncated_normal")


def compute_fans(shape):
    """Returns ``(fan_in, fan_out)`` for a weight shape, as Keras computes them.

    Args:
        shape: tuple of ints. ``(n,)`` gives ``(n, n)``; ``(a, b)`` gives
            ``(a, b)``; a convolution kernel ``(*window, c_in, c_out)`` gives
            ``(prod(window) * c_in, prod(window) * c_out)``.

    Example:

    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    window = math.prod(shape[:-2])
    return window * shape[-2], window * shape[-1]


def _formula_fans(shape):
    # Like Keras: a zero fan counts as 1 in the formulas, so an empty weight tensor
    # (a layer with no inputs or no units) gets an empty array instead of a division by 0.
    return tuple(max(1, fan) for fan in compute_fans(shape))


class _CourseInitializer(keras.initializers.Initializer):
    """Base class: seed handling and config shared by the course initializers."""

    def __init__(self, seed=None):
        self.seed = check_int("seed", seed, allow_none=True)

    def _next_seed(self):
        # Fresh draw per call when unseeded; a fixed int is reproducible.
        if self.seed is None:
            return _py_random.randint(0, 2**31 - 1)
        return self.seed

    def get_config(self):
        return {"seed": self.seed}


class _NormalFormula(_CourseInitializer):
    """Zero-mean normal whose standard deviation comes from :meth:`stddev`."""

    def __init__(self, distribution="normal", seed=None):
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"distribution={distribution!r} must be one of {_DISTRIBUTIONS}."
            )
        self.distribution = distribution
        super().__init__(seed=seed)

    def stddev(self, fan_in, fan_out):
        raise NotImplementedError

    def __call__(self, shape, dtype=None):
        std = self.stddev(*_formula_fans(shape))
        seed = self._next_seed()
        if self.distribution == "normal":
            return keras.random.normal(shape, stddev=std, dtype=dtype, seed=seed)
        return keras.random.truncated_normal(
            shape, stddev=std / TRUNCATED_NORMAL_STD, dtype=dtype, seed=seed
        )

    def get_config(self):
        return {"distribution": self.distribution, **super().get_config()}


class _UniformFormula(_CourseInitializer):
    """Uniform on ``[-limit, limit]`` with the limit from :meth:`limit`."""

    def limit(self, fan_in, fan_out):
        raise NotImplementedError

    def __call__(self, shape, dtype=None):
        lim = self.limit(*_formula_fans(shape))
        return keras.random.uniform(
            shape, minval=-lim, maxval=lim, dtype=dtype, seed=self._next_seed()
        )


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class ScaledNormal(_CourseInitializer):
    """Standard normal numbers times a fixed scale: the notes' ``randn(...) * 0.01``.

    Formula: ``W ~ scale * N(0, 1)``, the same for every layer size, which is
    why a small scale makes activations vanish and a large one saturates them.

    Args:
        scale: positive float, the standard deviation. Default 0.01.
        seed: None (fresh numbers per call) or an int. Default None.

    Example:

    >>> init = ScaledNormal(scale=0.01)
    >>> layer = keras.layers.Dense(4, kernel_initializer=init)
    """

    def __init__(self, scale=0.01, seed=None):
        self.scale = check_number("scale", scale, low=0, low_open=True)
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return keras.random.normal(
            shape, stddev=self.scale, dtype=dtype, seed=self._next_seed()
        )

    def get_config(self):
        return {"scale": self.scale, **super().get_config()}


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class UniformFanIn(_UniformFormula):
    """Uniform on ``[-1/sqrt(fan_in), +1/sqrt(fan_in)]``, the notes' first heuristic.

    Formula: ``W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))``; its standard
    deviation is ``1/sqrt(3 * fan_in)``. Keras equivalent:
    ``VarianceScaling(scale=1/3, mode="fan_in", distribution="uniform")``.

    Args:
        seed: None (fresh numbers per call) or an int. Default None.

    Example:

    >>> layer = keras.layers.Dense(4, kernel_initializer=UniformFanIn(seed=0))
    """

    def limit(self, fan_in, fan_out):
        return 1.0 / math.sqrt(fan_in)


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class XavierUniform(_UniformFormula):
    """Xavier/Glorot uniform: ``U(-limit, limit)``, ``limit = sqrt(6 / (fan_in + fan_out))``.

    Suited to tanh and sigmoid layers. Same distribution as
    ``keras.initializers.GlorotUniform``.

    Args:
        seed: None (fresh numbers per call) or an int. Default None.

    Example:

    >>> layer = keras.layers.Dense(4, activation="tanh",
    ...                            kernel_initializer=XavierUniform(seed=0))
    """

    def limit(self, fan_in, fan_out):
        return math.sqrt(6.0 / (fan_in + fan_out))


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class HeUniform(_UniformFormula):
    """He uniform: ``U(-limit, limit)``, ``limit = sqrt(6 / fan_in)``.

    Suited to ReLU layers. Same distribution as ``keras.initializers.HeUniform``.

    Args:
        seed: None (fresh numbers per call) or an int. Default None.

    Example:

    >>> layer = keras.layers.Dense(4, activation="relu",
    ...                            kernel_initializer=HeUniform(seed=0))
    """

    def limit(self, fan_in, fan_out):
        return math.sqrt(6.0 / fan_in)


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class XavierNormal(_NormalFormula):
    """Xavier/Glorot normal: ``W ~ N(0, sigma)``, ``sigma = sqrt(2 / (fan_in + fan_out))``.

    Suited to tanh and sigmoid layers. With ``distribution="truncated_normal"``
    it equals ``keras.initializers.GlorotNormal`` in distribution (a normal
    cut at two of its standard deviations, rescaled so the result still has
    standard deviation ``sigma``).

    Args:
        distribution: ``"normal"`` (the notes; default) or ``"truncated_normal"`` (Keras).
        seed: None (fresh numbers per call) or an int. Default None.

    Example:

    >>> layer = keras.layers.Dense(4, activation="tanh",
    ...                            kernel_initializer=XavierNormal(seed=0))
    """

    def stddev(self, fan_in, fan_out):
        return math.sqrt(2.0 / (fan_in + fan_out))


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class HeNormal(_NormalFormula):
    """He normal: ``W ~ N(0, sigma)``, ``sigma = sqrt(2 / fan_in)``.

    Suited to ReLU layers. With ``distribution="truncated_normal"`` it equals
    ``keras.initializers.HeNormal`` in distribution.

    Args:
        distribution: ``"normal"`` (the notes; default) or ``"truncated_normal"`` (Keras).
        seed: None (fresh numbers per call) or an int. Default None.

    Example:

    >>> layer = keras.layers.Dense(4, activation="relu",
    ...                            kernel_initializer=HeNormal(seed=0))
    """

    def stddev(self, fan_in, fan_out):
        return math.sqrt(2.0 / fan_in)


def formula_std(initializer, shape):
    """The standard deviation an initializer's formula gives for ``shape``.

    Uniform on ``[-a, a]`` has standard deviation ``a / sqrt(3)``.

    Args:
        initializer: one of this module's initializers.
        shape: weight shape.

    Example:

    >>> round(formula_std(HeNormal(), (200, 100)), 4)
    0.1
    """
    fans = _formula_fans(shape)
    if isinstance(initializer, _NormalFormula):
        return initializer.stddev(*fans)
    if isinstance(initializer, _UniformFormula):
        return initializer.limit(*fans) / math.sqrt(3.0)
    if isinstance(initializer, ScaledNormal):
        return initializer.scale
    raise TypeError(
        f"initializer={initializer!r} must be one of the dlcourse_keras initializers."
    )
