"""The course machinery: what runs the notebooks, not what they teach.

``catalogue`` (the fourteen notebooks), ``session`` (the setup cell), ``profile``
(smoke or full), ``records`` (a notebook's results, read by the runner), ``source``
(``show_source``), ``exercises`` (checked answers), the runner (``run``: a whole run;
``execution``: one notebook; ``control``: stop signals and kernels), ``report`` (the
report model: entries, report.json, exit codes), ``rendering`` (HTML and terminal
lines), ``workbook`` (student copies and grading) and ``cli`` (the ``dlcourse``
command). Nothing here imports Keras at import time.
"""

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
