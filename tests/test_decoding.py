"""Greedy decoding and beam search on toy models whose best answers are known."""

import itertools

import numpy as np
import pytest

from dlcourse_keras.models.decoding import beam_search, greedy_decode

PAD, START, END = 0, 1, 2


def markov_step(table):
    """A one-step model whose next-token distribution depends only on the last token.

    ``table[i]`` holds the log-probabilities per input row ``i`` of each next token given
    the previous one: shape (N, V, V). The state carries the row index.
    """
    def step(tokens, state):
        row = state["row"]
        return table[row, tokens], {"row": row}, np.eye(3)[row % 3]
    return step


def _log(p):
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(p, dtype="float64"))


def trap_table():
    # tokens: 0 pad, 1 start, 2 end, 3 "A", 4 "B"
    table = np.full((5, 5), 1e-12)
    table[START] = [0, 0, 0, 0.6, 0.4]        # A looks better at first ...
    table[3] = [0, 0, 0.3, 0.4, 0.3]          # ... but after A nothing is likely
    table[4] = [0, 0, 0.9, 0.05, 0.05]        # after B the sentence ends with p 0.9
    table[END] = table[PAD] = [1, 0, 0, 0, 0]
    return _log(table / table.sum(1, keepdims=True))[None]


def test_greedy_falls_into_the_trap_and_beam_does_not():
    table = trap_table()
    step = markov_step(table)
    greedy, extras = greedy_decode(step, {"row": np.zeros(1, int)}, 1, START, END, max_length=5)
    assert greedy.tolist() == [[3, 3, 3, 3, 3]]              # A A A A A: never ends
    assert extras.shape == (1, 5, 3)
    best, _, score = beam_search(step, {"row": np.zeros(1, int)}, 1, START, END, max_length=5,
                                 beam_width=2, length_penalty=0.0)
    assert best[0].tolist()[:2] == [4, END]                  # B <end>, p = 0.36
    assert score[0] == pytest.approx(np.log(0.4 * 0.9), rel=1e-6)
    width1, _, _ = beam_search(step, {"row": np.zeros(1, int)}, 1, START, END, 5, beam_width=1)
    assert width1[0].tolist() == greedy[0].tolist()          # width 1 is greedy


def brute_force(table_row, max_length, alpha):
    """Best normalised score over every sequence: ended by END, or cut at max_length."""
    vocab = table_row.shape[0]
    best, best_seq = -np.inf, None
    for length in range(1, max_length + 1):
        for seq in itertools.product(range(2, vocab), repeat=length):
            if END in seq[:-1]:
                continue
            if length < max_length and seq[-1] != END:
                continue
            prev, total = START, 0.0
            for tok in seq:
                total += table_row[prev, tok]
                prev = tok
            score = total / length ** alpha
            if score > best:
                best, best_seq = score, seq
    return best, best_seq


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_wide_beam_is_exact_and_batch_rows_are_independent(alpha):
    rng = np.random.default_rng(7)
    n, vocab, max_length = 3, 5, 3
    probs = rng.dirichlet(np.ones(vocab - 2) * 0.7, size=(n, vocab))
    table = np.zeros((n, vocab, vocab))
    table[:, :, 2:] = probs
    table[:, END] = table[:, PAD] = 0
    table[:, END, PAD] = table[:, PAD, PAD] = 1
    table = _log(table)
    step = markov_step(table)
    state = {"row": np.arange(n)}
    tokens, extras, scores = beam_search(step, state, n, START, END, max_length,
                                         beam_width=40, length_penalty=alpha)
    assert extras.shape[:2] == tokens.shape
    for i in range(n):
        best, seq = brute_force(table[i], max_length, alpha)
        assert scores[i] == pytest.approx(best, rel=1e-9)
        got = [t for t in tokens[i].tolist() if t != PAD]
        assert tuple(got) == seq
        # the same row decoded alone gives the same answer
        alone, _, _ = beam_search(markov_step(table[i:i + 1]), {"row": np.zeros(1, int)}, 1,
                                  START, END, max_length, beam_width=40, length_penalty=alpha)
        assert alone[0].tolist() == tokens[i].tolist()
    # extras follow the row they came from
    np.testing.assert_array_equal(extras[:, 0].argmax(-1), np.arange(n) % 3)


def test_greedy_pads_after_end_and_stops_early():
    table = trap_table()
    table[0, START] = _log([1e-9, 1e-9, 1e-9, 1e-9, 1.0])    # start -> B -> END
    tokens, _ = greedy_decode(markov_step(table), {"row": np.zeros(1, int)}, 1, START, END, 9)
    assert tokens.tolist() == [[4, END]]


@pytest.mark.parametrize("kwargs, name", [({"beam_width": 0}, "beam_width"),
                                          ({"max_length": 1.5}, "max_length"),
                                          ({"length_penalty": float("nan")}, "length_penalty"),
                                          ({"length_penalty": -1.0}, "length_penalty")])
def test_bad_arguments(kwargs, name):
    args = {"max_length": 3, **kwargs}
    with pytest.raises(ValueError, match=name):
        beam_search(markov_step(trap_table()), {"row": np.zeros(1, int)}, 1, START, END, **args)


def tie_step(vocab=40, tied=(5, 20, 31)):
    """Every step: the tokens in ``tied`` share the best float32 log-probability exactly."""
    row = np.full(vocab, np.log(np.float32(0.1) / (vocab - len(tied))), dtype="float32")
    row[list(tied)] = np.log(np.float32(0.3))

    def step(tokens, state):
        return np.tile(row, (len(tokens), 1)), state, None
    return step


def test_width_one_breaks_exact_ties_like_greedy():
    """argpartition picked any of the tied tokens, argmax the lowest: width 1 differed from greedy."""
    step = tie_step()
    greedy, _ = greedy_decode(step, {"row": np.zeros(1, int)}, 1, START, END, max_length=3)
    beam, _, _ = beam_search(step, {"row": np.zeros(1, int)}, 1, START, END, 3, beam_width=1)
    assert greedy.tolist() == [[5, 5, 5]] and beam.tolist() == greedy.tolist()
    for width in (2, 3):   # of equal scores the lowest token wins, at the cut and in the final pick
        best, _, _ = beam_search(step, {"row": np.zeros(1, int)}, 1, START, END, 1, beam_width=width)
        assert best.tolist() == [[5]]


def test_width_one_equals_greedy_on_random_tables_full_of_ties():
    rng = np.random.default_rng(0)
    levels = np.log(np.array([0.1, 0.2, 0.3], dtype="float32"))
    for _ in range(100):
        vocab, n = int(rng.integers(3, 40)), int(rng.integers(1, 4))
        table = rng.choice(levels, size=(n, vocab, vocab)).astype("float32")
        step = lambda tokens, state, table=table: (table[state["row"], tokens], state, None)
        greedy, _ = greedy_decode(step, {"row": np.arange(n)}, n, START, END, 4)
        beam, _, _ = beam_search(step, {"row": np.arange(n)}, n, START, END, 4, beam_width=1)
        np.testing.assert_array_equal(beam, greedy)


def _decoders():
    return {"greedy": lambda step, state, n, **kw: greedy_decode(step, state, n, **kw),
            "beam": lambda step, state, n, **kw: beam_search(step, state, n, beam_width=2, **kw)}


@pytest.mark.parametrize("decoder", ["greedy", "beam"])
@pytest.mark.parametrize("change, message", [
    ({"end_id": 40}, r"end_id=40 is outside the vocabulary \(ids 0 to 39\)"),
    ({"pad_id": 99}, r"pad_id=99 is outside the vocabulary"),
    ({"start_id": -1}, r"start_id=-1 must be an integer >= 0"),
    ({"end_id": 2.0}, r"end_id=2.0 must be an integer >= 0"),
    ({"n": 2}, r"state\['row'\] has 1 rows; every array of the state needs batch_size=2"),
])
def test_ids_and_batch_size_are_checked(decoder, change, message):
    kwargs = {"start_id": START, "end_id": END, "max_length": 3, **change}
    n = kwargs.pop("n", 1)
    with pytest.raises(ValueError, match=message):
        _decoders()[decoder](tie_step(), {"row": np.zeros(1, int)}, n, **kwargs)


@pytest.mark.parametrize("decoder", ["greedy", "beam"])
def test_log_probabilities_must_be_finite_or_minus_inf_with_one_row_per_sequence(decoder):
    def nan_step(tokens, state):
        out = np.zeros((len(tokens), 6))
        out[:, 4] = np.nan
        return out, state, None

    with pytest.raises(ValueError, match=r"NaN or \+inf log-probabilities at step 1"):
        _decoders()[decoder](nan_step, {"row": np.zeros(2, int)}, 2, start_id=START, end_id=END,
                             max_length=3)

    def short_step(tokens, state):
        return np.zeros((1, 6)), state, None

    with pytest.raises(ValueError, match=r"log_probs of shape \(1, 6\) at step 1; expected \(.*, vocabulary\)"):
        _decoders()[decoder](short_step, {"row": np.zeros(2, int)}, 2, start_id=START, end_id=END,
                             max_length=3)
    # -inf is a legal log-probability (an impossible token)
    minus_inf = lambda tokens, state: (np.where(np.arange(6) == END, 0.0, -np.inf)[None].repeat(len(tokens), 0),
                                       state, None)
    out = _decoders()[decoder](minus_inf, {"row": np.zeros(2, int)}, 2, start_id=START, end_id=END, max_length=3)
    assert [[t for t in row if t != PAD] for row in out[0].tolist()] == [[END], [END]]
