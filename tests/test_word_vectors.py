"""word_vectors.embedding_matrix and bootstrap.paired_bootstrap (notebook 12)."""

import numpy as np
import pytest

from dlcourse_keras.bootstrap import paired_bootstrap
from dlcourse_keras.word_vectors import embedding_matrix

WORDS = ["the", "good", "bad", "film"]
VECTORS = np.arange(12, dtype=np.float64).reshape(4, 3) / 10


def test_rows_follow_the_vocabulary_and_padding_is_zero():
    vocabulary = ["", "[UNK]", "film", "good", "unseen"]
    matrix, found = embedding_matrix(vocabulary, WORDS, VECTORS, seed=3)
    assert matrix.shape == (5, 3) and matrix.dtype == np.float32
    np.testing.assert_allclose(matrix[2], VECTORS[3], rtol=1e-6)
    np.testing.assert_allclose(matrix[3], VECTORS[1], rtol=1e-6)
    assert found.tolist() == [False, False, True, True, False]
    assert not matrix[0].any()
    assert matrix[1].any() and matrix[4].any() and not np.allclose(matrix[1], matrix[4])


def test_missing_rows_are_seeded_and_scaled_like_the_vectors():
    big_words = [f"w{i}" for i in range(2000)]
    big = np.random.default_rng(0).normal(0, 0.7, (2000, 8))
    vocabulary = ["", "[UNK]"] + [f"new{i}" for i in range(3000)]
    matrix, found = embedding_matrix(vocabulary, big_words, big, seed=5)
    assert not found.any()
    assert abs(matrix[2:].std() - big.std()) < 0.02
    again, _ = embedding_matrix(vocabulary, big_words, big, seed=5)
    other, _ = embedding_matrix(vocabulary, big_words, big, seed=6)
    np.testing.assert_array_equal(matrix, again)
    assert not np.allclose(matrix, other)
    scaled, _ = embedding_matrix(vocabulary, big_words, big, seed=5, scale=0.01)
    assert abs(scaled[2:].std() - 0.01) < 0.001


def test_bytes_tokens_from_a_keras_vocabulary_are_matched():
    matrix, found = embedding_matrix([b"", b"good"], WORDS, VECTORS)
    assert found.tolist() == [False, True]
    np.testing.assert_allclose(matrix[1], VECTORS[1], rtol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"vocabulary": "good"}, "vocabulary must be a list of strings"),
    ({"vocabulary": []}, "vocabulary is empty"),
    ({"words": ["a", 3, "c", "d"]}, "words must hold strings only"),
    ({"vectors": VECTORS[:3]}, r"vectors has shape \(3, 3\)"),
    ({"vectors": VECTORS.ravel()}, "one row per entry of words"),
    ({"vectors": np.where(VECTORS > 1, np.nan, VECTORS)}, "NaN and inf"),
    ({"seed": -1}, "seed=-1"),
    ({"scale": 0}, "scale=0 must be a finite number > 0"),
    ({"scale": float("inf")}, "scale=inf"),
])
def test_bad_arguments_are_named(kwargs, message):
    arguments = {"vocabulary": ["", "good"], "words": WORDS, "vectors": VECTORS} | kwargs
    with pytest.raises(ValueError, match=message):
        embedding_matrix(**arguments)


def test_bootstrap_of_identical_models_is_zero_and_never_better():
    a = np.random.default_rng(0).integers(0, 2, 500)
    result = paired_bootstrap(a, a, n_resamples=500)
    assert result["difference"] == result["low"] == result["high"] == 0.0
    assert result["p_a_better"] == 0.0 and result["p_not_better"] == 1.0


def test_bootstrap_spread_matches_the_paired_standard_error():
    rng = np.random.default_rng(1)
    n = 1000
    b = rng.random(n) < 0.78
    a = b.copy()
    flips = rng.choice(n, 120, replace=False)   # A and B disagree on 120 examples
    a[flips] = ~b[flips]
    result = paired_bootstrap(a, b, n_resamples=4000, seed=2)
    delta = a.astype(float) - b.astype(float)
    assert result["difference"] == pytest.approx(delta.mean())
    # 95% interval ~ difference +- 1.96 standard errors of the mean of the per-example differences
    half_width = (result["high"] - result["low"]) / 2
    assert half_width == pytest.approx(1.96 * delta.std() / np.sqrt(n), rel=0.15)
    assert result["low"] < result["difference"] < result["high"]
    assert result["p_a_better"] + result["p_not_better"] == pytest.approx(1.0)


def test_bootstrap_is_seeded_and_chunking_does_not_change_it():
    rng = np.random.default_rng(3)
    a, b = rng.random(300) < 0.8, rng.random(300) < 0.75
    first = paired_bootstrap(a, b, n_resamples=2500, seed=7)
    assert first == paired_bootstrap(a, b, n_resamples=2500, seed=7)
    assert first != paired_bootstrap(a, b, n_resamples=2500, seed=8)


def test_shares_of_seeds_give_the_accuracy_of_the_seeds_mean():
    rng = np.random.default_rng(4)
    seeds = rng.random((3, 400)) < 0.8                 # three seeds of model A
    b = rng.random(400) < 0.7
    result = paired_bootstrap(seeds.mean(axis=0), b, n_resamples=500)
    assert result["difference"] == pytest.approx(seeds.mean() - b.mean())


def test_a_clearly_better_model_is_sure_and_a_worse_one_is_not():
    b = np.array([1, 0] * 200)
    a = np.ones(400, dtype=int)
    assert paired_bootstrap(a, b, n_resamples=500)["p_a_better"] == 1.0
    assert paired_bootstrap(b, a, n_resamples=500)["p_a_better"] == 0.0


@pytest.mark.parametrize("kwargs, message", [
    ({"correct_b": [1, 0]}, "correct_a has 3 examples but correct_b has 2"),
    ({"correct_a": [1, 2, 0]}, r"correct_a must hold values in \[0, 1\]"),
    ({"correct_a": [1, float("nan"), 0]}, "NaN is not allowed"),
    ({"correct_b": ["1", "0", "1"]}, "correct_b must hold values in"),
    ({"correct_a": []}, "non-empty 1-D"),
    ({"correct_b": [[1, 0, 1]]}, "non-empty 1-D"),
    ({"n_resamples": 10}, "n_resamples=10"),
    ({"seed": 1.5}, "seed=1.5"),
    ({"confidence": 1.0}, "confidence=1.0 must be a number in"),
    ({"confidence": float("nan")}, "confidence=nan"),
])
def test_bootstrap_bad_arguments_are_named(kwargs, message):
    arguments = {"correct_a": [1, 0, 1], "correct_b": [0, 0, 1]} | kwargs
    with pytest.raises(ValueError, match=message):
        paired_bootstrap(**arguments)
