"""A ``keras.Model`` that records per-layer gradient norms during ``fit`` (notebook 07).

:class:`GradientNormModel` overrides ``train_step`` (TensorFlow backend only) with public
Keras API: it computes the gradients once, records the L2 norm of each layer's gradients
and their global norm into metrics (``grad_norm/<layer>``, ``grad_norm/global``: epoch
means in ``History``), then hands the *raw* gradients to the optimizer. Clipping therefore
stays the optimizer's job (``clipnorm=`` / ``global_clipnorm=``); the recorded norms are
the norms before clipping. The callback that collects and plots them is
:class:`dlcourse_keras.callbacks.GradientNormHistory`.
"""

import keras
from keras import ops

from ..validation import check_bool

PREFIX = "grad_norm/"
"""Prefix of the metric names the model logs."""


class _LastValues(keras.metrics.Metric):
    """Holds the latest vector of gradient norms (one per group); not reported in logs."""

    def __init__(self, size, name="last_gradient_norms", **kwargs):
        super().__init__(name=name, **kwargs)
        self.size = size
        # every replica stores the same (all-reduced) norms: reading gives their mean
        self.values = self.add_variable(shape=(size,), initializer="zeros", name="values",
                                        aggregation="mean")

    def update_state(self, values):
        self.values.assign(ops.cast(values, self.values.dtype))

    def result(self):
        return ops.convert_to_tensor(self.values)

    def get_config(self):
        return {"size": self.size, "name": self.name}


def _replica_count():
    """Replicas of the active ``tf.distribute`` strategy (1 without one)."""
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync


@keras.saving.register_keras_serializable(package="dlcourse_keras")
class GradientNormModel(keras.Model):
    """A functional ``keras.Model`` that records per-layer gradient norms while training.

    Build it like a functional model: ``GradientNormModel(inputs, outputs)``. For each
    layer with trainable weights it records ``||g_layer|| = sqrt(sum_v ||g_v||^2)`` and
    the global norm ``||G|| = sqrt(sum_layers ||g_layer||^2)``, as epoch-mean metrics
    ``grad_norm/<layer name>`` and ``grad_norm/global``. Gradients are then applied with
    ``optimizer.apply_gradients``, so ``clipnorm``/``global_clipnorm`` set on the
    optimizer do the clipping (the notes' ``G * threshold / ||G||``).

    Loss, compiled metrics and weights are exactly those of a plain ``keras.Model``
    trained on the same data, also under a ``tf.distribute`` strategy: each replica's
    loss arrives divided by the replica count (so that the summed gradients are the
    global batch's), and the logged loss is multiplied back. Under a strategy the norms
    are those of the global batch's gradient (the replicas' gradients are summed first).
    Under a ``LossScaleOptimizer`` (mixed precision) the norms are divided back by the
    loss scale. A variable without a gradient (an output whose loss is ``None``) counts
    as zero. Norms are a training quantity: ``evaluate`` does not log them.

    TensorFlow backend only (``train_step`` uses ``tf.GradientTape``). Keras twin: a
    plain ``keras.Model``, which records no norms.

    Args:
        inputs, outputs: as for a functional ``keras.Model``.
        record_layers: record one metric per layer (default True); False keeps only
            ``grad_norm/global``. Fixed at construction.
        **kwargs: passed to ``keras.Model`` (e.g. ``name``).

    Example:
        >>> inputs = keras.Input((4,))
        >>> outputs = keras.layers.Dense(1)(keras.layers.Dense(8, name="hidden")(inputs))
        >>> model = GradientNormModel(inputs, outputs)
        >>> model.compile(optimizer=keras.optimizers.SGD(0.1, global_clipnorm=1.0), loss="mse")
    """

    def __init__(self, *args, record_layers=True, **kwargs):
        super().__init__(*args, **kwargs)
        record_layers = check_bool("record_layers", record_layers)
        if keras.backend.backend() != "tensorflow":
            raise ValueError(
                f"GradientNormModel needs the TensorFlow backend; got {keras.backend.backend()!r}.")
        self.record_layers = record_layers
        groups, index = [], {}
        if record_layers:
            for layer in self.layers:
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
        config = dict(config)
        record_layers = config.pop("record_layers", True)
        # Rebuild the graph as a plain functional model, then wrap its layers, so that
        # the metrics are created once, for the saved ``record_layers``.
        graph = keras.Model.from_config(config, custom_objects=custom_objects)
        return cls(graph.inputs, graph.outputs, name=graph.name, trainable=graph.trainable,
                   record_layers=record_layers)

    def gradient_norms(self, gradients, variables):
        """Per-group norms for a list of gradients (``None`` counts as zero); order as ``gradient_norm_groups``."""
        import tensorflow as tf

        zero = ops.convert_to_tensor(0.0, dtype="float32")
        squares = [zero if g is None else ops.sum(ops.square(ops.cast(tf.convert_to_tensor(g), "float32")))
                   for g in gradients]
        per_group = [[] for _ in range(len(self.gradient_norm_groups) - 1)]
        for sq, v in zip(squares, variables):
            group = self._var_group.get(id(v))
            if group is not None:
                per_group[group].append(sq)
        norms = [ops.sqrt(ops.sum(ops.stack(s))) if s else zero for s in per_group]
        norms.append(ops.sqrt(ops.sum(ops.stack(squares))) if squares else zero)
        return norms

    def _loss_metric(self):
        # Keras's documented way for a custom train_step to reach the loss tracker.
        return next((m for m in self.metrics if m.name == "loss"), None)

    def train_step(self, data):
        import tensorflow as tf

        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                     training=True)
            scaled_loss = self.optimizer.scale_loss(loss)
        replicas = _replica_count()
        tracker = self._loss_metric()
        if tracker is not None:
            # compute_loss divides by the replica count; the log shows the real loss
            batch = tf.shape(next(t for t in keras.tree.flatten(x) if t is not None))[0]
            tracker.update_state(loss * ops.cast(replicas, loss.dtype), sample_weight=batch)
        variables = self.trainable_weights
        gradients = tape.gradient(scaled_loss, variables)
        norm_inputs = gradients
        if replicas > 1:  # the norm of the global batch's gradient, not of one replica's share
            present = [i for i, g in enumerate(gradients) if g is not None]
            summed = tf.distribute.get_replica_context().all_reduce(
                "sum", [tf.convert_to_tensor(gradients[i]) for i in present])
            norm_inputs = [None] * len(gradients)
            for i, g in zip(present, summed):
                norm_inputs[i] = g
        norms = self.gradient_norms(norm_inputs, variables)
        if isinstance(self.optimizer, keras.optimizers.LossScaleOptimizer):
            scale = ops.cast(self.optimizer.dynamic_scale, "float32")
            norms = [n / scale for n in norms]
        # The optimizer clips (clipnorm / global_clipnorm) and applies the raw gradients.
        self.optimizer.apply_gradients(
            [(g, v) for g, v in zip(gradients, variables) if g is not None])
        for tracker, value in zip(self.gradient_norm_trackers, norms):
            tracker.update_state(value)
        self.last_gradient_norms.update_state(ops.stack(norms))
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def test_step(self, data):
        logs = super().test_step(data)
        return {k: v for k, v in logs.items() if not k.startswith(PREFIX)}

    def get_metrics_result(self):
        logs = super().get_metrics_result()
        logs.pop(self.last_gradient_norms.name, None)  # a vector, read by the callback instead
        return logs
