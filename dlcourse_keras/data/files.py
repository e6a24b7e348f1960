"""File integrity: sha256 verification and recorded hashes for files we make."""

import hashlib
import os

from .errors import DataIntegrityError


def sha256_file(path, chunk_size=1 << 20):
    """The hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path, expected_sha256):
    """Checks ``path`` against ``expected_sha256``.

    Raises:
        FileNotFoundError: naming the path and the expected hash.
        DataIntegrityError: naming the path, the expected and the actual hash.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"data file {path} is missing (expected sha256 {expected_sha256})."
        )
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise DataIntegrityError(
            f"data file {path} is corrupted or a different version: "
            f"sha256 {actual}, expected {expected_sha256}. "
            "Replace it with the official file or remove it so another source is used."
        )
    return path


def write_hash_record(path):
    """Records the sha256 of a file this project made (``<path>.sha256``)."""
    digest = sha256_file(path)
    with open(path + ".sha256", "w", encoding="ascii") as f:
        f.write(digest + "\n")
    return digest


def recorded_hash(path):
    """The hash recorded by :func:`write_hash_record`, or None."""
    record = path + ".sha256"
    if not os.path.isfile(record):
        return None
    with open(record, encoding="ascii") as f:
        return f.read().strip() or None


def verify_recorded(path):
    """Verifies a cached file against its recorded hash (a missing record is an error)."""
    expected = recorded_hash(path)
    if expected is None:
        raise DataIntegrityError(
            f"cached file {path} has no recorded sha256 ({path}.sha256); delete it and fetch again."
        )
    return verify_file(path, expected)
