"""Makes every custom Keras object of the package known to Keras's loader."""

import importlib

# modules whose import registers objects with keras.saving.register_keras_serializable
KERAS_OBJECT_MODULES = (
    "initializers",
    "schedules",
    "gradient_monitoring",
    "layers.dropout",
    "layers.batch_norm",
    "layers.blocks",
    "callbacks.early_stopping",
    "callbacks.monitors",
    "callbacks.live_plot",
)


def register_keras_objects():
    """Imports the modules that define custom Keras objects, so that
    ``keras.models.load_model`` finds them (``dl.setup()`` calls this).

    Returns:
        The registered names (``"dlcourse_keras>..."``), sorted.
    """
    import keras

    for name in KERAS_OBJECT_MODULES:
        importlib.import_module(f"dlcourse_keras.{name}")
    return sorted(k for k in keras.saving.get_custom_objects() if k.startswith("dlcourse_keras>"))
