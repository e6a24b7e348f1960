"""InvertedDropout against keras.layers.Dropout, and the layer contract."""

import keras
import numpy as np
import pytest

from dlcourse_keras.layers.dropout import InvertedDropout
from dlcourse_keras.testing import run_layer_test


def np_(t):
    return keras.ops.convert_to_numpy(t)


# ---------------------------------------------------------------- dropout
@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_dropout_statistics_match_keras(rate):
    x = np.ones((400, 500), dtype="float32")
    ours = np_(InvertedDropout(rate, seed=1)(x, training=True))
    theirs = np_(keras.layers.Dropout(rate, seed=2)(x, training=True))
    kept = ours[ours != 0]
    np.testing.assert_allclose(kept, 1 / (1 - rate), rtol=1e-6)                    # scale 1/(1-rate)
    assert abs(np.mean(ours == 0) - rate) < 0.01                                    # fraction zeroed ~ rate
    assert abs(ours.mean() - 1) < 0.02                                              # mean kept
    assert abs(np.mean(ours == 0) - np.mean(theirs == 0)) < 0.01
    assert set(np.unique(ours)) == set(np.unique(theirs))


def test_dropout_inference_is_exact_identity():
    x = np.random.default_rng(0).normal(size=(7, 9)).astype("float32")
    layer = InvertedDropout(0.5, seed=0)
    assert np.array_equal(np_(layer(x, training=False)), x)
    assert np.array_equal(np_(layer(x)), x)
    assert np.array_equal(np_(InvertedDropout(0.0)(x, training=True)), x)


def test_dropout_new_mask_each_call_and_seed_reproducible():
    x = np.ones((50, 50), dtype="float32")
    layer = InvertedDropout(0.5, seed=3)
    a, b = np_(layer(x, training=True)), np_(layer(x, training=True))
    assert not np.array_equal(a, b)
    again = np_(InvertedDropout(0.5, seed=3)(x, training=True))
    assert np.array_equal(a, again)


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5, "0.5", True])
def test_dropout_bad_rate(rate):
    with pytest.raises(ValueError, match="rate"):
        InvertedDropout(rate)


def test_dropout_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        InvertedDropout(0.5, seed="x")


def test_dropout_model_round_trip_and_fit(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              InvertedDropout(0.3, seed=5), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.random.default_rng(1).normal(size=(32, 4)).astype("float32")
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert loaded.layers[1].rate == pytest.approx(0.3) and loaded.layers[1].seed == 5


def test_layer_contract():
    run_layer_test(InvertedDropout, {"rate": 0.3, "seed": 1}, input_shape=(4, 5, 3),
                   expected_output_shape=(4, 5, 3), expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0, supports_masking=True,
                   training_changes_output=True)
