"""Notebook 02's exercises: each reference passes, known-wrong answers (mutants) fail with a
message that does not give the reference's values away, and the notebook's stubs are "not attempted"."""

import numpy as np
import pytest

from dlcourse_keras.course.exercises import exercises, nb02
from dlcourse_keras.course.exercises.kinds import ChoiceExercise
from dlcourse_keras.numpy_ref import gradient_descent as gd
from dlcourse_keras.numpy_ref import losses as L
from exercise_checks import (assert_fails, assert_not_attempted, assert_notebook_layout, assert_passes,
                             expected_texts, notebook_stubs, reference_value)

EX = exercises("02")


def test_there_are_at_least_four_exercises_most_of_them_code():
    assert len(EX) >= 4
    assert sum(not isinstance(e, ChoiceExercise) for e in EX) >= len(EX) / 2 + 1


def test_the_notebook_section_follows_the_design():
    assert_notebook_layout("02")


def test_every_stub_in_the_notebook_is_not_attempted():
    stubs = notebook_stubs("02")
    assert sorted(stubs) == list(range(1, len(EX) + 1))
    for k, stub in stubs.items():
        assert_not_attempted(EX[k], stub)


def _descent_step(intercept, x, y, slope, learning_rate):
    return intercept - learning_rate * (-2 * np.sum(y - (intercept + slope * x)))


def _minibatch_epoch(w, b, x, y, learning_rate, batch_size):
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        e = w * xb + b - yb
        w, b = w - learning_rate * 2 * np.mean(e * xb), b - learning_rate * 2 * np.mean(e)
    return w, b


def _huber(y_true, y_pred, delta):
    e = np.abs(y_pred - y_true)
    return np.where(e <= delta, 0.5 * e ** 2, delta * (e - 0.5 * delta)).mean(axis=-1)


def _bce(y_true, y_pred):
    p = np.clip(y_pred, 1e-7, 1 - 1e-7)
    return np.mean(-(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)), axis=-1)


REFERENCES = {
    1: _descent_step,
    2: 1 / 3,
    3: _minibatch_epoch,
    4: _huber,
    5: _bce,
    6: "b",
}


@pytest.mark.parametrize("k", sorted(REFERENCES))
def test_the_reference_passes(k):
    assert_passes(EX[k], REFERENCES[k])


def test_the_package_references_pass_as_answers():
    assert_passes(EX.q1, nb02.intercept_step)
    assert_passes(EX.q3, nb02.minibatch_epoch)
    assert_passes(EX.q4, L.huber)
    assert_passes(EX.q5, L.binary_crossentropy)


def test_the_first_step_on_the_notes_data_is_the_notes_number():
    notes = gd.NOTES_EXAMPLE
    step = nb02.intercept_step(0.0, np.array(notes["x"]), np.array(notes["y"]), notes["slope"],
                               notes["learning_rate"])
    assert round(step, 2) == gd.NOTES_INTERCEPTS[0]


def _step_ignores_learning_rate(intercept, x, y, slope, learning_rate):
    return _descent_step(intercept, x, y, slope, 0.1)


def _epoch_wrong_sign(w, b, x, y, learning_rate, batch_size):
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        e = w * xb + b - yb
        w, b = w + learning_rate * 2 * np.mean(e * xb), b + learning_rate * 2 * np.mean(e)
    return w, b


def _epoch_one_batch_too_few(w, b, x, y, learning_rate, batch_size):  # off by one
    starts = list(range(0, len(x), batch_size))[:-1]
    for start in starts:
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        e = w * xb + b - yb
        w, b = w - learning_rate * 2 * np.mean(e * xb), b - learning_rate * 2 * np.mean(e)
    return w, b


def _huber_fixed_delta(y_true, y_pred, delta):
    return _huber(y_true, y_pred, 1.0)


def _bce_no_negative_class(y_true, y_pred):
    p = np.clip(y_pred, 1e-7, 1 - 1e-7)
    return np.mean(-(y_true * np.log(p)), axis=-1)


def _bce_sum(y_true, y_pred):
    return _bce(y_true, y_pred) * y_pred.shape[-1]


MUTANTS = {  # k: [(mutant, text the message must contain or None), ...]
    1: [(nb02._step_uphill, "uphill"),
        (nb02._step_no_two, "factor 2"),
        (nb02._step_notes_misprint, "observed minus predicted"),
        (_step_ignores_learning_rate, "`learning_rate` changes: is it ignored?")],
    2: [(0.33, "not the right number"), (1 / 6, "not the right number"), (0.5, "not the right number"),
        ("1/3", "single number")],
    3: [(nb02._epoch_drop_last, "last, smaller batch"),
        (nb02._epoch_one_full_batch, "once per batch"),
        (nb02._epoch_divide_by_n, "not over all"),
        (nb02._epoch_sum, "divide each batch's summed gradient"),
        (_epoch_wrong_sign, None),
        (_epoch_one_batch_too_few, None)],
    4: [(nb02._huber_full_square, "e^2 / 2"),
        (nb02._huber_no_offset, "delta (|e| - delta / 2)"),
        (_huber_fixed_delta, "`delta` changes: is it ignored?"),
        (lambda y_true, y_pred, delta: np.mean(_huber(y_true, y_pred, delta)), "shape")],
    5: [(nb02._bce_unclipped, "clip y_pred"),
        (nb02._bce_tiny_epsilon, "1e-7"),
        (_bce_no_negative_class, "entries differ"),
        (_bce_sum, "entries differ")],
    6: [("a", "not the right choice"), ("c", "not the right choice"), ("e", "not one of the choices")],
}


def _hidden(k):
    if k in (1, 3, 4, 5):
        return expected_texts(reference_value(EX[k]))
    if k == 2:
        return {"0.333", "1/3", "0.3333"}
    return {"(b)", "'b'", " b "}


@pytest.mark.parametrize("k", sorted(MUTANTS))
def test_mutants_fail_without_revealing_the_answer(k):
    assert len(MUTANTS[k]) >= 2
    hidden = _hidden(k)
    for mutant, contains in MUTANTS[k]:
        assert_fails(EX[k], mutant, hides=hidden, contains=contains)


def test_a_raising_answer_fails_only_its_check():
    def broken(w, b, x, y, learning_rate, batch_size):
        raise IndexError("index 20 is out of bounds")

    result = EX.q3.check(broken)
    assert result.status == "failed" and "IndexError" in result.message


def test_hints_and_solutions_render():
    for e in EX:
        assert e.hints and "Hint 1 of" in repr(e.hint())
        text = repr(e.solution())
        assert text.startswith(f"Solution to {e.question}") and len(text) > 60
    assert "def minibatch_epoch" in repr(EX.q3.solution()) and "def huber" in repr(EX.q4.solution())
