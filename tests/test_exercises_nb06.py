"""Notebook 06's exercises: each reference passes, known-wrong answers (mutants) fail with a
message that does not give the reference's values away, and the notebook's stubs are "not attempted"."""

import keras
import numpy as np
import pytest

from dlcourse_keras.course.exercises import exercises, nb06
from dlcourse_keras.course.exercises.kinds import ChoiceExercise
from dlcourse_keras.layers import InvertedDropout
from exercise_checks import (assert_fails, assert_not_attempted, assert_notebook_layout, assert_passes,
                             expected_texts, first_case, notebook_stubs, reference_value)

EX = exercises("06")


def test_there_are_at_least_four_exercises_most_of_them_code():
    assert len(EX) >= 4
    assert sum(not isinstance(e, ChoiceExercise) for e in EX) >= len(EX) / 2 + 1


def test_the_notebook_section_follows_the_design():
    assert_notebook_layout("06")


def test_every_stub_in_the_notebook_is_not_attempted():
    stubs = notebook_stubs("06")
    assert sorted(stubs) == list(range(1, len(EX) + 1))
    for k, stub in stubs.items():
        assert_not_attempted(EX[k], stub)


def test_the_dropout_reference_is_what_inverted_dropout_computes():
    # the same seed gives InvertedDropout's draws; the NumPy mirror must give the layer's output
    x = np.random.default_rng(0).normal(size=(6, 9)).astype("float32")
    for rate in (0.2, 0.5, 0.8):
        layer_out = keras.ops.convert_to_numpy(InvertedDropout(rate, seed=11)(x, training=True))
        draws = keras.ops.convert_to_numpy(keras.random.uniform(x.shape, dtype="float32",
                                                                seed=keras.random.SeedGenerator(11)))
        np.testing.assert_allclose(nb06.inverted_dropout(x, draws, rate, True), layer_out, rtol=1e-6)
        np.testing.assert_array_equal(nb06.inverted_dropout(x, draws, rate, False), x)


def test_the_variance_formula_matches_inverted_dropout_empirically():
    x = np.full((400, 500), 1.5, dtype="float32")
    for rate in (0.25, 0.6):
        out = keras.ops.convert_to_numpy(InvertedDropout(rate, seed=2)(x, training=True))
        predicted = float(nb06.inverted_dropout_variance(1.5, rate))
        assert abs(out.var() / predicted - 1) < 0.03


def test_the_l2_reference_is_the_penalized_gradient_step():
    # Keras's SGD with weight_decay=2*l2 equals a step on the gradient of the L2-penalized loss
    case = first_case(EX.q3)
    w, g, lr, l2 = case.values()
    np.testing.assert_allclose(nb06.keras_sgd_step_with_l2(w, g, lr, l2), w - lr * (g + 2 * l2 * w), rtol=1e-6)


def test_the_early_stopping_reference_agrees_with_a_real_fit():
    # feed the same curve through model.fit: Keras stops after the same epoch
    curve = [1.0, 0.8, 0.82, 0.7, 0.71, 0.75, 0.76, 0.9, 0.95]

    class Replay(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = curve[epoch]

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, min_delta=0.0, mode="min")
    history = model.fit(np.zeros((4, 1)), np.zeros((4, 1)), epochs=len(curve), verbose=0,
                        callbacks=[Replay(), stop])
    assert nb06.keras_early_stopping(curve, 2, 0.0) == (len(history.history["loss"]), stop.best_epoch + 1) == (6, 4)


def _bn(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon):
    mu, var = x.mean(axis=0), x.var(axis=0)
    return (gamma * (x - mu) / np.sqrt(var + epsilon) + beta, momentum * moving_mean + (1 - momentum) * mu,
            momentum * moving_variance + (1 - momentum) * var)


REFERENCES = {
    1: lambda x, draws, rate, training: x * (draws < 1 - rate) / (1 - rate) if training else x,
    2: lambda x, rate: x ** 2 * rate / (1 - rate),
    3: lambda w, grad, lr, l2: (1 - 2 * lr * l2) * w - lr * grad,
    4: "b",
    5: nb06.keras_early_stopping,
    6: _bn,
}


@pytest.mark.parametrize("k", sorted(REFERENCES))
def test_the_reference_passes(k):
    assert_passes(EX[k], REFERENCES[k])


def _dropout_ignores_training(x, draws, rate, training):
    return x * (draws < 1 - rate) / (1 - rate)


def _dropout_transposed(x, draws, rate, training):
    return REFERENCES[1](x, draws, rate, training).T


def _variance_of_the_mean(x, rate):
    return x * rate / (1 - rate)


def _decay_wrong_sign(w, grad, lr, l2):
    return (1 + 2 * lr * l2) * w - lr * grad


def _no_penalty(w, grad, lr, l2):
    return w - lr * grad


def _stop_counts_from_zero(val_losses, patience, min_delta):  # off by one: epochs counted from 0
    epochs, best = nb06.keras_early_stopping(val_losses, patience, min_delta)
    return epochs - 1, best - 1


def _stop_at_global_minimum(val_losses, patience, min_delta):
    return len(val_losses), int(np.argmin(val_losses)) + 1


def _bn_over_features(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon):
    _, new_mean, new_variance = _bn(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon)
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)  # per example, not per feature
    return gamma * (x - mu) / np.sqrt(var + epsilon) + beta, new_mean, new_variance


def _bn_no_shift(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon):
    return _bn(x, gamma, np.zeros_like(beta), moving_mean, moving_variance, momentum, epsilon)


MUTANTS = {  # k: [(mutant, text the message must contain or None), ...]
    1: [(nb06._dropout_no_rescale, "divided by `1 - rate`"),
        (nb06._dropout_keeps_rate, "DROPPING"),
        (nb06._dropout_divides_by_rate, "not by `rate`"),
        (_dropout_ignores_training, "`training` changes: is it ignored?"),
        (_dropout_transposed, "transposed")],
    2: [(lambda x, rate: x ** 2 * (1 - rate) / rate, "upside down"),
        (lambda x, rate: x ** 2 / (1 - rate), "E[y^2]"),
        (_variance_of_the_mean, "SQUARE")],
    3: [(nb06._sgd_penalty_without_two, "factor 2"),
        (nb06._sgd_notes_factor, "notes' slip"),
        (_decay_wrong_sign, "entries differ"),
        (_no_penalty, "`l2` changes: is it ignored?")],
    4: [("a", "not the right choice"), ("c", "not the right choice"), ("e", "not one of the choices")],
    5: [(nb06._stop_ignoring_min_delta, "MORE than `min_delta`"),
        (nb06._stop_one_epoch_late, "counter reaching `patience`"),
        (_stop_counts_from_zero, "(epochs run)"),
        (_stop_at_global_minimum, None)],
    6: [(nb06._bn_unbiased_variance, "biased variance"),
        (nb06._bn_epsilon_outside, "inside the square root"),
        (nb06._bn_momentum_swapped, "OLD moving statistics"),
        (_bn_over_features, "(y)"),
        (_bn_no_shift, "`beta` changes: is it ignored?")],
}


def _hidden(k):
    if k == 4:
        return {"(b)", "'b'", " b "}
    return expected_texts(reference_value(EX[k]))


@pytest.mark.parametrize("k", sorted(MUTANTS))
def test_mutants_fail_without_revealing_the_answer(k):
    assert len(MUTANTS[k]) >= 2
    hidden = _hidden(k)
    for mutant, contains in MUTANTS[k]:
        assert_fails(EX[k], mutant, hides=hidden, contains=contains)


def test_the_dropout_cases_cover_training_and_inference():
    rng = EX.q1.rng()
    modes = {EX.q1.cases(rng)["training"] for _ in range(EX.q1.n_cases)}
    assert modes == {True, False}


def test_the_early_stopping_cases_stop_early_and_run_to_the_end_rarely():
    rng = EX.q5.rng()
    cases = [EX.q5.cases(rng) for _ in range(EX.q5.n_cases)]
    stopped = [nb06.keras_early_stopping(*c.values())[0] < len(c["val_losses"]) for c in cases]
    assert any(stopped) and any(c["min_delta"] > 0 for c in cases)


def test_a_raising_answer_fails_only_its_check():
    def broken(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon):
        raise ZeroDivisionError("division by zero")

    result = EX.q6.check(broken)
    assert result.status == "failed" and "ZeroDivisionError" in result.message


def test_hints_and_solutions_render():
    for e in EX:
        assert e.hints and "Hint 1 of" in repr(e.hint())
        text = repr(e.solution())
        assert text.startswith(f"Solution to {e.question}") and len(text) > 60
    assert "def inverted_dropout" in repr(EX.q1.solution()) and "def call" in repr(EX.q1.solution())
    assert "def call" in repr(EX.q6.solution())
