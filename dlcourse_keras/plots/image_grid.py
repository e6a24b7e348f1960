"""A grid of images with their labels and, optionally, a model's predictions (notebooks/08_convolutions.ipynb)."""

import math

import numpy as np

from dlcourse_keras.plots._common import check_positive_int


def plot_image_grid(images, labels=None, predictions=None, class_names=None, ncols=8, max_images=32,
                    title="Images", cmap="gray", fig=None):
    """Draws images in a grid; with predictions, each title says predicted vs true class.

    A wrong prediction's title is red, a right one green. Predicted probabilities
    (``(n, k)``) also give the confidence in percent.

    Args:
        images: ``(n, h, w)``, ``(n, h, w, 1)`` or ``(n, h, w, 3)``; any range (each image
            is drawn with its own scale when grey).
        labels: true class indices ``(n,)``. Default None.
        predictions: predicted class indices ``(n,)`` or probabilities ``(n, k)``.
            Default None.
        class_names: names for the class indices. Default None (the integers).
        ncols: panels per row. Default 8.
        max_images: draw at most this many images. Default 32.
        title: figure title. Default ``"Images"``.
        cmap: colour map for grey images. Default ``"gray"``.
        fig: a Matplotlib figure to draw on. Default None (a new one).

    Returns:
        The Matplotlib figure; ``fig.image_axes`` lists the panels and ``fig.correct``
        says, per drawn image, whether the prediction was right (None without both
        labels and predictions).

    Example:

    >>> import numpy as np
    >>> fig = plot_image_grid(np.zeros((4, 8, 8)), labels=[0, 1, 1, 0], predictions=[0, 1, 0, 0])
    """
    import matplotlib.pyplot as plt

    x = np.asarray(images)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] != 3):
        raise ValueError(f"images has shape {np.shape(images)}; expected (n, h, w), (n, h, w, 1) or (n, h, w, 3).")
    check_positive_int("ncols", ncols)
    check_positive_int("max_images", max_images)
    n = min(len(x), max_images)
    if n == 0:
        raise ValueError("images is empty.")
    y_true = None if labels is None else np.asarray(labels).reshape(-1).astype(int)
    if y_true is not None and len(y_true) < n:
        raise ValueError(f"labels has {len(y_true)} entries for {len(x)} images.")
    confidence = None
    y_pred = None
    if predictions is not None:
        p = np.asarray(predictions)
        if p.ndim == 2:
            y_pred, confidence = p.argmax(axis=1), p.max(axis=1)
        else:
            y_pred = p.reshape(-1).astype(int)
        if len(y_pred) < n:
            raise ValueError(f"predictions has {len(y_pred)} entries for {len(x)} images.")

    def name(i):
        return str(i) if class_names is None else str(class_names[i])

    cols = min(ncols, n)
    rows = math.ceil(n / cols)
    if fig is None:
        fig = plt.figure(figsize=(1.6 * cols + 0.3, 1.8 * rows + 0.5))
    axes, correct = [], []
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(x[i], cmap=cmap if x.ndim == 3 else None)
        ax.set_xticks([])
        ax.set_yticks([])
        if y_pred is not None:
            text = f"pred {name(y_pred[i])}"
            if confidence is not None:
                text += f" {100 * confidence[i]:.0f}%"
            color = "black"
            if y_true is not None:
                ok = bool(y_pred[i] == y_true[i])
                correct.append(ok)
                text += f"\ntrue {name(y_true[i])}"
                color = "green" if ok else "red"
            ax.set_title(text, fontsize=7, color=color)
        elif y_true is not None:
            ax.set_title(name(y_true[i]), fontsize=8)
        axes.append(ax)
    fig.suptitle(title)
    fig.image_axes = axes
    fig.correct = correct if (y_pred is not None and y_true is not None) else None
    return fig
