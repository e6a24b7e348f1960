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
    assert project["scripts"]["dlcourse"] == "dlcourse_keras.course.cli:main"
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


def _test_oldest_script():
    import importlib.util

    path = os.path.join(ROOT, "scripts", "test_oldest.py")
    spec = importlib.util.spec_from_file_location("test_oldest_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_oldest_pins_follow_every_lower_bound():
    script = _test_oldest_script()
    project = _pyproject()["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    pins = script.oldest_pins()
    assert [_name(p) for p in pins] == [_name(r) for r in declared]
    for requirement, pin in zip(declared, pins):
        assert pin.split("==")[1] == re.search(r">=\s*([^,\s]+)", requirement).group(1)
    assert script.oldest_python() == "python3.11"
    assert script.oldest_pin("foo[bar] >=1.2, <2") == "foo[bar]==1.2"
    for bad in ("foo", "foo<2", "foo>=1; python_version<'3.12'"):
        try:
            script.oldest_pin(bad)
        except ValueError as error:
            assert repr(bad) in str(error)
        else:
            raise AssertionError(f"oldest_pin accepted {bad!r}")
    assert script.same_version("2.19", "2.19.0") and not script.same_version("2.19.1", "2.19")


def test_bounds_admit_colab_runtime():
    """Colab's preinstalled versions (README, "In Colab") must satisfy the lower bounds."""
    colab = {"tensorflow": "2.19.0", "keras": "3.10.0", "numpy": "2.0.2", "scikit-learn": "1.6.1",
             "matplotlib": "3.10.0", "tqdm": "4.67.3", "ipykernel": "6.17.1", "ipython": "7.34.0"}
    release = lambda v: tuple(int(x) for x in v.split("."))
    project = _pyproject()["project"]
    bounds = {_name(r): re.search(r">=\s*([^,\s]+)", r).group(1) for r in project["dependencies"]}
    for name, version in colab.items():
        assert release(bounds[name]) <= release(version), (name, bounds[name], version)
