"""A ``keras.Model`` that records per-layer gradient norms during ``fit`` (notebook 07).

Two pieces (the callback lives in :mod:`dlcourse_keras.callbacks.gradient_norm`):

- :class:`GradientNormModel`, a ``keras.Model`` whose ``train_step`` (TensorFlow backend
  only) computes the gradients once, records the L2 norm of each layer's gradients and
  their global norm into metrics (``grad_norm/<layer>``, ``grad_norm/global``: epoch means
  in ``History``), then hands the *raw* gradients to the optimizer. Clipping therefore stays
  the optimizer's job (``clipnorm=`` / ``global_clipnorm=``); the recorded norms are the
  norms before clipping.
- :class:`GradientNormHistory`, a callback that collects those norms per epoch (and,
  optionally, per step) and plots them.
"""

import keras
from keras import ops

PREFIX = "grad_norm/"


class _LastValues(keras.metrics.Metric):
    """Holds the latest vector of gradient norms (one per group); not reported in logs."""

    def __init__(self, size, name="last_gradient_norms", **kwargs):
        super().__init__(name=name, **kwargs)
        self.size = size
        self.values = self.add_variable(shape=(size,), initializer="zeros", name="values")

    def update_state(self, values):
        self.values.assign(ops.cast(values, self.values.dtype))

    def result(self):
        return ops.convert_to_tensor(self.values)

    def get_config(self):
        return {"size": self.size, "name": self.name}


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class GradientNormModel(keras.Model):
    """A functional ``keras.Model`` that records per-layer gradient norms while training.

    Build it like a functional model: ``GradientNormModel(inputs, outputs)``. For each
    layer with trainable weights it records ``||g_layer|| = sqrt(sum_v ||g_v||^2)`` and
    the global norm over all weights, as epoch-mean metrics ``grad_norm/<layer name>``
    and ``grad_norm/global``. Gradients are then applied with
    ``optimizer.apply_gradients``, so ``clipnorm``/``global_clipnorm`` set on the
    optimizer do the clipping (the notes' ``G * threshold / ||G||``).

    TensorFlow backend only (``train_step`` uses ``tf.GradientTape``). Under a
    ``LossScaleOptimizer`` the recorded norms are divided back by the loss scale.

    Args:
        inputs, outputs: as for a functional ``keras.Model``.
        record_layers: record one metric per layer (default True); False keeps only
            ``grad_norm/global``.
        **kwargs: passed to ``keras.Model`` (e.g. ``name``).

    Example:
        >>> inputs = keras.Input((4,))
        >>> outputs = keras.layers.Dense(1)(keras.layers.Dense(8, name="hidden")(inputs))
        >>> model = GradientNormModel(inputs, outputs)
        >>> model.compile(optimizer=keras.optimizers.SGD(0.1, global_clipnorm=1.0), loss="mse")
    """

    def __init__(self, *args, record_layers=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not isinstance(record_layers, bool):
            raise ValueError(f"record_layers={record_layers!r} must be True or False.")
        if keras.backend.backend() != "tensorflow":
            raise ValueError(
                f"GradientNormModel needs the TensorFlow backend; got {keras.backend.backend()!r}.")
        self.record_layers = record_layers
        self._setup_gradient_groups()

    def _setup_gradient_groups(self):
        groups, index = [], {}
        if self.record_layers:
            for layer in self._flatten_layers(include_self=False, recursive=False):
                if layer.trainable_weights:
                    groups.append(layer.name)
                    for v in layer.trainable_weights:
                        index[id(v)] = len(groups) - 1
        self.gradient_norm_groups = groups + ["global"]
        self._var_group = index
        self.gradient_norm_trackers = [
            keras.metrics.Mean(name=PREFIX + g) for g in self.gradient_norm_groups]
        self.last_gradient_norms = _LastValues(len(self.gradient_norm_groups))

    def get_config(self):
        config = super().get_config()
        config["record_layers"] = self.record_layers
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from keras.src.models.functional import functional_from_config

        config = dict(config)
        record_layers = config.pop("record_layers", True)
        model = functional_from_config(cls, config, custom_objects=custom_objects)
        if model.record_layers != record_layers:
            model.record_layers = record_layers
            model._setup_gradient_groups()
        return model

    def gradient_norms(self, gradients, variables):
        """Per-group norms for a list of gradients; order as ``gradient_norm_groups``."""
        squares = [ops.sum(ops.square(ops.cast(g, "float32"))) for g in gradients]
        n = len(self.gradient_norm_groups) - 1
        per_group = [[] for _ in range(n)]
        for sq, v in zip(squares, variables):
            group = self._var_group.get(id(v))
            if group is not None:
                per_group[group].append(sq)
        norms = [ops.sqrt(ops.sum(ops.stack(s))) if s else ops.convert_to_tensor(0.0)
                 for s in per_group]
        norms.append(ops.sqrt(ops.sum(ops.stack(squares))))
        return norms

    def train_step(self, data):
        import tensorflow as tf

        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                     training=True)
            self._loss_tracker.update_state(
                loss, sample_weight=tf.shape(tf.nest.flatten(x)[0])[0])
            scaled_loss = self.optimizer.scale_loss(loss)
        variables = self.trainable_weights
        gradients = tape.gradient(scaled_loss, variables)
        norms = self.gradient_norms(gradients, variables)
        if hasattr(self.optimizer, "dynamic_scale"):  # LossScaleOptimizer: report true norms
            scale = ops.cast(self.optimizer.dynamic_scale, "float32")
            norms = [n / scale for n in norms]
        # The optimizer clips (clipnorm / global_clipnorm) and applies the raw gradients.
        self.optimizer.apply_gradients(zip(gradients, variables))
        for tracker, value in zip(self.gradient_norm_trackers, norms):
            tracker.update_state(value)
        self.last_gradient_norms.update_state(ops.stack(norms))
        logs = self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)
        logs.pop(self.last_gradient_norms.name, None)  # a vector, read by the callback instead
        for tracker in self.gradient_norm_trackers:
            logs[tracker.name] = tracker.result()
        return logs
