"""How a course run looks: a static, self-contained HTML page (figures embedded) and terminal lines."""

import base64
import html
import os

from .._fileio import write_text_atomic
from .report import error_headline

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:72rem;
color:#1d2330;line-height:1.45;padding:0 1rem}
h1{margin-bottom:.2rem} .sub{color:#5b6475;margin-top:0}
table{border-collapse:collapse;width:100%;margin:1rem 0} th,td{padding:.35rem .6rem;
border-bottom:1px solid #e2e5ea;text-align:left;vertical-align:top} th{background:#f4f6f9}
.ok{color:#137333;font-weight:600} .failed{color:#b3261e;font-weight:600}
.interrupted,.notrun{color:#8a5a00;font-weight:600}
.banner{background:#fff4d6;border:1px solid #e0b84a;padding:.6rem 1rem;border-radius:.4rem}
.met{color:#137333} .missed{color:#b3261e;font-weight:600} .num{text-align:right;
font-variant-numeric:tabular-nums} section{border-top:2px solid #e2e5ea;margin-top:2rem}
figure{display:inline-block;margin:.5rem;max-width:30rem} figure img{max-width:100%;
border:1px solid #e2e5ea} figcaption{font-size:.85rem;color:#5b6475}
pre{background:#fbeaea;padding:.6rem;white-space:pre-wrap}
.cards{display:flex;gap:1rem} .card{background:#f4f6f9;padding:.7rem 1rem;border-radius:.4rem}
.card b{font-size:1.4rem;display:block}
td.why{color:#b3261e;font-size:.9rem;max-width:30rem;overflow-wrap:anywhere}
"""


def _e(value):
    return html.escape(str(value))


def _format_value(metric):
    value = metric.get("value")
    if value is None:
        text = metric.get("nonfinite") or "missing"
    else:
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
    return text + (f" {metric['unit']}" if metric.get("unit") else "")


def _format_target(metric, profile):
    sign = ">=" if metric.get("goal", "max") == "max" else "<="
    targets = metric.get("targets")
    if isinstance(targets, dict) and targets:
        shown = [f"{sign} {t:g} ({p})" if p == profile else f"{p}: {sign} {t:g}"
                 for p, t in targets.items() if t is not None]
        return "; ".join(shown)
    if metric.get("target") is None:
        return ""
    return f"{sign} {metric['target']:g}"


def _metric_rows(metrics, profile=None):
    rows = []
    for m in metrics:
        target = _format_target(m, profile)
        if m.get("target") is None:
            cls, verdict = "", ""
        else:
            cls = "met" if m.get("met") else "missed"
            verdict = "met" if m.get("met") else "missed"
        rows.append(f"<tr><td>{_e(m['name'])}</td><td class='num'>{_e(_format_value(m))}</td>"
                    f"<td>{_e(target)}</td><td class='{cls}'>{verdict}</td></tr>")
    return "".join(rows)


_EXERCISE_SHOWN = {"passed": ("ok", "passed"), "failed": ("failed", "not passed"),
                   "not attempted": ("notrun", "not attempted")}


def _exercise_rows(results):
    """An exercises table: the last check of each question (``dlcourse check``, or a run's solutions)."""
    passed = sum(r.get("status") == "passed" for r in results)
    rows = [f"<h3>Exercises: {passed} of {len(results)} passed</h3><table><tr><th>question</th>"
            "<th>task</th><th>status</th><th>message</th></tr>"]
    for r in results:
        cls, shown = _EXERCISE_SHOWN.get(r.get("status"), ("notrun", r.get("status")))
        rows.append(f"<tr><td>{_e(r.get('question', ''))}</td><td>{_e(r.get('title') or '')}</td>"
                    f"<td class='{cls}'>{_e(shown)}</td><td>{_e(r.get('message') or '')}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


def _status_class(status):
    return {"ok": "ok", "failed": "failed", "interrupted": "interrupted"}.get(status, "notrun")


def _image(path, base_dir):
    """The figure at ``path`` (relative to ``base_dir``) as a data URL; None when it is not a
    file inside ``base_dir`` (a report must not make the page embed other files)."""
    base = os.path.realpath(base_dir)
    full = os.path.realpath(os.path.join(base, path))
    if os.path.commonpath([base, full]) != base or not os.path.isfile(full):
        return None
    with open(full, "rb") as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode("ascii")


def render_html_report(report, base_dir="."):
    """Returns the HTML text for a report dict made by ``run_course``."""
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>dlcourse_keras run report</title><style>{_STYLE}</style></head><body>"]
    machine = report.get("machine", {})
    versions = machine.get("versions", {})
    parts.append("<h1>dlcourse_keras: course run</h1>")
    parts.append(f"<p class='sub'>{_e(report.get('started', ''))} · profile "
                 f"<b>{_e(report['profile'])}</b> · TensorFlow {_e(versions.get('tensorflow'))} · "
                 f"Keras {_e(versions.get('keras'))} · Python {_e(machine.get('python'))} · "
                 f"{_e(machine.get('cpu_count'))} CPU cores · data mirror "
                 f"{_e(machine.get('data_mirror') or 'none')}</p>")
    state = report.get("state", "complete")
    if state == "running":
        parts.append("<p class='banner'><b>This run has not finished</b> (or was killed): the "
                     "notebooks listed are those done so far; the rest have no result.</p>")
    elif state == "interrupted":
        parts.append(f"<p class='banner'><b>Interrupted</b> by {_e(report.get('signal') or 'a stop request')}"
                     " before every notebook finished.</p>")
    metrics = [m for nb in report["notebooks"] for m in nb["metrics"]]
    missed = sum(m.get("met") is False for m in metrics)
    parts.append("<div class='cards'>"
                 f"<div class='card'><b class='ok'>{report['ok']}</b>notebooks ok</div>"
                 f"<div class='card'><b class='{'failed' if report['failed'] else 'ok'}'>"
                 f"{report['failed']}</b>failed</div>"
                 + (f"<div class='card'><b class='interrupted'>{report.get('not_finished', 0)}</b>"
                    "not finished</div>" if report.get("not_finished") else "")
                 + f"<div class='card'><b>{report['seconds']:.0f} s</b>total time</div>"
                 f"<div class='card'><b class='{'missed' if missed else 'met'}'>"
                 f"{len(metrics) - missed}/{len(metrics)}</b>metrics on target or untargeted</div>"
                 "</div>")
    parts.append("<table><tr><th>id</th><th>notebook</th><th>status</th><th class='num'>time (s)</th>"
                 "<th>metrics</th><th>data</th><th>why not ok</th></tr>")
    for nb in report["notebooks"]:
        sources = ", ".join(f"{d['dataset']} ({d['source']})" for d in nb["data_sources"]) or "-"
        n_missed = len(nb.get("targets_missed", []))
        parts.append(f"<tr><td>{_e(nb['id'])}</td><td><a href='#nb{_e(nb['id'])}'>{_e(nb['title'])}</a>"
                     f"</td><td class='{_status_class(nb['status'])}'>{_e(nb['status'])}</td>"
                     f"<td class='num'>{nb['seconds']:.1f}</td><td>{len(nb['metrics'])}"
                     f"{f' ({n_missed} missed)' if n_missed else ''}</td><td>{_e(sources)}</td>"
                     f"<td class='why'>{_e(error_headline(nb.get('error')) if nb['status'] != 'ok' else '')}"
                     "</td></tr>")
    parts.append("</table>")
    for nb in report["notebooks"]:
        executed = nb.get("executed_notebook")
        copy = (f"executed copy: <a href='{_e(executed)}'>{_e(executed)}</a>" if executed
                else "no executed copy")
        parts.append(f"<section id='nb{_e(nb['id'])}'><h2>{_e(nb['id'])} · {_e(nb['title'])} "
                     f"<span class='{_status_class(nb['status'])}'>{_e(nb['status'])}</span></h2>"
                     f"<p class='sub'>{nb['seconds']:.1f} s · {copy}"
                     f"{' · result kept from the run resumed' if nb.get('resumed') else ''}</p>")
        if nb.get("error"):
            parts.append(f"<pre>{_e(nb['error'])}</pre>")
        if nb["metrics"]:
            parts.append("<table><tr><th>metric</th><th class='num'>value</th><th>target</th>"
                         f"<th></th></tr>{_metric_rows(nb['metrics'], report.get('profile'))}</table>")
        if nb.get("exercises"):
            parts.append(_exercise_rows(nb["exercises"]))
        for fig in nb.get("figures", []):
            src = _image(fig["path"], base_dir)
            if src:
                parts.append(f"<figure><img src='{src}' alt='{_e(fig['title'])}'>"
                             f"<figcaption>{_e(fig['title'])}</figcaption></figure>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "".join(parts)


def write_html_report(report, path, base_dir=None):
    """Writes :func:`render_html_report` to ``path`` atomically (temporary file + ``os.replace``).

    Args:
        report: a report dict made by ``run_course``.
        path: the HTML file to create or replace.
        base_dir: the folder figure paths are relative to. Default: ``path``'s folder.

    Returns:
        The absolute path written.
    """
    text = render_html_report(report, base_dir or os.path.dirname(os.path.abspath(path)))
    return write_text_atomic(path, text)


def progress_line(entry, done, total):
    """The terminal line for a finished notebook, with the first line of its error on it.

    The rest of a longer error follows on indented lines.

    Example:

    >>> entry = {"id": "11", "status": "failed", "seconds": 3.0, "title": "RNNs",
    ...          "error": "AssertionError in cell [9]"}
    >>> progress_line(entry, 2, 14)
    '[2/14] 11 failed          3.0 s  RNNs  -- AssertionError in cell [9]'
    """
    line = (f"[{done}/{total}] {entry['id']} {entry['status']:11s} {entry['seconds']:7.1f} s  "
            f"{entry['title']}")
    error = (entry.get("error") or "").strip()
    headline = error_headline(error)
    if headline:
        line += f"  -- {headline}"
        if error != headline:
            line += "\n      " + error.replace("\n", "\n      ")
    return line
