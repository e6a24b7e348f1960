"""Models built from Keras layers: the encoder-decoder translator and its decoders."""

from .decoding import beam_search, greedy_decode
from .seq2seq import (Seq2SeqTranslator, build_vocabulary, detokenize, make_vectorizer,
                      normalize_punctuation, split_by_source, standardize_text, tokenize,
                      translation_loss)
