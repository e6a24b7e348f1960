"""Exercises of notebook 10, transfer learning: VGG16's input preprocessing, the parameters of a
new head, a frozen base with a head, unfreezing the top blocks, the trainable parameters of the
notebook's fine-tuned VGG16, and why the head is trained first.

References are Keras's (``keras.applications.vgg16.preprocess_input``) and the package's
(:mod:`dlcourse_keras.models.transfer`); the small functions below only adapt them to the shape
of an answer. Exercises 3 and 4 hand the student's function a freshly built base and judge what
it did to the base's ``trainable`` flags against the reference applied to an identical base.
"""

import numpy as np

from ...models.transfer import build_transfer_model, freeze, parameter_counts, unfreeze_blocks
from ..source import show_source
from .compare import NotPassed, compare_values
from .core import Exercise
from .kinds import ChoiceExercise, FunctionExercise

# --- q1: VGG16's preprocessing --------------------------------------------------------------------


def vgg16_preprocess(images):
    """VGG16's ("caffe") preprocessing of RGB images in [0, 255]: BGR channel order, ImageNet mean removed."""
    import keras

    # a float copy: Keras edits a float32 NumPy array in place
    return keras.applications.vgg16.preprocess_input(np.array(images, dtype="float32"))


def _image_cases(rng):
    n, h, w = (int(v) for v in rng.integers(1, 5, size=3))
    return {"images": rng.uniform(0.0, 255.0, size=(n, h, w, 3))}


_IMAGENET_MEAN_BGR = np.array([103.939, 116.779, 123.68])


def _preprocess_rgb_order(images):
    return np.asarray(images, dtype=float) - _IMAGENET_MEAN_BGR[::-1]


def _preprocess_mean_misordered(images):
    return np.asarray(images, dtype=float)[..., ::-1] - _IMAGENET_MEAN_BGR[::-1]


def _preprocess_unit_scale(images):
    return np.asarray(images, dtype=float)[..., ::-1] / 255.0 - _IMAGENET_MEAN_BGR / 255.0


# --- q2: the parameters of a new head -------------------------------------------------------------


def head_parameters(feature_shape, num_classes, pooling):
    """Trainable parameters of ``build_transfer_model``'s head on a frozen base with this output shape."""
    import keras

    base = freeze(keras.Sequential([keras.Input(tuple(feature_shape)), keras.layers.Identity()], name="features"))
    model = build_transfer_model(base, num_classes, input_shape=tuple(feature_shape), pooling=pooling)
    return parameter_counts(model)["trainable"]


def _head_cases(rng):
    side = int(rng.integers(1, 9))
    return {"feature_shape": (side, side, int(rng.choice([8, 16, 64, 128, 256, 512]))),
            "num_classes": int(rng.integers(2, 21)),
            "pooling": str(rng.choice(["avg", "max", "flatten"]))}


def _head_flatten_as_pooled(feature_shape, num_classes, pooling):
    return feature_shape[-1] * num_classes + num_classes


def _head_pooled_as_flatten(feature_shape, num_classes, pooling):
    return int(np.prod(feature_shape)) * num_classes + num_classes


def _head_no_bias(feature_shape, num_classes, pooling):
    features = feature_shape[-1] if pooling != "flatten" else int(np.prod(feature_shape))
    return features * num_classes


_OTHER_POOLING = {"avg": "flatten", "max": "flatten", "flatten": "avg"}


# --- q3 and q4: a base handed to the student's function -------------------------------------------

BASE_SIZE = 12


def demo_base(widths, name="base"):
    """A small VGG-style base: per block a 3x3 convolution, batch norm, ReLU and 2x2 max-pooling."""
    import keras

    inputs = keras.Input((BASE_SIZE, BASE_SIZE, 3))
    x = inputs
    for b, width in enumerate(widths, start=1):
        x = keras.layers.Conv2D(width, 3, padding="same", name=f"block{b}_conv")(x)
        x = keras.layers.BatchNormalization(name=f"block{b}_bn")(x)
        x = keras.layers.ReLU(name=f"block{b}_relu")(x)
        x = keras.layers.MaxPooling2D(name=f"block{b}_pool")(x)
    return keras.Model(inputs, x, name=name)


def _twin_of(base, widths):
    twin = demo_base(widths, name=f"{base.name}_twin")
    twin.set_weights(base.get_weights())
    return twin


def _widths(rng, low, high):
    return tuple(int(w) for w in rng.choice([4, 6, 8, 12], size=int(rng.integers(low, high + 1))))


class BaseExercise(Exercise):
    """The student's function receives a freshly built Keras base; ``judge`` checks what it did.

    Args:
        title, hints, prose, seed: as in :class:`~.core.Exercise`.
        reference: the package's answer (it must pass; ``solution()`` shows it).
        judge: ``judge(exercise, answer, rng)``: builds a case, calls the answer through
            ``exercise.call_student`` and raises :class:`NotPassed` when it is wrong.
        n_cases: cases per check. Default 3.
        solution_objects: what ``solution()`` shows. Default: ``reference``.
    """

    kind = "function"

    def __init__(self, title, reference, judge, hints, prose="", n_cases=3, solution_objects=None, seed=0):
        super().__init__(title, hints, prose, seed)
        if not callable(reference) or not callable(judge):
            raise ValueError(f"reference={reference!r} and judge={judge!r} must be callable.")
        if isinstance(n_cases, bool) or not isinstance(n_cases, int) or n_cases < 1:
            raise ValueError(f"n_cases={n_cases!r} must be an integer >= 1.")
        self.reference, self.judge, self.n_cases = reference, judge, n_cases
        self.solution_objects = tuple(solution_objects or (reference,))

    def _check(self, answer):
        if not callable(answer):
            raise NotPassed(f"the answer should be a function; got {type(answer).__name__}.")
        rng = self.rng()
        for _ in range(self.n_cases):
            self.judge(self, answer, rng)

    def _solution_body(self):
        return show_source(*self.solution_objects)


def feature_extractor(base, num_classes):
    """Feature extraction: the base frozen, global average pooling, a softmax layer over the classes."""
    return build_transfer_model(freeze(base), num_classes)


def _judge_feature_extractor(exercise, answer, rng):
    import keras

    widths, num_classes = _widths(rng, 1, 2), int(rng.integers(2, 11))
    base = demo_base(widths)
    twin = _twin_of(base, widths)
    model = exercise.call_student(answer, base, num_classes)
    if not isinstance(model, keras.Model):
        raise NotPassed("your function should return a Keras model (e.g. `keras.Model(inputs, outputs)` or "
                        f"`keras.Sequential`); it returned {type(model).__name__}.")
    x = rng.uniform(size=(3, BASE_SIZE, BASE_SIZE, 3)).astype("float32")
    out = keras.ops.convert_to_numpy(exercise.call_student(model, x, what="calling your model"))
    if out.shape != (len(x), num_classes):
        raise NotPassed(f"your model's output has shape {out.shape} for {len(x)} images and {num_classes} "
                        "classes; it should give one probability per class and image.")
    base_ids, used = {id(w) for w in base.weights}, {id(w) for w in model.weights}
    if not base_ids <= used:
        raise NotPassed("your model does not contain the base it was given: call `base` on the inputs "
                        "(transfer reuses its weights).")
    trainable = {id(w) for w in model.trainable_weights}
    if trainable & base_ids:
        raise NotPassed("the base still trains: some of its weights are among your model's trainable weights. "
                        "Freeze it (`base.trainable = False`) so that only the new head learns.")
    reference = exercise.reference(twin, num_classes)
    mine, theirs = parameter_counts(model), parameter_counts(reference)
    if mine["trainable"] == 0:
        raise NotPassed("nothing in your model trains: the new head must stay trainable.")
    for kind, what in (("trainable", "trainable"), ("non_trainable", "frozen")):
        if mine[kind] != theirs[kind]:
            raise NotPassed(f"your model has {mine[kind]:,} {what} parameters, which is not what the task asks: "
                            "the frozen base, global average pooling and one softmax layer over the classes.")
    head = {tuple(w.shape): w for w in model.trainable_weights}
    for variable in reference.trainable_weights:  # the student's head weights, copied into the reference
        variable.assign(keras.ops.convert_to_numpy(head[tuple(variable.shape)]))
    expected = keras.ops.convert_to_numpy(reference(x))
    message = compare_values(out, expected, "with the same head weights, your model's output", 1e-4, 1e-5)
    if message:
        if not np.allclose(out.sum(axis=-1), 1.0, atol=1e-4):
            message += " Its rows do not sum to 1: end with a softmax over the classes."
        raise NotPassed(message)


def _trains(model):
    """The names of the layers of ``model`` whose weights an optimizer would update."""
    trainable = {id(w) for w in model.trainable_weights}
    return [layer.name for layer in model.layers if any(id(w) in trainable for w in layer.weights)]


def _judge_fine_tune(exercise, answer, rng):
    import keras

    widths = _widths(rng, 3, 4)
    blocks = int(rng.integers(1, len(widths)))
    base = freeze(demo_base(widths))
    twin = freeze(demo_base(widths, name="twin"))
    exercise.call_student(answer, base, blocks)
    exercise.reference(twin, blocks)
    mine, wanted = _trains(base), _trains(twin)
    if mine == wanted:
        return
    top = f"the top {blocks} block{'s' if blocks > 1 else ''}"
    if not mine and not base.trainable:
        raise NotPassed("nothing trains: the base as a whole is still frozen (`base.trainable` is False), and "
                        "then Keras trains none of its layers, whatever their own flags say. Set "
                        "`base.trainable = True` first, then freeze the layers that must stay frozen.")
    extra = [name for name in mine if name not in wanted]
    batch_norm = [name for name in extra if isinstance(base.get_layer(name), keras.layers.BatchNormalization)]
    if batch_norm:
        raise NotPassed(f"`{batch_norm[0]}` trains: keep every BatchNormalization layer frozen, also in the "
                        "unfrozen blocks (its statistics came from far more data than the fine-tuning set).")
    if extra:
        raise NotPassed(f"`{extra[0]}` trains, but it is not in {top}: freeze every layer below {top}.")
    missing = [name for name in wanted if name not in mine]
    raise NotPassed(f"`{missing[0]}` is in {top} but does not train.")


EXERCISES = [
    FunctionExercise(
        "Preprocess like VGG16", vgg16_preprocess, _image_cases,
        hints=["VGG16 was trained by Caffe: channels in BGR order, ImageNet's mean pixel subtracted, no scaling "
               "to [0, 1].",
               "Reverse the last axis (`images[..., ::-1]`), then subtract the BGR means 103.939, 116.779 and "
               "123.68."],
        prose="Keras's own `vgg16.preprocess_input`: flip RGB to BGR and subtract ImageNet's mean pixel.",
        rtol=1e-5, atol=1e-3,
        mistakes=[(_preprocess_rgb_order, "the channels must be in BGR order, as Caffe read ImageNet: reverse "
                                          "the last axis before subtracting the means."),
                  (_preprocess_mean_misordered, "the means are given in BGR order: subtract them after reversing "
                                                "the channels, in that order."),
                  (_preprocess_unit_scale, "VGG16 sees pixel values in [0, 255] minus the mean: do not divide "
                                           "by 255.")]),
    FunctionExercise(
        "Parameters of the new head", head_parameters, _head_cases,
        hints=["Global pooling (average or max) leaves one number per channel; `Flatten` keeps every position "
               "of every channel.",
               "The softmax layer has a weight per feature and class plus a bias per class: "
               "`features * num_classes + num_classes`."],
        prose="Count the features that reach the Dense layer, then weights plus biases.",
        mistakes=[(_head_flatten_as_pooled, "`Flatten` keeps every position: h * w * c features reach the Dense "
                                            "layer, not c."),
                  (_head_pooled_as_flatten, "global pooling (average or max) leaves one feature per channel, "
                                            "not h * w * c."),
                  (_head_no_bias, "the softmax layer also has one bias per class.")],
        perturb={"feature_shape": lambda shape, rng: (shape[0] + 1, shape[1] + 1, shape[2] * 2),
                 "num_classes": lambda k, rng: k + int(rng.integers(1, 5)),
                 "pooling": lambda pooling, rng: _OTHER_POOLING[pooling]}),
    BaseExercise(
        "Freeze the base, add a head", feature_extractor, _judge_feature_extractor,
        hints=["Freeze first: `base.trainable = False`. Then build a functional model: "
               "`inputs = keras.Input(base.input_shape[1:])`.",
               "`x = base(inputs, training=False)`, then `keras.layers.GlobalAveragePooling2D()` and "
               "`keras.layers.Dense(num_classes, activation=\"softmax\")`; return `keras.Model(inputs, outputs)`."],
        prose="Freeze the base, then pool its maps and add one softmax layer; only the head's weights train.",
        solution_objects=(feature_extractor, build_transfer_model)),
    BaseExercise(
        "Unfreeze the top blocks", unfreeze_blocks, _judge_fine_tune,
        hints=["`list_blocks(base)` gives `{block: [layer names]}` in order; the block of a layer is the "
               "start of its name (`block3_conv` -> `block3`).",
               "Set `base.trainable = True` first (a frozen model trains none of its layers), then give each "
               "layer `layer.trainable = block in top and not isinstance(layer, keras.layers.BatchNormalization)`."],
        prose="The package's `unfreeze_blocks`: the model flag on, then per layer its block decides, "
              "batch norm always frozen."),
    ChoiceExercise(
        "Trainable parameters of the fine-tuned VGG16", "10-vgg16-fine-tune-count",
        "31c4e884436471417e50b69dd51e0ebc579f7442125e015bbe5a5386a57dbbc9",
        hints=["Frozen, only the head trains: `block3_conv3` has 256 channels.",
               "`unfreeze_blocks(base, 1)` adds block3's three 3x3 convolutions: 128 -> 256, 256 -> 256, 256 -> 256, "
               "each with a bias per output channel. Or build it: `keras.applications.VGG16(weights=None, ...)`."],
        explanation=("**1,477,898.** The head alone has 256 x 10 + 10 = 2,570 weights. Unfreezing block 3 adds its "
                     "three convolutions: 3 x 3 x 128 x 256 + 256 = 295,168 and twice 3 x 3 x 256 x 256 + 256 = "
                     "590,080, together 1,475,328, so 1,477,898 weights train; blocks 1 and 2 (260,160 weights) "
                     "stay frozen."),
        digits=0, prose="The head plus block 3's three convolutions."),
    ChoiceExercise(
        "Why the head is trained first", "10-head-before-fine-tuning",
        "4328d6bef9d5b71f97d463474c329fee8855ac98a4df39226ded03b75f9788f2",
        hints=["What does a freshly initialised head compute, and what gradient does it send backwards?"],
        explanation=("**(b)** A random head makes large, meaningless errors; unfrozen, the base would receive "
                     "their large gradients and lose the features it was pretrained for. Trained first on the "
                     "frozen base, the head sends small, useful gradients, and the small fine-tuning learning "
                     "rate keeps the base close to its pretrained weights (section 8 measures how far each rate "
                     "moves them)."),
        choices={"a": "a frozen base has no gradient, so the head could not be trained afterwards",
                 "b": "the gradients of a random head would wreck the pretrained features of an unfrozen base",
                 "c": "Keras cannot compile a model whose layers are partly frozen",
                 "d": "the head needs a larger learning rate than the base, and one fit uses one rate"},
        prose="A random head's large gradients must not reach the pretrained weights."),
]
