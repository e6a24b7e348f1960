"""An encoder-decoder (sequence-to-sequence) translator, with or without attention.

The encoder reads the source sentence ``x_1..x_S`` into hidden states ``h_1..h_S``; the
decoder is a language model of the target conditioned on them::

    p(y | x) = prod_t p(y_t | y_<t, x)

Without attention the decoder only sees the encoder's last state ``h_S`` (the fixed-length
summary, Sutskever et al. 2014 / Cho et al. 2014). With attention it also reads, at every
step ``t``, a context ``c_t = sum_j a_tj h_j`` from :class:`BahdanauAttention`, so it can
look back at any source word. Training uses teacher forcing: the decoder is fed the true
previous target word. Inference feeds back its own prediction, by greedy decoding or beam
search (:mod:`dlcourse_keras.models.decoding`).

Text goes through ``keras.layers.TextVectorization`` with
:func:`dlcourse_keras.text.standardize_text` (TF only: it uses ``tf.strings``); the text
helpers (vocabulary, tokenizing, the split by source) live in :mod:`dlcourse_keras.text`,
the sampled softmax in :mod:`dlcourse_keras.models.sampled_softmax`. Taught in notebook 13
(translation).
"""

import keras
import numpy as np

from ..layers.attention import BahdanauAttention
from ..text import check_texts, detokenize, make_vectorizer, standardize_text
from ..validation import check_bool, check_int, check_number
from .decoding import beam_search, greedy_decode
# importable from here too, where notebook 13 and the tests found them first
from .sampled_softmax import log_uniform_candidates, sampled_token_loss  # noqa: F401

START, END = "[start]", "[end]"
_CELLS = ("gru", "lstm")


# ------------------------------------------------------------------ loss
def translation_loss():
    """Token cross-entropy from logits that ignores padding (id 0)."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)


def length_batches(inputs, targets, batch_size=64, seed=0):
    """Teacher-forcing batches of sentences of similar length, each cut to its longest one.

    Padded arrays make every batch as long as the longest sentence of the whole data set;
    most sentences are far shorter, so most recurrent steps (and softmax rows) would be
    spent on padding. This sorts the pairs by (target, source) length, with ties broken at
    random, cuts them into batches of ``batch_size``, trims each batch to the longest
    source and target in it, and shuffles the order of the batches (Keras's
    ``bucket_by_sequence_length`` idea, in NumPy). The model computes the same losses
    either way: padding is masked in the encoder, the decoder and the loss. The order is
    drawn once from ``seed`` and is the same in every epoch, so a resumed run sees exactly
    the batches an uninterrupted one would.

    Args:
        inputs: ``(source_ids, target_in)`` from :meth:`Seq2SeqTranslator.training_arrays`.
        targets: ``target_out`` from the same call.
        batch_size: sentences per batch, an int >= 1. Default 64.
        seed: seed of the tie-breaking and of the batch order, an int >= 0. Default 0.

    Returns:
        A ``tf.data.Dataset`` of ``((source_ids, target_in), target_out)`` batches with
        shapes ``(B, S_batch)`` and ``(B, T_batch)``, for ``Model.fit``.

    Example:

    >>> ids = np.array([[5, 0, 0], [5, 6, 7], [5, 6, 0]])
    >>> batches = length_batches((ids, ids), ids, batch_size=2, seed=0)
    >>> sorted(b[1].shape for b in batches.as_numpy_iterator())
    [(1, 3), (2, 2)]
    """
    import tensorflow as tf

    source, target_in = (np.asarray(a) for a in inputs)
    target_out = np.asarray(targets)
    if not (len(source) == len(target_in) == len(target_out)) or len(source) == 0:
        raise ValueError(f"inputs and targets must hold the same, non-zero number of rows; got "
                         f"{len(source)}, {len(target_in)} and {len(target_out)}.")
    batch_size = check_int("batch_size", batch_size, low=1)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    source_len = (source != 0).sum(axis=1)
    target_len = np.maximum((target_in != 0).sum(axis=1), (target_out != 0).sum(axis=1))
    order = np.lexsort((rng.random(len(source)), source_len, target_len))
    batches = []
    for begin in range(0, len(order), batch_size):
        rows = order[begin:begin + batch_size]
        s, t = max(int(source_len[rows].max()), 1), max(int(target_len[rows].max()), 1)
        batches.append(((source[rows, :s], target_in[rows, :t]), target_out[rows, :t]))
    batches = [batches[i] for i in rng.permutation(len(batches))]
    spec = tf.TensorSpec((None, None), tf.as_dtype(source.dtype))
    signature = ((spec, tf.TensorSpec((None, None), tf.as_dtype(target_in.dtype))),
                 tf.TensorSpec((None, None), tf.as_dtype(target_out.dtype)))
    dataset = tf.data.Dataset.from_generator(lambda: iter(batches), output_signature=signature)
    return dataset.apply(tf.data.experimental.assert_cardinality(len(batches)))   # Keras knows the epoch's length


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
        tie_embeddings: compute the logits with the target embedding matrix ``E``
            (Press and Wolf 2017, "Using the Output Embedding to Improve Language
            Models"): ``logits = E (W_p o_t) + b``, where ``o_t`` is ``s_t`` or
            ``[s_t; c_t]`` and ``W_p`` maps it to ``embedding_dim`` values. The softmax
            layer then costs ``embedding_dim`` instead of ``units`` (or ``2 * units``)
            multiply-adds per vocabulary word, and each word has one vector for reading
            and writing. Default False (a full ``Dense`` softmax layer).
        sampled_softmax: if an integer ``k`` (1 to ``V - 1``, where ``V`` counts the
            target words with padding, ``[UNK]``, ``[start]`` and ``[end]``; drawing ``V``
            or more would only be a slower full softmax), :meth:`train_step` computes the loss over
            the true word and the distinct words among ``k`` drawn per batch
            (:func:`log_uniform_candidates` with ``unique=True``,
            :func:`sampled_token_loss`) instead of all ``V`` words; validation,
            evaluation and inference still use the full softmax. On a CPU the ``V``-way
            softmax is most of a step's time. Needs a vocabulary ordered by frequency;
            compiled metrics are then computed on validation data only. Default None
            (the full softmax everywhere).
        **kwargs: base ``Model`` arguments (``name``...).

    The weights are made by :meth:`build` when the model is made: their shapes depend on
    the vocabularies and sizes only, not on the data.

    Example:

    >>> english, french = ["I am cold.", "I am tired."], ["j'ai froid.", "je suis fatigué."]
    >>> model = Seq2SeqTranslator(["i", "am", "cold", "tired", "."], ["j'", "ai", "froid", "je",
    ...                           "suis", "fatigué", "."], embedding_dim=4, units=8)
    >>> model.compile("adam", translation_loss())
    >>> history = model.fit(*model.training_arrays(english, french), epochs=1, verbose=0)
    >>> len(model.translate(["I am cold."], method="beam", max_length=5))
    1
    """

    def __init__(self, source_vocabulary, target_vocabulary, embedding_dim=128, units=256,
                 attention=True, attention_units=None, cell="gru", max_source_length=16,
                 max_target_length=20, tie_embeddings=False, sampled_softmax=None, **kwargs):
        super().__init__(**kwargs)
        vocabularies = {}
        for name, vocab in (("source_vocabulary", source_vocabulary),
                            ("target_vocabulary", target_vocabulary)):
            vocabularies[name] = check_texts(vocab, name)
            empty = [i for i, t in enumerate(vocabularies[name]) if not t]
            if empty:
                raise ValueError(f"{name}[{empty[0]}]='' must be a non-empty string.")
        if cell not in _CELLS:
            raise ValueError(f"cell={cell!r} must be one of {_CELLS}.")
        attention = check_bool("attention", attention)
        tie_embeddings = check_bool("tie_embeddings", tie_embeddings)
        self.embedding_dim = check_int("embedding_dim", embedding_dim, low=1)
        self.units = check_int("units", units, low=1)
        self.attention_units = check_int("attention_units", attention_units, low=1, allow_none=True)
        self.max_source_length = check_int("max_source_length", max_source_length, low=1)
        self.max_target_length = check_int("max_target_length", max_target_length, low=1)
        self.use_attention = attention
        self.tie_embeddings = tie_embeddings
        source_vocabulary, target_vocabulary = vocabularies.values()
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
        self.sampled_softmax = check_int("sampled_softmax", sampled_softmax, low=1,
                                         high=len(self.target_tokens) - 1, allow_none=True)

        rnn = keras.layers.GRU if cell == "gru" else keras.layers.LSTM
        self.source_embedding = keras.layers.Embedding(
            len(self.source_vocabulary) + 2, self.embedding_dim, mask_zero=True, name="source_embedding")
        self.encoder = rnn(self.units, return_sequences=True, return_state=True, name="encoder")
        self.target_embedding = keras.layers.Embedding(
            len(self.target_tokens), self.embedding_dim, mask_zero=True, name="target_embedding")
        self.decoder = rnn(self.units, return_sequences=True, return_state=True, name="decoder")
        if attention:
            self.attention = BahdanauAttention(self.attention_units or self.units, name="attention")
        if tie_embeddings:
            self.project = keras.layers.Dense(self.embedding_dim, use_bias=False, name="project")
        else:
            self.project = keras.layers.Dense(len(self.target_tokens), name="project")
        # every weight now, from the sizes alone (no call on dummy data): count_params() and
        # Keras's BackupAndRestore (resumable_callbacks) need a built model before fit()
        self.build(((None, self.max_source_length), (None, self.max_target_length + 1)))

    def build(self, input_shape=None):
        """Makes every weight: their shapes follow from the vocabularies and sizes alone.

        Called by ``__init__``; a second call changes nothing.

        Args:
            input_shape: ``((batch, source length), (batch, target length))``; only its
                form is checked (the lengths do not change any weight). Default None:
                ``((None, max_source_length), (None, max_target_length + 1))``.
        """
        if self.built:
            return
        if input_shape is None:
            input_shape = ((None, self.max_source_length), (None, self.max_target_length + 1))
        if len(input_shape) != 2 or any(len(shape) != 2 for shape in input_shape):
            raise ValueError(f"input_shape={input_shape!r} must be ((batch, source length), "
                             "(batch, target length)).")
        (batch, source_length), (_, target_length) = input_shape
        embedded = self.embedding_dim
        self.source_embedding.build((batch, source_length))
        self.encoder.build((batch, source_length, embedded))
        self.target_embedding.build((batch, target_length))
        self.decoder.build((batch, target_length, embedded))
        outputs = self.units
        if self.use_attention:
            self.attention.build([(batch, target_length, self.units), (batch, source_length, self.units)])
            outputs += self.units                                        # [s_t; c_t]
        self.project.build((batch, target_length, outputs))
        if self.tie_embeddings:
            self.output_bias = self.add_weight(shape=(len(self.target_tokens),), initializer="zeros",
                                               name="output_bias")

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
        outputs, new_states, weights = self.decoder_outputs(target_in, states, encoder_outputs,
                                                             source_mask)
        return self.logits(outputs), new_states, weights

    def decoder_outputs(self, target_in, states, encoder_outputs, source_mask):
        """The vectors ``o_t`` the softmax layer reads: ``s_t``, or ``[s_t; c_t]`` with attention."""
        target_mask = keras.ops.not_equal(target_in, 0)
        result = self.decoder(self.target_embedding(target_in), initial_state=states,
                              mask=target_mask)
        outputs, new_states = result[0], list(result[1:])
        weights = None
        if self.use_attention:
            context, weights = self.attention([outputs, encoder_outputs],
                                              mask=[target_mask, source_mask])
            outputs = keras.ops.concatenate([outputs, context], axis=-1)   # softmax reads [s_t; c_t]
        return outputs, new_states, weights

    def output_layer(self, outputs):
        """``(features (B, T, d), table (V, d), bias (V,))`` with logits ``features table^T + bias``."""
        if self.tie_embeddings:
            features = self.project(outputs)                              # W_p o_t
            table, bias = self.target_embedding.embeddings, self.output_bias
        else:
            features = outputs
            table, bias = keras.ops.transpose(self.project.kernel), self.project.bias
        return (features, keras.ops.cast(table, features.dtype),
                keras.ops.cast(bias, features.dtype))

    def logits(self, outputs):
        """Decoder outputs ``o_t`` -> next-token logits ``(B, T, V)``."""
        if not self.tie_embeddings:
            return self.project(outputs)
        features, table, bias = self.output_layer(outputs)
        return keras.ops.matmul(features, keras.ops.transpose(table)) + bias   # E W_p o_t + b

    def call(self, inputs, training=False):
        source_ids, target_in = inputs
        encoder_outputs, states, source_mask = self.encode(source_ids)
        logits, _, _ = self.decode(target_in, states, encoder_outputs, source_mask)
        return logits

    def train_step(self, data):
        """Keras's step, or with ``sampled_softmax`` one that never forms the ``V`` logits.

        The sample is drawn from the optimizer's step count, so a resumed run draws what
        an uninterrupted one would (TensorFlow backend).
        """
        if self.sampled_softmax is None:
            return super().train_step(data)
        import tensorflow as tf

        (source_ids, target_in), targets, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if sample_weight is not None:
            raise ValueError("sample weights are not supported with sampled_softmax; "
                             "padding (id 0) is already left out of the loss.")
        num_classes = len(self.target_tokens)
        step = tf.cast(self.optimizer.iterations, tf.int64)
        candidates, expected = log_uniform_candidates(
            self.sampled_softmax, num_classes, seed=tf.stack([step, tf.constant(1, tf.int64)]),
            unique=True)
        # expected counts of the real (non-padding) targets, in sampled_token_loss's order
        true_expected = expected(tf.boolean_mask(targets, tf.not_equal(targets, 0)))[:, None]
        sampled_values = (candidates, true_expected, expected(candidates))
        with tf.GradientTape() as tape:
            encoder_outputs, states, source_mask = self.encode(source_ids)
            outputs, _, _ = self.decoder_outputs(target_in, states, encoder_outputs, source_mask)
            features, table, bias = self.output_layer(outputs)
            loss = sampled_token_loss(features, table, bias, targets, sampled_values)
            if self.losses:
                loss = loss + tf.add_n(self.losses)
            # the mean over replicas is the sum of each replica's loss / replicas
            scaled = loss / tf.distribute.get_strategy().num_replicas_in_sync
            if hasattr(self.optimizer, "scale_loss"):
                scaled = self.optimizer.scale_loss(scaled)
        gradients = tape.gradient(scaled, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
        return {metric.name: metric.result() for metric in self.metrics if metric.name == "loss"}

    # --- data
    def source_ids(self, texts):
        """Raw source strings (a list) -> int ids ``(N, max_source_length)``."""
        texts = check_texts(texts, allow_empty=True)
        if not texts:
            return np.zeros((0, self.max_source_length), "int32")
        return keras.ops.convert_to_numpy(self.source_vectorizer(texts)).astype("int32")

    def training_arrays(self, sources, targets):
        """Teacher-forcing arrays: ``((source_ids, target_in), target_out)``.

        ``target_in`` is ``[start] y_1 .. y_T`` and ``target_out`` is ``y_1 .. y_T [end]``:
        the decoder learns to predict each next word from the true previous ones.
        """
        sources, targets = check_texts(sources, "sources"), check_texts(targets, "targets")
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
            texts: list of source sentences (not one string).
            method: ``"greedy"`` or ``"beam"``. Default ``"greedy"``.
            beam_width: beams for ``"beam"``, an int >= 1. Default 4.
            length_penalty: exponent of the length normalisation for ``"beam"``, a finite
                number >= 0. Default 1.0.
            max_length: most target tokens, an int >= 1. Default None
                (``max_target_length + 1``).
            batch_size: sentences decoded together, an int >= 1. Default 256.
            return_attention: also return, per sentence, the weights ``(T_out, S)``
                over its source tokens (an attention model only). Default False.

        Returns:
            list of strings, or ``(strings, weights)`` with ``return_attention``.

        Raises:
            ValueError: a bad argument (named, with the value and what is allowed).
        """
        texts = check_texts(texts, allow_empty=True)
        if method not in ("greedy", "beam"):
            raise ValueError(f"method={method!r} must be 'greedy' or 'beam'.")
        return_attention = check_bool("return_attention", return_attention)
        if return_attention and not self.use_attention:
            raise ValueError("return_attention=True needs a model built with attention=True.")
        batch_size = check_int("batch_size", batch_size, low=1)
        max_length = check_int("max_length", max_length, low=1, allow_none=True)
        if max_length is None:
            max_length = self.max_target_length + 1
        beam_width = check_int("beam_width", beam_width, low=1)
        length_penalty = check_number("length_penalty", length_penalty, low=0)
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
                "max_target_length": self.max_target_length, "tie_embeddings": self.tie_embeddings,
                "sampled_softmax": self.sampled_softmax}
