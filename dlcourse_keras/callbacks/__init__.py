"""Keras callbacks that record and draw what happens during training.

Keras saves no callbacks with a model, so these are plain callbacks: not registered,
no ``get_config``. Resumable-training callbacks will live here too.
"""

from .early_stopping import TeachingEarlyStopping
from .gradient_norm import GradientNormHistory
from .live_plot import LiveLossPlot
from .monitors import DeadReLUMonitor, WeightChangeMonitor, dead_fraction, relu_outputs
from .resume import best_model_path, clear_checkpoints, resumable_callbacks, run_finished, run_key
