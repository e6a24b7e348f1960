"""One call that makes a run repeatable."""

import os
import random

import numpy as np

from .validation import check_bool, check_int


MAX_SEED = 2**32 - 1
"""The largest seed NumPy's legacy ``np.random.seed`` (used by ``keras.utils.set_random_seed``) takes."""


def _reset_keras_global_seed_generator():
    """Drops Keras's global SeedGenerator so unseeded ``keras.random`` calls restart from the seed.

    Newer Keras (3.15, the course's environment) does this inside ``keras.utils.set_random_seed``; Keras 3.10 (the oldest
    version this package supports) does not, and there the same seed would give different
    ``keras.random.normal(...)`` numbers on a second call. Keras has no public API for it, so
    this touches its global state under the attribute name both versions use; if that
    internal moves, nothing happens (and newer Keras already resets it).
    """
    try:
        from keras.src.backend.common import global_state
    except ImportError:  # pragma: no cover - internal layout changed; newer Keras resets it itself
        return
    global_state.set_global_attribute("global_seed_generator", None)


def seed_everything(seed=42, deterministic_ops=True):
    """Seeds Python, NumPy, Keras and TensorFlow from one integer.

    Args:
        seed: an integer in ``[0, 2**32 - 1]`` (NumPy's seed range). Default 42.
        deterministic_ops: if True (default), also asks TensorFlow for
            deterministic kernels, so the same seed gives the same numbers
            on CPU run after run.

    Returns:
        The seed, for logging.

    Raises:
        ValueError: if ``seed`` is not an integer in ``[0, 2**32 - 1]``.

    Example:

    >>> seed_everything(0)
    0
    """
    # NumPy (np.random.seed, and Keras's set_random_seed through it) takes 32-bit seeds only
    seed = check_int("seed", seed, low=0, high=MAX_SEED)
    deterministic_ops = check_bool("deterministic_ops", deterministic_ops)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    import keras

    keras.utils.set_random_seed(seed)  # seeds python, numpy and the backend
    _reset_keras_global_seed_generator()
    if deterministic_ops and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return seed
