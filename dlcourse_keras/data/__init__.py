"""The course's data layer: a registry, verified sources and one loader per data set."""

from .config import absolute_env, cache_dir, mirror_dir, network_available
from .errors import DataError, DataIntegrityError, DataUnavailableError, DataUnreadableError
from .files import CacheUnwritableError, sha256_file, verify_file
from .loaders import (
    FASHION_MNIST_CLASSES,
    TabularData,
    last_source,
    load_fashion_mnist,
    load_fra_eng,
    load_glove,
    load_imdb,
    load_imdb_text,
    load_mnist,
    load_rt_polarity,
    load_sentiment_sentences,
    load_tabular,
    load_tfds,
    load_weights_file,
)
from .pipelines import image_dataset, to_tf_dataset
from .registry import DATASETS, DataFile, DatasetSpec, get_spec
from .sources import dataset_status, fetch, list_datasets, locate, verify_all
