"""Tests for convolution: the NumPy reference, TeachingConv2D and the toy CNN of notebook 08."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcourse_keras.layers.conv import TeachingConv2D
from dlcourse_keras.numpy_ref.conv import conv2d_backward, conv2d_forward, conv_output_size, padding_amounts
from dlcourse_keras.numpy_ref.toy_cnn import (binary_cross_entropy, count_toy_cnn_parameters, init_toy_cnn,
                                              toy_cnn_backward, toy_cnn_forward)
from dlcourse_keras.seeding import seed_everything
from dlcourse_keras.testing import run_layer_test

# (n, f, s, padding) grid shared by the forward, backward and shape tests
GRID = [(n, f, s, p) for n, f, s, p in itertools.product((5, 6, 7), (1, 2, 3), (1, 2, 3), ("valid", "same", 1))
        if not (p == 1 and f == 1)]


def edge_image():
    """The notes' 6x6 image: three rows of 0 above three rows of 255."""
    return np.repeat([0.0, 0.0, 0.0, 255.0, 255.0, 255.0], 6).reshape(1, 6, 6, 1)


EDGE_KERNEL = np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]], float).reshape(3, 3, 1, 1)


def keras_conv(x, w, b, s, padding):
    """Keras's Conv2D with the given weights; an int padding goes through ZeroPadding2D first."""
    layers = []
    if isinstance(padding, int):
        layers.append(keras.layers.ZeroPadding2D(padding))
        padding = "valid"
    conv = keras.layers.Conv2D(w.shape[-1], w.shape[:2], strides=s, padding=padding)
    model = keras.Sequential([keras.Input(x.shape[1:]), *layers, conv])
    conv.set_weights([w.astype("float32"), b.astype("float32")])
    return model


def test_edge_example_is_765_not_255():
    z = conv2d_forward(edge_image(), EDGE_KERNEL)
    assert z.shape == (1, 4, 4, 1)
    expected_rows = [0.0, 3 * 255.0, 3 * 255.0, 0.0]  # the notes print 255 in the middle rows
    np.testing.assert_array_equal(z[0, :, :, 0], np.repeat(expected_rows, 4).reshape(4, 4))
    keras_z = keras_conv(edge_image(), EDGE_KERNEL, np.zeros(1), 1, "valid")(edge_image().astype("float32"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras_z), z)


@pytest.mark.parametrize("n,f,s,padding", GRID)
def test_forward_and_backward_equal_keras_and_gradient_tape(n, f, s, padding):
    rng = np.random.default_rng(n * 100 + f * 10 + s)
    x = rng.normal(size=(2, n, n + 1, 2))
    w = rng.normal(size=(f, f, 2, 3))
    b = rng.normal(size=3)
    z = conv2d_forward(x, w, b, strides=s, padding=padding)
    model = keras_conv(x, w, b, s, padding)
    xt = tf.constant(x, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        zk = model(xt)
        # a loss whose gradient dL/dz is a fixed random array
        upstream = tf.constant(rng.normal(size=zk.shape), tf.float32)
        loss = tf.reduce_sum(zk * upstream)
    np.testing.assert_allclose(zk.numpy(), z, atol=1e-5)
    dx_k, dw_k, db_k = tape.gradient(loss, [xt, *model.layers[-1].trainable_weights])
    dx, dw, db = conv2d_backward(upstream.numpy().astype(float), x, w, strides=s, padding=padding)
    np.testing.assert_allclose(dx, dx_k.numpy(), atol=1e-5)
    np.testing.assert_allclose(dw, keras.ops.convert_to_numpy(dw_k), atol=1e-4)
    np.testing.assert_allclose(db, keras.ops.convert_to_numpy(db_k), atol=1e-5)


def test_output_size_formula_equals_keras_shapes_over_a_grid():
    checked = 0
    for n, f, s in itertools.product(range(1, 13), range(1, 6), range(1, 5)):
        for p in ("valid", "same", 0, 1, 2, 3):
            pad = {"valid": 0, "same": f}.get(p, p)
            if n + 2 * pad < f:  # Keras rejects a kernel that does not fit; so do we
                with pytest.raises(ValueError, match=f"f={f} must be at most the padded input"):
                    conv_output_size(n, f, p, s)
                continue
            size = conv_output_size(n, f, p, s)
            shape = (1, n, n, 1)
            if isinstance(p, int):
                shape = keras.layers.ZeroPadding2D(p).compute_output_shape(shape)
            padding = p if isinstance(p, str) else "valid"
            conv_shape = keras.layers.Conv2D(1, f, strides=s, padding=padding).compute_output_shape(shape)
            assert conv_shape[1:3] == (size, size), (n, f, p, s)
            if isinstance(p, str):  # pooling uses the same formula (no explicit padding in Keras)
                pool = keras.layers.MaxPooling2D(f, strides=s, padding=p)
                assert pool.compute_output_shape(shape)[1:3] == (size, size), (n, f, p, s)
            checked += 1
    assert checked > 1000


def test_notes_strided_formula_is_wrong_and_the_floor_formula_right():
    # the notes: (n - f + 2p + 1) / s, rounded down
    notes = (5 - 3 + 0 + 1) // 2
    assert conv_output_size(5, 3, 0, 2) == 2 != notes
    assert conv_output_size(5, 3, 1, 1) == 5  # 'same' size by padding 1, as the notes show (7x7 padded)
    assert conv_output_size(32, 5) == 28 and conv_output_size(28, 2, s=2) == 14  # LeNet's first stages


def test_padding_amounts_and_argument_validation():
    assert padding_amounts(5, 3, 1, "same") == (1, 1)
    assert padding_amounts(6, 2, 1, "same") == (0, 1)  # the odd pixel goes after, as in TensorFlow
    assert padding_amounts(6, 3, 2, "same") == (0, 1)
    assert padding_amounts(6, 3, 2, (2, 0)) == (2, 0)
    with pytest.raises(ValueError, match="s=0"):
        conv_output_size(5, 3, s=0)
    with pytest.raises(ValueError, match="p=-1"):
        conv_output_size(5, 3, p=-1)
    with pytest.raises(ValueError, match="padding='full'"):
        conv2d_forward(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), padding="full")
    with pytest.raises(ValueError, match="w has shape"):
        conv2d_forward(np.zeros((1, 5, 5, 2)), np.zeros((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="NaN"):
        conv2d_forward(np.full((1, 5, 5, 1), np.nan), np.zeros((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="does not fit"):
        conv2d_forward(np.zeros((1, 2, 2, 1)), np.zeros((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="dz has shape"):
        conv2d_backward(np.zeros((1, 2, 2, 1)), np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)))


def test_weight_gradient_is_valid_convolution_of_input_with_upstream_gradient():
    # the notes' 3x3 input, 2x2 kernel: dL/dw = valid-conv(X, dL/dz), dL/db = sum(dL/dz)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 3, 3, 1))
    dz = rng.normal(size=(1, 2, 2, 1))
    _, dw, db = conv2d_backward(dz, x, rng.normal(size=(2, 2, 1, 1)))
    np.testing.assert_allclose(dw[:, :, 0, 0], conv2d_forward(x, dz.reshape(2, 2, 1, 1))[0, :, :, 0])
    assert db[0] == pytest.approx(dz.sum())


# --- TeachingConv2D ---

def test_teaching_conv_layer_contract():
    run_layer_test(TeachingConv2D, {"filters": 3, "kernel_size": 3, "padding": "same", "activation": "relu"},
                   input_shape=(2, 6, 6, 2), expected_output_shape=(2, 6, 6, 3),
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=0)
    run_layer_test(TeachingConv2D, {"filters": 2, "kernel_size": (2, 3), "strides": 2, "use_bias": False},
                   input_shape=(2, 7, 7, 1), expected_output_shape=(2, 3, 3, 2),
                   expected_num_trainable_weights=1)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("kernel_size,strides", [(1, 1), (3, 1), ((2, 3), 2), (3, (2, 3)), (5, 3)])
def test_teaching_conv_equals_conv2d_values_and_gradients(kernel_size, strides, padding):
    seed_everything(0)
    x = tf.constant(np.random.default_rng(1).normal(size=(2, 9, 8, 3)), tf.float32)
    ours = TeachingConv2D(4, kernel_size, strides=strides, padding=padding)
    ref = keras.layers.Conv2D(4, kernel_size, strides=strides, padding=padding)
    ours.build(x.shape)
    ref.build(x.shape)
    ref.set_weights(ours.get_weights())
    assert ours.compute_output_shape(x.shape) == ref.compute_output_shape(x.shape)
    grads = []
    for layer in (ours, ref):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(tf.sin(y))
        grads.append([y, *tape.gradient(loss, [x, *layer.trainable_weights])])
    for a, b in zip(*grads):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), atol=1e-4)


def test_teaching_conv_symbolic_shapes_and_validation():
    model = keras.Sequential([keras.Input((None, None, 1)), TeachingConv2D(2, 3, padding="same")])
    assert model.output_shape == (None, None, None, 2)
    out = model(np.zeros((1, 7, 5, 1), "float32"))
    assert tuple(out.shape) == (1, 7, 5, 2)
    with pytest.raises(ValueError, match="filters=0"):
        TeachingConv2D(0, 3)
    with pytest.raises(ValueError, match="kernel_size=-1"):
        TeachingConv2D(2, -1)
    with pytest.raises(ValueError, match="padding='causal'"):
        TeachingConv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="strides"):
        TeachingConv2D(2, 3, strides=(1, 2, 3))


def test_teaching_conv_rejects_a_kernel_larger_than_the_input():
    # it used to return an empty (2, 0, 0, 4) tensor; Keras's Conv2D raises
    x = np.zeros((2, 8, 8, 1), "float32")
    message = r"kernel_size=\(20, 20\) does not fit in inputs of height x width 8 x 8 with padding='valid'"
    with pytest.raises(ValueError):
        keras.layers.Conv2D(4, 20)(x)
    with pytest.raises(ValueError, match=message):
        TeachingConv2D(4, 20)(x)
    with pytest.raises(ValueError, match=message):  # in a functional model too, when it is built
        keras.Sequential([keras.Input((8, 8, 1)), TeachingConv2D(4, 20)])
    assert tuple(TeachingConv2D(4, 20, padding="same")(x).shape) == (2, 8, 8, 4)  # padding makes room
    assert tuple(TeachingConv2D(4, 8)(x).shape) == (2, 1, 1, 4)  # a kernel as large as the image fits


def test_output_size_of_a_kernel_that_does_not_fit_is_an_error_not_zero():
    with pytest.raises(ValueError, match=r"f=7 must be at most the padded input length n \+ 2p = 5"):
        conv_output_size(5, 7, 0, 1)
    with pytest.raises(ValueError, match="p='full'"):
        conv_output_size(5, 3, p="full")
    assert conv_output_size(5, 7, 1, 1) == 1 and conv_output_size(5, 7, "same") == 5
    with pytest.raises(ValueError, match="does not fit"):
        conv2d_forward(np.zeros((1, 5, 5, 1)), np.zeros((7, 7, 1, 1)))


# --- the notes' toy CNN ---

def keras_toy_cnn(params):
    model = keras.Sequential([
        keras.Input((6, 6, 1)),
        keras.layers.Conv2D(1, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.layers[0].set_weights([params["w1"], params["b1"]])
    model.layers[3].set_weights([params["w2"], params["b2"]])
    return model


def test_toy_cnn_has_15_parameters_like_keras():
    params = init_toy_cnn(0)
    assert count_toy_cnn_parameters(params) == 15
    assert keras_toy_cnn(params).count_params() == 15


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_toy_cnn_backprop_by_hand_equals_gradient_tape(seed):
    params = init_toy_cnn(seed)
    rng = np.random.default_rng(10 + seed)
    x = rng.normal(size=(4, 6, 6, 1))
    y = np.array([0.0, 1.0, 1.0, 0.0])
    cache = toy_cnn_forward(x, params)
    grads = toy_cnn_backward(cache, y, params)
    assert (cache["z1"] > 0).any(), "ReLU must pass some gradient for the test to mean anything"
    model = keras_toy_cnn(params)
    with tf.GradientTape() as tape:
        a2 = model(tf.constant(x, tf.float32))
        loss = keras.losses.BinaryCrossentropy()(y.reshape(-1, 1), a2)
    np.testing.assert_allclose(a2.numpy(), cache["A2"], atol=1e-6)
    assert float(loss) == pytest.approx(binary_cross_entropy(y, cache["A2"]), abs=1e-5)
    tape_grads = [keras.ops.convert_to_numpy(g) for g in tape.gradient(loss, model.trainable_weights)]
    for name, g in zip(("w1", "b1", "w2", "b2"), tape_grads):
        np.testing.assert_allclose(grads[name], g, atol=1e-5, err_msg=name)
    # max-pooling: the gradient reaches exactly one cell per 2x2 window
    nonzero = (grads["dA1"] != 0).reshape(4, 2, 2, 2, 2).transpose(0, 1, 3, 2, 4).reshape(4, 2, 2, 4)
    assert np.all(nonzero.sum(axis=-1) <= 1)


def test_toy_cnn_learns_to_tell_horizontal_from_vertical_edges():
    from dlcourse_keras.numpy_ref.toy_cnn import make_edge_images, train_toy_cnn

    x, y = make_edge_images(200, seed=0)
    assert 0.3 < y.mean() < 0.7
    params, losses = train_toy_cnn(x, y, init_toy_cnn(0))
    accuracy = np.mean((toy_cnn_forward(x, params)["A2"][:, 0] > 0.5) == y)
    assert losses[-1] < 0.5 * losses[0] and accuracy > 0.9


def test_teaching_conv_is_registered_by_register_keras_objects():
    import dlcourse_keras as dl

    assert "dlcourse_keras>TeachingConv2D" in dl.register_keras_objects()
