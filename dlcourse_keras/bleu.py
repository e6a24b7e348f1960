"""BLEU, the standard score of machine translation, through ``sacrebleu``.

Corpus BLEU (Papineni et al. 2002) compares n-grams of the system's output with those
of one or more human references::

    p_n  = sum over sentences of clipped n-gram matches / sum of hypothesis n-grams
    BP   = 1 if c > r else exp(1 - r / c)   (c: hypothesis length, r: closest reference length)
    BLEU = 100 * BP * exp(sum_{n=1..4} log(p_n) / 4)

"Clipped" means an n-gram counts at most as often as it appears in one reference.
When some order has no match at all, ``p_n = 0`` would make the score 0; sacrebleu's
default ``exp`` smoothing (NIST's mteval-v13a, method 3 of Chen and Cherry 2014) counts
the k-th such order as ``p_n = 1 / (2^k * hypothesis n-grams)`` instead.
The scores come from ``sacrebleu`` with its ``13a`` tokenisation, so they compare with
published ones; :func:`teaching_corpus_bleu` is the formula above written out, tested
equal to ``sacrebleu``. Taught in notebook 13 (translation).
"""

import collections
import math

from ._texts import check_texts
from .validation import check_bool, check_int

DEFAULT_TOKENIZE = "13a"
SMOOTH_METHODS = ("exp", "none")


def _check_pairs(hypotheses, references):
    hypotheses = check_texts(hypotheses, "hypotheses", allow_empty=True)
    if isinstance(references, str) or not hasattr(references, "__len__"):
        raise ValueError(f"references={references!r:.60} must be a list with one entry per hypothesis.")
    if len(references) != len(hypotheses):
        raise ValueError(f"references has {len(references)} entries, hypotheses {len(hypotheses)};"
                         " they must match (one list of references per hypothesis).")
    refs = [[r] if isinstance(r, str) else list(r) for r in references]
    for i, r in enumerate(refs):
        if not r or not all(isinstance(x, str) for x in r):
            raise ValueError(f"references[{i}]={references[i]!r} must be a string or a non-empty "
                             "list of strings.")
    return hypotheses, refs


def _streams(refs):
    """Per-hypothesis reference lists -> sacrebleu's reference streams (None pads)."""
    width = max(len(r) for r in refs)
    return [[r[k] if k < len(r) else None for r in refs] for k in range(width)]


def _metric(lowercase, sentence=False):
    from sacrebleu.metrics import BLEU

    # force=True only silences sacrebleu's "forgot to detokenize?" warning, which fires on
    # outputs that end in " ." as our translator writes them; 13a splits the period off
    # anyway, so the score and the signature are the same.
    lowercase = check_bool("lowercase", lowercase)
    if sentence:
        return BLEU(lowercase=lowercase, tokenize=DEFAULT_TOKENIZE, effective_order=True,
                    smooth_method="exp", force=True)
    return BLEU(lowercase=lowercase, tokenize=DEFAULT_TOKENIZE, force=True)


def corpus_bleu(hypotheses, references, lowercase=False):
    """Corpus BLEU (0-100) of ``hypotheses`` against one or several references each.

    Args:
        hypotheses: list of system outputs (strings).
        references: one entry per hypothesis: a string, or a list of strings when a
            source has several correct translations (their number may vary).
        lowercase: compare case-insensitively. Default False.

    Returns:
        ``sacrebleu``'s ``BLEUScore`` (``.score``, ``.precisions``, ``.bp``,
        ``.sys_len``, ``.ref_len``) with one more attribute, ``.signature``: sacrebleu's
        signature of the settings (references per sentence, case, tokeniser, smoothing,
        version), to cite with the score.

    Example:

    >>> corpus_bleu(["the cat sat on the mat"], [["the cat sat on the mat", "a cat sat"]]).score
    100.00000000000004
    """
    hypotheses, refs = _check_pairs(hypotheses, references)
    metric = _metric(lowercase)
    score = metric.corpus_score(hypotheses, _streams(refs))
    score.signature = str(metric.get_signature())
    return score


def sentence_bleu(hypothesis, references, lowercase=False):
    """Smoothed BLEU (0-100) of one sentence (exponential smoothing, effective order).

    Plain BLEU of a short sentence is often 0 (no matching 4-gram); smoothing makes the
    number usable for reading single examples. Do not average it into a corpus score.

    Args:
        hypothesis: one system output.
        references: a string or a list of strings.
        lowercase: compare case-insensitively. Default False.

    Example:

    >>> round(sentence_bleu("il est grand .", ["il est très grand ."]), 1) > 0
    True
    """
    if not isinstance(hypothesis, str):
        raise ValueError(f"hypothesis={hypothesis!r:.60} must be a string.")
    _, refs = _check_pairs([hypothesis], [references])
    return _metric(lowercase, sentence=True).sentence_score(hypothesis, refs[0]).score


def _ngrams(tokens, n):
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def teaching_corpus_bleu(hypotheses, references, lowercase=False, max_order=4, smooth_method="exp"):
    """Corpus BLEU written out from the formula (teaching version of :func:`corpus_bleu`).

    Tokenises with sacrebleu's ``13a`` tokenizer (the tokeniser is not the lesson), then
    sums clipped n-gram matches over the corpus, takes the closest reference length per
    sentence for the brevity penalty, and combines the ``max_order`` precisions by a
    geometric mean. With ``smooth_method="exp"`` (sacrebleu's default) the k-th order
    without any match counts as ``1 / (2^k * its n-grams)`` rather than 0; with ``"none"``
    one such order makes the score 0. An order with no n-gram at all in the hypotheses
    (every hypothesis shorter than n) makes it 0 either way, as in sacrebleu.

    Args:
        hypotheses, references, lowercase: as in :func:`corpus_bleu`.
        max_order: longest n-gram, an int >= 1. Default 4.
        smooth_method: ``"exp"`` or ``"none"``. Default ``"exp"``.

    Returns:
        dict with ``score`` (0-100), ``precisions`` (percent, one per order, smoothed
        where smoothing applied), ``bp``, ``sys_len`` and ``ref_len``.

    Example:

    >>> round(teaching_corpus_bleu(["a b c d"], [["a b c d"]])["score"], 6)
    100.0
    >>> round(teaching_corpus_bleu(["le chat est sur le tapis rouge"],
    ...                            ["un chien dort sur le tapis bleu"])["score"], 2)
    24.45
    """
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    hypotheses, refs = _check_pairs(hypotheses, references)
    lowercase = check_bool("lowercase", lowercase)
    max_order = check_int("max_order", max_order, low=1)
    if smooth_method not in SMOOTH_METHODS:
        raise ValueError(f"smooth_method={smooth_method!r} must be 'exp' or 'none'.")
    tokenize = Tokenizer13a()
    prep = lambda s: tokenize(s.lower() if lowercase else s).split()
    matches, totals = [0] * max_order, [0] * max_order
    sys_len = ref_len = 0
    for hyp, ref_list in zip(hypotheses, refs):
        h = prep(hyp)
        rs = [prep(r) for r in ref_list]
        sys_len += len(h)
        # closest reference length; on a tie the shorter one
        ref_len += min((abs(len(r) - len(h)), len(r)) for r in rs)[1]
        for n in range(1, max_order + 1):
            hyp_counts = _ngrams(h, n)
            best = collections.Counter()
            for r in rs:
                best |= _ngrams(r, n)   # max count of each n-gram over the references
            matches[n - 1] += sum(min(c, best[g]) for g, c in hyp_counts.items())
            totals[n - 1] += max(len(h) - n + 1, 0)
    precisions = [0.0] * max_order     # percent
    log_sum = -math.inf                # no match at any order: BLEU 0
    if any(matches):
        log_sum, unmatched = 0.0, 0
        for n, (m, t) in enumerate(zip(matches, totals)):
            if t == 0:                 # no n-gram this long in the hypotheses: BLEU 0
                log_sum = -math.inf
                break
            if m > 0:
                precisions[n] = 100.0 * m / t
            elif smooth_method == "exp":
                unmatched += 1         # the k-th order without a match: 1 / (2^k t)
                precisions[n] = 100.0 / (2 ** unmatched * t)
            if precisions[n] == 0.0:
                log_sum = -math.inf
            else:
                log_sum += math.log(precisions[n])
    bp = 1.0 if sys_len > ref_len else (math.exp(1 - ref_len / sys_len) if sys_len else 0.0)
    score = bp * math.exp(log_sum / max_order) if log_sum > -math.inf else 0.0
    return {"score": score, "precisions": precisions, "bp": bp, "sys_len": sys_len, "ref_len": ref_len}
