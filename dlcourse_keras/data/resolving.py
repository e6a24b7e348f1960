"""Resolving: which source has a good copy of a data set (reads only, never fills the cache).

Every function here takes a resolved :class:`~.registry.DatasetSpec`; the public
entry points in :mod:`.sources` look a name up once and pass the spec down.
:func:`resolve` walks the sources a spec declares, in order, and returns the first
that can provide it, verifying local copies by hash on the way: a corrupted copy, or
one that cannot be read (its permissions), is skipped and reported, and the next
source is tried. Copying, downloading, extracting and building into the cache is
the job of :mod:`.filling`.
"""

import dataclasses
import importlib.util
import os
import sys

from . import config
from .errors import DataError, DataIntegrityError, DataUnavailableError, DataUnreadableError
from .files import CacheUnwritableError, file_digest, file_lock, recorded_hash, unreadable_error, verify_file

LOCAL_SOURCES = ("cache", "mirror", "debian")
# what makes a local copy unusable: it is then skipped and the next source is tried
SKIPPED = (DataIntegrityError, DataUnreadableError, FileNotFoundError)


@dataclasses.dataclass
class Location:
    """Where a data set was found: the source, a description and its local files."""

    source: str
    detail: str
    paths: dict = dataclasses.field(default_factory=dict)  # DataFile.path -> local path


def warn(message):
    print(f"[data] warning: {message}", file=sys.stderr)


# ----------------------------------------------------------------------------- local copies


def local_root(source, spec=None):
    """The folder a local source reads from, or None (unset, or unusable mirror)."""
    if source == "cache":
        return config.cache_dir()
    if source == "mirror":
        return config.mirror_dir_or_none()
    if source == "debian" and spec is not None and spec.debian_dir:
        return os.path.dirname(spec.debian_dir)
    return None


def local_path(root, spec, data_file, source):
    """Where ``data_file`` lives under a local source's root."""
    if source == "debian":  # Debian's folder is named like ours: fashion-mnist/<file>
        return os.path.join(root, os.path.basename(spec.debian_dir), os.path.basename(data_file.path))
    return os.path.join(root, data_file.path)


def tfds_version_dir(data_dir, spec):
    """The newest prepared version folder of ``spec`` in a TFDS ``data_dir``
    (``<data_dir>/<tfds name>[/<config>]/<version>/dataset_info.json``), or None."""
    top = os.path.join(data_dir, spec.tfds_name)
    found = []
    for directory, subdirs, names in os.walk(top):
        subdirs[:] = [d for d in subdirs if not d.startswith((".", "incomplete"))]
        if "dataset_info.json" in names and directory.count(os.sep) - top.count(os.sep) <= 2:
            version = tuple(int(p) if p.isdigit() else 0 for p in os.path.basename(directory).split("."))
            found.append((version, directory))
    return max(found)[1] if found else None


def tfds_dir(root, spec):
    """The TFDS ``data_dir`` under ``root`` (``<root>/tfds``) when it holds ``spec``, or None."""
    data_dir = os.path.join(root, "tfds")
    return data_dir if tfds_version_dir(data_dir, spec) else None


def expected_hash(data_file, local):
    """``(algorithm, hex)`` that a local copy must match, or ``(None, None)``."""
    if data_file.sha256:
        return "sha256", data_file.sha256
    if data_file.md5:
        return "md5", data_file.md5
    return "sha256", recorded_hash(local)


def check_file(data_file, local):
    """Verifies one local copy against its pin or its recorded hash.

    A recorded hash is re-read under the file's lock before a mismatch is
    reported, so a copy being published by another process is not mistaken
    for a corrupted one.

    Raises:
        DataIntegrityError: the copy is empty, of the wrong size or hash.
        DataUnreadableError: the copy cannot be read (named, with its expected hash).
        FileNotFoundError: it vanished.
    """
    try:
        return _check_file(data_file, local)
    except FileNotFoundError:
        raise
    except OSError as exc:  # e.g. PermissionError: a teacher's private file in a shared cache
        algorithm, expected = expected_hash(data_file, local)
        raise unreadable_error(local, exc, algorithm, expected or "(recorded beside it)") from exc


def _check_file(data_file, local):
    size = os.path.getsize(local)
    if size == 0 or (data_file.size and size != data_file.size):
        # e.g. the record of an empty file that an older, racy version could leave
        raise DataIntegrityError(
            f"data file {local} has {size} bytes, expected "
            f"{data_file.size or 'a non-empty file'}; `dlcourse data fetch` repairs a cached copy.")
    algorithm, expected = expected_hash(data_file, local)
    if data_file.sha256 or data_file.md5:
        return verify_file(local, **{f"expected_{algorithm}": expected})
    try:
        if expected is None:
            raise DataIntegrityError(
                f"cached file {local} has no valid recorded sha256 ({local}.sha256); "
                "run `dlcourse data fetch` to rebuild it.")
        return verify_file(local, expected)
    except DataIntegrityError as mismatch:
        if not _in_cache(local):
            raise  # never write a lock file into a mirror
        try:
            with file_lock(local):
                expected = recorded_hash(local)
                if expected is None:
                    raise mismatch from None
                return verify_file(local, expected)
        except CacheUnwritableError:  # a cache this user may read but not write
            raise mismatch from None


def _in_cache(path):
    cache = os.path.join(os.path.realpath(config.cache_dir()), "")
    return os.path.realpath(path).startswith(cache)


def find_local(spec, source):
    """A local source's copy of ``spec``: ``(Location or None, missing, root)``.

    ``missing`` lists the registry paths absent from a copy that has some but
    not all files (a partial mirror), so that messages can name them.
    """
    root = local_root(source, spec)
    if root is None or not os.path.isdir(root):
        return None, [], root
    if spec.kind == "tfds":
        data_dir = tfds_dir(root, spec)
        return (Location(source, data_dir) if data_dir else None), [], root
    if not spec.files:
        return None, [], root
    paths, missing = {}, []
    for f in spec.files:
        local = local_path(root, spec, f, source)
        if os.path.isfile(local):
            paths[f.path] = local
        else:
            missing.append(f)
    if missing:
        return None, (missing if paths else []), root
    return Location(source, os.path.dirname(next(iter(paths.values()))), paths), [], root


def location_files(spec, location):
    """The registry files a location holds: the package's own (``package_files``) or ``files``."""
    return spec.package_files if location.source == "package" and spec.package_files else spec.files


def package_folder(spec):
    """The folder of the installed package ``spec.package`` (found without importing it), or None."""
    if not spec.package:
        return None
    try:
        found = importlib.util.find_spec(spec.package)
    except (ImportError, ValueError):
        return None
    if found is None:
        return None
    if found.submodule_search_locations:
        return list(found.submodule_search_locations)[0]
    return os.path.dirname(found.origin) if found.origin else None


def package_location(spec):
    """Where the installed ``package`` of ``spec`` keeps its ``package_files`` (unverified), or None."""
    folder = package_folder(spec)
    if folder is None:
        return None
    paths = {f.path: os.path.join(folder, *f.path.split("/")) for f in spec.package_files}
    return Location("package", folder, paths)


def verify_location(spec, location):
    """Verifies every file of a local location (pinned hash, else recorded hash), or of a
    package's pinned ``package_files``."""
    for f in location_files(spec, location):
        local = location.paths.get(f.path)
        if local is not None:
            check_file(f, local)
    return location


def cached_location(spec, source):
    """The verified cached copy of ``spec``, labelled as coming from ``source``
    (used right after filling the cache from it)."""
    location, _, _ = find_local(spec, "cache")
    if location is None:
        raise DataUnavailableError(f"data set {spec.name!r}: the cache holds no complete copy "
                                   f"after filling it from {source}.")
    location.source = source
    return verify_location(spec, location)


# ----------------------------------------------------------------------------- resolution


def source_location(spec, source, allow_network):
    """Where ``source`` would provide ``spec`` (local copies unverified), or None."""
    if source in LOCAL_SOURCES:
        return find_local(spec, source)[0]
    if source == "package":
        if spec.package_files:
            return package_location(spec)
        if spec.package and importlib.util.find_spec(spec.package) is not None:
            return Location("package", spec.package)
        return None
    if source == "download" and allow_network:
        urls = spec.download_urls()
        probe = "https://storage.googleapis.com/" if spec.kind == "tfds" else (urls[0] if urls else None)
        if probe and config.network_available(probe):
            return Location("download", ", ".join(urls))
    return None


def resolve(spec, sources=None, allow_network=True, verify=True):
    """``(location or None, problems)``: the first usable source of ``spec`` and the
    error of every unusable local copy skipped on the way (see :data:`SKIPPED`)."""
    problems = []
    for source in spec.sources:
        if sources is not None and source not in sources:
            continue
        location = source_location(spec, source, allow_network)
        if location is None:
            continue
        if verify and (source in LOCAL_SOURCES or (source == "package" and spec.package_files)):
            try:
                verify_location(spec, location)
            except SKIPPED as exc:
                problems.append(exc)
                continue
        return location, problems
    return None, problems


def require(spec, sources=None, allow_network=True):
    """A verified location of ``spec``, or the error that says why there is none.

    Raises:
        DataIntegrityError: every local copy found was corrupted (or some were,
            and the others unreadable) and no other source exists; the message
            names each file and its hashes.
        DataUnreadableError: every local copy found was unreadable.
        DataUnavailableError: no source at all (the message says what to set).
    """
    location, problems = resolve(spec, sources, allow_network)
    if location is None:
        if problems:
            message = str(problems[0]) + (
                "" if len(problems) == 1 else " Other copies: " + " ".join(str(p) for p in problems[1:]))
            if all(isinstance(p, DataUnreadableError) for p in problems):
                raise DataUnreadableError(message)
            raise DataIntegrityError(message)
        raise DataUnavailableError(unavailable_message(spec, allow_network))
    for problem in problems:
        warn(f"skipped an unusable copy, using {location.source} instead: {problem}")
    return location


# ----------------------------------------------------------------------------- messages and reports


def pin_text(f):
    """How a file is pinned, for messages."""
    if f.sha256:
        return f"sha256 {f.sha256}"
    if f.md5:
        size = f", {f.size} bytes" if f.size else ""
        return f"md5 {f.md5}{size}; no sha256 is published for it"
    return "built by the project, hash recorded in the cache"


def unavailable_message(spec, allow_network=True):
    """What to do when no source has ``spec``; names the missing files and their hashes."""
    hints = []
    files = "; ".join(f"{f.path} ({pin_text(f)})" for f in spec.files)
    if "mirror" in spec.sources:
        problem = config.mirror_problem()
        root = config.mirror_dir_or_none()
        wanted = f"tfds/{spec.tfds_name}/ (a prepared TFDS data_dir)" if spec.kind == "tfds" else files
        if problem:
            hints.append(problem)
        elif root is None:
            hints.append(f"set {config.MIRROR_ENV} to a copy of the course data mirror holding {wanted}")
        else:
            _, missing, _ = find_local(spec, "mirror")
            if missing:
                hints.append(f"the mirror {root} ({config.MIRROR_ENV}) lacks "
                             + "; ".join(os.path.join(root, f.path) for f in missing)
                             + f" (expected: {files})")
            elif spec.kind == "tfds":
                hints.append(f"the mirror {root} ({config.MIRROR_ENV}) has no {wanted}")
            else:
                hints.append(f"the mirror {root} ({config.MIRROR_ENV}) has none of "
                             + "; ".join(f"{os.path.join(root, f.path)} ({pin_text(f)})" for f in spec.files))
    if "download" in spec.sources:
        hints.append("connect to the network so that " + ", ".join(spec.download_urls())
                     + " can be downloaded")
    if "package" in spec.sources:
        pinned = ("" if not spec.package_files else " (its files pinned: "
                  + "; ".join(f"{f.path} ({pin_text(f)})" for f in spec.package_files) + ")")
        hints.append(f"install the '{spec.package}' package{pinned}")
    if "cache" in spec.sources:
        hints.append(f"or run `dlcourse data fetch {spec.name}` on a connected machine and copy "
                     f"{config.cache_dir()} here")
    return f"data set {spec.name!r} is not available offline: " + "; ".join(hints) + "."


def verify_rows(spec):
    """One row per file of every local copy of ``spec`` (see :func:`.sources.verify_all`)."""
    rows = []
    for source in LOCAL_SOURCES:
        if source not in spec.sources or spec.kind == "tfds":
            continue
        root = local_root(source, spec)
        if root is None or not os.path.isdir(root):
            continue
        present = [f for f in spec.files if os.path.isfile(local_path(root, spec, f, source))]
        for f in spec.files if present else ():
            local = local_path(root, spec, f, source)
            algorithm, expected = expected_hash(f, local)
            row = {"dataset": spec.name, "source": source, "path": local, "algorithm": algorithm,
                   "expected": expected, "actual": None, "ok": False}
            if f in present:
                try:
                    check_file(f, local)
                    row["ok"] = True
                except (DataError, OSError):
                    pass
                algorithm, expected = expected_hash(f, local)
                try:
                    actual = file_digest(local, algorithm)
                except FileNotFoundError:
                    actual = None
                except OSError as exc:
                    actual = f"(unreadable: {exc.strerror or exc})"
                row.update(expected=expected, actual=actual)
                row["ok"] = row["ok"] and actual == expected
            rows.append(row)
    return rows
