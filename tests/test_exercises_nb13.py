"""Notebook 13's exercises: each reference passes, known-wrong answers (mutants) fail with a
message that does not give the reference's values away, and the notebook's stubs are "not attempted"."""

import collections
import math

import numpy as np
import pytest

from dlcourse_keras.bleu import corpus_bleu
from dlcourse_keras.course.exercises import exercises, nb13
from dlcourse_keras.course.exercises.kinds import ChoiceExercise
from dlcourse_keras.models import greedy_decode
from exercise_checks import (assert_fails, assert_not_attempted, assert_notebook_layout, assert_passes,
                             expected_texts, notebook_stubs, reference_value)

EX = exercises("13")


def test_there_are_at_least_four_exercises_most_of_them_code():
    assert len(EX) >= 4
    assert sum(not isinstance(e, ChoiceExercise) for e in EX) >= len(EX) / 2 + 1


def test_the_notebook_section_follows_the_design():
    assert_notebook_layout("13")


def test_every_stub_in_the_notebook_is_not_attempted():
    stubs = notebook_stubs("13")
    assert sorted(stubs) == list(range(1, len(EX) + 1))
    for k, stub in stubs.items():
        assert_not_attempted(EX[k], stub)


# --- answers a student could write ----------------------------------------------------------------


def attention_scores(query, keys, query_kernel, key_kernel, score_vector):
    return np.tanh((query @ query_kernel)[:, :, None, :] + (keys @ key_kernel)[:, None, :, :]) @ score_vector


def attention(query, keys, keys_mask, query_kernel, key_kernel, score_vector):
    scores = np.where(keys_mask[:, None, :], attention_scores(query, keys, query_kernel, key_kernel, score_vector),
                      -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ keys, weights


def greedy(step_fn, state, batch_size, start_id, end_id, max_length):
    tokens, done, out = np.full(batch_size, start_id), np.zeros(batch_size, bool), []
    for _ in range(max_length):
        log_probs, state, _ = step_fn(tokens, state)
        tokens = np.where(done, 0, np.asarray(log_probs).argmax(axis=-1))
        out.append(tokens)
        done |= tokens == end_id
        if done.all():
            break
    return np.stack(out, axis=1)


def bleu(hypothesis, references):
    hyp, refs = hypothesis.split(), [r.split() for r in references]
    logs = []
    for n in range(1, 5):
        grams = collections.Counter(tuple(hyp[i:i + n]) for i in range(len(hyp) - n + 1))
        most = collections.Counter()
        for r in refs:
            most |= collections.Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1))
        logs.append(math.log(sum(min(c, most[g]) for g, c in grams.items()) / (len(hyp) - n + 1)))
    r = min((abs(len(x) - len(hyp)), len(x)) for x in refs)[1]
    return 100 * (1.0 if len(hyp) > r else math.exp(1 - r / len(hyp))) * math.exp(sum(logs) / 4)


REFERENCES = {
    1: attention_scores,
    2: attention,
    3: greedy,
    4: bleu,
    5: "b",
}


@pytest.mark.parametrize("k", sorted(REFERENCES))
def test_the_reference_passes(k):
    assert_passes(EX[k], REFERENCES[k])


def test_the_package_references_pass():
    assert_passes(EX.q1, nb13.additive_scores)
    assert_passes(EX.q2, nb13.additive_attention)
    assert_passes(EX.q3, nb13.greedy_tokens)
    assert_passes(EX.q4, nb13.sentence_bleu_unsmoothed)


def test_the_decoding_cases_end_rows_at_different_steps():
    rng = EX.q3.rng()
    ragged = 0
    for _ in range(EX.q3.n_cases):
        case = EX.q3.cases(rng)
        tokens, _ = greedy_decode(*case.values())
        ragged += int(len(set((tokens == 0).sum(axis=1))) > 1)  # rows padded by different amounts
    assert ragged >= 2


def test_the_bleu_cases_have_a_match_of_every_order_and_agree_with_the_written_out_formula():
    rng = EX.q4.rng()
    for _ in range(20):
        case = EX.q4.cases(rng)
        assert math.isclose(bleu(*case.values()), corpus_bleu([case["hypothesis"]], [case["references"]]).score,
                            rel_tol=1e-9)


# --- mutants ---------------------------------------------------------------------------------------


def _attention_swapped(*args):
    context, weights = attention(*args)
    return weights, context


MUTANTS = {  # k: [(mutant, text the message must contain or None), ...]
    1: [(nb13._scores_without_tanh, "tanh"),
        (nb13._scores_keys_first, "(batch, Tq, Tv)"),
        (lambda q, k, wq, wk, v: attention_scores(q, k, wq, wk, np.ones_like(v)), "`score_vector` changes")],
    2: [(nb13._attention_unmasked, "weight 0"),
        (nb13._attention_over_queries, "last axis"),
        (nb13._attention_projected_values, "not their projections"),
        (_attention_swapped, "(context)")],
    3: [(nb13._greedy_no_padding, "padding id 0"),
        (nb13._greedy_no_early_stop, "stop as soon as"),
        (nb13._greedy_always_start, "not the start token"),
        (lambda s, st, n, a, e, m: greedy(s, st, n, a, e, 30), "`max_length` changes: is it ignored?")],
    4: [(nb13._bleu_unclipped, "clip the counts"),
        (nb13._bleu_shortest_reference, "brevity penalty"),
        (nb13._bleu_no_brevity_penalty, "brevity penalty"),
        (nb13._bleu_arithmetic_mean, "geometric mean"),
        (nb13._bleu_unit_scale, "0-100 scale")],
    5: [("a", "not the right choice"), ("c", "not the right choice"), ("e", "not one of the choices")],
}


def _hidden(k):
    if k in (1, 2, 4):
        return expected_texts(reference_value(EX[k]))
    if k == 5:
        return {"(b)", "'b'", " b "}
    return set()


@pytest.mark.parametrize("k", sorted(MUTANTS))
def test_mutants_fail_without_revealing_the_answer(k):
    assert len(MUTANTS[k]) >= 2
    hidden = _hidden(k)
    for mutant, contains in MUTANTS[k]:
        assert_fails(EX[k], mutant, hides=hidden, contains=contains)


def test_a_raising_answer_fails_only_its_check():
    def broken(hypothesis, references):
        raise ZeroDivisionError("division by zero")

    result = EX.q4.check(broken)
    assert result.status == "failed" and "ZeroDivisionError" in result.message


def test_hints_and_solutions_render():
    for e in EX:
        assert e.hints and "Hint 1 of" in repr(e.hint())
        text = repr(e.solution())
        assert text.startswith(f"Solution to {e.question}") and len(text) > 60
    assert "def greedy_tokens" in repr(EX.q3.solution()) and "def greedy_decode" in repr(EX.q3.solution())
    assert "def scores" in repr(EX.q1.solution()) and "def call" in repr(EX.q2.solution())
