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


def show_source(*objs, docstring=False):
    """The source of package functions, classes or methods, for display in a notebook.

    Args:
        *objs: one or more functions, methods or classes defined in Python source; several
            are shown one after the other in one listing.
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
    if not objs:
        raise TypeError("show_source needs at least one function, method or class.")
    codes, titles = [], []
    for obj in objs:
        try:
            code = textwrap.dedent(inspect.getsource(obj))
        except (TypeError, OSError) as err:
            raise TypeError(f"obj={obj!r} has no Python source to show ({err}).") from None
        if not docstring:
            code = _drop_docstring(code)
        codes.append(code.rstrip("\n"))
        module = inspect.getmodule(obj)
        name = getattr(obj, "__qualname__", getattr(obj, "__name__", ""))
        titles.append(f"{module.__name__}.{name}" if module is not None else name)
    return SourceListing("\n\n".join(codes), title=", ".join(titles))
