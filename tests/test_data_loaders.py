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
                "fashion_mnist", "rt_polarity", "sentiment_sentences", "fra_eng", "imdb",
                "vgg16_imagenet", "tf_flowers", "imdb_reviews", "glove_6b_50d", "imdb_train_text"}
    assert set(data.DATASETS) == expected
    for spec in data.DATASETS.values():
        assert spec.license and spec.description and spec.splits
        assert set(spec.sources) <= set(registry.SOURCES)
        for f in spec.files:
            assert f.sha256 is None or len(f.sha256) == 64
            # content_sha256: no hash is published for the file's bytes; the loader pins what it parses
            assert f.sha256 or f.md5 or spec.builder or spec.content_sha256, f"{spec.name}: {f.path} is not pinned"
        assert all(f.sha256 for f in spec.package_files)


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
    cli = subprocess.run([sys.executable, "-m", "dlcourse_keras.course.cli", "data", "verify"],
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


def test_download_extracts_the_archive_and_verifies_its_files(monkeypatch, tmp_path):
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
    run = lambda *a: subprocess.run([sys.executable, "-m", "dlcourse_keras.course.cli", "data", *a],
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


# ----------------------------------------------------------------------------- pretrained weights


def _fake_weights(monkeypatch, tmp_path, payload=b"HDF5 stand-in for a weights file\n" * 50,
                  pin="sha256", url=None):
    """A temporary registry entry of kind weights for a small fake file."""
    import dataclasses
    import hashlib

    spec = data.get_spec("vgg16_imagenet")
    pins = ({"sha256": hashlib.sha256(payload).hexdigest(), "md5": None} if pin == "sha256"
            else {"sha256": None, "md5": hashlib.md5(payload).hexdigest()})
    fake = dataclasses.replace(spec, name="fake_weights", files=(dataclasses.replace(
        spec.files[0], path="weights/fake_notop.h5", url=url, size=len(payload), **pins),))
    monkeypatch.setitem(registry.DATASETS, "fake_weights", fake)
    return fake, payload


def test_vgg16_weights_entry_pins_the_keras_file():
    spec = data.get_spec("vgg16_imagenet")
    (f,) = spec.files
    assert spec.kind == "weights" and f.path == "weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    # Keras pins the same file by md5 in keras/src/applications/vgg16.py
    import inspect

    from keras.src.applications import vgg16

    assert f.md5 in inspect.getsource(vgg16) and f.url.endswith(os.path.basename(f.path))
    assert "sha256" in spec.note  # says why no sha256 is pinned


def test_weights_offline_fail_fast_naming_file_mirror_path_and_hash(offline_env, monkeypatch, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv("DLCOURSE_MIRROR", str(mirror))
    start = time.perf_counter()
    with pytest.raises(data.DataUnavailableError) as info:
        data.load_weights_file("vgg16_imagenet", quiet=True)
    assert time.perf_counter() - start < 5
    message = str(info.value)
    f = data.get_spec("vgg16_imagenet").files[0]
    assert os.path.basename(f.path) in message and f.md5 in message
    assert str(mirror / f.path) in message
    with pytest.raises(ValueError, match="name='iris'.*not pretrained weights"):
        data.load_weights_file("iris")


@pytest.mark.parametrize("pin", ["sha256", "md5"])
def test_weights_from_mirror_then_cache_and_corruption_named(offline_env, monkeypatch, tmp_path, pin):
    fake, payload = _fake_weights(monkeypatch, tmp_path, pin=pin)
    mirror = tmp_path / "mirror"
    (mirror / "weights").mkdir(parents=True)
    (mirror / "weights" / "fake_notop.h5").write_bytes(payload)
    monkeypatch.setenv("DLCOURSE_MIRROR", str(mirror))
    path = data.load_weights_file("fake_weights", quiet=True)
    assert path == str(mirror / "weights" / "fake_notop.h5") and data.last_source("fake_weights") == "mirror"
    assert data.fetch("fake_weights", quiet=True) == "mirror"
    path = data.load_weights_file("fake_weights", quiet=True)
    assert data.last_source("fake_weights") == "cache" and open(path, "rb").read() == payload
    assert os.path.dirname(path) == os.path.join(data.cache_dir(), "weights")
    # a corrupted cached copy is skipped (mirror used) and repaired by fetch
    with open(path, "r+b") as f:
        f.write(b"X")
    assert data.load_weights_file("fake_weights", quiet=True).startswith(str(mirror))
    assert data.fetch("fake_weights", quiet=True) == "mirror"
    assert open(path, "rb").read() == payload
    # a corrupted mirror with no other copy: the error names the file and the pinned hash
    os.remove(path)
    (mirror / "weights" / "fake_notop.h5").write_bytes(b"X" + payload[1:])
    with pytest.raises(data.DataIntegrityError) as info:
        data.load_weights_file("fake_weights", quiet=True)
    assert "fake_notop.h5" in str(info.value) and getattr(fake.files[0], pin) in str(info.value)


def _serve(folder):
    import http.server
    import threading
    from functools import partial

    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_weights_download_is_verified_before_it_reaches_the_cache(monkeypatch, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    server = _serve(served)
    try:
        url = f"http://127.0.0.1:{server.server_port}/fake_notop.h5"
        fake, payload = _fake_weights(monkeypatch, tmp_path, url=url)
        monkeypatch.delenv("DLCOURSE_MIRROR", raising=False)
        monkeypatch.delenv("DLCOURSE_OFFLINE", raising=False)
        monkeypatch.setenv("DLCOURSE_CACHE", str(tmp_path / "cache"))
        (served / "fake_notop.h5").write_bytes(payload[:-1] + b"?")  # a wrong file on the server
        with pytest.raises(data.DataIntegrityError, match="expected " + fake.files[0].sha256):
            data.load_weights_file("fake_weights", quiet=True)
        target = tmp_path / "cache" / "weights" / "fake_notop.h5"
        assert not target.exists() and os.listdir(target.parent) in ([], ["fake_notop.h5.lock"])
        (served / "fake_notop.h5").write_bytes(payload)
        path = data.load_weights_file("fake_weights", quiet=True)
        assert path == str(target) and data.last_source("fake_weights") == "download"
        assert target.read_bytes() == payload
    finally:
        server.shutdown()


# ----------------------------------------------------------------------------- TensorFlow Datasets


def _tiny_tfds_builder():
    """A tiny TFDS builder (registered as ``dlcourse_tiny_reviews`` on first use)."""
    import tensorflow_datasets as tfds

    class DlcourseTinyReviews(tfds.core.GeneratorBasedBuilder):
        VERSION = tfds.core.Version("1.0.0")

        def _info(self):
            return tfds.core.DatasetInfo(
                builder=self,
                features=tfds.features.FeaturesDict({"text": tfds.features.Text(),
                                                     "label": tfds.features.ClassLabel(num_classes=2)}),
                supervised_keys=("text", "label"))

        def _split_generators(self, dl_manager):
            return {"train": self._generate_examples(6), "test": self._generate_examples(2)}

        def _generate_examples(self, n):
            for i in range(n):
                yield i, {"text": f"review number {i}", "label": i % 2}

    return DlcourseTinyReviews


def test_tfds_source_reads_a_prepared_data_dir_offline(offline_env, monkeypatch, tmp_path):
    import dataclasses

    builder_class = _tiny_tfds_builder()
    mirror = tmp_path / "mirror"
    builder_class(data_dir=str(mirror / "tfds")).download_and_prepare()
    spec = dataclasses.replace(data.get_spec("imdb_reviews"), name="tiny_reviews",
                               tfds_name="dlcourse_tiny_reviews", splits={"train": 6, "test": 2})
    monkeypatch.setitem(registry.DATASETS, "tiny_reviews", spec)
    with pytest.raises(data.DataUnavailableError, match="tfds/dlcourse_tiny_reviews"):
        data.load_tfds("tiny_reviews", quiet=True)
    monkeypatch.setenv("DLCOURSE_MIRROR", str(mirror))
    pairs = [(x.numpy().decode(), int(y)) for x, y in data.load_tfds("tiny_reviews", quiet=True)]
    assert sorted(pairs) == [(f"review number {i}", i % 2) for i in range(6)]
    assert data.last_source("tiny_reviews") == "mirror"
    assert len(list(data.load_tfds("tiny_reviews", split="test", quiet=True))) == 2
    assert data.fetch("tiny_reviews", quiet=True) == "mirror"
    assert data.locate("tiny_reviews").source == "cache"
    assert len(list(data.load_tfds("tiny_reviews", quiet=True))) == 6
    assert data.last_source("tiny_reviews") == "cache"
    with pytest.raises(ValueError, match="not a TFDS set"):
        data.load_tfds("iris")


def test_tfds_entries_are_online_extras():
    for name in ("tf_flowers", "imdb_reviews"):
        spec = data.get_spec(name)
        assert spec.kind == "tfds" and spec.tfds_name == name and "download" in spec.sources


def test_the_printed_source_line_names_no_machine_path(mirror_env, capsys):
    from dlcourse_keras.data import load_fra_eng

    load_fra_eng()
    line = capsys.readouterr().out
    assert "[data] fra_eng: from mirror" in line
    assert mirror_env not in line, "committed notebook outputs must not carry this machine's paths"


def test_a_broken_tensorflow_datasets_import_says_how_to_repair_it(monkeypatch):
    """TF 2.19's protobuf 5 with tensorflow-metadata >= 1.18 fails inside protobuf: say why."""
    import builtins

    from dlcourse_keras.data.sources import import_tfds

    real_import = builtins.__import__

    def broken(name, *args, **kwargs):
        if name == "tensorflow_datasets":
            raise RuntimeError("Detected incompatible Protobuf Gencode/Runtime versions")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "tensorflow_datasets", raising=False)
    monkeypatch.setattr(builtins, "__import__", broken)
    with pytest.raises(ImportError, match="tensorflow-metadata < 1.18"):
        import_tfds()
