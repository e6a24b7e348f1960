"""Tests for the dense-matrix, im2col and FFT convolutions: each equals the direct one and Keras's Conv2D."""

import itertools

import keras
import numpy as np
import pytest

from dlcourse_keras.layers.conv import TeachingConv2D
from dlcourse_keras.numpy_ref.conv import conv2d_forward
from dlcourse_keras.numpy_ref.conv_algorithms import conv2d_fft, conv2d_im2col, conv_matrix, im2col
from dlcourse_keras.numpy_ref.conv_variants import conv2d_transpose

GRID = list(itertools.product((5, 8), (1, 2, 3, (3, 2)), (1, 2), ("valid", "same", 1)))


@pytest.mark.parametrize("n,f,s,padding", GRID)
def test_im2col_and_dense_matrix_equal_the_direct_convolution(n, f, s, padding):
    rng = np.random.default_rng(n)
    x = rng.normal(size=(2, n, n + 1, 3))
    w, b = rng.normal(size=(*((f, f) if isinstance(f, int) else f), 3, 4)), rng.normal(size=4)
    direct = conv2d_forward(x, w, b, strides=s, padding=padding)
    np.testing.assert_allclose(conv2d_im2col(x, w, b, strides=s, padding=padding), direct, atol=1e-10)
    m = conv_matrix(w, (n, n + 1), strides=s, padding=padding)
    dense = (x.reshape(2, -1) @ m.T + np.tile(b, direct.shape[1] * direct.shape[2])).reshape(direct.shape)
    np.testing.assert_allclose(dense, direct, atol=1e-10)
    if s == 1 and padding != 1:
        np.testing.assert_allclose(conv2d_fft(x, w, b, padding=padding), direct, atol=1e-9)


def test_fft_equals_keras_for_large_kernels():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 20, 17, 2))
    for f in (7, 13):
        w, b = rng.normal(size=(f, f, 2, 3)), rng.normal(size=3)
        layer = keras.layers.Conv2D(3, f)
        layer.build(x.shape)
        layer.set_weights([w.astype("float32"), b.astype("float32")])
        np.testing.assert_allclose(conv2d_fft(x, w, b), keras.ops.convert_to_numpy(layer(x.astype("float32"))),
                                   rtol=1e-4, atol=1e-3)


def test_dense_matrix_is_sparse_and_shared():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(3, 3, 2, 2))
    m = conv_matrix(w, 6)
    assert m.shape == (4 * 4 * 2, 6 * 6 * 2)
    assert np.count_nonzero(m) == 4 * 4 * 2 * (3 * 3 * 2)  # each output sees kh*kw*c_in inputs
    assert np.array_equal(np.unique(m[m != 0]), np.unique(w))  # only the kernel's weights, each shared
    # with padding, border rows lose the columns that fell on the zeros
    padded = conv_matrix(w, 6, padding="same")
    assert np.count_nonzero(padded) < 6 * 6 * 2 * 18


def test_dense_matrix_transpose_is_the_transposed_convolution():
    rng = np.random.default_rng(2)
    w = rng.normal(size=(3, 3, 2, 3))
    y = rng.normal(size=(1, 4, 4, 3))
    m = conv_matrix(w, 8, strides=2, padding="same")
    np.testing.assert_allclose((m.T @ y.reshape(-1)).reshape(1, 8, 8, 2),
                               conv2d_transpose(y, w, strides=2, padding="same"), atol=1e-12)


def test_im2col_rows_are_windows_in_teaching_conv_order():
    x = np.arange(2 * 4 * 5 * 3, dtype=float).reshape(2, 4, 5, 3)
    patches = im2col(x, (2, 3), strides=(2, 1))
    assert patches.shape == (2, 2, 3, 2 * 3 * 3)
    np.testing.assert_array_equal(patches[1, 1, 2], x[1, 2:4, 2:5, :].reshape(-1))
    # TeachingConv2D multiplies the same rows with the reshaped kernel
    layer = TeachingConv2D(4, (2, 3), strides=(2, 1), use_bias=False)
    layer.build(x.shape)
    kernel = keras.ops.convert_to_numpy(layer.kernel).astype(float)
    np.testing.assert_allclose(patches @ kernel.reshape(-1, 4),
                               keras.ops.convert_to_numpy(layer(x.astype("float32"))), rtol=1e-5, atol=1e-3)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="expected"):
        conv2d_im2col(np.ones((1, 4, 4, 2)), np.ones((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="NaN"):
        conv2d_fft(np.ones((1, 4, 4, 1)), np.full((3, 3, 1, 1), np.inf))
    with pytest.raises(ValueError, match="does not fit"):
        conv2d_fft(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="kernel_size=0"):
        im2col(np.ones((1, 4, 4, 1)), 0)
    with pytest.raises(ValueError, match="input_hw"):
        conv_matrix(np.ones((3, 3, 1, 1)), (4, -1))
