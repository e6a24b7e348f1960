"""The one check of "a list of texts" that every text helper applies (see :func:`check_texts`)."""


def _clip(value, width=60):
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def check_texts(texts, name="texts", allow_empty=False):
    """``texts`` as a list of ``str``, or a ``ValueError`` that names ``name``.

    Args:
        texts: a list, tuple, NumPy array or string tensor of strings (``bytes`` are decoded
            as UTF-8). One bare string is refused: it would be read letter by letter.
        name: the argument's name, for the message. Default "texts".
        allow_empty: accept no texts at all. Default False.

    Returns:
        A new list of ``str``.

    Example:

    >>> check_texts(("a b", "c"))
    ['a b', 'c']
    >>> check_texts("a b")
    Traceback (most recent call last):
    ...
    ValueError: texts='a b' is one string; pass a list of strings ([text] for a single text).
    """
    if isinstance(texts, (str, bytes)):
        raise ValueError(f"{name}={_clip(texts)} is one string; pass a list of strings "
                         "([text] for a single text).")
    if hasattr(texts, "numpy") and hasattr(texts, "dtype"):   # a string tensor
        texts = texts.numpy()
    try:
        items = list(texts)
    except TypeError:
        raise ValueError(f"{name}={_clip(texts)} must be a list of strings.") from None
    out = []
    for i, text in enumerate(items):
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        if not isinstance(text, str):
            raise ValueError(f"{name}[{i}]={_clip(text)} must be a string.")
        out.append(str(text))
    if not out and not allow_empty:
        raise ValueError(f"{name} is empty; it must hold at least one string.")
    return out
