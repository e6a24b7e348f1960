"""Comparing a student's result with the reference, in messages that never show the reference.

:func:`compare_values` returns None when two results agree within a tolerance, else one
sentence about what is wrong: the type, the shape ("has shape (3,); expected shape (3, 1)"),
non-numbers, a flipped sign, a transposed matrix, or how many entries differ and where the
first one is. It never prints a value of the reference, so the message cannot give the answer
away.

Example:

>>> import numpy as np
>>> compare_values(np.array([1.0, 2.0, 0.0]), np.array([1.0, 2.0, 3.0]))
'the result: 1 of 3 entries differ, first at [2].'
>>> compare_values(np.ones((2, 3)), np.ones((3, 2)))
'the result looks transposed: it has shape (2, 3); expected shape (3, 2).'
"""

import math
import numbers

import numpy as np


class NotPassed(Exception):
    """Raised inside a check to report a wrong answer; ``message`` is shown to the student."""

    def __init__(self, message):
        super().__init__(message)
        self.message = str(message)


def format_index(index):
    """``(2, 1)`` as ``"[2, 1]"`` (the first differing entry, for messages)."""
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _as_array(value, name):
    if isinstance(value, (str, bytes)) or value is None:
        raise NotPassed(f"{name} is {type(value).__name__} {value!r:.40}, not a number or an array.")
    if hasattr(value, "numpy") and callable(value.numpy):  # a TensorFlow or Keras tensor
        try:
            value = value.numpy()
        except Exception:  # noqa: BLE001 (a symbolic tensor: judged as it converts below)
            pass
    try:
        array = np.asarray(value)
    except Exception as exc:  # noqa: BLE001 (ragged lists and odd objects)
        raise NotPassed(f"{name} cannot be read as an array ({type(exc).__name__}: {exc}).") from None
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise NotPassed(f"{name} is not numeric: it is a {type(value).__name__} whose entries are "
                        f"{array.dtype} (return numbers, e.g. a NumPy float array).")
    return array


def _kind_note(actual, expected):
    if actual.dtype.kind in "biu" and expected.dtype.kind == "f":
        return (f" It holds integers ({actual.dtype}) where the result has fractions: did "
                "integer division, rounding or an integer array drop them?")
    return ""


def _nonfinite_message(actual, expected, name):
    bad = ~np.isfinite(actual) & np.isfinite(expected)
    if not bad.any():
        return None
    what = "not a number (NaN)" if np.isnan(actual[bad]).all() else "NaN or infinite"
    if actual.ndim == 0:
        return f"{name} is {what}."
    first = format_index(np.argwhere(bad)[0])
    return f"{name}: {int(bad.sum())} of {actual.size} entries are {what}, first at {first}."


def _close(a, b, rtol, atol):
    return np.isclose(a.astype(float), b.astype(float), rtol=rtol, atol=atol, equal_nan=True)


def _compare_array(actual, expected, name, rtol, atol):
    actual = _as_array(actual, name)
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        shapes = f"it has shape {actual.shape}; expected shape {expected.shape}"
        if actual.ndim == 2 and actual.T.shape == expected.shape and _close(actual.T, expected, rtol, atol).all():
            return f"{name} looks transposed: {shapes}."
        if actual.size == expected.size and actual.size > 1 and _close(actual.reshape(expected.shape), expected,
                                                                        rtol, atol).all():
            return f"{name} has the right numbers in the wrong shape: {shapes} (reshape or squeeze it)."
        if expected.ndim == 0:
            return f"{name} should be a single number; {shapes}."
        return f"{name} has the wrong shape: {shapes}."
    message = _nonfinite_message(actual, expected, name)
    if message:
        return message
    close = _close(actual, expected, rtol, atol)
    if close.all():
        return None
    if np.abs(expected).max(initial=0) > atol and _close(actual, -expected, rtol, atol).all():
        return f"{name} has the wrong sign: it is the negative of the right result.{_kind_note(actual, expected)}"
    tolerance = f" (relative tolerance {rtol:g}, absolute {atol:g})"
    if expected.ndim == 0:
        return f"{name} is not the right value{tolerance}.{_kind_note(actual, expected)}"
    wrong = ~close
    first = format_index(np.argwhere(wrong)[0])
    return (f"{name}: {int(wrong.sum())} of {expected.size} entries differ, first at "
            f"{first}.{_kind_note(actual, expected)}")


def compare_values(actual, expected, name="the result", rtol=1e-6, atol=1e-8, names=None):
    """None when ``actual`` matches ``expected``, else a sentence saying what is wrong.

    Args:
        actual: the student's number, array (NumPy, TensorFlow or a nested list) or, when
            ``expected`` is a tuple or list, a sequence of those.
        expected: the reference result: a number, an array, or a tuple/list of them.
        name: how the message calls the result. Default ``"the result"``.
        rtol, atol: tolerances as in ``np.isclose``. Defaults 1e-6 and 1e-8.
        names: names of the items when ``expected`` is a tuple, e.g. ``("dL/dw", "dL/db")``.
            Default: ``"item 1"``, ``"item 2"``...

    Returns:
        None or a message; the message never contains the reference's values.

    Raises:
        NotPassed: ``actual`` is not numeric or cannot be read as an array.
    """
    if isinstance(expected, (tuple, list)) and not _is_number(expected):
        n = len(expected)
        names = list(names) if names is not None else [f"item {i + 1}" for i in range(n)]
        if isinstance(actual, np.ndarray) or not isinstance(actual, (tuple, list)):
            return (f"{name} should be {n} values ({', '.join(names)}), e.g. a tuple; "
                    f"got a {type(actual).__name__}.")
        if len(actual) != n:
            return f"{name} should be {n} values ({', '.join(names)}); got {len(actual)}."
        for item, want, label in zip(actual, expected, names):
            message = compare_values(item, want, f"{name} ({label})" if name else label, rtol, atol)
            if message:
                return message
        return None
    try:
        return _compare_array(actual, expected, name, rtol, atol)
    except NotPassed as exc:
        return exc.message


def _is_number(value):
    return isinstance(value, numbers.Number)


def finite_number(value, name="the value"):
    """``value`` as a float; :class:`NotPassed` when it is not a finite real number."""
    if isinstance(value, bool) or value is None:
        raise NotPassed(f"{name} should be a number; got {type(value).__name__}.")
    try:
        number = float(np.asarray(value).reshape(()))
    except Exception:  # noqa: BLE001
        raise NotPassed(f"{name} should be a single number; got a {type(value).__name__}.") from None
    if not math.isfinite(number):
        raise NotPassed(f"{name} is {'not a number (NaN)' if math.isnan(number) else 'infinite'}.")
    return number


def arrays_equal(a, b):
    """Whether two argument values are identical (used to see if a student mutated an input)."""
    try:
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
        if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
            return len(a) == len(b) and all(arrays_equal(x, y) for x, y in zip(a, b))
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(arrays_equal(a[k], b[k]) for k in a)
        if (type(a) is type(b) and type(a).__eq__ is object.__eq__
                and hasattr(a, "__dict__") and hasattr(b, "__dict__")):
            # a plain object (an MLP, a Perceptron) compared by identity would always look
            # "changed" against its deep copy: compare its attributes instead
            return arrays_equal(vars(a), vars(b))
        return bool(a == b)
    except Exception:  # noqa: BLE001 (objects without a usable ==)
        return True


def describe_arguments(args):
    """``"x of shape (5, 3), bias a number"``: the arguments of a case, without their values."""
    parts = []
    for name, value in args.items():
        if isinstance(value, np.ndarray):
            parts.append(f"`{name}` of shape {value.shape}")
        elif _is_number(value) and not isinstance(value, bool):
            parts.append(f"`{name}` a number")
        else:
            parts.append(f"`{name}` a {type(value).__name__}")
    return ", ".join(parts)
