"""Notebook 01's exercises: each reference passes, known-wrong answers (mutants) fail with a
message that does not give the reference's values away, and the notebook's stubs are "not attempted"."""

import numpy as np
import pytest

from dlcourse_keras.course.exercises import exercises, nb01
from dlcourse_keras.course.exercises.kinds import ChoiceExercise
from dlcourse_keras.numpy_ref.perceptron import perceptron_loss_gradient, perceptron_trick_step, step
from exercise_checks import (assert_fails, assert_not_attempted, assert_notebook_layout, assert_passes,
                             expected_texts, notebook_stubs, reference_value)

EX = exercises("01")


def test_there_are_at_least_four_exercises_most_of_them_code():
    assert len(EX) >= 4
    assert sum(not isinstance(e, ChoiceExercise) for e in EX) >= len(EX) / 2 + 1


def test_the_notebook_section_follows_the_design():
    assert_notebook_layout("01")


def test_every_stub_in_the_notebook_is_not_attempted():
    stubs = notebook_stubs("01")
    assert sorted(stubs) == list(range(1, len(EX) + 1))
    for k, stub in stubs.items():
        assert_not_attempted(EX[k], stub)


def _trick_right(coefs, point, label, learning_rate):
    return perceptron_trick_step(coefs, point, label, learning_rate)


REFERENCES = {
    1: lambda z: (np.asarray(z) > 0).astype(int),
    2: _trick_right,
    3: nb01.train_perceptron,
    4: perceptron_loss_gradient,
    5: lambda x: np.c_[x, x[:, 0] * x[:, 1]],
    6: "b",
    7: "b",
}


@pytest.mark.parametrize("k", sorted(REFERENCES))
def test_the_reference_passes(k):
    assert_passes(EX[k], REFERENCES[k])


def _trick_ignores_label(coefs, point, label, learning_rate):
    return perceptron_trick_step(coefs, point, 1, learning_rate)


def _trick_no_trailing_one(coefs, point, label, learning_rate):
    moved = perceptron_trick_step(coefs, point, label, learning_rate)
    moved[2] = coefs[2]  # the constant term is never moved
    return moved


def _trick_wrong_sign(coefs, point, label, learning_rate):
    return 2 * np.asarray(coefs) - perceptron_trick_step(coefs, point, label, learning_rate)


def _train_no_bias(x, y, learning_rate, epochs):
    w, _ = nb01.train_perceptron(x, y, learning_rate, epochs)
    return w, 0.0


def _train_one_epoch_too_many(x, y, learning_rate, epochs):  # off by one
    return nb01.train_perceptron(x, y, learning_rate, epochs + 1)


def _gradient_wrong_sign(x, y, weights, bias):
    dw, db = perceptron_loss_gradient(x, y, weights, bias)
    return -dw, -db


def _gradient_ignores_bias(x, y, weights, bias):
    return perceptron_loss_gradient(x, y, weights, 0.0)


MUTANTS = {  # k: [(mutant, text the message must contain or None), ...]
    1: [(lambda z: (np.asarray(z) >= 0).astype(int), "z > 0"),
        (lambda z: np.sign(z), "entries differ"),
        (lambda z: step(z).T, "transposed")],
    2: [(nb01._trick_always_moves, "leave the line unchanged"),
        (_trick_ignores_label, "`label` changes: is it ignored?"),
        (_trick_no_trailing_one, "first at [2]"),
        (_trick_wrong_sign, "entries differ")],
    3: [(nb01._train_textbook_rule, "on the line"),
        (nb01._train_strict, "`<= 0`"),
        (_train_no_bias, "(bias)"),
        (_train_one_epoch_too_many, None)],
    4: [(nb01._gradient_sum, "divide"),
        (nb01._gradient_on_the_line, "gradient 0"),
        (_gradient_wrong_sign, "wrong sign"),
        (_gradient_ignores_bias, "`bias` changes: is it ignored?")],
    5: [(lambda x: x, "does not converge"),
        (lambda x: np.c_[x, x.sum(axis=1)], "does not converge"),
        (lambda x: np.c_[x, x[:, 0] * x[:, 1]].T, "4 rows")],
    6: [("a", "not the right choice"), ("d", "not the right choice"), ("e", "not one of the choices")],
    7: [("c", "not the right choice"), ("d", "not the right choice")],
}


def _hidden(k):
    if k in (1, 2, 3, 4):
        return expected_texts(reference_value(EX[k]))
    if k in (6, 7):
        return {"(b)", "'b'", " b "}
    return set()


@pytest.mark.parametrize("k", sorted(MUTANTS))
def test_mutants_fail_without_revealing_the_answer(k):
    assert len(MUTANTS[k]) >= 2
    hidden = _hidden(k)
    for mutant, contains in MUTANTS[k]:
        assert_fails(EX[k], mutant, hides=hidden, contains=contains)


def test_a_raising_answer_fails_only_its_check():
    def broken(x, y, learning_rate, epochs):
        raise IndexError("index 3 is out of bounds")

    result = EX.q3.check(broken)
    assert result.status == "failed" and "IndexError" in result.message


def test_hints_and_solutions_render():
    for e in EX:
        assert e.hints and "Hint 1 of" in repr(e.hint())
        text = repr(e.solution())
        assert text.startswith(f"Solution to {e.question}") and len(text) > 60
    assert "def train_perceptron" in repr(EX.q3.solution()) and "def fit" in repr(EX.q3.solution())
