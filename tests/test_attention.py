"""BahdanauAttention: the layer contract, equality with AdditiveAttention + Dense, masks."""

import keras
import numpy as np
import pytest

from dlcourse_keras.layers.attention import BahdanauAttention
from dlcourse_keras.seeding import seed_everything
from dlcourse_keras.testing import run_layer_test


def np_(t):
    return keras.ops.convert_to_numpy(t)


def _data(seed=0, batch=3, tq=4, tv=6, dq=5, dv=7):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(batch, tq, dq)).astype("float32"),
            rng.normal(size=(batch, tv, dv)).astype("float32"))


def test_contract():
    query, keys = _data()
    keys_mask = np.ones(keys.shape[:2], dtype=bool)
    keys_mask[0, -2:] = False
    run_layer_test(BahdanauAttention, {"units": 8}, input_data=[query, keys],
                   expected_output_shape=[(3, 4, 7), (3, 4, 6)],
                   expected_num_trainable_weights=3, expected_num_non_trainable_weights=0,
                   supports_masking=True, mask=[None, keys_mask], atol=1e-5)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, float("nan"), float("inf"), "8"])
def test_rejects_bad_units(bad):
    with pytest.raises(ValueError, match="units"):
        BahdanauAttention(bad)


def _keras_twin(layer):
    """The same computation from AdditiveAttention plus two bias-free Dense projections."""
    project_q = keras.layers.Dense(layer.units, use_bias=False)
    project_k = keras.layers.Dense(layer.units, use_bias=False)
    additive = keras.layers.AdditiveAttention(use_scale=True)
    project_q.build((None, layer.query_kernel.shape[0]))
    project_k.build((None, layer.key_kernel.shape[0]))
    project_q.kernel.assign(layer.query_kernel)
    project_k.kernel.assign(layer.key_kernel)

    def run(query, keys, keys_mask=None):
        q, k = project_q(query), project_k(keys)
        if not additive.built:
            additive.build([q.shape, keys.shape, k.shape])
            additive.scale.assign(layer.score_vector)
        # the key mask as (batch, 1, Tv): newer Keras (3.15 here) also broadcasts a (batch, Tv) mask over
        # the queries, Keras 3.10 (the oldest supported) does not
        mask = None if keys_mask is None else [None, np.asarray(keys_mask)[:, None, :]]
        return additive([q, keys, k], mask=mask, return_attention_scores=True)

    return run


@pytest.mark.parametrize("with_mask", [False, True])
def test_equals_additive_attention_plus_dense(with_mask):
    seed_everything(3)
    query, keys = _data(seed=1)
    keys_mask = None
    if with_mask:
        keys_mask = np.ones(keys.shape[:2], dtype=bool)
        keys_mask[0, 3:] = False
        keys_mask[2, 1:] = False
    layer = BahdanauAttention(9)
    context, weights = layer([query, keys], mask=None if keys_mask is None else [None, keys_mask])
    twin_context, twin_weights = _keras_twin(layer)(query, keys, keys_mask)
    np.testing.assert_allclose(np_(weights), np_(twin_weights), atol=1e-6)
    np.testing.assert_allclose(np_(context), np_(twin_context), atol=1e-5)


def test_weights_are_a_distribution_that_ignores_padding():
    query, keys = _data(seed=2)
    keys_mask = np.ones(keys.shape[:2], dtype=bool)
    keys_mask[1, 2:] = False
    layer = BahdanauAttention(6)
    _, weights = layer([query, keys], mask=[None, keys_mask])
    weights = np_(weights)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)
    assert np.all(weights[1, :, 2:] == 0.0)
    assert np.all(weights[1, :, :2] > 0.0)
    # padding content cannot leak into the context
    changed = keys.copy()
    changed[1, 2:] += 100.0
    context_a, _ = layer([query, keys], mask=[None, keys_mask])
    context_b, _ = layer([query, changed], mask=[None, keys_mask])
    np.testing.assert_allclose(np_(context_a)[1], np_(context_b)[1], atol=1e-5)
    assert not np.allclose(np_(context_a)[1], np_(layer([query, changed])[0])[1])


def test_context_is_weighted_sum_of_keys_and_weights_vary():
    query, keys = _data(seed=4)
    context, weights = BahdanauAttention(5)([query, keys])
    expected = np.einsum("bqv,bvd->bqd", np_(weights), keys)
    np.testing.assert_allclose(np_(context), expected, atol=1e-5)
    assert np_(weights).std(axis=-1).mean() > 1e-3   # not uniform


def test_query_mask_passes_to_context():
    query, keys = _data(seed=5)
    query_mask = np.ones(query.shape[:2], dtype=bool)
    query_mask[0, -1] = False
    mask = BahdanauAttention(4).compute_mask([query, keys], [query_mask, None])
    assert np.array_equal(np_(mask[0]), query_mask) and mask[1] is None
