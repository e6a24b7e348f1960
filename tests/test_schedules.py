"""LinearWarmup: values, continuity, serialization, XLA training."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest

from dlcourse_keras.schedules import LinearWarmup


def test_constant_after():
    lr = LinearWarmup(10, 0.5)
    vals = [float(lr(s)) for s in (0, 5, 9, 10, 100)]
    np.testing.assert_allclose(vals, [0.0, 0.25, 0.45, 0.5, 0.5], rtol=1e-6)


def test_initial_lr_and_schedule_after():
    after = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
    lr = LinearWarmup(20, after, initial_lr=0.02)
    np.testing.assert_allclose(float(lr(0)), 0.02, rtol=1e-6)
    np.testing.assert_allclose(float(lr(10)), 0.06, rtol=1e-6)
    # after the ramp the wrapped schedule starts from its own step 0
    np.testing.assert_allclose(float(lr(20)), 0.1, rtol=1e-6)
    np.testing.assert_allclose(float(lr(120)), 0.05, rtol=1e-6)


def test_continuous_at_boundary():
    after = keras.optimizers.schedules.CosineDecay(0.2, decay_steps=1000)
    lr = LinearWarmup(50, after)
    before, at, nxt = float(lr(49)), float(lr(50)), float(lr(51))
    assert abs(at - 0.2) < 1e-6
    assert abs(at - before) <= 0.2 / 50 + 1e-6
    assert abs(nxt - at) < 1e-5


def test_config_round_trip():
    after = keras.optimizers.schedules.PiecewiseConstantDecay([100], [0.1, 0.01])
    lr = LinearWarmup(30, after, initial_lr=0.001)
    clone = LinearWarmup.from_config(lr.get_config())
    for s in (0, 15, 30, 99, 131, 500):
        np.testing.assert_allclose(float(clone(s)), float(lr(s)), rtol=1e-6)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(lr))
    assert isinstance(restored, LinearWarmup)
    assert isinstance(restored.after, keras.optimizers.schedules.PiecewiseConstantDecay)


def _model(lr):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse", jit_compile=True)
    return model


def test_xla_fit_and_saved_model_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)).astype("float32"), rng.normal(size=(64, 1)).astype("float32")
    lr = LinearWarmup(4, keras.optimizers.schedules.ExponentialDecay(0.05, 10, 0.9), initial_lr=0.0)
    model = _model(lr)
    hist = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert np.all(np.isfinite(hist.history["loss"]))
    assert int(model.optimizer.iterations.numpy()) == 8
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    restored = loaded.optimizer.get_config()["learning_rate"]
    restored = keras.saving.deserialize_keras_object(restored)
    assert isinstance(restored, LinearWarmup)
    assert float(restored(2)) == pytest.approx(float(lr(2)))


@pytest.mark.parametrize("kwargs", [
    dict(warmup_steps=0, after=0.1), dict(warmup_steps=2.5, after=0.1), dict(warmup_steps=True, after=0.1),
    dict(warmup_steps=10, after=-0.1), dict(warmup_steps=10, after="adam"),
    dict(warmup_steps=10, after=0.1, initial_lr=-1.0),
])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        LinearWarmup(**kwargs)
