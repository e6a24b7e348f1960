"""Recurrent cells written from the notes' gate equations, for ``keras.layers.RNN``.

Each cell keeps the notes' single weight matrix per gate that multiplies the
concatenation ``[x_t, h_{t-1}]``; Keras keeps two (``kernel`` for ``x_t``,
``recurrent_kernel`` for ``h_{t-1}``). Stacking Keras's two matrices gives ours, so
``load_keras_weights`` copies a trained Keras layer into a cell and the outputs agree.
The layers around them are in :mod:`dlcourse_keras.layers.rnn`. Taught in notebook
``11_recurrent_networks``.
"""

import keras
import numpy as np

from ..validation import check_int, check_number

_REGISTER = keras.saving.register_keras_serializable(package="dlcourse_keras")


def _check_units(units):
    return check_int("units", units, low=1)


def _check_leak(alpha):
    return check_number("alpha", alpha, low=0, high=1, high_open=True)


def _keras_arrays(layer, expected):
    """``[kernel, recurrent_kernel, bias]`` of a Keras recurrent layer or cell, as NumPy."""
    cell = getattr(layer, "cell", layer)
    if type(cell).__name__ != expected:
        raise ValueError(f"layer={layer!r} must be a keras {expected[:-4]} layer or {expected}.")
    return [np.asarray(w) for w in cell.get_weights()]


class _TeachingCell(keras.layers.Layer):
    """Shared plumbing: the concatenated kernel ``W`` of shape ``(features + units, gates*units)``."""

    gates = 1

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = _check_units(units)
        self.state_size = self.units      # a Python int: keras.layers.RNN refuses NumPy integers
        self.output_size = self.units

    def build(self, input_shape):
        features = input_shape[-1]
        self.kernel = self.add_weight(shape=(features + self.units, self.gates * self.units),
                                      initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.gates * self.units,), initializer=self._bias_initializer,
                                    name="bias")

    def _bias_initializer(self, shape, dtype=None):
        return keras.ops.zeros(shape, dtype=dtype)

    def _cell_config(self):
        return {"units": self.units}

    def get_config(self):
        return {**super().get_config(), **self._cell_config()}

    def _assign(self, stacked_kernel, bias):
        if not self.built:
            self.build((None, stacked_kernel.shape[0] - self.units))
        self.kernel.assign(stacked_kernel.astype(self.kernel.dtype))
        self.bias.assign(bias.astype(self.bias.dtype))


@_REGISTER
class TeachingSimpleRNNCell(_TeachingCell):
    """A simple (Elman) RNN cell: ``h_t = tanh(W [x_t, h_{t-1}] + b)``.

    Keras twin: ``keras.layers.SimpleRNNCell``; ``W`` is Keras's ``kernel`` stacked on top
    of its ``recurrent_kernel``.

    Args:
        units: size of the hidden state ``h_t``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: ``x_t``, shape ``(batch, features)``.
        states: ``[h_{t-1}]``.
        training: unused (no dropout).

    Example:

    >>> rnn = keras.layers.RNN(TeachingSimpleRNNCell(4), return_sequences=True)
    >>> tuple(rnn(np.zeros((2, 5, 3), "float32")).shape)
    (2, 5, 4)
    """

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        xh = keras.ops.concatenate([inputs, h_prev], axis=-1)
        h = keras.ops.tanh(keras.ops.matmul(xh, self.kernel) + self.bias)
        return h, [h]

    def load_keras_weights(self, layer):
        """Copies a ``keras.layers.SimpleRNN`` (or its cell) into this cell."""
        kernel, recurrent, bias = _keras_arrays(layer, "SimpleRNNCell")
        self._assign(np.concatenate([kernel, recurrent], axis=0), bias)


@_REGISTER
class TeachingLSTMCell(_TeachingCell):
    """An LSTM cell from the notes' equations, gates in the notes' order f, i, C~, o.

    ``f_t = sigmoid(W_f [x_t, h_{t-1}] + b_f)``, ``i_t = sigmoid(W_i [x_t, h_{t-1}] + b_i)``,
    ``C~_t = tanh(W_C [x_t, h_{t-1}] + b_C)``, ``o_t = sigmoid(W_o [x_t, h_{t-1}] + b_o)``,
    ``C_t = f_t * C_{t-1} + i_t * C~_t``, ``h_t = o_t * tanh(C_t)``.

    The four ``W_g`` sit side by side in one ``kernel`` of shape
    ``(features + units, 4 * units)``, blocks f, i, C~, o. Keras twin:
    ``keras.layers.LSTMCell``, whose blocks run i, f, C~, o; ``load_keras_weights`` swaps
    the first two. As in Keras (``unit_forget_bias=True``) the forget bias starts at 1, so
    a fresh cell remembers by default.

    Args:
        units: size of ``h_t`` and of the cell state ``C_t``.
        **kwargs: base ``Layer`` arguments.

    Call arguments:
        inputs: ``x_t``, shape ``(batch, features)``.
        states: ``[h_{t-1}, C_{t-1}]``.
        training: unused.

    Example:

    >>> lstm = keras.layers.RNN(TeachingLSTMCell(4), return_state=True)
    >>> h, h_again, c = lstm(np.zeros((2, 5, 3), "float32"))
    >>> tuple(c.shape)
    (2, 4)
    """

    gates = 4

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.state_size = [self.units, self.units]

    def _bias_initializer(self, shape, dtype=None):
        u = self.units
        return keras.ops.concatenate([keras.ops.ones((u,), dtype=dtype),
                                      keras.ops.zeros((3 * u,), dtype=dtype)])

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states[0], states[1]
        xh = keras.ops.concatenate([inputs, h_prev], axis=-1)
        z = keras.ops.matmul(xh, self.kernel) + self.bias
        f, i, c_tilde, o = keras.ops.split(z, 4, axis=-1)
        f, i, o = keras.ops.sigmoid(f), keras.ops.sigmoid(i), keras.ops.sigmoid(o)
        c = f * c_prev + i * keras.ops.tanh(c_tilde)
        h = o * keras.ops.tanh(c)
        return h, [h, c]

    def load_keras_weights(self, layer):
        """Copies a ``keras.layers.LSTM`` (or ``LSTMCell``) into this cell, i,f -> f,i."""
        kernel, recurrent, bias = _keras_arrays(layer, "LSTMCell")
        order = lambda a: np.concatenate(_reorder(np.split(a, 4, axis=-1), (1, 0, 2, 3)), axis=-1)
        self._assign(order(np.concatenate([kernel, recurrent], axis=0)), order(bias))


@_REGISTER
class TeachingGRUCell(_TeachingCell):
    """A GRU cell from the notes' gate equations, the reset gate applied before the candidate's product.

    ``r_t = sigmoid(W_r [x_t, h_{t-1}] + b_r)`` (reset), ``z_t = sigmoid(W_z [x_t, h_{t-1}] + b_z)``
    (update), ``h~_t = tanh(W_h [x_t, r_t * h_{t-1}] + b_h)``,
    ``h_t = z_t * h_{t-1} + (1 - z_t) * h~_t``.

    The last line is Cho et al. 2014's (eq. 7 of "Learning Phrase Representations using RNN
    Encoder-Decoder", which introduced the GRU) and Keras's: ``z_t`` weighs the *old*
    state. The course notes write ``h_t = (1 - z_t) * h_{t-1} + z_t * h~_t``, the form of
    Chung et al. 2014 ("Empirical Evaluation of Gated Recurrent Neural Networks"); the two
    are the same family (flip the sign of ``z``'s weights and bias), so the notes' ``z_t``
    is this cell's ``1 - z_t``. The kernel's blocks run r, z, h~ (the notes' order).
    Keras twin: ``keras.layers.GRUCell(reset_after=False)``, blocks z, r, h~.

    Args:
        units: size of ``h_t``.
        **kwargs: base ``Layer`` arguments.

    Call arguments:
        inputs: ``x_t``, shape ``(batch, features)``.
        states: ``[h_{t-1}]``.
        training: unused.

    Example:

    >>> gru = keras.layers.RNN(TeachingGRUCell(4))
    >>> tuple(gru(np.zeros((2, 5, 3), "float32")).shape)
    (2, 4)
    """

    gates = 3

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        features = keras.ops.shape(inputs)[-1]
        w_x, w_h = self.kernel[:features], self.kernel[features:]
        b_r, b_z, b_h = keras.ops.split(self.bias, 3, axis=-1)
        u = self.units
        gates_x = keras.ops.matmul(inputs, w_x[:, :2 * u])
        gates_h = keras.ops.matmul(h_prev, w_h[:, :2 * u])
        r = keras.ops.sigmoid(gates_x[:, :u] + gates_h[:, :u] + b_r)
        z = keras.ops.sigmoid(gates_x[:, u:] + gates_h[:, u:] + b_z)
        # the reset gate acts on h_{t-1} before it meets its weights
        h_tilde = keras.ops.tanh(keras.ops.matmul(keras.ops.concatenate([inputs, r * h_prev], axis=-1),
                                                  self.kernel[:, 2 * u:]) + b_h)
        h = z * h_prev + (1.0 - z) * h_tilde
        return h, [h]

    def load_keras_weights(self, layer):
        """Copies a ``keras.layers.GRU(reset_after=False)`` (or its cell), z,r -> r,z."""
        cell = getattr(layer, "cell", layer)
        if getattr(cell, "reset_after", None) is not False:
            raise ValueError(f"layer={layer!r} must be a keras GRU with reset_after=False.")
        kernel, recurrent, bias = _keras_arrays(layer, "GRUCell")
        order = lambda a: np.concatenate(_reorder(np.split(a, 3, axis=-1), (1, 0, 2)), axis=-1)
        self._assign(order(np.concatenate([kernel, recurrent], axis=0)), order(bias))


def _reorder(blocks, order):
    return [blocks[k] for k in order]


@_REGISTER
class LeakyUnitCell(_TeachingCell):
    """A leaky-integrator RNN cell: ``h_t = alpha h_{t-1} + (1 - alpha) tanh(W [x_t, h_{t-1}] + b)``.

    ``alpha`` near 1 makes the state change slowly: it forgets on a time scale of about
    ``1 / (1 - alpha)`` steps (Goodfellow et al., sec. 10.9.2, "leaky units"). ``alpha=0``
    is the simple RNN. Keras has no built-in twin.

    Args:
        units: size of ``h_t``.
        alpha: fraction of the old state kept each step, in ``[0, 1)``. Default 0.9.
        **kwargs: base ``Layer`` arguments.

    Call arguments:
        inputs: ``x_t``; states: ``[h_{t-1}]``; training: unused.

    Example:

    >>> tuple(keras.layers.RNN(LeakyUnitCell(4, alpha=0.9))(np.ones((2, 5, 3), "float32")).shape)
    (2, 4)
    """

    def __init__(self, units, alpha=0.9, **kwargs):
        super().__init__(units, **kwargs)
        self.alpha = _check_leak(alpha)

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        xh = keras.ops.concatenate([inputs, h_prev], axis=-1)
        v = keras.ops.tanh(keras.ops.matmul(xh, self.kernel) + self.bias)
        h = self.alpha * h_prev + (1.0 - self.alpha) * v
        return h, [h]

    def _cell_config(self):
        return {"units": self.units, "alpha": self.alpha}


@_REGISTER
class EchoStateCell(keras.layers.Layer):
    """An echo-state (reservoir) cell: fixed random weights, only a readout is trained.

    ``h_t = alpha h_{t-1} + (1 - alpha) tanh(x_t W_in + h_{t-1} W)``, with ``W_in`` uniform
    in ``[-input_scaling, input_scaling]`` and ``W`` a random matrix rescaled so that its
    largest absolute eigenvalue (spectral radius) is ``spectral_radius``: below 1 the
    reservoir's memory of the input fades ("echo state property"). Both are
    non-trainable; put a trainable ``Dense`` readout on top (Jaeger 2001; Goodfellow et al.,
    sec. 10.8). Keras has no built-in twin.

    Args:
        units: reservoir size.
        spectral_radius: largest absolute eigenvalue of ``W``, > 0. Default 0.9.
        input_scaling: half-width of ``W_in``'s uniform range, > 0. Default 1.0.
        alpha: leak, the fraction of the old state kept, in ``[0, 1)``. Default 0.0.
        seed: seed of the reservoir, an int >= 0. Default 0.
        **kwargs: base ``Layer`` arguments.

    Call arguments:
        inputs: ``x_t``; states: ``[h_{t-1}]``; training: unused.

    Example:

    >>> esn = keras.layers.RNN(EchoStateCell(50, spectral_radius=0.9), return_sequences=True)
    >>> tuple(esn(np.ones((1, 10, 1), "float32")).shape)
    (1, 10, 50)
    """

    def __init__(self, units, spectral_radius=0.9, input_scaling=1.0, alpha=0.0, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.units = _check_units(units)
        self.spectral_radius = check_number("spectral_radius", spectral_radius, low=0, low_open=True)
        self.input_scaling = check_number("input_scaling", input_scaling, low=0, low_open=True)
        self.alpha = _check_leak(alpha)
        self.seed = check_int("seed", seed, low=0)   # NumPy's generator takes no negative seed
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        rng = np.random.default_rng(self.seed)
        w_in = rng.uniform(-self.input_scaling, self.input_scaling, size=(input_shape[-1], self.units))
        w = rng.normal(size=(self.units, self.units))
        w *= self.spectral_radius / np.max(np.abs(np.linalg.eigvals(w)))
        self.kernel = self.add_weight(shape=w_in.shape, initializer=_constant(w_in), trainable=False,
                                      name="kernel")
        self.recurrent_kernel = self.add_weight(shape=w.shape, initializer=_constant(w), trainable=False,
                                                name="recurrent_kernel")

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        v = keras.ops.tanh(keras.ops.matmul(inputs, self.kernel)
                           + keras.ops.matmul(h_prev, self.recurrent_kernel))
        h = self.alpha * h_prev + (1.0 - self.alpha) * v
        return h, [h]

    def _cell_config(self):
        return {"units": self.units, "spectral_radius": self.spectral_radius,
                "input_scaling": self.input_scaling, "alpha": self.alpha, "seed": self.seed}

    def get_config(self):
        return {**super().get_config(), **self._cell_config()}


def _constant(array):
    def initializer(shape, dtype=None):
        return keras.ops.convert_to_tensor(array, dtype=dtype)
    return initializer
