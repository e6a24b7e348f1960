"""Collects and plots the gradient norms a :class:`~dlcourse_keras.models.GradientNormModel` records (notebook 07)."""

import keras
import numpy as np

from ..models.gradient_norm import PREFIX, GradientNormModel
from ..validation import check_bool


class GradientNormHistory(keras.callbacks.Callback):
    """Collects the gradient norms a :class:`GradientNormModel` records, and plots them.

    After ``fit``: ``epochs[name]`` is a list of epoch-mean norms per group
    (``"global"`` and each layer name); with ``per_step=True``, ``steps[name]`` holds
    every training step's norm (reading it costs one small device-to-host copy per step).

    Args:
        per_step: also record each step's norms; default False.

    Example:
        >>> history = GradientNormHistory(per_step=True)
        >>> # model.fit(x, y, callbacks=[history]); history.plot()
    """

    def __init__(self, per_step=False):
        super().__init__()
        self.per_step = check_bool("per_step", per_step)

    def _check_model(self):
        if not isinstance(self.model, GradientNormModel):
            raise ValueError(
                "GradientNormHistory needs a GradientNormModel; got "
                f"{type(self.model).__name__}.")

    def on_train_begin(self, logs=None):
        self._check_model()
        self.groups = list(self.model.gradient_norm_groups)
        self.epochs = {g: [] for g in self.groups}
        self.steps = {g: [] for g in self.groups}

    def on_train_batch_end(self, batch, logs=None):
        if self.per_step:
            values = np.asarray(self.model.last_gradient_norms.result())
            for g, v in zip(self.groups, values):
                self.steps[g].append(float(v))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        for g in self.groups:
            if PREFIX + g in logs:
                self.epochs[g].append(float(logs[PREFIX + g]))

    def plot(self, ax=None, per_step=None, title="Gradient norm per layer"):
        """Draw the norms (log scale) per epoch, or per step if recorded; returns the axes."""
        import matplotlib.pyplot as plt

        use_steps = self.per_step if per_step is None else per_step
        if use_steps and not self.per_step:
            raise ValueError("per_step=True needs GradientNormHistory(per_step=True) during fit.")
        series = self.steps if use_steps else self.epochs
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        for g in self.groups:
            values = np.asarray(series[g], dtype=float)
            x = np.arange(1, len(values) + 1)
            ax.plot(x, values, label=g, lw=2.5 if g == "global" else 1.2,
                    ls="--" if g == "global" else "-", marker="o" if np.isfinite(values).sum() <= 30 else None, ms=3)
        ax.set_yscale("log")
        ax.set_xlabel("training step" if use_steps else "epoch")
        ax.set_ylabel("gradient L2 norm (before clipping)")
        ax.set_title(title)
        ax.legend(fontsize=8)
        return ax
