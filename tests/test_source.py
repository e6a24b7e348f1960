"""show_source: the package's code displayed in notebooks, highlighted in Jupyter, plain in text."""

import pytest

from dlcourse_keras.numpy_ref.ewma import ewma
from dlcourse_keras.numpy_ref.perceptron import Perceptron
from dlcourse_keras.course.source import SourceListing, show_source


def test_function_source_without_docstring_by_default():
    listing = show_source(ewma)
    assert isinstance(listing, SourceListing)
    assert listing.code.startswith("def ewma(")
    assert '"""' not in listing.code
    assert "dlcourse_keras.numpy_ref.ewma.ewma" in repr(listing)
    assert '"""' in show_source(ewma, docstring=True).code


def test_method_source_is_dedented_and_markdown_is_fenced():
    listing = show_source(Perceptron.fit)
    assert listing.code.startswith("def fit(")
    md = listing._repr_markdown_()
    assert md.count("```") == 2 and "```python" in md
    assert "Perceptron.fit" in md


def test_no_source_is_a_clear_error():
    with pytest.raises(TypeError, match="obj="):
        show_source(len)


def test_several_objects_in_one_listing():
    listing = show_source(ewma, Perceptron.fit)
    assert listing.code.index("def ewma(") < listing.code.index("def fit(")
    assert listing.title.endswith("ewma.ewma, dlcourse_keras.numpy_ref.perceptron.Perceptron.fit")
    with pytest.raises(TypeError, match="at least one"):
        show_source()
