"""Keras callbacks that record and draw what happens during training."""

from .early_stopping import TeachingEarlyStopping
from .live_plot import LiveLossPlot
from .monitors import DeadReLUMonitor, WeightChangeMonitor, dead_fraction, relu_outputs
from .resume import best_model_path, clear_checkpoints, resumable_callbacks
