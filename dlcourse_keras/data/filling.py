"""Filling the cache: copying, downloading, extracting and building a data set into it.

Every function here takes a resolved :class:`~.registry.DatasetSpec` and a
:class:`~.resolving.Location` that :mod:`.resolving` chose; the public entry points
in :mod:`.sources` tie the two layers together. Every file goes through
:func:`.files.publish` (verified, atomic, with the umask's mode); a full disk or a
read-only cache is a :class:`~.files.CacheUnwritableError` naming the folder, and a
broken or hostile archive a :class:`~.errors.DataIntegrityError` naming the archive,
the data set and its pin.
"""

import importlib
import os
import shutil
import tempfile

from . import archives, config
from .errors import DataIntegrityError, DataUnavailableError
from .files import (
    CacheUnwritableError,
    adopt_umask_mode,
    clean_stale_temps,
    file_lock,
    private_temp,
    publish,
    publish_copy,
    record_path,
    remove_quietly,
    verify_file,
    writing_into,
)
from .resolving import LOCAL_SOURCES, Location, cached_location, pin_text, warn


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


# ----------------------------------------------------------------------------- downloads and archives


def _download_to(url, target, sha256=None, md5=None):
    """Downloads ``url`` to ``target`` with ``keras.utils.get_file`` (hash-checked when a pin is
    given), inside a private folder beside ``target``: concurrent downloads never share a file.
    ``target`` is a temporary file of the caller, which publishes it."""
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
        os.replace(got, target)  # a move between two temporary names; publish sets the mode


def archive_pin(spec):
    """How the archive of ``spec`` is pinned, for messages."""
    if spec.url_sha256:
        return f"expected sha256 {spec.url_sha256}"
    return ("no sha256 is published for this archive; its files are pinned: "
            + "; ".join(f"{f.path} ({pin_text(f)})" for f in spec.files))


def publish_from_archive(spec, archive, name):
    """Copies the files of ``spec`` out of the archive at ``archive`` into the cache.

    Raises:
        DataIntegrityError: the archive is broken or refused (a member leaving the
            folder); the message names ``name``, the data set and the archive's pin.
        DataUnavailableError: the archive lacks one of the files.
        CacheUnwritableError: the cache folder cannot take a file (named).
    """
    cache = config.cache_dir()
    with archives.reading(archive, name, f"of data set {spec.name!r}; {archive_pin(spec)}") as members:
        for f in spec.files:
            member = archives.find_member(members, os.path.basename(f.path))
            if member is None:
                raise DataUnavailableError(
                    f"the archive {name} of data set {spec.name!r} does not contain "
                    f"{os.path.basename(f.path)} ({archive_pin(spec)}).")
            publish(os.path.join(cache, f.path),
                    lambda temp, opener=members[member]: archives.copy_member(opener, temp), f.sha256, f.md5)


def download_into_cache(spec):
    """Downloads the files of ``spec`` (its archive, or each file's URL) into the cache."""
    cache = config.cache_dir()
    if not spec.url:
        for f in spec.files:
            publish(os.path.join(cache, f.path),
                    lambda temp, f=f: _download_to(f.url, temp, sha256=f.sha256, md5=f.md5),
                    f.sha256, f.md5)
        return
    # one archive holding the files: a private temporary copy, read and then removed
    temp = private_temp(os.path.join(cache, os.path.basename(spec.url)))
    try:
        with writing_into(os.path.dirname(temp)):
            _download_to(spec.url, temp, sha256=spec.url_sha256)
        if spec.url_sha256:
            verify_file(temp, spec.url_sha256, label=spec.url)
        publish_from_archive(spec, temp, spec.url)
    finally:
        remove_quietly(temp)


# ----------------------------------------------------------------------------- builders and TFDS


def _builder(spec):
    module, _, function = spec.builder.partition(":")
    return getattr(importlib.import_module(module), function)


def _tfds_prepare(spec, data_dir):
    tfds = import_tfds()

    with writing_into(data_dir), file_lock(os.path.join(data_dir, spec.tfds_name)):
        tfds.builder(spec.tfds_name, data_dir=data_dir).download_and_prepare()
    return data_dir


def _copy_tree(source, target):
    """Copies a folder's files (content only): new folders and files get the umask's
    modes, not those of a read-only mirror."""
    for directory, _, names in os.walk(source):
        here = os.path.join(target, os.path.relpath(directory, source))
        os.makedirs(here, exist_ok=True)
        for name in names:
            shutil.copyfile(os.path.join(directory, name), os.path.join(here, name))


def copy_tfds_tree(spec, source_dir, data_dir):
    """Replaces the cache's prepared TFDS folder of ``spec`` with a copy of ``source_dir``'s."""
    target = os.path.join(data_dir, spec.tfds_name)
    with writing_into(data_dir), file_lock(target):
        temp = private_temp(target)
        os.remove(temp)  # the name only: the copy is a folder
        try:
            _copy_tree(os.path.join(source_dir, spec.tfds_name), temp)
            if os.path.isdir(target):
                shutil.rmtree(target)
            # a folder: _fileio.replacing handles files only; its modes come from the umask above
            os.replace(temp, target)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise


# ----------------------------------------------------------------------------- the layer's entry points


def materialize(spec, location, quiet=False, uncached_ok=True):
    """Local files for a location: a ``download`` or a built ``package`` copy goes
    into the cache first (a package copy goes to a private temporary folder
    when the cache is not writable and ``uncached_ok``). Local locations pass through.
    """
    if location.source in LOCAL_SOURCES:
        return location
    if location.source == "package" and not spec.builder:
        return location  # read straight from the package
    if location.source == "download":
        if spec.kind == "tfds":
            data_dir = os.path.join(config.cache_dir(), "tfds")
            _tfds_prepare(spec, data_dir)
            return Location("download", data_dir)
        download_into_cache(spec)
        if not quiet:
            print(f"[data] {spec.name}: downloaded {', '.join(spec.download_urls())} into "
                  f"{config.cache_dir()}")
        return cached_location(spec, "download")
    # package + builder: build the derived file
    target = os.path.join(config.cache_dir(), spec.files[0].path)
    try:
        publish(target, _builder(spec))
        return cached_location(spec, "package")
    except CacheUnwritableError as exc:
        if not uncached_ok:
            raise
        warn(f"{exc} Building {spec.name} in a temporary folder instead.")
        folder = tempfile.mkdtemp(prefix="dlcourse-")
        path = os.path.join(folder, os.path.basename(spec.files[0].path))
        _builder(spec)(path)
        return Location("package", f"{spec.package} (not cached: {exc})", {spec.files[0].path: path})


def fill(spec, location, quiet=False):
    """Copies ``spec`` into the cache from ``location`` (a verified local copy, a
    download or a package build) and returns the verified cached location."""
    cache = config.cache_dir()
    if location.source not in LOCAL_SOURCES:
        filled = materialize(spec, location, quiet=quiet, uncached_ok=False)
    elif spec.kind == "tfds":
        copy_tfds_tree(spec, location.detail, os.path.join(cache, "tfds"))
        filled = location
    else:
        for f in spec.files:
            publish_copy(location.paths[f.path], os.path.join(cache, f.path), f.sha256, f.md5)
        filled = cached_location(spec, location.source)
    for f in spec.files:
        clean_stale_temps(os.path.dirname(os.path.join(cache, f.path)))
    return filled


def open_up(location):
    """Gives the files of a verified cached copy (and their records) the umask's mode:
    caches filled by older versions had private (0600) files that students could not read."""
    for path in location.paths.values():
        adopt_umask_mode(path)
        if os.path.exists(record_path(path)):
            adopt_umask_mode(record_path(path))
