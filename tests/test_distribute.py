"""distributed_fit: the model's own loss and optimizer under any tf.distribute strategy."""

import json
import os
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from distribute_problem import build_model, global_batches, make_data
from dlcourse_keras.distribute import distributed_fit
from dlcourse_keras.seeding import seed_everything

# The subprocesses train the same problem, imported from this folder.
PROBLEM = (f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})\n"
           "from distribute_problem import build_model, global_batches, make_data\n"
           "import numpy as np, tensorflow as tf\n")
EPOCHS = 3

# Subprocesses train on the CPU (two of them could not share one GPU's memory),
# and so does their reference: a GPU's TF32 matmuls would differ by ~1e-3.
CPU_ONLY = dict(os.environ, CUDA_VISIBLE_DEVICES="")


def keras_fit(device=None):
    """The reference: plain model.fit on the same global batches, in this process."""
    seed_everything(0)
    x, y = make_data()
    with tf.device(device):
        model = build_model()
        history = model.fit(x, y, batch_size=16, epochs=EPOCHS, shuffle=False, verbose=0)
    return model.get_weights(), history.history


def assert_same_training(weights, history, tol, device=None):
    ref_weights, ref_history = keras_fit(device)
    assert set(history) == set(ref_history) == {"loss", "accuracy"}
    np.testing.assert_allclose(history["loss"], ref_history["loss"], rtol=tol, atol=tol)
    np.testing.assert_allclose(history["accuracy"], ref_history["accuracy"], atol=1e-6)
    assert history["loss"][-1] < history["loss"][0]  # it learned something
    for got, expected in zip(weights, ref_weights, strict=True):
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


def test_default_strategy_equals_model_fit():
    seed_everything(0)
    x, y = make_data()
    data = global_batches(x, y)
    model, history = distributed_fit(build_model, data, EPOCHS, verbose=0)
    assert_same_training(model.get_weights(), history, tol=1e-6)


MIRRORED = PROBLEM + r"""
import json, sys
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from dlcourse_keras import device
from dlcourse_keras.distribute import distributed_fit
from dlcourse_keras.seeding import seed_everything
seed_everything(0)
strategy = device.select_strategy(devices=["/cpu:0", "/cpu:1"])
model, history = distributed_fit(build_model, global_batches(*make_data()), 3,
                                 strategy=strategy, verbose=0)
np.savez(sys.argv[1], *model.get_weights())
print(json.dumps({"strategy": type(strategy).__name__,
                  "replicas": strategy.num_replicas_in_sync, "history": history}))
"""


def _load_weights(path):
    with np.load(path) as f:
        return [f[f"arr_{i}"] for i in range(len(f.files))]


def test_mirrored_strategy_over_two_logical_cpus_equals_model_fit(tmp_path):
    out = subprocess.run([sys.executable, "-c", MIRRORED, str(tmp_path / "w.npz")],
                         env=CPU_ONLY, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["strategy"] == "MirroredStrategy" and result["replicas"] == 2
    assert_same_training(_load_weights(tmp_path / "w.npz"), result["history"], tol=1e-5,
                         device="/CPU:0")


WORKER = PROBLEM + r"""
import json, os, sys
from dlcourse_keras import device
strategy = device.select_strategy()  # first, before TensorFlow runs anything
from dlcourse_keras.distribute import distributed_fit
from dlcourse_keras.seeding import seed_everything
assert isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy), type(strategy)
assert strategy.cluster_resolver.task_id == json.loads(os.environ["TF_CONFIG"])["task"]["index"]
seed_everything(0)
model, history = distributed_fit(build_model, global_batches(*make_data()), 3,
                                 strategy=strategy, verbose=0)
np.savez(sys.argv[1], *model.get_weights())
print(json.dumps({"replicas": strategy.num_replicas_in_sync, "history": history}))
"""


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_on_localhost_agree_with_each_other_and_with_model_fit(tmp_path):
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    workers = []
    for index in range(2):
        env = dict(CPU_ONLY, TF_CONFIG=json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}))
        workers.append(subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tmp_path / f"w{index}.npz")], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = []
    try:
        for worker in workers:
            # generous: a shared 2-core machine can be 10x slower than an idle one
            outputs.append(worker.communicate(timeout=600))
    finally:
        for worker in workers:
            if worker.poll() is None:  # a worker waiting for a dead peer would hang
                worker.kill()
                worker.wait()
    for worker, (_, err) in zip(workers, outputs):
        assert worker.returncode == 0, err[-3000:]
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert [r["replicas"] for r in results] == [2, 2]
    first, second = (_load_weights(tmp_path / f"w{i}.npz") for i in range(2))
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)  # one model, mirrored: identical on both machines
    assert results[0]["history"] == results[1]["history"]
    assert_same_training(first, results[0]["history"], tol=1e-5, device="/CPU:0")


def test_bad_arguments_are_named():
    data = tf.data.Dataset.from_tensor_slices((np.zeros((4, 2)), np.zeros(4))).batch(2)

    def uncompiled():
        return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])

    with pytest.raises(ValueError, match="build_model="):
        distributed_fit("model", data, 1)
    for epochs in (0, True, 1.5, float("nan")):
        with pytest.raises(ValueError, match="epochs="):
            distributed_fit(build_model, data, epochs)
    with pytest.raises(ValueError, match="verbose=2"):
        distributed_fit(build_model, data, 1, verbose=2)
    with pytest.raises(ValueError, match="tf.data.Dataset.*ndarray"):
        distributed_fit(build_model, np.zeros((4, 2)), 1)
    with pytest.raises(ValueError, match="strategy='mirrored'"):
        distributed_fit(build_model, data, 1, strategy="mirrored")
    with pytest.raises(ValueError, match="without compile"):
        distributed_fit(uncompiled, data, 1)


def test_a_model_instead_of_a_function_is_named():
    # a model is callable, so it used to be called with no arguments: "missing a required
    # argument: 'inputs'", deep inside Keras
    data = tf.data.Dataset.from_tensor_slices((np.zeros((4, 2)), np.zeros(4))).batch(2)
    model = build_model()
    with pytest.raises(ValueError, match=rf"build_model must be a function of no arguments.*got the "
                                         rf"{type(model).__name__} '{model.name}' itself"):
        distributed_fit(model, data, 1)
