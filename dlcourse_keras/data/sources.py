"""The data layer's entry points: from a registry name to verified local files.

Each public function here looks its name up in the registry once and hands the
:class:`~.registry.DatasetSpec` to two layers that never look names up:

- :mod:`.resolving` finds which source has a good copy (cache, mirror, Debian,
  package, download, in the order the entry lists them), verifying local copies
  by hash and skipping a corrupted or unreadable one with a warning naming it;
- :mod:`.filling` copies, downloads, extracts or builds into the cache.

:func:`local_files` (what the loaders use) resolves and, for a download or a
package build, fills the cache; :func:`fetch` fills or repairs the cache. Nothing
here branches on a data set's name: everything comes from the spec.
"""

from . import filling, resolving
from .filling import import_tfds  # noqa: F401  (public: loaders and the README name it here)
from .registry import DATASETS, get_spec
from .resolving import LOCAL_SOURCES, Location, tfds_version_dir  # noqa: F401  (re-exported)


def resolve(name, sources=None, allow_network=True, verify=True):
    """The first usable source of a data set.

    Args:
        name: registry name or :class:`~.registry.DatasetSpec`.
        sources: restrict to these sources (default: the entry's own list).
        allow_network: whether ``download`` may be chosen. Default True.
        verify: hash local copies and skip corrupted or unreadable ones. Default True.

    Returns:
        ``(location or None, problems)`` where ``problems`` lists the error of
        every local copy that was skipped (:class:`DataIntegrityError`,
        :class:`DataUnreadableError`).
    """
    return resolving.resolve(get_spec(name), sources, allow_network, verify)


def locate(name, sources=None, allow_network=True, verify=False):
    """Finds the first source that can provide ``name`` (not verified unless asked), or None."""
    return resolving.resolve(get_spec(name), sources, allow_network, verify)[0]


def require(name, sources=None, allow_network=True):
    """Resolves ``name`` to a verified location or raises.

    Raises:
        DataIntegrityError: every local copy found was corrupted and no other
            source exists (the message names the file and both hashes).
        DataUnreadableError: every local copy found was unreadable (the message
            names each file and its expected hash).
        DataUnavailableError: no source at all (the message says what to set).
    """
    return resolving.require(get_spec(name), sources, allow_network)


def unavailable_message(name, allow_network=True):
    """What to do when no source has ``name``; names the missing files and their hashes."""
    return resolving.unavailable_message(get_spec(name), allow_network)


def materialize(name, location, quiet=False, uncached_ok=True):
    """Local files for a location: a ``download`` or a built ``package`` copy goes
    into the cache first (a package copy goes to a private temporary folder
    when the cache is not writable and ``uncached_ok``). Local locations pass through.
    """
    return filling.materialize(get_spec(name), location, quiet=quiet, uncached_ok=uncached_ok)


def local_files(name, quiet=False):
    """Resolves and materializes ``name``: a :class:`Location` with verified local files."""
    spec = get_spec(name)
    return filling.materialize(spec, resolving.require(spec), quiet=quiet)


def fetch(name, quiet=False):
    """Fills the project cache with ``name`` from the best source, or repairs a
    corrupted or unreadable cached copy (a teacher's preparation for an offline classroom).

    A good cached copy is kept, and its files get the mode the umask allows (older
    versions published them private, 0600).

    Args:
        name: registry name or :class:`~.registry.DatasetSpec`.
        quiet: do not print what was downloaded. Default False.

    Returns:
        The source used (``"cache"`` when a good copy was already there).

    Raises:
        CacheUnwritableError: the cache folder cannot take the files (full disk,
            read-only, no permission); the message names the folder.
        DataIntegrityError, DataUnreadableError, DataUnavailableError: as :func:`require`.
    """
    spec = get_spec(name)
    if "cache" not in spec.sources:
        return resolving.require(spec).source  # shipped by a package: nothing to cache
    cached, _, _ = resolving.find_local(spec, "cache")
    if cached is not None:
        try:
            resolving.verify_location(spec, cached)
            filling.open_up(cached)
            return "cache"
        except resolving.SKIPPED as exc:
            resolving.warn(f"repairing an unusable cached copy: {exc}")
    location = resolving.require(spec, sources=tuple(s for s in spec.sources if s != "cache"))
    filling.fill(spec, location, quiet=quiet)
    return location.source


# ----------------------------------------------------------------------------- reports


def _status(spec, allow_network, verify):
    location, problems = resolving.resolve(spec, allow_network=allow_network, verify=verify)
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


def dataset_status(name, allow_network=True, verify=True):
    """A dict for ``dlcourse data list``: name, available (verified), source, splits, problems."""
    return _status(get_spec(name), allow_network, verify)


def list_datasets(allow_network=True, verify=True):
    """Status of every registered data set, in registry order."""
    return [_status(spec, allow_network, verify) for spec in DATASETS.values()]


def verify_all():
    """Checks every local copy (cache, mirror, Debian) of every data set.

    Returns:
        A list of dicts ``{dataset, source, path, ok, algorithm, expected,
        actual}``. A copy that is wholly absent is not listed; a file missing
        from a copy that has the others (a partial mirror) is listed as not ok
        with ``actual`` None; an unreadable file is not ok, with ``actual``
        ``"(unreadable: <reason>)"``.
    """
    return [row for spec in DATASETS.values() for row in resolving.verify_rows(spec)]

