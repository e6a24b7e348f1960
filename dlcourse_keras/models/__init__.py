"""Models built from Keras layers: the encoder-decoder translator and its decoders."""

from .decoding import beam_search, greedy_decode
