"""Training under any tf.distribute strategy with a custom loop (TensorFlow only).

Keras 3's ``Model.fit`` stops under ``MultiWorkerMirroredStrategy``
(keras-team/keras#20585: "PerReplica ... unsupported type"), while a loop
that calls ``strategy.run`` itself works under every strategy: the default
one, ``MirroredStrategy`` (several GPUs), ``MultiWorkerMirroredStrategy``
(several machines) and ``TPUStrategy``. :func:`distributed_fit` is that
loop, kept short enough to read, and it trains with the model's own loss,
metrics and optimizer, so its result equals ``model.fit`` on the same
batches.
"""

import time

from ._tensorflow import import_tensorflow
from .validation import check_int


def _build_state(model, batch):
    """Creates the optimizer's and the metrics' variables in the strategy's scope.

    ``model.fit`` does this before its first step; a variable cannot be
    created later, inside the compiled step that runs on every replica.
    """
    import keras

    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(batch)
    y_pred = model(x, training=False)
    model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
    model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)
    model.optimizer.build(model.trainable_variables)
    model.reset_metrics()


def distributed_fit(build_model, dataset, epochs, strategy=None, verbose=1):
    r"""Trains ``build_model()`` on ``dataset`` under a ``tf.distribute`` strategy.

    A custom training loop (TensorFlow only): each step splits a global batch
    over the replicas, and every replica computes its loss with the model's
    own compiled loss and applies its gradients with the model's own
    optimizer, which sums them over all replicas (all-reduce). For the sum to
    be the gradient of the mean loss over the global batch of :math:`B`
    examples, replica :math:`r` with :math:`b_r` of them weights its mean
    loss :math:`\bar L_r` by its share:

    .. math:: L = \sum_r \frac{b_r}{B}\,\bar L_r,
              \qquad \nabla L = \sum_r \frac{b_r}{B}\,\nabla \bar L_r ,

    which is also right for a last, smaller batch that splits unevenly.
    (Keras's compiled loss returns :math:`\bar L_r / R` for :math:`R`
    replicas; the loop replaces that factor by :math:`b_r / B`.) The logged
    ``loss`` of an epoch is the mean over its examples, as ``model.fit``
    logs it; metrics are the model's compiled metrics over the epoch.

    Taught in the README's section on long and multi-machine trainings; the
    Keras twin is ``model.fit``, which this equals on the same global batches
    under the default strategy and ``MirroredStrategy`` (tested), and which
    it replaces under ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585).

    Args:
        build_model: function of no arguments that returns a compiled Keras
            model; it is called inside ``strategy.scope()``, so the weights and
            optimizer state are created once per replica. Not a model itself: one
            built outside the scope has its variables on one device only.
        dataset: a ``tf.data.Dataset`` of ``(x, y)`` or ``(x, y, sample_weight)``
            *global* batches (batch it with the global batch size: per-replica
            size times ``strategy.num_replicas_in_sync``). Every worker of a
            cluster passes the same dataset; tf.distribute gives each replica
            its slice. It is iterated once per epoch (shuffle it with
            ``reshuffle_each_iteration`` for a new order each epoch).
        epochs: number of passes over ``dataset``, int >= 1.
        strategy: a ``tf.distribute.Strategy``. Default None: the current one
            (``tf.distribute.get_strategy()``: the default strategy unless
            called inside a scope); see ``dl.device.select_strategy()``.
        verbose: 1 (default) prints one line per epoch on the chief worker,
            0 prints nothing.

    Returns:
        ``(model, history)``: the trained model and a dict mapping ``"loss"``
        and each compiled metric name to its list of per-epoch values, as
        ``model.fit(...).history``.

    Example:

    >>> import keras, numpy as np, tensorflow as tf
    >>> from dlcourse_keras.device import select_strategy
    >>> strategy = select_strategy()          # honours TF_CONFIG on a cluster
    >>> def build_model():
    ...     model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    ...     model.compile(optimizer="adam", loss="mse")
    ...     return model
    >>> x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")
    >>> y = x.sum(axis=1, keepdims=True)
    >>> data = tf.data.Dataset.from_tensor_slices((x, y)).batch(64)
    >>> model, history = distributed_fit(build_model, data, epochs=2, strategy=strategy, verbose=0)
    >>> len(history["loss"])
    2
    """
    import keras

    if isinstance(build_model, keras.layers.Layer):  # a model is callable too, but needs inputs
        raise ValueError(
            f"build_model must be a function of no arguments that builds and compiles the model; "
            f"got the {type(build_model).__name__} {build_model.name!r} itself. The model's "
            "variables must be created inside strategy.scope(), so pass the code that builds it: "
            "def build_model(): model = ...; model.compile(...); return model.")
    if not callable(build_model):
        raise ValueError(f"build_model={build_model!r} must be a function that returns a "
                         "compiled Keras model.")
    epochs = check_int("epochs", epochs, low=1)
    verbose = check_int("verbose", verbose, low=0, high=1)
    tf = import_tensorflow()
    if not isinstance(dataset, tf.data.Dataset):
        raise ValueError(f"dataset must be a tf.data.Dataset of (x, y) global batches; "
                         f"got {type(dataset).__name__}.")
    strategy = strategy or tf.distribute.get_strategy()
    if not isinstance(strategy, tf.distribute.Strategy):
        raise ValueError(f"strategy={strategy!r} must be a tf.distribute.Strategy or None.")

    with strategy.scope():
        model = build_model()
        if not isinstance(model, keras.Model) or getattr(model, "optimizer", None) is None:
            raise ValueError("build_model() must return a Keras model compiled with an optimizer "
                             f"and a loss; got {type(model).__name__}"
                             + ("" if not isinstance(model, keras.Model) else " without compile()")
                             + ".")
        _build_state(model, next(iter(dataset)))
    distributed = strategy.experimental_distribute_dataset(dataset)

    def replica_step(batch):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(batch)
        context = tf.distribute.get_replica_context()
        local = tf.cast(tf.shape(keras.tree.flatten(x)[0])[0], "float32")
        total = context.all_reduce("sum", local)
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                      training=True)
            # Keras divided this replica's mean by R; weight it by b_r / B instead.
            share = tf.math.divide_no_nan(local, total) * context.num_replicas_in_sync
            loss = loss * tf.cast(share, loss.dtype)
            scaled = model.optimizer.scale_loss(loss)  # loss scaling under mixed_float16
        gradients = tape.gradient(scaled, model.trainable_variables)
        model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)
        return loss, local

    @tf.function
    def train_step(batch):
        loss, size = strategy.run(replica_step, args=(batch,))
        return (strategy.reduce("SUM", loss, axis=None),
                strategy.reduce("SUM", size, axis=None))

    chief = strategy.extended.should_checkpoint
    history = {}
    for epoch in range(epochs):
        start = time.perf_counter()
        model.reset_metrics()
        loss_sum = examples = 0.0
        for batch in distributed:
            loss, size = train_step(batch)
            loss_sum += float(loss) * float(size)
            examples += float(size)
        logs = {"loss": loss_sum / max(examples, 1.0)}
        logs.update((name, float(value)) for name, value in _metric_results(model).items())
        for name, value in logs.items():
            history.setdefault(name, []).append(value)
        if verbose and chief:
            shown = " - ".join(f"{name}: {value:.4f}" for name, value in logs.items())
            print(f"Epoch {epoch + 1}/{epochs} - {time.perf_counter() - start:.1f}s - {shown}")
    return model, history


def _metric_results(model):
    results = {}
    for name, value in model.get_metrics_result().items():
        if name != "loss":  # Keras's own loss tracker: fit() updates it, this loop does not
            results[name] = value
    return results
