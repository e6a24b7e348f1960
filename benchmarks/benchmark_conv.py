"""Benchmark: the teaching convolution layer (patches + matmul) vs ``keras.layers.Conv2D``.

Compares, in one process, on the same synthetic 28x28 grey images and the same small CNN
(conv 32@3x3 same, max-pool, conv 64@3x3 same, max-pool, dense 10), built once with
``keras.layers.Conv2D`` and once with ``TeachingConv2D``:

1. training step time (``model.fit``, Adam, alternating blocks of epochs; each model's
   first epoch, which traces the graph, is discarded);
2. inference time (``model.predict`` on the whole set, median of repeats after a warm-up);
3. notebook 09's VGG-style net with block 1 downsampling by max-pooling (its first version) vs
   by a stride-2 second convolution (the committed version): same weights, training step time.

The report gives median times and the ratios teaching / Keras and strided / pooled. Not a timed
test: run it by hand.

Usage:
    python benchmarks/benchmark_conv.py --out bench_conv.json [--epochs 2] [--repeats 3]
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from benchmark_training import (benchmark_parser, compare, machine, parse_positive,  # noqa: E402
                                summarize, write_report)  # same folder: same timing rules

from dlcourse_keras.layers.conv import TeachingConv2D  # noqa: E402


def make_images(n=4096, size=28, classes=10, seed=0):
    """Random images and labels: the benchmark times steps, it does not need learnable data."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, size, size, 1)).astype("float32")
    y = rng.integers(0, classes, n)
    return x, y


def cnn(conv=keras.layers.Conv2D, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        conv(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        conv(64, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    return model


def vgg_style(block1_stride, widths=(16, 32, 64), seed=0):
    """Notebook 09's VGG-style net (without its standardization layer): three blocks of two 3x3
    convolutions with batch normalization. Block 1 halves the image by max-pooling, or, with
    ``block1_stride``, by giving its second convolution a stride of 2."""
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((28, 28, 1))]
    for b, w in enumerate(widths, start=1):
        for i in (1, 2):
            strides = 2 if block1_stride and (b, i) == (1, 2) else 1
            layers += [keras.layers.Conv2D(w, 3, strides=strides, padding="same", use_bias=False),
                       keras.layers.BatchNormalization(), keras.layers.ReLU()]
        if b > 1 or not block1_stride:
            layers.append(keras.layers.MaxPooling2D())
    layers += [keras.layers.Flatten(), keras.layers.Dropout(0.3), keras.layers.Dense(128, activation="relu"),
               keras.layers.Dropout(0.3), keras.layers.Dense(10, activation="softmax")]
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    return model


def time_predict(models, x, batch_size, repeats):
    """name -> milliseconds per 1,000 images of each ``model.predict`` repeat (after one warm-up call)."""
    times = {name: [] for name in models}
    for model in models.values():
        model.predict(x[:batch_size], batch_size=batch_size, verbose=0)
    for _ in range(repeats):
        for name, model in models.items():
            start = time.perf_counter()
            model.predict(x, batch_size=batch_size, verbose=0)
            times[name].append((time.perf_counter() - start) / len(x) * 1e6)  # ms per 1,000 images
    return times


def main(argv=None):
    parser = benchmark_parser(__doc__.splitlines()[0], epochs=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--samples", type=int, default=4096)
    args = parse_positive(parser, argv)

    x, y = make_images(args.samples)
    models = {"keras Conv2D": cnn(), "TeachingConv2D (patches + matmul)": cnn(TeachingConv2D)}
    train = compare({name: (model, lambda: []) for name, model in models.items()}, x, y, args.batch_size,
                    args.epochs, args.repeats)
    predict = time_predict(models, x, 256, args.repeats)
    predict_rows = {}
    base = float(np.median(predict["keras Conv2D"]))
    for name, values in predict.items():
        med = float(np.median(values))
        predict_rows[name] = {"median_ms_per_1000_images": med, "ratio_to_baseline": med / base}

    vgg = compare({"VGG-style, block 1 pooled": (vgg_style(block1_stride=False), lambda: []),
                   "VGG-style, block 1 strided": (vgg_style(block1_stride=True), lambda: [])},
                  x, y, args.batch_size, args.epochs, args.repeats)

    report = {
        "machine": machine(),
        "settings": {"samples": len(x), "batch_size": args.batch_size, "epochs_per_block": args.epochs,
                     "repeats": args.repeats},
        "training_step": summarize(train, "keras Conv2D"),
        "inference": predict_rows,
        "vgg_block1": summarize(vgg, "VGG-style, block 1 pooled"),
    }
    print(f"{'variant':40s} {'train ms/step':>14s} {'ratio':>6s} {'predict ms/1k':>14s} {'ratio':>6s}")
    for name in models:
        t, p = report["training_step"][name], report["inference"][name]
        print(f"{name:40s} {t['median_step_ms']:14.2f} {t['ratio_to_baseline']:6.2f} "
              f"{p['median_ms_per_1000_images']:14.1f} {p['ratio_to_baseline']:6.2f}")
    for name, row in report["vgg_block1"].items():
        print(f"{name:40s} {row['median_step_ms']:14.2f} {row['ratio_to_baseline']:6.2f}")
    write_report(report, args.out)
    return report


if __name__ == "__main__":
    main()
