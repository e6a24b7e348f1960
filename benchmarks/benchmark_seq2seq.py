"""Benchmark: a translator's training step with the full softmax vs a sampled softmax.

Compares, in one process, ``Seq2SeqTranslator`` at notebook 13's full-profile sizes (GRU,
128 units, 64-dimensional embeddings, 6,000 / 8,000-word vocabularies, batch 128) on the same
synthetic sentences (source 8 tokens, target 10, word ids drawn from a Zipf law as in real
text), with and without attention, trained with the full 8,000-way softmax and with
``sampled_softmax=2048`` (the distinct words among 2,048 draws per batch). Variants train in
alternating blocks (``benchmark_training.compare``: each model's first epoch, which traces
the graph, is dropped). The report gives the median time per step and its ratio to the full
softmax of the same model. Not a timed test: run it by hand.

Usage:
    python benchmarks/benchmark_seq2seq.py --out bench_seq2seq.json [--epochs 2] [--repeats 3]
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from benchmark_training import (benchmark_parser, compare, machine, parse_positive,  # noqa: E402
                                summarize, write_report)  # same folder: same timing rules

from dlcourse_keras.models.seq2seq import Seq2SeqTranslator, translation_loss  # noqa: E402

SOURCE_WORDS, TARGET_WORDS = 6000, 8000


def make_sentences(n, source_length=8, target_length=10, seed=0):
    """Id arrays ``((source, target_in), target_out)``, ids Zipf-distributed, 2 padding columns."""
    rng = np.random.default_rng(seed)

    def zipf(vocabulary, shape):
        return np.minimum(rng.zipf(1.1, size=shape) + 3, vocabulary - 1).astype("int32")

    source = zipf(SOURCE_WORDS, (n, source_length))
    target = zipf(TARGET_WORDS, (n, target_length + 1))
    source[:, -2:] = 0
    target[:, -2:] = 0
    return (source, target[:, :-1]), target[:, 1:]


def translator(attention, sampled_softmax, seed=0):
    keras.utils.set_random_seed(seed)
    model = Seq2SeqTranslator([f"e{i}" for i in range(SOURCE_WORDS - 2)],
                              [f"f{i}" for i in range(TARGET_WORDS - 4)], embedding_dim=64,
                              units=128, attention=attention, max_source_length=10,
                              max_target_length=14, tie_embeddings=True,
                              sampled_softmax=sampled_softmax)
    model.compile(optimizer=keras.optimizers.Adam(3e-3, clipnorm=1.0), loss=translation_loss())
    return model


def main(argv=None):
    parser = benchmark_parser(__doc__.splitlines()[0], epochs=2)
    parser.add_argument("--steps", type=int, default=20, help="steps of 128 sentences per epoch (default 20)")
    parser.add_argument("--draws", type=int, default=2048, help="sampled_softmax draws (default 2048)")
    args = parse_positive(parser, argv)

    x, y = make_sentences(128 * args.steps)
    report = {
        "machine": machine(),
        "settings": {"sentences": len(y), "batch_size": 128, "epochs_per_block": args.epochs,
                     "repeats": args.repeats, "draws": args.draws},
    }
    print(f"{'variant':45s} {'ms/step':>8s} {'ratio':>6s}")
    for attention in (False, True):
        group = "attention" if attention else "no attention"
        names = {f"{group}, full softmax": None, f"{group}, sampled softmax ({args.draws} draws)": args.draws}
        times = compare({name: (translator(attention, k), lambda: []) for name, k in names.items()},
                        x, y, 128, args.epochs, args.repeats)
        rows = summarize(times, next(iter(names)))
        report[group] = rows
        for name, row in rows.items():
            print(f"{name:45s} {row['median_step_ms']:8.1f} {row['ratio_to_baseline']:6.2f}")
    write_report(report, args.out)
    return report


if __name__ == "__main__":
    main()
