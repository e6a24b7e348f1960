"""Batch normalization written from the notes' formulas, equal to ``keras.layers.BatchNormalization``."""

import keras
from keras import ops


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
    The notes write ``(x - mu_B) / (sigma_B + delta)``; like Keras we put
    epsilon inside the square root.

    Args:
        axis: the feature axis, normalized separately. Default -1.
        momentum: weight of the old moving statistics, in ``[0, 1)``. Default 0.99.
        epsilon: positive constant added to the variance. Default 1e-3.
        center: learn ``beta``. Default True.
        scale: learn ``gamma``. Default True.
        **kwargs: base ``Layer`` arguments.

    Example:

    >>> bn = TeachingBatchNorm()
    >>> y = bn(keras.random.normal((32, 8)), training=True)
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"axis={axis!r} must be an int.")
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
            raise ValueError(f"momentum={momentum!r} must be a number in [0, 1).")
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or epsilon <= 0:
            raise ValueError(f"epsilon={epsilon!r} must be a positive number.")
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
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

    def call(self, inputs, training=False):
        rank = len(inputs.shape)
        if training and self.trainable:
            mu_b = ops.mean(inputs, axis=self._reduction_axes)
            var_b = ops.mean(
                ops.square(inputs - self._broadcast(mu_b, rank)), axis=self._reduction_axes
            )
            m = self.momentum
            self.moving_mean.assign(self.moving_mean * m + ops.cast(mu_b, self.moving_mean.dtype) * (1 - m))
            self.moving_variance.assign(
                self.moving_variance * m + ops.cast(var_b, self.moving_variance.dtype) * (1 - m)
            )
        else:
            mu_b = ops.cast(self.moving_mean, inputs.dtype)
            var_b = ops.cast(self.moving_variance, inputs.dtype)
        x_hat = (inputs - self._broadcast(mu_b, rank)) / ops.sqrt(self._broadcast(var_b, rank) + self.epsilon)
        y = x_hat
        if self.scale:
            y = y * self._broadcast(ops.cast(self.gamma, inputs.dtype), rank)
        if self.center:
            y = y + self._broadcast(ops.cast(self.beta, inputs.dtype), rank)
        return y

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
