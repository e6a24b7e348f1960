"""Batch normalization written from the notes' formulas, equal to ``keras.layers.BatchNormalization``."""

import keras
from keras import ops

from ..validation import check_bool, check_int, check_number


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class TeachingBatchNorm(keras.layers.Layer):
    """Normalizes each feature with the mini-batch's mean and variance, then scales and shifts.

    Formulas (training), over the ``m`` examples of a batch and every axis
    except ``axis``::

        mu_B      = (1/m) sum_i x_i
        sigma_B^2 = (1/m) sum_i (x_i - mu_B)^2          (biased variance)
        x_hat     = (x - mu_B) / sqrt(sigma_B^2 + epsilon)
        y         = gamma * x_hat + beta                  (gamma, beta learned)
        moving_mean = momentum * moving_mean + (1 - momentum) * mu_B
        moving_var  = momentum * moving_var  + (1 - momentum) * sigma_B^2

    Inference uses ``moving_mean`` and ``moving_var`` in place of the batch
    statistics, so a prediction does not depend on the other examples.

    Masks (padded sequences, notebook 12): entries whose mask is False are left out of
    ``mu_B`` and ``sigma_B^2`` (the sums above run over kept entries only, ``m`` counts
    them); the mask passes through unchanged. Under ``float16`` policies the statistics
    are computed in float32, as Keras does, and the output is cast back.

    Taught in notebook 06; Keras twin: ``keras.layers.BatchNormalization``.
    The notes write ``(x - mu_B) / (sigma_B + delta)``; like Keras we put
    epsilon inside the square root.

    Args:
        axis: the feature axis, normalized separately. Default -1.
        momentum: weight of the old moving statistics, in ``[0, 1)``. Default 0.99.
        epsilon: positive constant added to the variance. Default 1e-3.
        center: learn ``beta``. Default True.
        scale: learn ``gamma``. Default True.
        **kwargs: base ``Layer`` arguments.

    Call arguments:
        inputs: a tensor whose ``axis`` dimension is known.
        training: batch statistics (and moving-average updates) when True, the moving
            statistics when False. Default False.
        mask: optional boolean tensor of the inputs' shape without the feature axis;
            False entries do not count in the batch statistics. Default None.

    Example:

    >>> bn = TeachingBatchNorm()
    >>> y = bn(keras.random.normal((32, 8)), training=True)
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, **kwargs):
        super().__init__(**kwargs)
        self.axis = check_int("axis", axis)
        self.momentum = check_number("momentum", momentum, low=0, high=1, high_open=True)
        self.epsilon = check_number("epsilon", epsilon, low=0, low_open=True)
        self.center = check_bool("center", center)
        self.scale = check_bool("scale", scale)
        self.supports_masking = True

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(f"axis={self.axis!r} is out of range for inputs of rank {rank}.")
        self._feature_axis = self.axis % rank
        features = input_shape[self._feature_axis]
        if features is None:
            raise ValueError(f"the feature axis {self.axis} of input_shape={input_shape} must be known.")
        self._reduction_axes = [i for i in range(rank) if i != self._feature_axis]
        shape = (features,)
        self.gamma = self.add_weight(shape=shape, initializer="ones", name="gamma",
                                     trainable=True) if self.scale else None
        self.beta = self.add_weight(shape=shape, initializer="zeros", name="beta",
                                    trainable=True) if self.center else None
        self.moving_mean = self.add_weight(shape=shape, initializer="zeros",
                                           name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight(shape=shape, initializer="ones",
                                               name="moving_variance", trainable=False)

    def _broadcast(self, v, rank):
        shape = [1] * rank
        shape[self._feature_axis] = -1
        return ops.reshape(v, shape)

    def _moments(self, x, mask):
        """Batch mean and (biased) variance over the reduction axes; masked entries left out."""
        if mask is None:
            mu_b = ops.mean(x, axis=self._reduction_axes)
            var_b = ops.mean(ops.square(x - self._broadcast(mu_b, len(x.shape))),
                             axis=self._reduction_axes)
            return mu_b, var_b
        rank = len(x.shape)
        if len(mask.shape) != rank - 1:
            raise ValueError(f"mask of shape {tuple(mask.shape)} must have one axis fewer than "
                             f"the inputs of shape {tuple(x.shape)} (no feature axis).")
        weight = ops.cast(ops.expand_dims(mask, self._feature_axis), x.dtype)
        weight = ops.broadcast_to(weight, ops.shape(x))
        count = ops.sum(weight, axis=self._reduction_axes)
        mu_b = ops.divide_no_nan(ops.sum(x * weight, axis=self._reduction_axes), count)
        centred = (x - self._broadcast(mu_b, rank)) * weight
        var_b = ops.divide_no_nan(ops.sum(ops.square(centred), axis=self._reduction_axes), count)
        return mu_b, var_b

    def call(self, inputs, training=False, mask=None):
        rank = len(inputs.shape)
        # Statistics in float32 even under float16 policies, as Keras does: the squares
        # of inputs around 300 already overflow float16's largest value (65504).
        x = ops.cast(inputs, "float32") if "float16" in str(inputs.dtype) else inputs
        # Explicit casts: under mixed_float16 a bare variable would be read as float16.
        moving_mean = ops.cast(self.moving_mean, x.dtype)
        moving_var = ops.cast(self.moving_variance, x.dtype)
        if training and self.trainable:
            mu_b, var_b = self._moments(x, mask)
            m = self.momentum
            self.moving_mean.assign(moving_mean * m + mu_b * (1 - m))
            self.moving_variance.assign(moving_var * m + var_b * (1 - m))
        else:
            mu_b, var_b = moving_mean, moving_var
        x_hat = (x - self._broadcast(mu_b, rank)) / ops.sqrt(self._broadcast(var_b, rank) + self.epsilon)
        y = x_hat
        if self.scale:
            y = y * self._broadcast(ops.cast(self.gamma, x.dtype), rank)
        if self.center:
            y = y + self._broadcast(ops.cast(self.beta, x.dtype), rank)
        return ops.cast(y, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
        }
