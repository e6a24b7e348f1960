"""2-D convolution in NumPy, forward and backward, and the output-size formula.

Like Keras (and every deep-learning library), "convolution" here is
cross-correlation: the kernel slides over the image without being flipped.
Layouts are Keras's defaults: images ``(batch, height, width, channels)`` and
kernels ``(kh, kw, c_in, c_out)``.

Taught in ``notebooks/08_convolutions.ipynb``; the Keras twin is
``keras.layers.Conv2D`` (and ``TeachingConv2D`` in ``dlcourse_keras/layers/conv.py``).
"""

import math

import numbers

import numpy as np

from ..validation import check_int

PADDING_MODES = ("valid", "same")


def _pair(name, value, minimum=1):
    """``(a, b)`` from an int or a pair of ints, each ``>= minimum``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name}={value!r} must be an int or a pair of ints.")
        return tuple(check_int(name, v, low=minimum) for v in value)
    v = check_int(name, value, low=minimum)
    return v, v


def conv_output_size(n, f, p=0, s=1):
    """Output length of a convolution or pooling window along one axis.

    Formula: ``floor((n + 2p - f) / s) + 1``, where ``n`` is the input length, ``f``
    the kernel (or pool) size, ``p`` the zero padding on *each* side and ``s`` the
    stride. ``p`` may also be ``"valid"`` (no padding: ``floor((n - f) / s) + 1``)
    or ``"same"`` (Keras's rule: ``ceil(n / s)``, padding as needed).

    The notes write ``(n - f + 2p + 1) / s`` for the strided case; that agrees only
    when ``s = 1`` (n=5, f=3, p=0, s=2 gives 2 outputs, not 1).

    Args:
        n: input length (>= 1).
        f: kernel or pool size (>= 1).
        p: padding per side (int >= 0), ``"valid"`` or ``"same"``. Default 0.
        s: stride (>= 1). Default 1.

    Returns:
        The output length, an int >= 1.

    Raises:
        ValueError: if an argument is out of range, or the kernel does not fit in the
            padded input (``f > n + 2p``: there would be no output at all).

    Example:

    >>> conv_output_size(6, 3), conv_output_size(5, 3, p=1), conv_output_size(7, 3, s=2)
    (4, 5, 3)
    """
    n = check_int("n", n, low=1)
    f = check_int("f", f, low=1)
    s = check_int("s", s, low=1)
    if p == "same":
        return math.ceil(n / s)
    if p == "valid":
        p = 0
    if isinstance(p, str) or not isinstance(p, numbers.Integral):
        raise ValueError(f"p={p!r} must be an integer >= 0, 'valid' or 'same'.")
    p = check_int("p", p, low=0)
    if n + 2 * p < f:
        raise ValueError(f"f={f} must be at most the padded input length n + 2p = {n} + 2*{p} = "
                         f"{n + 2 * p}: the kernel does not fit, so there is no output.")
    return (n + 2 * p - f) // s + 1


def padding_amounts(n, f, s, padding):
    """Zero padding ``(before, after)`` along one axis, as Keras pads.

    ``"same"`` pads ``max((ceil(n/s) - 1) s + f - n, 0)`` in total, the odd pixel
    going after (bottom/right), as TensorFlow does.

    Args:
        n: input length.
        f: kernel size.
        s: stride.
        padding: ``"valid"``, ``"same"``, an int (both sides) or a pair ``(before, after)``.

    Returns:
        ``(before, after)``.

    Example:

    >>> padding_amounts(5, 3, 1, "same"), padding_amounts(6, 3, 2, "same")
    ((1, 1), (0, 1))
    """
    if padding == "valid":
        return 0, 0
    if padding == "same":
        total = max((math.ceil(n / s) - 1) * s + f - n, 0)
        return total // 2, total - total // 2
    if isinstance(padding, (tuple, list)):
        return _pair("padding", padding, 0)
    p = check_int("padding", padding, low=0)
    return p, p


def _spatial_padding(shape_hw, kernel_hw, strides, padding):
    """``((top, bottom), (left, right))`` for the 2-D padding argument."""
    if padding in PADDING_MODES or isinstance(padding, (int, np.integer)):
        per_axis = (padding, padding)
    elif isinstance(padding, (tuple, list)) and len(padding) == 2:
        per_axis = tuple(padding)
    else:
        raise ValueError(f"padding={padding!r} must be 'valid', 'same', an int, or "
                         "((top, bottom), (left, right)) / (pad_h, pad_w).")
    return tuple(padding_amounts(n, f, s, p) for n, f, s, p in zip(shape_hw, kernel_hw, strides, per_axis))


def _check_images(x, name="x"):
    x = np.asarray(x, dtype=float)
    if x.ndim != 4:
        raise ValueError(f"{name} has shape {x.shape}; expected (batch, height, width, channels).")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or inf.")
    return x


def conv2d_forward(x, w, b=None, strides=1, padding="valid"):
    """Multi-channel, multi-filter 2-D convolution (cross-correlation), as ``Conv2D`` computes it.

    Formula, for output pixel ``(i, j)`` and filter ``k``::

        z[n, i, j, k] = b[k] + sum_{u, v, c} x_pad[n, i*s_h + u, j*s_w + v, c] * w[u, v, c, k]

    The loop runs over the ``kh * kw`` kernel offsets; each offset adds one matrix
    product over all output pixels at once (the sliding dot product, reorganized).

    Args:
        x: images ``(batch, h, w, c_in)``.
        w: kernel ``(kh, kw, c_in, c_out)``.
        b: bias ``(c_out,)``. Default None (no bias).
        strides: an int or ``(s_h, s_w)``. Default 1.
        padding: ``"valid"``, ``"same"``, an int, ``(p_h, p_w)`` or
            ``((top, bottom), (left, right))`` zeros. Default ``"valid"``.

    Returns:
        ``z`` of shape ``(batch, h_out, w_out, c_out)`` with sizes from :func:`conv_output_size`.

    Example:

    >>> image = np.repeat([0.0, 0.0, 0.0, 255.0, 255.0, 255.0], 6).reshape(1, 6, 6, 1)
    >>> kernel = np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]], float).reshape(3, 3, 1, 1)
    >>> conv2d_forward(image, kernel)[0, :, 0, 0]
    array([  0., 765., 765.,   0.])
    """
    x = _check_images(x)
    w = np.asarray(w, dtype=float)
    if w.ndim != 4 or w.shape[2] != x.shape[3]:
        raise ValueError(f"w has shape {w.shape}; expected (kh, kw, {x.shape[3]}, c_out) for x of shape {x.shape}.")
    sh, sw = _pair("strides", strides)
    kh, kw, _, c_out = w.shape
    (pt, pb), (pl, pr) = _spatial_padding(x.shape[1:3], (kh, kw), (sh, sw), padding)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    if xp.shape[1] < kh or xp.shape[2] < kw:
        raise ValueError(f"a {kh}x{kw} kernel does not fit in the padded {xp.shape[1]}x{xp.shape[2]} input.")
    oh = conv_output_size(xp.shape[1], kh, 0, sh)
    ow = conv_output_size(xp.shape[2], kw, 0, sw)
    z = np.zeros((x.shape[0], oh, ow, c_out))
    for u in range(kh):
        for v in range(kw):
            window = xp[:, u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw, :]
            z += window @ w[u, v]
    if b is not None:
        z += np.asarray(b, dtype=float).reshape(c_out)
    return z


def conv2d_backward(dz, x, w, strides=1, padding="valid"):
    """Gradients of a loss through :func:`conv2d_forward`, given ``dL/dz``.

    Formulas (the notes' result, for every kernel offset ``(u, v)``)::

        dL/dw[u, v, c, k] = sum_{n, i, j} x_pad[n, i*s + u, j*s + v, c] * dL/dz[n, i, j, k]
                            (a valid convolution of x with dL/dz)
        dL/db[k]          = sum_{n, i, j} dL/dz[n, i, j, k]
        dL/dx_pad[n, i*s + u, j*s + v, c] += sum_k dL/dz[n, i, j, k] * w[u, v, c, k]
                            (a full convolution of dL/dz with the flipped kernel)

    and ``dL/dx`` is ``dL/dx_pad`` with the padding cut off.

    Args:
        dz: upstream gradient ``(batch, h_out, w_out, c_out)``.
        x: the forward pass's input ``(batch, h, w, c_in)``.
        w: the kernel ``(kh, kw, c_in, c_out)``.
        strides: as in the forward pass. Default 1.
        padding: as in the forward pass. Default ``"valid"``.

    Returns:
        ``(dx, dw, db)`` with the shapes of ``x``, ``w`` and ``(c_out,)``.

    Example:

    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> dx, dw, db = conv2d_backward(np.ones((1, 2, 2, 1)), x, np.ones((2, 2, 1, 1)))
    >>> dw[:, :, 0, 0], db
    (array([[ 8., 12.],
           [20., 24.]]), array([4.]))
    """
    x = _check_images(x)
    w = np.asarray(w, dtype=float)
    dz = np.asarray(dz, dtype=float)
    sh, sw = _pair("strides", strides)
    kh, kw, _, _ = w.shape
    (pt, pb), (pl, pr) = _spatial_padding(x.shape[1:3], (kh, kw), (sh, sw), padding)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    oh, ow = dz.shape[1:3]
    expected = (x.shape[0], conv_output_size(xp.shape[1], kh, 0, sh),
                conv_output_size(xp.shape[2], kw, 0, sw), w.shape[3])
    if dz.shape != expected:
        raise ValueError(f"dz has shape {dz.shape}; the forward pass gives {expected}.")
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for u in range(kh):
        for v in range(kw):
            rows = slice(u, u + sh * (oh - 1) + 1, sh)
            cols = slice(v, v + sw * (ow - 1) + 1, sw)
            dw[u, v] = np.einsum("nijc,nijk->ck", xp[:, rows, cols, :], dz)
            dxp[:, rows, cols, :] += dz @ w[u, v].T
    db = dz.sum(axis=(0, 1, 2))
    dx = dxp[:, pt:xp.shape[1] - pb, pl:xp.shape[2] - pr, :]
    return dx, dw, db
