"""Student copies and headless grading: what ``dlcourse workbook`` and ``dlcourse check`` do.

A *student copy* of a notebook is the notebook without its cells tagged ``solution`` (and their
outputs), with the outputs of its ``exercise`` and ``exercise-summary`` cells cleared;
everything else is kept. Run top to bottom, every exercise of a student copy reports
"not attempted".

*Grading* runs a filled student notebook with the course runner
(:func:`~dlcourse_keras.course.execution.execute_notebook`, every cell run even after one
raises) and reads the ``check`` records its kernel wrote: one row per question with its last
status and message. A cell that raises fails only the row of the exercise it belongs to (the
cell mentions ``ex.qK``, or follows that exercise's cell); a question whose check never ran is
"not attempted".
"""

import copy
import datetime
import json
import os
import platform
import re
import tempfile
import time

from .._fileio import write_text_atomic
from . import catalogue

SECTION_HEADING = "## Exercises"
SOLUTION_TAG = "solution"
CLEARED_TAGS = ("exercise", "exercise-summary")
EXERCISES_CALL = re.compile(r"""dl\.exercises\(\s*["']?(\d{1,2})["']?\s*\)""")
QUESTION = re.compile(r"\bex\.q(\d+)\b")
SHOWN = {"passed": "passed", "failed": "not passed", "not attempted": "not attempted"}


class NotebookFileError(ValueError):
    """A file given to ``dlcourse check`` that cannot be graded (the message says why)."""


def _tags(cell):
    return cell.get("metadata", {}).get("tags", []) or []


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def notebook_text(nb):
    """The notebook as the course commits it: one-space JSON indent, UTF-8 kept, a final newline."""
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def student_copy(nb):
    """A student copy of a notebook dict: ``solution`` cells removed, exercise outputs cleared.

    Args:
        nb: the notebook as a dict (its JSON).

    Returns:
        A new dict; ``nb`` is not changed.
    """
    copied = copy.deepcopy(nb)
    copied["cells"] = [c for c in copied["cells"] if SOLUTION_TAG not in _tags(c)]
    for cell in copied["cells"]:
        if cell.get("cell_type") == "code" and any(tag in _tags(cell) for tag in CLEARED_TAGS):
            cell["outputs"] = []
            cell["execution_count"] = None
    return copied


def _is_h2(cell):
    return cell.get("cell_type") == "markdown" and any(line.startswith("## ") for line in _source(cell).splitlines())


def section_bounds(cells):
    """``(start, end)``: the exercise section, from its ``## Exercises`` heading cell to the next
    ``## `` heading (or the end).

    Raises:
        ValueError: there is no Markdown cell with that heading.
    """
    start = next((i for i, c in enumerate(cells) if c.get("cell_type") == "markdown"
                  and any(line.strip() == SECTION_HEADING for line in _source(c).splitlines())), None)
    if start is None:
        raise ValueError(f"the notebook has no Markdown cell with the heading {SECTION_HEADING!r}.")
    end = next((i for i in range(start + 1, len(cells)) if _is_h2(cells[i])), len(cells))
    return start, end


def setup_indices(cells):
    """The indices of the code cells before the first ``## `` heading (the setup and import cells)."""
    first = next((i for i, c in enumerate(cells) if _is_h2(c)), len(cells))
    return [i for i in range(first) if cells[i].get("cell_type") == "code"]


def exercise_section(nb):
    """A copy of ``nb`` with only its setup cells and its exercise section: what a student who
    jumps to the exercises runs (the section must need nothing else)."""
    start, end = section_bounds(nb["cells"])
    keep = setup_indices(nb["cells"]) + list(range(start, end))
    return dict(copy.deepcopy(nb), cells=[copy.deepcopy(nb["cells"][i]) for i in keep])


def write_workbooks(ids=None, out_dir="workbook", notebooks_dir=None):
    """Writes the student copy of each notebook into ``out_dir`` (same file names).

    Args:
        ids: notebook ids; default: every notebook of the checkout that has exercises.
        out_dir: the folder to write to; created if needed; must not be the notebooks folder.
        notebooks_dir: where the notebooks are. Default: the checkout's.

    Returns:
        The paths written.

    Raises:
        ValueError: an unknown id, a notebook without exercises or missing from
            ``notebooks_dir``, or ``out_dir`` is the notebooks folder.
    """
    from .exercises import has_exercises, notebooks_with_exercises
    from .execution import same_path

    notebooks_dir = os.path.abspath(notebooks_dir or catalogue.notebooks_dir())
    if not isinstance(out_dir, (str, os.PathLike)) or not str(out_dir).strip():
        raise ValueError(f"out_dir={out_dir!r} must name a folder.")
    out_dir = os.path.abspath(out_dir)
    if same_path(out_dir, notebooks_dir):
        raise ValueError(f"out_dir={out_dir!r} is the notebooks folder; student copies would replace "
                         "the notebooks. Choose another folder.")
    available = {info.id for info in catalogue.available_notebooks(notebooks_dir)}
    if not ids:
        infos = [catalogue.get_notebook(i) for i in notebooks_with_exercises() if i in available]
    else:
        infos = []
        for notebook_id in ids:
            info = catalogue.get_notebook(notebook_id)
            if not has_exercises(info.id):
                raise ValueError(f"notebook {info.id} has no exercises; notebooks with exercises: "
                                 f"{', '.join(notebooks_with_exercises())}.")
            if info.id not in available:
                raise ValueError(f"notebook {info.id} ({info.filename}) is not in {notebooks_dir}.")
            if info not in infos:
                infos.append(info)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for info in infos:
        with open(os.path.join(notebooks_dir, info.filename), encoding="utf-8") as f:
            nb = json.load(f)
        written.append(write_text_atomic(os.path.join(out_dir, info.filename), notebook_text(student_copy(nb))))
    return written


# --- reading a student's file ---------------------------------------------------------------

def read_student_notebook(path):
    """The notebook dict at ``path`` and the course notebook it belongs to.

    The notebook is identified by its ``dl.exercises("NN")`` call, else by a file name that
    starts with ``NN_``.

    Returns:
        ``(nb, info)``: the notebook's JSON as a dict and its catalogue entry.

    Raises:
        NotebookFileError: the file is missing, not JSON, not a notebook, not nbformat 4, not a
            course notebook, or of a notebook without exercises.
    """
    import nbformat

    from .exercises import has_exercises

    if not os.path.isfile(path):
        raise NotebookFileError(f"{path}: no such file.")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        nb = json.loads(text)
    except UnicodeDecodeError:
        raise NotebookFileError(f"{path}: not a notebook (not UTF-8 text).") from None
    except ValueError as exc:
        raise NotebookFileError(f"{path}: not a notebook (not valid JSON: {exc}).") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or "nbformat" not in nb:
        raise NotebookFileError(f"{path}: not a Jupyter notebook (JSON without 'cells' and 'nbformat').")
    if nb.get("nbformat") != 4:
        raise NotebookFileError(f"{path}: nbformat {nb.get('nbformat')!r}; only version 4 notebooks can be "
                                "checked (open and save it in a current Jupyter).")
    try:
        nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 (any structural problem nbformat finds)
        raise NotebookFileError(f"{path}: not a valid notebook ({type(exc).__name__}: {exc}).") from None
    found = next((m.group(1) for c in nb["cells"] if c.get("cell_type") == "code"
                  for m in [EXERCISES_CALL.search(_source(c))] if m), None)
    name = re.match(r"(\d{2})_", os.path.basename(path))
    notebook_id = found or (name.group(1) if name else None)
    if notebook_id is None:
        raise NotebookFileError(f"{path}: cannot tell which course notebook this is: no cell calls "
                                "dl.exercises(\"NN\") and the file name does not start with a notebook id.")
    try:
        info = catalogue.get_notebook(notebook_id)
    except ValueError as exc:
        raise NotebookFileError(f"{path}: {exc}") from None
    if not has_exercises(info.id):
        raise NotebookFileError(f"{path}: notebook {info.id} ({info.title}) has no exercises to check.")
    return nb, info


# --- grading ------------------------------------------------------------------------------------

def _cell_errors(nb):
    """``[(index, question or None, "Name: value")]`` for every cell of an executed notebook that raised."""
    errors, current = [], None
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        mentioned = [int(k) for k in QUESTION.findall(_source(cell))]
        if mentioned:
            current = mentioned[0]
        elif "exercise-summary" in _tags(cell):
            current = None
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                text = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
                errors.append((index, mentioned[0] if mentioned else current, text[:300]))
                break
    return errors


def grade(nb, info, results):
    """One row per question of notebook ``info``: its last check, or the error of its cell.

    Args:
        nb: the executed notebook (a dict).
        info: its catalogue entry.
        results: the last check per question (the runner entry's ``exercises``).

    Returns:
        ``(rows, notebook_errors)``: rows with ``question``, ``title``, ``status``, ``message``;
        and the errors of cells that belong to no exercise.
    """
    from .exercises import exercises

    by_question = {r.get("question"): r for r in results}
    errors = _cell_errors(nb)
    outside = [f"code cell {index + 1}: {text}" for index, k, text in errors if k is None]
    rows = []
    for exercise in exercises(info.id):
        own = [text for _, k, text in errors if k == exercise.number]
        record = by_question.get(exercise.question)
        if own:
            status, message = "failed", f"a cell of this exercise raised {own[0]}"
        elif record is not None and record.get("status") in SHOWN:
            status, message = record["status"], record.get("message") or ""
        else:
            status = "not attempted"
            message = f"no check of {exercise.question} ran"
            if outside:
                message += " (an earlier cell raised an error)"
        rows.append({"notebook": info.id, "question": exercise.question, "title": exercise.title,
                     "status": status, "message": message})
    return rows, outside


def format_table(entry):
    """The grading table of one checked notebook, as plain text."""
    rows = entry["exercises"]
    passed = sum(r["status"] == "passed" for r in rows)
    lines = [f"{entry['source']} (notebook {entry['id']}, {catalogue.get_notebook(entry['id']).title}): "
             f"{passed} of {len(rows)} passed"]
    if entry.get("error"):
        lines.append("  notebook: " + entry["error"].splitlines()[0])
    lines.append(f"  {'question':9}{'status':15}message")
    for r in rows:
        lines.append(f"  {r['question']:9}{SHOWN[r['status']]:15}{r['message']}".rstrip())
    return "\n".join(lines)


def _machine():
    import importlib.metadata

    versions = {}
    for name in ("tensorflow", "keras", "numpy", "dlcourse_keras"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpu_count": os.cpu_count(), "versions": versions,
            "data_mirror": os.environ.get("DLCOURSE_MIRROR") or None}


def _folder_name(path, taken):
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", os.path.splitext(os.path.basename(path))[0]) or "notebook"
    name, k = stem, 2
    while name in taken:
        name, k = f"{stem}-{k}", k + 1
    taken.add(name)
    return name


def check_notebooks(paths, out_dir="reports/check", profile="smoke", cell_timeout=600, progress=False,
                    on_entry=None):
    """Grades filled student notebooks headless and writes ``report.json`` and ``report.html``.

    Every file is read first; if any cannot be graded nothing runs. Each notebook runs in a
    fresh kernel (in a temporary folder, under its course file name), every cell even after one
    raises; its executed copy goes to ``out_dir/<file name>/``.

    Args:
        paths: the student notebooks (``.ipynb`` files).
        out_dir: the report folder. Default ``"reports/check"``.
        profile: ``"smoke"`` (default) or ``"full"``.
        cell_timeout: seconds allowed per cell. Default 600.
        progress: show per-cell progress bars. Default False.
        on_entry: called with each notebook's entry as soon as it is graded.

    Returns:
        The report dict; each notebook entry has ``source`` (the file), ``exercises`` (the
        rows of :func:`grade`) and ``status`` ``"ok"`` unless a cell outside the exercises
        raised or the kernel failed.

    Raises:
        NotebookFileError: naming every file that cannot be graded.
    """
    from .execution import execute_notebook
    from .profile import PROFILES
    from .run import write_report

    if profile not in PROFILES:
        raise ValueError(f"profile={profile!r} must be one of {PROFILES}.")
    if not paths:
        raise ValueError("give at least one notebook file to check.")
    problems, inputs = [], []
    for path in paths:
        try:
            inputs.append((path, *read_student_notebook(path)))
        except NotebookFileError as exc:
            problems.append(str(exc))
    if problems:
        raise NotebookFileError("\n".join(problems))
    out_dir = os.path.abspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    started = datetime.datetime.now(datetime.timezone.utc)
    wall = time.perf_counter()
    entries, taken = [], set()
    for path, nb, info in inputs:
        folder = _folder_name(path, taken)
        with tempfile.TemporaryDirectory() as tmp:
            write_text_atomic(os.path.join(tmp, info.filename), notebook_text(nb))
            entry = execute_notebook(info, os.path.join(out_dir, folder), profile=profile, notebooks_dir=tmp,
                                     cell_timeout=cell_timeout, progress=progress, allow_errors=True)
        executed = os.path.join(out_dir, folder, info.filename)
        executed_nb = nb
        if entry.get("executed_notebook"):
            with open(executed, encoding="utf-8") as f:
                executed_nb = json.load(f)
            entry["executed_notebook"] = f"{folder}/{info.filename}"
        entry["figures"] = [dict(f, path=f"{folder}/{f['path']}") for f in entry.get("figures", [])]
        rows, outside = grade(executed_nb, info, entry.get("exercises", []))
        problems = ([entry["error"]] if entry.get("error") else []) + outside
        entry.update(source=path, title=f"{info.title}: {os.path.basename(path)}", exercises=rows,
                     status="failed" if problems else "ok", error="\n".join(problems)[:2000] or None)
        entries.append(entry)
        if on_entry is not None:
            on_entry(entry)
    report = {
        "course": "dlcourse_keras", "command": "check", "profile": profile, "state": "complete",
        "signal": None, "started": started.isoformat(timespec="seconds"),
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(sum(e["seconds"] for e in entries), 2),
        "wall_seconds": round(time.perf_counter() - wall, 2), "jobs": 1, "machine": _machine(),
        "ok": sum(e["status"] == "ok" for e in entries), "failed": sum(e["status"] != "ok" for e in entries),
        "not_finished": 0, "notebooks": entries,
    }
    write_report(report, out_dir)
    return report


def check_exit_code(report):
    """0 when every exercise of every notebook passed and no notebook failed, else 1."""
    all_passed = all(r["status"] == "passed" for e in report["notebooks"] for r in e["exercises"])
    return 0 if all_passed and not report["failed"] else 1


__all__ = ["NotebookFileError", "check_exit_code", "check_notebooks", "exercise_section", "format_table",
           "grade", "read_student_notebook", "section_bounds", "setup_indices", "student_copy",
           "write_workbooks"]
