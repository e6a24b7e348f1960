"""Variants of the basic convolution in NumPy: dilated, transposed, depthwise and separable.

Each one is built from :func:`~dlcourse_keras.numpy_ref.conv.conv2d_forward` or
:func:`~dlcourse_keras.numpy_ref.conv.conv2d_backward`, so the variant shows what it
changes and nothing else. Layouts are Keras's (channels last). Taught in
``notebooks/08_convolutions.ipynb``; the Keras twins are ``Conv2D(dilation_rate=...)``,
``Conv2DTranspose``, ``DepthwiseConv2D`` and ``SeparableConv2D``.
"""

import numpy as np

from ..validation import check_bool, check_int
from .conv import _check_images, _pair, conv2d_backward, conv2d_forward


def dilated_kernel_size(f, rate):
    """Span of an ``f``-tap kernel with ``rate - 1`` gaps between its taps.

    Formula: ``f + (f - 1) (rate - 1)``: a 3-tap kernel at rate 2 spans 5 pixels
    with the same 3 weights.

    Args:
        f: kernel size (>= 1).
        rate: dilation rate (>= 1; 1 is an ordinary kernel).

    Returns:
        The span in pixels, an int.

    Example:

    >>> dilated_kernel_size(3, 1), dilated_kernel_size(3, 2), dilated_kernel_size(3, 4)
    (3, 5, 9)
    """
    f = check_int("f", f, low=1)
    rate = check_int("rate", rate, low=1)
    return f + (f - 1) * (rate - 1)


def dilate_kernel(w, rate):
    """The ordinary kernel that a dilated convolution uses: zeros between the taps.

    ``Conv2D(dilation_rate=rate)`` with kernel ``w`` computes what an ordinary
    ``Conv2D`` computes with ``dilate_kernel(w, rate)``: ``out[u * r_h, v * r_w] = w[u, v]``
    and zeros elsewhere.

    Args:
        w: kernel ``(kh, kw, c_in, c_out)``.
        rate: an int or ``(r_h, r_w)``, each >= 1.

    Returns:
        A kernel of shape ``(dilated_kernel_size(kh, r_h), dilated_kernel_size(kw, r_w), c_in, c_out)``.

    Example:

    >>> dilate_kernel(np.ones((2, 2, 1, 1)), 2)[:, :, 0, 0]
    array([[1., 0., 1.],
           [0., 0., 0.],
           [1., 0., 1.]])
    """
    w = np.asarray(w, dtype=float)
    if w.ndim != 4:
        raise ValueError(f"w has shape {w.shape}; expected (kh, kw, c_in, c_out).")
    rh, rw = _pair("rate", rate)
    kh, kw = w.shape[:2]
    out = np.zeros((dilated_kernel_size(kh, rh), dilated_kernel_size(kw, rw), *w.shape[2:]))
    out[::rh, ::rw] = w
    return out


def conv_transpose_output_size(n, f, s=1, padding="valid"):
    """Output length of a transposed convolution along one axis, as ``Conv2DTranspose`` gives it.

    Formulas (Keras's rule, no ``output_padding``)::

        "valid": (n - 1) s + max(f, s)
        "same":  n s

    A strided convolution maps several input lengths to the same output length
    (``floor`` drops the remainder); these formulas pick one of them, and the
    ordinary convolution of that length gives back ``n``.

    Args:
        n: input length of the transposed convolution (>= 1).
        f: kernel size (>= 1).
        s: stride (>= 1). Default 1.
        padding: ``"valid"`` or ``"same"``. Default ``"valid"``.

    Returns:
        The output length, an int.

    Example:

    >>> conv_transpose_output_size(7, 3, 2, "same"), conv_transpose_output_size(7, 3, 2, "valid")
    (14, 15)
    """
    n = check_int("n", n, low=1)
    f = check_int("f", f, low=1)
    s = check_int("s", s, low=1)
    if padding == "valid":
        return (n - 1) * s + max(f, s)
    if padding == "same":
        return n * s
    raise ValueError(f"padding={padding!r} must be 'valid' or 'same'.")


def conv2d_transpose(y, w, strides=1, padding="valid", output_hw=None):
    """Transposed convolution: the adjoint of :func:`conv2d_forward` with the same kernel.

    If ``C`` is the linear map ``x -> conv2d_forward(x, w, strides=s, padding=p)`` from
    images of size ``output_hw``, this returns ``C^T y``: for every ``x``,
    ``sum(C(x) * y) == sum(x * conv2d_transpose(y, w, ...))``. That is also the
    gradient of a loss with respect to the convolution's input when ``y = dL/dz``,
    which is how it is computed here (:func:`conv2d_backward`). Each input pixel of
    ``y`` spreads a copy of the kernel, scaled by its value, over the output,
    ``s`` pixels apart; overlaps add. It upsamples by the stride.

    Keras's ``Conv2DTranspose`` stores its kernel as ``(kh, kw, filters, c_in)``: the
    same array as the ``Conv2D`` kernel ``(kh, kw, c_in, c_out)`` it transposes.

    Args:
        y: images ``(batch, h, w, c_out)`` (the convolution's output side).
        w: kernel ``(kh, kw, c_in, c_out)`` of the convolution being transposed.
        strides: an int or ``(s_h, s_w)``. Default 1.
        padding: ``"valid"`` or ``"same"``. Default ``"valid"``.
        output_hw: ``(height, width)`` of the result. Default None: Keras's size,
            :func:`conv_transpose_output_size` along each axis.

    Returns:
        ``(batch, height, width, c_in)``.

    Raises:
        ValueError: if ``y`` is not what the convolution of an ``output_hw`` image gives.

    Example:

    >>> y = np.array([[1.0, 2.0]]).reshape(1, 1, 2, 1)
    >>> conv2d_transpose(y, np.ones((1, 2, 1, 1)), strides=(1, 2))[0, :, :, 0]   # each value spread over 2 pixels
    array([[1., 1., 2., 2.]])
    """
    y = _check_images(y, "y")
    w = np.asarray(w, dtype=float)
    if w.ndim != 4 or w.shape[3] != y.shape[3]:
        raise ValueError(f"w has shape {w.shape}; expected (kh, kw, c_in, {y.shape[3]}) for y of shape {y.shape}.")
    if padding not in ("valid", "same"):
        raise ValueError(f"padding={padding!r} must be 'valid' or 'same'.")
    sh, sw = _pair("strides", strides)
    if output_hw is None:
        output_hw = (conv_transpose_output_size(y.shape[1], w.shape[0], sh, padding),
                     conv_transpose_output_size(y.shape[2], w.shape[1], sw, padding))
    height, width = _pair("output_hw", output_hw)
    x_shape = np.zeros((y.shape[0], height, width, w.shape[2]))
    dx, _, _ = conv2d_backward(y, x_shape, w, strides=(sh, sw), padding=padding)
    return dx


def depthwise_conv2d_forward(x, w, b=None, strides=1, padding="valid"):
    """Depthwise convolution: every input channel convolved with its own filters, alone.

    Formula, for channel ``c`` and multiplier ``m`` (output channel ``c * M + m``)::

        z[n, i, j, c*M + m] = b[c*M + m] + sum_{u, v} x_pad[n, i*s + u, j*s + v, c] * w[u, v, c, m]

    No sum over channels: that is what ``DepthwiseConv2D`` computes.

    Args:
        x: images ``(batch, h, w, c_in)``.
        w: depthwise kernel ``(kh, kw, c_in, M)`` (Keras's layout, ``M`` the depth multiplier).
        b: bias ``(c_in * M,)``. Default None.
        strides: an int or ``(s_h, s_w)``. Default 1.
        padding: as in :func:`conv2d_forward`. Default ``"valid"``.

    Returns:
        ``(batch, h_out, w_out, c_in * M)``.

    Example:

    >>> x = np.stack([np.ones((3, 3)), 2 * np.ones((3, 3))], axis=-1)[None]
    >>> depthwise_conv2d_forward(x, np.ones((3, 3, 2, 1)))[0, 0, 0]   # channels stay apart
    array([ 9., 18.])
    """
    x = _check_images(x)
    w = np.asarray(w, dtype=float)
    if w.ndim != 4 or w.shape[2] != x.shape[3]:
        raise ValueError(f"w has shape {w.shape}; expected (kh, kw, {x.shape[3]}, depth_multiplier).")
    z = np.concatenate([conv2d_forward(x[..., c:c + 1], w[:, :, c:c + 1, :], strides=strides, padding=padding)
                        for c in range(x.shape[3])], axis=-1)
    if b is not None:
        z += np.asarray(b, dtype=float).reshape(z.shape[-1])
    return z


def separable_conv2d_forward(x, depthwise, pointwise, b=None, strides=1, padding="valid"):
    """Depthwise-separable convolution: a depthwise convolution, then a 1x1 convolution.

    Formula: ``z = conv1x1(depthwise(x, depthwise), pointwise) + b``, which is what
    ``SeparableConv2D`` computes: the spatial filtering (per channel) and the mixing of
    channels (per pixel) are done by two cheap steps instead of one dense ``kh kw c_in c_out``
    kernel (costs: :func:`conv_cost`).

    Args:
        x: images ``(batch, h, w, c_in)``.
        depthwise: ``(kh, kw, c_in, M)``.
        pointwise: ``(1, 1, c_in * M, c_out)``.
        b: bias ``(c_out,)``. Default None.
        strides: stride of the depthwise step. Default 1.
        padding: padding of the depthwise step. Default ``"valid"``.

    Returns:
        ``(batch, h_out, w_out, c_out)``.

    Example:

    >>> x = np.ones((1, 3, 3, 2))
    >>> separable_conv2d_forward(x, np.ones((3, 3, 2, 1)), np.ones((1, 1, 2, 4)))[0, 0, 0]
    array([18., 18., 18., 18.])
    """
    return conv2d_forward(depthwise_conv2d_forward(x, depthwise, strides=strides, padding=padding), pointwise, b)


def conv_cost(kernel_size, c_in, c_out, out_hw, separable=False, use_bias=True):
    """Parameters and multiply-adds of a standard or depthwise-separable convolution layer.

    Formulas, for an ``f_h x f_w`` kernel and an output of ``H x W`` pixels (depth multiplier 1)::

        standard:  parameters f_h f_w c_in c_out (+ c_out),   multiply-adds H W f_h f_w c_in c_out
        separable: parameters f_h f_w c_in + c_in c_out (+ c_out),
                   multiply-adds H W (f_h f_w c_in + c_in c_out)

    so the separable layer costs ``1/c_out + 1/(f_h f_w)`` of the standard one (without biases).

    Args:
        kernel_size: an int or ``(f_h, f_w)``.
        c_in: input channels (>= 1).
        c_out: output channels (>= 1).
        out_hw: output ``(H, W)`` or an int for a square output.
        separable: count ``SeparableConv2D`` instead of ``Conv2D``. Default False.
        use_bias: count a bias per output channel. Default True.

    Returns:
        ``(parameters, multiply_adds)``, two ints.

    Example:

    >>> conv_cost(3, 64, 128, 32), conv_cost(3, 64, 128, 32, separable=True)
    ((73856, 75497472), (8896, 8978432))
    """
    fh, fw = _pair("kernel_size", kernel_size)
    c_in = check_int("c_in", c_in, low=1)
    c_out = check_int("c_out", c_out, low=1)
    h, w = _pair("out_hw", out_hw)
    separable = check_bool("separable", separable)
    use_bias = check_bool("use_bias", use_bias)
    per_pixel = fh * fw * c_in + c_in * c_out if separable else fh * fw * c_in * c_out
    return per_pixel + (c_out if use_bias else 0), h * w * per_pixel
