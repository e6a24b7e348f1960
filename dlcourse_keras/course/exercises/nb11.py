"""Exercises of notebook 11, recurrent networks: a simple RNN cell in Keras, one LSTM step, the
GRU in the other convention, a "remember by default" update gate, backpropagation through time,
clipping by the global norm, and the parameters of a GRU.

References are Keras's ``SimpleRNN`` and the package's NumPy code (:mod:`dlcourse_keras.numpy_ref.rnn`,
:func:`dlcourse_keras.numpy_ref.optimizers.clip_by_global_norm`); the small functions below only
adapt them to the shape of an answer.
"""

import keras
import numpy as np

from ...numpy_ref.optimizers import clip_by_global_norm
from ...numpy_ref.rnn import lstm_forward, many_to_one_bptt
from .kinds import ChoiceExercise, FunctionExercise, LayerExercise

# --- q1: a simple RNN cell in Keras ---------------------------------------------------------------


class ElmanCell(keras.layers.Layer):
    """A simple (Elman) RNN cell for ``keras.layers.RNN``: ``h_t = tanh(x_t W_x + h_{t-1} W_h + b)``."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs, states):
        h = keras.ops.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel + self.bias)
        return h, [h]


def simple_rnn(units):
    """The cell above, run over a sequence; every step's state is returned."""
    return keras.layers.RNN(ElmanCell(units), return_sequences=True)


def _simple_rnn_twin(units):
    return keras.layers.SimpleRNN(units, return_sequences=True)


# --- q2: one LSTM step ----------------------------------------------------------------------------


def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """One step of Keras's LSTM (gate blocks i, f, C~, o): the new hidden and cell states."""
    _, h, c = lstm_forward(x_t[:, None, :], kernel, recurrent_kernel, bias, h0=h_prev, c0=c_prev)
    return h, c


def _gate_cases(rng, gates):
    n, features, units = (int(v) for v in rng.integers(2, 5, size=3))
    return {"x_t": rng.normal(size=(n, features)), "h_prev": rng.normal(scale=0.5, size=(n, units)),
            "kernel": rng.normal(scale=0.7, size=(features, gates * units)),
            "recurrent_kernel": rng.normal(scale=0.7, size=(units, gates * units)),
            "bias": rng.normal(scale=0.5, size=gates * units)}


def _lstm_cases(rng):
    case = _gate_cases(rng, 4)
    return {"x_t": case["x_t"], "h_prev": case["h_prev"], "c_prev": rng.normal(size=case["h_prev"].shape),
            **{k: case[k] for k in ("kernel", "recurrent_kernel", "bias")}}


def _swap_first_two(w):
    i, f, c, o = np.split(np.asarray(w), 4, axis=-1)
    return np.concatenate([f, i, c, o], axis=-1)


def _lstm_notes_order(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    return lstm_step(x_t, h_prev, c_prev, _swap_first_two(kernel), _swap_first_two(recurrent_kernel),
                     _swap_first_two(bias))


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _lstm_no_tanh_on_cell(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    i, f, c_tilde, o = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=-1)
    c = _sigmoid(f) * c_prev + _sigmoid(i) * np.tanh(c_tilde)
    return _sigmoid(o) * c, c


# --- q3: the GRU in the other convention ----------------------------------------------------------


def other_convention(kernel, recurrent_kernel, bias):
    """Weights for ``h_t = (1 - z_t) h_{t-1} + z_t h~_t`` that compute Keras's GRU (``reset_after=False``).

    ``1 - sigmoid(a) = sigmoid(-a)``: negate the update gate's block (the first third) of every weight.
    """
    flipped = [np.array(w, dtype=float) for w in (kernel, recurrent_kernel, bias)]
    units = flipped[2].shape[-1] // 3
    for w in flipped:
        w[..., :units] *= -1.0
    return tuple(flipped)


def _gru_cases(rng):
    case = _gate_cases(rng, 3)
    return {k: case[k] for k in ("kernel", "recurrent_kernel", "bias")}


def _flip_candidate(kernel, recurrent_kernel, bias):
    flipped = [np.array(w, dtype=float) for w in (kernel, recurrent_kernel, bias)]
    units = flipped[2].shape[-1] // 3
    for w in flipped:
        w[..., 2 * units:] *= -1.0
    return tuple(flipped)


def _one_minus_update(kernel, recurrent_kernel, bias):
    flipped = [np.array(w, dtype=float) for w in (kernel, recurrent_kernel, bias)]
    units = flipped[2].shape[-1] // 3
    for w in flipped:
        w[..., :units] = 1.0 - w[..., :units]
    return tuple(flipped)


# --- q4: remember by default ----------------------------------------------------------------------


def remember_by_default(bias, value):
    """A GRU bias whose update gate starts at ``sigmoid(value)``: Keras's layouts (3u,) and (2, 3u).

    Keras orders the blocks z, r, h~. With ``reset_after=True`` the bias has an input row and a
    recurrent row, and the update gate adds both: the input row gets ``value``, the recurrent row 0.
    """
    bias = np.array(bias, dtype=float)
    units = bias.shape[-1] // 3
    if bias.ndim == 1:
        bias[:units] = value
    else:
        bias[0, :units] = value
        bias[1, :units] = 0.0
    return bias


def _bias_cases(rng):
    units = int(rng.integers(2, 6))
    shape = (3 * units,) if rng.random() < 0.5 else (2, 3 * units)
    return {"bias": rng.normal(scale=0.5, size=shape), "value": float(rng.uniform(1.0, 3.0))}


def _bias_both_rows(bias, value):
    bias = np.array(bias, dtype=float)
    bias[..., :bias.shape[-1] // 3] = value
    return bias


def _bias_reset_block(bias, value):
    bias = np.array(bias, dtype=float)
    units = bias.shape[-1] // 3
    if bias.ndim == 1:
        bias[units:2 * units] = value
    else:
        bias[0, units:2 * units] = value
        bias[1, units:2 * units] = 0.0
    return bias


# --- q5: backpropagation through time -------------------------------------------------------------


def bptt_gradients(x, y, w_i, w_h, b_h, w_o, b_o):
    """The gradients of the recurrent part, ``(dL/dw_i, dL/dw_h, dL/db_h)``, by backpropagation through time."""
    _, grads = many_to_one_bptt(x, y, w_i, w_h, b_h, w_o, b_o)
    return grads["w_i"], grads["w_h"], grads["b_h"]


def _bptt_cases(rng):
    n, steps = int(rng.integers(2, 5)), int(rng.integers(2, 6))
    features, units = int(rng.integers(2, 4)), int(rng.integers(2, 5))
    return {"x": rng.normal(size=(n, steps, features)), "y": rng.integers(0, 2, size=n).astype(float),
            "w_i": rng.normal(scale=0.7, size=(features, units)), "w_h": rng.normal(scale=0.7, size=(units, units)),
            "b_h": rng.normal(scale=0.3, size=units), "w_o": rng.normal(size=(units, 1)),
            "b_o": rng.normal(scale=0.3, size=1)}


def _bptt_summed(x, y, w_i, w_h, b_h, w_o, b_o):
    return tuple(g * len(y) for g in bptt_gradients(x, y, w_i, w_h, b_h, w_o, b_o))


def _bptt_without_tanh_derivative(x, y, w_i, w_h, b_h, w_o, b_o):
    from ...numpy_ref.rnn import many_to_one_forward

    y_hat, states = many_to_one_forward(x, w_i, w_h, b_h, w_o, b_o)
    d_state = ((y_hat - y) / len(y))[:, None] @ np.asarray(w_o).T
    dw_i, dw_h, db_h = np.zeros(np.shape(w_i)), np.zeros(np.shape(w_h)), np.zeros(np.shape(b_h))
    for t in reversed(range(x.shape[1])):
        o_prev = states[:, t - 1] if t > 0 else np.zeros_like(states[:, t])
        dw_i, dw_h, db_h = dw_i + x[:, t].T @ d_state, dw_h + o_prev.T @ d_state, db_h + d_state.sum(axis=0)
        d_state = d_state @ np.asarray(w_h).T
    return dw_i, dw_h, db_h


def _bptt_last_step_only(x, y, w_i, w_h, b_h, w_o, b_o):
    from ...numpy_ref.rnn import many_to_one_forward

    y_hat, states = many_to_one_forward(x, w_i, w_h, b_h, w_o, b_o)
    delta = ((y_hat - y) / len(y))[:, None] @ np.asarray(w_o).T * (1.0 - states[:, -1] ** 2)
    o_prev = states[:, -2] if x.shape[1] > 1 else np.zeros_like(states[:, -1])
    return x[:, -1].T @ delta, o_prev.T @ delta, delta.sum(axis=0)


# --- q6: clipping by the global norm --------------------------------------------------------------


def _clip_cases(rng):
    grads = [rng.normal(scale=float(rng.uniform(0.5, 3.0)), size=tuple(int(s) for s in rng.integers(1, 5, size=k)))
             for k in rng.integers(1, 3, size=int(rng.integers(2, 5)))]
    norm = np.sqrt(sum(np.sum(g * g) for g in grads))
    factor = rng.uniform(0.2, 0.8) if rng.random() < 0.7 else rng.uniform(1.2, 3.0)
    return {"grads": grads, "threshold": float(norm * factor)}


def _clip_each(grads, threshold):
    out = []
    for g in grads:
        norm = np.sqrt(np.sum(np.square(g)))
        out.append(np.asarray(g) * (threshold / norm) if norm > threshold else np.array(g, dtype=float))
    return out


def _clip_always(grads, threshold):
    norm = np.sqrt(sum(np.sum(np.square(g)) for g in grads))
    return [np.asarray(g) * (threshold / norm) for g in grads]


def _scale_threshold(threshold, rng):
    return threshold * float(rng.uniform(0.3, 0.6))


EXERCISES = [
    LayerExercise(
        "A simple RNN cell in Keras", _simple_rnn_twin, init_kwargs={"units": 5}, input_shape=(4, 6, 3),
        hints=["A cell for `keras.layers.RNN` sets `self.state_size = units` and its `call(inputs, states)` returns "
               "`(output, [new_state])`; `states[0]` is h_{t-1}.",
               "In `build`, `self.add_weight(shape=...)` three times: kernel `(input_shape[-1], units)`, "
               "recurrent_kernel `(units, units)`, bias `(units,)`. In `call`, "
               "`h = keras.ops.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel + self.bias)`.",
               "`build_rnn` returns `keras.layers.RNN(MyRNNCell(units), return_sequences=True)`."],
        prose="A cell of three weights, wrapped in `keras.layers.RNN(cell, return_sequences=True)` "
              "(see `simple_rnn` in the same module); its twin is `keras.layers.SimpleRNN`.",
        reference=ElmanCell),
    FunctionExercise(
        "One LSTM step", lstm_step, _lstm_cases,
        hints=["Compute all four pre-activations at once, `z = x_t @ kernel + h_prev @ recurrent_kernel + bias`, and "
               "cut them with `np.split(z, 4, axis=-1)`: Keras's order is i, f, C~, o.",
               "`C_t = f * c_prev + i * tanh(C~)` and `h_t = o * tanh(C_t)`, with the sigmoid for i, f and o."],
        prose="The notes' gate equations with Keras's weight layout, one step of `numpy_ref.rnn.lstm_forward`.",
        output_names=("h_t", "C_t"), solution_objects=(lstm_step, lstm_forward),
        mistakes=[(_lstm_notes_order, "Keras stores the gate blocks in the order i, f, C~, o (the notes list f "
                                      "first): the first block is the input gate."),
                  (_lstm_no_tanh_on_cell, "the output is `h_t = o * tanh(C_t)`: squash the cell state before the "
                                          "output gate.")]),
    FunctionExercise(
        "The GRU in the other convention", other_convention, _gru_cases,
        hints=["`1 - sigmoid(a) = sigmoid(-a)`: what must happen to the update gate's pre-activation?",
               "Keras orders the GRU's blocks z, r, h~: negate the first third (the last axis) of the kernel, the "
               "recurrent kernel and the bias, and leave the rest alone."],
        prose="Negating the update gate's weights turns z into 1 - z, which swaps the two conventions.",
        output_names=("kernel", "recurrent_kernel", "bias"),
        mistakes=[(_flip_candidate, "Keras's blocks are z, r, h~: the update gate z is the first third, not the "
                                    "last."),
                  (_one_minus_update, "1 - z is sigmoid of the negated pre-activation: negate the weights, do not "
                                      "take 1 - w.")]),
    FunctionExercise(
        "Remember by default", remember_by_default, _bias_cases,
        hints=["Keras orders the GRU's gate blocks z, r, h~: the update gate's bias is the first third of the last "
               "axis.",
               "With the default `reset_after=True` the bias has shape (2, 3 * units): an input row and a recurrent "
               "row, and the update gate adds both. Put `value` in row 0 and 0 in row 1 (first third only); a 1-D "
               "bias gets `value` in its first third. Return a new array."],
        prose="The update gate's block is the first third; with two bias rows only their sum matters.",
        seed=1,  # its five cases mix both layouts (a test checks it)
        mistakes=[(_bias_both_rows, "with `reset_after=True` Keras adds the input and the recurrent bias: "
                                    "setting both rows gives the update gate twice the value. Put 0 in the "
                                    "recurrent row."),
                  (_bias_reset_block, "Keras's blocks are z, r, h~: the update gate is the first third, the reset "
                                      "gate the second.")]),
    FunctionExercise(
        "Backpropagation through time", bptt_gradients, _bptt_cases,
        hints=["Run the forward pass and keep every state o_t. Start from dL/do_T = (y_hat - y) w_o^T / n (the loss "
               "is a mean over the n sequences).",
               "Going back from t = T to 1: `delta = d_state * (1 - o_t**2)` (through tanh); add `x_t^T delta` to "
               "dL/dw_i, `o_{t-1}^T delta` to dL/dw_h (o_0 = 0) and `delta.sum(axis=0)` to dL/db_h; then "
               "`d_state = delta @ w_h.T`."],
        prose="The notes' sum over paths, accumulated backwards step by step (`numpy_ref.rnn.many_to_one_bptt`).",
        output_names=("dL/dw_i", "dL/dw_h", "dL/db_h"), solution_objects=(bptt_gradients, many_to_one_bptt),
        mistakes=[(_bptt_summed, "the loss is the mean over the n sequences: divide by n."),
                  (_bptt_without_tanh_derivative, "each step goes through tanh: multiply by (1 - o_t**2) before "
                                                  "using and passing on the gradient."),
                  (_bptt_last_step_only, "the weights are shared by every step: add the contribution of each "
                                         "time step, going backwards through the sequence.")],
        perturb={"y": lambda y, rng: 1.0 - y}),
    FunctionExercise(
        "Clipping by the global norm", clip_by_global_norm, _clip_cases,
        hints=["The global norm is the square root of the sum of the squares of every entry of every array.",
               "If it exceeds `threshold`, multiply every array by `threshold / global_norm`; otherwise return "
               "them unchanged (as a list)."],
        prose="One factor for all arrays, so the direction of the whole gradient is kept "
              "(Keras's `global_clipnorm`).",
        mistakes=[(_clip_each, "clip all arrays together by their joint (global) norm: clipping each one on its "
                               "own changes the direction of the whole gradient."),
                  (_clip_always, "a gradient whose global norm is within the threshold stays as it is: rescale "
                                 "only when the norm exceeds it.")],
        perturb={"threshold": _scale_threshold}),
    ChoiceExercise(
        "Parameters of a GRU", "11-gru-parameter-count",
        "46f9fb932e3ea7a23b6b7991569b8e6628b93c012a8bf1e548cf17abb6697a0e",
        hints=["Three gate blocks, each with a weight per input feature and unit, a recurrent weight per unit "
               "pair, and biases.",
               "With the default `reset_after=True` each block has two bias vectors (input and recurrent)."],
        explanation=("**1,344.** Each of the three blocks (z, r, h~) has 10 x 16 input weights, 16 x 16 recurrent "
                     "weights and, with `reset_after=True`, two biases of 16: 3 x 16 x (10 + 16 + 2) = 1,344. With "
                     "`reset_after=False` there is one bias per block: 3 x 16 x 27 = 1,296. An LSTM of 16 units "
                     "would have four blocks: 4 x 16 x 27 = 1,728."),
        digits=0, prose="Three blocks of input weights, recurrent weights and two biases."),
]
