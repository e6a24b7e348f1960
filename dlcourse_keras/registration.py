"""Makes every custom Keras object of the package known to Keras's loader.

A class is registered by its ``@keras.saving.register_keras_serializable(package=
"dlcourse_keras")`` decorator, which runs when its module is imported. This module
imports the homes of Keras objects listed in :data:`KERAS_OBJECT_PACKAGES`; each
subpackage's ``__init__`` imports its modules. So adding a layer means editing its
module and ``layers/__init__.py``, nothing else.
"""

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

KERAS_OBJECT_PACKAGES = ("initializers", "schedules", "layers", "models", "text")
"""Modules and subpackages whose import registers the package's Keras objects."""


def keras_object_modules():
    """The full names of the modules :func:`register_keras_objects` imports."""
    return tuple(f"dlcourse_keras.{name}" for name in KERAS_OBJECT_PACKAGES)


def register_keras_objects():
    """Imports the modules that define custom Keras objects, so that
    ``keras.models.load_model`` finds them. Runs by itself once Keras is imported
    (see :func:`register_when_keras_loads`); calling it again is harmless.

    Returns:
        The registered names (``"dlcourse_keras>..."``), sorted.

    Example:

    >>> names = register_keras_objects()
    >>> "dlcourse_keras>TeachingBatchNorm" in names
    True
    """
    import keras

    for name in keras_object_modules():
        importlib.import_module(name)
    return sorted(k for k in keras.saving.get_custom_objects() if k.startswith("dlcourse_keras>"))


def _register_quietly():
    try:
        register_keras_objects()
    except Exception as err:  # never break the user's ``import keras``
        warnings.warn(f"dlcourse_keras could not register its Keras objects: {err!r}",
                      stacklevel=2)


class _AfterKerasImport(importlib.abc.MetaPathFinder):
    """Import hook: lets ``import keras`` finish, then registers the course's objects."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        sys.meta_path.remove(self)  # one shot; the real finders locate keras
        spec = importlib.util.find_spec("keras")
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_keras = spec.loader.exec_module

        def exec_module(module):
            exec_keras(module)
            _register_quietly()

        spec.loader.exec_module = exec_module
        return spec


def register_when_keras_loads():
    """Registers the course's Keras objects now if Keras is loaded, else right after ``import keras``.

    Called by ``import dlcourse_keras``; keeps that import free of Keras and TensorFlow.
    """
    if "keras" in sys.modules:
        _register_quietly()
    elif not any(isinstance(f, _AfterKerasImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterKerasImport())
