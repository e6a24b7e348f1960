"""LiveLossPlot headless: records curves and writes a PNG at train end."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from dlcourse_keras.callbacks.live_plot import LiveLossPlot


def _fit(callback, epochs=3):
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=epochs, validation_split=0.25, verbose=0, callbacks=[callback])


def test_headless_writes_png(tmp_path):
    path = tmp_path / "sub" / "curves.png"
    plot = LiveLossPlot(path=path)
    hist = _fit(plot)
    assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_allclose(plot.history["loss"], hist.history["loss"], rtol=1e-6)
    assert len(plot.figure.axes) == 2  # loss and accuracy panels
    assert [t.get_text() for t in plot.figure.axes[0].get_legend().get_texts()] == ["loss", "val_loss"]


def test_selected_metrics_and_reset(tmp_path):
    plot = LiveLossPlot(metrics=["accuracy"])
    _fit(plot, epochs=2)
    _fit(plot, epochs=1)  # per-fit state resets
    assert len(plot.history["accuracy"]) == 1
    fig = plot.draw()
    assert len(fig.axes) == 1 and fig.axes[0].get_ylabel() == "accuracy"



@pytest.mark.parametrize("kwargs", [dict(every=0), dict(every=1.5), dict(path="x.jpg"),
                                    dict(metrics="loss"), dict(metrics=[])])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        LiveLossPlot(**kwargs)
