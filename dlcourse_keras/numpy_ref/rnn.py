"""Recurrent networks in NumPy: SimpleRNN, LSTM and GRU forward passes and BPTT.

The forward passes use Keras's weight layout (``kernel`` multiplies ``x_t``,
``recurrent_kernel`` multiplies ``h_{t-1}``, gates side by side in Keras's order), so a
trained ``keras.layers.SimpleRNN`` / ``LSTM`` / ``GRU(reset_after=False)`` can be checked
against them weight for weight. Backpropagation through time is written out for the notes'
many-to-one toy network (``o_t = tanh(x_t w_i + o_{t-1} w_h + b_h)``,
``y_hat = sigmoid(o_T w_o + b_o)``, binary cross-entropy). Taught in notebook
``11_recurrent_networks``; the Keras twins are the layers named in each function.
"""

import numpy as np

from .activations import sigmoid  # the overflow-safe logistic of notebook 05


def _check_sequences(x):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"x has shape {x.shape}; expected (batch, time steps, features).")
    return x


def _initial(state, batch, units):
    return np.zeros((batch, units)) if state is None else np.asarray(state, dtype=np.float64)


def simple_rnn_forward(x, kernel, recurrent_kernel, bias, h0=None):
    """Runs a simple (Elman) RNN over ``x``: ``h_t = tanh(x_t W_x + h_{t-1} W_h + b)``.

    Keras twin: ``keras.layers.SimpleRNN(units, return_sequences=True)``, whose weights are
    ``[kernel, recurrent_kernel, bias]`` in this order and layout.

    Args:
        x: inputs of shape ``(batch, time steps, features)``.
        kernel: ``W_x``, shape ``(features, units)``.
        recurrent_kernel: ``W_h``, shape ``(units, units)``.
        bias: ``b``, shape ``(units,)``.
        h0: initial state ``(batch, units)``. Default zeros.

    Returns:
        The hidden states of every step, shape ``(batch, time steps, units)``; the last one
        is the final state.

    Example:

    >>> x = np.ones((1, 2, 1))
    >>> simple_rnn_forward(x, np.ones((1, 1)), np.ones((1, 1)), np.zeros(1)).shape
    (1, 2, 1)
    """
    x = _check_sequences(x)
    units = np.shape(recurrent_kernel)[0]
    h = _initial(h0, x.shape[0], units)
    states = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        states.append(h)
    return np.stack(states, axis=1)


def lstm_forward(x, kernel, recurrent_kernel, bias, h0=None, c0=None):
    """Runs an LSTM over ``x`` with the gate equations of the notes.

    ``f_t = sigmoid(W_f [x_t, h_{t-1}] + b_f)``, ``i_t = sigmoid(W_i [x_t, h_{t-1}] + b_i)``,
    ``C~_t = tanh(W_C [x_t, h_{t-1}] + b_C)``, ``o_t = sigmoid(W_o [x_t, h_{t-1}] + b_o)``,
    ``C_t = f_t * C_{t-1} + i_t * C~_t``, ``h_t = o_t * tanh(C_t)``.

    Keras twin: ``keras.layers.LSTM``. Its weights put the four gates side by side in the
    order **i, f, C~, o** (the notes list f first); this function reads them in that order.

    Args:
        x: inputs ``(batch, time steps, features)``.
        kernel: ``(features, 4 * units)``, gate blocks i, f, C~, o.
        recurrent_kernel: ``(units, 4 * units)``, same blocks.
        bias: ``(4 * units,)``, same blocks.
        h0, c0: initial hidden and cell states ``(batch, units)``. Default zeros.

    Returns:
        ``(hidden_states, h_T, C_T)``: every ``h_t`` as ``(batch, time steps, units)``, and
        the final hidden and cell states.

    Example:

    >>> u = 2; x = np.zeros((1, 3, 1))
    >>> hs, h, c = lstm_forward(x, np.zeros((1, 4 * u)), np.zeros((u, 4 * u)), np.zeros(4 * u))
    >>> hs.shape, float(abs(c).max())
    ((1, 3, 2), 0.0)
    """
    x = _check_sequences(x)
    units = np.shape(recurrent_kernel)[0]
    h = _initial(h0, x.shape[0], units)
    c = _initial(c0, x.shape[0], units)
    states = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias
        i, f, c_tilde, o = np.split(z, 4, axis=-1)
        i, f, o = sigmoid(i), sigmoid(f), sigmoid(o)
        c = f * c + i * np.tanh(c_tilde)
        h = o * np.tanh(c)
        states.append(h)
    return np.stack(states, axis=1), h, c


def gru_forward(x, kernel, recurrent_kernel, bias, h0=None):
    """Runs a GRU over ``x``, reset gate applied before the candidate's matrix product.

    ``z_t = sigmoid(x_t W_z + h_{t-1} U_z + b_z)`` (update), ``r_t = sigmoid(x_t W_r +
    h_{t-1} U_r + b_r)`` (reset), ``h~_t = tanh(x_t W_h + (r_t * h_{t-1}) U_h + b_h)``,
    ``h_t = z_t * h_{t-1} + (1 - z_t) * h~_t``.

    Keras twin: ``keras.layers.GRU(reset_after=False)``: gate blocks in the order z, r, h~,
    and ``z_t`` weighs the *old* state, as in Cho et al. 2014 (eq. 7), who introduced the
    GRU. The course notes write ``h_t = (1 - z_t) * h_{t-1} + z_t * h~_t``, the form of
    Chung et al. 2014; the two differ only by the sign of ``z``'s pre-activation (the
    notes' ``z_t`` is this function's ``1 - z_t``).

    Args:
        x: inputs ``(batch, time steps, features)``.
        kernel: ``(features, 3 * units)``, blocks z, r, h~.
        recurrent_kernel: ``(units, 3 * units)``, same blocks.
        bias: ``(3 * units,)``, same blocks.
        h0: initial state ``(batch, units)``. Default zeros.

    Returns:
        Every ``h_t`` as ``(batch, time steps, units)``.

    Example:

    >>> u = 2; x = np.ones((1, 3, 1))
    >>> gru_forward(x, np.zeros((1, 3 * u)), np.zeros((u, 3 * u)), np.zeros(3 * u)).shape
    (1, 3, 2)
    """
    x = _check_sequences(x)
    units = np.shape(recurrent_kernel)[0]
    h = _initial(h0, x.shape[0], units)
    w_z, w_r, w_h = np.split(np.asarray(kernel), 3, axis=-1)
    u_z, u_r, u_h = np.split(np.asarray(recurrent_kernel), 3, axis=-1)
    b_z, b_r, b_h = np.split(np.asarray(bias), 3, axis=-1)
    states = []
    for t in range(x.shape[1]):
        z = sigmoid(x[:, t] @ w_z + h @ u_z + b_z)
        r = sigmoid(x[:, t] @ w_r + h @ u_r + b_r)
        h_tilde = np.tanh(x[:, t] @ w_h + (r * h) @ u_h + b_h)
        h = z * h + (1.0 - z) * h_tilde
        states.append(h)
    return np.stack(states, axis=1)


def many_to_one_forward(x, w_i, w_h, b_h, w_o, b_o):
    """Forward pass of the notes' many-to-one RNN with a sigmoid output.

    ``o_t = tanh(x_t w_i + o_{t-1} w_h + b_h)`` with ``o_0 = 0``, then
    ``y_hat = sigmoid(o_T w_o + b_o)``.

    Args:
        x: ``(batch, time steps, features)``.
        w_i: ``(features, units)``; w_h: ``(units, units)``; b_h: ``(units,)``;
        w_o: ``(units, 1)``; b_o: ``(1,)``.

    Returns:
        ``(y_hat, states)``: probabilities ``(batch,)`` and ``o_1..o_T`` as
        ``(batch, time steps, units)``.
    """
    states = simple_rnn_forward(x, w_i, w_h, b_h)
    logits = states[:, -1] @ np.asarray(w_o) + b_o
    return sigmoid(logits)[:, 0], states


def many_to_one_bptt(x, y, w_i, w_h, b_h, w_o, b_o):
    """Loss and gradients of the many-to-one RNN by backpropagation through time.

    The loss is the mean binary cross-entropy ``-y log y_hat - (1 - y) log(1 - y_hat)``.
    Going backwards from ``dL/do_T = (y_hat - y) w_o^T / n``, each step adds its share,
    ``dL/dw_i += x_t^T delta_t`` and ``dL/dw_h += o_{t-1}^T delta_t`` with
    ``delta_t = dL/do_t * (1 - o_t^2)``, and passes ``dL/do_{t-1} = delta_t w_h^T`` on:
    the notes' sum over the paths through ``o_3, o_2, o_1``. Keras/TF twin: the same model
    as ``SimpleRNN`` + ``Dense(1, "sigmoid")`` under ``tf.GradientTape``.

    Args:
        x: ``(batch, time steps, features)``; y: labels ``(batch,)`` in {0, 1}.
        w_i, w_h, b_h, w_o, b_o: as in :func:`many_to_one_forward`.

    Returns:
        ``(loss, grads)`` with ``grads`` a dict of arrays shaped like the parameters,
        keys ``"w_i", "w_h", "b_h", "w_o", "b_o"``.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> x = np.eye(3)[None, [0, 1, 2]]
    >>> loss, g = many_to_one_bptt(x, np.array([1.0]), rng.normal(size=(3, 3)),
    ...                            rng.normal(size=(3, 3)), np.zeros(3), rng.normal(size=(3, 1)), np.zeros(1))
    >>> sorted(g)
    ['b_h', 'b_o', 'w_h', 'w_i', 'w_o']
    """
    x = _check_sequences(x)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    w_h, w_o = np.asarray(w_h, dtype=np.float64), np.asarray(w_o, dtype=np.float64)
    n, steps, _ = x.shape
    y_hat, states = many_to_one_forward(x, w_i, w_h, b_h, w_o, b_o)
    eps = 1e-12
    loss = float(np.mean(-y * np.log(y_hat + eps) - (1 - y) * np.log(1 - y_hat + eps)))
    d_logit = ((y_hat - y) / n)[:, None]          # dL/d(o_T w_o + b_o)
    grads = {"w_o": states[:, -1].T @ d_logit, "b_o": d_logit.sum(axis=0)}
    grads.update(w_i=np.zeros(np.shape(w_i)), w_h=np.zeros(w_h.shape), b_h=np.zeros(np.shape(b_h)))
    d_state = d_logit @ w_o.T                      # dL/do_T
    for t in reversed(range(steps)):
        o_t = states[:, t]
        o_prev = states[:, t - 1] if t > 0 else np.zeros_like(o_t)
        delta = d_state * (1.0 - o_t ** 2)         # through tanh
        grads["w_i"] += x[:, t].T @ delta
        grads["w_h"] += o_prev.T @ delta
        grads["b_h"] += delta.sum(axis=0)
        d_state = delta @ w_h.T                    # on to o_{t-1}
    return loss, grads
