"""The kinds of exercise: a function, a value, a layer, a training run, a conceptual question.

Each compares the student's answer with a reference computed at check time (a package
function, a Keras twin, a threshold), never with stored numbers; a conceptual answer is
stored only as a salted sha256. See :mod:`.core` for how to write a notebook's exercises.
"""

import copy
import hashlib
import inspect
import math
import numbers
import time

import numpy as np

from ..source import show_source
from .compare import (NotPassed, arrays_equal, compare_values, describe_arguments,
                      finite_number)
from .core import Exercise, Hint


def _listing(*objs):
    return show_source(*objs)


def _check_callable(name, value):
    if not callable(value):
        raise ValueError(f"{name}={value!r} must be callable.")
    return value


def _check_tolerance(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}={value!r} must be a finite number >= 0.")
    return float(value)


def _need_callable(answer, what="a function"):
    if not callable(answer):
        raise NotPassed(f"the answer should be {what}; got {type(answer).__name__} {answer!r:.40}.")


def _default_perturb(value, rng):
    """A changed copy of a float argument, or None when the argument is not perturbable."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size:
        return value + rng.normal(size=value.shape).astype(value.dtype) * (1.0 + np.abs(value).mean())
    if isinstance(value, (float, np.floating)):
        return type(value)(value + 1.0 + 0.5 * abs(value))
    return None


class FunctionExercise(Exercise):
    """The student writes a function; it must agree with the reference on fresh random cases.

    Args:
        title: the task in a few words.
        reference: the package's function that the answer must match.
        cases: ``cases(rng) -> dict`` of arguments, keys in the reference's parameter order
            (both functions are called positionally, so the student may name them freely).
        hints: at least one hint.
        prose: one line shown with the solution. Default ``""``.
        n_cases: random cases per check, >= 1. Default 5.
        rtol, atol: tolerances of the comparison. Defaults 1e-6 and 1e-8.
        output_names: names of the outputs when the reference returns a tuple.
        mistakes: ``[(wrong_fn, message), ...]``: known mistakes; an answer that agrees with
            ``wrong_fn`` where the reference differs gets ``message``. Default none.
        perturb: ``{argument: fn(value, rng)}`` to change arguments that the default cannot
            (integers, objects) when looking for an ignored argument. Default: float arrays
            and floats get noise, others are left alone.
        allow_mutation: allow the answer to change its arguments in place. Default False.
        solution_objects: what ``solution()`` shows. Default: ``reference``.
        seed: see :class:`Exercise`. Default 0.

    Example:

    >>> ex = FunctionExercise("Square", lambda x: x ** 2, lambda rng: {"x": rng.normal(size=4)},
    ...                       hints=["Multiply x by itself."]).bind("99", 1)
    >>> ex.check(lambda x: x * x).status
    'passed'
    """

    kind = "function"

    def __init__(self, title, reference, cases, hints, prose="", n_cases=5, rtol=1e-6, atol=1e-8,
                 output_names=None, mistakes=(), perturb=None, allow_mutation=False,
                 solution_objects=None, seed=0):
        super().__init__(title, hints, prose, seed)
        self.reference = _check_callable("reference", reference)
        self.cases = _check_callable("cases", cases)
        if isinstance(n_cases, bool) or not isinstance(n_cases, int) or n_cases < 1:
            raise ValueError(f"n_cases={n_cases!r} must be an integer >= 1.")
        self.n_cases = n_cases
        self.rtol, self.atol = _check_tolerance("rtol", rtol), _check_tolerance("atol", atol)
        self.output_names = output_names
        self.mistakes = [(_check_callable("mistakes[i][0]", fn), _check_text_(msg)) for fn, msg in mistakes]
        self.perturb = dict(perturb or {})
        self.allow_mutation = bool(allow_mutation)
        self.solution_objects = tuple(solution_objects or (reference,))

    def _compare(self, actual, expected):
        return compare_values(actual, expected, "the result", self.rtol, self.atol, self.output_names)

    def _fresh_case(self, rng):
        args = self.cases(rng)
        if not isinstance(args, dict):
            raise TypeError(f"cases() must return a dict of arguments; got {type(args).__name__}.")
        return args

    def _arity_problem(self, answer, args):
        try:
            inspect.signature(answer).bind(*args.values())
        except TypeError:
            names = ", ".join(args)
            return (f"your function should take {len(args)} argument{'s' if len(args) > 1 else ''} "
                    f"({names}) in that order.")
        except ValueError:  # no signature (a builtin): let the call decide
            return None
        return None

    def _check(self, answer):
        _need_callable(answer)
        rng = self.rng()
        for i in range(self.n_cases):
            args = self._fresh_case(rng)
            if i == 0:
                problem = self._arity_problem(answer, args)
                if problem:
                    raise NotPassed(problem)
            expected = self.reference(*copy.deepcopy(list(args.values())))
            given = copy.deepcopy(list(args.values()))
            actual = self.call_student(answer, *given)
            if not self.allow_mutation:
                for name, before, after in zip(args, args.values(), given):
                    if not arrays_equal(before, after):
                        raise NotPassed(f"your function changed its argument `{name}` in place; "
                                        "leave the inputs alone and return a new result.")
            if actual is None and expected is not None:
                raise NotPassed("your function returned None: did you forget the `return`?")
            message = self._compare(actual, expected)
            if message:
                where = f" (case {i + 1} of {self.n_cases}: {describe_arguments(args)})"
                raise NotPassed(self._diagnose(answer, args, actual, expected, rng) or message.rstrip(".") + where + ".")
        return None

    def _diagnose(self, answer, args, actual, expected, rng):
        """A more specific message for a wrong result: a known mistake or an ignored argument."""
        values = list(args.values())
        for wrong, why in self.mistakes:
            try:
                wrong_out = wrong(*copy.deepcopy(values))
            except Exception:  # noqa: BLE001 (a mistake that does not apply to this case)
                continue
            if self._compare(wrong_out, expected) and not self._compare(actual, wrong_out):
                return why
        for k, name in enumerate(args):
            perturb = self.perturb.get(name, _default_perturb)
            changed = perturb(values[k], rng)
            if changed is None:
                continue
            new = values[:k] + [changed] + values[k + 1:]
            try:
                ref_new = self.reference(*copy.deepcopy(new))
                if not self._compare(ref_new, expected):
                    continue  # the reference does not depend on it here either
                student_new = answer(*copy.deepcopy(new))
            except Exception:  # noqa: BLE001 (the plain mismatch message will do)
                continue
            if student_new is not None and not self._compare(student_new, actual):
                return (f"the result does not change when `{name}` changes: is it ignored? "
                        f"(your function takes {describe_arguments(args)})")
        return None

    def _solution_body(self):
        return _listing(*self.solution_objects)


def _check_text_(message):
    if not isinstance(message, str) or not message.strip():
        raise ValueError(f"a mistake's message {message!r} must be a non-empty string.")
    return message


class ValueExercise(Exercise):
    """The student computes a number or an array; it must equal ``reference()`` within a tolerance.

    Args:
        title: the task in a few words.
        reference: a function without arguments that computes the expected value with the
            package's code at check time.
        hints: at least one hint.
        prose: one line shown with the solution. Default ``""``.
        rtol, atol: tolerances. Defaults 1e-6 and 1e-8.
        name: how messages call the answer. Default ``"your value"``.
        output_names: item names when the value is a tuple.

    Example:

    >>> ex = ValueExercise("Parameters of Dense(3) on 4 inputs", lambda: 4 * 3 + 3,
    ...                    hints=["Weights plus biases."]).bind("99", 1)
    >>> ex.check(15).status, ex.check(12).status
    ('passed', 'failed')
    """

    kind = "value"

    def __init__(self, title, reference, hints, prose="", rtol=1e-6, atol=1e-8, name="your value",
                 output_names=None, seed=0):
        super().__init__(title, hints, prose, seed)
        self.reference = _check_callable("reference", reference)
        self.rtol, self.atol = _check_tolerance("rtol", rtol), _check_tolerance("atol", atol)
        self.name = name
        self.output_names = output_names

    def _check(self, answer):
        if callable(answer) and not isinstance(answer, np.ndarray):
            raise NotPassed(f"{self.name} should be a number or an array, not a function: call it.")
        message = compare_values(answer, self.reference(), self.name, self.rtol, self.atol, self.output_names)
        if message:
            raise NotPassed(message)

    def _solution_body(self):
        return _listing(self.reference)


class ChoiceExercise(Exercise):
    """A conceptual question: one of several choices, or a number rounded to ``digits`` decimals.

    Only ``sha256(key | normalized answer)`` is stored; the explanation (shown by
    ``solution()``) may name the answer.

    Args:
        title: the question in a few words.
        key: a stable salt, e.g. ``"01-xor-lines"``; changing it changes every digest.
        answer_digest: ``ChoiceExercise.digest(key, answer, digits)`` of the right answer.
        hints: at least one hint.
        explanation: Markdown shown as the solution.
        choices: ``{"a": "text", ...}`` for a multiple choice; None for a numeric answer.
        digits: decimals a numeric answer is rounded to before hashing (0 for integers).
        prose: one line shown above the explanation. Default ``""``.

    Example:

    >>> d = ChoiceExercise.digest("demo", "b")
    >>> ex = ChoiceExercise("Demo", "demo", d, ["Think."], "It is b.",
    ...                     choices={"a": "one", "b": "two"}).bind("99", 1)
    >>> ex.check("B").status, ex.check("a").status
    ('passed', 'failed')
    """

    kind = "choice"

    def __init__(self, title, key, answer_digest, hints, explanation, choices=None, digits=None,
                 prose=""):
        super().__init__(title, hints, prose)
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"key={key!r} must be a non-empty string.")
        if not isinstance(answer_digest, str) or len(answer_digest) != 64:
            raise ValueError(f"answer_digest={answer_digest!r} must be a sha256 hex digest (64 characters).")
        if (choices is None) == (digits is None):
            raise ValueError(f"give exactly one of choices={choices!r} and digits={digits!r}.")
        if choices is not None and (not isinstance(choices, dict) or len(choices) < 2):
            raise ValueError(f"choices={choices!r} must be a dict of at least two options.")
        if digits is not None and (isinstance(digits, bool) or not isinstance(digits, int) or digits < 0):
            raise ValueError(f"digits={digits!r} must be an integer >= 0.")
        self.key, self.answer_digest = key, answer_digest
        self.explanation = explanation
        self.choices = {str(k).strip().lower(): v for k, v in choices.items()} if choices else None
        self.digits = digits

    @staticmethod
    def normalize(answer, digits=None):
        """The text that is hashed: a lower-case choice, or the number rounded to ``digits``."""
        if digits is None:
            if not isinstance(answer, str):
                raise NotPassed(f"answer with the letter of a choice, as a string; got {type(answer).__name__}.")
            return answer.strip().strip("()").strip().lower()
        number = finite_number(answer, "your answer")
        text = f"{round(number, digits):.{digits}f}"
        return f"{0:.{digits}f}" if float(text) == 0 else text  # -0.00 is 0.00

    @classmethod
    def digest(cls, key, answer, digits=None):
        """The salted sha256 of ``answer`` that a ``ChoiceExercise`` stores."""
        return hashlib.sha256(f"{key}|{cls.normalize(answer, digits)}".encode()).hexdigest()

    def _check(self, answer):
        normalized = self.normalize(answer, self.digits)
        if self.choices is not None and normalized not in self.choices:
            raise NotPassed(f"{answer!r:.40} is not one of the choices {', '.join(self.choices)}.")
        if hashlib.sha256(f"{self.key}|{normalized}".encode()).hexdigest() != self.answer_digest:
            if self.digits is not None:
                places = f"{self.digits} decimal place{'s' if self.digits != 1 else ''}"
                raise NotPassed(f"that is not the right number (rounded to {places}).")
            raise NotPassed("that is not the right choice.")

    def _solution_body(self):
        text = self.explanation
        return Hint(text, text)


class TrainingExercise(Exercise):
    """A function that builds or trains a model must reach a threshold within a budget.

    Args:
        title: the task in a few words.
        reference: the reference function (shown by ``solution()``; it must pass).
        data: ``data(rng) -> dict`` of arguments passed (positionally) to the answer.
        score: ``score(returned, data) -> float``: the metric of what the answer returned;
            it may raise :class:`NotPassed` for a specific message (e.g. a loss that does not fall).
        threshold: the value the metric must reach.
        hints: at least one hint.
        goal: ``"max"`` (at least ``threshold``, default) or ``"min"`` (at most).
        metric: the metric's name in messages. Default ``"accuracy"``.
        budget: the budget in words, e.g. ``"20 epochs"``. Default ``""``.
        time_limit_s: seconds the answer may take, or None. Default None.
        answer_keys: the entries of ``data`` passed to the answer, in order. Default: all.
        prose: one line shown with the solution. Default ``""``.
    """

    kind = "training"

    def __init__(self, title, reference, data, score, threshold, hints, goal="max", metric="accuracy",
                 budget="", time_limit_s=None, answer_keys=None, prose="", seed=0):
        super().__init__(title, hints, prose, seed)
        self.reference = _check_callable("reference", reference)
        self.data = _check_callable("data", data)
        self.score = _check_callable("score", score)
        if goal not in ("max", "min"):
            raise ValueError(f"goal={goal!r} must be 'max' or 'min'.")
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not math.isfinite(threshold):
            raise ValueError(f"threshold={threshold!r} must be a finite number.")
        if time_limit_s is not None and (isinstance(time_limit_s, bool) or not isinstance(time_limit_s, numbers.Real)
                                         or not time_limit_s > 0):
            raise ValueError(f"time_limit_s={time_limit_s!r} must be a positive number or None.")
        self.threshold, self.goal, self.metric = float(threshold), goal, metric
        self.budget, self.time_limit_s = budget, time_limit_s
        self.answer_keys = None if answer_keys is None else tuple(answer_keys)

    def _check(self, answer):
        _need_callable(answer)
        data = self.data(self.rng())
        start = time.perf_counter()
        keys = self.answer_keys if self.answer_keys is not None else tuple(data)
        returned = self.call_student(answer, *(data[k] for k in keys))
        seconds = time.perf_counter() - start
        if returned is None:
            raise NotPassed("your function returned None: did you forget the `return`?")
        try:
            value = self.score(returned, data)
        except NotPassed:
            raise
        except Exception as exc:  # noqa: BLE001 (the answer returned something unusable)
            raise NotPassed(f"what your function returned could not be scored: {type(exc).__name__}: {exc}") from None
        value = finite_number(value, f"the {self.metric}")
        within = f" within {self.budget}" if self.budget else ""
        reached = value >= self.threshold if self.goal == "max" else value <= self.threshold
        if not reached:
            need = "at least" if self.goal == "max" else "at most"
            raise NotPassed(f"the {self.metric} is {value:.4g}{within}; it needs to be {need} {self.threshold:g}.")
        if self.time_limit_s is not None and seconds > self.time_limit_s:
            raise NotPassed(f"it took {seconds:.1f} s; the budget is {self.time_limit_s:g} s.")
        return f"{self.metric} = {value:.4g}{within}."

    def _solution_body(self):
        return _listing(self.reference)


from .layer import LayerExercise  # noqa: E402,F401 (a kind of its own module: Keras-specific)

__all__ = ["ChoiceExercise", "FunctionExercise", "LayerExercise", "TrainingExercise", "ValueExercise"]
