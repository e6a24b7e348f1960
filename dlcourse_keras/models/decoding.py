"""Inference for sequence models: greedy decoding and beam search, batched.

Both work with any one-step model given as a function

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


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer.")
    return int(value)


def _check_length_penalty(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) \
            or value < 0:
        raise ValueError(f"length_penalty={value!r} must be a finite number >= 0.")
    return float(value)


def _take(structure, index):
    import keras

    return keras.tree.map_structure(lambda a: np.asarray(a)[index], structure)


def greedy_decode(step_fn, state, batch_size, start_id, end_id, max_length, pad_id=0):
    """Picks the most probable token at every step, for a batch at once.

    ``y_t = argmax_w log p(w | y_<t, x)``: fast, but a choice that looks best now can
    lead to a worse sentence overall (beam search keeps alternatives).

    Args:
        step_fn: the one-step model (see the module docstring).
        state: its initial state, first axis ``batch_size``.
        batch_size: number of sequences ``N``.
        start_id: token fed at the first step.
        end_id: token that ends a sequence.
        max_length: most tokens generated per sequence (the end token included).
        pad_id: token written after a sequence has ended. Default 0.

    Returns:
        ``(tokens, extras)``: int array ``(N, T)`` with ``T <= max_length`` (each row
        ends with ``end_id`` then ``pad_id``s, or stops at ``max_length``), and the
        per-step ``extra`` stacked to ``(N, T, ...)`` (None if the step gives none).

    Example:

    >>> tokens, _ = greedy_decode(step, state, 2, start_id=1, end_id=2, max_length=10)
    """
    batch_size = _check_positive_int("batch_size", batch_size)
    max_length = _check_positive_int("max_length", max_length)
    tokens = np.full((batch_size,), start_id, dtype="int64")
    done = np.zeros((batch_size,), dtype=bool)
    outputs, extras = [], []
    for _ in range(max_length):
        log_probs, state, extra = step_fn(tokens, state)
        tokens = np.asarray(log_probs).argmax(axis=-1).astype("int64")
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
    as it is. At the end the beams are ranked by the length-normalised score

        score(y) = sum_t log p(y_t | y_<t, x) / |y| ** length_penalty

    (``length_penalty`` 0: raw log-probability, which favours short outputs; 1: mean
    log-probability per token). Width 1 is greedy decoding.

    Args:
        step_fn: the one-step model (see the module docstring).
        state: its initial state, first axis ``batch_size``; it is repeated per beam.
        batch_size: number of inputs ``N``.
        start_id, end_id, max_length, pad_id: as in :func:`greedy_decode`.
        beam_width: beams ``k`` kept per input. Default 4.
        length_penalty: exponent ``alpha`` of the length normalisation. Default 1.0.

    Returns:
        ``(tokens, extras, scores)``: the best sequence per input ``(N, T)`` (padded
        with ``pad_id`` after ``end_id``), its per-step extras ``(N, T, ...)`` or None,
        and its normalised score ``(N,)``.

    Example:

    >>> tokens, _, _ = beam_search(step, state, 2, 1, 2, max_length=10, beam_width=4)
    """
    batch_size = _check_positive_int("batch_size", batch_size)
    max_length = _check_positive_int("max_length", max_length)
    k = _check_positive_int("beam_width", beam_width)
    alpha = _check_length_penalty(length_penalty)
    rows = np.arange(batch_size)[:, None]
    state = _take(state, np.repeat(np.arange(batch_size), k))        # (N*k, ...)
    tokens = np.full((batch_size * k,), start_id, dtype="int64")
    scores = np.full((batch_size, k), -np.inf)
    scores[:, 0] = 0.0                                               # one live beam at first
    sequences = np.zeros((batch_size, k, 0), dtype="int64")
    lengths = np.zeros((batch_size, k))
    finished = np.zeros((batch_size, k), dtype=bool)
    history = None
    for _ in range(max_length):
        log_probs, new_state, extra = step_fn(tokens, state)
        log_probs = np.asarray(log_probs, dtype="float64")
        vocab = log_probs.shape[-1]
        log_probs = log_probs.reshape(batch_size, k, vocab)
        # an ended beam may only append padding, at no cost
        ended_row = np.full((vocab,), -np.inf)
        ended_row[pad_id] = 0.0
        log_probs = np.where(finished[..., None], ended_row, log_probs)
        candidates = (scores[..., None] + log_probs).reshape(batch_size, k * vocab)
        top = np.argpartition(-candidates, k - 1, axis=1)[:, :k] if k < k * vocab else \
            np.tile(np.arange(k * vocab), (batch_size, 1))
        order = np.argsort(-np.take_along_axis(candidates, top, axis=1), axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)                 # (N, k), best first
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
