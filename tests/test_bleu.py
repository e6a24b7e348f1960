"""BLEU through sacrebleu, and the teaching version equal to it."""

import numpy as np
import pytest
import sacrebleu

from dlcourse_keras.bleu import corpus_bleu, sentence_bleu, teaching_corpus_bleu

WORDS = "le la un chat chien est petit grand sur tapis . ! il elle mange dort".split()


def _random_corpus(seed, n=40):
    rng = np.random.default_rng(seed)
    sentence = lambda: " ".join(rng.choice(WORDS, size=rng.integers(1, 9)))
    refs = [[sentence() for _ in range(rng.integers(1, 4))] for _ in range(n)]
    # hypotheses that share some words with a reference, so precisions are not all 0
    hyps = []
    for r in refs:
        words = r[0].split()
        keep = words[: rng.integers(0, len(words) + 1)]
        hyps.append(" ".join(keep + list(rng.choice(WORDS, size=rng.integers(0, 4)))) or "le")
    return hyps, refs


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("lowercase", [False, True])
def test_matches_sacrebleu_with_variable_references(seed, lowercase):
    hyps, refs = _random_corpus(seed)
    if lowercase:
        hyps = [h.upper() if i % 3 == 0 else h for i, h in enumerate(hyps)]
    width = max(len(r) for r in refs)
    streams = [[r[k] if k < len(r) else None for r in refs] for k in range(width)]
    expected = sacrebleu.corpus_bleu(hyps, streams, lowercase=lowercase)
    ours = corpus_bleu(hyps, refs, lowercase=lowercase)
    teaching = teaching_corpus_bleu(hyps, refs, lowercase=lowercase)
    assert 0 < expected.score < 100
    assert ours.score == pytest.approx(expected.score, abs=1e-9)
    assert teaching["score"] == pytest.approx(expected.score, abs=1e-9)
    np.testing.assert_allclose(teaching["precisions"], expected.precisions, atol=1e-9)
    assert teaching["bp"] == pytest.approx(expected.bp)
    assert (teaching["sys_len"], teaching["ref_len"]) == (expected.sys_len, expected.ref_len)


def test_more_references_never_lower_the_score():
    hyps, refs = _random_corpus(5)
    single = corpus_bleu(hyps, [r[0] for r in refs]).score
    multi = corpus_bleu(hyps, refs).score
    assert multi >= single


def test_perfect_and_brevity():
    assert corpus_bleu(["a b c d e"], [["a b c d e"]]).score == pytest.approx(100)
    short = teaching_corpus_bleu(["a b c d"], [["a b c d e f g h"]])
    assert short["bp"] == pytest.approx(np.exp(1 - 8 / 4))
    assert corpus_bleu(["a b c d"], ["a b c d e f g h"]).score == pytest.approx(short["score"])


def test_signature_names_tokenizer_and_case():
    signature = corpus_bleu(["a b"], [["a b", "a c"]]).signature
    assert "tok:13a" in signature and "case:mixed" in signature and "nrefs:2" in signature
    assert "case:lc" in corpus_bleu(["a b"], ["a b"], lowercase=True).signature
    assert "nrefs:var" in corpus_bleu(["a b", "c"], [["a b", "a c"], ["c"]]).signature


def test_sentence_bleu_is_smoothed_and_matches_sacrebleu():
    hyp, refs = "il est grand .", ["il est très grand .", "il est immense ."]
    expected = sacrebleu.sentence_bleu(hyp, refs, smooth_method="exp")
    assert sentence_bleu(hyp, refs) == pytest.approx(expected.score)
    assert sentence_bleu(hyp, refs) > 0
    assert sentence_bleu("chat", "le chien dort .") < sentence_bleu(hyp, refs)


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="references"):
        corpus_bleu(["a", "b"], [["a"]])
    with pytest.raises(ValueError, match="references"):
        corpus_bleu(["a"], [[]])
    with pytest.raises(ValueError, match="hypotheses"):
        corpus_bleu("a b", ["a b"])


def test_teaching_bleu_smooths_like_sacrebleu_when_an_order_has_no_match():
    """No 4-gram matches: sacrebleu's default 'exp' smoothing gives 24.45, not 0."""
    hyp, ref = ["le chat est sur le tapis rouge"], [["un chien dort sur le tapis bleu"]]
    expected = sacrebleu.corpus_bleu(hyp, [[ref[0][0]]])
    ours = teaching_corpus_bleu(hyp, ref)
    assert round(expected.score, 2) == 24.45
    assert ours["score"] == pytest.approx(expected.score, abs=1e-9)
    np.testing.assert_allclose(ours["precisions"], expected.precisions, atol=1e-9)   # 12.5 = 100 / (2 * 4)
    unsmoothed = teaching_corpus_bleu(hyp, ref, smooth_method="none")
    assert unsmoothed["score"] == 0.0 == sacrebleu.corpus_bleu(hyp, [[ref[0][0]]], smooth_method="none").score


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("smooth_method", ["exp", "none"])
def test_teaching_bleu_equals_sacrebleu_on_small_random_corpora(seed, smooth_method):
    """One to three sentences: orders with no match (or no n-gram at all) are common."""
    rng = np.random.default_rng(seed)
    for _ in range(20):
        hyps, refs = _random_corpus(int(rng.integers(0, 10**6)), n=int(rng.integers(1, 4)))
        width = max(len(r) for r in refs)
        streams = [[r[k] if k < len(r) else None for r in refs] for k in range(width)]
        expected = sacrebleu.corpus_bleu(hyps, streams, smooth_method=smooth_method)
        ours = teaching_corpus_bleu(hyps, refs, smooth_method=smooth_method)
        assert ours["score"] == pytest.approx(expected.score, abs=1e-9), (hyps, refs)
        np.testing.assert_allclose(ours["precisions"], expected.precisions, atol=1e-9)


def test_teaching_bleu_arguments():
    assert teaching_corpus_bleu(["a b c d"], [["a b c d"]], max_order=np.int64(2))["score"] == pytest.approx(100)
    with pytest.raises(ValueError, match="max_order=0 must be an integer >= 1"):
        teaching_corpus_bleu(["a"], [["a"]], max_order=0)
    with pytest.raises(ValueError, match="smooth_method='floor' must be 'exp' or 'none'"):
        teaching_corpus_bleu(["a"], [["a"]], smooth_method="floor")
    with pytest.raises(ValueError, match="lowercase=1 must be True or False"):
        teaching_corpus_bleu(["a"], [["a"]], lowercase=1)
