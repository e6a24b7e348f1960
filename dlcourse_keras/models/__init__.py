"""Models of the course: ``keras.Model`` subclasses and model builders.

Home of :class:`GradientNormModel` (notebook 07) and, later, the seq2seq and
transfer-learning helpers (``seq2seq.py``, ``transfer.py``).
"""

from .gradient_norm import GradientNormModel
