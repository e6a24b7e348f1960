import json
import subprocess
import sys

import keras
import pytest

from dlcourse_keras import device


def test_one_device_gets_the_default_strategy_and_its_kind():
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    strategy = device.select_strategy()
    if len(gpus) <= 1:  # one GPU or none: the default strategy on it
        assert strategy is tf.distribute.get_strategy()
    assert device.device_kind(strategy) == ("GPU" if gpus else "CPU")
    assert device.recommended_policy("CPU") == "float32"
    assert device.recommended_policy("TPU") == "mixed_bfloat16"


def test_configure_mixed_precision_sets_and_validates():
    try:
        assert device.configure_mixed_precision("mixed_bfloat16") == "mixed_bfloat16"
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
        assert device.configure_mixed_precision("auto") == "float32"
        assert keras.mixed_precision.global_policy().name == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")
    with pytest.raises(ValueError, match="policy='float16'"):
        device.configure_mixed_precision("float16")


@pytest.mark.parametrize("kwargs, message", [
    (dict(use_tpu="yes"), "use_tpu='yes'"),
    (dict(devices="/cpu:0"), "devices='/cpu:0'"),
    (dict(devices=[]), "devices=\\[\\]"),
    (dict(devices=["/gpu:7"]), "'/gpu:7', which is not a visible device"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        device.select_strategy(**kwargs)
    with pytest.raises(ValueError, match="kind='NPU'"):
        device.recommended_policy("NPU")


def test_use_tpu_true_without_a_tpu_raises(monkeypatch):
    monkeypatch.delenv("COLAB_TPU_ADDR", raising=False)
    monkeypatch.delenv("TPU_NAME", raising=False)
    monkeypatch.setattr(device, "_connect_tpu", lambda: None)
    with pytest.raises(RuntimeError, match="no TPU"):
        device.select_strategy(use_tpu=True)


def test_describe_devices_names_versions_and_strategy():
    info = device.describe_devices()
    assert info["tensorflow"] and info["keras"].startswith("3.")
    assert info["devices"]["CPU"] and info["replicas"] == 1
    json.dumps(info)  # serialisable for `dlcourse doctor --json`


MIRRORED = r"""
import json, numpy as np, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
from dlcourse_keras import device
strategy = device.select_strategy(devices=["/cpu:0", "/cpu:1"])
with strategy.scope():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
history = model.fit(x, x.sum(axis=1), batch_size=16, epochs=2, verbose=0)
print(json.dumps({"name": type(strategy).__name__, "replicas": strategy.num_replicas_in_sync,
                  "loss": history.history["loss"]}))
"""


def test_mirrored_strategy_over_two_logical_cpus():
    out = subprocess.run([sys.executable, "-c", MIRRORED], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["name"] == "MirroredStrategy" and result["replicas"] == 2
    assert result["loss"][1] < result["loss"][0]


def test_tf_config_is_read(monkeypatch):
    import tensorflow as tf

    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert device.cluster_size() == 0
    one = {"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", "index": 0}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(one))
    assert device.cluster_size() == 1
    assert device.select_strategy() is tf.distribute.get_strategy()  # one worker: as before
    three = {"cluster": {"chief": ["h0:1"], "worker": ["h1:1", "h2:1"]},
             "task": {"type": "chief", "index": 0}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(three))
    assert device.cluster_size() == 3


@pytest.mark.parametrize("value, message", [
    ("{not json", "not valid JSON"),
    ('["worker"]', "must be a JSON object with a 'cluster' dict"),
    ('{"task": {}}', "must be a JSON object with a 'cluster' dict"),
])
def test_bad_tf_config_is_named(monkeypatch, value, message):
    monkeypatch.setenv("TF_CONFIG", value)
    with pytest.raises(ValueError, match=f"TF_CONFIG=.*{message}"):
        device.select_strategy()


def test_a_cluster_after_tensorflow_started_says_what_to_do(monkeypatch):
    import tensorflow as tf

    tf.config.list_logical_devices()  # TensorFlow has started, as after dl.setup()
    two = {"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]},
           "task": {"type": "worker", "index": 0}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(two))
    with pytest.raises(RuntimeError, match="call dl.device.select_strategy\\(\\) first"):
        device.select_strategy()
