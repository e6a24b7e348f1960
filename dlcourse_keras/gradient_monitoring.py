"""Old home of the gradient-norm tools, kept so that ``from dlcourse_keras.gradient_monitoring import ...`` works.

New code imports :class:`~dlcourse_keras.models.GradientNormModel` and
:class:`~dlcourse_keras.callbacks.GradientNormHistory`.
"""

from .callbacks.gradient_norm import GradientNormHistory
from .models.gradient_norm import PREFIX, GradientNormModel

__all__ = ["PREFIX", "GradientNormHistory", "GradientNormModel"]
