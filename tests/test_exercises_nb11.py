"""Notebook 11's exercises: each reference passes, known-wrong answers (mutants) fail with a
message that does not give the reference's values away, and the notebook's stubs are "not attempted"."""

import keras
import numpy as np
import pytest

from dlcourse_keras.course.exercises import exercises, nb11
from dlcourse_keras.course.exercises.kinds import ChoiceExercise
from dlcourse_keras.numpy_ref import rnn as ref
from dlcourse_keras.numpy_ref.optimizers import clip_by_global_norm
from exercise_checks import (assert_fails, assert_not_attempted, assert_notebook_layout, assert_passes,
                             expected_texts, notebook_stubs, reference_value)

EX = exercises("11")


def test_there_are_at_least_four_exercises_most_of_them_code():
    assert len(EX) >= 4
    assert sum(not isinstance(e, ChoiceExercise) for e in EX) >= len(EX) / 2 + 1


def test_the_notebook_section_follows_the_design():
    assert_notebook_layout("11")


def test_every_stub_in_the_notebook_is_not_attempted():
    stubs = notebook_stubs("11")
    assert sorted(stubs) == list(range(1, len(EX) + 1))
    for k, stub in stubs.items():
        assert_not_attempted(EX[k], stub)


# --- answers a student could write ----------------------------------------------------------------


class Cell(keras.layers.Layer):
    """A simple RNN cell; ``step`` changes what it computes (for the mutants)."""

    def __init__(self, units, step=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.state_size = units, units
        self.step = step or (lambda x_part, h_part, bias: keras.ops.tanh(x_part + h_part + bias))

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units))
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units))
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs, states):
        h = self.step(inputs @ self.kernel, states[0] @ self.recurrent_kernel, self.bias)
        return h, [h]


def build_rnn(units, step=None, **kwargs):
    return keras.layers.RNN(Cell(units, step), return_sequences=True, **kwargs)


def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    i, f, c_tilde, o = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=-1)
    c_t = ref.sigmoid(f) * c_prev + ref.sigmoid(i) * np.tanh(c_tilde)
    return ref.sigmoid(o) * np.tanh(c_t), c_t


def other_convention(kernel, recurrent_kernel, bias):
    units = np.shape(bias)[-1] // 3
    sign = np.r_[-np.ones(units), np.ones(2 * units)]
    return kernel * sign, recurrent_kernel * sign, bias * sign


def remember_by_default(bias, value):
    bias = np.array(bias, dtype=float)
    units = bias.shape[-1] // 3
    if bias.ndim == 1:
        bias[:units] = value
    else:
        bias[0, :units], bias[1, :units] = value, 0.0
    return bias


def bptt(x, y, w_i, w_h, b_h, w_o, b_o):
    _, grads = ref.many_to_one_bptt(x, y, w_i, w_h, b_h, w_o, b_o)
    return grads["w_i"], grads["w_h"], grads["b_h"]


def clip_global(grads, threshold):
    norm = np.sqrt(sum(np.sum(np.square(g)) for g in grads))
    return [np.asarray(g) * (threshold / max(norm, threshold)) for g in grads]


REFERENCES = {
    1: build_rnn,
    2: lstm_step,
    3: other_convention,
    4: remember_by_default,
    5: bptt,
    6: clip_global,
    7: 1344,
}


@pytest.mark.parametrize("k", sorted(REFERENCES))
def test_the_reference_passes(k):
    assert_passes(EX[k], REFERENCES[k])


def test_the_package_references_pass():
    assert_passes(EX.q1, nb11.simple_rnn)
    assert_passes(EX.q2, nb11.lstm_step)
    assert_passes(EX.q3, nb11.other_convention)
    assert_passes(EX.q4, nb11.remember_by_default)
    assert_passes(EX.q5, nb11.bptt_gradients)
    assert_passes(EX.q6, clip_by_global_norm)


def test_the_other_convention_computes_the_same_gru():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 3))
    kernel, recurrent, bias = rng.normal(size=(3, 6)), rng.normal(size=(2, 6)), rng.normal(size=6)
    k, r, b = nb11.other_convention(kernel, recurrent, bias)
    h = np.zeros((2, 2))
    for t in range(4):
        z = ref.sigmoid(x[:, t] @ k[:, :2] + h @ r[:, :2] + b[:2])
        reset = ref.sigmoid(x[:, t] @ k[:, 2:4] + h @ r[:, 2:4] + b[2:4])
        h = (1 - z) * h + z * np.tanh(x[:, t] @ k[:, 4:] + (reset * h) @ r[:, 4:] + b[4:])
    assert np.allclose(h, ref.gru_forward(x, kernel, recurrent, bias)[:, -1])


def test_the_update_gate_bias_sets_keras_update_gate():
    gru = keras.layers.GRU(3, return_sequences=True)
    x = np.random.default_rng(0).normal(size=(1, 2, 2)).astype("float32")
    gru(x)
    kernel, recurrent, _ = gru.get_weights()
    bias = np.random.default_rng(1).normal(size=(2, 9))
    gru.set_weights([np.zeros_like(kernel), np.zeros_like(recurrent), nb11.remember_by_default(bias, 2.0)])
    h1 = keras.ops.convert_to_numpy(gru(x))[0, 0]  # x W = 0, h_0 = 0: h_1 = (1 - z) h~ with z = sigmoid(2)
    reset = 1.0 / (1.0 + np.exp(-(bias[0, 3:6] + bias[1, 3:6])))
    candidate = np.tanh(bias[0, 6:] + reset * bias[1, 6:])
    assert np.allclose(h1, (1.0 - 1.0 / (1.0 + np.exp(-2.0))) * candidate, atol=1e-6)


def test_the_bias_cases_mix_both_layouts():
    rng = EX.q4.rng()
    assert {EX.q4.cases(rng)["bias"].ndim for _ in range(EX.q4.n_cases)} == {1, 2}


# --- mutants ---------------------------------------------------------------------------------------


def _only_2d_bias(bias, value):
    bias = np.array(bias, dtype=float)
    bias[0, :bias.shape[-1] // 3], bias[1, :bias.shape[-1] // 3] = value, 0.0
    return bias


MUTANTS = {  # k: [(mutant, text the message must contain or None), ...]
    1: [(lambda units: build_rnn(units, lambda x, h, b: keras.ops.tanh(x + h)), "entries differ"),
        (lambda units: build_rnn(units, lambda x, h, b: keras.ops.relu(x + h + b)), "entries differ"),
        (lambda units: keras.layers.RNN(Cell(units)), "output has shape"),
        (lambda units: keras.layers.GRU(units, return_sequences=True), "parameters"),
        (Cell, "raised")],
    2: [(nb11._lstm_notes_order, "i, f, C~, o"),
        (nb11._lstm_no_tanh_on_cell, "o * tanh(C_t)"),
        (lambda x, h, c, k, r, b: lstm_step(x, h, np.zeros_like(c), k, r, b), "`c_prev` changes: is it ignored?"),
        (lambda x, h, c, k, r, b: lstm_step(x, h, c, k, r, b)[::-1], "(h_t)")],
    3: [(nb11._flip_candidate, "first third, not the last"),
        (nb11._one_minus_update, "do not take 1 - w"),
        (lambda k, r, b: (-k, -r, -b), "(kernel)")],
    4: [(nb11._bias_both_rows, "twice the value"),
        (nb11._bias_reset_block, "the reset gate the second"),
        (_only_2d_bias, "IndexError")],
    5: [(nb11._bptt_summed, "divide by n"),
        (nb11._bptt_without_tanh_derivative, "(1 - o_t**2)"),
        (nb11._bptt_last_step_only, "each time step"),
        (lambda x, y, w_i, w_h, b_h, w_o, b_o: bptt(x, y, w_i, w_h, np.zeros_like(b_h), w_o, b_o),
         "`b_h` changes: is it ignored?")],
    6: [(nb11._clip_each, "joint (global) norm"),
        (nb11._clip_always, "rescale only when"),
        (lambda grads, threshold: clip_global(grads, 1.0), "`threshold` changes: is it ignored?")],
    7: [(1296, "not the right number"), (1728, "not the right number"), (1344.6, "not the right number")],
}


def _hidden(k):
    if k in (2, 3, 4, 5, 6):
        return expected_texts(reference_value(EX[k]))
    if k == 7:
        return {"1344", "1,344"}
    return set()


@pytest.mark.parametrize("k", sorted(MUTANTS))
def test_mutants_fail_without_revealing_the_answer(k):
    assert len(MUTANTS[k]) >= 2
    hidden = _hidden(k)
    for mutant, contains in MUTANTS[k]:
        assert_fails(EX[k], mutant, hides=hidden, contains=contains)


def test_a_raising_answer_fails_only_its_check():
    def broken(x, y, w_i, w_h, b_h, w_o, b_o):
        raise ValueError("shapes (3,2) and (3,2) not aligned")

    result = EX.q5.check(broken)
    assert result.status == "failed" and "ValueError" in result.message


def test_hints_and_solutions_render():
    for e in EX:
        assert e.hints and "Hint 1 of" in repr(e.hint())
        text = repr(e.solution())
        assert text.startswith(f"Solution to {e.question}") and len(text) > 60
    assert "class ElmanCell" in repr(EX.q1.solution())
    assert "def many_to_one_bptt" in repr(EX.q5.solution()) and "def bptt_gradients" in repr(EX.q5.solution())
    assert "def lstm_forward" in repr(EX.q2.solution())
