"""Exercises of notebook 08, convolutions and pooling: the output-size formula, a strided
convolution in NumPy, the padding that ``"same"`` adds, max pooling forward and backward, and a
convolution layer written with ``keras.ops`` against Keras's ``Conv2D``.

References are the package's (:mod:`dlcourse_keras.numpy_ref.conv`,
:mod:`dlcourse_keras.numpy_ref.pooling`, :class:`~dlcourse_keras.layers.TeachingConv2D`) and
Keras's ``Conv2D``; the small functions below only fix the arguments an answer takes.
"""

import numpy as np

from ...layers.conv import TeachingConv2D
from ...numpy_ref.conv import conv2d_forward, conv_output_size, padding_amounts
from ...numpy_ref.pooling import pool2d_backward, pool2d_forward
from .kinds import FunctionExercise, LayerExercise

# --- q1: the output size ----------------------------------------------------------------------


def _size_cases(rng):
    f = int(rng.integers(1, 8))
    p = int(rng.integers(0, 4))
    n = int(rng.integers(max(f - 2 * p, 1), 40))
    return {"n": n, "f": f, "p": p, "s": int(rng.choice([1, 2, 2, 3, 4]))}


def _size_notes(n, f, p, s):
    return (n - f + 2 * p + 1) // s


def _size_rounded_up(n, f, p, s):
    return int(np.ceil((n + 2 * p - f) / s)) + 1


def _size_one_side(n, f, p, s):
    return (n + p - f) // s + 1


def _grow(value, rng):
    return value + int(rng.integers(3, 9))


# --- q2: a strided valid convolution ----------------------------------------------------------


def conv2d_valid(x, w, b, stride):
    """``conv2d_forward`` with "valid" padding: the images x (N, H, W, C), kernels w (f, f, C, K), biases b (K,)."""
    return conv2d_forward(x, w, b, strides=stride, padding="valid")


def _conv_cases(rng):
    f, c, k = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    h = int(rng.integers(max(f, 4), 9))
    return {"x": rng.normal(size=(2, h, h + int(rng.integers(0, 3)), c)), "w": rng.normal(size=(f, f, c, k)),
            "b": rng.normal(size=k), "stride": int(rng.choice([1, 2, 2, 3]))}


def _conv_flipped(x, w, b, stride):
    return conv2d_forward(x, w[::-1, ::-1], b, strides=stride)


def _conv_stride_one(x, w, b, stride):
    return conv2d_forward(x, w, b, strides=1)


def _other_stride(stride, rng):
    return 1 if stride != 1 else 2


# --- q3: the padding "same" adds ----------------------------------------------------------------


def same_padding(n, f, s):
    """``padding_amounts(n, f, s, "same")``: the zeros Keras adds (before, after) along one axis."""
    return padding_amounts(n, f, s, "same")


def _padding_cases(rng):
    return {"n": int(rng.integers(3, 33)), "f": int(rng.integers(1, 8)), "s": int(rng.choice([1, 1, 2, 2, 3, 4]))}


def _padding_half_kernel(n, f, s):
    return (f - 1) // 2, (f - 1) // 2


def _padding_extra_first(n, f, s):
    before, after = padding_amounts(n, f, s, "same")
    return after, before


def _padding_stride_one(n, f, s):
    return padding_amounts(n, f, 1, "same")


# --- q4 and q5: max pooling, forward and backward ---------------------------------------------


def max_pool(x, pool_size, stride):
    """``pool2d_forward`` in max mode with "valid" windows of pool_size x pool_size, moved by stride."""
    return pool2d_forward(x, pool_size, stride, "valid", "max")


def max_pool_backward(dy, x, pool_size, stride):
    """``pool2d_backward`` in max mode: dL/dx from dL/dy of :func:`max_pool`."""
    return pool2d_backward(dy, x, pool_size, stride, "valid", "max")


def _pool_cases(rng):
    size = int(rng.integers(2, 4))
    h = int(rng.integers(size + 2, 10))
    return {"x": rng.normal(size=(2, h, h + int(rng.integers(0, 3)), int(rng.integers(1, 4)))),
            "pool_size": size, "stride": int(rng.integers(1, size + 1))}


def _pool_average(x, pool_size, stride):
    return pool2d_forward(x, pool_size, stride, "valid", "average")


def _pool_stride_ignored(x, pool_size, stride):
    return pool2d_forward(x, pool_size, pool_size, "valid", "max")


def _backward_cases(rng):
    case = _pool_cases(rng)
    if rng.random() < 0.7:  # mostly overlapping windows: the rule that a shared maximum adds up
        case["pool_size"], case["stride"] = 3, int(rng.choice([1, 2]))
    out = pool2d_forward(case["x"], case["pool_size"], case["stride"]).shape
    return {"dy": rng.normal(size=out), **case}


def _backward_overwrites(dy, x, pool_size, stride):
    dx = np.zeros_like(x)
    _, oh, ow, _ = dy.shape
    for n in range(x.shape[0]):
        for c in range(x.shape[3]):
            for i in range(oh):
                for j in range(ow):
                    window = x[n, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, c]
                    u, v = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, i * stride + u, j * stride + v, c] = dy[n, i, j, c]  # = where it should be +=
    return dx


def _backward_spread(dy, x, pool_size, stride):
    return pool2d_backward(dy, x, pool_size, stride, "valid", "average")


# --- q6: a convolution layer from keras.ops ---------------------------------------------------


def keras_conv2d(filters, kernel_size):
    """The twin: ``keras.layers.Conv2D(filters, kernel_size)`` (valid padding, stride 1, with a bias)."""
    import keras

    return keras.layers.Conv2D(filters, kernel_size)


EXERCISES = [
    FunctionExercise(
        "The output size", conv_output_size, _size_cases,
        hints=["Pad the input: it becomes n + 2p long. How many positions does an f-wide window have in it with "
               "stride 1? And with stride s?",
               "The window fits at starts 0, s, 2s, ... up to n + 2p - f: that is "
               "`(n + 2 * p - f) // s + 1` positions."],
        prose="floor((n + 2p - f) / s) + 1: the window's start positions in the padded input.",
        mistakes=[(_size_notes, "that is the notes' formula, (n - f + 2p + 1) // s, which is right for stride 1 "
                                "only: count the window's start positions 0, s, 2s, ..."),
                  (_size_rounded_up, "a window that would run past the border does not count: round DOWN "
                                     "(`//`), then add 1."),
                  (_size_one_side, "`p` zeros are added on EACH side: the padded length is n + 2p.")],
        perturb={"n": _grow, "f": lambda f, rng: 1 if f > 1 else 3, "p": _grow, "s": lambda s, rng: s + 1}),
    FunctionExercise(
        "A strided convolution", conv2d_valid, _conv_cases,
        hints=["The output has `(H - f) // stride + 1` rows and `(W - f) // stride + 1` columns, and one "
               "channel per filter; output pixel (i, j) sees the input window starting at "
               "`(i * stride, j * stride)`.",
               "For each output pixel, `np.tensordot(window, w, axes=3)` (window of shape (N, f, f, C) against "
               "w of shape (f, f, C, K)) gives the K filter responses; add `b`. Keras does not flip the kernel."],
        prose="Slide the window in steps of `stride`; each output pixel is the window times every filter, plus b.",
        mistakes=[(_conv_flipped, "deep-learning libraries do not flip the kernel (they compute a "
                                  "cross-correlation): use `w[u, v]` at offset (u, v) as it is."),
                  (_conv_stride_one, "the window moves `stride` pixels at a time: output pixel (i, j) starts at "
                                     "`(i * stride, j * stride)`.")],
        perturb={"stride": _other_stride},
        solution_objects=(conv2d_valid, conv2d_forward)),
    FunctionExercise(
        "The padding of \"same\"", same_padding, _padding_cases,
        hints=["\"same\" wants `ceil(n / s)` outputs. The last window starts at `(ceil(n / s) - 1) * s` and "
               "ends f pixels later: how far past the input does it reach?",
               "The total padding is `max((ceil(n / s) - 1) * s + f - n, 0)`; `before = total // 2` and the "
               "odd pixel, if any, goes after (bottom/right), as TensorFlow does."],
        prose="Pad just enough for ceil(n / s) windows; an odd total puts the extra zero after.",
        output_names=("before", "after"),
        mistakes=[(_padding_half_kernel, "(f - 1) / 2 on each side is right only for an odd kernel and stride 1; "
                                         "compute the total from ceil(n / s) outputs."),
                  (_padding_extra_first, "an odd total puts its extra zero AFTER the input (bottom/right), as "
                                         "TensorFlow and Keras do."),
                  (_padding_stride_one, "with a stride, \"same\" means ceil(n / s) outputs, which often needs less "
                                        "padding than f - 1.")],
        perturb={"n": _grow, "f": _grow, "s": lambda s, rng: s + 2},
        solution_objects=(padding_amounts,)),
    FunctionExercise(
        "Max pooling", max_pool, _pool_cases,
        hints=["The output has `(H - pool_size) // stride + 1` rows (and the same for columns); pooling works on "
               "every channel separately.",
               "Output (i, j) is `x[:, i*stride : i*stride + pool_size, j*stride : j*stride + pool_size, :]"
               ".max(axis=(1, 2))`."],
        prose="The largest value of each window, channel by channel; no weights.",
        mistakes=[(_pool_average, "that is average pooling: keep each window's MAXIMUM."),
                  (_pool_stride_ignored, "the windows move by `stride`, which may differ from the window size "
                                         "(overlapping windows when it is smaller).")],
        perturb={"stride": lambda s, rng: s + 1 if s < 3 else 1},
        solution_objects=(max_pool, pool2d_forward)),
    FunctionExercise(
        "Max pooling backward", max_pool_backward, _backward_cases,
        hints=["Only the maximum of a window influenced its output: it receives that output's gradient, every "
               "other input of the window 0.",
               "With overlapping windows (stride < pool size) one input can be the maximum of several windows: "
               "it receives the SUM of their gradients (`+=`, not `=`)."],
        prose="Route each window's gradient to its arg-max; contributions of overlapping windows add up.",
        mistakes=[(_backward_overwrites, "an input that is the maximum of several overlapping windows receives the "
                                         "SUM of their gradients: add (`+=`), do not overwrite."),
                  (_backward_spread, "that spreads the gradient over the window (average pooling): in max "
                                     "pooling only the window's maximum gets it.")],
        perturb={"stride": _other_stride},
        solution_objects=(max_pool_backward, pool2d_backward)),
    LayerExercise(
        "A convolution layer from keras.ops", keras_conv2d,
        init_kwargs={"filters": 4, "kernel_size": 3}, input_shape=(2, 7, 6, 3),
        hints=["In `build`, add a kernel of shape `(kernel_size, kernel_size, channels, filters)` and a bias of "
               "shape `(filters,)` with `self.add_weight`; in `call`, sum over the kernel offsets (u, v).",
               "For offset (u, v), `keras.ops.tensordot(inputs[:, u:u + oh, v:v + ow, :], self.kernel[u, v], "
               "axes=1)` multiplies every output position's pixel under that weight with the (channels, filters) "
               "matrix; add them up, then the bias."],
        prose="Valid padding, stride 1: sum over the kernel offsets of (shifted input) x (one kernel slice), "
              "plus the bias. TeachingConv2D does it with patches and one matrix product.",
        reference=TeachingConv2D),
]
