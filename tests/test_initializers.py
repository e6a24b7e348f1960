"""Initializers from the notes' formulas: empirical statistics, Keras equivalence, seeding, saving."""

import math

import keras
import numpy as np
import pytest

from dlcourse_keras import initializers as init

SHAPE = (400, 600)  # 240,000 draws: the std estimate is within ~0.3%
FAN_IN, FAN_OUT = SHAPE


def draw(initializer, shape=SHAPE):
    return keras.ops.convert_to_numpy(initializer(shape, dtype="float32"))


@pytest.mark.parametrize(
    "initializer, expected_std",
    [
        (init.UniformFanIn(seed=1), 1 / math.sqrt(3 * FAN_IN)),
        (init.XavierUniform(seed=1), math.sqrt(6 / (FAN_IN + FAN_OUT)) / math.sqrt(3)),
        (init.HeUniform(seed=1), math.sqrt(6 / FAN_IN) / math.sqrt(3)),
        (init.XavierNormal(seed=1), math.sqrt(2 / (FAN_IN + FAN_OUT))),
        (init.HeNormal(seed=1), math.sqrt(2 / FAN_IN)),
        (init.XavierNormal(distribution="truncated_normal", seed=1), math.sqrt(2 / (FAN_IN + FAN_OUT))),
        (init.HeNormal(distribution="truncated_normal", seed=1), math.sqrt(2 / FAN_IN)),
        (init.ScaledNormal(0.01, seed=1), 0.01),
    ],
)
def test_empirical_std_matches_formula(initializer, expected_std):
    w = draw(initializer)
    assert abs(w.std() / expected_std - 1) < 0.02
    assert abs(w.mean()) < 0.02 * expected_std * 10
    assert init.formula_std(initializer, SHAPE) == pytest.approx(expected_std)


@pytest.mark.parametrize(
    "initializer, limit",
    [
        (init.UniformFanIn(seed=2), 1 / math.sqrt(FAN_IN)),
        (init.XavierUniform(seed=2), math.sqrt(6 / (FAN_IN + FAN_OUT))),
        (init.HeUniform(seed=2), math.sqrt(6 / FAN_IN)),
    ],
)
def test_uniform_limits(initializer, limit):
    w = draw(initializer)
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit


QUANTILES = [0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.98]


def quantile_gap(a, b):
    """Largest difference between matching quantiles, relative to b's std (a KS-like distance)."""
    return np.max(np.abs(np.quantile(a, QUANTILES) - np.quantile(b, QUANTILES))) / b.std()


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (init.UniformFanIn(seed=3),
         keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform", seed=4)),
        (init.XavierUniform(seed=3), keras.initializers.GlorotUniform(seed=4)),
        (init.HeUniform(seed=3), keras.initializers.HeUniform(seed=4)),
        (init.XavierNormal(distribution="truncated_normal", seed=3), keras.initializers.GlorotNormal(seed=4)),
        (init.HeNormal(distribution="truncated_normal", seed=3), keras.initializers.HeNormal(seed=4)),
    ],
)
def test_matches_keras_builtin_in_distribution(ours, theirs):
    a, b = draw(ours), draw(theirs)
    assert abs(a.std() / b.std() - 1) < 0.02
    assert quantile_gap(a, b) < 0.02
    assert abs(np.abs(a).max() / np.abs(b).max() - 1) < 0.02


@pytest.mark.parametrize("ours, theirs", [
    (init.HeNormal(seed=5), keras.initializers.HeNormal(seed=6)),
    (init.XavierNormal(seed=5), keras.initializers.GlorotNormal(seed=6)),
])
def test_plain_normal_differs_from_keras_truncated_only_in_shape(ours, theirs):
    a, b = draw(ours), draw(theirs)
    assert abs(a.std() / b.std() - 1) < 0.02          # same standard deviation
    sigma = a.std()
    cut = 2 * sigma / init.TRUNCATED_NORMAL_STD        # Keras's hard bound
    assert np.abs(b).max() <= cut * 1.0001
    assert np.mean(np.abs(a) > cut) > 0.01             # the plain normal has tails beyond it (~2.3%)
    assert quantile_gap(a, b) > 0.04                    # and narrower quartiles


def test_unseeded_instance_gives_fresh_weights_per_layer():
    keras.utils.set_random_seed(0)
    shared = init.HeNormal()
    a = keras.layers.Dense(8, kernel_initializer=shared)
    b = keras.layers.Dense(8, kernel_initializer=shared)
    a.build((None, 5))
    b.build((None, 5))
    assert not np.allclose(a.kernel.numpy(), b.kernel.numpy())


def test_int_seed_is_reproducible_and_unseeded_follows_global_seed():
    assert np.array_equal(draw(init.XavierUniform(seed=7), (5, 5)), draw(init.XavierUniform(seed=7), (5, 5)))
    keras.utils.set_random_seed(11)
    first = draw(init.HeUniform(), (5, 5))
    keras.utils.set_random_seed(11)
    again = draw(init.HeUniform(), (5, 5))
    assert np.array_equal(first, again)


def test_conv_fans():
    assert init.compute_fans((3, 3, 16, 32)) == (144, 288)
    assert init.compute_fans((7,)) == (7, 7)
    assert init.compute_fans(()) == (1, 1)


@pytest.mark.parametrize("bad", [
    lambda: init.HeNormal(distribution="uniform"),
    lambda: init.XavierUniform(seed=1.5),
    lambda: init.HeUniform(seed=True),
    lambda: init.ScaledNormal(scale=0),
    lambda: init.ScaledNormal(scale="big"),
])
def test_bad_arguments(bad):
    with pytest.raises(ValueError):
        bad()


def test_formula_std_rejects_foreign_initializer():
    with pytest.raises(TypeError):
        init.formula_std(keras.initializers.HeNormal(), SHAPE)


def test_model_round_trip(tmp_path):
    model = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(5, activation="relu", kernel_initializer=init.HeNormal(distribution="truncated_normal")),
        keras.layers.Dense(4, kernel_initializer=init.XavierUniform(seed=3)),
        keras.layers.Dense(3, kernel_initializer=init.UniformFanIn()),
        keras.layers.Dense(2, kernel_initializer=init.ScaledNormal(0.5, seed=2)),
        keras.layers.Dense(1, kernel_initializer=init.HeUniform(), bias_initializer=init.XavierNormal()),
    ])
    x = np.random.default_rng(0).normal(size=(4, 6)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    cfg = loaded.layers[0].kernel_initializer.get_config()
    assert isinstance(loaded.layers[0].kernel_initializer, init.HeNormal)
    assert cfg == {"distribution": "truncated_normal", "seed": None}
    assert loaded.layers[3].kernel_initializer.scale == 0.5


@pytest.mark.parametrize("cls", [init.UniformFanIn, init.XavierUniform, init.XavierNormal,
                                 init.HeNormal, init.HeUniform, init.ScaledNormal])
@pytest.mark.parametrize("shape", [(0, 4), (4, 0), (3, 3, 0, 8)])
def test_zero_fan_gives_an_empty_array_like_keras(cls, shape):
    ours = keras.ops.convert_to_numpy(cls(seed=0)(shape))
    theirs = keras.ops.convert_to_numpy(keras.initializers.HeNormal(seed=0)(shape))
    assert ours.shape == theirs.shape == shape
