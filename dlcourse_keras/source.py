"""Shows the package's own source in a notebook, so the code a lesson teaches has one copy."""

import ast
import inspect
import textwrap


class SourceListing:
    """Source text that renders highlighted in Jupyter and plain in a terminal or text output.

    Jupyter picks ``_repr_markdown_`` (a fenced, highlighted Python block); plain-text
    front ends (a terminal, nbval's comparison, ``print``) get the code as it is.

    Args:
        code: the source text.
        title: a one-line caption, e.g. ``"dlcourse_keras/numpy_ref/perceptron.py: Perceptron.fit"``.
    """

    def __init__(self, code, title=""):
        self.code = code
        self.title = title

    def _repr_markdown_(self):
        caption = f"*{self.title}*\n\n" if self.title else ""
        return f"{caption}```python\n{self.code}\n```"

    def __repr__(self):
        return (f"# {self.title}\n" if self.title else "") + self.code

    __str__ = __repr__


def _drop_docstring(code):
    """``code`` without the docstring of its outer function or class."""
    tree = ast.parse(code)
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return code
    body = node.body
    if not (body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant)
            and isinstance(body[0].value.value, str)):
        return code
    lines = code.splitlines()
    first, last = body[0].lineno - 1, body[0].end_lineno - 1
    return "\n".join(lines[:first] + lines[last + 1:])


def show_source(obj, docstring=False):
    """The source of a package function, class or method, for display in a notebook.

    Args:
        obj: a function, method or class defined in Python source.
        docstring: keep the object's docstring. Default False (the notebook's prose
            explains; the code stays short).

    Returns:
        A :class:`SourceListing`; as a cell's last expression it renders as highlighted
        code in Jupyter and as plain text elsewhere.

    Raises:
        TypeError: if ``obj`` has no Python source (a built-in or a C extension).

    Example:

    >>> from dlcourse_keras.numpy_ref.ewma import ewma
    >>> listing = show_source(ewma)
    >>> "def ewma" in listing.code
    True
    """
    try:
        code = textwrap.dedent(inspect.getsource(obj))
    except (TypeError, OSError) as err:
        raise TypeError(f"obj={obj!r} has no Python source to show ({err}).") from None
    if not docstring:
        code = _drop_docstring(code)
    module = inspect.getmodule(obj)
    name = getattr(obj, "__qualname__", getattr(obj, "__name__", ""))
    where = module.__name__ if module is not None else ""
    return SourceListing(code.rstrip("\n"), title=f"{where}.{name}" if where else name)
