"""The shared argument checks, and every public constructor that uses them."""

import math

import numpy as np
import pytest

from dlcourse_keras.validation import check_bool, check_int, check_number


@pytest.mark.parametrize("value", [0.1, 1, np.float32(0.1), np.float64(2.0), np.int64(3)])
def test_numbers_and_numpy_scalars_accepted(value):
    out = check_number("scale", value, low=0, low_open=True)
    assert isinstance(out, float) and out == pytest.approx(float(value))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float32("nan"), np.float64("inf")])
def test_non_finite_rejected_by_name(value):
    with pytest.raises(ValueError, match=r"scale=.* must be a finite number > 0 \(NaN and inf"):
        check_number("scale", value, low=0, low_open=True)


@pytest.mark.parametrize("value, kwargs, allowed", [
    (0, dict(low=0, low_open=True), "> 0"),
    (-1, dict(low=0), ">= 0"),
    (1.0, dict(low=0, high=1, high_open=True), r"in \[0, 1\)"),
    (2, dict(high=1), "<= 1"),
    (True, dict(), "a finite number"),
    ("0.1", dict(), "a finite number"),
])
def test_out_of_range_and_wrong_type(value, kwargs, allowed):
    with pytest.raises(ValueError, match=allowed):
        check_number("x", value, **kwargs)


def test_int_checks():
    assert check_int("n", np.int32(4), low=1) == 4 and isinstance(check_int("n", np.int32(4)), int)
    assert check_int("seed", None, allow_none=True) is None
    for bad in (0, 1.0, True, "3", np.float64(2.0)):
        with pytest.raises(ValueError, match=r"n=.* must be an integer >= 1"):
            check_int("n", bad, low=1)
    with pytest.raises(ValueError, match="None or an integer"):
        check_int("seed", "x", allow_none=True)


def test_bool_checks():
    assert check_bool("flag", np.bool_(True)) is True
    with pytest.raises(ValueError, match="flag=1 must be True or False"):
        check_bool("flag", 1)


# ---------------------------------------------------------------- used everywhere
def _constructors():
    from dlcourse_keras import initializers, schedules
    from dlcourse_keras.callbacks import DeadReLUMonitor, TeachingEarlyStopping
    from dlcourse_keras.layers import InvertedDropout, TeachingBatchNorm

    x = np.ones((4, 2))
    return {
        "ScaledNormal.scale": lambda v: initializers.ScaledNormal(scale=v),
        "TeachingBatchNorm.epsilon": lambda v: TeachingBatchNorm(epsilon=v),
        "TeachingBatchNorm.momentum": lambda v: TeachingBatchNorm(momentum=v),
        "InvertedDropout.rate": lambda v: InvertedDropout(rate=v),
        "LinearWarmup.after": lambda v: schedules.LinearWarmup(10, v),
        "LinearWarmup.initial_lr": lambda v: schedules.LinearWarmup(10, 0.1, initial_lr=v),
        "TeachingEarlyStopping.min_delta": lambda v: TeachingEarlyStopping(min_delta=v),
        "DeadReLUMonitor.threshold": lambda v: DeadReLUMonitor(x, threshold=v),
    }


@pytest.mark.parametrize("where", sorted(_constructors()))
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_constructors_reject_non_finite(where, bad):
    arg = where.split(".")[1]
    with pytest.raises(ValueError, match=f"{arg}=.*NaN and inf"):
        _constructors()[where](bad)


@pytest.mark.parametrize("where", sorted(_constructors()))
def test_constructors_accept_numpy_scalars(where):
    value = {"TeachingBatchNorm.momentum": 0.9, "InvertedDropout.rate": 0.25}.get(where, 0.01)
    _constructors()[where](np.float32(value))


def test_integer_arguments_accept_numpy_integers():
    from dlcourse_keras import initializers, schedules
    from dlcourse_keras.callbacks import TeachingEarlyStopping
    from dlcourse_keras.layers import InvertedDropout

    assert schedules.LinearWarmup(np.int64(5), 0.1).warmup_steps == 5
    assert TeachingEarlyStopping(patience=np.int32(2), start_from_epoch=np.int64(1)).patience == 2
    assert initializers.HeNormal(seed=np.int64(3)).seed == 3
    assert InvertedDropout(0.5, seed=np.int32(7)).seed == 7
    with pytest.raises(ValueError, match="warmup_steps"):
        schedules.LinearWarmup(np.float64(5.0), 0.1)


def test_numpy_reference_checks_share_the_helper():
    from dlcourse_keras.numpy_ref import gradient_descent as gd
    from dlcourse_keras.numpy_ref import losses, optimizers
    from dlcourse_keras.numpy_ref.perceptron import Perceptron

    for call in (lambda: optimizers.SGD(learning_rate=math.nan),
                 lambda: losses.huber([[1.0]], [[0.0]], delta=math.inf),
                 lambda: gd.line_loss(1.0, 0.0, [1.0], [1.0], loss="huber", delta=math.nan),
                 lambda: Perceptron(learning_rate=math.nan)):
        with pytest.raises(ValueError, match="NaN and inf"):
            call()
    optimizers.SGD(learning_rate=np.float32(0.1))
