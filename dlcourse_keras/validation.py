"""Argument checks shared by every module: one wording, NumPy scalars accepted, NaN and inf rejected.

Each check returns the value as a plain Python ``float``/``int``/``bool`` and raises
``ValueError`` with a message naming the argument, the bad value and what is allowed.
``bool`` (and ``np.bool_``) is never taken for a number. NumPy scalars (``np.float32(0.1)``,
``np.int64(3)``) count as numbers, and messages show them as plain numbers (``units=0``).

Example:

>>> check_number("epsilon", 1e-3, low=0, low_open=True)
0.001
>>> check_number("epsilon", float("nan"), low=0, low_open=True)
Traceback (most recent call last):
...
ValueError: epsilon=nan must be a finite number > 0 (NaN and inf are not allowed).
"""

import math
import numbers

import numpy as np


def _shown(value):
    # NumPy scalars print as plain numbers in messages: "units=3", not "units=np.int64(3)"
    return str(value) if isinstance(value, np.generic) else repr(value)


def _bound(x):
    # integer bounds in full (2**32 - 1 as 4294967295, not 4.29497e+09)
    return str(int(x)) if isinstance(x, numbers.Integral) else f"{x:g}"


def _range_text(low, high, low_open, high_open):
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{_bound(low)}, {_bound(high)}{')' if high_open else ']'}"
    if low is not None:
        return f" {'>' if low_open else '>='} {_bound(low)}"
    if high is not None:
        return f" {'<' if high_open else '<='} {_bound(high)}"
    return ""


def _inside(value, low, high, low_open, high_open):
    if low is not None and (value <= low if low_open else value < low):
        return False
    if high is not None and (value >= high if high_open else value > high):
        return False
    return True


def check_number(name, value, low=None, high=None, low_open=False, high_open=False):
    """A finite real number within optional bounds, returned as ``float``.

    Args:
        name: the argument's name, for the message.
        value: what the caller passed.
        low, high: bounds; default None (unbounded).
        low_open, high_open: exclude the bound itself. Default False (bound allowed).

    Example:

    >>> import numpy as np
    >>> check_number("rate", np.float32(0.25), low=0, high=1, high_open=True)
    0.25
    """
    allowed = f"a finite number{_range_text(low, high, low_open, high_open)}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}={_shown(value)} must be {allowed}.")
    value_f = float(value)
    if not math.isfinite(value_f):
        raise ValueError(f"{name}={_shown(value)} must be {allowed} (NaN and inf are not allowed).")
    if not _inside(value_f, low, high, low_open, high_open):
        raise ValueError(f"{name}={_shown(value)} must be {allowed}.")
    return value_f


def check_int(name, value, low=None, high=None, allow_none=False):
    """An integer (Python or NumPy) within optional inclusive bounds, returned as ``int``.

    Args:
        name: the argument's name, for the message.
        value: what the caller passed.
        low, high: inclusive bounds; default None (unbounded).
        allow_none: accept ``None`` (returned as is). Default False.

    Example:

    >>> check_int("patience", 3, low=0)
    3
    """
    if value is None and allow_none:
        return None
    allowed = f"{'None or ' if allow_none else ''}an integer{_range_text(low, high, False, False)}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}={_shown(value)} must be {allowed}.")
    if not _inside(int(value), low, high, False, False):
        raise ValueError(f"{name}={_shown(value)} must be {allowed}.")
    return int(value)


def check_bool(name, value):
    """``True`` or ``False`` (Python or NumPy), returned as ``bool``.

    Example:

    >>> check_bool("per_step", False)
    False
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name}={_shown(value)} must be True or False.")
