"""Benchmark: the cost of the course's teaching machinery during training.

Compares, in one process, on the same data and model:

1. plain ``model.fit`` vs ``GradientNormModel`` (per-layer gradient norms recorded in the
   train step) with ``GradientNormHistory`` (+ ``LiveLossPlot`` headless);
2. the same model built with ``keras.layers.Dropout`` / ``BatchNormalization`` vs the teaching
   layers ``InvertedDropout`` / ``TeachingBatchNorm``.

Each variant trains in alternating blocks of epochs; a callback times every epoch, the first
epoch of each model (tracing/compilation) is discarded, and the report gives the median
time per step and the ratio of medians. Not a timed test: run it by hand.

Usage:
    python benchmarks/benchmark_training.py --out bench.json [--epochs 4] [--repeats 3]
"""

import argparse
import json
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from dlcourse_keras.callbacks.live_plot import LiveLossPlot  # noqa: E402
from dlcourse_keras.callbacks import GradientNormHistory  # noqa: E402
from dlcourse_keras.models import GradientNormModel  # noqa: E402
from dlcourse_keras.layers.batch_norm import TeachingBatchNorm  # noqa: E402
from dlcourse_keras.layers.dropout import InvertedDropout  # noqa: E402


class EpochTimer(keras.callbacks.Callback):
    """Wall time of each epoch, in seconds."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)


def make_data(n=8192, features=64, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    w = rng.normal(size=(features, classes))
    y = np.argmax(x @ w + rng.normal(size=(n, classes)), axis=1)
    return x, y


def mlp(model_cls=keras.Model, dropout=keras.layers.Dropout, batch_norm=keras.layers.BatchNormalization,
        regularized=False, width=256, seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((64,))
    h = keras.layers.Dense(width, activation="relu")(inputs)
    if regularized:
        h = batch_norm()(h)
        h = dropout(0.3)(h)
    h = keras.layers.Dense(width, activation="relu")(h)
    if regularized:
        h = batch_norm()(h)
        h = dropout(0.3)(h)
    outputs = keras.layers.Dense(10, activation="softmax")(h)
    model = model_cls(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def compare(variants, x, y, batch_size, epochs, repeats):
    """variants: name -> (model, callbacks factory). Returns name -> per-step times."""
    steps = int(np.ceil(len(y) / batch_size))   # len(y): x may be a tuple of inputs
    times = {name: [] for name in variants}
    first = {name: True for name in variants}
    for _ in range(repeats):
        for name, (model, callbacks) in variants.items():
            timer = EpochTimer()
            model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[timer] + callbacks())
            epoch_times = timer.times[1:] if first[name] else timer.times
            first[name] = False
            times[name].extend(t / steps for t in epoch_times)
    return times


def summarize(times, baseline):
    base = float(np.median(times[baseline]))
    rows = {}
    for name, values in times.items():
        med = float(np.median(values))
        rows[name] = {"median_step_ms": med * 1e3, "ratio_to_baseline": med / base, "epochs_timed": len(values)}
    return rows


def benchmark_parser(description, epochs):
    """The options every benchmark takes: ``--out``, ``--epochs`` (per block) and ``--repeats``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", required=True, help="JSON file to write")
    parser.add_argument("--epochs", type=int, default=epochs, help=f"epochs per block (default {epochs})")
    parser.add_argument("--repeats", type=int, default=3, help="alternating blocks per variant (default 3)")
    return parser


def parse_positive(parser, argv):
    """Parses ``argv``; every integer option must be >= 1 (``parser.error`` names the one that is not)."""
    args = parser.parse_args(argv)
    for name, value in vars(args).items():
        if isinstance(value, int) and value < 1:
            parser.error(f"--{name.replace('_', '-')}={value!r} must be >= 1")
    return args


def machine():
    """Python, platform, Keras, backend, TensorFlow, devices and CPU count of the machine."""
    import tensorflow as tf

    return {"python": platform.python_version(), "platform": platform.platform(),
            "keras": keras.__version__, "backend": keras.backend.backend(), "tensorflow": tf.__version__,
            "devices": [d.name for d in tf.config.list_logical_devices()], "cpu_count": os.cpu_count()}


def write_report(report, path):
    """Writes ``report`` as indented JSON to ``path``, creating its folder."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(report, f, indent=2)


def main(argv=None):
    parser = benchmark_parser(__doc__.splitlines()[0], epochs=4)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parse_positive(parser, argv)

    x, y = make_data()
    monitoring = compare({
        "plain fit": (mlp(), lambda: []),
        "GradientNormModel + GradientNormHistory + LiveLossPlot": (
            mlp(GradientNormModel), lambda: [GradientNormHistory(), LiveLossPlot()]),
        "GradientNormModel + GradientNormHistory(per_step=True)": (
            mlp(GradientNormModel), lambda: [GradientNormHistory(per_step=True)]),
    }, x, y, args.batch_size, args.epochs, args.repeats)
    layers = compare({
        "keras Dropout + BatchNormalization": (mlp(regularized=True), lambda: []),
        "InvertedDropout + TeachingBatchNorm": (
            mlp(regularized=True, dropout=InvertedDropout, batch_norm=TeachingBatchNorm), lambda: []),
    }, x, y, args.batch_size, args.epochs, args.repeats)

    report = {
        "machine": machine(),
        "settings": {"samples": len(x), "batch_size": args.batch_size, "epochs_per_block": args.epochs,
                     "repeats": args.repeats},
        "gradient_monitoring": summarize(monitoring, "plain fit"),
        "teaching_layers": summarize(layers, "keras Dropout + BatchNormalization"),
        "goals": {"gradient_monitoring_ratio": 1.10, "teaching_layers_ratio": 1.5},
    }
    print(f"{'variant':58s} {'ms/step':>8s} {'ratio':>6s}")
    for section in ("gradient_monitoring", "teaching_layers"):
        for name, row in report[section].items():
            print(f"{name:58s} {row['median_step_ms']:8.2f} {row['ratio_to_baseline']:6.2f}")
    write_report(report, args.out)
    return report


if __name__ == "__main__":
    main()
