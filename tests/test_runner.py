import json
import os
import subprocess
import sys

import nbformat
import pytest

from dlcourse_keras import course, runner


def _notebook(cells, path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def tiny_course(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebooks")
    _notebook([
        "import os\nfrom dlcourse_keras import record_metric, get_profile, record_figure",
        "record_metric('accuracy', 0.99, target=0.97)\nrecord_metric('profile_is_smoke', get_profile() == 'smoke')",
        "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots(); ax.plot([1, 2]); record_figure(fig, 'line', 'A line')",
        "from dlcourse_keras.data import load_tabular\nt = load_tabular('iris')",
    ], folder / course.get_notebook("00").filename)
    _notebook(["x = 1", "raise RuntimeError('the claim is false')", "y = 2"],
              folder / course.get_notebook("01").filename)
    return folder


def test_run_course_reports_status_metrics_sources_and_figures(tiny_course, tmp_path):
    out = tmp_path / "out"
    report = runner.run_course(profile="smoke", out_dir=str(out), notebooks_dir=str(tiny_course),
                               progress=False)
    assert report["ok"] == 1 and report["failed"] == 1
    ok, failed = report["notebooks"]
    assert ok["id"] == "00" and ok["status"] == "ok" and ok["seconds"] > 0
    assert {m["name"]: m["value"] for m in ok["metrics"]} == {"accuracy": 0.99, "profile_is_smoke": 1.0}
    assert ok["metrics"][0]["met"] is True and ok["targets_missed"] == []
    assert ok["data_sources"] == [{"dataset": "iris", "source": "package", "detail": "scikit-learn"}]
    assert ok["figures"][0]["title"] == "A line" and (out / ok["figures"][0]["path"]).exists()
    assert failed["status"] == "failed" and "the claim is false" in failed["error"]
    on_disk = json.loads((out / "report.json").read_text())
    assert on_disk["notebooks"][1]["status"] == "failed"
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "the claim is false" in html and "accuracy" in html
    executed = nbformat.read(out / ok["file"], as_version=4)
    assert executed.cells[1].outputs  # outputs were kept


def test_cli_run_exits_non_zero_when_a_notebook_fails(tiny_course, tmp_path):
    env = dict(os.environ, DLCOURSE_NOTEBOOKS=str(tiny_course))
    cmd = [sys.executable, "-m", "dlcourse_keras.cli", "run", "--profile", "smoke", "--quiet",
           "--out", str(tmp_path / "r")]
    failing = subprocess.run(cmd + ["00", "01"], capture_output=True, text=True, env=env, timeout=300)
    assert failing.returncode == 1 and "1 ok, 1 failed" in failing.stdout
    passing = subprocess.run(cmd + ["0"], capture_output=True, text=True, env=env, timeout=300)
    assert passing.returncode == 0 and "1 ok, 0 failed" in passing.stdout
    bad = subprocess.run(cmd + ["42"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "notebook id '42' is unknown" in bad.stderr


def test_runner_rejects_bad_arguments(tiny_course, tmp_path):
    with pytest.raises(ValueError, match="profile='quick'"):
        runner.run_course(profile="quick", notebooks_dir=str(tiny_course))
    with pytest.raises(ValueError, match="notebook 05 .* is not in"):
        runner.resolve_ids(["05"], str(tiny_course))
    with pytest.raises(ValueError, match="no notebooks to run"):
        runner.run_course(notebooks_dir=str(tmp_path), out_dir=str(tmp_path / "o"))


def test_write_back_stores_outputs_in_the_source(tmp_path):
    _notebook(["print('hello from the kernel')"], tmp_path / course.get_notebook("00").filename)
    runner.run_course(["00"], profile="smoke", out_dir=str(tmp_path / "o"), notebooks_dir=str(tmp_path),
                      write_back=True, progress=False)
    nb = nbformat.read(tmp_path / course.get_notebook("00").filename, as_version=4)
    assert "hello from the kernel" in nb.cells[0].outputs[0]["text"]


def test_read_records_ignores_blank_lines_and_deduplicates_sources(tmp_path):
    path = tmp_path / "r.jsonl"
    line = json.dumps({"kind": "data", "dataset": "iris", "source": "package", "detail": ""})
    path.write_text(line + "\n\n" + line + "\n")
    assert len(runner.read_records(str(path))["data_sources"]) == 1
    assert runner.read_records(str(tmp_path / "missing"))["metrics"] == []
