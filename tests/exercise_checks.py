"""Helpers for the per-notebook exercise tests (``tests/test_exercises_nbNN.py``).

``assert_passes`` / ``assert_fails`` / ``assert_not_attempted`` judge one exercise;
``expected_texts`` lists how the reference's values could appear in a message (so a test can
assert that none does); ``notebook_stubs`` runs each ``exercise`` cell of a notebook the way
IPython does (its source registered in ``linecache``) and returns the stub it defines;
``assert_notebook_layout`` checks the cell structure the design asks for.
"""

import ast
import copy
import json
import linecache
import os
import re

import numpy as np

from dlcourse_keras.course.catalogue import get_notebook, notebooks_dir
from dlcourse_keras.course.exercises import ____, exercises
from dlcourse_keras.course.exercises.kinds import FunctionExercise, ValueExercise

CHECK_CALL = re.compile(r"^ex\.q(\d+)\.check\((\w+)\)\s*$", re.M)


def first_case(exercise):
    """The arguments of the first random case a check of ``exercise`` draws."""
    return exercise.cases(exercise.rng())


def reference_value(exercise):
    """What the reference gives on the check's first case (FunctionExercise) or at all (ValueExercise)."""
    if isinstance(exercise, FunctionExercise):
        return exercise.reference(*copy.deepcopy(list(first_case(exercise).values())))
    if isinstance(exercise, ValueExercise):
        return exercise.reference()
    raise TypeError(f"no reference value for {exercise!r}")


def expected_texts(value, count=4):
    """Strings in which the first ``count`` numbers of ``value`` could show up in a message."""
    items = value if isinstance(value, (tuple, list)) else [value]
    texts = set()
    for item in items:
        flat = np.asarray(item, dtype=float).ravel()[:count]
        for number in flat:
            if number == int(number) and abs(number) < 10:
                continue  # 0, 1, -2...: too common in any sentence to be a leak
            texts |= {repr(float(number)), f"{number:.4g}", f"{number:.3f}", f"{number:.2f}"}
            if number == int(number):
                texts.add(str(int(number)))
    return texts


def assert_passes(exercise, answer):
    result = exercise.check(answer)
    assert result.status == "passed", result
    return result


def assert_fails(exercise, answer, hides=(), contains=None):
    """``answer`` fails with a message free of every text in ``hides`` (and with ``contains``)."""
    result = exercise.check(answer)
    assert result.status == "failed", result
    for text in hides:
        assert text not in result.message, (text, result.message)
    if contains is not None:
        assert contains in result.message, result.message
    return result


def assert_not_attempted(exercise, stub):
    result = exercise.check(stub)
    assert result.status == "not attempted", result
    return result


def _load(notebook_id):
    info = get_notebook(notebook_id)
    with open(os.path.join(notebooks_dir(), info.filename), encoding="utf-8") as f:
        return json.load(f)


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _source(cell):
    return "".join(cell["source"])


def notebook_stubs(notebook_id, namespace=None):
    """``{k: stub}``: what each ``exercise`` cell of the notebook hands to ``ex.qK.check``.

    Each cell's source, without its check line, runs in one namespace (``____``, ``np`` and
    ``keras`` given), registered in ``linecache`` under a cell-like file name as IPython does,
    so ``inspect.getsource`` reads the stubs as it would in Jupyter.
    """
    import keras

    namespace = dict(namespace or {}, ____=____, np=np, keras=keras)
    stubs = {}
    for number, cell in enumerate(_load(notebook_id)["cells"]):
        if "exercise" not in _tags(cell):
            continue
        source = _source(cell)
        match = CHECK_CALL.search(source)
        assert match, f"exercise cell {number} has no `ex.qK.check(name)` line:\n{source}"
        body = CHECK_CALL.sub("", source)
        filename = f"<notebook {notebook_id} cell {number}>"
        linecache.cache[filename] = (len(body), None, body.splitlines(keepends=True), filename)
        exec(compile(body, filename, "exec"), namespace)
        stubs[int(match.group(1))] = namespace[match.group(2)]
    return stubs


def assert_notebook_layout(notebook_id):
    """The exercise section follows the design: heading, setup cell, then task/exercise/solution."""
    cells = _load(notebook_id)["cells"]
    n = len(exercises(notebook_id))
    heading = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
               and "## Exercises" in _source(c).splitlines()]
    assert len(heading) == 1, "one '## Exercises' heading"
    setup = [i for i, c in enumerate(cells) if "exercise-setup" in _tags(c)]
    assert len(setup) == 1 and setup[0] > heading[0]
    assert f'ex = dl.exercises("{notebook_id}")' in _source(cells[setup[0]])
    exercise_cells = [i for i, c in enumerate(cells) if "exercise" in _tags(c)]
    assert len(exercise_cells) == n, f"{len(exercise_cells)} exercise cells for {n} exercises"
    for k, i in enumerate(exercise_cells, start=1):
        assert i > setup[0]
        assert cells[i - 1]["cell_type"] == "markdown", f"q{k}: a task cell comes first"
        assert f"ex.q{k}.check(" in _source(cells[i])
        text = "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                       for o in cells[i].get("outputs", []))
        assert "not attempted" in text, f"q{k}: the committed output of the stub says 'not attempted'"
        solution = cells[i + 1]
        assert "solution" in _tags(solution), f"q{k}: a solution cell follows"
        meta = solution["metadata"]
        assert meta.get("jupyter", {}).get("source_hidden") is True and meta.get("cellView") == "form"
        assert meta["jupyter"].get("outputs_hidden") is True, f"q{k}: the solution's output, which shows the answer, is folded too"
        lines = _source(solution).splitlines()
        assert lines[0] == f"#@title Solution {k}"
        assert f"result = ex.q{k}.check(" in _source(solution) and "assert result, result" in lines
        ast.parse(_source(solution))
        outputs = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in solution.get("outputs", []))
        assert f"q{k} (" in outputs and "passed" in outputs and "not passed" not in outputs, outputs
