"""Convolution filters (kernels) drawn as a grid of small images (used in notebooks/08_convolutions.ipynb)."""

import math

import numpy as np

from dlcourse_keras.plots._common import check_positive_int


def _as_numpy(x):
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    return np.asarray(x, dtype=float)


def _kernel_of(kernel):
    """A ``(kh, kw, c_in, c_out)`` array from an array, a variable or a conv layer."""
    weights = getattr(kernel, "kernel", None)
    if weights is not None and not isinstance(kernel, np.ndarray):
        kernel = weights
    k = _as_numpy(kernel)
    if k.ndim == 2:
        k = k[:, :, None, None]
    elif k.ndim == 3:
        k = k[:, :, None, :]
    if k.ndim != 4:
        raise ValueError(f"kernel has shape {k.shape}; expected (kh, kw), (kh, kw, c_out) or "
                         "(kh, kw, c_in, c_out), or a layer with a .kernel")
    return k


def plot_filters(kernel, channel=0, max_filters=32, ncols=8, cmap="RdBu_r", title="Filters",
                 annotate=None, fig=None):
    """Draws each filter of a 2-D convolution as a small image, one panel per output channel.

    Colours are symmetric around zero (one scale for every panel), so red is a positive
    weight and blue a negative one in every filter alike.

    Args:
        kernel: weights ``(kh, kw, c_in, c_out)`` as Keras stores them (also ``(kh, kw)``
            for one filter, ``(kh, kw, c_out)``), or a layer with a ``.kernel``
            (``keras.layers.Conv2D``, ``TeachingConv2D``).
        channel: input channel to show, or ``"mean"`` to average over input channels.
            Default 0.
        max_filters: draw at most this many filters. Default 32.
        ncols: panels per row. Default 8.
        cmap: diverging colour map. Default ``"RdBu_r"``.
        title: figure title. Default ``"Filters"``.
        annotate: write each weight in its cell; default None: only for kernels of at
            most 5x5 and at most 8 filters.
        fig: a Matplotlib figure to draw on. Default None (a new one).

    Returns:
        The Matplotlib figure; ``fig.filter_axes`` lists the panels drawn.

    Example:

    >>> import numpy as np
    >>> fig = plot_filters(np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]]), title="edge kernel")
    """
    import matplotlib.pyplot as plt

    k = _kernel_of(kernel)
    check_positive_int("max_filters", max_filters)
    check_positive_int("ncols", ncols)
    if channel == "mean":
        k2 = k.mean(axis=2)
    elif isinstance(channel, (int, np.integer)) and not isinstance(channel, bool) and 0 <= channel < k.shape[2]:
        k2 = k[:, :, int(channel), :]
    else:
        raise ValueError(f"channel={channel!r} must be 'mean' or an int in [0, {k.shape[2]}).")
    n = min(k2.shape[-1], max_filters)
    cols = min(ncols, n)
    rows = math.ceil(n / cols)
    if annotate is None:
        annotate = k2.shape[0] <= 5 and k2.shape[1] <= 5 and n <= 8
    if fig is None:
        fig = plt.figure(figsize=(1.4 * cols + 0.8, 1.4 * rows + 0.6))
    limit = float(np.abs(k2[..., :n]).max()) or 1.0
    axes = []
    image = None
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        image = ax.imshow(k2[:, :, i], cmap=cmap, vmin=-limit, vmax=limit)
        if annotate:
            for (r, c), v in np.ndenumerate(k2[:, :, i]):
                ax.text(c, r, f"{v:.2g}", ha="center", va="center", fontsize=8)
        ax.set_title(f"filter {i}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        axes.append(ax)
    fig.colorbar(image, ax=axes, shrink=0.8, label="weight")
    fig.suptitle(f"{title} ({k.shape[0]}x{k.shape[1]}, input channel {channel})")
    fig.filter_axes = axes
    return fig
