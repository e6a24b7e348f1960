"""The exercise framework: results, the exercise base class, placeholders and failure messages.

A student calls ``ex = dl.exercises("01")`` once, then ``ex.q1.check(answer)``,
``ex.q1.hint()`` and ``ex.q1.solution()``. ``check`` never raises in the student's cell: it
returns a :class:`Result` whose ``status`` is ``"passed"``, ``"failed"`` (shown as "not
passed", with why) or ``"not attempted"`` (the answer is still a placeholder), and appends one
``{"kind": "exercise", ...}`` line to the runner's record file (``DLCOURSE_RECORD_FILE``) so
``dlcourse check`` can grade a notebook headless.

Writing the exercises of a notebook
-----------------------------------
Each notebook ``NN`` that has exercises gets a module ``dlcourse_keras/course/exercises/nbNN.py``
defining ``EXERCISES``, an ordered list of exercises (``q1``, ``q2``, ... in that order), built
from the kinds in :mod:`.kinds`:

* ``FunctionExercise``: the student writes a function; it is compared with the package's
  reference on fresh random cases drawn at check time by a case generator ``cases(rng)`` that
  returns a dict of arguments (names in the reference's parameter order; both functions are
  called positionally). A wrong result is diagnosed: known mistakes (``mistakes=[(fn, why)]``),
  an argument the answer ignores, a flipped sign, a transposed matrix.
* ``ValueExercise``: a number or array, compared with ``reference()`` computed at check time.
* ``LayerExercise``: a Keras layer or model (class, instance or builder function) against its
  Keras twin: output shape, parameter count, equal outputs given the same weights.
* ``TrainingExercise``: a function that builds or trains something reaches a threshold within
  a stated budget.
* ``ChoiceExercise``: a conceptual question (a choice or a rounded number); only a salted
  sha256 of the answer is stored (make it with ``ChoiceExercise.digest(key, answer)``).

Every exercise has a ``title``, at least one hint and a one-line ``prose`` shown with the
solution. References live in the package (``numpy_ref``, ``layers``...) or, when they only make
sense as an answer (a wrapper, a training recipe), as small named functions in ``nbNN.py``;
``solution()`` shows them with ``show_source``. Never store an expected array or number as a
literal. A new kind subclasses :class:`Exercise` and implements ``_check(answer)`` (raise
:class:`NotPassed` with a message that states what is wrong without the expected values;
wrap calls into student code with :meth:`Exercise.call_student`; use :func:`compare_values`)
and ``_solution_body()``.

Notebook cells (tags in the cell metadata ``tags``): after a ``## Exercises`` heading, one code
cell tagged ``exercise-setup`` (``from dlcourse_keras.course.exercises import ____`` if a stub
uses the blank, and ``ex = dl.exercises("NN")``); per exercise a Markdown cell with the task, a
code cell tagged ``exercise`` with the stub and ``ex.qK.check(answer)`` (its committed output
says "not attempted"), and a hidden cell tagged ``solution`` (metadata
``{"jupyter": {"source_hidden": true, "outputs_hidden": true}, "cellView": "form", "tags":
["solution"]}``: code and output folded, since the output shows the answer; first line
``#@title Solution K``) that defines the answer, runs ``result = ex.qK.check(answer)`` and
``assert result, result``. The stub cell must run as it is (a def whose body is ``...``, or
``answer = ____``), use only names made by the setup/imports cells and the exercise-setup cell,
and be quick: the whole section under ~15 s in the smoke profile. ``dlcourse workbook`` drops
the ``solution`` cells; ``dlcourse check`` grades by the records of the ``check`` calls.

Tests: ``tests/test_exercises_nbNN.py`` checks for every exercise that the reference passes,
that at least two mutants (a transposed weight, a missing bias, a wrong sign, an off-by-one,
an ignored argument) fail with a message free of the expected values, and that the stub is
"not attempted".

Example (a module ``nb99.py``, names invented for the example):

>>> import numpy as np
>>> from dlcourse_keras.course.exercises.kinds import FunctionExercise
>>> def relu(z):
...     return np.maximum(z, 0.0)
>>> def relu_cases(rng):
...     return {"z": rng.normal(size=(4, 3))}
>>> EXERCISES = [FunctionExercise(
...     "ReLU", reference=relu, cases=relu_cases,
...     hints=["`np.maximum` compares element by element."],
...     prose="ReLU keeps positive inputs and zeroes the rest.")]
>>> q1 = EXERCISES[0].bind("99", 1)
>>> q1.check(lambda z: np.maximum(z, 0.0)).status
'passed'
>>> print(q1.check(lambda z: np.abs(z)))  # doctest: +ELLIPSIS
q1 (ReLU): not passed: the result: ... of 12 entries differ, first at [...]...
>>> def stub(z):
...     ...
>>> q1.check(stub).status
'not attempted'
"""

import copy
import hashlib

from ..records import _append_record
from .compare import NotPassed, compare_values, format_index  # noqa: F401 (re-exported)
from .placeholders import ____, is_placeholder  # noqa: F401 (re-exported)

STATUSES = ("passed", "failed", "not attempted")
_SHOWN = {"passed": "passed", "failed": "not passed", "not attempted": "not attempted"}
_ICON = {"passed": "\u2705", "failed": "\u274c", "not attempted": "\u270f\ufe0f"}
MESSAGE_LIMIT = 600


def _escape_md(text):
    return str(text).replace("<", "&lt;").replace(">", "&gt;")


class Result:
    """The outcome of one ``check``: truthy only when passed; Markdown in Jupyter, text elsewhere.

    Args:
        status: ``"passed"``, ``"failed"`` or ``"not attempted"``.
        message: why (for a failure), or a short note.
        question: e.g. ``"q1"``. Default ``""``.
        title: the exercise's title. Default ``""``.
        notebook: the notebook id, e.g. ``"01"``. Default None.

    Example:

    >>> r = Result("failed", "the result has shape (3,); expected shape (3, 1).", "q2", "Forward pass")
    >>> bool(r), str(r)
    (False, 'q2 (Forward pass): not passed: the result has shape (3,); expected shape (3, 1).')
    """

    def __init__(self, status, message="", question="", title="", notebook=None):
        if status not in STATUSES:
            raise ValueError(f"status={status!r} must be one of {STATUSES}.")
        self.status = status
        self.message = str(message or "")
        self.question = question
        self.title = title
        self.notebook = notebook

    @property
    def passed(self):
        return self.status == "passed"

    def __bool__(self):
        return self.passed

    def _label(self):
        name = self.question or "exercise"
        return f"{name} ({self.title})" if self.title else name

    def __str__(self):
        text = f"{self._label()}: {_SHOWN[self.status]}"
        return f"{text}: {self.message}" if self.message else text + "."

    __repr__ = __str__

    def _repr_markdown_(self):
        text = f"{_ICON[self.status]} **{_escape_md(self._label())}: {_SHOWN[self.status]}**"
        return f"{text}: {_escape_md(self.message)}" if self.message else text

    def to_record(self):
        """The record line for the runner: kind, notebook, question, title, status, message."""
        return {"kind": "exercise", "notebook": self.notebook, "question": self.question,
                "title": self.title, "status": self.status, "message": self.message}


class _Text:
    """Text that renders as Markdown in Jupyter and as plain text elsewhere."""

    def __init__(self, markdown, plain):
        self.markdown, self.plain = markdown, plain

    def _repr_markdown_(self):
        return self.markdown

    def __repr__(self):
        return self.plain

    __str__ = __repr__


class Hint(_Text):
    """One hint of an exercise (see :meth:`Exercise.hint`)."""


class Solution:
    """A solution: one line of prose, then the reference (a listing or an explanation).

    Args:
        prose: one line that says what the solution does.
        body: a :class:`~dlcourse_keras.course.source.SourceListing` or a :class:`Hint`-like
            text with ``_repr_markdown_``.
        label: e.g. ``"q1 (Step function)"``.
    """

    def __init__(self, prose, body, label=""):
        self.prose, self.body, self.label = prose, body, label

    def _repr_markdown_(self):
        head = f"**Solution to {_escape_md(self.label)}.** " if self.label else ""
        return f"{head}{_escape_md(self.prose)}\n\n{self.body._repr_markdown_()}"

    def __repr__(self):
        head = f"Solution to {self.label}. " if self.label else ""
        return f"{head}{self.prose}\n\n{self.body!r}"

    __str__ = __repr__


def _check_text(name, value):
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name}={value!r} must be a non-empty string.")
    return value


class Exercise:
    """Base of every exercise kind: ``check``, ``hint``, ``solution``, records, placeholders.

    Subclasses implement ``_check(answer)`` (return None or a short note when the answer is
    right; raise :class:`NotPassed` with a message when it is wrong) and
    ``_solution_body()``; they may override ``is_placeholder(answer)``.

    Args:
        title: a few words naming the task, e.g. ``"The step function"``.
        hints: a list of at least one hint (strings, Markdown allowed), from gentle to
            explicit.
        prose: one line shown above the solution. Default ``""``.
        seed: mixed with the notebook id and question into the seed of the random cases, so
            a check is repeatable. Default 0.
    """

    kind = "exercise"

    def __init__(self, title, hints, prose="", seed=0):
        self.title = _check_text("title", title)
        if isinstance(hints, str) or not isinstance(hints, (list, tuple)) or not hints:
            raise ValueError(f"hints={hints!r} must be a list of at least one string.")
        self.hints = [_check_text(f"hints[{i}]", h) for i, h in enumerate(hints)]
        self.prose = prose if isinstance(prose, str) else _check_text("prose", prose)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed={seed!r} must be an integer.")
        self.seed = seed
        self.notebook = None
        self.number = None
        self.last_result = None

    # --- identity ---------------------------------------------------------------------------

    def bind(self, notebook, number):
        """A copy of this exercise that knows its notebook id and number (``q<number>``)."""
        bound = copy.copy(self)
        bound.notebook, bound.number, bound.last_result = notebook, number, None
        return bound

    @property
    def question(self):
        return f"q{self.number}" if self.number is not None else ""

    def _label(self):
        return f"{self.question} ({self.title})" if self.question else self.title

    def rng(self):
        """A NumPy generator seeded from the notebook, the question and ``seed``."""
        import numpy as np

        key = f"{self.notebook}:{self.question}:{self.seed}".encode()
        return np.random.default_rng(int.from_bytes(hashlib.sha256(key).digest()[:8], "little"))

    def __repr__(self):
        return f"<{type(self).__name__} {self._label()}>"

    # --- the student's side -----------------------------------------------------------------

    def is_placeholder(self, answer):
        """Whether ``answer`` is still a placeholder (see :func:`is_placeholder`)."""
        return is_placeholder(answer)

    def check(self, answer=____):
        """Checks ``answer`` and returns a :class:`Result`; never raises.

        Args:
            answer: the student's answer (a function, class, value or choice, as the task
                says). Default: the placeholder ``____`` ("not attempted").

        Returns:
            A :class:`Result` (truthy only when passed), also recorded for ``dlcourse check``.
        """
        try:
            if self.is_placeholder(answer):
                result = self._result(
                    "not attempted",
                    "replace the placeholder (`...`, `____` or `None`) with your answer and run "
                    f"the cell again; `ex.{self.question or 'qN'}.hint()` gives a hint.")
            else:
                note = self._check(answer)
                result = self._result("passed", note or "")
        except NotPassed as exc:
            result = self._result("failed", exc.message)
        except Exception as exc:  # noqa: BLE001 (a check must never raise in a student's cell)
            result = self._result("failed", f"your answer could not be checked: "
                                             f"{type(exc).__name__}: {exc}")
        self.last_result = result
        try:
            _append_record(result.to_record())
        except (OSError, ValueError):  # an unwritable record file must not break the cell
            pass
        return result

    def _result(self, status, message):
        message = str(message)
        if len(message) > MESSAGE_LIMIT:
            message = message[:MESSAGE_LIMIT - 3] + "..."
        return Result(status, message, self.question, self.title, self.notebook)

    def _check(self, answer):
        raise NotImplementedError

    def call_student(self, fn, *args, what="your function"):
        """``fn(*args)``; an exception in it becomes :class:`NotPassed` ("your function raised ...")."""
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001 (the student's code may raise anything)
            raise NotPassed(f"{what} raised {type(exc).__name__}: {exc}") from None

    def hint(self, n=1):
        """The ``n``-th hint (1-based); out of range, a line saying how many there are."""
        count = len(self.hints)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= count:
            text = (f"{self._label()} has {count} hint{'s' if count > 1 else ''}: "
                    + ("use `hint()`." if count == 1 else f"use `hint(1)` to `hint({count})`."))
            return Hint(text, text)
        head = f"Hint {n} of {count}" + (f" for {self._label()}" if self.question else "")
        more = f" (`hint({n + 1})` for the next)" if n < count else ""
        return Hint(f"**{_escape_md(head)}**{more}: {self.hints[n - 1]}",
                    f"{head}{more}: {self.hints[n - 1]}")

    def solution(self):
        """The reference answer with one line of prose (displays in Jupyter and as text)."""
        try:
            body = self._solution_body()
        except TypeError as exc:  # a reference without Python source (defined in a REPL)
            body = Hint(f"(the reference's source cannot be shown: {exc})", f"(the reference's source "
                                                                             f"cannot be shown: {exc})")
        return Solution(self.prose or "One way to solve it:", body, self._label())

    def _solution_body(self):
        raise NotImplementedError


class ExerciseSet:
    """A notebook's exercises as ``ex.q1``, ``ex.q2``...; ``ex.summary()`` tabulates the last checks.

    Args:
        notebook: the notebook id, e.g. ``"01"``.
        exercises: the exercises in order (each is bound to ``notebook`` and its number).
    """

    def __init__(self, notebook, exercises):
        self.notebook = notebook
        self._exercises = [e.bind(notebook, k) for k, e in enumerate(exercises, start=1)]

    def __getattr__(self, name):
        if name.startswith("q") and name[1:].isdigit():
            k = int(name[1:])
            if 1 <= k <= len(self._exercises):
                return self._exercises[k - 1]
            raise AttributeError(f"notebook {self.notebook} has {len(self._exercises)} exercises "
                                 f"(q1 to q{len(self._exercises)}); there is no {name}.")
        raise AttributeError(name)

    def __iter__(self):
        return iter(self._exercises)

    def __len__(self):
        return len(self._exercises)

    def __getitem__(self, key):
        return getattr(self, key if isinstance(key, str) else f"q{key}")

    def _rows(self):
        return [(e.question, e.title, e.last_result.status if e.last_result is not None else "not checked")
                for e in self._exercises]

    def summary(self):
        """A table of every question and the status of its last check in this session."""
        rows = self._rows()
        done = sum(status == "passed" for _, _, status in rows)
        head = f"Notebook {self.notebook}: {done} of {len(rows)} exercises passed"
        md = [f"**{head}**", "", "| question | task | status |", "|---|---|---|"]
        md += [f"| {q} | {_escape_md(t)} | {_SHOWN.get(s, s)} |" for q, t, s in rows]
        width = max(len(t) for _, t, _ in rows)
        plain = [head] + [f"  {q:4} {t:{width}}  {_SHOWN.get(s, s)}" for q, t, s in rows]
        return _Text("\n".join(md), "\n".join(plain))

    def _repr_markdown_(self):
        lines = [f"**Notebook {self.notebook} exercises**: check an answer with "
                 "`ex.q1.check(answer)`; `ex.q1.hint()` for a hint, `ex.q1.solution()` for the "
                 "solution.", ""]
        lines += [f"* `{e.question}` {_escape_md(e.title)}" for e in self._exercises]
        return "\n".join(lines)

    def __repr__(self):
        lines = [f"Notebook {self.notebook} exercises (check with ex.q1.check(answer); "
                 "ex.q1.hint(), ex.q1.solution()):"]
        lines += [f"  {e.question}  {e.title}" for e in self._exercises]
        return "\n".join(lines)
