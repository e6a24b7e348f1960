"""The two building blocks of modern CNNs: ResNet's residual block and GoogLeNet's inception module."""

import keras
from keras import ops

from ..validation import check_bool, check_int


def _check_kernel_size(value):
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"kernel_size={value!r} must be an odd positive int or a pair of them.")
        return tuple(_check_kernel_size(v)[0] for v in value)
    value = check_int("kernel_size", value, low=1)
    if value % 2 == 0:
        raise ValueError(f"kernel_size={value} must be an odd positive int or a pair of them "
                         "(odd, so that 'same' padding keeps the block centred).")
    return (value, value)


def _check_activation(value):
    try:
        keras.activations.get(value)
    except (ValueError, TypeError) as err:
        raise ValueError(f"activation={value!r} is not a Keras activation name: {err}") from None
    if not isinstance(value, str):
        raise ValueError(f"activation={value!r} must be the name of a Keras activation, e.g. 'relu'.")
    return value


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class ResidualBlock(keras.layers.Layer):
    """ResNet's basic block: two 3x3 convolutions whose output is added to the block's input.

    Formula (He et al. 2015, "basic block", post-activation)::

        F(x) = BN(conv_3x3(relu(BN(conv_3x3(x, strides)))))
        y    = relu(F(x) + shortcut(x))

    ``shortcut(x) = x`` when the shapes agree (same number of channels and
    ``strides == 1``); otherwise a 1x1 convolution with the same stride (plus batch
    norm), the "projection shortcut". Because the block only has to learn the
    *residual* ``F(x) = y - x``, a block that is not needed can learn ``F = 0`` and
    pass its input through: that is why 34 residual layers train better than 34 plain
    ones (the notes: "deeper networks lead to reduced performance; ResNet solved
    this"). The gradient also has the short path ``dy/dx = 1 + dF/dx``.

    Parameters (``c_in`` input channels, ``f`` filters, ``k x k`` kernel, with batch
    norm, convolutions without bias since BN has its own shift)::

        k*k*c_in*f + k*k*f*f + 2 * 4f          (+ c_in*f + 4f with a projection)

    of which the ``2f`` moving means and ``2f`` moving variances per BN are
    non-trainable.

    Taught in ``notebooks/09_cnn_architectures.ipynb``; Keras has no residual block
    layer (``keras.applications.ResNet50`` builds its blocks as functions).

    Args:
        filters: number of output channels ``f``. Required.
        kernel_size: odd int or pair, size of both convolutions. Default 3.
        strides: stride of the first convolution (and the projection); 2 halves the
            height and width. Default 1.
        use_batch_norm: batch norm after each convolution (then the convolutions
            have no bias). Default True.
        activation: name of a Keras activation. Default ``"relu"``.
        kernel_initializer: initializer of the convolutions. Default ``"he_normal"``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: a 4-D tensor ``(batch, height, width, channels)``.
        training: Python bool, whether batch norm uses the batch statistics (True)
            or its moving averages (False). Default False.

    Example:

    >>> block = ResidualBlock(32, strides=2)
    >>> y = block(keras.random.normal((2, 28, 28, 16)))   # (2, 14, 14, 32), projection shortcut
    """

    def __init__(self, filters, kernel_size=3, strides=1, use_batch_norm=True, activation="relu",
                 kernel_initializer="he_normal", **kwargs):
        super().__init__(**kwargs)
        self.filters = check_int("filters", filters, low=1)
        self.kernel_size = _check_kernel_size(kernel_size)
        self.strides = check_int("strides", strides, low=1)
        self.use_batch_norm = use_batch_norm = check_bool("use_batch_norm", use_batch_norm)
        filters, strides = self.filters, self.strides
        self.activation = _check_activation(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self._act = keras.activations.get(activation)

        common = {"padding": "same", "use_bias": not use_batch_norm,
                  "kernel_initializer": self.kernel_initializer, "dtype": self.dtype_policy}
        self.conv1 = keras.layers.Conv2D(filters, self.kernel_size, strides=strides, name="conv1", **common)
        self.conv2 = keras.layers.Conv2D(filters, self.kernel_size, name="conv2", **common)
        if use_batch_norm:
            self.bn1 = keras.layers.BatchNormalization(name="bn1", dtype=self.dtype_policy)
            self.bn2 = keras.layers.BatchNormalization(name="bn2", dtype=self.dtype_policy)
        self.projection = None
        self.projection_bn = None

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"ResidualBlock expects 4-D inputs (batch, height, width, channels), "
                             f"got shape {input_shape}.")
        channels = input_shape[-1]
        self.conv1.build(input_shape)
        mid_shape = self.conv1.compute_output_shape(input_shape)
        self.conv2.build(mid_shape)
        if self.use_batch_norm:
            self.bn1.build(mid_shape)
            self.bn2.build(mid_shape)
        if channels != self.filters or self.strides != 1:
            self.projection = keras.layers.Conv2D(
                self.filters, 1, strides=self.strides, padding="same", use_bias=not self.use_batch_norm,
                kernel_initializer=self.kernel_initializer, name="projection", dtype=self.dtype_policy)
            self.projection.build(input_shape)
            if self.use_batch_norm:
                self.projection_bn = keras.layers.BatchNormalization(name="projection_bn",
                                                                     dtype=self.dtype_policy)
                self.projection_bn.build(mid_shape)

    @property
    def has_projection(self):
        """True when the shortcut is a 1x1 convolution rather than the identity (known after build)."""
        return self.projection is not None

    def call(self, inputs, training=False):
        x = self.conv1(inputs)
        if self.use_batch_norm:
            x = self.bn1(x, training=training)
        x = self._act(x)
        x = self.conv2(x)
        if self.use_batch_norm:
            x = self.bn2(x, training=training)
        shortcut = inputs
        if self.projection is not None:
            shortcut = self.projection(inputs)
            if self.projection_bn is not None:
                shortcut = self.projection_bn(shortcut, training=training)
        return self._act(ops.add(x, shortcut))

    def compute_output_shape(self, input_shape):
        return self.conv1.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "use_batch_norm": self.use_batch_norm,
                "activation": self.activation,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class InceptionModule(keras.layers.Layer):
    """GoogLeNet's inception module: 1x1, 3x3, 5x5 convolutions and a pooling, side by side.

    Four branches see the same input and their outputs are stacked along the channel
    axis (Szegedy et al. 2014, "with dimension reductions")::

        b1 = relu(conv_1x1(x))                                   f1 channels
        b2 = relu(conv_3x3(relu(conv_1x1(x))))                   f3r -> f3 channels
        b3 = relu(conv_5x5(relu(conv_1x1(x))))                   f5r -> f5 channels
        b4 = relu(conv_1x1(maxpool_3x3_stride1(x)))              fp channels
        y  = concat([b1, b2, b3, b4], axis=-1)                   f1 + f3 + f5 + fp channels

    The network does not have to choose a filter size: it gets all of them. The 1x1
    "reduce" convolutions cut the channels before the costly 3x3 and 5x5 ones;
    with ``c`` input channels the parameters are::

        (c+1) f1 + (c+1) f3r + (9 f3r+1) f3 + (c+1) f5r + (25 f5r+1) f5 + (c+1) fp

    All branches use 'same' padding and stride 1, so height and width are kept.

    Taught in ``notebooks/09_cnn_architectures.ipynb``; Keras's twin is the mixed
    blocks that ``keras.applications.InceptionV3`` builds as functions.

    Args:
        filters_1x1: ``f1``, channels of the 1x1 branch. Required.
        filters_3x3_reduce: ``f3r``, 1x1 channels before the 3x3. Required.
        filters_3x3: ``f3``, channels of the 3x3 branch. Required.
        filters_5x5_reduce: ``f5r``, 1x1 channels before the 5x5. Required.
        filters_5x5: ``f5``, channels of the 5x5 branch. Required.
        filters_pool_proj: ``fp``, 1x1 channels after the 3x3 max-pooling. Required.
        activation: name of a Keras activation. Default ``"relu"``.
        kernel_initializer: initializer of all convolutions. Default ``"he_normal"``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: a 4-D tensor ``(batch, height, width, channels)``.

    Example:

    >>> module = InceptionModule(64, 96, 128, 16, 32, 32)   # GoogLeNet's "3a"
    >>> y = module(keras.random.normal((1, 28, 28, 192)))    # (1, 28, 28, 256)
    """

    _FILTER_ARGS = ("filters_1x1", "filters_3x3_reduce", "filters_3x3", "filters_5x5_reduce",
                    "filters_5x5", "filters_pool_proj")

    def __init__(self, filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce, filters_5x5,
                 filters_pool_proj, activation="relu", kernel_initializer="he_normal", **kwargs):
        super().__init__(**kwargs)
        values = (filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce, filters_5x5,
                  filters_pool_proj)
        for name, value in zip(self._FILTER_ARGS, values):
            setattr(self, name, check_int(name, value, low=1))
        (filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce, filters_5x5,
         filters_pool_proj) = (getattr(self, name) for name in self._FILTER_ARGS)
        self.activation = _check_activation(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

        def conv(filters, size, name):
            return keras.layers.Conv2D(filters, size, padding="same", activation=activation,
                                       kernel_initializer=self.kernel_initializer, name=name,
                                       dtype=self.dtype_policy)

        self.branch_1x1 = conv(filters_1x1, 1, "branch_1x1")
        self.reduce_3x3 = conv(filters_3x3_reduce, 1, "reduce_3x3")
        self.branch_3x3 = conv(filters_3x3, 3, "branch_3x3")
        self.reduce_5x5 = conv(filters_5x5_reduce, 1, "reduce_5x5")
        self.branch_5x5 = conv(filters_5x5, 5, "branch_5x5")
        self.pool = keras.layers.MaxPooling2D(3, strides=1, padding="same", name="pool",
                                              dtype=self.dtype_policy)
        self.pool_proj = conv(filters_pool_proj, 1, "pool_proj")

    @property
    def output_channels(self):
        """``f1 + f3 + f5 + fp``: the channels of the concatenated output."""
        return self.filters_1x1 + self.filters_3x3 + self.filters_5x5 + self.filters_pool_proj

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"InceptionModule expects 4-D inputs (batch, height, width, channels), "
                             f"got shape {input_shape}.")
        self.branch_1x1.build(input_shape)
        self.reduce_3x3.build(input_shape)
        self.branch_3x3.build(self.reduce_3x3.compute_output_shape(input_shape))
        self.reduce_5x5.build(input_shape)
        self.branch_5x5.build(self.reduce_5x5.compute_output_shape(input_shape))
        self.pool_proj.build(input_shape)

    def call(self, inputs):
        branches = [
            self.branch_1x1(inputs),
            self.branch_3x3(self.reduce_3x3(inputs)),
            self.branch_5x5(self.reduce_5x5(inputs)),
            self.pool_proj(self.pool(inputs)),
        ]
        return ops.concatenate(branches, axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.output_channels)

    def get_config(self):
        return {**super().get_config(), **{name: getattr(self, name) for name in self._FILTER_ARGS},
                "activation": self.activation,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


def inception_parameter_count(channels, filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce,
                              filters_5x5, filters_pool_proj):
    """Parameters of an :class:`InceptionModule` on ``channels`` input channels, by the formula.

    Args:
        channels: input channels ``c``, an int >= 1. Required.
        filters_1x1: ``f1``, channels of the 1x1 branch, an int >= 1. Required.
        filters_3x3_reduce: ``f3r``, 1x1 channels before the 3x3, an int >= 1. Required.
        filters_3x3: ``f3``, channels of the 3x3 branch, an int >= 1. Required.
        filters_5x5_reduce: ``f5r``, 1x1 channels before the 5x5, an int >= 1. Required.
        filters_5x5: ``f5``, channels of the 5x5 branch, an int >= 1. Required.
        filters_pool_proj: ``fp``, 1x1 channels after the max-pooling, an int >= 1. Required.

    Returns:
        The count ``(c+1) f1 + (c+1) f3r + (9 f3r+1) f3 + (c+1) f5r + (25 f5r+1) f5 + (c+1) fp``
        (weights and biases of the six convolutions), an int.

    Raises:
        ValueError: an argument is not an int >= 1.

    Example:

    >>> inception_parameter_count(192, 64, 96, 128, 16, 32, 32)   # GoogLeNet 3a
    163696
    """
    c = check_int("channels", channels, low=1)
    filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce, filters_5x5, filters_pool_proj = (
        check_int(name, value, low=1) for name, value in zip(InceptionModule._FILTER_ARGS, (
            filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce, filters_5x5,
            filters_pool_proj)))
    return ((c + 1) * filters_1x1 + (c + 1) * filters_3x3_reduce + (9 * filters_3x3_reduce + 1) * filters_3x3
            + (c + 1) * filters_5x5_reduce + (25 * filters_5x5_reduce + 1) * filters_5x5
            + (c + 1) * filters_pool_proj)


def residual_parameter_count(channels, filters, kernel_size=3, strides=1, use_batch_norm=True):
    """Parameters (trainable and not) of a :class:`ResidualBlock`, by the formula.

    Args:
        channels: input channels ``c_in``.
        filters: output channels ``f``.
        kernel_size: odd int or pair, as in the block. Default 3.
        strides: as in the block; a projection is needed when ``strides != 1`` or
            ``c_in != f``. Default 1.
        use_batch_norm: as in the block. Default True.

    Returns:
        The total count ``k*k*c_in*f + k*k*f*f + 2*4f`` (BN) or with biases ``+ 2f``
        (no BN), plus the projection's ``c_in*f + 4f`` (or ``+ f``) when needed.

    Example:

    >>> residual_parameter_count(64, 64)   # a ResNet-34 stage-1 block
    74240
    """
    channels = check_int("channels", channels, low=1)
    filters = check_int("filters", filters, low=1)
    kh, kw = _check_kernel_size(kernel_size)
    strides = check_int("strides", strides, low=1)
    use_batch_norm = check_bool("use_batch_norm", use_batch_norm)
    per_conv_extra = 4 * filters if use_batch_norm else filters
    total = kh * kw * channels * filters + kh * kw * filters * filters + 2 * per_conv_extra
    if channels != filters or strides != 1:
        total += channels * filters + per_conv_extra
    return total


def receptive_field(layers):
    """Receptive field of a stack of convolutions/poolings, given as ``(kernel, stride)`` pairs.

    Formula: with ``j_0 = 1`` and ``r_0 = 1``, each layer does
    ``r <- r + (k - 1) * j`` then ``j <- j * s``; ``r`` is how many input pixels
    (per side) one output unit sees, ``j`` the distance between neighbouring
    units in input pixels.

    Args:
        layers: iterable of ``(kernel_size, stride)`` pairs, input side first.

    Returns:
        The receptive field ``r`` (an int).

    Example:

    >>> receptive_field([(3, 1), (3, 1)])   # two 3x3 convolutions see as far as one 5x5
    5
    """
    field, jump = 1, 1
    for i, pair in enumerate(layers):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"layers[{i}]={pair!r} must be a (kernel_size, stride) pair.")
        kernel = check_int(f"layers[{i}] kernel_size", pair[0], low=1)
        stride = check_int(f"layers[{i}] stride", pair[1], low=1)
        field += (kernel - 1) * jump
        jump *= stride
    return int(field)


__all__ = ["ResidualBlock", "InceptionModule", "inception_parameter_count", "residual_parameter_count",
           "receptive_field"]
