"""A 2-D convolution layer written with ``keras.ops`` as patches + one matrix product, equal to ``Conv2D``."""

import keras
from keras import ops

from dlcourse_keras.numpy_ref.conv import padding_amounts

from ..validation import check_bool, check_int


def _pair(name, value):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name}={value!r} must be a positive int or a pair of positive ints.")
        return tuple(check_int(name, v, low=1) for v in value)
    value = check_int(name, value, low=1)
    return (value, value)


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class TeachingConv2D(keras.layers.Layer):
    """2-D convolution (cross-correlation) computed as image patches times the kernel matrix.

    Formula, for output pixel ``(i, j)`` and filter ``k``::

        z[n, i, j, k] = b[k] + sum_{u, v, c} x_pad[n, i*s_h + u, j*s_w + v, c] * W[u, v, c, k]

    computed as ``patches @ reshape(W, (kh*kw*c_in, filters))``, where ``patches`` has
    one row of ``kh*kw*c_in`` pixels per output position (the "im2col" trick that
    turns a convolution into a single matrix product). Same weights layout, padding
    and output as ``keras.layers.Conv2D`` (its Keras twin), channels last; taught in
    ``notebooks/08_convolutions.ipynb`` (NumPy reference:
    ``dlcourse_keras.numpy_ref.conv.conv2d_forward``).

    Args:
        filters: number of filters (output channels), a positive int.
        kernel_size: an int or ``(kh, kw)``.
        strides: an int or ``(s_h, s_w)``. Default 1.
        padding: ``"valid"`` or ``"same"`` (``"same"`` with strides > 1 needs the
            spatial size known when the layer is built). Default ``"valid"``.
        activation: activation name or callable. Default None (linear).
        use_bias: add a bias per filter. Default True.
        kernel_initializer: Default ``"glorot_uniform"`` (as ``Conv2D``).
        bias_initializer: Default ``"zeros"``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: images ``(batch, height, width, channels)``.

    Raises:
        ValueError: for a bad argument, or (when built or called) for a kernel larger
            than the padded input, as ``Conv2D`` does.

    Example:

    >>> conv = TeachingConv2D(8, 3, padding="same")
    >>> tuple(conv(keras.random.normal((2, 28, 28, 1))).shape)
    (2, 28, 28, 8)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.filters = check_int("filters", filters, low=1)
        self.kernel_size = _pair("kernel_size", kernel_size)
        self.strides = _pair("strides", strides)
        if padding not in ("valid", "same"):
            raise ValueError(f"padding={padding!r} must be 'valid' or 'same'.")
        self.padding = padding
        self.activation = keras.activations.get(activation)
        self.use_bias = check_bool("use_bias", use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def _pads(self, height, width):
        strided = self.strides != (1, 1)
        if self.padding == "same" and strided and (height is None or width is None):
            raise ValueError("padding='same' with strides > 1 needs the input's height and width; "
                             f"got ({height}, {width}).")
        if self.padding == "valid":
            return (0, 0), (0, 0)
        # with stride 1, 'same' pads f - 1 in total whatever the size
        return tuple(padding_amounts(n if n is not None else f, f, s, "same")
                     for n, f, s in zip((height, width), self.kernel_size, self.strides))

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"TeachingConv2D needs inputs (batch, h, w, channels) with known channels; "
                             f"got {input_shape}.")
        self._output_hw(input_shape[1], input_shape[2])  # the kernel must fit the input
        kh, kw = self.kernel_size
        self.kernel = self.add_weight(shape=(kh, kw, input_shape[-1], self.filters), name="kernel",
                                      initializer=self.kernel_initializer)
        self.bias = (self.add_weight(shape=(self.filters,), name="bias", initializer=self.bias_initializer)
                     if self.use_bias else None)

    def _output_hw(self, height, width):
        (pt, pb), (pl, pr) = self._pads(height, width)
        out = []
        for n, pad, f, s in zip((height, width), (pt + pb, pl + pr), self.kernel_size, self.strides):
            if n is not None and n + pad < f:  # Keras's Conv2D refuses too; a size of 0 is no output
                raise ValueError(
                    f"kernel_size={self.kernel_size} does not fit in inputs of height x width "
                    f"{height} x {width} with padding={self.padding!r}: each side of the kernel must "
                    "be at most the (padded) input's; use a smaller kernel or padding='same'.")
            out.append(None if n is None else (n + pad - f) // s + 1)
        return tuple(out)

    def call(self, inputs):
        height, width = inputs.shape[1], inputs.shape[2]
        self._output_hw(height, width)  # raises when the kernel does not fit
        (pt, pb), (pl, pr) = self._pads(height, width)
        x = ops.pad(inputs, ((0, 0), (pt, pb), (pl, pr), (0, 0))) if pt + pb + pl + pr else inputs
        kh, kw = self.kernel_size
        sh, sw = self.strides
        ph, pw = x.shape[1], x.shape[2]
        if ph is None or pw is None:  # unknown size: read it at run time
            ph, pw = ops.shape(x)[1], ops.shape(x)[2]
        oh = (ph - kh) // sh + 1
        ow = (pw - kw) // sw + 1
        # one strided slice per kernel offset (u, v): the pixels under that weight at every position
        slices = [x[:, u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw, :]
                  for u in range(kh) for v in range(kw)]
        patches = ops.concatenate(slices, axis=-1)  # (batch, oh, ow, kh*kw*c_in), ordered (u, v, c)
        kernel = ops.reshape(ops.cast(self.kernel, patches.dtype), (-1, self.filters))
        z = ops.matmul(patches, kernel)
        if self.use_bias:
            z = z + ops.cast(self.bias, z.dtype)
        return self.activation(z)

    def compute_output_shape(self, input_shape):
        oh, ow = self._output_hw(input_shape[1], input_shape[2])
        return (input_shape[0], oh, ow, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
