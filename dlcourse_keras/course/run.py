"""The course runner: runs notebooks (one kernel each) and writes report.json and report.html.

What the runner promises:

* The report is always true. ``report.json`` is rewritten (atomically) when a
  run starts, with ``"state": "running"``, after every finished notebook, and
  at the end with ``"complete"`` or ``"interrupted"``; a run killed outright
  leaves a report that says it did not finish. NaN and inf are ``null`` plus a
  ``"nonfinite"`` flag, and a target missed in the profile being run fails the
  notebook.
* SIGINT or SIGTERM stops the whole run: running kernels are killed, queued
  notebooks are marked ``"not run"``, the report is marked interrupted, and
  ``dlcourse run`` exits with 130 or 143.
* Sources are never damaged: executed copies, write-backs and reports are
  written to a temporary file beside the target and moved into place with
  ``os.replace``; an output folder that is the notebooks folder is refused.
* One bad input (an unreadable ``.ipynb``, a partial record line) or one
  failed write (a full disk under the executed copy or the figures) fails only
  its notebook; the rest run and the report is written.
* A report that cannot be written when the run starts stops it before any
  notebook runs; one that cannot be written later is tried again after every
  notebook, and if the last try fails :class:`~.report.ReportWriteError` is
  raised (``dlcourse run`` exits with 3). A report to resume is checked
  before anything is written, and refused (exit 2) if it is not one this
  runner writes.
"""

import concurrent.futures
import datetime
import importlib.metadata
import math
import os
import platform
import sys
import time

from ..data.config import absolute_env
from . import catalogue as course
from .control import RunControl
from .execution import DEFAULT_CELL_TIMEOUT_S, same_path, execute_notebook
from .profile import PROFILES
from .rendering import progress_line, write_html_report
from .report import (
    HTML_FILE, REPORT_FILE, ReportWriteError, error_summary, is_number, new_entry, resumable_entries,
    write_report_json,
)

# after a stop signal, how long running notebooks get to wind down before the report is written
STOP_GRACE_S = 20.0


# --- a run ----------------------------------------------------------------------------------

def _versions():
    found = {}
    for name in ("tensorflow", "keras", "numpy", "dlcourse_keras"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def resolve_ids(ids, notebooks_dir=None):
    """Catalogue entries for ``ids`` (all available notebooks when empty).

    ``ids`` may be one id (``"03"``, ``3``) or a list of them; an id given twice
    runs once, in the order first given.
    """
    available = course.available_notebooks(notebooks_dir)
    if ids is None or (not isinstance(ids, (str, int)) and len(ids) == 0) or ids == "":
        return available
    if isinstance(ids, (str, int)):
        ids = [ids]
    chosen = []
    for notebook_id in ids:
        info = course.get_notebook(notebook_id)
        if info not in available:
            raise ValueError(f"notebook {info.id} ({info.filename}) is not in "
                             f"{notebooks_dir or course.notebooks_dir()}.")
        if info not in chosen:
            chosen.append(info)
    return chosen


def write_report(report, out_dir):
    """Writes ``report.json``, then ``report.html``, into ``out_dir``, each atomically.

    Raises:
        ReportWriteError: naming the file that could not be written.
    """
    write_report_json(report, out_dir)
    path = os.path.join(out_dir, HTML_FILE)
    try:
        write_html_report(report, path)
    except (OSError, ValueError) as exc:
        raise ReportWriteError(path, exc, report) from exc


def _check_settings(profile, cell_timeout, jobs, out_dir):
    if profile not in PROFILES:
        raise ValueError(f"profile={profile!r} must be one of {PROFILES}.")
    if not is_number(cell_timeout) or not math.isfinite(cell_timeout) or cell_timeout <= 0:
        raise ValueError(f"cell_timeout={cell_timeout!r} must be a positive number of seconds.")
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs={jobs!r} must be a positive whole number.")
    if not isinstance(out_dir, (str, os.PathLike)) or not str(out_dir).strip():
        raise ValueError(f"out_dir={out_dir!r} must name a folder.")


def run_course(ids=None, profile="full", out_dir="reports/latest", notebooks_dir=None,
               write_back=False, cell_timeout=DEFAULT_CELL_TIMEOUT_S, progress=True, jobs=1,
               resume=False):
    """Runs notebooks and writes ``report.json`` and ``report.html`` in ``out_dir``.

    Args:
        ids: one notebook id or a list of them; duplicates run once. Default:
            every notebook in ``notebooks_dir``.
        profile: ``"smoke"`` or ``"full"`` (default).
        out_dir: output folder (report, executed copies, figures, kernel logs);
            must not be the notebooks folder. Default ``"reports/latest"``.
        notebooks_dir: folder holding the notebooks. Default: the checkout's.
        write_back: save executed outputs into the source notebooks (atomically,
            only for notebooks that passed). Default False.
        cell_timeout: seconds allowed per cell, a positive number. Default 1800.
        progress: print progress (per-cell bars when ``jobs == 1``, one line per
            finished notebook, with the first line of its error, and a
            "running" line otherwise). Default True.
        jobs: notebooks run at once, each in its own kernel. Default 1.
        resume: skip notebooks already ``ok`` in the report in ``out_dir``
            (of the same profile) and run the rest. Default False.

    Returns:
        The report dict: ``state`` (``"complete"`` or ``"interrupted"``),
        ``signal`` (the signal's name or None), ``ok``, ``failed`` and
        ``not_finished`` counts, and one entry per notebook whose ``status`` is
        ``"ok"``, ``"failed"``, ``"interrupted"`` or ``"not run"``.

    Raises:
        ValueError: a bad argument, or (with ``resume``) no usable report in
            ``out_dir``; nothing has been written then.
        ReportWriteError: the report could not be written, at the start (no
            notebook was run) or at the end (``exc.report`` holds the results).

    Example:

    >>> report = run_course(["00"], profile="smoke", out_dir="reports/smoke")  # doctest: +SKIP
    >>> report["ok"]  # doctest: +SKIP
    1
    """
    _check_settings(profile, cell_timeout, jobs, out_dir)
    notebooks_dir = os.path.abspath(notebooks_dir or course.notebooks_dir())
    out_dir = os.path.abspath(out_dir)
    if same_path(out_dir, notebooks_dir):
        raise ValueError(f"out_dir={out_dir!r} is the notebooks folder; executed copies would "
                         "overwrite the sources. Choose another output folder.")
    chosen = resolve_ids(ids, notebooks_dir)
    if not chosen:
        raise ValueError(f"no notebooks to run in {notebooks_dir}.")
    env = absolute_env()
    carried = {}
    if resume:  # checked before anything in out_dir is touched
        carried = {k: dict(v, resumed=True) for k, v in resumable_entries(out_dir, profile).items()
                   if k in {info.id for info in chosen}}
    started = datetime.datetime.now(datetime.timezone.utc)
    wall_start = time.perf_counter()
    report = {
        "course": "dlcourse_keras",
        "profile": profile,
        "state": "running",
        "signal": None,
        "started": started.isoformat(timespec="seconds"),
        "finished": None,
        "seconds": 0.0,
        "wall_seconds": 0.0,
        "jobs": jobs,
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpu_count": os.cpu_count(), "versions": _versions(),
                    "data_mirror": env.get("DLCOURSE_MIRROR") or None},
        "ok": 0, "failed": 0, "not_finished": 0,
        "notebooks": [],
    }
    entries = dict(carried)

    def publish(state):
        report["notebooks"] = [entries[i.id] for i in chosen if i.id in entries]
        report["state"] = state
        report["ok"] = sum(e["status"] == "ok" for e in report["notebooks"])
        report["failed"] = sum(e["status"] == "failed" for e in report["notebooks"])
        report["not_finished"] = sum(e["status"] in ("interrupted", "not run")
                                     for e in report["notebooks"])
        report["seconds"] = round(sum(e["seconds"] for e in report["notebooks"]), 2)
        report["wall_seconds"] = round(time.perf_counter() - wall_start, 2)
        write_report(report, out_dir)

    os.makedirs(out_dir, exist_ok=True)
    try:
        publish("running")  # replaces any earlier report before the first kernel starts
    except ReportWriteError as exc:
        exc.consequence = "no notebook was run"
        raise
    todo = [info for info in chosen if info.id not in carried]
    control = RunControl()
    write_failure = None
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="dlcourse-run")
    with control.signals_installed():
        if progress and (jobs > 1 or carried):
            print(f"running {len(todo)} notebook(s) in up to {jobs} kernel(s), profile {profile}"
                  + (f"; {len(carried)} already ok, skipped" if carried else ""), flush=True)
        futures = {pool.submit(execute_notebook, info, out_dir, profile, notebooks_dir, write_back,
                               cell_timeout, progress and jobs == 1, env, control): info
                   for info in todo}

        def running_ids():
            return sorted(info.id for future, info in futures.items() if future.running())

        pending = set(futures)
        try:
            while pending:
                done, pending = concurrent.futures.wait(
                    pending, timeout=0.2, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: futures[f].id):
                    info = futures[future]
                    if future.cancelled():
                        entries[info.id] = new_entry(info, profile, status="not run",
                                                     error="the run was stopped before it started")
                        continue
                    try:
                        entries[info.id] = future.result()
                    except Exception as exc:  # a runner bug must not lose the other results
                        entries[info.id] = new_entry(info, profile, error=error_summary(exc))
                    if progress:
                        finished = sum(i.id in entries for i in todo)
                        line = progress_line(entries[info.id], finished, len(todo))
                        busy = running_ids() if jobs > 1 else []
                        if busy:
                            line += f"\n      running: {', '.join(busy)}"
                        print(line, flush=True)
                if done:
                    try:
                        publish("running")
                        write_failure = None
                    except ReportWriteError as exc:  # tried again after the next notebook
                        if write_failure is None:
                            print(f"dlcourse: warning: {exc}; the run goes on and tries again after "
                                  "each notebook", file=sys.stderr, flush=True)
                        write_failure = exc
                if control.stop.is_set():
                    for future in pending:
                        future.cancel()
                    control.kill_kernels()
                    if control.force or time.monotonic() - control.stopped_at > STOP_GRACE_S:
                        break
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    for info in todo:
        if info.id not in entries:
            entries[info.id] = new_entry(info, profile,
                                         status="interrupted" if control.signum else "not run",
                                         error="still running when the report was written")
    if control.signum is not None:
        report["signal"] = control.signal_name()
    report["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    try:
        publish("interrupted" if control.stop.is_set() else "complete")
    except ReportWriteError as exc:
        if os.path.basename(exc.path) == REPORT_FILE:
            exc.consequence = (f"the {REPORT_FILE} there is the last one written, which says the run "
                               "has not finished; the results above are the run's only record")
        else:
            exc.consequence = f"{REPORT_FILE} was written, but the page there is out of date"
        raise
    return report
