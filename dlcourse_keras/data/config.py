"""Where the data layer looks: the project cache, a read-only mirror, the network."""

import os
import socket
import threading
import urllib.parse

MIRROR_ENV = "DLCOURSE_MIRROR"
CACHE_ENV = "DLCOURSE_CACHE"
OFFLINE_ENV = "DLCOURSE_OFFLINE"
NETWORK_TIMEOUT_S = 2.0

_network_cache = {}


def mirror_dir():
    """The mirror directory from ``DLCOURSE_MIRROR``, or None when unset.

    Raises:
        ValueError: if the variable names a path that is not a directory.
    """
    value = os.environ.get(MIRROR_ENV, "").strip()
    if not value:
        return None
    path = os.path.abspath(os.path.expanduser(value))
    if not os.path.isdir(path):
        raise ValueError(
            f"{MIRROR_ENV}={value!r} is not a directory; point it at a copy of the "
            "course data mirror (e.g. ../shared/data) or unset it."
        )
    return path


def source_checkout_root():
    """The project's root when the package runs from a writable source checkout, else None."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if os.path.exists(os.path.join(root, "pyproject.toml")) and os.access(root, os.W_OK):
        return root
    return None


def cache_dir(create=False):
    """The project cache: ``DLCOURSE_CACHE``, else ``data/cache`` in a source checkout,
    else ``~/.cache/dlcourse_keras``."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value:
        path = os.path.abspath(os.path.expanduser(value))
    else:
        root = source_checkout_root()
        if root is not None:
            path = os.path.join(root, "data", "cache")
        else:
            path = os.path.join(os.path.expanduser("~"), ".cache", "dlcourse_keras")
    if create:
        os.makedirs(path, exist_ok=True)
    return path


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
