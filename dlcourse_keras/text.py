"""Text helpers around ``keras.layers.TextVectorization``: standardization, splits, reports.

They wrap Keras rather than replace it: :func:`make_vectorizer` returns an adapted (or
given-vocabulary) ``TextVectorization`` layer, :func:`raw_text_model` puts it in front of any
model so the saved ``.keras`` file takes raw strings. Taught in notebook ``12_lstm_sentiment``.
The translation helpers at the end (:func:`standardize_text` for English and French,
:func:`build_vocabulary`, :func:`tokenize`, :func:`detokenize`, :func:`split_by_source`)
serve the encoder-decoder of notebook ``13_translation``. :func:`make_text_dataset` is the
course's one ``tf.data`` pipeline of texts.

Texts are always a list of strings (or an array or string tensor of them): one bare string
is refused with a ``ValueError``, since it would be read letter by letter.
"""

import collections
import re

import numpy as np

from ._texts import _clip, check_texts
from .validation import check_bool, check_int


def _tf():
    import tensorflow as tf

    return tf


def _keras():
    import keras

    return keras


def _register(fn):
    return _keras().saving.register_keras_serializable(package="dlcourse_keras")(fn)


def _string_tensor(name, value):
    """``value`` as a string tensor (a tensor passes unchanged), or a ``ValueError`` naming ``name``."""
    tf = _tf()
    if not tf.is_tensor(value):
        try:
            value = tf.convert_to_tensor(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name}={_clip(value)} must be a string, a list of strings or a "
                             "string tensor.") from None
    if value.dtype != tf.string:
        raise ValueError(f"{name} must hold strings, got {value.dtype.name} values.")
    return value


def standardize_keep_negations(texts):
    """Lower-cases and strips punctuation like Keras's default, but keeps negations and clitics.

    Keras's ``"lower_and_strip_punctuation"`` turns "isn't" into "isnt" and "doesn't" into
    "doesnt": the negation hides inside many different words. Here "isn't good" becomes
    the tokens ``is n't good``: one shared ``n't`` token (Penn Treebank style), as do the
    clitics 's, 're, 've, 'll, 'd and 'm. Other punctuation becomes spaces.
    TensorFlow only (string ops inside ``TextVectorization``).

    Args:
        texts: a string tensor (any shape), a string or a list of strings.

    Returns:
        The standardized string tensor, same shape.

    Raises:
        ValueError: ``texts`` is not made of strings.

    Example:

    >>> standardize_keep_negations(["It isn't GOOD!"]).numpy()
    array([b"it is n't good"], dtype=object)
    """
    tf = _tf()
    x = tf.strings.lower(_string_tensor("texts", texts))
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
        ngrams: None or an int n >= 1: also count 2..n-grams (bag-of-words modes). Default None.
        standardize: a callable or Keras's names. Default :func:`standardize_keep_negations`.
        vocabulary: a fixed list of tokens (without ``""`` and ``"[UNK]"``) instead of
            adapting; then ``max_tokens`` is ignored. Default None.

    Returns:
        The adapted layer.

    Raises:
        ValueError: a bad argument; ``texts`` empty, or with no token once standardized
            (the layer would fail when called, with "Table not initialized").

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
        vocabulary = check_texts(vocabulary, "vocabulary")
        max_tokens = None
    else:
        texts = check_texts(texts)
    max_tokens = check_int("max_tokens", max_tokens, low=3, allow_none=True)
    output_sequence_length = check_int("output_sequence_length", output_sequence_length, low=1,
                                       allow_none=True)
    ngrams = check_int("ngrams", ngrams, low=1, allow_none=True)
    allowed = ("int", "multi_hot", "count", "tf_idf")
    if output_mode not in allowed:
        raise ValueError(f"output_mode={output_mode!r} must be one of {allowed}.")
    layer = keras.layers.TextVectorization(
        max_tokens=max_tokens, standardize=standardize, output_mode=output_mode, ngrams=ngrams,
        output_sequence_length=output_sequence_length if output_mode == "int" else None,
        vocabulary=vocabulary)
    if vocabulary is None:
        layer.adapt(texts, batch_size=4096)
        if not layer.get_vocabulary(include_special_tokens=False):
            raise ValueError(f"texts hold no token once standardized (they start {_clip(texts[:3])}): "
                             "there is no vocabulary to learn.")
    return layer


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

    Example:

    >>> vocabulary_report(make_vectorizer(["a b", "b"]), ["b c"])["oov_rate"]
    0.5
    """
    top = check_int("top", top, low=0)
    vocab = vectorizer.get_vocabulary()
    ids = np.asarray(vectorizer(check_texts(texts)))
    if ids.ndim != 2:
        raise ValueError("vectorizer must be in 'int' output mode.")
    real = ids[ids > 0]
    counts = collections.Counter(real[real > 1].tolist())
    lengths = (ids > 0).sum(axis=1)
    return {"vocabulary_size": len(vocab), "tokens": int(real.size),
            "oov_rate": float(np.mean(real == 1)) if real.size else 0.0,
            "most_frequent": [str(vocab[i]) for i, _ in counts.most_common(top)],
            "length_percentiles": [int(np.percentile(lengths, q)) for q in (50, 95, 100)]}


def make_text_dataset(texts, labels=None, batch_size=32, shuffle=False, seed=0, vectorizer=None,
                      drop_remainder=False):
    """A batched, prefetched ``tf.data.Dataset`` of strings (or of ids, with ``vectorizer``).

    The course's one pipeline of texts. Mapping the vectorizer inside the pipeline keeps the
    string work off the model's graph during training. The order is fixed by ``seed``: the
    same seed gives the same batches, epoch after epoch (each epoch reshuffles,
    deterministically). ``shuffle`` is off by default, so that ``model.predict`` on the
    dataset returns the predictions in the order of ``texts``; pass ``shuffle=True`` for
    training data (``Model.fit`` does not shuffle a dataset). The Keras twin is
    ``keras.utils.text_dataset_from_directory`` (which reads folders and shuffles by
    default). TensorFlow only.

    Args:
        texts: a list of strings (not one string).
        labels: optional array, one entry per text. Default None.
        batch_size: texts per batch, an int >= 1. Default 32.
        shuffle: reshuffle each epoch. Default False (the order of ``texts``).
        seed: shuffle seed, an int >= 0, or None for a different order each run. Default 0.
        vectorizer: optional adapted ``TextVectorization`` applied to each batch. Default None.
        drop_remainder: drop a last, smaller batch. Default False.

    Returns:
        ``tf.data.Dataset`` of ``texts`` or ``(texts, labels)`` batches.

    Raises:
        ValueError: a bad argument, or ``labels`` of another length than ``texts``.

    Example:

    >>> batches = make_text_dataset(["a b", "b c", "c"], [1, 0, 1], batch_size=2)
    >>> [len(y) for _, y in batches]
    [2, 1]
    """
    texts = check_texts(texts)
    batch_size = check_int("batch_size", batch_size, low=1)
    shuffle = check_bool("shuffle", shuffle)
    seed = check_int("seed", seed, low=0, allow_none=True)
    drop_remainder = check_bool("drop_remainder", drop_remainder)
    if vectorizer is not None and not callable(vectorizer):
        raise ValueError(f"vectorizer={_clip(vectorizer)} must be None or a TextVectorization layer.")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim == 0 or len(labels) != len(texts):
            raise ValueError(f"labels has {labels.size if labels.ndim == 0 else len(labels)} entries "
                             f"but texts has {len(texts)}; give one label per text.")
    tf = _tf()
    strings = tf.constant(texts, dtype=tf.string)
    data = tf.data.Dataset.from_tensor_slices(strings if labels is None else (strings, labels))
    options = tf.data.Options()
    options.deterministic = True
    data = data.with_options(options)
    if shuffle:
        data = data.shuffle(len(texts), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size, drop_remainder=drop_remainder)
    if vectorizer is not None:
        data = data.map((lambda x: vectorizer(x)) if labels is None else (lambda x, y: (vectorizer(x), y)),
                        num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
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

    >>> import keras
    >>> vec = make_vectorizer(["good", "not good"])
    >>> trained = keras.Sequential([keras.layers.Embedding(vec.vocabulary_size(), 2),
    ...                             keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1)])
    >>> end_to_end = raw_text_model(vec, trained)
    >>> end_to_end.predict(np.array(["not good"], dtype=object), verbose=0).shape
    (1, 1)
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

    Args:
        text: a string tensor (any shape), a string or a list of strings.

    Returns:
        The standardized string tensor, same shape.

    Raises:
        ValueError: ``text`` is not made of strings.

    Example:

    >>> standardize_text(["J’ai vu l'homme !"]).numpy()[0].decode().split()
    ["j'", 'ai', 'vu', "l'", 'homme', '!']
    """
    tf = _tf()
    text = tf.strings.lower(_string_tensor("text", text), encoding="utf-8")
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

    Example:

    >>> normalize_punctuation("J’ai du thé\u202f?")
    "J'ai du thé ?"
    """
    if not isinstance(text, str):
        raise ValueError(f"text={_clip(text)} must be a string.")
    return re.sub("[\u00a0\u2009\u202f]", " ", re.sub("[’‘`]", "'", text))


def detokenize(tokens):
    """Target tokens -> a sentence: words joined by spaces, elisions re-attached (``j' ai`` -> ``j'ai``).

    Example:

    >>> detokenize(["j'", "ai", "vu", "!"])
    "j'ai vu !"
    """
    return re.sub(r"' ", "'", " ".join(check_texts(tokens, "tokens", allow_empty=True))).strip()


def build_vocabulary(texts, max_tokens, standardize=None):
    """The ``max_tokens - 2`` most frequent tokens of ``texts`` (padding and ``[UNK]`` take two ids).

    Args:
        texts: training texts (a list of strings).
        max_tokens: int >= 3, the vocabulary size including padding and ``[UNK]``.
        standardize: as in :func:`make_vectorizer`. Default None: :func:`standardize_text`.

    Returns:
        list of str, most frequent first.

    Example:

    >>> build_vocabulary(["le chat", "le chien", "le chat"], 4)
    ['le', 'chat']
    """
    max_tokens = check_int("max_tokens", max_tokens, low=3)
    vectorizer = make_vectorizer(texts, max_tokens=max_tokens,
                                 standardize=standardize or standardize_text)
    return [str(token) for token in vectorizer.get_vocabulary()[2:]]


def tokenize(texts, standardize=None):
    """Token lists of ``texts`` as a whitespace-splitting vectorizer sees them (lengths, plot labels).

    Args:
        texts: a list of strings (one bare string is refused); no texts give ``[]``.
        standardize: a callable on a string tensor. Default None: :func:`standardize_text`.

    Returns:
        One list of token strings per text.

    Example:

    >>> tokenize(["J'ai froid."])
    [["j'", 'ai', 'froid', '.']]
    """
    texts = check_texts(texts, allow_empty=True)
    if standardize is not None and not callable(standardize):
        raise ValueError(f"standardize={_clip(standardize)} must be None or a callable.")
    if not texts:
        return []
    tf = _tf()
    ragged = tf.strings.split((standardize or standardize_text)(tf.constant(texts, dtype=tf.string)))
    return [[t.decode("utf-8") for t in row] for row in ragged.to_list()]


# the splits live in their own module; their names stay reachable here, where notebooks 12 and 13
# import them from
from .text_splits import split_by_source, split_report, stratified_split  # noqa: E402
