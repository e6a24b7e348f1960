"""Exercises of notebook 09, CNN architectures: the receptive field of a stack, LeNet-5's parameters
at any image size, a residual block's parameters and the block itself, the multiply-adds of a
convolution, and why ResNet needed shortcuts.

Keras and the package are the references, called at check time: ``receptive_field``, the
notes' LeNet-5 built in Keras and counted, ``ResidualBlock`` built and counted (and used as the
twin of the student's block), and the output shape Keras computes for a convolution.
"""

from ...layers.blocks import ResidualBlock, receptive_field, residual_parameter_count
from .kinds import ChoiceExercise, FunctionExercise, LayerExercise

# --- q1: the receptive field of a stack ---------------------------------------------------------


def _stack_cases(rng):
    depth = int(rng.integers(2, 8))
    layers = [(int(rng.choice([1, 2, 3, 3, 5, 7])), int(rng.choice([1, 1, 2]))) for _ in range(depth)]
    if all(s == 1 for _, s in layers):  # at least one stride: where the jump matters
        layers[int(rng.integers(0, depth - 1))] = (3, 2)
    return {"layers": layers}


def _field_without_jump(layers):
    return 1 + sum(k - 1 for k, _ in layers)


def _field_jump_first(layers):
    field, jump = 1, 1
    for k, s in layers:
        jump *= s
        field += (k - 1) * jump
    return field


def _widen_a_layer(layers, rng):
    i = int(rng.integers(0, len(layers)))
    return layers[:i] + [(layers[i][0] + 2, layers[i][1])] + layers[i + 1:]


# --- q2: LeNet-5's parameters at any image size -----------------------------------------------


def lenet5(input_shape=(32, 32, 1), num_classes=10):
    """The notes' LeNet-5 (section 1 of the notebook): two tanh convolutions with average pooling, then 120-84-10."""
    import keras

    layers = keras.layers
    return keras.Sequential([
        keras.Input(input_shape),
        layers.Conv2D(6, 5, activation="tanh"), layers.AveragePooling2D(2, strides=2),
        layers.Conv2D(16, 5, activation="tanh"), layers.AveragePooling2D(2, strides=2),
        layers.Flatten(),
        layers.Dense(120, activation="tanh"), layers.Dense(84, activation="tanh"),
        layers.Dense(num_classes, activation="softmax"),
    ])


def lenet5_parameter_count(image_size):
    """What Keras counts for :func:`lenet5` on ``image_size x image_size`` grey images."""
    return lenet5((image_size, image_size, 1)).count_params()


def _image_cases(rng):
    return {"image_size": int(rng.integers(16, 121))}


def _lenet_conv_only(image_size):
    return 6 * (5 * 5 * 1 + 1) + 16 * (5 * 5 * 6 + 1)


def _lenet_notes_channels(image_size):  # the notes' slip: the first pooling "gives 16 channels"
    side = ((image_size - 4) // 2 - 4) // 2
    return (6 * 26 + 16 * (25 * 16 + 1) + (side * side * 16 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10))


def _lenet_one_pool(image_size):
    side = (image_size - 4) // 2 - 4
    return 6 * 26 + 16 * 151 + (side * side * 16 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)


def _other_size(n, rng):
    return n + int(rng.integers(8, 20))


# --- q3 and q4: the residual block --------------------------------------------------------------


def residual_block_parameters(channels, filters, strides):
    """Keras's count (trainable and not) of ``ResidualBlock(filters, strides=strides)`` on ``channels`` channels."""
    block = ResidualBlock(filters, strides=strides)
    block.build((None, 16, 16, channels))
    return block.count_params()


def _block_cases(rng):
    filters = int(rng.choice([8, 16, 32, 64, int(rng.integers(3, 100))]))
    if rng.random() < 0.4:  # the identity shortcut
        return {"channels": filters, "filters": filters, "strides": 1}
    channels = int(rng.choice([filters, filters // 2 or 1, int(rng.integers(1, 100))]))
    return {"channels": channels, "filters": filters, "strides": int(rng.choice([1, 2]))}


def _block_never_projects(channels, filters, strides):
    return residual_parameter_count(filters, filters) - 9 * filters * filters + 9 * channels * filters


def _block_trainable_only(channels, filters, strides):
    total = residual_parameter_count(channels, filters, strides=strides)
    norms = 3 if (channels != filters or strides != 1) else 2
    return total - norms * 2 * filters


def _block_with_conv_biases(channels, filters, strides):
    projected = channels != filters or strides != 1
    return residual_parameter_count(channels, filters, strides=strides) + (3 if projected else 2) * filters


def identity_residual_block(filters):
    """The twin of the student's block: ``ResidualBlock(filters)`` (identity shortcut, batch norm)."""
    return ResidualBlock(filters)


# --- q5: the multiply-adds of a convolution -----------------------------------------------------


def conv_multiply_adds(n, channels_in, channels_out, kernel_size, stride):
    """Multiply-adds per image of ``Conv2D(channels_out, kernel_size, strides=stride, padding="same")``.

    Each output value (Keras computes the output shape) costs kernel_size^2 * channels_in
    multiply-adds.
    """
    import keras

    conv = keras.layers.Conv2D(channels_out, kernel_size, strides=stride, padding="same")
    _, height, width, _ = conv.compute_output_shape((1, n, n, channels_in))
    return height * width * kernel_size * kernel_size * channels_in * channels_out


def _macs_cases(rng):
    return {"n": int(rng.integers(5, 57)), "channels_in": int(rng.choice([1, 3, 16, 32, int(rng.integers(2, 65))])),
            "channels_out": int(rng.choice([8, 16, 32, 64, int(rng.integers(2, 129))])),
            "kernel_size": int(rng.choice([1, 3, 3, 5])), "stride": int(rng.choice([1, 2, 2]))}


def _macs_input_size(n, channels_in, channels_out, kernel_size, stride):
    return n * n * kernel_size ** 2 * channels_in * channels_out


def _macs_floor(n, channels_in, channels_out, kernel_size, stride):
    side = n // stride
    return side * side * kernel_size ** 2 * channels_in * channels_out


def _macs_one_filter(n, channels_in, channels_out, kernel_size, stride):
    side = -(-n // stride)
    return side * side * kernel_size ** 2 * channels_in


def _grow(value, rng):
    return value + int(rng.integers(3, 9))


EXERCISES = [
    FunctionExercise(
        "The receptive field of a stack", receptive_field, _stack_cases,
        hints=["Track two numbers from the input on: the field r (pixels one unit sees, 1 at the input) and the "
               "jump j (input pixels between neighbouring units, 1 at the input).",
               "For each (kernel k, stride s) in order: first `r += (k - 1) * j`, then `j *= s` (the stride "
               "spaces out the NEXT layer's units, not this one's)."],
        prose="r grows by (k - 1) times the current spacing j; each stride multiplies j.",
        mistakes=[(_field_without_jump, "a stride spreads the next layers' units apart: after a stride-s layer each "
                                        "kernel step covers s times as many input pixels (keep a jump j)."),
                  (_field_jump_first, "a layer's own stride does not widen its own kernel: add (k - 1) * j "
                                      "first, then multiply j by s.")],
        perturb={"layers": _widen_a_layer}),
    FunctionExercise(
        "LeNet-5's parameters at any size", lenet5_parameter_count, _image_cases,
        hints=["The two convolutions have the same parameters at every size. Trace the side length: conv 5x5 valid "
               "(n - 4), pool 2 (halve, rounding down), conv 5x5, pool 2. How many values does Flatten pass to "
               "fc1?",
               "Parameters: conv1 6 (5*5*1 + 1), conv2 16 (5*5*6 + 1), fc1 (side*side*16)*120 + 120, fc2 "
               "120*84 + 84, out 84*10 + 10, with side = ((n - 4) // 2 - 4) // 2."],
        prose="The convolutions keep their 2,572 weights; Flatten's side*side*16 values decide fc1's size.",
        mistakes=[(_lenet_conv_only, "the convolutions do not depend on the image size, but the rest does: Flatten "
                                     "passes more values to fc1 on a larger image."),
                  (_lenet_notes_channels, "pooling keeps the channels: the first pooling gives 6 maps, not 16 (the "
                                          "notes' slip), so conv2 has 16 filters of 5x5x6."),
                  (_lenet_one_pool, "there are two poolings: each halves the side (rounding down) before Flatten.")],
        perturb={"image_size": _other_size},
        solution_objects=(lenet5_parameter_count, lenet5)),
    FunctionExercise(
        "A residual block's parameters", residual_block_parameters, _block_cases,
        hints=["Two 3x3 convolutions without bias (channels -> filters, filters -> filters), each followed by a "
               "batch norm with 4 numbers per channel (gamma, beta, moving mean, moving variance).",
               "The shortcut is the identity (no weights) when `channels == filters` and `strides == 1`; "
               "otherwise a 1x1 convolution (channels x filters weights, no bias) plus its own batch norm."],
        prose="9 c f + 9 f f + 2 x 4 f, plus c f + 4 f when the shortcut must project (channels or size change).",
        mistakes=[(_block_never_projects, "when the channels or the size change, the input cannot be added as it "
                                          "is (x and F(x) must have the same shape): the shortcut becomes a 1x1 "
                                          "convolution with a batch norm."),
                  (_block_trainable_only, "Keras counts every weight, trainable or not: each batch norm has 4 numbers "
                                          "per channel (gamma, beta and the two moving statistics)."),
                  (_block_with_conv_biases, "the convolutions have no bias: the batch norm after each one has its "
                                            "own shift (beta).")],
        perturb={"channels": _grow, "filters": _grow, "strides": lambda s, rng: 3 - s},
        solution_objects=(residual_block_parameters, residual_parameter_count)),
    LayerExercise(
        "A residual block", identity_residual_block, init_kwargs={"filters": 8}, input_shape=(2, 6, 6, 8),
        hints=["In `__init__` create `conv1`, `bn1`, `conv2`, `bn2` in that order: two "
               "`keras.layers.Conv2D(filters, 3, padding=\"same\", use_bias=False)` and two "
               "`keras.layers.BatchNormalization()`.",
               "`call(self, inputs, training=False)`: relu(bn1(conv1(x))), then bn2(conv2(.)), add the input, "
               "and apply relu to the sum; pass `training=training` to both batch norms."],
        prose="F(x) = BN(conv(relu(BN(conv(x))))), output relu(F(x) + x): the block can learn F = 0.",
        reference=ResidualBlock),
    FunctionExercise(
        "The multiply-adds of a convolution", conv_multiply_adds, _macs_cases,
        hints=["With \"same\" padding the output has ceil(n / stride) rows and as many columns, and "
               "`channels_out` values per position.",
               "Each output value is one kernel_size x kernel_size x channels_in dot product: that many "
               "multiply-adds."],
        prose="Output values (ceil(n / s)^2 x channels_out) times the cost of one, k^2 x channels_in.",
        mistakes=[(_macs_input_size, "a stride of 2 computes a quarter of the outputs: count the OUTPUT "
                                     "positions, ceil(n / stride) per side."),
                  (_macs_floor, "\"same\" padding gives ceil(n / stride) outputs per side; an odd n rounds UP."),
                  (_macs_one_filter, "every one of the `channels_out` filters computes its own output value at each "
                                     "position.")],
        perturb={"n": _grow, "channels_in": _grow, "channels_out": _grow, "kernel_size": lambda k, rng: k + 2,
                 "stride": lambda s, rng: 3 - s},
        solution_objects=(conv_multiply_adds,)),
    ChoiceExercise(
        "Why ResNet needed shortcuts", "09-degradation",
        "2b594899763dacd7376142193002c10350a56d93e7d4b5c36cf5ecfa3b6a7f67",
        hints=["The deeper net is worse on its TRAINING set. What does overfitting do to the training error?",
               "A deeper net could copy the shallower one and make its extra layers the identity. Why does "
               "training not find that solution, and which block makes it easy?"],
        explanation=("**(b)** The deeper plain net is worse on the data it was trained on, so it is not "
                     "overfitting (that lowers training error) and it does not lack parameters: it could "
                     "reproduce the shallow net with its extra layers as the identity, but gradient descent "
                     "does not find that solution. This is the degradation problem. A residual block outputs "
                     "relu(F(x) + x), so the identity only needs F = 0, and the gradient has the short path "
                     "1 + dF/dx; with shortcuts, He et al.'s deeper ResNets trained to lower error than the "
                     "shallower ones."),
        choices={"a": "overfitting: the deeper net memorizes its training set; more dropout fixes it",
                 "b": "degradation: deep plain nets are harder to optimize; shortcuts that let a block default "
                      "to the identity fix it",
                 "c": "too few parameters in the deeper net; wider layers fix it",
                 "d": "a bug: a deeper net can never have a higher training error than a shallower one"},
        prose="Worse on the training set is an optimization problem, not overfitting."),
]
