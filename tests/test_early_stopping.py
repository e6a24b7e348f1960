"""TeachingEarlyStopping: Keras's rule unchanged, plus a record and a report."""

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from dlcourse_keras.callbacks.early_stopping import TeachingEarlyStopping  # noqa: E402


def tiny_model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def drive(callback, values, monitor="val_loss"):
    """Feeds scripted epoch values to a callback as fit() would; returns epochs run."""
    model = tiny_model()
    callback.set_model(model)
    callback.on_train_begin()
    run = 0
    for epoch, v in enumerate(values):
        model.layers[0].kernel.assign(np.full((2, 1), float(epoch), dtype="float32"))  # weights tag the epoch
        callback.on_epoch_end(epoch, {monitor: v})
        run += 1
        if model.stop_training:
            break
    callback.on_train_end()
    return run, model


LOSSES = [1.0, 0.8, 0.6, 0.65, 0.61, 0.7, 0.9, 0.5, 0.4]


@pytest.mark.parametrize("kwargs", [
    dict(patience=2),
    dict(patience=3, min_delta=0.05),
    dict(patience=1, start_from_epoch=3),
    dict(patience=20),
    dict(patience=2, restore_best_weights=True),
])
def test_same_decisions_as_keras(kwargs):
    ours, theirs = TeachingEarlyStopping(**kwargs), keras.callbacks.EarlyStopping(**kwargs)
    run_ours, _ = drive(ours, LOSSES)
    run_theirs, _ = drive(theirs, LOSSES)
    assert run_ours == run_theirs
    assert ours.stopped_epoch == theirs.stopped_epoch
    assert ours.best_epoch == theirs.best_epoch


def test_report_when_patience_exhausted_and_weights_restored():
    stop = TeachingEarlyStopping(patience=2, restore_best_weights=True)
    run, model = drive(stop, LOSSES)
    r = stop.report
    assert run == 5 and stop.values == LOSSES[:5]
    assert r["stopped"] and r["reason"] == "patience exhausted"
    assert r["stopped_epoch"] == 5 and r["best_epoch"] == 3 and r["best_value"] == pytest.approx(0.6)
    assert r["restored_epoch"] == 3 and r["mode"] == "min" and r["epochs_run"] == 5
    # the weights put back are those written at epoch index 2 (the best epoch, 3 counted from 1)
    np.testing.assert_allclose(model.layers[0].kernel.numpy(), 2.0)
    assert "Stopped after epoch 5" in stop.report_text and "restored from epoch 3" in stop.report_text


def test_min_delta_changes_the_decision():
    plain, strict = TeachingEarlyStopping(patience=1), TeachingEarlyStopping(patience=1, min_delta=0.25)
    drive(plain, LOSSES)
    drive(strict, LOSSES)
    # min_delta=0: 1.0 -> 0.8 -> 0.6 improve, 0.65 does not: stop at epoch 4, best epoch 3.
    assert (plain.report["stopped_epoch"], plain.report["best_epoch"]) == (4, 3)
    # min_delta=0.25: 0.8 is only 0.2 better than 1.0, so no improvement: stop at epoch 2, best epoch 1.
    assert (strict.report["stopped_epoch"], strict.report["best_epoch"]) == (2, 1)


def test_report_when_run_to_the_end_and_max_mode():
    stop = TeachingEarlyStopping(monitor="val_accuracy", mode="max", patience=5)
    drive(stop, [0.5, 0.6, 0.7, 0.65, 0.8], monitor="val_accuracy")
    r = stop.report
    assert not r["stopped"] and r["reason"] == "ran to the end" and r["stopped_epoch"] is None
    assert r["best_epoch"] == 5 and r["mode"] == "max" and r["restored_epoch"] is None
    assert "Ran to the end (5 epochs)" in stop.report_text


def test_state_reset_between_fits_with_real_training():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype("float32")
    y = x @ np.array([[1.0], [-2.0]], dtype="float32")
    model = tiny_model()
    stop = TeachingEarlyStopping(monitor="loss", patience=1)
    model.fit(x, y, epochs=4, verbose=0, callbacks=[stop])
    assert len(stop.values) == 4 and stop.report["epochs_run"] == 4
    model.fit(x, y, epochs=2, verbose=0, callbacks=[stop])
    assert len(stop.values) == 2 and stop.report["epochs_run"] == 2


def test_plot_marks_best_and_stop():
    stop = TeachingEarlyStopping(patience=2, start_from_epoch=1)
    drive(stop, LOSSES)
    ax = stop.plot()
    xs = sorted(line.get_xdata()[0] for line in ax.lines[1:])
    assert xs == [stop.report["best_epoch"], stop.report["stopped_epoch"]]
    assert ax.get_xlabel() == "epoch" and ax.get_title()


def test_plot_before_fit_is_an_error():
    with pytest.raises(RuntimeError):
        TeachingEarlyStopping().plot()


@pytest.mark.parametrize("kwargs, name", [
    (dict(patience=-1), "patience"), (dict(patience=1.5), "patience"),
    (dict(min_delta=-0.1), "min_delta"), (dict(mode="up"), "mode"),
    (dict(start_from_epoch=-2), "start_from_epoch"), (dict(monitor=""), "monitor"),
    (dict(baseline=float("nan")), r"baseline=nan must be a finite number \(NaN and inf"),
    (dict(baseline=float("inf")), "baseline=inf"), (dict(baseline="0.5"), "baseline='0.5'"),
    (dict(restore_best_weights="yes"), "restore_best_weights='yes'"), (dict(verbose=-1), "verbose=-1"),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        TeachingEarlyStopping(**kwargs)
