"""MaskedGlobalMaxPooling1D: the maximum over the unmasked steps (notebook 12)."""

import keras
import numpy as np
import pytest

from dlcourse_keras.layers import MaskedGlobalMaxPooling1D
from dlcourse_keras.testing import run_layer_test


def test_layer_contract():
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
