"""scripts/compare_runs.py: which printed lines differ between two runs of the same notebooks."""

import importlib.util
import json
import pathlib

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "compare_runs", pathlib.Path(__file__).resolve().parents[1] / "scripts" / "compare_runs.py")
compare_runs = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(compare_runs)


def _notebook(path, printed, source=("print(x)", "print(y)", "z = 1")):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# title"]}]
    for src, text in zip(source, printed):
        outputs = [{"output_type": "stream", "name": "stdout", "text": [text]}] if text else []
        cells.append({"cell_type": "code", "metadata": {}, "source": [src], "outputs": outputs,
                      "execution_count": 1})
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_differing_numbers_are_reported_and_timings_ignored(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _notebook(tmp_path / "a" / "07_x.ipynb", ["accuracy 0.912\nfit in 12.5 s\n", "exact 61,706\n", ""])
    _notebook(tmp_path / "b" / "07_x.ipynb", ["accuracy 0.915\nfit in 3.1 s\n", "exact 61,706\n", ""])
    compare_runs.main([str(tmp_path / "a"), str(tmp_path / "b")])
    out = capsys.readouterr().out
    assert "07_x.ipynb: 1 of 2 printing code cells differ" in out
    assert "A: accuracy 0.912" in out and "B: accuracy 0.915" in out
    assert "fit in" not in out   # a timing alone is not a difference


def test_changed_code_is_not_compared(tmp_path, capsys):
    a = _notebook(tmp_path / "a.ipynb", ["1\n", "2\n"])
    b = _notebook(tmp_path / "b.ipynb", ["1\n", "2\n"], source=("print(x)", "print(w)", "z = 1"))
    assert compare_runs.compare(a, b, 5) is None


def test_no_common_notebook_is_an_error(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _notebook(tmp_path / "a" / "01_x.ipynb", ["1\n"])
    _notebook(tmp_path / "b" / "02_y.ipynb", ["1\n"])
    with pytest.raises(SystemExit, match="no notebook file name is in both"):
        compare_runs.main([str(tmp_path / "a"), str(tmp_path / "b")])


def test_any_code_compares_cells_whose_code_changed(tmp_path):
    a = _notebook(tmp_path / "a.ipynb", ["1\n", "2\n"])
    b = _notebook(tmp_path / "b.ipynb", ["1\n", "3\n"], source=("print(x)", "print(w)", "z = 1"))
    printing, differing, shown = compare_runs.compare(a, b, 5, any_code=True)
    assert (printing, differing) == (2, 1) and shown == [(1, "2", "3")]
