"""Keras's EarlyStopping plus a record of what it saw and why it stopped."""

import keras
import numpy as np

from ..validation import check_bool, check_int, check_number


class TeachingEarlyStopping(keras.callbacks.EarlyStopping):
    """``keras.callbacks.EarlyStopping`` that also records the monitored curve and explains the stop.

    The stopping rule is Keras's own (this class only adds records): an epoch
    improves on the best value if it beats it by more than ``min_delta``
    (``current < best - min_delta`` in ``"min"`` mode); training stops once
    ``patience`` epochs in a row bring no improvement; epochs before
    ``start_from_epoch`` are ignored; with ``restore_best_weights`` the
    weights of the best epoch are put back at the end of training.

    After ``fit`` the callback holds:

    - ``values``: the monitored value of every epoch (``None`` where absent);
    - ``report``: a dict with ``monitor``, ``mode``, ``epochs_run``,
      ``stopped`` (bool), ``reason`` (``"patience exhausted"`` or
      ``"ran to the end"``), ``stopped_epoch``, ``best_epoch``,
      ``best_value``, ``restored_epoch`` (epochs counted from 1, as Keras
      prints them; ``None`` when it does not apply), ``patience``,
      ``min_delta``, ``start_from_epoch``;
    - ``report_text``: the same in one sentence.

    Args:
        monitor: quantity to watch. Default ``"val_loss"``.
        min_delta: smallest change that counts as an improvement, >= 0. Default 0.
        patience: epochs without improvement before stopping, int >= 0. Default 0.
        verbose: 1 prints Keras's stop message. Default 0.
        mode: ``"auto"``, ``"min"`` or ``"max"``. Default ``"auto"``.
        baseline: None or a finite number the monitor must beat to reset the patience
            count. Default None.
        restore_best_weights: put the best epoch's weights back at the end. Default False.
        start_from_epoch: epochs to wait before watching, int >= 0. Default 0.

    Example:

    >>> stop = TeachingEarlyStopping(patience=3, restore_best_weights=True)
    >>> # model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])
    >>> # print(stop.report_text); stop.plot()
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor={monitor!r} must be a non-empty metric name.")
        min_delta = check_number("min_delta", min_delta, low=0)
        patience = check_int("patience", patience, low=0)
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode={mode!r} must be one of 'auto', 'min', 'max'.")
        start_from_epoch = check_int("start_from_epoch", start_from_epoch, low=0)
        verbose = check_int("verbose", verbose, low=0)
        if baseline is not None:  # a NaN baseline would silently stop every run at its patience
            baseline = check_number("baseline", baseline)
        restore_best_weights = check_bool("restore_best_weights", restore_best_weights)
        super().__init__(monitor=monitor, min_delta=min_delta, patience=patience, verbose=verbose,
                         mode=mode, baseline=baseline, restore_best_weights=restore_best_weights,
                         start_from_epoch=start_from_epoch)
        self._min_delta_arg = float(min_delta)
        self.values = []
        self.report = {}

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.values = []
        self.report = {}

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        self.values.append(None if value is None else float(value))
        super().on_epoch_end(epoch, logs)

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        self.report = self._build_report()

    def _direction(self):
        if self.mode in ("min", "max"):
            return self.mode
        if self.monitor_op is None:
            return "min" if self.monitor.removeprefix("val_") == "loss" else "unknown"
        return "min" if self.monitor_op is keras.ops.less else "max"

    def _build_report(self):
        seen = [(i, v) for i, v in enumerate(self.values) if v is not None and i >= self.start_from_epoch]
        stopped = self.stopped_epoch > 0
        direction = self._direction()
        best_epoch = best_value = None
        if seen:
            # Keras's best epoch (an improvement by more than min_delta), 1-based.
            best_epoch = self.best_epoch + 1
            best_value = self.values[self.best_epoch]
        restored = None
        if self.restore_best_weights and self.best_weights is not None:
            restored = self.best_epoch + 1
        return {
            "monitor": self.monitor,
            "mode": direction,
            "epochs_run": len(self.values),
            "stopped": stopped,
            "reason": "patience exhausted" if stopped else "ran to the end",
            "stopped_epoch": self.stopped_epoch + 1 if stopped else None,
            "best_epoch": best_epoch,
            "best_value": best_value,
            "restored_epoch": restored,
            "patience": self.patience,
            "min_delta": self._min_delta_arg,
            "start_from_epoch": self.start_from_epoch,
        }

    @property
    def report_text(self):
        """One sentence saying when and why training ended."""
        r = self.report
        if not r:
            return "TeachingEarlyStopping: no training run recorded yet."
        best = "n/a" if r["best_value"] is None else f"{r['best_value']:.4f}"
        if r["stopped"]:
            text = (f"Stopped after epoch {r['stopped_epoch']} of {r['epochs_run']} run: "
                    f"{r['patience']} epochs without improving {r['monitor']} "
                    f"(min_delta={r['min_delta']:g}); best {best} at epoch {r['best_epoch']}")
        else:
            text = (f"Ran to the end ({r['epochs_run']} epochs) without exhausting patience "
                    f"{r['patience']}; best {r['monitor']} {best} at epoch {r['best_epoch']}")
        if r["restored_epoch"] is not None:
            text += f"; weights restored from epoch {r['restored_epoch']}"
        return text + "."

    def plot(self, ax=None):
        """Draws the monitored curve with the best and stop epochs marked; returns the axes."""
        import matplotlib.pyplot as plt

        if not self.report:
            raise RuntimeError("plot() needs a finished fit(); no training run recorded yet.")
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        epochs = np.arange(1, len(self.values) + 1)
        vals = np.array([np.nan if v is None else v for v in self.values], dtype=float)
        ax.plot(epochs, vals, marker="o", ms=3, label=self.monitor)
        r = self.report
        if r["start_from_epoch"]:
            ax.axvspan(0.5, r["start_from_epoch"] + 0.5, color="grey", alpha=0.15,
                       label=f"ignored (start_from_epoch={r['start_from_epoch']})")
        if r["best_epoch"] is not None:
            ax.axvline(r["best_epoch"], color="tab:green", ls="--", label=f"best epoch {r['best_epoch']}")
        if r["stopped"]:
            ax.axvline(r["stopped_epoch"], color="tab:red", ls=":", label=f"stopped at epoch {r['stopped_epoch']}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(self.monitor)
        ax.set_title(f"Early stopping on {self.monitor} (patience {r['patience']})")
        ax.legend(fontsize=8)
        return ax
