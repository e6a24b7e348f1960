"""TeachingBatchNorm against keras.layers.BatchNormalization, masks, mixed precision, and the layer contract."""

import keras
import numpy as np
import pytest

from dlcourse_keras.layers.batch_norm import TeachingBatchNorm
from dlcourse_keras.testing import run_layer_test


def np_(t):
    return keras.ops.convert_to_numpy(t)


# ---------------------------------------------------------------- batch norm
def pair(momentum=0.9, epsilon=1e-3):
    ours = TeachingBatchNorm(momentum=momentum, epsilon=epsilon)
    theirs = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon)
    return ours, theirs


@pytest.mark.parametrize("shape", [(32, 6), (8, 5, 5, 3)])
def test_batch_norm_equals_keras_train_inference_and_moving_stats(shape):
    rng = np.random.default_rng(0)
    ours, theirs = pair()
    gamma = rng.uniform(0.5, 2, size=shape[-1]).astype("float32")
    beta = rng.normal(size=shape[-1]).astype("float32")
    for layer in (ours, theirs):
        layer.build(shape)
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
    for _ in range(5):
        x = (3 + 2 * rng.normal(size=shape)).astype("float32")
        np.testing.assert_allclose(np_(ours(x, training=True)), np_(theirs(x, training=True)), atol=1e-5)
    np.testing.assert_allclose(np_(ours.moving_mean), np_(theirs.moving_mean), atol=1e-5)
    np.testing.assert_allclose(np_(ours.moving_variance), np_(theirs.moving_variance), atol=1e-5)
    np.testing.assert_allclose(np_(ours(x, training=False)), np_(theirs(x, training=False)), atol=1e-5)


def test_batch_norm_formula_by_hand():
    x = np.array([[1.0], [2.0], [3.0], [6.0]], dtype="float32")
    bn = TeachingBatchNorm(momentum=0.5, epsilon=1e-3)
    y = np_(bn(x, training=True))
    mu, var = 3.0, np.mean((x - 3.0) ** 2)  # 3.5
    np.testing.assert_allclose(y, (x - mu) / np.sqrt(var + 1e-3), atol=1e-6)
    np.testing.assert_allclose(np_(bn.moving_mean), [0.5 * 0 + 0.5 * 3.0])
    np.testing.assert_allclose(np_(bn.moving_variance), [0.5 * 1 + 0.5 * 3.5])


def test_batch_norm_equals_keras_in_training_loop():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(128, 5)).astype("float32") * 4 + 1
    y = (x[:, :1] > 1).astype("float32")
    preds = []
    for bn in pair(momentum=0.8):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4), bn,
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(keras.optimizers.SGD(0.1), "binary_crossentropy")
        model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
        preds.append(model.predict(x, verbose=0))
    np.testing.assert_allclose(preds[0], preds[1], atol=1e-5)


@pytest.mark.parametrize("kwargs, name", [
    ({"momentum": 1.0}, "momentum"), ({"momentum": -0.1}, "momentum"),
    ({"epsilon": 0}, "epsilon"), ({"axis": 1.5}, "axis"),
])
def test_batch_norm_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        TeachingBatchNorm(**kwargs)


def test_batch_norm_bad_axis_at_build():
    with pytest.raises(ValueError, match="axis"):
        TeachingBatchNorm(axis=3).build((None, 4))


def test_batch_norm_round_trip(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4),
                              TeachingBatchNorm(momentum=0.7, epsilon=1e-4), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.random.default_rng(3).normal(size=(64, 3)).astype("float32")
    model.fit(x, x[:, :1], epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert loaded.layers[1].momentum == pytest.approx(0.7)


def test_batch_norm_mixed_float16_large_inputs_match_keras():
    """Statistics in float32: inputs near 300 still give unit-std outputs under mixed_float16."""
    x = (300 + 5 * np.random.default_rng(4).normal(size=(64, 8))).astype("float32")
    ours = TeachingBatchNorm(dtype="mixed_float16")
    theirs = keras.layers.BatchNormalization(dtype="mixed_float16")
    y_ours = np_(ours(x, training=True))
    y_theirs = np_(theirs(x, training=True))
    assert str(y_ours.dtype) == "float16"
    np.testing.assert_allclose(y_ours.astype("float32").std(axis=0), 1.0, atol=0.02)
    np.testing.assert_allclose(y_ours.astype("float32"), y_theirs.astype("float32"), atol=1e-2)
    # Newer Keras (3.15 here) rounds the moving-average update to float16 under mixed_float16, as ours
    # does; Keras 3.10 (the oldest supported) keeps it in float32, so there the two agree to
    # float16 precision only (relative spacing 2**-10)
    old_keras = tuple(int(p) for p in keras.__version__.split(".")[:2]) <= (3, 10)
    rtol_mean, rtol_var = (2.0 ** -10, 2.0 ** -9) if old_keras else (1e-5, 1e-4)
    np.testing.assert_allclose(np_(ours.moving_mean), np_(theirs.moving_mean), rtol=rtol_mean)
    np.testing.assert_allclose(np_(ours.moving_variance), np_(theirs.moving_variance), rtol=rtol_var)


def test_batch_norm_statistics_ignore_masked_steps():
    """Padded time steps (mask False) do not enter the batch statistics, as in Keras."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 6, 3)).astype("float32")
    mask = np.ones((4, 6), dtype=bool)
    mask[0, 3:] = False
    mask[2, 1:] = False
    x[~mask] = 1000.0  # padding that would swamp the mean if it were counted
    ours, theirs = pair(momentum=0.5)
    y_ours = np_(ours(x, training=True, mask=mask))
    y_theirs = np_(theirs(x, training=True, mask=mask))
    np.testing.assert_allclose(y_ours[mask], y_theirs[mask], atol=1e-4)
    kept = x[mask]
    np.testing.assert_allclose(np_(ours.moving_mean), 0.5 * kept.mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(np_(ours.moving_variance), 0.5 + 0.5 * kept.var(axis=0), atol=1e-5)
    np.testing.assert_allclose(np_(ours.moving_variance), np_(theirs.moving_variance), atol=1e-4)


def test_batch_norm_mask_through_embedding():
    """A mask made by Embedding(mask_zero=True) reaches the layer inside a model."""
    tokens = np.array([[3, 5, 2, 0, 0], [4, 1, 0, 0, 0]], dtype="int32")
    outs = []
    for bn in pair(momentum=0.5):
        keras.utils.set_random_seed(0)
        inputs = keras.Input((5,), dtype="int32")
        h = keras.layers.Embedding(8, 3, mask_zero=True)(inputs)
        outs.append(keras.Model(inputs, bn(h)))
    outs[1].set_weights(outs[0].get_weights())
    for model in outs:
        model(tokens, training=True)
    np.testing.assert_allclose(np_(outs[0].layers[-1].moving_mean),
                               np_(outs[1].layers[-1].moving_mean), atol=1e-5)


def test_layer_contract():
    run_layer_test(TeachingBatchNorm, {"momentum": 0.9}, input_shape=(4, 5, 3),
                   expected_output_shape=(4, 5, 3), expected_num_trainable_weights=2,
                   expected_num_non_trainable_weights=2, supports_masking=True,
                   training_changes_output=True)
    run_layer_test(TeachingBatchNorm, {"momentum": 0.5}, input_shape=(4, 5, 3),
                   call_kwargs={"training": True}, supports_masking=True, run_training_check=False)
    run_layer_test(TeachingBatchNorm, {"axis": 1, "center": False}, input_shape=(4, 3, 5),
                   expected_output_shape=(4, 3, 5), expected_num_trainable_weights=1,
                   expected_num_non_trainable_weights=2, supports_masking=True,
                   mask=np.ones((4, 5), dtype=bool))
