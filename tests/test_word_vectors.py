"""word_vectors.embedding_matrix: pretrained vectors lined up with a vocabulary (notebook 12)."""

import numpy as np
import pytest

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
