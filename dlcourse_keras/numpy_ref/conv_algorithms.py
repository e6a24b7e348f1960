"""Three more ways to compute the same convolution in NumPy: a dense matrix, patches, the FFT.

:func:`~dlcourse_keras.numpy_ref.conv.conv2d_forward` sums over the kernel offsets
(the direct method). Here:

* :func:`conv_matrix` writes the convolution as the weight matrix of a dense layer:
  sparse (each output sees ``kh kw c_in`` inputs) and shared (every row holds the same
  weights): the "infinitely strong prior" view;
* :func:`im2col` / :func:`conv2d_im2col` gather every window into a row and do one
  matrix product (what ``TeachingConv2D`` does with ``keras.ops``);
* :func:`conv2d_fft` multiplies in the frequency domain (convolution theorem), with a
  cost that does not grow with the kernel size.

All equal ``keras.layers.Conv2D`` (cross-correlation, channels last). Taught in
``notebooks/08_convolutions.ipynb``.
"""

import numpy as np

from .conv import _check_images, _pair, _spatial_padding, conv_output_size


def _check_kernel(w, c_in):
    w = np.asarray(w, dtype=float)
    if w.ndim != 4 or w.shape[2] != c_in:
        raise ValueError(f"w has shape {w.shape}; expected (kh, kw, {c_in}, c_out).")
    if not np.all(np.isfinite(w)):
        raise ValueError("w contains NaN or inf.")
    return w


def _padded(x, kernel_hw, strides, padding):
    (pt, pb), (pl, pr) = _spatial_padding(x.shape[1:3], kernel_hw, strides, padding)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    if xp.shape[1] < kernel_hw[0] or xp.shape[2] < kernel_hw[1]:
        raise ValueError(f"a {kernel_hw[0]}x{kernel_hw[1]} kernel does not fit in the padded "
                         f"{xp.shape[1]}x{xp.shape[2]} input.")
    return xp


def im2col(x, kernel_size, strides=1, padding="valid"):
    """Every window of ``x`` as one row of pixels ("image to columns").

    Formula: ``patches[n, i, j, (u*kw + v)*c_in + c] = x_pad[n, i*s_h + u, j*s_w + v, c]``,
    the order of a kernel reshaped to ``(kh*kw*c_in, c_out)``. Each pixel is copied into
    up to ``kh*kw`` rows: the price of turning the convolution into one matrix product.

    Args:
        x: images ``(batch, h, w, c_in)``.
        kernel_size: an int or ``(kh, kw)``.
        strides: an int or ``(s_h, s_w)``. Default 1.
        padding: as in :func:`~dlcourse_keras.numpy_ref.conv.conv2d_forward`. Default ``"valid"``.

    Returns:
        ``patches`` of shape ``(batch, h_out, w_out, kh*kw*c_in)``.

    Example:

    >>> im2col(np.arange(9.0).reshape(1, 3, 3, 1), 2)[0, 0]
    array([[0., 1., 3., 4.],
           [1., 2., 4., 5.]])
    """
    x = _check_images(x)
    kh, kw = _pair("kernel_size", kernel_size)
    sh, sw = _pair("strides", strides)
    xp = _padded(x, (kh, kw), (sh, sw), padding)
    oh = conv_output_size(xp.shape[1], kh, 0, sh)
    ow = conv_output_size(xp.shape[2], kw, 0, sw)
    return np.concatenate([xp[:, u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw, :]
                           for u in range(kh) for v in range(kw)], axis=-1)


def conv2d_im2col(x, w, b=None, strides=1, padding="valid"):
    """Convolution as one matrix product: ``im2col(x) @ reshape(w, (kh*kw*c_in, c_out)) + b``.

    Args:
        x: images ``(batch, h, w, c_in)``.
        w: kernel ``(kh, kw, c_in, c_out)``.
        b: bias ``(c_out,)``. Default None.
        strides: an int or ``(s_h, s_w)``. Default 1.
        padding: as in :func:`~dlcourse_keras.numpy_ref.conv.conv2d_forward`. Default ``"valid"``.

    Returns:
        ``(batch, h_out, w_out, c_out)``, equal to ``conv2d_forward``.

    Example:

    >>> conv2d_im2col(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)))[0, :, :, 0]
    array([[9., 9.],
           [9., 9.]])
    """
    x = _check_images(x)
    w = _check_kernel(w, x.shape[3])
    z = im2col(x, w.shape[:2], strides, padding) @ w.reshape(-1, w.shape[3])
    return z if b is None else z + np.asarray(b, dtype=float).reshape(w.shape[3])


def conv2d_fft(x, w, b=None, padding="valid"):
    """Stride-1 convolution (cross-correlation) through the fast Fourier transform.

    Convolution theorem: a circular cross-correlation is a product of spectra,
    ``corr(x, w) = irfft2(rfft2(x) * conj(rfft2(w)))`` with ``w`` zero-padded to the image
    size; summing the products over input channels gives every output channel. The
    ``h_out x w_out`` positions whose window does not wrap around the border are the
    valid convolution. Cost: a few FFTs of the image size, whatever the kernel size.

    Args:
        x: images ``(batch, h, w, c_in)``.
        w: kernel ``(kh, kw, c_in, c_out)``.
        b: bias ``(c_out,)``. Default None.
        padding: as in :func:`~dlcourse_keras.numpy_ref.conv.conv2d_forward` (zeros added
            before the transform). Default ``"valid"``.

    Returns:
        ``(batch, h_out, w_out, c_out)``, equal to ``conv2d_forward`` up to float rounding.

    Example:

    >>> np.round(conv2d_fft(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)))[0, :, :, 0], 6)
    array([[9., 9.],
           [9., 9.]])
    """
    x = _check_images(x)
    w = _check_kernel(w, x.shape[3])
    kh, kw = w.shape[:2]
    xp = _padded(x, (kh, kw), (1, 1), padding)
    size = xp.shape[1:3]
    x_spectrum = np.fft.rfft2(xp, s=size, axes=(1, 2))           # (batch, H, W//2+1, c_in)
    w_spectrum = np.fft.rfft2(w, s=size, axes=(0, 1))            # (H, W//2+1, c_in, c_out)
    z_spectrum = np.einsum("nhwc,hwck->nhwk", x_spectrum, np.conj(w_spectrum))
    z = np.fft.irfft2(z_spectrum, s=size, axes=(1, 2))[:, :size[0] - kh + 1, :size[1] - kw + 1, :]
    return z if b is None else z + np.asarray(b, dtype=float).reshape(w.shape[3])


def conv_matrix(w, input_hw, strides=1, padding="valid"):
    """The dense weight matrix ``M`` of a convolution: ``conv(x) = M @ x`` on flattened images.

    Rows are the flattened output ``(i, j, k)``, columns the flattened input ``(r, q, c)``
    (row-major, as ``x.reshape(-1)``), and::

        M[(i, j, k), (i*s_h + u - p_top, j*s_w + v - p_left, c)] = w[u, v, c, k]

    for every kernel offset that lands inside the image (a window cell on the zero
    padding has no column). Every other entry is zero. So a convolution is a dense layer
    whose matrix is forced to be sparse (a row has at most ``kh*kw*c_in`` non-zeros) and
    shared (every row of filter ``k`` holds the same weights, shifted): the
    "infinitely strong prior" on the dense layer's weights. Its transpose is the
    transposed convolution.

    Args:
        w: kernel ``(kh, kw, c_in, c_out)``.
        input_hw: ``(h, w)`` of the images, or an int for square images.
        strides: an int or ``(s_h, s_w)``. Default 1.
        padding: as in :func:`~dlcourse_keras.numpy_ref.conv.conv2d_forward`. Default ``"valid"``.

    Returns:
        ``M`` of shape ``(h_out*w_out*c_out, h*w*c_in)``.

    Example:

    >>> conv_matrix(np.array([1.0, -1.0]).reshape(1, 2, 1, 1), (1, 3))   # a 1x3 image, a 1x2 kernel
    array([[ 1., -1.,  0.],
           [ 0.,  1., -1.]])
    """
    w = np.asarray(w, dtype=float)
    if w.ndim != 4:
        raise ValueError(f"w has shape {w.shape}; expected (kh, kw, c_in, c_out).")
    h, width = _pair("input_hw", input_hw)
    kh, kw, c_in, c_out = w.shape
    sh, sw = _pair("strides", strides)
    (pt, pb), (pl, pr) = _spatial_padding((h, width), (kh, kw), (sh, sw), padding)
    oh = conv_output_size(h + pt + pb, kh, 0, sh)
    ow = conv_output_size(width + pl + pr, kw, 0, sw)
    m = np.zeros((oh, ow, c_out, h, width, c_in))
    for i in range(oh):
        for j in range(ow):
            for u in range(kh):
                for v in range(kw):
                    r, q = i * sh + u - pt, j * sw + v - pl
                    if 0 <= r < h and 0 <= q < width:
                        m[i, j, :, r, q, :] = w[u, v].T
    return m.reshape(oh * ow * c_out, h * width * c_in)
