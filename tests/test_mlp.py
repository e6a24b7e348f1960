"""Tests for the NumPy MLP: backprop equals GradientTape, gradient check, XOR, Keras match."""

import numpy as np
import pytest
import keras
import tensorflow as tf

from dlcourse_keras.numpy_ref.mlp import MLP, count_parameters, gradient_check, KERAS_LOSSES

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=float)

COMBOS = [
    # (layer_sizes, activations, loss)
    ([3, 4, 1], ["sigmoid", "linear"], "mse"),
    ([3, 4, 2], ["tanh", "sigmoid"], "mse"),
    ([3, 5, 4, 1], ["relu", "tanh", "sigmoid"], "bce"),
    ([3, 4, 3], ["sigmoid", "softmax"], "cce"),
    ([3, 4, 3], ["tanh", "softmax"], "mse"),
    ([3, 4, 3, 2], ["relu", "relu", "relu"], "mse"),
]


def _data(sizes, loss, n=7, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, sizes[0]))
    m = sizes[-1]
    if loss == "cce":
        y = np.eye(m)[rng.integers(0, m, size=n)]
    elif loss == "bce":
        y = rng.integers(0, 2, size=(n, m)).astype(float)
    else:
        y = rng.normal(size=(n, m))
    return x, y


def _tape_gradients(net, x, y):
    """Reference gradients: the same weights in a float64 Keras model, differentiated by TF."""
    model = net.to_keras()
    loss_fn = keras.losses.get(KERAS_LOSSES[net.loss])
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(loss_fn(tf.constant(y), model(tf.constant(x))))
    grads = tape.gradient(loss, model.trainable_weights)
    return float(loss), [g.numpy() for g in grads]


@pytest.mark.parametrize("sizes,acts,loss", COMBOS)
def test_backprop_equals_gradient_tape(sizes, acts, loss):
    net = MLP(sizes, acts, loss=loss, seed=3)
    x, y = _data(sizes, loss)
    ours_loss, grads = net.gradients(x, y)
    ref_loss, ref = _tape_gradients(net, x, y)
    assert ours_loss == pytest.approx(ref_loss, abs=1e-6)
    flat = [g for pair in grads for g in pair]
    assert len(flat) == len(ref)
    for ours, theirs in zip(flat, ref):
        np.testing.assert_allclose(ours, theirs, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("sizes,acts,loss", COMBOS[:5])
def test_gradient_check_agrees(sizes, acts, loss):
    net = MLP(sizes, acts, loss=loss, seed=1)
    x, y = _data(sizes, loss, n=5, seed=2)
    assert gradient_check(net, x, y) < 1e-6


def test_gradient_check_detects_broken_gradient():
    net = MLP([3, 4, 1], ["sigmoid", "sigmoid"], loss="bce", seed=0)
    x, y = _data([3, 4, 1], "bce", n=6)
    _, grads = net.gradients(x, y)
    assert gradient_check(net, x, y, grads=grads) < 1e-6
    # a classic slip: forgetting the activation derivative in the hidden layer
    broken = [(dw.copy(), db.copy()) for dw, db in grads]
    broken[0] = (grads[0][0] * 4.0, grads[0][1])  # sigmoid' <= 0.25 dropped
    assert gradient_check(net, x, y, grads=broken) > 1e-2
    with pytest.raises(ValueError, match="shape"):
        gradient_check(net, x, y, grads=[(g[0].T, g[1]) for g in grads])
    with pytest.raises(ValueError, match="epsilon=0"):
        gradient_check(net, x, y, epsilon=0)


def test_mlp_solves_xor():
    for seed in range(3):
        net = MLP([2, 4, 1], ["tanh", "sigmoid"], loss="bce", seed=seed)
        history = net.fit(XOR_X, XOR_Y, epochs=2000, learning_rate=1.0)
        assert net.accuracy(XOR_X, XOR_Y) == 1.0, (seed, history["loss"][-1])
        assert history["loss"][-1] < 0.05 < history["loss"][0]


def test_sparse_labels_equal_one_hot():
    net = MLP([3, 4, 3], ["tanh", "softmax"], loss="cce", seed=0)
    x, y = _data([3, 4, 3], "cce")
    labels = y.argmax(axis=1)
    l1, g1 = net.gradients(x, y)
    l2, g2 = net.gradients(x, labels)
    assert l1 == pytest.approx(l2)
    np.testing.assert_allclose(g1[0][0], g2[0][0])
    assert net.accuracy(x, labels) == net.accuracy(x, y)


@pytest.mark.parametrize("acts,loss", [(["tanh", "sigmoid"], "bce"), (["sigmoid", "linear"], "mse")])
def test_loss_curve_matches_keras_sgd(acts, loss):
    net = MLP([2, 3, 1], acts, loss=loss, seed=7)
    model = net.to_keras()  # same initial weights
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss=KERAS_LOSSES[loss])
    keras_hist = model.fit(XOR_X, XOR_Y, epochs=20, batch_size=4, shuffle=False, verbose=0)
    ours = net.fit(XOR_X, XOR_Y, epochs=20, learning_rate=0.5)
    np.testing.assert_allclose(ours["loss"], keras_hist.history["loss"], atol=1e-4)
    for a, b in zip(net.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_minibatch_history_is_weighted_mean():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], loss="bce", seed=0)
    model = net.to_keras()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.3), loss="binary_crossentropy")
    x = np.vstack([XOR_X, XOR_X[:1]])
    y = np.vstack([XOR_Y, XOR_Y[:1]])
    kh = model.fit(x, y, epochs=3, batch_size=2, shuffle=False, verbose=0)
    ours = net.fit(x, y, epochs=3, learning_rate=0.3, batch_size=2)
    np.testing.assert_allclose(ours["loss"], kh.history["loss"], atol=1e-5)


def test_parameter_count_26_and_keras():
    assert count_parameters([4, 3, 2, 1]) == 26
    net = MLP([4, 3, 2, 1], "sigmoid", seed=0)
    assert net.count_params() == 26 == net.to_keras().count_params()
    assert sum(w.size for w in net.get_weights()[::2]) == 20  # weights
    assert sum(b.size for b in net.get_weights()[1::2]) == 6  # biases


def test_weights_round_trip_keras_layout():
    net = MLP([4, 3, 2], ["relu", "softmax"], loss="cce", seed=0)
    model = net.to_keras()
    x = np.random.default_rng(0).normal(size=(5, 4))
    np.testing.assert_allclose(net.predict(x), model.predict(x, verbose=0), atol=1e-10)
    other = MLP([4, 3, 2], ["relu", "softmax"], loss="cce", seed=99)
    other.set_weights(model.get_weights())
    np.testing.assert_allclose(other.predict(x), net.predict(x))
    assert net.get_weights()[0].shape == (4, 3)  # W^1_ij: from input i to hidden j


def test_bad_arguments():
    with pytest.raises(ValueError, match="layer_sizes"):
        MLP([3], "sigmoid")
    with pytest.raises(ValueError, match="layer_sizes"):
        count_parameters([3, 0, 1])
    with pytest.raises(ValueError, match="activations"):
        MLP([3, 2, 1], ["sigmoid"])
    with pytest.raises(ValueError, match="softmax"):
        MLP([3, 2, 2], ["softmax", "sigmoid"])
    with pytest.raises(ValueError, match="loss='hinge'"):
        MLP([3, 1], "sigmoid", loss="hinge")
    with pytest.raises(ValueError, match="needs a 'sigmoid' output"):
        MLP([3, 1], "linear", loss="bce")
    with pytest.raises(ValueError, match="needs a 'softmax' output"):
        MLP([3, 2], "sigmoid", loss="cce")
    net = MLP([2, 2, 1], ["tanh", "sigmoid"], loss="bce")
    with pytest.raises(ValueError, match="x has shape"):
        net.predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="y has shape"):
        net.fit(XOR_X, np.zeros((3, 1)))
    with pytest.raises(ValueError, match="learning_rate=-1"):
        net.fit(XOR_X, XOR_Y, learning_rate=-1)
    with pytest.raises(ValueError, match="epochs"):
        net.fit(XOR_X, XOR_Y, epochs=1.5)
    with pytest.raises(ValueError, match="batch_size=0"):
        net.fit(XOR_X, XOR_Y, batch_size=0)
    with pytest.raises(ValueError, match="expected"):
        net.set_weights(net.get_weights()[:2])


def test_fit_shuffle_follows_the_course_seed():
    """shuffle=True without a seed draws its order from the seed set by seed_everything."""
    from dlcourse_keras.seeding import seed_everything

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 3)), (rng.random((40, 1)) > 0.5).astype(float)
    runs = []
    for seed in (7, 7, 8):
        seed_everything(seed)
        net = MLP([3, 4, 1], ["tanh", "sigmoid"], loss="bce", seed=0)
        runs.append(net.fit(x, y, epochs=3, learning_rate=0.5, batch_size=8, shuffle=True)["loss"])
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
