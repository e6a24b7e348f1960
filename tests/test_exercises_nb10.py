"""Notebook 10's exercises: each reference passes, known-wrong answers (mutants) fail with a
message that does not give the reference's values away, and the notebook's stubs are "not attempted"."""

import keras
import numpy as np
import pytest

from dlcourse_keras.course.exercises import exercises, nb10
from dlcourse_keras.course.exercises.kinds import ChoiceExercise
from dlcourse_keras.models import build_transfer_model, list_blocks, parameter_counts, unfreeze_blocks
from exercise_checks import (assert_fails, assert_not_attempted, assert_notebook_layout, assert_passes,
                             expected_texts, notebook_stubs, reference_value)

EX = exercises("10")
MEAN_BGR = np.array([103.939, 116.779, 123.68])


def test_there_are_at_least_four_exercises_most_of_them_code():
    assert len(EX) >= 4
    assert sum(not isinstance(e, ChoiceExercise) for e in EX) >= len(EX) / 2 + 1


def test_the_notebook_section_follows_the_design():
    assert_notebook_layout("10")


def test_every_stub_in_the_notebook_is_not_attempted():
    stubs = notebook_stubs("10")
    assert sorted(stubs) == list(range(1, len(EX) + 1))
    for k, stub in stubs.items():
        assert_not_attempted(EX[k], stub)


# --- answers a student could write ----------------------------------------------------------------


def preprocess(images):
    return np.asarray(images, dtype=float)[..., ::-1] - MEAN_BGR


def head_parameters(feature_shape, num_classes, pooling):
    h, w, c = feature_shape
    features = h * w * c if pooling == "flatten" else c
    return features * num_classes + num_classes


def _head(base, num_classes, freeze=True, pooling=keras.layers.GlobalAveragePooling2D, activation="softmax",
          own_base=False):
    if freeze:
        base.trainable = False
    if own_base:  # a new base of the same architecture: not the pretrained weights
        base = keras.models.clone_model(base)
    inputs = keras.Input(base.input_shape[1:])
    x = pooling()(base(inputs, training=False))
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation=activation)(x))


def feature_extractor(base, num_classes):
    return _head(base, num_classes)


def fine_tune(base, blocks):
    top = list(list_blocks(base))[-blocks:]
    base.trainable = True
    for layer in base.layers:
        layer.trainable = layer.name.split("_")[0] in top and not isinstance(layer, keras.layers.BatchNormalization)


REFERENCES = {
    1: preprocess,
    2: head_parameters,
    3: feature_extractor,
    4: fine_tune,
    5: 1477898,
    6: "b",
}


@pytest.mark.parametrize("k", sorted(REFERENCES))
def test_the_reference_passes(k):
    assert_passes(EX[k], REFERENCES[k])


def test_the_package_references_pass():
    assert_passes(EX.q1, nb10.vgg16_preprocess)
    assert_passes(EX.q2, nb10.head_parameters)
    assert_passes(EX.q3, nb10.feature_extractor)
    assert_passes(EX.q4, unfreeze_blocks)


def test_the_keras_preprocessing_is_not_changed_in_place():
    images = np.random.default_rng(0).uniform(0, 255, size=(2, 3, 3, 3)).astype("float32")
    before = images.copy()
    nb10.vgg16_preprocess(images)
    assert np.array_equal(images, before)


# --- mutants ---------------------------------------------------------------------------------------


def _fine_tune_model_frozen(base, blocks):
    top = list(list_blocks(base))[-blocks:]
    for layer in base.layers:
        layer.trainable = layer.name.split("_")[0] in top and not isinstance(layer, keras.layers.BatchNormalization)


def _fine_tune_bottom_blocks(base, blocks):
    unfreeze_blocks(base, list(list_blocks(base))[:blocks])


MUTANTS = {  # k: [(mutant, text the message must contain or None), ...]
    1: [(nb10._preprocess_rgb_order, "BGR order"),
        (nb10._preprocess_mean_misordered, "in BGR order"),
        (nb10._preprocess_unit_scale, "do not divide by 255"),
        (lambda images: np.asarray(images, dtype=float)[..., ::-1], "entries differ")],
    2: [(nb10._head_flatten_as_pooled, "`Flatten` keeps every position"),
        (nb10._head_pooled_as_flatten, "one feature per channel"),
        (nb10._head_no_bias, "one bias per class"),
        (lambda shape, k, pooling: head_parameters(shape, 10, pooling), "`num_classes` changes: is it ignored?")],
    3: [(lambda base, k: _head(base, k, freeze=False), "the base still trains"),
        (lambda base, k: _head(base, k, pooling=keras.layers.Flatten), "trainable parameters, which is not"),
        (lambda base, k: _head(base, k, activation=None), "end with a softmax"),
        (lambda base, k: _head(base, k, pooling=keras.layers.GlobalMaxPooling2D), "entries differ"),
        (lambda base, k: _head(base, k, own_base=True), "does not contain the base"),
        (lambda base, k: base, "output has shape"),
        (lambda base, k: base.name, "should return a Keras model")],
    4: [(_fine_tune_model_frozen, "still frozen"),
        (lambda base, blocks: unfreeze_blocks(base, blocks, keep_batch_norm_frozen=False), "BatchNormalization"),
        (lambda base, blocks: unfreeze_blocks(base, blocks + 1), "freeze every layer below"),
        (lambda base, blocks: unfreeze_blocks(base, blocks - 1), "does not train"),
        (_fine_tune_bottom_blocks, "is not in the top")],
    5: [(2570, "not the right number"), (1475328, "not the right number"), (1477898.6, "not the right number")],
    6: [("a", "not the right choice"), ("c", "not the right choice"), ("e", "not one of the choices")],
}


def _reference_counts_texts():
    """How the counts of the first case's reference model could show up in a message."""
    rng = EX.q3.rng()
    widths, num_classes = nb10._widths(rng, 1, 2), int(rng.integers(2, 11))
    counts = parameter_counts(nb10.feature_extractor(nb10.demo_base(widths), num_classes))
    return {f"{v:,}" for v in counts.values() if v >= 10} | {str(v) for v in counts.values() if v >= 10}


def _hidden(k):
    if k in (1, 2):
        return expected_texts(reference_value(EX[k]))
    if k == 3:
        return _reference_counts_texts()
    if k == 5:
        return {"1477898", "1,477,898"}
    if k == 6:
        return {"(b)", "'b'", " b "}
    return set()


@pytest.mark.parametrize("k", sorted(MUTANTS))
def test_mutants_fail_without_revealing_the_answer(k):
    assert len(MUTANTS[k]) >= 2
    hidden = _hidden(k)
    for mutant, contains in MUTANTS[k]:
        assert_fails(EX[k], mutant, hides=hidden, contains=contains)


def test_the_head_count_is_keras_count():
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    base.trainable = False
    model = build_transfer_model(base, 7, pooling="flatten")
    assert nb10.head_parameters((1, 1, 512), 7, "flatten") == parameter_counts(model)["trainable"]


def test_a_raising_answer_fails_only_its_check():
    def broken(base, num_classes):
        raise IndexError("list index out of range")

    result = EX.q3.check(broken)
    assert result.status == "failed" and "IndexError" in result.message


def test_hints_and_solutions_render():
    for e in EX:
        assert e.hints and "Hint 1 of" in repr(e.hint())
        text = repr(e.solution())
        assert text.startswith(f"Solution to {e.question}") and len(text) > 60
    assert "def feature_extractor" in repr(EX.q3.solution()) and "def build_transfer_model" in repr(EX.q3.solution())
    assert "def unfreeze_blocks" in repr(EX.q4.solution())
