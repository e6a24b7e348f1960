"""Tests for the NumPy perceptron, the perceptron trick and the perceptron loss."""

import numpy as np
import pytest

from dlcourse_keras.numpy_ref.perceptron import (
    Perceptron, perceptron_loss, perceptron_loss_gradient, perceptron_trick_step, step)

X_GATES = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
Y_AND = np.array([0, 0, 0, 1])
Y_OR = np.array([0, 1, 1, 1])
Y_XOR = np.array([0, 1, 1, 0])


def test_step_is_strict_unit_step():
    assert step(np.array([-2.0, -1e-12, 0.0, 1e-12, 3.0])).tolist() == [0, 0, 0, 1, 1]
    assert int(step(0.5)) == 1 and int(step(0)) == 0


@pytest.mark.parametrize("labels", [Y_AND, Y_OR], ids=["AND", "OR"])
@pytest.mark.parametrize("seed", [None, 0, 1, 2])
def test_learns_and_or(labels, seed):
    p = Perceptron(learning_rate=0.1, max_epochs=100, seed=seed).fit(X_GATES, labels)
    assert p.converged_
    assert p.score(X_GATES, labels) == 1.0
    assert p.history["errors"][-1] == 0
    assert len(p.history["weights"]) == len(p.history["bias"]) == len(p.history["errors"]) == p.n_epochs_
    np.testing.assert_allclose(p.history["weights"][-1], p.weights_)


def test_and_from_zero_weights_is_deterministic():
    a = Perceptron(learning_rate=0.1).fit(X_GATES, Y_AND)
    b = Perceptron(learning_rate=0.1).fit(X_GATES, Y_AND)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    assert a.bias_ == b.bias_ and a.n_epochs_ == b.n_epochs_
    # the learned line separates (1, 1) from the rest
    z = a.decision_function(X_GATES)
    assert z[3] > 0 and (z[:3] <= 0).all()


def test_learns_random_separable_blobs():
    rng = np.random.default_rng(7)
    x = np.vstack([rng.normal((-2, -2), 0.7, size=(100, 2)), rng.normal((2, 2), 0.7, size=(100, 2))])
    y = np.repeat([0, 1], 100)
    # make sure the blobs are separable by a known line: drop points near x1 + x2 = 0
    keep = np.abs(x.sum(axis=1)) > 0.5
    x, y = x[keep], y[keep]
    p = Perceptron(learning_rate=0.1, max_epochs=200, seed=3).fit(x, y)
    assert p.converged_ and p.score(x, y) == 1.0


def test_fails_on_xor():
    for seed in (None, 0, 1):
        p = Perceptron(learning_rate=0.1, max_epochs=500, seed=seed).fit(X_GATES, Y_XOR)
        assert not p.converged_
        assert p.n_epochs_ == 500
        assert p.score(X_GATES, Y_XOR) < 1.0
        assert min(p.history["errors"]) > 0


def test_update_rule_one_epoch_by_hand():
    # From zero weights, AND in order. (0, 0) lies ON the line z = 0 with label 0 (s = -1):
    # s z = 0 <= 0 counts as a mistake, b <- 0 - 0.5. (0, 1) and (1, 0) then score -0.5, right
    # side. (1, 1) scores -0.5 but is positive: w <- (0.5, 0.5), b <- -0.5 + 0.5 = 0.
    p = Perceptron(learning_rate=0.5, max_epochs=1).fit(X_GATES, Y_AND)
    np.testing.assert_allclose(p.weights_, [0.5, 0.5])
    assert p.bias_ == 0.0 and p.history["errors"] == [2]


@pytest.mark.parametrize("labels", [Y_AND, 1 - Y_AND, np.array([0, 1, 1, 1])], ids=["AND", "NAND", "OR"])
@pytest.mark.parametrize("seed", [None, 0, 1])
def test_converged_boundary_passes_through_no_training_point(labels, seed):
    p = Perceptron(learning_rate=0.5, max_epochs=200, seed=seed).fit(X_GATES, labels)
    assert p.converged_
    signed = (2 * labels - 1) * p.decision_function(X_GATES)
    assert signed.min() > 0, f"a training point lies on or beyond the line: {signed}"


def test_trick_worked_example_from_notes():
    # Line 2x + 3y + 5 = 0, point (1, 3), lr 0.01. The point scores 2 + 9 + 5 = 16 > 0.
    # Moving the line toward it adds 0.01 * (1, 3, 1): the notes' 2.01x + 3.03y + 5.01 = 0
    # is the positive-point update, which our rule applies when the point is on the negative side.
    towards = np.array([2, 3, 5]) + 0.01 * np.array([1, 3, 1])
    np.testing.assert_allclose(towards, [2.01, 3.03, 5.01])
    # As a negative point it is misclassified, and the rule subtracts.
    np.testing.assert_allclose(perceptron_trick_step([2, 3, 5], [1, 3], 0, 0.01), [1.99, 2.97, 4.99])
    np.testing.assert_allclose(perceptron_trick_step([2, 3, 5], [1, 3], -1, 0.01), [1.99, 2.97, 4.99])
    # As a positive point it is already on the right side: unchanged.
    np.testing.assert_allclose(perceptron_trick_step([2, 3, 5], [1, 3], 1, 0.01), [2, 3, 5])
    # The notes' line reflected, -2x - 3y - 5 = 0, has (1, 3) on its negative side: a positive
    # point there gives exactly the notes' coefficients with the sign flipped back.
    moved = perceptron_trick_step([-2, -3, -5], [1, 3], 1, 0.01)
    np.testing.assert_allclose(moved, [-1.99, -2.97, -4.99])


def test_trick_moves_line_toward_point():
    coefs, point = np.array([2.0, 3.0, 5.0]), np.array([-3.0, -1.0])  # score -4: negative side
    new = perceptron_trick_step(coefs, point, 1, 0.01)
    np.testing.assert_allclose(new, [1.97, 2.99, 5.01])
    p = np.append(point, 1)
    assert new @ p > coefs @ p  # the point's score rises toward the positive side
    # repeated steps eventually put it on the positive side
    for _ in range(200):
        new = perceptron_trick_step(new, point, 1, 0.01)
    assert new @ p > 0


def test_loss_values():
    assert perceptron_loss([1, -1, 1], [2.0, 0.5, -1.0]) == pytest.approx(0.5)
    assert perceptron_loss([1, -1], [3.0, -0.1]) == 0.0
    assert perceptron_loss([1], [0.0]) == 0.0


def test_gradient_matches_gradient_tape():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = np.where(rng.random(40) > 0.5, 1, -1)
    w, b = rng.normal(size=3), 0.3
    dw, db = perceptron_loss_gradient(x, y, w, b)
    tw, tb = tf.Variable(w), tf.Variable(b, dtype=tf.float64)
    with tf.GradientTape() as tape:
        scores = tf.linalg.matvec(tf.constant(x), tw) + tb
        loss = tf.reduce_mean(tf.nn.relu(-tf.constant(y, tf.float64) * scores))
    gw, gb = tape.gradient(loss, [tw, tb])
    np.testing.assert_allclose(dw, gw.numpy(), atol=1e-12)
    assert db == pytest.approx(float(gb.numpy()), abs=1e-12)
    assert float(loss.numpy()) == pytest.approx(perceptron_loss(y, x @ w + b))
    assert np.abs(dw).sum() > 0  # some points are misclassified, so the check is not trivial


def test_gradient_descent_on_loss_separates_and():
    x, y = X_GATES, np.where(Y_AND == 1, 1, -1)
    # start slightly wrong so the gradient is non-zero
    w, b = np.array([-0.1, 0.1]), 0.05
    for _ in range(500):
        dw, db = perceptron_loss_gradient(x, y, w, b)
        w, b = w - 0.1 * dw, b - 0.1 * db
    assert perceptron_loss(y, x @ w + b) == 0.0


@pytest.mark.parametrize("kwargs, match", [
    ({"learning_rate": 0}, "learning_rate=0"),
    ({"learning_rate": -0.1}, "learning_rate=-0.1"),
    ({"learning_rate": float("nan")}, "learning_rate=nan"),
    ({"learning_rate": "0.1"}, "learning_rate='0.1'"),
    ({"max_epochs": 0}, "max_epochs=0"),
    ({"max_epochs": 2.5}, "max_epochs=2.5"),
    ({"seed": -1}, "seed=-1"),
    ({"seed": 1.5}, "seed=1.5"),
])
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Perceptron(**kwargs)


def test_bad_fit_and_predict_arguments():
    p = Perceptron()
    with pytest.raises(RuntimeError, match="not fitted"):
        p.predict(X_GATES)
    with pytest.raises(ValueError, match="labels 0 and 1"):
        p.fit(X_GATES, [0, 1, 2, 1])
    with pytest.raises(ValueError, match="one label per row"):
        p.fit(X_GATES, [0, 1])
    with pytest.raises(ValueError, match="2-D"):
        p.fit(np.zeros(4), [0, 1, 1, 0])
    p.fit(X_GATES, Y_AND)
    with pytest.raises(ValueError, match=r"shape \(samples, 2\)"):
        p.predict(np.zeros((3, 3)))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_inputs_are_rejected(bad):
    # a NaN row used to be skipped silently (NaN <= 0 is False: never a mistake), so the
    # perceptron "converged" on whatever the other rows gave
    x = X_GATES.copy()
    x[2, 1] = bad
    with pytest.raises(ValueError, match=r"x must contain only finite numbers.*row\(s\) \[2\]"):
        Perceptron().fit(x, Y_AND)
    p = Perceptron().fit(X_GATES, Y_AND)
    with pytest.raises(ValueError, match="finite"):
        p.predict(x)
    with pytest.raises(ValueError, match="finite"):
        perceptron_trick_step([1.0, 2.0, bad], [0.0, 0.0], 1)


def test_bad_trick_and_loss_arguments():
    with pytest.raises(ValueError, match="coefs"):
        perceptron_trick_step([1, 2], [0, 0], 1)
    with pytest.raises(ValueError, match="point"):
        perceptron_trick_step([1, 2, 3], [0, 0, 0], 1)
    with pytest.raises(ValueError, match="label=2"):
        perceptron_trick_step([1, 2, 3], [0, 0], 2)
    with pytest.raises(ValueError, match="learning_rate=0"):
        perceptron_trick_step([1, 2, 3], [0, 0], 1, 0)
    with pytest.raises(ValueError, match=r"-1 and \+1"):
        perceptron_loss([0, 1], [0.5, 0.5])
    with pytest.raises(ValueError, match="same length"):
        perceptron_loss([1, -1], [0.5])
    with pytest.raises(ValueError, match="weights"):
        perceptron_loss_gradient(np.zeros((2, 3)), [1, -1], np.zeros(2), 0.0)


def test_nand_exact_with_power_of_two_learning_rate():
    # lr = 0.5 keeps every weight exact, so no point is decided by a rounding error.
    p = Perceptron(learning_rate=0.5, max_epochs=100).fit(X_GATES, 1 - Y_AND)
    assert p.converged_ and p.score(X_GATES, 1 - Y_AND) == 1.0
    z = p.decision_function(X_GATES)
    assert (z[:3] > 0).all() and z[3] <= 0
