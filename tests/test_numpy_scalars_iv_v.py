"""NumPy scalars work wherever Python numbers do in the units IV-V library (text, BLEU, RNN
layers, attention, the translator and its decoders), with the same result, and a bad one is
named as a plain number (``units=0``, not ``units=np.int64(0)``)."""

import json

import keras
import numpy as np
import pytest

from dlcourse_keras import bleu, text
from dlcourse_keras.layers import attention, rnn
from dlcourse_keras.models import decoding, sampled_softmax, seq2seq

i64, i32, f32, f64 = np.int64, np.int32, np.float32, np.float64
TEXTS = ["the cat sat", "the dog ran", "a cat ran", "the end"] * 5
LABELS = [0, 1] * 10
PAIRS = [("one two .", "un deux !"), ("two .", "deux !"), ("three one .", "un trois !"), ("one .", "un !")]


def _bigram_step(tokens, state):
    table = np.log(np.array([[.7, .1, .1, .1], [.1, .1, .1, .7], [.7, .1, .1, .1], [.1, .1, .7, .1]]))
    return table[tokens], state, None


def _translator(**kwargs):
    return seq2seq.Seq2SeqTranslator(["one", "two", "three", "."], ["un", "deux", "trois", "!"],
                                     max_source_length=4, max_target_length=4, **kwargs)


def _config(layer):
    """The config without the generated name, as JSON: a NumPy scalar kept in it would not dump."""
    config = {k: v for k, v in layer.get_config().items() if k != "name"}
    return json.dumps(config, sort_keys=True)


def _dataset(ds):
    return [[np.asarray(p).tolist() for p in keras.tree.flatten(batch)] for batch in ds]


# name -> (function of the arguments, Python arguments, the same as NumPy scalars)
CASES = {
    "text.make_vectorizer": (
        lambda a: text.make_vectorizer(TEXTS, max_tokens=a[0], output_sequence_length=a[1])(["the cat"]).numpy().tolist(),
        (5, 3), (i64(5), i32(3))),
    "text.make_vectorizer.ngrams": (
        lambda a: text.make_vectorizer(TEXTS, ngrams=a[0], output_mode="count").get_vocabulary(),
        (2,), (i64(2),)),
    "text.vocabulary_report": (
        lambda a: text.vocabulary_report(text.make_vectorizer(TEXTS), TEXTS, top=a[0]),
        (2,), (i64(2),)),
    "text.make_text_dataset": (
        lambda a: _dataset(text.make_text_dataset(TEXTS, LABELS, batch_size=a[0], shuffle=a[1], seed=a[2],
                                                  drop_remainder=a[3])),
        (3, True, 4, True), (i64(3), np.bool_(True), i32(4), np.bool_(True))),
    "text.build_vocabulary": (lambda a: text.build_vocabulary(TEXTS, a[0]), (5,), (i64(5),)),
    "text.stratified_split": (
        lambda a: {k: v[0].tolist() for k, v in text.stratified_split(TEXTS, LABELS, fractions=a[:3], seed=a[3]).items()},
        (0.6, 0.2, 0.2, 1), (f32(0.6), f64(0.2), f32(0.2), i64(1))),
    "text.split_by_source": (
        lambda a: text.split_by_source(PAIRS, fractions=a[:3], seed=a[3]),
        (0.5, 0.25, 0.25, 2), (f64(0.5), f32(0.25), f32(0.25), i64(2))),
    "bleu.teaching_corpus_bleu": (
        lambda a: bleu.teaching_corpus_bleu(["The cat sat"], [["the cat sat down"]], lowercase=a[0], max_order=a[1]),
        (True, 2), (np.bool_(True), i64(2))),
    "bleu.corpus_bleu": (lambda a: bleu.corpus_bleu(["The cat"], ["the cat"], lowercase=a[0]).score,
                         (True,), (np.bool_(True),)),
    "bleu.sentence_bleu": (lambda a: bleu.sentence_bleu("The cat", ["the cat"], lowercase=a[0]),
                           (True,), (np.bool_(True),)),
    "decoding.greedy_decode": (
        lambda a: decoding.greedy_decode(_bigram_step, {}, a[0], a[1], a[2], a[3], pad_id=a[4])[0].tolist(),
        (2, 1, 2, 5, 0), (i64(2), i64(1), i32(2), i64(5), i64(0))),
    "decoding.beam_search": (
        lambda a: [x.tolist() for x in decoding.beam_search(_bigram_step, {}, a[0], a[1], a[2], a[3], beam_width=a[4],
                                                            length_penalty=a[5], pad_id=a[6])[::2]],
        (1, 1, 2, 3, 2, 0.5, 0), (i64(1), i32(1), i64(2), i64(3), i64(2), f32(0.5), i64(0))),
    "seq2seq.Seq2SeqTranslator": (
        lambda a: _config(_translator(embedding_dim=a[0], units=a[1], attention=a[2], attention_units=a[3],
                                      tie_embeddings=a[4], sampled_softmax=a[5])),
        (4, 8, True, 6, True, 3), (i64(4), i32(8), np.bool_(True), i64(6), np.bool_(True), i64(3))),
    "seq2seq.Seq2SeqTranslator.sizes": (
        lambda a: _config(seq2seq.Seq2SeqTranslator(["a"], ["b"], max_source_length=a[0], max_target_length=a[1])),
        (3, 5), (i64(3), i64(5))),
    "seq2seq.Seq2SeqTranslator.translate": (
        lambda a: _translated(a), (2, 0.5, 3, 1, True), (i64(2), f32(0.5), i64(3), i32(1), np.bool_(True))),
    "seq2seq.length_batches": (
        lambda a: _dataset(seq2seq.length_batches(*_arrays(), batch_size=a[0], seed=a[1])),
        (2, 3), (i64(2), i64(3))),
    "sampled_softmax.log_uniform_candidates": (
        lambda a: sampled_softmax.log_uniform_candidates(a[0], a[1], seed=[1, 2], unique=a[2])[0].numpy().tolist(),
        (6, 10, True), (i64(6), i32(10), np.bool_(True))),
    "attention.BahdanauAttention": (lambda a: _config(attention.BahdanauAttention(a[0])), (8,), (i64(8),)),
    **{f"rnn.{cls.__name__}": (lambda a, cls=cls: _config(cls(a[0])), (3,), (i64(3),))
       for cls in (rnn.TeachingSimpleRNNCell, rnn.TeachingLSTMCell, rnn.TeachingGRUCell,
                   rnn.TeachingSimpleRNN, rnn.TeachingLSTM, rnn.TeachingGRU)},
    "rnn.LeakyUnitCell": (lambda a: _config(rnn.LeakyUnitCell(a[0], alpha=a[1])), (3, 0.5), (i64(3), f32(0.5))),
    "rnn.LeakyRNN": (lambda a: _config(rnn.LeakyRNN(a[0], alpha=a[1])), (3, 0.5), (i32(3), f64(0.5))),
    "rnn.EchoStateCell": (
        lambda a: _config(rnn.EchoStateCell(a[0], spectral_radius=a[1], input_scaling=a[2], alpha=a[3], seed=a[4])),
        (4, 0.5, 2.0, 0.25, 3), (i64(4), f32(0.5), f64(2.0), f32(0.25), i64(3))),
    "rnn.EchoStateRNN": (
        lambda a: _config(rnn.EchoStateRNN(a[0], spectral_radius=a[1], input_scaling=a[2], alpha=a[3], seed=a[4])),
        (4, 0.5, 2.0, 0.25, 3), (i64(4), f32(0.5), f64(2.0), f32(0.25), i64(3))),
}


def _arrays():
    model = _translator()
    return model.training_arrays([p[0] for p in PAIRS], [p[1] for p in PAIRS])


def _translated(a):
    keras.utils.set_random_seed(0)
    model = _translator()
    sentences, weights = model.translate(["one two .", "three ."], method="beam", beam_width=a[0],
                                         length_penalty=a[1], max_length=a[2], batch_size=a[3],
                                         return_attention=a[4])
    return sentences, [w.round(5).tolist() for w in weights]


@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_scalars_give_what_python_numbers_give(name):
    call, python_args, numpy_args = CASES[name]
    assert call(numpy_args) == call(python_args)


@pytest.mark.parametrize("call, message", [
    (lambda: rnn.TeachingLSTM(i64(0)), "units=0 must be an integer >= 1."),
    (lambda: rnn.LeakyRNN(3, alpha=f32(1.0)), "alpha=1.0 must be a finite number in [0, 1)."),
    (lambda: rnn.EchoStateRNN(3, seed=i64(-1)), "seed=-1 must be an integer >= 0."),
    (lambda: attention.BahdanauAttention(i64(0)), "units=0 must be an integer >= 1."),
    (lambda: text.make_vectorizer(TEXTS, max_tokens=i64(2)), "max_tokens=2 must be None or an integer >= 3."),
    (lambda: text.make_text_dataset(TEXTS, batch_size=i64(0)), "batch_size=0 must be an integer >= 1."),
    (lambda: decoding.beam_search(_bigram_step, {}, 1, 1, 2, 3, length_penalty=f64(-1.0)),
     "length_penalty=-1.0 must be a finite number >= 0."),
    (lambda: _translator().translate(["one ."], max_length=i64(0)), "max_length=0 must be None or an integer >= 1."),
    (lambda: bleu.teaching_corpus_bleu(["a"], ["a"], max_order=i64(0)), "max_order=0 must be an integer >= 1."),
])
def test_bad_numpy_scalars_are_named_as_plain_numbers(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert str(caught.value).startswith(message), str(caught.value)
