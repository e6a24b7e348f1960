"""Plot helpers used across the notebooks (Matplotlib only).

Each function takes ``ax=None`` (a new figure when None), sets a title and axis
labels, and returns what it drew on.
"""

from dlcourse_keras.plots.confusion_matrix import confusion_counts, plot_confusion_matrix
from dlcourse_keras.plots.decision_boundary import plot_decision_boundary
from dlcourse_keras.plots.feature_maps import feature_maps, plot_feature_maps
from dlcourse_keras.plots.filters import plot_filters
from dlcourse_keras.plots.graph import plot_graph
from dlcourse_keras.plots.history import plot_history, plot_loss_curves
from dlcourse_keras.plots.image_grid import plot_image_grid
from dlcourse_keras.plots.loss_landscape import evaluate_on_grid, plot_loss_landscape

__all__ = [
    "confusion_counts",
    "evaluate_on_grid",
    "feature_maps",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_feature_maps",
    "plot_filters",
    "plot_graph",
    "plot_history",
    "plot_image_grid",
    "plot_loss_curves",
    "plot_loss_landscape",
]
