"""Pretrained word vectors as the starting point of an ``Embedding`` layer (notebook 12).

:func:`embedding_matrix` lines up a pretrained table (GloVe, from
:func:`dlcourse_keras.data.load_glove`) with a vectorizer's vocabulary: row ``i`` of the
result is the vector of the vocabulary's token ``i``. Give it to
``keras.layers.Embedding(..., embeddings_initializer=keras.initializers.Constant(matrix))``,
the Keras idiom for pretrained embeddings (keras-io's "Using pre-trained word
embeddings"); the layer then trains on from there, or stays frozen with ``trainable=False``.
"""

import numpy as np

from .validation import check_int, check_number

PADDING, UNKNOWN = "", "[UNK]"


def embedding_matrix(vocabulary, words, vectors, seed=0, scale=None):
    """The rows of ``vectors`` in the order of ``vocabulary``; random rows for tokens without one.

    Padding (``""``) gets a zero row. ``[UNK]`` and every token missing from ``words``
    get a random normal row whose standard deviation is that of the pretrained vectors
    (or ``scale``), so they start as large as the others and training moves them.

    Args:
        vocabulary: the tokens by id, e.g. ``vectorizer.get_vocabulary()`` (``""`` and
            ``"[UNK]"`` first); a list of strings.
        words: the pretrained tokens (a list of strings, one per row of ``vectors``).
        vectors: array of shape ``(len(words), dim)``, finite.
        seed: seed of the random rows, an int >= 0. Default 0.
        scale: standard deviation of the random rows, a number > 0, or None for the
            standard deviation of ``vectors``. Default None.

    Returns:
        ``(matrix, found)``: a float32 array of shape ``(len(vocabulary), dim)`` and a bool
        array, True where the row came from ``vectors``.

    Raises:
        ValueError: a bad argument: ``vocabulary`` or ``words`` not a list of strings,
            ``vectors`` not 2-D, of another length than ``words``, or not finite.

    Example:

    >>> matrix, found = embedding_matrix(["", "[UNK]", "good", "zzz"], ["good", "bad"],
    ...                                  np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> matrix[2].tolist(), found.tolist(), matrix[0].tolist()
    ([1.0, 2.0], [False, False, True, False], [0.0, 0.0])
    """
    vocabulary = _tokens("vocabulary", vocabulary)
    words = _tokens("words", words)
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or len(vectors) != len(words) or vectors.shape[1] < 1:
        raise ValueError(f"vectors has shape {vectors.shape}; expected ({len(words)}, dim): one row "
                         "per entry of words.")
    if not np.issubdtype(vectors.dtype, np.number) or not np.isfinite(vectors).all():
        raise ValueError("vectors must hold finite numbers (NaN and inf are not allowed).")
    seed = check_int("seed", seed, low=0)
    scale = float(vectors.std()) if scale is None else check_number("scale", scale, low=0, low_open=True)
    index = {w: i for i, w in enumerate(words)}
    rows = np.array([index.get(token, -1) for token in vocabulary], dtype=np.int64)
    found = rows >= 0
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0.0, scale, (len(vocabulary), vectors.shape[1])).astype(np.float32)
    matrix[found] = vectors[rows[found]]
    padding = np.array([token == PADDING for token in vocabulary])
    matrix[padding] = 0.0
    found &= ~padding
    return matrix, found


def _tokens(name, value):
    if isinstance(value, (str, bytes)):
        raise ValueError(f"{name} must be a list of strings, not one string ({value[:40]!r}).")
    try:
        tokens = [t.decode("utf-8") if isinstance(t, bytes) else t for t in value]
    except TypeError:
        raise ValueError(f"{name}={type(value).__name__} must be a list of strings.") from None
    bad = [t for t in tokens if not isinstance(t, str)]
    if bad:
        raise ValueError(f"{name} must hold strings only; found {bad[0]!r} ({type(bad[0]).__name__}).")
    if not tokens:
        raise ValueError(f"{name} is empty; give at least one token.")
    return tokens
