"""Where the data layer looks: the project cache, a read-only mirror, the network.

Relative values of ``DLCOURSE_MIRROR`` and ``DLCOURSE_CACHE`` are resolved
against the current folder of the process that reads them; a notebook kernel
runs in ``notebooks/``, so anything that starts kernels passes
:func:`absolute_env` to them (``dlcourse`` itself applies it on start).
"""

import os
import socket
import threading
import urllib.parse

MIRROR_ENV = "DLCOURSE_MIRROR"
CACHE_ENV = "DLCOURSE_CACHE"
OFFLINE_ENV = "DLCOURSE_OFFLINE"
NETWORK_TIMEOUT_S = 2.0

_network_cache = {}


def _absolute(value):
    return os.path.abspath(os.path.expanduser(value))


def absolute_env(env=None):
    """A copy of ``env`` (default ``os.environ``) whose ``DLCOURSE_MIRROR`` and
    ``DLCOURSE_CACHE`` are absolute paths, resolved against the current folder.

    Pass it to every process that may run elsewhere (notebook kernels run in
    ``notebooks/``), e.g. ``subprocess.run(..., env=absolute_env())``.

    Example:

    >>> import os
    >>> os.environ["DLCOURSE_MIRROR"] = "../shared/data"
    >>> os.path.isabs(absolute_env()["DLCOURSE_MIRROR"])
    True
    """
    result = dict(os.environ if env is None else env)
    for name in (MIRROR_ENV, CACHE_ENV):
        value = result.get(name, "").strip()
        if value:
            result[name] = _absolute(value)
    return result


def mirror_problem():
    """Why ``DLCOURSE_MIRROR`` cannot be used (a sentence), or None when it is
    unset or names a folder."""
    value = os.environ.get(MIRROR_ENV, "").strip()
    if value and not os.path.isdir(_absolute(value)):
        return (f"{MIRROR_ENV}={value!r} ({_absolute(value)}) is not a directory; point it at a "
                "copy of the course data mirror (e.g. ../shared/data) or unset it")
    return None


def mirror_dir():
    """The mirror directory from ``DLCOURSE_MIRROR`` (absolute), or None when unset.

    Raises:
        ValueError: if the variable names a path that is not a directory.
    """
    problem = mirror_problem()
    if problem:
        raise ValueError(problem + ".")
    return mirror_dir_or_none()


def mirror_dir_or_none():
    """Like :func:`mirror_dir` but None (instead of an error) for an unusable mirror."""
    value = os.environ.get(MIRROR_ENV, "").strip()
    if not value or mirror_problem():
        return None
    return _absolute(value)


def source_checkout_root():
    """The project's root when the package runs from a writable source checkout, else None."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if os.path.exists(os.path.join(root, "pyproject.toml")) and os.access(root, os.W_OK):
        return root
    return None


def cache_dir(create=False):
    """The project cache (absolute): ``DLCOURSE_CACHE``, else ``data/cache`` in a
    source checkout, else ``~/.cache/dlcourse_keras``.

    Args:
        create: create the folder; raises ``CacheUnwritableError`` (an
            ``OSError``) naming the path when that is impossible.
    """
    value = os.environ.get(CACHE_ENV, "").strip()
    if value:
        path = _absolute(value)
    else:
        root = source_checkout_root()
        if root is not None:
            path = os.path.join(root, "data", "cache")
        else:
            path = os.path.join(os.path.expanduser("~"), ".cache", "dlcourse_keras")
    if create:
        from .files import ensure_dir

        ensure_dir(path)
    return path


def cache_problem():
    """Why the cache cannot be written (a sentence naming it), or None."""
    path = cache_dir()
    probe = path
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if os.path.exists(probe) and not os.path.isdir(probe):
        return f"the cache path {path} is blocked by the file {probe}; set {CACHE_ENV} to a folder"
    if not os.access(probe, os.W_OK):
        return f"the cache folder {path} is not writable ({probe}); set {CACHE_ENV} to a writable folder"
    return None


def network_available(url="https://storage.googleapis.com/", timeout=NETWORK_TIMEOUT_S):
    """Whether ``url``'s host accepts a TCP connection within ``timeout`` seconds.

    ``DLCOURSE_OFFLINE=1`` forces False. The answer is cached per host for the
    process. DNS is done in a daemon thread so a hanging resolver cannot block.
    """
    if os.environ.get(OFFLINE_ENV, "").strip() in ("1", "true", "yes"):
        return False
    parsed = urllib.parse.urlparse(url)
    host = parsed.hostname
    if not host:
        raise ValueError(f"url={url!r} has no host name.")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    key = (host, port)
    if key in _network_cache:
        return _network_cache[key]
    result = {"ok": False}

    def probe():
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result["ok"] = True
        except OSError:
            result["ok"] = False

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    _network_cache[key] = result["ok"]
    return result["ok"]
