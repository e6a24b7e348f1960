"""ResidualBlock and InceptionModule: the layer contract, the formulas, and their maths against Keras."""

import keras
import numpy as np
import pytest

from dlcourse_keras.layers.blocks import (InceptionModule, ResidualBlock, inception_parameter_count,
                                          receptive_field, residual_parameter_count)
from dlcourse_keras.seeding import seed_everything
from dlcourse_keras.testing import run_layer_test


def np_(t):
    return keras.ops.convert_to_numpy(t)


def n_params(layer):
    return int(sum(np.prod(w.shape) for w in layer.weights))


# ---------------------------------------------------------------- contract
@pytest.mark.parametrize("kwargs, in_shape, out_shape, n_trainable, n_frozen", [
    ({"filters": 4}, (2, 6, 6, 4), (2, 6, 6, 4), 6, 4),                     # identity shortcut
    ({"filters": 5, "strides": 2}, (2, 6, 6, 3), (2, 3, 3, 5), 9, 6),       # projection shortcut
    ({"filters": 3, "use_batch_norm": False}, (2, 5, 5, 3), (2, 5, 5, 3), 4, 0),
])
def test_residual_block_contract(kwargs, in_shape, out_shape, n_trainable, n_frozen):
    seed_everything(0)
    # batch norm: batch statistics in training, moving ones at inference
    run_layer_test(ResidualBlock, kwargs, input_shape=in_shape, expected_output_shape=out_shape,
                   expected_num_trainable_weights=n_trainable,
                   expected_num_non_trainable_weights=n_frozen, atol=1e-5,
                   training_changes_output=kwargs.get("use_batch_norm", True))


def test_inception_module_contract():
    seed_everything(0)
    run_layer_test(InceptionModule, dict(filters_1x1=2, filters_3x3_reduce=3, filters_3x3=4,
                                         filters_5x5_reduce=1, filters_5x5=2, filters_pool_proj=3),
                   input_shape=(2, 7, 7, 5), expected_output_shape=(2, 7, 7, 11),
                   expected_num_trainable_weights=12, expected_num_non_trainable_weights=0, atol=1e-5)


# ---------------------------------------------------------------- parameter formulas
@pytest.mark.parametrize("c_in, filters, k, strides, bn", [
    (64, 64, 3, 1, True), (64, 128, 3, 2, True), (3, 8, 5, 1, False), (16, 16, 3, 2, False), (7, 7, 1, 1, True)])
def test_residual_parameter_formula_matches_built_layer(c_in, filters, k, strides, bn):
    block = ResidualBlock(filters, kernel_size=k, strides=strides, use_batch_norm=bn)
    block.build((None, 12, 12, c_in))
    assert block.has_projection == (c_in != filters or strides != 1)
    assert n_params(block) == residual_parameter_count(c_in, filters, k, strides, bn)


@pytest.mark.parametrize("c, f", [(192, (64, 96, 128, 16, 32, 32)), (256, (128, 128, 192, 32, 96, 64)),
                                  (3, (1, 2, 3, 4, 5, 6))])
def test_inception_parameter_formula_matches_built_layer(c, f):
    module = InceptionModule(*f)
    module.build((None, 9, 9, c))
    assert n_params(module) == inception_parameter_count(c, *f)
    assert module.output_channels == f[0] + f[2] + f[4] + f[5]


def test_googlenet_3a_and_3b_output_channels():
    # GoogLeNet's table: 3a maps 192 -> 256 channels, 3b 256 -> 480, at 28x28
    x = np.zeros((1, 28, 28, 192), "float32")
    y = InceptionModule(64, 96, 128, 16, 32, 32)(x)
    z = InceptionModule(128, 128, 192, 32, 96, 64)(y)
    assert tuple(y.shape) == (1, 28, 28, 256) and tuple(z.shape) == (1, 28, 28, 480)


# ---------------------------------------------------------------- the maths, against Keras layers
def test_residual_block_equals_the_same_graph_of_keras_layers():
    seed_everything(1)
    x = np.random.default_rng(1).normal(size=(3, 8, 8, 4)).astype("float32")
    block = ResidualBlock(6, strides=2)
    block(x)
    conv1, conv2 = keras.layers.Conv2D(6, 3, 2, "same", use_bias=False), keras.layers.Conv2D(6, 3, 1, "same", use_bias=False)
    proj = keras.layers.Conv2D(6, 1, 2, "same", use_bias=False)
    bns = [keras.layers.BatchNormalization() for _ in range(3)]
    inp = keras.Input((8, 8, 4))
    h = conv2(keras.layers.ReLU()(bns[0](conv1(inp))))
    out = keras.layers.ReLU()(keras.layers.Add()([bns[1](h), bns[2](proj(inp))]))
    ref = keras.Model(inp, out)
    for ours, theirs in [(block.conv1, conv1), (block.conv2, conv2), (block.projection, proj),
                         (block.bn1, bns[0]), (block.bn2, bns[1]), (block.projection_bn, bns[2])]:
        weights = [w + np.random.default_rng(2).normal(size=w.shape).astype("float32") * 0.1
                   for w in ours.get_weights()]
        weights = [np.abs(w) + 0.5 if "variance" in v.path else w for w, v in zip(weights, ours.weights)]
        ours.set_weights(weights)
        theirs.set_weights(weights)
    for training in (False, True):
        np.testing.assert_allclose(np_(block(x, training=training)), np_(ref(x, training=training)),
                                   atol=1e-5)


def test_identity_shortcut_passes_input_when_residual_is_zero():
    x = np.abs(np.random.default_rng(3).normal(size=(2, 5, 5, 4))).astype("float32")
    block = ResidualBlock(4, use_batch_norm=False, kernel_initializer="zeros")
    np.testing.assert_allclose(np_(block(x)), x, atol=1e-7)   # relu(0 + x) = x for x >= 0
    assert not block.has_projection


def test_inception_module_equals_its_four_keras_branches():
    seed_everything(2)
    x = np.random.default_rng(4).normal(size=(2, 6, 6, 3)).astype("float32")
    module = InceptionModule(2, 2, 3, 1, 2, 2)
    y = np_(module(x))
    b1 = np_(module.branch_1x1(x))
    b2 = np_(module.branch_3x3(module.reduce_3x3(x)))
    b3 = np_(module.branch_5x5(module.reduce_5x5(x)))
    pooled = np_(keras.layers.MaxPooling2D(3, strides=1, padding="same")(x))
    b4 = np_(module.pool_proj(pooled))
    np.testing.assert_allclose(y, np.concatenate([b1, b2, b3, b4], axis=-1), atol=1e-6)
    assert (y >= 0).all()


def test_blocks_inside_a_model_train_and_reload(tmp_path):
    seed_everything(3)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(32, 8, 8, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int32")
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, padding="same"),
                              ResidualBlock(4), InceptionModule(2, 2, 2, 1, 2, 2), ResidualBlock(6, strides=2),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0) < first
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    assert isinstance(loaded.layers[1], ResidualBlock) and isinstance(loaded.layers[2], InceptionModule)


# ---------------------------------------------------------------- receptive field
def test_receptive_field_rules():
    assert receptive_field([]) == 1
    assert receptive_field([(3, 1)] * 2) == 5 and receptive_field([(3, 1)] * 3) == 7   # VGG's argument
    assert receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)]) == 16                     # LeNet-5's conv/pool stack


def test_receptive_field_equals_gradient_support():
    # the receptive field is the set of input pixels that move the centre output unit
    stack = [(3, 1), (2, 2), (3, 1)]
    layers = [keras.layers.Conv2D(1, 3, kernel_initializer="ones", use_bias=False),
              keras.layers.AveragePooling2D(2), keras.layers.Conv2D(1, 3, kernel_initializer="ones", use_bias=False)]
    import tensorflow as tf  # GradientTape: this test runs on the TensorFlow backend
    x = tf.Variable(np.ones((1, 20, 20, 1), "float32"))
    with tf.GradientTape() as tape:
        h = x
        for layer in layers:
            h = layer(h)
        unit = h[0, 2, 2, 0]
    grad = tape.gradient(unit, x).numpy()[0, :, :, 0]
    rows = np.nonzero(grad.any(axis=1))[0]
    assert rows.max() - rows.min() + 1 == receptive_field(stack) == 8


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("kwargs, word", [
    ({"filters": 0}, "filters"), ({"filters": 2.5}, "filters"), ({"filters": True}, "filters"),
    ({"filters": 4, "kernel_size": 2}, "kernel_size"), ({"filters": 4, "kernel_size": (3, 3, 3)}, "kernel_size"),
    ({"filters": 4, "strides": 0}, "strides"), ({"filters": 4, "use_batch_norm": 1}, "use_batch_norm"),
    ({"filters": 4, "activation": "nope"}, "activation"), ({"filters": float("nan")}, "filters"),
])
def test_residual_block_rejects_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        ResidualBlock(**kwargs)


@pytest.mark.parametrize("bad", [0, -1, 1.5, float("inf"), None])
def test_inception_module_rejects_bad_filters(bad):
    with pytest.raises(ValueError, match="filters_5x5"):
        InceptionModule(1, 1, 1, 1, bad, 1)


def test_blocks_reject_non_image_inputs():
    with pytest.raises(ValueError, match="4-D"):
        ResidualBlock(2)(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="4-D"):
        InceptionModule(1, 1, 1, 1, 1, 1)(np.zeros((2, 3, 3), "float32"))
    with pytest.raises(ValueError, match="kernel"):
        receptive_field([(0, 1)])


def test_blocks_are_registered_and_exported_by_layers():
    import dlcourse_keras as dl

    names = dl.register_keras_objects()
    assert {"dlcourse_keras>ResidualBlock", "dlcourse_keras>InceptionModule"} <= set(names)
    assert dl.layers.ResidualBlock is ResidualBlock and dl.layers.InceptionModule is InceptionModule
    assert dl.layers.receptive_field is receptive_field
