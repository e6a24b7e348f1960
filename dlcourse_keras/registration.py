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

_PACKAGE = __name__.rpartition(".")[0]

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
    """Import hook: registers the course's objects once ``import keras`` has finished and no
    module of this package is half-imported.

    A module that imports Keras at its top (``text`` does, to register its standardizers)
    is still running when Keras finishes loading; registering then would import modules
    that take names from it (``models.seq2seq`` imports ``text``) and fail on the
    half-made module. So the hook counts the package's modules being executed and
    registers when Keras is loaded and that count is back to zero, whatever the order of
    the imports. The real finders locate and load every module; the hook only wraps the
    loader of each spec it passes on.
    """

    def __init__(self):
        self.keras_loaded = False
        self.executing = 0   # modules of this package whose code runs right now
        self.done = False

    def find_spec(self, fullname, path=None, target=None):
        is_keras = fullname == "keras"
        if self.done or not (is_keras or fullname.startswith(_PACKAGE + ".")):
            return None
        spec = _real_spec(self, fullname, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        # a wrapper per spec: a loader may serve many modules (pytest's assertion rewriter does)
        spec.loader = _ReportingLoader(spec.loader, self._keras_done if is_keras else None, self)
        return spec

    def _keras_done(self):
        self.keras_loaded = True
        self._register_if_ready()

    def _register_if_ready(self):
        if self.done or not self.keras_loaded or self.executing:
            return
        self.done = True
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        _register_quietly()


class _ReportingLoader:
    """Runs the real loader, then tells the hook: Keras loaded, or one module less executing."""

    def __init__(self, loader, after_keras, hook):
        self._loader, self._after_keras, self._hook = loader, after_keras, hook

    def __getattr__(self, name):   # get_source, get_filename, is_package...: the real loader's
        if name == "_loader":      # not set yet (a copy): no endless lookup
            raise AttributeError(name)
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        hook = self._hook
        if hook.done:
            return self._loader.exec_module(module)
        if self._after_keras is not None:
            self._loader.exec_module(module)
            return self._after_keras()
        hook.executing += 1
        try:
            return self._loader.exec_module(module)
        finally:
            hook.executing -= 1
            hook._register_if_ready()


def _real_spec(hook, fullname, path, target):
    """The spec the other finders give (the hook itself steps aside)."""
    for finder in sys.meta_path:
        if finder is hook or not hasattr(finder, "find_spec"):
            continue
        spec = finder.find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None


def register_when_keras_loads():
    """Registers the course's Keras objects now if Keras is loaded, else right after ``import keras``.

    Called by ``import dlcourse_keras``; keeps that import free of Keras and TensorFlow.
    """
    if "keras" in sys.modules:
        _register_quietly()
    elif not any(isinstance(f, _AfterKerasImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterKerasImport())
