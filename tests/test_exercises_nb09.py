"""Notebook 09's exercises: each reference passes, known-wrong answers (mutants) fail with a
message that does not give the reference's values away, and the notebook's stubs are "not attempted"."""

import keras
import numpy as np
import pytest

from dlcourse_keras.course.exercises import exercises, nb09
from dlcourse_keras.course.exercises.kinds import ChoiceExercise
from dlcourse_keras.layers import ResidualBlock, receptive_field, residual_parameter_count
from exercise_checks import (assert_fails, assert_not_attempted, assert_notebook_layout, assert_passes,
                             expected_texts, notebook_stubs, reference_value)

EX = exercises("09")


def test_there_are_at_least_four_exercises_most_of_them_code():
    assert len(EX) >= 4
    assert sum(not isinstance(e, ChoiceExercise) for e in EX) >= len(EX) / 2 + 1


def test_the_notebook_section_follows_the_design():
    assert_notebook_layout("09")


def test_every_stub_in_the_notebook_is_not_attempted():
    stubs = notebook_stubs("09", namespace={"L": keras.layers})
    assert sorted(stubs) == list(range(1, len(EX) + 1))
    for k, stub in stubs.items():
        assert_not_attempted(EX[k], stub)


def test_the_references_match_the_notebook_and_the_package():
    # the notes' LeNet-5: 61,706 parameters at 32x32 and 44,426 at 28x28 (notebook 09, sections 1-2)
    assert nb09.lenet5_parameter_count(32) == 61_706 and nb09.lenet5_parameter_count(28) == 44_426
    # Keras's count of the block equals the package's formula, projection or not
    for channels, filters, strides in ((16, 16, 1), (16, 32, 2), (8, 8, 2), (5, 12, 1)):
        assert nb09.residual_block_parameters(channels, filters, strides) == residual_parameter_count(
            channels, filters, strides=strides)
    # multiply-adds: the notebook's VGG block-3 figure, and a stride halving the side of an odd input
    assert nb09.conv_multiply_adds(7, 32, 64, 3, 1) == 7 * 7 * 9 * 32 * 64
    assert nb09.conv_multiply_adds(7, 3, 8, 3, 2) == 4 * 4 * 9 * 3 * 8


def test_the_cases_cover_identity_and_projection_shortcuts():
    rng = EX.q3.rng()
    cases = [EX.q3.cases(rng) for _ in range(EX.q3.n_cases)]
    identity = [c["channels"] == c["filters"] and c["strides"] == 1 for c in cases]
    assert any(identity) and not all(identity)


def _receptive(layers):
    field, jump = 1, 1
    for kernel, stride in layers:
        field += (kernel - 1) * jump
        jump *= stride
    return field


def _lenet(image_size):
    side = ((image_size - 4) // 2 - 4) // 2
    return 6 * 26 + 16 * 151 + side * side * 16 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10


def _block(channels, filters, strides):
    total = 9 * channels * filters + 9 * filters * filters + 8 * filters
    if channels != filters or strides != 1:
        total += channels * filters + 4 * filters
    return total


class _MyResidualBlock(keras.layers.Layer):
    def __init__(self, filters, conv1=None, conv2=None, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = conv1 or keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)
        self.bn1 = keras.layers.BatchNormalization()
        self.conv2 = conv2 or keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)
        self.bn2 = keras.layers.BatchNormalization()

    def call(self, inputs, training=False):
        x = keras.ops.relu(self.bn1(self.conv1(inputs), training=training))
        return keras.ops.relu(self.bn2(self.conv2(x), training=training) + inputs)


def _functional_block(filters):
    inputs = keras.Input((None, None, filters))
    x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(inputs)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
    x = keras.layers.BatchNormalization()(keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x))
    return keras.Model(inputs, keras.layers.ReLU()(keras.layers.Add()([x, inputs])))


def _macs(n, channels_in, channels_out, kernel_size, stride):
    side = -(-n // stride)
    return side * side * kernel_size ** 2 * channels_in * channels_out


REFERENCES = {1: _receptive, 2: _lenet, 3: _block, 4: _MyResidualBlock, 5: _macs, 6: "b"}


@pytest.mark.parametrize("k", sorted(REFERENCES))
def test_the_reference_passes(k):
    assert_passes(EX[k], REFERENCES[k])


def test_other_correct_answers_pass():
    assert_passes(EX.q1, receptive_field)
    assert_passes(EX.q4, _functional_block)
    assert_passes(EX.q4, ResidualBlock)


def _field_off_by_one(layers):
    return _receptive(layers) - 1


def _field_last_layer_only(layers):
    return layers[-1][0]


def _lenet_without_biases(image_size):
    side = ((image_size - 4) // 2 - 4) // 2
    return 6 * 25 + 16 * 150 + side * side * 16 * 120 + 120 * 84 + 84 * 10


def _lenet_no_floor(image_size):
    side = ((image_size - 4) / 2 - 4) / 2
    return int(round(6 * 26 + 16 * 151 + side * side * 16 * 120 + 120 + 120 * 84 + 84 + 850))


def _block_projects_on_stride_only(channels, filters, strides):  # forgets that new channels need it too
    plain = 9 * channels * filters + 9 * filters * filters + 8 * filters
    return plain + (channels * filters + 4 * filters if strides != 1 else 0)


def _block_one_norm(channels, filters, strides):
    return _block(channels, filters, strides) - 4 * filters


class _PlainBlock(_MyResidualBlock):
    def call(self, inputs, training=False):
        x = keras.ops.relu(self.bn1(self.conv1(inputs), training=training))
        return keras.ops.relu(self.bn2(self.conv2(x), training=training))


class _ReluBeforeAdd(_MyResidualBlock):
    def call(self, inputs, training=False):
        x = keras.ops.relu(self.bn1(self.conv1(inputs), training=training))
        return keras.ops.relu(self.bn2(self.conv2(x), training=training)) + inputs


class _WithBiases(_MyResidualBlock):
    def __init__(self, filters, **kwargs):
        super().__init__(filters, conv1=keras.layers.Conv2D(filters, 3, padding="same"),
                         conv2=keras.layers.Conv2D(filters, 3, padding="same"), **kwargs)


class _ValidPadding(_MyResidualBlock):
    def __init__(self, filters, **kwargs):
        super().__init__(filters, conv1=keras.layers.Conv2D(filters, 3, use_bias=False), **kwargs)

    def call(self, inputs, training=False):
        x = keras.ops.relu(self.bn1(self.conv1(inputs), training=training))
        return keras.ops.relu(self.bn2(self.conv2(x), training=training) + inputs[:, 1:-1, 1:-1, :])


def _macs_with_biases(n, channels_in, channels_out, kernel_size, stride):
    side = -(-n // stride)
    return side * side * (kernel_size ** 2 * channels_in + 1) * channels_out


MUTANTS = {  # k: [(mutant, text the message must contain or None), ...]
    1: [(nb09._field_without_jump, "keep a jump j"),
        (nb09._field_jump_first, "add (k - 1) * j"),
        (_field_off_by_one, None),
        (_field_last_layer_only, None)],
    2: [(nb09._lenet_conv_only, "Flatten passes more values"),
        (nb09._lenet_notes_channels, "6 maps, not 16"),
        (nb09._lenet_one_pool, "two poolings"),
        (_lenet_without_biases, None),
        (_lenet_no_floor, None)],
    3: [(nb09._block_never_projects, "1x1 convolution"),
        (nb09._block_trainable_only, "trainable or not"),
        (_block_projects_on_stride_only, "1x1 convolution"),
        (nb09._block_with_conv_biases, "no bias"),
        (_block_one_norm, None)],
    4: [(_PlainBlock, "with the reference's weights copied in"),
        (_ReluBeforeAdd, "with the reference's weights copied in"),
        (_WithBiases, "parameters"),
        (_ValidPadding, "shape")],
    5: [(nb09._macs_input_size, "OUTPUT positions"),
        (nb09._macs_floor, "rounds UP"),
        (nb09._macs_one_filter, "`channels_out`"),
        (_macs_with_biases, None)],
    6: [("a", "not the right choice"), ("d", "not the right choice"), ("e", "not one of the choices")],
}


def _hidden(k):
    if k == 6:
        return {"(b)", "'b'", " b "}
    if k == 4:
        return set()
    return expected_texts(reference_value(EX[k]))


@pytest.mark.parametrize("k", sorted(MUTANTS))
def test_mutants_fail_without_revealing_the_answer(k):
    assert len(MUTANTS[k]) >= 2
    hidden = _hidden(k)
    for mutant, contains in MUTANTS[k]:
        assert_fails(EX[k], mutant, hides=hidden, contains=contains)


def test_the_block_message_does_not_give_the_parameter_count():
    twin = ResidualBlock(**EX.q4.init_kwargs)
    twin(np.zeros(EX.q4.input_shape, "float32"))
    result = assert_fails(EX.q4, _WithBiases)
    assert f"{twin.count_params():,}" not in result.message and str(twin.count_params()) not in result.message


def test_a_raising_answer_fails_only_its_check():
    def broken(image_size):
        raise ValueError("negative dimensions are not allowed")

    result = EX.q2.check(broken)
    assert result.status == "failed" and "ValueError" in result.message


def test_hints_and_solutions_render():
    for e in EX:
        assert e.hints and "Hint 1 of" in repr(e.hint())
        text = repr(e.solution())
        assert text.startswith(f"Solution to {e.question}") and len(text) > 60
    assert "def lenet5" in repr(EX.q2.solution()) and "class ResidualBlock" in repr(EX.q4.solution())
