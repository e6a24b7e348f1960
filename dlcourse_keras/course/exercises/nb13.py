"""Exercises of notebook 13, translation: the scores of additive attention, its weights and
context with a padding mask, greedy decoding, the BLEU of one sentence, and what a Transformer
layer costs against a recurrent one.

References are the package's (:class:`dlcourse_keras.layers.BahdanauAttention`, whose Keras twin
is ``keras.layers.AdditiveAttention`` fed two bias-free projections;
:func:`dlcourse_keras.models.greedy_decode`; :func:`dlcourse_keras.bleu.corpus_bleu`, i.e.
sacrebleu); the small functions below only adapt them to the shape of an answer.
"""

import collections
import math

import numpy as np

from ...bleu import corpus_bleu, teaching_corpus_bleu
from ...layers.attention import BahdanauAttention
from ...models.decoding import greedy_decode
from .kinds import ChoiceExercise, FunctionExercise

# --- q1 and q2: additive attention ----------------------------------------------------------------


def _attention_layer(query, keys, query_kernel, key_kernel, score_vector):
    layer = BahdanauAttention(int(np.shape(score_vector)[0]))
    layer.build([tuple(np.shape(query)), tuple(np.shape(keys))])
    for variable, value in ((layer.query_kernel, query_kernel), (layer.key_kernel, key_kernel),
                            (layer.score_vector, score_vector)):
        variable.assign(np.asarray(value, dtype="float32"))
    return layer


def additive_scores(query, keys, query_kernel, key_kernel, score_vector):
    """The scores ``e_ij = v . tanh(W_q s_i + W_k h_j)`` of ``BahdanauAttention``, shape (batch, Tq, Tv)."""
    import keras

    layer = _attention_layer(query, keys, query_kernel, key_kernel, score_vector)
    return keras.ops.convert_to_numpy(layer.scores(np.asarray(query, "float32"), np.asarray(keys, "float32")))


def additive_attention(query, keys, keys_mask, query_kernel, key_kernel, score_vector):
    """``BahdanauAttention``'s ``(context, weights)``: softmax over the unmasked keys, weighted mean of the keys."""
    import keras

    layer = _attention_layer(query, keys, query_kernel, key_kernel, score_vector)
    context, weights = layer([np.asarray(query, "float32"), np.asarray(keys, "float32")],
                             mask=[None, np.asarray(keys_mask, bool)])
    return keras.ops.convert_to_numpy(context), keras.ops.convert_to_numpy(weights)


def _keys_mask(rng, batch, steps):
    lengths = rng.integers(1, steps + 1, size=batch)
    lengths[0] = steps
    return np.arange(steps)[None, :] < lengths[:, None]


def _attention_arrays(rng):
    batch, t_query, t_keys = int(rng.integers(2, 4)), int(rng.integers(2, 5)), int(rng.integers(3, 7))
    d_query, d_keys, units = int(rng.integers(2, 6)), int(rng.integers(2, 6)), int(rng.integers(3, 7))
    return {"query": rng.normal(size=(batch, t_query, d_query)), "keys": rng.normal(size=(batch, t_keys, d_keys)),
            "query_kernel": rng.normal(scale=0.6, size=(d_query, units)),
            "key_kernel": rng.normal(scale=0.6, size=(d_keys, units)),
            "score_vector": rng.normal(size=units)}


def _score_cases(rng):
    return _attention_arrays(rng)


def _attention_cases(rng):
    arrays = _attention_arrays(rng)
    batch, t_keys = arrays["keys"].shape[:2]
    return {"query": arrays["query"], "keys": arrays["keys"], "keys_mask": _keys_mask(rng, batch, t_keys),
            **{k: arrays[k] for k in ("query_kernel", "key_kernel", "score_vector")}}


def _np_scores(query, keys, query_kernel, key_kernel, score_vector, squash=np.tanh):
    q = (np.asarray(query) @ query_kernel)[:, :, None, :]
    k = (np.asarray(keys) @ key_kernel)[:, None, :, :]
    return squash(q + k) @ score_vector


def _scores_without_tanh(query, keys, query_kernel, key_kernel, score_vector):
    return _np_scores(query, keys, query_kernel, key_kernel, score_vector, squash=lambda z: z)


def _scores_keys_first(query, keys, query_kernel, key_kernel, score_vector):
    return np.swapaxes(_np_scores(query, keys, query_kernel, key_kernel, score_vector), 1, 2)


def _softmax(z, axis):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def _attention_unmasked(query, keys, keys_mask, query_kernel, key_kernel, score_vector):
    weights = _softmax(_np_scores(query, keys, query_kernel, key_kernel, score_vector), axis=-1)
    return weights @ np.asarray(keys), weights


def _attention_over_queries(query, keys, keys_mask, query_kernel, key_kernel, score_vector):
    scores = np.where(np.asarray(keys_mask)[:, None, :], _np_scores(query, keys, query_kernel, key_kernel,
                                                                    score_vector), -1e9)
    weights = _softmax(scores, axis=1) * np.asarray(keys_mask)[:, None, :]
    return weights @ np.asarray(keys), weights


def _attention_projected_values(query, keys, keys_mask, query_kernel, key_kernel, score_vector):
    scores = np.where(np.asarray(keys_mask)[:, None, :], _np_scores(query, keys, query_kernel, key_kernel,
                                                                    score_vector), -1e9)
    weights = _softmax(scores, axis=-1)
    return weights @ (np.asarray(keys) @ key_kernel), weights


# --- q3: greedy decoding --------------------------------------------------------------------------

PAD_ID, START_ID, END_ID = 0, 1, 2


def greedy_tokens(step_fn, state, batch_size, start_id, end_id, max_length):
    """The tokens of ``greedy_decode`` (padding id 0), without the per-step extras."""
    tokens, _ = greedy_decode(step_fn, state, batch_size, start_id, end_id, max_length, pad_id=PAD_ID)
    return tokens


def toy_decoder(rng, vocab=8, dim=5):
    """A small recurrent step function ``step(tokens, state) -> (log_probs, new_state, None)``.

    Its state is ``{"h": (N, dim), "t": (N,)}``; the end token grows more likely at every step,
    so rows end at different lengths; the padding id is never predicted.
    """
    embedding = rng.normal(size=(vocab, dim))
    recurrent = rng.normal(scale=0.8, size=(dim, dim))
    output = rng.normal(scale=1.5, size=(dim, vocab))

    def step(tokens, state):
        h = np.tanh(embedding[np.asarray(tokens)] + state["h"] @ recurrent)
        t = state["t"] + 1
        logits = h @ output
        logits[:, END_ID] += 0.5 * t
        logits[:, PAD_ID] = -1e9
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True)), {"h": h, "t": t}, None

    return step


def _decoding_cases(rng):
    batch = int(rng.integers(3, 7))
    return {"step_fn": toy_decoder(rng), "state": {"h": rng.normal(size=(batch, 5)), "t": np.zeros(batch)},
            "batch_size": batch, "start_id": START_ID, "end_id": END_ID, "max_length": int(rng.integers(5, 12))}


def _greedy_variant(step_fn, state, batch_size, start_id, end_id, max_length, pad=True, stop=True, feed=True):
    tokens = np.full(batch_size, start_id)
    done = np.zeros(batch_size, bool)
    out = []
    for _ in range(max_length):
        log_probs, state, _ = step_fn(tokens if feed else np.full(batch_size, start_id), state)
        tokens = np.asarray(log_probs).argmax(axis=-1)
        if pad:
            tokens[done] = PAD_ID
        out.append(tokens)
        done |= tokens == end_id
        if stop and done.all():
            break
    return np.stack(out, axis=1)


def _greedy_no_padding(step_fn, state, batch_size, start_id, end_id, max_length):
    return _greedy_variant(step_fn, state, batch_size, start_id, end_id, max_length, pad=False)


def _greedy_no_early_stop(step_fn, state, batch_size, start_id, end_id, max_length):
    return _greedy_variant(step_fn, state, batch_size, start_id, end_id, max_length, stop=False)


def _greedy_always_start(step_fn, state, batch_size, start_id, end_id, max_length):
    return _greedy_variant(step_fn, state, batch_size, start_id, end_id, max_length, feed=False)


# --- q4: the BLEU of one sentence -----------------------------------------------------------------


def sentence_bleu_unsmoothed(hypothesis, references):
    """The plain BLEU (0-100) of one sentence: sacrebleu's corpus BLEU of a corpus of one."""
    return corpus_bleu([hypothesis], [list(references)]).score


_BLEU_WORDS = ("le", "la", "chat", "chien", "est", "sur", "un", "une", "table", "petit", "noir", "dort", "ici",
               "très", "maison")


def _edited(tokens, rng, edits):
    tokens = list(tokens)
    for _ in range(edits):
        kind, k = rng.random(), int(rng.integers(0, len(tokens)))
        if kind < 0.3 and len(tokens) > 5:
            del tokens[k]
        elif kind < 0.55:
            tokens.insert(k, str(rng.choice(_BLEU_WORDS)))
        elif kind < 0.75:
            tokens.insert(k, tokens[k])  # a repeated word: clipping matters
        else:
            tokens[k] = str(rng.choice(_BLEU_WORDS))
    return tokens


def _bleu_cases(rng):
    while True:  # every n-gram order has a match: no smoothing question, the plain formula is sacrebleu's
        base = [str(w) for w in rng.choice(_BLEU_WORDS, size=int(rng.integers(6, 11)))]
        references = [base] + [_edited(base, rng, int(rng.integers(1, 4))) for _ in range(int(rng.integers(0, 2)))]
        if rng.random() < 0.6:  # a short reference: the closest length is then not always the shortest
            references.append(base[:-3])
        hypothesis = _edited(base, rng, int(rng.integers(1, 4)))
        if min(_clipped_matches(hypothesis, references, n) for n in range(1, 5)) > 0:
            return {"hypothesis": " ".join(hypothesis), "references": [" ".join(r) for r in references]}


def _counts(tokens, n):
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _clipped_matches(hyp, refs, n):
    best = collections.Counter()
    for r in refs:
        best |= _counts(r, n)
    return sum(min(c, best[g]) for g, c in _counts(hyp, n).items())


def _bleu_variant(hypothesis, references, clip=True, closest=True, brevity=True, geometric=True, scale=100.0):
    hyp, refs = hypothesis.split(), [r.split() for r in references]
    precisions = []
    for n in range(1, 5):
        counts = _counts(hyp, n)
        best = collections.Counter()
        for r in refs:
            best |= _counts(r, n)
        matches = sum(min(c, best[g]) if clip else c * (best[g] > 0) for g, c in counts.items())
        precisions.append(matches / max(len(hyp) - n + 1, 1))
    if geometric:
        mean = 0.0 if min(precisions) == 0 else math.exp(sum(math.log(p) for p in precisions) / 4)
    else:
        mean = sum(precisions) / 4
    r = min((abs(len(x) - len(hyp)), len(x)) for x in refs)[1] if closest else min(len(x) for x in refs)
    bp = 1.0 if (len(hyp) > r or not brevity) else math.exp(1 - r / len(hyp))
    return scale * bp * mean


def _bleu_unclipped(hypothesis, references):
    return _bleu_variant(hypothesis, references, clip=False)


def _bleu_shortest_reference(hypothesis, references):
    return _bleu_variant(hypothesis, references, closest=False)


def _bleu_no_brevity_penalty(hypothesis, references):
    return _bleu_variant(hypothesis, references, brevity=False)


def _bleu_arithmetic_mean(hypothesis, references):
    return _bleu_variant(hypothesis, references, geometric=False)


def _bleu_unit_scale(hypothesis, references):
    return _bleu_variant(hypothesis, references, scale=1.0)


def _drop_last_word(hypothesis, rng):
    words = hypothesis.split()
    return " ".join(words[:-1]) if len(words) > 4 else hypothesis + " ici"


EXERCISES = [
    FunctionExercise(
        "Scores of additive attention", additive_scores, _score_cases,
        hints=["Project first: `q = query @ query_kernel` is (batch, Tq, units), `k = keys @ key_kernel` is "
               "(batch, Tv, units).",
               "Broadcast to every pair (i, j): `q[:, :, None, :] + k[:, None, :, :]` is (batch, Tq, Tv, units); "
               "take `np.tanh` and the dot product with `score_vector` over the last axis."],
        prose="Project the query and the keys, add every pair, squash with tanh, score with v: "
              "`BahdanauAttention.scores`.",
        rtol=1e-4, atol=1e-5, solution_objects=(additive_scores, BahdanauAttention.scores),
        mistakes=[(_scores_without_tanh, "the scoring net has a tanh between the projections and v."),
                  (_scores_keys_first, "one row per query (decoder step): the scores have shape "
                                       "(batch, Tq, Tv), keys on the last axis.")]),
    FunctionExercise(
        "Attention weights and context", additive_attention, _attention_cases,
        hints=["Scores as in q1; padded keys (`keys_mask` False) get a very negative score (e.g. -1e9) "
               "before the softmax, which runs over the keys (the last axis).",
               "Return `(weights @ keys, weights)`: the context averages the keys themselves (the encoder "
               "states), and a padded key's weight is 0."],
        prose="Mask the padded keys, softmax over the keys, average the keys with those weights: "
              "`BahdanauAttention`, equal to Keras's `AdditiveAttention` fed the two projections.",
        rtol=1e-4, atol=1e-5, output_names=("context", "weights"),
        solution_objects=(additive_attention, BahdanauAttention.call),
        mistakes=[(_attention_unmasked, "padded keys must get weight 0: give their scores a very negative value "
                                        "before the softmax."),
                  (_attention_over_queries, "the softmax runs over the keys (the last axis): each query's "
                                            "weights sum to 1."),
                  (_attention_projected_values, "the context averages the keys themselves (the encoder states), "
                                                "not their projections.")],
        perturb={"keys_mask": lambda mask, rng: _keys_mask(rng, *mask.shape)}),
    FunctionExercise(
        "Greedy decoding", greedy_tokens, _decoding_cases,
        hints=["Start with `tokens = np.full(batch_size, start_id)`; at each step `log_probs, state, _ = "
               "step_fn(tokens, state)` and the next tokens are `log_probs.argmax(axis=-1)`.",
               "Keep a boolean `done` per row: once a row has produced `end_id`, write 0 (padding) for it; stop "
               "as soon as every row is done, or after `max_length` steps. Return the tokens as an integer array "
               "(batch_size, steps)."],
        prose="Feed each row its own last word, write padding after its end token, stop when all have ended: "
              "`models.greedy_decode`.",
        solution_objects=(greedy_tokens, greedy_decode),
        mistakes=[(_greedy_no_padding, "after a row has produced the end token, write the padding id 0 for it at "
                                       "every later step."),
                  (_greedy_no_early_stop, "stop as soon as every row has produced the end token: the result is "
                                          "only as long as the longest translation."),
                  (_greedy_always_start, "feed each row the token it produced at the previous step, not the start "
                                         "token every time.")],
        perturb={"max_length": lambda m, rng: max(1, m - 3)}),
    FunctionExercise(
        "BLEU of one sentence", sentence_bleu_unsmoothed, _bleu_cases,
        hints=["Split on spaces. For n = 1..4, the clipped precision: each n-gram of the hypothesis counts at most "
               "as often as it appears in a single reference (the largest count over the references), divided by "
               "the number of n-grams of the hypothesis.",
               "BLEU = 100 * BP * exp(mean of the four log precisions). "
               "BP = 1 if the hypothesis is longer than r, else exp(1 - r / c), with c its length and r the "
               "length of the reference closest to c (the shorter one on a tie)."],
        prose="Clipped n-gram precisions, their geometric mean, a brevity penalty: what sacrebleu computes "
              "(`bleu.corpus_bleu` of a one-sentence corpus).",
        rtol=1e-6, atol=1e-6, solution_objects=(sentence_bleu_unsmoothed, teaching_corpus_bleu),
        mistakes=[(_bleu_unclipped, "clip the counts: an n-gram matches at most as often as it appears in a "
                                    "reference, so repeating a right word earns nothing."),
                  (_bleu_shortest_reference, "the brevity penalty uses the reference length closest to the "
                                             "hypothesis's (the shorter one on a tie), not the shortest."),
                  (_bleu_no_brevity_penalty, "a hypothesis shorter than its closest reference pays the brevity "
                                             "penalty exp(1 - r / c)."),
                  (_bleu_arithmetic_mean, "combine the four precisions by their geometric mean "
                                          "(exp of the mean of their logs), not the arithmetic mean."),
                  (_bleu_unit_scale, "BLEU is reported on a 0-100 scale: multiply by 100.")],
        perturb={"hypothesis": _drop_last_word}),
    ChoiceExercise(
        "Self-attention against a recurrent layer", "13-attention-cost",
        "9323c1a41a418abbdc7d72102aaea525fcf93214696d2bfa92a9984701e8a8a9",
        hints=["Self-attention compares every pair of positions: about n^2 d multiply-adds per layer; a recurrent "
               "layer multiplies a d-vector by a d x d matrix at each of n steps: about n d^2.",
               "Put in n = 20 tokens and d = 128 units. Which of the two must run its steps one after the other?"],
        explanation=("**(b)** n^2 d = 20 x 20 x 128 = 51,200 against n d^2 = 20 x 128 x 128 = 327,680: for sentences "
                     "shorter than the width d, self-attention does *fewer* operations, and all n positions are "
                     "computed at once, whereas the recurrent layer must wait for h_{t-1}. For long inputs "
                     "(n > d) the n^2 term makes self-attention the more expensive one: the Transformer does not "
                     "lower the complexity in general; it removes the chain of n sequential steps."),
        choices={"a": "the recurrent layer: fewer operations, but its steps run one after the other",
                 "b": "self-attention: fewer operations here (n < d), and its positions run in parallel",
                 "c": "self-attention: more operations, but its positions run in parallel",
                 "d": "the same number of operations: only the parallelism differs"},
        prose="Count n^2 d against n d^2, then ask which one waits for its previous step."),
]
