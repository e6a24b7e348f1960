#!/usr/bin/env python3
"""Run the unit tests against the OLDEST versions that pyproject.toml allows.

Reads every dependency (runtime and the ``test`` extra) from pyproject.toml, turns each lower
bound ``name>=X`` into an exact pin ``name==X``, builds a second virtualenv (``.venv-oldest`` by
default, git-ignored) with the oldest Python that ``requires-python`` allows, installs the pins
plus this checkout (editable), checks that pip really installed the pinned versions, then runs
``pytest -x -q tests`` in the smoke profile. ``--notebooks`` adds the notebooks under nbval.

Because the pin list is built from pyproject.toml on every run, it cannot drift from the bounds;
when the pins change, pip moves the old virtualenv to them (``--rebuild`` starts from scratch). Not part of ``.ci/run`` (it downloads the old
wheels, a few hundred MB, and takes far longer than the CI budget allows).

Usage:
    python3 scripts/test_oldest.py [--python python3.11] [--venv .venv-oldest] [--notebooks]
                                   [--rebuild] [--pins-only] [-- extra pytest args]
Make target: ``make test-oldest`` (``make test-oldest NOTEBOOKS=1`` includes the notebooks).
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Bounds on packages we do not depend on directly, added to the oldest environment only.
# tensorflow-metadata >= 1.18 (pulled in by tensorflow-datasets) ships modules generated with
# protobuf 6 while still declaring protobuf >= 4.21, and TensorFlow 2.19 caps protobuf below 6:
# pip pairs them and `import tensorflow_datasets` fails ("Detected incompatible Protobuf
# Gencode/Runtime versions"). Colab's own runtime has tensorflow-metadata 1.17 with TF 2.19.
# A bound in pyproject.toml would be wrong for TF >= 2.20, whose protobuf 6/7 needs the newer one.
TRANSITIVE_BOUNDS = ["tensorflow-metadata<1.18"]
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def _canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def oldest_pin(requirement):
    """Return ``name==X`` for a requirement whose specifier includes the lower bound ``>=X``.

    Raises ValueError when the requirement has no ``>=`` bound (nothing to pin) or has an
    environment marker (this script does not evaluate markers).
    """
    if ";" in requirement:
        raise ValueError(f"requirement {requirement!r} has a marker; test_oldest.py does not support markers")
    match = _REQUIREMENT.match(requirement)
    if not match:
        raise ValueError(f"cannot parse requirement {requirement!r}")
    name, extras, specifier = match.groups()
    lower = [s.strip()[2:].strip() for s in specifier.split(",") if s.strip().startswith(">=")]
    if len(lower) != 1:
        raise ValueError(f"requirement {requirement!r} needs exactly one '>=' lower bound to pin, got {specifier!r}")
    return f"{name}{extras or ''}=={lower[0]}"


def oldest_pins(pyproject_path=os.path.join(ROOT, "pyproject.toml"), extras=("test",)):
    """Exact pins for every runtime dependency and the given extras of pyproject.toml."""
    with open(pyproject_path, "rb") as f:
        project = tomllib.load(f)["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    return [oldest_pin(r) for r in requirements]


def oldest_python(pyproject_path=os.path.join(ROOT, "pyproject.toml")):
    """The interpreter name for the lower bound of requires-python, e.g. ``python3.11``."""
    with open(pyproject_path, "rb") as f:
        spec = tomllib.load(f)["project"]["requires-python"]
    match = re.search(r">=\s*(\d+)\.(\d+)", spec)
    if not match:
        raise ValueError(f"requires-python {spec!r} has no '>=X.Y' lower bound")
    return f"python{match.group(1)}.{match.group(2)}"


def same_version(a, b):
    """True when two plain release versions are equal up to trailing zeros ('2.19' == '2.19.0')."""
    parse = lambda v: [int(x) for x in v.split(".")]
    x, y = parse(a), parse(b)
    width = max(len(x), len(y))
    return x + [0] * (width - len(x)) == y + [0] * (width - len(y))


def _run(cmd, **kwargs):
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kwargs)


def _installed_versions(python, names):
    code = (
        "import importlib.metadata as m, json, sys\n"
        "print(json.dumps({n: m.version(n) for n in json.loads(sys.argv[1])}))"
    )
    out = subprocess.run([python, "-c", code, json.dumps(names)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def build_venv(venv, python, pins, rebuild=False):
    """Create the old virtualenv, or bring an existing one to the pins; return its python.

    A stamp file holds a digest of the interpreter and the pins: when it matches nothing is
    installed. After installing, every pinned package must report exactly its pinned version
    and ``pip check`` must be clean, otherwise the script exits with the difference.
    """
    stamp_path = os.path.join(venv, ".dlcourse-oldest-pins")
    digest = hashlib.sha256("\n".join([python] + pins + TRANSITIVE_BOUNDS).encode()).hexdigest()
    vpython = os.path.join(venv, "bin", "python")
    if not rebuild and os.path.exists(stamp_path) and open(stamp_path).read().strip() == digest:
        print(f"{venv}: up to date with the pins", flush=True)
        return vpython
    if rebuild or not os.path.exists(os.path.join(venv, ".dlcourse-oldest-python")) or \
            open(os.path.join(venv, ".dlcourse-oldest-python")).read().strip() != python:
        if shutil.which(python) is None and not os.path.exists(python):
            sys.exit(f"test_oldest: interpreter {python!r} not found; pass --python /path/to/{os.path.basename(python)}")
        shutil.rmtree(venv, ignore_errors=True)
        _run([python, "-m", "venv", venv])
        _run([vpython, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        with open(os.path.join(venv, ".dlcourse-oldest-python"), "w") as f:
            f.write(python + "\n")
    else:  # same interpreter, other pins: pip moves the changed packages (--rebuild starts afresh)
        print(f"{venv}: pins changed, updating in place", flush=True)
    # One resolver run: the exact pins plus this checkout (editable); pip fails if they conflict.
    _run([vpython, "-m", "pip", "install", "--quiet", *pins, *TRANSITIVE_BOUNDS, "-e", ROOT])
    names = [re.split(r"[\[=]", p, maxsplit=1)[0] for p in pins]
    got = _installed_versions(vpython, names)
    wrong = {n: v for n, v, p in zip(names, got.values(), pins) if not same_version(v, p.split("==")[1])}
    if wrong:
        sys.exit(f"test_oldest: pip installed other versions than pinned: {wrong}")
    _run([vpython, "-m", "pip", "check"])
    with open(stamp_path, "w") as f:
        f.write(digest + "\n")
    return vpython


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=None, help="interpreter for the venv (default: requires-python's lower bound)")
    parser.add_argument("--venv", default=os.path.join(ROOT, ".venv-oldest"), help="virtualenv folder (default .venv-oldest)")
    parser.add_argument("--notebooks", action="store_true", help="also run the notebooks (smoke profile, nbval)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the virtualenv even if its pins match")
    parser.add_argument("--pins-only", action="store_true", help="print the pin list and exit")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --), e.g. tests/test_mlp.py")
    args = parser.parse_args(argv)

    pins = oldest_pins()
    if args.pins_only:
        print("\n".join(pins))
        return 0
    python = args.python or oldest_python()
    print("oldest pins:", " ".join(pins), "| transitive bounds:", " ".join(TRANSITIVE_BOUNDS), flush=True)
    vpython = build_venv(args.venv, python, pins, rebuild=args.rebuild)

    env = dict(os.environ, DLCOURSE_PROFILE="smoke", PYTHONPATH=ROOT)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = os.path.join(args.venv, "bin") + os.pathsep + env.get("PATH", "")
    # Extra arguments go to pytest verbatim; the default targets are added unless one names a path.
    names_path = any(os.path.exists(os.path.join(ROOT, a.split("::")[0])) for a in args.pytest_args)
    targets = [] if names_path else (["tests", "notebooks"] if args.notebooks else ["tests"])
    cmd = [vpython, "-m", "pytest", "-x", "-q", *args.pytest_args]
    if args.notebooks:
        cmd += ["--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout", "900"]
    else:
        cmd += ["-p", "no:nbval"]
    _run([vpython, "-c", "import tensorflow as tf, keras, numpy; "
          "print('oldest env: tensorflow', tf.__version__, 'keras', keras.__version__, 'numpy', numpy.__version__)"],
         env=env)
    return subprocess.run(cmd + targets, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
