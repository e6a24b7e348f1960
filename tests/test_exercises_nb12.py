"""Notebook 12's exercises: each reference passes, known-wrong answers (mutants) fail with a
message that does not give the reference's values away, and the notebook's stubs are "not attempted".
The bag-of-words exercise reads the course's data (the mirror)."""

import functools
import string

import keras
import numpy as np
import pytest

from dlcourse_keras.course.exercises import exercises, nb12
from dlcourse_keras.course.exercises.kinds import ChoiceExercise
from exercise_checks import (assert_fails, assert_not_attempted, assert_notebook_layout, assert_passes,
                             expected_texts, notebook_stubs, reference_value)

EX = exercises("12")


def test_there_are_at_least_four_exercises_most_of_them_code():
    assert len(EX) >= 4
    assert sum(not isinstance(e, ChoiceExercise) for e in EX) >= len(EX) / 2 + 1


def test_the_notebook_section_follows_the_design():
    assert_notebook_layout("12")


def test_every_stub_in_the_notebook_is_not_attempted():
    stubs = notebook_stubs("12")
    assert sorted(stubs) == list(range(1, len(EX) + 1))
    for k, stub in stubs.items():
        assert_not_attempted(EX[k], stub)


# --- answers a student could write ----------------------------------------------------------------


def text_to_ids(texts, vocabulary, length):
    ids = {word: k + 2 for k, word in enumerate(vocabulary)}
    out = np.zeros((len(texts), length), dtype=int)
    for row, text in enumerate(texts):
        found = [ids.get(t, 1) for t in text.lower().translate(str.maketrans("", "", string.punctuation)).split()]
        out[row, :len(found[:length])] = found[:length]
    return out


def baseline(train_texts, train_labels, test_texts, n_train=None, vectorizer_cls=None):
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = (vectorizer_cls or CountVectorizer)(binary=True)
    features = vectorizer.fit_transform(train_texts[:n_train])
    model = LogisticRegression(solver="liblinear").fit(features, train_labels[:n_train])
    return model.predict(vectorizer.transform(test_texts))


def build_classifier(vocab_size, embedding_dim, units, mask=True, cell=keras.layers.LSTM, activation="sigmoid",
                     **cell_kwargs):
    return keras.Sequential([keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=mask),
                             cell(units, **cell_kwargs), keras.layers.Dense(1, activation=activation)])


def masked_mean(embedded, mask):
    weights = np.asarray(mask, dtype=float)[..., None]
    return (embedded * weights).sum(axis=1) / weights.sum(axis=1)


REFERENCES = {
    1: text_to_ids,
    3: build_classifier,
    4: masked_mean,
    5: "b",
}


@pytest.mark.parametrize("k", sorted(REFERENCES))
def test_the_reference_passes(k):
    assert_passes(EX[k], REFERENCES[k])


def test_the_package_references_pass():
    assert_passes(EX.q1, nb12.text_to_ids)
    assert_passes(EX.q3, nb12.sentiment_lstm)
    assert_passes(EX.q4, nb12.masked_mean)


def test_the_baseline_passes_and_its_mutants_fail(mirror_env):
    assert "test accuracy" in assert_passes(EX.q2, baseline).message
    assert_passes(EX.q2, nb12.bag_of_words_baseline)
    assert_fails(EX.q2, lambda train, labels, test: np.ones(len(test)), contains="needs to be at least")
    assert_fails(EX.q2, lambda train, labels, test: baseline(train, labels, test, n_train=300),
                 contains="needs to be at least")
    assert_fails(EX.q2, lambda train, labels, test: baseline(train, labels, test)[:-1], contains="predictions for")
    assert_fails(EX.q2, lambda train, labels, test: 2 * baseline(train, labels, test), contains="labels 0 and 1")
    assert_fails(EX.q2, lambda train, labels, test: ["positive"] * len(test), contains="one number per")


# --- mutants ---------------------------------------------------------------------------------------

MUTANTS = {  # k: [(mutant, text the message must contain or None), ...]
    1: [(nb12._ids_without_offset, "reserved"),
        (nb12._ids_padded_first, "pads at the end"),
        (nb12._ids_not_lowercased, "lower-cases"),
        (nb12._ids_last_tokens, "first `length` tokens"),
        (lambda texts, vocabulary, length: text_to_ids(texts, vocabulary, 6), "`length` changes: is it ignored?")],
    3: [(functools.partial(build_classifier, mask=False), "entries differ"),
        (functools.partial(build_classifier, cell=keras.layers.GRU), "parameters"),
        (functools.partial(build_classifier, activation=None), "entries differ"),
        (functools.partial(build_classifier, return_sequences=True), "output has shape")],
    4: [(nb12._mean_over_all_steps, "must not count"),
        (nb12._mean_zeroed_pads, "not by the padded length"),
        (nb12._masked_sum, "masked sum"),
        (lambda embedded, mask: embedded.mean(axis=1), "must not count")],
    5: [("a", "not the right choice"), ("d", "not the right choice"), ("isnt", "not one of the choices")],
}


def _hidden(k):
    if k in (1, 4):
        return expected_texts(reference_value(EX[k]))
    if k == 5:
        return {"(b)", "'b'", " b "}
    return set()


@pytest.mark.parametrize("k", sorted(MUTANTS))
def test_mutants_fail_without_revealing_the_answer(k):
    assert len(MUTANTS[k]) >= 2
    hidden = _hidden(k)
    for mutant, contains in MUTANTS[k]:
        assert_fails(EX[k], mutant, hides=hidden, contains=contains)


def test_the_text_cases_exercise_every_rule():
    rng = EX.q1.rng()
    cases = [EX.q1.cases(rng) for _ in range(EX.q1.n_cases)]
    texts = " ".join(t for case in cases for t in case["texts"])
    assert any(c in texts for c in "!,.?") and texts != texts.lower()
    assert any(len(t.split()) > case["length"] for case in cases for t in case["texts"])  # some are cut
    assert any(len(t.split()) < case["length"] for case in cases for t in case["texts"])  # some are padded


def test_a_raising_answer_fails_only_its_check():
    def broken(embedded, mask):
        raise TypeError("unsupported operand")

    result = EX.q4.check(broken)
    assert result.status == "failed" and "TypeError" in result.message


def test_hints_and_solutions_render():
    for e in EX:
        assert e.hints and "Hint 1 of" in repr(e.hint())
        text = repr(e.solution())
        assert text.startswith(f"Solution to {e.question}") and len(text) > 60
    assert "def sentiment_lstm" in repr(EX.q3.solution()) and "mask_zero=True" in repr(EX.q3.solution())
