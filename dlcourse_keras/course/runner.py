"""The course runner: executes notebooks headless and writes a report.

Each notebook runs top to bottom in a fresh kernel with the chosen profile.
Results recorded with :func:`dlcourse_keras.record_metric` (and the data
sources the loaders used, and key figures) are collected from a JSON-lines
file whose path the runner passes to the kernel in ``DLCOURSE_RECORD_FILE``.

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
* One bad input (an unreadable ``.ipynb``, a partial record line) fails only
  its notebook; the rest run and the report is written.
"""

import concurrent.futures
import contextlib
import datetime
import importlib.metadata
import json
import math
import os
import platform
import shutil
import signal
import stat
import tempfile
import threading
import time

from .._fileio import write_text_atomic
from . import catalogue as course
from .records import FIGURE_DIR_ENV, RECORD_ENV, target_met
from .profile import PROFILE_ENV, PROFILES

DEFAULT_CELL_TIMEOUT_S = 1800
# data-layer paths a kernel must see as absolute: kernels run in the notebooks folder
PATH_ENVS = ("DLCOURSE_MIRROR", "DLCOURSE_CACHE")
REPORT_FILE = "report.json"
HTML_FILE = "report.html"
# after a stop signal, how long running notebooks get to wind down before the report is written
STOP_GRACE_S = 20.0

# --- files ----------------------------------------------------------------------------------

def _write_notebook_atomic(nb, path):
    import nbformat

    write_text_atomic(path, nbformat.writes(nb))


def _same_path(a, b):
    a, b = os.path.realpath(a), os.path.realpath(b)
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def kernel_environment(base=None):
    """The environment for a notebook kernel: ``base`` (default ``os.environ``) with
    ``DLCOURSE_MIRROR`` and ``DLCOURSE_CACHE`` made absolute.

    Kernels run in the notebooks folder, so a relative path given on the
    command line (``DLCOURSE_MIRROR=../shared/data``) must be resolved against
    the folder the run started from, before any kernel starts.
    """
    env = dict(os.environ if base is None else base)
    for name in PATH_ENVS:
        value = env.get(name)
        if value:
            env[name] = os.path.abspath(os.path.expanduser(value))
    return env


# --- records written by a kernel ------------------------------------------------------------

def read_records(path):
    """Parses the JSON-lines record file written by a notebook's kernel.

    Returns:
        A dict with lists ``metrics``, ``data_sources``, ``figures`` and
        ``errors`` (one message per line that is not a complete JSON record;
        the good lines are still read).
    """
    records = {"metrics": [], "data_sources": [], "figures": [], "errors": []}
    if not os.path.exists(path):
        return records
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict):
                    raise ValueError(f"expected an object, got {type(entry).__name__}")
            except ValueError as exc:
                records["errors"].append(f"line {number} is not a complete JSON record ({exc})")
                continue
            kind = entry.pop("kind", None)
            if kind == "metric":
                records["metrics"].append(entry)
            elif kind == "data":
                if entry not in records["data_sources"]:
                    records["data_sources"].append(entry)
            elif kind == "figure":
                records["figures"].append(entry)
    return records


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_metric(metric, profile):
    """A recorded metric with its target for ``profile`` and ``met`` worked out again.

    NaN and inf values become ``None`` with ``"nonfinite"`` set, and never meet
    a target; a metric recorded with per-profile ``targets`` takes the one for
    ``profile`` (none if that profile has none).
    """
    m = dict(metric)
    value = m.get("value")
    if _number(value) and not math.isfinite(value):
        m["value"] = None
        m["nonfinite"] = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(m.get("targets"), dict):
        m["target"] = m["targets"].get(profile)
    target = m.get("target")
    if target is not None and not (_number(target) and math.isfinite(target)):
        target = m["target"] = None
    value = m.get("value")
    m["met"] = target_met(value if _number(value) else None, target, m.get("goal", "max"))
    return m


def _describe_miss(m):
    sign = ">=" if m.get("goal", "max") == "max" else "<="
    value = m.get("nonfinite") or (f"{m['value']:.6g}" if _number(m.get("value")) else "missing")
    return f"{m['name']} = {value}, needs {sign} {m['target']:g}"


def _error_summary(exc):
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    return f"{ename}: {evalue}".strip()[:2000]


# --- stopping on a signal -------------------------------------------------------------------

class _StopRequested(Exception):
    """Raised before a cell starts once the run has been told to stop."""


def _kernel_process(client):
    """``(pid, process group)`` of a notebook client's kernel, or None where unknown.

    jupyter-client >= 7 exposes them on ``km.provisioner``; 6.x (Colab's) only keeps the
    ``Popen`` as ``km.kernel``, and starts the kernel in a session of its own, so its group
    is read from the pid.
    """
    km = getattr(client, "km", None)
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None) or getattr(getattr(km, "kernel", None), "pid", None)
    pgid = getattr(provisioner, "pgid", None)
    if pid and not pgid:
        with contextlib.suppress(OSError):
            pgid = os.getpgid(pid)
    return pid, pgid


class _RunControl:
    """Tracks running kernels and the stop request of one ``run_course`` call."""

    def __init__(self):
        self.stop = threading.Event()
        self.signum = None
        self.stopped_at = None
        self.force = False
        self._clients = {}
        # re-entrant: the signal handler may run while the main thread holds it
        self._lock = threading.RLock()

    def started(self, key, client):
        with self._lock:
            self._clients[key] = client

    def finished(self, key):
        with self._lock:
            self._clients.pop(key, None)

    def request_stop(self, signum):
        if self.stop.is_set():
            self.force = True  # a second signal: do not wait for kernels to wind down
        else:
            self.signum = signum
            self.stopped_at = time.monotonic()
            self.stop.set()
        self.kill_kernels()

    def kill_kernels(self):
        """Kills every running kernel's process group (the kernel and its children)."""
        with self._lock:
            clients = list(self._clients.values())
        for client in clients:
            pid, pgid = _kernel_process(client)
            with contextlib.suppress(OSError):
                if pgid and pgid != os.getpgrp():
                    os.killpg(pgid, signal.SIGKILL)
                elif pid:
                    os.kill(pid, signal.SIGKILL)

    @contextlib.contextmanager
    def signals_installed(self):
        """Routes SIGINT and SIGTERM to :meth:`request_stop` (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = [signal.SIGINT, signal.SIGTERM]
        saved = {s: signal.getsignal(s) for s in handled}
        for s in handled:
            signal.signal(s, lambda signum, _frame: self.request_stop(signum))
        try:
            yield
        finally:
            for s, handler in saved.items():
                signal.signal(s, handler)


# --- one notebook ---------------------------------------------------------------------------

def _entry(info, profile, **fields):
    entry = {
        "id": info.id,
        "title": info.title,
        "file": info.filename,
        "status": "failed",
        "seconds": 0.0,
        "profile": profile,
        "metrics": [],
        "targets_missed": [],
        "data_sources": [],
        "figures": [],
        "error": None,
        "executed_notebook": None,
    }
    entry.update(fields)
    return entry


def execute_notebook(info, out_dir, profile="full", notebooks_dir=None, write_back=False,
                     cell_timeout=DEFAULT_CELL_TIMEOUT_S, progress=True, env=None, _control=None):
    """Runs one notebook in a fresh kernel and returns its report entry.

    A notebook that cannot be read, whose record file has a partial line, that
    misses a target of ``profile``, or whose executed copy cannot be written
    gets ``"status": "failed"`` with an ``error`` naming the cause; nothing is
    raised for those.

    Args:
        info: a :class:`~dlcourse_keras.course.NotebookInfo`.
        out_dir: where the executed copy and figures go; must not be the
            notebooks folder.
        profile: ``"smoke"`` or ``"full"`` (default).
        notebooks_dir: folder holding the notebooks. Default: the checkout's.
        write_back: also replace the source notebook (atomically) with the
            executed one when it succeeded (to commit full-profile outputs).
        cell_timeout: seconds allowed per cell.
        progress: show a per-cell progress bar.
        env: the kernel's environment. Default: :func:`kernel_environment`.
    """
    import nbclient
    import nbformat

    if profile not in PROFILES:
        raise ValueError(f"profile={profile!r} must be one of {PROFILES}.")
    notebooks_dir = os.path.abspath(notebooks_dir or course.notebooks_dir())
    out_dir = os.path.abspath(out_dir)
    source = os.path.join(notebooks_dir, info.filename)
    executed = os.path.join(out_dir, info.filename)
    if _same_path(notebooks_dir, out_dir) or _same_path(source, executed):
        raise ValueError(f"out_dir={out_dir!r} is the notebooks folder; executed copies would "
                         "overwrite the sources. Choose another output folder.")
    if _control is not None and _control.stop.is_set():
        return _entry(info, profile, status="not run", error="the run was stopped before it started")
    try:
        nb = nbformat.read(source, as_version=4)
    except Exception as exc:  # not JSON, not a notebook, unreadable
        return _entry(info, profile, error=f"could not read notebook {source}: "
                                           f"{_error_summary(exc)}"[:2000])
    os.makedirs(out_dir, exist_ok=True)
    figure_dir = os.path.join(out_dir, "figures", info.id)
    shutil.rmtree(figure_dir, ignore_errors=True)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        code_cells = sum(1 for c in nb.cells if c.cell_type == "code")
        bar = tqdm(total=code_cells, desc=f"{info.id} {info.slug}", unit="cell", leave=True)

    def on_cell_start(**_):
        if _control is not None and _control.stop.is_set():
            raise _StopRequested("the run was stopped")

    def on_cell_executed(cell, **_):
        if bar is not None and cell.cell_type == "code":
            bar.update(1)

    client = nbclient.NotebookClient(
        nb, timeout=math.ceil(cell_timeout), kernel_name="python3",  # nbclient wants whole seconds
        resources={"metadata": {"path": notebooks_dir}},
        on_cell_start=on_cell_start, on_cell_executed=on_cell_executed,
    )
    status, error = "ok", None
    with tempfile.TemporaryDirectory() as tmp:
        record_file = os.path.join(tmp, "records.jsonl")
        kernel_env = kernel_environment(env)
        kernel_env.update({PROFILE_ENV: profile, RECORD_ENV: record_file,
                           FIGURE_DIR_ENV: figure_dir, "PYTHONHASHSEED": "0"})
        start = time.perf_counter()
        if _control is not None:
            _control.started(info.id, client)
        try:
            # the kernel's own stderr (start-up notices) goes to a log, not over the progress bar
            with open(os.path.join(out_dir, f"{info.id}.kernel.log"), "w") as kernel_log:
                client.execute(stderr=kernel_log, env=kernel_env)
        except Exception as exc:  # a failing cell, a dead kernel, a timeout, a stop request
            status, error = "failed", _error_summary(exc)
        finally:
            if _control is not None:
                _control.finished(info.id)
        seconds = time.perf_counter() - start
        records = read_records(record_file)
    if bar is not None:
        bar.close()
    if _control is not None and _control.stop.is_set() and status != "ok":
        name = signal.Signals(_control.signum).name if _control.signum else "a stop request"
        status, error = "interrupted", f"interrupted by {name}"
    metrics = [check_metric(m, profile) for m in records["metrics"]]
    missed = [m for m in metrics if m["met"] is False]
    problems = []
    if records["errors"]:
        problems.append(f"the record file of {info.filename}, " + "; ".join(records["errors"]))
    if missed:
        problems.append(f"target missed in the {profile} profile: "
                        + "; ".join(_describe_miss(m) for m in missed))
    if problems and status == "ok":
        status = "failed"
    if problems:
        error = "\n".join(([error] if error else []) + problems)[:2000]
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
    return _entry(
        info, profile,
        status=status,
        seconds=round(seconds, 2),
        metrics=metrics,
        targets_missed=[m["name"] for m in missed],
        data_sources=records["data_sources"],
        figures=[dict(f, path=os.path.relpath(f["path"], out_dir)) for f in records["figures"]],
        error=error,
        executed_notebook=executed_name,
    )


# --- a run ----------------------------------------------------------------------------------

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


def _json_safe(value):
    """``value`` with every NaN or inf float replaced by None (they are not JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def write_report(report, out_dir):
    """Writes ``report.json`` and ``report.html`` into ``out_dir``, each atomically."""
    from .rendering import render_html_report

    report = _json_safe(report)
    write_text_atomic(os.path.join(out_dir, REPORT_FILE),
                      json.dumps(report, indent=2, allow_nan=False))
    write_text_atomic(os.path.join(out_dir, HTML_FILE), render_html_report(report, out_dir))


def _resumable_entries(out_dir, profile):
    path = os.path.join(out_dir, REPORT_FILE)
    if not os.path.isfile(path):
        raise ValueError(f"there is no report to resume in {out_dir} ({REPORT_FILE} is missing).")
    try:
        with open(path, encoding="utf-8") as f:
            previous = json.load(f)
        entries = previous["notebooks"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"cannot resume from {path}: it is not a run report ({exc}).") from None
    if previous.get("profile") != profile:
        raise ValueError(f"cannot resume the {previous.get('profile')!r} profile run in {path} "
                         f"with profile={profile!r}.")
    return {e["id"]: e for e in entries if e.get("status") == "ok"
            and os.path.isfile(os.path.join(out_dir, e.get("executed_notebook") or ""))}


def _progress_line(entry, done, total):
    line = f"[{done}/{total}] {entry['id']} {entry['status']:11s} {entry['seconds']:7.1f} s  {entry['title']}"
    if entry["error"]:
        line += "\n      " + entry["error"].replace("\n", "\n      ")
    return line


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
            only for notebooks that passed).
        cell_timeout: seconds allowed per cell, a positive number. Default 1800.
        progress: print progress (per-cell bars when ``jobs == 1``, one line per
            finished notebook and a "running" line otherwise).
        jobs: notebooks run at once, each in its own kernel. Default 1.
        resume: skip notebooks already ``ok`` in the report in ``out_dir``
            (of the same profile) and run the rest.

    Returns:
        The report dict: ``state`` (``"complete"`` or ``"interrupted"``),
        ``signal`` (the signal's name or None), ``ok``, ``failed`` and
        ``not_finished`` counts, and one entry per notebook whose ``status`` is
        ``"ok"``, ``"failed"``, ``"interrupted"`` or ``"not run"``.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile={profile!r} must be one of {PROFILES}.")
    if (not _number(cell_timeout) or not math.isfinite(cell_timeout) or cell_timeout <= 0):
        raise ValueError(f"cell_timeout={cell_timeout!r} must be a positive number of seconds.")
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs={jobs!r} must be a positive whole number.")
    if not isinstance(out_dir, (str, os.PathLike)) or not str(out_dir).strip():
        raise ValueError(f"out_dir={out_dir!r} must name a folder.")
    notebooks_dir = os.path.abspath(notebooks_dir or course.notebooks_dir())
    out_dir = os.path.abspath(out_dir)
    if _same_path(out_dir, notebooks_dir):
        raise ValueError(f"out_dir={out_dir!r} is the notebooks folder; executed copies would "
                         "overwrite the sources. Choose another output folder.")
    chosen = resolve_ids(ids, notebooks_dir)
    if not chosen:
        raise ValueError(f"no notebooks to run in {notebooks_dir}.")
    env = kernel_environment()
    carried = {}
    if resume:
        carried = {k: dict(v, resumed=True) for k, v in _resumable_entries(out_dir, profile).items()
                   if k in {info.id for info in chosen}}
    os.makedirs(out_dir, exist_ok=True)
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

    todo = [info for info in chosen if info.id not in carried]
    control = _RunControl()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="dlcourse-run")
    with control.signals_installed():
        publish("running")  # replaces any earlier report before the first kernel starts
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
                        entries[info.id] = _entry(info, profile, status="not run",
                                                  error="the run was stopped before it started")
                        continue
                    try:
                        entries[info.id] = future.result()
                    except Exception as exc:  # a runner bug must not lose the other results
                        entries[info.id] = _entry(info, profile, error=_error_summary(exc))
                    if progress:
                        finished = sum(i.id in entries for i in todo)
                        line = _progress_line(entries[info.id], finished, len(todo))
                        busy = running_ids() if jobs > 1 else []
                        if busy:
                            line += f"\n      running: {', '.join(busy)}"
                        print(line, flush=True)
                if done:
                    publish("running")
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
            entries[info.id] = _entry(info, profile, status="interrupted" if control.signum else "not run",
                                      error="still running when the report was written")
    if control.signum is not None:
        report["signal"] = signal.Signals(control.signum).name
    report["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    publish("interrupted" if control.stop.is_set() else "complete")
    return report


def exit_code(report):
    """The exit status of ``dlcourse run`` for a report.

    ``128 + signal number`` when interrupted (130 for SIGINT, 143 for SIGTERM),
    1 when any notebook failed or did not finish, else 0.
    """
    if report.get("state") == "interrupted":
        name = report.get("signal")
        return 128 + int(signal.Signals[name]) if name else 130
    if report.get("failed") or report.get("not_finished") or report.get("state") != "complete":
        return 1
    return 0
