"""The course slides' solved backpropagation example: a 4-2-1 sigmoid network, one update.

Units 1-4 are inputs, 5 and 6 hidden, 7 the output; ``w_ij`` is the weight on the link from
unit ``i`` to unit ``j`` and ``theta_j`` the bias of unit ``j``. The slides' rules:

* forward: ``I_j = sum_i O_i w_ij + theta_j`` and ``O_j = 1 / (1 + e^{-I_j})``;
* output error: ``Err_k = O_k (1 - O_k) (T - O_k)``;
* hidden error: ``Err_j = O_j (1 - O_j) sum_k Err_k w_jk`` (with the *old* ``w_jk``);
* update: ``w_ij += lr Err_j O_i`` and ``theta_j += lr Err_j``.

``Err_j`` is minus the gradient of ``L = (T - O_7)^2 / 2`` with respect to ``I_j``, so the
update is one step of gradient descent.

Example:
    >>> from dlcourse_keras.numpy_ref.backprop_example import solve_example
    >>> r = solve_example()
    >>> round(r.outputs[7], 3), round(r.errors[7], 4), round(r.new_weights["w57"], 3)
    (0.417, 0.1417, -0.232)
"""

import dataclasses
import math
import re

from ..validation import check_bool, check_int, check_number

INPUTS = {1: 1.0, 2: 1.0, 3: 0.0, 4: 1.0}
"""The slides' inputs x1..x4."""

WEIGHTS = {"w15": 0.3, "w16": 0.1, "w25": -0.2, "w26": 0.4, "w35": 0.2, "w36": -0.3,
           "w45": 0.1, "w46": 0.4, "w57": -0.3, "w67": 0.2}
"""The slides' initial weights ``w_ij`` (link from unit i to unit j)."""

BIASES = {"theta5": 0.2, "theta6": 0.1, "theta7": -0.3}
"""The slides' initial biases ``theta_j``."""

TARGET = 1.0
LEARNING_RATE = 0.8

NOTES_VALUES = {
    "I5": 0.4, "O5": 0.599, "I6": 1.2, "O6": 0.769, "I7": -0.326, "O7": 0.419,
    "error_before": 0.581,
    "Err7": 0.141, "Err6": 0.005, "Err5": -0.0101,
    "w15": 0.292, "w16": 0.104, "w25": -0.208, "w26": 0.404, "w35": 0.2, "w36": -0.3,
    "w45": 0.092, "w46": 0.404, "w57": -0.232, "w67": 0.287,
    "theta5": 0.192, "theta6": 0.104, "theta7": -0.187,
    "I5_new": 0.368, "O5_new": 0.591, "I6_new": 1.204, "O6_new": 0.7692,
    "I7_new": -0.326, "O7_new": 0.474, "error_after": 0.526, "error_reduction": 0.055,
}
"""Every number as printed in the course notes (including their slips; see ``ERRATA``)."""

ERRATA = (
    "I6 (first pass): the notes add x1*w15 = 0.3 where the link to unit 6 is w16 = 0.1, "
    "so I6 = 1.2 instead of 1.0 and O6 = 0.769 instead of 0.731; every later number "
    "inherits the slip.",
    "I6 (second pass): the same slip again: the new w15 = 0.292 is used where the new "
    "w16 = 0.104 belongs, giving 1.204 instead of 1.016 (with the notes' own rounded weights).",
    "I7 (second pass): the line ends '= -0.326' (copied from the first pass) although "
    "its own terms sum to -0.103, which is the value the next line actually uses (e^0.1034).",
    "Err5: 0.599 * 0.401 * 0.141 * -0.3 = -0.01016, which rounds to -0.0102, not -0.0101 "
    "(a rounding slip with no visible effect on the 3-decimal updated weights).",
)
"""Where the notes' arithmetic disagrees with their own rules (found by ``solve_example``)."""


def _sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


@dataclasses.dataclass
class BackpropExampleResult:
    """Every quantity of one forward pass, backward pass, update and second forward pass.

    Attributes:
        net_inputs: ``{j: I_j}`` for units 5, 6, 7 (first pass).
        outputs: ``{j: O_j}`` for units 1..7 (first pass).
        errors: ``{j: Err_j}`` for units 5, 6, 7.
        new_weights: ``{"w15": ..., ...}`` after the update.
        new_biases: ``{"theta5": ..., ...}`` after the update.
        new_net_inputs, new_outputs: the second forward pass with the updated parameters.
        error_before, error_after: ``T - O_7`` before and after the update.
    """

    net_inputs: dict
    outputs: dict
    errors: dict
    new_weights: dict
    new_biases: dict
    new_net_inputs: dict
    new_outputs: dict
    error_before: float
    error_after: float

    @property
    def error_reduction(self):
        """How much ``T - O_7`` shrank after one update."""
        return self.error_before - self.error_after

    def as_flat_dict(self):
        """All numbers under the keys used by ``NOTES_VALUES`` (e.g. ``"O7"``, ``"w57"``, ``"I7_new"``)."""
        flat = {}
        for j, v in self.net_inputs.items():
            flat[f"I{j}"] = v
        for j in (5, 6, 7):
            flat[f"O{j}"] = self.outputs[j]
            flat[f"Err{j}"] = self.errors[j]
            flat[f"I{j}_new"] = self.new_net_inputs[j]
            flat[f"O{j}_new"] = self.new_outputs[j]
        flat.update(self.new_weights)
        flat.update(self.new_biases)
        flat.update(error_before=self.error_before, error_after=self.error_after,
                    error_reduction=self.error_reduction)
        return flat


def _units_feeding(weights, j):
    return sorted(int(name[1]) for name in weights if int(name[2]) == j)


def forward(inputs, weights, biases, decimals=None, slip=False):
    """Forward pass through units 5, 6, 7: ``I_j = sum_i O_i w_ij + theta_j``, ``O_j = sigmoid(I_j)``.

    Args:
        inputs: ``{1: x1, ..., 4: x4}``.
        weights: ``{"w15": ..., ...}``.
        biases: ``{"theta5": ..., ...}``.
        decimals: round each ``O_j`` to this many decimals before it is used further
            (hand-calculation style), default None (no rounding).
        slip: reproduce the notes' slip of using ``w15`` in place of ``w16`` for ``I_6``;
            default False.

    Returns:
        ``(net_inputs, outputs)`` dictionaries keyed by unit number.
    """
    outputs = dict(inputs)
    net_inputs = {}
    for j in (5, 6, 7):
        total = biases[f"theta{j}"]
        for i in _units_feeding(weights, j):
            name = "w15" if (slip and (i, j) == (1, 6)) else f"w{i}{j}"
            total += outputs[i] * weights[name]
        net_inputs[j] = total
        out = _sigmoid(total)
        outputs[j] = round(out, decimals) if decimals is not None else out
    return net_inputs, outputs


def _check_network(inputs, weights, biases):
    """Copies of the three dicts (the slides' values where None) with plain finite floats."""
    checked = []
    for name, given, default in (("inputs", inputs, INPUTS), ("weights", weights, WEIGHTS),
                                 ("biases", biases, BIASES)):
        values = dict(default if given is None else given)
        checked.append({k: check_number(f"{name}[{k!r}]", v) for k, v in values.items()})
    return checked


def solve_example(inputs=None, weights=None, biases=None, target=TARGET,
                  learning_rate=LEARNING_RATE, decimals=None, slip=False):
    """Run the slides' solved example: forward, errors, update, second forward pass.

    Args:
        inputs: ``{unit: value}`` for units 1-4, default the slides' ``INPUTS`` (1, 1, 0, 1).
        weights: initial ``w_ij``, default ``WEIGHTS``.
        biases: initial ``theta_j``, default ``BIASES``.
        target: desired output ``T``, default 1.
        learning_rate: ``lr`` (the slides' alpha), default 0.8.
        decimals: round outputs and errors to this many decimals as a hand calculation
            would, default None (exact).
        slip: reproduce the notes' ``w15``-for-``w16`` slip in ``I_6``, default False.

    Returns:
        A ``BackpropExampleResult``.

    Example:
        >>> r = solve_example(slip=True, decimals=3)  # the notes' own numbers
        >>> r.outputs[6], r.outputs[7]
        (0.769, 0.419)
    """
    inputs, weights, biases = _check_network(inputs, weights, biases)
    if sorted(inputs) != [1, 2, 3, 4]:
        raise ValueError(f"inputs={inputs!r} must have the keys 1, 2, 3, 4.")
    if sorted(weights) != sorted(WEIGHTS):
        raise ValueError(f"weights has keys {sorted(weights)}; expected {sorted(WEIGHTS)}.")
    if sorted(biases) != sorted(BIASES):
        raise ValueError(f"biases has keys {sorted(biases)}; expected {sorted(BIASES)}.")
    target = check_number("target", target)
    learning_rate = check_number("learning_rate", learning_rate, low=0, low_open=True)
    decimals = check_int("decimals", decimals, low=0, allow_none=True)
    slip = check_bool("slip", slip)

    def rnd(v):
        return round(v, decimals) if decimals is not None else v

    net_inputs, outputs = forward(inputs, weights, biases, decimals, slip)
    o7 = outputs[7]
    errors = {7: rnd(o7 * (1 - o7) * (target - o7))}
    for j in (6, 5):  # hidden units: back-propagate Err_7 through the old w_j7
        errors[j] = rnd(outputs[j] * (1 - outputs[j]) * errors[7] * weights[f"w{j}7"])
    new_weights = {name: w + learning_rate * errors[int(name[2])] * outputs[int(name[1])]
                   for name, w in weights.items()}
    new_biases = {name: b + learning_rate * errors[int(name[5:])] for name, b in biases.items()}
    if decimals is not None:
        new_weights = {k: round(v, decimals) for k, v in new_weights.items()}
        new_biases = {k: round(v, decimals) for k, v in new_biases.items()}
    new_net_inputs, new_outputs = forward(inputs, new_weights, new_biases, decimals, slip)
    return BackpropExampleResult(
        net_inputs=net_inputs, outputs=outputs, errors=errors, new_weights=new_weights,
        new_biases=new_biases, new_net_inputs=new_net_inputs, new_outputs=new_outputs,
        error_before=target - o7, error_after=target - new_outputs[7])


def compare_with_notes(result, tolerance=None):
    """Rows ``(name, notes_value, computed_value, agrees)`` for every number in ``NOTES_VALUES``.

    Args:
        result: a ``BackpropExampleResult``.
        tolerance: largest difference counted as agreement; default half a unit in the last
            decimal the notes printed (e.g. 0.0005 for 0.599), plus 1e-9.
    """
    flat = result.as_flat_dict()
    rows = []
    for name, printed in NOTES_VALUES.items():
        if tolerance is None:
            text = repr(printed)
            places = len(text.split(".")[1]) if "." in text else 0
            tol = 0.5 * 10 ** (-places) + 1e-9
        else:
            tol = tolerance
        rows.append((name, printed, flat[name], abs(flat[name] - printed) <= tol))
    return rows


def as_keras_weights(weights=None, biases=None):
    """The example's parameters in Keras ``Dense`` layout ``[kernel (4, 2), bias (2,), kernel (2, 1), bias (1,)]``.

    Row ``i`` and column ``j`` of a kernel hold ``w_ij``, so ``MLP([4, 2, 1]).set_weights`` or a
    Keras model's ``set_weights`` accepts the result directly.

    Args:
        weights: ``{"w15": ..., ...}``, default ``WEIGHTS``.
        biases: ``{"theta5": ..., ...}``, default ``BIASES``.

    Example:
        >>> [a.shape for a in as_keras_weights()]
        [(4, 2), (2,), (2, 1), (1,)]
    """
    import numpy as np

    weights = WEIGHTS if weights is None else weights
    biases = BIASES if biases is None else biases
    k1 = np.array([[weights[f"w{i}{j}"] for j in (5, 6)] for i in (1, 2, 3, 4)])
    b1 = np.array([biases["theta5"], biases["theta6"]])
    k2 = np.array([[weights["w57"]], [weights["w67"]]])
    b2 = np.array([biases["theta7"]])
    return [k1, b1, k2, b2]


@dataclasses.dataclass
class WorkedStep:
    """One line of the worked example: a rule, the rule with numbers substituted, the value.

    Attributes:
        name: the quantity, e.g. ``"I5"``, ``"O7"``, ``"Err6"``, ``"w57"``, ``"theta7"``.
        latex: the rule in symbols, LaTeX (e.g. ``I_5 = O_1 w_{15} + ... + \\theta_5``).
        substituted: the rule with the numbers put in, LaTeX.
        expression: the same substitution as a Python expression over numbers (``exp``
            allowed), so that evaluating it reproduces ``value``.
        value: the value computed by ``solve_example``.
    """

    name: str
    latex: str
    substituted: str
    expression: str
    value: float


def _num(v, digits):
    """A number for a substituted formula: fixed decimals, negative ones in parentheses."""
    text = f"{v:.{digits}f}".rstrip("0").rstrip(".") if v == round(v, 1) else f"{v:.{digits}f}"
    return f"({text})" if v < 0 else text


def worked_steps(inputs=None, weights=None, biases=None, target=TARGET,
                 learning_rate=LEARNING_RATE, digits=4):
    """The solved example line by line: each net input, output, error term and update.

    Every line is the rule, the rule with the numbers substituted and the value, all
    computed from ``solve_example`` (exact arithmetic, no slip), so nothing is typed by hand.
    The numbers shown are rounded to ``digits`` decimals; the values are exact.

    Order: ``I_j, O_j`` for j = 5, 6, 7; ``Err_7, Err_6, Err_5``; the ten weights and three
    biases after the update; the second forward pass ``I_j, O_j`` (names with ``_new``).

    Args:
        inputs, weights, biases, target, learning_rate: as for ``solve_example`` (defaults:
            the slides' values).
        digits: decimals of the substituted numbers, default 4.

    Returns:
        A list of ``WorkedStep``.

    Example:
        >>> steps = worked_steps()
        >>> steps[0].substituted
        'I_5 = 1 \\\\cdot 0.3 + 1 \\\\cdot (-0.2) + 0 \\\\cdot 0.2 + 1 \\\\cdot 0.1 + 0.2'
    """
    inputs, weights, biases = _check_network(inputs, weights, biases)
    target = check_number("target", target)
    learning_rate = check_number("learning_rate", learning_rate, low=0, low_open=True)
    digits = check_int("digits", digits, low=0)
    r = solve_example(inputs, weights, biases, target=target, learning_rate=learning_rate)
    n = lambda v: _num(v, digits)  # noqa: E731
    steps = []

    def forward_lines(outputs_in, w, b, net, out, suffix, mark):
        for j in (5, 6, 7):
            feed = _units_feeding(w, j)
            # hidden outputs of the second pass are new values too (primed); inputs never change
            symbols = " + ".join(f"O_{i}{mark if i >= 5 else ''} w_{{{i}{j}}}{mark}" for i in feed) + f" + \\theta_{j}{mark}"
            nums = [(outputs_in[i], w[f"w{i}{j}"]) for i in feed]
            sub = " + ".join(f"{n(o)} \\cdot {n(v)}" for o, v in nums) + f" + {n(b[f'theta{j}'])}"
            expr = " + ".join(f"{o!r} * {v!r}" for o, v in nums) + f" + {b[f'theta{j}']!r}"
            steps.append(WorkedStep(f"I{j}{suffix}", f"I_{j}{mark} = {symbols}", f"I_{j}{mark} = {sub}",
                                    expr, net[j]))
            steps.append(WorkedStep(f"O{j}{suffix}", f"O_{j}{mark} = \\frac{{1}}{{1 + e^{{-I_{j}{mark}}}}}",
                                    f"O_{j}{mark} = \\frac{{1}}{{1 + e^{{-{n(net[j])}}}}}",
                                    f"1 / (1 + exp(-({net[j]!r})))", out[j]))
            outputs_in = {**outputs_in, j: out[j]}

    forward_lines(dict(inputs), weights, biases, r.net_inputs, r.outputs, "", "")
    o = r.outputs
    steps.append(WorkedStep("Err7", "Err_7 = O_7 (1 - O_7)(T - O_7)",
                            f"Err_7 = {n(o[7])} \\cdot (1 - {n(o[7])}) \\cdot ({n(target)} - {n(o[7])})",
                            f"{o[7]!r} * (1 - {o[7]!r}) * ({target!r} - {o[7]!r})", r.errors[7]))
    for j in (6, 5):
        steps.append(WorkedStep(
            f"Err{j}", f"Err_{j} = O_{j} (1 - O_{j}) \\, Err_7 \\, w_{{{j}7}}",
            f"Err_{j} = {n(o[j])} \\cdot (1 - {n(o[j])}) \\cdot {n(r.errors[7])} \\cdot {n(weights[f'w{j}7'])}",
            f"{o[j]!r} * (1 - {o[j]!r}) * {r.errors[7]!r} * {weights[f'w{j}7']!r}", r.errors[j]))
    for name in sorted(weights, key=lambda k: (int(k[2]), int(k[1]))):
        i, j = int(name[1]), int(name[2])
        steps.append(WorkedStep(
            name, f"w_{{{i}{j}}}' = w_{{{i}{j}}} + \\eta \\, Err_{j} \\, O_{i}",
            f"w_{{{i}{j}}}' = {n(weights[name])} + {n(learning_rate)} \\cdot {n(r.errors[j])} \\cdot {n(o[i])}",
            f"{weights[name]!r} + {learning_rate!r} * {r.errors[j]!r} * {o[i]!r}", r.new_weights[name]))
    for j in (5, 6, 7):
        name = f"theta{j}"
        steps.append(WorkedStep(
            name, f"\\theta_{j}' = \\theta_{j} + \\eta \\, Err_{j}",
            f"\\theta_{j}' = {n(biases[name])} + {n(learning_rate)} \\cdot {n(r.errors[j])}",
            f"{biases[name]!r} + {learning_rate!r} * {r.errors[j]!r}", r.new_biases[name]))
    forward_lines(dict(inputs), r.new_weights, r.new_biases, r.new_net_inputs, r.new_outputs, "_new", "'")
    return steps


def worked_steps_markdown(steps, digits=4):
    """The worked steps as Markdown, one display-maths line each: rule = numbers = value.

    Args:
        steps: a list of ``WorkedStep`` (from ``worked_steps``).
        digits: decimals of the value, default 4.

    Example:
        >>> text = worked_steps_markdown(worked_steps()[:2])
        >>> text.count("$$")
        4
    """
    lines = []
    for s in steps:
        rule, numbers = s.latex.split(" = ", 1), s.substituted.split(" = ", 1)[1]
        lines.append(f"$${rule[0]} = {rule[1]} = {numbers} = {s.value:.{digits}f}$$")
    return "\n".join(lines)


def _plain(latex):
    """A readable plain-text version of the few LaTeX constructs ``worked_steps`` uses."""
    text = re.sub(r"\\frac\{1\}\{1 \+ e\^\{(.*?)\}\}", r"1 / (1 + e^(\1))", latex)
    for old, new in ((r"\cdot", "·"), (r"\theta", "θ"), (r"\eta", "η"), (r"\,", "")):
        text = text.replace(old, new)
    text = re.sub(r"_\{(\w+)\}", r"_\1", text)
    return re.sub(r"  +", " ", text)


class WorkedStepsDisplay:
    """Worked steps for a notebook: display maths in Jupyter, readable plain text elsewhere.

    Jupyter renders ``_repr_markdown_`` (one ``$$...$$`` line per step); a plain-text view
    (a terminal, a diff of the committed notebook) shows the same lines without LaTeX.
    """

    def __init__(self, steps, digits=4):
        self.steps = list(steps)
        self.digits = digits

    def _repr_markdown_(self):
        return worked_steps_markdown(self.steps, self.digits)

    def __repr__(self):
        return "\n".join(f"{_plain(s.latex)} = {_plain(s.substituted.split(' = ', 1)[1])} = {s.value:.{self.digits}f}"
                         for s in self.steps)

    __str__ = __repr__


def show_worked_steps(steps, digits=4):
    """Returns a ``WorkedStepsDisplay`` of ``steps``; as a cell's last expression it renders as maths.

    Args:
        steps: a list of ``WorkedStep`` (from ``worked_steps``).
        digits: decimals of the value, default 4.

    Example:
        >>> print(show_worked_steps(worked_steps()[:1]))
        I_5 = O_1 w_15 + O_2 w_25 + O_3 w_35 + O_4 w_45 + θ_5 = 1 · 0.3 + 1 · (-0.2) + 0 · 0.2 + 1 · 0.1 + 0.2 = 0.4000
    """
    return WorkedStepsDisplay(steps, digits)
