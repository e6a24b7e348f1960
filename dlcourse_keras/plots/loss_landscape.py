"""Contours of a two-parameter loss, with optimisation paths drawn on top."""

import numpy as np

from dlcourse_keras.plots._common import check_positive_int, check_range, get_axes


def evaluate_on_grid(loss_fn, x_range, y_range, resolution=100):
    """Evaluates ``loss_fn(a, b)`` on a regular grid.

    ``loss_fn`` is first called once with the two grid arrays (vectorised); if that
    fails or does not return an array of the grid's shape, it is called point by point.

    Args:
        loss_fn: function of two parameters ``(a, b)`` returning the loss.
        x_range: ``(low, high)`` of the first parameter.
        y_range: ``(low, high)`` of the second parameter.
        resolution: grid points per axis. Default 100.

    Returns:
        ``(a_grid, b_grid, loss_grid)``, three arrays of shape ``(resolution, resolution)``.

    Example:

    >>> a, b, z = evaluate_on_grid(lambda a, b: a**2 + b**2, (-1, 1), (-1, 1), resolution=5)
    """
    x_low, x_high = check_range("x_range", x_range)
    y_low, y_high = check_range("y_range", y_range)
    check_positive_int("resolution", resolution, minimum=2)
    a, b = np.meshgrid(np.linspace(x_low, x_high, resolution), np.linspace(y_low, y_high, resolution))
    try:
        z = np.asarray(loss_fn(a, b), dtype=float)
    except Exception:  # not vectorised: fall back to one call per point
        z = None
    if z is None or z.shape != a.shape:
        z = np.array([float(loss_fn(p, q)) for p, q in zip(a.ravel(), b.ravel())]).reshape(a.shape)
    return a, b, z


def plot_loss_landscape(loss_fn, x_range, y_range, path=None, ax=None, title="Loss landscape",
                        resolution=100, levels=30, log_levels=False,
                        param_names=("$w_1$", "$w_2$"), minimum=None, cmap="viridis"):
    """Draws the contour map of a two-parameter loss and optional optimisation paths.

    Args:
        loss_fn: function ``loss_fn(a, b)`` of the two parameters (vectorised over
            arrays if possible; otherwise it is called once per grid point).
        x_range: ``(low, high)`` of the first parameter.
        y_range: ``(low, high)`` of the second parameter.
        path: None (default), an array ``(k, 2)`` of successive parameter values, or a
            dict ``label -> array (k, 2)`` to compare several optimisers.
        ax: Axes to draw on. Default None (a new figure).
        title: Axes title. Default ``"Loss landscape"``.
        resolution: grid points per axis. Default 100.
        levels: number of contour levels. Default 30.
        log_levels: space the levels logarithmically (useful for elongated bowls,
            needs a positive loss). Default False.
        param_names: axis labels. Default ``("$w_1$", "$w_2$")``.
        minimum: optional ``(a, b)`` marked with a star. Default None.
        cmap: Matplotlib colour map. Default ``"viridis"``.

    Returns:
        The Matplotlib Axes.

    Example:

    >>> ax = plot_loss_landscape(lambda a, b: a**2 + 10 * b**2, (-2, 2), (-1, 1),
    ...                          path=np.array([[-2, 1], [-1, 0.2], [0, 0]]))
    """
    check_positive_int("levels", levels, minimum=2)
    if path is None:
        paths = {}
    elif isinstance(path, dict):
        paths = dict(path)
    else:
        paths = {"path": path}
    for label, p in paths.items():
        arr = np.asarray(p, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) == 0:
            raise ValueError(f"path {label!r} must be an array of shape (k, 2), k >= 1; got shape {arr.shape}.")
        paths[label] = arr

    a, b, z = evaluate_on_grid(loss_fn, x_range, y_range, resolution)
    ax = get_axes(ax, figsize=(6, 4.8))
    if log_levels:
        if np.min(z) <= 0:
            raise ValueError(f"log_levels=True needs a positive loss; its minimum on the grid is {np.min(z):.3g}.")
        contour_levels = np.geomspace(np.min(z), np.max(z), levels)
    else:
        contour_levels = levels
    filled = ax.contourf(a, b, z, levels=contour_levels, cmap=cmap, alpha=0.8)
    ax.contour(a, b, z, levels=contour_levels, colors="k", linewidths=0.3, alpha=0.5)
    ax.figure.colorbar(filled, ax=ax, label="loss")
    for label, arr in paths.items():
        line, = ax.plot(arr[:, 0], arr[:, 1], "-o", markersize=2.5, linewidth=1.3, label=str(label))
        ax.plot(arr[0, 0], arr[0, 1], "s", color=line.get_color(), markersize=6)
        ax.plot(arr[-1, 0], arr[-1, 1], "x", color=line.get_color(), markersize=8, mew=2)
    if minimum is not None:
        ax.plot(minimum[0], minimum[1], "*", color="white", markeredgecolor="k", markersize=14,
                label="minimum")
    if paths or minimum is not None:
        ax.legend(fontsize="small", loc="best")
    ax.set_xlim(a[0, 0], a[0, -1])
    ax.set_ylim(b[0, 0], b[-1, 0])
    ax.set_xlabel(param_names[0])
    ax.set_ylabel(param_names[1])
    ax.set_title(title)
    return ax
