"""Callbacks that watch the weights and the units while a model trains.

``WeightChangeMonitor`` spots vanishing gradients (early layers whose weights
barely move); ``DeadReLUMonitor`` spots dying ReLU units (never active).
Gradient norms are monitored elsewhere (notebook 07's callbacks).
"""

import keras
import numpy as np

from ..validation import check_int, check_number


def _kernel_of(layer):
    """The layer's main weight matrix, or None for layers without weights."""
    kernel = getattr(layer, "kernel", None)
    if kernel is not None:
        return kernel
    weights = layer.trainable_weights
    return weights[0] if weights else None


_RECTIFIERS = ("relu", "leaky_relu")


def _is_relu_layer(layer):
    # Rectifier family: the output is positive exactly when the pre-activation is.
    if isinstance(layer, keras.layers.ReLU):
        return layer.threshold == 0
    if isinstance(layer, (keras.layers.LeakyReLU, keras.layers.PReLU)):
        return True
    activation = getattr(layer, "activation", None)
    return any(activation is getattr(keras.activations, name) for name in _RECTIFIERS)


def relu_layers(model):
    """The rectifier layers of ``model``: Dense/Conv with ``activation="relu"`` or ``"leaky_relu"``, ``ReLU``, ``LeakyReLU``, ``PReLU``, ``Activation("relu")``.

    For all of them a unit's output is above 0 exactly when its input is, so
    "never above 0" means "never on the active side".
    """
    return [layer for layer in model.layers if _is_relu_layer(layer)]


def relu_outputs(model, x, layer_names=None, batch_size=256):
    """Returns ``{layer_name: activations}`` of the ReLU layers of ``model`` on ``x`` (inference mode).

    Args:
        model: a built Keras model.
        x: input array.
        layer_names: names to keep; default all ReLU layers.
        batch_size: batch size of the forward pass. Default 256.
    """
    batch_size = check_int("batch_size", batch_size, low=1)
    layers = relu_layers(model)
    if layer_names is not None:
        layers = [layer for layer in layers if layer.name in set(layer_names)]
    if not layers:
        return {}
    if isinstance(model, keras.Sequential):
        wanted = {layer.name for layer in layers}
        out, h = {}, keras.ops.convert_to_tensor(np.asarray(x, dtype="float32"))
        for layer in model.layers:
            h = layer(h, training=False)
            if layer.name in wanted:
                out[layer.name] = keras.ops.convert_to_numpy(h)
        return out
    probe = keras.Model(model.inputs, [layer.output for layer in layers])
    acts = probe.predict(x, batch_size=batch_size, verbose=0)
    if len(layers) == 1:
        acts = [acts]
    return {layer.name: np.asarray(a) for layer, a in zip(layers, acts)}


def dead_fraction(activations, threshold=0.0):
    """Fraction of units never above ``threshold`` on any example: ``mean_j [max_i a_ij <= threshold]``.

    The last axis indexes units (channels for convolutions); every other
    axis counts as an example.

    Example:

    >>> dead_fraction(np.array([[0.0, 1.0], [0.0, 0.0]]))
    0.5
    """
    threshold = check_number("threshold", threshold)
    a = np.asarray(activations)
    a = a.reshape(-1, a.shape[-1])
    return float(np.mean(a.max(axis=0) <= threshold))


class WeightChangeMonitor(keras.callbacks.Callback):
    """Records each layer's relative weight change per epoch.

    Formula: ``r_l(t) = ||W_l(t) - W_l(t-1)|| / ||W_l(t-1)||`` (Frobenius
    norms of the kernel). Layers whose ``r`` stays orders of magnitude
    below the others barely learn: the notes' sign of vanishing gradients.

    After ``fit``: ``history`` maps layer name to a list of ``r`` values,
    one per epoch. Reset in ``on_train_begin``.

    Args:
        layer_names: layers to watch; default every layer with a kernel.

    Example:

    >>> monitor = WeightChangeMonitor()
    >>> # model.fit(x, y, epochs=5, callbacks=[monitor]); monitor.plot()
    """

    def __init__(self, layer_names=None):
        super().__init__()
        if layer_names is not None and (
            isinstance(layer_names, str) or not all(isinstance(n, str) for n in layer_names)
        ):
            raise ValueError(f"layer_names={layer_names!r} must be None or a list of layer names.")
        self.layer_names = None if layer_names is None else list(layer_names)
        self.history = {}

    def _watched(self):
        layers = [layer for layer in self.model.layers if _kernel_of(layer) is not None]
        if self.layer_names is not None:
            known = {layer.name for layer in layers}
            missing = [n for n in self.layer_names if n not in known]
            if missing:
                raise ValueError(f"layer_names={self.layer_names!r}: no weighted layers named {missing}; "
                                 f"available: {sorted(known)}.")
            layers = [layer for layer in layers if layer.name in set(self.layer_names)]
        return layers

    def _snapshot(self):
        return {layer.name: keras.ops.convert_to_numpy(_kernel_of(layer)).copy() for layer in self._watched()}

    def on_train_begin(self, logs=None):
        self.history = {}
        self._previous = self._snapshot()
        self.history = {name: [] for name in self._previous}

    def on_epoch_end(self, epoch, logs=None):
        current = self._snapshot()
        for name, w in current.items():
            before = self._previous[name]
            denom = np.linalg.norm(before)
            change = np.linalg.norm(w - before)
            self.history[name].append(float(change / denom) if denom > 0 else float("inf") if change > 0 else 0.0)
        self._previous = current

    def plot(self, ax=None):
        """Relative weight change per layer and epoch on a log scale; returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        for name, values in self.history.items():
            ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=3, label=name)
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("||W_t - W_(t-1)|| / ||W_(t-1)||")
        ax.set_title("Relative weight change per layer")
        ax.legend(fontsize=7, ncol=2)
        return ax


class DeadReLUMonitor(keras.callbacks.Callback):
    """Records, per ReLU-family layer, the fraction of units never active on a fixed sample.

    Formula: ``dead_l = mean_j [ max_i relu(z_ij) <= 0 ]`` over the examples
    ``i`` of ``x_sample`` and the units ``j`` of layer ``l``. A dead unit has
    zero gradient for every example, so plain gradient descent cannot revive it.
    Leaky ReLU and PReLU layers are probed too: their inactive units still
    pass a small gradient, which is how they recover.

    After ``fit``: ``history`` maps each ReLU layer's name to a list whose
    first entry is measured before training (epoch 0) and then one per
    epoch. Reset in ``on_train_begin``.

    Args:
        x_sample: array of inputs to probe (a few hundred examples suffice).
        threshold: a unit counts as active above this value. Default 0.0.

    Example:

    >>> monitor = DeadReLUMonitor(np.random.rand(256, 4))
    >>> # model.fit(x, y, epochs=5, callbacks=[monitor]); monitor.history
    """

    def __init__(self, x_sample, threshold=0.0):
        super().__init__()
        x_sample = np.asarray(x_sample, dtype="float32")
        if x_sample.ndim < 2 or len(x_sample) == 0:
            raise ValueError(f"x_sample of shape {x_sample.shape} must be a non-empty batch of inputs.")
        self.x_sample = x_sample
        self.threshold = check_number("threshold", threshold)
        self.history = {}

    def _measure(self):
        for name, acts in relu_outputs(self.model, self.x_sample).items():
            self.history.setdefault(name, []).append(dead_fraction(acts, self.threshold))

    def on_train_begin(self, logs=None):
        self.history = {}
        if not relu_layers(self.model):
            raise ValueError("DeadReLUMonitor found no ReLU layers in the model.")
        self._measure()

    def on_epoch_end(self, epoch, logs=None):
        self._measure()

    def plot(self, ax=None):
        """Dead-unit percentage per ReLU layer against epoch (0 = before training); returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        for name, values in self.history.items():
            ax.plot(np.arange(len(values)), 100 * np.asarray(values), marker="o", ms=3, label=name)
        ax.set_ylim(-3, 103)
        ax.set_xlabel("epoch (0 = before training)")
        ax.set_ylabel("dead units (%)")
        ax.set_title("Units never active on the probe sample")
        ax.legend(fontsize=7)
        return ax
