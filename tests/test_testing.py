"""The layer contract helper passes good layers and catches each kind of broken one."""

import keras
import numpy as np
import pytest
from keras import ops

from dlcourse_keras.layers import BahdanauAttention
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


# ---------------------------------------------------------------- shapes, training flag, build, several inputs
@keras.saving.register_keras_serializable(package="dlcourse_keras")
class _WrongOutputShape(_GoodScale):
    """Computes the right thing but declares one feature too many."""

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class _IgnoresTraining(_GoodScale):
    """Takes a training argument and never looks at it (a dropout that never drops)."""

    def call(self, inputs, training=False):
        return super().call(inputs)


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class _AlwaysTraining(_GoodScale):
    """A dropout that drops at inference too: training=False changes nothing."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(0)

    def call(self, inputs, training=False):
        keep = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator) < 0.5
        return ops.where(keep, inputs * 2.0, 0.0) * ops.cast(self.w, inputs.dtype)


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class _TrainingAware(_GoodScale):
    """Adds 1 in training, nothing at inference."""

    def call(self, inputs, training=False):
        out = super().call(inputs)
        return out + 1.0 if training else out


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class _BuiltInInit(_GoodScale):
    """Marks itself built in __init__, as InvertedDropout used to."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True


@pytest.mark.parametrize("cls, kwargs, message", [
    (_WrongOutputShape, {}, "in a functional model has output shapes"),
    (_IgnoresTraining, {"training_changes_output": True}, "ignore its training argument"),
    (_AlwaysTraining, {"training_changes_output": True}, "inference must be deterministic"),
    (_TrainingAware, {"training_changes_output": False}, "training_changes_output=False"),
    (_GoodScale, {"training_changes_output": True}, "takes no training argument"),
    (_BuiltInInit, {}, "built as soon as it is created"),
])
def test_more_broken_layers_are_caught(cls, kwargs, message):
    with pytest.raises(AssertionError, match=message):
        run_layer_test(cls, input_shape=(3, 4), **kwargs)


def test_a_layer_whose_outputs_depend_on_training_passes_with_the_flag():
    run_layer_test(_TrainingAware, input_shape=(3, 4), training_changes_output=True)


def _attention_data(batch=3, tq=4, tv=6):
    rng = np.random.default_rng(0)
    return [rng.normal(size=(batch, tq, 5)).astype("float32"),
            rng.normal(size=(batch, tv, 7)).astype("float32")]


def test_default_masks_of_a_layer_of_several_inputs():
    # one default mask per input (the keys' last step in the first row hidden), not the
    # query's mask handed over as if it were the pair [query_mask, keys_mask]
    run_layer_test(BahdanauAttention, {"units": 8}, input_data=_attention_data(),
                   expected_output_shape=[(3, 4, 7), (3, 4, 6)], supports_masking=True, atol=1e-5)


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class _AttendsToPadding(BahdanauAttention):
    """Drops the masks it is given: padded keys get attention weight."""

    def call(self, inputs, mask=None):
        return super().call(inputs, mask=None)


def test_a_layer_of_several_inputs_that_ignores_the_keys_mask_is_caught():
    with pytest.raises(AssertionError, match="masked entries changed"):
        run_layer_test(_AttendsToPadding, {"units": 8}, input_data=_attention_data(),
                       supports_masking=True, atol=1e-5)
