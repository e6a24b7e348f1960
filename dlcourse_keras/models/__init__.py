"""Models of the course: ``keras.Model`` subclasses, model builders and decoders.

``gradient_norm.py``: :class:`GradientNormModel` (notebook 07); ``transfer.py``: freezing,
unfreezing and new heads for pretrained bases (notebook 10); ``seq2seq.py``: the
encoder-decoder translator (its text helpers are in :mod:`dlcourse_keras.text`), ``decoding.py``: greedy and beam-search
decoding (notebook 13).
"""

from .decoding import beam_search, greedy_decode
from .gradient_norm import GradientNormModel
from .seq2seq import Seq2SeqTranslator, length_batches, translation_loss
from .transfer import (block_of, build_transfer_model, cut_base, freeze, list_blocks, parameter_counts,
                       unfreeze_blocks)
