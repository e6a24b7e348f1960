"""A model saved with the course's objects loads in a fresh process after one call."""

import subprocess
import sys

import keras
import numpy as np

import dlcourse_keras as dl


def test_every_public_name_resolves():
    for name in dl.__all__:
        assert getattr(dl, name) is not None, name


def test_saved_model_loads_in_a_fresh_process(tmp_path):
    names = dl.register_keras_objects()
    assert "dlcourse_keras>InvertedDropout" in names and "dlcourse_keras>LinearWarmup" in names
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(8, activation="relu", kernel_initializer=dl.HeNormal(seed=1)),
        dl.TeachingBatchNorm(),
        dl.InvertedDropout(0.2, seed=3),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.SGD(dl.LinearWarmup(5, 0.1)), loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    model.fit(x, x.sum(axis=1), epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", model.predict(x, verbose=0))
    code = (
        "import sys, numpy as np, keras, dlcourse_keras as dl\n"
        "dl.register_keras_objects()\n"
        f"m = keras.models.load_model(r'{path}', safe_mode=True)\n"
        f"x = np.load(r'{tmp_path / 'x.npy'}'); y = np.load(r'{tmp_path / 'y.npy'}')\n"
        "np.testing.assert_allclose(m.predict(x, verbose=0), y, atol=1e-6)\n"
        "print(type(m.optimizer.learning_rate).__name__ if not hasattr(m.optimizer, '_learning_rate')"
        " else type(m.optimizer._learning_rate).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "LinearWarmup" in out.stdout
