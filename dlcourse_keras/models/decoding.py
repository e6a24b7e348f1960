"""Inference for sequence models: greedy decoding and beam search, batched.

Both work with any one-step model given as a function::

    step_fn(tokens, state) -> (log_probs, new_state, extra)

where ``tokens`` is an int array ``(N,)`` (the previous output token of each of ``N``
rows), ``state`` a nested structure (dict, list) of arrays whose first axis is ``N``,
``log_probs`` a float array ``(N, vocabulary)`` of log-probabilities of the next token,
and ``extra`` None or an array ``(N, ...)`` recorded per step (the translator's attention
weights). Everything here is NumPy; the step function may run any backend.
Taught in notebook 13 (translation); the Keras twin is ``keras_hub.samplers``
(``GreedySampler``, ``BeamSampler``).
"""

import numpy as np

from ..validation import check_int, check_number


def _check_ids(start_id, end_id, pad_id):
    return {"start_id": check_int("start_id", start_id, low=0),
            "end_id": check_int("end_id", end_id, low=0),
            "pad_id": check_int("pad_id", pad_id, low=0)}


def _leaves(structure, path="state"):
    """``(path, array)`` of every leaf of a nested dict / list / tuple."""
    if isinstance(structure, dict):
        for key, value in structure.items():
            yield from _leaves(value, f"{path}[{key!r}]")
    elif isinstance(structure, (list, tuple)):
        for i, value in enumerate(structure):
            yield from _leaves(value, f"{path}[{i}]")
    else:
        yield path, structure


def _check_rows(structure, rows, path="state", who="batch_size"):
    for where, leaf in _leaves(structure, path):
        shape = np.shape(leaf)
        if not shape or shape[0] != rows:
            raise ValueError(f"{where} has {shape[0] if shape else 'no'} rows; every array of the state "
                             f"needs {who}={rows} rows (its first axis).")


def _check_step(step_fn, tokens, state, step, ids, rows_text):
    """Calls ``step_fn`` and checks what it returns: one finite (or -inf) row per sequence."""
    log_probs, new_state, extra = step_fn(tokens, state)
    log_probs = np.asarray(log_probs)
    rows = len(tokens)
    if log_probs.ndim != 2 or log_probs.shape[0] != rows:
        raise ValueError(f"step_fn returned log_probs of shape {log_probs.shape} at step {step}; "
                         f"expected ({rows_text}, vocabulary): one row per sequence.")
    bad = np.isnan(log_probs) | (log_probs == np.inf)
    if bad.any():
        raise ValueError(f"step_fn returned NaN or +inf log-probabilities at step {step} (row "
                         f"{int(np.argwhere(bad)[0, 0])}); they must be finite or -inf.")
    vocab = log_probs.shape[1]
    for name, value in ids.items():
        if value >= vocab:
            raise ValueError(f"{name}={value} is outside the vocabulary (ids 0 to {vocab - 1}) "
                             "of step_fn's log_probs.")
    if extra is not None and np.shape(extra)[:1] != (rows,):
        raise ValueError(f"step_fn returned extra of shape {np.shape(extra)} at step {step}; "
                         f"expected ({rows_text}, ...).")
    return log_probs, new_state, extra


def _top_k(candidates, k):
    """Indices of the ``k`` largest values of each row, best first.

    Of equal values the lowest index wins, as in ``argmax``, so that width 1 is greedy
    decoding exactly (``argpartition`` alone picks any of them).
    """
    n = candidates.shape[1]
    if k >= n:
        top = np.broadcast_to(np.arange(n), candidates.shape)
    else:
        kth = -np.partition(-candidates, k - 1, axis=1)[:, k - 1:k]   # the k-th largest value
        above, tied = candidates > kth, candidates == kth
        room = k - above.sum(axis=1, keepdims=True)                   # places left for the ties
        keep = above | (tied & (np.cumsum(tied, axis=1) <= room))     # lowest tied indices first
        top = np.nonzero(keep)[1].reshape(-1, k)                      # k per row, ascending index
    order = np.argsort(-np.take_along_axis(candidates, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


def _take(structure, index):
    import keras

    return keras.tree.map_structure(lambda a: np.asarray(a)[index], structure)


def greedy_decode(step_fn, state, batch_size, start_id, end_id, max_length, pad_id=0):
    """Picks the most probable token at every step, for a batch at once.

    ``y_t = argmax_w log p(w | y_<t, x)``: fast, but a choice that looks best now can
    lead to a worse sentence overall (beam search keeps alternatives).

    Of equal log-probabilities the lowest token id wins (``argmax``).

    Args:
        step_fn: the one-step model (see the module docstring).
        state: its initial state, a nested dict / list of arrays with first axis ``batch_size``.
        batch_size: number of sequences ``N``, an int >= 1.
        start_id: token fed at the first step, an id of the vocabulary.
        end_id: token that ends a sequence, an id of the vocabulary.
        max_length: most tokens generated per sequence (the end token included), an int >= 1.
        pad_id: token written after a sequence has ended. Default 0.

    Returns:
        ``(tokens, extras)``: int array ``(N, T)`` with ``T <= max_length`` (each row
        ends with ``end_id`` then ``pad_id``s, or stops at ``max_length``), and the
        per-step ``extra`` stacked to ``(N, T, ...)`` (None if the step gives none).

    Raises:
        ValueError: a bad argument; an id outside the vocabulary (known from the first
            step's ``log_probs``); a state array without ``batch_size`` rows; ``log_probs``
            without one row per sequence, or with NaN or +inf in it.

    Example:

    >>> # a bigram model over 0 pad, 1 start, 2 end, 3 "hello": start -> hello -> end
    >>> table = np.log([[.7, .1, .1, .1], [.1, .1, .1, .7], [.7, .1, .1, .1], [.1, .1, .7, .1]])
    >>> step = lambda tokens, state: (table[tokens], state, None)
    >>> tokens, _ = greedy_decode(step, {}, 2, start_id=1, end_id=2, max_length=10)
    >>> tokens.tolist()
    [[3, 2], [3, 2]]
    """
    batch_size = check_int("batch_size", batch_size, low=1)
    max_length = check_int("max_length", max_length, low=1)
    ids = _check_ids(start_id, end_id, pad_id)
    end_id, pad_id = ids["end_id"], ids["pad_id"]
    _check_rows(state, batch_size)
    tokens = np.full((batch_size,), ids["start_id"], dtype="int64")
    done = np.zeros((batch_size,), dtype=bool)
    outputs, extras = [], []
    for t in range(max_length):
        log_probs, state, extra = _check_step(step_fn, tokens, state, t + 1, ids, "batch_size")
        tokens = log_probs.argmax(axis=-1).astype("int64")
        tokens[done] = pad_id
        outputs.append(tokens)
        if extra is not None:
            extras.append(np.asarray(extra))
        done |= tokens == end_id
        if done.all():
            break
    stacked = np.stack(extras, axis=1) if extras else None
    return np.stack(outputs, axis=1), stacked


def beam_search(step_fn, state, batch_size, start_id, end_id, max_length, beam_width=4,
                length_penalty=1.0, pad_id=0):
    """Keeps the ``beam_width`` best partial sequences per input; returns the best finished.

    At each step every kept sequence (beam) is extended by every token; of the
    ``k * V`` candidates the ``k`` with the highest total log-probability
    ``sum_t log p(y_t | y_<t, x)`` survive. A beam that has produced ``end_id`` stays
    as it is. At the end the beams are ranked by the length-normalised score::

        score(y) = sum_t log p(y_t | y_<t, x) / |y| ** length_penalty

    where ``|y|`` is the length of ``y`` (``length_penalty`` 0: raw log-probability, which
    favours short outputs; 1: mean log-probability per token). Of equal scores the candidate with the lower beam and
    token index wins, as ``argmax`` does in greedy decoding: width 1 is greedy decoding,
    ties included.

    Args:
        step_fn: the one-step model (see the module docstring).
        state: its initial state, first axis ``batch_size``; it is repeated per beam.
        batch_size: number of inputs ``N``, an int >= 1.
        start_id: token fed at the first step, an id of the vocabulary.
        end_id: token that ends a sequence, an id of the vocabulary.
        max_length: most tokens generated per sequence (the end token included), an int >= 1.
        beam_width: beams ``k`` kept per input, an int >= 1. Default 4.
        length_penalty: exponent ``alpha`` of the length normalisation, a finite number
            >= 0. Default 1.0.
        pad_id: token written after a sequence has ended. Default 0.

    Returns:
        ``(tokens, extras, scores)``: the best sequence per input ``(N, T)`` (padded
        with ``pad_id`` after ``end_id``), its per-step extras ``(N, T, ...)`` or None,
        and its normalised score ``(N,)``.

    Raises:
        ValueError: as in :func:`greedy_decode` (``log_probs`` and the state then have
            ``N * beam_width`` rows), or a bad ``beam_width`` or ``length_penalty``.

    Example:

    >>> # a bigram model over 0 pad, 1 start, 2 end, 3 "hello": start -> hello -> end
    >>> table = np.log([[.7, .1, .1, .1], [.1, .1, .1, .7], [.7, .1, .1, .1], [.1, .1, .7, .1]])
    >>> step = lambda tokens, state: (table[tokens], state, None)
    >>> tokens, _, scores = beam_search(step, {}, 1, 1, 2, max_length=3, beam_width=2)
    >>> tokens.tolist(), np.round(scores, 3).tolist()   # padded; mean log-probability of (hello, end)
    ([[3, 2, 0]], [-0.357])
    """
    batch_size = check_int("batch_size", batch_size, low=1)
    max_length = check_int("max_length", max_length, low=1)
    k = check_int("beam_width", beam_width, low=1)
    alpha = check_number("length_penalty", length_penalty, low=0)
    ids = _check_ids(start_id, end_id, pad_id)
    end_id, pad_id = ids["end_id"], ids["pad_id"]
    _check_rows(state, batch_size)
    rows = np.arange(batch_size)[:, None]
    state = _take(state, np.repeat(np.arange(batch_size), k))        # (N*k, ...)
    tokens = np.full((batch_size * k,), ids["start_id"], dtype="int64")
    scores = np.full((batch_size, k), -np.inf)
    scores[:, 0] = 0.0                                               # one live beam at first
    sequences = np.zeros((batch_size, k, 0), dtype="int64")
    lengths = np.zeros((batch_size, k))
    finished = np.zeros((batch_size, k), dtype=bool)
    history = None
    for t in range(max_length):
        log_probs, new_state, extra = _check_step(step_fn, tokens, state, t + 1, ids,
                                                  "batch_size * beam_width")
        _check_rows(new_state, batch_size * k, "new_state", "batch_size * beam_width")
        log_probs = log_probs.astype("float64")
        vocab = log_probs.shape[-1]
        log_probs = log_probs.reshape(batch_size, k, vocab)
        # an ended beam may only append padding, at no cost
        ended_row = np.full((vocab,), -np.inf)
        ended_row[pad_id] = 0.0
        log_probs = np.where(finished[..., None], ended_row, log_probs)
        candidates = (scores[..., None] + log_probs).reshape(batch_size, k * vocab)
        top = _top_k(candidates, k)                                  # (N, k), best first
        parent, token = top // vocab, top % vocab
        scores = np.take_along_axis(candidates, top, axis=1)
        was_finished = finished[rows, parent]
        lengths = lengths[rows, parent] + (~was_finished)
        finished = was_finished | (token == end_id)
        sequences = np.concatenate([sequences[rows, parent], token[..., None]], axis=2)
        flat_parent = (rows * k + parent).reshape(-1)
        state = _take(new_state, flat_parent)
        if extra is not None:
            extra = np.asarray(extra)[flat_parent].reshape(batch_size, k, 1, *np.shape(extra)[1:])
            history = extra if history is None else np.concatenate(
                [history[rows, parent], extra], axis=2)
        tokens = token.reshape(-1).astype("int64")
        if finished.all():
            break
    with np.errstate(invalid="ignore", divide="ignore"):
        normalised = scores / np.maximum(lengths, 1.0) ** alpha
    normalised = np.where(np.isnan(normalised), -np.inf, normalised)
    best = normalised.argmax(axis=1)
    index = np.arange(batch_size)
    extras = None if history is None else history[index, best]
    return sequences[index, best], extras, normalised[index, best]
