"""NumPy losses and gradients equal keras.losses and tf.GradientTape (float64)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcourse_keras.numpy_ref import losses as L


def _cases(seed=0, n=16, k=4):
    rng = np.random.default_rng(seed)
    y_reg = rng.normal(size=(n, 3))
    p_reg = y_reg + rng.normal(scale=1.5, size=(n, 3))
    y_bin = rng.integers(0, 2, size=(n, 2)).astype(float)
    p_bin = rng.uniform(0.02, 0.98, size=(n, 2))
    logits = rng.normal(size=(n, k))
    p_cat = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    ids = rng.integers(0, k, size=n)
    y_cat = np.eye(k)[ids]
    y_pm = 2.0 * y_bin - 1.0
    scores = rng.normal(scale=1.5, size=(n, 2))
    return {
        "mse": (y_reg, p_reg, keras.losses.mean_squared_error, {}),
        "mae": (y_reg, p_reg, keras.losses.mean_absolute_error, {}),
        "huber": (y_reg, p_reg, keras.losses.huber, {}),
        "binary_crossentropy": (y_bin, p_bin, keras.losses.binary_crossentropy, {}),
        "categorical_crossentropy": (y_cat, p_cat, keras.losses.categorical_crossentropy, {}),
        "sparse_categorical_crossentropy": (ids, p_cat, keras.losses.sparse_categorical_crossentropy, {}),
        "hinge": (y_pm, scores, keras.losses.hinge, {}),
    }


def _keras_value_and_grad(keras_fn, y_true, y_pred, **kwargs):
    yp = tf.Variable(y_pred, dtype=tf.float64)
    yt = tf.constant(y_true, dtype=tf.int64 if y_true.dtype.kind == "i" else tf.float64)
    with tf.GradientTape() as tape:
        per_sample = keras_fn(yt, yp, **kwargs)
        cost = tf.reduce_mean(per_sample)
    return per_sample.numpy(), tape.gradient(cost, yp).numpy()


@pytest.mark.parametrize("name", L.LOSSES)
@pytest.mark.parametrize("seed", [0, 1])
def test_value_and_gradient_equal_keras(name, seed):
    y_true, y_pred, keras_fn, kwargs = _cases(seed)[name]
    loss_fn, grad_fn = L.get(name)
    want, want_grad = _keras_value_and_grad(keras_fn, y_true, y_pred, **kwargs)
    got = loss_fn(y_true, y_pred)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-6, rtol=0)
    np.testing.assert_allclose(grad_fn(y_true, y_pred), want_grad, atol=1e-6, rtol=0)


@pytest.mark.parametrize("delta", [0.3, 1.0, 2.5])
def test_huber_delta_equals_keras(delta):
    y_true, y_pred, _, _ = _cases(3)["huber"]
    want, want_grad = _keras_value_and_grad(keras.losses.huber, y_true, y_pred, delta=delta)
    np.testing.assert_allclose(L.huber(y_true, y_pred, delta=delta), want, atol=1e-6)
    np.testing.assert_allclose(L.huber_grad(y_true, y_pred, delta=delta), want_grad, atol=1e-6)


def test_hinge_binary_labels_and_clipped_probabilities_like_keras():
    rng = np.random.default_rng(5)
    y01 = rng.integers(0, 2, size=(10, 1)).astype(float)
    scores = rng.normal(size=(10, 1))
    want, want_grad = _keras_value_and_grad(keras.losses.hinge, y01, scores)
    np.testing.assert_allclose(L.hinge(y01, scores), want, atol=1e-6)
    np.testing.assert_allclose(L.hinge_grad(y01, scores), want_grad, atol=1e-6)
    # probabilities at exactly 0 and 1 are clipped: finite loss, zero gradient there
    y = np.array([[1.0, 0.0, 1.0]])
    p = np.array([[0.0, 1.0, 0.5]])
    want, want_grad = _keras_value_and_grad(keras.losses.binary_crossentropy, y, p)
    np.testing.assert_allclose(L.binary_crossentropy(y, p), want, rtol=1e-6)
    assert np.isfinite(L.binary_crossentropy(y, p)).all()
    np.testing.assert_allclose(L.binary_crossentropy_grad(y, p), want_grad, atol=1e-6)


def test_known_values():
    assert L.mse([[1.0, 2.0]], [[1.5, 2.0]])[0] == pytest.approx(0.125)
    assert L.mae([[0.0, 0.0]], [[1.0, -3.0]])[0] == pytest.approx(2.0)
    assert L.huber([[0.0, 0.0]], [[0.5, 3.0]])[0] == pytest.approx(1.3125)
    assert L.binary_crossentropy([[1.0]], [[0.5]])[0] == pytest.approx(np.log(2))
    assert L.categorical_crossentropy([[0, 1, 0]], [[0.2, 0.7, 0.1]])[0] == pytest.approx(-np.log(0.7))
    assert L.sparse_categorical_crossentropy([1], [[0.2, 0.7, 0.1]])[0] == pytest.approx(-np.log(0.7))
    assert L.hinge([[1.0, -1.0]], [[2.0, 0.5]])[0] == pytest.approx(0.75)
    # sparse and one-hot cross-entropy agree on normalized rows
    _, p, _, _ = _cases(2)["categorical_crossentropy"]
    ids = np.arange(len(p)) % p.shape[1]
    np.testing.assert_allclose(L.sparse_categorical_crossentropy(ids, p),
                               L.categorical_crossentropy(np.eye(p.shape[1])[ids], p), atol=1e-12)


def test_gradients_match_finite_differences():
    y, p, _, _ = _cases(4)["huber"]
    h = 1e-6
    for name in ("mse", "huber"):
        loss_fn, grad_fn = L.get(name)
        g = grad_fn(y, p)
        bump = np.zeros_like(p)
        bump[2, 1] = h
        fd = (loss_fn(y, p + bump).mean() - loss_fn(y, p - bump).mean()) / (2 * h)
        assert g[2, 1] == pytest.approx(fd, rel=1e-5)


def test_bad_arguments_rejected():
    with pytest.raises(ValueError, match="y_true.shape"):
        L.mse(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="finite"):
        L.mae([[np.nan]], [[0.0]])
    with pytest.raises(ValueError, match="delta=-1"):
        L.huber([[0.0]], [[1.0]], delta=-1)
    with pytest.raises(ValueError, match="delta=True"):
        L.huber_grad([[0.0]], [[1.0]], delta=True)
    with pytest.raises(ValueError, match="probabilities"):
        L.binary_crossentropy([[1.0]], [[1.5]])
    with pytest.raises(ValueError, match="probabilities"):
        L.categorical_crossentropy([[1.0, 0.0]], [[-0.2, 1.2]])
    with pytest.raises(ValueError, match="samples, classes"):
        L.categorical_crossentropy([1.0, 0.0], [0.5, 0.5])
    with pytest.raises(ValueError, match="class ids"):
        L.sparse_categorical_crossentropy([3], [[0.5, 0.5]])
    with pytest.raises(ValueError, match="class ids"):
        L.sparse_categorical_crossentropy([0.5], [[0.5, 0.5]])
    with pytest.raises(ValueError, match="y_pred.shape"):
        L.sparse_categorical_crossentropy([0, 1], [[0.5, 0.5]])
    with pytest.raises(ValueError, match="name='kl'"):
        L.get("kl")
    with pytest.raises(ValueError, match="at least 1-D"):
        L.mse(1.0, 1.0)


def test_output_activation_table_covers_every_loss():
    assert set(L.OUTPUT_ACTIVATION) == set(L.LOSSES)
    assert L.OUTPUT_ACTIVATION["binary_crossentropy"] == "sigmoid"
    assert L.OUTPUT_ACTIVATION["sparse_categorical_crossentropy"] == "softmax"


def test_one_definition_of_each_loss_formula():
    """The MLP and the line fits compute their losses through numpy_ref.losses' formulas."""
    import inspect

    from dlcourse_keras.numpy_ref import gradient_descent, mlp

    for function in (mlp.MLP._loss, mlp.MLP._output_delta, gradient_descent._line_loss_and_grad):
        body = inspect.getsource(function).split('"""')[-1]
        for formula in ("np.log(", "** 2", "np.abs(", "np.sign("):
            assert formula not in body, (function.__qualname__, formula)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 3)), (rng.random((6, 1)) > 0.5).astype(float)
    for loss, act, ref in (("mse", "sigmoid", L.mse), ("bce", "sigmoid", L.binary_crossentropy)):
        net = mlp.MLP([3, 2, 1], ["tanh", act], loss=loss, seed=1)
        assert net.loss_value(x, y) == pytest.approx(float(np.mean(ref(y, net.predict(x)))), rel=1e-12)
