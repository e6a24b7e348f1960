"""Atomic file writes: the one helper behind the cache, checkpoints, executed notebooks and reports.

Readers see the old file or the new one, never half of one: the content goes to a
private temporary file beside the target, is flushed to disk, gets the mode a plain
``open(path, "w")`` would give (the umask respected, or the replaced file's mode kept),
and is moved onto the target with ``os.replace``. If anything fails, the temporary
file is removed and the target is left as it was.
"""

import contextlib
import os
import stat
import tempfile


def _umask():
    # os.umask can only be read by setting it; set it straight back
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(path):
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


@contextlib.contextmanager
def replacing(path):
    """Yields a temporary path beside ``path``; on a clean exit it replaces ``path``.

    The caller writes the temporary file (by any means: ``open``, ``model.save``,
    ``shutil.copyfile``) and may check it; raising inside the ``with`` block
    discards it and leaves ``path`` untouched. The temporary file has the same
    extension as ``path``, so writers that insist on one (``.keras``, ``.npy``) work.

    Args:
        path: the file to create or replace.

    Example:

    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with replacing(target) as temp:
    ...     with open(temp, "w") as f:
    ...         _ = f.write("hello")
    >>> open(target).read()
    'hello'
    """
    path = os.path.abspath(os.fspath(path))
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    # the temporary name keeps the extension: model.save and np.save look at it
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{stem}.", suffix=f".tmp{ext}")
    os.close(fd)
    try:
        yield temp
        with open(temp, "rb+") as f:  # the data must be on disk before the rename
            os.fsync(f.fileno())
        os.chmod(temp, _mode_for(path))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def write_bytes_atomic(path, data):
    """Writes ``data`` (bytes) to ``path`` atomically; returns the absolute path."""
    with replacing(path) as temp:
        with open(temp, "wb") as f:
            f.write(data)
    return os.path.abspath(os.fspath(path))


def write_text_atomic(path, text):
    """Writes ``text`` (UTF-8) to ``path`` atomically; returns the absolute path.

    Args:
        path: the file to create or replace.
        text: its new content.
    """
    return write_bytes_atomic(path, text.encode("utf-8"))
