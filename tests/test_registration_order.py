"""Registration after ``import keras`` works whichever package module imports Keras first.

A module that imports Keras while its own code is still running (``text`` registers its
standardizers at import) used to trigger the registration half-way, which then imported
``models.seq2seq``, which imports names from that half-made module: ``Seq2SeqTranslator``
stayed unregistered. Each case runs in a fresh interpreter.
"""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(code, timeout=300):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]),
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-W", "error::UserWarning:dlcourse_keras.registration",
                          "-c", code], capture_output=True, text=True, timeout=timeout, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def every_name():
    return _run("import keras, dlcourse_keras as dl\nprint(sorted(dl.register_keras_objects()))")


@pytest.mark.parametrize("first", ["dl.text.make_vectorizer(['a b'])",
                                   "import dlcourse_keras.layers.attention",
                                   "import dlcourse_keras.models.seq2seq",
                                   "from dlcourse_keras.layers import TeachingLSTM"])
def test_every_object_is_registered_whichever_module_imports_keras_first(first, every_name):
    code = ("import sys, dlcourse_keras as dl\n"
            f"{first}\n"
            "import keras\n"
            "print(sorted(k for k in keras.saving.get_custom_objects() if k.startswith('dlcourse_keras>')))")
    assert _run(code) == every_name


def test_pytest_collecting_the_text_module_registers_every_object():
    """pytest's assertion rewriter loads a module named on its command line with one loader
    shared by many modules; the hook must see that module run too (it used to warn that
    'detokenize' could not be imported from the half-made text module)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]),
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
                          "--collect-only", "--doctest-modules", "-W", "error::UserWarning",
                          os.path.join(ROOT, "dlcourse_keras", "text.py")],
                         capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert out.returncode == 0 and "could not register" not in out.stdout + out.stderr, out.stdout[-3000:]
