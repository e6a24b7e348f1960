"""Importing TensorFlow quietly: shared by the library (device, distribute) and the course."""

import contextlib
import os
import sys


def quiet_tensorflow():
    """Silences TensorFlow's C++ start-up logs (must run before TF is imported)."""
    # 3: tf.data prints harmless C++ "errors" (e.g. use_unbounded_threadpool) at level 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN changes float rounding


@contextlib.contextmanager
def silenced_native_stderr():
    """Sends file descriptor 2 to /dev/null for a moment.

    TensorFlow's C++ runtime prints start-up notices (CUDA probing, oneDNN)
    before any log level applies; Python exceptions still propagate.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no real fd 2 (some embedded consoles)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow():
    """Imports TensorFlow quietly and returns the module."""
    quiet_tensorflow()
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with silenced_native_stderr():
        import tensorflow as tf

        tf.config.list_logical_devices()  # device probing prints too
    tf.get_logger().setLevel("ERROR")
    return tf
