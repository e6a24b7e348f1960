"""WeightChangeMonitor and DeadReLUMonitor on tiny models."""

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from dlcourse_keras.callbacks.monitors import (  # noqa: E402
    DeadReLUMonitor, WeightChangeMonitor, dead_fraction, relu_layers, relu_outputs)


def data(n=128, d=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
    return x, y


def relu_model(dead_bias=None):
    keras.utils.set_random_seed(0)
    bias = "zeros" if dead_bias is None else keras.initializers.Constant(dead_bias)
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(16, activation="relu", name="alive"),
        keras.layers.Dense(8, activation="relu", bias_initializer=bias, name="maybe_dead"),
        keras.layers.Dense(1, activation="sigmoid", name="out"),
    ])
    model.compile(keras.optimizers.SGD(0.05), "binary_crossentropy")
    return model


def test_dead_fraction_formula():
    a = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    assert dead_fraction(a) == pytest.approx(1 / 3 + 1 / 3)
    assert dead_fraction(np.zeros((2, 3, 3, 4))) == 1.0
    assert dead_fraction(a, threshold=2.0) == 1.0


def test_relu_layers_found():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="relu"),
                              keras.layers.Dense(2), keras.layers.ReLU(), keras.layers.LeakyReLU(),
                              keras.layers.Activation("relu"), keras.layers.Dense(1, activation="tanh")])
    kinds = [type(layer).__name__ for layer in relu_layers(model)]
    assert kinds == ["Dense", "ReLU", "LeakyReLU", "Activation"]


def test_dead_layer_detected_at_100_percent():
    x, y = data()
    model = relu_model(dead_bias=-100.0)
    monitor = DeadReLUMonitor(x[:64])
    model.fit(x, y, epochs=3, verbose=0, callbacks=[monitor])
    assert set(monitor.history) == {"alive", "maybe_dead"}
    assert len(monitor.history["maybe_dead"]) == 4  # before training + 3 epochs
    assert monitor.history["maybe_dead"] == [1.0] * 4
    assert max(monitor.history["alive"]) < 0.5


def test_healthy_layer_mostly_alive_and_functional_model_probe():
    x, y = data()
    inputs = keras.Input((4,))
    h = keras.layers.Dense(16, activation="relu", name="h")(inputs)
    out = keras.layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, out)
    model.compile("sgd", "binary_crossentropy")
    monitor = DeadReLUMonitor(x[:64])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[monitor])
    assert monitor.history["h"][-1] < 0.25
    acts = relu_outputs(model, x[:10])
    assert acts["h"].shape == (10, 16) and (acts["h"] >= 0).all()


def test_weight_change_monitor_values_and_dead_layer_frozen():
    x, y = data()
    model = relu_model(dead_bias=-100.0)
    before = {layer.name: layer.kernel.numpy().copy() for layer in model.layers}
    monitor = WeightChangeMonitor()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[monitor])
    assert set(monitor.history) == {"alive", "maybe_dead", "out"}
    assert all(len(v) == 2 for v in monitor.history.values())
    # a dead ReLU layer gets zero gradient: its kernel and everything before it do not move
    assert monitor.history["maybe_dead"] == [0.0, 0.0] and monitor.history["alive"] == [0.0, 0.0]
    assert monitor.history["out"] == [0.0, 0.0]  # its inputs are all zero, so only its bias moves
    model2 = relu_model()
    m2 = WeightChangeMonitor(layer_names=["alive"])
    start = model2.get_layer("alive").kernel.numpy().copy()
    model2.fit(x, y, epochs=1, verbose=0, callbacks=[m2])
    end = model2.get_layer("alive").kernel.numpy()
    expected = np.linalg.norm(end - start) / np.linalg.norm(start)
    assert list(m2.history) == ["alive"]
    assert m2.history["alive"][0] == pytest.approx(expected, rel=1e-5) and expected > 0
    assert np.array_equal(before["alive"], model.get_layer("alive").kernel.numpy())


def test_state_reset_and_plots():
    x, y = data()
    model = relu_model()
    wc, dead = WeightChangeMonitor(), DeadReLUMonitor(x[:32])
    model.fit(x, y, epochs=2, verbose=0, callbacks=[wc, dead])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[wc, dead])
    assert len(wc.history["alive"]) == 1 and len(dead.history["alive"]) == 2
    assert wc.plot().get_yscale() == "log"
    assert dead.plot().get_ylabel() == "dead units (%)"


def test_bad_arguments():
    with pytest.raises(ValueError, match="x_sample"):
        DeadReLUMonitor(np.zeros(5))
    with pytest.raises(ValueError, match="threshold"):
        DeadReLUMonitor(np.zeros((2, 3)), threshold="0")
    with pytest.raises(ValueError, match="layer_names"):
        WeightChangeMonitor(layer_names="dense")
    x, y = data()
    with pytest.raises(ValueError, match="layer_names"):
        relu_model().fit(x, y, epochs=1, verbose=0, callbacks=[WeightChangeMonitor(["nope"])])
    no_relu = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    no_relu.compile("sgd", "mse")
    with pytest.raises(ValueError, match="no ReLU"):
        no_relu.fit(x, y, epochs=1, verbose=0, callbacks=[DeadReLUMonitor(x[:8])])
