"""Pooling: the NumPy reference (max, average, global; forward and backward, notebook 08) and
MaskedGlobalMaxPooling1D, the maximum over the unmasked steps (notebook 12)."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcourse_keras.layers import MaskedGlobalMaxPooling1D
from dlcourse_keras.testing import run_layer_test
from dlcourse_keras.numpy_ref.pooling import (global_pool_backward, global_pool_forward, pool2d_backward,
                                              pool2d_forward)

NOTES_A1 = np.array([[1, 2, 5, 6], [3, 4, 7, 8], [9, 10, 13, 14], [11, 12, 15, 16]], float)

KERAS_POOL = {"max": keras.layers.MaxPooling2D, "average": keras.layers.AveragePooling2D}
KERAS_GLOBAL = {"max": keras.layers.GlobalMaxPooling2D, "average": keras.layers.GlobalAveragePooling2D}

GRID = list(itertools.product(("max", "average"), (2, 3, (2, 3)), (None, 1, 2, 3), ("valid", "same"), (5, 6, 7)))


def test_notes_max_pool_example():
    y = pool2d_forward(NOTES_A1.reshape(1, 4, 4, 1))
    np.testing.assert_array_equal(y[0, :, :, 0], [[4, 8], [12, 16]])
    dx = pool2d_backward(np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1), NOTES_A1.reshape(1, 4, 4, 1))
    # each window's gradient goes to its maximum (4, 8, 12, 16 sit at the bottom-right of each window)
    expected = np.zeros((4, 4))
    expected[1, 1], expected[1, 3], expected[3, 1], expected[3, 3] = 1, 2, 3, 4
    np.testing.assert_array_equal(dx[0, :, :, 0], expected)


def test_average_pool_spreads_gradient_evenly():
    dx = pool2d_backward(np.array([[4.0, 8.0]]).reshape(1, 1, 2, 1), NOTES_A1[:2].reshape(1, 2, 4, 1),
                         mode="average")
    np.testing.assert_array_equal(dx[0, :, :, 0], [[1, 1, 2, 2], [1, 1, 2, 2]])


@pytest.mark.parametrize("mode,pool_size,strides,padding,n", GRID)
def test_pooling_equals_keras_and_gradient_tape(mode, pool_size, strides, padding, n):
    rng = np.random.default_rng(n)
    x = rng.normal(size=(2, n, n + 1, 3))  # continuous values: no ties for the arg-max
    layer = KERAS_POOL[mode](pool_size, strides=strides, padding=padding)
    xt = tf.constant(x, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        yk = layer(xt)
        upstream = tf.constant(rng.normal(size=yk.shape), tf.float32)
        loss = tf.reduce_sum(yk * upstream)
    y = pool2d_forward(x, pool_size, strides, padding, mode)
    np.testing.assert_allclose(y, yk.numpy(), atol=1e-5)
    dx = pool2d_backward(upstream.numpy().astype(float), x, pool_size, strides, padding, mode)
    np.testing.assert_allclose(dx, tape.gradient(loss, xt).numpy(), atol=1e-5)


@pytest.mark.parametrize("mode", ["max", "average"])
def test_global_pooling_equals_keras_and_gradient_tape(mode):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 5, 4, 2))
    xt = tf.constant(x, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        yk = KERAS_GLOBAL[mode]()(xt)
        upstream = tf.constant(rng.normal(size=yk.shape), tf.float32)
        loss = tf.reduce_sum(yk * upstream)
    np.testing.assert_allclose(global_pool_forward(x, mode), yk.numpy(), atol=1e-6)
    dx = global_pool_backward(upstream.numpy().astype(float), x, mode)
    np.testing.assert_allclose(dx, tape.gradient(loss, xt).numpy(), atol=1e-6)
    if mode == "max":
        assert np.count_nonzero(dx) == 3 * 2  # one cell per example and channel


def test_pooling_argument_validation():
    x = np.zeros((1, 4, 4, 1))
    with pytest.raises(ValueError, match="mode='min'"):
        pool2d_forward(x, mode="min")
    with pytest.raises(ValueError, match="padding='full'"):
        pool2d_forward(x, padding="full")
    with pytest.raises(ValueError, match="pool_size=0"):
        pool2d_forward(x, pool_size=0)
    with pytest.raises(ValueError, match="does not fit"):
        pool2d_forward(x, pool_size=5)
    with pytest.raises(ValueError, match="dy has shape"):
        pool2d_backward(np.zeros((1, 1, 1, 1)), x)
    with pytest.raises(ValueError, match="mode='sum'"):
        global_pool_forward(x, mode="sum")
    with pytest.raises(ValueError, match="dy has shape"):
        global_pool_backward(np.zeros((2, 1)), x)


# --- MaskedGlobalMaxPooling1D (layers/pooling.py) ---

def test_masked_global_max_pooling_layer_contract():
    run_layer_test(MaskedGlobalMaxPooling1D, input_shape=(3, 5, 4), expected_output_shape=(3, 4),
                   expected_num_trainable_weights=0, supports_masking=True, run_training_check=False)


def test_equals_a_numpy_masked_maximum_and_keras_without_a_mask():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 7, 3)).astype("float32") - 5.0      # all negative: padding zeros would win
    lengths = np.array([1, 3, 7, 2, 5, 4])
    mask = np.arange(7)[None, :] < lengths[:, None]
    got = keras.ops.convert_to_numpy(MaskedGlobalMaxPooling1D()(x, mask=mask))
    expected = np.stack([x[i, :n].max(axis=0) for i, n in enumerate(lengths)])
    np.testing.assert_allclose(got, expected)
    unmasked = keras.ops.convert_to_numpy(MaskedGlobalMaxPooling1D()(x))
    np.testing.assert_allclose(unmasked, keras.ops.convert_to_numpy(keras.layers.GlobalMaxPooling1D()(x)))


def test_a_masked_lstm_pooled_ignores_extra_padding_and_an_empty_row_gives_zeros():
    keras.utils.set_random_seed(1)
    ids = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(20, 4, mask_zero=True)(ids)
    h = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True))(h)
    model = keras.Model(ids, MaskedGlobalMaxPooling1D()(h))
    rows = np.array([[3, 4, 5, 6], [7, 8, 0, 0]])
    short = model.predict(rows, verbose=0)
    longer = model.predict(np.pad(rows, ((0, 0), (0, 9))), verbose=0)
    np.testing.assert_allclose(short, longer, atol=1e-6)
    empty = MaskedGlobalMaxPooling1D()(np.ones((1, 3, 2), "float32"), mask=np.zeros((1, 3), bool))
    assert keras.ops.convert_to_numpy(empty).tolist() == [[0.0, 0.0]]


def test_gradients_reach_only_the_kept_maximum():
    import tensorflow as tf

    x = tf.Variable([[[1.0], [4.0], [9.0]]])
    mask = tf.constant([[True, True, False]])
    with tf.GradientTape() as tape:
        y = MaskedGlobalMaxPooling1D()(x, mask=mask)
    assert tape.gradient(y, x).numpy().ravel().tolist() == pytest.approx([0.0, 1.0, 0.0])
