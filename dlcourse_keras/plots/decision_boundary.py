"""Decision regions of a 2-D classifier drawn under its data points."""

import numpy as np

from dlcourse_keras.plots._common import check_positive_int, get_axes


def _predict(predict_fn, grid):
    """Calls a Keras model's ``predict``, a plain function, or another ``.predict``."""
    if hasattr(predict_fn, "predict") and hasattr(predict_fn, "layers"):  # a Keras model
        return predict_fn.predict(grid, verbose=0, batch_size=4096)
    if callable(predict_fn):
        return predict_fn(grid)
    return predict_fn.predict(grid)  # e.g. a scikit-learn estimator


def plot_decision_boundary(predict_fn, x, y, ax=None, title="Decision boundary", resolution=200,
                           margin=0.5, feature_names=("$x_1$", "$x_2$"), cmap="coolwarm"):
    """Draws the region each class is predicted in, with the labelled points on top.

    The plane around the points is sampled on a ``resolution x resolution`` grid and
    ``predict_fn`` is evaluated there. Its output is read as:
    class labels (integers, shape ``(n,)``) -> one colour per class;
    probabilities of shape ``(n, k)``, ``k > 1`` -> the arg-max class;
    one score per point (floats, shape ``(n,)`` or ``(n, 1)``) -> a shaded score map with
    the boundary drawn where the score crosses 0.5 (scores in [0, 1]) or 0 (otherwise).

    Args:
        predict_fn: function mapping an ``(n, 2)`` array to labels or probabilities,
            or a Keras model (its ``predict`` is used).
        x: array ``(m, 2)`` of points.
        y: array ``(m,)`` of their labels (any integers, e.g. {0, 1} or {-1, +1}).
        ax: Axes to draw on. Default None (a new figure).
        title: Axes title. Default ``"Decision boundary"``.
        resolution: grid points per axis. Default 200.
        margin: space added around the points, in data units. Default 0.5.
        feature_names: axis labels. Default ``("$x_1$", "$x_2$")``.
        cmap: Matplotlib colour map. Default ``"coolwarm"``.

    Returns:
        The Matplotlib Axes.

    Example:

    >>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> ax = plot_decision_boundary(lambda p: (p.sum(1) > 1.5).astype(int), x, [0, 0, 0, 1])
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y).reshape(-1)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must have shape (m, 2); got shape {x.shape}.")
    if len(y) != len(x):
        raise ValueError(f"y has {len(y)} labels but x has {len(x)} points.")
    check_positive_int("resolution", resolution, minimum=2)
    if margin < 0:
        raise ValueError(f"margin={margin!r} must be >= 0.")
    if not callable(predict_fn) and not hasattr(predict_fn, "predict"):
        raise TypeError(f"predict_fn={predict_fn!r} must be callable or have a .predict method.")

    ax = get_axes(ax)
    x0 = np.linspace(x[:, 0].min() - margin, x[:, 0].max() + margin, resolution)
    x1 = np.linspace(x[:, 1].min() - margin, x[:, 1].max() + margin, resolution)
    g0, g1 = np.meshgrid(x0, x1)
    grid = np.c_[g0.ravel(), g1.ravel()]
    out = np.asarray(_predict(predict_fn, grid))
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape[0] != len(grid):
        raise ValueError(f"predict_fn returned {out.shape[0]} values for {len(grid)} grid points.")

    classes = np.unique(y)
    if out.ndim == 2:  # class probabilities
        out = out.argmax(axis=1)
    if np.issubdtype(out.dtype, np.integer) or np.issubdtype(out.dtype, np.bool_) or np.all(
            out == np.round(out)):
        labels = out.astype(int).reshape(g0.shape)
        levels_used = np.union1d(classes.astype(int), np.unique(labels))
        # map each label to its rank so the colour map spreads over the classes
        index = np.searchsorted(levels_used, labels)
        ax.contourf(g0, g1, index, levels=np.arange(len(levels_used) + 1) - 0.5, cmap=cmap, alpha=0.3)
        if len(levels_used) > 1:
            ax.contour(g0, g1, index, levels=np.arange(len(levels_used) - 1) + 0.5, colors="k",
                       linewidths=1)
        norm_max = max(len(levels_used) - 1, 1)
        point_index = np.searchsorted(levels_used, y.astype(int))
    else:
        score = out.astype(float).reshape(g0.shape)
        threshold = 0.5 if score.min() >= 0 and score.max() <= 1 else 0.0
        filled = ax.contourf(g0, g1, score, levels=20, cmap=cmap, alpha=0.4)
        ax.figure.colorbar(filled, ax=ax, label="predicted score")
        if score.min() < threshold < score.max():
            ax.contour(g0, g1, score, levels=[threshold], colors="k", linewidths=1.5)
        levels_used = classes
        norm_max = max(len(classes) - 1, 1)
        point_index = np.searchsorted(classes, y)
    scatter = ax.scatter(x[:, 0], x[:, 1], c=point_index, cmap=cmap, vmin=0, vmax=norm_max,
                         edgecolors="k", s=40)
    handles = [ax.scatter([], [], color=scatter.cmap(scatter.norm(np.searchsorted(levels_used, c))),
                          edgecolors="k", label=f"class {c}") for c in classes]
    ax.legend(handles=handles, loc="best", fontsize="small")
    ax.set_xlim(x0[0], x0[-1])
    ax.set_ylim(x1[0], x1[-1])
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    ax.set_title(title)
    return ax
