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


# ---------------------------------------------------------------- same numbers as keras.Model
def _twin_models(record_layers=True, outputs=1):
    """A GradientNormModel and a keras.Model with the same layers' weights."""
    built = []
    for cls in (GradientNormModel, keras.Model):
        keras.utils.set_random_seed(3)
        inputs = keras.Input((4,))
        h = keras.layers.Dense(6, activation="tanh", name="hidden")(inputs)
        heads = [keras.layers.Dense(1, name=f"out{i}")(h) for i in range(outputs)]
        kwargs = {"record_layers": record_layers} if cls is GradientNormModel else {}
        built.append(cls(inputs, heads if outputs > 1 else heads[0], **kwargs))
    built[1].set_weights(built[0].get_weights())
    return built


def test_loss_and_metrics_equal_keras_model():
    x, y = _data(48)
    histories, weights = [], []
    for model in _twin_models():
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", metrics=["mae"])
        histories.append(model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0,
                                   validation_data=(x[:8], y[:8])).history)
        weights.append(model.get_weights())
    ours, theirs = histories
    for key in ("loss", "mae", "val_loss", "val_mae"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-6, err_msg=key)
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert not any(k.startswith("val_grad_norm") for k in ours)  # norms are a training quantity


_MIRRORED_SCRIPT = r"""
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
import keras, numpy as np
from dlcourse_keras.models import GradientNormModel

rng = np.random.default_rng(0)
x = rng.normal(size=(64, 4)).astype("float32")
y = (rng.normal(size=(64, 1)) * 10).astype("float32")


def build(cls):
    keras.utils.set_random_seed(3)
    inputs = keras.Input((4,))
    h = keras.layers.Dense(6, activation="tanh", name="hidden")(inputs)
    return cls(inputs, keras.layers.Dense(1, name="out")(h))


result = {}
for name, strategy in (("default", tf.distribute.get_strategy()),
                       ("mirrored", tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))):
    with strategy.scope():
        models = [build(GradientNormModel), build(keras.Model)]
        models[1].set_weights(models[0].get_weights())
        for m in models:
            m.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", metrics=["mae"])
    result[name] = {"replicas": strategy.num_replicas_in_sync}
    for label, m in zip(("ours", "keras"), models):
        h = m.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0).history
        result[name][label] = {k: [float(v) for v in vals] for k, vals in h.items()}
        result[name][label + "_weights"] = [w.tolist() for w in m.get_weights()]
print("RESULT" + json.dumps(result))
"""


def test_mirrored_strategy_two_replicas_equals_keras_model(tmp_path):
    """Under MirroredStrategy over 2 logical CPUs: same loss, metrics and weights as keras.Model."""
    import json
    import subprocess
    import sys

    script = tmp_path / "mirrored.py"
    script.write_text(_MIRRORED_SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [os.path.dirname(os.path.dirname(os.path.abspath(__file__))), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.split("RESULT", 1)[1])
    assert result["mirrored"]["replicas"] == 2
    for name in ("default", "mirrored"):
        ours, theirs = result[name]["ours"], result[name]["keras"]
        for key in ("loss", "mae"):
            np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, err_msg=f"{name} {key}")
        for a, b in zip(result[name]["ours_weights"], result[name]["keras_weights"]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # the recorded norm is the norm of the global batch's gradient, whatever the replica count
    np.testing.assert_allclose(result["mirrored"]["ours"]["grad_norm/global"],
                               result["default"]["ours"]["grad_norm/global"], rtol=1e-5)
    np.testing.assert_allclose(result["mirrored"]["ours"]["loss"],
                               result["default"]["ours"]["loss"], rtol=1e-5)


def test_output_without_loss_trains():
    x, y = _data(32)
    ours, theirs = _twin_models(outputs=2)
    for model in (ours, theirs):
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss=["mse", None])
    logs = ours.fit(x, [y, y], batch_size=16, epochs=1, shuffle=False, verbose=0).history
    ref = theirs.fit(x, [y, y], batch_size=16, epochs=1, shuffle=False, verbose=0).history
    np.testing.assert_allclose(logs["loss"], ref["loss"], rtol=1e-6)
    assert logs["grad_norm/out1"] == [0.0]          # the head without a loss gets no gradient
    assert logs["grad_norm/out0"][0] > 0 and logs["grad_norm/hidden"][0] > 0
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_reloaded_record_layers_false_logs_only_the_global_norm(tmp_path):
    x, y = _data()
    model = _model(keras.optimizers.SGD(1e-3), record_layers=False)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    assert loaded.record_layers is False
    logs = loaded.fit(x, y, verbose=0).history
    assert set(logs) == {"loss", "grad_norm/global"}, sorted(logs)
    assert logs["grad_norm/global"][0] > 0


def test_no_private_keras_api():
    import inspect

    from dlcourse_keras.models import gradient_norm

    source = inspect.getsource(gradient_norm)
    assert "keras.src" not in source and "_loss_tracker" not in source
