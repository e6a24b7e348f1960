"""Exercises of notebook 07, optimizers: the bias-corrected EWMA, momentum and Adam run over a
sequence of gradients, a warmup-then-cosine learning-rate schedule, clipping by the global norm,
and what Adam does when the loss is rescaled.

References are the package's: :func:`~dlcourse_keras.numpy_ref.ewma.ewma`, the NumPy optimizers
of :mod:`dlcourse_keras.numpy_ref.optimizers` (tested equal to Keras's step for step) and
:class:`~dlcourse_keras.schedules.LinearWarmup` in front of Keras's ``CosineDecay``; the small
functions below only run them over a whole sequence.
"""

import numpy as np

from ...numpy_ref.ewma import ewma
from ...numpy_ref.optimizers import SGD, Adam, Momentum, Nesterov, clip_by_global_norm, clip_by_norm
from ...schedules import LinearWarmup
from .kinds import ChoiceExercise, FunctionExercise

# --- q1: the exponentially weighted moving average --------------------------------------------


def _ewma_cases(rng):
    return {"values": np.round(rng.normal(20.0, 8.0, size=int(rng.integers(4, 11))), 1),
            "beta": float(rng.choice([0.5, 0.8, 0.9, 0.95])), "bias_correction": bool(rng.random() < 0.6)}


def _ewma_swapped_weights(values, beta, bias_correction):
    v, out = 0.0, []
    for t, theta in enumerate(values, start=1):
        v = (1 - beta) * v + beta * theta
        out.append(v / (1 - (1 - beta) ** t) if bias_correction else v)
    return np.array(out)


def _ewma_correction_off_by_one(values, beta, bias_correction):
    plain = ewma(values, beta)
    return plain / (1 - beta ** (np.arange(len(values)) + 2)) if bias_correction else plain


def _ewma_first_start(values, beta, bias_correction):
    return ewma(values, beta, initial="first")


# --- q2 and q3: momentum and Adam over a sequence of gradients ------------------------------------


def momentum_descent(w0, grads, learning_rate, momentum):
    """The weights after ``npo.Momentum(learning_rate, momentum)`` has applied every gradient of ``grads``."""
    optimizer = Momentum(learning_rate, momentum)
    w = np.array(w0, dtype=float)
    for g in grads:
        optimizer.step(w, np.asarray(g, dtype=float))
    return w


def adam_descent(w0, grads, learning_rate, beta_1, beta_2, epsilon):
    """The weights after ``npo.Adam(learning_rate, beta_1, beta_2, epsilon)`` has applied every gradient."""
    optimizer = Adam(learning_rate, beta_1, beta_2, epsilon)
    w = np.array(w0, dtype=float)
    for g in grads:
        optimizer.step(w, np.asarray(g, dtype=float))
    return w


def _gradient_sequence(rng, steps, size):
    # |g| >= 0.2: Adam's epsilon (1e-7) then cannot tell its textbook and Keras forms apart
    return rng.choice([-1.0, 1.0], size=(steps, size)) * (0.2 + np.abs(rng.normal(size=(steps, size))))


def _momentum_cases(rng):
    size = int(rng.integers(2, 5))
    return {"w0": rng.normal(size=size), "grads": _gradient_sequence(rng, int(rng.integers(3, 9)), size),
            "learning_rate": float(rng.choice([0.01, 0.05, 0.1])), "momentum": float(rng.choice([0.5, 0.8, 0.9]))}


def _momentum_ewma_form(w0, grads, learning_rate, momentum):
    w, v = np.array(w0, dtype=float), np.zeros(np.shape(w0))
    for g in grads:
        v = momentum * v + (1 - momentum) * g
        w = w - learning_rate * v
    return w


def _momentum_nesterov(w0, grads, learning_rate, momentum):
    optimizer = Nesterov(learning_rate, momentum)
    w = np.array(w0, dtype=float)
    for g in grads:
        optimizer.step(w, np.asarray(g, dtype=float))
    return w


def _adam_cases(rng):
    size = int(rng.integers(2, 5))
    return {"w0": rng.normal(size=size), "grads": _gradient_sequence(rng, int(rng.integers(3, 9)), size),
            "learning_rate": float(rng.choice([0.001, 0.01, 0.1])), "beta_1": float(rng.choice([0.8, 0.9])),
            "beta_2": float(rng.choice([0.99, 0.999])), "epsilon": 1e-7}


def _adam_without_correction(w0, grads, learning_rate, beta_1, beta_2, epsilon):
    w, m, v = np.array(w0, dtype=float), np.zeros(np.shape(w0)), np.zeros(np.shape(w0))
    for g in grads:
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g ** 2
        w = w - learning_rate * m / (np.sqrt(v) + epsilon)
    return w


def _adam_without_root(w0, grads, learning_rate, beta_1, beta_2, epsilon):
    w, m, v = np.array(w0, dtype=float), np.zeros(np.shape(w0)), np.zeros(np.shape(w0))
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g ** 2
        w = w - learning_rate * (m / (1 - beta_1 ** t)) / (v / (1 - beta_2 ** t) + epsilon)
    return w


# --- q4: warmup, then a cosine decay ------------------------------------------------------------


def warmup_then_cosine(steps, warmup_steps, peak_lr, decay_steps):
    """The learning rate at each of ``steps`` of ``LinearWarmup(warmup_steps, CosineDecay(peak_lr, decay_steps))``."""
    import keras

    schedule = LinearWarmup(warmup_steps, keras.optimizers.schedules.CosineDecay(peak_lr, decay_steps))
    return keras.ops.convert_to_numpy(schedule(np.asarray(steps))).astype(float)


def _schedule_cases(rng):
    warmup, decay = int(rng.integers(4, 40)), int(rng.integers(20, 200))
    picks = rng.integers(0, warmup + decay + 30, size=9)
    steps = np.unique(np.r_[0, warmup - 1, warmup, warmup + decay // 2, picks])
    return {"steps": steps, "warmup_steps": warmup, "peak_lr": float(rng.choice([0.01, 0.1, 0.32, 1.0])),
            "decay_steps": decay}


def _cosine(step, peak_lr, decay_steps):
    return peak_lr * 0.5 * (1 + np.cos(np.pi * np.minimum(step, decay_steps) / decay_steps))


def _schedule_not_shifted(steps, warmup_steps, peak_lr, decay_steps):
    steps = np.asarray(steps, dtype=float)
    return np.where(steps < warmup_steps, peak_lr * steps / warmup_steps, _cosine(steps, peak_lr, decay_steps))


def _schedule_not_clamped(steps, warmup_steps, peak_lr, decay_steps):
    steps = np.asarray(steps, dtype=float)
    after = peak_lr * 0.5 * (1 + np.cos(np.pi * (steps - warmup_steps) / decay_steps))
    return np.where(steps < warmup_steps, peak_lr * steps / warmup_steps, after)


def _schedule_ramp_off_by_one(steps, warmup_steps, peak_lr, decay_steps):
    steps = np.asarray(steps, dtype=float)
    return np.where(steps < warmup_steps, peak_lr * (steps + 1) / warmup_steps,
                    _cosine(steps - warmup_steps, peak_lr, decay_steps))


def _more_steps(n, rng):
    return n + int(rng.integers(5, 15))


# --- q5: clipping by the global norm ------------------------------------------------------------


def _clip_cases(rng):
    grads = [rng.normal(scale=float(rng.choice([0.1, 1.0, 5.0])), size=shape)
             for shape in [(int(rng.integers(2, 5)), int(rng.integers(2, 4))), (int(rng.integers(2, 5)),)]]
    if rng.random() < 0.4:
        grads.append(rng.normal(size=(int(rng.integers(1, 4)),)))
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    return {"grads": grads, "threshold": round(norm * float(rng.uniform(0.3, 1.6)), 3)}


def _clip_per_tensor(grads, threshold):
    return [clip_by_norm(g, threshold) for g in grads]


def _clip_always(grads, threshold):
    norm = np.sqrt(sum(np.sum(np.square(g)) for g in grads))
    return [g * threshold / norm for g in grads]


def _clip_squared_norm(grads, threshold):
    squared = sum(np.sum(np.square(g)) for g in grads)
    return [g * threshold / squared if np.sqrt(squared) > threshold else np.array(g, dtype=float) for g in grads]


EXERCISES = [
    FunctionExercise(
        "The bias-corrected EWMA", ewma, _ewma_cases,
        hints=["Start from V_0 = 0 and update `V = beta * V + (1 - beta) * theta` for every value in turn.",
               "With `bias_correction=True`, return `V_t / (1 - beta**t)` for t = 1, 2, ... (the correction "
               "does not feed back into the running V)."],
        prose="The EWMA from a zero start; bias correction divides the t-th value by 1 - beta^t.",
        mistakes=[(_ewma_swapped_weights, "the NEW value gets the weight 1 - beta and the running average "
                                          "keeps beta: `V = beta * V + (1 - beta) * theta`."),
                  (_ewma_correction_off_by_one, "the correction of the t-th value, counting from t = 1, is "
                                                "1 - beta**t: the first corrected value equals the first "
                                                "observation."),
                  (_ewma_first_start, "start from V_0 = 0 (the bias correction exists because of it), "
                                      "not from the first value.")],
        perturb={"beta": lambda beta, rng: 0.3 if beta != 0.3 else 0.6,
                 "bias_correction": lambda flag, rng: not flag}),
    FunctionExercise(
        "Momentum over a run", momentum_descent, _momentum_cases,
        hints=["Keep a velocity of the weights' shape, starting at 0; apply the gradients in order.",
               "Per step: `v = momentum * v + learning_rate * g`, then `w = w - v` (the notes' form; Keras "
               "stores m = -v and adds it, the same numbers)."],
        prose="Momentum accumulates the scaled gradients in a velocity and moves by it.",
        mistakes=[(_momentum_ewma_form, "Keras's (and the notes') momentum adds the full `learning_rate * g` to the "
                                        "velocity, not an EWMA with weight (1 - momentum)."),
                  (_momentum_nesterov, "that is Nesterov's look-ahead variant; plain momentum moves by the "
                                       "velocity alone.")],
        perturb={"momentum": lambda m, rng: 0.3 if m != 0.3 else 0.6},
        solution_objects=(momentum_descent, SGD._update)),
    FunctionExercise(
        "Adam over a run", adam_descent, _adam_cases,
        hints=["Keep m and v (zeros), and count the steps t from 1: `m = beta_1 m + (1 - beta_1) g`, "
               "`v = beta_2 v + (1 - beta_2) g**2`.",
               "Correct both: `m_hat = m / (1 - beta_1**t)`, `v_hat = v / (1 - beta_2**t)`; then "
               "`w = w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)`."],
        prose="Adam: two EWMAs (of g and of g^2), both bias-corrected, and a step m_hat / sqrt(v_hat).",
        mistakes=[(_adam_without_correction, "correct the bias of both averages: divide m by 1 - beta_1**t and v "
                                             "by 1 - beta_2**t (t counted from 1)."),
                  (_adam_without_root, "divide by the SQUARE ROOT of v_hat: the step must not depend on the "
                                       "gradients' scale.")],
        rtol=1e-5, atol=1e-8,
        perturb={"beta_1": lambda b, rng: 0.5, "beta_2": lambda b, rng: 0.9},
        solution_objects=(adam_descent, Adam._update)),
    FunctionExercise(
        "Warmup, then a cosine decay", warmup_then_cosine, _schedule_cases,
        hints=["Two pieces: for `step < warmup_steps` a straight line from 0 (at step 0) towards `peak_lr` (at "
               "step `warmup_steps`); afterwards Keras's `CosineDecay(peak_lr, decay_steps)` evaluated at "
               "`step - warmup_steps`.",
               "CosineDecay at step s is `peak_lr * 0.5 * (1 + cos(pi * min(s, decay_steps) / decay_steps))`. "
               "`np.where(steps < warmup_steps, ramp, cosine)` handles an array of steps."],
        prose="A linear ramp up to the peak, then the cosine started from its own step 0 and held at 0 after "
              "decay_steps.",
        mistakes=[(_schedule_not_shifted, "after the warmup the cosine starts from ITS step 0: evaluate it at "
                                          "`step - warmup_steps`, or the rate jumps when the warmup ends."),
                  (_schedule_not_clamped, "after `decay_steps` the cosine stays at its end value: clamp its step "
                                          "with `min(s, decay_steps)`, or the rate climbs again."),
                  (_schedule_ramp_off_by_one, "the ramp is 0 at step 0 and would reach `peak_lr` at step "
                                              "`warmup_steps`: `peak_lr * step / warmup_steps`.")],
        rtol=1e-4, atol=1e-6,
        perturb={"warmup_steps": _more_steps, "decay_steps": _more_steps},
        solution_objects=(warmup_then_cosine, LinearWarmup.__call__)),
    FunctionExercise(
        "Clipping by the global norm", clip_by_global_norm, _clip_cases,
        hints=["The global norm is the square root of the sum of the squares of ALL entries of ALL tensors.",
               "If it exceeds `threshold`, multiply every tensor by `threshold / global_norm`; otherwise return "
               "them unchanged (as a list, in the same order)."],
        prose="One factor, threshold / global norm (at most 1), for every tensor: the joint direction is kept.",
        mistakes=[(_clip_per_tensor, "that clips each tensor by its OWN norm (Keras's `clipnorm`); "
                                     "`global_clipnorm` uses one norm over all the tensors together."),
                  (_clip_always, "gradients whose global norm is already within the threshold pass unchanged: "
                                 "clipping only ever shrinks."),
                  (_clip_squared_norm, "the norm is the square ROOT of the sum of squares.")],
        perturb={"threshold": lambda t, rng: t * 0.5}),
    ChoiceExercise(
        "Adam and the scale of the loss", "07-adam-loss-scale",
        "8a7aa15f259010f3eb7c8768b0669d23a34e5b3c84b2b4006ef9e5b6efff72a5",
        hints=["Multiplying the loss by c multiplies every gradient by c. What happens to m, to v, and to "
               "m_hat / sqrt(v_hat)?"],
        explanation=("**(b)** Every gradient is multiplied by 1000, so m grows by 1000 and v by 1000^2; the "
                     "step lr * m_hat / (sqrt(v_hat) + eps) is unchanged as long as sqrt(v_hat) is much larger "
                     "than eps. Adam's learning rate is a step length in the weights' own units, which is why "
                     "one default (0.001) works across very different losses. Plain SGD's steps would be 1000 "
                     "times larger, and on a steep loss that diverges. The invariance fails only for gradients "
                     "as small as eps (1e-7 in Keras)."),
        choices={"a": "they become 1000 times larger",
                 "b": "they stay the same",
                 "c": "they become about 32 times (the square root of 1000) larger",
                 "d": "they become 1000 times smaller"},
        prose="Adam divides the gradient's scale away."),
]
