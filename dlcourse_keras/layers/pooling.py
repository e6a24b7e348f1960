"""Max-pooling over time that honours the mask (Keras's ``GlobalMaxPooling1D`` does not)."""

import keras


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class MaskedGlobalMaxPooling1D(keras.layers.Layer):
    """The maximum of each feature over a sequence's unmasked steps: ``(batch, steps, f) -> (batch, f)``.

    Formula: ``y[b, j] = max over t with mask[b, t] of x[b, t, j]``; a row whose steps are all
    masked gives zeros. Without a mask it equals ``keras.layers.GlobalMaxPooling1D``, which
    ignores masks (it warns and pools the padded steps too: after a masked RNN with
    ``return_sequences=True`` those hold zeros or repeated states, so the result would
    depend on the amount of padding). Its masked twin for the mean is Keras's own
    ``GlobalAveragePooling1D``, which honours the mask. Used in notebook 12 to pool a
    bidirectional LSTM's outputs over time.

    Args:
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: a tensor of shape ``(batch, steps, features)``.
        mask: optional boolean tensor ``(batch, steps)``, True for the steps to keep.

    The output carries no mask.

    Example:

    >>> x = keras.ops.convert_to_tensor([[[1.0], [5.0], [9.0]]])
    >>> mask = keras.ops.convert_to_tensor([[True, True, False]])
    >>> keras.ops.convert_to_numpy(MaskedGlobalMaxPooling1D()(x, mask=mask)).tolist()
    [[5.0]]
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return keras.ops.max(inputs, axis=1)
        keep = keras.ops.expand_dims(keras.ops.cast(mask, "bool"), -1)
        lowest = keras.ops.full_like(inputs, float("-inf"))
        pooled = keras.ops.max(keras.ops.where(keep, inputs, lowest), axis=1)
        return keras.ops.where(keras.ops.any(keep, axis=1), pooled, keras.ops.zeros_like(pooled))

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])
