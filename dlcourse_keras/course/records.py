"""Recording a notebook's results so the course runner can report them.

A notebook calls :func:`record_metric` once per result. In Jupyter it prints
one line; under ``dlcourse run`` the value is also appended, as one JSON line,
to the file named by ``DLCOURSE_RECORD_FILE``, which the runner collects.
"""

import json
import math
import numbers
import os
import re

import numpy as np

from ..validation import check_number

RECORD_ENV = "DLCOURSE_RECORD_FILE"
GOALS = ("max", "min")


def _append_record(record):
    path = os.environ.get(RECORD_ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, allow_nan=False) + "\n")


def target_met(value, target, goal="max"):
    """Whether ``value`` reaches ``target`` (``>=`` for max, ``<=`` for min).

    None when there is no target; a missing, NaN or infinite value never
    meets one (a diverged run must not pass as "loss <= 0.1").
    """
    if target is None:
        return None
    if value is None or not math.isfinite(value):
        return False
    return value >= target if goal == "max" else value <= target


def _nonfinite_name(number):
    if math.isnan(number):
        return "nan"
    return "inf" if number > 0 else "-inf"


def _finite_target(target, what="target"):
    try:
        return check_number(what, target)
    except ValueError as exc:
        hint = " A target can also be a dict of numbers per profile, or None." if what == "target" else ""
        raise ValueError(f"{exc}{hint} (NaN and inf can never be met; text and booleans are not "
                         "numbers.)") from None


def _metric_value(name, value):
    """``value`` as a float: a real number, a NumPy scalar or a 0-d numeric array; NaN and inf kept."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iuf":
        return float(value)
    shown = str(value) if isinstance(value, np.generic) else repr(value)
    raise ValueError(f"value={shown} for metric {name!r} must be a real number (int, float, a NumPy "
                     "scalar or 0-d array; NaN and inf are allowed), not "
                     f"{type(value).__name__}; convert a rate kept as text or a boolean first, "
                     "e.g. float(...).")


def resolve_target(target, profile):
    """The target that applies in ``profile``, and the per-profile dict if one was given.

    Args:
        target: None, a number, or a dict such as ``{"smoke": 0.8, "full": 0.97}``
            (a profile missing from the dict has no target).
        profile: ``"smoke"`` or ``"full"``.

    Returns:
        ``(target_for_profile, targets_dict_or_None)`` with floats.
    """
    from .profile import PROFILES

    if target is None:
        return None, None
    if isinstance(target, dict):
        if not target:
            raise ValueError(f"target={target!r} must name at least one of {PROFILES}.")
        targets = {}
        for key, value in target.items():
            if key not in PROFILES:
                raise ValueError(f"target has a key {key!r}; allowed keys are {PROFILES}.")
            targets[key] = None if value is None else _finite_target(value, f"target[{key!r}]")
        return targets.get(profile), targets
    return _finite_target(target), None


def record_metric(name, value, target=None, goal="max", unit="", quiet=False):
    """Records one named result of a notebook.

    Under ``dlcourse run`` a target missed in the profile being run fails the
    notebook. A NaN or infinite value is recorded as ``null`` with
    ``"nonfinite": "nan"`` (or ``"inf"``, ``"-inf"``), so the report stays valid
    JSON, and it never meets a target.

    Args:
        name: short identifier, e.g. ``"xor_accuracy"``.
        value: a real number (int, float, NumPy scalar or 0-d array); NaN
            and inf are allowed. Text (``"0.5"``) and booleans are refused.
        target: optional number the value should reach, or a dict with one
            target per profile, e.g. ``{"smoke": 0.8, "full": 0.97}`` (a
            profile left out has no target). Must be a finite number, not text
            or a boolean. Default None.
        goal: ``"max"`` (default; the value should be at least ``target``)
            or ``"min"`` (at most ``target``).
        unit: optional unit printed after the value, e.g. ``"s"``.
        quiet: if True, do not print.

    Returns:
        The recorded entry as a dict (``name``, ``value``, ``target`` for the
        active profile, ``goal``, ``unit``, ``met``, ``profile``; plus
        ``targets`` when given per profile and ``nonfinite`` for NaN/inf).

    Raises:
        ValueError: naming the argument, the bad value and what is allowed: an
            empty ``name``, a ``value`` or target that is text or a boolean (a
            target may not be NaN or inf either), an unknown ``goal`` or profile.

    Example:

    >>> entry = record_metric("test_accuracy", 0.981, target={"smoke": 0.9, "full": 0.97}, quiet=True)
    >>> entry["met"]
    True
    >>> record_metric("test_accuracy", "0.981")
    Traceback (most recent call last):
    ...
    ValueError: value='0.981' for metric 'test_accuracy' must be a real number (int, float, a NumPy scalar or 0-d array; NaN and inf are allowed), not str; convert a rate kept as text or a boolean first, e.g. float(...).
    """
    from .profile import get_profile

    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name={name!r} must be a non-empty string.")
    if goal not in GOALS:
        raise ValueError(f"goal={goal!r} must be one of {GOALS}.")
    number = _metric_value(name, value)
    profile = get_profile()
    target, targets = resolve_target(target, profile)
    record = {
        "kind": "metric",
        "name": name,
        "value": number if math.isfinite(number) else None,
        "target": target,
        "goal": goal,
        "unit": unit,
        "met": target_met(number, target, goal),
        "profile": profile,
    }
    if targets is not None:
        record["targets"] = targets
    if not math.isfinite(number):
        record["nonfinite"] = _nonfinite_name(number)
    _append_record(record)
    if not quiet:
        line = f"[metric] {name} = {number:.6g}{(' ' + unit) if unit else ''}"
        if target is not None:
            sign = ">=" if goal == "max" else "<="
            line += f"  (target {sign} {target:g}: {'met' if record['met'] else 'NOT met'})"
        print(line)
    return record


def record_data_source(dataset, source, detail=""):
    """Notes which source a loader used (called by the data loaders)."""
    _append_record({"kind": "data", "dataset": dataset, "source": source, "detail": detail})


FIGURE_DIR_ENV = "DLCOURSE_FIGURE_DIR"


def record_figure(figure, name, title=""):
    """Keeps a key figure for the course report.

    Under ``dlcourse run`` the figure is saved as ``<name>.png`` in the
    directory named by ``DLCOURSE_FIGURE_DIR`` and listed in the report; in
    Jupyter this does nothing, so a notebook can call it freely.

    Args:
        figure: a ``matplotlib.figure.Figure``.
        name: file-name stem, letters, digits, ``-`` and ``_`` only.
        title: caption for the report. Default: ``name``.

    Returns:
        The saved path, or None when not running under the course runner.
    """
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ValueError(f"name={name!r} must use only letters, digits, '-' and '_'.")
    if not hasattr(figure, "savefig"):
        raise TypeError(f"figure={figure!r} must be a matplotlib Figure.")
    directory = os.environ.get(FIGURE_DIR_ENV)
    if not directory:
        return None
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name + ".png")
    from .session import FIGURE_DPI

    figure.savefig(path, dpi=FIGURE_DPI, bbox_inches="tight")
    _append_record({"kind": "figure", "path": path, "title": title or name})
    return path
