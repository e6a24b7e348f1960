"""Teaching versions of Keras layers, each proven equal to its built-in, CNN building blocks, and a
masked max-pooling over time."""

from .batch_norm import TeachingBatchNorm
from .conv import TeachingConv2D
from .blocks import (InceptionModule, ResidualBlock, inception_parameter_count, receptive_field,
                     residual_parameter_count)
from .dropout import InvertedDropout
from .pooling import MaskedGlobalMaxPooling1D
from .attention import BahdanauAttention
from .rnn import (EchoStateCell, EchoStateRNN, LeakyRNN, LeakyUnitCell, TeachingGRU, TeachingGRUCell,
                  TeachingLSTM, TeachingLSTMCell, TeachingSimpleRNN, TeachingSimpleRNNCell)
