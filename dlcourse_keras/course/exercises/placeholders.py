"""Placeholders: how a check tells an untouched stub ("not attempted") from an answer.

A placeholder is ``...`` (Ellipsis), the blank ``____``, ``None``, a tuple, list or dict with a
placeholder among its items, or a function or class whose body is only ``...``, ``pass``, a
docstring or ``raise NotImplementedError`` (or that still contains the name ``____``). Function
bodies are read with ``inspect.getsource`` and ``ast``; without source (``exec``, a closed
cell), the code object is compared with those of empty functions.

Example:

>>> def forward(x):
...     ...
>>> is_placeholder(forward), is_placeholder(____), is_placeholder(lambda x: x + 1)
(True, True, False)
"""

import ast
import functools
import inspect
import textwrap


class _Blank:
    """The blank ``____`` a stub leaves for the student to fill in."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "____"

    def __reduce__(self):
        return (_Blank, ())

    def __bool__(self):
        return False


____ = _Blank()
BLANK_NAME = "____"


def _is_ellipsis(node):
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _is_empty_value(node):
    # `...`, `____` or `None` as a returned value
    return (node is None or _is_ellipsis(node)
            or (isinstance(node, ast.Constant) and node.value is None)
            or (isinstance(node, ast.Name) and node.id == BLANK_NAME))


def _is_stub_statement(node):
    if isinstance(node, ast.Pass):
        return True
    if isinstance(node, ast.Expr) and (_is_ellipsis(node.value) or (
            isinstance(node.value, ast.Constant) and isinstance(node.value.value, str))):
        return True  # `...` or a string (a docstring or a "your code here" note)
    if isinstance(node, ast.Return):
        return _is_empty_value(node.value)
    if isinstance(node, ast.Raise) and node.exc is not None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


def _is_stub_body(body):
    return all(_is_stub_statement(node) for node in body)


def _is_stub_class(node):
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if not _is_stub_body(item.body):
                return False
        elif not _is_stub_statement(item):
            return False
    return True


def _mentions_blank(tree):
    return any(isinstance(n, ast.Name) and n.id == BLANK_NAME for n in ast.walk(tree))


def _source_tree(obj):
    try:
        source = textwrap.dedent(inspect.getsource(obj))
    except (OSError, TypeError):
        return None
    try:
        return ast.parse(source)
    except SyntaxError:  # a lambda in the middle of an expression, a decorated fragment
        return None


def _definition(tree, obj):
    """The def, class or lambda node for ``obj`` in the parsed source of its first line."""
    wanted = getattr(obj, "__name__", None)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == wanted:
            return node
        if wanted == "<lambda>" and isinstance(node, ast.Lambda):
            return node
    return None


def _empty_code_objects():
    def a():
        pass

    def b():
        """Doc."""

    def c():
        return ...

    def d():
        raise NotImplementedError

    return [f.__code__ for f in (a, b, c, d)]


_EMPTY_CODES = _empty_code_objects()


def _code_is_stub(code):
    # without source: same bytecode as an empty function, only trivial constants
    if BLANK_NAME in code.co_names:
        return True
    trivial = all(c is None or c is Ellipsis or isinstance(c, str) for c in code.co_consts)
    return any(code.co_code == empty.co_code and trivial and code.co_names == empty.co_names
               for empty in _EMPTY_CODES)


def _unwrap(obj):
    while True:
        if isinstance(obj, functools.partial):
            obj = obj.func
        elif inspect.ismethod(obj):
            obj = obj.__func__
        elif hasattr(obj, "__wrapped__") and not inspect.isclass(obj):
            obj = obj.__wrapped__
        else:
            return obj


def _function_is_stub(fn):
    tree = _source_tree(fn)
    node = _definition(tree, fn) if tree is not None else None
    if node is None:
        code = getattr(fn, "__code__", None)
        return code is not None and _code_is_stub(code)
    if isinstance(node, ast.Lambda):
        return _is_empty_value(node.body) or _mentions_blank(node)
    return _is_stub_body(node.body) or _mentions_blank(node)


def _class_is_stub(cls):
    tree = _source_tree(cls)
    node = _definition(tree, cls) if tree is not None else None
    if node is not None:
        return _is_stub_class(node) or _mentions_blank(node)
    methods = [v for k, v in vars(cls).items() if inspect.isfunction(v)]
    return bool(methods) and all(_code_is_stub(m.__code__) for m in methods)


def is_placeholder(answer):
    """Whether ``answer`` is still a placeholder ("not attempted").

    Args:
        answer: anything a student passes to ``check``.

    Returns:
        True for ``...``, ``____``, ``None``, a tuple/list/dict with one of those among its
        items, and a function or class whose body is only ``...``, ``pass``, a docstring,
        ``return ...``/``return None`` or ``raise NotImplementedError`` (or that mentions
        ``____``); False otherwise, and False whenever the question cannot be decided.
    """
    if answer is None or answer is Ellipsis or answer is ____:
        return True
    if isinstance(answer, (tuple, list)):
        return any(a is None or a is Ellipsis or a is ____ for a in answer)
    if isinstance(answer, dict):
        return any(a is None or a is Ellipsis or a is ____ for a in answer.values())
    try:
        obj = _unwrap(answer)
        if inspect.isclass(obj):
            return _class_is_stub(obj)
        if inspect.isfunction(obj):
            return _function_is_stub(obj)
    except Exception:  # noqa: BLE001 (an odd object is an answer, judged by the check)
        return False
    return False
