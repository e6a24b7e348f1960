"""The run report: resuming from it, writing it on a full disk, and showing why a notebook failed."""

import contextlib
import errno
import json
import os

import nbformat
import pytest

from dlcourse_keras import _fileio
from dlcourse_keras.course import catalogue as course, cli
from dlcourse_keras.course.rendering import progress_line
from dlcourse_keras.course.run import run_course


def _notebook(cells, path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def _strict_json(text):
    def refuse(name):
        raise ValueError(f"{name} is not valid JSON")
    return json.loads(text, parse_constant=refuse)


# --- resuming from a report that is not one this runner wrote -------------------------------

def _ok_entry(notebook_id):
    info = course.get_notebook(notebook_id)
    return {"id": info.id, "title": info.title, "file": info.filename, "status": "ok", "seconds": 1.5,
            "profile": "smoke",
            "metrics": [{"name": "acc", "value": 0.9, "target": 0.5, "goal": "max", "unit": "",
                         "met": True, "profile": "smoke"}],
            "targets_missed": [], "data_sources": [{"dataset": "iris", "source": "package", "detail": ""}],
            "figures": [], "error": None, "executed_notebook": info.filename}


@pytest.fixture
def finished_run(tmp_path):
    """A notebooks folder with 00 and an output folder whose report says 00 is ok."""
    notebooks, out = tmp_path / "nbs", tmp_path / "out"
    notebooks.mkdir()
    out.mkdir()
    _notebook([f"open({str(tmp_path / 'ran')!r}, 'w').close()"],
              notebooks / course.get_notebook("00").filename)
    _notebook(["x = 1"], out / course.get_notebook("00").filename)  # its executed copy
    report = {"course": "dlcourse_keras", "profile": "smoke", "state": "complete", "notebooks": [_ok_entry("00")]}
    (out / "report.json").write_text(json.dumps(report))
    return notebooks, out, report


def _resume(notebooks, out):
    return run_course(["00"], profile="smoke", out_dir=str(out), notebooks_dir=str(notebooks),
                             progress=False, resume=True)


def test_resume_from_a_valid_report_keeps_its_ok_entries(finished_run):
    notebooks, out, _ = finished_run
    report = _resume(notebooks, out)
    assert report["state"] == "complete" and report["notebooks"][0]["resumed"] is True
    assert not (notebooks.parent / "ran").exists()  # 00 was not run again


def _set(path, value):
    def change(report):
        *parents, last = path
        target = report
        for key in parents:
            target = target[key]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value
    return change


def _outside(report):  # the test puts a real notebook beside the output folder
    report["notebooks"][0]["executed_notebook"] = "../elsewhere.ipynb"


MALFORMED = {
    "notebooks is a number": (_set(["notebooks"], 5), "notebooks"),
    "an ok entry without metrics": (_set(["notebooks", 0, "metrics"], KeyError), "metrics"),
    "executed_notebook climbs out of the folder": (
        _set(["notebooks", 0, "executed_notebook"], "../../../etc/passwd"), "executed_notebook"),
    "executed_notebook names a file beside the folder": (_outside, "executed_notebook"),
    "executed_notebook is absolute": (_set(["notebooks", 0, "executed_notebook"], "/etc/passwd"),
                                      "executed_notebook"),
    "an entry is a string": (_set(["notebooks", 0], "00"), "notebooks\\[0\\]"),
    "a metric value is text": (_set(["notebooks", 0, "metrics", 0, "value"], "0.9"), "value"),
    "seconds is text": (_set(["notebooks", 0, "seconds"], "1.5"), "seconds"),
    "an unknown status": (_set(["notebooks", 0, "status"], "great"), "status"),
    "a figure outside the folder": (_set(["notebooks", 0, "figures"],
                                         [{"path": "../../secret.png", "title": "t"}]), "figures"),
    "the report has no profile": (_set(["profile"], KeyError), "profile"),
    "the report is a list": (lambda report: [report], "not a JSON object"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_resume_refuses_a_malformed_report_and_leaves_it_untouched(finished_run, case):
    notebooks, out, report = finished_run
    change, problem = MALFORMED[case]
    report = change(report) or report
    if case == "executed_notebook names a file beside the folder":
        _notebook(["x = 1"], out.parent / "elsewhere.ipynb")
    (out / "report.json").write_text(json.dumps(report))
    before = sorted(os.listdir(out)), (out / "report.json").read_bytes()
    with pytest.raises(ValueError, match=problem) as info:
        _resume(notebooks, out)
    assert str(out / "report.json") in str(info.value)
    assert (sorted(os.listdir(out)), (out / "report.json").read_bytes()) == before
    assert not (notebooks.parent / "ran").exists()


def test_cli_resume_with_a_malformed_report_exits_2_naming_the_file(finished_run, monkeypatch, capsys):
    notebooks, out, report = finished_run
    report["notebooks"] = 5
    (out / "report.json").write_text(json.dumps(report))
    before = (out / "report.json").read_bytes()
    monkeypatch.setenv("DLCOURSE_NOTEBOOKS", str(notebooks))
    assert cli.main(["run", "--profile", "smoke", "--quiet", "--resume", str(out), "00"]) == 2
    err = capsys.readouterr().err
    assert str(out / "report.json") in err and "notebooks" in err and "Traceback" not in err
    assert (out / "report.json").read_bytes() == before


# --- a full output disk ---------------------------------------------------------------------

def _full_disk(monkeypatch, fails):
    """Atomic writes through ``_fileio`` raise ENOSPC where ``fails(file name, nth write of it)``."""
    real = _fileio.replacing
    counts = {}

    @contextlib.contextmanager
    def replacing(path):
        name = os.path.basename(os.fspath(path))
        counts[name] = counts.get(name, 0) + 1
        if fails(name, counts[name]):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(path))
        with real(path) as temp:
            yield temp

    monkeypatch.setattr(_fileio, "replacing", replacing)
    return counts


@pytest.fixture
def three_notebooks(tmp_path, monkeypatch):
    """00, 01 and 02 each append their id to ``ran.log``; DLCOURSE_NOTEBOOKS points at them."""
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    for notebook_id in ("00", "01", "02"):
        _notebook([f"with open({str(tmp_path / 'ran.log')!r}, 'a') as f: f.write('{notebook_id}\\n')"],
                  notebooks / course.get_notebook(notebook_id).filename)
    monkeypatch.setenv("DLCOURSE_NOTEBOOKS", str(notebooks))
    return tmp_path


def _ran(folder):
    log = folder / "ran.log"
    return log.read_text().split() if log.exists() else []


def test_a_full_disk_fails_one_notebook_and_the_run_goes_on(three_notebooks, monkeypatch, capsys):
    executed_01 = course.get_notebook("01").filename
    # the executed copy of 01 cannot be written, nor the report once, right after 00 finished
    _full_disk(monkeypatch, lambda name, nth: name == executed_01 or (name == "report.json" and nth == 2))
    out = three_notebooks / "out"
    code = cli.main(["run", "--profile", "smoke", "--quiet", "--out", str(out), "00", "01", "02"])
    captured = capsys.readouterr()
    assert code == 1, captured
    assert _ran(three_notebooks) == ["00", "01", "02"]
    report = _strict_json((out / "report.json").read_text())
    assert report["state"] == "complete" and report["ok"] == 2 and report["failed"] == 1
    first, second, third = report["notebooks"]
    assert first["status"] == "ok" and third["status"] == "ok"
    assert second["status"] == "failed" and second["executed_notebook"] is None
    assert "could not write" in second["error"] and "No space left on device" in second["error"]
    assert "report.json" in captured.err and "No space left on device" in captured.err  # the warning


def test_a_report_that_cannot_be_written_ends_the_run_with_exit_3(three_notebooks, monkeypatch, capsys):
    _full_disk(monkeypatch, lambda name, nth: name == "report.json" and nth >= 2)
    out = three_notebooks / "out"
    code = cli.main(["run", "--profile", "smoke", "--quiet", "--out", str(out), "00", "01"])
    captured = capsys.readouterr()
    assert code == 3, captured
    assert str(out / "report.json") in captured.err and "No space left on device" in captured.err
    assert "Traceback" not in captured.err
    assert _ran(three_notebooks) == ["00", "01"]  # the notebooks still ran, and their results were shown
    assert "2 ok, 0 failed" in captured.out
    # what is on disk is the report written when the run started: it says the run has not finished
    assert _strict_json((out / "report.json").read_text())["state"] == "running"


def test_a_report_that_cannot_be_written_at_the_start_runs_nothing(three_notebooks, monkeypatch, capsys):
    _full_disk(monkeypatch, lambda name, nth: name == "report.json")
    out = three_notebooks / "out"
    out.mkdir()
    (out / "report.json").write_text("the previous run's report")
    code = cli.main(["run", "--profile", "smoke", "--quiet", "--out", str(out), "00"])
    captured = capsys.readouterr()
    assert code == 3, captured
    assert "report.json" in captured.err and "no notebook was run" in captured.err
    assert _ran(three_notebooks) == []
    assert (out / "report.json").read_text() == "the previous run's report"


def test_a_figure_that_cannot_be_saved_fails_only_its_notebook(three_notebooks):
    notebooks = three_notebooks / "nbs"
    _notebook(["import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt\n"
               "from dlcourse_keras import record_figure\n"
               "fig, ax = plt.subplots(); record_figure(fig, 'line')"],
              notebooks / course.get_notebook("00").filename)
    out = three_notebooks / "out"
    out.mkdir()
    (out / "figures").write_text("a file where the figures folder should be")
    report = run_course(["00", "01"], profile="smoke", out_dir=str(out), notebooks_dir=str(notebooks),
                               progress=False)
    first, second = report["notebooks"]
    assert first["status"] == "failed" and "figures" in first["error"]
    assert second["status"] == "ok" and _ran(three_notebooks) == ["01"]


# --- why a notebook failed, at a glance ------------------------------------------------------

def _failed_entry(error):
    info = course.get_notebook("11")
    return {"id": info.id, "title": info.title, "file": info.filename, "status": "failed", "seconds": 3.0,
            "profile": "full", "metrics": [], "targets_missed": [], "data_sources": [], "figures": [],
            "error": error, "executed_notebook": info.filename}


def test_the_summary_table_row_says_why_a_notebook_failed():
    from dlcourse_keras.course.rendering import render_html_report

    entry = _failed_entry("AssertionError: the LSTM recalls the first token\n"
                          "target missed in the full profile: acc = 0.5, needs >= 0.9")
    report = {"profile": "full", "state": "complete", "signal": None, "ok": 0, "failed": 1,
              "not_finished": 0, "seconds": 3.0, "notebooks": [entry]}
    html = render_html_report(report)
    table = html[html.index("<table>"):html.index("</table>")]
    row = next(r for r in table.split("<tr>") if ">11<" in r)
    assert "AssertionError: the LSTM recalls the first token" in row
    assert "<script" not in render_html_report(
        dict(report, notebooks=[_failed_entry("ValueError: <script>alert(1)</script>")]))


def test_the_terminal_line_of_a_failed_notebook_says_why():
    entry = _failed_entry("AssertionError: the LSTM recalls the first token\nsecond line")
    first_line = progress_line(entry, 3, 14).splitlines()[0]
    assert first_line.startswith("[3/14] 11 failed")
    assert "AssertionError: the LSTM recalls the first token" in first_line
    long = _failed_entry("ValueError: " + "x" * 1000)
    assert len(progress_line(long, 1, 1).splitlines()[0]) < 250


def test_the_failing_line_is_found_in_ipython_tracebacks():
    from dlcourse_keras.course.execution import _cell_line

    red = "\x1b[31m{}\x1b[39m".format
    ipython8 = ["-----", red("ValueError") + "   Traceback (most recent call last)",
                "Cell In[7], line 3\n      1 def f():\n      2     raise ValueError('deep')\n----> 3 f()\n",
                "Cell In[7], line 2, in f()\n      1 def f():\n----> 2     raise ValueError('deep')\n",
                red("ValueError") + ": deep"]
    assert _cell_line(ipython8) == (3, "f()")
    ipython7 = ["Input In [2], in <cell line: 4>()\n      3 acc = 0.5\n----> 4 assert acc > 0.9\n"]
    assert _cell_line(ipython7) == (4, "assert acc > 0.9")
    chained = ["File /lib/PIL/ImageFile.py:669, in _save(im)\n--> 669     fh = fp.fileno()\n",
               "\nDuring handling of the above exception, another exception occurred:\n",
               "Cell In[1], line 4\n      3 fig = plt.figure()\n----> 4 record_figure(fig, 'noise')\n",
               "File /lib/PIL/Image.py:2715, in Image.save(self, fp)\n-> 2715         fp.close()\n"]
    assert _cell_line(chained) == (4, "record_figure(fig, 'noise')")
    assert _cell_line(["SyntaxError: invalid syntax"]) is None and _cell_line(None) is None
