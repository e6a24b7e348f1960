"""Running one notebook headless: a fresh kernel, its records, its executed copy.

Each notebook runs top to bottom in a fresh kernel with the chosen profile.
Results recorded with :func:`dlcourse_keras.record_metric` (and the data
sources the loaders used, and key figures) are collected from a JSON-lines
file whose path the runner passes to the kernel in ``DLCOURSE_RECORD_FILE``.
:func:`dlcourse_keras.course.run.run_course` runs many and writes the report.
"""

import math
import os
import re
import shutil
import tempfile
import time

from .._fileio import write_text_atomic
from ..data.config import absolute_env
from . import catalogue as course
from .control import StopRequested
from .profile import PROFILE_ENV, PROFILES
from .records import FIGURE_DIR_ENV, RECORD_ENV
from .report import (check_metric, describe_miss, error_summary, latest_exercise_results, new_entry,
                     read_records)

DEFAULT_CELL_TIMEOUT_S = 1800
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# in an IPython traceback: a frame in the cell ("Cell In[4], line 2"; IPython 7: "Input In [4], in
# <cell line: 2>()"), the frame's current line ("----> 2 assert ok"), and a chained exception
_CELL_FRAME = re.compile(r"(?:Cell In ?\[\d*\], line|Input In \[\d*\], in <cell line:) (\d+)")
_ARROW = re.compile(r"\s*-*>\s*\d+\s(.*)")
_CHAINED = ("During handling of the above exception", "The above exception was the direct cause")


def same_path(a, b):
    """Whether ``a`` and ``b`` name the same file or folder (links and ``..`` resolved)."""
    a, b = os.path.realpath(a), os.path.realpath(b)
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _write_notebook_atomic(nb, path):
    import nbformat

    write_text_atomic(path, nbformat.writes(nb))


def _cell_line(traceback):
    """``(line number, source)`` of the cell line that raised, from an IPython traceback; or None.

    The last exception of a chain is the one raised; its first frame in the cell is the cell's line.
    """
    blocks = [_ANSI.sub("", str(block)) for block in traceback or []]
    for i in range(len(blocks) - 1, -1, -1):
        if any(marker in blocks[i] for marker in _CHAINED):
            blocks = blocks[i + 1:]
            break
    for block in blocks:
        lines = block.strip().splitlines()
        frame = _CELL_FRAME.match(lines[0]) if lines else None
        if frame:
            arrows = [found.group(1).strip() for found in map(_ARROW.match, lines[1:]) if found]
            return int(frame.group(1)), arrows[0] if arrows else ""
    return None


def _cell_place(nb, cell_state):
    """Where a notebook failed: ``"cell [4], line 2 `assert ok`"`` (or less, where unknown)."""
    if "index" not in cell_state:
        return ""
    cell, index = cell_state["cell"], cell_state["index"]
    count = cell.get("execution_count")
    place = (f"cell [{count}]" if count else
             f"code cell {sum(c.cell_type == 'code' for c in nb.cells[:index + 1])}")
    found = _cell_line(cell_state.get("traceback"))
    if found:
        number, source = found
        source = source if len(source) <= 80 else source[:79] + "…"
        place += f", line {number}" + (f" `{source}`" if source else "")
    return place


def _outcome(entry_status, error, records, info, profile):
    """The status and error of a notebook once its records are checked."""
    metrics = [check_metric(m, profile) for m in records["metrics"]]
    missed = [m for m in metrics if m["met"] is False]
    problems = []
    if records["errors"]:
        problems.append(f"the record file of {info.filename}, " + "; ".join(records["errors"]))
    if missed:
        problems.append(f"target missed in the {profile} profile: "
                        + "; ".join(describe_miss(m) for m in missed))
    if problems and entry_status == "ok":
        entry_status = "failed"
    if problems:
        error = "\n".join(([error] if error else []) + problems)[:2000]
    return entry_status, error, metrics, missed


def execute_notebook(info, out_dir, profile="full", notebooks_dir=None, write_back=False,
                     cell_timeout=DEFAULT_CELL_TIMEOUT_S, progress=True, env=None, _control=None, *,
                     allow_errors=False):
    """Runs one notebook in a fresh kernel and returns its report entry.

    A notebook that cannot be read, whose record file has a partial line, that
    misses a target of ``profile``, or whose executed copy (or figures) cannot
    be written gets ``"status": "failed"`` with an ``error`` naming the cause;
    nothing is raised for those.

    Args:
        info: a :class:`~dlcourse_keras.course.catalogue.NotebookInfo`.
        out_dir: where the executed copy and figures go; must not be the
            notebooks folder.
        profile: ``"smoke"`` or ``"full"``. Default ``"full"``.
        notebooks_dir: folder holding the notebooks. Default: the checkout's.
        write_back: also replace the source notebook (atomically) with the
            executed one when it succeeded (to commit full-profile outputs).
            Default False.
        cell_timeout: seconds allowed per cell. Default 1800.
        progress: show a per-cell progress bar. Default True.
        env: the kernel's environment; ``DLCOURSE_MIRROR`` and ``DLCOURSE_CACHE``
            are made absolute (:func:`dlcourse_keras.data.config.absolute_env`).
            Default ``os.environ``.
        allow_errors: run every cell even after one raises (the error stays in
            the executed copy's outputs); ``dlcourse check`` grades student
            notebooks so. Default False (the first error stops the notebook).

    Returns:
        The entry (see :func:`dlcourse_keras.course.report.new_entry`).

    Raises:
        ValueError: ``profile`` is unknown, or ``out_dir`` is the notebooks folder.
    """
    import nbclient
    import nbformat

    if profile not in PROFILES:
        raise ValueError(f"profile={profile!r} must be one of {PROFILES}.")
    notebooks_dir = os.path.abspath(notebooks_dir or course.notebooks_dir())
    out_dir = os.path.abspath(out_dir)
    source = os.path.join(notebooks_dir, info.filename)
    executed = os.path.join(out_dir, info.filename)
    if same_path(notebooks_dir, out_dir) or same_path(source, executed):
        raise ValueError(f"out_dir={out_dir!r} is the notebooks folder; executed copies would "
                         "overwrite the sources. Choose another output folder.")
    if _control is not None and _control.stop.is_set():
        return new_entry(info, profile, status="not run", error="the run was stopped before it started")
    try:
        nb = nbformat.read(source, as_version=4)
    except Exception as exc:  # not JSON, not a notebook, unreadable
        return new_entry(info, profile, error=f"could not read notebook {source}: "
                                              f"{error_summary(exc)}"[:2000])
    figure_dir = os.path.join(out_dir, "figures", info.id)
    try:
        os.makedirs(out_dir, exist_ok=True)
        if os.path.isdir(figure_dir):
            shutil.rmtree(figure_dir)  # figures of an earlier run must not pass as this run's
    except OSError as exc:
        return new_entry(info, profile, error=f"could not prepare the output folder {out_dir}: {exc}")
    bar = None
    if progress:
        from tqdm.auto import tqdm

        code_cells = sum(1 for c in nb.cells if c.cell_type == "code")
        bar = tqdm(total=code_cells, desc=f"{info.id} {info.slug}", unit="cell", leave=True)
    cell_state = {}

    def on_cell_start(cell, cell_index, **_):
        cell_state.update(cell=cell, index=cell_index, traceback=None)
        if _control is not None and _control.stop.is_set():
            raise StopRequested("the run was stopped")

    def on_cell_error(execute_reply=None, **_):
        content = (execute_reply or {}).get("content", {})
        cell_state["traceback"] = content.get("traceback")

    def on_cell_executed(cell, **_):
        if bar is not None and cell.cell_type == "code":
            bar.update(1)

    client = nbclient.NotebookClient(
        nb, timeout=math.ceil(cell_timeout), kernel_name="python3",  # nbclient wants whole seconds
        allow_errors=allow_errors,
        resources={"metadata": {"path": notebooks_dir}}, on_cell_start=on_cell_start,
        on_cell_error=on_cell_error, on_cell_executed=on_cell_executed,
    )
    status, error = "ok", None
    with tempfile.TemporaryDirectory() as tmp:
        record_file = os.path.join(tmp, "records.jsonl")
        kernel_env = absolute_env(env)
        kernel_env.update({PROFILE_ENV: profile, RECORD_ENV: record_file,
                           FIGURE_DIR_ENV: figure_dir, "PYTHONHASHSEED": "0"})
        start = time.perf_counter()
        if _control is not None:
            _control.started(info.id, client)
        try:
            # the kernel's own stderr (start-up notices) goes to a log, not over the progress bar
            with open(os.path.join(out_dir, f"{info.id}.kernel.log"), "w") as kernel_log:
                client.execute(stderr=kernel_log, env=kernel_env)
        except Exception as exc:  # a failing cell, a dead kernel, a timeout, a stop request, a full disk
            status, error = "failed", error_summary(exc, _cell_place(nb, cell_state))
        finally:
            if _control is not None:
                _control.finished(info.id)
        seconds = time.perf_counter() - start
        records = read_records(record_file)
    if bar is not None:
        bar.close()
    if _control is not None and _control.stop.is_set() and status != "ok":
        status, error = "interrupted", _control.stop_reason()
    status, error, metrics, missed = _outcome(status, error, records, info, profile)
    executed_name = None
    try:
        _write_notebook_atomic(nb, executed)
        executed_name = info.filename
        if write_back and status == "ok":
            _write_notebook_atomic(nb, source)
    except (OSError, ValueError) as exc:  # a full disk, a read-only folder, unencodable text
        target = executed if executed_name is None else source
        status = "failed" if status == "ok" else status
        error = "\n".join(([error] if error else [])
                          + [f"could not write {target}: {exc}"])[:2000]
    return new_entry(
        info, profile,
        status=status,
        seconds=round(seconds, 2),
        metrics=metrics,
        targets_missed=[m["name"] for m in missed],
        data_sources=records["data_sources"],
        figures=[dict(f, path=os.path.relpath(f["path"], out_dir)) for f in records["figures"]],
        error=error,
        executed_notebook=executed_name,
        exercises=latest_exercise_results(records["exercises"]),
    )

