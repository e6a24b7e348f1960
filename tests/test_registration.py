"""Every public name resolves in any order; every registered class is reachable; saved models load after ``import dlcourse_keras``."""

import os
import pkgutil
import subprocess
import sys

import keras
import numpy as np

import dlcourse_keras as dl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(code, timeout=180):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]),
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=timeout, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def _submodule_names():
    return sorted(m.name for m in pkgutil.iter_modules(dl.__path__) if not m.name.startswith("_"))


def test_every_public_name_resolves():
    for name in dl.__all__:
        assert getattr(dl, name) is not None, name


def test_every_module_is_an_attribute_in_a_fresh_interpreter():
    """``dl.course``, ``dl.layers``... work before anything else imported them."""
    names = _submodule_names()
    assert {"course", "models", "layers", "callbacks", "numpy_ref", "text"} <= set(names)
    code = (
        "import sys, dlcourse_keras as dl\n"
        f"names = {names!r}\n"
        "for name in names:\n"
        "    before = 'dlcourse_keras.' + name in sys.modules\n"
        "    module = getattr(dl, name)\n"
        "    assert module is sys.modules['dlcourse_keras.' + name], name\n"
        "    assert dl.__getattr__(name) is module, name  # the lookup itself, whatever the order\n"
        "    print(name, 'preloaded' if before else 'loaded on access')\n"
        f"for name in {sorted(dl.__all__)!r}:\n"
        "    assert getattr(dl, name) is not None, name\n"
        "print('dir ok', set(names) <= set(dir(dl)))\n"
    )
    out = _run(code)
    assert "callbacks loaded on access" in out and "dir ok True" in out


def test_import_stays_light():
    out = _run("import sys, dlcourse_keras\nprint('tensorflow' in sys.modules, 'keras' in sys.modules)")
    assert out.split() == ["False", "False"]


def _registered_classes():
    registered = dl.register_keras_objects()
    objects = keras.saving.get_custom_objects()
    return {name: objects[name] for name in registered}


def test_every_registered_class_is_reachable():
    """Each registered object is exported by its subpackage (or module), and by ``dl`` where listed."""
    classes = _registered_classes()
    assert "dlcourse_keras>GradientNormModel" in classes and "dlcourse_keras>TeachingBatchNorm" in classes
    for name, obj in classes.items():
        module = sys.modules[obj.__module__]
        parent = obj.__module__.rsplit(".", 1)[0]
        home = sys.modules[parent] if parent != "dlcourse_keras" else module
        assert getattr(home, obj.__name__) is obj, f"{name} is not exported by {home.__name__}"
        if obj.__name__ in dl._EXPORTS:  # a top-level name, where there is one, is the same class
            assert getattr(dl, obj.__name__) is obj, f"dl.{obj.__name__} is not {name}"


def test_registration_finds_modules_of_every_subpackage():
    """A module imported by a subpackage's ``__init__`` is registered with no other edit."""
    from dlcourse_keras.registration import keras_object_modules

    modules = keras_object_modules()
    for expected in ("dlcourse_keras.layers", "dlcourse_keras.models",
                     "dlcourse_keras.initializers", "dlcourse_keras.schedules"):
        assert expected in modules
    # callbacks are not saved by Keras, so none is registered
    assert not any(k.startswith("dlcourse_keras>") and "callbacks" in v.__module__
                   for k, v in keras.saving.get_custom_objects().items())


def _save_model(tmp_path):
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(8, activation="relu", kernel_initializer=dl.initializers.HeNormal(seed=1)),
        dl.layers.TeachingBatchNorm(),
        dl.layers.InvertedDropout(0.2, seed=3),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.SGD(dl.schedules.LinearWarmup(5, 0.1)), loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    model.fit(x, x.sum(axis=1), epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", model.predict(x, verbose=0))
    return path


_LOAD = (
    "m = keras.models.load_model(r'{path}', safe_mode=True)\n"
    "x = np.load(r'{x}'); y = np.load(r'{y}')\n"
    "np.testing.assert_allclose(m.predict(x, verbose=0), y, atol=1e-6)\n"
    "print(type(m.optimizer.learning_rate).__name__ if not hasattr(m.optimizer, '_learning_rate')"
    " else type(m.optimizer._learning_rate).__name__)\n"
)


def test_saved_model_loads_after_plain_import(tmp_path):
    """``import dlcourse_keras`` (before or after ``import keras``) is enough for ``load_model``."""
    path = _save_model(tmp_path)
    load = _LOAD.format(path=path, x=tmp_path / "x.npy", y=tmp_path / "y.npy")
    for imports in ("import numpy as np, dlcourse_keras, keras\n",
                    "import numpy as np, keras, dlcourse_keras\n"):
        assert "LinearWarmup" in _run(imports + load)


def test_saved_model_loads_after_register_keras_objects(tmp_path):
    path = _save_model(tmp_path)
    names = dl.register_keras_objects()
    assert "dlcourse_keras>InvertedDropout" in names and "dlcourse_keras>LinearWarmup" in names
    load = _LOAD.format(path=path, x=tmp_path / "x.npy", y=tmp_path / "y.npy")
    assert "LinearWarmup" in _run("import numpy as np, keras, dlcourse_keras as dl\n"
                                  "dl.register_keras_objects()\n" + load)
