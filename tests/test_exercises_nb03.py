"""Notebook 03's exercises: each reference passes, known-wrong answers (mutants) fail with a
message that does not give the reference's values away, and the notebook's stubs are "not attempted"."""

import numpy as np
import pytest

from dlcourse_keras.course.exercises import exercises, nb03
from dlcourse_keras.course.exercises.kinds import ChoiceExercise
from dlcourse_keras.numpy_ref import backprop_example as bx
from dlcourse_keras.numpy_ref.activations import sigmoid
from dlcourse_keras.numpy_ref.mlp import count_parameters
from exercise_checks import (assert_fails, assert_not_attempted, assert_notebook_layout, assert_passes,
                             expected_texts, notebook_stubs, reference_value)

EX = exercises("03")


def test_there_are_at_least_four_exercises_most_of_them_code():
    assert len(EX) >= 4
    assert sum(not isinstance(e, ChoiceExercise) for e in EX) >= len(EX) / 2 + 1


def test_the_notebook_section_follows_the_design():
    assert_notebook_layout("03")


def test_every_stub_in_the_notebook_is_not_attempted():
    stubs = notebook_stubs("03")
    assert sorted(stubs) == list(range(1, len(EX) + 1))
    for k, stub in stubs.items():
        assert_not_attempted(EX[k], stub)


def _n_params(layer_sizes):
    return sum((n_in + 1) * n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def _forward(X, weights, biases):
    A = X
    for W, b in zip(weights, biases):
        A = sigmoid(A @ W + b)
    return A


def _backward(X, Y, W1, b1, W2, b2):
    A1 = np.tanh(X @ W1 + b1)
    A2 = sigmoid(A1 @ W2 + b2)
    delta2 = (A2 - Y) / len(X)
    delta1 = (delta2 @ W2.T) * (1 - A1 ** 2)
    return X.T @ delta1, delta1.sum(axis=0), A1.T @ delta2, delta2.sum(axis=0)


def _central(net, x, y, epsilon):
    return nb03._differences(net, x, y, epsilon)


def _slides(x, target, W1, b1, W2, b2, learning_rate):
    O_h = sigmoid(x @ W1 + b1)
    O_7 = sigmoid(O_h @ W2 + b2)
    err_7 = O_7 * (1 - O_7) * (target - O_7)
    err_h = O_h * (1 - O_h) * (W2 @ err_7)
    return (W1 + learning_rate * np.outer(x, err_h), b1 + learning_rate * err_h,
            W2 + learning_rate * np.outer(O_h, err_7), b2 + learning_rate * err_7)


REFERENCES = {
    1: _n_params,
    2: _forward,
    3: _backward,
    4: _central,
    5: _slides,
    6: "b",
}


@pytest.mark.parametrize("k", sorted(REFERENCES))
def test_the_reference_passes(k):
    assert_passes(EX[k], REFERENCES[k])


def test_the_package_adapters_pass_as_answers():
    assert_passes(EX.q1, count_parameters)
    assert_passes(EX.q2, nb03.mlp_forward)
    assert_passes(EX.q3, nb03.mlp_backward)
    assert_passes(EX.q5, nb03.slides_update)


def test_the_matrix_update_reproduces_the_slides_example():
    new = nb03.slides_update(np.array([bx.INPUTS[i] for i in (1, 2, 3, 4)]), bx.TARGET, *bx.as_keras_weights(),
                             bx.LEARNING_RATE)
    exact = bx.solve_example()
    for got, want in zip(new, bx.as_keras_weights(exact.new_weights, exact.new_biases)):
        assert np.allclose(got, want, atol=1e-12)
    assert round(float(new[2][0, 0]), 3) == bx.NOTES_VALUES["w57"]


def _forward_ignores_biases(X, weights, biases):
    return _forward(X, weights, [np.zeros_like(b) for b in biases])


def _forward_first_layer_only(X, weights, biases):  # off by one: the loop stops early
    return _forward(X, weights[:1], biases[:1])


def _backward_wrong_sign(X, Y, W1, b1, W2, b2):
    return tuple(-g for g in _backward(X, Y, W1, b1, W2, b2))


def _backward_transposed_dw1(X, Y, W1, b1, W2, b2):
    dW1, db1, dW2, db2 = _backward(X, Y, W1, b1, W2, b2)
    return dW1.T, db1, dW2, db2


def _central_weights_only(net, x, y, epsilon):
    return [(dW, np.zeros_like(db)) for dW, db in _central(net, x, y, epsilon)]


MUTANTS = {  # k: [(mutant, text the message must contain or None), ...]
    1: [(nb03._count_weights_only, "bias"),
        (nb03._count_bias_per_input, "not to each input"),
        (lambda layer_sizes: _n_params(layer_sizes) - 1, None)],
    2: [(nb03._forward_linear_output, "output layer included"),
        (_forward_ignores_biases, "`biases` changes: is it ignored?"),
        (lambda X, weights, biases: _forward(X, [w.T for w in weights], biases), "raised"),
        (_forward_first_layer_only, None)],
    3: [(nb03._backward_no_tanh_prime, "1 - A1^2"),
        (nb03._backward_extra_sigmoid_prime, "already cancelled"),
        (nb03._backward_no_mean, "divide the output delta by N"),
        (_backward_wrong_sign, "wrong sign"),
        (_backward_transposed_dw1, "transposed")],
    4: [(nb03._forward_differences, "central differences"),
        (nb03._central_no_half, "2 * epsilon"),
        (nb03._central_no_restore, "put each parameter back"),
        (_central_weights_only, "(layer 1) (item 2)")],
    5: [(nb03._slides_new_w2, "old w57 and w67"),
        (nb03._slides_cross_entropy_error, "O7 (1 - O7)(T - O7)"),
        (nb03._slides_subtract, "minus the gradient"),
        (lambda x, target, W1, b1, W2, b2, learning_rate: _slides(x, 1.0, W1, b1, W2, b2, learning_rate),
         "`target` changes: is it ignored?")],
    6: [("a", "not the right choice"), ("c", "not the right choice"), ("z", "not one of the choices")],
}


def _hidden(k):
    if k in (1, 2, 3, 5):
        return expected_texts(reference_value(EX[k]))
    if k == 4:
        return expected_texts([a for pair in reference_value(EX[k]) for a in pair])
    return {"(b)", "'b'", " b "}


@pytest.mark.parametrize("k", sorted(MUTANTS))
def test_mutants_fail_without_revealing_the_answer(k):
    assert len(MUTANTS[k]) >= 2
    hidden = _hidden(k)
    for mutant, contains in MUTANTS[k]:
        assert_fails(EX[k], mutant, hides=hidden, contains=contains)


def test_a_raising_answer_fails_only_its_check():
    def broken(X, Y, W1, b1, W2, b2):
        raise ValueError("operands could not be broadcast together")

    result = EX.q3.check(broken)
    assert result.status == "failed" and "ValueError" in result.message


def test_hints_and_solutions_render():
    for e in EX:
        assert e.hints and "Hint 1 of" in repr(e.hint())
        text = repr(e.solution())
        assert text.startswith(f"Solution to {e.question}") and len(text) > 60
    assert "def gradients" in repr(EX.q3.solution()) and "def gradient_check" in repr(EX.q4.solution())
    assert "def solve_example" in repr(EX.q5.solution())
