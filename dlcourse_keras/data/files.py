"""File integrity and safe publication: hashes, recorded hashes, locks, atomic writes.

Every file the data layer puts into the cache goes through the project's one
atomic-write helper (:func:`dlcourse_keras._fileio.replacing`): it is written to a
private temporary file beside the target, hashed and verified there, and only then
renamed onto its final name with ``os.replace`` (atomic on POSIX and Windows). The
published file gets the mode the umask allows (``0o666 & ~umask``), so a cache that a
teacher fills is readable by the students the umask lets in. A file made by the
project itself (no published hash) gets a ``<file>.sha256`` record, written the same
way, under a per-file lock so that concurrent writers cannot pair one writer's record
with another writer's data. A crash at any point leaves either the old state, a stray
temporary file (ignored, removed later) or a record that no longer matches its data
(treated as a corrupted copy, which the loaders skip and ``fetch`` repairs). A full
disk, a quota or a read-only folder is reported as :class:`CacheUnwritableError`
naming the folder.
"""

import contextlib
import errno
import hashlib
import os
import re
import shutil
import stat
import tempfile
import time

from .._fileio import _umask, replacing, write_text_atomic
from .errors import DataError, DataIntegrityError, DataUnreadableError

TEMP_SUFFIX = ".part"
STALE_TEMP_S = 3600.0
# temporary names: ours (".<name>.<random>.part") and _fileio.replacing's (".<stem>.<random>.tmp<ext>")
_TEMP_NAME = re.compile(r"^\..+(\.part|\.tmp(\.[^.]+)?)$")
# an OSError with one of these while writing means the folder cannot take the file
_WRITE_ERRNOS = {code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EFBIG, errno.EROFS,
                                   errno.EACCES, errno.EPERM) if code is not None}


def file_digest(path, algorithm="sha256", chunk_size=1 << 20):
    """The hex digest of a file (``algorithm``: any name :mod:`hashlib` knows)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_file(path, chunk_size=1 << 20):
    """The hex sha256 of a file."""
    return file_digest(path, "sha256", chunk_size)


def verify_file(path, expected_sha256=None, expected_md5=None, label=None):
    """Checks ``path`` against a pinned sha256 (or, failing one, a pinned md5).

    Args:
        path: the file.
        expected_sha256: hex sha256, or None.
        expected_md5: hex md5, used only when no sha256 is given (a few
            official files publish nothing stronger).
        label: how to name the file in messages (default: ``path``).

    Raises:
        FileNotFoundError: naming the path and the expected hash.
        DataIntegrityError: naming the path, the expected and the actual hash.
        ValueError: if neither hash is given.
    """
    label = label or path
    if expected_sha256:
        algorithm, expected = "sha256", expected_sha256
    elif expected_md5:
        algorithm, expected = "md5", expected_md5
    else:
        raise ValueError(f"verify_file({path!r}) needs expected_sha256 or expected_md5.")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data file {label} is missing (expected {algorithm} {expected}).")
    actual = file_digest(path, algorithm)
    if actual != expected:
        raise DataIntegrityError(
            f"data file {label} is corrupted or a different version: "
            f"{algorithm} {actual}, expected {expected}. "
            "Replace it with the official file or remove it so another source is used "
            "(`dlcourse data fetch` repairs a cached copy)."
        )
    return path


def record_path(path):
    """Where the recorded hash of ``path`` lives."""
    return path + ".sha256"


def recorded_hash(path):
    """The hash recorded beside ``path``, or None (no record, or an unreadable one)."""
    try:
        with open(record_path(path), encoding="ascii") as f:
            value = f.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return value if len(value) == 64 else None


def verify_recorded(path):
    """Verifies a cached file against its recorded hash (a missing record is an error)."""
    expected = recorded_hash(path)
    if expected is None:
        raise DataIntegrityError(
            f"cached file {path} has no valid recorded sha256 ({record_path(path)}); "
            "run `dlcourse data fetch` to rebuild it."
        )
    return verify_file(path, expected)


class CacheUnwritableError(DataError, OSError):
    """The cache folder cannot be created or written; the message names it."""


def ensure_dir(path, what="cache"):
    """Creates ``path`` if needed; raises :class:`CacheUnwritableError` naming it."""
    try:
        os.makedirs(path, exist_ok=True)
    except FileExistsError:
        pass
    except OSError as exc:
        raise CacheUnwritableError(
            f"cannot create the {what} folder {path} ({exc.strerror or exc}); "
            "set DLCOURSE_CACHE to a writable folder."
        ) from exc
    if not os.path.isdir(path):
        raise CacheUnwritableError(
            f"the {what} path {path} is not a folder (a file is in the way); "
            "remove that file or set DLCOURSE_CACHE to a writable folder."
        )
    return path


def _mkdirs_for(path):
    return ensure_dir(os.path.dirname(path))


def private_temp(target):
    """A new, private temporary file beside ``target``; returns its path.

    Raises:
        CacheUnwritableError: naming the folder, if it cannot be written.
    """
    folder = _mkdirs_for(target)
    try:
        handle, temp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".",
                                        suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise CacheUnwritableError(
            f"cannot write into the cache folder {folder} ({exc.strerror or exc}); "
            "make it writable or set DLCOURSE_CACHE to a writable folder."
        ) from exc
    os.close(handle)
    return temp


def remove_quietly(path):
    with contextlib.suppress(OSError):
        os.remove(path)


def is_temp_name(name):
    """Whether ``name`` is a temporary file of a publication (ours or ``_fileio.replacing``'s)."""
    return bool(_TEMP_NAME.match(name))


def clean_stale_temps(folder, max_age_s=STALE_TEMP_S):
    """Removes temporary files older than ``max_age_s`` left in ``folder`` by crashes."""
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if is_temp_name(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    if now - entry.stat().st_mtime > max_age_s:
                        os.remove(entry.path)


@contextlib.contextmanager
def file_lock(target):
    """An exclusive inter-process lock for publishing ``target`` (``<target>.lock``).

    Uses ``fcntl.flock`` (POSIX) or ``msvcrt.locking`` (Windows); the lock is
    released by the operating system if the process dies, so a crash cannot
    leave it held.
    """
    _mkdirs_for(target)
    lock_path = target + ".lock"
    try:
        handle = open(lock_path, "a+b")
    except OSError as exc:
        raise CacheUnwritableError(
            f"cannot create the lock file {lock_path} ({exc.strerror or exc}); "
            "make the cache writable or set DLCOURSE_CACHE to a writable folder."
        ) from exc
    try:
        try:
            import fcntl
        except ImportError:  # Windows
            import msvcrt

            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    time.sleep(0.05)
            try:
                yield lock_path
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield lock_path
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


# test hook: called between publication steps, e.g. to simulate a crash there
_fault_hook = None


def _step(name):
    if _fault_hook is not None:
        _fault_hook(name)


def unwritable_error(folder, exc):
    """The :class:`CacheUnwritableError` for an ``OSError`` met while writing into ``folder``."""
    return CacheUnwritableError(
        f"cannot write into the cache folder {folder} ({exc.strerror or exc}); free some space or "
        "make it writable, or set DLCOURSE_CACHE to another folder.")


@contextlib.contextmanager
def writing_into(folder):
    """Turns an ``OSError`` meaning that ``folder`` cannot take a file (a full disk or quota,
    a file too large, a read-only file system, no permission) into :class:`CacheUnwritableError`."""
    try:
        yield folder
    except CacheUnwritableError:
        raise
    except OSError as exc:
        if exc.errno in _WRITE_ERRNOS:
            raise unwritable_error(folder, exc) from exc
        raise


def unreadable_error(path, exc, algorithm, expected):
    """The :class:`DataUnreadableError` for a local copy that cannot be read."""
    return DataUnreadableError(
        f"data file {path} cannot be read ({exc.strerror or exc}); expected {algorithm} {expected}. "
        "Make it readable (e.g. chmod a+r) or remove it so that another source is used.")


def adopt_umask_mode(path):
    """Gives a file the cache publishes the mode the umask allows (``0o666 & ~umask``).

    ``_fileio.replacing`` keeps the mode of a file it replaces; a cache file left
    private (0600) by an older version must open up when it is republished or fetched.
    Files owned by someone else are left alone.
    """
    wanted = 0o666 & ~_umask()
    with contextlib.suppress(OSError):
        if stat.S_IMODE(os.stat(path).st_mode) != wanted:
            os.chmod(path, wanted)


def _checked_digest(temp, target, expected_sha256, expected_md5):
    digest = sha256_file(temp)
    if expected_sha256 and digest != expected_sha256:
        raise DataIntegrityError(
            f"the copy made for {target} has sha256 {digest}, expected {expected_sha256}; "
            "the source is corrupted or a different version, so the cache was left as it was."
        )
    if not expected_sha256 and expected_md5:
        verify_file(temp, expected_md5=expected_md5, label=f"the copy made for {target}")
    return digest


def publish(target, write, expected_sha256=None, expected_md5=None, record=None):
    """Writes a file safely into the cache and returns its sha256.

    ``write(temp_path)`` fills a temporary file beside ``target`` (from
    :func:`dlcourse_keras._fileio.replacing`); the temporary file is hashed and
    checked against the pinned hash, and only a good file is renamed onto
    ``target``, with the mode the umask allows.

    Args:
        target: final path.
        write: callable filling the given temporary path.
        expected_sha256: pinned sha256, or None.
        expected_md5: pinned md5 (checked when no sha256 is pinned), or None.
        record: write a ``<target>.sha256`` record (default: when no sha256 is
            pinned). The file is then written under the target's lock, and the
            record is published before the data.

    Raises:
        DataIntegrityError: if the written file does not match the pin (the
            target is left untouched).
        CacheUnwritableError: if the folder cannot be written (full disk,
            quota, read-only, no permission); the message names the folder.
    """
    if record is None:
        record = expected_sha256 is None
    folder = _mkdirs_for(target)
    with writing_into(folder), (file_lock(target) if record else contextlib.nullcontext()):
        if record:
            _step("locked")
        with replacing(target) as temp:
            write(temp)
            _step("written")
            digest = _checked_digest(temp, target, expected_sha256, expected_md5)
            if record:
                write_text_atomic(record_path(target), digest + "\n")
                adopt_umask_mode(record_path(target))
                _step("recorded")
        adopt_umask_mode(target)
        _step("published")
    return digest


def copy_stream(source, temp, chunk_size=1 << 20):
    """Copies an open binary ``source`` (from its start) into the file ``temp``."""
    source.seek(0)
    with open(temp, "wb") as out:
        shutil.copyfileobj(source, out, chunk_size)


def publish_copy(source, target, expected_sha256=None, expected_md5=None, record=None):
    """Copies ``source`` into the cache at ``target`` via :func:`publish`.

    Raises:
        DataUnreadableError: ``source`` exists but cannot be read (named, with its pin).
    """
    try:
        handle = open(source, "rb")
    except FileNotFoundError:
        raise
    except OSError as exc:
        algorithm = "sha256" if expected_sha256 or not expected_md5 else "md5"
        raise unreadable_error(source, exc, algorithm, expected_sha256 or expected_md5 or "(recorded)") from exc
    with handle:
        return publish(target, lambda temp: copy_stream(handle, temp),
                       expected_sha256=expected_sha256, expected_md5=expected_md5, record=record)


def write_hash_record(path):
    """Records the sha256 of a file this project made (``<path>.sha256``), atomically."""
    digest = sha256_file(path)
    with writing_into(os.path.dirname(os.path.abspath(path))):
        write_text_atomic(record_path(path), digest + "\n")
    adopt_umask_mode(record_path(path))
    return digest
