"""dlcourse_keras: helpers for a deep-learning course in Keras 3.

Importing the package is cheap: Keras and TensorFlow load only when a name
that needs them is first used. Every module is reachable as an attribute
(``dl.metrics``, ``dl.layers``...), whatever was imported before. Once Keras is
imported (before or after this package), the course's Keras objects are
registered, so ``keras.models.load_model`` finds them.
"""

import importlib
import importlib.util
import pkgutil

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
    "GradientNormModel": "models",
    "GradientNormHistory": "callbacks",
    # resumable and distributed training
    "resumable_callbacks": "callbacks",
    "best_model_path": "callbacks",
    "clear_checkpoints": "callbacks",
    "run_key": "callbacks",
    "run_finished": "callbacks",
    "distributed_fit": "distribute",
    # NumPy references
    "Perceptron": "numpy_ref.perceptron",
    "MLP": "numpy_ref.mlp",
    "count_parameters": "numpy_ref.mlp",
    "gradient_check": "numpy_ref.mlp",
    "ewma": "numpy_ref.ewma",
    # recurrent networks and text (notebooks 11-12)
    "TeachingSimpleRNNCell": "layers",
    "TeachingLSTMCell": "layers",
    "TeachingGRUCell": "layers",
    "TeachingSimpleRNN": "layers",
    "TeachingLSTM": "layers",
    "TeachingGRU": "layers",
    "LeakyUnitCell": "layers",
    "LeakyRNN": "layers",
    "EchoStateCell": "layers",
    "EchoStateRNN": "layers",
    "make_vectorizer": "text",
    "raw_text_model": "text",
    # plots
    "plot_decision_boundary": "plots",
    "plot_history": "plots",
    "plot_loss_curves": "plots",
    "plot_loss_landscape": "plots",
    "plot_confusion_matrix": "plots",
    "plot_graph": "plots",  # network and computational-graph diagrams (notebook 03)
    # convolutions and pooling (notebook 08)
    "TeachingConv2D": "layers",
    "conv_output_size": "numpy_ref.conv",
    "conv2d_forward": "numpy_ref.conv",
    "conv2d_backward": "numpy_ref.conv",
    "pool2d_forward": "numpy_ref.pooling",
    "pool2d_backward": "numpy_ref.pooling",
    "plot_filters": "plots",
    "plot_feature_maps": "plots",
    "feature_maps": "plots",
    "plot_image_grid": "plots",
    # translation (notebook 13): attention, seq2seq, decoding, BLEU
    "BahdanauAttention": "layers",
    "Seq2SeqTranslator": "models",
    "greedy_decode": "models",
    "beam_search": "models",
    "corpus_bleu": "bleu",
    "sentence_bleu": "bleu",
    # CNN architectures and transfer learning (notebooks 09-10)
    "ResidualBlock": "layers",
    "InceptionModule": "layers",
    "receptive_field": "layers",
    "build_transfer_model": "models",
    "unfreeze_blocks": "models",
    "parameter_counts": "models",
}


def _is_submodule(name):
    # any module or subpackage of the package (``dl.data``, ``dl.metrics``...), found on
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
