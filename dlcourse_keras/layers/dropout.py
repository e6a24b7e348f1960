"""Inverted dropout written from scratch, equal in behaviour to ``keras.layers.Dropout``."""

import keras

from ..validation import check_int, check_number


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class InvertedDropout(keras.layers.Layer):
    """Zeroes each input with probability ``rate`` in training and rescales the rest.

    Formula (training): ``m ~ Bernoulli(1 - rate)`` per element,
    ``y = x * m / (1 - rate)``, so ``E[y] = x`` and nothing needs changing at
    test time. Inference: ``y = x`` exactly. Each training call samples a new
    mask, i.e. a new "thinned" network out of the ``2^n`` possible ones.

    Args:
        rate: fraction of inputs to drop, in ``[0, 1)``. Default 0.5.
        seed: None or an int for a reproducible sequence of masks. Default None.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: a tensor of any shape.
        training: drop and rescale when True; identity when False. Default False.

    Masks pass through unchanged. Taught in notebook 06; Keras twin:
    ``keras.layers.Dropout``.

    Example:

    >>> layer = InvertedDropout(0.5, seed=1)
    >>> y = layer(keras.ops.ones((2, 4)), training=True)   # entries 0 or 2
    """

    def __init__(self, rate=0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_number("rate", rate, low=0, high=1, high_open=True)
        self.seed = check_int("seed", seed, allow_none=True)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        keep_prob = 1.0 - self.rate
        draws = keras.random.uniform(
            keras.ops.shape(inputs), dtype=inputs.dtype, seed=self.seed_generator
        )
        mask = keras.ops.cast(draws < keep_prob, inputs.dtype)
        return inputs * mask / keep_prob

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
