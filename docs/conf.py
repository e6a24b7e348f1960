"""Sphinx configuration of the course site (``make site``; see docs/site.md)."""

import os
import sys

DOCS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(DOCS, "_ext"))
sys.path.insert(0, os.path.dirname(DOCS))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # autodoc imports the Keras modules

from dlcourse_keras.course.catalogue import REPOSITORY_URL  # noqa: E402

project = "dlcourse_keras"
author = "the dlcourse_keras authors"
copyright = "the dlcourse_keras authors"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 copied into _static/mathjax: no CDN
    "course_site",
]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]

# The committed notebooks are rendered as they are: never executed here.
nb_execution_mode = "off"
nb_render_markdown_format = "myst"  # 03 prints equations with display(Markdown(...))
nb_ipywidgets_js = {}  # no widget scripts from a CDN
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_inherit_docstrings = False  # Keras's own docstrings are Markdown, not ours to render
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_custom_sections = [("Call arguments", "params_style")]

# Docstrings of the package that reStructuredText cannot parse, shown verbatim until they are
# fixed (object full name -> the fragment at fault; the build fails once the fragment is gone).
# Empty: every docstring parses (tests/test_docstrings.py checks them all).
site_verbatim_docstrings = {}

html_theme = "sphinx_book_theme"
html_title = "dlcourse_keras"
html_favicon = "_static/favicon.svg"  # else the browser asks for /favicon.ico and gets a 404
html_context = {"default_mode": "auto"}  # follow the reader's light/dark preference
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_theme_options = {
    "repository_url": REPOSITORY_URL,
    "repository_branch": "main",
    "path_to_docs": "",  # docs/notebooks/NN.ipynb stands for notebooks/NN.ipynb in the repository
    "use_repository_button": True,
    "use_download_button": True,
    "launch_buttons": {"colab_url": "https://colab.research.google.com"},
    "show_toc_level": 2,
}
html_last_updated_fmt = None
