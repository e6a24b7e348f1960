"""Exercises of notebook 01, the perceptron: the step, the trick, the training rule, the loss's
gradient, a feature that rescues XOR, and what the perceptron loss rewards.

References are the package's (:mod:`dlcourse_keras.numpy_ref.perceptron`); the two small
functions below only adapt ``Perceptron`` to the shape of an answer.
"""

import numpy as np

from ...numpy_ref.perceptron import (Perceptron, perceptron_loss_gradient, perceptron_trick_step,
                                      step)
from .compare import NotPassed
from .kinds import ChoiceExercise, FunctionExercise, TrainingExercise

# --- q1: the unit step ----------------------------------------------------------------------------


def _step_cases(rng):
    z = rng.normal(size=(3, 4))
    z[rng.random(z.shape) < 0.3] = 0.0  # exact zeros: step(0) is where answers differ
    return {"z": z}


# --- q2: the perceptron trick ---------------------------------------------------------------------


def _trick_cases(rng):
    return {"coefs": rng.normal(size=3), "point": rng.normal(scale=2.0, size=2),
            "label": int(rng.choice([1, 0])), "learning_rate": float(rng.choice([0.01, 0.1, 0.5]))}


def _trick_always_moves(coefs, point, label, learning_rate):
    p = np.append(point, 1.0)
    return coefs + learning_rate * p if label == 1 else coefs - learning_rate * p


# --- q3: the training rule ------------------------------------------------------------------------


def train_perceptron(x, y, learning_rate, epochs):
    """The weights and bias that ``Perceptron`` learns from zero in at most ``epochs`` epochs."""
    fitted = Perceptron(learning_rate=learning_rate, max_epochs=epochs).fit(x, y)
    return fitted.weights_, fitted.bias_


def _training_cases(rng):
    n, d = int(rng.integers(6, 11)), int(rng.integers(2, 4))
    x = rng.integers(-2, 3, size=(n, d)).astype(float)  # small integers: every score is exact
    if rng.random() < 0.7:  # mostly separable data, sometimes random labels
        y = (x @ rng.integers(-2, 3, size=d) + int(rng.integers(-1, 2)) > 0).astype(int)
    else:
        y = rng.integers(0, 2, size=n)
    return {"x": x, "y": y, "learning_rate": float(rng.choice([0.25, 0.5, 1.0])),
            "epochs": int(rng.integers(1, 7))}


def _train_textbook_rule(x, y, learning_rate, epochs):
    # updates only when the prediction is wrong: a point ON the line (score 0, label 0) is skipped
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(epochs):
        for xi, yi in zip(x, y):
            error = yi - step(xi @ w + b)
            w, b = w + learning_rate * error * xi, b + learning_rate * error
    return w, b


def _train_strict(x, y, learning_rate, epochs):
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(epochs):
        for xi, yi in zip(x, y):
            s = 2 * yi - 1
            if s * (xi @ w + b) < 0:
                w, b = w + learning_rate * s * xi, b + learning_rate * s
    return w, b


# --- q4: the gradient of the perceptron loss ------------------------------------------------------


def _gradient_cases(rng):
    n, d = int(rng.integers(8, 13)), int(rng.integers(2, 4))
    zero = rng.random() < 0.4  # w = 0, b = 0: every point sits on the line
    return {"x": rng.normal(size=(n, d)), "y": rng.choice([-1, 1], size=n),
            "weights": np.zeros(d) if zero else rng.normal(size=d), "bias": 0.0 if zero else float(rng.normal())}


def _gradient_sum(x, y, weights, bias):
    dw, db = perceptron_loss_gradient(x, y, weights, bias)
    return dw * len(y), db * len(y)


def _gradient_on_the_line(x, y, weights, bias):
    active = (-y * (x @ weights + bias) >= 0).astype(float)
    coef = -y * active / len(y)
    return coef @ x, float(coef.sum())


# --- q5: a feature that makes XOR separable -------------------------------------------------------

XOR_EPOCHS = 100


def xor_features(x):
    """The two inputs and their product x1 * x2: XOR becomes linearly separable."""
    return np.c_[x, x[:, 0] * x[:, 1]]


def _xor_data(rng):
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    return {"x": x, "y": np.array([0, 1, 1, 0])}


def _xor_score(features, data):
    features = np.asarray(features, dtype=float)
    if features.ndim != 2 or features.shape[0] != 4:
        raise NotPassed(f"your function should return one row of features per input (4 rows); got shape "
                        f"{features.shape}.")
    fitted = Perceptron(learning_rate=0.5, max_epochs=XOR_EPOCHS).fit(features, data["y"])
    if not fitted.converged_:
        raise NotPassed(f"the perceptron still does not converge within {XOR_EPOCHS} epochs on your "
                        "features: XOR is not linearly separable in them (a sum or a square of 0/1 "
                        "inputs adds nothing a line could use).")
    return fitted.score(features, data["y"])


EXERCISES = [
    FunctionExercise(
        "The unit step", step, _step_cases,
        hints=["Compare `z` with 0 element by element; a boolean array becomes 0/1 with `.astype(int)`.",
               "The course's step is strict: `step(0)` is 0, so the test is `z > 0`."],
        prose="A strict comparison, turned into integers.",
        mistakes=[(lambda z: (np.asarray(z) >= 0).astype(int),
                   "step(0) must be 0 in this course: use `z > 0`, not `z >= 0`.")]),
    FunctionExercise(
        "The perceptron trick", perceptron_trick_step, _trick_cases,
        hints=["Write the point as `p = (x, y, 1)` and compute its score `coefs @ p`; a positive score is the "
               "positive side.",
               "Only a misclassified point moves the line: a positive point (label 1) with score <= 0 adds "
               "`learning_rate * p`, a negative point with score > 0 subtracts it; otherwise return the line "
               "unchanged."],
        prose="Score the point; move the line only when the point is on the wrong side.",
        mistakes=[(_trick_always_moves,
                   "a correctly classified point must leave the line unchanged: move the line only when the "
                   "point is on the wrong side (the notes' worked example makes this slip).")],
        perturb={"label": lambda label, rng: 1 - label}),
    FunctionExercise(
        "Train a perceptron", train_perceptron, _training_cases,
        hints=["Start from `w = np.zeros(x.shape[1])`, `b = 0.0`; visit the samples in order, `epochs` times.",
               "Write the label as a sign `s = 2 * y_i - 1`; a sample is a mistake when `s * (x_i @ w + b) <= 0`.",
               "On a mistake: `w = w + learning_rate * s * x_i` and `b = b + learning_rate * s`. You may stop "
               "early after an epoch without mistakes (nothing would change anyway)."],
        prose="The update rule of `Perceptron.fit`, which the reference calls.",
        output_names=("weights", "bias"),
        mistakes=[(_train_textbook_rule,
                   "a point exactly on the line (score 0) is a mistake too: update whenever "
                   "`s * (w @ x_i + b) <= 0`, not only when the prediction is wrong."),
                  (_train_strict,
                   "with `< 0` nothing ever moves from zero weights: a score of exactly 0 counts as a mistake "
                   "(`<= 0`).")],
        perturb={"y": lambda y, rng: 1 - y, "epochs": lambda epochs, rng: epochs + 3},
        solution_objects=(train_perceptron, Perceptron.fit)),
    FunctionExercise(
        "Gradient of the perceptron loss", perceptron_loss_gradient, _gradient_cases,
        hints=["Per sample, the loss `max(0, -y_i f(x_i))` has gradient `-y_i x_i` (and `-y_i` for the bias) when "
               "`-y_i f(x_i) > 0`, else 0.",
               "The loss is a mean: average the per-sample terms over all n samples (zeros included). A point "
               "exactly on the line (`f(x_i) = 0`) contributes 0."],
        prose="Mask the misclassified samples, then average -y x over all samples.",
        output_names=("dL/dw", "dL/db"),
        mistakes=[(_gradient_sum, "the loss is the mean over the n samples: divide the summed gradient by n."),
                  (_gradient_on_the_line, "a point exactly on the line (score 0) has gradient 0 here: use "
                                          "`-y * f > 0`, not `>= 0`.")],
        perturb={"y": lambda y, rng: -y}),
    TrainingExercise(
        "Rescue XOR with a feature", xor_features, _xor_data, _xor_score, threshold=1.0,
        hints=["XOR is 1 when exactly one input is 1; which product of the inputs is 1 only for (1, 1)?",
               "Return `np.c_[x, something]`: the two inputs plus one new column built from both."],
        metric="the perceptron's training accuracy on your features", budget=f"{XOR_EPOCHS} epochs",
        answer_keys=("x",),
        prose="In three dimensions (x1, x2, x1 x2) a plane separates XOR, e.g. x1 + x2 - 2 x1 x2 - 0.5 > 0."),
    ChoiceExercise(
        "What the perceptron loss rewards", "01-perceptron-loss-minimum",
        "ddfa3f1d152856d622f36a92857a762c3b91cc5f34c7b0abd9863b087cf92bbc",
        hints=["Compute the loss of `w = 0`, `b = 0`: what is every score f(x_i)?",
               "The loss can never be negative."],
        explanation=("**(b)** With `w = 0` and `b = 0` every score is 0, so every term `max(0, -y f)` is 0: the "
                     "useless all-zero line is a global minimum of the perceptron loss on any data set. Training "
                     "works only because it starts elsewhere and stops once nothing is misclassified. The hinge "
                     "loss `max(0, 1 - y f)` charges that line 1 per point, so its minima have a margin."),
        choices={"a": "the line with the widest margin",
                 "b": "w = 0, b = 0 (every point on the line)",
                 "c": "the least-squares line",
                 "d": "none: the minimum depends on the data"},
        prose="A line whose every score is 0 is never 'wrong' by this loss."),
    ChoiceExercise(
        "Does the learning rate matter?", "01-learning-rate-scale",
        "412050844c19c17ae94d8d6611411b8341876ee581000c0afeda7aede65684f1",
        hints=["From zero weights, every update adds `learning_rate * s * x_i`: what do all weights have in common?",
               "Multiplying w and b by the same positive number does not change the sign of w . x + b."],
        explanation=("**(b)** From zero weights every update is a multiple of the learning rate, so the weights "
                     "and bias trained with 0.125 are those trained with 1, divided by 8. Scaling (w, b) by a "
                     "positive number keeps the sign of every score, so every decision, every update and the "
                     "number of epochs are identical. (With rates like 0.1, rounding can make a score that "
                     "should be exactly 0 come out as 1e-17 and flip a decision: the maths is scale-free, "
                     "floating point is not; binary fractions such as 0.125 are exact.)"),
        choices={"a": "fewer epochs with 0.125; the same weights",
                 "b": "the same epochs and decisions; weights 8 times smaller",
                 "c": "more epochs with 0.125; weights 8 times smaller",
                 "d": "nothing: the same epochs and the same weights"},
        prose="From zero weights the learning rate only scales (w, b)."),
]
