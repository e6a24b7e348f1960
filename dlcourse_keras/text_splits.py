"""Fixed, seeded splits of a corpus, and a report of them (notebooks 12 and 13).

:func:`stratified_split` keeps each class's share in every split (sentiment, notebook 12);
:func:`split_by_source` keeps every translation of one source sentence in one split
(translation, notebook 13), so that no test sentence was seen in training. The names are
also reachable from :mod:`dlcourse_keras.text`.
"""

import numpy as np

from ._texts import _clip, check_texts
from .validation import check_int, check_number


def _fractions(fractions, positive):
    """Three shares (train, validation, test) that sum to 1, as floats."""
    try:
        values = tuple(fractions)
    except TypeError:
        values = ()
    if len(values) != 3:
        raise ValueError(f"fractions={_clip(fractions)} must be three numbers (train, validation, "
                         "test) that sum to 1.")
    values = tuple(check_number(f"fractions[{i}]", v, low=0, low_open=positive)
                   for i, v in enumerate(values))
    if abs(sum(values) - 1) > 1e-6:
        raise ValueError(f"fractions={values} must sum to 1, not {sum(values):g}.")
    return values


def stratified_split(texts, labels, fractions=(0.8, 0.1, 0.1), seed=0):
    """A fixed, stratified, seeded split into train / validation / test.

    Args:
        texts: sequence of str; labels: array of class labels, same length.
        fractions: (train, validation, test) fractions, positive, summing to 1.
            Default (0.8, 0.1, 0.1).
        seed: seed of the shuffle, an int >= 0. Default 0.

    Returns:
        dict ``{"train": (texts, labels), "val": (...), "test": (...)}``; texts as NumPy
        object arrays, labels as NumPy arrays. Every class keeps its share in each split
        (up to one example).

    Example:

    >>> s = stratified_split(["a", "b", "c", "d"] * 5, [0, 1] * 10, seed=0)
    >>> [len(s[k][0]) for k in ("train", "val", "test")]
    [16, 2, 2]
    """
    texts = np.asarray(check_texts(texts), dtype=object)
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(texts) != len(labels):
        raise ValueError(f"texts ({len(texts)}) and labels ({labels.size}) differ in length.")
    fractions = _fractions(fractions, positive=True)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    parts = {"train": [], "val": [], "test": []}
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        n_train = int(round(fractions[0] * len(idx)))
        n_val = int(round(fractions[1] * len(idx)))
        parts["train"].append(idx[:n_train])
        parts["val"].append(idx[n_train:n_train + n_val])
        parts["test"].append(idx[n_train + n_val:])
    out = {}
    for name, chunks in parts.items():
        idx = rng.permutation(np.concatenate(chunks))
        out[name] = (texts[idx], labels[idx])
    return out


def split_report(splits):
    """One row per split: size, class shares and length in tokens (whitespace split).

    Args:
        splits: dict name -> (texts, labels), e.g. from :func:`stratified_split`.

    Returns:
        list of dicts with keys ``split, n, positive_fraction, mean_tokens, max_tokens``
        (``positive_fraction`` is the share of label 1).

    Example:

    >>> split_report({"train": (["a b", "c"], [1, 0])})[0]["mean_tokens"]
    1.5
    """
    rows = []
    for name, (texts, labels) in splits.items():
        lengths = np.array([len(str(t).split()) for t in texts])
        rows.append({"split": name, "n": int(len(texts)),
                     "positive_fraction": float(np.mean(np.asarray(labels) == 1)),
                     "mean_tokens": float(lengths.mean()), "max_tokens": int(lengths.max())})
    return rows


def split_by_source(pairs, fractions=(0.8, 0.1, 0.1), seed=0):
    """Splits translation pairs so that no source sentence appears in two splits.

    Pairs that share a source (one English sentence, several French translations) are
    grouped first; the groups are shuffled and cut by ``fractions``.

    Args:
        pairs: list of ``(source, target)``.
        fractions: shares >= 0 of the train, validation and test splits (sum 1).
            Default (0.8, 0.1, 0.1).
        seed: shuffling seed, an int >= 0. Default 0.

    Returns:
        three lists of ``(source, [targets...])``, in shuffled order.

    Example:

    >>> train, val, test = split_by_source([("a", "x"), ("a", "y"), ("b", "z")], (0.5, 0.5, 0.0))
    >>> sorted(len(refs) for _, refs in train + val)
    [1, 2]
    """
    fractions = _fractions(fractions, positive=False)
    seed = check_int("seed", seed, low=0)
    groups = {}
    for i, pair in enumerate(pairs):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise ValueError(f"pairs[{i}]={_clip(pair)} must be a (source, target) pair.")
        source, target = pair
        groups.setdefault(source, []).append(target)
    sources = sorted(groups)
    np.random.default_rng(seed).shuffle(sources)
    n_train = int(round(fractions[0] * len(sources)))
    n_val = int(round(fractions[1] * len(sources)))
    cuts = (sources[:n_train], sources[n_train:n_train + n_val], sources[n_train + n_val:])
    return tuple([(s, groups[s]) for s in part] for part in cuts)
