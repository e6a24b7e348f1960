"""One call that makes a run repeatable."""

import os
import random

import numpy as np

from .validation import check_int


def seed_everything(seed=42, deterministic_ops=True):
    """Seeds Python, NumPy, Keras and TensorFlow from one integer.

    Args:
        seed: non-negative integer. Default 42.
        deterministic_ops: if True (default), also asks TensorFlow for
            deterministic kernels, so the same seed gives the same numbers
            on CPU run after run.

    Returns:
        The seed, for logging.
    """
    seed = check_int("seed", seed, low=0)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    import keras

    keras.utils.set_random_seed(seed)  # seeds python, numpy and the backend
    if deterministic_ops and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return seed
