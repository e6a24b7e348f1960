"""Seq2SeqTranslator: teacher forcing vs step-by-step decoding,
learning a toy task, and a .keras round trip in a fresh process."""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from dlcourse_keras.models.seq2seq import (Seq2SeqTranslator, length_batches, log_uniform_candidates,
                                          sampled_token_loss, translation_loss)
from dlcourse_keras.text import build_vocabulary, tokenize
from dlcourse_keras.seeding import seed_everything

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EN = "zero one two three four five six seven eight nine".split()
FR = "zéro un deux trois quatre cinq six sept huit neuf".split()


def toy_pairs(n, seed=0):
    """Digit words, English to French, with the French words in reverse order."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(n):
        digits = rng.integers(0, 10, size=rng.integers(1, 5))
        pairs.append((" ".join(EN[d] for d in digits) + ".",
                      " ".join(FR[d] for d in digits[::-1]) + " !"))
    return pairs


def small_translator(attention=True, cell="gru", **kwargs):
    pairs = toy_pairs(50)
    return Seq2SeqTranslator(build_vocabulary([p[0] for p in pairs], 20),
                             build_vocabulary([p[1] for p in pairs], 20),
                             embedding_dim=8, units=16, attention=attention, cell=cell,
                             max_source_length=6, max_target_length=6, **kwargs)


def test_training_arrays_shift_by_one():
    model = small_translator()
    (source, target_in), target_out = model.training_arrays(["one two."], ["deux un !"])
    assert source.shape == (1, 6) and target_in.shape == target_out.shape == (1, 7)
    words = [model.target_tokens[i] for i in target_in[0] if i]
    assert words == ["[start]", "deux", "un", "!", "[end]"]   # [end] in, padding out: ignored
    np.testing.assert_array_equal(target_in[0, 1:], target_out[0, :-1])
    assert [model.target_tokens[i] for i in target_out[0] if i] == ["deux", "un", "!", "[end]"]


@pytest.mark.parametrize("attention, cell, tie", [(True, "gru", False), (False, "lstm", False),
                                                  (True, "gru", True)])
def test_step_by_step_decoding_equals_teacher_forced_pass(attention, cell, tie):
    seed_everything(1)
    model = small_translator(attention, cell, tie_embeddings=tie)
    (source, target_in), _ = model.training_arrays(["three one four.", "two."],
                                                   ["quatre un trois !", "deux !"])
    full = keras.ops.convert_to_numpy(model((source, target_in)))
    encoder_outputs, states, mask = model.encode(source)
    for t in range(4):
        logits, states, weights = model.decode(target_in[:, t:t + 1], states, encoder_outputs, mask)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(logits)[0, 0], full[0, t], atol=1e-5)
        if attention:
            w = keras.ops.convert_to_numpy(weights)[:, 0]
            np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-5)
            assert np.all(w[1, 2:] == 0)       # "two ." has two source tokens
        else:
            assert weights is None


def test_argument_validation():
    vocab = ["a", "b"]
    for kwargs, name in [({"units": 0}, "units"), ({"cell": "rnn"}, "cell"),
                         ({"attention": "yes"}, "attention"), ({"max_source_length": 2.5},
                                                                "max_source_length"),
                         ({"tie_embeddings": 1}, "tie_embeddings"),
                         ({"sampled_softmax": 0}, "sampled_softmax"),
                         ({"sampled_softmax": 2.0}, "sampled_softmax")]:
        with pytest.raises(ValueError, match=name):
            Seq2SeqTranslator(vocab, vocab, **kwargs)
    with pytest.raises(ValueError, match="target_vocabulary"):
        Seq2SeqTranslator(vocab, [])
    model = small_translator(attention=False)
    with pytest.raises(ValueError, match="return_attention"):
        model.translate(["one."], return_attention=True)
    with pytest.raises(ValueError, match="method"):
        model.translate(["one."], method="sample")
    with pytest.raises(ValueError, match="list"):
        model.translate("one.")


def test_tied_embeddings_compute_the_logits_with_the_target_embedding_matrix(tmp_path):
    seed_everything(2)
    tied, untied = small_translator(tie_embeddings=True), small_translator()
    vocab_size = len(tied.target_tokens)
    assert tied.project.kernel.shape == (2 * 16, 8) and untied.project.kernel.shape == (2 * 16, vocab_size)
    assert tied.count_params() < untied.count_params()
    tied.output_bias.assign(np.linspace(-1, 1, vocab_size).astype("float32"))
    outputs = np.random.default_rng(0).normal(size=(2, 3, 2 * 16)).astype("float32")
    table = keras.ops.convert_to_numpy(tied.target_embedding.embeddings)
    expected = outputs @ keras.ops.convert_to_numpy(tied.project.kernel) @ table.T + np.linspace(-1, 1, vocab_size)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(tied.logits(outputs)), expected, atol=1e-5)
    # one matrix for reading and writing: a change of a word's embedding moves its logit
    before = keras.ops.convert_to_numpy(tied.logits(outputs))[..., 5]
    tied.target_embedding.embeddings.assign(keras.ops.convert_to_numpy(tied.target_embedding.embeddings) * 2)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(tied.logits(outputs))[..., 5] - np.linspace(-1, 1, vocab_size)[5],
                               2 * (before - np.linspace(-1, 1, vocab_size)[5]), rtol=1e-4, atol=1e-5)
    tied.save(tmp_path / "tied.keras")
    reloaded = keras.models.load_model(tmp_path / "tied.keras", safe_mode=True)
    assert reloaded.tie_embeddings
    source, target_in = tied.training_arrays(["one two."], ["deux un !"])[0]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(reloaded((source, target_in))),
                               keras.ops.convert_to_numpy(tied((source, target_in))), atol=1e-6)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    seed_everything(0)
    pairs = toy_pairs(600)
    english, french = [p[0] for p in pairs], [p[1] for p in pairs]
    model = Seq2SeqTranslator(build_vocabulary(english, 20), build_vocabulary(french, 20),
                              embedding_dim=16, units=48, max_source_length=6,
                              max_target_length=6)
    model.compile(keras.optimizers.Adam(0.01), translation_loss())
    x, y = model.training_arrays(english, french)
    model.fit(x, y, epochs=25, batch_size=64, verbose=0)
    path = tmp_path_factory.mktemp("translator") / "toy.keras"
    model.save(path)
    return model, path


def test_learns_the_toy_task_with_diverse_outputs(trained):
    model, _ = trained
    test = toy_pairs(60, seed=99)
    sources = [p[0] for p in test]
    greedy, weights = model.translate(sources, return_attention=True)
    beam = model.translate(sources, method="beam", beam_width=3)
    accuracy = np.mean([g == p[1] for g, p in zip(greedy, test)])
    assert accuracy >= 0.8, list(zip(greedy, test))[:5]
    assert np.mean([b == p[1] for b, p in zip(beam, test)]) >= accuracy - 0.05
    assert len(set(greedy)) > 20                      # not one sentence for every input
    for w, g, s in zip(weights, greedy, sources):
        assert w.shape == (len(g.split()) + 1, len(tokenize([s])[0]))
        np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-4)
    assert np.std([w[0].argmax() for w in weights]) > 0  # attention moves with the input
    assert model.translate(sources, method="beam", beam_width=1) == greedy


def test_reloads_in_a_fresh_process_with_the_same_outputs(trained):
    model, path = trained
    sources = [p[0] for p in toy_pairs(8, seed=5)]
    expected = model.translate(sources) + model.translate(sources, method="beam")
    script = textwrap.dedent(f"""
        import json, keras
        import dlcourse_keras.models  # registers the classes
        model = keras.models.load_model({str(path)!r}, safe_mode=True)
        sources = {sources!r}
        print(json.dumps(model.translate(sources) + model.translate(sources, method="beam")))
    """)
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    import json
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected


def long_reversal_pairs(n, seed):
    """Five to eight digit words, reversed: too long for a 32-unit summary vector to hold."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(n):
        digits = rng.integers(0, 10, size=rng.integers(5, 9))
        pairs.append((" ".join(EN[d] for d in digits) + ".",
                      " ".join(FR[d] for d in digits[::-1]) + " !"))
    return pairs


def test_attention_learns_a_long_reversal_faster_than_the_fixed_vector():
    """Regression test for notebook 13's failed loss comparison: with an extra tanh layer
    between [s_t; c_t] and the softmax the attentive model learnt more slowly than the plain
    one. The softmax must read the concatenation, and at an equal, small budget attention must
    win clearly on a task that needs it (measured over seeds 0-2: 0.95-0.98 vs 0.56-0.63)."""
    train, test = long_reversal_pairs(800, 0), long_reversal_pairs(200, 1)
    accuracy = {}
    for attention in (False, True):
        seed_everything(0)
        model = Seq2SeqTranslator(build_vocabulary([p[0] for p in train], 20),
                                  build_vocabulary([p[1] for p in train], 20),
                                  embedding_dim=16, units=32, attention=attention,
                                  max_source_length=10, max_target_length=10)
        # the output layer reads s_t (units) or [s_t; c_t] (2 units), nothing in between
        assert model.project.kernel.shape == ((2 if attention else 1) * 32, len(model.target_tokens))
        model.compile(keras.optimizers.Adam(0.01), translation_loss())
        x, y = model.training_arrays(*zip(*train))
        model.fit(x, y, epochs=8, batch_size=64, verbose=0)
        x_test, y_test = model.training_arrays(*zip(*test))
        predicted = keras.ops.convert_to_numpy(model.predict(x_test, verbose=0)).argmax(-1)
        mask = y_test > 0
        accuracy[attention] = ((predicted == y_test) & mask).sum() / mask.sum()
    assert accuracy[True] >= 0.85 and accuracy[True] > accuracy[False] + 0.2, accuracy


def test_length_batches_hold_every_pair_once_cut_to_their_longest_sentence():
    pairs = toy_pairs(90, seed=3)
    model = small_translator()
    inputs, targets = model.training_arrays([p[0] for p in pairs], [p[1] for p in pairs])
    dataset = length_batches(inputs, targets, batch_size=16, seed=0)
    assert int(dataset.cardinality()) == 6
    batches = list(dataset.as_numpy_iterator())
    assert [len(b[1]) for b in batches].count(16) == 5 and sum(len(b[1]) for b in batches) == 90
    seen = []
    for (source, target_in), target_out in batches:
        assert source[:, -1].any() and (target_in[:, -1].any() or target_out[:, -1].any())  # no pad column
        for row in range(len(source)):
            seen.append((tuple(source[row][source[row] != 0]), tuple(target_out[row][target_out[row] != 0])))
    expected = [(tuple(s[s != 0]), tuple(t[t != 0])) for s, t in zip(inputs[0], targets)]
    assert sorted(seen) == sorted(expected)
    lengths = [b[1].shape[1] for b in batches]
    assert len(set(lengths)) > 1 and max(lengths) < inputs[1].shape[1] + 1
    again = list(length_batches(inputs, targets, batch_size=16, seed=0).as_numpy_iterator())
    other = list(length_batches(inputs, targets, batch_size=16, seed=1).as_numpy_iterator())
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(batches, again))
    assert not all(a[1].shape == b[1].shape and np.array_equal(a[1], b[1]) for a, b in zip(batches, other))
    with pytest.raises(ValueError, match="batch_size"):
        length_batches(inputs, targets, batch_size=0)
    with pytest.raises(ValueError, match="same"):
        length_batches(inputs, targets[:5])


def test_trimmed_batches_give_the_same_loss_as_padded_ones():
    seed_everything(4)
    model = small_translator()
    model.compile("adam", translation_loss())
    pairs = toy_pairs(32, seed=4)
    inputs, targets = model.training_arrays([p[0] for p in pairs], [p[1] for p in pairs])
    padded = model.evaluate(inputs, targets, batch_size=32, verbose=0)
    trimmed = model.evaluate(length_batches(inputs, targets, batch_size=32), verbose=0)
    np.testing.assert_allclose(trimmed, padded, rtol=1e-5)


@pytest.mark.parametrize("tie", [True, False])
def test_sampled_loss_over_every_word_equals_the_full_loss(tie):
    seed_everything(5)
    model = small_translator(tie_embeddings=tie)
    (source, target_in), target_out = model.training_arrays(["three one four.", "two."],
                                                            ["quatre un trois !", "deux !"])
    full = float(translation_loss()(target_out, model((source, target_in))))
    encoder_outputs, states, mask = model.encode(source)
    outputs, _, _ = model.decoder_outputs(target_in, states, encoder_outputs, mask)
    features, table, bias = model.output_layer(outputs)
    vocab_size = len(model.target_tokens)
    n_real = int((target_out != 0).sum())
    every_word = (np.arange(vocab_size), np.ones((n_real, 1), "float32"), np.ones(vocab_size, "float32"))
    sampled = float(sampled_token_loss(features, table, bias, target_out, every_word))
    assert abs(sampled - full) < 1e-5 * max(1.0, full)


def test_log_uniform_candidates_follow_zipf_and_depend_only_on_the_seed():
    ids, expected = log_uniform_candidates(20_000, 50, seed=[3, 1])
    ids = keras.ops.convert_to_numpy(ids)
    assert ids.min() >= 0 and ids.max() < 50
    again, _ = log_uniform_candidates(20_000, 50, seed=[3, 1])
    other, _ = log_uniform_candidates(20_000, 50, seed=[4, 1])
    assert np.array_equal(ids, keras.ops.convert_to_numpy(again))
    assert not np.array_equal(ids, keras.ops.convert_to_numpy(other))
    counts = np.bincount(ids, minlength=50)
    want = keras.ops.convert_to_numpy(expected(np.arange(50)))
    np.testing.assert_allclose(want.sum(), 20_000, rtol=1e-5)
    # P(0) = log 2 / log 51, about 0.18; each count within 4 binomial standard deviations
    assert np.all(np.abs(counts - want) < 4 * np.sqrt(want) + 1)
    assert counts[0] > counts[10] > counts[40]
    # distinct ids: each once, with the chance of being drawn at all as its expected count
    distinct, chance = log_uniform_candidates(60, 50, seed=[3, 1], unique=True)
    distinct = keras.ops.convert_to_numpy(distinct)
    assert len(set(distinct)) == len(distinct) < 60 and set(distinct) == set(ids[:60])
    p = want / 20_000
    np.testing.assert_allclose(keras.ops.convert_to_numpy(chance(np.arange(50))), 1 - (1 - p) ** 60, rtol=1e-5)
    inclusion = np.mean([np.isin(np.arange(50), keras.ops.convert_to_numpy(
        log_uniform_candidates(60, 50, seed=[s, 2], unique=True)[0])) for s in range(300)], axis=0)
    np.testing.assert_allclose(inclusion, 1 - (1 - p) ** 60, atol=0.09)


def test_sampled_softmax_training_lowers_the_full_loss_and_resumes_exactly(tmp_path):
    pairs = toy_pairs(256, seed=6)
    english, french = [p[0] for p in pairs], [p[1] for p in pairs]

    def fresh(sampled_softmax=5):
        seed_everything(6)
        model = Seq2SeqTranslator(build_vocabulary(english, 20), build_vocabulary(french, 20),
                                  embedding_dim=8, units=16, max_source_length=6,
                                  max_target_length=6, tie_embeddings=True,
                                  sampled_softmax=sampled_softmax)
        model.compile(keras.optimizers.Adam(0.01), translation_loss())
        return model

    model, full = fresh(), fresh(None)
    x, y = model.training_arrays(english, french)
    before = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, epochs=8, batch_size=32, shuffle=False, verbose=0)
    full.fit(x, y, epochs=8, batch_size=32, shuffle=False, verbose=0)
    after, after_full = model.evaluate(x, y, verbose=0), full.evaluate(x, y, verbose=0)  # full softmax
    assert list(history.history) == ["loss"] and np.isfinite(history.history["loss"]).all()
    # 5 of the 17 words per step: most of the full softmax's progress
    assert before - after > 0.5 * (before - after_full)
    # four epochs, saved, reloaded and four more: the same weights as eight at once
    half = fresh()
    half.fit(x, y, epochs=4, batch_size=32, shuffle=False, verbose=0)
    half.save(tmp_path / "half.keras")
    resumed = keras.models.load_model(tmp_path / "half.keras", safe_mode=True)
    assert resumed.sampled_softmax == 5
    resumed.fit(x, y, epochs=4, batch_size=32, shuffle=False, verbose=0)
    assert len(model.weights) == len(resumed.weights)
    for a, b in zip(model.weights, resumed.weights):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), atol=1e-5)


def test_loads_when_the_text_module_imported_keras_first(tmp_path):
    """``dl.text`` imports Keras while it loads; registration then used to hit the import
    cycle text -> registration -> models.seq2seq -> text and leave the class unregistered."""
    model = small_translator()
    path = tmp_path / "s2s.keras"
    model.save(path)
    script = textwrap.dedent(f"""
        import dlcourse_keras as dl
        dl.text.make_vectorizer(["a b"])
        import keras
        model = keras.models.load_model({str(path)!r}, safe_mode=True)
        print(type(model).__name__, model.translate(["one two."]))
    """)
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    name, translation = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert name == "Seq2SeqTranslator" and translation == repr(model.translate(["one two."]))


class _NeverCalled(Seq2SeqTranslator):
    def call(self, inputs, training=False):
        raise AssertionError("the model was called while it was being made")


def test_build_makes_every_weight_without_running_the_model(tmp_path):
    """build() makes the weights from the vocabularies and sizes; __init__ used to call the
    model on a dummy batch instead (and build() only set built = True)."""
    pairs = toy_pairs(50)
    vocabularies = build_vocabulary([p[0] for p in pairs], 20), build_vocabulary([p[1] for p in pairs], 20)
    for kwargs in ({}, {"tie_embeddings": True}, {"attention": False, "cell": "lstm"}):
        seed_everything(3)
        model = _NeverCalled(*vocabularies, embedding_dim=8, units=16, max_source_length=6,
                             max_target_length=6, **kwargs)
        assert model.built and model.get_build_config() == {"input_shape": ((None, 6), (None, 7))}
        seed_everything(3)
        called = small_translator(**kwargs)
        source, target_in = called.training_arrays(["one two."], ["deux un !"])[0]
        called((source, target_in))
        assert [w.path for w in model.weights] != [] and [w.shape for w in model.weights] == [w.shape for w in called.weights]
        for mine, theirs in zip(model.weights, called.weights):     # the same initial weights
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(mine), keras.ops.convert_to_numpy(theirs))
        model.build(((None, 9), (None, 3)))                         # a second build changes nothing
        called.save(tmp_path / "built.keras")
        reloaded = keras.models.load_model(tmp_path / "built.keras", safe_mode=True)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(reloaded((source, target_in))),
                                   keras.ops.convert_to_numpy(called((source, target_in))), atol=1e-6)


def test_translate_checks_its_arguments():
    model = small_translator()
    with pytest.raises(ValueError, match="max_length=0 must be None or an integer >= 1"):
        model.translate(["one."], max_length=0)            # was taken as "no limit given"
    with pytest.raises(ValueError, match=r"texts\[1\]=None must be a string"):
        model.translate(["one.", None])
    with pytest.raises(ValueError, match="beam_width=0"):
        model.translate(["one."], method="beam", beam_width=0)
    with pytest.raises(ValueError, match="length_penalty=nan"):
        model.translate(["one."], method="beam", length_penalty=float("nan"))
    with pytest.raises(ValueError, match=r"12 sources but 1 targets"):
        model.training_arrays(["one."] * 12, ["un !"])
    assert len(model.translate(np.array(["one.", "two."], dtype=object), max_length=np.int64(2))) == 2


def test_sampled_softmax_must_draw_fewer_words_than_the_vocabulary():
    model = small_translator()
    words = len(model.target_tokens)
    with pytest.raises(ValueError, match=rf"sampled_softmax=1000000 must be None or an integer in \[1, {words - 1}\]"):
        small_translator(sampled_softmax=10**6)
    assert small_translator(sampled_softmax=np.int64(words - 1)).sampled_softmax == words - 1
