"""Exercises of notebook 00, the introduction: the notes' first Keras model, counting a dense
layer's parameters, how sure "better than a person" is, a hand-made feature for the two rings,
and why a hidden layer needs its non-linearity.

Keras itself is the reference for the model and the parameter count; the standard error and
the ring feature are the notebook's own formulas, written once here.
"""

import numpy as np

from .compare import NotPassed
from .kinds import ChoiceExercise, FunctionExercise, LayerExercise, TrainingExercise

# --- q1: the notes' first model -------------------------------------------------------------------


def notes_model():
    """The notes' first Keras model: 10 sigmoid units on a flattened 28x28 image."""
    import keras

    return keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10, activation="sigmoid")])


# --- q2: parameters of a dense layer --------------------------------------------------------------


def dense_parameter_count(n_inputs, n_units):
    """What Keras counts for ``Dense(n_units)`` on ``n_inputs`` inputs."""
    import keras

    layer = keras.layers.Dense(n_units)
    layer.build((None, n_inputs))
    return layer.count_params()


def _dense_cases(rng):
    return {"n_inputs": int(rng.integers(1, 2000)), "n_units": int(rng.integers(1, 300))}


def _grow(value, rng):
    return value + int(rng.integers(1, 10))


# --- q3: the standard error of a measured error rate ----------------------------------------------


def binomial_standard_error(p, n):
    """The standard error of a proportion ``p`` measured on ``n`` independent trials."""
    return np.sqrt(p * (1 - p) / n)


def _proportion_cases(rng):
    return {"p": float(rng.uniform(0.01, 0.6)), "n": int(rng.integers(100, 5000))}


# --- q5: a feature for the two rings --------------------------------------------------------------

RING_TRAIN = 400


def ring_features(x):
    """The raw coordinates plus the squared radius r^2 = x1^2 + x2^2."""
    return np.c_[x, (x ** 2).sum(axis=1)]


def _ring_data(rng):
    from sklearn.datasets import make_circles

    x, y = make_circles(n_samples=600, factor=0.4, noise=0.08, random_state=int(rng.integers(1000)))
    return {"x": x, "y": y}


def _ring_accuracy(features, data):
    import warnings

    from sklearn.linear_model import LogisticRegression

    features = np.asarray(features, dtype=float)
    if features.ndim != 2 or features.shape[0] != len(data["x"]):
        raise NotPassed(f"your function should return one row of features per point ({len(data['x'])} rows, "
                        f"2-D); got shape {features.shape}.")
    if not np.isfinite(features).all():
        raise NotPassed("your features contain NaN or infinite values.")
    y = data["y"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on unscaled features
        model = LogisticRegression(max_iter=1000).fit(features[:RING_TRAIN], y[:RING_TRAIN])
    return model.score(features[RING_TRAIN:], y[RING_TRAIN:])


EXERCISES = [
    LayerExercise(
        "The notes' first Keras model", notes_model, input_shape=(4, 784),
        hints=["`keras.Sequential([...])` takes a list of layers; declare the input with `keras.Input(shape=(784,))`.",
               "One `keras.layers.Dense` layer with 10 units and `activation=\"sigmoid\"`."],
        prose="A `keras.Input` for 784 numbers, then one dense layer of 10 sigmoid units."),
    FunctionExercise(
        "Parameters of a dense layer", dense_parameter_count, _dense_cases,
        hints=["Every unit has one weight per input.", "...and one bias of its own."],
        prose="Keras counts a weight per input and unit plus one bias per unit: n_inputs * n_units + n_units.",
        mistakes=[(lambda n_inputs, n_units: n_inputs * n_units,
                   "a dense layer also has one bias per unit.")],
        perturb={"n_inputs": _grow, "n_units": _grow}),
    FunctionExercise(
        "Standard error of an error rate", binomial_standard_error, _proportion_cases,
        hints=["Each of the n images is a trial that is wrong with probability p: the count of errors is binomial.",
               "The variance of the measured proportion is p (1 - p) / n; the standard error is its square root."],
        prose="sqrt(p (1 - p) / n): the spread of a proportion measured on n trials.",
        perturb={"p": lambda p, rng: float(rng.uniform(0.01, 0.6)), "n": lambda n, rng: 2 * n + 1},
        mistakes=[(lambda p, n: p * (1 - p) / n, "that is the variance: take its square root."),
                  (lambda p, n: np.sqrt(p * (1 - p)) / n, "divide the variance by n, then take the square root "
                                                          "(the root of n, not n, ends up below the line).")]),
    ChoiceExercise(
        "Is ResNet really better than a person?", "00-resnet-vs-human",
        "f2b0420b06b0b96e294739df6241b805d79aef5dabed7491268e59daf7451366",
        hints=["Use your `standard_error` with p = 0.051 and n = 1500.",
               "Divide the gap between 5.1% and 3.5% by that standard error; give one decimal."],
        explanation=("The annotator's 5.1% on 1,500 images has a standard error of "
                     "sqrt(0.051 x 0.949 / 1500) = 0.57 percentage points, so the 1.6-point gap to ResNet's "
                     "3.5% (24 of 1,500 images) is **2.8** standard errors: beyond noise, but the \"human level\" "
                     "rests on one trained person and 1,500 images, and a second, less-trained annotator of "
                     "the same study erred far more often. \"Below human level\" is a claim about that person."),
        digits=1, prose="The gap divided by the standard error of the human's rate."),
    TrainingExercise(
        "A feature for the two rings", ring_features, _ring_data, _ring_accuracy, threshold=0.95,
        hints=["The classes differ in their distance from the centre, not in their direction.",
               "Return `np.c_[x, extra]` where `extra` is the squared radius `x1**2 + x2**2` of each point."],
        metric=f"test accuracy of a linear model trained on your features of {RING_TRAIN} points",
        answer_keys=("x",),
        prose="Add the squared radius: the rings become two bands that one straight cut separates."),
    ChoiceExercise(
        "A hidden layer without its ReLU", "00-linear-hidden-layer",
        "866d16bd0c9102fc046ecde1c492844032df9c8ecb858d0444e2ffee235ab58b",
        hints=["Write the two layers as formulas: W2 (W1 x + b1) + b2. What kind of function of x is that?"],
        explanation=("**(b)** Without a non-linearity the two layers collapse into one linear map, "
                     "W2 (W1 x + b1) + b2 = W x + b, so the network draws a straight line just like the "
                     "linear model and stays near chance on the rings. The ReLU is what lets the hidden layer "
                     "learn a feature such as the radius."),
        choices={"a": "about the same test accuracy as the ReLU network",
                 "b": "no better than the linear model on the raw coordinates",
                 "c": "better than the linear model, worse than the ReLU network",
                 "d": "it cannot be trained: the gradients vanish"},
        prose="Two linear layers are one linear layer."),
]
