"""Additive (Bahdanau) attention with its learned projections."""

import math

import keras

from ..validation import check_int


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class BahdanauAttention(keras.layers.Layer):
    """Additive attention: scores each key against a query with a one-hidden-layer net.

    Formula (Bahdanau, Cho and Bengio 2015, "Neural Machine Translation by Jointly
    Learning to Align and Translate"), for query ``s_i`` (a decoder state) and keys
    ``h_j`` (the encoder's outputs, which are also the values)::

        e_ij = v^T tanh(W_q s_i + W_k h_j)
        a_ij = exp(e_ij) / sum_j' exp(e_ij')      (padded positions j excluded)
        c_i  = sum_j a_ij h_j

    ``W_q``, ``W_k`` (no bias) and ``v`` are learned. The weights ``a_ij`` are the
    alignment that notebook 13 draws as a heat map. The Keras twin is
    ``keras.layers.AdditiveAttention`` (which has no projections of its own: it equals
    this layer when fed ``Dense(units, use_bias=False)`` projections of query and key,
    with ``v`` as its ``scale``). Taught in notebook 13 (translation).

    Softmax runs in float32 under mixed precision; outputs are cast back.

    Args:
        units: size of the hidden layer of the scoring net (columns of ``W_q``, ``W_k``),
            an int >= 1. Default 128.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: ``[query, keys]``: query ``(batch, Tq, dq)`` and keys/values
            ``(batch, Tv, dv)``.
        mask: None or ``[query_mask, keys_mask]`` (booleans ``(batch, Tq)`` and
            ``(batch, Tv)``, either may be None). Keys with a False mask get weight 0;
            the query mask is passed on to the context.

    Returns:
        ``(context, weights)``: ``(batch, Tq, dv)`` and ``(batch, Tq, Tv)``.

    Example:

    >>> attention = BahdanauAttention(16)
    >>> context, weights = attention([keras.ops.ones((2, 3, 8)), keras.ops.ones((2, 5, 8))])
    >>> tuple(weights.shape)
    (2, 3, 5)
    """

    def __init__(self, units=128, **kwargs):
        super().__init__(**kwargs)
        self.units = check_int("units", units, low=1)
        self.supports_masking = True

    def build(self, input_shape):
        query_shape, keys_shape = input_shape
        self.query_kernel = self.add_weight(
            name="query_kernel", shape=(query_shape[-1], self.units), initializer="glorot_uniform")
        self.key_kernel = self.add_weight(
            name="key_kernel", shape=(keys_shape[-1], self.units), initializer="glorot_uniform")
        limit = math.sqrt(3.0 / self.units)
        self.score_vector = self.add_weight(
            name="score_vector", shape=(self.units,),
            initializer=keras.initializers.RandomUniform(-limit, limit))

    def scores(self, query, keys):
        """Raw scores ``e_ij``, shape ``(batch, Tq, Tv)`` (before masking and softmax)."""
        q = keras.ops.matmul(query, self.query_kernel)[:, :, None, :]   # (B, Tq, 1, u)
        k = keras.ops.matmul(keys, self.key_kernel)[:, None, :, :]      # (B, 1, Tv, u)
        return keras.ops.sum(keras.ops.tanh(q + k) * self.score_vector, axis=-1)

    def call(self, inputs, mask=None):
        query, keys = inputs
        scores = keras.ops.cast(self.scores(query, keys), "float32")
        keys_mask = None if mask is None else mask[1]
        if keys_mask is not None:
            keep = keras.ops.cast(keys_mask, "bool")[:, None, :]
            scores = keras.ops.where(keep, scores, keras.ops.full_like(scores, -1e9))
        weights = keras.ops.softmax(scores, axis=-1)
        if keys_mask is not None:  # rows with no key at all give zeros, not a uniform guess
            weights = weights * keras.ops.cast(keep, "float32")
        weights = keras.ops.cast(weights, self.compute_dtype)
        context = keras.ops.matmul(weights, keras.ops.cast(keys, self.compute_dtype))
        return context, weights

    def compute_mask(self, inputs, mask=None):
        query_mask = None if mask is None else mask[0]
        return [query_mask, None]

    def compute_output_shape(self, input_shape):
        query_shape, keys_shape = input_shape
        return ((query_shape[0], query_shape[1], keys_shape[-1]),
                (query_shape[0], query_shape[1], keys_shape[1]))

    def get_config(self):
        return {**super().get_config(), "units": self.units}
