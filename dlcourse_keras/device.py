"""Device and distribution-strategy selection (TensorFlow backend).

One function picks the strategy, one sets the mixed-precision policy that
suits the device, and one describes the machine for ``dlcourse doctor`` and
notebook 00.
"""

import json
import os
import platform

import numpy as np

from ._tensorflow import import_tensorflow, quiet_tensorflow, silenced_native_stderr

POLICIES = ("auto", "float32", "mixed_float16", "mixed_bfloat16")


def tpu_hinted():
    """True when the environment points at a TPU (Colab or a TPU VM)."""
    return any(os.environ.get(k) for k in ("COLAB_TPU_ADDR", "TPU_NAME", "TPU_ACCELERATOR_TYPE"))


def _connect_tpu():
    tf = import_tensorflow()
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.NotFoundError):
        return None
    return tf.distribute.TPUStrategy(resolver)


def cluster_size():
    """How many workers ``TF_CONFIG`` names (chief included); 0 when it is unset.

    Raises:
        ValueError: if ``TF_CONFIG`` is not a JSON object with a ``cluster`` dict.
    """
    raw = os.environ.get("TF_CONFIG", "").strip()
    if not raw:
        return 0
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG={raw!r} is not valid JSON ({error}).") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    if not isinstance(cluster, dict):
        raise ValueError(f"TF_CONFIG={raw!r} must be a JSON object with a 'cluster' dict, e.g. "
                         '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                         '"task": {"type": "worker", "index": 0}}.')
    return len(cluster.get("chief", [])) + len(cluster.get("worker", []))


def _multi_worker_strategy():
    # Collective ops must be set up before TensorFlow runs anything, so no
    # device probing here (import_tensorflow would do some).
    quiet_tensorflow()
    with silenced_native_stderr():
        import tensorflow as tf
    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as error:
        if "startup" not in str(error):
            raise
        raise RuntimeError(
            f"TF_CONFIG names a cluster of {cluster_size()} workers, but TensorFlow has already "
            "run an operation in this process (dl.setup() does); call dl.device.select_strategy() "
            "first, before dl.setup() or any TensorFlow code.") from None


def select_strategy(devices=None, use_tpu="auto"):
    """Picks the distribution strategy for this machine.

    MultiWorkerMirroredStrategy when ``TF_CONFIG`` describes a cluster of more
    than one worker (train it with :func:`dlcourse_keras.distribute.distributed_fit`:
    Keras 3's ``fit`` fails under it, keras-team/keras#20585); TPUStrategy when
    a TPU is reachable (Colab, TPU VM); MirroredStrategy when there is more
    than one GPU (or more than one device is named); otherwise the default
    strategy, which runs on the single GPU or the CPU. On a cluster, call it
    first, before anything else runs a TensorFlow operation.

    Args:
        devices: optional list of device names (e.g. ``["/cpu:0", "/cpu:1"]``)
            to mirror over. Default None: decide from the visible devices.
        use_tpu: ``"auto"`` (default: only when the environment points at a
            TPU), True (insist; raise if none) or False.

    Returns:
        A ``tf.distribute.Strategy``; build and compile models in its
        ``scope()``.

    Example:

    >>> import keras
    >>> strategy = select_strategy()
    >>> with strategy.scope():
    ...     model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    >>> strategy.num_replicas_in_sync >= 1
    True
    """
    if isinstance(use_tpu, (bool, np.bool_)):
        use_tpu = bool(use_tpu)  # np.True_ too: the checks below test `use_tpu is True`
    elif not (isinstance(use_tpu, str) and use_tpu == "auto"):
        raise ValueError(f"use_tpu={use_tpu!r} must be 'auto', True or False.")
    if devices is None and use_tpu is not True and cluster_size() > 1:
        return _multi_worker_strategy()
    tf = import_tensorflow()
    if devices is not None:
        if isinstance(devices, str) or not all(isinstance(d, str) for d in devices) or not devices:
            raise ValueError(f"devices={devices!r} must be a non-empty list of device names.")
        known = {d.name.lower().replace("/job:localhost/replica:0/task:0", "")
                 for d in tf.config.list_logical_devices()}
        for d in devices:
            short = d.lower().replace("/job:localhost/replica:0/task:0", "")
            short = short if short.startswith("/device:") else "/device:" + short.lstrip("/")
            if short not in known:
                raise ValueError(f"devices contains {d!r}, which is not a visible device; "
                                 f"visible: {sorted(known)}.")
        if len(devices) > 1:
            return tf.distribute.MirroredStrategy(devices=list(devices))
        return tf.distribute.OneDeviceStrategy(devices[0])
    if use_tpu is True or (use_tpu == "auto" and tpu_hinted()):
        strategy = _connect_tpu()
        if strategy is not None:
            return strategy
        if use_tpu is True:
            raise RuntimeError("use_tpu=True but no TPU could be reached.")
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def device_kind(strategy=None):
    """``"TPU"``, ``"GPU"`` or ``"CPU"``: what the strategy computes on."""
    tf = import_tensorflow()
    if strategy is not None and isinstance(strategy, tf.distribute.TPUStrategy):
        return "TPU"
    return "GPU" if tf.config.list_logical_devices("GPU") else "CPU"


def recommended_policy(kind):
    """The mixed-precision policy that speeds up ``kind`` without hurting accuracy.

    TPU: ``mixed_bfloat16``; GPU with compute capability >= 7.0 (tensor cores):
    ``mixed_float16``; otherwise ``float32`` (CPUs gain nothing from float16).
    """
    if kind not in ("TPU", "GPU", "CPU"):
        raise ValueError(f"kind={kind!r} must be 'TPU', 'GPU' or 'CPU'.")
    if kind == "TPU":
        return "mixed_bfloat16"
    if kind == "GPU":
        tf = import_tensorflow()
        for gpu in tf.config.list_physical_devices("GPU"):
            capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
            if capability and capability >= (7, 0):
                return "mixed_float16"
    return "float32"


def configure_mixed_precision(policy="auto", strategy=None):
    """Sets Keras's global dtype policy for the device and returns its name.

    Args:
        policy: one of ``"auto"`` (default: :func:`recommended_policy` for the
            device), ``"float32"``, ``"mixed_float16"``, ``"mixed_bfloat16"``.
        strategy: the strategy in use (to recognise a TPU). Default None.
    """
    if policy not in POLICIES:
        raise ValueError(f"policy={policy!r} must be one of {POLICIES}.")
    import keras

    name = recommended_policy(device_kind(strategy)) if policy == "auto" else policy
    keras.mixed_precision.set_global_policy(name)
    return name


def describe_devices(strategy=None):
    """A dict describing this machine: versions, devices, strategy, threads."""
    tf = import_tensorflow()
    import keras

    strategy = strategy or select_strategy()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "cpu_count": os.cpu_count(),
        "devices": {kind: [d.name for d in tf.config.list_logical_devices(kind)]
                    for kind in ("CPU", "GPU", "TPU")},
        "built_with_cuda": tf.test.is_built_with_cuda(),
        "strategy": type(strategy).__name__,
        "replicas": strategy.num_replicas_in_sync,
        "device_kind": device_kind(strategy),
        "dtype_policy": keras.mixed_precision.global_policy().name,
        "recommended_policy": recommended_policy(device_kind(strategy)),
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
    }
