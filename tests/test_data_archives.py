"""Official archives on the download path: truncated, hostile, or extracted onto a full disk.

Each test serves an archive from a loopback HTTP server and registers a copy of a real
entry (rt_polarity: tar.gz, sentiment_sentences: zip) whose ``url`` points at it.
"""

import dataclasses
import errno
import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile
from functools import partial

import pytest

from dlcourse_keras import data
from dlcourse_keras.data import registry

# a few kilobytes of text that compresses poorly, so that a cut falls inside a member's data
_RNG_WORDS = [hashlib.sha256(str(i).encode()).hexdigest()[:8] for i in range(4000)]
POS = (" ".join(_RNG_WORDS[:2000]) + "\n").encode() * 2
NEG = (" ".join(_RNG_WORDS[2000:]) + "\n").encode() * 2


@pytest.fixture
def server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield served, f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()


@pytest.fixture
def online_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("DLCOURSE_MIRROR", raising=False)
    monkeypatch.delenv("DLCOURSE_OFFLINE", raising=False)
    monkeypatch.setenv("DLCOURSE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, payload in members:
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def _zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, payload in members:
            z.writestr(name, payload)
    return buffer.getvalue()


def _register_rt_polarity(monkeypatch, url, archive_bytes=None):
    """rt_polarity pointing at ``url``, its files pinned to POS and NEG; the archive
    pinned to ``archive_bytes`` when given (else unpinned, as in the registry)."""
    spec = data.get_spec("rt_polarity")
    pinned = tuple(dataclasses.replace(f, sha256=hashlib.sha256(b).hexdigest())
                   for f, b in zip(spec.files, (POS, NEG)))
    url_sha256 = hashlib.sha256(archive_bytes).hexdigest() if archive_bytes is not None else None
    fake = dataclasses.replace(spec, url=url, files=pinned, url_sha256=url_sha256)
    monkeypatch.setitem(registry.DATASETS, "rt_polarity", fake)
    return fake


SENTENCES = {name: b"a sentence\t1\nanother one\t0\n" * (i + 1) * 50
             for i, name in enumerate(("imdb", "amazon_cells", "yelp"))}


def _register_sentences(monkeypatch, url, archive_bytes=None):
    spec = data.get_spec("sentiment_sentences")
    pinned = tuple(dataclasses.replace(f, sha256=hashlib.sha256(SENTENCES[name]).hexdigest())
                   for f, name in zip(spec.files, SENTENCES))
    url_sha256 = hashlib.sha256(archive_bytes).hexdigest() if archive_bytes is not None else None
    fake = dataclasses.replace(spec, url=url, files=pinned, url_sha256=url_sha256)
    monkeypatch.setitem(registry.DATASETS, "sentiment_sentences", fake)
    return fake


def _rt_members():
    return [("rt-polaritydata/rt-polarity.pos", POS), ("rt-polaritydata/rt-polarity.neg", NEG)]


def _sentence_members():
    return [(f"sentiment labelled sentences/{n}_labelled.txt", b) for n, b in SENTENCES.items()]


def _no_cached_data(cache):
    """Nothing but lock files and empty folders was left in the cache."""
    return [os.path.join(d, n) for d, _, names in os.walk(cache) for n in names if not n.endswith(".lock")]


def test_a_served_good_archive_still_loads(server, online_cache, monkeypatch):
    served, base = server
    payload = _zip(_sentence_members())
    (served / "sentences.zip").write_bytes(payload)
    _register_sentences(monkeypatch, base + "sentences.zip", payload)
    texts, labels, origins = data.load_sentiment_sentences(quiet=True)
    assert len(texts) == 2 * 50 * (1 + 2 + 3) and data.last_source("sentiment_sentences") == "download"
    assert all(r["ok"] for r in data.verify_all())


@pytest.mark.parametrize("pinned", [True, False])
def test_a_truncated_tar_is_a_data_error_naming_archive_dataset_and_hash(server, online_cache, monkeypatch,
                                                                         pinned):
    served, base = server
    whole = _tar_gz(_rt_members())
    cut = whole[: len(whole) // 2]
    (served / "rt-polaritydata.tar.gz").write_bytes(cut)
    fake = _register_rt_polarity(monkeypatch, base + "rt-polaritydata.tar.gz", cut if pinned else None)
    with pytest.raises(data.DataIntegrityError) as info:
        data.load_rt_polarity(quiet=True)
    message = str(info.value)
    assert "rt-polaritydata.tar.gz" in message and "'rt_polarity'" in message
    if pinned:
        assert fake.url_sha256 in message
    else:  # no archive pin: the message says so and names the pinned files instead
        assert "no sha256 is published" in message and fake.files[0].sha256 in message
    assert _no_cached_data(online_cache) == []


def test_a_truncated_zip_is_a_data_error_naming_archive_dataset_and_hash(server, online_cache, monkeypatch):
    served, base = server
    whole = _zip(_sentence_members())
    cut = whole[: len(whole) - 40]  # the central directory is gone
    (served / "sentences.zip").write_bytes(cut)
    fake = _register_sentences(monkeypatch, base + "sentences.zip", cut)
    with pytest.raises(data.DataIntegrityError) as info:
        data.load_sentiment_sentences(quiet=True)
    message = str(info.value)
    assert "sentences.zip" in message and "'sentiment_sentences'" in message and fake.url_sha256 in message
    assert _no_cached_data(online_cache) == []


@pytest.mark.parametrize("kind, member", [("tar", "../../escaped.txt"), ("tar", "/tmp/dlcourse-escaped.txt"),
                                          ("zip", "../../escaped.txt"), ("zip", "sub/../../escaped.txt")])
def test_an_archive_member_that_leaves_the_destination_is_refused(server, online_cache, monkeypatch, tmp_path,
                                                                 kind, member):
    served, base = server
    if kind == "tar":
        payload = _tar_gz(_rt_members() + [(member, b"owned\n")])
        (served / "rt-polaritydata.tar.gz").write_bytes(payload)
        _register_rt_polarity(monkeypatch, base + "rt-polaritydata.tar.gz", payload)
        load, name = data.load_rt_polarity, "rt-polaritydata.tar.gz"
    else:
        payload = _zip(_sentence_members() + [(member, b"owned\n")])
        (served / "sentences.zip").write_bytes(payload)
        _register_sentences(monkeypatch, base + "sentences.zip", payload)
        load, name = data.load_sentiment_sentences, "sentences.zip"
    with pytest.raises(data.DataIntegrityError) as info:
        load(quiet=True)
    message = str(info.value)
    assert name in message and repr(member) in message and "leaves" in message
    found = [os.path.join(d, n) for d, _, names in os.walk(tmp_path) for n in names if "escaped" in n]
    assert found == [] and not os.path.exists("/tmp/dlcourse-escaped.txt")
    assert _no_cached_data(online_cache) == []


def test_a_symlink_member_pointing_outside_is_refused(server, online_cache, monkeypatch):
    served, base = server
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, payload in _rt_members():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        link = tarfile.TarInfo("rt-polaritydata/passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "../../../etc/passwd"
        tar.addfile(link)
    payload = buffer.getvalue()
    (served / "rt.tar.gz").write_bytes(payload)
    _register_rt_polarity(monkeypatch, base + "rt.tar.gz", payload)
    with pytest.raises(data.DataIntegrityError, match="leaves"):
        data.load_rt_polarity(quiet=True)


def test_extracting_onto_a_full_disk_names_the_cache_folder(server, online_cache, monkeypatch):
    import shutil

    served, base = server
    payload = _tar_gz(_rt_members())
    (served / "rt-polaritydata.tar.gz").write_bytes(payload)
    _register_rt_polarity(monkeypatch, base + "rt-polaritydata.tar.gz", payload)
    real = shutil.copyfileobj

    def full(source, target, *args, **kwargs):
        if os.path.realpath(getattr(target, "name", "")).startswith(os.path.realpath(online_cache)):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(source, target, *args, **kwargs)

    monkeypatch.setattr(shutil, "copyfileobj", full)
    with pytest.raises(data.CacheUnwritableError, match="No space left on device") as info:
        data.fetch("rt_polarity", quiet=True)
    assert os.path.join(str(online_cache), "rt-polaritydata") in str(info.value)
    assert _no_cached_data(online_cache) == []


def test_registry_archives_are_pinned_or_say_why_not():
    for spec in data.DATASETS.values():
        if spec.url:
            assert spec.url_sha256 or "archive" in spec.note, spec.name
            # the extracted files are pinned: by their sha256, or (GloVe's text, for which the
            # upstream publishes no hash) by the sha256 of their parsed content
            assert all(f.sha256 for f in spec.files) or spec.content_sha256, spec.name
