"""Notebook 05's exercises: each reference passes, known-wrong answers (mutants) fail with a
message that does not give the reference's values away, and the notebook's stubs are "not attempted"."""

import math

import keras
import numpy as np
import pytest

from dlcourse_keras import initializers as init
from dlcourse_keras.callbacks import dead_fraction
from dlcourse_keras.course.exercises import exercises, nb05
from dlcourse_keras.course.exercises.kinds import ChoiceExercise
from dlcourse_keras.numpy_ref import activations as act
from exercise_checks import (assert_fails, assert_not_attempted, assert_notebook_layout, assert_passes,
                             expected_texts, notebook_stubs, reference_value)

EX = exercises("05")


def test_there_are_at_least_four_exercises_most_of_them_code():
    assert len(EX) >= 4
    assert sum(not isinstance(e, ChoiceExercise) for e in EX) >= len(EX) / 2 + 1


def test_the_notebook_section_follows_the_design():
    assert_notebook_layout("05")


def test_every_stub_in_the_notebook_is_not_attempted():
    stubs = notebook_stubs("05")
    assert sorted(stubs) == list(range(1, len(EX) + 1))
    for k, stub in stubs.items():
        assert_not_attempted(EX[k], stub)


def _swish_prime(z):
    s = 1 / (1 + np.exp(-z))
    return s + z * s * (1 - s)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _limit(shape):
    window = int(np.prod(shape[:-2]))
    return float(np.sqrt(6 / (window * shape[-2] + window * shape[-1])))


def _dead(activations):
    per_unit = activations.reshape(-1, activations.shape[-1])
    return float(np.mean(per_unit.max(axis=0) <= 0))


REFERENCES = {
    1: _swish_prime,
    2: _softmax,
    3: _limit,
    4: _dead,
    5: 4 ** 10,
    6: 0.5,
}


@pytest.mark.parametrize("k", sorted(REFERENCES))
def test_the_reference_passes(k):
    assert_passes(EX[k], REFERENCES[k])


def test_the_package_references_pass_as_answers():
    assert_passes(EX.q1, act.swish_prime)
    assert_passes(EX.q2, act.softmax)
    assert_passes(EX.q3, nb05.xavier_uniform_limit)
    assert_passes(EX.q4, dead_fraction)


def test_the_limit_is_what_keras_glorot_uniform_draws_within():
    shape = (3, 3, 16, 32)
    drawn = keras.ops.convert_to_numpy(keras.initializers.GlorotUniform(seed=0)(shape))
    limit = nb05.xavier_uniform_limit(shape)
    assert np.abs(drawn).max() <= limit and np.abs(drawn).max() > 0.99 * limit
    assert math.isclose(limit / math.sqrt(3), init.formula_std(init.XavierUniform(), shape))


def _swish_prime_wrong_sign_term(z):
    s = act.sigmoid(z)
    return s - z * s * (1 - s)


def _softmax_no_normalisation(z):
    return np.exp(z - z.max(axis=-1, keepdims=True))


def _dead_threshold_off_by_one(activations):  # "never above 1" instead of "never above 0"
    per_unit = activations.reshape(-1, activations.shape[-1])
    return float(np.mean(per_unit.max(axis=0) <= 1))


MUTANTS = {  # k: [(mutant, text the message must contain or None), ...]
    1: [(nb05._swish_prime_sigmoid_only, "product rule"),
        (nb05._swish_prime_chain_only, "product rule"),
        (act.swish, "entries differ"),
        (_swish_prime_wrong_sign_term, "entries differ")],
    2: [(nb05._softmax_naive, "overflows"),
        (nb05._softmax_global_max, "own maximum"),
        (nb05._softmax_columns, "axis=-1"),
        (_softmax_no_normalisation, "entries differ")],
    3: [(nb05._limit_ignoring_window, "window size"),
        (nb05._limit_he, "He's limit"),
        (nb05._limit_normal_std, "Xavier normal"),
        (lambda shape: 0.05, "`shape` changes: is it ignored?")],
    4: [(nb05._dead_entries, "not zero entries"),
        (nb05._dead_sometimes, "EVERY example"),
        (nb05._dead_first_axis_only, "single number"),
        (_dead_threshold_off_by_one, None)],
    5: [(0.25 ** 10, "not the right number"), (4 ** 9, "not the right number"), (2 ** 10, "not the right number")],
    6: [(1.0, "not the right number"), (2.0, "not the right number"), (0.25, "not the right number")],
}


def _hidden(k):
    if k in (1, 2, 3, 4):
        # a value such as 1.00002 shows as "1" at 4 significant digits, a text that every "case 1 of 5" has
        return {t for t in expected_texts(reference_value(EX[k])) if not (t.lstrip("-").isdigit() and len(t) < 3)}
    if k == 5:
        return {"1048576", "1,048,576", "4^10", "4 ** 10"}
    return {"0.5", "0.50", "1/2"}


@pytest.mark.parametrize("k", sorted(MUTANTS))
def test_mutants_fail_without_revealing_the_answer(k):
    assert len(MUTANTS[k]) >= 2
    hidden = _hidden(k)
    for mutant, contains in MUTANTS[k]:
        assert_fails(EX[k], mutant, hides=hidden, contains=contains)


def test_a_raising_answer_fails_only_its_check():
    def broken(z):
        raise FloatingPointError("overflow encountered in exp")

    result = EX.q2.check(broken)
    assert result.status == "failed" and "FloatingPointError" in result.message


def test_hints_and_solutions_render():
    for e in EX:
        assert e.hints and "Hint 1 of" in repr(e.hint())
        text = repr(e.solution())
        assert text.startswith(f"Solution to {e.question}") and len(text) > 60
    assert "def compute_fans" in repr(EX.q3.solution()) and "def dead_fraction" in repr(EX.q4.solution())
