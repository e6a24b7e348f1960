"""The course runner: executes notebooks headless and writes a report.

Each notebook runs top to bottom in a fresh kernel with the chosen profile.
Results recorded with :func:`dlcourse_keras.record_metric` (and the data
sources the loaders used, and key figures) are collected from a JSON-lines
file whose path the runner passes to the kernel in ``DLCOURSE_RECORD_FILE``.
"""

import contextlib
import datetime
import importlib.metadata
import json
import os
import platform
import shutil
import tempfile
import time

from . import course
from .metrics import FIGURE_DIR_ENV, RECORD_ENV
from .profile import PROFILE_ENV, PROFILES

DEFAULT_CELL_TIMEOUT_S = 1800


@contextlib.contextmanager
def _environment(**values):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def read_records(path):
    """Parses the JSON-lines record file written by a notebook's kernel."""
    records = {"metrics": [], "data_sources": [], "figures": []}
    if not os.path.exists(path):
        return records
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            entry = json.loads(line)
            kind = entry.pop("kind", None)
            if kind == "metric":
                records["metrics"].append(entry)
            elif kind == "data":
                if entry not in records["data_sources"]:
                    records["data_sources"].append(entry)
            elif kind == "figure":
                records["figures"].append(entry)
    return records


def _error_summary(exc):
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    return f"{ename}: {evalue}".strip()[:2000]


def execute_notebook(info, out_dir, profile="full", notebooks_dir=None, write_back=False,
                     cell_timeout=DEFAULT_CELL_TIMEOUT_S, progress=True):
    """Runs one notebook in a fresh kernel and returns its report entry.

    Args:
        info: a :class:`~dlcourse_keras.course.NotebookInfo`.
        out_dir: where the executed copy and figures go.
        profile: ``"smoke"`` or ``"full"`` (default).
        notebooks_dir: folder holding the notebooks. Default: the checkout's.
        write_back: also overwrite the source notebook with the executed one
            when it succeeded (to commit full-profile outputs).
        cell_timeout: seconds allowed per cell.
        progress: show a per-cell progress bar.
    """
    import nbclient
    import nbformat

    if profile not in PROFILES:
        raise ValueError(f"profile={profile!r} must be one of {PROFILES}.")
    notebooks_dir = notebooks_dir or course.notebooks_dir()
    source = os.path.join(notebooks_dir, info.filename)
    nb = nbformat.read(source, as_version=4)
    figure_dir = os.path.join(out_dir, "figures", info.id)
    shutil.rmtree(figure_dir, ignore_errors=True)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        code_cells = sum(1 for c in nb.cells if c.cell_type == "code")
        bar = tqdm(total=code_cells, desc=f"{info.id} {info.slug}", unit="cell", leave=True)

    def on_cell_executed(cell, **_):
        if bar is not None and cell.cell_type == "code":
            bar.update(1)

    client = nbclient.NotebookClient(
        nb, timeout=cell_timeout, kernel_name="python3",
        resources={"metadata": {"path": notebooks_dir}}, on_cell_executed=on_cell_executed,
    )
    status, error = "ok", None
    with tempfile.TemporaryDirectory() as tmp:
        record_file = os.path.join(tmp, "records.jsonl")
        start = time.perf_counter()
        with _environment(**{PROFILE_ENV: profile, RECORD_ENV: record_file,
                             FIGURE_DIR_ENV: figure_dir, "PYTHONHASHSEED": "0"}):
            os.makedirs(out_dir, exist_ok=True)
            # the kernel's own stderr (start-up notices) goes to a log, not over the progress bar
            with open(os.path.join(out_dir, f"{info.id}.kernel.log"), "w") as kernel_log:
                try:
                    client.execute(stderr=kernel_log)
                except Exception as exc:  # a failing cell, a dead kernel, a timeout
                    status, error = "failed", _error_summary(exc)
        seconds = time.perf_counter() - start
        records = read_records(record_file)
    if bar is not None:
        bar.close()
    executed = os.path.join(out_dir, info.filename)
    nbformat.write(nb, executed)
    if write_back and status == "ok":
        nbformat.write(nb, source)
    missed = [m["name"] for m in records["metrics"] if m.get("met") is False]
    return {
        "id": info.id,
        "title": info.title,
        "file": info.filename,
        "status": status,
        "seconds": round(seconds, 2),
        "profile": profile,
        "metrics": records["metrics"],
        "targets_missed": missed,
        "data_sources": records["data_sources"],
        "figures": [dict(f, path=os.path.relpath(f["path"], out_dir)) for f in records["figures"]],
        "error": error,
        "executed_notebook": info.filename,
    }


def _versions():
    names = ("tensorflow", "keras", "numpy", "dlcourse_keras")
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def resolve_ids(ids, notebooks_dir=None):
    """Catalogue entries for ``ids`` (all available notebooks when empty)."""
    available = course.available_notebooks(notebooks_dir)
    if not ids:
        return available
    chosen = []
    for notebook_id in ids:
        info = course.get_notebook(notebook_id)
        if info not in available:
            raise ValueError(f"notebook {info.id} ({info.filename}) is not in "
                             f"{notebooks_dir or course.notebooks_dir()}.")
        chosen.append(info)
    return chosen


def run_course(ids=None, profile="full", out_dir="reports/latest", notebooks_dir=None,
               write_back=False, cell_timeout=DEFAULT_CELL_TIMEOUT_S, progress=True):
    """Runs notebooks and writes ``report.json`` and ``report.html`` in ``out_dir``.

    Returns:
        The report dict; ``report["failed"]`` counts failed notebooks.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile={profile!r} must be one of {PROFILES}.")
    chosen = resolve_ids(ids, notebooks_dir)
    if not chosen:
        raise ValueError(f"no notebooks to run in {notebooks_dir or course.notebooks_dir()}.")
    out_dir = os.path.abspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    started = datetime.datetime.now(datetime.timezone.utc)
    entries = []
    for info in chosen:
        entry = execute_notebook(info, out_dir, profile, notebooks_dir, write_back,
                                 cell_timeout, progress)
        entries.append(entry)
        if progress:
            print(f"{info.id} {entry['status']:6s} {entry['seconds']:7.1f} s  {info.title}"
                  + (f"\n    {entry['error']}" if entry["error"] else ""), flush=True)
    report = {
        "course": "dlcourse_keras",
        "profile": profile,
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(sum(e["seconds"] for e in entries), 2),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpu_count": os.cpu_count(), "versions": _versions(),
                    "data_mirror": os.environ.get("DLCOURSE_MIRROR") or None},
        "ok": sum(e["status"] == "ok" for e in entries),
        "failed": sum(e["status"] != "ok" for e in entries),
        "notebooks": entries,
    }
    with open(os.path.join(out_dir, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    from .report import write_html_report

    write_html_report(report, os.path.join(out_dir, "report.html"), out_dir)
    return report
