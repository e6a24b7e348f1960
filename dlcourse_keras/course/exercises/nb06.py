"""Exercises of notebook 06, regularization: inverted dropout and its variance, an L2 penalty as
weight decay, what L2 does under Adam, Keras's early-stopping rule and a batch-norm training step.

References are the package's and Keras's own: ``InvertedDropout`` (mirrored in NumPy below,
with the uniform draws passed in so that a check is repeatable), ``keras.optimizers.SGD``,
``keras.callbacks.EarlyStopping`` and ``TeachingBatchNorm``, each called at check time. The
dropout variance is the notebook's derivation, written once here.
"""

import types

import numpy as np

from ...layers.batch_norm import TeachingBatchNorm
from ...layers.dropout import InvertedDropout
from .kinds import ChoiceExercise, FunctionExercise

# --- q1: inverted dropout ---------------------------------------------------------------------


def inverted_dropout(x, draws, rate, training):
    """``InvertedDropout.call`` in NumPy, given its uniform draws in [0, 1): keep where draws < 1 - rate."""
    if not training or rate == 0.0:
        return np.array(x, dtype=float)
    keep_prob = 1.0 - rate
    return x * (draws < keep_prob) / keep_prob


def _dropout_cases(rng):
    shape = (int(rng.integers(3, 7)), int(rng.integers(4, 9)))
    return {"x": rng.normal(size=shape), "draws": rng.random(shape),
            "rate": float(rng.choice([0.2, 0.25, 0.4, 0.5, 0.6, 0.8])), "training": bool(rng.random() < 0.7)}


def _other_rate(rate, rng):
    return float(rng.choice([r for r in (0.1, 0.3, 0.7, 0.9) if r != rate]))


def _dropout_no_rescale(x, draws, rate, training):
    return x * (draws < 1 - rate) if training else np.array(x, dtype=float)


def _dropout_keeps_rate(x, draws, rate, training):
    return x * (draws < rate) / (1 - rate) if training else np.array(x, dtype=float)


def _dropout_divides_by_rate(x, draws, rate, training):
    return x * (draws < 1 - rate) / rate if training else np.array(x, dtype=float)


# --- q2: the variance inverted dropout adds ---------------------------------------------------


def inverted_dropout_variance(x, rate):
    """Var(y) for y = x m / (1 - rate), m ~ Bernoulli(1 - rate): E[y^2] - x^2 = x^2 rate / (1 - rate)."""
    return np.asarray(x, dtype=float) ** 2 * rate / (1.0 - rate)


def _variance_cases(rng):
    return {"x": rng.normal(scale=2.0, size=int(rng.integers(3, 8))),
            "rate": float(rng.choice([0.1, 0.2, 0.3, 0.5, 0.6, 0.75, 0.9]))}


# --- q3: one SGD step with an L2 penalty ------------------------------------------------------


def keras_sgd_step_with_l2(w, grad, learning_rate, l2):
    """One step of ``keras.optimizers.SGD`` on the data loss plus Keras's ``L2(l2)`` penalty, l2 * sum(w^2).

    The penalty's gradient 2 l2 w is applied as Keras's ``weight_decay=2 * l2``, which for
    plain SGD is the same step (notebook 06, section 2).
    """
    import keras

    variable = keras.Variable(np.array(w, dtype="float64"), dtype="float64")
    optimizer = keras.optimizers.SGD(learning_rate, weight_decay=2 * l2)
    optimizer.apply_gradients([(keras.ops.convert_to_tensor(np.asarray(grad, dtype="float64")), variable)])
    return keras.ops.convert_to_numpy(variable)


def _sgd_cases(rng):
    shape = (int(rng.integers(2, 5)), int(rng.integers(2, 5)))
    return {"w": rng.normal(size=shape), "grad": rng.normal(size=shape),
            "learning_rate": float(rng.choice([0.05, 0.1, 0.25, 0.5])),
            "l2": float(rng.choice([0.01, 0.05, 0.1, 0.2]))}


def _sgd_penalty_without_two(w, grad, learning_rate, l2):
    return w - learning_rate * (grad + l2 * w)


def _sgd_notes_factor(w, grad, learning_rate, l2):
    return (1 - learning_rate / l2) * w - learning_rate * grad


# --- q5: Keras's early-stopping rule ----------------------------------------------------------


def keras_early_stopping(val_losses, patience, min_delta):
    """(epochs run, best epoch), both 1-based, when ``keras.callbacks.EarlyStopping`` watches ``val_losses``.

    The callback itself decides: it is fed one epoch's logs at a time, as ``fit`` would, and
    training ends when it sets ``stop_training``.
    """
    import keras

    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta,
                                            mode="min")
    trainer = types.SimpleNamespace(stop_training=False)  # all the callback touches of a model
    stopper.set_model(trainer)
    stopper.on_train_begin()
    epochs = 0
    for epoch, value in enumerate(val_losses):
        stopper.on_epoch_end(epoch, {"val_loss": float(value)})
        epochs = epoch + 1
        if trainer.stop_training:
            break
    return epochs, stopper.best_epoch + 1


def _curve_cases(rng):
    n = int(rng.integers(10, 19))
    bottom = int(rng.integers(3, n - 3))
    t = np.arange(n)
    curve = 0.4 + 0.6 * np.exp(-t / 2.5) + 0.02 * np.maximum(t - bottom, 0) ** 1.3
    curve += rng.normal(scale=float(rng.choice([0.005, 0.02])), size=n)  # wiggles around the bottom
    return {"val_losses": np.round(curve, 3), "patience": int(rng.integers(1, 5)),
            "min_delta": float(rng.choice([0.0, 0.0, 0.01, 0.03]))}


def _more_patience(patience, rng):
    return patience + int(rng.integers(2, 5))


def _stop_ignoring_min_delta(val_losses, patience, min_delta):
    return keras_early_stopping(val_losses, patience, 0.0)


def _stop_one_epoch_late(val_losses, patience, min_delta):
    epochs, best = keras_early_stopping(val_losses, patience + 1, min_delta)
    return epochs, best


# --- q6: a batch-normalization training step --------------------------------------------------


def batch_norm_training_step(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon):
    """(y, new moving mean, new moving variance) of ``TeachingBatchNorm`` called with ``training=True``."""
    import keras

    layer = TeachingBatchNorm(momentum=momentum, epsilon=epsilon, dtype="float64")
    layer.build(np.shape(x))
    for variable, value in ((layer.gamma, gamma), (layer.beta, beta), (layer.moving_mean, moving_mean),
                            (layer.moving_variance, moving_variance)):
        variable.assign(np.asarray(value, dtype="float64"))
    y = keras.ops.convert_to_numpy(layer(np.asarray(x, dtype="float64"), training=True))
    return y, keras.ops.convert_to_numpy(layer.moving_mean), keras.ops.convert_to_numpy(layer.moving_variance)


def _batch_norm_cases(rng):
    m, d = int(rng.integers(4, 9)), int(rng.integers(2, 5))
    return {"x": rng.normal(loc=rng.normal(scale=3.0, size=d), scale=rng.uniform(0.5, 3.0, size=d), size=(m, d)),
            "gamma": rng.uniform(0.5, 2.0, size=d), "beta": rng.normal(size=d),
            "moving_mean": rng.normal(size=d), "moving_variance": rng.uniform(0.5, 2.0, size=d),
            "momentum": float(rng.choice([0.8, 0.9, 0.99])), "epsilon": float(rng.choice([1e-3, 0.01, 0.1]))}


def _other_momentum(momentum, rng):
    return 0.5 if momentum != 0.5 else 0.7


def _bn_unbiased_variance(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon):
    mu, var = x.mean(axis=0), x.var(axis=0, ddof=1)
    y = gamma * (x - mu) / np.sqrt(var + epsilon) + beta
    return y, momentum * moving_mean + (1 - momentum) * mu, momentum * moving_variance + (1 - momentum) * var


def _bn_epsilon_outside(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon):
    mu, var = x.mean(axis=0), x.var(axis=0)
    y = gamma * (x - mu) / (np.sqrt(var) + epsilon) + beta
    return y, momentum * moving_mean + (1 - momentum) * mu, momentum * moving_variance + (1 - momentum) * var


def _bn_momentum_swapped(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon):
    mu, var = x.mean(axis=0), x.var(axis=0)
    y = gamma * (x - mu) / np.sqrt(var + epsilon) + beta
    return y, (1 - momentum) * moving_mean + momentum * mu, (1 - momentum) * moving_variance + momentum * var


EXERCISES = [
    FunctionExercise(
        "Inverted dropout", inverted_dropout, _dropout_cases,
        hints=["In training, an entry survives when its draw is below the keep probability `1 - rate`; "
               "at inference (`training=False`) the input passes through unchanged.",
               "Multiply `x` by the 0/1 mask `draws < 1 - rate` and divide by `1 - rate`, so that the "
               "expected output equals `x`."],
        prose="Keep where the draw is below 1 - rate, divide the survivors by 1 - rate; identity at inference.",
        mistakes=[(_dropout_no_rescale, "the kept entries must be divided by `1 - rate` (the keep probability), "
                                        "or the expected output shrinks in training."),
                  (_dropout_keeps_rate, "`rate` is the probability of DROPPING an entry: keep it when "
                                        "`draws < 1 - rate`."),
                  (_dropout_divides_by_rate, "divide by the keep probability `1 - rate`, not by `rate`.")],
        perturb={"rate": _other_rate, "training": lambda training, rng: not training},
        solution_objects=(inverted_dropout, InvertedDropout.call)),
    FunctionExercise(
        "The variance dropout adds", inverted_dropout_variance, _variance_cases,
        hints=["The mask is 0 or 1, so m^2 = m and E[m] = 1 - rate.",
               "E[y^2] = x^2 E[m] / (1 - rate)^2 = x^2 / (1 - rate); subtract E[y]^2 = x^2."],
        prose="Var(y) = E[y^2] - E[y]^2 = x^2 / (1 - rate) - x^2 = x^2 rate / (1 - rate).",
        mistakes=[(lambda x, rate: x ** 2 * (1 - rate) / rate, "the ratio is upside down: more dropout must mean "
                                                              "more variance."),
                  (lambda x, rate: x ** 2 / (1 - rate), "that is E[y^2]; the variance subtracts E[y]^2 = x^2."),
                  (lambda x, rate: x * rate / (1 - rate), "the variance grows with the SQUARE of x.")],
        perturb={"rate": _other_rate}),
    FunctionExercise(
        "An L2 penalty is weight decay", keras_sgd_step_with_l2, _sgd_cases,
        hints=["Keras's `keras.regularizers.L2(l2)` adds `l2 * sum(w**2)` to the loss; differentiate it.",
               "The step is `w - learning_rate * (grad + 2 * l2 * w)`, i.e. `(1 - 2 * learning_rate * l2) * w "
               "- learning_rate * grad`."],
        prose="The penalty's gradient is 2 l2 w, so every SGD step first shrinks w by the factor 1 - 2 lr l2.",
        mistakes=[(_sgd_penalty_without_two, "the derivative of `l2 * w**2` is `2 * l2 * w`: a factor 2 is missing."),
                  (_sgd_notes_factor, "that is the notes' slip (a factor 1 - lr / lambda): the penalty's derivative "
                                      "multiplies, it does not divide (see the erratum of section 2).")],
        perturb={"learning_rate": lambda lr, rng: lr / 2, "l2": lambda l2, rng: 3 * l2},
        solution_objects=(keras_sgd_step_with_l2,)),
    ChoiceExercise(
        "L2 under Adam", "06-adam-l2-scale", "10744e6a87337d9db4c5ee12a53b6d50926cf0bad8061507afa41c15bf28049b",
        hints=["Adam divides its first-moment estimate by the root of its second: what is m_hat / sqrt(v_hat) "
               "when every gradient is the same number g?",
               "Multiplying every gradient by 100 multiplies m by 100 and v by 100^2."],
        explanation=("**(b)** With a gradient g = 2 l2 w that barely changes, m_hat / sqrt(v_hat) is about "
                     "g / |g| = 1, so each Adam step moves w by about the learning rate *whatever l2 is*: "
                     "ten steps move it by about 10 x 0.01 = 0.1 for both strengths. Only the sign of the "
                     "penalty survives Adam's normalisation. `AdamW` (decoupled weight decay) shrinks w by "
                     "lr x decay x w per step, outside the normalisation, so its effect does grow 100-fold: "
                     "that is the behaviour the words \"weight decay\" promise."),
        choices={"a": "about 100 times farther with l2 = 1e-2 than with l2 = 1e-4",
                 "b": "about the same distance for both, roughly 10 x the learning rate",
                 "c": "about 10 times farther (the square root of 100)",
                 "d": "not at all: Adam ignores the penalty's gradient"},
        prose="Adam normalises the penalty's gradient away; AdamW does not."),
    FunctionExercise(
        "Keras's early-stopping rule", keras_early_stopping, _curve_cases,
        hints=["Walk through the epochs keeping the best loss so far and a counter of epochs since it; an epoch "
               "improves only if `loss < best - min_delta`, and then resets the counter to 0.",
               "After an epoch that does not improve, add 1 to the counter; stop as soon as it reaches "
               "`patience`. Return (epochs run, best epoch), counting epochs from 1. The first epoch always "
               "sets the best."],
        prose="Keras's EarlyStopping, fed the losses one epoch at a time: stop once `patience` epochs in a row "
              "fail to beat the best by more than `min_delta`.",
        output_names=("epochs run", "best epoch"),
        mistakes=[(_stop_ignoring_min_delta, "an epoch counts as an improvement only when it beats the best by "
                                             "MORE than `min_delta`."),
                  (_stop_one_epoch_late, "stop as soon as `patience` epochs in a row have not improved: the "
                                         "counter reaching `patience` ends training at that epoch.")],
        perturb={"patience": _more_patience,
                 "min_delta": lambda d, rng: d + 0.05},
        solution_objects=(keras_early_stopping,)),
    FunctionExercise(
        "A batch-norm training step", batch_norm_training_step, _batch_norm_cases,
        hints=["Per feature (column), over the batch (axis 0): `mu = x.mean(axis=0)`, `var = x.var(axis=0)` "
               "(the biased variance, dividing by m).",
               "`y = gamma * (x - mu) / np.sqrt(var + epsilon) + beta`; then "
               "`momentum * moving_mean + (1 - momentum) * mu`, and the same for the variance."],
        prose="Normalise with the batch's statistics, scale and shift; blend the batch statistics into the "
              "moving averages with weight 1 - momentum.",
        output_names=("y", "moving_mean", "moving_variance"),
        mistakes=[(_bn_unbiased_variance, "batch norm uses the biased variance of the batch (divide by m, "
                                          "`ddof=0`, NumPy's default), not the unbiased one."),
                  (_bn_epsilon_outside, "epsilon goes inside the square root: `np.sqrt(var + epsilon)` (as in "
                                        "Keras and the original paper)."),
                  (_bn_momentum_swapped, "the momentum weights the OLD moving statistics: "
                                         "`momentum * moving_mean + (1 - momentum) * mu`.")],
        perturb={"momentum": _other_momentum, "epsilon": lambda eps, rng: 0.5},
        rtol=1e-6, atol=1e-9,
        solution_objects=(batch_norm_training_step, TeachingBatchNorm.call)),
]
