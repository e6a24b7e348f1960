"""Exercises that check a student's answer offline: ``ex = dl.exercises("01")``, then
``ex.q1.check(answer)``, ``ex.q1.hint()``, ``ex.q1.solution()``.

The framework is in :mod:`.core` (how to write a notebook's module ``nbNN.py`` is in its
docstring), the kinds of exercise in :mod:`.kinds`. ``____`` is the blank a stub leaves.
"""

import importlib
import importlib.util

from .compare import NotPassed, compare_values
from .core import Exercise, ExerciseSet, Result
from .kinds import ChoiceExercise, FunctionExercise, LayerExercise, TrainingExercise, ValueExercise
from .placeholders import ____, is_placeholder

__all__ = ["ChoiceExercise", "Exercise", "ExerciseSet", "FunctionExercise", "LayerExercise", "NotPassed",
           "Result", "TrainingExercise", "ValueExercise", "____", "compare_values", "exercises",
           "has_exercises", "is_placeholder", "notebooks_with_exercises"]


def _notebook_id(notebook_id):
    from ..catalogue import get_notebook

    if isinstance(notebook_id, bool) or not isinstance(notebook_id, (str, int)):
        raise ValueError(f"notebook_id={notebook_id!r} must be a notebook id such as '01' or 1.")
    return get_notebook(str(notebook_id).strip()).id


def has_exercises(notebook_id):
    """Whether notebook ``notebook_id`` has an exercise module ``nbNN.py``."""
    return importlib.util.find_spec(f"{__name__}.nb{_notebook_id(notebook_id)}") is not None


def notebooks_with_exercises():
    """The ids of every catalogue notebook that has an exercise module, in course order."""
    from ..catalogue import NOTEBOOKS

    return [nb.id for nb in NOTEBOOKS if has_exercises(nb.id)]


def exercises(notebook_id):
    """The exercises of one notebook, as ``ex.q1``, ``ex.q2``...

    Args:
        notebook_id: the notebook's id, ``"01"`` or ``1``.

    Returns:
        An :class:`ExerciseSet`; each call gives fresh exercises (no checks remembered).

    Raises:
        ValueError: the id is not a course notebook, or that notebook has no exercises.

    Example:

    >>> ex = exercises("01")
    >>> ex.q1.check(...).status
    'not attempted'
    """
    nid = _notebook_id(notebook_id)
    if not has_exercises(nid):
        raise ValueError(f"notebook {nid} has no exercises; notebooks with exercises: "
                         f"{', '.join(notebooks_with_exercises()) or 'none'}.")
    module = importlib.import_module(f"{__name__}.nb{nid}")
    return ExerciseSet(nid, module.EXERCISES)
