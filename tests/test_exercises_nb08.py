"""Notebook 08's exercises: each reference passes, known-wrong answers (mutants) fail with a
message that does not give the reference's values away, and the notebook's stubs are "not attempted"."""

import math

import keras
import numpy as np
import pytest

from dlcourse_keras.course.exercises import exercises, nb08
from dlcourse_keras.course.exercises.kinds import ChoiceExercise
from dlcourse_keras.layers import TeachingConv2D
from dlcourse_keras.numpy_ref.conv import conv2d_forward
from dlcourse_keras.numpy_ref.pooling import pool2d_backward
from exercise_checks import (assert_fails, assert_not_attempted, assert_notebook_layout, assert_passes,
                             expected_texts, first_case, notebook_stubs, reference_value)

EX = exercises("08")


def test_there_are_at_least_four_exercises_most_of_them_code():
    assert len(EX) >= 4
    assert sum(not isinstance(e, ChoiceExercise) for e in EX) >= len(EX) / 2 + 1


def test_the_notebook_section_follows_the_design():
    assert_notebook_layout("08")


def test_every_stub_in_the_notebook_is_not_attempted():
    stubs = notebook_stubs("08")
    assert sorted(stubs) == list(range(1, len(EX) + 1))
    for k, stub in stubs.items():
        assert_not_attempted(EX[k], stub)


def test_the_references_agree_with_keras():
    # output size and "same" padding against the shapes Keras computes
    rng = EX.q1.rng()
    for _ in range(20):
        n, f, p, s = EX.q1.cases(rng).values()
        padded = keras.layers.ZeroPadding2D(p).compute_output_shape((1, n, n, 1))
        assert keras.layers.Conv2D(1, f, strides=s).compute_output_shape(padded)[1] == nb08.conv_output_size(n, f, p, s)
    rng = EX.q3.rng()
    for _ in range(20):
        n, f, s = EX.q3.cases(rng).values()
        before, after = nb08.same_padding(n, f, s)
        assert (n + before + after - f) // s + 1 == math.ceil(n / s) and 0 <= after - before <= 1
    # the strided convolution against Conv2D
    x, w, b, stride = first_case(EX.q2).values()
    conv = keras.layers.Conv2D(w.shape[3], w.shape[0], strides=stride)
    conv.build(x.shape)
    conv.set_weights([w.astype("float32"), b.astype("float32")])
    np.testing.assert_allclose(nb08.conv2d_valid(x, w, b, stride),
                               keras.ops.convert_to_numpy(conv(x.astype("float32"))), atol=1e-4)


def _output_size(n, f, p, s):
    return (n + 2 * p - f) // s + 1


def _conv2d(x, w, b, stride):
    f = w.shape[0]
    out_h, out_w = (x.shape[1] - f) // stride + 1, (x.shape[2] - f) // stride + 1
    z = np.zeros((x.shape[0], out_h, out_w, w.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            z[:, i, j, :] = np.tensordot(x[:, i * stride:i * stride + f, j * stride:j * stride + f, :], w, axes=3)
    return z + b


def _same_padding(n, f, s):
    total = max((-(-n // s) - 1) * s + f - n, 0)
    return total // 2, total - total // 2


def _max_pool(x, pool_size, stride):
    out_h, out_w = (x.shape[1] - pool_size) // stride + 1, (x.shape[2] - pool_size) // stride + 1
    y = np.zeros((x.shape[0], out_h, out_w, x.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            y[:, i, j] = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size].max(axis=(1, 2))
    return y


class _MyConv2D(keras.layers.Layer):
    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = filters, kernel_size

    def build(self, input_shape):
        k = self.kernel_size
        self.kernel = self.add_weight(shape=(k, k, input_shape[-1], self.filters))
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros")

    def call(self, inputs):
        k = self.kernel_size
        out_h, out_w = inputs.shape[1] - k + 1, inputs.shape[2] - k + 1
        return self.bias + sum(keras.ops.tensordot(inputs[:, u:u + out_h, v:v + out_w, :], self.kernel[u, v], axes=1)
                               for u in range(k) for v in range(k))


REFERENCES = {1: _output_size, 2: _conv2d, 3: _same_padding, 4: _max_pool, 5: nb08.max_pool_backward,
              6: _MyConv2D}


@pytest.mark.parametrize("k", sorted(REFERENCES))
def test_the_reference_passes(k):
    assert_passes(EX[k], REFERENCES[k])


def test_the_package_layer_passes_the_layer_exercise():
    assert_passes(EX.q6, TeachingConv2D)


def _size_missing_one(n, f, p, s):  # off by one
    return (n + 2 * p - f) // s


def _size_ignores_stride(n, f, p, s):
    return n + 2 * p - f + 1


def _conv_transposed_kernel(x, w, b, stride):
    return conv2d_forward(x, np.transpose(w, (1, 0, 2, 3)), b, strides=stride)


def _padding_all_before(n, f, s):
    return sum(_same_padding(n, f, s)), 0


def _pool_min(x, pool_size, stride):
    return -_max_pool(-x, pool_size, stride)


def _backward_wrong_sign(dy, x, pool_size, stride):
    return -pool2d_backward(dy, x, pool_size, stride)


class _NoBias(_MyConv2D):
    def build(self, input_shape):
        k = self.kernel_size
        self.kernel = self.add_weight(shape=(k, k, input_shape[-1], self.filters))

    def call(self, inputs):
        k = self.kernel_size
        out_h, out_w = inputs.shape[1] - k + 1, inputs.shape[2] - k + 1
        return sum(keras.ops.tensordot(inputs[:, u:u + out_h, v:v + out_w, :], self.kernel[u, v], axes=1)
                   for u in range(k) for v in range(k))


class _Flipped(_MyConv2D):
    def call(self, inputs):
        k = self.kernel_size
        out_h, out_w = inputs.shape[1] - k + 1, inputs.shape[2] - k + 1
        return self.bias + sum(keras.ops.tensordot(inputs[:, u:u + out_h, v:v + out_w, :],
                                                   self.kernel[k - 1 - u, k - 1 - v], axes=1)
                               for u in range(k) for v in range(k))


class _SamePadding(_MyConv2D):
    def call(self, inputs):
        k = self.kernel_size
        padded = keras.ops.pad(inputs, ((0, 0), (k // 2, k // 2), (k // 2, k // 2), (0, 0)))
        return self.bias + sum(keras.ops.tensordot(padded[:, u:u + inputs.shape[1], v:v + inputs.shape[2], :],
                                                   self.kernel[u, v], axes=1) for u in range(k) for v in range(k))


MUTANTS = {  # k: [(mutant, text the message must contain or None), ...]
    1: [(nb08._size_notes, "notes' formula"),
        (nb08._size_rounded_up, "round DOWN"),
        (nb08._size_one_side, "EACH side"),
        (_size_missing_one, None),
        (_size_ignores_stride, "`s` changes: is it ignored?")],
    2: [(nb08._conv_flipped, "do not flip"),
        (nb08._conv_stride_one, "`stride` pixels at a time"),
        (lambda x, w, b, stride: _conv2d(x, w, 0 * b, stride), "`b` changes: is it ignored?"),
        (_conv_transposed_kernel, "entries differ")],
    3: [(nb08._padding_half_kernel, "odd kernel and stride 1"),
        (nb08._padding_extra_first, "AFTER"),
        (nb08._padding_stride_one, "ceil(n / s) outputs"),
        (_padding_all_before, "(before)")],
    4: [(nb08._pool_average, "average pooling"),
        (nb08._pool_stride_ignored, "move by `stride`"),
        (_pool_min, "entries differ")],
    5: [(nb08._backward_overwrites, "SUM of their gradients"),
        (nb08._backward_spread, "only the window's maximum"),
        (_backward_wrong_sign, "wrong sign")],
    6: [(_NoBias, "parameters"),
        (_Flipped, "with the reference's weights copied in"),
        (_SamePadding, "shape")],
}


def _hidden(k):
    if k == 6:
        return set()
    return expected_texts(reference_value(EX[k]))


@pytest.mark.parametrize("k", sorted(MUTANTS))
def test_mutants_fail_without_revealing_the_answer(k):
    assert len(MUTANTS[k]) >= 2
    hidden = _hidden(k)
    for mutant, contains in MUTANTS[k]:
        assert_fails(EX[k], mutant, hides=hidden, contains=contains)


def test_the_layer_message_does_not_give_the_parameter_count():
    twin = keras.layers.Conv2D(**EX.q6.init_kwargs)
    twin.build(EX.q6.input_shape)
    result = assert_fails(EX.q6, _NoBias)
    assert f"{twin.count_params():,}" not in result.message and str(twin.count_params()) not in result.message


def test_the_backward_cases_have_overlapping_windows():
    rng = EX.q5.rng()
    cases = [EX.q5.cases(rng) for _ in range(EX.q5.n_cases)]
    assert any(c["stride"] < c["pool_size"] for c in cases)


def test_a_raising_answer_fails_only_its_check():
    def broken(x, pool_size, stride):
        raise IndexError("index 9 is out of bounds")

    result = EX.q4.check(broken)
    assert result.status == "failed" and "IndexError" in result.message


def test_hints_and_solutions_render():
    for e in EX:
        assert e.hints and "Hint 1 of" in repr(e.hint())
        text = repr(e.solution())
        assert text.startswith(f"Solution to {e.question}") and len(text) > 60
    assert "def conv2d_forward" in repr(EX.q2.solution()) and "class TeachingConv2D" in repr(EX.q6.solution())
