"""File integrity and safe publication: hashes, recorded hashes, locks, atomic writes.

Every file the data layer puts into the cache is first written to a private
temporary file in the target folder (one per process and call), hashed and
verified there, and only then renamed onto its final name with ``os.replace``
(atomic on POSIX and Windows). A file made by the project itself (no published
hash) gets a ``<file>.sha256`` record, written the same way, under a per-file
lock so that concurrent writers cannot pair one writer's record with another
writer's data. A crash at any point leaves either the old state, a stray
temporary file (ignored, removed later) or a record that no longer matches its
data (treated as a corrupted copy, which the loaders skip and ``fetch``
repairs).
"""

import contextlib
import hashlib
import os
import shutil
import tempfile
import time

from .errors import DataError, DataIntegrityError

TEMP_SUFFIX = ".part"
STALE_TEMP_S = 3600.0


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


def clean_stale_temps(folder, max_age_s=STALE_TEMP_S):
    """Removes temporary files older than ``max_age_s`` left in ``folder`` by crashes."""
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX):
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


def publish(target, write, expected_sha256=None, expected_md5=None, record=None):
    """Writes a file safely into the cache and returns its sha256.

    ``write(temp_path)`` fills a private temporary file beside ``target``; the
    temporary file is hashed and checked against the pinned hash, and only a
    good file is renamed onto ``target``.

    Args:
        target: final path.
        write: callable filling the given temporary path.
        expected_sha256: pinned sha256, or None.
        expected_md5: pinned md5 (checked when no sha256 is pinned), or None.
        record: write a ``<target>.sha256`` record (default: when no sha256 is
            pinned). The record is published before the data, under a lock.

    Raises:
        DataIntegrityError: if the written file does not match the pin (the
            target is left untouched).
        CacheUnwritableError: if the folder cannot be written.
    """
    if record is None:
        record = expected_sha256 is None
    temp = private_temp(target)
    record_temp = None
    try:
        write(temp)
        _step("written")
        digest = sha256_file(temp)
        if expected_sha256 and digest != expected_sha256:
            raise DataIntegrityError(
                f"the copy made for {target} has sha256 {digest}, expected {expected_sha256}; "
                "the source is corrupted or a different version, so the cache was left as it was."
            )
        if not expected_sha256 and expected_md5:
            verify_file(temp, expected_md5=expected_md5, label=f"the copy made for {target}")
        if not record:
            os.replace(temp, target)
            _step("published")
            return digest
        record_temp = private_temp(record_path(target))
        with open(record_temp, "w", encoding="ascii") as f:
            f.write(digest + "\n")
        with file_lock(target):
            _step("locked")
            os.replace(record_temp, record_path(target))
            record_temp = None
            _step("recorded")
            os.replace(temp, target)
            _step("published")
        return digest
    finally:
        remove_quietly(temp)
        if record_temp:
            remove_quietly(record_temp)


def publish_copy(source, target, expected_sha256=None, expected_md5=None, record=None):
    """Copies ``source`` into the cache at ``target`` via :func:`publish`."""
    return publish(target, lambda temp: shutil.copyfile(source, temp),
                   expected_sha256=expected_sha256, expected_md5=expected_md5, record=record)


def write_hash_record(path):
    """Records the sha256 of a file this project made (``<path>.sha256``), atomically."""
    digest = sha256_file(path)
    temp = private_temp(record_path(path))
    try:
        with open(temp, "w", encoding="ascii") as f:
            f.write(digest + "\n")
        os.replace(temp, record_path(path))
    finally:
        remove_quietly(temp)
    return digest
