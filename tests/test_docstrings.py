"""Every docstring the API reference renders is good reStructuredText, read as the site reads it.

Each docstring goes through napoleon (Google style, with the options of ``docs/conf.py``) and
docutils, as autodoc does it, without building the site. Two faults are caught:

* reStructuredText errors and warnings (an ``Args:`` entry continued on a second line, a
  ``|y|`` read as a substitution, an unknown section header that turns into a link target);
* a block quote: an indented formula after a paragraph that does not end with ``::``, which
  reStructuredText reflows into one line of prose instead of showing it as written (or, with
  no blank line before it, a definition list). Write ``text::`` before it (a literal block)
  or use ``.. math::``.

The modules checked are those of the API reference (``docs/_ext/course_site.py``'s
``api_modules``), so a module gets checked as soon as it gets a page.
"""

import importlib
import importlib.util
import inspect
import io
import os
import pkgutil
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
# Sphinx roles and directives the docstrings may use, which plain docutils does not know.
SPHINX_ROLES = ("class", "func", "meth", "mod", "data", "attr", "exc", "obj", "const", "ref", "doc",
                "py:class", "py:func", "py:meth", "py:mod", "py:data", "py:attr", "py:exc", "py:obj")
SPHINX_DIRECTIVES = ("attribute", "method", "seealso", "versionadded", "versionchanged", "deprecated")


def _extension():
    spec = importlib.util.spec_from_file_location("course_site", os.path.join(DOCS, "_ext", "course_site.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _napoleon_config():
    from sphinx.ext.napoleon import Config

    with open(os.path.join(DOCS, "conf.py"), encoding="utf-8") as f:
        source = f.read()
    namespace = {"__file__": os.path.join(DOCS, "conf.py")}
    path = list(sys.path)
    try:
        exec(compile(source, "docs/conf.py", "exec"), namespace)  # noqa: S102 - our own config
    finally:
        sys.path[:] = path  # conf.py puts docs/_ext and the checkout first
    return Config(**{k: v for k, v in namespace.items() if k.startswith("napoleon_")})


def _register_sphinx_markup():
    from docutils import nodes
    from docutils.parsers.rst import Directive, directives, roles

    def literal_role(name, rawtext, text, lineno, inliner, options=None, content=None):
        return [nodes.literal(rawtext, text)], []

    class ContentDirective(Directive):
        has_content = True
        optional_arguments = 1
        final_argument_whitespace = True
        option_spec = {"type": directives.unchanged, "value": directives.unchanged,
                       "noindex": directives.flag}

        def run(self):
            node = nodes.container()
            self.state.nested_parse(self.content, self.content_offset, node)
            return [node]

    for role in SPHINX_ROLES:
        roles.register_local_role(role, literal_role)
    for directive in SPHINX_DIRECTIVES:
        directives.register_directive(directive, ContentDirective)


def rst_faults(docstring, config, what="function", name="f", obj=None):
    """The faults of one docstring as the site renders it: docutils messages and block quotes.

    Returns:
        A list of strings, empty when the docstring renders as written.
    """
    from docutils import nodes
    from docutils.core import publish_doctree
    from sphinx.ext.napoleon.docstring import GoogleDocstring

    text = str(GoogleDocstring(inspect.cleandoc(docstring), config, None, what, name, obj))
    stream = io.StringIO()
    tree = publish_doctree(text, settings_overrides={"report_level": 2, "halt_level": 5,
                                                     "warning_stream": stream})
    faults = [line for line in stream.getvalue().splitlines() if line.strip()]
    for quote in tree.findall(nodes.block_quote):
        faults.append("an indented block without '::' (reflowed as a block quote): "
                      + quote.astext().replace("\n", " ")[:100])
    for item in tree.findall(nodes.definition_list_item):
        faults.append("an indented line right under a line of text (read as a definition list): "
                      + item.astext().replace("\n", " ")[:100])
    return faults


def _documented(module):
    """``(full name, what, object, docstring)`` of what autodoc's ``:members:`` shows of ``module``."""
    if module.__doc__:
        yield module.__name__, "module", module, module.__doc__
    for name, obj in sorted(vars(module).items()):
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(obj):
            if obj.__doc__:
                yield f"{module.__name__}.{name}", "class", obj, obj.__doc__
            for attr, member in sorted(vars(obj).items()):
                function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
                if attr.startswith("_") or not (inspect.isfunction(function) or isinstance(member, property)):
                    continue
                doc = (member.fget if isinstance(member, property) else function).__doc__
                if doc:
                    what = "attribute" if isinstance(member, property) else "method"
                    yield f"{module.__name__}.{name}.{attr}", what, member, doc
        elif inspect.isfunction(obj) and obj.__doc__:
            yield f"{module.__name__}.{name}", "function", obj, obj.__doc__


def _modules(name):
    """The module ``dlcourse_keras.<name>`` and, for a package, its public submodules, as the
    API page documents them (the package's own docstring only)."""
    package = importlib.import_module(f"dlcourse_keras.{name}")
    if not hasattr(package, "__path__"):
        return [package]
    subs = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))
    return [package] + [importlib.import_module(f"{package.__name__}.{s}") for s in subs]


API_PAGES = [m for m, _, _ in _extension().api_modules()]


@pytest.fixture(scope="module")
def config():
    _register_sphinx_markup()
    return _napoleon_config()


@pytest.mark.parametrize("page", API_PAGES)
def test_every_docstring_of_an_api_page_renders_as_written(page, config):
    modules = _modules(page)
    faults = {}
    for k, module in enumerate(modules):
        for full_name, what, obj, doc in _documented(module):
            if k == 0 and len(modules) > 1 and what != "module":
                continue  # a package's page shows its docstring, then its submodules'
            found = rst_faults(doc, config, what, full_name, obj)
            if found:
                faults[full_name] = found
    assert faults == {}


def test_the_checker_catches_what_reflows_or_breaks(config):
    formula = 'Ranked by the score\n\n    s(y) = sum_t log p / n ** alpha\n\nwhere n is the length.'
    assert any("block quote" in f for f in rst_faults(formula, config))
    assert rst_faults(formula.replace("the score\n", "the score::\n"), config) == []
    assert any("definition list" in f for f in rst_faults(formula.replace("score\n\n", "score\n"), config))
    assert any("ubstitution" in f for f in rst_faults("Normalised by |y| ** alpha.", config))
    continued = ("Counts.\n\nArgs:\n    a, b,\n        c: as in f.\n\nReturns:\n    The count.")
    assert rst_faults(continued, config) != []
    attributes = ("A model.\n\nAttributes (after ``fit``):\n    weights_: the weights.\n")
    assert rst_faults(attributes, config) != []
    fixed = ("A model.\n\nAttributes:\n    weights_: the weights, after ``fit``.\n"
             "    n_epochs_: epochs run.\n\nExample:\n\n>>> 1 + 1\n2\n")
    assert rst_faults(fixed, config) == []
