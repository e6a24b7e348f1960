"""A confusion matrix computed with NumPy and drawn as an annotated heat map."""

import numpy as np

from dlcourse_keras.plots._common import get_axes

NORMALIZE_OPTIONS = (False, True, "true", "pred", "all")


def _as_labels(name, values):
    """Integer class labels from labels, one-hot rows or probability rows."""
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] > 1:
        return arr.argmax(axis=1)
    arr = arr.reshape(-1)
    if arr.dtype.kind == "f":
        if not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} has non-integer values; pass class labels or an (n, k) probability array.")
        arr = arr.astype(int)
    return arr


def confusion_counts(y_true, y_pred, num_classes=None, normalize=False):
    """Counts how often class i (row) is predicted as class j (column).

    Args:
        y_true: true labels ``(n,)`` (or one-hot ``(n, k)``).
        y_pred: predicted labels ``(n,)`` (or probabilities ``(n, k)``; arg-max taken).
        num_classes: number of classes. Default None: ``1 + max label`` seen.
        normalize: False (counts, default), True or ``"true"`` (rows sum to 1),
            ``"pred"`` (columns sum to 1) or ``"all"`` (everything sums to 1).

    Returns:
        Array ``(k, k)``.

    Example:

    >>> confusion_counts([0, 1, 1], [0, 1, 0])
    array([[1, 0],
           [1, 1]])
    """
    if normalize not in NORMALIZE_OPTIONS:
        raise ValueError(f"normalize={normalize!r} must be one of {NORMALIZE_OPTIONS}.")
    t = _as_labels("y_true", y_true)
    p = _as_labels("y_pred", y_pred)
    if len(t) != len(p):
        raise ValueError(f"y_true has {len(t)} labels but y_pred has {len(p)}.")
    if len(t) == 0:
        raise ValueError("y_true is empty.")
    if min(t.min(), p.min()) < 0:
        raise ValueError("labels must be non-negative integers 0..k-1.")
    k = int(max(t.max(), p.max())) + 1
    if num_classes is not None:
        if num_classes < k:
            raise ValueError(f"num_classes={num_classes!r} but label {k - 1} occurs.")
        k = int(num_classes)
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (t, p), 1)
    if normalize is False:
        return counts
    axis = {True: 1, "true": 1, "pred": 0, "all": None}[normalize]
    total = counts.sum(axis=axis, keepdims=axis is not None)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, counts / np.maximum(total, 1), 0.0)


def plot_confusion_matrix(y_true, y_pred, class_names=None, normalize=False, ax=None,
                          title="Confusion matrix", cmap="Blues", annotate=True):
    """Draws the confusion matrix (rows: true class, columns: predicted class).

    Args:
        y_true: true labels ``(n,)`` (or one-hot ``(n, k)``).
        y_pred: predicted labels ``(n,)`` (or probabilities ``(n, k)``).
        class_names: names for the k classes. Default None (the integers).
        normalize: False (counts, default), True/``"true"``, ``"pred"`` or ``"all"``;
            see :func:`confusion_counts`.
        ax: Axes to draw on. Default None (a new figure).
        title: Axes title. Default ``"Confusion matrix"``.
        cmap: Matplotlib colour map. Default ``"Blues"``.
        annotate: write the value in each cell. Default True.

    Returns:
        The Matplotlib Axes; the matrix drawn is also in ``ax.confusion_matrix``.

    Example:

    >>> ax = plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], class_names=["a", "b", "c"])
    """
    num_classes = None if class_names is None else len(class_names)
    cm = confusion_counts(y_true, y_pred, num_classes=num_classes, normalize=normalize)
    k = cm.shape[0]
    names = [str(i) for i in range(k)] if class_names is None else [str(c) for c in class_names]
    ax = get_axes(ax, figsize=(max(4, 0.55 * k + 2.5), max(3.5, 0.55 * k + 2)))
    image = ax.imshow(cm, cmap=cmap, vmin=0)
    ax.figure.colorbar(image, ax=ax, label="fraction" if normalize is not False else "count")
    if annotate:
        threshold = cm.max() / 2 if cm.max() > 0 else 0.5
        fontsize = 9 if k <= 10 else 6
        for i in range(k):
            for j in range(k):
                text = f"{cm[i, j]:.2f}" if normalize is not False else f"{cm[i, j]:d}"
                ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                        color="white" if cm[i, j] > threshold else "black")
    ax.set_xticks(range(k), names, rotation=45 if max(len(n) for n in names) > 3 else 0, ha="right"
                  if max(len(n) for n in names) > 3 else "center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    ax.confusion_matrix = cm
    return ax
