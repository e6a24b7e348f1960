"""``tf.data`` input pipelines for the course's arrays and image sets (TensorFlow only).

Every pipeline is batched and prefetched, and its order is fixed by ``seed``:
the same seed gives the same batches in the same order, epoch after epoch
(each epoch reshuffles, deterministically), and a different seed a different
order. Notebook 10 uses them; the Keras twin is
``keras.utils.image_dataset_from_directory``. The pipeline of texts is
:func:`dlcourse_keras.text.make_text_dataset`, beside the vectorizer it feeds.
"""

import numpy as np


def _check(batch_size, seed):
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} must be a positive integer.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValueError(f"seed={seed!r} must be an integer or None.")


def _finish(dataset, count, batch_size, shuffle, seed, drop_remainder=False, map_fn=None):
    import tensorflow as tf

    options = tf.data.Options()
    options.deterministic = True
    dataset = dataset.with_options(options)
    if shuffle:
        dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    if map_fn is not None:
        dataset = dataset.map(map_fn, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.prefetch(tf.data.AUTOTUNE)


def to_tf_dataset(x, y=None, batch_size=32, shuffle=False, seed=0):
    """Wraps arrays in a batched, prefetched ``tf.data.Dataset``.

    Args:
        x: inputs (array-like, first axis = examples).
        y: targets, or None. Default None.
        batch_size: examples per batch. Default 32.
        shuffle: shuffle before batching (reshuffled every epoch). Default False.
        seed: shuffle seed. Default 0.
    """
    _check(batch_size, seed)
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    return _finish(dataset, len(x), batch_size, shuffle, seed)


def image_dataset(images, labels=None, batch_size=32, shuffle=True, seed=0, scale=1 / 255.0,
                  channel_axis=True, drop_remainder=False):
    """A pipeline of image batches: ``float32`` pixels times ``scale``, channels last.

    Args:
        images: ``(n, height, width)`` or ``(n, height, width, channels)``, e.g. uint8.
        labels: ``(n,)`` integer labels, or None. Default None.
        batch_size: images per batch. Default 32.
        shuffle: shuffle (deterministically under ``seed``). Default True.
        seed: shuffle seed. Default 0.
        scale: factor applied to the pixels (``1/255`` maps bytes to [0, 1]). Default 1/255.
        channel_axis: add a channel axis to ``(n, h, w)`` images. Default True.
        drop_remainder: drop a last, smaller batch. Default False.

    Example:

    >>> (x, y), _ = load_fashion_mnist()  # doctest: +SKIP
    >>> train = image_dataset(x, y, batch_size=128, seed=1)  # doctest: +SKIP
    """
    _check(batch_size, seed)
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"images has shape {images.shape}; expected (n, h, w) or (n, h, w, c).")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"labels has {len(labels)} entries but images has {len(images)}.")
    if not np.isfinite(scale):
        raise ValueError(f"scale={scale!r} must be a finite number.")
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(images if labels is None else (images, np.asarray(labels)))
    expand = channel_axis and images.ndim == 3

    def convert(x):
        x = tf.cast(x, tf.float32) * scale
        return x[..., tf.newaxis] if expand else x

    map_fn = (lambda x: convert(x)) if labels is None else (lambda x, t: (convert(x), t))
    return _finish(dataset, len(images), batch_size, shuffle, seed, drop_remainder, map_fn)
