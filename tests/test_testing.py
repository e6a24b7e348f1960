"""The layer contract helper passes good layers and catches each kind of broken one."""

import keras
import numpy as np
import pytest
from keras import ops

from dlcourse_keras.testing import run_layer_test


@keras.saving.register_keras_serializable(package="dlcourse_keras_tests")
class _Scale(keras.layers.Layer):
    """A correct layer: ``y = x * w`` with one weight per feature."""

    def __init__(self, init=1.0, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],),
                                 initializer=keras.initializers.Constant(self.init))

    def call(self, inputs):
        return inputs * ops.cast(self.w, inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "init": self.init}


class _Unregistered(_Scale):
    pass


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class _ForgetsConfig(_Scale):
    def get_config(self):
        config = super().get_config()
        config.pop("init")
        return config


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class _GoodScale(_Scale):
    pass


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class _HalfPrecisionSquares(_GoodScale):
    """Sums squares in the compute dtype: overflows float16 for inputs near 300."""

    def call(self, inputs):
        mean_square = ops.mean(ops.square(inputs * 300.0), axis=-1, keepdims=True)
        return ops.sqrt(mean_square) / 300.0 * ops.cast(self.w, inputs.dtype)


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class _LeakyMask(_GoodScale):
    """Claims masking but lets padded steps into a mean over time."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        return (inputs - ops.mean(inputs, axis=1, keepdims=True)) * ops.cast(self.w, inputs.dtype)


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class _MaskedMean(_LeakyMask):
    """Subtracts the mean over the kept time steps only."""

    def call(self, inputs, mask=None):
        scale = ops.cast(self.w, inputs.dtype)
        if mask is None:
            return (inputs - ops.mean(inputs, axis=1, keepdims=True)) * scale
        w = ops.cast(ops.expand_dims(mask, -1), inputs.dtype)
        mean = ops.sum(inputs * w, axis=1, keepdims=True) / ops.maximum(
            ops.sum(w, axis=1, keepdims=True), 1.0)
        return (inputs - mean) * scale


def test_good_layer_passes_and_is_returned():
    layer = run_layer_test(_GoodScale, {"init": 2.0}, input_shape=(3, 4),
                           expected_output_shape=(3, 4), expected_num_trainable_weights=1,
                           expected_num_non_trainable_weights=0)
    assert isinstance(layer, _GoodScale) and layer.built


def test_masking_layer_that_ignores_padding_passes():
    run_layer_test(_MaskedMean, input_shape=(2, 5, 3), supports_masking=True,
                   expected_output_shape=(2, 5, 3))


@pytest.mark.parametrize("cls, kwargs, message", [
    (_Unregistered, {}, "not registered"),
    (_ForgetsConfig, {}, "lacks the argument 'init'"),
    (_GoodScale, {"expected_output_shape": (3, 5)}, "output shapes"),
    (_GoodScale, {"expected_num_trainable_weights": 2}, "trainable weights"),
    (_GoodScale, {"supports_masking": True}, "supports_masking"),
    (_HalfPrecisionSquares, {}, "non-finite|mixed_float16 differs"),
    (_LeakyMask, {"supports_masking": True, "input_shape": (2, 5, 3)}, "masked entries changed"),
])
def test_broken_layers_are_caught(cls, kwargs, message):
    kwargs = {"input_shape": (3, 4), **kwargs}
    init_kwargs = {"init": 2.0} if cls is _ForgetsConfig else {}
    with pytest.raises(AssertionError, match=message):
        run_layer_test(cls, init_kwargs, **kwargs)


def test_needs_input_shape_or_data():
    with pytest.raises(ValueError, match="input_shape or input_data"):
        run_layer_test(_GoodScale)


def test_given_input_data_is_used():
    x = np.arange(12, dtype="float32").reshape(3, 4)
    run_layer_test(_GoodScale, input_data=x, expected_output_shape=(3, 4))
