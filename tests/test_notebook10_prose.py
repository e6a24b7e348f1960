"""Notebook 10's lesson prose quotes no results typed by hand: accuracies, spreads and point
differences come from the run (printed by code cells), so the prose cannot drift from them."""

import json
import re

from dlcourse_keras.course.catalogue import get_notebook, notebooks_dir
from dlcourse_keras.course.workbook import section_bounds

# what a number copied from an output looks like: an accuracy with three decimals (0.693),
# a spread (±0.026) or a signed difference in points (+5.7, -0.8, with a minus sign too)
RESULT = re.compile(r"\d\.\d{3}|±\s*\d|(?<![\w.])[+\u2212-]\d+\.\d\b")


def lesson_markdown(path):
    """(index, text) of the markdown cells before the '## Exercises' heading."""
    with open(path, encoding="utf-8") as f:
        cells = json.load(f)["cells"]
    start, _ = section_bounds(cells)
    return [(i, "".join(cell["source"])) for i, cell in enumerate(cells[:start]) if cell["cell_type"] == "markdown"]


def typed_results(path):
    return [(i, m.group(0)) for i, text in lesson_markdown(path) for m in RESULT.finditer(text)]


def test_the_pattern_finds_typed_results_and_spares_settings():
    assert RESULT.findall("reach 0.750±0.027, the printed gain of +5.7 points (\u22120.8)") == \
        ["0.750", "±0", "+5.7", "\u22120.8"]
    assert RESULT.findall("dropout 0.3, $C=0.1$, Keras 3.15, 1.4 million photos, at least 1.5 points") == []


def test_lesson_prose_of_notebook_10_quotes_no_numbers_from_the_outputs():
    path = f"{notebooks_dir()}/{get_notebook('10').filename}"
    assert lesson_markdown(path), "the notebook has lesson markdown"
    assert typed_results(path) == []
