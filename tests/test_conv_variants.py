"""Tests for the convolution variants (dilated, transposed, depthwise, separable) against Keras's layers."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcourse_keras.numpy_ref.conv import conv2d_forward
from dlcourse_keras.numpy_ref.conv_variants import (conv2d_transpose, conv_cost, conv_transpose_output_size,
                                                    depthwise_conv2d_forward, dilate_kernel, dilated_kernel_size,
                                                    separable_conv2d_forward)


def _np(t):
    return keras.ops.convert_to_numpy(t).astype(float)


@pytest.mark.parametrize("f,rate,padding", list(itertools.product((2, 3), (1, 2, 3), ("valid", "same"))))
def test_dilated_convolution_equals_keras_dilation_rate(f, rate, padding):
    rng = np.random.default_rng(f * 10 + rate)
    x = rng.normal(size=(2, 11, 12, 2))
    w, b = rng.normal(size=(f, f, 2, 3)), rng.normal(size=3)
    layer = keras.layers.Conv2D(3, f, dilation_rate=rate, padding=padding)
    layer.build(x.shape)
    layer.set_weights([w.astype("float32"), b.astype("float32")])
    ours = conv2d_forward(x, dilate_kernel(w, rate), b, padding=padding)
    np.testing.assert_allclose(ours, _np(layer(x.astype("float32"))), atol=1e-4)
    if padding == "valid":  # output size n - span + 1
        assert ours.shape[1] == 11 - dilated_kernel_size(f, rate) + 1


def test_dilated_kernel_keeps_the_weights_and_adds_zeros():
    w = np.arange(1.0, 10.0).reshape(3, 3, 1, 1)
    d = dilate_kernel(w, (2, 3))
    assert d.shape == (5, 7, 1, 1)
    np.testing.assert_array_equal(d[::2, ::3], w)
    assert np.count_nonzero(d) == 9
    assert [dilated_kernel_size(3, r) for r in (1, 2, 4)] == [3, 5, 9]
    with pytest.raises(ValueError, match="rate=0"):
        dilated_kernel_size(3, 0)
    with pytest.raises(ValueError, match="expected"):
        dilate_kernel(np.ones((3, 3)), 2)


@pytest.mark.parametrize("n,f,s,padding", list(itertools.product((1, 4, 7), (1, 2, 3, 5), (1, 2, 3),
                                                                   ("valid", "same"))))
def test_transpose_output_size_equals_keras(n, f, s, padding):
    keras_n = keras.layers.Conv2DTranspose(1, f, strides=s, padding=padding).compute_output_shape((1, n, n, 1))[1]
    assert conv_transpose_output_size(n, f, s, padding) == keras_n


@pytest.mark.parametrize("n,f,s,padding", [(4, 3, 2, "same"), (5, 3, 2, "valid"), (3, 2, 3, "valid"),
                                           (7, 3, 2, "same"), (4, 4, 2, "same"), (6, 1, 1, "valid")])
def test_transpose_equals_keras_and_is_the_adjoint_and_the_input_gradient(n, f, s, padding):
    rng = np.random.default_rng(n + 10 * f + 100 * s)
    y = rng.normal(size=(2, n, n + 1, 3))
    w = rng.normal(size=(f, f, 2, 3))  # a Conv2D kernel from 2 to 3 channels
    layer = keras.layers.Conv2DTranspose(2, f, strides=s, padding=padding, use_bias=False)
    layer.build(y.shape)
    layer.set_weights([w.astype("float32")])  # the same array: Conv2DTranspose's kernel is (f, f, out, in)
    ours = conv2d_transpose(y, w, strides=s, padding=padding)
    np.testing.assert_allclose(ours, _np(layer(y.astype("float32"))), atol=1e-4)
    # adjoint: <conv(x), y> == <x, conv_transpose(y)> for any x of the transposed output's size
    x = rng.normal(size=ours.shape)
    z = conv2d_forward(x, w, strides=s, padding=padding)
    assert z.shape == y.shape
    np.testing.assert_allclose(np.sum(z * y), np.sum(x * ours), rtol=1e-10)
    # and the gradient of <conv(x), y> with respect to x, from GradientTape
    xt = tf.constant(x, tf.float32)
    conv = keras.layers.Conv2D(3, f, strides=s, padding=padding, use_bias=False)
    conv.build(x.shape)
    conv.set_weights([w.astype("float32")])
    with tf.GradientTape() as tape:
        tape.watch(xt)
        loss = tf.reduce_sum(conv(xt) * tf.constant(y, tf.float32))
    np.testing.assert_allclose(ours, tape.gradient(loss, xt).numpy(), atol=1e-4)


def test_transpose_rejects_bad_arguments():
    with pytest.raises(ValueError, match="padding='full'"):
        conv_transpose_output_size(3, 3, 1, "full")
    with pytest.raises(ValueError, match="expected"):
        conv2d_transpose(np.ones((1, 3, 3, 2)), np.ones((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="forward pass gives"):  # a 5x5 image does not give 3x3 at stride 2
        conv2d_transpose(np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 1)), strides=2, output_hw=(5, 5))
    with pytest.raises(ValueError, match="NaN"):
        conv2d_transpose(np.full((1, 2, 2, 1), np.nan), np.ones((1, 1, 1, 1)))


@pytest.mark.parametrize("multiplier,s,padding", [(1, 1, "valid"), (2, 1, "same"), (1, 2, "same"), (3, 2, "valid")])
def test_depthwise_and_separable_equal_keras(multiplier, s, padding):
    rng = np.random.default_rng(multiplier * 7 + s)
    x = rng.normal(size=(2, 9, 8, 3))
    dw = rng.normal(size=(3, 3, 3, multiplier))
    pw = rng.normal(size=(1, 1, 3 * multiplier, 5))
    bd, b = rng.normal(size=3 * multiplier), rng.normal(size=5)
    depthwise = keras.layers.DepthwiseConv2D(3, strides=s, padding=padding, depth_multiplier=multiplier)
    depthwise.build(x.shape)
    depthwise.set_weights([dw.astype("float32"), bd.astype("float32")])
    np.testing.assert_allclose(depthwise_conv2d_forward(x, dw, bd, strides=s, padding=padding),
                               _np(depthwise(x.astype("float32"))), atol=1e-4)
    separable = keras.layers.SeparableConv2D(5, 3, strides=s, padding=padding, depth_multiplier=multiplier)
    separable.build(x.shape)
    separable.set_weights([dw.astype("float32"), pw.astype("float32"), b.astype("float32")])
    np.testing.assert_allclose(separable_conv2d_forward(x, dw, pw, b, strides=s, padding=padding),
                               _np(separable(x.astype("float32"))), atol=1e-4)


def test_depthwise_keeps_channels_apart():
    x = np.zeros((1, 4, 4, 2))
    x[..., 1] = 1.0
    z = depthwise_conv2d_forward(x, np.ones((3, 3, 2, 1)))
    np.testing.assert_array_equal(z[..., 0], 0.0)  # channel 0 sees only its own zeros
    np.testing.assert_array_equal(z[..., 1], 9.0)
    with pytest.raises(ValueError, match="depth_multiplier"):
        depthwise_conv2d_forward(x, np.ones((3, 3, 3, 1)))


@pytest.mark.parametrize("f,c_in,c_out,n,use_bias", [(3, 1, 1, 5, True), (3, 16, 32, 12, True),
                                                     ((5, 3), 8, 4, 9, False), (1, 3, 7, 4, True)])
def test_conv_cost_equals_keras_parameters_and_counted_multiplies(f, c_in, c_out, n, use_bias):
    for separable, layer_cls in ((False, keras.layers.Conv2D), (True, keras.layers.SeparableConv2D)):
        layer = layer_cls(c_out, f, padding="same", use_bias=use_bias)
        model = keras.Sequential([keras.Input((n, n, c_in)), layer])
        params, mults = conv_cost(f, c_in, c_out, n, separable=separable, use_bias=use_bias)
        assert params == model.count_params()
        kh, kw = (f, f) if isinstance(f, int) else f
        # multiply-adds counted from the layer's weights: each kernel weight is used once per output pixel
        # (depthwise weights once per pixel, pointwise once per pixel)
        kernel_weights = sum(int(np.prod(v.shape)) for v in layer.trainable_weights if len(v.shape) == 4)
        assert mults == n * n * kernel_weights
        if not separable:
            assert kernel_weights == kh * kw * c_in * c_out


def test_conv_cost_ratio_and_validation():
    standard = conv_cost(3, 64, 128, 1, use_bias=False)[1]
    separable = conv_cost(3, 64, 128, 1, separable=True, use_bias=False)[1]
    assert separable / standard == pytest.approx(1 / 128 + 1 / 9)
    with pytest.raises(ValueError, match="c_in=0"):
        conv_cost(3, 0, 4, 5)
    with pytest.raises(ValueError, match="separable="):
        conv_cost(3, 1, 4, 5, separable="yes")
