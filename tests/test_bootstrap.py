"""bootstrap.paired_bootstrap: how sure a difference of accuracies on one test set is (notebook 12)."""

import numpy as np
import pytest

from dlcourse_keras.bootstrap import paired_bootstrap


def test_bootstrap_of_identical_models_is_zero_and_never_better():
    a = np.random.default_rng(0).integers(0, 2, 500)
    result = paired_bootstrap(a, a, n_resamples=500)
    assert result["difference"] == result["low"] == result["high"] == 0.0
    assert result["p_a_better"] == 0.0 and result["p_not_better"] == 1.0


def test_bootstrap_spread_matches_the_paired_standard_error():
    rng = np.random.default_rng(1)
    n = 1000
    b = rng.random(n) < 0.78
    a = b.copy()
    flips = rng.choice(n, 120, replace=False)   # A and B disagree on 120 examples
    a[flips] = ~b[flips]
    result = paired_bootstrap(a, b, n_resamples=4000, seed=2)
    delta = a.astype(float) - b.astype(float)
    assert result["difference"] == pytest.approx(delta.mean())
    # 95% interval ~ difference +- 1.96 standard errors of the mean of the per-example differences
    half_width = (result["high"] - result["low"]) / 2
    assert half_width == pytest.approx(1.96 * delta.std() / np.sqrt(n), rel=0.15)
    assert result["low"] < result["difference"] < result["high"]
    assert result["p_a_better"] + result["p_not_better"] == pytest.approx(1.0)


def test_bootstrap_is_seeded_and_chunking_does_not_change_it():
    rng = np.random.default_rng(3)
    a, b = rng.random(300) < 0.8, rng.random(300) < 0.75
    first = paired_bootstrap(a, b, n_resamples=2500, seed=7)
    assert first == paired_bootstrap(a, b, n_resamples=2500, seed=7)
    assert first != paired_bootstrap(a, b, n_resamples=2500, seed=8)


def test_shares_of_seeds_give_the_accuracy_of_the_seeds_mean():
    rng = np.random.default_rng(4)
    seeds = rng.random((3, 400)) < 0.8                 # three seeds of model A
    b = rng.random(400) < 0.7
    result = paired_bootstrap(seeds.mean(axis=0), b, n_resamples=500)
    assert result["difference"] == pytest.approx(seeds.mean() - b.mean())


def test_a_clearly_better_model_is_sure_and_a_worse_one_is_not():
    b = np.array([1, 0] * 200)
    a = np.ones(400, dtype=int)
    assert paired_bootstrap(a, b, n_resamples=500)["p_a_better"] == 1.0
    assert paired_bootstrap(b, a, n_resamples=500)["p_a_better"] == 0.0


@pytest.mark.parametrize("kwargs, message", [
    ({"correct_b": [1, 0]}, "correct_a has 3 examples but correct_b has 2"),
    ({"correct_a": [1, 2, 0]}, r"correct_a must hold values in \[0, 1\]"),
    ({"correct_a": [1, float("nan"), 0]}, "NaN is not allowed"),
    ({"correct_b": ["1", "0", "1"]}, "correct_b must hold values in"),
    ({"correct_a": []}, "non-empty 1-D"),
    ({"correct_b": [[1, 0, 1]]}, "non-empty 1-D"),
    ({"n_resamples": 10}, "n_resamples=10"),
    ({"seed": 1.5}, "seed=1.5"),
    ({"confidence": 1.0}, "confidence=1.0 must be a number in"),
    ({"confidence": float("nan")}, "confidence=nan"),
])
def test_bootstrap_bad_arguments_are_named(kwargs, message):
    arguments = {"correct_a": [1, 0, 1], "correct_b": [0, 0, 1]} | kwargs
    with pytest.raises(ValueError, match=message):
        paired_bootstrap(**arguments)
