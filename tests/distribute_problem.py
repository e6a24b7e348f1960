"""The small problem that tests/test_distribute.py trains in-process and in subprocesses.

99 examples in global batches of 16, so the last batch (3 examples) splits
unevenly over two replicas; an L2 penalty, so the regularization loss counts too.
"""

import keras
import numpy as np
import tensorflow as tf


def make_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(99, 5)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("float32")
    return x, y


def build_model():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.Input((5,)),
        keras.layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.L2(0.01)),
        keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    return model


def global_batches(x, y):
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
