"""Benchmark: the teaching LSTM cell against ``keras.layers.LSTM``, time per training step.

Compares, in one process, on the same synthetic sequences and the same model
(``LSTM(units)`` -> ``Dense(1, sigmoid)``, Adam, binary cross-entropy):

1. ``keras.layers.LSTM`` (on a GPU with TensorFlow it takes the fused cuDNN kernel);
2. ``keras.layers.RNN(LSTMCell)``: Keras's own cell in the generic loop, no fused kernel;
3. ``TeachingLSTM`` = ``keras.layers.RNN(TeachingLSTMCell)``: the notes' equations.

Each variant trains in alternating blocks of epochs; a callback times every epoch, the first
epoch of each model (tracing) is dropped, and the report gives the median time per step and
the ratio to ``keras.layers.LSTM``. Not a timed test: run it by hand.

Usage:
    python benchmarks/benchmark_rnn.py --out bench_rnn.json [--epochs 3] [--repeats 3]
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchmark_training import (benchmark_parser, compare, machine, parse_positive,  # noqa: E402
                                summarize, write_report)  # same folder: same timing rules

from dlcourse_keras.layers.rnn import TeachingLSTM  # noqa: E402


def make_sequences(n=2048, steps=40, features=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, steps, features)).astype("float32")
    y = (x[:, :5, 0].sum(axis=1) > 0).astype("float32")
    return x, y


def lstm_model(kind, steps, features, units, seed=0):
    keras.utils.set_random_seed(seed)
    if kind == "keras.layers.LSTM":
        recurrent = keras.layers.LSTM(units)
    elif kind == "keras.layers.RNN(LSTMCell)":
        recurrent = keras.layers.RNN(keras.layers.LSTMCell(units))
    else:
        recurrent = TeachingLSTM(units)
    model = keras.Sequential([keras.Input((steps, features)), recurrent, keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def main(argv=None):
    parser = benchmark_parser(__doc__.splitlines()[0], epochs=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--steps", type=int, default=40, help="time steps per sequence (default 40)")
    args = parse_positive(parser, argv)

    x, y = make_sequences(steps=args.steps)
    kinds = ("keras.layers.LSTM", "keras.layers.RNN(LSTMCell)", "TeachingLSTM")
    variants = {kind: (lstm_model(kind, args.steps, x.shape[-1], args.units), lambda: []) for kind in kinds}
    times = compare(variants, x, y, args.batch_size, args.epochs, args.repeats)
    rows = summarize(times, "keras.layers.LSTM")
    result = {
        "machine": machine(),
        "settings": vars(args) | {"samples": len(x), "features": int(x.shape[-1])},
        "lstm_step_time": rows,
    }
    write_report(result, args.out)
    print(f"{'variant':32s} {'ms/step':>9s} {'ratio':>7s}")
    for name, row in rows.items():
        print(f"{name:32s} {row['median_step_ms']:9.2f} {row['ratio_to_baseline']:7.2f}")
    return result


if __name__ == "__main__":
    main()
