"""Student copies (``dlcourse workbook``) and headless grading (``dlcourse check``).

The slow tests run notebooks in the smoke profile: the student copies of 00 and 01 top to bottom,
the setup cells and exercise section of the student copy of every notebook that has an exercise
module (every exercise "not attempted"; the rest of each notebook is what nbval runs), and filled
copies of 00 and 01 with right, wrong, missing and raising answers graded by the CLI.
"""

import copy
import json
import os
import re
import subprocess
import sys
import time

import pytest

from dlcourse_keras.course import catalogue
from dlcourse_keras.course.exercises import exercises, notebooks_with_exercises
from dlcourse_keras.course.rendering import render_html_report
from dlcourse_keras.course.report import latest_exercise_results, read_records
from dlcourse_keras.course.workbook import (NotebookFileError, check_exit_code, check_notebooks,
                                           exercise_section, grade, read_student_notebook, student_copy,
                                           write_workbooks)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK_BUDGET_S = 900  # a student copy of 00 or 01 must run within this in the smoke profile
SECTION_BUDGET_S = 240  # setup cells + exercise section of any notebook (kernel start and imports included)


def _cli(args, timeout=1200):
    env = dict(os.environ, DLCOURSE_MIRROR=os.environ.get("DLCOURSE_MIRROR")
               or os.path.join(ROOT, "..", "shared", "data"))
    return subprocess.run([sys.executable, "-m", "dlcourse_keras.course.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=ROOT)


def _load(notebook_id):
    info = catalogue.get_notebook(notebook_id)
    with open(os.path.join(catalogue.notebooks_dir(), info.filename), encoding="utf-8") as f:
        return json.load(f)


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


# --- student copies -----------------------------------------------------------------------------

def test_student_copy_drops_solutions_and_clears_exercise_outputs_only():
    nb = _load("01")
    before = copy.deepcopy(nb)
    student = student_copy(nb)
    assert nb == before  # the source dict is not changed
    assert not [c for c in student["cells"] if "solution" in _tags(c)]
    removed = [c for c in nb["cells"] if "solution" in _tags(c)]
    assert len(student["cells"]) == len(nb["cells"]) - len(removed) and removed
    kept = [c for c in nb["cells"] if "solution" not in _tags(c)]
    for original, copied in zip(kept, student["cells"]):
        if {"exercise", "exercise-summary"} & set(_tags(original)):
            assert copied["outputs"] == [] and copied["execution_count"] is None
            assert copied["source"] == original["source"]
        else:
            assert copied == original  # every other cell, outputs included, as it was
    assert not any("#@title Solution" in "".join(c["source"]) for c in student["cells"])


def test_write_workbooks_writes_copies_and_refuses_bad_requests(tmp_path, monkeypatch):
    written = write_workbooks(["1", "00", "01"], tmp_path / "class")
    assert [os.path.basename(p) for p in written] == ["01_perceptron.ipynb", "00_introduction.ipynb"]
    text = (tmp_path / "class" / "01_perceptron.ipynb").read_text(encoding="utf-8")
    assert text.endswith("}\n") and json.loads(text) == student_copy(_load("01"))
    everything = write_workbooks([], tmp_path / "all")
    assert sorted(os.listdir(tmp_path / "all")) == sorted(
        catalogue.get_notebook(i).filename for i in notebooks_with_exercises())
    assert len(everything) == len(notebooks_with_exercises())
    with pytest.raises(ValueError, match="notebooks folder"):
        write_workbooks(["01"], catalogue.notebooks_dir())
    with pytest.raises(ValueError, match="unknown"):
        write_workbooks(["42"], tmp_path / "x")
    from dlcourse_keras.course import exercises as exercises_pkg

    real = exercises_pkg.has_exercises
    monkeypatch.setattr(exercises_pkg, "has_exercises", lambda nid: real(nid) and nid != "05")
    with pytest.raises(ValueError, match="notebook 05 has no exercises"):
        write_workbooks(["05"], tmp_path / "x")


def test_cli_workbook(tmp_path):
    out = _cli(["workbook", "01", "--out", str(tmp_path / "wb")])
    assert out.returncode == 0, out.stderr
    assert "student copy:" in out.stdout and (tmp_path / "wb" / "01_perceptron.ipynb").is_file()
    bad = _cli(["workbook", "42", "--out", str(tmp_path / "wb")])
    assert bad.returncode == 2 and "notebook id '42' is unknown" in bad.stderr


# --- bad files -----------------------------------------------------------------------------------

def _bad_files(tmp_path):
    nb = student_copy(_load("01"))
    files = {}
    files["not valid JSON"] = tmp_path / "garbage.ipynb"
    files["not valid JSON"].write_text("this is not json")
    files["not a Jupyter notebook"] = tmp_path / "plain.ipynb"
    files["not a Jupyter notebook"].write_text('{"cells": 3}')
    old = dict(nb, nbformat=3)
    files["nbformat 3"] = tmp_path / "old.ipynb"
    files["nbformat 3"].write_text(json.dumps(old))
    unknown = json.loads(json.dumps(nb).replace('dl.exercises(\\"01\\")', 'dl.exercises(\\"42\\")'))
    files["notebook id '42' is unknown"] = tmp_path / "unknown.ipynb"
    files["notebook id '42' is unknown"].write_text(json.dumps(unknown))
    anonymous = dict(nb, cells=[c for c in nb["cells"] if "dl.exercises(" not in "".join(c["source"])])
    files["cannot tell which course notebook"] = tmp_path / "homework.ipynb"
    files["cannot tell which course notebook"].write_text(json.dumps(anonymous))
    files["no such file"] = tmp_path / "missing.ipynb"
    return files


def test_bad_files_get_clear_errors(tmp_path):
    for reason, path in _bad_files(tmp_path).items():
        with pytest.raises(NotebookFileError, match=re.escape(reason)):
            read_student_notebook(str(path))
    named = tmp_path / "01_mine.ipynb"  # no dl.exercises call, but a course file name
    nb = student_copy(_load("01"))
    named.write_text(json.dumps(dict(nb, cells=[c for c in nb["cells"]
                                                if "dl.exercises(" not in "".join(c["source"])])))
    assert read_student_notebook(str(named))[1].id == "01"


def test_cli_check_refuses_bad_files_before_running_anything(tmp_path):
    files = _bad_files(tmp_path)
    good = tmp_path / "good.ipynb"
    good.write_text(json.dumps(student_copy(_load("01"))))
    start = time.perf_counter()
    out = _cli(["check", str(good), *map(str, files.values()), "--out", str(tmp_path / "report")])
    assert out.returncode == 2
    for reason in files:
        assert reason in out.stderr, (reason, out.stderr)
    assert not (tmp_path / "report").exists() and time.perf_counter() - start < 120


# --- grading from records and an executed notebook ----------------------------------------------

def _executed(cells):
    return {"cells": [{"cell_type": "code", "source": src, "metadata": {}, "outputs": outs}
                      for src, outs in cells]}


def _error(name, value):
    return [{"output_type": "error", "ename": name, "evalue": value, "traceback": []}]


def test_grade_fails_only_the_row_of_a_raising_cell():
    info = catalogue.get_notebook("01")
    n = len(exercises("01"))
    nb = _executed([
        ('ex = dl.exercises("01")', []),
        ("def my_step(z):\n    return z > 0\nex.q1.check(my_step)", []),
        ("def trick(c, p, l, r):\n    ...\nex.q2.check(trick)", _error("NameError", "name 'np' is not defined")),
        ("helper = 1 / 0", _error("ZeroDivisionError", "division by zero")),  # a cell the student added to q2
        ("ex.q3.check(train)", []),
    ])
    results = [{"question": "q1", "status": "passed", "message": ""},
               {"question": "q3", "status": "failed", "message": "the result (bias) is not the right value"}]
    rows, outside = grade(nb, info, results)
    assert [r["question"] for r in rows] == [f"q{k}" for k in range(1, n + 1)]
    assert rows[0]["status"] == "passed"
    assert rows[1]["status"] == "failed" and "NameError: name 'np' is not defined" in rows[1]["message"]
    assert rows[2]["status"] == "failed" and rows[2]["message"].startswith("the result (bias)")
    assert all(r["status"] == "not attempted" and "no check" in r["message"] for r in rows[3:])
    assert outside == []
    rows, outside = grade(_executed([("import missing_module", _error("ModuleNotFoundError", "no"))]), info, [])
    assert outside == ["code cell 1: ModuleNotFoundError: no"]
    assert all("an earlier cell raised" in r["message"] for r in rows)


def test_exercise_records_reach_the_report_model(tmp_path):
    path = tmp_path / "records.jsonl"
    lines = [{"kind": "exercise", "notebook": "01", "question": "q2", "title": "T2", "status": "not attempted",
              "message": "m"},
             {"kind": "metric", "name": "x", "value": 1.0, "target": None, "goal": "max", "unit": ""},
             {"kind": "exercise", "notebook": "01", "question": "q10", "title": "T10", "status": "passed",
              "message": ""},
             {"kind": "exercise", "notebook": "01", "question": "q2", "title": "T2", "status": "passed",
              "message": "<ok>"}]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    records = read_records(str(path))
    assert len(records["exercises"]) == 3 and len(records["metrics"]) == 1
    latest = latest_exercise_results(records["exercises"])
    assert [(r["question"], r["status"]) for r in latest] == [("q2", "passed"), ("q10", "passed")]
    report = {"profile": "smoke", "ok": 1, "failed": 0, "seconds": 1.0, "notebooks": [
        {"id": "01", "title": "T", "status": "ok", "seconds": 1.0, "metrics": [], "data_sources": [],
         "figures": [], "error": None, "executed_notebook": None, "exercises": latest}]}
    page = render_html_report(report)
    assert "<h3>Exercises: 2 of 2 passed</h3>" in page and "&lt;ok&gt;" in page


# --- running notebooks (slow) -----------------------------------------------------------------------

def _assert_nothing_attempted(report, notebook_id):
    (entry,) = report["notebooks"]
    assert entry["status"] == "ok", entry["error"]
    assert len(entry["exercises"]) == len(exercises(notebook_id))
    for row in entry["exercises"]:
        assert row["status"] == "not attempted" and "replace the placeholder" in row["message"], row
    assert check_exit_code(report) == 1
    return entry


@pytest.mark.parametrize("notebook_id", ["00", "01"])
def test_student_copy_runs_top_to_bottom_with_nothing_attempted(notebook_id, tmp_path, monkeypatch):
    if not os.environ.get("DLCOURSE_MIRROR"):
        monkeypatch.setenv("DLCOURSE_MIRROR", os.path.join(ROOT, "..", "shared", "data"))
    (path,) = write_workbooks([notebook_id], tmp_path / "class")
    start = time.perf_counter()
    report = check_notebooks([path], out_dir=tmp_path / "report", profile="smoke", cell_timeout=NOTEBOOK_BUDGET_S)
    seconds = time.perf_counter() - start
    _assert_nothing_attempted(report, notebook_id)
    assert seconds < NOTEBOOK_BUDGET_S, f"the student copy of {notebook_id} took {seconds:.0f} s"


@pytest.mark.parametrize("notebook_id", notebooks_with_exercises())
def test_every_student_copys_exercise_section_runs_after_the_setup_cells(notebook_id, tmp_path, monkeypatch):
    """The part of every student copy that differs from the notebook nbval runs: the setup cells,
    then the exercise section alone (as a student who jumps to the exercises runs it)."""
    if not os.environ.get("DLCOURSE_MIRROR"):
        monkeypatch.setenv("DLCOURSE_MIRROR", os.path.join(ROOT, "..", "shared", "data"))
    (path,) = write_workbooks([notebook_id], tmp_path / "class")
    with open(path, encoding="utf-8") as f:
        section = exercise_section(json.load(f))
    trimmed = tmp_path / os.path.basename(path)
    trimmed.write_text(json.dumps(section))
    start = time.perf_counter()
    report = check_notebooks([str(trimmed)], out_dir=tmp_path / "report", profile="smoke",
                             cell_timeout=SECTION_BUDGET_S)
    seconds = time.perf_counter() - start
    _assert_nothing_attempted(report, notebook_id)
    assert seconds < SECTION_BUDGET_S, f"the exercise section of {notebook_id} took {seconds:.0f} s"


def test_exercise_section_keeps_setup_cells_and_the_section_only():
    nb = _load("01")
    section = exercise_section(nb)
    sources = ["".join(c["source"]) for c in section["cells"]]
    assert "dl.setup(" in sources[0] and "from dlcourse_keras.numpy_ref.perceptron import" in sources[1]
    assert sources[2].startswith("## Exercises") and sources[-1] == "ex.summary()"
    assert not any(s.startswith("## 1.") for s in sources)
    with pytest.raises(ValueError, match="## Exercises"):
        exercise_section(dict(nb, cells=nb["cells"][:5]))


FILLED_00 = {  # question: (new source of its exercise cell, expected status)
    1: ('def build_model():\n    return keras.Sequential([keras.Input(shape=(784,)), '
        'keras.layers.Dense(10, activation="sigmoid")])\n\nex.q1.check(build_model)', "passed"),
    2: ("def parameter_count(n_inputs, n_units):\n    return n_inputs * n_units\n\n"
        "ex.q2.check(parameter_count)", "failed"),
    4: ("sigmas = 2.8\n\nex.q4.check(sigmas)", "passed"),
    6: ('answer_6 = "c"\n\nex.q6.check(answer_6)', "failed"),
}
FILLED_01 = {
    1: ("def my_step(z):\n    return (np.asarray(z) > 0).astype(int)\n\nex.q1.check(my_step)", "passed"),
    2: ("def trick(coefs, point, label, learning_rate):\n    p = np.append(point, 1.0)\n"
        "    return coefs + learning_rate * p if label == 1 else coefs - learning_rate * p\n\n"
        "ex.q2.check(trick)", "failed"),
    4: ("def loss_gradient(x, y, weights, bias):\n    return 0\n\nprint(undefined_name)\n"
        "ex.q4.check(loss_gradient)", "failed"),  # raises in the middle of the notebook
    7: ('answer_7 = "b"\n\nex.q7.check(answer_7)', "passed"),
}


def _fill(notebook_id, answers, path):
    nb = student_copy(_load(notebook_id))
    for cell in nb["cells"]:
        if "exercise" in _tags(cell):
            k = int(re.search(r"ex\.q(\d+)\.check", "".join(cell["source"])).group(1))
            if k in answers:
                cell["source"] = answers[k][0]
    path.write_text(json.dumps(nb, indent=1))
    return path


def test_cli_check_grades_right_wrong_missing_and_raising_answers(tmp_path):
    files = [_fill("00", FILLED_00, tmp_path / "bob_00.ipynb"), _fill("01", FILLED_01, tmp_path / "alice.ipynb")]
    out = _cli(["check", *map(str, files), "--out", str(tmp_path / "report")])
    assert out.returncode == 1, out.stderr[-3000:]
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert [e["id"] for e in report["notebooks"]] == ["00", "01"]
    for entry, answers in zip(report["notebooks"], (FILLED_00, FILLED_01)):
        assert entry["status"] == "ok", entry["error"]
        for row in entry["exercises"]:
            k = int(row["question"][1:])
            want = answers[k][1] if k in answers else "not attempted"
            assert row["status"] == want, row
    rows_01 = {r["question"]: r for r in report["notebooks"][1]["exercises"]}
    assert "raised NameError: name 'undefined_name' is not defined" in rows_01["q4"]["message"]
    assert rows_01["q7"]["status"] == "passed"  # checked after the raising cell
    assert "leave the line unchanged" in rows_01["q2"]["message"]
    table = out.stdout
    assert "alice.ipynb (notebook 01, The perceptron): 2 of 7 passed" in table
    assert re.search(r"q2\s+not passed\s+a correctly classified point", table)
    assert re.search(r"q5\s+not attempted", table)
    assert "bob_00.ipynb (notebook 00, Introduction: why deep learning): 2 of 6 passed" in table
    assert "4 of 13 exercises passed in 2 notebook(s)" in table
    html = (tmp_path / "report" / "report.html").read_text()
    assert html.count("<h3>Exercises:") == 2 and "not passed" in html
    assert (tmp_path / "report" / "alice" / "01_perceptron.ipynb").is_file()
