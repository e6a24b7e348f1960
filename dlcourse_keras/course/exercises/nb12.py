"""Exercises of notebook 12, LSTM sentiment: text to integer ids as ``TextVectorization`` makes
them, a bag-of-words baseline on the notebook's split, an embedding + LSTM classifier against
its twin, the masked mean of fastText, and what Keras's default standardization does to a
negation.

References are Keras's (``TextVectorization`` with a fixed vocabulary, ``GlobalAveragePooling1D``
with a mask) and the package's (:mod:`dlcourse_keras.text`, :func:`dlcourse_keras.data.load_rt_polarity`);
the small functions below only adapt them to the shape of an answer.
"""

import string

import numpy as np

from ...text import make_vectorizer, stratified_split
from .compare import NotPassed
from .kinds import ChoiceExercise, FunctionExercise, LayerExercise, TrainingExercise

# --- q1: text to integer ids ----------------------------------------------------------------------


def text_to_ids(texts, vocabulary, length):
    """What ``TextVectorization`` with Keras's default standardization and this fixed vocabulary gives."""
    vectorizer = make_vectorizer(vocabulary=list(vocabulary), output_sequence_length=length,
                                 standardize="lower_and_strip_punctuation")
    return np.asarray(vectorizer(list(texts)))


_WORDS = ("movie", "film", "good", "bad", "great", "boring", "plot", "acting", "not", "very", "funny", "dull",
          "story", "fine", "awful", "loved", "script", "cast", "slow", "charming")


def _styled(word, rng):
    style = rng.random()
    word = word.upper() if style < 0.15 else word.capitalize() if style < 0.35 else word
    return word + (str(rng.choice(list("!,.?"))) if rng.random() < 0.2 else "")


def _text_cases(rng):
    vocabulary = [str(w) for w in rng.choice(_WORDS, size=int(rng.integers(6, 11)), replace=False)]
    texts = [" ".join(_styled(str(rng.choice(_WORDS)), rng) for _ in range(int(rng.integers(1, 10))))
             for _ in range(int(rng.integers(2, 5)))]
    return {"texts": texts, "vocabulary": vocabulary, "length": int(rng.integers(4, 9))}


def _tokens(text):
    return text.lower().translate(str.maketrans("", "", string.punctuation)).split()


def _ids_without_offset(texts, vocabulary, length):
    index = {w: k for k, w in enumerate(vocabulary)}
    rows = [[index.get(t, 1) for t in _tokens(text)][:length] for text in texts]
    return np.array([r + [0] * (length - len(r)) for r in rows])


def _ids_padded_first(texts, vocabulary, length):
    index = {w: k + 2 for k, w in enumerate(vocabulary)}
    rows = [[index.get(t, 1) for t in _tokens(text)][:length] for text in texts]
    return np.array([[0] * (length - len(r)) + r for r in rows])


def _ids_not_lowercased(texts, vocabulary, length):
    index = {w: k + 2 for k, w in enumerate(vocabulary)}
    rows = [[index.get(t, 1) for t in text.translate(str.maketrans("", "", string.punctuation)).split()][:length]
            for text in texts]
    return np.array([r + [0] * (length - len(r)) for r in rows])


def _ids_last_tokens(texts, vocabulary, length):
    index = {w: k + 2 for k, w in enumerate(vocabulary)}
    rows = [[index.get(t, 1) for t in _tokens(text)][-length:] for text in texts]
    return np.array([r + [0] * (length - len(r)) for r in rows])


# --- q2: a bag-of-words baseline ------------------------------------------------------------------

BASELINE_THRESHOLD = 0.74


def bag_of_words_baseline(train_texts, train_labels, test_texts):
    """TF-IDF weighted words and a logistic regression: the predicted labels of ``test_texts``."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer()
    model = LogisticRegression(solver="liblinear").fit(vectorizer.fit_transform(train_texts), train_labels)
    return model.predict(vectorizer.transform(test_texts))


def _polarity_split(rng):
    from ...data import load_rt_polarity

    texts, labels = load_rt_polarity(quiet=True)
    splits = stratified_split(texts, labels, fractions=(0.8, 0.1, 0.1), seed=0)
    (train_texts, train_labels), (test_texts, test_labels) = splits["train"], splits["test"]
    return {"train_texts": list(train_texts), "train_labels": np.array(train_labels),
            "test_texts": list(test_texts), "test_labels": np.array(test_labels)}


def _test_accuracy(predictions, data):
    truth = data["test_labels"]
    try:
        predicted = np.asarray(predictions, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise NotPassed("your function should return one number per test sentence (labels 0 or 1).") from None
    if predicted.shape != truth.shape:
        raise NotPassed(f"your function returned {predicted.size} predictions for {truth.size} test sentences.")
    if not np.isfinite(predicted).all() or predicted.min() < 0 or predicted.max() > 1:
        raise NotPassed("return labels 0 and 1 (or probabilities of the positive class in [0, 1]).")
    return float(np.mean((predicted > 0.5) == truth))


# --- q3: an embedding + LSTM classifier -----------------------------------------------------------


def sentiment_lstm(vocab_size, embedding_dim, units):
    """Word ids -> embeddings (id 0 masked) -> LSTM -> probability of a positive sentence."""
    import keras

    return keras.Sequential([
        keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True),
        keras.layers.LSTM(units),
        keras.layers.Dense(1, activation="sigmoid"),
    ])


def _padded_ids(rng, batch=6, steps=7, vocab_size=40):
    ids = rng.integers(1, vocab_size, size=(batch, steps))
    lengths = rng.integers(1, steps + 1, size=batch)
    lengths[0] = steps  # one full row, the rest right-padded with 0
    ids[np.arange(steps)[None, :] >= lengths[:, None]] = 0
    return ids.astype("int32")


# --- q4: the masked mean of fastText --------------------------------------------------------------


def masked_mean(embedded, mask):
    """The mean over the real (unmasked) steps: Keras's ``GlobalAveragePooling1D`` called with a mask."""
    import keras

    pool = keras.layers.GlobalAveragePooling1D()
    return keras.ops.convert_to_numpy(pool(np.asarray(embedded, dtype="float32"), mask=np.asarray(mask, bool)))


def _random_mask(rng, batch, steps):
    lengths = rng.integers(1, steps + 1, size=batch)
    return np.arange(steps)[None, :] < lengths[:, None]


def _mean_cases(rng):
    batch, steps, dim = int(rng.integers(2, 6)), int(rng.integers(3, 9)), int(rng.integers(2, 7))
    return {"embedded": rng.normal(size=(batch, steps, dim)), "mask": _random_mask(rng, batch, steps)}


def _mean_over_all_steps(embedded, mask):
    return np.asarray(embedded).mean(axis=1)


def _mean_zeroed_pads(embedded, mask):
    return (np.asarray(embedded) * np.asarray(mask)[..., None]).mean(axis=1)


def _masked_sum(embedded, mask):
    return (np.asarray(embedded) * np.asarray(mask)[..., None]).sum(axis=1)


EXERCISES = [
    FunctionExercise(
        "Text to integer ids", text_to_ids, _text_cases,
        hints=["Standardize as Keras's default does: lower-case, delete the punctuation "
               "(`str.maketrans('', '', string.punctuation)`), split on whitespace.",
               "Ids 0 and 1 are taken (padding and `[UNK]`): `vocabulary[k]` gets id `k + 2`, an unknown word 1. "
               "Keep the first `length` ids of each text and pad with 0 at the end; return an integer array "
               "(texts, length)."],
        prose="Standardize, split, look up (0 padding, 1 unknown, the vocabulary from 2), then cut or pad at "
              "the end: `TextVectorization` with a fixed vocabulary.",
        mistakes=[(_ids_without_offset, "ids 0 and 1 are reserved (0 padding, 1 `[UNK]`): the vocabulary's first "
                                        "word has id 2."),
                  (_ids_padded_first, "`TextVectorization` pads at the end: the words first, then the zeros."),
                  (_ids_not_lowercased, "standardize first: Keras's default lower-cases the text before the look-up."),
                  (_ids_last_tokens, "a text longer than `length` keeps its first `length` tokens.")],
        perturb={"texts": lambda texts, rng: texts[::-1], "vocabulary": lambda vocabulary, rng: vocabulary[::-1],
                 "length": lambda length, rng: length + 2}),
    TrainingExercise(
        "A bag-of-words baseline", bag_of_words_baseline, _polarity_split, _test_accuracy,
        threshold=BASELINE_THRESHOLD,
        hints=["scikit-learn does it in three lines: a `TfidfVectorizer` (or `CountVectorizer`) fitted on the "
               "training texts, a `LogisticRegression` fitted on their vectors, `predict` on the transformed "
               "test texts.",
               "Use all the training sentences; fit the vectorizer on the training texts only."],
        metric="test accuracy on the notebook's split",
        answer_keys=("train_texts", "train_labels", "test_texts"),
        prose="Word counts weighted by TF-IDF and a linear model: the baseline every network must beat."),
    LayerExercise(
        "An embedding + LSTM classifier", sentiment_lstm,
        init_kwargs={"vocab_size": 40, "embedding_dim": 6, "units": 4}, inputs=_padded_ids,
        hints=["`keras.Sequential([...])` of three layers: `Embedding`, `LSTM`, `Dense`.",
               "`keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True)` makes the LSTM skip the "
               "padding; `keras.layers.LSTM(units)` returns its last state; `Dense(1, activation=\"sigmoid\")` "
               "turns it into a probability."],
        prose="An embedding that masks id 0, an LSTM that reads the real words only, a sigmoid unit."),
    FunctionExercise(
        "The masked mean of fastText", masked_mean, _mean_cases,
        hints=["Zero the padded steps (`embedded * mask[..., None]`) before summing over the time axis.",
               "Divide by the number of real steps of each row, `mask.sum(axis=1)`, not by the padded length."],
        prose="Sum the unmasked steps and divide by their count: `GlobalAveragePooling1D` with a mask.",
        rtol=1e-5, atol=1e-6,
        mistakes=[(_mean_over_all_steps, "the padded steps must not count: average over the real (masked in) "
                                         "steps only."),
                  (_mean_zeroed_pads, "divide by the number of real steps of each row, not by the padded length."),
                  (_masked_sum, "that is the masked sum: divide it by the number of real steps.")],
        perturb={"mask": lambda mask, rng: _random_mask(rng, *mask.shape)}),
    ChoiceExercise(
        "Keras's default standardization and a negation", "12-default-standardization",
        "98ab6592fbdf28d4de0c189e2a9d8b557d1af723df5bacda2b14e0f5e3187cd8",
        hints=["Keras's default is `\"lower_and_strip_punctuation\"`: which character of \"isn't\" is punctuation?",
               "Try it: adapt `keras.layers.TextVectorization()` on the sentence and look at `get_vocabulary()`."],
        explanation=("**(b)** The default standardization deletes the apostrophe, so \"isn't\" becomes the single "
                     "token \"isnt\", and \"doesn't\", \"wasn't\", \"can't\" become other words again: nothing ties "
                     "them to \"not\", and each rare form must be learnt on its own. The course's "
                     "`standardize_keep_negations` writes \"it is n't good\", one shared `n't` token for every "
                     "negation."),
        choices={"a": "it / is / n't / good: the negation becomes a token of its own",
                 "b": "it / isnt / good: the negation hides inside a word unrelated to \"not\"",
                 "c": "it / isn / t / good: the apostrophe splits the word",
                 "d": "it / is / not / good: contractions are expanded"},
        prose="Stripping punctuation glues the negation to its verb."),
]
