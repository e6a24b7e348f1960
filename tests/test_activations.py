"""Tests for the NumPy activations: values equal keras.activations, derivatives equal GradientTape."""

import numpy as np
import pytest
import keras
import tensorflow as tf

from dlcourse_keras.numpy_ref import activations as A

X = np.linspace(-6.0, 6.0, 121)  # includes 0 exactly
X = X[np.abs(X) > 1e-12]  # kinks at 0 are checked separately
X64 = np.concatenate([X, [-30.0, -0.3, 0.3, 30.0]])

KERAS_EQUIV = {
    "linear": lambda x: keras.activations.linear(x),
    "sigmoid": lambda x: keras.activations.sigmoid(x),
    "tanh": lambda x: keras.activations.tanh(x),
    "relu": lambda x: keras.activations.relu(x),
    "leaky_relu": lambda x: keras.activations.leaky_relu(x, negative_slope=0.01),
    "elu": lambda x: keras.activations.elu(x, alpha=1.0),
    "selu": lambda x: keras.activations.selu(x),
    "softplus": lambda x: keras.activations.softplus(x),
    "swish": lambda x: keras.activations.silu(x),
}


@pytest.mark.parametrize("name", sorted(KERAS_EQUIV))
def test_values_equal_keras(name):
    f, _ = A.ACTIVATIONS[name]
    ours = f(X64)
    theirs = keras.ops.convert_to_numpy(KERAS_EQUIV[name](tf.constant(X64)))
    np.testing.assert_allclose(ours, theirs, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(KERAS_EQUIV))
def test_derivatives_equal_gradient_tape(name):
    _, df = A.ACTIVATIONS[name]
    x = tf.Variable(X64)
    with tf.GradientTape() as tape:
        y = KERAS_EQUIV[name](x)
    grad = tape.gradient(y, x).numpy()
    np.testing.assert_allclose(df(X64), grad, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("alpha", [0.01, 0.2, 0.5])
def test_leaky_relu_and_elu_alpha(alpha):
    x = tf.Variable(X64)
    with tf.GradientTape(persistent=True) as tape:
        y1 = keras.activations.leaky_relu(x, negative_slope=alpha)
        y2 = keras.activations.elu(x, alpha=alpha)
    np.testing.assert_allclose(A.leaky_relu(X64, alpha), y1.numpy(), atol=1e-6)
    np.testing.assert_allclose(A.leaky_relu_prime(X64, alpha), tape.gradient(y1, x).numpy(), atol=1e-6)
    np.testing.assert_allclose(A.elu(X64, alpha), y2.numpy(), atol=1e-6)
    np.testing.assert_allclose(A.elu_prime(X64, alpha), tape.gradient(y2, x).numpy(), atol=1e-6)


def test_softmax_equals_keras_and_jacobian_equals_tape():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 4)) * 3
    np.testing.assert_allclose(A.softmax(z), keras.activations.softmax(tf.constant(z)).numpy(), atol=1e-6)
    x = tf.Variable(z)
    with tf.GradientTape() as tape:
        s = keras.activations.softmax(x)
    jac = tape.batch_jacobian(s, x).numpy()
    np.testing.assert_allclose(A.softmax_prime(z), jac, atol=1e-6)


def test_softmax_is_stable_and_sums_to_one():
    s = A.softmax([1000.0, 1001.0, 1002.0])
    assert np.all(np.isfinite(s))
    assert s.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(s, A.softmax([0.0, 1.0, 2.0]))


def test_worked_example_softmax():
    np.testing.assert_allclose(A.softmax([2.0, 1.0, 0.1]).round(2), [0.66, 0.24, 0.10])
    np.testing.assert_allclose(A.softmax([2.0, 1.0, 0.1]), [0.6590, 0.2424, 0.0986], atol=1e-4)


def test_worked_example_softplus_vs_relu():
    x = [-2.0, 0.0, 2.0]
    np.testing.assert_allclose(A.softplus(x).round(2), [0.13, 0.69, 2.13])
    np.testing.assert_allclose(A.relu(x), [0.0, 0.0, 2.0])
    assert np.all(A.softplus(x) > A.relu(x))


def test_softplus_derivative_is_sigmoid():
    np.testing.assert_allclose(A.softplus_prime(X64), A.sigmoid(X64))
    # and it is the derivative: central differences
    h = 1e-5
    num = (A.softplus(X64 + h) - A.softplus(X64 - h)) / (2 * h)
    np.testing.assert_allclose(num, A.sigmoid(X64), atol=1e-8)


def test_step_and_kinks_at_zero():
    np.testing.assert_array_equal(A.step([-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(A.step_prime([-1.0, 0.0, 2.0]), [0.0, 0.0, 0.0])
    assert A.relu_prime(0.0) == 0.0
    assert A.leaky_relu_prime(0.0) == pytest.approx(0.01)
    assert A.sigmoid_prime(0.0) == pytest.approx(0.25)
    assert A.tanh_prime(0.0) == pytest.approx(1.0)


def test_sigmoid_no_overflow_and_dtype_kept():
    with np.errstate(over="raise"):
        s = A.sigmoid([-1000.0, 1000.0])
    np.testing.assert_array_equal(s, [0.0, 1.0])
    assert A.relu(np.array([1.0], dtype=np.float32)).dtype == np.float32
    assert A.relu([1, -1]).dtype == np.float64


def test_registry_and_bad_arguments():
    assert set(A.ACTIVATIONS) == {"linear", "step", "sigmoid", "tanh", "relu", "leaky_relu",
                                  "elu", "selu", "softplus", "swish", "softmax"}
    f, df = A.get_activation("tanh")
    assert f is A.tanh and df is A.tanh_prime
    with pytest.raises(ValueError, match="name='gelu'"):
        A.get_activation("gelu")
    with pytest.raises(ValueError, match="alpha=-1"):
        A.leaky_relu([1.0], alpha=-1)
    with pytest.raises(ValueError, match="alpha=nan"):
        A.elu([1.0], alpha=float("nan"))
