"""Recurrent layers built from the teaching cells, each a ``keras.layers.RNN`` around one cell.

``TeachingSimpleRNN``, ``TeachingLSTM``, ``TeachingGRU``, ``LeakyRNN`` and ``EchoStateRNN``
are ``keras.layers.RNN`` around one cell of :mod:`dlcourse_keras.layers.rnn_cells` each, as
Keras's own ``LSTM`` is ``RNN(LSTMCell)``; their configs hold the cell's arguments, so they
save and load like Keras's layers. The cells are importable from here too. Taught in
notebook ``11_recurrent_networks``.
"""

import keras
import numpy as np  # noqa: F401  (the docstring examples use it)

from .rnn_cells import (EchoStateCell, LeakyUnitCell, TeachingGRUCell, TeachingLSTMCell,  # noqa: F401
                        TeachingSimpleRNNCell)

_REGISTER = keras.saving.register_keras_serializable(package="dlcourse_keras")


class _CellRNN(keras.layers.RNN):
    """``keras.layers.RNN`` around one teaching cell, configured by the cell's arguments."""

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, **kwargs):
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)
        self.input_spec = keras.layers.InputSpec(ndim=3)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if sequences.shape[1] == 0:   # TensorFlow would fail on slicing the first step
            raise ValueError(f"inputs has 0 time steps (shape {tuple(sequences.shape)}); "
                             f"{type(self).__name__} needs at least one step on axis 1.")
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        return {**config, **self.cell._cell_config()}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def load_keras_weights(self, layer):
        """Copies the weights of the Keras twin ``layer`` into this layer's cell."""
        self.cell.load_keras_weights(layer)


def _cell_kwargs(kwargs):
    return {"dtype": kwargs.get("dtype"), "trainable": kwargs.get("trainable", True)}


@_REGISTER
class TeachingSimpleRNN(_CellRNN):
    """A simple (Elman) RNN layer, ``h_t = tanh(W [x_t, h_{t-1}] + b)`` at every step.

    ``keras.layers.RNN(TeachingSimpleRNNCell(units))`` as one layer. Keras twin:
    ``keras.layers.SimpleRNN``; ``load_keras_weights`` copies a trained one in, and the
    outputs agree.

    Args:
        units: size of the hidden state ``h_t``, an int >= 1.
        return_sequences: return every ``h_t`` ``(batch, steps, units)`` rather than the
            last one. Default False.
        return_state: also return the final state. Default False.
        go_backwards, stateful, unroll: as for ``keras.layers.RNN``. Default False.
        **kwargs: other ``keras.layers.RNN`` / ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: ``(batch, time steps, features)``, at least one step.
        mask: optional boolean ``(batch, time steps)``; masked steps keep the previous state.
        training: passed to the cell (unused).
        initial_state: optional ``[h_0]``.

    Example:

    >>> layer = TeachingSimpleRNN(4, return_sequences=True)
    >>> tuple(layer(np.zeros((2, 5, 3), "float32")).shape)
    (2, 5, 4)
    """

    def __init__(self, units, **kwargs):
        super().__init__(TeachingSimpleRNNCell(units, name="cell", **_cell_kwargs(kwargs)), **kwargs)


@_REGISTER
class TeachingLSTM(_CellRNN):
    """An LSTM layer from the notes' gate equations (forget, input, candidate, output).

    ``keras.layers.RNN(TeachingLSTMCell(units))`` as one layer: ``C_t = f_t * C_{t-1} +
    i_t * C~_t`` and ``h_t = o_t * tanh(C_t)`` at every step, the forget bias starting at 1.
    Keras twin: ``keras.layers.LSTM`` (gate blocks i, f, C~, o; ``load_keras_weights``
    reorders them).

    Args:
        units: size of ``h_t`` and of the cell state ``C_t``, an int >= 1.
        return_sequences: return every ``h_t`` rather than the last one. Default False.
        return_state: also return the final ``h_T`` and ``C_T``. Default False.
        go_backwards, stateful, unroll: as for ``keras.layers.RNN``. Default False.
        **kwargs: other ``keras.layers.RNN`` / ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: ``(batch, time steps, features)``, at least one step.
        mask: optional boolean ``(batch, time steps)``; masked steps keep the previous states.
        training: passed to the cell (unused).
        initial_state: optional ``[h_0, C_0]``.

    Example:

    >>> layer = TeachingLSTM(4, return_state=True)
    >>> h, h_again, c = layer(np.zeros((2, 5, 3), "float32"))
    >>> tuple(c.shape)
    (2, 4)
    """

    def __init__(self, units, **kwargs):
        super().__init__(TeachingLSTMCell(units, name="cell", **_cell_kwargs(kwargs)), **kwargs)


@_REGISTER
class TeachingGRU(_CellRNN):
    """A GRU layer from the notes' gate equations, the reset gate applied before the candidate's product.

    ``keras.layers.RNN(TeachingGRUCell(units))`` as one layer: ``h_t = z_t * h_{t-1} +
    (1 - z_t) * h~_t``, with the update gate on the old state as in Cho et al. 2014 and
    Keras (see :class:`TeachingGRUCell` for the notes' ``(1 - z_t)`` form). Keras twin:
    ``keras.layers.GRU(reset_after=False)``; Keras's default ``reset_after=True`` applies
    the reset gate after the product and has a second bias, so its weights do not map.

    Args:
        units: size of ``h_t``, an int >= 1.
        return_sequences: return every ``h_t`` rather than the last one. Default False.
        return_state: also return the final state. Default False.
        go_backwards, stateful, unroll: as for ``keras.layers.RNN``. Default False.
        **kwargs: other ``keras.layers.RNN`` / ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: ``(batch, time steps, features)``, at least one step.
        mask: optional boolean ``(batch, time steps)``; masked steps keep the previous state.
        training: passed to the cell (unused).
        initial_state: optional ``[h_0]``.

    Example:

    >>> layer = TeachingGRU(4)
    >>> tuple(layer(np.zeros((2, 5, 3), "float32")).shape)
    (2, 4)
    """

    def __init__(self, units, **kwargs):
        super().__init__(TeachingGRUCell(units, name="cell", **_cell_kwargs(kwargs)), **kwargs)


@_REGISTER
class LeakyRNN(_CellRNN):
    """A recurrent layer of leaky units, ``h_t = alpha h_{t-1} + (1 - alpha) tanh(W [x_t, h_{t-1}] + b)``.

    ``keras.layers.RNN(LeakyUnitCell(units, alpha))`` as one layer: the state forgets on a
    time scale of about ``1 / (1 - alpha)`` steps. Keras has no built-in twin; with
    ``alpha=0`` it is ``keras.layers.SimpleRNN``.

    Args:
        units: size of ``h_t``, an int >= 1.
        alpha: fraction of the old state kept each step, a number in ``[0, 1)``. Default 0.9.
        return_sequences: return every ``h_t`` rather than the last one. Default False.
        return_state: also return the final state. Default False.
        go_backwards, stateful, unroll: as for ``keras.layers.RNN``. Default False.
        **kwargs: other ``keras.layers.RNN`` / ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: ``(batch, time steps, features)``, at least one step.
        mask: optional boolean ``(batch, time steps)``; masked steps keep the previous state.
        training: passed to the cell (unused).
        initial_state: optional ``[h_0]``.

    Example:

    >>> layer = LeakyRNN(4, alpha=0.5, return_sequences=True)
    >>> tuple(layer(np.ones((2, 5, 3), "float32")).shape)
    (2, 5, 4)
    """

    def __init__(self, units, alpha=0.9, **kwargs):
        super().__init__(LeakyUnitCell(units, alpha=alpha, name="cell", **_cell_kwargs(kwargs)), **kwargs)


@_REGISTER
class EchoStateRNN(_CellRNN):
    """An echo-state network's reservoir: fixed random recurrent weights, nothing trained.

    ``keras.layers.RNN(EchoStateCell(...))`` as one layer: ``h_t = alpha h_{t-1} +
    (1 - alpha) tanh(x_t W_in + h_{t-1} W)`` with ``W`` rescaled to the given spectral
    radius. Put a trainable ``Dense`` readout on top. Keras has no built-in twin; it is a
    ``keras.layers.SimpleRNN`` with frozen, rescaled weights and no bias.

    Args:
        units: reservoir size, an int >= 1.
        spectral_radius: largest absolute eigenvalue of ``W``, a number > 0. Default 0.9.
        input_scaling: half-width of ``W_in``'s uniform range, a number > 0. Default 1.0.
        alpha: leak, the fraction of the old state kept, in ``[0, 1)``. Default 0.0.
        seed: seed of the reservoir, an int >= 0. Default 0.
        return_sequences: return every ``h_t`` rather than the last one. Default False.
        return_state: also return the final state. Default False.
        go_backwards, stateful, unroll: as for ``keras.layers.RNN``. Default False.
        **kwargs: other ``keras.layers.RNN`` / ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: ``(batch, time steps, features)``, at least one step.
        mask: optional boolean ``(batch, time steps)``; masked steps keep the previous state.
        training: passed to the cell (unused).
        initial_state: optional ``[h_0]``.

    Example:

    >>> layer = EchoStateRNN(50, spectral_radius=0.9, return_sequences=True)
    >>> tuple(layer(np.ones((1, 10, 1), "float32")).shape)
    (1, 10, 50)
    """

    def __init__(self, units, spectral_radius=0.9, input_scaling=1.0, alpha=0.0, seed=0, **kwargs):
        cell = EchoStateCell(units, spectral_radius=spectral_radius, input_scaling=input_scaling,
                             alpha=alpha, seed=seed, name="cell", **_cell_kwargs(kwargs))
        super().__init__(cell, **kwargs)
