"""Feature maps (activations of a convolutional layer) drawn as a grid of images (notebooks/08_convolutions.ipynb)."""

import math

import numpy as np

from dlcourse_keras.plots._common import check_positive_int


def feature_maps(model, layer_names, images):
    """The outputs of the named layers of a Keras model for ``images``.

    Builds a functional model from ``model.inputs`` to the named layers' outputs (the
    model must have been called or built with an ``Input``).

    Args:
        model: a built Keras ``Model`` or ``Sequential``.
        layer_names: a layer name or a list of names.
        images: a batch ``(n, h, w, c)``.

    Returns:
        A dict ``name -> array (n, h', w', channels)``.

    Example:

    >>> maps = feature_maps(model, ["conv1"], x[:1])  # doctest: +SKIP
    """
    import keras

    names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
    if not names:
        raise ValueError("layer_names is empty; name at least one layer.")
    known = [layer.name for layer in model.layers]
    for name in names:
        if name not in known:
            raise ValueError(f"layer_names contains {name!r}, which is not a layer of the model; "
                             f"its layers are {known}.")
    probe = keras.Model(model.inputs, [model.get_layer(name).output for name in names])
    outputs = probe.predict(np.asarray(images), verbose=0)
    if len(names) == 1:
        outputs = [outputs]
    return {name: np.asarray(out) for name, out in zip(names, outputs)}


def plot_feature_maps(maps, max_maps=16, ncols=8, cmap="viridis", title="Feature maps", image=None,
                      fig=None):
    """Draws the channels of one example's feature maps side by side.

    Args:
        maps: activations ``(h, w, channels)`` of one example (a leading batch axis of
            size 1 is dropped).
        max_maps: draw at most this many channels. Default 16.
        ncols: panels per row. Default 8.
        cmap: colour map; each panel has its own scale. Default ``"viridis"``.
        title: figure title. Default ``"Feature maps"``.
        image: the input image ``(h, w)`` or ``(h, w, 1|3)`` to draw first, for
            reference. Default None.
        fig: a Matplotlib figure to draw on. Default None (a new one).

    Returns:
        The Matplotlib figure; ``fig.map_axes`` lists the feature-map panels.

    Example:

    >>> import numpy as np
    >>> fig = plot_feature_maps(np.random.default_rng(0).random((12, 12, 4)))
    """
    import matplotlib.pyplot as plt

    m = np.asarray(maps, dtype=float)
    if m.ndim == 4 and m.shape[0] == 1:
        m = m[0]
    if m.ndim == 2:
        m = m[:, :, None]
    if m.ndim != 3:
        raise ValueError(f"maps has shape {np.shape(maps)}; expected (h, w, channels) for one example.")
    check_positive_int("max_maps", max_maps)
    check_positive_int("ncols", ncols)
    n = min(m.shape[-1], max_maps)
    panels = n + (image is not None)
    cols = min(ncols, panels)
    rows = math.ceil(panels / cols)
    if fig is None:
        fig = plt.figure(figsize=(1.5 * cols + 0.4, 1.6 * rows + 0.5))
    position = 1
    if image is not None:
        img = np.asarray(image, dtype=float)
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        ax = fig.add_subplot(rows, cols, position)
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        ax.set_title("input", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        position += 1
    axes = []
    for i in range(n):
        ax = fig.add_subplot(rows, cols, position + i)
        ax.imshow(m[:, :, i], cmap=cmap)
        ax.set_title(f"map {i} (max {m[:, :, i].max():.2g})", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
        axes.append(ax)
    fig.suptitle(f"{title}: {m.shape[0]}x{m.shape[1]} pixels, {m.shape[2]} channels")
    fig.map_axes = axes
    return fig
