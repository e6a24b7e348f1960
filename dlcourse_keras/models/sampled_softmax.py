"""Sampled softmax for a large output vocabulary (Jean et al. 2015), TensorFlow only.

:func:`log_uniform_candidates` draws the words that stand in for the whole vocabulary,
keyed by an explicit seed; :func:`sampled_token_loss` is the cross-entropy over the true word
and those words. :class:`~dlcourse_keras.models.seq2seq.Seq2SeqTranslator` trains with them
when given ``sampled_softmax=k`` (notebook 13).
"""

import numpy as np

from ..validation import check_bool, check_int


def log_uniform_candidates(num_sampled, num_classes, seed, unique=False):
    """Draws ``num_sampled`` class ids from the log-uniform (Zipf) distribution, statelessly.

    ``P(k) = (log(k + 2) - log(k + 1)) / log(V + 1)`` for ``k = 0..V-1``: frequent words
    (small ids, as :func:`~dlcourse_keras.text.build_vocabulary` orders them) are drawn
    most often. This is ``tf.random.log_uniform_candidate_sampler`` with ``unique=False``,
    but keyed by an explicit ``seed`` (two integers), so the same training step draws the
    same words in a run that was interrupted and resumed.

    Frequent ids come up again and again (3,000 draws over 8,000 ids hold about 1,200
    different ones), and a repeated id only repeats work, so ``unique=True`` keeps each
    id once, in the order of its first draw.

    Args:
        num_sampled: draws, an int >= 1.
        num_classes: ``V``, an int >= 1.
        seed: two integers (a stateless seed), e.g. ``[step, 1]``.
        unique: keep each drawn id once. Default False.

    Returns:
        ``(candidates, expected_count)``: the int64 ids (``num_sampled`` of them, or the
        distinct ones) and a function of ids giving how often each is expected among the
        candidates: ``num_sampled * P(id)``, or with ``unique`` the chance that it was drawn
        at all, ``1 - (1 - P(id)) ** num_sampled`` (what ``tf.nn.sampled_softmax_loss``
        takes as expected counts).

    Example:

    >>> ids, expected = log_uniform_candidates(5, 100, seed=[0, 1])
    >>> ids.shape.as_list(), bool((ids >= 0).numpy().all() and (ids < 100).numpy().all())
    ([5], True)
    """
    import tensorflow as tf

    num_sampled = check_int("num_sampled", num_sampled, low=1)
    num_classes = check_int("num_classes", num_classes, low=1)
    unique = check_bool("unique", unique)
    log_range = np.log(num_classes + 1.0)
    u = tf.random.stateless_uniform([num_sampled], seed=seed, dtype=tf.float64)
    ids = tf.cast(tf.floor(tf.exp(u * log_range)), tf.int64) - 1
    ids = tf.clip_by_value(ids, 0, num_classes - 1)
    if unique:
        ids = tf.unique(ids).y

    def expected_count(k):
        k = tf.cast(k, tf.float64)
        p = (tf.math.log(k + 2.0) - tf.math.log(k + 1.0)) / log_range
        count = -tf.math.expm1(num_sampled * tf.math.log1p(-p)) if unique else num_sampled * p
        return tf.cast(count, tf.float32)

    return ids, expected_count


def sampled_token_loss(features, table, bias, targets, sampled_values):
    """Sampled-softmax cross-entropy of each real (non-padding) target token, averaged.

    The full loss normalises ``exp(e_y . f + b_y)`` over all ``V`` words, so each step
    computes ``V`` logits per token; this one normalises over the true word and a shared
    sample of words only, each logit corrected by ``-log(expected count)`` so the estimate
    of the normaliser is consistent (Jean et al. 2015, "On Using Very Large Target
    Vocabulary for Neural Machine Translation"; ``tf.nn.sampled_softmax_loss``). When the
    sample is every word once (expected counts 1) it equals :func:`translation_loss`.

    Args:
        features: ``(B, T, d)`` vectors whose dot product with a row of ``table`` is a logit.
        table: ``(V, d)`` output word vectors (the target embeddings when they are tied).
        bias: ``(V,)`` output biases.
        targets: ``(B, T)`` ids; 0 is padding and is left out of the mean.
        sampled_values: ``(candidates, true_expected_count, sampled_expected_count)``.

    Returns:
        The mean loss over the real tokens (a scalar).

    Example:

    >>> import numpy as np
    >>> every = (np.arange(3), np.ones((1, 1), "float32"), np.ones(3, "float32"))  # all words, once
    >>> loss = sampled_token_loss(np.ones((1, 1, 2), "float32"), np.eye(3, 2, dtype="float32"),
    ...                           np.zeros(3, "float32"), np.array([[2]]), every)
    >>> round(float(loss), 4)   # -log(e^0 / (e^1 + e^1 + e^0)): the full softmax's loss
    1.862
    """
    import tensorflow as tf

    targets = tf.cast(targets, tf.int64)
    real = tf.not_equal(targets, 0)
    flat_features = tf.boolean_mask(tf.cast(features, tf.float32), real)
    flat_targets = tf.boolean_mask(targets, real)[:, None]
    losses = tf.nn.sampled_softmax_loss(
        weights=tf.cast(table, tf.float32), biases=tf.cast(bias, tf.float32),
        labels=flat_targets, inputs=flat_features, num_sampled=tf.size(sampled_values[0]),
        num_classes=int(table.shape[0]), sampled_values=sampled_values,
        remove_accidental_hits=True)
    return tf.reduce_sum(losses) / tf.maximum(tf.cast(tf.size(losses), tf.float32), 1.0)
