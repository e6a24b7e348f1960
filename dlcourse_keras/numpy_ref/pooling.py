"""Max, average and global pooling in NumPy, forward and backward.

Layouts are Keras's: ``(batch, height, width, channels)``; each channel is pooled on
its own. Taught in ``notebooks/08_convolutions.ipynb``; the Keras twins are
``keras.layers.MaxPooling2D``, ``AveragePooling2D``, ``GlobalMaxPooling2D`` and
``GlobalAveragePooling2D``.
"""

import numpy as np

from dlcourse_keras.numpy_ref.conv import _check_images, _pair, conv_output_size, padding_amounts

POOL_MODES = ("max", "average")


def _windows(x, pool_size, strides, padding):
    """Padded input, per-window validity mask, output size and window geometry."""
    ph, pw = _pair("pool_size", pool_size)
    sh, sw = _pair("strides", pool_size if strides is None else strides)
    if padding not in ("valid", "same"):
        raise ValueError(f"padding={padding!r} must be 'valid' or 'same'.")
    (pt, pb), (pl, pr) = (padding_amounts(x.shape[1], ph, sh, padding),
                          padding_amounts(x.shape[2], pw, sw, padding))
    # padded cells are -inf for max pooling and left out of the average
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=np.nan)
    if xp.shape[1] < ph or xp.shape[2] < pw:
        raise ValueError(f"a {ph}x{pw} pool does not fit in the {x.shape[1]}x{x.shape[2]} input.")
    oh = conv_output_size(xp.shape[1], ph, 0, sh)
    ow = conv_output_size(xp.shape[2], pw, 0, sw)
    return xp, (ph, pw), (sh, sw), (oh, ow), (pt, pl)


def pool2d_forward(x, pool_size=2, strides=None, padding="valid", mode="max"):
    """Max or average pooling over ``pool_size`` windows moved by ``strides``.

    Formulas, for output pixel ``(i, j)`` of channel ``c``, over the window
    ``W_ij = {(i*s_h + u, j*s_w + v) : 0 <= u < p_h, 0 <= v < p_w}``::

        max:     y[n, i, j, c] = max_{(r, q) in W_ij} x[n, r, q, c]
        average: y[n, i, j, c] = mean_{(r, q) in W_ij} x[n, r, q, c]

    With ``"same"`` padding the padded cells take no part (Keras/TensorFlow too):
    they never win a max and are not counted in an average.

    Args:
        x: images ``(batch, h, w, channels)``.
        pool_size: an int or ``(p_h, p_w)``. Default 2.
        strides: an int or a pair. Default None (equal to ``pool_size``).
        padding: ``"valid"`` or ``"same"``. Default ``"valid"``.
        mode: ``"max"`` or ``"average"``. Default ``"max"``.

    Returns:
        ``y`` of shape ``(batch, h_out, w_out, channels)``.

    Example (the notes' 4x4 max-pooling example):

    >>> a = np.array([[1, 2, 5, 6], [3, 4, 7, 8], [9, 10, 13, 14], [11, 12, 15, 16]], float)
    >>> pool2d_forward(a.reshape(1, 4, 4, 1))[0, :, :, 0]
    array([[ 4.,  8.],
           [12., 16.]])
    """
    if mode not in POOL_MODES:
        raise ValueError(f"mode={mode!r} must be one of {POOL_MODES}.")
    x = _check_images(x)
    xp, (ph, pw), (sh, sw), (oh, ow), _ = _windows(x, pool_size, strides, padding)
    stacked = np.stack([xp[:, u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw, :]
                        for u in range(ph) for v in range(pw)])
    return np.nanmax(stacked, axis=0) if mode == "max" else np.nanmean(stacked, axis=0)


def pool2d_backward(dy, x, pool_size=2, strides=None, padding="valid", mode="max"):
    """Gradient ``dL/dx`` through :func:`pool2d_forward`, given ``dL/dy``.

    Pooling has no weights, so only ``dL/dx`` exists:

    * max pooling routes each window's gradient to the window's arg-max and gives
      every other input zero (the notes' rule; on a tie, the first maximum in row-major
      order wins, as in TensorFlow);
    * average pooling spreads it evenly: each of the window's ``m`` real cells gets
      ``dL/dy / m``.

    Overlapping windows (stride < pool size) add their contributions.

    Args:
        dy: upstream gradient ``(batch, h_out, w_out, channels)``.
        x: the forward pass's input.
        pool_size, strides, padding, mode: as in the forward pass.

    Returns:
        ``dx`` with the shape of ``x``.

    Example:

    >>> a = np.array([[1, 2], [4, 3]], float).reshape(1, 2, 2, 1)
    >>> pool2d_backward(np.ones((1, 1, 1, 1)), a)[0, :, :, 0]
    array([[0., 0.],
           [1., 0.]])
    """
    if mode not in POOL_MODES:
        raise ValueError(f"mode={mode!r} must be one of {POOL_MODES}.")
    x = _check_images(x)
    dy = np.asarray(dy, dtype=float)
    xp, (ph, pw), (sh, sw), (oh, ow), (pt, pl) = _windows(x, pool_size, strides, padding)
    if dy.shape != (x.shape[0], oh, ow, x.shape[3]):
        raise ValueError(f"dy has shape {dy.shape}; the forward pass gives {(x.shape[0], oh, ow, x.shape[3])}.")
    offsets = [(u, v) for u in range(ph) for v in range(pw)]
    stacked = np.stack([xp[:, u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw, :] for u, v in offsets])
    if mode == "max":
        winner = np.nanargmax(stacked, axis=0)
        shares = [(winner == k) * dy for k in range(len(offsets))]
    else:
        count = np.sum(~np.isnan(stacked), axis=0)
        shares = [np.where(np.isnan(stacked[k]), 0.0, dy / count) for k in range(len(offsets))]
    dxp = np.zeros_like(xp)
    for (u, v), share in zip(offsets, shares):
        dxp[:, u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw, :] += share
    return dxp[:, pt:pt + x.shape[1], pl:pl + x.shape[2], :]


def global_pool_forward(x, mode="average"):
    """Global pooling: one number per channel, the max or mean over all positions.

    Formula: ``y[n, c] = max_{i, j} x[n, i, j, c]`` or ``mean_{i, j} x[n, i, j, c]``.

    Args:
        x: images ``(batch, h, w, channels)``.
        mode: ``"average"`` or ``"max"``. Default ``"average"``.

    Returns:
        ``y`` of shape ``(batch, channels)``.

    Example:

    >>> global_pool_forward(np.arange(8.0).reshape(1, 2, 2, 2), mode="max")
    array([[6., 7.]])
    """
    if mode not in POOL_MODES:
        raise ValueError(f"mode={mode!r} must be one of {POOL_MODES}.")
    x = _check_images(x)
    return x.max(axis=(1, 2)) if mode == "max" else x.mean(axis=(1, 2))


def global_pool_backward(dy, x, mode="average"):
    """Gradient ``dL/dx`` through :func:`global_pool_forward`, given ``dL/dy`` ``(batch, channels)``.

    Max: all of ``dL/dy`` to the (first) arg-max of each channel. Average: ``dL/dy / (h w)``
    to every position.

    Args:
        dy: upstream gradient ``(batch, channels)``.
        x: the forward pass's input.
        mode: ``"average"`` or ``"max"``. Default ``"average"``.

    Returns:
        ``dx`` with the shape of ``x``.

    Example:

    >>> global_pool_backward(np.ones((1, 1)), np.zeros((1, 2, 2, 1)))[0, :, :, 0]
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    if mode not in POOL_MODES:
        raise ValueError(f"mode={mode!r} must be one of {POOL_MODES}.")
    x = _check_images(x)
    dy = np.asarray(dy, dtype=float)
    n, h, w, c = x.shape
    if dy.shape != (n, c):
        raise ValueError(f"dy has shape {dy.shape}; the forward pass gives {(n, c)}.")
    if mode == "average":
        return np.broadcast_to(dy[:, None, None, :] / (h * w), x.shape).copy()
    flat = x.reshape(n, h * w, c)
    winner = flat.argmax(axis=1)
    dx = np.zeros_like(flat)
    np.put_along_axis(dx, winner[:, None, :], dy[:, None, :], axis=1)
    return dx.reshape(x.shape)
