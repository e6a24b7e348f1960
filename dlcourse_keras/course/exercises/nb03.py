"""Exercises of notebook 03, MLPs and backpropagation: counting parameters, the forward pass,
the backward pass, a gradient check by central differences, the slides' update in matrix form,
and the output error under cross-entropy.

References are the package's (:mod:`dlcourse_keras.numpy_ref.mlp` and
:mod:`dlcourse_keras.numpy_ref.backprop_example`); the small functions below only adapt
``MLP`` and ``solve_example`` to the shape of an answer.
"""

import numpy as np

from ...numpy_ref import backprop_example as bx
from ...numpy_ref.mlp import MLP, count_parameters, gradient_check
from .kinds import ChoiceExercise, FunctionExercise

# --- q1: counting parameters ----------------------------------------------------------------------


def _sizes_cases(rng):
    return {"layer_sizes": [int(n) for n in rng.integers(1, 13, size=int(rng.integers(2, 6)))]}


def _count_weights_only(layer_sizes):
    return int(sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:])))


def _count_bias_per_input(layer_sizes):
    return int(sum(a * b + a for a, b in zip(layer_sizes[:-1], layer_sizes[1:])))


def _grow_last_layer(sizes, rng):
    return list(sizes[:-1]) + [sizes[-1] + int(rng.integers(1, 4))]


# --- q2: the forward pass -------------------------------------------------------------------------


def mlp_forward(X, weights, biases):
    """The output of an all-sigmoid ``MLP`` with these kernels ``(n_in, n_out)`` and biases."""
    sizes = [w.shape[0] for w in weights] + [weights[-1].shape[1]]
    net = MLP(sizes, "sigmoid")
    net.set_weights([p for pair in zip(weights, biases) for p in pair])
    return net.predict(X)


def _forward_cases(rng):
    sizes = [int(n) for n in rng.integers(2, 6, size=int(rng.integers(2, 5)))]
    return {"X": rng.normal(size=(int(rng.integers(3, 7)), sizes[0])),
            "weights": [rng.normal(size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])],
            "biases": [rng.normal(size=b) for b in sizes[1:]]}


def _jiggle_all(arrays, rng):
    return [a + rng.normal(size=a.shape) for a in arrays]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _forward_linear_output(X, weights, biases):
    a = X
    for k, (w, b) in enumerate(zip(weights, biases)):
        z = a @ w + b
        a = _sigmoid(z) if k < len(weights) - 1 else z
    return a


# --- q3: the backward pass ------------------------------------------------------------------------


def mlp_backward(X, Y, W1, b1, W2, b2):
    """``MLP.gradients`` of a tanh-hidden, sigmoid-output net with binary cross-entropy."""
    net = MLP([W1.shape[0], W1.shape[1], W2.shape[1]], ["tanh", "sigmoid"], loss="bce")
    net.set_weights([W1, b1, W2, b2])
    (dW1, db1), (dW2, db2) = net.gradients(X, Y)[1]
    return dW1, db1, dW2, db2


def _backward_cases(rng):
    n, d, h = int(rng.integers(4, 9)), int(rng.integers(2, 5)), int(rng.integers(2, 6))
    return {"X": rng.normal(size=(n, d)), "Y": rng.integers(0, 2, size=(n, 1)).astype(float),
            "W1": rng.normal(size=(d, h)), "b1": rng.normal(scale=0.5, size=h),
            "W2": rng.normal(size=(h, 1)), "b2": rng.normal(scale=0.5, size=1)}


def _backward_with(X, Y, W1, b1, W2, b2, tanh_prime=True, divide=True, output_prime=False):
    A1 = np.tanh(X @ W1 + b1)
    A2 = _sigmoid(A1 @ W2 + b2)
    d2 = (A2 - Y) / (len(X) if divide else 1)
    if output_prime:
        d2 = d2 * A2 * (1 - A2)
    d1 = d2 @ W2.T
    if tanh_prime:
        d1 = d1 * (1 - A1 ** 2)
    return X.T @ d1, d1.sum(axis=0), A1.T @ d2, d2.sum(axis=0)


def _backward_no_tanh_prime(X, Y, W1, b1, W2, b2):
    return _backward_with(X, Y, W1, b1, W2, b2, tanh_prime=False)


def _backward_no_mean(X, Y, W1, b1, W2, b2):
    return _backward_with(X, Y, W1, b1, W2, b2, divide=False)


def _backward_extra_sigmoid_prime(X, Y, W1, b1, W2, b2):
    return _backward_with(X, Y, W1, b1, W2, b2, output_prime=True)


# --- q4: a gradient check by central differences --------------------------------------------------


def backprop_gradients(net, x, y, epsilon):
    """What central differences must reproduce: the net's backpropagated gradients (``epsilon`` unused)."""
    return net.gradients(x, y)[1]


def _gradient_check_cases(rng):
    d, h, n = int(rng.integers(2, 4)), int(rng.integers(2, 4)), int(rng.integers(3, 6))
    kind = int(rng.integers(3))
    seed = int(rng.integers(1000))
    if kind == 0:
        net = MLP([d, h, 1], ["tanh", "sigmoid"], loss="bce", seed=seed)
        y = rng.integers(0, 2, size=(n, 1)).astype(float)
    elif kind == 1:
        net = MLP([d, h, 2], ["tanh", "linear"], loss="mse", seed=seed)
        y = rng.normal(size=(n, 2))
    else:
        net = MLP([d, h, 3], ["sigmoid", "softmax"], loss="cce", seed=seed)
        y = np.eye(3)[rng.integers(0, 3, size=n)]
    net.biases = [rng.normal(scale=0.5, size=b.shape) for b in net.biases]  # not all zero
    return {"net": net, "x": rng.normal(size=(n, d)), "y": y, "epsilon": 1e-4}


def _differences(net, x, y, epsilon, central=True, divide=2.0, restore=True):
    grads = []
    for w, b in zip(net.weights, net.biases):
        pair = []
        for p in (w, b):
            g = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + epsilon
                up = net.loss_value(x, y)
                p[idx] = old - epsilon if central else old
                down = net.loss_value(x, y)
                if restore:
                    p[idx] = old
                g[idx] = (up - down) / (divide * epsilon if central else epsilon)
            pair.append(g)
        grads.append(tuple(pair))
    return grads


def _forward_differences(net, x, y, epsilon):
    return _differences(net, x, y, epsilon, central=False)


def _central_no_half(net, x, y, epsilon):
    return _differences(net, x, y, epsilon, divide=1.0)


def _central_no_restore(net, x, y, epsilon):
    return _differences(net, x, y, epsilon, restore=False)


# --- q5: the slides' update in matrix form --------------------------------------------------------


def slides_update(x, target, W1, b1, W2, b2, learning_rate):
    """The slides' one-step update of a 4-2-1 sigmoid net (``bx.solve_example``), in Keras layout."""
    inputs = {i + 1: float(v) for i, v in enumerate(x)}
    weights = {f"w{i + 1}{j}": float(W1[i, j - 5]) for i in range(4) for j in (5, 6)}
    weights.update({f"w{j}7": float(W2[j - 5, 0]) for j in (5, 6)})
    biases = {"theta5": float(b1[0]), "theta6": float(b1[1]), "theta7": float(b2[0])}
    result = bx.solve_example(inputs, weights, biases, target=target, learning_rate=learning_rate)
    return tuple(bx.as_keras_weights(result.new_weights, result.new_biases))


def _slides_cases(rng):
    return {"x": rng.normal(size=4), "target": float(rng.uniform(0.0, 1.0)),
            "W1": rng.normal(scale=0.5, size=(4, 2)), "b1": rng.normal(scale=0.5, size=2),
            "W2": rng.normal(scale=0.5, size=(2, 1)), "b2": rng.normal(scale=0.5, size=1),
            "learning_rate": float(rng.uniform(0.2, 1.0))}


def _slides_with(x, target, W1, b1, W2, b2, learning_rate, new_w2=False, output_factor=True, sign=1.0):
    o_hidden = _sigmoid(x @ W1 + b1)
    o_out = _sigmoid(o_hidden @ W2 + b2)
    err_out = (target - o_out) * (o_out * (1 - o_out) if output_factor else 1.0)
    W2_new = W2 + sign * learning_rate * np.outer(o_hidden, err_out)
    err_hidden = o_hidden * (1 - o_hidden) * ((W2_new if new_w2 else W2) @ err_out)
    return (W1 + sign * learning_rate * np.outer(x, err_hidden), b1 + sign * learning_rate * err_hidden,
            W2_new, b2 + sign * learning_rate * err_out)


def _slides_new_w2(x, target, W1, b1, W2, b2, learning_rate):
    return _slides_with(x, target, W1, b1, W2, b2, learning_rate, new_w2=True)


def _slides_cross_entropy_error(x, target, W1, b1, W2, b2, learning_rate):
    return _slides_with(x, target, W1, b1, W2, b2, learning_rate, output_factor=False)


def _slides_subtract(x, target, W1, b1, W2, b2, learning_rate):
    return _slides_with(x, target, W1, b1, W2, b2, learning_rate, sign=-1.0)


EXERCISES = [
    FunctionExercise(
        "Count the parameters", count_parameters, _sizes_cases,
        hints=["Layer k has a weight for every link from layer k-1 to layer k, plus one bias per unit of layer k.",
               "Sum `(n_in + 1) * n_out` over consecutive pairs: `zip(layer_sizes[:-1], layer_sizes[1:])`."],
        prose="(n_in + 1) weights and bias per unit, summed over the layers.",
        mistakes=[(_count_weights_only, "every unit of layers 1..L also has a bias: add one per receiving unit."),
                  (_count_bias_per_input, "a bias belongs to each receiving unit (n_k per layer), not to each "
                                          "input.")],
        perturb={"layer_sizes": _grow_last_layer}),
    FunctionExercise(
        "The forward pass", mlp_forward, _forward_cases,
        hints=["Start with `A = X`; for each layer `A = sigmoid(A @ W + b)`: `W` has shape (n_in, n_out), so no "
               "transpose is needed, and `b` broadcasts over the rows.",
               "Every layer uses the sigmoid, the output layer included; return the last `A`."],
        prose="One matrix product, a broadcast bias and a sigmoid per layer (MLP.forward).",
        mistakes=[(_forward_linear_output, "apply the sigmoid in every layer, the output layer included.")],
        perturb={"weights": _jiggle_all, "biases": _jiggle_all},
        solution_objects=(mlp_forward, MLP.forward)),
    FunctionExercise(
        "The backward pass", mlp_backward, _backward_cases,
        hints=["Forward first, keeping what you need: `A1 = tanh(X @ W1 + b1)`, `A2 = sigmoid(A1 @ W2 + b2)`.",
               "Sigmoid output with binary cross-entropy: `delta2 = (A2 - Y) / N` (the sigmoid's derivative "
               "cancels). Then `dW2 = A1.T @ delta2` and `db2 = delta2.sum(axis=0)`.",
               "Back through the hidden layer: `delta1 = (delta2 @ W2.T) * (1 - A1**2)`; `dW1 = X.T @ delta1`, "
               "`db1 = delta1.sum(axis=0)`."],
        prose="delta at the output, then one chain-rule step back through W2 and tanh (MLP.gradients).",
        output_names=("dW1", "db1", "dW2", "db2"),
        mistakes=[(_backward_no_tanh_prime, "on the way back through the hidden layer multiply by tanh'(Z1) = "
                                            "1 - A1^2 (the broken gradient of section 7)."),
                  (_backward_extra_sigmoid_prime, "with a sigmoid output and cross-entropy the output delta is "
                                                  "(A2 - Y) / N: the sigmoid's derivative is already cancelled."),
                  (_backward_no_mean, "the loss is the mean over the N examples: divide the output delta by N.")],
        solution_objects=(mlp_backward, MLP.gradients)),
    FunctionExercise(
        "A gradient check by central differences", backprop_gradients, _gradient_check_cases,
        hints=["For every entry `p[idx]` of every array in `net.weights` and `net.biases`: set it to `old + epsilon`, "
               "read `net.loss_value(x, y)`, set it to `old - epsilon`, read again, and put `old` back.",
               "The estimate is `(up - down) / (2 * epsilon)`. Return `[(dW, db), ...]`, one pair per layer, as "
               "`net.gradients` does."],
        prose="Central differences of the loss, one parameter at a time (the loop of gradient_check).",
        output_names=("layer 1", "layer 2"), rtol=1e-6, atol=1e-8, n_cases=4,
        mistakes=[(_forward_differences, "(L(p + eps) - L(p)) / eps is a one-sided difference, off by about "
                                         "eps/2 x L'': use central differences, (L(p + eps) - L(p - eps)) / (2 eps)."),
                  (_central_no_half, "the two evaluations are 2 eps apart: divide by 2 * epsilon."),
                  (_central_no_restore, "put each parameter back to its old value before moving to the next one.")],
        perturb={"y": lambda y, rng: 1.0 - y}, allow_mutation=True,
        solution_objects=(gradient_check,)),
    FunctionExercise(
        "The slides' update in matrix form", slides_update, _slides_cases,
        hints=["Forward: `O_h = sigmoid(x @ W1 + b1)` (units 5, 6), `O_7 = sigmoid(O_h @ W2 + b2)`.",
               "Errors: `err7 = O7 * (1 - O7) * (target - O7)`; `err_h = O_h * (1 - O_h) * (W2 @ err7)` with the "
               "OLD W2.",
               "Updates add: `W2 + lr * np.outer(O_h, err7)`, `b2 + lr * err7`, `W1 + lr * np.outer(x, err_h)`, "
               "`b1 + lr * err_h`. Return `(W1_new, b1_new, W2_new, b2_new)`."],
        prose="The slides' per-unit rules, one outer product per layer (bx.solve_example).",
        output_names=("W1", "b1", "W2", "b2"),
        mistakes=[(_slides_new_w2, "the hidden errors use the old w57 and w67: every partial derivative is taken "
                                   "before the step."),
                  (_slides_cross_entropy_error, "for the squared error the output error keeps the sigmoid's "
                                                "derivative: Err7 = O7 (1 - O7)(T - O7)."),
                  (_slides_subtract, "Err_j is minus the gradient, so the slides add lr x Err_j x O_i.")],
        solution_objects=(slides_update, bx.solve_example)),
    ChoiceExercise(
        "Cross-entropy at the output", "03-cross-entropy-output-error",
        "fd67bcaba791e14ab6f36590f8a66e25f968eade30a28604c00cf1e2367d0ba3",
        hints=["dL/dO7 for L = -T log O7 - (1 - T) log(1 - O7) is (O7 - T) / (O7 (1 - O7)).",
               "Err7 = -dL/dI7 = -dL/dO7 x dO7/dI7, and dO7/dI7 = O7 (1 - O7)."],
        explanation=("**(b)** dL/dO7 = (O7 - T) / (O7 (1 - O7)) and dO7/dI7 = O7 (1 - O7), so the factors cancel: "
                     "Err7 = -dL/dI7 = T - O7. The hidden rule keeps its form. With the squared error, "
                     "Err7 = O7 (1 - O7)(T - O7): at O7 = 0.01 with T = 1 that is about 100 times smaller, exactly "
                     "when the output is most wrong, which is why cross-entropy trains a confidently wrong sigmoid "
                     "faster."),
        choices={"a": "O7 (1 - O7)(T - O7), as with the squared error",
                 "b": "T - O7",
                 "c": "(T - O7) / (O7 (1 - O7))",
                 "d": "-log O7"},
        prose="The sigmoid's derivative cancels against the cross-entropy's."),
]
