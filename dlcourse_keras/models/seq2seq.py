"""An encoder-decoder (sequence-to-sequence) translator, with or without attention.

The encoder reads the source sentence ``x_1..x_S`` into hidden states ``h_1..h_S``; the
decoder is a language model of the target conditioned on them:

    p(y | x) = prod_t p(y_t | y_<t, x)

Without attention the decoder only sees the encoder's last state ``h_S`` (the fixed-length
summary, Sutskever et al. 2014 / Cho et al. 2014). With attention it also reads, at every
step ``t``, a context ``c_t = sum_j a_tj h_j`` from :class:`BahdanauAttention`, so it can
look back at any source word. Training uses teacher forcing: the decoder is fed the true
previous target word. Inference feeds back its own prediction, by greedy decoding or beam
search (:mod:`dlcourse_keras.models.decoding`).

Text goes through ``keras.layers.TextVectorization`` with
:func:`dlcourse_keras.text.standardize_text` (TF only: it uses ``tf.strings``); the text
helpers (vocabulary, tokenizing, the split by source) live in :mod:`dlcourse_keras.text`. Taught in notebook 13 (translation).
"""

import keras
import numpy as np

from ..layers.attention import BahdanauAttention
from ..text import detokenize, make_vectorizer, standardize_text
from .decoding import beam_search, greedy_decode

START, END = "[start]", "[end]"
_CELLS = ("gru", "lstm")


# ------------------------------------------------------------------ loss
def translation_loss():
    """Token cross-entropy from logits that ignores padding (id 0)."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer.")
    return value


# ------------------------------------------------------------------ model
@keras.saving.register_keras_serializable(package="dlcourse_keras")
class Seq2SeqTranslator(keras.Model):
    """Encoder-decoder translator: raw source strings in, target strings (and attention) out.

    Encoder: ``Embedding -> GRU/LSTM`` over the source. Decoder: ``Embedding -> GRU/LSTM``
    started from the encoder's final state, then (with attention) Bahdanau attention over
    the encoder outputs and a softmax layer that reads ``[s_t; c_t]``,
    ``p(y_t | .) = softmax(W_o [s_t; c_t] + b_o)``; without attention it reads ``s_t``.
    (An extra ``tanh(W_c [s_t; c_t])`` layer before the softmax, as in Luong et al.,
    made the attentive model learn far more slowly than the plain one at the small
    budgets of notebook 13, so the softmax reads the concatenation directly.) The decoder's RNN runs first and attends
    afterwards (Luong et al. 2015's ordering with Bahdanau's additive score), so teacher
    forcing trains all steps in one pass. Called on ``(source_ids, target_in_ids)`` it
    returns next-token logits; :meth:`translate` does the whole pipeline. The Keras twin
    is keras-io's ``lstm_seq2seq`` / ``neural_machine_translation_with_transformer``
    examples. Taught in notebook 13 (translation).

    Args:
        source_vocabulary: source tokens (without ``""``, ``"[UNK]"``), e.g. from
            :func:`build_vocabulary`.
        target_vocabulary: target tokens (``"[start]"`` and ``"[end]"`` are added).
        embedding_dim: size of the word embeddings. Default 128.
        units: RNN state size. Default 256.
        attention: use Bahdanau attention. Default True.
        attention_units: hidden size of the attention scorer. Default None (= ``units``).
        cell: ``"gru"`` or ``"lstm"``. Default ``"gru"``.
        max_source_length: source tokens read (longer inputs are cut). Default 16.
        max_target_length: most target words generated. Default 20.
        **kwargs: base ``Model`` arguments (``name``...).

    Example:

    >>> model = Seq2SeqTranslator(build_vocabulary(english, 6000), build_vocabulary(french, 8000))
    >>> model.compile("adam", translation_loss())
    >>> model.fit(*model.training_arrays(english, french), epochs=10)
    >>> model.translate(["I am cold."], method="beam")
    """

    def __init__(self, source_vocabulary, target_vocabulary, embedding_dim=128, units=256,
                 attention=True, attention_units=None, cell="gru", max_source_length=16,
                 max_target_length=20, **kwargs):
        super().__init__(**kwargs)
        for name, vocab in (("source_vocabulary", source_vocabulary),
                            ("target_vocabulary", target_vocabulary)):
            if isinstance(vocab, str) or not vocab or not all(isinstance(t, str) and t for t in vocab):
                raise ValueError(f"{name} must be a non-empty list of non-empty strings, "
                                 f"got {str(vocab)[:60]!r}.")
        if cell not in _CELLS:
            raise ValueError(f"cell={cell!r} must be one of {_CELLS}.")
        if not isinstance(attention, bool):
            raise ValueError(f"attention={attention!r} must be True or False.")
        self.embedding_dim = _positive_int("embedding_dim", embedding_dim)
        self.units = _positive_int("units", units)
        self.attention_units = None if attention_units is None else _positive_int(
            "attention_units", attention_units)
        self.max_source_length = _positive_int("max_source_length", max_source_length)
        self.max_target_length = _positive_int("max_target_length", max_target_length)
        self.use_attention = attention
        self.cell = cell
        self.source_vocabulary = [t for t in source_vocabulary if t not in ("", "[UNK]")]
        self.target_vocabulary = [t for t in target_vocabulary if t not in ("", "[UNK]", START, END)]

        target_tokens = [START, END] + self.target_vocabulary
        self.source_vectorizer = make_vectorizer(
            vocabulary=self.source_vocabulary, output_sequence_length=self.max_source_length,
            standardize=standardize_text)
        self.target_vectorizer = make_vectorizer(
            vocabulary=target_tokens, output_sequence_length=self.max_target_length + 2,
            standardize=standardize_text)
        self.target_tokens = ["", "[UNK]"] + target_tokens
        self.start_id, self.end_id = 2, 3

        rnn = keras.layers.GRU if cell == "gru" else keras.layers.LSTM
        self.source_embedding = keras.layers.Embedding(
            len(self.source_vocabulary) + 2, self.embedding_dim, mask_zero=True, name="source_embedding")
        self.encoder = rnn(self.units, return_sequences=True, return_state=True, name="encoder")
        self.target_embedding = keras.layers.Embedding(
            len(self.target_tokens), self.embedding_dim, mask_zero=True, name="target_embedding")
        self.decoder = rnn(self.units, return_sequences=True, return_state=True, name="decoder")
        if attention:
            self.attention = BahdanauAttention(self.attention_units or self.units, name="attention")
        self.project = keras.layers.Dense(len(self.target_tokens), name="project")
        # build every weight now, so a reloaded model can receive them
        dummy = np.ones((1, 2), dtype="int32")
        self((dummy, dummy))

    def build(self, input_shape=None):
        # the sub-layers build themselves in the first call (made at the end of __init__)
        self.built = True

    # --- the network
    def encode(self, source_ids):
        """Source ids ``(B, S)`` -> ``(outputs (B, S, units), states, mask (B, S))``."""
        mask = keras.ops.not_equal(source_ids, 0)
        result = self.encoder(self.source_embedding(source_ids), mask=mask)
        return result[0], list(result[1:]), mask

    def decode(self, target_in, states, encoder_outputs, source_mask):
        """One teacher-forced pass (or one step, with ``T = 1``) of the decoder.

        Returns ``(logits (B, T, V), new_states, attention weights (B, T, S) or None)``.
        """
        target_mask = keras.ops.not_equal(target_in, 0)
        result = self.decoder(self.target_embedding(target_in), initial_state=states,
                              mask=target_mask)
        outputs, new_states = result[0], list(result[1:])
        weights = None
        if self.use_attention:
            context, weights = self.attention([outputs, encoder_outputs],
                                              mask=[target_mask, source_mask])
            outputs = keras.ops.concatenate([outputs, context], axis=-1)   # softmax reads [s_t; c_t]
        return self.project(outputs), new_states, weights

    def call(self, inputs, training=False):
        source_ids, target_in = inputs
        encoder_outputs, states, source_mask = self.encode(source_ids)
        logits, _, _ = self.decode(target_in, states, encoder_outputs, source_mask)
        return logits

    # --- data
    def source_ids(self, texts):
        """Raw source strings -> int ids ``(N, max_source_length)``."""
        return keras.ops.convert_to_numpy(self.source_vectorizer(list(texts))).astype("int32")

    def training_arrays(self, sources, targets):
        """Teacher-forcing arrays: ``((source_ids, target_in), target_out)``.

        ``target_in`` is ``[start] y_1 .. y_T`` and ``target_out`` is ``y_1 .. y_T [end]``:
        the decoder learns to predict each next word from the true previous ones.
        """
        sources, targets = list(sources), list(targets)
        if len(sources) != len(targets):
            raise ValueError(f"{len(sources)} sources but {len(targets)} targets.")
        marked = [f"{START} {t} {END}" for t in targets]
        ids = keras.ops.convert_to_numpy(self.target_vectorizer(marked)).astype("int32")
        return (self.source_ids(sources), ids[:, :-1]), ids[:, 1:]

    # --- inference
    def _step_function(self):
        def step(tokens, state):
            logits, states, weights = self.decode(
                tokens[:, None].astype("int32"), [keras.ops.convert_to_tensor(s) for s in state["rnn"]],
                state["encoder_outputs"], state["source_mask"])
            log_probs = keras.ops.log_softmax(keras.ops.cast(logits[:, 0], "float32"), axis=-1)
            new_state = {"rnn": [keras.ops.convert_to_numpy(s) for s in states],
                         "encoder_outputs": state["encoder_outputs"],
                         "source_mask": state["source_mask"]}
            extra = None if weights is None else keras.ops.convert_to_numpy(weights[:, 0])
            return keras.ops.convert_to_numpy(log_probs), new_state, extra
        return step

    def translate(self, texts, method="greedy", beam_width=4, length_penalty=1.0,
                  max_length=None, batch_size=256, return_attention=False):
        """Translates raw source strings.

        Args:
            texts: list of source sentences.
            method: ``"greedy"`` or ``"beam"``. Default ``"greedy"``.
            beam_width: beams for ``"beam"``. Default 4.
            length_penalty: exponent of the length normalisation for ``"beam"``. Default 1.0.
            max_length: most target tokens. Default None (``max_target_length + 1``).
            batch_size: sentences decoded together. Default 256.
            return_attention: also return, per sentence, the weights ``(T_out, S)``
                over its source tokens (an attention model only). Default False.

        Returns:
            list of strings, or ``(strings, weights)`` with ``return_attention``.
        """
        if isinstance(texts, str):
            raise ValueError("texts must be a list of strings, not one string.")
        if method not in ("greedy", "beam"):
            raise ValueError(f"method={method!r} must be 'greedy' or 'beam'.")
        if return_attention and not self.use_attention:
            raise ValueError("return_attention=True needs a model built with attention=True.")
        batch_size = _positive_int("batch_size", batch_size)
        max_length = _positive_int("max_length", max_length or self.max_target_length + 1)
        texts = list(texts)
        step = self._step_function()
        sentences, attention = [], []
        for begin in range(0, len(texts), batch_size):
            ids = self.source_ids(texts[begin:begin + batch_size])
            encoder_outputs, states, mask = self.encode(ids)
            state = {"rnn": [keras.ops.convert_to_numpy(s) for s in states],
                     "encoder_outputs": keras.ops.convert_to_numpy(encoder_outputs),
                     "source_mask": keras.ops.convert_to_numpy(mask)}
            if method == "greedy":
                tokens, extras = greedy_decode(step, state, len(ids), self.start_id, self.end_id,
                                               max_length)
            else:
                tokens, extras, _ = beam_search(step, state, len(ids), self.start_id, self.end_id,
                                                max_length, beam_width, length_penalty)
            for row, source_row in enumerate(ids):
                words = []
                for token in tokens[row]:
                    if token in (self.end_id, 0):
                        break
                    words.append(self.target_tokens[token])
                sentences.append(detokenize(words))
                if return_attention:
                    n_source = int((source_row != 0).sum())
                    attention.append(extras[row, :len(words) + 1, :n_source])
        return (sentences, attention) if return_attention else sentences

    def get_config(self):
        return {**super().get_config(),
                "source_vocabulary": list(self.source_vocabulary),
                "target_vocabulary": list(self.target_vocabulary),
                "embedding_dim": self.embedding_dim, "units": self.units,
                "attention": self.use_attention, "attention_units": self.attention_units,
                "cell": self.cell, "max_source_length": self.max_source_length,
                "max_target_length": self.max_target_length}
