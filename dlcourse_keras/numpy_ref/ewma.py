"""Exponentially weighted moving average (EWMA), the idea behind momentum and Adam."""

import numpy as np

from ..validation import check_bool, check_number


def ewma(values, beta=0.9, bias_correction=False, initial=0.0):
    """Exponentially weighted moving average of a sequence.

    Implements the course notes' recurrence ``V_t = beta * V_{t-1} + (1 - beta) * theta_t``
    for ``t = 1..n``. With ``bias_correction=True`` each value is divided by
    ``1 - beta**t`` (as Adam does), which removes the pull towards the zero start.

    Args:
        values: 1-D sequence of numbers ``theta_1..theta_n``.
        beta: smoothing constant in ``[0, 1)``; default 0.9 (the notes' usual value).
            The average spans roughly the last ``1 / (1 - beta)`` values.
        bias_correction: divide by ``1 - beta**t``; default False. Only meaningful when
            the start is zero.
        initial: ``V_0``; a number (default 0.0) or ``"first"`` to start at the first
            value (``V_0 = theta_1``, the notes' other convention).

    Returns:
        float64 array ``[V_1, ..., V_n]``.

    Example:
        >>> ewma([25, 13, 17], beta=0.9).round(3).tolist()
        [2.5, 3.55, 4.895]
        >>> ewma([25, 13, 17], beta=0.9, bias_correction=True).round(3).tolist()
        [25.0, 18.684, 18.063]
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"values must be a non-empty 1-D sequence; got shape {values.shape}.")
    if not np.all(np.isfinite(values)):
        raise ValueError("values must contain only finite numbers (NaN and inf are not allowed).")
    beta = check_number("beta", beta, low=0, high=1, high_open=True)
    bias_correction = check_bool("bias_correction", bias_correction)
    if isinstance(initial, str):
        if initial != "first":
            raise ValueError(f"initial={initial!r} must be a finite number or 'first'.")
        start = float(values[0])
    else:
        start = check_number("initial", initial)
    if bias_correction and start != 0.0:
        raise ValueError(
            f"bias_correction=True assumes a zero start; got initial={initial!r}.")
    out = np.empty_like(values)
    v = start
    for t, theta in enumerate(values, start=1):
        v = beta * v + (1.0 - beta) * theta
        out[t - 1] = v / (1.0 - beta**t) if bias_correction else v
    return out
