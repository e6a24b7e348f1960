"""dlcourse_keras: helpers for a deep-learning course in Keras 3.

Three wings: the Keras library students import (``layers``, ``models``,
``callbacks``, ``initializers``, ``schedules``, ``text``, ``bleu``, ``distribute``,
``device``), the course machinery (``course``: setup, profiles, records, the
runner and its report, the CLI) and the NumPy teaching references
(``numpy_ref``), with ``data`` and ``plots`` beside them.

Importing the package is cheap: Keras and TensorFlow load only when a name
that needs them is first used. Every subpackage is reachable as an attribute
(``dl.layers``, ``dl.course``...), whatever was imported before. Once Keras is
imported (before or after this package), the course's Keras objects are
registered, so ``keras.models.load_model`` finds them.
"""

import importlib
import importlib.util
import pkgutil

__version__ = "0.1.0"

# The top level holds what every notebook's setup cell needs; everything else is reached
# through its subpackage, as in Keras: ``dl.layers.TeachingLSTM``, ``dl.models.beam_search``,
# ``dl.numpy_ref.mlp.MLP``, ``dl.text.make_vectorizer``, ``dl.data.load_mnist``.
# public name -> module that defines it (loaded on first use)
_EXPORTS = {
    "setup": "course.session",
    "in_colab": "course.session",
    "get_profile": "course.profile",
    "by_profile": "course.profile",
    "is_smoke": "course.profile",
    "record_metric": "course.records",
    "record_figure": "course.records",
    "show_source": "course.source",
    "exercises": "course.exercises",
    "seed_everything": "seeding",
    "register_keras_objects": "registration",
}


def _is_submodule(name):
    # any module or subpackage of the package (``dl.data``, ``dl.layers``...), found on
    # disk, so attribute access never depends on what happened to be imported before
    if name.startswith("_") or not name.isidentifier():
        return False
    return importlib.util.find_spec(f"{__name__}.{name}") is not None


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    elif _is_submodule(name):
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'dlcourse_keras' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    submodules = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
    return sorted(set(globals()) | set(_EXPORTS) | set(submodules))


__all__ = sorted(_EXPORTS)

# ``keras.models.load_model`` must find the course's objects after a plain
# ``import dlcourse_keras``, without this import loading Keras.
from .registration import register_when_keras_loads as _register_when_keras_loads  # noqa: E402

_register_when_keras_loads()
