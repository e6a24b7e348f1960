"""How sure is "model A is more accurate than model B"? A paired bootstrap over test examples.

Two models scored on the same test set are compared example by example: each bootstrap
resample draws the test examples with replacement and recomputes both accuracies on the
same draw, so the noise both share (an easy or a hard test set) cancels out (Efron &
Tibshirani 1993; Koehn 2004 for the NLP use). Taught in notebook 12.
"""

import numpy as np

from .validation import check_int


def paired_bootstrap(correct_a, correct_b, n_resamples=10000, seed=0, confidence=0.95):
    """Bootstrap distribution of ``accuracy(A) - accuracy(B)`` on resampled test sets.

    Args:
        correct_a: per-example correctness of model A, one per test example: bools or 0/1,
            or a share in [0, 1] (e.g. how many of three seeds got the example right, / 3,
            which makes the accuracy that of the seeds' mean).
        correct_b: the same for model B, on the same examples in the same order.
        n_resamples: number of resampled test sets, an int >= 100. Default 10000.
        seed: seed of the resampling, an int >= 0. Default 0.
        confidence: coverage of the percentile interval, in (0, 1). Default 0.95.

    Returns:
        dict: ``difference`` (accuracy of A minus that of B on the real test set),
        ``low`` and ``high`` (percentile interval of the difference), ``p_a_better``
        (share of resamples where A is strictly more accurate) and ``p_not_better``
        (share where it is not: a one-sided bootstrap p-value for "A beats B").

    Raises:
        ValueError: a bad argument, or ``correct_a`` and ``correct_b`` of different
            lengths, empty, or with values outside [0, 1] (NaN included).

    Example:

    >>> a = np.array([1, 1, 1, 0] * 50)
    >>> b = np.array([1, 0, 1, 0] * 50)
    >>> result = paired_bootstrap(a, b, n_resamples=1000)
    >>> round(result["difference"], 2), result["p_a_better"] > 0.99
    (0.25, True)
    """
    a, b = _correctness("correct_a", correct_a), _correctness("correct_b", correct_b)
    if len(a) != len(b):
        raise ValueError(f"correct_a has {len(a)} examples but correct_b has {len(b)}; score both "
                         "models on the same test examples.")
    n_resamples = check_int("n_resamples", n_resamples, low=100)
    seed = check_int("seed", seed, low=0)
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.floating)) \
            or not 0 < float(confidence) < 1:
        raise ValueError(f"confidence={confidence!r} must be a number in (0, 1), e.g. 0.95.")
    rng = np.random.default_rng(seed)
    delta = a - b   # per example: +1 A right and B wrong, -1 the reverse, 0 both the same
    differences = np.empty(n_resamples)
    for start in range(0, n_resamples, 1000):   # in chunks: at most 1000 x n indices in memory
        count = min(1000, n_resamples - start)
        draws = rng.integers(0, len(delta), size=(count, len(delta)))
        differences[start:start + count] = delta[draws].mean(axis=1)
    tail = (1 - float(confidence)) / 2
    return {"difference": float(delta.mean()),
            "low": float(np.quantile(differences, tail)), "high": float(np.quantile(differences, 1 - tail)),
            "p_a_better": float(np.mean(differences > 0)), "p_not_better": float(np.mean(differences <= 0))}


def _correctness(name, value):
    array = np.asarray(value)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of 0/1, bools or shares, one per test "
                         f"example; got shape {array.shape}.")
    if array.dtype == bool:
        return array.astype(np.float64)
    if not np.issubdtype(array.dtype, np.number) or not (np.isfinite(array).all()
                                                         and (array >= 0).all() and (array <= 1).all()):
        raise ValueError(f"{name} must hold values in [0, 1] (bools, 0/1 or a share of seeds; NaN is "
                         "not allowed): whether each test example was classified correctly.")
    return array.astype(np.float64)
