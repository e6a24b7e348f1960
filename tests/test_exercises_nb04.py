"""Notebook 04's exercises: each reference passes, known-wrong answers (mutants) fail with a
message that does not give the reference's values away, and the notebook's stubs are "not attempted"."""

import keras
import numpy as np
import pytest

from dlcourse_keras.course.exercises import exercises, nb04
from dlcourse_keras.course.exercises.kinds import ChoiceExercise
from exercise_checks import (assert_fails, assert_not_attempted, assert_notebook_layout, assert_passes,
                             expected_texts, notebook_stubs, reference_value)

EX = exercises("04")


def test_there_are_at_least_four_exercises_most_of_them_code():
    assert len(EX) >= 4
    assert sum(not isinstance(e, ChoiceExercise) for e in EX) >= len(EX) / 2 + 1


def test_the_notebook_section_follows_the_design():
    assert_notebook_layout("04")


def test_every_stub_in_the_notebook_is_not_attempted():
    stubs = notebook_stubs("04")
    assert sorted(stubs) == list(range(1, len(EX) + 1))
    for k, stub in stubs.items():
        assert_not_attempted(EX[k], stub)


def _standardize(x_train, x_test):
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    return (x_train - mean) / std, (x_test - mean) / std


def _stack(n_features, hidden, hidden_activation="relu", output_units=1, output_activation=None):
    layers = [keras.Input(shape=(n_features,))]
    if hidden:
        layers.append(keras.layers.Dense(hidden, activation=hidden_activation))
    layers.append(keras.layers.Dense(output_units, activation=output_activation))
    return keras.Sequential(layers)


def _binary(n_features):
    return _stack(n_features, 8, output_activation="sigmoid")


def _regressor(n_features):
    inputs = keras.Input(shape=(n_features,))
    hidden = keras.layers.Dense(32, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1)(hidden))


def _train_small(x_train, y_train, epochs=8, optimizer=None, hidden=64):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(64,)), keras.layers.Dense(hidden, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, epochs=epochs, batch_size=64, verbose=0)
    return model


REFERENCES = {
    1: _standardize,
    2: _binary,
    3: _regressor,
    4: "c",
    5: _train_small,
    6: "c",
}


@pytest.mark.parametrize("k", sorted(REFERENCES))
def test_the_reference_passes(k):
    assert_passes(EX[k], REFERENCES[k])


def test_the_package_references_pass_as_answers():
    assert_passes(EX.q1, nb04.standardize)
    assert_passes(EX.q2, nb04.binary_classifier)
    assert_passes(EX.q3, nb04.functional_regressor)


def test_a_built_instance_and_a_sequential_regressor_pass_too():
    assert_passes(EX.q2, _binary(30))  # an instance of the right shape, not a builder
    assert_passes(EX.q3, lambda n_features: _stack(n_features, 32))


def _untrained(x_train, y_train):
    return keras.Sequential([keras.Input(shape=(64,)), keras.layers.Dense(10, activation="softmax")])


def _one_slow_epoch(x_train, y_train):
    return _train_small(x_train, y_train, epochs=1, optimizer=keras.optimizers.SGD(learning_rate=0.01), hidden=16)


def _returns_history(x_train, y_train):
    model = _untrained(x_train, y_train)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model.fit(x_train[:64], y_train[:64], epochs=1, verbose=0)


def _one_output_unit(x_train, y_train):
    return keras.Sequential([keras.Input(shape=(64,)), keras.layers.Dense(1)])


MUTANTS = {  # k: [(mutant, text the message must contain or None), ...]
    1: [(nb04._scale_each_own, "TRAINING part's"),
        (nb04._scale_pooled, "training part only"),
        (nb04._scale_ddof1, "ddof=0"),
        (nb04._scale_global, "axis=0"),
        (lambda x_train, x_test: (_standardize(x_train, x_test)[0], x_test), "(scaled x_test)")],
    2: [(lambda n_features: _stack(n_features, 8, output_activation="softmax"), "output"),
        (lambda n_features: _stack(n_features, 8, output_units=2, output_activation="softmax"), "shape"),
        (lambda n_features: _stack(n_features, 8), "output"),
        (lambda n_features: _stack(n_features, 8, hidden_activation="sigmoid", output_activation="sigmoid"),
         "output"),
        (lambda n_features: _stack(n_features, 0, output_activation="sigmoid"), "parameters")],
    3: [(lambda n_features: _stack(n_features, 32, output_activation="relu"), "output"),
        (lambda n_features: _stack(n_features, 32, output_activation="sigmoid"), "output"),
        (lambda n_features: _stack(n_features, 32, hidden_activation=None), "output"),
        (lambda n_features: _stack(n_features, 16), "parameters")],
    4: [("a", "not the right choice"), ("b", "not the right choice"), ("d", "not the right choice")],
    5: [(_untrained, "needs to be at least"),
        (_one_slow_epoch, "needs to be at least"),
        (_returns_history, "trained Keras model"),
        (_one_output_unit, "10 class probabilities")],
    6: [("a", "not the right choice"), ("b", "not the right choice"), ("d", "not the right choice")],
}


def _hidden(k):
    if k == 1:
        return expected_texts(reference_value(EX[k]))
    if k in (4, 6):
        return {"(c)", "'c'", " c "}
    return set()


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1:UserWarning")  # the size-1 softmax mutant
@pytest.mark.parametrize("k", sorted(MUTANTS))
def test_mutants_fail_without_revealing_the_answer(k):
    assert len(MUTANTS[k]) >= 2
    hidden = _hidden(k)
    for mutant, contains in MUTANTS[k]:
        assert_fails(EX[k], mutant, hides=hidden, contains=contains)


def test_the_digits_data_holds_out_a_quarter():
    data = nb04._digits_data(np.random.default_rng(0))
    assert len(data["x_test"]) == 450 and len(data["x_train"]) == 1347
    assert data["x_train"].max() <= 1.0 and set(np.unique(data["y_test"])) == set(range(10))


def test_a_raising_answer_fails_only_its_check():
    def broken(n_features):
        raise TypeError("Dense() missing 1 required positional argument: 'units'")

    result = EX.q2.check(broken)
    assert result.status == "failed" and "TypeError" in result.message


def test_hints_and_solutions_render():
    for e in EX:
        assert e.hints and "Hint 1 of" in repr(e.hint())
        text = repr(e.solution())
        assert text.startswith(f"Solution to {e.question}") and len(text) > 60
    assert "def train_digits" in repr(EX.q5.solution()) and "keras.Model" in repr(EX.q3.solution())
