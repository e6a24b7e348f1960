"""Training curves: a Keras ``History`` or any named sequences of losses."""

import numpy as np

from dlcourse_keras.plots._common import get_axes


def _history_dict(history):
    """The ``{name: list}`` inside a Keras ``History``, or the dict itself."""
    if hasattr(history, "history") and isinstance(history.history, dict):
        return history.history
    if isinstance(history, dict):
        return history
    raise TypeError(f"history={history!r} must be a keras.callbacks.History or a dict of lists.")


def plot_history(history, metrics=None, ax=None, title=None, x_label="epoch"):
    """Plots training (and validation, when present) curves per metric.

    Each metric ``m`` gets one Axes with ``m`` and, if recorded, ``val_m``.

    Args:
        history: a ``keras.callbacks.History`` (what ``model.fit`` returns) or a dict
            of lists, e.g. ``{"loss": [...], "val_loss": [...]}``.
        metrics: names to plot (without the ``val_`` prefix). Default None: every
            recorded name that does not start with ``val_`` (``learning_rate`` excluded).
        ax: an Axes (all metrics drawn on it), a sequence of Axes (one per metric) or
            None (default; a new figure with one Axes per metric, side by side).
        title: figure title prefix. Default None (the metric names).
        x_label: x-axis label. Default ``"epoch"``.

    Returns:
        The Axes when one Axes is used, otherwise a NumPy array of Axes (one per
        metric), like ``plt.subplots``.

    Example:

    >>> axes = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    """
    import matplotlib.pyplot as plt

    record = _history_dict(history)
    if not record:
        raise ValueError("history is empty: nothing to plot.")
    if metrics is None:
        metrics = [k for k in record if not k.startswith("val_") and k not in ("learning_rate", "lr")]
        if not metrics:  # only validation curves were recorded
            metrics = [k[4:] if k.startswith("val_") else k for k in record]
            metrics = list(dict.fromkeys(metrics))
    elif isinstance(metrics, str):
        metrics = [metrics]
    for m in metrics:
        if m not in record and f"val_{m}" not in record:
            raise ValueError(f"metric {m!r} is not in the history; recorded: {sorted(record)}.")

    if ax is None:
        fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.8), squeeze=False)
        axes = axes[0]
    elif isinstance(ax, (list, tuple, np.ndarray)):
        axes = np.asarray(ax, dtype=object).reshape(-1)
        if len(axes) != len(metrics):
            raise ValueError(f"ax has {len(axes)} Axes but {len(metrics)} metrics are plotted: {metrics}.")
    else:
        axes = np.array([ax] * len(metrics), dtype=object)

    for a, m in zip(axes, metrics):
        for key, style in ((m, "-"), (f"val_{m}", "--")):
            if key in record:
                values = np.asarray(record[key], dtype=float)
                a.plot(np.arange(1, len(values) + 1), values, style, marker="o", markersize=3,
                       label=key)
        a.set_xlabel(x_label)
        a.set_ylabel(m if len(set(axes.tolist())) > 1 else "value")
        a.set_title(f"{title}: {m}" if title else m.replace("_", " "))
        a.grid(alpha=0.3)
        a.legend(fontsize="small")
    if len(set(axes.tolist())) == 1:
        if title:
            axes[0].set_title(title)
        return axes[0]
    axes[0].figure.tight_layout()
    return axes


def plot_loss_curves(curves, x_label="update", y_label="loss", ax=None, title="Loss curves",
                     log_y=False):
    """Plots several named loss (or any) curves on one Axes for comparison.

    Args:
        curves: dict ``label -> sequence of values`` (x is 0, 1, 2, ...) or
            ``label -> (x, y)`` tuple for explicit x values (e.g. wall time).
        x_label: x-axis label. Default ``"update"``.
        y_label: y-axis label. Default ``"loss"``.
        ax: Axes to draw on. Default None (a new figure).
        title: Axes title. Default ``"Loss curves"``.
        log_y: logarithmic y axis. Default False.

    Returns:
        The Matplotlib Axes.

    Example:

    >>> ax = plot_loss_curves({"batch": [3, 2, 1], "sgd": ([0, .1, .2], [3, 1.5, 1])})
    """
    if not isinstance(curves, dict) or not curves:
        raise ValueError(f"curves must be a non-empty dict label -> values; got {type(curves).__name__}.")
    ax = get_axes(ax, figsize=(6, 4))
    for label, values in curves.items():
        if isinstance(values, tuple):
            if len(values) != 2:
                raise ValueError(f"curves[{label!r}] is a tuple of length {len(values)}; expected (x, y).")
            xs, ys = (np.asarray(v, dtype=float).reshape(-1) for v in values)
            if len(xs) != len(ys):
                raise ValueError(f"curves[{label!r}]: x has {len(xs)} values but y has {len(ys)}.")
        else:
            ys = np.asarray(values, dtype=float).reshape(-1)
            xs = np.arange(len(ys))
        ax.plot(xs, ys, label=str(label), linewidth=1.5)
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax
