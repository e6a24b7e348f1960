"""Text helpers around ``keras.layers.TextVectorization``: standardization, splits, reports.

They wrap Keras rather than replace it: :func:`make_vectorizer` returns an adapted (or
given-vocabulary) ``TextVectorization`` layer, :func:`raw_text_model` puts it in front of any
model so the saved ``.keras`` file takes raw strings. Taught in notebook ``12_lstm_sentiment``.
The translation helpers at the end (:func:`standardize_text` for English and French,
:func:`build_vocabulary`, :func:`tokenize`, :func:`detokenize`, :func:`split_by_source`)
serve the encoder-decoder of notebook ``13_translation``.
"""

import collections
import math
import re

import numpy as np


def _tf():
    import tensorflow as tf

    return tf


def _keras():
    import keras

    return keras


def _register(fn):
    return _keras().saving.register_keras_serializable(package="dlcourse_keras")(fn)


def standardize_keep_negations(texts):
    """Lower-cases and strips punctuation like Keras's default, but keeps negations and clitics.

    Keras's ``"lower_and_strip_punctuation"`` turns "isn't" into "isnt" and "doesn't" into
    "doesnt": the negation hides inside many different words. Here "isn't good" becomes
    the tokens ``is n't good``: one shared ``n't`` token (Penn Treebank style), as do the
    clitics 's, 're, 've, 'll, 'd and 'm. Other punctuation becomes spaces.
    TensorFlow only (string ops inside ``TextVectorization``).

    Args:
        texts: a string tensor (any shape).

    Returns:
        The standardized string tensor, same shape.

    Example:

    >>> standardize_keep_negations(tf.constant(["It isn't GOOD!"])).numpy()
    array([b"it is n't good"], dtype=object)
    """
    tf = _tf()
    x = tf.strings.lower(texts)
    # mark the apostrophes to keep with \x01, drop every other character but a-z, 0-9
    x = tf.strings.regex_replace(x, "n't\\b", " n\x01t")
    x = tf.strings.regex_replace(x, "'(s|re|ve|ll|d|m)\\b", " \x01\\1")
    x = tf.strings.regex_replace(x, "[^a-z0-9\x01]+", " ")
    x = tf.strings.regex_replace(x, "\x01", "'")
    return tf.strings.strip(x)


standardize_keep_negations = _register(standardize_keep_negations)


def make_vectorizer(texts=None, max_tokens=20000, output_sequence_length=None, output_mode="int",
                    ngrams=None, standardize=standardize_keep_negations, vocabulary=None):
    """An adapted ``keras.layers.TextVectorization`` (vocabulary learnt from ``texts`` only).

    Adapt it on the training split only, so the validation and test words stay unseen.
    Index 0 is padding and 1 is out-of-vocabulary (``[UNK]``) in ``"int"`` mode.

    Args:
        texts: training texts (a list of str or a string tensor) to adapt on; None when
            ``vocabulary`` is given. Default None.
        max_tokens: vocabulary cap including padding and ``[UNK]``; None for no cap.
            Default 20000.
        output_sequence_length: pad or cut to this many tokens (``"int"`` mode); None pads
            each batch to its longest text. Default None.
        output_mode: ``"int"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``. Default "int".
        ngrams: None or an int n: also count 2..n-grams (bag-of-words modes). Default None.
        standardize: a callable or Keras's names. Default :func:`standardize_keep_negations`.
        vocabulary: a fixed list of tokens (without ``""`` and ``"[UNK]"``) instead of
            adapting; then ``max_tokens`` is ignored. Default None.

    Returns:
        The adapted layer.

    Example:

    >>> vec = make_vectorizer(["not good", "good"], output_sequence_length=3)
    >>> vec(["not good at all"]).numpy().tolist()
    [[3, 2, 1]]
    """
    keras = _keras()
    if (texts is None) == (vocabulary is None):
        raise ValueError("make_vectorizer needs exactly one of texts= (to adapt on) and "
                         f"vocabulary= (fixed tokens); got texts={'None' if texts is None else 'given'}, "
                         f"vocabulary={'None' if vocabulary is None else 'given'}.")
    if vocabulary is not None:
        max_tokens = None
    if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int)
                                   or max_tokens < 3):
        raise ValueError(f"max_tokens={max_tokens!r} must be None or an int >= 3.")
    if output_sequence_length is not None and (
            isinstance(output_sequence_length, bool) or not isinstance(output_sequence_length, int)
            or output_sequence_length < 1):
        raise ValueError(f"output_sequence_length={output_sequence_length!r} must be None or an int >= 1.")
    allowed = ("int", "multi_hot", "count", "tf_idf")
    if output_mode not in allowed:
        raise ValueError(f"output_mode={output_mode!r} must be one of {allowed}.")
    layer = keras.layers.TextVectorization(
        max_tokens=max_tokens, standardize=standardize, output_mode=output_mode, ngrams=ngrams,
        output_sequence_length=output_sequence_length if output_mode == "int" else None,
        vocabulary=None if vocabulary is None else list(vocabulary))
    if vocabulary is None:
        layer.adapt(list(texts), batch_size=4096)
    return layer


def stratified_split(texts, labels, fractions=(0.8, 0.1, 0.1), seed=0):
    """A fixed, stratified, seeded split into train / validation / test.

    Args:
        texts: sequence of str; labels: array of class labels, same length.
        fractions: (train, validation, test) fractions, positive, summing to 1.
            Default (0.8, 0.1, 0.1).
        seed: seed of the shuffle. Default 0.

    Returns:
        dict ``{"train": (texts, labels), "val": (...), "test": (...)}``; texts as NumPy
        object arrays, labels as NumPy arrays. Every class keeps its share in each split
        (up to one example).

    Example:

    >>> s = stratified_split(["a", "b", "c", "d"] * 5, [0, 1] * 10, seed=0)
    >>> [len(s[k][0]) for k in ("train", "val", "test")]
    [16, 2, 2]
    """
    texts = np.asarray(list(texts), dtype=object)
    labels = np.asarray(labels)
    if len(texts) != len(labels):
        raise ValueError(f"texts ({len(texts)}) and labels ({len(labels)}) differ in length.")
    fractions = tuple(float(f) for f in fractions)
    if (len(fractions) != 3 or any(not math.isfinite(f) or f <= 0 for f in fractions)
            or abs(sum(fractions) - 1) > 1e-9):
        raise ValueError(f"fractions={fractions!r} must be three positive numbers summing to 1.")
    rng = np.random.default_rng(seed)
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
    """
    rows = []
    for name, (texts, labels) in splits.items():
        lengths = np.array([len(str(t).split()) for t in texts])
        rows.append({"split": name, "n": int(len(texts)),
                     "positive_fraction": float(np.mean(np.asarray(labels) == 1)),
                     "mean_tokens": float(lengths.mean()), "max_tokens": int(lengths.max())})
    return rows


def vocabulary_report(vectorizer, texts, top=10):
    """How well an adapted ``"int"`` vectorizer covers ``texts``.

    Args:
        vectorizer: an adapted ``TextVectorization`` in ``"int"`` mode.
        texts: texts to encode (e.g. the validation split).
        top: how many of the most frequent words to list. Default 10.

    Returns:
        dict with ``vocabulary_size`` (incl. padding and ``[UNK]``), ``tokens`` (non-padding
        tokens in ``texts``), ``oov_rate`` (share of them mapped to ``[UNK]``),
        ``most_frequent`` (the ``top`` commonest vocabulary words in ``texts``) and
        ``length_percentiles`` (50th, 95th, 100th, in tokens).
    """
    vocab = vectorizer.get_vocabulary()
    ids = np.asarray(vectorizer(list(texts)))
    if ids.ndim != 2:
        raise ValueError("vectorizer must be in 'int' output mode.")
    real = ids[ids > 0]
    counts = collections.Counter(real[real > 1].tolist())
    lengths = (ids > 0).sum(axis=1)
    return {"vocabulary_size": len(vocab), "tokens": int(real.size),
            "oov_rate": float(np.mean(real == 1)) if real.size else 0.0,
            "most_frequent": [str(vocab[i]) for i, _ in counts.most_common(top)],
            "length_percentiles": [int(np.percentile(lengths, q)) for q in (50, 95, 100)]}


def make_text_dataset(texts, labels=None, batch_size=32, shuffle=False, seed=0, vectorizer=None):
    """A batched, prefetched ``tf.data.Dataset`` of strings (or of ids, with ``vectorizer``).

    Mapping the vectorizer inside the pipeline keeps the string work off the model's
    graph during training. TensorFlow only.

    Args:
        texts: sequence of str; labels: optional array, same length. Default None.
        batch_size: positive int. Default 32.
        shuffle: reshuffle each epoch. Default False.
        seed: shuffle seed. Default 0.
        vectorizer: optional adapted ``TextVectorization`` applied to each batch. Default None.

    Returns:
        ``tf.data.Dataset`` of ``texts`` or ``(texts, labels)`` batches.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} must be a positive integer.")
    tf = _tf()
    texts = [str(t) for t in texts]
    data = tf.data.Dataset.from_tensor_slices(texts if labels is None else (texts, np.asarray(labels)))
    if shuffle:
        data = data.shuffle(len(texts), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size)
    if vectorizer is not None:
        data = data.map((lambda x: vectorizer(x)) if labels is None else (lambda x, y: (vectorizer(x), y)),
                        num_parallel_calls=tf.data.AUTOTUNE)
    return data.prefetch(tf.data.AUTOTUNE)


def raw_text_model(vectorizer, model, name="raw_text_model"):
    """An end-to-end model: raw strings in, ``model``'s predictions out.

    Train ``model`` on integer ids (fast), then wrap it: the result saves to ``.keras``
    with the vocabulary inside and predicts on plain sentences after ``load_model``.

    Args:
        vectorizer: the adapted ``TextVectorization`` used for the ids ``model`` saw.
        model: a Keras model taking the vectorizer's output.
        name: model name. Default "raw_text_model".

    Returns:
        ``keras.Model`` whose input is a batch of strings, shape ``(batch,)`` (pass a
        ``tf.constant`` or a NumPy array of dtype ``object``).

    Example:

    >>> end_to_end = raw_text_model(vec, trained)           # doctest: +SKIP
    >>> end_to_end.predict(np.array(["not good"], dtype=object))   # doctest: +SKIP
    """
    keras = _keras()
    inputs = keras.Input(shape=(), dtype="string", name="text")
    outputs = model(vectorizer(inputs))
    return keras.Model(inputs, outputs, name=name)


# ------------------------------------------------------------------ translation (notebook 13)
def standardize_text(text):
    """Lower-cases and splits punctuation off words, keeping French elisions (TF only).

    ``"J’ai vu l'homme !"`` -> ``"j' ai vu l' homme !"``: curly apostrophes become
    straight, narrow and non-breaking spaces plain, and ``. , ! ? ; : « » " ( )`` become
    tokens of their own; hyphenated words (``peut-être``) stay whole, as in BLEU's 13a
    tokeniser.
    """
    tf = _tf()
    text = tf.strings.lower(text, encoding="utf-8")
    text = tf.strings.regex_replace(text, "[’‘`]", "'")
    text = tf.strings.regex_replace(text, "[\u00a0\u2009\u202f]", " ")
    text = tf.strings.regex_replace(text, "([.,!?;:«»\"()&$%+])", " \\1 ")
    text = tf.strings.regex_replace(text, "'", "' ")
    return tf.strings.strip(text)


standardize_text = _register(standardize_text)


def normalize_punctuation(text):
    """Curly apostrophes to straight ones and narrow or non-breaking spaces to plain spaces.

    The Python twin of the first steps of :func:`standardize_text`, for text that is not
    vectorized: BLEU references (Tatoeba's French writes ``thé\u202f?``), so that they are
    spelled the way the model writes.
    """
    return re.sub("[\u00a0\u2009\u202f]", " ", re.sub("[’‘`]", "'", text))


def detokenize(tokens):
    """Target tokens -> a sentence: words joined by spaces, elisions re-attached (``j' ai`` -> ``j'ai``)."""
    return re.sub(r"' ", "'", " ".join(tokens)).strip()


def build_vocabulary(texts, max_tokens, standardize=None):
    """The ``max_tokens - 2`` most frequent tokens of ``texts`` (padding and ``[UNK]`` take two ids).

    Args:
        texts: training texts.
        max_tokens: int >= 3, the vocabulary size including padding and ``[UNK]``.
        standardize: as in :func:`make_vectorizer`. Default None: :func:`standardize_text`.
    """
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 3:
        raise ValueError(f"max_tokens={max_tokens!r} must be an integer >= 3.")
    vectorizer = make_vectorizer(texts, max_tokens=max_tokens,
                                 standardize=standardize or standardize_text)
    return vectorizer.get_vocabulary()[2:]


def tokenize(texts, standardize=None):
    """Token lists of ``texts`` as a whitespace-splitting vectorizer sees them (lengths, plot labels).

    ``standardize`` is a callable on a string tensor; default None: :func:`standardize_text`.
    """
    tf = _tf()
    ragged = tf.strings.split((standardize or standardize_text)(tf.constant(list(texts))))
    return [[t.decode("utf-8") for t in row] for row in ragged.to_list()]


def split_by_source(pairs, fractions=(0.8, 0.1, 0.1), seed=0):
    """Splits translation pairs so that no source sentence appears in two splits.

    Pairs that share a source (one English sentence, several French translations) are
    grouped first; the groups are shuffled and cut by ``fractions``.

    Args:
        pairs: list of ``(source, target)``.
        fractions: shares of the train, validation and test splits (sum 1).
        seed: shuffling seed. Default 0.

    Returns:
        three lists of ``(source, [targets...])``, in shuffled order.
    """
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3 or min(fractions) < 0 or not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"fractions={fractions!r} must be three shares >= 0 that sum to 1.")
    groups = {}
    for source, target in pairs:
        groups.setdefault(source, []).append(target)
    sources = sorted(groups)
    np.random.default_rng(seed).shuffle(sources)
    n_train = int(round(fractions[0] * len(sources)))
    n_val = int(round(fractions[1] * len(sources)))
    cuts = (sources[:n_train], sources[n_train:n_train + n_val], sources[n_train + n_val:])
    return tuple([(s, groups[s]) for s in part] for part in cuts)
