"""The report of a course run: its entries, the metrics' verdicts, ``report.json`` and the exit status.

A report is a dict (written as ``report.json``) with the run's ``profile``, ``state``
(``"running"``, ``"complete"`` or ``"interrupted"``), counts, and one entry per notebook
(see :func:`new_entry`). Nothing here runs a notebook or renders HTML: ``execution``
fills the report, ``rendering`` draws it, and this module reads, checks and writes it.
"""

import json
import math
import numbers
import os
import signal

from .._fileio import write_text_atomic
from .profile import PROFILES
from .records import GOALS, target_met

REPORT_FILE = "report.json"
HTML_FILE = "report.html"
STATUSES = ("ok", "failed", "interrupted", "not run")

# exit statuses of `dlcourse run` (documented in exit_code and in `dlcourse run --help`)
EXIT_OK = 0
EXIT_FAILED = 1  # a notebook failed or did not finish
EXIT_USAGE = 2  # bad arguments, or a report to resume that is not usable
EXIT_REPORT_NOT_WRITTEN = 3  # report.json or report.html could not be written


class ReportWriteError(Exception):
    """``report.json`` or ``report.html`` could not be written.

    Attributes:
        path: the file that could not be written.
        cause: the underlying exception.
        report: the report as it stood in memory (None if not known).
        consequence: what this means for the run, e.g. ``"no notebook was run"``.
    """

    def __init__(self, path, cause, report=None, consequence=""):
        super().__init__(path, cause)
        self.path, self.cause, self.report, self.consequence = path, cause, report, consequence

    def __str__(self):
        reason = getattr(self.cause, "strerror", None) or str(self.cause)
        text = f"could not write {self.path}: {reason}"
        return text + (f"; {self.consequence}" if self.consequence else "")


def new_entry(info, profile, **fields):
    """A notebook's report entry; ``fields`` override the defaults (a failure with no result).

    Args:
        info: the notebook's :class:`~dlcourse_keras.course.catalogue.NotebookInfo`.
        profile: the profile of the run.
        **fields: any entry field, e.g. ``status="not run"``, ``error="..."``.

    Returns:
        A dict with ``id``, ``title``, ``file``, ``status`` (one of :data:`STATUSES`),
        ``seconds``, ``profile``, ``metrics``, ``targets_missed``, ``data_sources``,
        ``figures``, ``error`` (text or None), ``executed_notebook`` (a file name
        in the output folder, or None) and ``exercises`` (the last check of each
        question, see :func:`latest_exercise_results`).
    """
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
        "exercises": [],
    }
    entry.update(fields)
    return entry


# --- what a kernel recorded -----------------------------------------------------------------

def read_records(path):
    """Parses the JSON-lines record file written by a notebook's kernel.

    Returns:
        A dict with lists ``metrics``, ``data_sources``, ``figures``,
        ``exercises`` (every ``check`` of an exercise, in order) and ``errors``
        (one message per line that is not a complete JSON record; the good
        lines are still read).
    """
    records = {"metrics": [], "data_sources": [], "figures": [], "exercises": [], "errors": []}
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
            elif kind == "exercise":
                records["exercises"].append(entry)
    return records


def latest_exercise_results(exercises):
    """The last recorded check of each question (``q1``, ``q2``... in question order).

    Args:
        exercises: the ``exercises`` list of :func:`read_records`.

    Returns:
        A list of dicts with ``notebook``, ``question``, ``title``, ``status`` and ``message``.
    """
    latest = {}
    for record in exercises:
        question = record.get("question")
        if isinstance(question, str) and question:
            latest[question] = {key: record.get(key) for key in
                                ("notebook", "question", "title", "status", "message")}

    def order(question):
        digits = question[1:]
        return (0, int(digits), "") if question.startswith("q") and digits.isdigit() else (1, 0, question)

    return [latest[q] for q in sorted(latest, key=order)]


def is_number(value):
    """Whether ``value`` is a real number (NaN and inf included), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_metric(metric, profile):
    """A recorded metric with its target for ``profile`` and ``met`` worked out again.

    NaN and inf values become ``None`` with ``"nonfinite"`` set, and never meet
    a target; a metric recorded with per-profile ``targets`` takes the one for
    ``profile`` (none if that profile has none).
    """
    m = dict(metric)
    value = m.get("value")
    if is_number(value) and not math.isfinite(value):
        m["value"] = None
        m["nonfinite"] = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(m.get("targets"), dict):
        m["target"] = m["targets"].get(profile)
    target = m.get("target")
    if target is not None and not (is_number(target) and math.isfinite(target)):
        target = m["target"] = None
    value = m.get("value")
    m["met"] = target_met(value if is_number(value) else None, target, m.get("goal", "max"))
    return m


def describe_miss(metric):
    """One phrase for a missed target, e.g. ``"acc = 0.5, needs >= 0.9"``."""
    sign = ">=" if metric.get("goal", "max") == "max" else "<="
    value = metric.get("nonfinite") or (f"{metric['value']:.6g}" if is_number(metric.get("value"))
                                        else "missing")
    return f"{metric['name']} = {value}, needs {sign} {metric['target']:g}"


def error_summary(exc, where=""):
    """``"Name in <where>: message"`` for an exception, at most 2000 characters.

    Args:
        exc: the exception; a failed cell's error (``ename``, ``evalue``) keeps
            the kernel's name and message for it.
        where: optional place, e.g. ``"cell [4], line 2 `assert ok`"``.
    """
    ename = getattr(exc, "ename", None) or type(exc).__name__
    evalue = str((getattr(exc, "evalue", None) or "") if hasattr(exc, "ename") else exc).strip()
    text = ename + (f" in {where}" if where else "") + (f": {evalue}" if evalue else "")
    return text[:2000]


def error_headline(error, width=120):
    """The first non-empty line of an entry's ``error``, at most ``width`` characters; "" for none."""
    lines = [line.strip() for line in (error or "").splitlines() if line.strip()]
    if not lines:
        return ""
    first = lines[0]
    return first if len(first) <= width else first[:width - 1] + "…"


# --- report.json ----------------------------------------------------------------------------

def json_safe(value):
    """``value`` with every NaN or inf float replaced by None (they are not JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def write_report_json(report, out_dir):
    """Writes ``report`` (NaN and inf as null) to ``out_dir/report.json`` atomically.

    Returns:
        The path written.

    Raises:
        ReportWriteError: the file could not be written (a full disk, a read-only
            folder); the previous ``report.json``, if any, is left as it was.
    """
    path = os.path.join(out_dir, REPORT_FILE)
    try:
        text = json.dumps(json_safe(report), indent=2, allow_nan=False)
        return write_text_atomic(path, text)
    except (OSError, ValueError) as exc:
        raise ReportWriteError(path, exc, report) from exc


def load_report(out_dir):
    """The report in ``out_dir``, checked by :func:`report_problem`.

    Raises:
        ValueError: naming the file and the problem, when there is no report, it
            cannot be read or it is not a report this runner writes.
    """
    path = os.path.join(out_dir, REPORT_FILE)
    if not os.path.isfile(path):
        raise ValueError(f"there is no report to resume in {out_dir} ({REPORT_FILE} is missing).")

    def refuse(constant):
        raise ValueError(f"{constant} is not valid JSON")

    try:
        with open(path, encoding="utf-8") as f:
            report = json.load(f, parse_constant=refuse)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot resume from {path}: it cannot be read as JSON ({exc}).") from None
    problem = report_problem(report)
    if problem:
        raise ValueError(f"cannot resume from {path}: {problem}. The file was left as it is; "
                         "run without --resume (or into another folder) to start afresh.")
    return report


def resumable_entries(out_dir, profile):
    """The ``ok`` entries of the report in ``out_dir`` whose executed copy is still there.

    Args:
        out_dir: the output folder of the run to resume.
        profile: the profile of the new run; the old one must have the same.

    Returns:
        ``{notebook id: entry}``.

    Raises:
        ValueError: see :func:`load_report`; also when the profiles differ.
    """
    path = os.path.join(out_dir, REPORT_FILE)
    previous = load_report(out_dir)
    if previous["profile"] != profile:
        raise ValueError(f"cannot resume the {previous['profile']!r} profile run in {path} "
                         f"with profile={profile!r}.")
    return {e["id"]: e for e in previous["notebooks"] if e["status"] == "ok"
            and os.path.isfile(os.path.join(out_dir, e["executed_notebook"] or ""))}


def exit_code(report):
    """The exit status of ``dlcourse run`` for a report that was written.

    ``128 + signal number`` when interrupted (130 for SIGINT, 143 for SIGTERM),
    1 when any notebook failed or did not finish, else 0. (``dlcourse run``
    also exits with 2 for bad arguments or an unusable report to resume, and
    with 3 when the report itself could not be written.)
    """
    if report.get("state") == "interrupted":
        name = report.get("signal")
        return 128 + int(signal.Signals[name]) if name else 130
    if report.get("failed") or report.get("not_finished") or report.get("state") != "complete":
        return EXIT_FAILED
    return EXIT_OK


# --- the schema a report to resume must follow ----------------------------------------------

def _finite(value):
    return is_number(value) and math.isfinite(value)


def _file_name(value):
    """A plain file name: no folder part, nothing that climbs out of the folder."""
    return (isinstance(value, str) and value not in ("", ".", "..") and "\0" not in value
            and os.path.basename(value) == value and "/" not in value and "\\" not in value)


def _inside(value):
    """A relative path that stays inside the folder it is relative to."""
    if not isinstance(value, str) or not value or "\0" in value or os.path.isabs(value):
        return False
    parts = value.replace("\\", "/").split("/")
    return ".." not in parts and not os.path.normpath(value).startswith("..")


_TEXT = (lambda v: isinstance(v, str), "text")
_TEXT_OR_NULL = (lambda v: v is None or isinstance(v, str), "text or null")
_NUMBER_OR_NULL = (lambda v: v is None or _finite(v), "a finite number or null")
_METRIC = {
    "name": _TEXT, "value": _NUMBER_OR_NULL, "target": _NUMBER_OR_NULL,
    "goal": (lambda v: v in GOALS, f"one of {GOALS}"),
    "met": (lambda v: v is None or isinstance(v, bool), "true, false or null"), "unit": _TEXT,
}
_METRIC_OPTIONAL = {
    "nonfinite": (lambda v: v in ("nan", "inf", "-inf"), "'nan', 'inf' or '-inf'"),
    "targets": (lambda v: isinstance(v, dict) and all(k in PROFILES and (t is None or _finite(t))
                                                      for k, t in v.items()),
                f"an object of finite numbers or nulls keyed by {PROFILES}"),
    "profile": _TEXT,
}
_DATA_SOURCE = {"dataset": _TEXT, "source": _TEXT}
_FIGURE = {"path": (_inside, "a relative path inside the output folder"), "title": _TEXT}
_ENTRY = {
    "id": _TEXT, "title": _TEXT, "file": (_file_name, "a file name"),
    "status": (lambda v: v in STATUSES, f"one of {STATUSES}"),
    "seconds": (lambda v: _finite(v) and v >= 0, "a finite number >= 0"),
    "profile": (lambda v: v in PROFILES, f"one of {PROFILES}"),
    "targets_missed": (lambda v: isinstance(v, list) and all(isinstance(n, str) for n in v),
                       "a list of metric names"),
    "error": _TEXT_OR_NULL,
    "executed_notebook": (lambda v: v is None or _file_name(v),
                          "null or a file name inside the output folder"),
}
_ENTRY_OPTIONAL = {"resumed": (lambda v: isinstance(v, bool), "true or false"),
                   "exercises": (lambda v: isinstance(v, list) and all(isinstance(e, dict) for e in v),
                                 "a list of exercise results")}
# an entry's lists of objects: field -> (required fields, optional fields) of each item
_ENTRY_LISTS = {"metrics": (_METRIC, _METRIC_OPTIONAL), "data_sources": (_DATA_SOURCE, {}),
                "figures": (_FIGURE, {})}


def _fields_problem(obj, required, optional, where):
    """The first field of ``obj`` that is missing or of the wrong kind, as a phrase; or None."""
    if not isinstance(obj, dict):
        return f"{where} is {obj!r:.60}, not a JSON object"
    prefix = f"{where}." if where else ""
    for key, (test, allowed) in required.items():
        if key not in obj:
            return f"{prefix}{key} is missing"
        if not test(obj[key]):
            return f"{prefix}{key} is {obj[key]!r:.80}, must be {allowed}"
    for key, (test, allowed) in optional.items():
        if key in obj and not test(obj[key]):
            return f"{prefix}{key} is {obj[key]!r:.80}, must be {allowed}"
    return None


def _entry_problem(entry):
    if not isinstance(entry, dict):
        return f"it is {entry!r:.60}, not a JSON object"
    problem = _fields_problem(entry, _ENTRY, _ENTRY_OPTIONAL, "")
    if problem:
        return problem
    for key, (required, optional) in _ENTRY_LISTS.items():
        items = entry.get(key)
        if not isinstance(items, list):
            return f"{key} is missing" if key not in entry else f"{key} is {items!r:.60}, must be a list"
        for i, item in enumerate(items):
            problem = _fields_problem(item, required, optional, f"{key}[{i}]")
            if problem:
                return problem
    return None


def report_problem(report):
    """What makes ``report`` unusable as the report of a run to resume, or None when it is usable.

    Every field a resumed run reads or renders is checked for its type; a
    notebook's ``executed_notebook`` must be a plain file name and its figures'
    paths must stay inside the output folder (a report must not point the runner, or
    the HTML page that embeds figures, at other files).
    """
    if not isinstance(report, dict):
        return f"it is a JSON {type(report).__name__}, not a JSON object"
    if report.get("profile") not in PROFILES:
        return f"its profile is {report.get('profile')!r}, must be one of {PROFILES}"
    entries = report.get("notebooks")
    if not isinstance(entries, list):
        return f"its notebooks field is {entries!r:.60}, must be a list of notebook entries"
    seen = set()
    for i, entry in enumerate(entries):
        label = f"notebooks[{i}]" + (f" (id {entry.get('id')!r})" if isinstance(entry, dict) else "")
        problem = _entry_problem(entry)
        if problem:
            return f"{label}: {problem}"
        if entry["id"] in seen:
            return f"{label}: the id is listed twice"
        seen.add(entry["id"])
    return None
