"""Notebook 12 quotes no results typed by hand: the summary's numbers are printed by a code cell
just before it, its outputs carry no float noise, and its asserts check the claims of its prose."""

import json
import re

import pytest

from dlcourse_keras.course.catalogue import get_notebook, notebooks_dir
from dlcourse_keras.course.workbook import section_bounds

# a number copied from an output: a decimal (76.3, 0.57, [+0.8), a percentage (61 %, 99.5%)
# or a spread (± 0.2); counts such as 8,530 or 10,662 are exact and allowed
RESULT = re.compile(r"\d\.\d|\d\s*%|±\s*\d")
FLOAT_NOISE = re.compile(r"\d\.\d{7,}")


@pytest.fixture(scope="module")
def cells():
    with open(f"{notebooks_dir()}/{get_notebook('12').filename}", encoding="utf-8") as f:
        return [(c["cell_type"], "".join(c["source"]), c) for c in json.load(f)["cells"]]


def lesson(cells):
    """The cells before the '## Exercises' heading."""
    start, _ = section_bounds([cell for _, _, cell in cells])
    return cells[:start]


def summary_index(cells):
    return next(i for i, (kind, text, _) in enumerate(cells) if kind == "markdown" and text.startswith("## Summary"))


def test_the_pattern_finds_typed_results_and_spares_counts():
    found = RESULT.findall("76.3 ± 0.2%, [+0.8, +5.4], 61 % and 43%, about 3 s")
    assert found == ["6.3", "± 0", "2%", "0.8", "5.4", "1 %", "3%"]
    assert RESULT.findall("8,530 sentences, 10,662 snippets, seeds 0, 1 and 2, Kim (2014)") == []


def test_summary_quotes_no_numbers_from_the_outputs(cells):
    text = cells[summary_index(cells)][1].replace("95% interval", "")   # a confidence level, a setting
    assert RESULT.findall(text) == []


def test_markdown_quotes_only_the_literature(cells):
    # the published accuracies (Kim 2014, NBSVM) are citations, not outputs of this run; a version
    # such as "v1.0" is not a result either
    cited = {"76.1%", "81.5%", "79.4%"}
    for i, (kind, text, _) in enumerate(lesson(cells)):
        text = text.replace("95% interval", "")
        if kind == "markdown":
            typed = [m for m in re.findall(r"(?<![\w.])\d+\.\d+\s*%?|\d+\s*%", text) if m.replace(" ", "") not in cited]
            assert typed == [], (i, typed)


def test_a_code_cell_before_the_summary_prints_its_numbers(cells):
    kind, source, _ = cells[summary_index(cells) - 1]
    assert kind == "code"
    for name in ("lstm_acc", "baseline_test", "boot[", "comparison", "zero_shot", "ensemble", "SEEDS"):
        assert name in source, name
    assert "assert" in source, "the comparisons the summary states are asserted"


def test_the_top_says_which_numbers_vary(cells):
    intro = cells[0][1].lower()
    assert "vary" in intro and "exact" in intro and "seeds" in intro


def test_no_float_noise_in_the_outputs(cells):
    for i, (kind, _, cell) in enumerate(cells):
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/plain", ""))
            assert FLOAT_NOISE.findall(text) == [], (i, FLOAT_NOISE.findall(text))


def test_good_above_bad_is_not_asserted_for_networks_at_float_noise(cells):
    # fastText scores "movie was good" 0.004 and "movie was bad" 0.000: ranking them says nothing
    source = "\n".join(text for kind, text, _ in cells if kind == "code")
    assert '(notes.loc["movie was good"] > notes.loc["movie was bad"]).all()' not in source
