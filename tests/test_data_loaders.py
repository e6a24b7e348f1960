import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from dlcourse_keras import data
from dlcourse_keras.data import registry

from conftest import MIRROR, needs_mirror


def test_registry_covers_every_course_data_set():
    expected = {"iris", "wine", "breast_cancer", "diabetes", "digits", "mnist", "mnist_5k",
                "fashion_mnist", "rt_polarity", "sentiment_sentences", "fra_eng", "imdb"}
    assert set(data.DATASETS) == expected
    for spec in data.DATASETS.values():
        assert spec.license and spec.description and spec.splits
        assert set(spec.sources) <= set(registry.SOURCES)
        for f in spec.files:
            assert f.sha256 is None or len(f.sha256) == 64


@pytest.mark.parametrize("name, n", [("iris", 150), ("wine", 178), ("breast_cancer", 569),
                                     ("diabetes", 442), ("digits", 1797)])
def test_tabular_sets_match_their_registered_counts(name, n):
    table = data.load_tabular(name, quiet=True)
    assert table.x.shape[0] == table.y.shape[0] == n == data.get_spec(name).num_examples
    assert data.last_source(name) == "package"


def test_digits_are_8x8_images():
    table = data.load_tabular("digits", quiet=True)
    assert table.x.shape == (1797, 64) and table.images.shape == (1797, 8, 8)
    assert table.x.max() == 16


def test_mnist_5k_is_stratified_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("DLCOURSE_CACHE", str(tmp_path))
    (x_train, y_train), (x_test, y_test) = data.load_mnist("5k", quiet=True)
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == np.uint8 and np.bincount(y_test).tolist() == [100] * 10
    # shuffled: the last 10% (what validation_split takes) holds every class
    assert len(np.unique(y_train[-400:])) == 10 and len(np.unique(y_test[-100:])) == 10
    assert data.last_source("mnist_5k") == "package"
    again = data.load_mnist("5k", quiet=True)
    assert data.last_source("mnist_5k") == "cache"
    np.testing.assert_array_equal(again[0][0], x_train)


def test_mnist_auto_falls_back_to_5k_offline(offline_env):
    (x_train, _), _ = data.load_mnist(quiet=True)
    assert len(x_train) == 4000


@needs_mirror
def test_mirror_sets_load_with_registered_counts(mirror_env):
    (x, y), (xt, yt) = data.load_fashion_mnist(quiet=True)
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28) and set(np.unique(y)) == set(range(10))
    assert data.last_source("fashion_mnist") == "mirror"
    texts, labels = data.load_rt_polarity(quiet=True)
    assert len(texts) == 10662 and labels.sum() == 5331
    assert all("\n" not in t for t in texts)
    texts, labels, origins = data.load_sentiment_sentences(quiet=True)
    assert len(texts) == 3000 and {o: origins.count(o) for o in set(origins)} == data.get_spec(
        "sentiment_sentences").splits
    pairs = data.load_fra_eng(quiet=True)
    assert len(pairs) == 76036 and pairs[0] == ("Go.", "Va !")
    assert data.load_fra_eng(max_pairs=10, quiet=True) == pairs[:10]


@needs_mirror
def test_corrupted_mirror_file_is_named_with_its_hash(monkeypatch, tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(os.path.join(MIRROR, "fra-eng"), mirror / "fra-eng")
    target = mirror / "fra-eng" / "fra.txt"
    target.chmod(0o644)
    with open(target, "r+b") as f:
        f.seek(100)
        f.write(b"X")
    monkeypatch.setenv("DLCOURSE_MIRROR", str(mirror))
    monkeypatch.setenv("DLCOURSE_CACHE", str(tmp_path / "cache"))
    with pytest.raises(data.DataIntegrityError) as info:
        data.load_fra_eng(quiet=True)
    message = str(info.value)
    assert str(target) in message and data.get_spec("fra_eng").files[0].sha256 in message
    bad = [r for r in data.verify_all() if not r["ok"]]
    assert [r["path"] for r in bad] == [str(target)]
    cli = subprocess.run([sys.executable, "-m", "dlcourse_keras.cli", "data", "verify"],
                         capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert cli.returncode == 1
    assert str(target) in cli.stdout and data.get_spec("fra_eng").files[0].sha256 in cli.stdout


def test_offline_without_sources_fails_fast_and_says_what_to_set(monkeypatch, tmp_path):
    monkeypatch.delenv("DLCOURSE_MIRROR", raising=False)
    monkeypatch.delenv("DLCOURSE_OFFLINE", raising=False)  # really probe the network
    monkeypatch.setenv("DLCOURSE_CACHE", str(tmp_path / "empty"))
    if data.network_available():
        pytest.skip("the network is reachable here")
    for loader in (data.load_fashion_mnist, data.load_rt_polarity, data.load_fra_eng,
                   data.load_sentiment_sentences, data.load_imdb, lambda **k: data.load_mnist("full", **k)):
        start = time.perf_counter()
        with pytest.raises(data.DataUnavailableError, match="not available offline") as info:
            loader(quiet=True)
        assert time.perf_counter() - start < 5
        if "imdb" not in str(info.value):
            assert "DLCOURSE_MIRROR" in str(info.value)


def test_bad_mirror_setting_is_explained(monkeypatch, tmp_path):
    monkeypatch.setenv("DLCOURSE_MIRROR", str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="DLCOURSE_MIRROR=.*is not a directory"):
        data.mirror_dir()


@pytest.mark.parametrize("call, message", [
    (lambda: data.load_tabular("boston"), "name='boston'"),
    (lambda: data.load_mnist("10k"), "variant='10k'"),
    (lambda: data.load_sentiment_sentences(["twitter"]), "sources=\\('twitter',\\)"),
    (lambda: data.load_fra_eng(max_pairs=0), "max_pairs=0"),
    (lambda: data.get_spec("cifar10"), "data set 'cifar10' is unknown"),
    (lambda: data.to_tf_dataset(np.zeros(3), batch_size=0), "batch_size=0"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@needs_mirror
def test_fetch_fills_the_cache_which_then_comes_first(mirror_env, tmp_path):
    assert data.fetch("sentiment_sentences", quiet=True) == "mirror"
    location = data.locate("sentiment_sentences")
    assert location.source == "cache" and location.detail.startswith(str(tmp_path / "cache"))
    texts, _, _ = data.load_sentiment_sentences(["yelp"], quiet=True)
    assert len(texts) == 1000 and data.last_source("sentiment_sentences") == "cache"
    assert all(r["ok"] for r in data.verify_all())
    assert data.fetch("iris", quiet=True) == "package"


def test_download_uses_get_file_and_verifies_the_extracted_files(monkeypatch, tmp_path):
    """The real download path, served from a loopback HTTP server."""
    import http.server
    import tarfile
    import threading
    from functools import partial

    served = tmp_path / "served"
    (served / "rt-polaritydata").mkdir(parents=True)
    pos, neg = b"a fine film\n" * 3, b"a dull film\n" * 2
    (served / "rt-polaritydata" / "rt-polarity.pos").write_bytes(pos)
    (served / "rt-polaritydata" / "rt-polarity.neg").write_bytes(neg)
    with tarfile.open(served / "rt-polaritydata.tar.gz", "w:gz") as tar:
        tar.add(served / "rt-polaritydata", arcname="rt-polaritydata")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        import dataclasses
        import hashlib

        spec = data.get_spec("rt_polarity")
        files = tuple(dataclasses.replace(f, sha256=hashlib.sha256(b).hexdigest())
                      for f, b in zip(spec.files, (pos, neg)))
        url = f"http://127.0.0.1:{server.server_port}/rt-polaritydata.tar.gz"
        monkeypatch.setitem(registry.DATASETS, "rt_polarity", dataclasses.replace(spec, url=url, files=files))
        monkeypatch.delenv("DLCOURSE_MIRROR", raising=False)
        monkeypatch.delenv("DLCOURSE_OFFLINE", raising=False)
        monkeypatch.setenv("DLCOURSE_CACHE", str(tmp_path / "cache"))
        texts, labels = data.load_rt_polarity(quiet=True)
        assert texts == ["a fine film"] * 3 + ["a dull film"] * 2 and labels.tolist() == [1, 1, 1, 0, 0]
        assert data.last_source("rt_polarity") == "download"
        data.load_rt_polarity(quiet=True)
        assert data.last_source("rt_polarity") == "cache"
    finally:
        server.shutdown()


def test_to_tf_dataset_batches():
    ds = data.to_tf_dataset(np.arange(10.0), np.arange(10), batch_size=4, shuffle=True, seed=1)
    sizes = [int(x.shape[0]) for x, _ in ds]
    assert sizes == [4, 4, 2]


@needs_mirror
def test_cli_data_commands(mirror_env):
    run = lambda *a: subprocess.run([sys.executable, "-m", "dlcourse_keras.cli", "data", *a],
                                    capture_output=True, text=True, timeout=60)
    listed = run("list", "--json")
    assert listed.returncode == 0
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["fra_eng"]["available"] and rows["fra_eng"]["source"] == "mirror"
    assert rows["fra_eng"]["splits"] == {"all": 76036}
    assert rows["fashion_mnist"]["splits"] == {"train": 60000, "test": 10000}
    assert rows["mnist_5k"]["available"]
    verified = run("verify")
    assert verified.returncode == 0 and "MISMATCHED" not in verified.stdout
