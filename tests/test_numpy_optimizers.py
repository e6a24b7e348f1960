"""NumPy optimizers equal Keras's optimizers step for step."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcourse_keras.numpy_ref import optimizers as npo

STEPS = 100


def f32(x):
    """Keras keeps the learning rate in a float32 variable (and casts SGD momentum via
    float32); use the same rounded values so float64 runs agree to rounding error."""
    return float(np.float32(x))


CASES = [
    (npo.SGD(f32(0.05)), keras.optimizers.SGD(0.05)),
    (npo.Momentum(f32(0.05), f32(0.9)), keras.optimizers.SGD(0.05, momentum=0.9)),
    (npo.Nesterov(f32(0.05), f32(0.9)), keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True)),
    (npo.Adagrad(f32(0.1)), keras.optimizers.Adagrad(0.1)),
    (npo.RMSprop(f32(0.01), rho=0.9), keras.optimizers.RMSprop(0.01, rho=0.9)),
    (npo.Adadelta(f32(1.0), rho=0.95), keras.optimizers.Adadelta(1.0, rho=0.95)),
    (npo.Adam(f32(0.01), 0.9, 0.99), keras.optimizers.Adam(0.01, beta_1=0.9, beta_2=0.99)),
]


@pytest.mark.parametrize("ours,theirs", CASES, ids=[type(c[1]).__name__ + str(i) for i, c in enumerate(CASES)])
def test_equals_keras_for_100_steps(ours, theirs):
    rng = np.random.default_rng(0)
    init = [rng.normal(size=(3, 2)), rng.normal(size=(2,))]
    params = [p.copy() for p in init]
    kvars = [keras.Variable(p, dtype="float64") for p in init]
    worst = 0.0
    for _ in range(STEPS):
        grads = [rng.normal(size=p.shape) * 3 for p in init]
        ours.step(params, grads)
        theirs.apply_gradients(zip([tf.constant(g) for g in grads], kvars))
        for p, v in zip(params, kvars):
            worst = max(worst, float(np.max(np.abs(p - np.asarray(v.numpy())))))
    assert worst < 1e-6, worst
    assert ours.iterations == STEPS


def test_notes_vs_keras_adam_defaults():
    assert npo.Adam().beta_2 == 0.99
    assert keras.optimizers.Adam().beta_2 == 0.999


def test_single_array_and_state_reuse():
    w = np.array([1.0, -1.0])
    opt = npo.Momentum(0.1, 0.9)
    opt.step(w, np.array([1.0, 1.0]))
    np.testing.assert_allclose(w, [0.9, -1.1])
    opt.step(w, np.array([1.0, 1.0]))  # v = 0.9*0.1 + 0.1 = 0.19
    np.testing.assert_allclose(w, [0.71, -1.29])


def test_clip_by_norm_matches_tf_and_keras_clipnorm():
    rng = np.random.default_rng(1)
    for scale in (0.01, 1.0, 100.0):
        g = rng.normal(size=(4, 3)) * scale
        np.testing.assert_allclose(npo.clip_by_norm(g, 1.5), tf.clip_by_norm(g, 1.5).numpy(), rtol=1e-12)
    g = np.array([3.0, 4.0])
    np.testing.assert_allclose(npo.clip_by_norm(g, 1.0), [0.6, 0.8])
    np.testing.assert_allclose(npo.clip_by_norm(g, 10.0), g)
    # Keras clipnorm clips each variable; plain SGD lr=1 makes the update equal the clipped gradient.
    g1, g2 = rng.normal(size=(3,)) * 10, rng.normal(size=(2,)) * 0.1
    v1, v2 = keras.Variable(np.zeros(3), dtype="float64"), keras.Variable(np.zeros(2), dtype="float64")
    keras.optimizers.SGD(1.0, clipnorm=1.0).apply_gradients([(tf.constant(g1), v1), (tf.constant(g2), v2)])
    np.testing.assert_allclose(-v1.numpy(), npo.clip_by_norm(g1, 1.0), rtol=1e-6)
    np.testing.assert_allclose(-v2.numpy(), npo.clip_by_norm(g2, 1.0), rtol=1e-6)
    # global_clipnorm clips them jointly
    v1.assign(np.zeros(3)); v2.assign(np.zeros(2))
    keras.optimizers.SGD(1.0, global_clipnorm=1.0).apply_gradients([(tf.constant(g1), v1), (tf.constant(g2), v2)])
    c1, c2 = npo.clip_by_global_norm([g1, g2], 1.0)
    np.testing.assert_allclose(-v1.numpy(), c1, rtol=1e-6)
    np.testing.assert_allclose(-v2.numpy(), c2, rtol=1e-6)


def test_trajectory_shape_and_convergence():
    path = npo.run_trajectory(npo.SGD(f32(0.1)), lambda w: 2 * w, (1.0, -2.0), 50)
    assert path.shape == (51, 2)
    np.testing.assert_allclose(path[0], [1.0, -2.0])
    assert np.linalg.norm(path[-1]) < 1e-4


@pytest.mark.parametrize("make", [
    lambda: npo.SGD(learning_rate=0),
    lambda: npo.SGD(0.1, momentum=1.0),
    lambda: npo.Adam(beta_1=-0.1),
    lambda: npo.Adagrad(initial_accumulator_value=-1),
    lambda: npo.RMSprop(epsilon=0),
    lambda: npo.clip_by_norm(np.ones(2), 0),
    lambda: npo.run_trajectory(npo.SGD(), lambda w: w, (0.0,), 0),
])
def test_bad_arguments(make):
    with pytest.raises(ValueError):
        make()


def test_mismatched_shapes():
    with pytest.raises(ValueError, match="shape"):
        npo.SGD().step([np.zeros(2)], [np.zeros(3)])
    with pytest.raises(ValueError, match="same length"):
        npo.SGD().step([np.zeros(2)], [])
