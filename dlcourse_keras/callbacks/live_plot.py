"""A callback that redraws the training curves after each epoch."""

import os

import keras

from ..validation import check_int


def _in_notebook():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class LiveLossPlot(keras.callbacks.Callback):
    """Redraw loss/metric curves after every ``every`` epochs; save a PNG at the end.

    In Jupyter the figure is replaced in place (``IPython.display.clear_output`` +
    ``display``). Elsewhere (scripts, tests, CI) nothing is drawn during training;
    with ``path`` set the final figure is written there when training ends.

    Args:
        metrics: names to plot, e.g. ``["loss", "accuracy"]``; default None plots every
            logged name that has no ``val_`` prefix. Each gets one panel with its
            ``val_`` twin when present.
        path: PNG file written at train end; default None (no file).
        every: redraw every this many epochs (int >= 1); default 1.
        title: figure title; default ``"Training curves"``.

    Example:
        >>> plot = LiveLossPlot(metrics=["loss"], path="curves.png")
        >>> # model.fit(x, y, validation_split=0.2, callbacks=[plot])
    """

    def __init__(self, metrics=None, path=None, every=1, title="Training curves"):
        super().__init__()
        if metrics is not None:
            if isinstance(metrics, str) or not all(isinstance(m, str) for m in metrics) or not metrics:
                raise ValueError(f"metrics={metrics!r} must be None or a non-empty list of names.")
            metrics = list(metrics)
        if path is not None and not str(path).lower().endswith(".png"):
            raise ValueError(f"path={path!r} must be None or a file name ending in '.png'.")
        self.metrics = metrics
        self.path = None if path is None else os.fspath(path)
        self.every = check_int("every", every, low=1)
        self.title = title
        self.figure = None

    def on_train_begin(self, logs=None):
        self.history = {}
        self.figure = None
        self._interactive = _in_notebook()

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            try:
                self.history.setdefault(key, []).append(float(value))
            except (TypeError, ValueError):
                continue
        if self._interactive and (epoch + 1) % self.every == 0:
            from IPython.display import clear_output, display

            fig = self.draw()
            clear_output(wait=True)
            display(fig)
            import matplotlib.pyplot as plt

            plt.close(fig)

    def on_train_end(self, logs=None):
        if self.path is None or not self.history:
            return
        fig = self.draw()
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        fig.savefig(self.path, dpi=80, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(fig)

    def _names(self):
        if self.metrics is not None:
            return [m for m in self.metrics if m in self.history]
        names = [k for k in self.history if not k.startswith("val_") and k != "learning_rate"]
        return sorted(names, key=lambda k: (k != "loss", k))  # loss first

    def draw(self):
        """Draw the curves recorded so far into a new figure and return it."""
        import matplotlib.pyplot as plt

        names = self._names() or ["loss"]
        fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.2), squeeze=False)
        for ax, name in zip(axes[0], names):
            for key, style in ((name, "-"), ("val_" + name, "--")):
                values = self.history.get(key)
                if values:
                    ax.plot(range(1, len(values) + 1), values, style, marker="o", ms=3, label=key)
            ax.set_xlabel("epoch")
            ax.set_ylabel(name)
            ax.set_title(name)
            ax.legend(fontsize=8)
        fig.suptitle(self.title)
        fig.tight_layout()
        self.figure = fig
        return fig
