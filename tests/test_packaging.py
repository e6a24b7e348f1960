"""pyproject.toml and environment.yml install the same set; no tf.keras anywhere."""

import json
import os
import re
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _name(requirement):
    return re.split(r"[<>=!~ \[]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def _pyproject():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def _environment_requirements():
    requirements, in_dependencies = [], False
    with open(os.path.join(ROOT, "environment.yml"), encoding="utf-8") as f:
        for line in f:
            if not line.startswith((" ", "\t")):
                in_dependencies = line.startswith("dependencies:")
                continue
            match = re.match(r"^\s+- (.+)$", line.rstrip())
            if in_dependencies and match and not match.group(1).endswith(":"):
                requirements.append(match.group(1).strip())
    return requirements


def test_environment_yml_matches_pyproject():
    project = _pyproject()["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    env = [r for r in _environment_requirements() if not r.startswith(("python", "pip", "-e"))]
    assert {_name(r) for r in declared} == {_name(r) for r in env}
    bounds = lambda reqs: {_name(r): re.search(r"[<>=].*$", r).group(0) for r in reqs}
    assert bounds(declared) == bounds(env)
    assert "-e ." in _environment_requirements()


def test_console_script_and_python_range():
    project = _pyproject()["project"]
    assert project["scripts"]["dlcourse"] == "dlcourse_keras.cli:main"
    assert project["requires-python"] == ">=3.11,<3.14"


def test_no_tf_keras_in_code_or_notebooks():
    offenders = []
    for folder in ("dlcourse_keras", "notebooks", "benchmarks"):
        for directory, _, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                if name.endswith((".py", ".ipynb")):
                    text = open(os.path.join(directory, name), encoding="utf-8").read()
                    if name.endswith(".ipynb"):  # code only: prose may name the old spelling
                        cells = json.loads(text)["cells"]
                        text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
                    if re.search(r"\btf\.keras\b|\btf_keras\b|from tensorflow import keras", text):
                        offenders.append(os.path.join(directory, name))
    assert offenders == []
