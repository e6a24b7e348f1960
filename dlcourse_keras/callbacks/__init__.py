"""Keras callbacks that record and draw what happens during training."""

from .early_stopping import TeachingEarlyStopping
from .gradient_norm import GradientNormHistory
from .live_plot import LiveLossPlot
from .monitors import DeadReLUMonitor, WeightChangeMonitor, dead_fraction, relu_outputs
