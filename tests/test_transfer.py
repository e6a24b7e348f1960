"""Transfer-learning helpers: blocks, cutting, freezing by block, parameter counts, the new head."""

import keras
import numpy as np
import pytest

from dlcourse_keras.models.transfer import (block_of, build_transfer_model, cut_base, freeze, list_blocks,
                                            parameter_counts, unfreeze_blocks)
from dlcourse_keras.seeding import seed_everything


def small_base():
    """A VGG-like base with BatchNorm, named by block as keras.applications names its layers."""
    inp = keras.Input((8, 8, 1), name="input_image")
    x = inp
    for b, filters in enumerate((4, 6, 8), start=1):
        x = keras.layers.Conv2D(filters, 3, padding="same", name=f"block{b}_conv1")(x)
        x = keras.layers.BatchNormalization(name=f"block{b}_bn")(x)
        x = keras.layers.ReLU(name=f"block{b}_relu")(x)
        x = keras.layers.MaxPooling2D(2, padding="same", name=f"block{b}_pool")(x)
    return keras.Model(inp, x, name="small_base")


def test_block_of_and_list_blocks():
    assert block_of("block4_conv2") == "block4" and block_of("stage2_unit1") == "stage2"
    assert block_of("input_image") is None and block_of("dense") is None
    blocks = list_blocks(small_base())
    assert list(blocks) == ["block1", "block2", "block3"]
    assert blocks["block2"] == ["block2_conv1", "block2_bn", "block2_relu", "block2_pool"]


def test_list_blocks_of_keras_vgg16():
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    blocks = list_blocks(base)
    assert list(blocks) == [f"block{i}" for i in range(1, 6)]
    assert sum(len(v) for v in blocks.values()) == len(base.layers) - 1   # all but the input layer


def test_cut_base_shares_weights_and_stops_at_the_layer():
    base = small_base()
    cut = cut_base(base, "block2_pool")
    assert cut.output.shape == (None, 2, 2, 6)
    assert cut.get_layer("block1_conv1") is base.get_layer("block1_conv1")
    with pytest.raises(ValueError, match="block9_pool"):
        cut_base(base, "block9_pool")


def test_parameter_counts_match_keras_count_params():
    base = small_base()
    counts = parameter_counts(base)
    assert counts["total"] == base.count_params()
    # 3 BN layers x 2 moving statistics per channel
    assert counts["non_trainable"] == 2 * (4 + 6 + 8)
    freeze(base)
    frozen = parameter_counts(base)
    assert frozen["trainable"] == 0 and frozen["total"] == counts["total"]


@pytest.mark.parametrize("blocks, expected", [
    (0, []), (1, ["block3_conv1", "block3_relu", "block3_pool"]),
    (["block1"], ["block1_conv1", "block1_relu", "block1_pool"])])
def test_unfreeze_blocks_keeps_batch_norm_frozen(blocks, expected):
    base = freeze(small_base())
    assert unfreeze_blocks(base, blocks) == expected
    trainable = {w.path.split("/")[0] for w in base.trainable_weights}
    assert trainable == {name for name in expected if "conv" in name}
    assert all(not layer.trainable for layer in base.layers if isinstance(layer, keras.layers.BatchNormalization))


def test_unfreeze_blocks_can_include_batch_norm_and_counts_agree():
    base = small_base()
    unfreeze_blocks(base, 2, keep_batch_norm_frozen=False)
    expected = sum((9 * c_in + 1) * c + 2 * c for c_in, c in ((4, 6), (6, 8)))   # conv + gamma/beta
    assert parameter_counts(base)["trainable"] == expected


@pytest.mark.parametrize("blocks", [4, -1, ["block7"], "block1", True])
def test_unfreeze_blocks_rejects_bad_blocks(blocks):
    with pytest.raises(ValueError, match="blocks"):
        unfreeze_blocks(small_base(), blocks)


def test_head_on_frozen_base_trains_only_the_head_and_keeps_bn_statistics(tmp_path):
    seed_everything(0)
    base = freeze(small_base())
    model = build_transfer_model(base, 3, hidden_units=(5,), dropout=0.2)
    counts = parameter_counts(model)
    assert counts["trainable"] == (8 * 5 + 5) + (5 * 3 + 3)
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=(64, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 3, size=64)
    before = [w.numpy().copy() for w in base.weights]
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for a, w in zip(before, base.weights):
        np.testing.assert_array_equal(a, w.numpy())   # frozen weights and moving statistics untouched
    model.save(tmp_path / "t.keras")
    loaded = keras.models.load_model(tmp_path / "t.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)


@pytest.mark.parametrize("keep_bn_frozen", [True, False])
def test_fine_tuning_moves_convolutions_and_bn_statistics_only_when_bn_unfrozen(keep_bn_frozen):
    # Keras 3 runs a BatchNormalization layer whose trainable is False in inference mode;
    # fit()'s training=True overrides the training=False given when the base was called.
    seed_everything(1)
    base = small_base()
    model = build_transfer_model(base, 2, pooling="flatten")
    unfreeze_blocks(base, 3, keep_batch_norm_frozen=keep_bn_frozen)
    bn = base.get_layer("block1_bn")
    mean_before = bn.moving_mean.numpy().copy()
    conv_before = base.get_layer("block1_conv1").kernel.numpy().copy()
    x = np.random.default_rng(1).normal(5.0, 1.0, size=(32, 8, 8, 1)).astype("float32")
    model.compile(keras.optimizers.SGD(1e-2), "sparse_categorical_crossentropy")
    model.fit(x, np.arange(32) % 2, epochs=1, batch_size=8, verbose=0)
    assert np.array_equal(bn.moving_mean.numpy(), mean_before) == keep_bn_frozen
    assert not np.allclose(base.get_layer("block1_conv1").kernel.numpy(), conv_before)


def test_preprocess_and_input_shape():
    base = freeze(small_base())
    model = build_transfer_model(base, 2, input_shape=(6, 6, 1), preprocess=keras.layers.Resizing(8, 8),
                                 pooling="max")
    assert model.input_shape == (None, 6, 6, 1) and model.output_shape == (None, 2)


@pytest.mark.parametrize("kwargs, word", [
    ({"num_classes": 1}, "num_classes"), ({"num_classes": 2.0}, "num_classes"),
    ({"num_classes": 2, "pooling": "sum"}, "pooling"), ({"num_classes": 2, "dropout": 1.0}, "dropout"),
    ({"num_classes": 2, "dropout": float("nan")}, "dropout"), ({"num_classes": 2, "hidden_units": (0,)}, "hidden_units")])
def test_build_transfer_model_rejects_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        build_transfer_model(small_base(), **kwargs)


def test_top_level_exports():
    import dlcourse_keras as dl

    assert dl.models.build_transfer_model is build_transfer_model and dl.models.unfreeze_blocks is unfreeze_blocks
    assert dl.models.parameter_counts is parameter_counts and dl.models.cut_base is cut_base
