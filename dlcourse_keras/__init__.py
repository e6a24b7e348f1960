"""dlcourse_keras: helpers for a deep-learning course in Keras 3.

Importing the package is cheap: Keras and TensorFlow load only when a name
that needs them is first used.
"""

import importlib

__version__ = "0.1.0"

# public name -> module that defines it (loaded on first use)
_EXPORTS = {
    "setup": "session",
    "in_colab": "session",
    "seed_everything": "seeding",
    "get_profile": "profile",
    "by_profile": "profile",
    "is_smoke": "profile",
    "record_metric": "metrics",
    "record_figure": "metrics",
    "select_strategy": "device",
    "configure_mixed_precision": "device",
    "describe_devices": "device",
    "register_keras_objects": "registration",
    "show_source": "source",
    # teaching Keras objects
    "UniformFanIn": "initializers",
    "XavierNormal": "initializers",
    "XavierUniform": "initializers",
    "HeNormal": "initializers",
    "HeUniform": "initializers",
    "ScaledNormal": "initializers",
    "InvertedDropout": "layers",
    "TeachingBatchNorm": "layers",
    "TeachingEarlyStopping": "callbacks",
    "WeightChangeMonitor": "callbacks",
    "DeadReLUMonitor": "callbacks",
    "LiveLossPlot": "callbacks",
    "LinearWarmup": "schedules",
    "GradientNormModel": "gradient_monitoring",
    "GradientNormHistory": "gradient_monitoring",
    # resumable and distributed training
    "resumable_callbacks": "callbacks",
    "best_model_path": "callbacks",
    "clear_checkpoints": "callbacks",
    # NumPy references
    "Perceptron": "numpy_ref.perceptron",
    "MLP": "numpy_ref.mlp",
    "count_parameters": "numpy_ref.mlp",
    "gradient_check": "numpy_ref.mlp",
    "ewma": "numpy_ref.ewma",
    # plots
    "plot_decision_boundary": "plots",
    "plot_history": "plots",
    "plot_loss_curves": "plots",
    "plot_loss_landscape": "plots",
    "plot_confusion_matrix": "plots",
    # CNN architectures and transfer learning (notebooks 09-10)
    "ResidualBlock": "layers",
    "InceptionModule": "layers",
    "receptive_field": "layers",
    "build_transfer_model": "models",
    "unfreeze_blocks": "models",
    "parameter_counts": "models",
}


# subpackages reachable as attributes, e.g. ``dl.data.load_tabular``
_SUBMODULES = ("data", "plots", "numpy_ref", "layers", "callbacks", "initializers", "schedules",
               "gradient_monitoring", "device", "course", "runner", "testing", "source",
               "models")


def __getattr__(name):
    if name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
        globals()[name] = value
        return value
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dlcourse_keras' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS) + list(_SUBMODULES))


__all__ = sorted(_EXPORTS)
