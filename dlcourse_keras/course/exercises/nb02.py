"""Exercises of notebook 02, gradient descent and losses: a step on the intercept, the largest
stable learning rate, one epoch of mini-batch gradient descent, the Huber loss, binary
cross-entropy as Keras computes it, and what Huber becomes for a huge delta.

References are the package's (:mod:`dlcourse_keras.numpy_ref.gradient_descent` and
:mod:`dlcourse_keras.numpy_ref.losses`); the two small functions below only adapt
``intercept_descent`` and ``gradient_descent`` to the shape of an answer.
"""

import numpy as np

from ...numpy_ref import gradient_descent as gd
from ...numpy_ref import losses as L
from .kinds import ChoiceExercise, FunctionExercise

# --- q1: one gradient-descent step on the intercept -----------------------------------------------


def intercept_step(intercept, x, y, slope, learning_rate):
    """The intercept after one step of ``gd.intercept_descent`` (slope fixed)."""
    return gd.intercept_descent(x, y, slope, learning_rate=learning_rate, intercept=intercept,
                                steps=1)[0].new_intercept


def _intercept_cases(rng):
    n = int(rng.integers(3, 9))
    x = rng.uniform(0.0, 3.0, size=n)
    slope = float(rng.uniform(0.2, 1.2))
    y = 0.9 + slope * x + rng.normal(scale=0.4, size=n)
    return {"intercept": float(rng.normal()), "x": x, "y": y, "slope": slope,
            "learning_rate": float(rng.choice([0.01, 0.05, 0.1]))}


def _step_uphill(intercept, x, y, slope, learning_rate):
    return intercept + learning_rate * float(gd.ssr_derivative(intercept, x, y, slope))


def _step_no_two(intercept, x, y, slope, learning_rate):
    return intercept - learning_rate * float(-np.sum(y - (intercept + slope * x)))


def _step_notes_misprint(intercept, x, y, slope, learning_rate):
    # the notes' line -2[1.4 (I + 0.64 x 0.5)] ...: a product where a difference belongs
    return intercept - learning_rate * float(-2 * np.sum(y * (intercept + slope * x)))


# --- q3: one epoch of mini-batch gradient descent -------------------------------------------------


def minibatch_epoch(w, b, x, y, learning_rate, batch_size):
    """``(w, b)`` after one epoch of ``gd.gradient_descent`` on the MSE, mini-batches in order."""
    history = gd.gradient_descent(x, y, "minibatch", learning_rate=learning_rate, epochs=1,
                                  batch_size=batch_size, w0=w, b0=b, shuffle=False)
    w_new, b_new = history.params[-1]
    return float(w_new), float(b_new)


def _minibatch_cases(rng):
    n = int(rng.integers(9, 21))
    batch_size = int(rng.integers(2, 6))
    if n % batch_size == 0:  # keep a smaller last batch: it is where answers go wrong
        n += 1
    x = rng.uniform(-2.0, 2.0, size=n)
    y = 3.0 * x - 2.0 + rng.normal(scale=0.5, size=n)
    return {"w": float(rng.normal()), "b": float(rng.normal()), "x": x, "y": y,
            "learning_rate": float(rng.choice([0.05, 0.1, 0.2])), "batch_size": batch_size}


def _mse_batch_grad(w, b, xb, yb, divide_by):
    e = w * xb + b - yb
    return 2 * np.sum(e * xb) / divide_by, 2 * np.sum(e) / divide_by


def _epoch_with(w, b, x, y, learning_rate, batch_size, drop_last=False, divide="batch"):
    n = len(x)
    for start in range(0, n, batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        if drop_last and len(xb) < batch_size:
            break
        divide_by = {"batch": len(xb), "n": n, "none": 1}[divide]
        gw, gb = _mse_batch_grad(w, b, xb, yb, divide_by)
        w, b = w - learning_rate * gw, b - learning_rate * gb
    return w, b


def _epoch_drop_last(w, b, x, y, learning_rate, batch_size):
    return _epoch_with(w, b, x, y, learning_rate, batch_size, drop_last=True)


def _epoch_divide_by_n(w, b, x, y, learning_rate, batch_size):
    return _epoch_with(w, b, x, y, learning_rate, batch_size, divide="n")


def _epoch_sum(w, b, x, y, learning_rate, batch_size):
    return _epoch_with(w, b, x, y, learning_rate, batch_size, divide="none")


def _epoch_one_full_batch(w, b, x, y, learning_rate, batch_size):
    return _epoch_with(w, b, x, y, learning_rate, len(x))


# --- q4: the Huber loss ---------------------------------------------------------------------------


def _huber_cases(rng):
    shape = (int(rng.integers(3, 7)), int(rng.integers(2, 5)))
    y_true = rng.normal(size=shape)
    y_pred = y_true + rng.normal(scale=2.0, size=shape)  # errors on both sides of delta
    return {"y_true": y_true, "y_pred": y_pred, "delta": float(rng.uniform(0.5, 2.0))}


def _huber_full_square(y_true, y_pred, delta):
    e = np.abs(y_pred - y_true)
    return np.mean(np.where(e <= delta, e ** 2, delta * (e - 0.5 * delta)), axis=-1)


def _huber_no_offset(y_true, y_pred, delta):
    e = np.abs(y_pred - y_true)
    return np.mean(np.where(e <= delta, 0.5 * e ** 2, delta * e), axis=-1)


# --- q5: binary cross-entropy as Keras computes it ------------------------------------------------


def _bce_cases(rng):
    shape = (int(rng.integers(4, 8)), int(rng.integers(1, 4)))
    y_true = rng.integers(0, 2, size=shape).astype(float)
    y_pred = rng.uniform(0.02, 0.98, size=shape)
    hard = rng.random(shape) < 0.3  # some certain predictions, right or wrong: log(0) waits there
    y_pred[hard] = rng.integers(0, 2, size=int(hard.sum())).astype(float)
    return {"y_true": y_true, "y_pred": y_pred}


def _bce_unclipped(y_true, y_pred):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.mean(-(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)), axis=-1)


def _bce_tiny_epsilon(y_true, y_pred):
    p = np.clip(y_pred, 1e-15, 1 - 1e-15)
    return np.mean(-(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)), axis=-1)


EXERCISES = [
    FunctionExercise(
        "One gradient-descent step on the intercept", intercept_step, _intercept_cases,
        hints=["First the derivative of the SSR at the current intercept: "
               "`-2 * np.sum(y - (intercept + slope * x))` (observed minus predicted, summed).",
               "Then move against it: `intercept - learning_rate * derivative`."],
        prose="Evaluate dSSR/dI at the current intercept and step against it.",
        mistakes=[(_step_uphill, "the step goes uphill: gradient descent subtracts learning_rate x derivative."),
                  (_step_no_two, "the derivative of a square brings down a factor 2: dSSR/dI = -2 sum(...)."),
                  (_step_notes_misprint, "each residual is observed minus predicted, y_i - (I + slope x_i), a "
                                         "difference (the notes' misprint writes a product).")]),
    ChoiceExercise(
        "The largest stable learning rate", "02-largest-stable-learning-rate",
        "16bb234f997914f0140531ce6c596fdc875982d431eab5fb0f94ad2c748e5493",
        hints=["Each step multiplies the distance to the least-squares intercept by the same factor. Which? "
               "(The SSR's second derivative is 2n = 6.)",
               "The distance shrinks as long as |1 - 6 lr| < 1. Answer with a number, e.g. `1/3` or `0.5`; it is "
               "compared rounded to 3 decimals."],
        explanation=("**1/3.** The SSR is a parabola in the intercept with second derivative 2n = 6, so one step "
                     "multiplies the distance to the optimum by 1 - 6 lr. It shrinks while |1 - 6 lr| < 1, i.e. "
                     "0 < lr < 1/3; between 1/6 and 1/3 the intercept overshoots and oscillates but still "
                     "converges, above 1/3 every overshoot is larger than the last (the notebook's 0.35 run)."),
        digits=3,
        prose="The factor 1 - 6 lr must stay between -1 and 1."),
    FunctionExercise(
        "One epoch of mini-batch gradient descent", minibatch_epoch, _minibatch_cases,
        hints=["Walk through the examples in order, `batch_size` at a time: `x[start:start + batch_size]` for "
               "`start` in `range(0, len(x), batch_size)`; the last batch may be smaller.",
               "On each batch the MSE's gradient is `dw = 2 * mean(e * xb)`, `db = 2 * mean(e)` with "
               "`e = w * xb + b - yb` (the mean over that batch), then `w -= learning_rate * dw` (and b).",
               "Return `(w, b)` after the last batch: one update per batch, not one per epoch."],
        prose="One update per mini-batch, each with the mean gradient over that batch.",
        output_names=("w", "b"),
        mistakes=[(_epoch_drop_last, "the last, smaller batch is part of the epoch too: an epoch visits every "
                                     "example once."),
                  (_epoch_one_full_batch, "that is one batch update for the whole epoch: mini-batch GD updates "
                                          "once per batch of `batch_size` examples."),
                  (_epoch_divide_by_n, "average each batch's gradient over that batch (its length), not over all "
                                       "n examples."),
                  (_epoch_sum, "the cost is a mean: divide each batch's summed gradient by the batch's length.")],
        perturb={"batch_size": lambda size, rng: size + 1}),
    FunctionExercise(
        "The Huber loss", L.huber, _huber_cases,
        hints=["With `e = y_pred - y_true`: `0.5 * e**2` where `abs(e) <= delta`, else "
               "`delta * (abs(e) - 0.5 * delta)`; `np.where` picks per entry.",
               "One value per sample: the mean over the last axis, `np.mean(..., axis=-1)`, as Keras."],
        prose="Quadratic near zero, linear beyond delta, averaged over the last axis.",
        mistakes=[(_huber_full_square, "the quadratic part is e^2 / 2, not e^2 (then the two pieces meet "
                                       "smoothly at |e| = delta)."),
                  (_huber_no_offset, "the linear part is delta (|e| - delta / 2): without the offset the two "
                                     "pieces do not meet at |e| = delta.")]),
    FunctionExercise(
        "Binary cross-entropy as Keras computes it", L.binary_crossentropy, _bce_cases,
        hints=["Clip the probabilities first: `p = np.clip(y_pred, eps, 1 - eps)` with `eps = 1e-7` "
               "(`L.EPSILON`, Keras's `keras.config.epsilon()`).",
               "Then `-(y_true * log(p) + (1 - y_true) * log(1 - p))`, averaged over the last axis."],
        prose="Clip to [1e-7, 1 - 1e-7], take the two log terms, average over the last axis.",
        mistakes=[(_bce_unclipped, "a prediction of exactly 0 or 1 makes log(0) = -inf (and 0 x -inf is NaN): "
                                   "clip y_pred to [1e-7, 1 - 1e-7] first, as Keras does."),
                  (_bce_tiny_epsilon, "clip with Keras's epsilon, 1e-7 (`L.EPSILON`): a smaller epsilon gives a "
                                      "different (much larger) loss for a confident mistake.")]),
    ChoiceExercise(
        "Huber with a huge delta", "02-huber-huge-delta",
        "fc751921c44d4429b166ce55a4e67811565e1454d0f9fe71aaaa78692d22bad2",
        hints=["If delta is larger than every error, which branch of the Huber formula is used?",
               "Compare that branch with the MSE's e^2 term by term."],
        explanation=("**(b)** When delta exceeds every |e|, every term is in the quadratic zone, e^2 / 2: Huber "
                     "is half the MSE, with the same minimum (the notebook's delta = 100 fit has the least-squares "
                     "slope). For a tiny delta every error is in the linear zone, delta (|e| - delta/2), which is "
                     "about delta x MAE: Huber then behaves like the robust MAE."),
        choices={"a": "the MSE (the mean of e^2)",
                 "b": "half the MSE (the mean of e^2 / 2)",
                 "c": "the MAE (the mean of |e|)",
                 "d": "delta times the MAE"},
        prose="Every error falls in the quadratic zone."),
]
