"""Notebook 00's exercises: each reference passes, known-wrong answers (mutants) fail with a
message that does not give the reference's values away, and the notebook's stubs are "not attempted"."""

import keras
import numpy as np
import pytest

from dlcourse_keras.course.exercises import exercises, nb00
from dlcourse_keras.course.exercises.kinds import ChoiceExercise
from exercise_checks import (assert_fails, assert_not_attempted, assert_notebook_layout, assert_passes,
                             expected_texts, notebook_stubs, reference_value)

EX = exercises("00")
SIGMAS = (0.051 - 0.035) / np.sqrt(0.051 * 0.949 / 1500)


def test_there_are_at_least_four_exercises_most_of_them_code():
    assert len(EX) >= 4
    assert sum(not isinstance(e, ChoiceExercise) for e in EX) >= len(EX) / 2 + 1


def test_the_notebook_section_follows_the_design():
    assert_notebook_layout("00")


def test_every_stub_in_the_notebook_is_not_attempted():
    stubs = notebook_stubs("00")
    assert sorted(stubs) == list(range(1, len(EX) + 1))
    for k, stub in stubs.items():
        assert_not_attempted(EX[k], stub)


def _model(units=10, activation="sigmoid", use_bias=True, inputs=784):
    return lambda: keras.Sequential([keras.Input(shape=(inputs,)),
                                     keras.layers.Dense(units, activation=activation, use_bias=use_bias)])


REFERENCES = {
    1: _model(),
    2: lambda n_inputs, n_units: n_inputs * n_units + n_units,
    3: lambda p, n: (p * (1 - p) / n) ** 0.5,
    4: SIGMAS,
    5: lambda x: np.c_[x, np.hypot(x[:, 0], x[:, 1])],  # another feature that works: the radius
    6: "b",
}


@pytest.mark.parametrize("k", sorted(REFERENCES))
def test_the_reference_passes(k):
    assert_passes(EX[k], REFERENCES[k])


def test_the_package_references_pass_too():
    assert_passes(EX.q1, nb00.notes_model)
    assert_passes(EX.q2, nb00.dense_parameter_count)
    assert_passes(EX.q3, nb00.binomial_standard_error)
    assert_passes(EX.q5, nb00.ring_features)


MUTANTS = {  # k: [(mutant, text the message must contain or None), ...]
    1: [(_model(activation="relu"), "entries differ"),
        (_model(activation=None), "entries differ"),
        (_model(use_bias=False), "parameters"),
        (_model(units=11), "shape (4, 11)")],
    2: [(lambda n_inputs, n_units: n_inputs * n_units, "bias per unit"),
        (lambda n_inputs, n_units: (n_inputs + 1) * (n_units + 1), "not the right value"),  # off by one
        (lambda n_inputs, n_units: 784 * n_units + n_units, "`n_inputs` changes: is it ignored?")],
    3: [(lambda p, n: p * (1 - p) / n, "variance"),
        (lambda p, n: (p * (1 - p)) ** 0.5 / n, "square root"),
        (lambda p, n: (p * (1 - p) / 1500) ** 0.5, "`n` changes: is it ignored?"),
        (lambda p, n: -((p * (1 - p) / n) ** 0.5), "wrong sign")],
    4: [(SIGMAS + 0.2, "decimal place"), (SIGMAS / 2, "decimal place"), (SIGMAS * 10, "decimal place")],
    5: [(lambda x: x, "at least 0.95"),
        (lambda x: np.c_[x, x.sum(axis=1)], "at least 0.95"),
        (lambda x: (x ** 2).sum(axis=1), "one row of features")],
    6: [("a", "not the right choice"), ("c", "not the right choice")],
}


def _hidden(k):
    if k in (2, 3):
        return expected_texts(reference_value(EX[k]))
    if k == 4:
        return {"2.8", "2.82"}
    if k == 6:
        return {"(b)", "'b'", " b "}
    return set()


@pytest.mark.parametrize("k", sorted(MUTANTS))
def test_mutants_fail_without_revealing_the_answer(k):
    assert len(MUTANTS[k]) >= 2
    for mutant, contains in MUTANTS[k]:
        assert_fails(EX[k], mutant, hides=_hidden(k), contains=contains)


def test_a_model_that_raises_fails_only_its_check():
    def build():
        return keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10, activation="sigmoidal")])

    result = EX.q1.check(build)
    assert result.status == "failed" and "raised ValueError" in result.message


def test_hints_and_solutions_render():
    for e in EX:
        assert "Hint 1 of" in repr(e.hint())
        assert repr(e.solution()).startswith(f"Solution to {e.question}")
    assert "def notes_model" in repr(EX.q1.solution())
    assert "**2.8**" in repr(EX.q4.solution())
