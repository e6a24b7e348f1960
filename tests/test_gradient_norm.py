"""GradientNormModel records the true gradient norms; clipping is the optimizer's."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcourse_keras.callbacks import GradientNormHistory
from dlcourse_keras.models import GradientNormModel


def _data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype("float32"), (rng.normal(size=(n, 1)) * 10).astype("float32")


def _model(optimizer, record_layers=True):
    keras.utils.set_random_seed(1)
    inputs = keras.Input((4,))
    h = keras.layers.Dense(6, activation="tanh", name="hidden")(inputs)
    outputs = keras.layers.Dense(1, name="out")(h)
    model = GradientNormModel(inputs, outputs, record_layers=record_layers)
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _tape_norms(model, x, y):
    with tf.GradientTape() as tape:
        loss = keras.losses.mean_squared_error(y, model(x, training=True))
        loss = tf.reduce_mean(loss)
    grads = tape.gradient(loss, model.trainable_weights)
    by_layer = {}
    for g, v in zip(grads, model.trainable_weights):
        layer = v.path.split("/")[0]
        by_layer[layer] = by_layer.get(layer, 0.0) + float(tf.reduce_sum(g * g))
    out = {k: np.sqrt(s) for k, s in by_layer.items()}
    out["global"] = np.sqrt(sum(by_layer.values()))
    return out


def test_recorded_norms_equal_gradient_tape():
    x, y = _data()
    model = _model(keras.optimizers.SGD(1e-3))
    expected = _tape_norms(model, x, y)
    history = GradientNormHistory(per_step=True)
    logs = model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[history]).history
    assert set(model.gradient_norm_groups) == {"hidden", "out", "global"}
    for group, value in expected.items():
        np.testing.assert_allclose(logs["grad_norm/" + group][0], value, rtol=1e-5)
        np.testing.assert_allclose(history.epochs[group][0], value, rtol=1e-5)
        np.testing.assert_allclose(history.steps[group][0], value, rtol=1e-5)
    assert "last_gradient_norms" not in logs


def test_per_step_and_epoch_mean():
    x, y = _data(32)
    model = _model(keras.optimizers.SGD(1e-3))
    history = GradientNormHistory(per_step=True)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False, callbacks=[history])
    assert len(history.steps["global"]) == 8 and len(history.epochs["global"]) == 2
    np.testing.assert_allclose(history.epochs["global"][1], np.mean(history.steps["global"][4:]), rtol=1e-5)
    # state is reset per fit
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[history])
    assert len(history.steps["global"]) == 4 and len(history.epochs["global"]) == 1
    import matplotlib

    matplotlib.use("Agg")
    ax = history.plot()
    assert ax.get_yscale() == "log" and len(ax.lines) == 3


def test_global_clipnorm_caps_applied_update():
    x, y = _data()
    model = _model(keras.optimizers.SGD(1.0, global_clipnorm=0.5))
    before = [np.array(v) for v in model.trainable_weights]
    logs = model.fit(x, y, batch_size=16, epochs=1, verbose=0).history
    after = [np.array(v) for v in model.trainable_weights]
    step = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(after, before)))
    assert logs["grad_norm/global"][0] > 5.0  # raw norm recorded, before clipping
    np.testing.assert_allclose(step, 0.5, rtol=1e-4)  # the optimizer clipped it


def test_record_layers_false():
    model = _model("sgd", record_layers=False)
    assert model.gradient_norm_groups == ["global"]
    x, y = _data()
    logs = model.fit(x, y, verbose=0).history
    assert set(logs) == {"loss", "grad_norm/global"}


def test_save_load_round_trip(tmp_path):
    x, y = _data()
    model = _model(keras.optimizers.Adam(1e-3, clipnorm=1.0), record_layers=False)
    model.fit(x, y, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    assert isinstance(loaded, GradientNormModel) and loaded.gradient_norm_groups == ["global"]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert loaded.optimizer.clipnorm == 1.0
    assert "grad_norm/global" in loaded.fit(x, y, verbose=0).history


def test_bad_arguments():
    with pytest.raises(ValueError, match="per_step"):
        GradientNormHistory(per_step="yes")
    inputs = keras.Input((2,))
    with pytest.raises(ValueError, match="record_layers"):
        GradientNormModel(inputs, keras.layers.Dense(1)(inputs), record_layers=1)
    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    plain.compile("sgd", "mse")
    x, y = _data()
    with pytest.raises(ValueError, match="GradientNormModel"):
        plain.fit(x, y, verbose=0, callbacks=[GradientNormHistory()])
    with pytest.raises(ValueError, match="per_step"):
        h = GradientNormHistory()
        h.groups, h.epochs, h.steps = ["global"], {"global": []}, {"global": []}
        h.plot(per_step=True)
