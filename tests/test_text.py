"""Text helpers: standardization keeps negations, splits, reports, tf.data and raw-string models;
the translation helpers (French-aware tokens, split by source sentence)."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcourse_keras.seeding import seed_everything
from dlcourse_keras.text import (build_vocabulary, detokenize, make_text_dataset, make_vectorizer,
                                 normalize_punctuation, raw_text_model, split_by_source,
                                 split_report, standardize_keep_negations, standardize_text,
                                 stratified_split, tokenize, vocabulary_report)


def standardized(texts):
    return [s.decode() for s in standardize_keep_negations(tf.constant(texts)).numpy()]


def test_standardize_keeps_negations_as_one_token():
    out = standardized(["It isn't GOOD!", "I don't like it, I didn't.", "Can't say"])
    assert out == ["it is n't good", "i do n't like it i did n't", "ca n't say"]


def test_standardize_drops_stray_quotes_keeps_clitics():
    out = standardized(["the rock's \" conan \" 'quoted' ...", "we're here"])
    assert out == ["the rock 's conan quoted", "we 're here"]


def test_keras_default_loses_the_negation_token():
    ours = make_vectorizer(["isn't good", "doesn't work"])
    theirs = keras.layers.TextVectorization()
    theirs.adapt(["isn't good", "doesn't work"])
    assert "n't" in ours.get_vocabulary() and "n't" not in theirs.get_vocabulary()
    assert "isnt" in theirs.get_vocabulary()


def test_vectorizer_ids_padding_and_oov():
    vec = make_vectorizer(["not good", "good"], output_sequence_length=4)
    ids = np.asarray(vec(["not good at all"]))
    vocab = vec.get_vocabulary()
    assert ids.shape == (1, 4) and vocab[:2] == ["", "[UNK]"]
    assert [vocab[i] for i in ids[0, :2]] == ["not", "good"] and ids[0, 2] == 1


def test_vectorizer_multi_hot_and_bad_arguments():
    vec = make_vectorizer(["a b", "b c"], output_mode="multi_hot", ngrams=2)
    assert np.asarray(vec(["a b"])).shape[1] == vec.vocabulary_size()
    with pytest.raises(ValueError, match="max_tokens"):
        make_vectorizer(["a"], max_tokens=2)
    with pytest.raises(ValueError, match="output_mode"):
        make_vectorizer(["a"], output_mode="one_hot")
    with pytest.raises(ValueError, match="output_sequence_length"):
        make_vectorizer(["a"], output_sequence_length=0)


def test_stratified_split_is_fixed_disjoint_and_balanced():
    texts = [f"text {i}" for i in range(1000)]
    labels = np.array([1] * 300 + [0] * 700)
    a, b = stratified_split(texts, labels, seed=3), stratified_split(texts, labels, seed=3)
    c = stratified_split(texts, labels, seed=4)
    assert all(np.array_equal(a[k][0], b[k][0]) for k in a)
    assert not np.array_equal(a["test"][0], c["test"][0])
    sets = [set(a[k][0]) for k in ("train", "val", "test")]
    assert sum(map(len, sets)) == 1000 and len(set.union(*sets)) == 1000
    for name, expected in (("train", 800), ("val", 100), ("test", 100)):
        assert len(a[name][0]) == expected and a[name][1].mean() == pytest.approx(0.3, abs=0.01)
    with pytest.raises(ValueError, match="fractions"):
        stratified_split(texts, labels, fractions=(0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="length"):
        stratified_split(texts, labels[:10])


def test_split_and_vocabulary_reports():
    splits = {"train": (np.array(["good movie", "bad bad movie"], dtype=object), np.array([1, 0])),
              "test": (np.array(["awful plot"], dtype=object), np.array([0]))}
    rows = split_report(splits)
    assert rows[0] == {"split": "train", "n": 2, "positive_fraction": 0.5, "mean_tokens": 2.5, "max_tokens": 3}
    vec = make_vectorizer(splits["train"][0])
    report = vocabulary_report(vec, ["bad movie plot", "movie"])
    assert report["tokens"] == 4 and report["oov_rate"] == pytest.approx(0.25)
    assert report["most_frequent"][0] == "movie" and report["length_percentiles"][-1] == 3


def _first_batches(dataset, n=2):
    return [[np.asarray(part) for part in (batch if isinstance(batch, tuple) else (batch,))]
            for batch in dataset.take(n)]


def _same(a, b):
    return all(np.array_equal(x, y) for bx, by in zip(a, b) for x, y in zip(bx, by))


def test_text_dataset_batches_and_vectorizes():
    vec = make_vectorizer(["a b c", "b c"])
    ds = make_text_dataset(["a b c", "b", "c a"], [1, 0, 1], batch_size=2, vectorizer=vec)
    batches = list(ds)
    assert [int(b[0].shape[0]) for b in batches] == [2, 1]
    assert batches[0][0].dtype == tf.int64 and list(batches[0][1].numpy()) == [1, 0]
    raw = list(make_text_dataset(["x", "y"], batch_size=5))
    assert raw[0].dtype == tf.string
    with pytest.raises(ValueError, match="batch_size"):
        make_text_dataset(["x"], batch_size=0)


def test_text_dataset_keeps_the_order_unless_asked_and_is_deterministic_under_a_seed():
    """The one text pipeline (data.pipelines.text_dataset was a second copy with shuffle=True)."""
    texts = [f"text {i}" for i in range(40)]
    labels = np.arange(40) % 2
    ordered = _first_batches(make_text_dataset(texts, labels, batch_size=5), n=8)
    assert [s.decode() for batch in ordered for s in batch[0]] == texts      # shuffle=False by default
    first = _first_batches(make_text_dataset(texts, labels, batch_size=5, shuffle=True, seed=1), n=3)
    again = _first_batches(make_text_dataset(texts, labels, batch_size=5, shuffle=True, seed=1), n=3)
    other = _first_batches(make_text_dataset(texts, labels, batch_size=5, shuffle=True, seed=2), n=3)
    assert _same(first, again) and not _same(first, other)
    strings, y = first[0]
    assert strings.shape == (5,) and all(int(s.decode().split()[1]) % 2 == t for s, t in zip(strings, y))
    assert len(list(make_text_dataset(texts, batch_size=6, drop_remainder=True))) == 6
    assert not hasattr(__import__("dlcourse_keras.data", fromlist=["x"]), "text_dataset")


@pytest.mark.parametrize("call, message", [
    (lambda: make_text_dataset(["a", "b"], [1]), "labels has 1 entries but texts has 2"),
    (lambda: make_text_dataset(["a", 1]), r"texts\[1\]=1 must be a string"),
    (lambda: make_text_dataset(["a"], batch_size=True), "batch_size=True"),
    (lambda: make_text_dataset(["a"], seed=1.5), "seed=1.5"),
    (lambda: make_text_dataset(["a"], shuffle="yes"), "shuffle='yes'"),
    (lambda: make_text_dataset([]), "texts is empty"),
    (lambda: make_text_dataset("a b"), "texts='a b' is one string"),
])
def test_bad_text_dataset_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_raw_text_model_saves_and_predicts_the_same_in_a_fresh_process(tmp_path):
    seed_everything(0)
    texts = ["a good film", "not good", "bad film", "really good fun"]
    vec = make_vectorizer(texts)
    inner = keras.Sequential([keras.layers.Embedding(vec.vocabulary_size(), 4, mask_zero=True),
                              keras.layers.LSTM(3), keras.layers.Dense(1, activation="sigmoid")])
    model = raw_text_model(vec, inner)
    probe = np.array(["not a good film", "good", "isn't it bad"], dtype=object)
    expected = model.predict(probe, verbose=0)
    path = tmp_path / "raw.keras"
    model.save(path)
    code = ("import keras, numpy as np, dlcourse_keras.text;"
            f"m = keras.models.load_model({str(path)!r}, safe_mode=True);"
            "print(' '.join(repr(float(v)) for v in m.predict(np.array(['not a good film', 'good',"
            " \"isn't it bad\"], dtype=object), verbose=0).ravel()))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    got = [float(v) for v in out.stdout.split()[-3:]]
    np.testing.assert_allclose(got, expected.ravel(), atol=1e-6)


# ---------------------------------------------------------------- translation (notebook 13)
def test_tokenize_and_detokenize():
    assert tokenize(["J’ai vu l'homme, peut-être\u202f!"]) == [
        ["j'", "ai", "vu", "l'", "homme", ",", "peut-être", "!"]]
    assert detokenize(["j'", "ai", "vu", "l'", "homme", "!"]) == "j'ai vu l'homme !"
    assert normalize_punctuation("J’ai du thé\u202f? Oui\u00a0!") == "J'ai du thé ? Oui !"


def test_one_string_is_refused_not_read_letter_by_letter():
    """tokenize("hello world") used to return [['h'], ['e'], ...]."""
    for call in (lambda: tokenize("hello world"), lambda: make_vectorizer("a b c"),
                 lambda: build_vocabulary("a b c", 5), lambda: detokenize("abc")):
        with pytest.raises(ValueError, match=r"=.*is one string; pass a list of strings"):
            call()
    assert tokenize(["hello world"]) == [["hello", "world"]]


def test_no_texts_tokenize_to_nothing():
    assert tokenize([]) == [] and tokenize(np.array([], dtype=object)) == []


def test_standardizers_name_their_argument():
    with pytest.raises(ValueError, match="text=None must be a string"):
        standardize_text(None)
    with pytest.raises(ValueError, match="texts=None must be a string"):
        standardize_keep_negations(None)
    with pytest.raises(ValueError, match="text must hold strings, got int32"):
        standardize_text(tf.constant([1, 2]))
    with pytest.raises(ValueError, match=r"texts\[1\]=None must be a string"):
        tokenize(["a", None])


def test_vectorizer_refuses_texts_with_nothing_to_learn():
    """An empty vocabulary used to fail only when called: 'Table not initialized'."""
    with pytest.raises(ValueError, match="texts is empty"):
        make_vectorizer([])
    with pytest.raises(ValueError, match=r"texts hold no token.*\['', ' '\]"):
        make_vectorizer(["", " "])
    with pytest.raises(ValueError, match="vocabulary is empty"):
        make_vectorizer(vocabulary=[])


def test_split_by_source_keeps_every_reference_in_one_split():
    pairs = [("a", "x"), ("a", "y"), ("b", "z"), ("c", "w"), ("d", "v"), ("a", "u")] * 1
    pairs += [(f"s{i}", f"t{i}") for i in range(40)]
    splits = split_by_source(pairs, (0.6, 0.2, 0.2), seed=1)
    sources = [{s for s, _ in part} for part in splits]
    assert not (sources[0] & sources[1] or sources[0] & sources[2] or sources[1] & sources[2])
    assert sum(len(part) for part in splits) == len({s for s, _ in pairs})
    refs = {s: r for part in splits for s, r in part}
    assert sorted(refs["a"]) == ["u", "x", "y"]
    assert [len(p) for p in splits] == [26, 9, 9]
    assert split_by_source(pairs, (0.6, 0.2, 0.2), seed=1) == splits
    assert split_by_source(pairs, (0.6, 0.2, 0.2), seed=2) != splits
    with pytest.raises(ValueError, match="fractions"):
        split_by_source(pairs, (0.5, 0.2, 0.2))


def test_vectorizer_from_a_fixed_vocabulary():
    vec = make_vectorizer(vocabulary=["je", "suis", "!"], output_sequence_length=5,
                          standardize=standardize_text)
    assert vec.get_vocabulary() == ["", "[UNK]", "je", "suis", "!"]
    assert vec(["Je suis là !"]).numpy().tolist() == [[2, 3, 1, 4, 0]]
    assert build_vocabulary(["Je suis là !", "je suis"], 4) == ["suis", "je"]
    with pytest.raises(ValueError, match="exactly one of texts"):
        make_vectorizer(["a"], vocabulary=["a"])
    with pytest.raises(ValueError, match="exactly one of texts"):
        make_vectorizer()
