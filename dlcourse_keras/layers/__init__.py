"""Teaching versions of Keras layers, each proven equal to its built-in."""

from .batch_norm import TeachingBatchNorm
from .conv import TeachingConv2D
from .dropout import InvertedDropout
from .attention import BahdanauAttention
from .rnn import (EchoStateCell, EchoStateRNN, LeakyRNN, LeakyUnitCell, TeachingGRU, TeachingGRUCell,
                  TeachingLSTM, TeachingLSTMCell, TeachingSimpleRNN, TeachingSimpleRNNCell)
