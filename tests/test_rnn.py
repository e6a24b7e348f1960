"""Recurrent networks: NumPy references and teaching cells against Keras and GradientTape."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcourse_keras.layers.rnn import (EchoStateCell, EchoStateRNN, LeakyRNN, LeakyUnitCell, TeachingGRU,
                                       TeachingGRUCell, TeachingLSTM, TeachingLSTMCell, TeachingSimpleRNN,
                                       TeachingSimpleRNNCell)
from dlcourse_keras.numpy_ref import rnn as ref
from dlcourse_keras.seeding import seed_everything
from dlcourse_keras.testing import run_layer_test


def np_(t):
    return keras.ops.convert_to_numpy(t)


def sequences(batch=4, steps=6, features=3, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, steps, features)).astype("float32")


def right_padded_mask(batch=4, steps=6):
    mask = np.ones((batch, steps), dtype=bool)
    mask[0, 4:] = False
    mask[2, 2:] = False
    return mask


TWINS = [
    (keras.layers.SimpleRNN, TeachingSimpleRNN, {}),
    (keras.layers.LSTM, TeachingLSTM, {}),
    (keras.layers.GRU, TeachingGRU, {"reset_after": False}),
]


def _trained_keras_layer(keras_cls, extra, x):
    seed_everything(1)
    layer = keras_cls(5, return_sequences=True, return_state=True, **extra)
    layer(x)
    # random biases too, so a wrong bias block would show
    weights = layer.get_weights()
    weights[-1] = np.random.default_rng(3).normal(scale=0.5, size=weights[-1].shape).astype("float32")
    layer.set_weights(weights)
    return layer


# ---------------------------------------------------------------- NumPy references vs Keras
@pytest.mark.parametrize("keras_cls, _, extra", TWINS)
def test_numpy_forward_equals_keras(keras_cls, _, extra):
    x = sequences()
    layer = _trained_keras_layer(keras_cls, extra, x)
    expected = np_(layer(x)[0])
    w = layer.get_weights()
    if keras_cls is keras.layers.LSTM:
        got, h, c = ref.lstm_forward(x, *w)
        np.testing.assert_allclose(c, np_(layer(x)[2]), atol=1e-5)
    elif keras_cls is keras.layers.GRU:
        got = ref.gru_forward(x, *w)
    else:
        got = ref.simple_rnn_forward(x, *w)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_numpy_references_reject_wrong_rank():
    with pytest.raises(ValueError, match="x has shape"):
        ref.simple_rnn_forward(np.zeros((3, 2)), np.zeros((2, 1)), np.zeros((1, 1)), np.zeros(1))


def test_sigmoid_is_stable_and_correct():
    z = np.array([-800.0, -1.0, 0.0, 2.0, 800.0])
    s = ref.sigmoid(z)
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s[1:4], 1 / (1 + np.exp(-z[1:4])))
    assert s[0] == 0.0 and s[-1] == 1.0


def _toy_params(seed=0, features=3, units=3):
    rng = np.random.default_rng(seed)
    return dict(w_i=rng.normal(size=(features, units)), w_h=rng.normal(size=(units, units)) * 0.5,
                b_h=rng.normal(size=units) * 0.1, w_o=rng.normal(size=(units, 1)), b_o=rng.normal(size=1) * 0.1)


def test_bptt_equals_gradient_tape_on_the_notes_toy():
    eye = np.eye(3)
    x = np.stack([eye[[0, 1, 2]], eye[[2, 2, 1]], eye[[1, 1, 0]]])   # cat mat rat / rat rat mat / mat mat cat
    y = np.array([1.0, 1.0, 0.0])
    params = _toy_params()
    loss, grads = ref.many_to_one_bptt(x, y, **params)
    variables = {k: tf.Variable(v) for k, v in params.items()}
    with tf.GradientTape() as tape:
        h = tf.zeros((3, 3), tf.float64)
        for t in range(3):
            h = tf.tanh(x[:, t] @ variables["w_i"] + h @ variables["w_h"] + variables["b_h"])
        p = tf.sigmoid(h @ variables["w_o"] + variables["b_o"])[:, 0]
        tape_loss = tf.reduce_mean(-y * tf.math.log(p) - (1 - y) * tf.math.log(1 - p))
    tape_grads = tape.gradient(tape_loss, variables)
    assert loss == pytest.approx(float(tape_loss), rel=1e-9)
    for name in params:
        np.testing.assert_allclose(grads[name], tape_grads[name].numpy(), atol=1e-10, err_msg=name)
        assert np.abs(grads[name]).max() > 0


def test_bptt_equals_finite_differences():
    x = sequences(batch=2, steps=4, features=2, seed=4).astype(np.float64)
    y = np.array([1.0, 0.0])
    params = _toy_params(seed=5, features=2, units=3)
    _, grads = ref.many_to_one_bptt(x, y, **params)
    eps = 1e-6
    w_h = params["w_h"]
    numeric = np.zeros_like(w_h)
    for idx in np.ndindex(w_h.shape):
        plus, minus = w_h.copy(), w_h.copy()
        plus[idx] += eps
        minus[idx] -= eps
        numeric[idx] = (ref.many_to_one_bptt(x, y, **{**params, "w_h": plus})[0]
                        - ref.many_to_one_bptt(x, y, **{**params, "w_h": minus})[0]) / (2 * eps)
    np.testing.assert_allclose(grads["w_h"], numeric, atol=1e-7)


# ---------------------------------------------------------------- teaching cells vs Keras
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("keras_cls, teaching_cls, extra", TWINS)
def test_teaching_layer_equals_keras(keras_cls, teaching_cls, extra, masked):
    x = sequences()
    mask = right_padded_mask() if masked else None
    theirs = _trained_keras_layer(keras_cls, extra, x)
    ours = teaching_cls(5, return_sequences=True, return_state=True)
    ours(x)
    ours.load_keras_weights(theirs)
    got, expected = ours(x, mask=mask), theirs(x, mask=mask)
    assert len(got) == len(expected)          # sequences + final state(s)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(np_(a), np_(b), atol=1e-5)


def test_masked_steps_keep_the_last_state():
    x = sequences()
    mask = right_padded_mask()
    layer = TeachingLSTM(5, return_sequences=True)
    seqs = np_(layer(x, mask=mask))
    # row 2 stops after 2 steps: its last output is the state after step 2, from x[:2] alone
    fresh = TeachingLSTM(5)
    fresh(x[:1])
    fresh.set_weights(layer.get_weights())
    np.testing.assert_allclose(np_(fresh(x[2:3, :2]))[0], seqs[2, -1], atol=1e-6)
    assert not np.allclose(seqs[2, -1], seqs[3, -1])


def test_lstm_weight_mapping_swaps_input_and_forget_blocks():
    x = sequences()
    theirs = keras.layers.LSTM(2)
    theirs(x)
    ours = TeachingLSTMCell(2)
    ours.load_keras_weights(theirs)
    kernel, recurrent, bias = theirs.get_weights()
    stacked = np.concatenate([kernel, recurrent])
    np.testing.assert_array_equal(np_(ours.kernel)[:, :2], stacked[:, 2:4])   # our f = Keras block 1
    np.testing.assert_array_equal(np_(ours.kernel)[:, 2:4], stacked[:, :2])   # our i = Keras block 0
    np.testing.assert_array_equal(np_(ours.bias)[:2], np.ones(2))             # unit forget bias moved too


def test_fresh_lstm_cell_has_unit_forget_bias():
    cell = TeachingLSTMCell(3)
    cell.build((None, 2))
    np.testing.assert_array_equal(np_(cell.bias), [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert tuple(cell.kernel.shape) == (2 + 3, 12)


def test_gru_mapping_refuses_reset_after_true():
    x = sequences()
    theirs = keras.layers.GRU(3)
    theirs(x)
    with pytest.raises(ValueError, match="reset_after=False"):
        TeachingGRUCell(3).load_keras_weights(theirs)


def test_mapping_refuses_the_wrong_twin():
    x = sequences()
    theirs = keras.layers.SimpleRNN(3)
    theirs(x)
    with pytest.raises(ValueError, match="LSTM"):
        TeachingLSTMCell(3).load_keras_weights(theirs)


@pytest.mark.parametrize("cls", [TeachingSimpleRNNCell, TeachingLSTMCell, TeachingGRUCell, LeakyUnitCell,
                                 EchoStateCell])
@pytest.mark.parametrize("units", [0, -2, 2.5, True, "4"])
def test_cells_reject_bad_units(cls, units):
    with pytest.raises(ValueError, match="units"):
        cls(units)


@pytest.mark.parametrize("alpha", [1.0, -0.1, float("nan"), float("inf"), "0.5"])
def test_leak_rejects_bad_alpha(alpha):
    with pytest.raises(ValueError, match="alpha"):
        LeakyUnitCell(3, alpha=alpha)
    with pytest.raises(ValueError, match="alpha"):
        EchoStateCell(3, alpha=alpha)


@pytest.mark.parametrize("radius", [0, -1, float("nan"), float("inf")])
def test_echo_state_rejects_bad_radius(radius):
    with pytest.raises(ValueError, match="spectral_radius"):
        EchoStateCell(3, spectral_radius=radius)


# ---------------------------------------------------------------- leaky units and echo states
def test_leaky_unit_with_alpha_zero_is_the_simple_rnn():
    x = sequences()
    simple = TeachingSimpleRNN(4, return_sequences=True)
    leaky = LeakyRNN(4, alpha=0.0, return_sequences=True)
    simple(x)
    leaky(x)
    leaky.set_weights(simple.get_weights())
    np.testing.assert_allclose(np_(leaky(x)), np_(simple(x)), atol=1e-6)


def test_leaky_unit_changes_slowly():
    x = sequences(steps=20)
    fast, slow = LeakyRNN(4, alpha=0.0, return_sequences=True), LeakyRNN(4, alpha=0.95, return_sequences=True)
    fast(x)
    slow(x)
    slow.set_weights(fast.get_weights())
    step_change = lambda h: np.abs(np.diff(h, axis=1)).mean()
    assert step_change(np_(slow(x))) < 0.2 * step_change(np_(fast(x)))


def test_echo_state_reservoir_has_requested_spectral_radius_and_is_frozen():
    cell = EchoStateCell(40, spectral_radius=0.8, seed=3)
    layer = keras.layers.RNN(cell)
    layer(sequences(features=2))
    radius = np.max(np.abs(np.linalg.eigvals(np_(cell.recurrent_kernel))))
    assert radius == pytest.approx(0.8, rel=1e-5)
    assert cell.trainable_weights == [] and len(cell.non_trainable_weights) == 2
    again = EchoStateCell(40, spectral_radius=0.8, seed=3)
    keras.layers.RNN(again)(sequences(features=2))
    np.testing.assert_array_equal(np_(again.recurrent_kernel), np_(cell.recurrent_kernel))


def test_echo_state_memory_fades():
    """Two different pasts, the same recent inputs: the states converge (echo state property)."""
    x = sequences(batch=2, steps=60, features=1)
    x[1, :10] = -x[0, :10] * 3
    x[1, 10:] = x[0, 10:]
    states = np_(EchoStateRNN(30, spectral_radius=0.7, return_sequences=True)(x))
    gap = np.abs(states[0] - states[1]).max(axis=-1)
    assert gap[9] > 0.1 and gap[-1] < 1e-3 * gap[9]


def test_echo_state_readout_learns_a_delay():
    """Only the Dense readout trains; it recalls the input from 3 steps back."""
    seed_everything(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(64, 40, 1)).astype("float32")
    y = np.roll(x, 3, axis=1)
    y[:, :3] = 0
    model = keras.Sequential([keras.Input((40, 1)),
                              EchoStateRNN(100, spectral_radius=0.9, input_scaling=0.5, return_sequences=True),
                              keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.02), "mse")
    model.fit(x, y, epochs=60, batch_size=64, verbose=0)
    mse = float(model.evaluate(x, y, verbose=0))
    assert mse < 0.1 * float(np.var(y))
    assert len(model.trainable_weights) == 2


# ---------------------------------------------------------------- layer contract
@pytest.mark.parametrize("layer_cls, kwargs", [
    (TeachingSimpleRNN, {"units": 4}),
    (TeachingLSTM, {"units": 4, "return_sequences": True}),
    (TeachingGRU, {"units": 4, "return_state": True}),
    (LeakyRNN, {"units": 4, "alpha": 0.5}),
    (EchoStateRNN, {"units": 6, "spectral_radius": 0.5, "return_sequences": True}),
])
def test_layer_contract(layer_cls, kwargs):
    seq = kwargs.get("return_sequences", False)
    shape = (3, 5, 4) if seq else (3, 4)
    expected = [shape, (3, 4)] if kwargs.get("return_state") else shape
    if layer_cls is EchoStateRNN:
        expected = (3, 5, 6)
    run_layer_test(layer_cls, kwargs, input_shape=(3, 5, 2), expected_output_shape=expected,
                   expected_num_trainable_weights=0 if layer_cls is EchoStateRNN else 2,
                   expected_num_non_trainable_weights=2 if layer_cls is EchoStateRNN else 0,
                   supports_masking=True, atol=1e-5)


def test_config_keeps_cell_arguments():
    layer = EchoStateRNN(7, spectral_radius=0.3, input_scaling=2.0, alpha=0.25, seed=9, return_sequences=True)
    config = layer.get_config()
    assert {k: config[k] for k in ("units", "spectral_radius", "input_scaling", "alpha", "seed")} == {
        "units": 7, "spectral_radius": 0.3, "input_scaling": 2.0, "alpha": 0.25, "seed": 9}
    assert "cell" not in config and config["return_sequences"] is True


def test_model_with_teaching_cells_round_trips(tmp_path):
    x = sequences()
    inputs = keras.Input((6, 3))
    h = keras.layers.RNN(TeachingGRUCell(4), return_sequences=True)(inputs)
    h = keras.layers.Bidirectional(TeachingLSTM(3))(h)
    model = keras.Model(inputs, keras.layers.Dense(1)(h))
    before = np_(model(x))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(np_(loaded(x)), before, atol=1e-6)


# ---------------------------------------------------------------- arguments and documentation
def test_layers_take_numpy_scalars_and_name_bad_ones_plainly():
    x = sequences()
    assert TeachingLSTM(np.int64(3))(x).shape == (4, 3)      # state_size was np.int64: refused by RNN
    assert LeakyRNN(np.int32(3), alpha=np.float32(0.5)).cell.alpha == 0.5
    layer = EchoStateRNN(np.int64(5), spectral_radius=np.float32(0.5), input_scaling=np.float64(2.0),
                         alpha=np.float32(0.25), seed=np.int64(4))
    assert layer(x).shape == (4, 5) and layer.get_config()["seed"] == 4
    assert type(layer.get_config()["units"]) is int
    with pytest.raises(ValueError, match=r"units=0 must be an integer >= 1\."):
        TeachingGRU(np.int64(0))


def test_echo_state_seed_is_checked_when_the_layer_is_made():
    """seed=-1 used to fail at build time with NumPy's bare 'expected non-negative integer'."""
    for bad in (-1, 1.5, None):
        with pytest.raises(ValueError, match=rf"seed={bad} must be an integer >= 0"):
            EchoStateRNN(3, seed=bad)


@pytest.mark.parametrize("layer_cls", [TeachingSimpleRNN, TeachingLSTM, TeachingGRU, LeakyRNN, EchoStateRNN])
def test_a_sequence_of_no_steps_is_refused_by_name(layer_cls):
    """TensorFlow's 'slice index 0 of dimension 1 out of bounds' named no argument."""
    with pytest.raises(ValueError, match=r"inputs has 0 time steps \(shape \(2, 0, 3\)\)"):
        layer_cls(3)(np.zeros((2, 0, 3), "float32"))


@pytest.mark.parametrize("layer_cls, cell, twin", [
    (TeachingSimpleRNN, "TeachingSimpleRNNCell", "keras.layers.SimpleRNN"),
    (TeachingLSTM, "TeachingLSTMCell", "keras.layers.LSTM"),
    (TeachingGRU, "TeachingGRUCell", "keras.layers.GRU"),
    (LeakyRNN, "LeakyUnitCell", "SimpleRNN"),
    (EchoStateRNN, "EchoStateCell", "keras.layers.SimpleRNN"),
])
def test_each_layer_has_its_own_docstring(layer_cls, cell, twin):
    import inspect

    lines = inspect.getsource(layer_cls).split("\n")
    after_class = lines[next(i for i, line in enumerate(lines) if line.startswith("class ")) + 1]
    assert after_class.strip().startswith('"""') and "__doc__" not in "\n".join(lines)   # no template
    doc = layer_cls.__doc__
    assert cell in doc and twin in doc and "Args:" in doc and "Call arguments:" in doc
    assert f">>> layer = {layer_cls.__name__}(" in doc
    others = [c for c in (TeachingSimpleRNN, TeachingLSTM, TeachingGRU, LeakyRNN, EchoStateRNN) if c is not layer_cls]
    assert all(doc.split("Args:")[0] != other.__doc__.split("Args:")[0] for other in others)


def test_gru_docstrings_credit_each_update_rule_to_its_paper():
    """Cho et al. 2014 (eq. 7) put z on the old state, as Keras does; the (1 - z)-on-old form
    of the course notes is Chung et al. 2014's. Our docstrings credited that form to Cho."""
    for doc in (TeachingGRUCell.__doc__, ref.gru_forward.__doc__):
        text = " ".join(doc.split())
        assert "Chung et al. 2014" in text and "Cho et al. 2014" in text
        assert "(1 - z_t) * h_{t-1} + z_t * h~_t" in text and "z_t * h_{t-1} + (1 - z_t) * h~_t" in text
        cho = text.index("Cho et al. 2014")
        assert "eq. 7" in text[cho:cho + 40]
        assert "Cho et al. (2014) and many texts write" not in text and "(Cho et al. 2014 and many texts" not in text
