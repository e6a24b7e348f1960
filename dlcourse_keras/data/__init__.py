"""The course's data layer: a registry, verified sources and one loader per data set."""

from .config import cache_dir, mirror_dir, network_available
from .errors import DataError, DataIntegrityError, DataUnavailableError
from .files import sha256_file, verify_file
from .loaders import (
    FASHION_MNIST_CLASSES,
    TabularData,
    fetch,
    last_source,
    load_fashion_mnist,
    load_fra_eng,
    load_imdb,
    load_mnist,
    load_rt_polarity,
    load_sentiment_sentences,
    load_tabular,
    to_tf_dataset,
)
from .registry import DATASETS, DatasetSpec, dataset_status, get_spec, list_datasets, locate, verify_all
