"""Transfer-learning helpers: cut a pretrained base, freeze or unfreeze it by block, put a new head on it.

They extend Keras rather than hide it: each works on an ordinary ``keras.Model`` and
sets the ordinary ``layer.trainable`` flags, so ``model.summary()`` and
``model.fit`` see exactly what the helper did. Taught in
``notebooks/10_transfer_learning.ipynb``; the recipe is Keras's own
"transfer learning and fine-tuning" guide.
"""

import numbers
import re

import keras
import numpy as np

from ..validation import check_bool, check_int, check_number

_BLOCK_RE = re.compile(r"^(block\d+|stage\d+|conv\d+|layer\d+)")


def block_of(layer_name):
    """The block a layer belongs to, from its name: ``"block4_conv2"`` -> ``"block4"``.

    Keras's applications (VGG16/19, Xception, the course's own CNNs) name each layer
    ``<block>_<what>``; a layer whose name does not start with ``blockN``, ``stageN``,
    ``convN`` or ``layerN`` belongs to no block (``None``), e.g. the input layer.

    Args:
        layer_name: a layer's ``name``.

    Returns:
        The block prefix, or None.

    Example:

    >>> block_of("block4_conv2"), block_of("input_layer")
    ('block4', None)
    """
    match = _BLOCK_RE.match(layer_name)
    return match.group(1) if match else None


def list_blocks(model):
    """The blocks of ``model`` in order, each with its layers' names.

    Args:
        model: a ``keras.Model`` whose layers follow the ``<block>_<what>`` naming.

    Returns:
        A dict ``{block: [layer names]}`` in the order the layers appear.

    Example:

    >>> base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    >>> list(list_blocks(base))
    ['block1', 'block2', 'block3', 'block4', 'block5']
    """
    blocks = {}
    for layer in model.layers:
        block = block_of(layer.name)
        if block is not None:
            blocks.setdefault(block, []).append(layer.name)
    return blocks


def cut_base(model, last_layer):
    """A new model that shares ``model``'s layers (and weights) from its input up to ``last_layer``.

    Lower blocks hold generic features (edges, textures), upper blocks features
    specific to the task they were trained on; cutting early keeps the generic part.

    Args:
        model: a functional ``keras.Model`` (e.g. from ``keras.applications``).
        last_layer: name of the layer whose output becomes the new model's output.

    Returns:
        A ``keras.Model`` named ``f"{model.name}_to_{last_layer}"``.

    Example:

    >>> base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    >>> cut_base(base, "block4_pool").output.shape
    (None, 2, 2, 512)
    """
    names = [layer.name for layer in model.layers]
    if last_layer not in names:
        raise ValueError(f"last_layer={last_layer!r} is not a layer of {model.name!r}; "
                         f"its layers are {names}.")
    return keras.Model(model.inputs, model.get_layer(last_layer).output, name=f"{model.name}_to_{last_layer}")


def freeze(model):
    """Freezes every layer of ``model`` (``trainable = False``); returns the model.

    Equivalent to ``model.trainable = False``: Keras then also freezes the weights of
    every nested layer, so an optimizer will not touch them. A frozen
    ``BatchNormalization`` layer also runs in inference mode (its stored moving
    statistics, not the batch's), whatever ``training`` flag reaches it.

    Args:
        model: a ``keras.Model`` or layer.

    Returns:
        ``model``.
    """
    model.trainable = False
    return model


def unfreeze_blocks(model, blocks=1, keep_batch_norm_frozen=True):
    """Makes the last ``blocks`` blocks of ``model`` trainable and freezes all the rest.

    Fine-tuning unfreezes the top of a pretrained base (the notes: "last convolution
    layer is unfrozen, and then training is done"), after the new head has been
    trained on the frozen base and with a small learning rate, so that large
    gradients from a random head do not wreck the pretrained weights.

    Args:
        model: a ``keras.Model`` whose layers follow the ``<block>_<what>`` naming
            (see :func:`list_blocks`).
        blocks: how many blocks, counted from the top, to unfreeze (an int, 0
            freezes all), or a list of block names. Default 1.
        keep_batch_norm_frozen: leave ``BatchNormalization`` layers frozen even in
            unfrozen blocks (Keras's advice: their statistics were estimated on far
            more data than a fine-tuning set). A frozen BN layer runs in inference
            mode; an unfrozen one would re-estimate its statistics from the small
            fine-tuning batches, because ``fit``'s ``training=True`` overrides the
            ``training=False`` the base was called with (Keras 3.15). Default True.

    Returns:
        The list of names of the layers that are now trainable.

    Example:

    >>> base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    >>> unfreeze_blocks(base, 1)
    ['block5_conv1', 'block5_conv2', 'block5_conv3', 'block5_pool']
    """
    all_blocks = list_blocks(model)
    keep_batch_norm_frozen = check_bool("keep_batch_norm_frozen", keep_batch_norm_frozen)
    if isinstance(blocks, numbers.Integral) and not isinstance(blocks, (bool, np.bool_)):
        try:
            blocks = check_int("blocks", blocks, low=0, high=len(all_blocks))
        except ValueError as err:
            raise ValueError(f"{err} {model.name!r} has {len(all_blocks)} blocks: "
                             f"{list(all_blocks)}.") from None
        chosen = list(all_blocks)[len(all_blocks) - blocks:] if blocks else []
    elif not isinstance(blocks, (list, tuple)):
        shown = blocks.item() if isinstance(blocks, np.generic) else blocks
        raise ValueError(f"blocks={shown!r} must be an int >= 0 or a list of block names.")
    else:
        unknown = [b for b in blocks if b not in all_blocks]
        if unknown:
            raise ValueError(f"blocks={list(blocks)!r} names {unknown}, not blocks of {model.name!r}: "
                             f"{list(all_blocks)}.")
        chosen = list(blocks)
    model.trainable = True  # the model flag must be on for any layer in it to train
    trainable = []
    for layer in model.layers:
        on = block_of(layer.name) in chosen
        if keep_batch_norm_frozen and isinstance(layer, keras.layers.BatchNormalization):
            on = False
        layer.trainable = on
        if on:
            trainable.append(layer.name)
    return trainable


def parameter_counts(model):
    """Trainable, non-trainable and total parameter counts of ``model`` (as ``summary()`` shows).

    Args:
        model: a built ``keras.Model`` or layer.

    Returns:
        A dict ``{"trainable": int, "non_trainable": int, "total": int}``.

    Example:

    >>> m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> parameter_counts(m)
    {'trainable': 15, 'non_trainable': 0, 'total': 15}
    """
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    frozen = int(sum(np.prod(w.shape) for w in model.non_trainable_weights))
    return {"trainable": trainable, "non_trainable": frozen, "total": trainable + frozen}


def build_transfer_model(base, num_classes, input_shape=None, preprocess=None, pooling="avg",
                         hidden_units=(), dropout=0.0, name=None):
    """A new classification head on top of ``base``, which is called in inference mode.

    ``inputs -> preprocess -> base(training=False) -> pooling -> [Dense(relu) -> Dropout]* ->
    Dense(num_classes, softmax)``. The base is called with ``training=False``, as
    Keras's transfer-learning guide writes it, which holds for ``predict`` and
    ``evaluate``; in ``fit`` Keras 3.15 passes ``training=True`` down regardless, so
    what keeps a base's BatchNormalization on its moving statistics is that the BN
    layers are frozen (:func:`freeze`, :func:`unfreeze_blocks` keep them frozen).

    Args:
        base: a ``keras.Model`` (frozen or not: this function leaves its flags alone).
        num_classes: classes of the new task (>= 2). Required.
        input_shape: shape of one input image; default the base's input shape.
        preprocess: None or a Keras layer / callable applied before the base
            (e.g. resizing, channel repetition, ``vgg16.preprocess_input``). Default None.
        pooling: ``"avg"`` (global average), ``"max"`` or ``"flatten"``. Default ``"avg"``.
        hidden_units: sizes of ReLU layers in the head. Default ``()``.
        dropout: dropout rate before each Dense layer of the head, in ``[0, 1)``. Default 0.
        name: model name. Default ``f"{base.name}_transfer"``.

    Returns:
        An uncompiled ``keras.Model``.

    Example:

    >>> base = freeze(keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3)))
    >>> model = build_transfer_model(base, 10)
    >>> parameter_counts(model)["trainable"]      # only the head: 512 * 10 + 10
    5130
    """
    num_classes = check_int("num_classes", num_classes, low=2)
    if pooling not in ("avg", "max", "flatten"):
        raise ValueError(f"pooling={pooling!r} must be 'avg', 'max' or 'flatten'.")
    dropout = check_number("dropout", dropout, low=0, high=1, high_open=True)
    if isinstance(hidden_units, (str, bytes)) or not hasattr(hidden_units, "__iter__"):
        raise ValueError(f"hidden_units={hidden_units!r} must be a list of positive ints.")
    hidden_units = [check_int(f"hidden_units[{i}]", units, low=1) for i, units in enumerate(hidden_units)]
    inputs = keras.Input(input_shape if input_shape is not None else base.input_shape[1:])
    x = preprocess(inputs) if preprocess is not None else inputs
    x = base(x, training=False)
    x = {"avg": keras.layers.GlobalAveragePooling2D, "max": keras.layers.GlobalMaxPooling2D,
         "flatten": keras.layers.Flatten}[pooling](name="head_pool")(x)
    for i, units in enumerate(hidden_units):
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"head_dropout{i}")(x)
        x = keras.layers.Dense(units, activation="relu", name=f"head_dense{i}")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="head_dropout_out")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="head_out")(x)
    return keras.Model(inputs, outputs, name=name or f"{base.name}_transfer")
