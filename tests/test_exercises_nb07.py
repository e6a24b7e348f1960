"""Notebook 07's exercises: each reference passes, known-wrong answers (mutants) fail with a
message that does not give the reference's values away, and the notebook's stubs are "not attempted"."""

import keras
import numpy as np
import pytest

from dlcourse_keras.course.exercises import exercises, nb07
from dlcourse_keras.course.exercises.kinds import ChoiceExercise
from dlcourse_keras.numpy_ref.ewma import ewma
from dlcourse_keras.numpy_ref.optimizers import clip_by_global_norm
from exercise_checks import (assert_fails, assert_not_attempted, assert_notebook_layout, assert_passes,
                             expected_texts, first_case, notebook_stubs, reference_value)

EX = exercises("07")


def test_there_are_at_least_four_exercises_most_of_them_code():
    assert len(EX) >= 4
    assert sum(not isinstance(e, ChoiceExercise) for e in EX) >= len(EX) / 2 + 1


def test_the_notebook_section_follows_the_design():
    assert_notebook_layout("07")


def test_every_stub_in_the_notebook_is_not_attempted():
    stubs = notebook_stubs("07")
    assert sorted(stubs) == list(range(1, len(EX) + 1))
    for k, stub in stubs.items():
        assert_not_attempted(EX[k], stub)


def _keras_run(optimizer, w0, grads):
    variable = keras.Variable(np.array(w0, dtype="float64"), dtype="float64")
    for g in grads:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(np.asarray(g, dtype="float64")), variable)])
    return keras.ops.convert_to_numpy(variable)


def test_the_momentum_and_adam_references_equal_keras():
    w0, grads, lr, momentum = first_case(EX.q2).values()
    np.testing.assert_allclose(nb07.momentum_descent(w0, grads, lr, momentum),
                               _keras_run(keras.optimizers.SGD(lr, momentum=momentum), w0, grads), rtol=1e-6)
    w0, grads, lr, beta_1, beta_2, epsilon = first_case(EX.q3).values()
    keras_adam = keras.optimizers.Adam(lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
    np.testing.assert_allclose(nb07.adam_descent(w0, grads, lr, beta_1, beta_2, epsilon),
                               _keras_run(keras_adam, w0, grads), rtol=1e-5)


def test_the_schedule_reference_ramps_then_decays_continuously():
    steps = np.arange(0, 131)
    lr = nb07.warmup_then_cosine(steps, 10, 0.5, 100)
    assert lr[0] == 0 and abs(lr[5] - 0.25) < 1e-6 and abs(lr[10] - 0.5) < 1e-6
    assert abs(lr[60] - 0.25) < 1e-6 and np.all(lr[110:] < 1e-6) and np.all(np.diff(lr[10:]) <= 1e-7)


def _my_ewma(values, beta, bias_correction):
    v, out = 0.0, []
    for t, theta in enumerate(values, start=1):
        v = beta * v + (1 - beta) * theta
        out.append(v / (1 - beta ** t) if bias_correction else v)
    return np.array(out)


def _notes_momentum(w0, grads, lr, momentum):
    w, v = np.array(w0, dtype=float), np.zeros(np.shape(w0))
    for g in grads:
        v = momentum * v + lr * g
        w = w - v
    return w


def _textbook_adam(w0, grads, lr, beta_1, beta_2, epsilon):
    w, m, v = np.array(w0, dtype=float), np.zeros(np.shape(w0)), np.zeros(np.shape(w0))
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g ** 2
        w = w - lr * (m / (1 - beta_1 ** t)) / (np.sqrt(v / (1 - beta_2 ** t)) + epsilon)
    return w


def _schedule(steps, warmup_steps, peak_lr, decay_steps):
    steps = np.asarray(steps, dtype=float)
    after = np.minimum(steps - warmup_steps, decay_steps)
    return np.where(steps < warmup_steps, peak_lr * steps / warmup_steps,
                    peak_lr * 0.5 * (1 + np.cos(np.pi * after / decay_steps)))


def _clip(grads, threshold):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    return [g * min(1.0, threshold / norm) for g in grads]


REFERENCES = {1: _my_ewma, 2: _notes_momentum, 3: _textbook_adam, 4: _schedule, 5: _clip, 6: "b"}


@pytest.mark.parametrize("k", sorted(REFERENCES))
def test_the_reference_passes(k):
    assert_passes(EX[k], REFERENCES[k])


def _ewma_never_corrected(values, beta, bias_correction):
    return ewma(values, beta)


def _ewma_reversed(values, beta, bias_correction):
    return ewma(values, beta, bias_correction)[::-1]


def _momentum_plain_sgd(w0, grads, lr, momentum):
    return np.array(w0, dtype=float) - lr * np.sum(grads, axis=0)


def _momentum_one_step_short(w0, grads, lr, momentum):  # off by one: the last gradient is skipped
    return nb07.momentum_descent(w0, grads[:-1], lr, momentum)


def _adam_wrong_sign(w0, grads, lr, beta_1, beta_2, epsilon):
    return 2 * np.asarray(w0) - nb07.adam_descent(w0, grads, lr, beta_1, beta_2, epsilon)


def _schedule_no_warmup(steps, warmup_steps, peak_lr, decay_steps):
    return nb07._cosine(np.asarray(steps, dtype=float), peak_lr, decay_steps)


def _clip_first_tensor_only(grads, threshold):
    clipped = clip_by_global_norm(grads, threshold)
    return [clipped[0]] + [np.array(g) for g in grads[1:]]


MUTANTS = {  # k: [(mutant, text the message must contain or None), ...]
    1: [(nb07._ewma_swapped_weights, "NEW value"),
        (nb07._ewma_correction_off_by_one, "1 - beta**t"),
        (nb07._ewma_first_start, "V_0 = 0"),
        (_ewma_never_corrected, "`bias_correction` changes: is it ignored?"),
        (_ewma_reversed, "entries differ")],
    2: [(nb07._momentum_ewma_form, "full `learning_rate * g`"),
        (nb07._momentum_nesterov, "Nesterov"),
        (_momentum_plain_sgd, "`momentum` changes: is it ignored?"),
        (_momentum_one_step_short, "entries differ")],
    3: [(nb07._adam_without_correction, "correct the bias"),
        (nb07._adam_without_root, "SQUARE ROOT"),
        (_adam_wrong_sign, "entries differ")],
    4: [(nb07._schedule_not_shifted, "ITS step 0"),
        (nb07._schedule_not_clamped, "clamp"),
        (nb07._schedule_ramp_off_by_one, "step 0"),
        (_schedule_no_warmup, "`warmup_steps` changes: is it ignored?")],
    5: [(nb07._clip_per_tensor, "OWN norm"),
        (nb07._clip_always, "only ever shrinks"),
        (nb07._clip_squared_norm, "square ROOT"),
        (_clip_first_tensor_only, "(item 2)")],
    6: [("a", "not the right choice"), ("d", "not the right choice"), ("x", "not one of the choices")],
}


def _hidden(k):
    if k == 6:
        return {"(b)", "'b'", " b "}
    return expected_texts(reference_value(EX[k]))


@pytest.mark.parametrize("k", sorted(MUTANTS))
def test_mutants_fail_without_revealing_the_answer(k):
    assert len(MUTANTS[k]) >= 2
    hidden = _hidden(k)
    for mutant, contains in MUTANTS[k]:
        assert_fails(EX[k], mutant, hides=hidden, contains=contains)


def test_the_cases_exercise_both_branches():
    rng = EX.q1.rng()
    assert {EX.q1.cases(rng)["bias_correction"] for _ in range(EX.q1.n_cases)} == {True, False}
    rng = EX.q5.rng()
    clipped = []
    for _ in range(EX.q5.n_cases):
        case = EX.q5.cases(rng)
        norm = np.sqrt(sum(np.sum(g ** 2) for g in case["grads"]))
        clipped.append(norm > case["threshold"])
    assert any(clipped) and not all(clipped)


def test_a_raising_answer_fails_only_its_check():
    def broken(steps, warmup_steps, peak_lr, decay_steps):
        raise TypeError("unsupported operand")

    result = EX.q4.check(broken)
    assert result.status == "failed" and "TypeError" in result.message


def test_hints_and_solutions_render():
    for e in EX:
        assert e.hints and "Hint 1 of" in repr(e.hint())
        text = repr(e.solution())
        assert text.startswith(f"Solution to {e.question}") and len(text) > 60
    assert "def momentum_descent" in repr(EX.q2.solution()) and "def _update" in repr(EX.q2.solution())
    assert "LinearWarmup" in repr(EX.q4.solution())
