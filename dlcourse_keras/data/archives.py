"""Reading official archives (zip, tar in any compression) safely.

Nothing is extracted wholesale: :func:`reading` lists an archive's regular files,
refusing the whole archive if any member (or link target) would leave the folder it
unpacks into, and the caller copies only the members it needs, each into its own
verified publication. Errors of a broken archive (truncated, not an archive, bad
CRC) become :class:`~.errors.DataIntegrityError` naming the archive; errors of the
writing side (a full disk) are left to the caller, which names the cache folder.
"""

import contextlib
import lzma
import posixpath
import re
import shutil
import tarfile
import zipfile
import zlib

from .errors import DataError, DataIntegrityError

# what reading a broken archive raises (gzip.BadGzipFile is an OSError without errno, handled below)
_BROKEN = (tarfile.TarError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, lzma.LZMAError,
           NotImplementedError)
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafeArchiveError(DataIntegrityError):
    """An archive member's path (or link target) leaves the folder the archive unpacks into."""


def escapes(path):
    """Whether an archive path, taken relative to the unpacking folder, leaves it."""
    path = path.replace("\\", "/")
    if path.startswith("/") or _DRIVE.match(path):
        return True
    depth = 0
    for part in path.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def _refuse(name, why=""):
    raise UnsafeArchiveError(f"member {name!r}{why} leaves the folder the archive unpacks into; "
                             "the archive was refused and nothing was extracted from it")


def _zip_members(archive):
    members = {}
    for info in archive.infolist():
        if escapes(info.filename):
            _refuse(info.filename)
        if not info.is_dir():
            members[info.filename] = lambda info=info: archive.open(info)
    return members


def _tar_members(archive):
    members = {}
    for member in archive.getmembers():  # reads the whole archive: a truncated one fails here
        if escapes(member.name):
            _refuse(member.name)
        if member.issym() and escapes(posixpath.join(posixpath.dirname(member.name), member.linkname)):
            _refuse(member.name, f" (a link to {member.linkname!r})")
        if member.islnk() and escapes(member.linkname):
            _refuse(member.name, f" (a link to {member.linkname!r})")
        if member.isfile():
            members[member.name] = lambda member=member: archive.extractfile(member)
    return members


def _broken(exc):
    if isinstance(exc, _BROKEN):
        return True
    # gzip.BadGzipFile and friends: an OSError about the data, not about a device
    return isinstance(exc, OSError) and exc.errno is None and not isinstance(exc, DataError)


@contextlib.contextmanager
def reading(path, name, about=""):
    """Opens the archive at ``path`` and yields ``{member path: opener}`` for its regular files.

    Args:
        path: the archive file.
        name: how to name it in messages (its URL or file name); a name ending in
            ``.zip`` is read as zip, anything else as tar (any compression).
        about: appended to messages, e.g. the data set and the archive's pin.

    Raises:
        UnsafeArchiveError: a member leaves the unpacking folder (named).
        DataIntegrityError: the archive is truncated or not a valid archive; raised
            also for such errors met inside the ``with`` block (reading a member).
    """
    kind = "zip" if name.lower().endswith(".zip") else "tar"
    label = f"the archive {name}" + (f" ({about})" if about else "")
    try:
        with contextlib.ExitStack() as stack:
            if kind == "zip":
                members = _zip_members(stack.enter_context(zipfile.ZipFile(path)))
            else:
                members = _tar_members(stack.enter_context(tarfile.open(path, "r:*")))
            yield members
    except UnsafeArchiveError as exc:
        raise UnsafeArchiveError(f"{label}: {exc}") from None
    except DataError:
        raise
    except Exception as exc:
        if not _broken(exc):
            raise
        raise DataIntegrityError(f"{label} is truncated or not a valid {kind} archive "
                                 f"({type(exc).__name__}: {exc}); nothing from it reached the cache "
                                 "except files that matched their pins") from exc


def find_member(members, basename):
    """The member called ``basename`` (the shallowest, then the first by name), or None."""
    found = sorted((name.count("/"), name) for name in members if posixpath.basename(name) == basename)
    return found[0][1] if found else None


def copy_member(opener, temp, chunk_size=1 << 20):
    """Copies one member (an opener from :func:`reading`) into the file ``temp``."""
    with opener() as source, open(temp, "wb") as out:
        shutil.copyfileobj(source, out, chunk_size)
