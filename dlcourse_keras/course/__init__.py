"""The course machinery: what runs the notebooks, not what they teach.

``catalogue`` (the fourteen notebooks), ``session`` (the setup cell), ``profile``
(smoke or full), ``records`` (a notebook's results, read by the runner), ``source``
(``show_source``), ``exercises`` (checked answers), the runner (``run``: a whole run;
``execution``: one notebook; ``control``: stop signals and kernels), ``report`` (the
report model: entries, report.json, exit codes), ``rendering`` (HTML and terminal
lines), ``workbook`` (student copies and grading) and ``cli`` (the ``dlcourse``
command). Nothing here imports Keras at import time.
"""

import importlib
import importlib.util

from .profile import PROFILES, by_profile, get_profile, is_smoke
from .records import record_data_source, record_figure, record_metric
from .session import in_colab, setup
from .source import show_source

__all__ = [
    "PROFILES",
    "by_profile",
    "get_profile",
    "in_colab",
    "is_smoke",
    "record_data_source",
    "record_figure",
    "record_metric",
    "setup",
    "show_source",
]


def __getattr__(name):
    # a submodule on first use (``dl.course.exercises.____``), whatever was imported before
    if not name.startswith("_") and name.isidentifier() and importlib.util.find_spec(f"{__name__}.{name}"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
