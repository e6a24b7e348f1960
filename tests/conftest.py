"""Shared test set-up: headless plots, quiet TensorFlow, the data mirror."""

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

# notebook kernels run in notebooks/: make a relative DLCOURSE_MIRROR / DLCOURSE_CACHE absolute
# before any of them starts (e.g. `DLCOURSE_MIRROR=../shared/data make test`)
from dlcourse_keras.data.config import absolute_env  # noqa: E402

os.environ.update(absolute_env())

MIRROR = os.environ.get("DLCOURSE_MIRROR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data")
HAVE_MIRROR = os.path.isdir(os.path.join(MIRROR, "fashion-mnist"))

needs_mirror = pytest.mark.skipif(not HAVE_MIRROR, reason="the course data mirror is not present")


@pytest.fixture
def mirror_env(monkeypatch, tmp_path):
    """The real mirror, and an empty private cache."""
    if not HAVE_MIRROR:
        pytest.skip("the course data mirror is not present")
    monkeypatch.setenv("DLCOURSE_MIRROR", os.path.abspath(MIRROR))
    monkeypatch.setenv("DLCOURSE_CACHE", str(tmp_path / "cache"))
    return os.path.abspath(MIRROR)


@pytest.fixture
def offline_env(monkeypatch, tmp_path):
    """No mirror, an empty cache, and no network."""
    monkeypatch.delenv("DLCOURSE_MIRROR", raising=False)
    monkeypatch.setenv("DLCOURSE_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("DLCOURSE_OFFLINE", "1")
