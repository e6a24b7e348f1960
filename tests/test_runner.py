import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from dlcourse_keras import _fileio
from dlcourse_keras.course import catalogue as course, control, report as reports, run


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
        "record_metric('accuracy', 0.99, target=0.97)\nrecord_metric('profile_is_smoke', float(get_profile() == 'smoke'))",
        "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots(); ax.plot([1, 2]); record_figure(fig, 'line', 'A line')",
        "from dlcourse_keras.data import load_tabular\nt = load_tabular('iris')",
    ], folder / course.get_notebook("00").filename)
    _notebook(["x = 1", "raise RuntimeError('the claim is false')", "y = 2"],
              folder / course.get_notebook("01").filename)
    return folder


def test_run_course_reports_status_metrics_sources_and_figures(tiny_course, tmp_path):
    out = tmp_path / "out"
    report = run.run_course(profile="smoke", out_dir=str(out), notebooks_dir=str(tiny_course),
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
    cmd = [sys.executable, "-m", "dlcourse_keras.course.cli", "run", "--profile", "smoke", "--quiet",
           "--out", str(tmp_path / "r")]
    failing = subprocess.run(cmd + ["00", "01"], capture_output=True, text=True, env=env, timeout=300)
    assert failing.returncode == 1 and "1 ok, 1 failed" in failing.stdout
    # --quiet still says why: the failed notebook, its error, and the cell and line that raised it
    why = next(line for line in failing.stdout.splitlines() if line.strip().startswith("01 failed:"))
    assert "RuntimeError in cell [2], line 1 `raise RuntimeError('the claim is false')`" in why
    assert why.endswith(": the claim is false")
    passing = subprocess.run(cmd + ["0"], capture_output=True, text=True, env=env, timeout=300)
    assert passing.returncode == 0 and "1 ok, 0 failed" in passing.stdout
    bad = subprocess.run(cmd + ["42"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "notebook id '42' is unknown" in bad.stderr


def test_runner_rejects_bad_arguments(tiny_course, tmp_path):
    with pytest.raises(ValueError, match="profile='quick'"):
        run.run_course(profile="quick", notebooks_dir=str(tiny_course))
    with pytest.raises(ValueError, match="notebook 05 .* is not in"):
        run.resolve_ids(["05"], str(tiny_course))
    with pytest.raises(ValueError, match="no notebooks to run"):
        run.run_course(notebooks_dir=str(tmp_path), out_dir=str(tmp_path / "o"))


def test_write_back_stores_outputs_in_the_source(tmp_path):
    _notebook(["print('hello from the kernel')"], tmp_path / course.get_notebook("00").filename)
    run.run_course(["00"], profile="smoke", out_dir=str(tmp_path / "o"), notebooks_dir=str(tmp_path),
                      write_back=True, progress=False)
    nb = nbformat.read(tmp_path / course.get_notebook("00").filename, as_version=4)
    assert "hello from the kernel" in nb.cells[0].outputs[0]["text"]


def test_read_records_ignores_blank_lines_and_deduplicates_sources(tmp_path):
    path = tmp_path / "r.jsonl"
    line = json.dumps({"kind": "data", "dataset": "iris", "source": "package", "detail": ""})
    path.write_text(line + "\n\n" + line + "\n")
    assert len(reports.read_records(str(path))["data_sources"]) == 1
    assert reports.read_records(str(tmp_path / "missing"))["metrics"] == []


# --- issue 8: the runner is safe under interruption and bad input, and its report is truthful ---

def _strict_json(text):
    """json.loads that refuses NaN and Infinity (they are not JSON)."""
    def refuse(name):
        raise ValueError(f"{name} is not valid JSON")
    return json.loads(text, parse_constant=refuse)


def _ids(infos):
    return [info.id for info in infos]


def test_resolve_ids_takes_one_id_as_a_string_and_runs_duplicates_once(tiny_course):
    assert _ids(run.resolve_ids("01", str(tiny_course))) == ["01"]  # not "0" and "1"
    assert _ids(run.resolve_ids(1, str(tiny_course))) == ["01"]
    assert _ids(run.resolve_ids(["01", "1", "00", "01"], str(tiny_course))) == ["01", "00"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(cell_timeout=0), "cell_timeout=0"),
    (dict(cell_timeout=-5), "cell_timeout=-5"),
    (dict(cell_timeout=float("nan")), "cell_timeout=nan"),
    (dict(out_dir=""), "out_dir=''"),
    (dict(jobs=0), "jobs=0"),
])
def test_run_course_rejects_bad_settings_before_running(tiny_course, tmp_path, kwargs, message):
    kwargs.setdefault("out_dir", str(tmp_path / "o"))
    with pytest.raises(ValueError, match=message):
        run.run_course(notebooks_dir=str(tiny_course), progress=False, **kwargs)


def test_output_folder_equal_to_the_notebooks_folder_is_refused(tmp_path):
    path = tmp_path / course.get_notebook("00").filename
    _notebook(["print('an output that must not land in the source')"], path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="notebooks folder"):
        run.run_course(["00"], profile="smoke", out_dir=str(tmp_path), notebooks_dir=str(tmp_path),
                          progress=False)
    with pytest.raises(ValueError, match="notebooks folder"):  # the same folder under another name
        run.run_course(["00"], profile="smoke", out_dir=str(tmp_path / "." / ".." / tmp_path.name),
                          notebooks_dir=str(tmp_path), progress=False)
    assert path.read_bytes() == before


def test_cli_rejects_bad_run_options(capsys, monkeypatch, tmp_path):
    from dlcourse_keras.course import cli

    monkeypatch.setenv("DLCOURSE_NOTEBOOKS", str(tmp_path))  # nothing to run if an option slipped through

    for argv, message in ((["--cell-timeout", "0"], "--cell-timeout"), (["--out", ""], "--out"),
                          (["--jobs", "0"], "--jobs")):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["run", *argv])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err


def test_missed_targets_of_the_profile_being_run_fail_the_notebook(tmp_path):
    _notebook(["from dlcourse_keras import record_metric\n"
               "record_metric('acc', 0.5, target={'smoke': 0.1, 'full': 0.9})\n"
               "record_metric('loss', 0.2, target={'full': 0.01}, goal='min')"],
              tmp_path / course.get_notebook("00").filename)
    _notebook(["from dlcourse_keras import record_metric\n"
               "record_metric('acc', 0.5, target={'smoke': 0.9, 'full': 0.1})"],
              tmp_path / course.get_notebook("01").filename)
    _notebook(["from dlcourse_keras import record_metric\n"
               "record_metric('loss', float('nan'), target=1.0, goal='min')\n"
               "record_metric('speed', float('inf'))"],
              tmp_path / course.get_notebook("02").filename)
    out = tmp_path / "out"
    report = run.run_course(profile="smoke", out_dir=str(out), notebooks_dir=str(tmp_path), progress=False)
    met, missed, nonfinite = report["notebooks"]
    assert met["status"] == "ok" and met["targets_missed"] == []
    assert [m["target"] for m in met["metrics"]] == [0.1, None]  # no smoke target for 'loss'
    assert missed["status"] == "failed" and missed["targets_missed"] == ["acc"]
    assert "acc" in missed["error"] and "0.9" in missed["error"]
    assert nonfinite["status"] == "failed" and nonfinite["targets_missed"] == ["loss"]
    loss, speed = nonfinite["metrics"]
    assert loss["value"] is None and loss["nonfinite"] == "nan" and loss["met"] is False
    assert speed["value"] is None and speed["nonfinite"] == "inf" and speed["met"] is None
    assert report["ok"] == 1 and report["failed"] == 2
    on_disk = _strict_json((out / "report.json").read_text())
    assert on_disk["notebooks"][2]["metrics"][0]["nonfinite"] == "nan"
    html = (out / "report.html").read_text()
    assert "nan" in html and "missed" in html


def test_one_bad_input_fails_only_its_notebook(tmp_path):
    bad = tmp_path / course.get_notebook("00").filename
    bad.write_text('{"cells": [', encoding="utf-8")  # a truncated .ipynb
    _notebook(["import os\nfrom dlcourse_keras import record_metric\nrecord_metric('a', 1.0)\n"
               "with open(os.environ['DLCOURSE_RECORD_FILE'], 'a') as f:\n"
               "    f.write('{\"kind\": \"metric\", \"name\": \"b\", \"val')"],
              tmp_path / course.get_notebook("01").filename)
    _notebook(["x = 1"], tmp_path / course.get_notebook("02").filename)
    out = tmp_path / "out"
    report = run.run_course(profile="smoke", out_dir=str(out), notebooks_dir=str(tmp_path), progress=False)
    invalid, partial, fine = report["notebooks"]
    assert invalid["status"] == "failed" and bad.name in invalid["error"]
    assert partial["status"] == "failed" and "record file" in partial["error"]
    assert partial["file"] in partial["error"] and "line 2" in partial["error"]
    assert [m["name"] for m in partial["metrics"]] == ["a"]  # the complete line is kept
    assert fine["status"] == "ok"
    assert _strict_json((out / "report.json").read_text())["failed"] == 2


def test_relative_mirror_and_cache_paths_reach_kernels_as_absolute_paths(tmp_path, monkeypatch):
    (tmp_path / "mirror").mkdir()
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    _notebook(["import os\n"
               "for var in ('DLCOURSE_MIRROR', 'DLCOURSE_CACHE'):\n"
               "    assert os.path.isabs(os.environ[var]), os.environ[var]\n"
               "assert os.path.isdir(os.path.join(os.environ['DLCOURSE_MIRROR'], '..', 'mirror'))"],
              notebooks / course.get_notebook("00").filename)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLCOURSE_MIRROR", "mirror")
    monkeypatch.setenv("DLCOURSE_CACHE", "cache")
    report = run.run_course(profile="smoke", out_dir="out", notebooks_dir="nbs", progress=False)
    assert report["notebooks"][0]["status"] == "ok", report["notebooks"][0]["error"]
    assert report["machine"]["data_mirror"] == str(tmp_path / "mirror")


def test_resume_skips_notebooks_already_ok_in_that_run(tmp_path):
    log, flag = tmp_path / "ran.log", tmp_path / "fixed"
    for notebook_id in ("00", "01"):
        _notebook([f"with open({str(log)!r}, 'a') as f: f.write('{notebook_id}\\n')",
                   f"import os\nassert {notebook_id!r} == '00' or os.path.exists({str(flag)!r})"],
                  tmp_path / course.get_notebook(notebook_id).filename)
    out = tmp_path / "out"
    first = run.run_course(profile="smoke", out_dir=str(out), notebooks_dir=str(tmp_path), progress=False)
    assert [e["status"] for e in first["notebooks"]] == ["ok", "failed"]
    flag.touch()
    second = run.run_course(profile="smoke", out_dir=str(out), notebooks_dir=str(tmp_path),
                               progress=False, resume=True)
    assert log.read_text().split() == ["00", "01", "01"]  # 00 was not run again
    assert [e["status"] for e in second["notebooks"]] == ["ok", "ok"]
    assert second["notebooks"][0]["resumed"] is True and second["ok"] == 2
    assert _strict_json((out / "report.json").read_text())["state"] == "complete"
    with pytest.raises(ValueError, match="profile"):
        run.run_course(profile="full", out_dir=str(out), notebooks_dir=str(tmp_path), resume=True)
    with pytest.raises(ValueError, match="no report"):
        run.run_course(profile="smoke", out_dir=str(tmp_path / "nothing"), notebooks_dir=str(tmp_path),
                          resume=True)


def test_jobs_run_notebooks_in_parallel_kernels(tmp_path, capsys):
    for notebook_id in ("00", "01", "02"):
        _notebook(["import time, os\nstart = time.time()\n"
                   f"open({str(tmp_path)!r} + '/started.{notebook_id}', 'w').close()\n"
                   f"while not any(os.path.exists({str(tmp_path)!r} + f'/started.{{i}}') "
                   f"for i in ('00', '01', '02') if i != {notebook_id!r}) and time.time() - start < 60:\n"
                   "    time.sleep(0.1)"],
                  tmp_path / course.get_notebook(notebook_id).filename)
    start = time.perf_counter()
    report = run.run_course(profile="smoke", out_dir=str(tmp_path / "out"), notebooks_dir=str(tmp_path),
                               jobs=3, progress=True)
    assert [e["id"] for e in report["notebooks"]] == ["00", "01", "02"]  # catalogue order
    # each notebook waits until another has started: they overlapped (run one by one, 00 waits 60 s)
    assert report["ok"] == 3 and all(e["seconds"] < 55 for e in report["notebooks"])
    assert time.perf_counter() - start < 120
    lines = capsys.readouterr().out.splitlines()
    assert sum(" ok " in line for line in lines) == 3
    assert any("running" in line for line in lines)


def test_write_text_atomic_keeps_the_old_file_when_a_write_fails(tmp_path):
    path = tmp_path / "report.json"
    path.write_text("the previous report")
    with pytest.raises(UnicodeEncodeError):
        _fileio.write_text_atomic(str(path), "x" * 100_000 + "\ud800")  # fails half-way through
    assert path.read_text() == "the previous report"
    assert os.listdir(tmp_path) == ["report.json"]  # no temporary file left behind
    _fileio.write_text_atomic(str(path), "new")
    assert path.read_text() == "new"


def _run_cli(args, env, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "dlcourse_keras.course.cli", "run", "--profile", "smoke",
                             *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)


def test_write_back_on_a_full_disk_leaves_the_source_intact(tmp_path):
    import resource

    source = tmp_path / course.get_notebook("00").filename
    _notebook(["print('y' * 300_000)"], source)
    before = source.read_bytes()
    limit = 64 * 1024  # files may not grow past this: the executed notebook cannot be written

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    # the executed copy goes to /dev/null, which has no size limit, so the old runner went on to
    # write back into the source and truncated it
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / source.name).symlink_to(os.devnull)
    env = dict(os.environ, DLCOURSE_NOTEBOOKS=str(tmp_path))
    proc = _run_cli(["--quiet", "--write-back", "--out", str(tmp_path / "out"), "00"], env,
                    preexec_fn=small_disk)
    stdout, stderr = proc.communicate(timeout=300)
    assert source.read_bytes() == before, "the source notebook was damaged"
    assert proc.returncode == 1, stdout + stderr
    report = _strict_json((tmp_path / "out" / "report.json").read_text())
    entry = report["notebooks"][0]
    assert entry["status"] == "failed" and "could not write" in entry["error"]
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []


def _wait_for(path, proc, seconds=180):
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the kernel never became busy"
        time.sleep(0.1)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def sleeping_course(tmp_path):
    """00 sleeps (and writes its kernel's pid to ``busy`` first); 01 would pass."""
    busy = tmp_path / "busy"
    _notebook([f"import os, time\nopen({str(busy) + '.part'!r}, 'w').write(str(os.getpid()))\n"
               f"os.replace({str(busy) + '.part'!r}, {str(busy)!r})\ntime.sleep(120)"],
              tmp_path / course.get_notebook("00").filename)
    _notebook(["x = 1"], tmp_path / course.get_notebook("01").filename)
    return tmp_path


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_run_and_writes_an_interrupted_report(sleeping_course, signum, code):
    out = sleeping_course / "out"
    env = dict(os.environ, DLCOURSE_NOTEBOOKS=str(sleeping_course))
    proc = _run_cli(["--out", str(out), "00", "01"], env)
    try:
        _wait_for(sleeping_course / "busy", proc)
        kernel = int((sleeping_course / "busy").read_text())
        sent = time.monotonic()
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=60)
        stopped_after = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    print(f"{signal.Signals(signum).name}: exit {proc.returncode} after {stopped_after:.2f} s")
    assert proc.returncode == code, stdout + stderr
    assert stopped_after < 30
    report = _strict_json((out / "report.json").read_text())
    assert report["state"] == "interrupted" and report["signal"] == signal.Signals(signum).name
    assert [e["status"] for e in report["notebooks"]] == ["interrupted", "not run"]
    assert report["ok"] == 0
    assert "interrupted" in (out / "report.html").read_text().lower()
    assert "interrupted" in stdout.lower()
    deadline = time.monotonic() + 10
    while _alive(kernel) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(kernel), "the kernel outlived the run"


def test_a_killed_run_does_not_leave_a_report_that_reads_as_a_pass(sleeping_course):
    out = sleeping_course / "out"
    run.run_course(["01"], profile="smoke", out_dir=str(out), notebooks_dir=str(sleeping_course),
                      progress=False)
    assert _strict_json((out / "report.json").read_text())["failed"] == 0  # a passing report
    env = dict(os.environ, DLCOURSE_NOTEBOOKS=str(sleeping_course))
    proc = _run_cli(["--quiet", "--out", str(out), "00", "01"], env)
    try:
        _wait_for(sleeping_course / "busy", proc)
        proc.kill()
        proc.communicate(timeout=60)
    finally:
        kernel = int((sleeping_course / "busy").read_text())
        if _alive(kernel):
            os.kill(kernel, signal.SIGKILL)  # SIGKILL gives the runner no chance to stop its kernel
    report = _strict_json((out / "report.json").read_text())
    assert report["state"] == "running" and report["notebooks"] == []
    assert "not finished" in (out / "report.html").read_text()


def test_exit_code_follows_the_report():
    assert reports.exit_code({"state": "complete", "failed": 0, "not_finished": 0}) == 0
    assert reports.exit_code({"state": "complete", "failed": 1, "not_finished": 0}) == 1
    assert reports.exit_code({"state": "interrupted", "signal": "SIGTERM"}) == 143
    assert reports.exit_code({"state": "interrupted", "signal": "SIGINT"}) == 130
    assert reports.exit_code({"state": "running", "failed": 0, "not_finished": 0}) == 1


def test_html_report_shows_states_per_profile_targets_and_nonfinite_values():
    from dlcourse_keras.course.rendering import render_html_report

    metric = {"name": "acc", "value": None, "nonfinite": "nan", "target": 0.9, "goal": "max",
              "targets": {"smoke": 0.5, "full": 0.9}, "met": False, "unit": ""}
    entry = {"id": "00", "title": "T", "file": "00_t.ipynb", "status": "failed", "seconds": 1.0,
             "metrics": [metric], "targets_missed": ["acc"], "data_sources": [], "figures": [],
             "error": "target missed", "executed_notebook": None}
    report = {"profile": "full", "state": "interrupted", "signal": "SIGTERM", "ok": 0, "failed": 1,
              "not_finished": 2, "seconds": 1.0, "notebooks": [entry]}
    html = render_html_report(report)
    assert "Interrupted</b> by SIGTERM" in html and "2</b>not finished" in html
    assert ">nan<" in html and "&gt;= 0.9 (full)" in html and "smoke: &gt;= 0.5" in html
    assert "no executed copy" in html
    assert "has not finished" in render_html_report(dict(report, state="running"))


def test_cli_resume_writes_into_the_folder_it_resumes(capsys, monkeypatch, tmp_path):
    from dlcourse_keras.course import cli

    monkeypatch.setenv("DLCOURSE_NOTEBOOKS", str(tmp_path))
    assert cli.main(["run", "--resume", str(tmp_path / "a"), "--out", str(tmp_path / "b")]) == 2
    assert "name different folders" in capsys.readouterr().err


def test_sigterm_with_parallel_kernels_stops_them_all(tmp_path):
    for notebook_id in ("00", "01"):
        marker = tmp_path / f"busy.{notebook_id}"
        _notebook([f"import os, time\nopen({str(marker) + '.part'!r}, 'w').write(str(os.getpid()))\n"
                   f"os.replace({str(marker) + '.part'!r}, {str(marker)!r})\ntime.sleep(120)"],
                  tmp_path / course.get_notebook(notebook_id).filename)
    env = dict(os.environ, DLCOURSE_NOTEBOOKS=str(tmp_path))
    proc = _run_cli(["--jobs", "2", "--out", str(tmp_path / "out"), "00", "01"], env)
    try:
        for notebook_id in ("00", "01"):
            _wait_for(tmp_path / f"busy.{notebook_id}", proc)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    kernels = [int((tmp_path / f"busy.{i}").read_text()) for i in ("00", "01")]
    assert proc.returncode == 143, stdout + stderr
    report = _strict_json((tmp_path / "out" / "report.json").read_text())
    assert [e["status"] for e in report["notebooks"]] == ["interrupted", "interrupted"]
    assert report["not_finished"] == 2 and report["jobs"] == 2
    deadline = time.monotonic() + 10
    while any(map(_alive, kernels)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, kernels)), "a kernel outlived the run"


def test_kernel_process_is_found_with_old_and_new_jupyter_client():
    """jupyter-client >= 7 keeps the kernel on km.provisioner; 6.1 (Colab's) only as km.kernel."""
    import subprocess
    import types

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        old = types.SimpleNamespace(km=types.SimpleNamespace(kernel=child))
        new = types.SimpleNamespace(km=types.SimpleNamespace(
            provisioner=types.SimpleNamespace(pid=child.pid, pgid=child.pid)))
        assert control.kernel_process(old) == (child.pid, os.getpgid(child.pid)) == (child.pid, child.pid)
        assert control.kernel_process(new) == (child.pid, child.pid)
        assert control.kernel_process(types.SimpleNamespace()) == (None, None)
        run_control = control.RunControl()
        run_control.started("00", old)
        run_control.kill_kernels()
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
