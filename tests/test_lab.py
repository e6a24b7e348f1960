"""JupyterLab with the course (`make lab`), checked in a real browser.

A student copy of notebook 01 (`dlcourse workbook 01`) and a copy of the teacher notebook are put
in a temporary folder, served by `jupyter lab` on 127.0.0.1 (a free port, a random token, its own
empty Jupyter config, data, runtime, settings and workspace folders, so nothing of the user's
leaks in; update checks, news and the PyPI extension manager off; the data layer offline), and
opened in headless Chromium (tests/browser.py). In the student copy the setup cell, the
exercise-setup cell and the first exercise cell are run the way a student runs them: click the
cell, Shift+Enter. The check's Result must come back rendered as Markdown ("not attempted" in
bold); in the teacher notebook every solution cell must be shown folded (JupyterLab's collapsed
input, from the `jupyter.source_hidden` metadata). Screenshots go to _build/lab-screenshots/ for a
person to look at. `make lab` itself is started once too, with a broken user-wide kernel of the
same name present: it must print its URL and serve notebooks/ with this environment's kernel and
the data mirror made absolute (probed over the REST API and the kernel's websocket). Each server
is stopped at the end and no process of its tree (kernels included) may outlive it.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from browser import BrowserMissing, chromium

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = "01_perceptron.ipynb"
SCREENSHOTS = os.path.join(ROOT, "_build", "lab-screenshots")
LAB_HINT = "JupyterLab comes with the course's test extra: `make setup` (or `pip install -e '.[test]'`)."
START_TIMEOUT_S = 60  # the server answering /api/status
RUN_TIMEOUT_S = 120  # one cell (the setup cell imports TensorFlow)
# The one request for another host: notebook 01's Open-in-Colab badge, an image in its first
# Markdown cell, fetched on a student's machine when online; here Chromium's resolver rules stop it.
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
# Failed requests and console errors that are not faults: (URL fragment, failure, why).
FAILURES_ALLOWED = (
    (BADGE, "net::ERR_NAME_NOT_RESOLVED", "the badge, stopped here (a console message says so too)"),
    ("/lab/api/workspaces/", "net::ERR_ABORTED (canceled)",
     "JupyterLab cancels a pending save of its workspace when it saves a newer state"),
)
FAILURES_ALLOWED_LAB3 = (  # JupyterLab 3.6, the lower bound, on jupyter_server 1.x
    ("/api/me", "HTTP 404", "3.6 asks for the identity API of jupyter_server 2, which 1.x lacks, and "
                            "carries on without it"),
    ("about:blank", "net::ERR_FAILED", "a font at about:blank in 3.6's stylesheets, refused by Chromium "
                                       "(with a CORS console message)"),
)

# The notebook panel on show and its cells, in order (every cell is in the DOM: windowing is off).
CELLS = ("Array.from(document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden):not(.p-mod-hidden)"
         " .jp-Notebook').querySelectorAll('.jp-Cell'))")
# Per cell: the facts the tests use.
INSPECT = CELLS + """.map(c => {
  const visible = e => !!e && e.getClientRects().length > 0;
  const outputs = Array.from(c.querySelectorAll('.jp-OutputArea-output'));
  const markdown = outputs.filter(o => o.getAttribute('data-mime-type') === 'text/markdown');
  return {
    prompt: (c.querySelector('.jp-InputPrompt') || {textContent: ''}).textContent.trim(),
    editor: visible(c.querySelector('.jp-InputArea-editor')),
    placeholder: visible(c.querySelector('.jp-InputPlaceholder')),
    outputPlaceholder: !!c.querySelector('.jp-OutputPlaceholder'),
    outputsVisible: outputs.some(visible),
    text: outputs.map(o => o.innerText).join('\\n'),
    mimes: outputs.map(o => o.getAttribute('data-mime-type')),
    strong: markdown.flatMap(o => Array.from(o.querySelectorAll('strong')).map(s => s.textContent)),
    code: markdown.flatMap(o => Array.from(o.querySelectorAll('code')).map(s => s.textContent)),
  };
})"""


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)


def _isolated_jupyter(home, lab_major):
    """Environment variables for a Jupyter that reads only ``home``, and its settings there."""
    dirs = {"JUPYTER_CONFIG_DIR": "config", "JUPYTER_DATA_DIR": "data", "JUPYTER_RUNTIME_DIR": "runtime",
            "JUPYTERLAB_SETTINGS_DIR": "lab-settings", "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
            "IPYTHONDIR": "ipython", "DLCOURSE_CACHE": "cache"}
    env = {name: os.path.join(home, sub) for name, sub in dirs.items()}
    # the server: no update check, no news, no extension catalogue (each would ask PyPI or GitHub);
    # traitlets ignores the names an older JupyterLab does not know
    _write_json(os.path.join(env["JUPYTER_CONFIG_DIR"], "jupyter_server_config.json"),
                {"LabApp": {"check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                            "news_url": None, "extension_manager": "readonly"}})
    if lab_major >= 4:  # settings JupyterLab 3 would reject as unknown
        settings = env["JUPYTERLAB_SETTINGS_DIR"]
        _write_json(os.path.join(settings, "@jupyterlab", "apputils-extension", "notification.jupyterlab-settings"),
                    {"checkForUpdates": False, "fetchNews": "false"})
        # every cell in the DOM, whatever this version's default windowing
        _write_json(os.path.join(settings, "@jupyterlab", "notebook-extension", "tracker.jupyterlab-settings"),
                    {"windowingMode": "none"})
    env.update(JUPYTER_PREFER_ENV_PATH="1",  # the environment's kernel before any user-wide one
               DLCOURSE_PROFILE="smoke", DLCOURSE_OFFLINE="1")
    return env


def _lab_major():
    try:
        import jupyterlab
    except ImportError as error:
        pytest.fail(f"jupyterlab cannot be imported ({error}). {LAB_HINT}")
    return int(jupyterlab.__version__.split(".")[0])


@contextlib.contextmanager
def _serving(cmd, env, cwd, port, log_path, token=None):
    """Runs the server command ``cmd`` in its own process group until it answers on ``port``.

    ``token=None``: the server makes its own, read from the URL it prints (as a student does).

    Yields:
        ``(base_url, token, process)``. Afterwards the group gets SIGTERM (Jupyter then shuts its
        kernels down); any process of the server's tree still running is killed and reported.
    """
    import psutil

    log = open(log_path, "w", encoding="utf-8")
    process = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"{cmd[0]} exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            if token is None:
                printed = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=([0-9a-f]+)", log_path.read_text())
                token = printed.group(1) if printed else None
            try:
                if token is not None:
                    with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                        if r.status == 200:
                            break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer in {START_TIMEOUT_S} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield base, token, process
    finally:
        try:
            tree = psutil.Process(process.pid).children(recursive=True)  # kernels included
        except psutil.NoSuchProcess:
            tree = []
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()
        _, alive = psutil.wait_procs(tree, timeout=10)
        for p in alive:
            p.kill()
        assert alive == [], f"processes left running after the server stopped: {alive}"


def _root_flag():
    return ["--allow-root"] if os.geteuid() == 0 else []  # CI containers run as root; Jupyter asks


@pytest.fixture(scope="module")
def browser():
    try:
        with chromium(width=1400, height=1000) as b:
            yield b
    except BrowserMissing as error:
        pytest.fail(str(error))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """``student/`` holds the student copy of 01 (made by the CLI), ``teacher/`` the notebook itself."""
    root = tmp_path_factory.mktemp("lab")
    dlcourse = os.path.join(os.path.dirname(sys.executable), "dlcourse")
    cmd = [dlcourse] if os.path.exists(dlcourse) else [sys.executable, "-m", "dlcourse_keras.course.cli"]
    done = subprocess.run([*cmd, "workbook", "01", "--out", str(root / "student")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    os.makedirs(root / "teacher")
    shutil.copy(os.path.join(ROOT, "notebooks", NOTEBOOK), root / "teacher" / NOTEBOOK)
    return root


@pytest.fixture(scope="module")
def lab(folder, browser, tmp_path_factory):
    """A JupyterLab server on ``folder``; yields ``(base_url, token, process)``; stops it afterwards."""
    home = tmp_path_factory.mktemp("jupyter-home")
    env = dict(os.environ, **_isolated_jupyter(str(home), _lab_major()))
    token, port = secrets.token_hex(24), _free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.token={token}",
           "--ServerApp.ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
           f"--ServerApp.root_dir={folder}", *_root_flag()]
    with _serving(cmd, env, str(folder), port, home / "server.log", token) as served:
        yield served


def _api(lab, path):
    base, token, _ = lab
    with urllib.request.urlopen(f"{base}{path}?token={token}", timeout=10) as r:
        return json.load(r)


def _run_in_new_kernel(lab, code, timeout=60):
    """Starts the server's default kernel for a notebook at the top of its folder (a session, as
    JupyterLab opens one; no file is made), runs ``code`` over the kernel's websocket and returns
    ``(kernel name, what it printed)``."""
    import asyncio
    import uuid

    from tornado.websocket import websocket_connect

    base, token, _ = lab
    session = {"path": "lab-test-probe.ipynb", "name": "", "type": "notebook", "kernel": {}}
    request = urllib.request.Request(f"{base}/api/sessions", data=json.dumps(session).encode(), method="POST",
                                     headers={"Authorization": f"token {token}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            kernel = json.load(r)["kernel"]
    except urllib.error.HTTPError as error:
        raise AssertionError(f"the server could not start its default kernel: {error} "
                             f"{error.read()[:800]!r}") from None

    async def run():
        ws = await websocket_connect(f"ws{base[4:]}/api/kernels/{kernel['id']}/channels?token={token}")
        msg_id, printed = uuid.uuid4().hex, []
        ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False}}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.read_message(), timeout))
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            assert kind != "error", content
            if kind == "stream":
                printed.append(content["text"])
            if kind == "status" and content["execution_state"] == "idle":
                ws.close()
                return kernel["name"], "".join(printed)

    return asyncio.run(run())


def _open_notebook(browser, lab, path, n_cells):
    base, token, _ = lab
    ready = f"document.querySelector('.jp-NotebookPanel') && {CELLS}.length === {n_cells}"
    # ?reset: a fresh workspace each time, so the other notebook's tab is not restored beside it
    return browser.open(f"{base}/lab/tree/{path}?reset&token={token}", ready=ready, timeout=90, settle=1.0)


def _run_cell(browser, index):
    """Runs cell ``index`` of the notebook on show as a student does: click it, Shift+Enter."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver = browser.driver
    # old outputs are marked, so that only the new run's outputs count
    prompt = driver.execute_script(
        f"const c = {CELLS}[{index}]; c.scrollIntoView({{block: 'center'}});"
        "c.querySelectorAll('.jp-OutputArea-output').forEach(o => { o.dataset.stale = '1'; });"
        "return c.querySelector('.jp-InputPrompt');")
    prompt.click()
    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
    done = browser.wait_for(
        f"(() => {{ const c = {CELLS}[{index}];"
        "const outs = Array.from(c.querySelectorAll('.jp-OutputArea-output'));"
        "return /^\\[\\d+\\]:$/.test(c.querySelector('.jp-InputPrompt').textContent.trim())"
        " && outs.length > 0 && outs.every(o => !o.dataset.stale); })()", timeout=RUN_TIMEOUT_S)
    assert done, f"cell {index} gave no new output within {RUN_TIMEOUT_S} s"


def _show(browser, index):
    """Cell ``index`` in the middle of the window, the mouse parked on the menu bar (no hover)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    browser.driver.execute_script(f"{CELLS}[{index}].scrollIntoView({{block: 'center'}});")
    ActionChains(browser.driver).move_to_element(browser.driver.find_element(By.ID, "jp-top-panel")).perform()
    time.sleep(0.3)


@pytest.fixture(scope="module")
def student(browser, lab, folder):
    """The student copy opened, its setup, exercise-setup and first exercise cells run."""
    with open(folder / "student" / NOTEBOOK, encoding="utf-8") as f:
        cells = json.load(f)["cells"]
    setup = next(i for i, c in enumerate(cells) if c["cell_type"] == "code" and "dl.setup(" in "".join(c["source"]))
    exercise_setup = next(i for i, c in enumerate(cells) if "exercise-setup" in _tags(c))
    exercise = next(i for i, c in enumerate(cells) if "exercise" in _tags(c))
    start = time.monotonic()
    page = _open_notebook(browser, lab, f"student/{NOTEBOOK}", len(cells))
    for index in (setup, exercise_setup, exercise):
        _run_cell(browser, index)
    seconds = time.monotonic() - start
    found = browser.driver.execute_script("return " + INSPECT)
    after = browser.collect()  # what the page did while the cells ran
    for index, name in ((setup, "student-setup.png"), (exercise, "student-exercise-1.png")):
        _show(browser, index)
        browser.screenshot(os.path.join(SCREENSHOTS, name), full_page=False)
    print(f"\nlab: student copy opened in {page.seconds:.1f} s; three cells run, {seconds:.1f} s in all")
    return dict(cells=cells, found=found, logs=[page, after], setup=setup,
                exercise_setup=exercise_setup, exercise=exercise)


@pytest.fixture(scope="module")
def teacher(browser, lab, folder):
    """The teacher notebook opened (nothing run); the first solution cell in view."""
    with open(folder / "teacher" / NOTEBOOK, encoding="utf-8") as f:
        cells = json.load(f)["cells"]
    page = _open_notebook(browser, lab, f"teacher/{NOTEBOOK}", len(cells))
    solutions = [i for i, c in enumerate(cells) if "solution" in _tags(c)]
    _show(browser, solutions[0])
    found = browser.driver.execute_script("return " + INSPECT)
    browser.screenshot(os.path.join(SCREENSHOTS, "teacher-solution-folded.png"), full_page=False)
    return dict(cells=cells, found=found, solutions=solutions, logs=[page, browser.collect()])


def test_the_server_offers_this_environments_kernel(lab):
    specs = _api(lab, "/api/kernelspecs")
    assert specs["default"] == "python3" and list(specs["kernelspecs"]) == ["python3"]
    spec = specs["kernelspecs"]["python3"]["spec"]
    # ipykernel's own spec: "python" becomes the server's interpreter (this environment's) at start
    assert spec["argv"][:3] == ["python", "-m", "ipykernel_launcher"], spec["argv"]


def test_make_lab_serves_the_notebooks_with_the_venv_kernel_and_the_mirror(tmp_path):
    make = shutil.which("make")
    assert make, "`make` is not on PATH; the README's set-up needs it"
    env = dict(os.environ, **_isolated_jupyter(str(tmp_path), _lab_major()),
               DLCOURSE_MIRROR=os.path.join("..", "a-relative-mirror"))
    # a user-wide "python3" kernel that cannot start, and the user asking Jupyter to prefer it:
    # `make lab` must still give this environment's kernel
    _write_json(os.path.join(env["JUPYTER_DATA_DIR"], "kernels", "python3", "kernel.json"),
                {"argv": ["/nonexistent/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                 "display_name": "a user-wide kernel", "language": "python"})
    env["JUPYTER_PREFER_ENV_PATH"] = "0"
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):  # when the tests run under `make test`
        env.pop(name, None)
    port = _free_port()
    options = ["--no-browser", f"--port={port}", "--ServerApp.port_retries=0", *_root_flag()]
    # -o: never reinstall (no network); VENV: the environment running these tests
    cmd = [make, "--no-print-directory", "-C", ROOT, "-o", os.path.join(sys.prefix, ".dlcourse-installed"),
           f"VENV={sys.prefix}", "lab", f"LAB_ARGS={' '.join(options)}"]
    with _serving(cmd, env, ROOT, port, tmp_path / "make-lab.log") as served:
        printed = (tmp_path / "make-lab.log").read_text()
        names = sorted(c["name"] for c in _api(served, "/api/contents")["content"] if c["name"].endswith(".ipynb"))
        kernel, out = _run_in_new_kernel(
            served, "import os, sys; print(sys.prefix); print(os.getcwd()); print(os.environ['DLCOURSE_MIRROR'])")
    mirror = os.path.abspath(os.path.join(ROOT, "..", "a-relative-mirror"))
    assert f"http://127.0.0.1:{port}/lab?token={served[1]}" in printed  # the URL to open, token and all
    assert f"the data mirror {mirror}" in printed
    assert names == sorted(n for n in os.listdir(os.path.join(ROOT, "notebooks")) if n.endswith(".ipynb"))
    assert kernel == "python3"
    prefix, cwd, kernel_mirror = out.split()
    assert os.path.realpath(prefix) == os.path.realpath(sys.prefix)  # this environment's Python
    assert cwd == os.path.join(ROOT, "notebooks") and kernel_mirror == mirror


def test_student_copy_has_no_solution_cells(student):
    assert student["cells"] and not [c for c in student["cells"] if "solution" in _tags(c)]
    assert len(student["found"]) == len(student["cells"])
    assert [i for i, cell in enumerate(student["found"]) if cell["placeholder"]] == []


def test_setup_cell_ran_in_the_course_environment(student, lab):
    out = student["found"][student["setup"]]
    # the committed output says "profile full": this line can only come from this run's kernel
    assert "dlcourse_keras | TF" in out["text"] and "profile smoke" in out["text"], out["text"]
    prompts = [student["found"][i]["prompt"] for i in (student["setup"], student["exercise_setup"],
                                                        student["exercise"])]
    assert prompts == ["[1]:", "[2]:", "[3]:"]  # one fresh kernel, the three cells in order
    sessions = _api(lab, "/api/sessions")
    assert [s["kernel"]["name"] for s in sessions if s["path"] == f"student/{NOTEBOOK}"] == ["python3"]


def test_check_shows_not_attempted_rendered_as_markdown(student):
    out = student["found"][student["exercise"]]
    assert out["mimes"] == ["text/markdown"], out  # the Result's _repr_markdown_, not its plain text
    assert any(s.endswith(": not attempted") and s.startswith("q1 ") for s in out["strong"]), out["strong"]
    assert "ex.q1.hint()" in out["code"], out["code"]  # backticks became <code>
    assert "**" not in out["text"] and "not attempted" in out["text"]


def test_teacher_solution_cells_are_folded(teacher):
    found, solutions = teacher["found"], teacher["solutions"]
    assert len(found) == len(teacher["cells"]) and len(solutions) >= 5
    for i in solutions:
        assert teacher["cells"][i]["metadata"]["jupyter"]["source_hidden"] is True
        assert found[i]["placeholder"] and not found[i]["editor"], (i, found[i])
        # its committed output names the answer, so it is folded too (and kept in the file)
        assert teacher["cells"][i]["metadata"]["jupyter"]["outputs_hidden"] is True
        assert found[i]["outputPlaceholder"] and not found[i]["outputsVisible"], (i, found[i])
        assert any("passed" in "".join(o.get("data", {}).get("text/plain", "")) for o in teacher["cells"][i]["outputs"])
    shown = [i for i, c in enumerate(teacher["cells"])
             if c["cell_type"] == "code" and "solution" not in _tags(c)]
    assert [i for i in shown if found[i]["placeholder"] or not found[i]["editor"]] == []


def test_nothing_leaves_the_machine_and_nothing_fails(student, teacher):
    import jupyterlab

    allowed = FAILURES_ALLOWED + (FAILURES_ALLOWED_LAB3 if jupyterlab.__version__.startswith("3.") else ())

    def explained(url, reason):
        return any(fragment in url and reason == failure for fragment, failure, _ in allowed)

    def explained_message(message):  # Chrome's console line for a failed load names the URL
        return any(fragment in message for fragment, _, _ in allowed)

    logs = student["logs"] + teacher["logs"]
    assert {log.url: [u for u in log.external_requests() if u != BADGE] for log in logs} == {
        log.url: [] for log in logs}
    assert {log.url: [f for f in log.failures if not explained(*f)] for log in logs} == {
        log.url: [] for log in logs}
    assert {log.url: [m for m in log.console_errors if not explained_message(m)] for log in logs} == {
        log.url: [] for log in logs}
    assert all(log.requests[0].startswith("http://127.0.0.1:") for log in (student["logs"][0], teacher["logs"][0]))
    assert sum(len(log.requests) for log in logs) > 50  # the logs were really read


def test_screenshots_were_written(student, teacher):
    for name in ("student-setup.png", "student-exercise-1.png", "teacher-solution-folded.png"):
        path = os.path.join(SCREENSHOTS, name)
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", path
        assert os.path.getsize(path) > 20_000, path
