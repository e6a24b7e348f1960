"""Small shared pieces of the plot helpers (not public)."""

import matplotlib.pyplot as plt

from ..validation import check_int


def get_axes(ax, figsize=(5.5, 4.5)):
    """Returns ``ax``, or the Axes of a new figure when ``ax`` is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def check_positive_int(name, value, minimum=1):
    """Raises ValueError unless ``value`` is an int >= ``minimum``."""
    return check_int(name, value, low=minimum)


def check_range(name, value):
    """Raises ValueError unless ``value`` is a pair ``(low, high)`` with low < high."""
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} must be a pair (low, high) of numbers.") from None
    if not low < high:
        raise ValueError(f"{name}={value!r} must satisfy low < high.")
    return low, high
