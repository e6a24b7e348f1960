"""A contract test for custom Keras layers, in the spirit of Keras's ``run_layer_test``.

Every layer of the package goes through :func:`run_layer_test` in its test module
(``tests/test_<concept>.py``). It checks what a Keras engineer expects of any layer:
output shape, weight counts, a JSON ``get_config`` that rebuilds the layer, a
``.keras`` save and ``load_model(safe_mode=True)`` with the same outputs, training vs
inference calls, ``float16`` and ``mixed_float16`` policies, and masks where the layer
says it supports them. It needs pytest only to be called from a test; it uses no
fixtures, so a notebook can call it too.
"""

import inspect
import json
import numbers
import os
import tempfile

import numpy as np


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) and x and isinstance(x[0], (list, tuple)) else [x]


def _random_inputs(input_shape, input_dtype, seed):
    rng = np.random.default_rng(seed)
    shapes = _as_list(input_shape)
    arrays = []
    for shape in shapes:
        if "int" in str(input_dtype):
            arrays.append(rng.integers(0, 10, size=shape).astype(input_dtype))
        else:
            arrays.append(rng.normal(size=shape).astype(input_dtype))
    return arrays if len(arrays) > 1 else arrays[0]


def _flat(outputs):
    import keras

    return [keras.ops.convert_to_numpy(o) for o in keras.tree.flatten(outputs)]


def _inference(layer):
    """``{"training": False}`` when the layer's call takes a training flag, else ``{}``."""
    return {"training": False} if "training" in inspect.signature(layer.call).parameters else {}


def _shapes(outputs):
    import keras

    return [tuple(o.shape) for o in keras.tree.flatten(outputs)]


def _same_shape(symbolic, eager):
    """A symbolic shape (None = unknown) agrees with an eager one."""
    return len(symbolic) == len(eager) and all(s is None or s == e for s, e in zip(symbolic, eager))


def _default_masks(inputs_list):
    """One boolean mask per input over its first two axes, the last step of the first row hidden."""
    masks = []
    for x in inputs_list:
        shape = np.shape(x)
        if len(shape) < 2:
            masks.append(None)
            continue
        m = np.ones(shape[:2], dtype=bool)
        m[0, -1] = False
        masks.append(m)
    return masks if len(masks) > 1 else masks[0]


def _check_not_built_at_init(layer_cls, init_kwargs):
    """A layer with its own ``build`` must not call itself built before it has seen an input."""
    name = layer_cls.__name__

    class _BuildOverridden(layer_cls):  # as Keras's run_layer_test does: a build that builds nothing
        def build(self, *args, **kwargs):
            pass

    probe = _BuildOverridden(**init_kwargs)
    assert not probe.built, (
        f"{name} is built as soon as it is created (its __init__ sets built = True): Keras builds a "
        "layer from its first input's shape. Remove the assignment; a layer with nothing to build "
        "needs no build method at all.")


def run_layer_test(
    layer_cls,
    init_kwargs=None,
    input_shape=None,
    input_data=None,
    input_dtype="float32",
    call_kwargs=None,
    expected_output_shape=None,
    expected_num_trainable_weights=None,
    expected_num_non_trainable_weights=None,
    supports_masking=False,
    mask=None,
    training_changes_output=None,
    run_training_check=True,
    run_precision_checks=True,
    atol=1e-6,
    seed=0,
):
    """Runs the layer contract on ``layer_cls(**init_kwargs)``; raises ``AssertionError`` on a breach.

    Args:
        layer_cls: the layer class (registered with
            ``keras.saving.register_keras_serializable``).
        init_kwargs: constructor arguments. Default ``{}``.
        input_shape: shape of the (batch-including) input, or a list of shapes for a
            layer that takes a list of inputs. Ignored when ``input_data`` is given.
        input_data: an array (or list of arrays) to call the layer on. Default: random
            normal data of ``input_shape`` (integers in ``[0, 10)`` for int dtypes).
        input_dtype: dtype of the generated data. Default ``"float32"``.
        call_kwargs: extra keyword arguments for every call. Default ``{}``.
        expected_output_shape: a shape, or a list of shapes for a layer with several
            outputs (flattened in ``keras.tree`` order). Default: not checked.
        expected_num_trainable_weights: Default: not checked.
        expected_num_non_trainable_weights: Default: not checked.
        supports_masking: whether the layer must accept a ``mask`` and say
            ``supports_masking``. Default False.
        mask: a boolean mask to call with when ``supports_masking`` (a list of masks,
            None for an unmasked input, for a layer of several inputs); default: for
            each input, all timesteps of its first two axes kept except the last one of
            the first row. For a layer whose ``call`` reads the mask, the masked input
            entries are then moved by 100 and the kept outputs must not change (pass
            ``call_kwargs={"training": True}`` to check training-time statistics).
        training_changes_output: True when ``training=True`` must give other outputs
            than ``training=False`` on the same input (dropout, batch statistics), False
            when they must be equal; the layer's ``call`` must then take ``training``.
            Default None (not checked).
        run_training_check: train one SGD step through a model and check that the
            trainable weights move. Default True.
        run_precision_checks: call under ``float16`` and ``mixed_float16`` and check the
            compute dtype and finite outputs; under ``mixed_float16`` with the float32
            layer's weights, the inference outputs must match float32 within 2% of the
            output's scale. Default True.
        atol: tolerance for the saved-and-loaded model's outputs. Default 1e-6.
        seed: seed of the generated data. Default 0.

    The checks, in order: the configuration (JSON, ``from_config``, registration); the
    layer is not built before its first call (``__init__`` must not set ``built``); the
    eager call (shapes, weight counts, finite outputs); training and inference calls
    (and, with ``training_changes_output``, whether they differ); the symbolic call in a
    functional model, whose output shapes (``compute_output_shape``) must equal the
    eager ones, and its ``.keras`` round trip; a training step; precision policies;
    masks.

    Returns:
        The layer that was built in the first step (handy for further checks).

    Example:

    >>> from dlcourse_keras.layers import InvertedDropout
    >>> _ = run_layer_test(InvertedDropout, {"rate": 0.5}, input_shape=(2, 3),
    ...                    expected_output_shape=(2, 3), supports_masking=True,
    ...                    training_changes_output=True)
    """
    import keras

    init_kwargs = dict(init_kwargs or {})
    call_kwargs = dict(call_kwargs or {})
    if input_data is None:
        if input_shape is None:
            raise ValueError("run_layer_test needs input_shape or input_data.")
        input_data = _random_inputs(input_shape, input_dtype, seed)
    inputs_list = input_data if isinstance(input_data, (list, tuple)) else [input_data]

    # 1. configuration: JSON-serializable, rebuilds an equal layer
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    json.dumps(config)
    rebuilt = layer_cls.from_config(config)
    assert rebuilt.get_config() == config, (
        f"{layer_cls.__name__}.from_config(get_config()) changed the config:\n"
        f"{config}\n!=\n{rebuilt.get_config()}")
    for key, value in init_kwargs.items():  # every constructor argument given is in the config
        assert key in config, f"{layer_cls.__name__}.get_config() lacks the argument {key!r}"
        normalized = isinstance(config[key], (list, tuple)) and isinstance(value, numbers.Integral)  # 3 -> (3, 3)
        if key != "dtype" and not normalized and isinstance(value, (bool, numbers.Number, str, type(None))):
            assert config[key] == value, (
                f"{layer_cls.__name__}.get_config()[{key!r}] is {config[key]!r}, built with {value!r}")
    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["registered_name"].startswith("dlcourse_keras>"), (
        f"{layer_cls.__name__} is not registered under the 'dlcourse_keras' package: "
        f"{serialized['registered_name']!r}")
    _check_not_built_at_init(layer_cls, init_kwargs)

    # 2. eager call: shapes and weights
    outputs = layer(input_data, **call_kwargs)
    if expected_output_shape is not None:
        expected = [tuple(s) for s in _as_list(expected_output_shape)]
        got = _shapes(outputs)
        assert got == expected, f"{layer_cls.__name__} output shapes {got} != expected {expected}"
    if expected_num_trainable_weights is not None:
        n = len(layer.trainable_weights)
        assert n == expected_num_trainable_weights, (
            f"{layer_cls.__name__} has {n} trainable weights, expected {expected_num_trainable_weights}")
    if expected_num_non_trainable_weights is not None:
        n = len(layer.non_trainable_weights)
        assert n == expected_num_non_trainable_weights, (
            f"{layer_cls.__name__} has {n} non-trainable weights, "
            f"expected {expected_num_non_trainable_weights}")
    for value in _flat(outputs):
        assert np.all(np.isfinite(value)), f"{layer_cls.__name__} gave non-finite outputs"

    # 3. training and inference calls both run, with the same output shapes
    by_mode = {}
    for training in (True, False):
        try:
            out = layer(input_data, **{**call_kwargs, "training": training})
        except TypeError as err:
            if "training" not in str(err):
                raise
            break
        assert _shapes(out) == _shapes(outputs)
        by_mode[training] = _flat(out)
    if training_changes_output is not None:
        assert "training" in inspect.signature(layer.call).parameters, (
            f"{layer_cls.__name__}.call takes no training argument, but training_changes_output="
            f"{training_changes_output} says its outputs depend on it")
        def differ_from(first, second):
            return any(a.shape != b.shape or not np.allclose(a, b, atol=atol)
                       for a, b in zip(first, second))

        again = _flat(layer(input_data, **{**call_kwargs, "training": False}))
        assert not differ_from(by_mode[False], again), (
            f"{layer_cls.__name__} gives other outputs on each training=False call: inference must "
            "be deterministic (does call() ignore its training argument?)")
        differ = differ_from(by_mode[True], by_mode[False])
        if training_changes_output:
            assert differ, (f"{layer_cls.__name__} gives the same outputs with training=True and "
                            "training=False: does call() ignore its training argument?")
        else:
            assert not differ, (f"{layer_cls.__name__} gives other outputs with training=True than "
                                "with training=False, but training_changes_output=False")

    # 4. symbolic call inside a functional model, .keras round trip in safe mode
    symbolic = [keras.Input(shape=np.shape(x)[1:], dtype=str(np.asarray(x).dtype))
                for x in inputs_list]
    model_in = symbolic if len(symbolic) > 1 else symbolic[0]
    model = keras.Model(model_in, layer_cls(**init_kwargs)(model_in, **call_kwargs))
    # the symbolic shapes come from compute_output_shape (when the layer has one)
    symbolic_shapes = [tuple(o.shape) for o in model.outputs]
    eager_shapes = _shapes(outputs)
    assert len(symbolic_shapes) == len(eager_shapes) and all(
        _same_shape(a, b) for a, b in zip(symbolic_shapes, eager_shapes)), (
        f"{layer_cls.__name__} in a functional model has output shapes {symbolic_shapes} "
        f"(from compute_output_shape), but called on data {eager_shapes}")
    expected_out = _flat(model(input_data, training=False))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "layer_test.keras")
        model.save(path)
        loaded = keras.models.load_model(path, safe_mode=True)
    for a, b in zip(expected_out, _flat(loaded(input_data, training=False))):
        np.testing.assert_allclose(a, b, atol=atol, err_msg=f"{layer_cls.__name__} after .keras reload")

    # 5. one training step moves the trainable weights
    if run_training_check and model.trainable_weights:
        targets = [np.zeros_like(o) if o.dtype.kind == "f" else None for o in expected_out]
        if all(t is not None for t in targets):
            before = [keras.ops.convert_to_numpy(w).copy() for w in model.trainable_weights]
            model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
            y = targets if len(targets) > 1 else targets[0]
            if len(targets) > 1:
                model.compile(optimizer=keras.optimizers.SGD(0.1), loss=["mse"] * len(targets))
            model.fit(input_data, y, epochs=1, batch_size=len(inputs_list[0]), verbose=0)
            after = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
            assert any(not np.allclose(a, b) for a, b in zip(before, after)), (
                f"no trainable weight of {layer_cls.__name__} moved in a training step")

    # 6. precision policies: float16 everywhere, and mixed_float16 (float32 variables)
    if run_precision_checks:
        reference = _flat(layer(input_data, **{**call_kwargs, **_inference(layer)}))
        for policy in ("float16", "mixed_float16"):
            typed = layer_cls(**{**init_kwargs, "dtype": policy})
            cast = [x.astype("float16") if np.asarray(x).dtype.kind == "f" and policy == "float16"
                    else x for x in inputs_list]
            out = typed(cast if len(cast) > 1 else cast[0], **call_kwargs)
            if policy == "mixed_float16" and len(typed.weights) == len(layer.weights):
                # same weights as the float32 layer: the outputs must agree to float16 precision
                for w_typed, w in zip(typed.weights, layer.weights):
                    w_typed.assign(keras.ops.cast(w, w_typed.dtype))
                half = _flat(typed(cast if len(cast) > 1 else cast[0],
                                   **{**call_kwargs, **_inference(typed)}))
                for a, b in zip(half, reference):
                    if a.dtype.kind == "f":
                        scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
                        np.testing.assert_allclose(
                            a.astype("float32"), b, atol=2e-2 * scale,
                            err_msg=f"{layer_cls.__name__} under mixed_float16 differs from float32")
            for o in keras.tree.flatten(out):
                if "float" in str(o.dtype):
                    assert "float16" in str(o.dtype), (
                        f"{layer_cls.__name__} under {policy} computes in {o.dtype}")
                    assert np.all(np.isfinite(keras.ops.convert_to_numpy(o))), (
                        f"{layer_cls.__name__} under {policy} gave non-finite outputs")
            if policy == "mixed_float16":
                for w in typed.weights:
                    if "float" in str(w.dtype):
                        assert str(w.dtype) == "float32", (
                            f"{layer_cls.__name__} under mixed_float16 keeps {w.path} in {w.dtype}")

    # 7. masks
    assert bool(layer.supports_masking) == bool(supports_masking), (
        f"{layer_cls.__name__}.supports_masking is {layer.supports_masking}, "
        f"expected {supports_masking}")
    if supports_masking:
        if mask is None:
            mask = _default_masks(inputs_list)
        if "mask" in inspect.signature(layer.call).parameters:
            masked = layer(input_data, mask=mask, **call_kwargs)
            assert _shapes(masked) == _shapes(outputs)
            # what the mask hides must not change what it keeps; a layer of several inputs
            # takes a list of masks (None for an unmasked input), the first one for the outputs
            masks = list(mask) if isinstance(mask, (list, tuple)) else [mask]
            masks_np = [None if m is None else np.asarray(m, dtype=bool) for m in masks]
            moved_inputs = []
            for x, m in zip(inputs_list, masks_np + [None] * len(inputs_list)):
                x = np.asarray(x)
                if m is not None and x.dtype.kind == "f" and not m.all():
                    x = x.copy()
                    x[~m] += 100.0
                moved_inputs.append(x)
            mask_np = masks_np[0]
            if mask_np is not None and any(
                    m is not None and not m.all() for m in masks_np):
                again = layer(moved_inputs if len(moved_inputs) > 1 else moved_inputs[0],
                              mask=mask, **call_kwargs)
                for a, b in zip(_flat(masked), _flat(again)):
                    if a.shape[:2] == mask_np.shape:
                        a, b = a[mask_np], b[mask_np]
                    np.testing.assert_allclose(
                        a, b, atol=max(atol, 1e-5),
                        err_msg=f"{layer_cls.__name__}: masked entries changed the kept outputs")
        else:  # the mask passes through a layer that does not read it
            given = ([None if m is None else keras.ops.convert_to_tensor(m) for m in mask]
                     if isinstance(mask, (list, tuple)) else keras.ops.convert_to_tensor(mask))
            passed = layer.compute_mask(input_data, given)
            assert passed is not None, f"{layer_cls.__name__} claims masking but drops the mask"

    return layer
