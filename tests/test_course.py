"""The catalogue and the conventions every committed notebook follows."""

import json
import os
import re
import subprocess
import sys

import nbformat
import pytest

from dlcourse_keras.course import catalogue as course

NOTEBOOKS = course.available_notebooks()
SETUP_MARKERS = ('if "google.colab" in sys.modules:', "import dlcourse_keras as dl", "dl.setup(")


def test_catalogue_ids_are_unique_and_ordered():
    ids = [nb.id for nb in course.NOTEBOOKS]
    assert ids == sorted(set(ids)) and ids[0] == "00" and len(ids) == 14
    assert all(nb.accelerator in ("none", "optional", "recommended") for nb in course.NOTEBOOKS)
    assert course.get_notebook(3).id == course.get_notebook("03").id == "03"
    with pytest.raises(ValueError, match="notebook id '99' is unknown"):
        course.get_notebook("99")


def test_every_notebook_file_is_in_the_catalogue():
    files = sorted(f for f in os.listdir(course.notebooks_dir()) if f.endswith(".ipynb"))
    assert files == [nb.filename for nb in NOTEBOOKS]


@pytest.mark.parametrize("info", NOTEBOOKS, ids=[nb.id for nb in NOTEBOOKS])
def test_notebook_conventions(info):
    nb = nbformat.read(os.path.join(course.notebooks_dir(), info.filename), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(marker in code[0].source for marker in SETUP_MARKERS), "first code cell is the setup cell"
    headings = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()
                if line.startswith("#")]
    assert any(re.search(r"\bsummary\b", h, re.I) for h in headings)
    assert any(re.search(r"\bexercises?\b", h, re.I) for h in headings)
    assert any("assert " in c.source for c in code), "claims are checked by assertion cells"
    errors = [o for c in code for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, "committed notebooks carry no error outputs"
    assert all(c.get("execution_count") for c in code), "committed with outputs from a full run"
    text = "".join(c.source for c in code)
    assert "tf.keras" not in text and "tf_keras" not in text
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# {info.id} "), (
        "the notebook opens with its title cell")
    assert info.colab_badge in nb.cells[0].source, "the title cell carries this notebook's Colab badge"
    for cell in nb.cells:  # exercise solutions are folded: <details> prose, hidden code
        first = cell.source.lstrip()
        if cell.cell_type == "markdown":
            assert not re.match(r"\*\*Solution", first), "a solution's prose sits in a <details> block"
        elif re.match(r"#\s*(@title\s+)?Solution", first):
            assert cell.metadata.get("jupyter", {}).get("source_hidden"), "a solution's code is hidden"
            assert first.startswith("#@title Solution"), "Colab shows a solution as a titled, folded form"
    assert course.INSTALL_LINE in code[0].source, "Colab installs from the configured repository"
    assert not re.search(r"github\.com/(?!" + re.escape(course.REPOSITORY) + ")", text + nb.cells[0].source)


def test_readme_links_every_notebook_to_colab_from_the_configured_repository():
    with open(os.path.join(os.path.dirname(course.notebooks_dir()), "README.md"), encoding="utf-8") as f:
        readme = f.read()
    for info in NOTEBOOKS:
        assert info.colab_url in readme, f"README has no Colab link for {info.filename}"
    assert course.INSTALL_LINE.split("git+")[1].rstrip('"') in readme


def test_cli_list_shows_available_notebooks():
    out = subprocess.run([sys.executable, "-m", "dlcourse_keras.course.cli", "list", "--json"],
                         capture_output=True, text=True, timeout=60, check=True)
    rows = json.loads(out.stdout)
    assert [r["id"] for r in rows] == [nb.id for nb in NOTEBOOKS]
    assert all(r["title"] and r["topics"] and r["accelerator"] for r in rows)


def test_cli_doctor_reports_devices_strategy_and_data(monkeypatch):
    out = subprocess.run([sys.executable, "-m", "dlcourse_keras.course.cli", "doctor", "--json"],
                         capture_output=True, text=True, timeout=120, check=True)
    info = json.loads(out.stdout)
    assert info["devices"]["CPU"] and info["strategy"] and "network" in info
    assert info["datasets"]["iris"] == "package"


def test_setup_line_names_no_machine_path(monkeypatch, tmp_path, capsys):
    import dlcourse_keras as dl

    monkeypatch.setenv("DLCOURSE_MIRROR", str(tmp_path))
    info = dl.setup(seed=1)
    line = capsys.readouterr().out
    assert "data from the mirror" in line and str(tmp_path) not in line
    assert info["data_mirror"] == str(tmp_path)


@pytest.mark.parametrize("info", NOTEBOOKS, ids=[nb.id for nb in NOTEBOOKS])
def test_committed_outputs_carry_no_machine_paths_or_stray_reprs(info):
    nb = nbformat.read(os.path.join(course.notebooks_dir(), info.filename), as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "") + out.get("data", {}).get("text/plain", "")
            assert not re.search(r"(/work/|/tmp/|/home/|/root/|/Users/|[A-Z]:\\\\)", text), (
                f"a machine path in the output of:\n{cell.source[:200]}")
            if out.output_type == "execute_result":
                assert not re.match(r"^('/|\{'kind'|<.* object at 0x)", text), (
                    f"a stray repr in the output of:\n{cell.source[:200]}")
